// npm run bench: the incident queue (first 50, nested alerts and devices) over HTTP, GraphQL
// server vs. a raw-SQL node:http baseline, in one run against one real PostgreSQL database.
//
//   1. database: DATABASE_URL if set, else a fresh mdr_bench_<timestamp> (dropped at the end)
//   2. migrations, then a bulk seed: 1 tenant, 10,000 incidents, 3 alerts and 4 evidence each
//   3. each target in its own child process, one at a time (so idle servers hold no database
//      connections): the baseline (bench/baseline.ts), the GraphQL server (bench/server.ts), and
//      PostGraphile v4 as a peer (bench/postgraphile.ts, its own query: POSTGRAPHILE_QUERY)
//   4. before measuring, the target's answer must have the same `data` as the baseline's (for
//      PostGraphile: the same incidents, alerts and devices, field by field, once its ids and
//      dates are read back), or the run fails; under load every response must be byte-identical
//      to that answer
//   5. autocannon from this process: warm-up, then the measured run
//   6. a table (req/s, p50, p99, CPU per request, ratio) and bench/.results/queue-<time>.json
//
// Knobs (environment): BENCH_DURATION=10 BENCH_WARMUP=3 BENCH_CONNECTIONS=10 BENCH_ROUNDS=1
// BENCH_INCIDENTS=10000 BENCH_DEVICES=2500 DATABASE_POOL_SIZE=10 BASELINE_MODE=json|rows
// BENCH_SERVER=bench/server.ts BENCH_SERVER_ENV='{"K":"V"}' (extra env for the GraphQL child)
// BENCH_ROUNDS=3 (medians; the order alternates) BENCH_ONLY=graphql|baseline|none (none: only the
// variants) BENCH_POSTGRAPHILE=0 (leave the PostGraphile peer out) BENCH_KEEP_DB=1 BENCH_WATCHDOG=<s> (default: enough for the rounds asked)
// BENCH_QUIET_WAIT=<s>: before each run, wait up to <s> seconds for other processes to use less
//   than BENCH_QUIET_CORES (0.3) cores; 'other load' in the table is what they used during the run
// BENCH_WRITES_PER_SEC=<n>: while each target is measured (and warmed up), a writer on its own
//   connection touches n random incidents of the tenant per second (`update incidents set title =
//   title`: the answer keeps its bytes, but every write changes the tenant's queue version, so the
//   GraphQL server's page cache must read the page again: src/domain/queue-cache.ts)
// BENCH_CPU_PROF=1: CPU-profile every GraphQL server during its measured runs only, into
//   bench/.results/prof/ (summarise with `npx tsx bench/profile.ts FILE`)
// BENCH_VARIANTS='[{"name":"unprepared","env":{"DATABASE_PREPARE":"0"}},
//   {"name":"2 workers","server":"bench/cluster.ts","env":{"CLUSTER_WORKERS":"2"}}]':
//   more servers measured in the same run against the same data (default script bench/server.ts)
import { deepStrictEqual } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { openDatabase } from '../src/db/client';
import { seedQueue } from './seed';
import { QUEUE_BODY } from './shared';

/**
 * The queue query as PostGraphile v4 names it (bench/postgraphile.ts): the tenant by a condition,
 * the same order and page size, three alerts, the devices through evidence (the computed column
 * below). `nodeId` is its global id.
 */
export const POSTGRAPHILE_QUERY =
  'query Q($tenantId: UUID!) { allIncidents(condition: { tenantId: $tenantId }, orderBy: [UPDATED_AT_DESC, ID_DESC], first: 50) ' +
  '{ nodes { nodeId number title severity status updatedAt alertsByIncidentId(first: 3, orderBy: [CREATED_AT_ASC, ID_ASC]) ' +
  '{ nodes { nodeId title severity } } devicesList { nodeId name healthStatus } } } }';
