// npm run bench:coldstart: the embedded start. `node --enable-source-maps dist/node/main.mjs` (what
// `npm start` runs after its prestart build, which is timed once beside it) on a new DATA_DIR (embedded PGlite: migrations, the demo
// seed) until it answers its first GraphQL query, then a restart on the same DATA_DIR. Issue 14
// asks for <= 5 s and <= 2 s on this machine.
//
//   per run (BENCH_RUNS, default 3): a new temporary DATA_DIR; start (cold), wait for the first
//   answer, stop with SIGINT (the clean shutdown), start again on the same folder (restart), stop
//   it; the folder is removed. Time 0 is the spawn. "listening" is the first moment the port
//   accepts a TCP connection (polled every 20 ms); "first answer" is the first
//   `{ managedResponseSummary { awaitingCustomerAction } }` answered with data, with a READER token
//   from DATA_DIR/demo-tokens.json. The service's JSON log lines (LOG_LEVEL=debug) are timestamped
//   as they arrive on stdout: the phases (migrations → "database ready" → seed → "listening").
//   Baselines in the same run, same machine: the runtime alone (`node --import tsx` of a script
//   that imports nothing and exits) and the embedded database alone (a child that creates a PGlite
//   database in a new folder and closes it; and opens it again).
//
//   For comparison, each run also restarts once from source through tsx (`node --import tsx
//   src/main.ts`, what `npm start` ran before it ran the bundle).
//
// Knobs: BENCH_RUNS=3 BENCH_TIMEOUT=300 (s, per start)
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = (msg: string) => process.stderr.write(`[bench:coldstart] ${msg}\n`);
const runs = Number(process.env.BENCH_RUNS ?? 3);
const timeoutMs = Number(process.env.BENCH_TIMEOUT ?? 300) * 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- child modes: the baselines -----------------------------------------------------------------
if (process.argv[2] === 'noop') {
  process.exit(0);
}
if (process.argv[2] === 'pglite') {
  const { PGlite } = await import('@electric-sql/pglite');
  const t0 = performance.now();
  const db = await PGlite.create(path.join(process.argv[3], 'pgdata'));
  await db.query('select 1');
  const opened = performance.now() - t0;
  await db.close();
  process.stdout.write(`${JSON.stringify({ opened: Math.round(opened) })}\n`);
  process.exit(0);
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });

/** A child to its exit: wall ms. */
function timeChild(args: string[]): Promise<{ ms: number; out: string }> {
  const t0 = performance.now();
  const p = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout!.on('data', (c) => (out += c));
  return new Promise((resolve) => p.once('exit', () => resolve({ ms: Math.round(performance.now() - t0), out })));
}

interface StartResult {
  listeningMs: number;
  firstAnswerMs: number;
  /** The service's log messages, in order, ms since the spawn. */
  phases: { msg: string; ms: number }[];
  stopMs: number;
}

/** Start the service on `dataDir`, wait for its first answer, stop it (SIGINT). */
const BUNDLE_ARGS = ['--enable-source-maps', 'dist/node/main.mjs'];
const TSX_ARGS = ['--import', 'tsx', 'src/main.ts'];

async function start(dataDir: string, args = BUNDLE_ARGS): Promise<StartResult> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'debug' };
  delete env.DATABASE_URL;
  delete env.MDR_DEMO;
  delete env.WORKERS;
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const phases: StartResult['phases'] = [];
  let stderr = '';
  child.stderr!.on('data', (c) => (stderr += c));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const ms = Math.round(performance.now() - t0);
    try {
      const m = JSON.parse(line) as { msg?: string };
      if (m.msg) phases.push({ msg: m.msg, ms });
    } catch {
      /* the banner */
    }
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  let dead = false;
  void exited.then(() => (dead = true));
  const deadline = Date.now() + timeoutMs;
  const fail = (why: string) => {
    child.kill('SIGKILL');
    return new Error(`${why}; stderr: ${stderr.slice(-2000)}`);
  };
  while (!(await accepts(port))) {
    if (dead) throw fail('the service exited before it listened');
    if (Date.now() > deadline) throw fail('the service did not listen in time');
    await sleep(20);
  }
  const listeningMs = Math.round(performance.now() - t0);
  const tokensFile = path.join(dataDir, 'demo-tokens.json');
  let firstAnswerMs = 0;
  for (;;) {
    if (Date.now() > deadline) throw fail('no answer in time');
    if (fs.existsSync(tokensFile)) {
      const tokens = JSON.parse(fs.readFileSync(tokensFile, 'utf8')) as Record<string, Record<string, string>>;
      const token = Object.entries(tokens).find(([who, roles]) => who !== 'provider' && roles.READER)?.[1].READER;
      if (token) {
        const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query: '{ managedResponseSummary { awaitingCustomerAction } }' }),
        }).catch(() => null);
        const body = res ? ((await res.json().catch(() => null)) as { data?: unknown } | null) : null;
        if (body?.data) {
          firstAnswerMs = Math.round(performance.now() - t0);
          break;
        }
      }
    }
    await sleep(20);
  }
  const s0 = performance.now();
  child.kill('SIGINT');
  const code = await Promise.race([exited, sleep(20_000).then(() => 'timeout' as const)]);
  if (code === 'timeout') throw fail('the service did not stop within 20 s of SIGINT');
  if (code !== 0) throw new Error(`the service exited with ${code} on SIGINT; stderr: ${stderr.slice(-2000)}`);
  return { listeningMs, firstAnswerMs, phases, stopMs: Math.round(performance.now() - s0) };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : Math.round((s[mid - 1] + s[mid]) / 2);
};

