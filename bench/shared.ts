// Pieces shared by the benchmark driver and its child processes.
import { spawn, type ChildProcess } from 'node:child_process';
import cluster from 'node:cluster';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const QUEUE_QUERY =
  'query Q { incidents(first: 50) { nodes { id number title severity status updatedAt alerts(first: 3) { nodes { id title severity } } devices { id name healthStatus } } } }';

export const QUEUE_BODY = JSON.stringify({ query: QUEUE_QUERY, operationName: 'Q' });

/**
 * For child processes: exit when the parent goes away (its end of our stdin closes) or asks us
 * to (SIGTERM/SIGINT), after `cleanup`. Exiting through process.exit lets --cpu-prof write.
 */
export function exitWithParent(cleanup: () => Promise<void>): void {
  let exiting = false;
  if (cluster.isWorker) {
    // a worker of bench/cluster.ts: the primary owns stdin and tells us through IPC
    const exit = () => {
      if (exiting) return;
      exiting = true;
      setTimeout(() => process.exit(0), 3_000).unref();
      cleanup()
        .catch(() => {})
        .finally(() => process.exit(0));
    };
    process.on('disconnect', exit);
    process.on('SIGTERM', exit);
    return;
  }
  const exit = () => {
    if (exiting) return;
    exiting = true;
    const force = setTimeout(() => process.exit(0), 3_000);
    force.unref();
    cleanup()
      .catch(() => {})
      .finally(() => process.exit(0));
  };
  process.stdin.on('end', exit);
  process.stdin.on('error', exit);
  process.stdin.resume();
  process.on('SIGTERM', exit);
  process.on('SIGINT', exit);
  // stdin lines are commands from the parent; "exit" is the only one.
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() === 'exit') exit();
  });
}

/** Tell the parent we listen on `port` (one JSON line on stdout). */
export function announce(port: number, extra: Record<string, unknown> = {}): void {
  process.stdout.write(`${JSON.stringify({ ready: true, port, ...extra })}\n`);
}

export interface ChildServer {
  proc: ChildProcess;
  url: string;
}

/**
 * For drivers: start bench/server.ts on `databaseUrl` as a child process (production mode, silent
 * logs, no demo) and resolve with its GraphQL URL once it announces itself. Lines it prints that
 * are not its announcement go to `log`.
 */
export function startChildServer(databaseUrl: string, opts: { log: (msg: string) => void; timeoutMs?: number; env?: NodeJS.ProcessEnv }): Promise<ChildServer> {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const timeoutMs = opts.timeoutMs ?? 120_000;
  // BENCH_CPU_PROF=<dir>: the server writes a V8 CPU profile there when it exits
  const prof = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const proc = spawn(process.execPath, ['--import', 'tsx', ...prof, 'bench/server.ts'], {
    cwd: root,
    env: { ...process.env, DATABASE_URL: databaseUrl, NODE_ENV: 'production', LOG_LEVEL: 'silent', MDR_DEMO: '0', ...opts.env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`the server did not start within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    proc.once('exit', (code) => reject(new Error(`the server exited before it was ready (code ${code})`)));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { ready?: boolean; port?: number };
        if (msg.ready && msg.port) {
          clearTimeout(timer);
          resolve({ proc, url: `http://127.0.0.1:${msg.port}/graphql` });
        }
      } catch {
        opts.log(`server: ${line}`);
      }
    });
  });
}

/** Ask a child server to exit (its stdin), and kill it if it has not after `graceMs`. */
export async function stopChildServer(proc: ChildProcess, graceMs = 5_000): Promise<void> {
  if (proc.exitCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.stdin?.end('exit\n');
  const timer = new Promise<boolean>((r) => setTimeout(() => r(false), graceMs).unref());
  if (!(await Promise.race([exited.then(() => true), timer]))) proc.kill('SIGKILL');
}

/** One GraphQL request with a bearer token; the parsed body. */
export async function gqlRequest(url: string, token: string, query: string, variables: unknown) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: { message: string }[] };
}