// what devicesByIncident reads: the distinct devices the incident's evidence names, by name
const POSTGRAPHILE_DEVICES = `
  create or replace function incidents_devices(i incidents) returns setof devices language sql stable as $$
    select d.* from devices d
    where d.tenant_id = i.tenant_id
      and d.id in (select e.device_id from evidence e where e.incident_id = i.id and e.tenant_id = i.tenant_id)
    order by d.name, d.id
  $$`;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = path.join(root, 'bench', '.results');

const envInt = (name: string, fallback: number) => {
  const raw = process.env[name];
  const n = raw ? Number(raw) : fallback;
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number`);
  return n;
};
const opts = {
  duration: envInt('BENCH_DURATION', 10),
  warmup: envInt('BENCH_WARMUP', 3),
  connections: envInt('BENCH_CONNECTIONS', 10),
  rounds: Math.max(1, envInt('BENCH_ROUNDS', 3)),
  incidents: envInt('BENCH_INCIDENTS', 10_000),
  devices: envInt('BENCH_DEVICES', 2_500),
  poolSize: envInt('DATABASE_POOL_SIZE', 10),
  baselineMode: process.env.BASELINE_MODE === 'rows' ? 'rows' : 'json',
  server: process.env.BENCH_SERVER || 'bench/server.ts',
  serverEnv: JSON.parse(process.env.BENCH_SERVER_ENV || '{}') as Record<string, string>,
  cpuProf: process.env.BENCH_CPU_PROF === '1',
  writesPerSec: envInt('BENCH_WRITES_PER_SEC', 0),
  only: process.env.BENCH_ONLY as 'graphql' | 'baseline' | 'none' | undefined,
  postgraphile: process.env.BENCH_POSTGRAPHILE !== '0',
  variants: JSON.parse(process.env.BENCH_VARIANTS || '[]') as { name: string; server?: string; env?: Record<string, string> }[],
  // seeding, then per round and target: start, warm-up, measure, checks
  watchdogSeconds: envInt(
    'BENCH_WATCHDOG',
    120 + Math.max(1, envInt('BENCH_ROUNDS', 3)) * (3 + JSON.parse(process.env.BENCH_VARIANTS || '[]').length) * (envInt('BENCH_DURATION', 10) + envInt('BENCH_WARMUP', 3) + 15),
  ),
};

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- child processes --------------------------------------------------------------------------

interface Target {
  /** 'baseline', 'graphql', 'postgraphile' or 'variant:<name>' */
  name: string;
  script: string;
  env: Record<string, string>;
  profile: boolean;
  /** The request body, when not QUEUE_BODY (PostGraphile's own query). */
  body?: string;
}

interface Child {
  name: string;
  proc: ChildProcess;
  port: number;
  url: string;
  body: string;
}

const running = new Set<ChildProcess>();
const profileWaiters = new Map<ChildProcess, (file: string) => void>();

function startChild(target: Target, childEnv: Record<string, string>): Promise<Child> {
  const preload = target.profile ? ['--import', './bench/cpu-profile.ts'] : [];
  const profEnv = target.profile
    ? { BENCH_PROF_DIR: path.join(resultsDir, 'prof'), BENCH_PROF_NAME: target.name.replace(/\W+/g, '-') }
    : {};
  const proc = spawn(process.execPath, ['--import', 'tsx', ...preload, target.script], {
    cwd: root,
    env: { ...process.env, ...childEnv, ...target.env, ...profEnv },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  running.add(proc);
  proc.once('exit', () => running.delete(proc));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${target.name} did not start within 120 s`)), 120_000);
    proc.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${target.name} exited before it was ready (code ${code}, signal ${signal})`));
    });
    proc.once('error', reject);
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      let msg: { ready?: boolean; port?: number; profile?: string };
      try {
        msg = JSON.parse(line);
      } catch {
        log(`${target.name}: ${line}`);
        return;
      }
      if (msg.profile) profileWaiters.get(proc)?.(msg.profile);
      else if (msg.ready && msg.port) {
        clearTimeout(timer);
        resolve({ name: target.name, proc, port: msg.port, url: `http://127.0.0.1:${msg.port}/graphql`, body: target.body ?? QUEUE_BODY });
      }
    });
  });
}

