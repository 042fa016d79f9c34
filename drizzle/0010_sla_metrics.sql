CREATE TABLE "incident_sla" (
	"incident_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"severity" "severity" NOT NULL,
	"status" "incident_status" NOT NULL,
	"classification" "classification" NOT NULL,
	"determination" "determination" NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"acknowledged_at" timestamp (3) with time zone,
	"left_active_at" timestamp (3) with time zone,
	"classified_at" timestamp (3) with time zone,
	"published_at" timestamp (3) with time zone,
	"resolved_at" timestamp (3) with time zone,
	"awaiting_since" timestamp (3) with time zone,
	"customer_response_ms" bigint,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "incident_sla" ADD CONSTRAINT "incident_sla_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incident_sla" ADD CONSTRAINT "incident_sla_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "incident_sla_tenant_created_idx" ON "incident_sla" USING btree ("tenant_id","created_at");--> statement-breakpoint
CREATE INDEX "action_cards_tenant_completed_idx" ON "action_cards" USING btree ("tenant_id","completed_at") WHERE completed_at is not null;