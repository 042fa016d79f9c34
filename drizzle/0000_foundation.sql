CREATE TYPE "public"."assignment" AS ENUM('EXPERTS', 'CUSTOMER', 'UNASSIGNED');--> statement-breakpoint
CREATE TYPE "public"."classification" AS ENUM('UNKNOWN', 'TRUE_POSITIVE', 'FALSE_POSITIVE', 'INFORMATIONAL_EXPECTED_ACTIVITY');--> statement-breakpoint
CREATE TYPE "public"."determination" AS ENUM('UNKNOWN', 'MULTI_STAGED_ATTACK', 'MALICIOUS_USER_ACTIVITY', 'COMPROMISED_ACCOUNT', 'MALWARE', 'PHISHING', 'UNWANTED_SOFTWARE', 'SECURITY_TESTING', 'LINE_OF_BUSINESS_APPLICATION', 'CONFIRMED_ACTIVITY', 'NOT_MALICIOUS', 'NOT_ENOUGH_DATA_TO_VALIDATE', 'OTHER');--> statement-breakpoint
CREATE TYPE "public"."device_health" AS ENUM('ACTIVE', 'INACTIVE');--> statement-breakpoint
CREATE TYPE "public"."evidence_kind" AS ENUM('DEVICE', 'FILE', 'PROCESS', 'USER', 'IP', 'URL');--> statement-breakpoint
CREATE TYPE "public"."incident_status" AS ENUM('ACTIVE', 'IN_PROGRESS', 'AWAITING_CUSTOMER_ACTION', 'RESOLVED');--> statement-breakpoint
CREATE TYPE "public"."role" AS ENUM('READER', 'OPERATOR', 'ADMIN', 'EXPERT', 'INTEGRATION');--> statement-breakpoint
CREATE TYPE "public"."service_access_level" AS ENUM('READER', 'OPERATOR');--> statement-breakpoint
CREATE TYPE "public"."severity" AS ENUM('INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH');--> statement-breakpoint
CREATE TYPE "public"."side" AS ENUM('EXPERTS', 'CUSTOMER');--> statement-breakpoint
CREATE TABLE "activity" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"tenant_id" uuid NOT NULL,
	"incident_id" uuid NOT NULL,
	"actor_id" uuid,
	"actor_side" "side",
	"field" text NOT NULL,
	"from_value" text,
	"to_value" text,
	"note" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alerts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"incident_id" uuid NOT NULL,
	"external_id" text NOT NULL,
	"title" text NOT NULL,
	"severity" "severity" NOT NULL,
	"category" text,
	"detection_source" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "api_tokens" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"principal_id" uuid NOT NULL,
	"name" text NOT NULL,
	"token_hash" text NOT NULL,
	"prefix" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"last_used_at" timestamp (3) with time zone,
	"revoked_at" timestamp (3) with time zone,
	CONSTRAINT "api_tokens_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "comments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"incident_id" uuid NOT NULL,
	"author_id" uuid NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "device_files" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"device_id" uuid NOT NULL,
	"file_name" text NOT NULL,
	"file_path" text DEFAULT '' NOT NULL,
	"sha1" text,
	"sha256" text,
	"quarantined" boolean DEFAULT false NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "devices" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"name" text NOT NULL,
	"device_group" text,
	"os_platform" text,
	"health_status" "device_health" DEFAULT 'ACTIVE' NOT NULL,
	"isolated" boolean DEFAULT false NOT NULL,
	"app_execution_restricted" boolean DEFAULT false NOT NULL,
	"last_seen_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "evidence" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"incident_id" uuid NOT NULL,
	"alert_id" uuid NOT NULL,
	"kind" "evidence_kind" NOT NULL,
	"position" smallint DEFAULT 0 NOT NULL,
	"device_id" uuid,
	"file_id" uuid,
	"value" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "expert_tenants" (
	"principal_id" uuid NOT NULL,
	"tenant_id" uuid NOT NULL,
	CONSTRAINT "expert_tenants_principal_id_tenant_id_pk" PRIMARY KEY("principal_id","tenant_id")
);
--> statement-breakpoint
CREATE TABLE "incidents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"number" integer NOT NULL,
	"external_id" text,
	"title" text NOT NULL,
	"description" text,
	"severity" "severity" NOT NULL,
	"status" "incident_status" DEFAULT 'ACTIVE' NOT NULL,
	"classification" "classification" DEFAULT 'UNKNOWN' NOT NULL,
	"determination" "determination" DEFAULT 'UNKNOWN' NOT NULL,
	"assignment" "assignment" DEFAULT 'UNASSIGNED' NOT NULL,
	"assignee_id" uuid,
	"custom_tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"system_tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"priority_score" smallint DEFAULT 0 NOT NULL,
	"resolving_comment" text,
	"version" integer DEFAULT 1 NOT NULL,
	"search_text" text DEFAULT '' NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"first_activity_at" timestamp (3) with time zone,
	"last_activity_at" timestamp (3) with time zone
);
--> statement-breakpoint
CREATE TABLE "principals" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid,
	"name" text NOT NULL,
	"email" text,
	"role" "role" NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tenants" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"slug" text NOT NULL,
	"name" text NOT NULL,
	"service_access_level" "service_access_level" DEFAULT 'READER' NOT NULL,
	"remediation_exclusions" text[] DEFAULT '{}'::text[] NOT NULL,
	"last_incident_number" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tenants_slug_unique" UNIQUE("slug")
);
--> statement-breakpoint
ALTER TABLE "activity" ADD CONSTRAINT "activity_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activity" ADD CONSTRAINT "activity_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "activity" ADD CONSTRAINT "activity_actor_id_principals_id_fk" FOREIGN KEY ("actor_id") REFERENCES "public"."principals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "alerts" ADD CONSTRAINT "alerts_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "api_tokens" ADD CONSTRAINT "api_tokens_principal_id_principals_id_fk" FOREIGN KEY ("principal_id") REFERENCES "public"."principals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "comments" ADD CONSTRAINT "comments_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "comments" ADD CONSTRAINT "comments_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "comments" ADD CONSTRAINT "comments_author_id_principals_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."principals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_files" ADD CONSTRAINT "device_files_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "device_files" ADD CONSTRAINT "device_files_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "devices" ADD CONSTRAINT "devices_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evidence" ADD CONSTRAINT "evidence_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evidence" ADD CONSTRAINT "evidence_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evidence" ADD CONSTRAINT "evidence_alert_id_alerts_id_fk" FOREIGN KEY ("alert_id") REFERENCES "public"."alerts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evidence" ADD CONSTRAINT "evidence_device_id_devices_id_fk" FOREIGN KEY ("device_id") REFERENCES "public"."devices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evidence" ADD CONSTRAINT "evidence_file_id_device_files_id_fk" FOREIGN KEY ("file_id") REFERENCES "public"."device_files"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "expert_tenants" ADD CONSTRAINT "expert_tenants_principal_id_principals_id_fk" FOREIGN KEY ("principal_id") REFERENCES "public"."principals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "expert_tenants" ADD CONSTRAINT "expert_tenants_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "incidents" ADD CONSTRAINT "incidents_assignee_id_principals_id_fk" FOREIGN KEY ("assignee_id") REFERENCES "public"."principals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "principals" ADD CONSTRAINT "principals_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "activity_incident_idx" ON "activity" USING btree ("incident_id","id");--> statement-breakpoint
CREATE INDEX "activity_tenant_idx" ON "activity" USING btree ("tenant_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_tenant_external_uq" ON "alerts" USING btree ("tenant_id","external_id");--> statement-breakpoint
CREATE INDEX "alerts_incident_idx" ON "alerts" USING btree ("incident_id","created_at","id");--> statement-breakpoint
CREATE INDEX "api_tokens_principal_idx" ON "api_tokens" USING btree ("principal_id");--> statement-breakpoint
CREATE INDEX "comments_incident_idx" ON "comments" USING btree ("incident_id","created_at","id");--> statement-breakpoint
CREATE UNIQUE INDEX "device_files_device_path_uq" ON "device_files" USING btree ("device_id","file_path","file_name");--> statement-breakpoint
CREATE UNIQUE INDEX "devices_tenant_name_uq" ON "devices" USING btree ("tenant_id",lower("name"));--> statement-breakpoint
CREATE INDEX "evidence_alert_idx" ON "evidence" USING btree ("alert_id");--> statement-breakpoint
CREATE INDEX "evidence_incident_device_idx" ON "evidence" USING btree ("incident_id","device_id");--> statement-breakpoint
CREATE UNIQUE INDEX "incidents_tenant_number_uq" ON "incidents" USING btree ("tenant_id","number");--> statement-breakpoint
CREATE UNIQUE INDEX "incidents_tenant_external_uq" ON "incidents" USING btree ("tenant_id","external_id");--> statement-breakpoint
CREATE INDEX "incidents_tenant_updated_idx" ON "incidents" USING btree ("tenant_id","updated_at","id");--> statement-breakpoint
CREATE INDEX "incidents_tenant_created_idx" ON "incidents" USING btree ("tenant_id","created_at","id");--> statement-breakpoint
CREATE INDEX "incidents_tenant_severity_idx" ON "incidents" USING btree ("tenant_id","severity","updated_at","id");--> statement-breakpoint
CREATE INDEX "incidents_tenant_priority_idx" ON "incidents" USING btree ("tenant_id","priority_score","updated_at","id");--> statement-breakpoint
CREATE INDEX "incidents_tenant_status_idx" ON "incidents" USING btree ("tenant_id","status");--> statement-breakpoint
CREATE INDEX "incidents_tags_idx" ON "incidents" USING gin ("custom_tags");--> statement-breakpoint
CREATE INDEX "incidents_system_tags_idx" ON "incidents" USING gin ("system_tags");--> statement-breakpoint
CREATE INDEX "principals_tenant_idx" ON "principals" USING btree ("tenant_id");