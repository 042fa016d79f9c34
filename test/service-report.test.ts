// The monthly service report (SPEC.md section 8): its data through GraphQL, the page behind a
// short-lived signed link (in headless Chromium, with no network), who may ask for which tenant,
// and the email on the first of the month queued once however many processes look (in process on
// both databases; two real service processes and a real SMTP peer on PostgreSQL).
//
// The tenant's history is made through the real API, then moved one calendar month back in SQL
// (every timestamp of the tenant) and its SLA rollup recomputed from the moved activity log.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { previousMonth } from '../src/domain/report/data';
import { ReportLinks } from '../src/domain/report/links';
import { queueMonthlyReports } from '../src/domain/report/schedule';
import { renderNotification, type NoticePayload } from '../src/domain/notifications/templates';
import { Secrets } from '../src/domain/secrets';
import { recomputeSla } from '../src/domain/sla';
import { openDatabase } from '../src/db/client';
import { backend, startApp, type TestApp } from './helpers/app';
import { encodeGlobalID, expertServing, newTenant, type TenantFixture } from './helpers/factory';
import { ingest, mutate, publishedWithOneClicks, waitFor } from './helpers/response';
import { startSmtpPeer } from './helpers/peers';
import { freshPostgresDatabase, root, startService, type Cleanup } from './helpers/service';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.join(root, 'test', 'artifacts');

let app: TestApp;
let a: TenantFixture;
let b: TenantFixture;
let published: string;
const month = previousMonth(new Date());
const local = (gid: string) => decodeGlobalID(gid).id;

const REPORT = `query($t: ID, $m: String!) { serviceReport(tenantId: $t, month: $m) {
  month from to complete tenant { id name }
  metrics { totals { incidents breaches bySeverity { key count } byClassification { key count } timeToAcknowledge { count p50 } actionsByPerformer { key count } }
    buckets { start end incidents } }
  previousMonth { incidents }
  notableIncidents { reasons summary timeToAcknowledge incident { id number title } }
  htmlUrl htmlUrlExpiresAt } }`;

/** Move every timestamp of the tenant one calendar month back, and recompute its SLA rollup from the log. */
async function moveTenantOneMonthBack(t: TenantFixture) {
  const q = (sql: string) => app.database.query(sql, [t.tenant.id]);
  await q(`update tenants set created_at = created_at - interval '1 month' where id = $1::uuid`);
  await q(`update incidents set created_at = created_at - interval '1 month', updated_at = updated_at - interval '1 month' where tenant_id = $1::uuid`);
  await q(`update activity set created_at = created_at - interval '1 month' where tenant_id = $1::uuid`);
  await q(`update action_cards set completed_at = completed_at - interval '1 month' where tenant_id = $1::uuid and completed_at is not null`);
  await q(`update managed_responses set published_at = published_at - interval '1 month' where tenant_id = $1::uuid`);
  const ids = (await app.database.query<{ id: string }>(`select id from incidents where tenant_id = $1::uuid`, [t.tenant.id])).map((r) => r.id);
  await recomputeSla(app.database.db, ids);
}

