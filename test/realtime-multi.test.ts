// Subscriptions across server processes: two `src/main.ts` processes on one PostgreSQL database,
// fanned out through LISTEN/NOTIFY (the default) and through Redis. A subscriber on one process
// receives what the other commits; a client whose server dies resumes on the other with `after`
// and gets the missed events, then the live ones, without gaps or duplicates.
//
// PostgreSQL only: the embedded PGlite database lives inside one process and cannot be shared by
// two server processes, so without DATABASE_URL (or with TEST_DB=pglite) the file is skipped.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { decodeGlobalID } from '@pothos/plugin-relay';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/client';
import { createTenant, principalWithToken } from '../src/domain/admin';
import { createDomainContext, type EventSink } from '../src/domain/context';
import { updateIncident } from '../src/domain/incidents';
import { viewerForToken } from '../src/domain/tokens';
import { EventHub } from '../src/events/hub';
import { createLogger } from '../src/log';
import { incidentInput } from './helpers/factory';
import { connected, subscribe, wsClient, type Collected } from './helpers/ws';
import { MAIN_ARGS } from './helpers/service';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const serverUrl = process.env.DATABASE_URL;
const shared = !!serverUrl && process.env.TEST_DB !== 'pglite';
const REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';

const INCIDENT_CHANGED = `subscription($after: ID) { incidentChanged(after: $after) {
  eventId incident { id title tags } activity { field from to } } }`;

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- the database of this file ------------------------------------------------------------------

let dbName = '';
let dbUrl = '';
let database: Database;
const children = new Set<ChildProcess>();

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** The shared server may be out of connections for a moment (other test runs): retry that. */
async function retryBusy<T>(fn: () => Promise<T>, attempts = 20): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !/too many clients/i.test(String((err as Error)?.message ?? err))) throw err;
      await new Promise((r) => setTimeout(r, 500 + Math.random() * 1_000));
    }
  }
}

async function admin<T>(fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  return retryBusy(async () => {
    const sql = postgres(withDatabase(serverUrl!, 'postgres'), { max: 1, onnotice: () => {} });
    try {
      return await fn(sql);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });
}

// ---- server processes ---------------------------------------------------------------------------

interface Proc {
  url: string;
  child: ChildProcess;
  output: string[];
}

/** The service (test/helpers/service.ts MAIN_ARGS) on this file's database; resolves once it logs "listening". */
function startServer(extraEnv: Record<string, string | undefined>): Promise<Proc> {
  return retryBusy(() => spawnServer(extraEnv), 10);
}

function spawnServer(extraEnv: Record<string, string | undefined>): Promise<Proc> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: dbUrl,
    DATABASE_POOL_SIZE: '3',
    PORT: '0',
    HOST: '127.0.0.1',
    MDR_DEMO: '0',
    LOG_LEVEL: 'info',
    EXECUTOR_POLL_MS: '100',
    REDIS_URL: undefined,
    ...extraEnv,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const child = spawn(process.execPath, MAIN_ARGS, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const output: string[] = [];
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 30 s:\n${output.join('')}`)), 30_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? signal}) before listening:\n${output.join('')}`));
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      output.push(line);
      if (!line.startsWith('{')) return;
      try {
        const msg = JSON.parse(line) as { msg?: string; url?: string };
        if (msg.msg === 'listening' && msg.url) {
          clearTimeout(timer);
          resolve({ url: msg.url, child, output });
        }
      } catch {
        /* not a log line */
      }
    });
  });
}

function kill(p: Proc, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    p.child.once('exit', () => resolve());
    p.child.kill(signal);
  });
}

/** Subscribers registered at the process's event hub (GET /metrics, mdr_event_hub_subscribers). */
async function hubSubscribers(p: Proc): Promise<number> {
  const res = await fetch(p.url.replace(/\/graphql$/, '/metrics'));
  const m = /^mdr_event_hub_subscribers (\d+)$/m.exec(await res.text());
  if (!m) throw new Error('no mdr_event_hub_subscribers in /metrics');
  return Number(m[1]);
}

