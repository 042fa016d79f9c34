// The demo seed (src/demo/seed.ts) through the real entry point (src/main.ts, as `npm start` runs it):
// - embedded PGlite with no settings seeds once, writes DATA_DIR/demo-tokens.json, and a restart on
//   the same DATA_DIR neither seeds again nor changes the tokens;
// - with MDR_DEMO=1 on PostgreSQL, several instances starting together seed exactly once, and each
//   prints tokens that work on every instance.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { backend } from './helpers/app';
import { freshPostgresDatabase, root, startService, type Service } from './helpers/service';

const TOKEN = /^mdr_[A-Za-z0-9_-]{43}$/;
const CUSTOMER_ROLES = ['READER', 'OPERATOR', 'ADMIN', 'INTEGRATION'];
const DEMO_INCIDENTS_PER_TENANT = 10; // demoIncidents() in src/demo/seed.ts
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

type Tokens = Record<string, Record<string, string>>;


async function stop(s: Service) {
  s.child.kill('SIGTERM');
  expect(await s.exited).toEqual({ code: 0, signal: null });
}

/** The tokens the banner printed ("    contoso   READER       mdr_..."). */
function bannerTokens(output: string): Tokens {
  const tokens: Tokens = {};
  for (const m of output.matchAll(/^ {4}(\S+)\s+(READER|OPERATOR|ADMIN|EXPERT|INTEGRATION)\s+(mdr_\S+)$/gm)) {
    (tokens[m[1]] ??= {})[m[2]] = m[3];
  }
  return tokens;
}

function readTokensFile(dataDir: string): Tokens {
  return JSON.parse(fs.readFileSync(path.join(dataDir, 'demo-tokens.json'), 'utf8')) as Tokens;
}

function expectTokenShape(tokens: Tokens) {
  expect(Object.keys(tokens).sort()).toEqual(['contoso', 'fabrikam', 'provider']);
  expect(Object.keys(tokens.provider)).toEqual(['EXPERT']);
  for (const slug of ['contoso', 'fabrikam']) expect(Object.keys(tokens[slug]).sort()).toEqual([...CUSTOMER_ROLES].sort());
  for (const roles of Object.values(tokens)) for (const t of Object.values(roles)) expect(t).toMatch(TOKEN);
}

const Overview = /* GraphQL */ `
  query DemoOverview {
    viewer { role tenant { slug } tenantsServed { slug } }
    incidents(first: 1) { totalCount }
  }
`;

async function overview(url: string, token: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: Overview }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  expect(body.errors).toBeUndefined();
  return {
    role: body.data.viewer.role as string,
    tenant: (body.data.viewer.tenant?.slug ?? null) as string | null,
    served: (body.data.viewer.tenantsServed as { slug: string }[]).map((t) => t.slug).sort(),
    incidents: body.data.incidents.totalCount as number,
  };
}

/** Every printed token works on `url` with the right role and tenant. */
async function expectTokensWork(url: string, tokens: Tokens) {
  expect(await overview(url, tokens.provider.EXPERT)).toEqual({
    role: 'EXPERT',
    tenant: null,
    served: ['contoso', 'fabrikam'],
    incidents: 2 * DEMO_INCIDENTS_PER_TENANT,
  });
  for (const slug of ['contoso', 'fabrikam']) {
    for (const role of CUSTOMER_ROLES) {
      expect(await overview(url, tokens[slug][role])).toEqual({ role, tenant: slug, served: [slug], incidents: DEMO_INCIDENTS_PER_TENANT });
    }
  }
}

const ActionsByKind = /* GraphQL */ `
  query DemoActions {
    responseActions(first: 100) {
      nodes {
        kind status incident { number }
        target { __typename }
        attempts { result }
      }
    }
    incidents(first: 100) { nodes { title accounts { upn enabled } emailMessages { location } } }
    tenant { excludedAccounts { upn } }
    savedViews { name shared }
    suppressionRules { name hitCount lastHitAt }
    suppressed: incidents(first: 5, filter: { tags: ["Suppressed"] }) { nodes { title status classification } }
  }
`;

