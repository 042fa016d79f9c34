// npm run bench:bulk: what a bulk saves. The same 100 incident changes made by one
// bulkUpdateIncidents (bulkClassifyIncidents) request, and by 100 single updateIncident
// (classifyIncident) requests, over HTTP against the real server.
//
//   1. a fresh database mdr_bulkbench_<timestamp>_<pid> on the DATABASE_URL server (default
//      postgres://postgres@127.0.0.1:5432), migrated, dropped at the end unless BENCH_KEEP_DB=1
//   2. the server in a child process (buildServer with loadConfig, as src/main.ts runs it, with
//      NODE_ENV=production and the per-token rate limit out of the way); it reports the
//      statements its database handle sent (Database.stats) when asked
//   3. per round and operation, on fresh incidents of one tenant (not measured; ingested and, for
//      classify, taken under investigation through the domain functions): BENCH_ITEMS incidents
//      changed three ways, in an order that rotates by round:
//        bulk        one bulk request naming all of them
//        single      one request per incident, one after another (a client looping)
//        single ×P   one request per incident, BENCH_PARALLEL in flight
//      update: add a tag and set severity HIGH; classify: FALSE_POSITIVE / NOT_MALICIOUS (resolves)
//      every response is checked (no errors, every item changed) before it counts
//   4. round 0 warms up and is not reported; medians over BENCH_ROUNDS rounds: wall time, and
//      database statements per incident (drizzle's count: postgres.js sends savepoints itself,
//      uncounted, two per bulk item; background pollers add a few a second)
//   5. a table, the ratios single / bulk, and bench/.results/bulk-<timestamp>.json
//
// Knobs: BENCH_ITEMS=100 BENCH_ROUNDS=5 BENCH_PARALLEL=10 BENCH_KEEP_DB=1 DATABASE_POOL_SIZE=10
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { loadConfig } from '../src/config';
import { openDatabase, type Database } from '../src/db/client';
import { createTenant, principalWithToken } from '../src/domain/admin';
import { createDomainContext } from '../src/domain/context';
import { encodeGlobalId } from '../src/domain/ids';
import { ingestIncident } from '../src/domain/ingest';
import { viewerForToken } from '../src/domain/tokens';
import { startInvestigation } from '../src/domain/triage';
import type { Viewer } from '../src/domain/viewer';
import { createLogger } from '../src/log';
import { buildServer } from '../src/server';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = (msg: string) => process.stderr.write(`[bench:bulk] ${msg}\n`);
const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const opts = {
  items: num('BENCH_ITEMS', 100),
  rounds: num('BENCH_ROUNDS', 5),
  parallel: num('BENCH_PARALLEL', 10),
};

// ---------------------------------------------------------------- the server (child process)
if (process.argv[2] === 'server') {
  void serve();
} else {
  void main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

async function serve() {
  // one token drives all the singles: the per-token rate limit still runs, but never refuses
  const config = loadConfig({ RATE_LIMIT_PER_MINUTE: '10000000', ...process.env, PORT: '0', HOST: '127.0.0.1', MDR_DEMO: '0' });
  const database = await openDatabase({ databaseUrl: config.databaseUrl!, poolSize: config.databasePoolSize, prepare: config.databasePrepare });
  const server = buildServer({ config, database, log: createLogger('silent') });
  await server.start();
  const stop = async () => {
    await server.stop().catch(() => {});
    await database.close().catch(() => {});
    process.exit(0);
  };
  process.on('disconnect', () => void stop());
  process.on('message', (m: { type: string }) => {
    if (m.type === 'stats') process.send!({ type: 'stats', statements: database.stats.statements });
    if (m.type === 'stop') void stop();
  });
  process.send!({ type: 'ready', port: server.port });
}

// ---------------------------------------------------------------- the driver
interface Server {
  child: ChildProcess;
  url: string;
  statements(): Promise<number>;
}

function startServer(databaseUrl: string): Promise<Server> {
  const child = fork(fileURLToPath(import.meta.url), ['server'], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, DATABASE_URL: databaseUrl, NODE_ENV: 'production', LOG_LEVEL: 'silent' },
  });
  let waiting: ((n: number) => void) | null = null;
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`the server exited (code ${code})`)));
    child.on('message', (m: { type: string; port?: number; statements?: number }) => {
      if (m.type === 'stats') waiting?.(m.statements!);
      if (m.type === 'ready') {
        resolve({
          child,
          url: `http://127.0.0.1:${m.port}/graphql`,
          statements: () =>
            new Promise((res) => {
              waiting = res;
              child.send({ type: 'stats' });
            }),
        });
      }
    });
  });
}

