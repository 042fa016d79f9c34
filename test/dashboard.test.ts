// The operations dashboard (/dashboard) in a real browser: Debian's Chromium driven by
// playwright-core against the in-process server. Mutations go through the API while the page is
// open; the page must follow them live (graphql-ws), without a reload, and a token of one tenant
// must never show another tenant's incidents. Also: how the page and its bundle are served, and that
// the page sends its documents by id only (persisted documents), so it works with
// PERSISTED_DOCUMENTS_ONLY=1 as well.
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { request } from 'node:http';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { getIntrospectionQuery } from 'graphql';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard, DASHBOARD_BUNDLE } from '../scripts/build-dashboard';
import { loadConfig } from '../src/config';
import * as documents from '../src/dashboard/documents';
import { documentId, loadManifest } from '../src/persisted/manifest';
import { startApp, type TestApp } from './helpers/app';
import { newTenant } from './helpers/factory';
import { ingest, mutate, summary } from './helpers/response';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(`test/dashboard.test.ts: the browser tests are SKIPPED because ${CHROMIUM} is absent (apt-get install -y chromium; .ci/run installs it)`);
}
const SCREENSHOT = fileURLToPath(new URL('./artifacts/dashboard.png', import.meta.url));

let app: TestApp;
let base: string;
let browser: Browser | undefined;
/** The ids of the dashboard's documents (`sha256:<hex>` of each exported string of documents.ts). */
let documentIds: Set<string>;

