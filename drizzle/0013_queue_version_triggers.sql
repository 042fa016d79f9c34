-- The queue page cache's validator, kept by the database itself (src/domain/queue-cache.ts).
--
-- Every statement that inserts, updates or deletes rows of incidents, alerts, evidence or devices
-- notes their tenants as rows (transaction id, tenant) of queue_dirty_marks (once per transaction
-- and tenant: a transaction-local setting remembers which it noted). The first note of a
-- transaction queues a deferred constraint trigger, which runs at commit: it takes the
-- transaction's notes and sets each noted tenant's queue_versions.version to one random uuid,
-- in one upsert in tenant order. So:
-- - the version changes atomically with the data, from any code path, the CLI or plain SQL;
-- - version rows are locked at commit only (writers of one tenant are not serialised for longer
--   than the event-order lock already serialises them), and in one sorted statement (no
--   lock-order deadlock between transactions);
-- - a savepoint rolled back takes its notes with it; SET CONSTRAINTS ... IMMEDIATE only makes the
--   bump happen after each statement instead of at commit;
-- - a version never comes back: it is random, not a transaction id (ids of commits lost in a
--   failover or a point-in-time restore are handed out again).
-- A TRUNCATE of any of the tables notes every tenant. A new tenant gets its row when it is created;
-- a tenant without a row (queue_versions emptied by hand) is never cached.
--
-- What bypasses it: session_replication_role = replica (pg_restore --disable-triggers, logical
-- replication apply), ALTER TABLE ... DISABLE TRIGGER, and DDL that changes how stored values read
-- (ALTER ... TYPE ... USING, ALTER TYPE ... RENAME VALUE on an enum these tables use). A migration
-- that does such a thing ends with `UPDATE queue_versions SET version = gen_random_uuid();`, and
-- after a restore or replication into a database that servers are reading, so does the operator.
--
-- The functions run as their owner (SECURITY DEFINER), so a role allowed to write the four tables
-- needs no rights on the two tables they keep; they name those tables with their schema (no
-- search_path can point them elsewhere; a SET search_path clause would also undo the
-- transaction-local hint they set). Built-in functions resolve in pg_catalog first.
CREATE UNLOGGED TABLE "queue_dirty_marks" (
	"txid" bigint NOT NULL,
	"tenant_id" uuid NOT NULL,
	PRIMARY KEY ("txid", "tenant_id")
);
--> statement-breakpoint
CREATE FUNCTION queue_note_tenants() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
  tx text := txid_current()::text;
  -- a hint of the tenants this transaction has noted already ('<txid>:<tenant>,…'), so that its
  -- later statements skip the insert; only a hint: anything that clears it (RESET ALL, a session
  -- value, a stale value of another transaction) only means an insert that finds its row there
  hint text := coalesce(current_setting('mdr.queue_noted', true), '');
  known text := CASE WHEN split_part(hint, ':', 1) = tx THEN hint ELSE tx || ':' END;
  fresh uuid[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(DISTINCT tenant_id) INTO fresh FROM queue_new_rows WHERE position(tenant_id::text IN known) = 0;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(DISTINCT tenant_id) INTO fresh FROM queue_old_rows WHERE position(tenant_id::text IN known) = 0;
  ELSE
    SELECT array_agg(DISTINCT t) INTO fresh FROM (
      SELECT tenant_id AS t FROM queue_new_rows UNION SELECT tenant_id FROM queue_old_rows
    ) x WHERE position(t::text IN known) = 0;
  END IF;
  IF fresh IS NOT NULL THEN
    -- the hint first: a bump that runs during the insert (SET CONSTRAINTS ... IMMEDIATE) clears it
    PERFORM set_config('mdr.queue_noted', known || array_to_string(fresh, ',') || ',', true);
    INSERT INTO public.queue_dirty_marks (txid, tenant_id) SELECT tx::bigint, unnest(fresh) ON CONFLICT DO NOTHING;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION queue_truncated() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  INSERT INTO public.queue_dirty_marks (txid, tenant_id) SELECT txid_current(), tenant_id FROM public.queue_versions ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION queue_bump_versions() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  -- the first note of the transaction to fire takes them all; the others then find none
  WITH noted AS (DELETE FROM public.queue_dirty_marks WHERE txid = NEW.txid RETURNING tenant_id)
  INSERT INTO public.queue_versions (tenant_id, version)
    SELECT tenant_id, gen_random_uuid() FROM noted ORDER BY tenant_id
    ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version;
  PERFORM set_config('mdr.queue_noted', '', true);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER queue_bump_versions AFTER INSERT ON queue_dirty_marks
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION queue_bump_versions();
--> statement-breakpoint
CREATE FUNCTION queue_tenant_created() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  INSERT INTO public.queue_versions (tenant_id, version) SELECT id, gen_random_uuid() FROM queue_new_rows
    ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER queue_tenant_created AFTER INSERT ON tenants REFERENCING NEW TABLE AS queue_new_rows FOR EACH STATEMENT EXECUTE FUNCTION queue_tenant_created();
--> statement-breakpoint
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['incidents', 'alerts', 'evidence', 'devices'] LOOP
    EXECUTE format('CREATE TRIGGER queue_insert AFTER INSERT ON %I REFERENCING NEW TABLE AS queue_new_rows FOR EACH STATEMENT EXECUTE FUNCTION queue_note_tenants()', t);
    EXECUTE format('CREATE TRIGGER queue_update AFTER UPDATE ON %I REFERENCING OLD TABLE AS queue_old_rows NEW TABLE AS queue_new_rows FOR EACH STATEMENT EXECUTE FUNCTION queue_note_tenants()', t);
    EXECUTE format('CREATE TRIGGER queue_delete AFTER DELETE ON %I REFERENCING OLD TABLE AS queue_old_rows FOR EACH STATEMENT EXECUTE FUNCTION queue_note_tenants()', t);
    EXECUTE format('CREATE TRIGGER queue_truncate AFTER TRUNCATE ON %I FOR EACH STATEMENT EXECUTE FUNCTION queue_truncated()', t);
  END LOOP;
END $$;
--> statement-breakpoint
INSERT INTO queue_versions (tenant_id, version) SELECT id, gen_random_uuid() FROM tenants ON CONFLICT (tenant_id) DO NOTHING;