/** Subscribe on `p` once its hub has no subscriber left (the earlier tests'), and return once this one is registered: events committed from then on reach it. */
async function liveSubscription(p: Proc, client: ReturnType<typeof wsClient>, variables: Record<string, unknown> = {}): Promise<Collected> {
  await hubSubscribersAre(p, 0);
  const sub = subscribe(client, INCIDENT_CHANGED, variables);
  await connected(client);
  await hubSubscribersAre(p, 1);
  return sub;
}

async function hubSubscribersAre(p: Proc, n: number, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last = await hubSubscribers(p);
  while (last !== n) {
    if (Date.now() > end) throw new Error(`the hub has ${last} subscribers, not ${n}, after ${timeoutMs} ms`);
    await settle(20);
    last = await hubSubscribers(p);
  }
}

async function gql<T = any>(url: string, token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown };
  if (body.errors || !body.data) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function ingest(url: string, token: string, title: string): Promise<string> {
  const d = await gql(url, token, `mutation($input: IngestIncidentInput!) { ingestIncident(input: $input) { incident { id } errors { message } } }`, {
    input: incidentInput({ title }),
  });
  expect(d.ingestIncident.errors).toEqual([]);
  return d.ingestIncident.incident.id as string;
}

async function tag(url: string, token: string, incidentId: string, tags: string[]): Promise<void> {
  const d = await gql(url, token, `mutation($input: UpdateIncidentInput!) { updateIncident(input: $input) { errors { message } } }`, {
    input: { incidentId, tags },
  });
  expect(d.updateIncident.errors).toEqual([]);
}

interface Fixture {
  tenantId: string;
  reader: string;
  operator: string;
  integration: string;
}

async function newTenant(): Promise<Fixture> {
  const slug = `rtm-${randomUUID().slice(0, 12)}`;
  const tenant = await createTenant(database.db, { slug, name: `Tenant ${slug}` });
  const token = async (role: 'READER' | 'OPERATOR' | 'INTEGRATION') =>
    (await principalWithToken(database.db, { tenantId: tenant.id, role, name: `${role} of ${slug}` })).token;
  return { tenantId: tenant.id, reader: await token('READER'), operator: await token('OPERATOR'), integration: await token('INTEGRATION') };
}

/** Activity ids of a tenant after `after`, from the log itself: what a subscriber must receive. */
async function activityIds(tenantId: string, after: number): Promise<number[]> {
  const rows = await database.query<{ id: string }>('select id from activity where tenant_id = $1 and id > $2 order by id', [tenantId, after]);
  return rows.map((r) => Number(r.id));
}

const ids = (c: Collected) => c.events.map((e) => Number(e.incidentChanged.eventId));
const tagsOf = (c: Collected) => c.events.map((e) => e.incidentChanged.activity.to as string);

// ---- the tests ------------------------------------------------------------------------------------

