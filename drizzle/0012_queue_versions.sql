CREATE TABLE "queue_versions" (
	"tenant_id" uuid PRIMARY KEY NOT NULL,
	"version" uuid NOT NULL
);