async function stopChild(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.stdin?.end('exit\n');
  const stopped = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
  if (!stopped) {
    proc.kill('SIGKILL');
    await exited;
  }
}

// ---- CPU accounting (Linux /proc) -------------------------------------------------------------
// Throughput on a shared 2-core machine moves with whatever else runs; CPU time per request of the
// server process and of the Postgres backends serving it moves much less, so both are reported.

const TICK_MS = 10; // USER_HZ is 100 on Linux
let dbName = '';

/** CPU ticks of the process tree under `pid` (cluster workers count) and of the database's backends. */
function cpuTicks(pid: number): { server: number; db: number } {
  if (!fs.existsSync('/proc')) return { server: 0, db: 0 };
  const procs = new Map<number, { ppid: number; ticks: number }>();
  let db = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(f[11]) + Number(f[12]); // utime + stime
      procs.set(Number(entry), { ppid: Number(f[1]), ticks });
      if (dbName && stat.includes('(postgres)')) {
        const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
        if (cmd.startsWith('postgres: ') && cmd.includes(` ${dbName} `)) db += ticks;
      }
    } catch {
      // the process is gone
    }
  }
  let server = 0;
  const inTree = (p: number): boolean => {
    for (let cur = p, depth = 0; cur > 1 && depth < 10; depth++) {
      if (cur === pid) return true;
      cur = procs.get(cur)?.ppid ?? 0;
    }
    return false;
  };
  for (const [p, info] of procs) if (inTree(p)) server += info.ticks;
  return { server, db };
}
/** Busy jiffies of the whole machine (all CPUs), from /proc/stat. */
function machineBusyTicks(): number {
  try {
    const [cpu] = fs.readFileSync('/proc/stat', 'utf8').split('\n');
    const f = cpu.trim().split(/\s+/).slice(1).map(Number);
    return f.reduce((a, b) => a + b, 0) - f[3] - (f[4] ?? 0); // minus idle and iowait
  } catch {
    return 0;
  }
}
const cpuSnapshot = (child: Child) => ({
  ...cpuTicks(child.proc.pid!),
  machine: machineBusyTicks(),
  client: process.cpuUsage(),
  at: Date.now(),
});

/**
 * Other work on the machine (cores busy with processes that are not ours), sampled over 1 s. With
 * BENCH_QUIET_WAIT=<s>, wait up to that long for it to drop below BENCH_QUIET_CORES (0.3).
 */
async function waitForQuiet(child: Child): Promise<number> {
  const maxWait = envInt('BENCH_QUIET_WAIT', 0) * 1000;
  const threshold = Number(process.env.BENCH_QUIET_CORES ?? 0.3);
  const started = Date.now();
  for (;;) {
    const a = cpuSnapshot(child);
    await sleep(1000);
    const b = cpuSnapshot(child);
    const ours = b.server - a.server + (b.db - a.db);
    const other = Math.max(0, ((b.machine - a.machine - ours) * TICK_MS) / (b.at - a.at));
    if (other < threshold || Date.now() - started >= maxWait) {
      if (maxWait && other >= threshold) log(`still ${other.toFixed(2)} cores busy elsewhere after ${maxWait / 1000} s; measuring anyway`);
      return other;
    }
  }
}

// ---- requests ---------------------------------------------------------------------------------

const headers = (token: string) => ({
  'content-type': 'application/json',
  accept: 'application/graphql-response+json, application/json',
  authorization: `Bearer ${token}`,
});

interface Answer {
  status: number;
  text: string;
  body: { data?: unknown; errors?: unknown };
}