beforeAll(async () => {
  app = await startApp();
  a = await newTenant(app, { name: 'Acme <b>&</b> Co' });
  b = await newTenant(app);
  // a true positive with a managed response: one action performed by the experts, one by the customer
  published = await publishedWithOneClicks(app, a);
  const node = await app.gql<any, any>(`query($id: ID!) { node(id: $id) { ... on Incident { managedResponse { actions { id kind } } } } }`, { id: published }, a.tokens.EXPERT);
  const [first, second] = node.data.node.managedResponse.actions as { id: string }[];
  // left to the customer (READER access level): the customer performs one, then lets the experts act
  expect((await mutate(app, a.tokens.OPERATOR, 'performAction', { actionId: first.id }, 'action { status }')).data.performAction.errors).toEqual([]);
  expect((await mutate(app, a.tokens.ADMIN, 'setServiceAccessLevel', { level: 'OPERATOR' }, 'tenant { id }')).data.setServiceAccessLevel.errors).toEqual([]);
  expect((await mutate(app, a.tokens.EXPERT, 'performAction', { actionId: second.id }, 'action { status }')).data.performAction.errors).toEqual([]);
  await waitFor(
    () => app.database.query<{ n: number }>(`select count(*)::int as n from action_cards where tenant_id = $1::uuid and status = 'COMPLETED'`, [a.tenant.id]),
    (r) => Number(r[0].n) === 2,
  );
  // a false positive, resolved; and a LOW one nobody looked at
  const fp = await ingest(app, a, { severity: 'LOW', title: 'Admin script flagged' });
  expect((await mutate(app, a.tokens.EXPERT, 'startInvestigation', { incidentId: fp.id })).data.startInvestigation.errors).toEqual([]);
  const c = await mutate(app, a.tokens.EXPERT, 'classifyIncident', {
    incidentId: fp.id,
    classification: 'FALSE_POSITIVE',
    determination: 'NOT_MALICIOUS',
    summary: 'A scheduled admin script, known to the customer.',
  });
  expect(c.data.classifyIncident.errors).toEqual([]);
  await ingest(app, a, { severity: 'HIGH', title: 'Unattended <script>alert(1)</script> HIGH' });
  await moveTenantOneMonthBack(a);
  // tenant B has one incident this month (never in A's report)
  await ingest(app, b, { title: 'B only' });
}, 120_000);

afterAll(async () => {
  await app?.close();
});

