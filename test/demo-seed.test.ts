// The demo seed (src/demo/seed.ts) through the real entry point (src/main.ts, as `npm start` runs it):
// - embedded PGlite with no settings seeds once, writes DATA_DIR/demo-tokens.json, and a restart on
//   the same DATA_DIR neither seeds again nor changes the tokens;
// - with MDR_DEMO=1 on PostgreSQL, several instances starting together seed exactly once, and each
//   prints tokens that work on every instance;
// - beside the live incidents, each tenant has months of closed history (src/demo/history.ts):
//   serviceMetrics has something to show for the previous months, and the history's SLA rows are
//   what its activity log folds to.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/client';
import { HISTORY_MONTHS } from '../src/demo/history';
import { computeSla } from '../src/domain/sla';
import { backend } from './helpers/app';
import { freshPostgresDatabase, gql, root, startService, type Service } from './helpers/service';

const TOKEN = /^mdr_[A-Za-z0-9_-]{43}$/;
const CUSTOMER_ROLES = ['READER', 'OPERATOR', 'ADMIN', 'INTEGRATION'];
const DEMO_INCIDENTS_PER_TENANT = 10; // demoIncidents() in src/demo/seed.ts
// the history: 25-45 incidents a month per tenant, for HISTORY_MONTHS previous months and the
// current one so far, all created at least a day before the seed (the live ones are created by it)
const HISTORY_MIN = HISTORY_MONTHS * 25;
const HISTORY_MAX = (HISTORY_MONTHS + 1) * 45;
/** Created after this: the live demo incidents; before: the history. */
const since = () => new Date(Date.now() - 86_400_000).toISOString();
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
  query DemoOverview($since: DateTime!) {
    viewer { role tenant { slug } tenantsServed { slug } }
    incidents(first: 1) { totalCount }
    live: incidents(first: 1, filter: { createdAfter: $since }) { totalCount }
    history: incidents(first: 1, filter: { createdBefore: $since }) { totalCount }
    historyOpen: incidents(first: 1, filter: { createdBefore: $since, status: [ACTIVE, IN_PROGRESS, AWAITING_CUSTOMER_ACTION] }) { totalCount }
  }
`;

async function overview(url: string, token: string) {
  const body = await gql(url, Overview, { since: since() }, token);
  expect(body.errors).toBeUndefined();
  // every history incident is closed: nothing of it waits for anyone
  expect(body.data.historyOpen.totalCount).toBe(0);
  expect(body.data.incidents.totalCount).toBe(body.data.live.totalCount + body.data.history.totalCount);
  return {
    role: body.data.viewer.role as string,
    tenant: (body.data.viewer.tenant?.slug ?? null) as string | null,
    served: (body.data.viewer.tenantsServed as { slug: string }[]).map((t) => t.slug).sort(),
    incidents: body.data.live.totalCount as number,
    history: body.data.history.totalCount as number,
  };
}

/** Every printed token works on `url` with the right role and tenant; returns the history's size per tenant. */
async function expectTokensWork(url: string, tokens: Tokens): Promise<Record<string, number>> {
  const expert = await overview(url, tokens.provider.EXPERT);
  expect(expert).toMatchObject({ role: 'EXPERT', tenant: null, served: ['contoso', 'fabrikam'], incidents: 2 * DEMO_INCIDENTS_PER_TENANT });
  const history: Record<string, number> = {};
  for (const slug of ['contoso', 'fabrikam']) {
    for (const role of CUSTOMER_ROLES) {
      const o = await overview(url, tokens[slug][role]);
      expect(o).toMatchObject({ role, tenant: slug, served: [slug], incidents: DEMO_INCIDENTS_PER_TENANT });
      history[slug] ??= o.history;
      expect(o.history).toBe(history[slug]);
    }
    expect(history[slug]).toBeGreaterThanOrEqual(HISTORY_MIN);
    expect(history[slug]).toBeLessThanOrEqual(HISTORY_MAX);
  }
  expect(expert.history).toBe(history.contoso + history.fabrikam);
  return history;
}

const Metrics = /* GraphQL */ `
  query DemoMetrics($from: DateTime!, $to: DateTime!, $tenantId: ID) {
    serviceMetrics(from: $from, to: $to, interval: MONTH, tenantId: $tenantId) {
      buckets { start incidents }
      totals {
        incidents breaches
        bySeverity { key count } byClassification { key count }
        timeToAcknowledge { count p50 p90 } timeToResolve { count p50 p90 } customerResponseTime { count p50 }
        actionsByKind { key count } actionsByPerformer { key count }
      }
    }
  }