async function gql(url: string, token: string, query: string, variables: Record<string, unknown>): Promise<any> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  if (body.errors) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

type Op = 'update' | 'classify';
type Way = 'bulk' | 'single' | 'parallel';

const DOCS = {
  bulkUpdate: `mutation($input: BulkUpdateIncidentsInput!) { bulkUpdateIncidents(input: $input) { results { incident { id version } errors { code message } } errors { code message } } }`,
  bulkClassify: `mutation($input: BulkClassifyIncidentsInput!) { bulkClassifyIncidents(input: $input) { results { incident { id status } errors { code message } } errors { code message } } }`,
  update: `mutation($input: UpdateIncidentInput!) { updateIncident(input: $input) { incident { id version } errors { code message } } }`,
  classify: `mutation($input: ClassifyIncidentInput!) { classifyIncident(input: $input) { incident { id status } errors { code message } } }`,
};
const VERDICT = { classification: 'FALSE_POSITIVE', determination: 'NOT_MALICIOUS', summary: 'Expected administrative activity' };

interface Fixture {
  integration: Viewer;
  expert: Viewer;
  tokens: { operator: string; expert: string };
  database: Database;
}

/** BENCH_ITEMS fresh incidents (ACTIVE for update, IN_PROGRESS for classify), as global ids. */
async function incidents(f: Fixture, op: Op, label: string): Promise<string[]> {
  const ids: string[] = [];
  const ingest = createDomainContext(f.database, f.integration);
  const expert = createDomainContext(f.database, f.expert);
  for (let i = 0; i < opts.items; i += 10) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(10, opts.items - i) }, async (_, j) => {
        const ext = `${label}-${i + j}-${randomUUID().slice(0, 8)}`;
        const { incident } = await ingestIncident(ingest, {
          externalId: ext,
          title: `Bench ${ext}`,
          severity: 'MEDIUM',
          alerts: [{ externalId: `${ext}-a`, title: 'Encoded PowerShell', severity: 'MEDIUM', evidence: [{ device: { deviceName: `WS-${i + j}`, deviceGroup: 'Workstations' } }] }],
        });
        if (op === 'classify') await startInvestigation(expert, { incidentId: incident.id });
        return encodeGlobalId('Incident', incident.id);
      }),
    );
    ids.push(...batch);
  }
  return ids;
}

function check(items: { incident: unknown; errors: unknown[] }[], errors: unknown[] = []) {
  if (errors.length || items.length !== opts.items || items.some((x) => x.errors.length || !x.incident)) {
    throw new Error(`a change failed: ${JSON.stringify({ errors, failed: items.filter((x) => x.errors.length).slice(0, 3) })}`);
  }
}