async function fetchQueue(child: Child, token: string): Promise<Answer> {
  const res = await fetch(child.url, { method: 'POST', headers: headers(token), body: child.body });
  const text = await res.text();
  let body: Answer['body'];
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${child.name} answered ${res.status} with a body that is not JSON: ${text.slice(0, 300)}`);
  }
  return { status: res.status, text, body };
}

interface QueueData {
  incidents: { nodes: { alerts: { nodes: unknown[] }; devices: unknown[] }[] };
}

type Row = Record<string, unknown>;
/** A global id's local id: ours are base64("Type:id"), PostGraphile's base64('["table","id"]'). */
function localId(id: unknown): string {
  const text = Buffer.from(String(id), 'base64').toString('utf8');
  return text.startsWith('[') ? String((JSON.parse(text) as unknown[])[1]) : text.slice(text.indexOf(':') + 1);
}
/** Our answer's data, or PostGraphile's, as one comparable shape (local ids, dates as instants). */
function comparable(data: unknown): Row[] {
  const d = data as Row;
  const incidents = (d.incidents ?? d.allIncidents) as { nodes: Row[] };
  return incidents.nodes.map((i) => ({
    id: localId(i.id ?? i.nodeId),
    number: i.number,
    title: i.title,
    severity: i.severity,
    status: i.status,
    updatedAt: new Date(String(i.updatedAt)).toISOString(),
    alerts: ((i.alerts ?? i.alertsByIncidentId) as { nodes: Row[] }).nodes.map((a) => ({
      id: localId(a.id ?? a.nodeId),
      title: a.title,
      severity: a.severity,
    })),
    devices: ((i.devices ?? i.devicesList) as Row[]).map((v) => ({ id: localId(v.id ?? v.nodeId), name: v.name, healthStatus: v.healthStatus })),
  }));
}

/** The target's answer must carry exactly the reference data (the baseline's); returns its body. */
async function verify(child: Child, token: string, reference: unknown | null): Promise<Answer> {
  const a = await fetchQueue(child, token);
  if (a.status !== 200 || a.body.errors) throw new Error(`${child.name} answered ${a.status}: ${a.text.slice(0, 500)}`);
  const data = a.body.data as (QueueData & { allIncidents?: QueueData['incidents'] }) | undefined;
  const nodes = (data?.incidents ?? data?.allIncidents)?.nodes;
  if (!Array.isArray(nodes) || nodes.length !== 50) throw new Error(`${child.name} returned ${nodes?.length} incidents, expected 50`);
  if (reference === null) return a;
  try {
    // a peer with its own schema: the same incidents, alerts and devices, field by field
    if (data?.allIncidents) deepStrictEqual(comparable(a.body.data), comparable(reference));
    else deepStrictEqual(a.body.data, reference);
  } catch (err) {
    const out = path.join(resultsDir, 'mismatch');
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, `${child.name.replace(/\W+/g, '-')}.json`), JSON.stringify(a.body, null, 2));
    fs.writeFileSync(path.join(out, 'baseline.json'), JSON.stringify({ data: reference }, null, 2));
    throw new Error(
      `${child.name} and the baseline answer different data (both written to ${path.relative(root, out)}/):\n` +
        String((err as Error).message).slice(0, 2000),
    );
  }
  return a;
}

// ---- measuring --------------------------------------------------------------------------------

interface Measure {
  target: string;
  round: number;
  reqPerSec: number;
  requests: number;
  /** BENCH_WRITES_PER_SEC: the writes done during the measured run, per second. */
  writesPerSec: number;
  p50: number;
  p90: number;
  p99: number;
  avg: number;
  max: number;
  bodyBytes: number;
  /** CPU milliseconds per request: the server process, its Postgres backends, autocannon. */
  cpuMsPerRequest: { server: number; db: number; client: number };
  /** Share of one core the server process used during the run. */
  serverCores: number;
  /** Cores busy with other processes (not the server, its database backends, or autocannon). */
  backgroundCores: number;
  /** The same, in the second before the run. */
  backgroundBefore: number;
  loadavg: number[];
}

function cannon(child: Child, token: string, seconds: number, expectBody: string): Promise<autocannon.Result> {
  return autocannon({
    url: child.url,
    method: 'POST',
    headers: headers(token),
    body: child.body,
    connections: opts.connections,
    duration: seconds,
    // the queue does not change during the run: every answer must be this very body
    expectBody,
  });
}

/** BENCH_WRITES_PER_SEC: no-op updates of random incidents of the tenant, at a steady rate, while started. */
class Writer {
  private timer: NodeJS.Timeout | null = null;
  written = 0;
  constructor(
    private readonly db: postgres.Sql,
    private readonly ids: string[],
    private readonly perSec: number,
  ) {}
  start(): void {
    const started = Date.now();
    let due = 0;
    this.written = 0;
    this.timer = setInterval(() => {
      const target = Math.floor(((Date.now() - started) / 1000) * this.perSec);
      for (; due < target; due++) {
        const id = this.ids[Math.floor(Math.random() * this.ids.length)];
        void this.db`update incidents set title = title where id = ${id}`.then(() => this.written++, () => {});
      }
    }, 10);
  }
  stop(): number {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    return this.written;
  }
}
let writer: Writer | null = null;
let writerDb: postgres.Sql | null = null;

async function measure(child: Child, token: string, round: number, body: string): Promise<Measure> {
  const backgroundBefore = await waitForQuiet(child);
  writer?.start();
  try {
    return await measureLoaded(child, token, round, body, backgroundBefore);
  } finally {
    writer?.stop();
  }
}

async function measureLoaded(child: Child, token: string, round: number, body: string, backgroundBefore: number): Promise<Measure> {
  if (opts.warmup > 0) await cannon(child, token, opts.warmup, body);
  const writtenBefore = writer?.written ?? 0;
  const profiling = opts.cpuProf && child.name !== 'baseline' && child.name !== 'postgraphile';
  if (profiling) child.proc.kill('SIGUSR2');
  const before = cpuSnapshot(child);
  const r = await cannon(child, token, opts.duration, body);
  const after = cpuSnapshot(child);
  const writes = (writer?.written ?? 0) - writtenBefore;
  if (profiling) {
    const written = new Promise<string>((resolve) => profileWaiters.set(child.proc, resolve));
    child.proc.kill('SIGUSR2');
    const file = await Promise.race([written, sleep(10_000).then(() => '(not written)')]);
    log(`${child.name}: CPU profile ${path.relative(root, file)}`);
  }
  const n = Math.max(1, r.requests.total);
  const client = process.cpuUsage(before.client);
  const m: Measure = {
    target: child.name,
    round,
    reqPerSec: r.requests.total / r.duration,
    requests: r.requests.total,
    writesPerSec: writes / r.duration,
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    avg: r.latency.average,
    max: r.latency.max,
    bodyBytes: Buffer.byteLength(body),
    cpuMsPerRequest: {
      server: ((after.server - before.server) * TICK_MS) / n,
      db: ((after.db - before.db) * TICK_MS) / n,
      client: (client.user + client.system) / 1000 / n,
    },
    serverCores: ((after.server - before.server) * TICK_MS) / (after.at - before.at),
    backgroundCores: Math.max(
      0,
      ((after.machine - before.machine - (after.server - before.server) - (after.db - before.db)) * TICK_MS -
        (client.user + client.system) / 1000) /
        (after.at - before.at),
    ),
    backgroundBefore,
    loadavg: os.loadavg(),
  };
  log(
    `${child.name} round ${round}: ${m.reqPerSec.toFixed(1)} req/s${writer ? ` (with ${m.writesPerSec.toFixed(0)} writes/s)` : ''}, p50 ${m.p50} ms, p99 ${m.p99} ms; ` +
      `CPU ms/req server ${m.cpuMsPerRequest.server.toFixed(2)} db ${m.cpuMsPerRequest.db.toFixed(2)} ` +
      `(server at ${(100 * m.serverCores).toFixed(0)} % of a core; other processes ${m.backgroundCores.toFixed(2)} cores)`,
  );
  if (r.non2xx || r.errors || r.mismatches) {
    throw new Error(`${child.name}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.mismatches} wrong bodies under load`);
  }
  return m;
}

// ---- database ---------------------------------------------------------------------------------

async function createDatabase(): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const adminUrl = process.env.BENCH_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `mdr_bench_${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}_${process.pid}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end({ timeout: 2 });
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  log(`created database ${name}`);
  return {
    url: url.toString(),
    name,
    drop: async () => {
      const a = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await a.unsafe(`drop database if exists ${name} with (force)`);
        log(`dropped database ${name}`);
      } finally {
        await a.end({ timeout: 2 });
      }
    },
  };
}

