// The real service as a child process, for tests that kill, restart or run several instances.
// Every started service is registered for cleanup. The process runs dist/node/main.mjs, the
// bundle of src/main.ts that `npm start` runs too (test/global-setup.ts builds it once per run);
// `{ tsx: true }` runs the source through tsx instead (`npm run mdr` runs the CLI that way).
import { randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import postgres from 'postgres';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));

export type Cleanup = () => Promise<void> | void;

export interface Service {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** `node` arguments that run the service as `npm start` does: the bundle of src/main.ts. */
export const MAIN_ARGS = ['--enable-source-maps', 'dist/node/main.mjs'];
/** `node` arguments that run the operator CLI: the bundle of src/cli.ts. */
export const CLI_ARGS = ['--enable-source-maps', 'dist/node/cli.mjs'];
/** `node` arguments that run src/main.ts from source, through tsx. */
export const MAIN_TSX_ARGS = ['--import', 'tsx', 'src/main.ts'];

/** Start the service and resolve once it is listening and has printed its banner. */
export async function startService(env: NodeJS.ProcessEnv, cleanups: Cleanup[], opts: { tsx?: boolean } = {}): Promise<Service> {
  const child = spawn(process.execPath, opts.tsx ? MAIN_TSX_ARGS : MAIN_ARGS, {
    cwd: root,
    env: { ...env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not start within 90 s:\n${out}`)), 90_000);
    const onData = () => {
      // The `listening` log line, then the banner (one write, after it).
      const line = out.split('\n').find((l) => l.includes('"msg":"listening"'));
      if (line && out.includes('  Playground: ')) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve((JSON.parse(line) as { url: string }).url);
      }
    };
    child.stdout!.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the service exited (${code ?? signal}) before listening:\n${out}`));
    });
  });
  return { child, url, output: () => out, exited };
}


/** A fresh, empty PostgreSQL database on the DATABASE_URL server (dropped at cleanup); its URL. */
export async function freshPostgresDatabase(prefix: string, cleanups: Cleanup[]): Promise<string> {
  const name = `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const admin = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  cleanups.push(async () => {
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  });
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${name}`;
  return url.toString();
}

/** One GraphQL request to a service started here, with a bearer token. */
export async function gql(url: string, query: string, variables: Record<string, unknown>, token: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: any; errors?: { message: string }[] };
}
