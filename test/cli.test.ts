// The operator CLI against a fresh database: a new PostgreSQL database when the suite runs on
// PostgreSQL, a temporary embedded DATA_DIR otherwise. Most invocations run in-process through
// runCli (src/cli/run.ts) with the environment a child process would get; a few run the real entry
// point (src/cli.ts, and `npm run mdr`) as a child process, to prove it wires argv, the environment,
// the output and the exit code to runCli. Tokens it issues are checked against the real server
// (buildServer) opened on the same database.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli/run';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db/client';
import { createLogger } from '../src/log';
import { buildServer } from '../src/server';
import { backend } from './helpers/app';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const TOKEN = /mdr_[A-Za-z0-9_-]{43}/;

let dataDir: string;
let databaseUrl: string | undefined;
let dropDatabase: (() => Promise<void>) | undefined;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdr-cli-test-'));
  if (backend === 'postgres') {
    const name = `mdr_cli_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
    const admin = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}"`);
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    dropDatabase = async () => {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    };
  }
});

afterAll(async () => {
  await dropDatabase?.();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir };
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  else delete env.DATABASE_URL;
  return env;
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `npm run mdr -- ...args`, in-process: runCli with the environment the child process would get,
 * its output captured. runCli closes the database it opened before it returns, so on PGlite the
 * next invocation (or the server, or a child process) can open the DATA_DIR.
 */
const mdr = (...args: string[]) => mdrWith({}, ...args);

async function mdrWith(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    env: { ...childEnv(), ...env },
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
  });
  return { code, stdout, stderr };
}

