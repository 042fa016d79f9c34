// A lost database connection (SPEC.md section 7: faults lose nothing and break nothing that a
// retry can safely save). After the service's backends are terminated (what a failover, a
// restart or a proxy dropping idle connections does), the next query and the next mutation
// succeed at once: a read is sent again once; a write transaction runs again once when it did not
// commit, and is not run again when it did (a connection lost during COMMIT is checked with
// pg_xact_status, never retried blindly). The LISTEN connection of the realtime hub comes back
// by itself, and what was committed while it was down still reaches the subscribers.
//
// PostgreSQL only: PGlite is embedded in this process and has no connection to lose.
import { randomUUID } from 'node:crypto';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { and, count, eq, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { isConnectionLost, isReadStatement, openDatabase, type Database, type Db } from '../src/db/client';
import { activity, comments } from '../src/db/schema';
import { createDomainContext } from '../src/domain/context';
import { addComment } from '../src/domain/incidents';
import { viewerForToken } from '../src/domain/tokens';
import { backend, startApp, type TestApp } from './helpers/app';
import { newTenant, type TenantFixture } from './helpers/factory';
import { ingest, mutate } from './helpers/response';
import { connected, subscribe, wsClient } from './helpers/ws';

const onPostgres = backend === 'postgres';
// This file's service connects under its own application_name: only its backends are terminated,
// never those of other test files (or other runs) on the same server.
const appName = `mdr_failover_${randomUUID().slice(0, 8)}`;
const defaults = loadConfig({ ...process.env, MDR_DEMO: '0' });

let database: Database;
let app: TestApp;
let admin: postgres.Sql;

beforeAll(async () => {
  if (!onPostgres) return;
  const url = new URL(process.env.DATABASE_URL!);
  url.searchParams.set('application_name', appName);
  database = await openDatabase({ databaseUrl: url.toString(), poolSize: 4 });
  await database.migrate();
  // no executor: its polling would take the connections (and the injected faults) of the tests;
  // error details: a failure here shows which statement met which lost connection
  app = await startApp(
    { execution: { ...defaults.execution, enabled: false }, security: { ...defaults.security, debugErrors: true } },
    { database },
  );
  admin = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
});
afterAll(async () => {
  await app?.close();
  await database?.close();
  await admin?.end({ timeout: 5 });
});

/** Terminate every backend of this file's service (pool and LISTEN); resolves to how many. */
async function terminateServiceBackends(): Promise<number> {
  const rows = await admin`select pg_terminate_backend(pid) as ok from pg_stat_activity
    where datname = current_database() and application_name = ${appName} and pid <> pg_backend_pid()`;
  return rows.filter((r) => r.ok).length;
}

/** The pid of the service's LISTEN connection, once it is listening. */
async function listenPid(): Promise<number | null> {
  const [row] = await admin`select pid from pg_stat_activity
    where datname = current_database() and application_name = ${appName} and query ilike 'listen %'`;
  return row ? Number(row.pid) : null;
}

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const QUEUE = `{ incidents(first: 5) { totalCount nodes { id title } } }`;

async function commentCount(incidentGid: string): Promise<number> {
  const [row] = await database.db.select({ n: count() }).from(comments).where(eq(comments.incidentId, decodeGlobalID(incidentGid).id));
  return Number(row.n);
}

async function commentEvents(incidentGid: string): Promise<number> {
  const [row] = await database.db
    .select({ n: count() })
    .from(activity)
    .where(and(eq(activity.incidentId, decodeGlobalID(incidentGid).id), eq(activity.field, 'comment')));
  return Number(row.n);
}

/** Open several pool connections, so that there are idle ones to lose. */
async function warm(t: TenantFixture) {
  await Promise.all(Array.from({ length: 8 }, () => app.gql(QUEUE, {}, t.tokens.READER)));
}

describe('what is retried', () => {
  it('reads only: a statement that writes, locks or notifies is never sent twice', () => {
    for (const read of [
      'select "incidents"."id" from "incidents" where "incidents"."tenant_id" = $1',
      'with page as (select * from incidents i order by i.updated_at desc limit $1) select json_agg(page) from page',
      '(select 1) union all (select 2)',
    ]) {
      expect(isReadStatement(read)).toBe(true);
    }
    for (const write of [
      'insert into "comments" ("body") values ($1) returning "id"',
      'update "incidents" set "version" = $1',
      'delete from activity where id <= $1',
      'with moved as (delete from queue returning *) select * from moved',
      'select * from "action_attempts" where "state" = $1 for update skip locked',
      'select pg_advisory_lock($1)',
      'select pg_notify($1, $2)',
      "select nextval('activity_id_seq')",
      'select * into backup from incidents',
    ]) {
      expect(isReadStatement(write)).toBe(false);
    }
  });

  it('a lost connection is told apart from other errors, also wrapped (drizzle)', () => {
    for (const code of ['CONNECTION_CLOSED', 'ECONNRESET', '57P01', '57P02', '08006']) {
      expect(isConnectionLost(Object.assign(new Error(code), { code }))).toBe(true);
      expect(isConnectionLost(new Error('Failed query', { cause: Object.assign(new Error(code), { code }) }))).toBe(true);
    }
    for (const code of ['23505', '40001', '57014', 'CONNECTION_ENDED', undefined]) {
      expect(isConnectionLost(Object.assign(new Error(String(code)), { code }))).toBe(false);
    }
  });
});

describe.skipIf(!onPostgres)('a lost database connection (PostgreSQL only: PGlite has no connection to lose)', () => {
  it('after all its backends are terminated, the next query and mutation succeed, and the mutation is written once', async () => {
    const t = await newTenant(app);
    const inc = await ingest(app, t, { title: 'before the failover' });
    for (let round = 0; round < 3; round++) {
      await warm(t);
      expect(await terminateServiceBackends()).toBeGreaterThanOrEqual(2);
      const queries = await Promise.all(Array.from({ length: 4 }, () => app.gql<any, any>(QUEUE, {}, t.tokens.READER)));
      for (const q of queries) {
        expect(q.errors).toBeUndefined();
        expect(q.data.incidents.nodes.map((n: { title: string }) => n.title)).toEqual(['before the failover']);
      }

      await warm(t);
      expect(await terminateServiceBackends()).toBeGreaterThanOrEqual(2);
      const r = await mutate(app, t.tokens.OPERATOR, 'addComment', { incidentId: inc.id, body: `after failover ${round}` }, 'incident { id }');
      expect(r.errors).toBeUndefined();
      expect(r.data.addComment.errors).toEqual([]);
      expect(await commentCount(inc.id)).toBe(round + 1);
      expect(await commentEvents(inc.id)).toBe(round + 1);
    }
  });

  describe('a write transaction whose connection is lost', () => {
    const lost = () => Object.assign(new Error('write CONNECTION_CLOSED 127.0.0.1:5432'), { code: 'CONNECTION_CLOSED' });

    /** The next transaction of the service goes through `wrap` (a fault), later ones do not. */
    function injectOnce(wrap: (original: Db['transaction'], ...args: Parameters<Db['transaction']>) => Promise<unknown>) {
      const db = database.db;
      const original = db.transaction.bind(db);
      db.transaction = ((...args: Parameters<Db['transaction']>) => {
        delete (db as Partial<Db>).transaction; // the prototype's again
        return wrap(original, ...args);
      }) as Db['transaction'];
    }

    async function commentOnce(t: TenantFixture, incidentGid: string, body: string) {
      const r = await mutate(app, t.tokens.OPERATOR, 'addComment', { incidentId: incidentGid, body }, 'incident { id }');
      expect(r.errors).toBeUndefined();
      expect(r.data.addComment.errors).toEqual([]);
    }

    it('before COMMIT (its backend terminated mid-transaction): it runs again, once, and the process survives', async () => {
      const t = await newTenant(app);
      const inc = await ingest(app, t);
      // the first attempt's backend dies after every write of the transaction, before COMMIT
      let attempts = 0;
      const ctx = createDomainContext(database, (await viewerForToken(database.db, t.tokens.OPERATOR))!, {
        events: {
          inTransaction: async (tx, rows) => {
            attempts += 1;
            if (attempts === 1) await tx.execute(sql`select pg_terminate_backend(pg_backend_pid())`);
            await app.server.hub.inTransaction(tx, rows);
          },
          committed: () => {},
        },
      });
      await addComment(ctx, { incidentId: decodeGlobalID(inc.id).id, body: 'cut before commit' });
      expect(attempts).toBe(2);
      expect(await commentCount(inc.id)).toBe(1);
      expect(await commentEvents(inc.id)).toBe(1);
      // the service is fine afterwards
      expect((await app.gql<any, any>(QUEUE, {}, t.tokens.READER)).errors).toBeUndefined();
    });

    it('during COMMIT, and it did commit: not run again, the mutation succeeds', async () => {
      const t = await newTenant(app);
      const inc = await ingest(app, t);
      injectOnce(async (original, fn, config) => {
        await original(fn, config); // committed, but the client never heard back
        throw lost();
      });
      await commentOnce(t, inc.id, 'committed, answer lost');
      expect(await commentCount(inc.id)).toBe(1);
      expect(await commentEvents(inc.id)).toBe(1);
    });

    it('during COMMIT, and it did not commit: run again, once', async () => {
      const t = await newTenant(app);
      const inc = await ingest(app, t);
      const rollback = new Error('rolled back by the test');
      injectOnce(async (original, fn, config) => {
        await original(async (tx) => {
          await fn(tx);
          throw rollback; // everything was sent but COMMIT: the server rolls back
        }, config).catch((err) => {
          if (err !== rollback) throw err;
        });
        throw lost();
      });
      await commentOnce(t, inc.id, 'aborted, answer lost');
      expect(await commentCount(inc.id)).toBe(1);
      expect(await commentEvents(inc.id)).toBe(1);
    });
  });

  it('a subscription keeps receiving events after its LISTEN backend was terminated, also those committed meanwhile', async () => {
    const t = await newTenant(app);
    const x = await ingest(app, t, { title: 'x' });
    const y = await ingest(app, t, { title: 'y' });
    const client = wsClient(app.url, t.tokens.READER);
    const sub = subscribe(client, `subscription { incidentChanged { eventId incident { title } activity { field to } } }`);
    await connected(client);
    await until('the subscription at the hub', async () => app.server.hub.size > 0);
    const before = await until('the LISTEN connection', listenPid);

    // A comment on x commits just after the LISTEN backend was terminated (in its transaction,
    // right before COMMIT): its notice reaches nobody.
    const expert = (await viewerForToken(database.db, t.tokens.EXPERT))!;
    const hub = app.server.hub;
    const ctx = createDomainContext(database, expert, {
      events: {
        inTransaction: async (tx, rows) => {
          await tx.execute(sql`select pg_terminate_backend(pid) from pg_stat_activity
            where datname = current_database() and application_name = ${appName} and query ilike 'listen %'`);
          await hub.inTransaction(tx, rows);
        },
        committed: () => {},
      },
    });
    await addComment(ctx, { incidentId: decodeGlobalID(x.id).id, body: 'while nobody listened' });
    const after = await until('a new LISTEN connection', async () => {
      const pid = await listenPid();
      return pid !== null && pid !== before ? pid : null;
    });
    expect(after).not.toBe(before);

    // a change of another incident, through the API, after the LISTEN is back
    const r = await mutate(app, t.tokens.OPERATOR, 'updateIncident', { incidentId: y.id, severity: 'HIGH' }, 'incident { id }');
    expect(r.data.updateIncident.errors).toEqual([]);
    const events = await sub.waitFor(2);
    await until('the last event', async () => sub.events.some((e) => e.incidentChanged.incident.title === 'y'));
    const seen = sub.events.map((e) => `${e.incidentChanged.incident.title}:${e.incidentChanged.activity.field}`);
    expect(seen).toEqual(['x:COMMENT', 'y:SEVERITY']);
    expect(events.length).toBe(2);
    client.dispose();
  });
});