// ---- report -----------------------------------------------------------------------------------

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

function summarise(ms: Measure[]) {
  return {
    reqPerSec: median(ms.map((m) => m.reqPerSec)),
    p50: median(ms.map((m) => m.p50)),
    p99: median(ms.map((m) => m.p99)),
    avg: median(ms.map((m) => m.avg)),
    bodyBytes: median(ms.map((m) => m.bodyBytes)),
    serverCpuMs: median(ms.map((m) => m.cpuMsPerRequest.server)),
    dbCpuMs: median(ms.map((m) => m.cpuMsPerRequest.db)),
    backgroundCores: median(ms.map((m) => m.backgroundCores)),
  };
}
type Summary = ReturnType<typeof summarise>;

function table(results: [string, Summary][]): string {
  const baseline = results.find(([name]) => name === 'baseline')?.[1];
  const rows: string[][] = [
    ['', 'req/s', 'p50 ms', 'p99 ms', 'mean ms', 'body bytes', 'srv CPU ms/req', 'db CPU ms/req', 'other load', '% of baseline'],
  ];
  const label = (name: string) =>
    name === 'baseline'
      ? `raw SQL baseline (${opts.baselineMode})`
      : name === 'graphql'
        ? `GraphQL (${path.basename(opts.server)})`
        : name === 'postgraphile'
          ? 'PostGraphile v4 (peer)'
          : name.replace(/^variant:/, 'variant ');
  for (const [name, s] of results) {
    rows.push([
      label(name),
      s.reqPerSec.toFixed(1),
      s.p50.toFixed(1),
      s.p99.toFixed(1),
      s.avg.toFixed(2),
      String(s.bodyBytes),
      s.serverCpuMs.toFixed(2),
      s.dbCpuMs.toFixed(2),
      `${s.backgroundCores.toFixed(2)} cores`,
      baseline && name !== 'baseline' ? `${((100 * s.reqPerSec) / baseline.reqPerSec).toFixed(1)} %` : '',
    ]);
    const pgl = results.find(([n]) => n === 'postgraphile')?.[1];
    if (name === 'postgraphile' && pgl) {
      const ours = results.find(([n]) => n === 'graphql')?.[1];
      if (ours) {
        rows.push([
          'ratio GraphQL/PostGraphile',
          `${(ours.reqPerSec / pgl.reqPerSec).toFixed(2)}x`,
          `${(ours.p50 / pgl.p50).toFixed(2)}x`,
          `${(ours.p99 / pgl.p99).toFixed(2)}x`,
          `${(ours.avg / pgl.avg).toFixed(2)}x`,
          '',
          `${(ours.serverCpuMs / pgl.serverCpuMs).toFixed(2)}x`,
          `${(ours.dbCpuMs / pgl.dbCpuMs).toFixed(2)}x`,
          '',
          '',
        ]);
      }
    }
    if (name === 'graphql' && baseline) {
      rows.push([
        'ratio GraphQL/baseline',
        `${((100 * s.reqPerSec) / baseline.reqPerSec).toFixed(1)} %`,
        `${(s.p50 / baseline.p50).toFixed(2)}x`,
        `${(s.p99 / baseline.p99).toFixed(2)}x`,
        `${(s.avg / baseline.avg).toFixed(2)}x`,
        '',
        `${(s.serverCpuMs / baseline.serverCpuMs).toFixed(2)}x`,
        `${(s.dbCpuMs / baseline.dbCpuMs).toFixed(2)}x`,
        '',
        '',
      ]);
    }
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('   ')).join('\n');
}