/** `npm run mdr -- ...args` as a real child process running the entry point, without npm in between. */
async function spawnMdr(...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: root,
      env: childEnv(),
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function mdrJson<T = Record<string, any>>(...args: string[]): Promise<T> {
  const r = await mdr(...args, '--json');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as T;
}

const ViewerQuery = /* GraphQL */ `
  query CliViewer {
    viewer { role principal { name } tenant { slug } tenantsServed { slug } }
  }
`;

/** The real server, opened on the CLI's database for the duration of `fn` (PGlite: one process at a time). */
async function withServer<T>(fn: (gql: (query: string, token: string) => Promise<any>) => Promise<T>): Promise<T> {
  const database = await openDatabase({ databaseUrl, dataDir, poolSize: 2 });
  const config = loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1', MDR_DEMO: '0' });
  const server = buildServer({ config, database, log: createLogger('silent') });
  await server.start();
  try {
    return await fn(async (query, token) => {
      const res = await fetch(`http://127.0.0.1:${server.port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query }),
      });
      return res.json();
    });
  } finally {
    await server.stop();
    await database.close();
  }
}

describe('mdr CLI', () => {
  const slug = `cli-${randomUUID().slice(0, 8)}`;

  it('creates tenants, principals and tokens that authenticate on the server, and revokes them', { timeout: 180_000 }, async () => {
    const created = await mdr('tenant', 'create', '--slug', slug, '--name', 'CLI Test Ltd', '--access-level', 'OPERATOR');
    expect(created.code).toBe(0);
    expect(created.stdout).toContain(`Created tenant ${slug}`);
    expect(created.stdout).toContain('OPERATOR');

    const { tenants } = await mdrJson('tenant', 'list');
    expect(tenants).toEqual([expect.objectContaining({ slug, name: 'CLI Test Ltd', serviceAccessLevel: 'OPERATOR' })]);

    const { principal: reader } = await mdrJson('principal', 'create', '--tenant', slug, '--role', 'READER', '--name', 'Riley', '--email', 'riley@cli.example');
    expect(reader).toMatchObject({ role: 'READER', name: 'Riley', email: 'riley@cli.example', tenantId: tenants[0].id });
    const expertOut = await mdrJson('principal', 'create', '--role', 'EXPERT', '--name', 'Erin CLI');
    expect(expertOut).toMatchObject({ principal: { role: 'EXPERT', tenantId: null }, serves: [] });
    const expert = expertOut.principal;
    const serve = await mdr('expert', 'serve', '--principal', expert.id, '--tenant', slug);
    expect(serve.code).toBe(0);
    expect(serve.stdout).toContain(`now serves ${slug}`);

    const { principals } = await mdrJson('principal', 'list', '--tenant', slug);
    expect(principals.map((p: any) => [p.name, p.role, p.tenant, p.serves])).toEqual([
      ['Riley', 'READER', slug, undefined],
      ['Erin CLI', 'EXPERT', null, [slug]],
    ]);

    // The token is printed once: human-readable for people, `--json` for scripts.
    const readerToken = await mdrJson('token', 'create', '--principal', reader.id, '--name', 'dashboard');
    expect(readerToken).toMatchObject({ principalId: reader.id, name: 'dashboard', role: 'READER' });
    expect(readerToken.token).toMatch(TOKEN);
    // This one through the real entry point, as a child process: it opens the database, writes, and
    // prints a token that then authenticates on the server.
    const expertText = await spawnMdr('token', 'create', '--principal', expert.id);
    expect(expertText.code).toBe(0);
    expect(expertText.stdout).toContain('shown only once');
    const expertToken = TOKEN.exec(expertText.stdout)![0];

    const { tokens } = await mdrJson('token', 'list', '--principal', reader.id);
    expect(tokens).toEqual([expect.objectContaining({ id: readerToken.id, name: 'dashboard', revokedAt: null })]);
    // Only a prefix is ever listed; the token itself is not stored.
    expect(JSON.stringify(tokens)).not.toContain(readerToken.token);
    expect(tokens[0].prefix).toBe(readerToken.token.slice(0, 10));

    await withServer(async (gql) => {
      const r = await gql(ViewerQuery, readerToken.token);
      expect(r.errors).toBeUndefined();
      expect(r.data.viewer).toEqual({ role: 'READER', principal: { name: 'Riley' }, tenant: { slug }, tenantsServed: [{ slug }] });
      const e = await gql(ViewerQuery, expertToken);
      expect(e.errors).toBeUndefined();
      expect(e.data.viewer).toEqual({ role: 'EXPERT', principal: { name: 'Erin CLI' }, tenant: null, tenantsServed: [{ slug }] });
    });

    const revoked = await mdr('token', 'revoke', '--id', readerToken.id);
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toContain(`Revoked token ${readerToken.id}`);
    const again = await mdrJson('token', 'revoke', '--id', readerToken.id);
    expect(again).toMatchObject({ id: readerToken.id, revoked: false, alreadyRevoked: true, revokedAt: expect.any(String) });

    await withServer(async (gql) => {
      const r = await gql(ViewerQuery, readerToken.token);
      expect(r.data).toBeFalsy();
      expect(r.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      // Revoking one token leaves the others alone.
      const e = await gql(ViewerQuery, expertToken);
      expect(e.data?.viewer?.role).toBe('EXPERT');
    });

    // An expert who stops serving the tenant sees it no more; a disabled principal's tokens stop.
    const unserve = await mdr('expert', 'unserve', '--principal', expert.id, '--tenant', slug);
    expect(unserve.code).toBe(0);
    expect(unserve.stdout).toContain(`no longer serves ${slug}`);
    const disabled = await mdrJson('principal', 'disable', '--id', expert.id);
    expect(disabled).toEqual({ id: expert.id, disabled: true });
    const listed = await mdrJson('principal', 'list');
    expect(listed.principals.find((p: any) => p.id === expert.id)).toMatchObject({ serves: [], disabledAt: expect.any(String) });
    await withServer(async (gql) => {
      const e = await gql(ViewerQuery, expertToken);
      expect(e.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    });
    expect(await mdrJson('principal', 'enable', '--id', expert.id)).toEqual({ id: expert.id, disabled: false });
    await withServer(async (gql) => {
      const e = await gql(ViewerQuery, expertToken);
      expect(e.data?.viewer, JSON.stringify(e)).toMatchObject({ role: 'EXPERT', tenantsServed: [] });
    });
  });

  it('rejects bad input with a clear message and a non-zero exit code, writing nothing', { timeout: 180_000 }, async () => {
    const cases: [args: string[], code: number, message: string | RegExp][] = [
      // Command line mistakes: exit 2, before the database is opened.
      [[], 2, 'no command given'],
      [['tenant', 'frobnicate'], 2, 'unknown command "tenant frobnicate"; did you mean: tenant create, tenant list?'],
      [['tenant', 'create', '--name', 'No slug'], 2, '"tenant create" needs --slug'],
      [['tenant', 'create', '--slug', 'x', '--name', 'X', '--bogus'], 2, "Unknown option '--bogus'"],
      [['tenant', 'list', '--role', 'READER'], 2, '"tenant list" does not take --role'],
      [['tenant', 'create', '--slug', 'x', '--name', 'X', '--access-level', 'ADMIN'], 2, '--access-level must be one of READER, OPERATOR, got "ADMIN"'],
      [['principal', 'create', '--tenant', slug, '--role', 'BOSS', '--name', 'X'], 2, '--role must be one of READER, OPERATOR, ADMIN, EXPERT, INTEGRATION, got "BOSS"'],
      [['principal', 'create', '--role', 'READER', '--name', 'X'], 2, 'a READER belongs to a tenant: --tenant SLUG is required'],
      [['principal', 'create', '--tenant', slug, '--role', 'EXPERT', '--name', 'X'], 2, 'an EXPERT belongs to the provider'],
      [['principal', 'create', '--tenant', slug, '--role', 'READER', '--name', 'X', '--email', 'nope'], 2, '--email must be an email address'],
      [['token', 'create', '--principal', 'not-an-id'], 2, '--principal must be a principal id (a UUID), got "not-an-id"'],
      [['token', 'revoke'], 2, '"token revoke" needs --id'],
      // Rejected by the domain: exit 1, nothing written.
      [['principal', 'create', '--tenant', 'no-such-tenant', '--role', 'READER', '--name', 'X'], 1, 'tenant "no-such-tenant" was not found'],
      [['principal', 'create', '--role', 'EXPERT', '--name', 'Ghost expert', '--serves', `${slug},no-such-tenant`], 1, 'tenant "no-such-tenant" was not found'],
      [['tenant', 'create', '--slug', slug, '--name', 'Duplicate'], 1, `a tenant with slug "${slug}" exists`],
      [['tenant', 'create', '--slug', 'Not_A_Slug', '--name', 'X'], 1, 'slug must be lower-case letters, digits and dashes'],
      [['token', 'create', '--principal', randomUUID()], 1, 'was not found'],
      [['token', 'revoke', '--id', randomUUID()], 1, 'was not found'],
    ];
    const check = async ([args, code, message]: (typeof cases)[number], via = mdr) => {
      const r = await via(...args);
      expect({ args, code: r.code, stdout: r.stdout }).toEqual({ args, code, stdout: '' });
      expect(r.stderr).toMatch(/^mdr: /);
      if (typeof message === 'string') expect(r.stderr).toContain(message);
      else expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toContain('    at '); // a message, not a stack trace
    };
    // Usage errors never open the database, so they can run side by side; so can the others on
    // PostgreSQL, but an embedded DATA_DIR takes one process at a time.
    // (allSettled: no CLI run may outlive the test and write into a removed DATA_DIR.)
    const settle = async (checks: Promise<void>[]) => {
      const failed = (await Promise.allSettled(checks)).find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    };
    const all = (list: typeof cases) => settle(list.map((c) => check(c)));
    const usage = cases.filter((c) => c[1] === 2);
    // One usage error also through the real entry point, as a child process: exit code 2, stderr.
    await settle([...usage.map((c) => check(c)), check(usage[1], spawnMdr)]);
    const rejected = cases.filter((c) => c[1] !== 2);
    if (backend === 'postgres') await all(rejected);
    else for (const c of rejected) await check(c);

    // A principal that is not an expert serves nothing.
    const { principal } = await mdrJson('principal', 'create', '--tenant', slug, '--role', 'OPERATOR', '--name', 'Olivia');
    const notExpert = await mdr('expert', 'serve', '--principal', principal.id, '--tenant', slug);
    expect(notExpert.code).toBe(1);
    expect(notExpert.stderr).toContain('has role OPERATOR: only EXPERT principals serve tenants');

    // --json errors are JSON too.
    const json = await mdr('principal', 'create', '--tenant', 'no-such-tenant', '--role', 'READER', '--name', 'X', '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stderr)).toEqual({ error: { kind: 'NOT_FOUND', message: 'tenant "no-such-tenant" was not found' } });

    // Nothing of the rejected commands was written: no ghost expert half-created.
    const { principals } = await mdrJson('principal', 'list');
    expect(principals.map((p: any) => p.name)).not.toContain('Ghost expert');
  });

  it('help lists every command and explains the embedded database limit', async () => {
    const r = await mdr('help');
    expect(r.code).toBe(0);
    for (const c of ['tenant create', 'tenant list', 'principal create', 'principal list', 'expert serve', 'token create', 'token revoke']) {
      expect(r.stdout).toContain(c);
    }
    expect(r.stdout).toContain('can NOT be opened by two processes at once');
    // The entry point, and the package script operators use, run the same CLI as child processes.
    const [direct, viaNpm] = await Promise.all([
      spawnMdr('help'),
      run('npm', ['run', '--silent', 'mdr', '--', 'help'], { cwd: root, env: childEnv(), timeout: 60_000 }),
    ]);
    expect(direct).toEqual({ code: 0, stdout: r.stdout, stderr: '' });
    expect(viaNpm.stdout).toBe(r.stdout);
    const one = await mdr('token', 'create', '--help');
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('token create --principal ID [--name NAME]');
  });

  it('says so clearly when the database cannot be opened or configured', async () => {
    const down = await mdrWith({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/nothing' }, 'tenant', 'list');
    expect(down).toMatchObject({ code: 3, stdout: '' });
    expect(down.stderr).toContain('mdr: could not open PostgreSQL at DATABASE_URL: connect ECONNREFUSED');
    const bad = await mdrWith({ DATABASE_URL: 'mysql://localhost/x' }, 'tenant', 'list');
    expect(bad).toMatchObject({ code: 2, stdout: '' });
    expect(bad.stderr).toContain('mdr: configuration error: DATABASE_URL must start with postgres://');
  });

  it.skipIf(backend !== 'pglite')('refuses an embedded DATA_DIR that a running service has open', { timeout: 120_000 }, async () => {
    const service = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: { ...childEnv(), PORT: '0', HOST: '127.0.0.1', MDR_DEMO: '0', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((resolve) => service.once('exit', resolve));
    try {
      await waitForListening(service);
      const r = await mdr('tenant', 'list');
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('looks in use');
      expect(r.stderr).toContain('can not be opened by two processes at once');
    } finally {
      if (service.exitCode === null && service.signalCode === null) service.kill('SIGTERM');
      await exited;
    }
    // Once the service has stopped, the CLI works again.
    const r = await mdr('tenant', 'list');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(slug);
  });
});

function waitForListening(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${out}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('"msg":"listening"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code}:\n${out}`));
    });
  });
}
