CREATE TYPE "public"."indicator_action" AS ENUM('BLOCK', 'ALLOWED');--> statement-breakpoint
CREATE TYPE "public"."indicator_type" AS ENUM('FILE_SHA1', 'FILE_SHA256', 'IP_ADDRESS', 'URL', 'DOMAIN');--> statement-breakpoint
CREATE TYPE "public"."mailbox_location" AS ENUM('INBOX', 'JUNK', 'DELETED');--> statement-breakpoint
ALTER TYPE "public"."action_kind" ADD VALUE 'RUN_ANTIVIRUS_SCAN';--> statement-breakpoint
ALTER TYPE "public"."action_kind" ADD VALUE 'COLLECT_INVESTIGATION_PACKAGE';--> statement-breakpoint
ALTER TYPE "public"."action_kind" ADD VALUE 'DISABLE_USER';--> statement-breakpoint
ALTER TYPE "public"."action_kind" ADD VALUE 'ENABLE_USER';--> statement-breakpoint
ALTER TYPE "public"."action_kind" ADD VALUE 'REVOKE_SESSIONS';--> statement-breakpoint
ALTER TYPE "public"."action_kind" ADD VALUE 'FORCE_PASSWORD_RESET';--> statement-breakpoint
ALTER TYPE "public"."action_kind" ADD VALUE 'SOFT_DELETE_EMAIL';--> statement-breakpoint
ALTER TYPE "public"."action_kind" ADD VALUE 'MOVE_EMAIL_TO_JUNK';--> statement-breakpoint
ALTER TYPE "public"."action_kind" ADD VALUE 'RESTORE_EMAIL';--> statement-breakpoint
ALTER TYPE "public"."action_kind" ADD VALUE 'BLOCK_INDICATOR';--> statement-breakpoint
ALTER TYPE "public"."action_kind" ADD VALUE 'UNBLOCK_INDICATOR';--> statement-breakpoint
ALTER TYPE "public"."evidence_kind" ADD VALUE 'EMAIL';--> statement-breakpoint
CREATE TABLE "accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"account_name" text NOT NULL,
	"domain" text,
	"upn" text,
	"display_name" text,
	"enabled" boolean DEFAULT true NOT NULL,
	"sessions_revoked_at" timestamp (3) with time zone,
	"password_reset_required" boolean DEFAULT false NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "email_messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"network_message_id" text NOT NULL,
	"recipient" text NOT NULL,
	"sender" text,
	"subject" text,
	"received_at" timestamp (3) with time zone,
	"location" "mailbox_location" DEFAULT 'INBOX' NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "indicators" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"type" "indicator_type" NOT NULL,
	"value" text NOT NULL,
	"action" "indicator_action" DEFAULT 'ALLOWED' NOT NULL,
	"expires_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "investigation_revisions" (
	"incident_id" uuid NOT NULL,
	"number" smallint NOT NULL,
	"tenant_id" uuid NOT NULL,
	"reason" text NOT NULL,
	"published_by_id" uuid NOT NULL,
	"published_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"narrative" text NOT NULL,
	"impact" text,
	"severity_rationale" text,
	"timeline" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"indicators_of_attack" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"indicators_of_compromise" jsonb DEFAULT '[]'::jsonb NOT NULL,
	CONSTRAINT "investigation_revisions_incident_id_number_pk" PRIMARY KEY("incident_id","number")
);
--> statement-breakpoint
CREATE TABLE "investigation_updates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"tenant_id" uuid NOT NULL,
	"incident_id" uuid NOT NULL,
	"author_id" uuid NOT NULL,
	"body" text NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "action_cards" ALTER COLUMN "incident_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "activity" ALTER COLUMN "incident_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "action_attempts" ADD COLUMN "result" text;--> statement-breakpoint
