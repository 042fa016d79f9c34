CREATE TYPE "public"."match_operator" AS ENUM('EQUALS', 'CONTAINS', 'GLOB');--> statement-breakpoint
CREATE TYPE "public"."suppression_field" AS ENUM('ALERT_TITLE', 'DETECTION_SOURCE', 'CATEGORY', 'DEVICE_GROUP', 'DEVICE_NAME', 'ACCOUNT', 'EVIDENCE_VALUE');--> statement-breakpoint
ALTER TYPE "public"."incident_status" ADD VALUE 'REDIRECTED';--> statement-breakpoint
CREATE TABLE "saved_views" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid,
	"owner_id" uuid NOT NULL,
	"name" text NOT NULL,
	"shared" boolean DEFAULT false NOT NULL,
	"filter" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"order_field" text,
	"order_direction" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "suppression_rules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"conditions" jsonb NOT NULL,
	"include_high_severity" boolean DEFAULT false NOT NULL,
	"expires_at" timestamp (3) with time zone,
	"active" boolean DEFAULT true NOT NULL,
	"hit_count" integer DEFAULT 0 NOT NULL,
	"last_hit_at" timestamp (3) with time zone,
	"created_by_id" uuid NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "redirected_to_id" uuid;--> statement-breakpoint
ALTER TABLE "incidents" ADD COLUMN "suppressed_by_rule_id" uuid;--> statement-breakpoint
ALTER TABLE "saved_views" ADD CONSTRAINT "saved_views_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "saved_views" ADD CONSTRAINT "saved_views_owner_id_principals_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."principals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "suppression_rules" ADD CONSTRAINT "suppression_rules_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "suppression_rules" ADD CONSTRAINT "suppression_rules_created_by_id_principals_id_fk" FOREIGN KEY ("created_by_id") REFERENCES "public"."principals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "saved_views_owner_name_uq" ON "saved_views" USING btree ("owner_id",lower("name"));--> statement-breakpoint
CREATE INDEX "saved_views_tenant_idx" ON "saved_views" USING btree ("tenant_id");--> statement-breakpoint
CREATE INDEX "suppression_rules_tenant_idx" ON "suppression_rules" USING btree ("tenant_id");--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_redirected_to_id_incidents_id_fk" FOREIGN KEY ("redirected_to_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_suppressed_by_rule_id_suppression_rules_id_fk" FOREIGN KEY ("suppressed_by_rule_id") REFERENCES "public"."suppression_rules"("id") ON DELETE no action ON UPDATE no action;