// ---- main -------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const started = Date.now();
  let databaseUrl = process.env.DATABASE_URL;
  let drop: (() => Promise<void>) | null = null;
  if (databaseUrl) dbName = new URL(databaseUrl).pathname.slice(1);
  const load = os.loadavg()[0];
  if (load > os.cpus().length) log(`warning: load average ${load.toFixed(1)} on ${os.cpus().length} CPUs, figures will be noisy`);
  try {
    if (!databaseUrl) {
      const created = await createDatabase();
      databaseUrl = created.url;
      dbName = created.name;
      if (process.env.BENCH_KEEP_DB !== '1') drop = created.drop;
    }
    const database = await openDatabase({ databaseUrl, poolSize: 4 });
    let seeded;
    try {
      await database.migrate();
      seeded = await seedQueue(database, { incidents: opts.incidents, devices: opts.devices });
      // PostGraphile's `devices` (a computed column); dropped at the end when the database stays
      if (opts.postgraphile) await database.query(POSTGRAPHILE_DEVICES);
    } finally {
      await database.close();
    }
    log(`seeded in ${(seeded.ms / 1000).toFixed(1)} s: ${JSON.stringify(seeded.counts)}`);
    if (opts.writesPerSec > 0) {
      const db = postgres(databaseUrl, { max: 4, onnotice: () => {} });
      const ids = (await db<{ id: string }[]>`select id from incidents where tenant_id = ${seeded.tenantId}`).map((r) => r.id);
      writer = new Writer(db, ids, opts.writesPerSec);
      writerDb = db;
    }

    const childEnv = {
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_SIZE: String(opts.poolSize),
      NODE_ENV: 'production',
      LOG_LEVEL: 'silent',
      PORT: '0',
    };
    const baseline: Target = { name: 'baseline', script: 'bench/baseline.ts', env: { BASELINE_MODE: opts.baselineMode }, profile: false };
    const targets: Target[] = [
      ...(opts.only === 'graphql' || opts.only === 'none' ? [] : [baseline]),
      ...(opts.only === 'baseline' || opts.only === 'none'
        ? []
        : [{ name: 'graphql', script: opts.server, env: opts.serverEnv, profile: opts.cpuProf }]),
      ...(opts.postgraphile && opts.only !== 'none'
        ? [
            {
              name: 'postgraphile',
              script: 'bench/postgraphile.ts',
              env: {},
              profile: false,
              body: JSON.stringify({ query: POSTGRAPHILE_QUERY, operationName: 'Q', variables: { tenantId: seeded.tenantId } }),
            },
          ]
        : []),
      ...opts.variants.map((v) => ({ name: `variant:${v.name}`, script: v.server ?? 'bench/server.ts', env: v.env ?? {}, profile: opts.cpuProf })),
    ];

    // The reference answer: the baseline's.
    let reference: unknown;
    {
      const child = await startChild(baseline, childEnv);
      try {
        reference = (await verify(child, seeded.token, null)).body.data;
      } finally {
        await stopChild(child.proc);
      }
    }
    const nodes = (reference as QueueData).incidents.nodes;
    const shape = {
      incidents: nodes.length,
      alerts: nodes.reduce((n, i) => n + i.alerts.nodes.length, 0),
      devices: nodes.reduce((n, i) => n + i.devices.length, 0),
    };
    log(`reference answer: ${JSON.stringify(shape)}`);

    const measures: Measure[] = [];
    for (let round = 1; round <= opts.rounds; round++) {
      // alternate the order so that no target always runs first or last
      const order = round % 2 ? targets : [...targets].reverse();
      for (const target of order) {
        const child = await startChild(target, childEnv);
        try {
          const answer = await verify(child, seeded.token, reference);
          measures.push(await measure(child, seeded.token, round, answer.text));
          await verify(child, seeded.token, reference); // still the same after the load
        } finally {
          await stopChild(child.proc);
        }
      }
    }

    const results = targets.map((t) => [t.name, summarise(measures.filter((m) => m.target === t.name))] as [string, Summary]);
    const b = results.find(([n]) => n === 'baseline')?.[1];
    const g = results.find(([n]) => n === 'graphql')?.[1];
    const ratio = b && g ? g.reqPerSec / b.reqPerSec : null;
    const p = results.find(([n]) => n === 'postgraphile')?.[1];
    const overPostGraphile = p && g ? g.reqPerSec / p.reqPerSec : null;
    process.stdout.write(
      `\nQueue query (first 50, alerts(first: 3), devices), ${opts.incidents} incidents, ` +
        `${opts.connections} connections, ${opts.duration} s after ${opts.warmup} s warm-up` +
        `${opts.rounds > 1 ? `, median of ${opts.rounds} rounds` : ''}, ${os.cpus().length} CPUs, ` +
        `load average ${os.loadavg()[0].toFixed(1)}` +
        `${opts.writesPerSec > 0 ? `, while ${opts.writesPerSec} incidents of the tenant are updated per second` : ''}\n\n${table(results)}\n`,
    );
    if (ratio !== null) {
      process.stdout.write(`\nTarget: GraphQL >= 80% of baseline throughput: ${ratio >= 0.8 ? 'MET' : 'MISSED'} (${(ratio * 100).toFixed(1)} %)\n`);
    }
    if (overPostGraphile !== null) {
      process.stdout.write(`Target: GraphQL >= 3x PostGraphile v4: ${overPostGraphile >= 3 ? 'MET' : 'MISSED'} (${overPostGraphile.toFixed(2)}x)\n`);
    }

    fs.mkdirSync(resultsDir, { recursive: true });
    const file = path.join(resultsDir, `queue-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(
      file,
      JSON.stringify(
        {
          at: new Date().toISOString(),
          machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, memoryMb: Math.round(os.totalmem() / 2 ** 20) },
          loadavgAtStart: load,
          options: opts,
          seed: seeded.counts,
          response: shape,
          summary: { ratio, overPostGraphile, ...Object.fromEntries(results) },
          runs: measures,
        },
        null,
        2,
      ) + '\n',
    );
    process.stdout.write(`Results: ${path.relative(root, file)} (total ${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
    return 0;
  } finally {
    await writerDb?.end({ timeout: 2 });
    await Promise.all([...running].map(stopChild));
    if (!drop && databaseUrl && opts.postgraphile) {
      // a database we did not create: leave it as we found it
      const db = postgres(databaseUrl, { max: 1, onnotice: () => {} });
      await db.unsafe('drop function if exists incidents_devices(incidents)').catch(() => {});
      await db.end({ timeout: 2 });
    }
    if (drop) await drop().catch((err: unknown) => log(`could not drop the database: ${String(err)}`));
  }
}

// A hard stop, so a hung child or database never keeps the run alive.
const watchdog = setTimeout(() => {
  log(`watchdog: still running after ${opts.watchdogSeconds} s, killing children`);
  for (const p of running) p.kill('SIGKILL');
  process.exit(3);
}, opts.watchdogSeconds * 1000);
watchdog.unref();
process.on('SIGINT', () => {
  for (const p of running) p.kill('SIGKILL');
  process.exit(130);
});

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[bench] FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
    // children and the database were cleaned up in main's finally
    process.exit(1);
  },
);