ALTER TABLE "action_cards" ADD COLUMN "revision" smallint;--> statement-breakpoint
ALTER TABLE "action_cards" ADD COLUMN "target_account_id" uuid;--> statement-breakpoint
ALTER TABLE "action_cards" ADD COLUMN "target_email_id" uuid;--> statement-breakpoint
ALTER TABLE "action_cards" ADD COLUMN "target_indicator_id" uuid;--> statement-breakpoint
ALTER TABLE "action_cards" ADD COLUMN "parameters" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "evidence" ADD COLUMN "account_id" uuid;--> statement-breakpoint
ALTER TABLE "evidence" ADD COLUMN "email_message_id" uuid;--> statement-breakpoint
ALTER TABLE "evidence" ADD COLUMN "indicator_id" uuid;--> statement-breakpoint
ALTER TABLE "tenants" ADD COLUMN "excluded_account_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL;--> statement-breakpoint
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_messages" ADD CONSTRAINT "email_messages_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "indicators" ADD CONSTRAINT "indicators_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "investigation_revisions" ADD CONSTRAINT "investigation_revisions_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "investigation_revisions" ADD CONSTRAINT "investigation_revisions_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "investigation_revisions" ADD CONSTRAINT "investigation_revisions_published_by_id_principals_id_fk" FOREIGN KEY ("published_by_id") REFERENCES "public"."principals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "investigation_updates" ADD CONSTRAINT "investigation_updates_tenant_id_tenants_id_fk" FOREIGN KEY ("tenant_id") REFERENCES "public"."tenants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "investigation_updates" ADD CONSTRAINT "investigation_updates_incident_id_incidents_id_fk" FOREIGN KEY ("incident_id") REFERENCES "public"."incidents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "investigation_updates" ADD CONSTRAINT "investigation_updates_author_id_principals_id_fk" FOREIGN KEY ("author_id") REFERENCES "public"."principals"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_tenant_upn_uq" ON "accounts" USING btree ("tenant_id",lower("upn")) WHERE upn is not null;--> statement-breakpoint
CREATE INDEX "accounts_tenant_name_idx" ON "accounts" USING btree ("tenant_id",lower("account_name"));--> statement-breakpoint
CREATE UNIQUE INDEX "email_messages_tenant_message_uq" ON "email_messages" USING btree ("tenant_id",lower("network_message_id"),lower("recipient"));--> statement-breakpoint
CREATE UNIQUE INDEX "indicators_tenant_value_uq" ON "indicators" USING btree ("tenant_id","type","value");--> statement-breakpoint
CREATE INDEX "investigation_updates_incident_idx" ON "investigation_updates" USING btree ("incident_id","created_at","id");--> statement-breakpoint
ALTER TABLE "action_cards" ADD CONSTRAINT "action_cards_target_account_id_accounts_id_fk" FOREIGN KEY ("target_account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "action_cards" ADD CONSTRAINT "action_cards_target_email_id_email_messages_id_fk" FOREIGN KEY ("target_email_id") REFERENCES "public"."email_messages"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "action_cards" ADD CONSTRAINT "action_cards_target_indicator_id_indicators_id_fk" FOREIGN KEY ("target_indicator_id") REFERENCES "public"."indicators"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evidence" ADD CONSTRAINT "evidence_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "public"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evidence" ADD CONSTRAINT "evidence_email_message_id_email_messages_id_fk" FOREIGN KEY ("email_message_id") REFERENCES "public"."email_messages"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "evidence" ADD CONSTRAINT "evidence_indicator_id_indicators_id_fk" FOREIGN KEY ("indicator_id") REFERENCES "public"."indicators"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- Keep every published word: each existing managed response becomes revision 1 of its incident's
-- investigation record, and the cards published with it belong to that revision.
INSERT INTO "investigation_revisions" ("incident_id", "number", "tenant_id", "reason", "published_by_id", "published_at", "narrative", "impact", "severity_rationale", "timeline", "indicators_of_attack", "indicators_of_compromise")
SELECT "incident_id", 1, "tenant_id", 'PUBLISHED', "published_by_id", "published_at", "narrative", "impact", "severity_rationale", "timeline", "indicators_of_attack", "indicators_of_compromise" FROM "managed_responses";--> statement-breakpoint
UPDATE "action_cards" SET "revision" = 1 WHERE "incident_id" IN (SELECT "incident_id" FROM "managed_responses");