beforeAll(async () => {
  // the page under test is the current source, whatever `pretest` built
  documentIds = new Set(Object.values((await buildDashboard()).documentIds));
  app = await startApp({ execution: { enabled: true, actionTimeoutMs: 60_000, pollMs: 50, leaseMs: 2_000 } } as never);
  base = app.url.replace(/\/graphql$/, '');
  if (hasChromium) {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));

function get(path: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serving /dashboard', () => {
  it('serves the page and the bundle with their types, a strict CSP, compression and ETags', async () => {
    const page = await get('/dashboard', { 'accept-encoding': 'gzip, deflate, br' });
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-encoding']).toBe('br');
    expect(page.headers.vary).toBe('Accept-Encoding');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toMatch(/connect-src 'self' ws:\/\/127\.0\.0\.1:\d+ wss:\/\/127\.0\.0\.1:\d+/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(brotliDecompressSync(page.body).toString()).toContain('<script type="module" src="/dashboard/app.js"></script>');

    const bundle = readFileSync(DASHBOARD_BUNDLE);
    const br = await get('/dashboard/app.js', { 'accept-encoding': 'br' });
    expect(br.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(br.headers['cache-control']).toBe('no-cache');
    expect(brotliDecompressSync(br.body).equals(bundle)).toBe(true);
    expect(br.body.length).toBeLessThan(bundle.length / 3);
    const gz = await get('/dashboard/app.js', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).equals(bundle)).toBe(true);
    const plain = await get('/dashboard/app.js', { 'accept-encoding': 'br;q=0, identity' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.equals(bundle)).toBe(true);
    // one ETag per representation; a match is a 304 without a body
    expect(new Set([br.headers.etag, gz.headers.etag, plain.headers.etag]).size).toBe(3);
    const again = await get('/dashboard/app.js', { 'accept-encoding': 'br', 'if-none-match': String(br.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    // the bundle carries each document's id, not its text
    const js = bundle.toString();
    const texts = Object.values(documents) as string[];
    expect(documentIds).toEqual(new Set(texts.map(documentId)));
    const manifest = loadManifest();
    for (const id of documentIds) {
      expect(js.includes(`"${id}"`), `the bundle names ${id}`).toBe(true);
      expect(manifest[id], `schema/persisted-documents.json holds ${id}`).toBeDefined();
    }
    for (const text of texts) {
      const opening = text.trim().split('\n')[0].replace(/\s*\{$/, ''); // "query DashboardViewer", …
      expect(js.includes(opening), `the bundle holds the text of "${opening}"`).toBe(false);
    }
    const css = await get('/dashboard/app.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');

    expect((await get('/dashboard/nope.js')).status).toBe(404);
    expect((await get('/dashboard', {}, 'POST')).status).toBe(405);
  });

  it('answers 503 with a clear message while the bundle is missing', async () => {
    const aside = `${DASHBOARD_BUNDLE}.aside`;
    renameSync(DASHBOARD_BUNDLE, aside);
    try {
      for (const path of ['/dashboard', '/dashboard/app.js']) {
        const res = await get(path);
        expect(res.status).toBe(503);
        expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
        expect(res.body.toString()).toMatch(/dist\/dashboard\/app\.js is missing[\s\S]*npm run build:dashboard/);
      }
    } finally {
      renameSync(aside, DASHBOARD_BUNDLE);
    }
    expect((await get('/dashboard/app.js')).status).toBe(200);
  });
});

// ------------------------------------------------------------------------------ in the browser

/** What the page sent to the API: each HTTP request to /graphql, each graphql-ws message. */
interface Sent {
  http: { method: string; url: string; body: string | null }[];
  ws: string[];
}

/**
 * A page that records uncaught errors and console errors (CSP violations included), and what it
 * sends to the API (`sent`, for expectIdsOnly).
 */
async function openPage(context: BrowserContext, origin = base) {
  const page = await context.newPage();
  // generous: `npm test` runs every file at once, and the machine may be busy
  page.setDefaultTimeout(20_000);
  const sent: Sent = { http: [], ws: [] };
  page.on('request', (r) => {
    if (new URL(r.url()).pathname === '/graphql') sent.http.push({ method: r.method(), url: r.url(), body: r.postData() });
  });
  page.on('websocket', (socket) => socket.on('framesent', (f) => sent.ws.push(String(f.payload))));
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // a refused token's 401 is logged by the browser as a failed resource load: expected
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(`console: ${m.text()}`);
  });
  await page.goto(`${origin}/dashboard`);
  return { page, problems, sent };
}

/**
 * Every GraphQL request and graphql-ws subscribe message the page sent named one of the dashboard's
 * documents by `documentId` and carried no document text (no `query` over HTTP, an empty one over
 * graphql-ws, which requires the field). Returns the ids used.
 */
function expectIdsOnly(sent: Sent): Set<string> {
  const used = new Set<string>();
  const named = (where: string, params: Record<string, unknown>) => {
    expect(documentIds.has(params.documentId as string), `${where}: ${JSON.stringify(params)}`).toBe(true);
    expect(params.extensions ?? null, where).toBeNull();
    used.add(params.documentId as string);
  };
  expect(sent.http.length).toBeGreaterThan(0);
  for (const r of sent.http) {
    // urql sends queries as GET (`?documentId=…&variables=…`) while the URL is short enough
    const params: Record<string, unknown> = r.method === 'GET' ? Object.fromEntries(new URL(r.url).searchParams) : JSON.parse(r.body ?? '{}');
    expect(params, `${r.method} ${r.url}`).not.toHaveProperty('query');
    expect(params, `${r.method} ${r.url}`).not.toHaveProperty('operationName');
    named(`${r.method} ${r.url}`, params);
  }
  const subscribes = sent.ws.map((m) => JSON.parse(m) as { type: string; payload?: Record<string, unknown> }).filter((m) => m.type === 'subscribe');
  expect(subscribes.length).toBeGreaterThan(0);
  for (const m of subscribes) {
    expect(m.payload!.query, JSON.stringify(m)).toBe('');
    named('graphql-ws subscribe', m.payload!);
  }
  return used;
}

async function signIn(page: Page, token: string) {
  await page.fill('#token', token);
  await page.click('#login button[type=submit]');
  await page.waitForSelector('#conn.live');
  // the page loads the queue once its subscriptions are live (the banner's first event)
  await page.waitForFunction(() => document.getElementById('queue-count')!.textContent !== '');
  expect(await page.locator('#awaiting').textContent()).not.toBe('–');
  await settle(); // and a margin, as the other realtime tests take
}

const text = (page: Page, selector: string) => page.locator(selector).first().textContent();
const waitText = (page: Page, selector: string, expected: string) =>
  page.waitForFunction(([s, t]) => document.querySelector(s)?.textContent === t, [selector, expected] as const);
const row = (id: string) => `#queue tbody tr[data-id="${id}"]`;
const rowIds = (page: Page) => page.$$eval('#queue tbody tr', (trs) => trs.map((tr) => (tr as HTMLElement).dataset.id!));
const waitRowStatus = (page: Page, id: string, status: string) => page.waitForSelector(`${row(id)}[data-status="${status}"]`);

describe.skipIf(!hasChromium)(hasChromium ? 'the dashboard in Chromium' : `the dashboard in Chromium (skipped: ${CHROMIUM} is absent)`, () => {
  it('follows ingestion, status changes, filters and action cards live, and keeps the token for the session', async () => {
    const a = await newTenant(app, { serviceAccessLevel: 'READER', name: 'Contoso Test' });
    const existing = await ingest(app, a, { title: 'Existing incident', severity: 'LOW' });
    const context = await browser!.newContext({ viewport: { width: 1360, height: 820 } });
    const { page, problems, sent } = await openPage(context);
    expect(await page.title()).toBe('MDR operations dashboard');

    // a refused token stays out of sessionStorage
    await page.fill('#token', 'mdr_not-a-real-token');
    await page.click('#login button[type=submit]');
    await page.waitForFunction(() => /refused/.test(document.getElementById('login-error')!.textContent ?? ''));
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

    await signIn(page, a.tokens.READER);
    expect(await text(page, '#who')).toBe(`READER of ${a.tenant.slug} · Reader · Contoso Test`);
    await page.waitForSelector(row(existing.id));
    expect(await text(page, '#awaiting')).toBe('0');
    expect(await text(page, '#investigating')).toBe('0');
    // a marker that a reload would lose: everything below happens without one
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));

    // ingested data is text, never markup
    const title = `<img src=x onerror="window.pwned=1"> Ransomware & "lateral" movement`;
    const live = await ingest(app, a, { title, severity: 'HIGH' });
    await page.waitForSelector(row(live.id));
    expect(await text(page, `${row(live.id)} td.title`)).toBe(title);
    expect(await page.locator('#queue img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(await text(page, '#queue-count')).toBe('2 incidents');

    // a status change moves the row and the banner
    expect((await mutate(app, a.tokens.EXPERT, 'startInvestigation', { incidentId: live.id })).data.startInvestigation.errors).toEqual([]);
    await waitRowStatus(page, live.id, 'IN_PROGRESS');
    await waitText(page, '#investigating', '1');
    expect(await text(page, `${row(live.id)} td.status`)).toBe('In progress');

    // filters: server-side on load, client-side on each live event
    await page.selectOption('#status-filter', 'ACTIVE');
    await page.waitForSelector(row(live.id), { state: 'detached' });
    expect(await rowIds(page)).toEqual([existing.id]);
    const other = await ingest(app, a, { title: 'Another active one', severity: 'MEDIUM' });
    await page.waitForSelector(row(other.id));
    expect(await mutate(app, a.tokens.EXPERT, 'startInvestigation', { incidentId: other.id })).toBeTruthy();
    await page.waitForSelector(row(other.id), { state: 'detached' }); // left the filter live
    await page.selectOption('#severity-filter', 'HIGH');
    await page.waitForSelector('#queue-empty:not([hidden])');
    await page.selectOption('#status-filter', '');
    await page.waitForSelector(row(live.id));
    expect(await rowIds(page)).toEqual([live.id]);
    await page.selectOption('#severity-filter', '');
    await page.waitForFunction(() => document.querySelectorAll('#queue tbody tr').length === 3);

    // publish a managed response: the tenant left everything to itself (READER access level)
    const classified = await mutate(app, a.tokens.EXPERT, 'classifyIncident', {
      incidentId: live.id,
      classification: 'TRUE_POSITIVE',
      determination: 'MALWARE',
      summary: 'Ransomware staged through a phishing attachment',
    });
    expect(classified.data.classifyIncident.errors).toEqual([]);
    const published = await mutate(app, a.tokens.EXPERT, 'publishManagedResponse', {
      incidentId: live.id,
      summary,
      actions: [
        { kind: 'ISOLATE_DEVICE', targetId: live.devices[0].id },
        { kind: 'MANUAL', title: 'Reset the password of jdoe', instructions: 'Reset and revoke sessions' },
      ],
    });
    expect(published.data.publishManagedResponse.errors).toEqual([]);
    const [isolate, manual] = published.data.publishManagedResponse.incident.managedResponse.actions as { id: string }[];
    await waitRowStatus(page, live.id, 'AWAITING_CUSTOMER_ACTION');
    await waitText(page, '#awaiting', '1');
    await waitText(page, '#investigating', '1'); // the other one is still under investigation

    // select the incident: its cards, then their progress as the customer acts
    await page.click(`${row(live.id)} td.title a`);
    await waitText(page, '#detail-title', `#${await page.locator(row(live.id)).getAttribute('data-number')} ${title}`);
    await page.waitForSelector(`#cards li[data-id="${isolate.id}"][data-status="PENDING"]`);
    await page.waitForSelector(`#cards li[data-id="${manual.id}"][data-status="PENDING"]`);
    expect(await page.locator(`${row(live.id)}.selected`).count()).toBe(1);
    await settle(); // the actionChanged subscription reaches the hub
    const performed = await mutate(app, a.tokens.OPERATOR, 'performAction', { actionId: isolate.id }, 'action { id status }');
    expect(performed.data.performAction.errors).toEqual([]);
    await page.waitForSelector(`#cards li[data-id="${isolate.id}"][data-status="COMPLETED"]`);
    expect(await text(page, `#cards li[data-id="${isolate.id}"] .sub`)).toBe('performed by the customer');
    mkdirSync(fileURLToPath(new URL('./artifacts/', import.meta.url)), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // the last pending card resolves the incident
    expect((await mutate(app, a.tokens.OPERATOR, 'completeManualAction', { actionId: manual.id }, 'action { id }')).data.completeManualAction.errors).toEqual([]);
    await page.waitForSelector(`#cards li[data-id="${manual.id}"][data-status="COMPLETED"]`);
    await waitRowStatus(page, live.id, 'RESOLVED');
    await waitText(page, '#awaiting', '0');
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);

    // a reload within the session keeps the token and the selection (in the URL's hash)
    await page.reload();
    await page.waitForSelector('#conn.live');
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBeUndefined();
    expect(await page.locator('#login').isHidden()).toBe(true);
    await page.waitForSelector(row(existing.id));
    await page.waitForSelector(`#cards li[data-id="${manual.id}"][data-status="COMPLETED"]`);
    await waitText(page, '#investigating', '1');

    // forget the token: back to the form, also after another reload
    await page.click('#forget');
    await page.waitForSelector('#login:not([hidden])');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(await page.locator('#queue tbody tr').count()).toBe(0);
    await page.reload();
    await page.waitForSelector('#login:not([hidden])');
    expect(await page.locator('#dashboard').isHidden()).toBe(true);

    // every document went by id, none as text; this run used all of them
    expect(expectIdsOnly(sent)).toEqual(documentIds);
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  it('reconnects after the socket drops and catches up with what changed meanwhile', async () => {
    const t = await newTenant(app);
    const context = await browser!.newContext();
    const { page, problems, sent } = await openPage(context);
    await signIn(page, t.tokens.READER);
    for (const socket of app.server.wss.clients) socket.terminate();
    // changed while the page is disconnected (graphql-ws waits a second or more before retrying)
    const missed = await ingest(app, t, { title: 'Ingested during the outage' });
    await page.waitForSelector(row(missed.id));
    await page.waitForSelector('#conn.live');
    await settle();
    const after = await ingest(app, t, { title: 'After the reconnect' });
    await page.waitForSelector(row(after.id));
    expectIdsOnly(sent); // the resubscriptions after the reconnect too
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  it("a READER of tenant B never sees tenant A's incidents, loaded or live", async () => {
    const a = await newTenant(app);
    const b = await newTenant(app);
    const aBefore = await ingest(app, a, { title: 'A before B signed in' });
    const bBefore = await ingest(app, b, { title: 'B before' });
    const context = await browser!.newContext();
    const { page, problems, sent } = await openPage(context);
    await signIn(page, b.tokens.READER);
    await page.waitForSelector(row(bBefore.id));
    expect(await rowIds(page)).toEqual([bBefore.id]);

    // while B watches: A's incidents are created and change; then one of B's
    const aLive = await ingest(app, a, { title: 'A secret while B watches', severity: 'HIGH' });
    await mutate(app, a.tokens.EXPERT, 'startInvestigation', { incidentId: aLive.id });
    await mutate(app, a.tokens.EXPERT, 'startInvestigation', { incidentId: aBefore.id });
    const bLive = await ingest(app, b, { title: 'B live' });
    await page.waitForSelector(row(bLive.id));
    await settle(500);
    expect(new Set(await rowIds(page))).toEqual(new Set([bBefore.id, bLive.id]));
    expect(await page.locator('body').textContent()).not.toContain('A secret');
    expect(await page.locator('body').textContent()).not.toContain('A before');
    expect(await text(page, '#investigating')).toBe('0'); // A's investigations do not count for B

    // A's incident by id reads like one that does not exist
    await page.evaluate((id) => (location.hash = `#incident=${encodeURIComponent(id)}`), aLive.id);
    await waitText(page, '#detail-title', 'Incident not found');
    expect(await page.locator('#cards li').count()).toBe(0);

    expectIdsOnly(sent);
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);
});

// ------------------------------------------------------------------ with PERSISTED_DOCUMENTS_ONLY=1

describe.skipIf(!hasChromium)('the dashboard with PERSISTED_DOCUMENTS_ONLY=1', () => {
  // a second server on the same database that refuses document text; the test's own mutations
  // (text, as every helper sends them) go through the first, and reach the page through the
  // shared database's LISTEN/NOTIFY like any other process's
  let only: TestApp;
  let onlyBase: string;
  beforeAll(async () => {
    const config = loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1', MDR_DEMO: '0', PERSISTED_DOCUMENTS_ONLY: '1' });
    // the first server's executor runs the actions; this one needs none
    only = await startApp({ security: config.security, execution: { ...config.execution, enabled: false } }, { database: app.database });
    expect(only.config.security.persistedDocumentsOnly).toBe(true);
    onlyBase = only.url.replace(/\/graphql$/, '');
  });
  afterAll(async () => {
    await only?.close();
  });

  it('loads the banner, the queue and an incident, and follows live changes, by document id only', async () => {
    const t = await newTenant(app, { name: 'Persisted Only Ltd' });
    const before = await ingest(app, t, { title: 'Before sign-in', severity: 'LOW' });
    const context = await browser!.newContext();
    const { page, problems, sent } = await openPage(context, onlyBase);
    await signIn(page, t.tokens.READER); // the viewer query, the banner's first event, the queue
    expect(await text(page, '#who')).toBe(`READER of ${t.tenant.slug} · Reader · Persisted Only Ltd`);
    await page.waitForSelector(row(before.id));
    expect(await text(page, '#queue-count')).toBe('1 incident');
    expect(await text(page, '#investigating')).toBe('0');

    // live: a new incident, then a status change that moves the row and the banner
    const live = await ingest(app, t, { title: 'Ingested while watching', severity: 'HIGH' });
    await page.waitForSelector(row(live.id));
    expect((await mutate(app, t.tokens.EXPERT, 'startInvestigation', { incidentId: live.id })).data.startInvestigation.errors).toEqual([]);
    await waitRowStatus(page, live.id, 'IN_PROGRESS');
    await waitText(page, '#investigating', '1');

    // the incident and its (live) cards
    await page.click(`${row(live.id)} td.title a`);
    await waitText(page, '#detail-title', `#${await page.locator(row(live.id)).getAttribute('data-number')} Ingested while watching`);
    await waitText(page, '#cards-empty', 'No managed response published yet.');
    expect(await text(page, '#notice')).toBe('');

    expect(expectIdsOnly(sent)).toEqual(documentIds);
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  it('still refuses document text (what the playground sends) with PERSISTED_DOCUMENTS_ONLY', async () => {
    const t = await newTenant(app);
    const refused = await only.gql('{ viewer { role } }', {}, t.tokens.READER);
    expect(refused.status).toBe(400);
    expect(refused.errors?.[0].extensions?.code).toBe('PERSISTED_DOCUMENTS_ONLY');
    expect(refused.data).toBeUndefined();
    // the playground page is still served, but what it sends is text: its schema introspection too
    const playground = await fetch(only.url, { headers: { accept: 'text/html', 'accept-encoding': 'identity' } });
    expect(playground.status).toBe(200);
    expect(playground.headers.get('content-type')).toMatch(/text\/html/);
    await playground.arrayBuffer();
    expect((await only.gql(getIntrospectionQuery(), {}, t.tokens.READER)).errors?.[0].extensions?.code).toBe('PERSISTED_DOCUMENTS_ONLY');
    // the dashboard's own document, as text, is refused too; by id it runs
    const viewer = documents.VIEWER_QUERY;
    expect((await only.gql(viewer, {}, t.tokens.READER)).errors?.[0].extensions?.code).toBe('PERSISTED_DOCUMENTS_ONLY');
    const res = await fetch(only.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.tokens.READER}` },
      body: JSON.stringify({ documentId: documentId(viewer) }),
    });
    expect(((await res.json()) as { data: { viewer: { role: string } } }).data.viewer.role).toBe('READER');
  });
});