/** The demo shows identity, email and indicator actions (and an ad-hoc scan), a shared view and a fired suppression rule to the customer. */
async function expectResponseBeyondDevices(url: string, tokens: Tokens) {
  for (const slug of ['contoso', 'fabrikam']) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens[slug].READER}` },
      body: JSON.stringify({ query: ActionsByKind }),
    });
    const body = (await res.json()) as { data?: any; errors?: unknown[] };
    expect(body.errors).toBeUndefined();
    const cards = body.data.responseActions.nodes as { kind: string; status: string; incident: unknown; target: { __typename: string } | null; attempts: { result: string | null }[] }[];
    const done = (kind: string, type: string) => cards.find((c) => c.kind === kind && c.status === 'COMPLETED' && c.target?.__typename === type);
    expect(done('DISABLE_USER', 'Account')).toBeTruthy();
    expect(done('REVOKE_SESSIONS', 'Account')).toBeTruthy();
    expect(done('SOFT_DELETE_EMAIL', 'EmailMessage')).toBeTruthy();
    expect(done('BLOCK_INDICATOR', 'Indicator')).toBeTruthy();
    const scan = cards.find((c) => c.kind === 'RUN_ANTIVIRUS_SCAN');
    expect(scan).toMatchObject({ incident: null, status: 'COMPLETED' });
    expect(scan!.attempts[0].result).toMatch(/^Quick scan: /);
    const identity = (body.data.incidents.nodes as { title: string; accounts: { upn: string; enabled: boolean }[]; emailMessages: { location: string }[] }[]).find((i) => i.title.startsWith('Identity compromise'))!;
    expect(identity.accounts).toEqual([{ upn: `kbrown@${slug}.example`, enabled: false }]);
    expect(identity.emailMessages).toEqual([{ location: 'DELETED' }]);
    expect(body.data.tenant.excludedAccounts).toEqual([{ upn: `cfo@${slug}.example` }]);
    // working the queue: a shared view, and a suppression rule that has fired
    expect(body.data.savedViews).toEqual([{ name: 'Waiting for us', shared: true }]);
    expect(body.data.suppressionRules).toMatchObject([{ name: 'Red team test hosts (ticket SEC-2231)', hitCount: 1 }]);
    expect(body.data.suppressed.nodes).toEqual([
      { title: 'Security testing tool detected (Mimikatz)', status: 'RESOLVED', classification: 'INFORMATIONAL_EXPECTED_ACTIVITY' },
    ]);
  }
}

function tempDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdr-demo-test-'));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// Each backend in its own run of the suite (TEST_DB=pglite / DATABASE_URL), like every other test.
describe.skipIf(backend !== 'pglite')('demo seed on embedded PGlite (npm start with no settings)', () => {
  it('seeds once, writes demo-tokens.json, and a restart reuses the data and the tokens', { timeout: 240_000 }, async () => {
    const dataDir = tempDir();
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir };
    delete env.DATABASE_URL;
    delete env.MDR_DEMO;

    const first = await startService(env, cleanups);
    expect(first.output()).toContain('Demo tokens (new demo data');
    const tokens = readTokensFile(dataDir);
    expectTokenShape(tokens);
    expect(bannerTokens(first.output())).toEqual(tokens);
    expect((fs.statSync(path.join(dataDir, 'demo-tokens.json')).mode & 0o777).toString(8)).toBe('600');
    await expectTokensWork(first.url, tokens);
    await expectResponseBeyondDevices(first.url, tokens);
    await stop(first);

    const fileBefore = fs.readFileSync(path.join(dataDir, 'demo-tokens.json'), 'utf8');
    const second = await startService(env, cleanups);
    expect(second.output()).toContain('Demo tokens (existing demo data');
    expect(bannerTokens(second.output())).toEqual(tokens);
    expect(fs.readFileSync(path.join(dataDir, 'demo-tokens.json'), 'utf8')).toBe(fileBefore);
    // Not seeded twice: still 10 incidents per tenant (the expert sees both tenants).
    await expectTokensWork(second.url, tokens);
    await stop(second);

    // Without the tokens file (deleted, or another DATA_DIR), the instance issues fresh tokens for
    // the same demo principals; the old ones keep working and nothing is seeded again.
    fs.rmSync(path.join(dataDir, 'demo-tokens.json'));
    const third = await startService(env, cleanups);
    expect(third.output()).toContain('Demo tokens (existing demo data');
    const reissued = readTokensFile(dataDir);
    expectTokenShape(reissued);
    expect(bannerTokens(third.output())).toEqual(reissued);
    expect(reissued.provider.EXPERT).not.toBe(tokens.provider.EXPERT);
    await expectTokensWork(third.url, reissued);
    await expectTokensWork(third.url, tokens);
    await stop(third);
  });
});

describe.skipIf(backend !== 'postgres')('demo seed on PostgreSQL with MDR_DEMO=1', () => {
  it('seeds exactly once when two instances start together, and both print working tokens', { timeout: 240_000 }, async () => {
    const url = new URL(await freshPostgresDatabase('mdr_demo', cleanups));
    const dirs = [tempDir(), tempDir()];

    // Both at once, on an empty database: both migrate and both try to seed.
    const [a, b] = await Promise.all(
      dirs.map((dataDir) => startService({ ...process.env, DATABASE_URL: url.toString(), DATA_DIR: dataDir, MDR_DEMO: '1' }, cleanups)),
    );
    const banners = [a.output(), b.output()];
    expect(banners.filter((o) => o.includes('Demo tokens (new demo data')).length).toBe(1);
    expect(banners.filter((o) => o.includes('Demo tokens (existing demo data')).length).toBe(1);

    const db = postgres(url.toString(), { max: 1, onnotice: () => {} });
    try {
      const tenants = await db`select slug from tenants order by slug`;
      expect(tenants.map((t) => t.slug)).toEqual(['contoso', 'fabrikam']);
      const perTenant = await db`select t.slug, count(i.id)::int as n from tenants t left join incidents i on i.tenant_id = t.id group by t.slug order by t.slug`;
      expect(perTenant.map((r) => [r.slug, r.n])).toEqual([
        ['contoso', DEMO_INCIDENTS_PER_TENANT],
        ['fabrikam', DEMO_INCIDENTS_PER_TENANT],
      ]);
      const principals = await db`select role, count(*)::int as n from principals group by role order by role`;
      expect(Object.fromEntries(principals.map((r) => [r.role, r.n]))).toEqual({ READER: 2, OPERATOR: 2, ADMIN: 2, EXPERT: 1, INTEGRATION: 2 });
      const [{ n: migrations }] = await db`select count(*)::int as n from drizzle.__drizzle_migrations`;
      const journal = JSON.parse(fs.readFileSync(path.join(root, 'drizzle/meta/_journal.json'), 'utf8')) as { entries: unknown[] };
      expect(migrations).toBe(journal.entries.length);
    } finally {
      await db.end();
    }

    // Each instance wrote (and printed) its own token set; every token works on either instance.
    const sets = dirs.map(readTokensFile);
    for (const [i, s] of [a, b].entries()) {
      expectTokenShape(sets[i]);
      expect(bannerTokens(s.output())).toEqual(sets[i]);
    }
    for (const tokens of sets) for (const s of [a, b]) await expectTokensWork(s.url, tokens);

    await Promise.all([stop(a), stop(b)]);
  });
});
