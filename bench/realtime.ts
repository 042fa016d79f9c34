// npm run bench:realtime: fan-out of `incidentChanged` to N graphql-ws subscribers of one tenant.
// BENCH_MODE=mixed (npm run bench:realtime:mixed): 10,000 mixed subscribers on two servers, every
// receipt checked, this mode's round as the baseline: bench/realtime-mixed.ts. BENCH_REALTIME_REDIS=1:
// fan-out through Redis at redis://127.0.0.1:6379 (or BENCH_REDIS_URL), in either mode.
//
//   1. a fresh database mdr_rtbench_<timestamp> on the DATABASE_URL server (default
//      postgres://postgres@127.0.0.1:5432), migrated; one tenant, its tokens, one incident
//   2. the server in a child process (bench/realtime-server.ts: NODE_ENV=production,
//      LOG_LEVEL=silent, --expose-gc), the clients here, one WebSocket per client
//   3. for each N: server memory (after a full GC) before and after N idle subscribers → bytes per
//      subscriber; then a writer changes the incident's tags (HTTP updateIncident) W + M times, one
//      change at a time (the next once every subscriber has the last, or after 10 s); the tag
//      carries the change's sequence number, so every receipt is matched to its write. Latency is
//      client receipt minus the write's time, two ways: from the request being sent (an upper
//      bound: includes the mutation's own work) and from its response arriving (the commit
//      happened before the response, so this bounds it from below, may even be negative)
//   4. a table, bench/.results/realtime-<timestamp>.json; the database is dropped, children killed
//
// Knobs: BENCH_SUBSCRIBERS=100,1000,5000 BENCH_EVENTS (measured changes per N; default 100, 40 from
// 5,000 on) BENCH_WARMUP=5 BENCH_GAP_MS=20 (pause between changes) BENCH_CONNECT_BATCH=250
// DATABASE_POOL_SIZE=5 (server) BENCH_REDIS_URL (fan-out through Redis instead of NOTIFY)
// BENCH_SERVER_ENV='{"K":"V"}' BENCH_CPU_PROF=1 (server CPU profile into bench/.results/prof-realtime/)
// BENCH_SELECTION='activity { to }' (what each subscriber selects under incidentChanged; must
// include activity { to }) BENCH_HEAP=1 (server heap snapshots before and with N idle subscribers, into
// bench/.results/heap-realtime/; compare with `npx tsx bench/realtime-heap.ts BEFORE AFTER N`)
// BENCH_WATCHDOG=280 (seconds; the run kills everything and fails after that) BENCH_KEEP_DB=1.
// Needs file descriptors for the largest N plus headroom in each process: Node raises its soft
// limit to the hard one by itself; the run stops early with a clear message if the hard limit is
// too low (20,000 here).
import type { Mem, Round, ServerChild } from './realtime-types';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from 'graphql-ws';
import postgres from 'postgres';
import WebSocket from 'ws';
import { bundle } from '../scripts/build-server';
import { openDatabase } from '../src/db/client';
import { createTenant, principalWithToken } from '../src/domain/admin';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = path.join(root, 'bench', '.results');
const log = (msg: string) => process.stderr.write(`[bench:realtime] ${msg}\n`);

