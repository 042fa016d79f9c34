// Durability: "a kill -9 in the middle of writes loses nothing committed and the next start works".
// The real service (src/main.ts) runs as a child process on an embedded PGlite DATA_DIR and, when
// the suite runs on PostgreSQL, on a fresh PostgreSQL database. Ingest mutations stream in from
// several clients; every one acknowledged with `created: true` is recorded; the process is
// SIGKILLed mid-stream, restarted on the same data, and every acknowledged incident must be there.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/client';
import { createTenant, principalWithToken } from '../src/domain/admin';
import { backend } from './helpers/app';
import { freshPostgresDatabase, startService, gql } from './helpers/service';

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});



const Ingest = /* GraphQL */ `
  mutation CrashIngest($input: IngestIncidentInput!) {
    ingestIncident(input: $input) { created incident { number title } errors { code message } }
  }
`;
const Incidents = /* GraphQL */ `
  query CrashIncidents($after: String) {
    incidents(first: 100, after: $after, orderBy: { field: CREATED, direction: ASC }) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes { number title externalId }
    }
  }
`;

const input = (key: string) => ({
  externalId: key,
  title: `crash ${key}`,
  severity: 'HIGH',
  alerts: [
    {
      externalId: `${key}-a1`,
      title: 'Suspicious process',
      severity: 'HIGH',
      evidence: [{ device: { deviceName: `CRASH-${key.slice(-4)}`, deviceGroup: 'Servers' } }, { ip: { address: '203.0.113.9' } }],
    },
  ],
});

async function allIncidents(url: string, token: string) {
  const nodes: { number: number; title: string; externalId: string }[] = [];
  let after: string | null = null;
  let totalCount = 0;
  for (;;) {
    const r = await gql(url, Incidents, { after }, token);
    expect(r.errors).toBeUndefined();
    totalCount = r.data.incidents.totalCount;
    nodes.push(...r.data.incidents.nodes);
    if (!r.data.incidents.pageInfo.hasNextPage) break;
    after = r.data.incidents.pageInfo.endCursor;
  }
  return { totalCount, nodes };
}

async function crashAndRestart(env: NodeJS.ProcessEnv, open: () => ReturnType<typeof openDatabase>) {
  // A tenant and its tokens, written directly (and the database closed again: PGlite is one process).
  const setup = await open();
  await setup.migrate();
  const tenant = await createTenant(setup.db, { slug: `crash-${randomUUID().slice(0, 8)}`, name: 'Crash test' });
  const integration = (await principalWithToken(setup.db, { tenantId: tenant.id, role: 'INTEGRATION', name: 'Connector' })).token;
  const reader = (await principalWithToken(setup.db, { tenantId: tenant.id, role: 'READER', name: 'Reader' })).token;
  await setup.close();

  const first = await startService(env, cleanups);
  const acknowledged = new Map<string, number>(); // externalId → incident number
  const sent = new Set<string>();
  let killed = false;
  let failures = 0;
  const worker = async (w: number) => {
    for (let i = 0; !killed; i++) {
      const key = `w${w}-${i}-${randomUUID().slice(0, 8)}`;
      sent.add(key);
      try {
        const r = await gql(first.url, Ingest, { input: input(key) }, integration);
        expect(r.errors).toBeUndefined();
        expect(r.data.ingestIncident.errors).toEqual([]);
        if (r.data.ingestIncident.created === true) acknowledged.set(key, r.data.ingestIncident.incident.number);
      } catch (err) {
        if (!killed) throw err;
        failures += 1; // in flight when the process died: may or may not have committed
      }
    }
  };
  const workerErrors: unknown[] = [];
  const workers = [0, 1, 2, 3].map((w) => worker(w).catch((err: unknown) => void workerErrors.push(err)));
  // Let writes stream for a while, then kill -9 with requests in flight.
  const deadline = Date.now() + 30_000;
  try {
    while (acknowledged.size < 40 && workerErrors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  } finally {
    first.child.kill('SIGKILL');
    killed = true;
  }
  await Promise.all(workers);
  if (workerErrors.length) throw workerErrors[0];
  expect(acknowledged.size).toBeGreaterThanOrEqual(40);
  expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });

  // The next start works on the same data, and everything acknowledged is there, exactly once.
  const second = await startService(env, cleanups);
  const before = await allIncidents(second.url, reader);
  const titles = new Map(before.nodes.map((n) => [n.externalId, n]));
  const lost = [...acknowledged.keys()].filter((k) => !titles.has(k));
  expect(lost).toEqual([]);
  for (const [key, number] of acknowledged) expect(titles.get(key)).toEqual({ number, title: `crash ${key}`, externalId: key });
  expect(before.totalCount).toBe(before.nodes.length);
  expect(before.totalCount).toBeGreaterThanOrEqual(acknowledged.size);
  expect(before.totalCount).toBeLessThanOrEqual(sent.size); // nothing invented, nothing doubled
  expect(new Set(before.nodes.map((n) => n.number)).size).toBe(before.nodes.length);
  expect(before.nodes.every((n) => sent.has(n.externalId))).toBe(true);

  // New writes work, and an acknowledged one re-sent is recognised (idempotent across the crash).
  const fresh = await gql(second.url, Ingest, { input: input(`after-${randomUUID().slice(0, 8)}`) }, integration);
  expect(fresh.errors).toBeUndefined();
  expect(fresh.data.ingestIncident).toMatchObject({ created: true, errors: [] });
  expect(fresh.data.ingestIncident.incident.number).toBe(Math.max(...before.nodes.map((n) => n.number)) + 1);
  const [oneKey, oneNumber] = [...acknowledged][0];
  const resent = await gql(second.url, Ingest, { input: input(oneKey) }, integration);
  expect(resent.data.ingestIncident).toMatchObject({ created: false, incident: { number: oneNumber } });
  expect((await allIncidents(second.url, reader)).totalCount).toBe(before.totalCount + 1);

  // SIGTERM: a clean exit with code 0, promptly.
  const t0 = Date.now();
  second.child.kill('SIGTERM');
  expect(await second.exited).toEqual({ code: 0, signal: null });
  expect(Date.now() - t0).toBeLessThan(5_000);

  // And the data is still there when read directly from the database after the clean stop.
  const check = await open();
  const [row] = await check.query<{ n: number }>('select count(*)::int as n from incidents where tenant_id = $1', [tenant.id]);
  await check.close();
  expect(row.n).toBe(before.totalCount + 1);
  return { acknowledged: acknowledged.size, failures };
}

describe('kill -9 in the middle of writes', () => {
  // Each backend in its own run of the suite (TEST_DB=pglite / DATABASE_URL), like every other test.
  it.skipIf(backend !== 'pglite')(
    'embedded PGlite: loses nothing acknowledged, restarts, then stops cleanly on SIGTERM',
    { timeout: 240_000 },
    async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdr-crash-test-'));
      cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
      const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, MDR_DEMO: '0' };
      delete env.DATABASE_URL;
      await crashAndRestart(env, () => openDatabase({ dataDir }));
    },
  );

  it.skipIf(backend !== 'postgres')(
    'PostgreSQL: loses nothing acknowledged, restarts, then stops cleanly on SIGTERM',
    { timeout: 240_000 },
    async () => {
      const url = new URL(await freshPostgresDatabase('mdr_crash', cleanups));
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdr-crash-test-'));
      cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
      const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: url.toString(), DATA_DIR: dataDir, MDR_DEMO: '0' };
      await crashAndRestart(env, () => openDatabase({ databaseUrl: url.toString(), poolSize: 2 }));
    },
  );
});
