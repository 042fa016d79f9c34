ALTER TABLE "action_attempts" ADD COLUMN "retries" smallint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "action_attempts" ADD COLUMN "last_error" text;