/** When a message was first logged (ms since the spawn), or null. */
const at = (r: StartResult, msg: string) => r.phases.find((p) => p.msg === msg)?.ms ?? null;

async function main() {
  log(`${runs} runs; node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const b0 = performance.now();
  await timeChild(['--import', 'tsx', 'scripts/build.ts']); // npm start's prestart
  const buildMs = Math.round(performance.now() - b0);
  log(`prestart build (tsx scripts/build.ts: dashboard and dist/node/main.mjs): ${buildMs} ms`);
  const cold: StartResult[] = [];
  const warm: StartResult[] = [];
  const warmTsx: StartResult[] = [];
  const noop: number[] = [];
  const pgNew: number[] = [];
  const pgOpen: number[] = [];
  for (let i = 0; i < runs; i++) {
    noop.push((await timeChild(['--import', 'tsx', fileURLToPath(import.meta.url), 'noop'])).ms);
    const floorDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdr-coldstart-floor-'));
    try {
      pgNew.push((await timeChild(['--import', 'tsx', fileURLToPath(import.meta.url), 'pglite', floorDir])).ms);
      pgOpen.push((await timeChild(['--import', 'tsx', fileURLToPath(import.meta.url), 'pglite', floorDir])).ms);
    } finally {
      fs.rmSync(floorDir, { recursive: true, force: true });
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdr-coldstart-'));
    try {
      const c = await start(dir);
      log(`run ${i + 1} cold: listening ${c.listeningMs} ms, first answer ${c.firstAnswerMs} ms; ${c.phases.map((p) => `${p.msg} @${p.ms}`).join(', ')}`);
      cold.push(c);
      const w = await start(dir);
      log(`run ${i + 1} restart: listening ${w.listeningMs} ms, first answer ${w.firstAnswerMs} ms; ${w.phases.map((p) => `${p.msg} @${p.ms}`).join(', ')}`);
      warm.push(w);
      const t = await start(dir, TSX_ARGS);
      log(`run ${i + 1} restart from source (tsx): listening ${t.listeningMs} ms, first answer ${t.firstAnswerMs} ms`);
      warmTsx.push(t);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  const row = (name: string, rs: StartResult[]) => {
    const dbReady = rs.map((r) => at(r, 'database ready')).filter((x): x is number => x != null);
    const listening = rs.map((r) => at(r, 'listening')).filter((x): x is number => x != null);
    return {
      name,
      firstAnswerMs: median(rs.map((r) => r.firstAnswerMs)),
      portOpenMs: median(rs.map((r) => r.listeningMs)),
      databaseReadyLogMs: dbReady.length ? median(dbReady) : null,
      listeningLogMs: listening.length ? median(listening) : null,
      stopMs: median(rs.map((r) => r.stopMs)),
      all: rs.map((r) => r.firstAnswerMs),
    };
  };
  const summary = {
    cold: row('new DATA_DIR', cold),
    restart: row('restart', warm),
    restartTsx: row('restart (tsx)', warmTsx),
    buildMs,
    baseline: { runtimeOnlyMs: median(noop), pgliteNewMs: median(pgNew), pgliteOpenMs: median(pgOpen) },
  };
  console.log('\nmedian of', runs, 'runs, ms since the spawn');
  console.log('start          "database ready"  port open  "listening"  first answer  (each run)      stop (SIGINT)');
  for (const r of [summary.cold, summary.restart, summary.restartTsx]) {
    console.log(`${r.name.padEnd(14)} ${String(r.databaseReadyLogMs).padEnd(17)} ${String(r.portOpenMs).padEnd(10)} ${String(r.listeningLogMs).padEnd(12)} ${String(r.firstAnswerMs).padEnd(13)} ${r.all.join(', ').padEnd(15)} ${r.stopMs}`);
  }
  console.log(`npm start's prestart build (once, before the spawn): ${buildMs} ms`);
  console.log(`baselines: node --import tsx of an empty script ${summary.baseline.runtimeOnlyMs} ms; a child that creates a PGlite database in a new folder ${summary.baseline.pgliteNewMs} ms, opens it again ${summary.baseline.pgliteOpenMs} ms (process included)`);
  console.log(`goals: new DATA_DIR <= 5000 ms (${summary.cold.firstAnswerMs}), restart <= 2000 ms (${summary.restart.firstAnswerMs})`);
  const dirOut = path.join(root, 'bench', '.results');
  fs.mkdirSync(dirOut, { recursive: true });
  const file = path.join(dirOut, `coldstart-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ runs, summary, cold, restart: warm, restartTsx: warmTsx, loadavg: os.loadavg() }, null, 2));
  log(`results in ${path.relative(root, file)}`);
  if (summary.cold.firstAnswerMs > 5000 || summary.restart.firstAnswerMs > 2000) process.exitCode = 1;
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
