CREATE TYPE "public"."action_kind" AS ENUM('ISOLATE_DEVICE', 'RELEASE_FROM_ISOLATION', 'QUARANTINE_FILE', 'RESTRICT_APP_EXECUTION', 'REMOVE_APP_RESTRICTION', 'MANUAL');--> statement-breakpoint
CREATE TYPE "public"."action_status" AS ENUM('PENDING', 'IN_PROGRESS', 'COMPLETED', 'FAILED', 'SKIPPED');--> statement-breakpoint
CREATE TYPE "public"."attempt_state" AS ENUM('QUEUED', 'RUNNING', 'WAITING', 'SENT', 'COMPLETED', 'FAILED');--> statement-breakpoint
CREATE TABLE "action_attempts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"action_id" uuid NOT NULL,
	"number" smallint NOT NULL,
	"side" "side" NOT NULL,
	"principal_id" uuid,
	"state" "attempt_state" DEFAULT 'QUEUED' NOT NULL,
	"connector" text NOT NULL,
	"claimed_by" text,
	"lease_until" timestamp (3) with time zone,
	"deadline" timestamp (3) with time zone NOT NULL,
	"failure_reason" text,
	"started_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "action_cards" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"incident_id" uuid NOT NULL,
	"position" smallint NOT NULL,
	"kind" "action_kind" NOT NULL,
	"title" text NOT NULL,
	"instructions" text,
	"target_device_id" uuid,
	"target_file_id" uuid,
	"target_key" text,
	"status" "action_status" DEFAULT 'PENDING' NOT NULL,
	"performed_by" "side",
	"performed_by_id" uuid,
	"left_to_customer_reason" text,
	"failure_reason" text,
	"skip_reason" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "chat_messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"incident_id" uuid NOT NULL,
	"author_id" uuid NOT NULL,
	"side" "side" NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "managed_responses" (
	"incident_id" uuid PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"published_by_id" uuid NOT NULL,
	"published_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"narrative" text NOT NULL,
	"impact" text,
	"severity_rationale" text,
	"timeline" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"indicators_of_attack" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"indicators_of_compromise" jsonb DEFAULT '[]'::jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "edr_endpoint" text;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "edr_secret" text;--> statement-breakpoint
ALTER TABLE "action_attempts" ADD CONSTRAINT "action_attempts_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "action_attempts" ADD CONSTRAINT "action_attempts_action_id_action_cards_id_fk" FOREIGN KEY ("action_id") REFERENCES "public"."action_cards"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "action_attempts" ADD CONSTRAINT "action_attempts_principal_id_principals_id_fk" FOREIGN KEY ("principal_id") REFERENCES "public"."principals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "action_cards" ADD CONSTRAINT "action_cards_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "action_cards" ADD CONSTRAINT "action_cards_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "action_cards" ADD CONSTRAINT "action_cards_target_device_id_devices_id_fk" FOREIGN KEY ("target_device_id") REFERENCES "public"."devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "action_cards" ADD CONSTRAINT "action_cards_target_file_id_device_files_id_fk" FOREIGN KEY ("target_file_id") REFERENCES "public"."device_files"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "action_cards" ADD CONSTRAINT "action_cards_performed_by_id_principals_id_fk" FOREIGN KEY ("performed_by_id") REFERENCES "public"."principals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat_messages" ADD CONSTRAINT "chat_messages_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat_messages" ADD CONSTRAINT "chat_messages_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "chat_messages" ADD CONSTRAINT "chat_messages_author_id_principals_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."principals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "managed_responses" ADD CONSTRAINT "managed_responses_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "managed_responses" ADD CONSTRAINT "managed_responses_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "managed_responses" ADD CONSTRAINT "managed_responses_published_by_id_principals_id_fk" FOREIGN KEY ("published_by_id") REFERENCES "public"."principals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "action_attempts_action_number_uq" ON "action_attempts" USING btree ("action_id","number");--> statement-breakpoint
CREATE INDEX "action_attempts_open_idx" ON "action_attempts" USING btree ("state","lease_until") WHERE state in ('QUEUED', 'RUNNING', 'WAITING', 'SENT');--> statement-breakpoint
CREATE INDEX "action_cards_incident_idx" ON "action_cards" USING btree ("incident_id","position");--> statement-breakpoint
CREATE INDEX "action_cards_tenant_updated_idx" ON "action_cards" USING btree ("tenant_id","updated_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "action_cards_one_running_uq" ON "action_cards" USING btree ("kind","target_key") WHERE status = 'IN_PROGRESS' and target_key is not null;--> statement-breakpoint
CREATE INDEX "chat_messages_incident_idx" ON "chat_messages" USING btree ("incident_id","created_at","id");