`;

const monthStart = (monthsBack: number) => {
  const d = new Date();
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - monthsBack, 1)).toISOString();
};

/** serviceMetrics has the history: every previous month has incidents, the last one times, breaches and actions of both sides. */
async function expectMetrics(url: string, tokens: Tokens) {
  const count = (list: { key: string; count: number }[], key: string) => list.find((c) => c.key === key)?.count ?? 0;
  // the history spans the previous HISTORY_MONTHS months, for the experts and for each customer
  for (const token of [tokens.provider.EXPERT, tokens.contoso.READER, tokens.fabrikam.READER]) {
    const all = await gql(url, Metrics, { from: monthStart(HISTORY_MONTHS), to: monthStart(0) }, token);
    expect(all.errors).toBeUndefined();
    expect(all.data.serviceMetrics.buckets).toHaveLength(HISTORY_MONTHS);
    for (const b of all.data.serviceMetrics.buckets) expect(b.incidents).toBeGreaterThanOrEqual(20);
    expect(all.data.serviceMetrics.totals.breaches).toBeGreaterThan(0);
  }
  // the previous month: as the experts (both tenants) and as contoso, whose experts may act
  for (const token of [tokens.provider.EXPERT, tokens.contoso.READER]) {
    const last = await gql(url, Metrics, { from: monthStart(1), to: monthStart(0) }, token);
    expect(last.errors).toBeUndefined();
    const t = last.data.serviceMetrics.totals;
    expect(t.incidents).toBeGreaterThanOrEqual(20);
    expect(t.timeToAcknowledge.count).toBe(t.incidents);
    expect(t.timeToAcknowledge.p50).toBeGreaterThan(0);
    expect(t.timeToAcknowledge.p90).toBeGreaterThanOrEqual(t.timeToAcknowledge.p50);
    expect(t.timeToResolve.count).toBe(t.incidents);
    expect(t.timeToResolve.p50).toBeGreaterThan(t.timeToAcknowledge.p50);
    expect(count(t.byClassification, 'TRUE_POSITIVE')).toBeGreaterThan(0);
    expect(count(t.byClassification, 'FALSE_POSITIVE') + count(t.byClassification, 'INFORMATIONAL_EXPECTED_ACTIVITY')).toBeGreaterThan(0);
    expect(count(t.byClassification, 'UNKNOWN')).toBe(0);
    expect(t.bySeverity.filter((c: { count: number }) => c.count > 0).length).toBeGreaterThanOrEqual(3);
    expect(count(t.actionsByPerformer, 'EXPERTS')).toBeGreaterThan(0);
    expect(count(t.actionsByPerformer, 'CUSTOMER')).toBeGreaterThan(0);
    expect(t.actionsByKind.length).toBeGreaterThanOrEqual(5);
    if (token === tokens.provider.EXPERT) {
      expect(t.breaches).toBeGreaterThan(0);
      expect(t.customerResponseTime.count).toBeGreaterThan(0);
      expect(t.customerResponseTime.p50).toBeGreaterThan(0);
    }
  }
}

/** The history's SLA rows are what folding its activity log gives (src/domain/sla.ts), and it queued nothing. */
async function expectSlaFromLog(database: Database) {
  const history = await database.query<{ id: string }>(`select id from incidents where created_at < now() - interval '1 day'`);
  expect(history.length).toBeGreaterThanOrEqual(2 * HISTORY_MIN);
  const ids = history.map((h) => h.id);
  const folded = await computeSla(database.db, ids);
  const stored = await database.query<Record<string, unknown>>(`select * from incident_sla where incident_id = any($1::uuid[])`, [ids]);
  const ms = (v: unknown) => (v == null ? null : v instanceof Date ? v.getTime() : typeof v === 'string' && !/^\d+$/.test(v) ? new Date(v).getTime() : Number(v));
  const byId = new Map(stored.map((r) => [r.incident_id as string, r]));
  expect(byId.size).toBe(ids.length);
  for (const f of folded) {
    const s = byId.get(f.incidentId)!;
    expect({ id: f.incidentId, status: s.status, severity: s.severity, classification: s.classification }).toEqual({ id: f.incidentId, status: f.status, severity: f.severity, classification: f.classification });
    const pairs = [
      ['acknowledged_at', f.acknowledgedAt],
      ['left_active_at', f.leftActiveAt],
      ['classified_at', f.classifiedAt],
      ['published_at', f.publishedAt],
      ['resolved_at', f.resolvedAt],
      ['awaiting_since', f.awaitingSince],
      ['customer_response_ms', f.customerResponseMs],
    ] as const;
    for (const [col, value] of pairs) expect([f.incidentId, col, ms(s[col])]).toEqual([f.incidentId, col, ms(value)]);
    expect(f.status).toBe('RESOLVED');
    expect(f.acknowledgedAt).not.toBeNull();
    expect(f.resolvedAt).not.toBeNull();
  }
  // below the domain layer: no notification, webhook or reminder for any of it
  for (const table of ['notifications', 'outbound_deliveries', 'incident_reminders']) {
    const [{ n }] = await database.query<{ n: number }>(`select count(*)::int as n from ${table} where incident_id = any($1::uuid[])`, [ids]);
    expect([table, n]).toEqual([table, 0]);
  }
  // the tenants date from the history's start
  const tenants = await database.query<{ created_at: unknown }>(`select created_at from tenants`);
  for (const t of tenants) expect(new Date(ms(t.created_at)!).toISOString()).toBe(monthStart(HISTORY_MONTHS));
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
    // (most recently changed first: the live demo's cards come before the history's)
    const done = (kind: string, type: string) => cards.find((c) => c.kind === kind && c.status === 'COMPLETED' && c.target?.__typename === type);
    expect(done('DISABLE_USER', 'Account')).toBeTruthy();
    expect(done('REVOKE_SESSIONS', 'Account')).toBeTruthy();
    expect(done('SOFT_DELETE_EMAIL', 'EmailMessage')).toBeTruthy();
    expect(done('BLOCK_INDICATOR', 'Indicator')).toBeTruthy();
    const scan = cards.find((c) => c.kind === 'RUN_ANTIVIRUS_SCAN' && c.incident === null);
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

    // from source through tsx (the other starts run the bundle, as npm start does): both work
    const first = await startService(env, cleanups, { tsx: true });
    expect(first.output()).toContain('Demo tokens (new demo data');
    const tokens = readTokensFile(dataDir);
    expectTokenShape(tokens);
    expect(bannerTokens(first.output())).toEqual(tokens);
    expect((fs.statSync(path.join(dataDir, 'demo-tokens.json')).mode & 0o777).toString(8)).toBe('600');
    const history = await expectTokensWork(first.url, tokens);
    await expectResponseBeyondDevices(first.url, tokens);
    await expectMetrics(first.url, tokens);
    await stop(first);

    // the history as stored: its SLA rows fold from its activity (PGlite is one process: the service is stopped)
    const database = await openDatabase({ dataDir, poolSize: 1, prepare: true });
    try {
      await expectSlaFromLog(database);
    } finally {
      await database.close();
    }

    const fileBefore = fs.readFileSync(path.join(dataDir, 'demo-tokens.json'), 'utf8');
    const second = await startService(env, cleanups);
    expect(second.output()).toContain('Demo tokens (existing demo data');
    expect(bannerTokens(second.output())).toEqual(tokens);
    expect(fs.readFileSync(path.join(dataDir, 'demo-tokens.json'), 'utf8')).toBe(fileBefore);
    // Not seeded twice: still 10 live incidents per tenant (the expert sees both tenants), and the same history.
    expect(await expectTokensWork(second.url, tokens)).toEqual(history);
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
      const perTenant = await db`select t.slug, count(i.id) filter (where i.created_at > now() - interval '1 day')::int as n,
        count(i.id) filter (where i.created_at <= now() - interval '1 day')::int as history
        from tenants t left join incidents i on i.tenant_id = t.id group by t.slug order by t.slug`;
      expect(perTenant.map((r) => [r.slug, r.n])).toEqual([
        ['contoso', DEMO_INCIDENTS_PER_TENANT],
        ['fabrikam', DEMO_INCIDENTS_PER_TENANT],
      ]);
      for (const r of perTenant) expect(r.history).toBeGreaterThanOrEqual(HISTORY_MIN);
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
    await expectMetrics(a.url, sets[0]);
    const database = await openDatabase({ databaseUrl: url.toString(), dataDir: dirs[0], poolSize: 2, prepare: true });
    try {
      await expectSlaFromLog(database);
    } finally {
      await database.close();
    }

    await Promise.all([stop(a), stop(b)]);
  });
});
