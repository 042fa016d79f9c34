// DATABASE_PREPARE=0 is for PgBouncer in transaction mode, where a statement prepared on one
// server connection is gone (or another one's) at the next transaction: then nothing may be
// prepared, not the statements drizzle builds, nor the fixed ones of ingestion and the queue's
// loaders that ask for it by name, in a transaction or not. One pool connection, so that
// pg_prepared_statements (per session) shows everything the service left on it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/client';
import { backend, startApp, type TestApp } from './helpers/app';
import { incidentInput, newTenant } from './helpers/factory';
import { IngestMutation, NestedQueueQuery } from './ops';

describe.skipIf(backend !== 'postgres')('DATABASE_PREPARE', () => {
  const opened: { app: TestApp; database: Database }[] = [];
  const start = async (prepare: boolean) => {
    const database = await openDatabase({ databaseUrl: process.env.DATABASE_URL, poolSize: 1, prepare });
    const app = await startApp({ databasePrepare: prepare }, { database });
    opened.push({ app, database });
    return { app, database };
  };
  afterAll(async () => {
    for (const { app, database } of opened) {
      await app.close();
      await database.close();
    }
  });

  const work = async (app: TestApp) => {
    const t = await newTenant(app);
    for (let i = 0; i < 3; i++) {
      const r = await app.gql(IngestMutation, { input: incidentInput() }, t.tokens.INTEGRATION);
      expect(r.data?.ingestIncident.errors).toEqual([]);
    }
    const again = await app.gql(IngestMutation, { input: incidentInput() }, t.tokens.INTEGRATION);
    expect(again.data?.ingestIncident.errors).toEqual([]);
    const q = await app.gql(NestedQueueQuery, { first: 10 }, t.tokens.READER);
    expect(q.errors).toBeUndefined();
    return q;
  };
  const prepared = async (database: Database) =>
    (await database.query<{ name: string; statement: string }>('select name, statement from pg_prepared_statements')).map((r) => r.statement.slice(0, 60));

  let off: Awaited<ReturnType<typeof work>>;
  beforeAll(async () => {
    const { app } = await start(false);
    off = await work(app);
  });

  it('=0: ingestion, the queue and its loaders leave no prepared statement on the connection', async () => {
    expect(await prepared(opened[0].database)).toEqual([]);
  });

  it('=1 (the default) prepares them, and both answer the same', async () => {
    const { app, database } = await start(true);
    const on = await work(app);
    expect((await prepared(database)).length).toBeGreaterThan(3);
    expect(on.data?.incidents.nodes.length).toBe(off.data?.incidents.nodes.length);
  });
});