const envInt = (name: string, fallback: number) => {
  const raw = process.env[name];
  const n = raw ? Number(raw) : fallback;
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number`);
  return n;
};
const opts = {
  sizes: (process.env.BENCH_SUBSCRIBERS || '100,1000,5000').split(',').map((s) => Number(s.trim())),
  events: process.env.BENCH_EVENTS ? envInt('BENCH_EVENTS', 100) : null,
  warmup: envInt('BENCH_WARMUP', 5),
  gapMs: envInt('BENCH_GAP_MS', 20),
  connectBatch: Math.max(1, envInt('BENCH_CONNECT_BATCH', 250)),
  poolSize: envInt('DATABASE_POOL_SIZE', 5),
  redisUrl: process.env.BENCH_REDIS_URL || (process.env.BENCH_REALTIME_REDIS === '1' ? 'redis://127.0.0.1:6379' : undefined),
  /** `identical` (the default): N identical subscribers; `mixed`: bench/realtime-mixed.ts. */
  mode: process.env.BENCH_MODE === 'mixed' ? ('mixed' as const) : ('identical' as const),
  serverEnv: JSON.parse(process.env.BENCH_SERVER_ENV || '{}') as Record<string, string>,
  cpuProf: process.env.BENCH_CPU_PROF === '1',
  // the servers run bench/realtime-server.ts bundled as npm start runs src/main.ts; =1: through tsx
  serverTsx: process.env.BENCH_SERVER_TSX === '1',
  heap: process.env.BENCH_HEAP === '1',
  watchdogSeconds: envInt('BENCH_WATCHDOG', process.env.BENCH_MODE === 'mixed' ? 900 : 280),
  keepDb: process.env.BENCH_KEEP_DB === '1',
};
if (opts.sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error('BENCH_SUBSCRIBERS must be positive integers');
const eventsFor = (n: number) => opts.events ?? (n >= 5_000 ? 40 : 100);

// ---- file descriptors ---------------------------------------------------------------------------

function ensureFileLimit(): void {
  // Node raises its soft RLIMIT_NOFILE to the hard limit at startup (and children inherit it), so
  // the limit seen here is the most this run can have: only the hard limit can stop it.
  const need = (opts.mode === 'mixed' ? Number(process.env.BENCH_MIXED_SUBSCRIBERS || 10_000) : Math.max(...opts.sizes)) + 1_024;
  const soft = Number(spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim());
  if (Number.isFinite(soft) && soft < need) {
    throw new Error(
      `ulimit -n is ${soft}; ${need} file descriptors are needed for ${Math.max(...opts.sizes)} subscribers (one per client here, one per socket in the server): raise the hard limit (e.g. ulimit -Hn ${need * 2} as root, or LimitNOFILE), or lower BENCH_SUBSCRIBERS`,
    );
  }
}

// ---- database -----------------------------------------------------------------------------------

const serverUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const withDatabase = (url: string, name: string) => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};
const dbName = `mdr_rtbench_${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}_${process.pid}`;
const dbUrl = withDatabase(serverUrl, dbName);
let dbCreated = false;

async function adminSql(statement: string): Promise<void> {
  const sql = postgres(withDatabase(serverUrl, 'postgres'), { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(statement);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function setupDatabase() {
  await adminSql(`create database ${dbName}`);
  dbCreated = true;
  const database = await openDatabase({ databaseUrl: dbUrl, poolSize: 2 });
  try {
    await database.migrate();
    const tenant = await createTenant(database.db, { slug: 'rtbench', name: 'Realtime bench' });
    const token = async (role: 'READER' | 'OPERATOR' | 'INTEGRATION') =>
      (await principalWithToken(database.db, { tenantId: tenant.id, role, name: `bench ${role.toLowerCase()}` })).token;
    return { reader: await token('READER'), operator: await token('OPERATOR'), integration: await token('INTEGRATION') };
  } finally {
    await database.close();
  }
}

// ---- the server child ---------------------------------------------------------------------------



/**
 * The server processes run what `npm start` would: the server bundled by esbuild (no tsx
 * transform, no `keepNames` wrappers, which cost memory per closure), unless BENCH_SERVER_TSX=1.
 */
const serverBundle = opts.serverTsx ? null : (await bundle([path.join(root, 'bench/realtime-server.ts')], path.join(root, 'dist/bench')))[0];

/** Every server child started (stopped at the end, killed by the watchdog). */
const servers: ServerChild[] = [];

function startServer(name = 'server'): Promise<ServerChild> {
  const profDir = path.join(resultsDir, 'prof-realtime');
  if (opts.cpuProf) fs.mkdirSync(profDir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: dbUrl,
    DATABASE_POOL_SIZE: String(opts.poolSize),
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    EXECUTOR: '0',
    PORT: '0',
    REDIS_URL: opts.redisUrl ?? '',
    ...opts.serverEnv,
  };
  const script = serverBundle ?? 'bench/realtime-server.ts';
  const args = ['--expose-gc', ...(serverBundle ? ['--enable-source-maps'] : ['--import', 'tsx']), ...(opts.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), script];
  const proc = spawn(process.execPath, args, { cwd: root, env, stdio: ['pipe', 'pipe', 'inherit'] });
  void name;
  const waiting: ((v: unknown) => void)[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not start in 30 s')), 30_000);
    proc.once('exit', (code, signal) => reject(new Error(`the server exited (${code ?? signal})`)));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      let msg: { ready?: boolean; port?: number };
      try {
        msg = JSON.parse(line);
      } catch {
        return;
      }
      if (msg.ready) {
        clearTimeout(timer);
        const child: ServerChild = {
          proc,
          url: `http://127.0.0.1:${msg.port}/graphql`,
          ask: <T>(cmd: string) =>
            new Promise<T>((res) => {
              waiting.push(res as (v: unknown) => void);
              proc.stdin!.write(`${cmd}\n`);
            }),
          cpuMs: () => {
            try {
              const fields = fs.readFileSync(`/proc/${proc.pid}/stat`, 'utf8').split(') ')[1].split(' ');
              return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime + stime, in USER_HZ (100)
            } catch {
              return null;
            }
          },
        };
        servers.push(child);
        resolve(child);
      } else waiting.shift()?.(msg);
    });
  });
}

