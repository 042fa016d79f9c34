// WORKERS=N: the real entry point (src/main.ts) as a cluster on PostgreSQL: one primary that
// migrates and seeds once, N server processes on one port, a dead worker replaced, and a clean
// stop of all of them on SIGTERM. The embedded database refuses more than one worker.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { backend } from './helpers/app';
import { freshPostgresDatabase, MAIN_ARGS, root, startService, type Cleanup } from './helpers/service';
import { spawnSync } from 'node:child_process';

const cleanups: Cleanup[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** The worker processes of `pid`: its children running the service (main.ts or its bundle main.mjs). */
function children(pid: number): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').match(/main\.m?[jt]s/)) out.push(Number(entry));
    } catch {
      // gone
    }
  }
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until<T>(what: string, fn: () => T | undefined | false, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function count(url: string, token: string): Promise<number> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    // the live demo incidents: created by the seed (the demo's closed history is older than a day)
    body: JSON.stringify({
      query: 'query ($since: DateTime!) { incidents(first: 50, filter: { createdAfter: $since }) { totalCount nodes { id alerts(first: 3) { nodes { id } } devices { id } } } }',
      variables: { since: new Date(Date.now() - 86_400_000).toISOString() },
    }),
  });
  const body = (await res.json()) as { data?: { incidents: { totalCount: number } }; errors?: unknown[] };
  expect(body.errors).toBeUndefined();
  return body.data!.incidents.totalCount;
}

describe.skipIf(backend !== 'postgres')('WORKERS=2 on PostgreSQL', () => {
  it('serves from two processes, replaces a dead one, and stops them all on SIGTERM', { timeout: 180_000 }, async () => {
    const url = new URL(await freshPostgresDatabase('mdr_cluster', cleanups));
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdr-cluster-test-'));
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));

    const service = await startService({ ...process.env, DATABASE_URL: url.toString(), MDR_DEMO: '1', DATA_DIR: dataDir, WORKERS: '2' }, cleanups);
    expect(service.output()).toContain('2 worker processes');
    const tokens = JSON.parse(fs.readFileSync(path.join(dataDir, 'demo-tokens.json'), 'utf8')) as Record<string, Record<string, string>>;
    const primary = service.child.pid!;
    const workers = await until('two workers', () => (children(primary).length === 2 ? children(primary) : undefined));

    // seeded once (by the primary), and every answer is the same whichever worker gives it
    const counts = await Promise.all(Array.from({ length: 40 }, () => count(service.url, tokens.provider.EXPERT)));
    expect(new Set(counts)).toEqual(new Set([20]));
    const [{ n }] = await postgres(url.toString(), { max: 1, onnotice: () => {} }).begin(async (sql) => sql`select count(*)::int as n from tenants`);
    expect(n).toBe(2);

    // a worker killed outright is replaced; the service answers throughout (a kept-alive
    // connection to the dead worker is reset, as any client of a crashed process sees: a retry
    // on a new connection lands on the live one)
    process.kill(workers[0], 'SIGKILL');
    await until('the killed worker to be gone', () => !alive(workers[0]));
    expect(await count(service.url, tokens.contoso.READER).catch(() => count(service.url, tokens.contoso.READER))).toBe(10);
    const replaced = await until('a replacement worker', () => {
      const now = children(primary);
      return now.length === 2 && !now.includes(workers[0]) ? now : undefined;
    });
    expect(replaced).toContain(workers[1]);
    expect(service.output()).toContain('worker exited; starting another');
    expect(await count(service.url, tokens.fabrikam.READER)).toBe(10);

    // SIGTERM: every worker stops, then the primary, with code 0
    service.child.kill('SIGTERM');
    expect(await service.exited).toEqual({ code: 0, signal: null });
    for (const pid of replaced) await until(`worker ${pid} to exit`, () => !alive(pid));
  });
});

describe('WORKERS above 1 on the embedded database', () => {
  it('is refused with a clear configuration error', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, WORKERS: '2', DATA_DIR: path.join(os.tmpdir(), `mdr-none-${randomUUID()}`) };
    delete env.DATABASE_URL;
    const r = spawnSync(process.execPath, MAIN_ARGS, { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('WORKERS above 1 needs DATABASE_URL');
  });
});
