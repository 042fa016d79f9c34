-- The queue page cache's validator, kept by the database itself (src/domain/queue-cache.ts).
--
-- Every statement that inserts, updates or deletes rows of incidents, alerts, evidence or devices
-- notes their tenants in a transaction-local setting (mdr.queue_dirty); the first one of a
-- transaction also inserts a marker row, whose deferred constraint trigger runs at commit and sets
-- each noted tenant's queue_versions.version to the committing transaction's id. The version row
-- is thus written at commit time only: writers of one tenant are not serialised for longer than
-- the event-order lock already serialises them, and a transaction takes its version rows in one
-- sorted statement (no lock-order deadlock). A savepoint rolled back takes its notes with it
-- (settings and the marker are transactional). A TRUNCATE of any of the tables changes every
-- tenant's version; a new tenant gets its row when it is created, so a tenant without a row
-- (a truncated queue_versions) is simply not cached.
CREATE UNLOGGED TABLE "queue_dirty_marks" ("txid" bigint NOT NULL);
--> statement-breakpoint
CREATE FUNCTION queue_note_tenants() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  dirty text := coalesce(current_setting('mdr.queue_dirty', true), '');
  fresh text;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT string_agg(t, ',') INTO fresh FROM (SELECT DISTINCT tenant_id::text AS t FROM queue_new_rows) x WHERE position(t IN dirty) = 0;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT string_agg(t, ',') INTO fresh FROM (SELECT DISTINCT tenant_id::text AS t FROM queue_old_rows) x WHERE position(t IN dirty) = 0;
  ELSE
    SELECT string_agg(t, ',') INTO fresh FROM (
      SELECT tenant_id::text AS t FROM queue_new_rows UNION SELECT tenant_id::text FROM queue_old_rows
    ) x WHERE position(t IN dirty) = 0;
  END IF;
  IF fresh IS NOT NULL THEN
    IF dirty = '' THEN
      INSERT INTO queue_dirty_marks (txid) VALUES (txid_current());
    END IF;
    PERFORM set_config('mdr.queue_dirty', dirty || fresh || ',', true);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION queue_bump_versions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  dirty text := coalesce(current_setting('mdr.queue_dirty', true), '');
BEGIN
  IF dirty <> '' THEN
    INSERT INTO queue_versions (tenant_id, version)
      SELECT t::uuid, txid_current() FROM (SELECT DISTINCT unnest(string_to_array(rtrim(dirty, ','), ',')) AS t) x ORDER BY t
      ON CONFLICT (tenant_id) DO UPDATE SET version = excluded.version;
    PERFORM set_config('mdr.queue_dirty', '', true);
  END IF;
  DELETE FROM queue_dirty_marks WHERE txid = NEW.txid;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER queue_bump_versions AFTER INSERT ON queue_dirty_marks
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION queue_bump_versions();
--> statement-breakpoint
CREATE FUNCTION queue_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE queue_versions SET version = txid_current();
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION queue_tenant_created() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO queue_versions (tenant_id, version) SELECT id, txid_current() FROM queue_new_rows
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
INSERT INTO queue_versions (tenant_id, version) SELECT id, txid_current() FROM tenants ON CONFLICT (tenant_id) DO NOTHING;