async function stopServers(): Promise<void> {
  await Promise.all(servers.splice(0).map(stopServer));
}

async function stopServer(s: ServerChild): Promise<void> {
  if (s.proc.exitCode !== null || s.proc.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    const kill = setTimeout(() => s.proc.kill('SIGKILL'), 8_000);
    s.proc.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    s.proc.stdin!.end('exit\n');
  });
}

// ---- HTTP ---------------------------------------------------------------------------------------

async function gql<T = any>(url: string, token: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown };
  if (body.errors || !body.data) throw new Error(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

// ---- one round: N subscribers -------------------------------------------------------------------

const SELECTION = process.env.BENCH_SELECTION || 'eventId activity { field to } incident { id number title severity status updatedAt }';
const SUBSCRIPTION = `subscription { incidentChanged { ${SELECTION} } }`;
let tagBase = 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, timeoutMs: number, ok: () => Promise<boolean>) {
  const end = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out (${timeoutMs} ms) waiting for ${what}`);
    await sleep(100);
  }
}

function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}


async function round(s: ServerChild, tokens: Awaited<ReturnType<typeof setupDatabase>>, incidentId: string, n: number, events = eventsFor(n)): Promise<Round> {
  const m = events;
  const total = opts.warmup + m;
  // tags b<base+seq>: unique across rounds, so every write is a change (and an event)
  const base = tagBase;
  tagBase += total;
  const heapDir = path.join(resultsDir, 'heap-realtime');
  if (opts.heap) {
    fs.mkdirSync(heapDir, { recursive: true });
    await s.ask(`heap ${path.join(heapDir, `n${n}-before.heapsnapshot`)}`);
  }
  const before = await s.ask<Mem>('mem');
  if (before.hub !== 0) throw new Error(`${before.hub} subscribers left from the previous round`);

  // subscribers: receipt times per change (by the sequence number in the tag)
  const received: number[][] = Array.from({ length: total + 1 }, () => []);
  const counts = new Int32Array(total + 1);
  let outOfOrder = 0;
  let errors = 0;
  const clients: Client[] = [];
  const wsUrl = s.url.replace(/^http/, 'ws');
  const started = performance.now();
  for (let i = 0; i < n; i += opts.connectBatch) {
    const batch = Math.min(opts.connectBatch, n - i);
    await Promise.all(
      Array.from({ length: batch }, () => {
        const client = createClient({
          url: wsUrl,
          webSocketImpl: WebSocket,
          connectionParams: { authorization: `Bearer ${tokens.reader}` },
          lazy: true,
          retryAttempts: 0,
        });
        clients.push(client);
        let last = 0;
        return new Promise<void>((resolve) => {
          const off = client.on('connected', () => {
            off();
            resolve();
          });
          client.subscribe<{ incidentChanged: { activity: { to: string } } }>(
            { query: SUBSCRIPTION },
            {
              next: (v) => {
                const now = performance.now();
                const to = v.data?.incidentChanged.activity.to;
                const seq = to && to.startsWith('b') ? Number(to.slice(1)) - base : NaN;
                if (!Number.isInteger(seq) || seq < 1 || seq > total) return;
                if (seq <= last) outOfOrder += 1;
                last = seq;
                received[seq].push(now);
                counts[seq] += 1;
              },
              error: () => {
                errors += 1;
                resolve();
              },
              complete: () => {},
            },
          );
        });
      }),
    );
  }
  await until(`${n} subscriptions`, 60_000, async () => (await s.ask<{ hub: number }>('stats')).hub >= n);
  const connectMs = performance.now() - started;
  await sleep(500);
  const idle = await s.ask<Mem>('mem');
  if (opts.heap) await s.ask(`heap ${path.join(heapDir, `n${n}-idle.heapsnapshot`)}`);
  log(`N=${n}: ${idle.hub} subscribers in ${(connectMs / 1000).toFixed(1)} s; server heap ${(idle.mem.heapUsed / 1e6).toFixed(1)} MB, RSS ${(idle.mem.rss / 1e6).toFixed(1)} MB`);

  // the writer
  const sentAt = new Float64Array(total + 1);
  const respAt = new Float64Array(total + 1);
  let cpu0: number | null = null;
  let clientCpu0 = process.cpuUsage();
  for (let seq = 1; seq <= total; seq++) {
    if (seq === opts.warmup + 1) {
      cpu0 = s.cpuMs();
      clientCpu0 = process.cpuUsage();
    }
    sentAt[seq] = performance.now();
    const d = await gql(s.url, tokens.operator, `mutation($input: UpdateIncidentInput!) { updateIncident(input: $input) { errors { message } } }`, {
      input: { incidentId, tags: [`b${base + seq}`] },
    });
    respAt[seq] = performance.now();
    if (d.updateIncident.errors.length) throw new Error(JSON.stringify(d.updateIncident.errors));
    const deadline = Date.now() + 10_000;
    while (counts[seq] < n && Date.now() < deadline) await sleep(counts[seq] > 0 ? 2 : 1);
    if (opts.gapMs) await sleep(opts.gapMs);
  }
  const cpu1 = s.cpuMs();
  const clientCpu = process.cpuUsage(clientCpu0);
  await sleep(200);

  const fromSend: number[] = [];
  const fromResp: number[] = [];
  const lastReceipt: number[] = [];
  const mutation: number[] = [];
  let receipts = 0;
  for (let seq = opts.warmup + 1; seq <= total; seq++) {
    receipts += received[seq].length;
    for (const t of received[seq]) {
      fromSend.push(t - sentAt[seq]);
      fromResp.push(t - respAt[seq]);
    }
    if (received[seq].length) lastReceipt.push(Math.max(...received[seq]) - sentAt[seq]);
    mutation.push(respAt[seq] - sentAt[seq]);
  }
  for (const a of [fromSend, fromResp, lastReceipt, mutation]) a.sort((x, y) => x - y);
  const stats = (a: number[]) => ({ p50: percentile(a, 0.5), p90: percentile(a, 0.9), p99: percentile(a, 0.99), max: a[a.length - 1] });

  for (const c of clients) void c.dispose();
  await until('the subscribers to be freed', 30_000, async () => {
    const st = await s.ask<{ hub: number; sockets: number }>('stats');
    return st.hub === 0 && st.sockets === 0;
  });
  const after = await s.ask<Mem>('mem');
  const per = (k: 'rss' | 'heapUsed') => (idle.mem[k] - before.mem[k]) / n;
  return {
    subscribers: n,
    events: m,
    connectMs,
    receipts,
    missing: n * m - receipts,
    outOfOrder,
    errors,
    latencyFromSendMs: stats(fromSend),
    latencyFromResponseMs: stats(fromResp),
    lastReceiptMs: { p50: percentile(lastReceipt, 0.5), p99: percentile(lastReceipt, 0.99) },
    mutationMs: { p50: percentile(mutation, 0.5), p99: percentile(mutation, 0.99) },
    memory: {
      before,
      idle,
      after,
      rssPerSubscriberBytes: per('rss'),
      heapPerSubscriberBytes: per('heapUsed'),
      heapExternalPerSubscriberBytes: (idle.mem.heapUsed + idle.mem.external - before.mem.heapUsed - before.mem.external) / n,
    },
    serverCpuMsPerChange: cpu0 != null && cpu1 != null ? (cpu1 - cpu0) / m : null,
    serverCpuUsPerDelivery: cpu0 != null && cpu1 != null ? ((cpu1 - cpu0) * 1000) / (m * n) : null,
    clientCpuMsPerChange: (clientCpu.user + clientCpu.system) / 1000 / m,
  };
}

// ---- main ---------------------------------------------------------------------------------------

let cleaningUp: Promise<void> | null = null;
function cleanup(): Promise<void> {
  cleaningUp ??= (async () => {
    await stopServers().catch((err) => log(`stopping the servers: ${err}`));
    if (dbCreated && !opts.keepDb) {
      await adminSql(`drop database if exists ${dbName} with (force)`).catch((err) => log(`dropping ${dbName}: ${err}`));
    } else if (dbCreated) log(`kept database ${dbName}`);
  })();
  return cleaningUp;
}

async function main() {
  ensureFileLimit();
  const watchdog = setTimeout(() => {
    log(`watchdog: still running after ${opts.watchdogSeconds} s, giving up`);
    for (const s of servers) s.proc.kill('SIGKILL');
    void cleanup().finally(() => process.exit(1));
  }, opts.watchdogSeconds * 1000);
  watchdog.unref();
  process.on('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  process.on('SIGTERM', () => void cleanup().finally(() => process.exit(143)));

  if (opts.mode === 'mixed') {
    const { runMixed } = await import('./realtime-mixed');
    const failed = await runMixed({ dbUrl, dbName, resultsDir, log, opts, setupDatabase, startServer, ingestBenchIncident, round, cleanup, gql });
    clearTimeout(watchdog);
    process.exit(failed ? 1 : 0);
  }
  log(`database ${dbName}; subscribers ${opts.sizes.join(', ')}; fan-out through ${opts.redisUrl ? 'Redis' : 'LISTEN/NOTIFY'}`);
  const tokens = await setupDatabase();
  const server = await startServer();
  const incidentId = await ingestBenchIncident(server, tokens);

  // warm-up, not reported: the first subscribers pay for lazy compilation and caches (parse and
  // validation caches, JIT), which would otherwise count as memory "per subscriber" at small N
  log('warm-up: 50 subscribers, 20 changes');
  await round(server, tokens, incidentId, 50, 20);
  const rounds: Round[] = [];
  for (const n of opts.sizes) rounds.push(await round(server, tokens, incidentId, n));
  await cleanup();
  report(rounds);
  clearTimeout(watchdog);
  process.exit(rounds.some((r) => r.missing > 0 || r.outOfOrder > 0 || r.errors > 0) ? 1 : 0);
}

/** The one incident the identical-subscriber rounds change. */
async function ingestBenchIncident(server: ServerChild, tokens: Awaited<ReturnType<typeof setupDatabase>>): Promise<string> {
  const d = await gql(server.url, tokens.integration, `mutation($input: IngestIncidentInput!) { ingestIncident(input: $input) { incident { id } errors { message } } }`, {
    input: {
      externalId: 'rtbench-1',
      title: 'Realtime bench incident',
      severity: 'HIGH',
      alerts: [{ externalId: 'rtbench-1-a1', title: 'Suspicious sign-in', severity: 'HIGH', category: 'InitialAccess', detectionSource: 'EDR', evidence: [] }],
    },
  });
  return d.ingestIncident.incident.id as string;
}

/** The identical-subscriber rounds' table, verdicts and JSON file. */
function report(rounds: Round[]): void {
  log(`selection: incidentChanged { ${SELECTION} }; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs`);
  const kb = (b: number) => (b / 1024).toFixed(1);
  const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');
  const rows = rounds.map((r) => ({
    N: r.subscribers,
    changes: r.events,
    'receipts (missing)': `${r.receipts} (${r.missing})`,
    'p50 ms': ms(r.latencyFromSendMs.p50),
    'p99 ms': ms(r.latencyFromSendMs.p99),
    'max ms': ms(r.latencyFromSendMs.max),
    'p50/p99 from resp.': `${ms(r.latencyFromResponseMs.p50)} / ${ms(r.latencyFromResponseMs.p99)}`,
    'last rcpt p50': ms(r.lastReceiptMs.p50),
    'KB/sub heap': kb(r.memory.heapPerSubscriberBytes),
    'KB/sub RSS': kb(r.memory.rssPerSubscriberBytes),
    'srv CPU ms/chg': r.serverCpuMsPerChange == null ? '-' : r.serverCpuMsPerChange.toFixed(1),
    'srv µs/delivery': r.serverCpuUsPerDelivery == null ? '-' : r.serverCpuUsPerDelivery.toFixed(1),
    'client CPU ms/chg': r.clientCpuMsPerChange.toFixed(1),
  }));
  console.table(rows);
  const at1000 = rounds.find((r) => r.subscribers === 1_000);
  if (at1000) {
    const p99 = at1000.latencyFromSendMs.p99;
    log(`target p99 ≤ 100 ms at 1,000 subscribers: ${p99.toFixed(1)} ms → ${p99 <= 100 ? 'met' : 'MISSED'}`);
  }
  for (const r of rounds) {
    const per = r.memory.heapPerSubscriberBytes;
    log(`N=${r.subscribers}: ${kb(per)} KB heap (${kb(r.memory.rssPerSubscriberBytes)} KB RSS) per idle subscriber → target ≤ 10 KB ${Math.max(per, r.memory.rssPerSubscriberBytes) <= 10 * 1024 ? 'met' : per <= 10 * 1024 ? 'met on heap, not RSS' : 'MISSED'}`);
  }
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `realtime-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify({ at: new Date().toISOString(), machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg() }, opts, selection: SELECTION, rounds }, null, 2),
  );
  log(`results: ${path.relative(root, file)}`);
}

main().catch(async (err) => {
  log(`failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  await cleanup();
  process.exit(1);
});