describe('serviceReport', () => {
  it("gives a customer its own tenant's month: weekly buckets, totals, notable incidents with the experts' words, and a link", async () => {
    const r = await app.gql<any, any>(REPORT, { m: month }, a.tokens.READER);
    expect(r.errors).toBeUndefined();
    const rep = r.data.serviceReport;
    expect(rep.month).toBe(month);
    expect(rep.complete).toBe(true);
    expect(local(rep.tenant.id)).toBe(a.tenant.id);
    expect(rep.metrics.totals.incidents).toBe(3);
    expect(rep.metrics.totals.byClassification.find((c: any) => c.key === 'TRUE_POSITIVE').count).toBe(1);
    expect(rep.metrics.totals.actionsByPerformer).toEqual(expect.arrayContaining([{ key: 'EXPERTS', count: 1 }, { key: 'CUSTOMER', count: 1 }]));
    // weeks cover the month exactly: the first starts on the 1st, the last ends on the next 1st
    expect(rep.metrics.buckets[0].start).toBe(rep.from);
    expect(rep.metrics.buckets.at(-1).end).toBe(rep.to);
    expect(rep.metrics.buckets.reduce((n: number, x: any) => n + x.incidents, 0)).toBe(3);
    expect(rep.previousMonth.incidents).toBe(0);
    // the true positive first, with its investigation summary; the unattended HIGH one is notable too
    expect(local(rep.notableIncidents[0].incident.id)).toBe(local(published));
    expect(rep.notableIncidents[0].reasons).toContain('TRUE_POSITIVE');
    expect(rep.notableIncidents[0].summary).toMatch(/encoded PowerShell/);
    expect(rep.notableIncidents.map((n: any) => n.incident.title)).toContain('Unattended <script>alert(1)</script> HIGH');
    expect(rep.notableIncidents.map((n: any) => n.incident.title)).not.toContain('Admin script flagged');
    expect(rep.htmlUrl).toMatch(/\/reports\/service\?/);
    const ttl = Date.parse(rep.htmlUrlExpiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(10 * 60_000);
    expect(ttl).toBeLessThanOrEqual(15 * 60_000);
  });

  it('is the same report for the expert naming the tenant; an expert serving several must name one', async () => {
    const many = await expertServing(app, [a.tenant, b.tenant]);
    const named = await app.gql<any, any>(REPORT, { t: a.tenantGid, m: month }, many.token);
    expect(named.errors).toBeUndefined();
    expect(named.data.serviceReport.metrics.totals.incidents).toBe(3);
    const unnamed = await app.gql<any, any>(REPORT, { m: month }, many.token);
    expect(unnamed.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(unnamed.errors?.[0]?.message).toMatch(/tenantId/);
  });

  it("never gives another tenant's report: NOT_FOUND for a foreign tenant, FORBIDDEN for an integration", async () => {
    const foreign = await app.gql<any, any>(REPORT, { t: a.tenantGid, m: month }, b.tokens.ADMIN);
    expect(foreign.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(foreign.data).toBeNull();
    const integration = await app.gql<any, any>(REPORT, { m: month }, a.tokens.INTEGRATION);
    expect(integration.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('refuses a malformed month or one that has not started', async () => {
    const next = new Date();
    next.setUTCMonth(next.getUTCMonth() + 1, 1);
    for (const m of ['2026-13', '2026-1', 'November', `${next.getUTCFullYear()}-${String(next.getUTCMonth() + 1).padStart(2, '0')}`]) {
      const r = await app.gql<any, any>(REPORT, { m }, a.tokens.READER);
      expect(r.errors?.[0]?.extensions?.code, m).toBe('BAD_USER_INPUT');
    }
  });
});

describe('the report page behind the signed link', () => {
  const link = async (token: string) => (await app.gql<any, any>(REPORT, { m: month }, token)).data.serviceReport.htmlUrl as string;

  it('is a self-contained page with the charts, escaped data, and headers that keep the link private', async () => {
    const res = await fetch(await link(a.tokens.READER));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html.match(/<svg/g)?.length).toBe(4);
    expect(html).toContain('Acme &lt;b&gt;&amp;&lt;/b&gt; Co');
    expect(html).toContain('Unattended &lt;script&gt;alert(1)&lt;/script&gt; HIGH');
    expect(html).not.toMatch(/<script|src="http|href="http/);
  });

  it('is refused when altered (403), expired (410), or when its principal lost access (403)', async () => {
    const url = new URL(await link(a.tokens.READER));
    const tampered = new URL(url);
    tampered.searchParams.set('tenant', b.tenant.id);
    expect((await fetch(tampered)).status).toBe(403);
    const forged = new URL(url);
    forged.searchParams.set('sig', 'A'.repeat(43));
    expect((await fetch(forged)).status).toBe(403);
    const later = new URL(url);
    later.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
    expect((await fetch(later)).status).toBe(403);

    const links = new ReportLinks(Secrets.fromConfig(app.config.secretsKey, app.config.dataDir), () => app.url.replace(/\/graphql$/, ''), 60_000);
    const old = links.make({ tenantId: a.tenant.id, month, principalId: a.principals.READER.id }, Date.now() - 3_600_000);
    const expired = await fetch(old.url);
    expect(expired.status).toBe(410);
    expect(await expired.text()).toMatch(/expired/);

    // the OPERATOR's link works until the ADMIN disables the OPERATOR
    const operatorLink = await link(a.tokens.OPERATOR);
    expect((await fetch(operatorLink)).status).toBe(200);
    const off = await mutate(app, a.tokens.ADMIN, 'updatePrincipal', { principalId: encodeGlobalID('Principal', a.principals.OPERATOR.id), disabled: true }, 'principal { id }');
    expect(off.data.updatePrincipal.errors).toEqual([]);
    expect((await fetch(operatorLink)).status).toBe(403);
  });

  it.skipIf(!fs.existsSync(CHROMIUM))('renders in headless Chromium with no network: the charts are there, on screen and printed', { timeout: 120_000 }, async () => {
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--disable-sync', '--no-first-run'] });
    try {
      const url = await link(a.tokens.ADMIN);
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      const outside: string[] = [];
      // only the page itself may load: any other request (a CDN, a font, an image) is refused and recorded
      await page.route('**/*', (route) => (route.request().url() === url ? route.continue() : (outside.push(route.request().url()), route.abort())));
      const res = await page.goto(url, { waitUntil: 'load' });
      expect(res?.status()).toBe(200);
      expect(outside).toEqual([]);
      await expect(page.title()).resolves.toContain('service report');
      const charts = page.locator('figure.chart svg');
      expect(await charts.count()).toBe(4);
      for (let i = 0; i < 4; i++) {
        const box = await charts.nth(i).boundingBox();
        expect(box!.width).toBeGreaterThan(300);
        expect(box!.height).toBeGreaterThan(100);
      }
      // bars and curves were drawn, not just axes
      expect(await page.locator('figure.chart svg path').count()).toBeGreaterThan(10);
      expect(await page.locator('.incident h3').first().textContent()).toContain('Suspicious activity');
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'service-report.png'), fullPage: true });
      await page.emulateMedia({ media: 'print' });
      expect((await charts.first().boundingBox())!.width).toBeGreaterThan(300);
      await page.screenshot({ path: path.join(ARTIFACTS, 'service-report-print.png'), fullPage: true });
      expect(fs.statSync(path.join(ARTIFACTS, 'service-report.png')).size).toBeGreaterThan(20_000);
    } finally {
      await browser.close();
    }
  });
});

describe('the monthly email', () => {
  it('queues last month\'s report once per tenant, to its active SERVICE_REVIEW contacts only, however many look at once', async () => {
    const t = await newTenant(app);
    await app.database.query(`update tenants set created_at = now() - interval '70 days' where id = $1::uuid`, [t.tenant.id]);
    await app.database.query(
      `insert into notification_contacts (tenant_id, name, email, purposes, active) values
        ($1::uuid, 'CISO', 'ciso@t.example', '{SERVICE_REVIEW}', true),
        ($1::uuid, 'Lead', 'lead@t.example', '{INCIDENT_NOTIFICATION,SERVICE_REVIEW}', true),
        ($1::uuid, 'Gone', 'gone@t.example', '{SERVICE_REVIEW}', false),
        ($1::uuid, 'SOC', 'soc@t.example', '{INCIDENT_NOTIFICATION}', true)`,
      [t.tenant.id],
    );
    // a tenant created this month has no report for last month
    const fresh = await newTenant(app);
    const scope = [t.tenant.id, fresh.tenant.id];
    const counts = await Promise.all([queueMonthlyReports(app.database, { scope }), queueMonthlyReports(app.database, { scope }), queueMonthlyReports(app.database, { scope })]);
    expect(counts.reduce((x, y) => x + y, 0)).toBe(2);
    expect(await queueMonthlyReports(app.database, { scope })).toBe(0);
    const rows = await app.database.query<{ recipient: string; kind: string; channel: string; payload: NoticePayload; tenant_id: string }>(
      `select recipient, kind, channel, payload, tenant_id from notifications where tenant_id = any($1::uuid[]) order by recipient`,
      [scope],
    );
    expect(rows.map((r) => [r.recipient, r.kind, r.channel])).toEqual([
      ['ciso@t.example', 'SERVICE_REPORT', 'EMAIL'],
      ['lead@t.example', 'SERVICE_REPORT', 'EMAIL'],
    ]);
    expect(rows[0].payload.report?.month).toBe(month);
    const runs = await app.database.query<{ tenant_id: string; recipients: number }>(`select tenant_id, recipients from service_report_runs where tenant_id = any($1::uuid[])`, [scope]);
    expect(runs).toEqual([{ tenant_id: t.tenant.id, recipients: 2 }]);

    // what it says: the month and its headline figures; the report itself goes as an attachment
    const rendered = renderNotification('SERVICE_REPORT', rows[0].payload, { providerName: 'Defender Experts', link: null, serviceUrl: 'https://mdr.example' });
    expect(rendered.subject).toMatch(/service report from Defender Experts: 0 incidents/);
    expect(rendered.text).toContain(`serviceReport(month: "${month}")`);
  });

  it('is due from the first of the month, 00:00 UTC, for the month before', async () => {
    const t = await newTenant(app);
    await app.database.query(`update tenants set created_at = '2026-01-10T00:00:00Z' where id = $1::uuid`, [t.tenant.id]);
    await app.database.query(`insert into notification_contacts (tenant_id, name, email, purposes) values ($1::uuid, 'CISO', 'ciso@due.example', '{SERVICE_REVIEW}')`, [t.tenant.id]);
    const scope = [t.tenant.id];
    // on 31 January at 23:59:59 the month is not over: December's report is not due, the tenant did not exist then
    expect(await queueMonthlyReports(app.database, { scope, now: new Date('2026-01-31T23:59:59Z') })).toBe(0);
    // at midnight on 1 February, January's is
    expect(await queueMonthlyReports(app.database, { scope, now: new Date('2026-02-01T00:00:00Z') })).toBe(1);
    expect(await queueMonthlyReports(app.database, { scope, now: new Date('2026-02-27T12:00:00Z') })).toBe(0);
    const [row] = await app.database.query<{ payload: NoticePayload }>(`select payload from notifications where tenant_id = $1::uuid`, [t.tenant.id]);
    expect(row.payload.report?.month).toBe('2026-01');
    expect(row.payload.report?.monthName).toBe('January 2026');
  });
});

describe.skipIf(backend !== 'postgres')('two service processes on the 1st', () => {
  const cleanups: Cleanup[] = [];
  afterEach(async () => {
    for (const fn of cleanups.splice(0).reverse()) await fn();
  });

  it('email each SERVICE_REVIEW contact the report once, with the page attached', { timeout: 180_000 }, async () => {
    const url = await freshPostgresDatabase('mdr_report', cleanups);
    const db = await openDatabase({ databaseUrl: url, dataDir: 'memory://', poolSize: 2 });
    cleanups.push(() => db.close());
    await db.migrate();
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    cleanups.push(() => sql.end());
    const [tenant] = await sql`insert into tenants (slug, name, created_at) values ('acme', 'Acme', now() - interval '70 days') returning id`;
    await sql`insert into notification_contacts (tenant_id, name, email, purposes) values
      (${tenant.id}, 'CISO', 'ciso@acme.example', '{SERVICE_REVIEW}'),
      (${tenant.id}, 'Lead', 'lead@acme.example', '{INCIDENT_NOTIFICATION,SERVICE_REVIEW}'),
      (${tenant.id}, 'SOC', 'soc@acme.example', '{INCIDENT_NOTIFICATION}')`;

    const smtp = await startSmtpPeer();
    cleanups.push(() => smtp.close());
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdr-report-test-'));
    cleanups.push(() => fs.rmSync(dataDir, { recursive: true, force: true }));
    const env = {
      ...process.env,
      DATABASE_URL: url,
      MDR_DEMO: '0',
      DATA_DIR: dataDir,
      SMTP_URL: smtp.url,
      EXECUTOR_POLL_MS: '50',
      SECRETS_KEY: 'k'.repeat(40),
    };
    // both look for due reports every 50 ms from their start
    await Promise.all([startService(env, cleanups), startService(env, cleanups)]);
    const got = await smtp.waitFor((m) => m.length >= 2, 60_000);
    // many more sweeps of both processes later, still one email per contact
    await new Promise((r) => setTimeout(r, 1_500));
    expect(smtp.messages.length).toBe(2);
    expect(got.map((m) => m.envelopeTo.join(',')).sort()).toEqual(['ciso@acme.example', 'lead@acme.example']);
    for (const m of got) {
      expect(m.parsed.subject).toMatch(/Acme · .+ service report from/);
      const page = m.parsed.attachments.find((x) => x.filename === `service-report-${month}.html`);
      expect(page, 'the report is attached').toBeDefined();
      const html = page!.content.toString('utf8');
      expect(html).toContain('service report · Acme');
      expect(html).not.toMatch(/<script|src="http/);
    }
    const runs = await sql`select month, recipients from service_report_runs`;
    expect(runs.map((r) => ({ ...r }))).toEqual([{ month, recipients: 2 }]);
  });
});