async function run(server: Server, f: Fixture, op: Op, way: Way, ids: string[], tag: string) {
  const token = op === 'update' ? f.tokens.operator : f.tokens.expert;
  const single = async (id: string) => {
    const data =
      op === 'update'
        ? (await gql(server.url, token, DOCS.update, { input: { incidentId: id, tags: [tag], severity: 'HIGH' } })).updateIncident
        : (await gql(server.url, token, DOCS.classify, { input: { incidentId: id, ...VERDICT } })).classifyIncident;
    return data as { incident: unknown; errors: unknown[] };
  };
  const before = await server.statements();
  const t0 = performance.now();
  if (way === 'bulk') {
    const data =
      op === 'update'
        ? (await gql(server.url, token, DOCS.bulkUpdate, { input: { incidentIds: ids, addTags: [tag], severity: 'HIGH' } })).bulkUpdateIncidents
        : (await gql(server.url, token, DOCS.bulkClassify, { input: { incidentIds: ids, ...VERDICT } })).bulkClassifyIncidents;
    const ms = performance.now() - t0;
    check(data.results, data.errors);
    return { ms, statements: (await server.statements()) - before };
  }
  const results: { incident: unknown; errors: unknown[] }[] = [];
  if (way === 'single') {
    for (const id of ids) results.push(await single(id));
  } else {
    let next = 0;
    await Promise.all(
      Array.from({ length: opts.parallel }, async () => {
        for (let i = next++; i < ids.length; i = next++) results.push(await single(ids[i]));
      }),
    );
  }
  const ms = performance.now() - t0;
  check(results);
  return { ms, statements: (await server.statements()) - before };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round1 = (n: number) => Math.round(n * 10) / 10;

async function main() {
  const serverUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const name = `mdr_bulkbench_${Date.now()}_${process.pid}`;
  const admin = postgres(serverUrl.toString(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), poolSize: 4 });
  let server: Server | null = null;
  const results: { round: number; op: Op; way: Way; ms: number; statements: number }[] = [];
  try {
    await database.migrate();
    const slug = `bulk-${randomUUID().slice(0, 8)}`;
    const tenant = await createTenant(database.db, { slug, name: `Bench ${slug}` });
    const integration = (await principalWithToken(database.db, { tenantId: tenant.id, role: 'INTEGRATION', name: 'ingest' })).token;
    const operator = (await principalWithToken(database.db, { tenantId: tenant.id, role: 'OPERATOR', name: 'operator' })).token;
    const expert = (await principalWithToken(database.db, { tenantId: null, role: 'EXPERT', name: 'expert', serves: [tenant.id] })).token;
    const f: Fixture = {
      integration: (await viewerForToken(database.db, integration))!,
      expert: (await viewerForToken(database.db, expert))!,
      tokens: { operator, expert },
      database,
    };
    server = await startServer(url.toString());
    log(`database ${name}; ${opts.items} incidents per change set, ${opts.rounds} rounds (+1 warm-up), ${opts.parallel} in flight for single ×P`);
    const ways: Way[] = ['bulk', 'single', 'parallel'];
    for (let round = 0; round <= opts.rounds; round++) {
      for (const op of ['update', 'classify'] as const) {
        const order = ways.map((_, i) => ways[(i + round) % ways.length]);
        const sets = new Map<Way, string[]>();
        for (const way of order) sets.set(way, await incidents(f, op, `r${round}-${op}-${way}`));
        await database.query('analyze incidents');
        for (const way of order) {
          const r = await run(server, f, op, way, sets.get(way)!, `r${round}`);
          if (round > 0) results.push({ round, op, way, ...r });
          log(`${round === 0 ? 'warm-up' : `round ${round}`} ${op} ${way}: ${round1(r.ms)} ms, ${r.statements} statements`);
        }
      }
    }
  } finally {
    server?.child.send({ type: 'stop' });
    await new Promise((r) => setTimeout(r, 300));
    await database.close();
    if (process.env.BENCH_KEEP_DB !== '1') await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }

  const summary: Record<string, Record<string, number>> = {};
  console.log(`\n${opts.items} incidents, median of ${opts.rounds} rounds`);
  console.log('operation  way          ms      ms/incident  statements/incident  × bulk time');
  for (const op of ['update', 'classify'] as const) {
    const of = (way: Way) => results.filter((r) => r.op === op && r.way === way);
    const bulkMs = median(of('bulk').map((r) => r.ms));
    for (const way of ['bulk', 'single', 'parallel'] as const) {
      const ms = median(of(way).map((r) => r.ms));
      const st = median(of(way).map((r) => r.statements)) / opts.items;
      const label = way === 'parallel' ? `single ×${opts.parallel}` : way;
      console.log(`${op.padEnd(10)} ${label.padEnd(12)} ${String(round1(ms)).padStart(7)}  ${String(round1(ms / opts.items)).padStart(11)}  ${String(round1(st)).padStart(19)}  ${String(round1(ms / bulkMs)).padStart(11)}`);
      summary[`${op}.${way}`] = { ms: round1(ms), statementsPerIncident: round1(st), timesBulk: round1(ms / bulkMs) };
    }
  }
  const dir = path.join(root, 'bench', '.results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `bulk-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ opts, results, summary }, null, 2));
  log(`results in ${path.relative(root, file)}`);
  process.exit(0);
}