describe.skipIf(!shared)('two server processes on one PostgreSQL database (skipped without DATABASE_URL: PGlite is embedded in one process and cannot be shared by two)', () => {
  beforeAll(async () => {
    dbName = `mdr_rtmulti_${Date.now()}_${process.pid}`;
    await admin((sql) => sql.unsafe(`create database ${dbName}`));
    dbUrl = withDatabase(serverUrl!, dbName);
    database = await openDatabase({ databaseUrl: dbUrl, poolSize: 2 });
    await retryBusy(() => database.migrate());
  });

  afterAll(async () => {
    await Promise.all([...children].map((child) => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    })));
    await database?.close();
    if (dbName) await admin((sql) => sql.unsafe(`drop database if exists ${dbName} with (force)`));
  });

  describe.each([
    { transport: 'PostgreSQL LISTEN/NOTIFY', redisUrl: undefined },
    { transport: 'Redis pub/sub', redisUrl: REDIS_URL },
  ])('fan-out through $transport', ({ redisUrl }) => {
    let a: Proc;
    let b: Proc;
    beforeAll(async () => {
      [a, b] = await Promise.all([startServer({ REDIS_URL: redisUrl }), startServer({ REDIS_URL: redisUrl })]);
    });
    afterAll(async () => {
      await Promise.all([a, b].filter(Boolean).map((p) => kill(p)));
    });

    it('a subscriber on one process receives what the other commits, in order', async () => {
      const t = await newTenant();
      const client = wsClient(a.url, t.reader);
      const sub = await liveSubscription(a, client);
      const id = await ingest(b.url, t.integration, 'made on B');
      await tag(b.url, t.operator, id, ['one']);
      await tag(b.url, t.operator, id, ['two']);
      await sub.waitFor(3);
      expect(sub.events.map((e) => e.incidentChanged.activity.field)).toEqual(['STATUS', 'TAGS', 'TAGS']);
      expect(sub.events[0].incidentChanged.incident).toMatchObject({ id, title: 'made on B' });
      expect(tagsOf(sub).slice(1)).toEqual(['one', 'two']);
      expect(ids(sub)).toEqual(await activityIds(t.tenantId, 0));
      await settle(300);
      expect(sub.events).toHaveLength(3);
      client.dispose();
    });

    // Activity ids follow commit order (an advisory lock from the log write to the commit), and
    // NOTIFY is delivered in commit order; a Redis notice is published by the writing process after
    // its commit, so notices from two processes can reach a third out of order.
    it.runIf(redisUrl)('delivers events whose notices arrive out of commit order (other incidents)', async () => {
      const t = await newTenant();
      const x = await ingest(a.url, t.integration, 'X');
      const y = await ingest(a.url, t.integration, 'Y');
      const client = wsClient(b.url, t.reader);
      const sub = await liveSubscription(b, client);

      // a third writer (this process) commits first and publishes late
      const hub = new EventHub(database, createLogger('silent'), { redisUrl });
      await hub.start();
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const late: EventSink = {
        inTransaction: (tx, rows) => hub.inTransaction(tx, rows),
        committed: (rows) => void gate.then(() => hub.committed(rows)),
      };
      try {
        const viewer = (await viewerForToken(database.db, t.operator))!;
        await updateIncident(createDomainContext(database, viewer, { events: late }), { incidentId: decodeGlobalID(x).id, tags: ['x-first'] });
        await tag(a.url, t.operator, y, ['y-second']); // commits later, with a higher id, notice first
        await sub.waitFor(1);
        release();
        await sub.waitFor(2);
        await settle(300);
        expect(tagsOf(sub)).toEqual(['y-second', 'x-first']);
        const [second, first] = ids(sub);
        expect(first).toBeLessThan(second);
        expect(sub.events).toHaveLength(2);
      } finally {
        release();
        client.dispose();
        await hub.stop();
      }
    });

    it('no lost events: a client whose server is killed resumes on the other with `after`', async () => {
      const t = await newTenant();
      const inc = await ingest(a.url, t.integration, 'resume me');
      const base = Math.max(0, ...(await activityIds(t.tenantId, 0)));

      const onB = wsClient(b.url, t.reader);
      const first = await liveSubscription(b, onB);
      await tag(a.url, t.operator, inc, ['seen-1']);
      await tag(a.url, t.operator, inc, ['seen-2']);
      await first.waitFor(2);
      const lastSeen = Number(first.events[1].incidentChanged.eventId);
      expect(tagsOf(first)).toEqual(['seen-1', 'seen-2']);

      await kill(b); // SIGKILL: no goodbye to the client, no clean shutdown
      onB.dispose();

      // missed while disconnected
      for (const t2 of ['missed-1', 'missed-2', 'missed-3']) await tag(a.url, t.operator, inc, [t2]);

      const onA = wsClient(a.url, t.reader);
      const resumed = subscribe(onA, INCIDENT_CHANGED, { after: String(lastSeen) });
      await connected(onA);
      await resumed.waitFor(3);
      // live, after the replay
      for (const t2 of ['live-1', 'live-2']) await tag(a.url, t.operator, inc, [t2]);
      await resumed.waitFor(5);
      await settle(300);

      expect(tagsOf(resumed)).toEqual(['missed-1', 'missed-2', 'missed-3', 'live-1', 'live-2']);
      const got = ids(resumed);
      expect(new Set(got).size).toBe(got.length);
      expect(got).toEqual(await activityIds(t.tenantId, lastSeen)); // every later entry, in order
      expect([...ids(first), ...got]).toEqual(await activityIds(t.tenantId, base));
      onA.dispose();
    });
  });
});
