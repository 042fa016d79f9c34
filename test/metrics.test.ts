// Operators' signals: Prometheus metrics at /metrics (names and labels as README.md documents
// them), METRICS_TOKEN, X-Request-Id on every response and on the log lines, and the playground
// served compressed with an ETag.
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { Writable } from 'node:stream';
import zlib from 'node:zlib';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { notifications } from '../src/db/schema';
import { createLogger } from '../src/log';
import { ServiceMetrics, resultCode } from '../src/observability/metrics';
import { pickEncoding } from '../src/observability/playground';
import { withRequestId } from '../src/request-id';
import { buildServer, type RunningServer } from '../src/server';
import { backend, startApp, type TestApp } from './helpers/app';
import { newTenant, type TenantFixture } from './helpers/factory';
import { ingest } from './helpers/response';
import { connected, subscribe, wsClient } from './helpers/ws';

const METRICS_TOKEN = `metrics-${randomUUID()}`;
let app: TestApp;
let base: string;
let t: TenantFixture;

beforeAll(async () => {
  app = await startApp({ metricsToken: METRICS_TOKEN });
  base = app.url.replace(/\/graphql$/, '');
  t = await newTenant(app);
});
afterAll(async () => {
  await app?.close();
});

// ---- a small reader of the Prometheus text format ----

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

class Scrape {
  constructor(
    readonly text: string,
    readonly samples = parse(text),
  ) {}

  /** The value of the one sample with this name and (at least) these labels; 0 when absent. */
  value(name: string, labels: Record<string, string> = {}): number {
    const hits = this.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    return hits.reduce((n, s) => n + s.value, 0);
  }

  has(name: string, labels: Record<string, string> = {}): boolean {
    return this.samples.some((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  }

  help(name: string): boolean {
    return this.text.includes(`# HELP ${name} `) && this.text.includes(`# TYPE ${name} `);
  }
}

async function scrape(): Promise<Scrape> {
  const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return new Scrape(await res.text());
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A raw HTTP request (no automatic decompression), body as bytes. */
function raw(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const post = (query: string, token?: string, headers: Record<string, string> = {}) =>
  fetch(app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify({ query }),
  });

describe('/metrics', () => {
  it('requires the METRICS_TOKEN when one is configured (401 without, 200 with)', async () => {
    const none = await fetch(`${base}/metrics`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await none.text()).not.toContain('mdr_');
    const wrong = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}x` } });
    expect(wrong.status).toBe(401);
    const basic = await fetch(`${base}/metrics`, { headers: { authorization: `Basic ${Buffer.from(`x:${METRICS_TOKEN}`).toString('base64')}` } });
    expect(basic.status).toBe(401);
    const ok = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('mdr_http_requests_total');
  });

  it('is open without a token, and each server has its own registry', async () => {
    const open = await startApp({}, { database: app.database });
    try {
      const res = await fetch(open.url.replace(/\/graphql$/, '/metrics'));
      expect(res.status).toBe(200);
      const s = new Scrape(await res.text());
      // this server answered no GraphQL yet: the other server's counts are not in its registry
      expect(s.value('mdr_graphql_operations_total')).toBe(0);
      expect(open.server.metrics.registry).not.toBe(app.server.metrics.registry);
    } finally {
      await open.close();
    }
  });

  it('documents every metric, with the database backend, the pool and the process metrics', async () => {
    const s = await scrape();
    for (const name of [
      'mdr_http_requests_total',
      'mdr_http_request_duration_seconds',
      'mdr_graphql_operations_total',
      'mdr_graphql_operation_duration_seconds',
      'mdr_subscriptions_open',
      'mdr_subscription_deliveries_total',
      'mdr_event_fanout_lag_seconds',
      'mdr_events_fanned_out_total',
      'mdr_event_hub_subscribers',
      'mdr_websocket_connections_open',
      'mdr_job_queue_ready',
      'mdr_job_queue_oldest_ready_age_seconds',
      'mdr_jobs_running',
      'mdr_job_queue_scrape_errors_total',
      'mdr_database_info',
      'mdr_database_pool_size',
      'mdr_database_statements_total',
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(s.help(name), name).toBe(true);
    }
    expect(s.value('mdr_database_info', { backend: backend })).toBe(1);
    expect(s.has('mdr_database_info', { backend: backend === 'postgres' ? 'pglite' : 'postgres' })).toBe(false);
    if (backend === 'postgres') {
      expect(s.value('mdr_database_pool_size')).toBe(10);
      expect(s.has('mdr_database_in_flight', { kind: 'statement' })).toBe(true);
      expect(s.has('mdr_database_in_flight', { kind: 'transaction' })).toBe(true);
    } else {
      expect(s.value('mdr_database_pool_size')).toBe(1);
      expect(s.help('mdr_database_in_flight')).toBe(false);
    }
    expect(s.value('mdr_database_statements_total')).toBeGreaterThan(0);
    for (const kind of ['action-attempt', 'notification', 'outbound-delivery']) {
      expect(s.has('mdr_job_queue_ready', { kind }), kind).toBe(true);
      expect(s.has('mdr_job_queue_oldest_ready_age_seconds', { kind }), kind).toBe(true);
      expect(s.has('mdr_jobs_running', { kind }), kind).toBe(true);
    }
    for (const transport of ['ws', 'sse']) expect(s.has('mdr_subscriptions_open', { transport })).toBe(true);
  });

  it('counts HTTP requests by route, method and status, with latency', async () => {
    const before = await scrape();
    await fetch(`${base}/healthz`);
    await fetch(`${base}/no/such/path/${randomUUID()}`);
    const after = await scrape();
    const healthz = { route: '/healthz', method: 'GET', status: '200' };
    expect(after.value('mdr_http_requests_total', healthz) - before.value('mdr_http_requests_total', healthz)).toBe(1);
    // unknown paths share one label value: the label's cardinality stays bounded
    expect(after.value('mdr_http_requests_total', { route: 'other', method: 'GET' }) - before.value('mdr_http_requests_total', { route: 'other', method: 'GET' })).toBe(1);
    expect(after.samples.some((s) => s.labels.route?.includes('no/such'))).toBe(false);
    const count = { route: '/healthz', method: 'GET' };
    expect(after.value('mdr_http_request_duration_seconds_count', count) - before.value('mdr_http_request_duration_seconds_count', count)).toBe(1);
    expect(after.has('mdr_http_request_duration_seconds_bucket', { ...count, le: '+Inf' })).toBe(true);
    // the scrapes count too
    expect(after.value('mdr_http_requests_total', { route: '/metrics', method: 'GET', status: '200' })).toBeGreaterThan(0);
  });

  it('counts GraphQL operations by name, type and result code, with latency', async () => {
    const before = await scrape();
    expect((await post('query Viewer { viewer { role } }', t.tokens.READER)).status).toBe(200);
    await post('{ viewer { role } }', t.tokens.READER);
    // a typed error: an unknown token is UNAUTHENTICATED
    const unauth = await post('query Viewer { viewer { role } }', 'mdr_not-a-token');
    expect(((await unauth.json()) as any).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    // a typed error in a field: a malformed global id is BAD_USER_INPUT
    const bad = (await (await post('query Lookup { node(id: "not-a-global-id") { id } }', t.tokens.READER)).json()) as any;
    expect(bad.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    // a validation error (unknown field)
    await post('query Broken { viewer { noSuchField } }', t.tokens.READER);
    const longName = `Q${'x'.repeat(70)}`;
    await post(`query ${longName} { viewer { role } }`, t.tokens.READER);
    await post(`mutation Nothing { ingestIncident(input: { externalId: "x", title: "x", severity: LOW, alerts: [] }) { errors { code } } }`, t.tokens.READER);
    const after = await scrape();
    const delta = (labels: Record<string, string>) => after.value('mdr_graphql_operations_total', labels) - before.value('mdr_graphql_operations_total', labels);
    expect(delta({ operation_name: 'Viewer', operation_type: 'query', code: 'ok', transport: 'http' })).toBe(1);
    expect(delta({ operation_name: 'Viewer', operation_type: 'query', code: 'UNAUTHENTICATED', transport: 'http' })).toBe(1);
    expect(delta({ operation_name: 'anonymous', operation_type: 'query', code: 'ok', transport: 'http' })).toBe(1);
    expect(delta({ operation_name: 'Lookup', operation_type: 'query', code: 'BAD_USER_INPUT', transport: 'http' })).toBe(1);
    expect(delta({ operation_name: 'Broken', operation_type: 'query', code: 'GRAPHQL_VALIDATION_FAILED', transport: 'http' })).toBe(1);
    expect(delta({ operation_name: 'other', operation_type: 'query', transport: 'http' })).toBe(1);
    expect(delta({ operation_name: 'Nothing', operation_type: 'mutation', transport: 'http' })).toBe(1);
    expect(after.samples.some((s) => s.labels.operation_name === longName)).toBe(false);
    const timed = { operation_name: 'Viewer', operation_type: 'query', transport: 'http' };
    expect(after.value('mdr_graphql_operation_duration_seconds_count', timed) - before.value('mdr_graphql_operation_duration_seconds_count', timed)).toBe(2);
    expect(after.value('mdr_graphql_operation_duration_seconds_sum', timed)).toBeGreaterThan(0);
  });

  it('tracks graphql-ws subscriptions: operations, the open gauge, deliveries and the fan-out lag', async () => {
    const before = await scrape();
    const client = wsClient(app.url, t.tokens.READER);
    const sub = subscribe(client, 'subscription Live { incidentChanged { eventId incident { title } } }');
    await connected(client);
    await until(async () => (await scrape()).value('mdr_subscriptions_open', { transport: 'ws' }) === before.value('mdr_subscriptions_open', { transport: 'ws' }) + 1, 'the ws subscription gauge');
    const open = await scrape();
    expect(open.value('mdr_websocket_connections_open')).toBeGreaterThanOrEqual(1);
    expect(open.value('mdr_event_hub_subscribers')).toBeGreaterThanOrEqual(1);
    // a query over the same socket is an operation too, and no delivery
    const q = subscribe(client, 'query OverWs { viewer { role } }');
    await q.waitFor(1);
    await ingest(app, t, { title: 'metrics live' });
    await sub.waitFor(1);
    await until(async () => {
      const s = await scrape();
      return s.value('mdr_subscription_deliveries_total', { transport: 'ws' }) > before.value('mdr_subscription_deliveries_total', { transport: 'ws' });
    }, 'a ws delivery');
    const live = await scrape();
    const delta = (name: string, labels: Record<string, string>) => live.value(name, labels) - before.value(name, labels);
    expect(delta('mdr_graphql_operations_total', { operation_name: 'Live', operation_type: 'subscription', code: 'ok', transport: 'ws' })).toBe(1);
    expect(delta('mdr_graphql_operations_total', { operation_name: 'OverWs', operation_type: 'query', code: 'ok', transport: 'ws' })).toBe(1);
    expect(delta('mdr_subscription_deliveries_total', { transport: 'ws' })).toBe(1);
    expect(delta('mdr_events_fanned_out_total', {})).toBeGreaterThanOrEqual(1);
    // committed by this process: the lag is measured from the commit, on one clock
    expect(delta('mdr_event_fanout_lag_seconds_count', { source: 'local' })).toBeGreaterThanOrEqual(1);
    client.dispose();
    await until(async () => (await scrape()).value('mdr_subscriptions_open', { transport: 'ws' }) === before.value('mdr_subscriptions_open', { transport: 'ws' }), 'the ws gauge to come down');
  });

  it('a refused ws operation is counted with its code', async () => {
    const before = await scrape();
    const client = wsClient(app.url, t.tokens.READER);
    const sub = subscribe(client, 'subscription Refused { incidentChanged { noSuchField } }');
    await until(async () => sub.errors.length > 0, 'the refusal');
    const after = await scrape();
    const labels = { operation_name: 'Refused', operation_type: 'subscription', code: 'GRAPHQL_VALIDATION_FAILED', transport: 'ws' };
    expect(after.value('mdr_graphql_operations_total', labels) - before.value('mdr_graphql_operations_total', labels)).toBe(1);
    expect(after.value('mdr_subscriptions_open', { transport: 'ws' })).toBe(before.value('mdr_subscriptions_open', { transport: 'ws' }));
    client.dispose();
  });

  it('tracks SSE subscriptions: the open gauge and deliveries', async () => {
    const before = await scrape();
    const ctrl = new AbortController();
    const res = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${t.tokens.READER}` },
      body: JSON.stringify({ query: 'subscription SseLive { incidentChanged { eventId incident { title } } }' }),
      signal: ctrl.signal,
    });
    expect(res.headers.get('x-request-id')).toBeTruthy();
    await until(async () => (await scrape()).value('mdr_subscriptions_open', { transport: 'sse' }) === before.value('mdr_subscriptions_open', { transport: 'sse' }) + 1, 'the sse gauge');
    const reader = res.body!.getReader();
    await ingest(app, t, { title: 'over SSE with metrics' });
    let text = '';
    const end = Date.now() + 10_000;
    while (!text.includes('over SSE with metrics') && Date.now() < end) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(text).toContain('over SSE with metrics');
    const live = await scrape();
    expect(live.value('mdr_subscription_deliveries_total', { transport: 'sse' }) - before.value('mdr_subscription_deliveries_total', { transport: 'sse' })).toBeGreaterThanOrEqual(1);
    const op = { operation_name: 'SseLive', operation_type: 'subscription', code: 'ok', transport: 'http' };
    expect(live.value('mdr_graphql_operations_total', op) - before.value('mdr_graphql_operations_total', op)).toBe(1);
    ctrl.abort();
    await until(async () => (await scrape()).value('mdr_subscriptions_open', { transport: 'sse' }) === before.value('mdr_subscriptions_open', { transport: 'sse' }), 'the sse gauge to come down');
    // the stream is counted as a request but its lifetime is not a latency
    const after = await scrape();
    expect(after.value('mdr_http_requests_total', { route: '/graphql', method: 'POST' })).toBeGreaterThan(0);
  });

  it('reports the job queue depth and the age of the oldest ready job, per kind', async () => {
    const id = randomUUID();
    // a notification due a minute ago; this test app's notifier delivers for no tenant
    await app.database.db.insert(notifications).values({
      id,
      tenantId: t.tenant.id,
      kind: 'ACTION_FAILED',
      channel: 'EMAIL',
      recipient: 'ops@example.com',
      payload: {},
      messageId: `<${id}@test>`,
      nextAttemptAt: new Date(Date.now() - 60_000),
    });
    try {
      const s = await scrape();
      expect(s.value('mdr_job_queue_ready', { kind: 'notification' })).toBeGreaterThanOrEqual(1);
      expect(s.value('mdr_job_queue_oldest_ready_age_seconds', { kind: 'notification' })).toBeGreaterThanOrEqual(59);
      expect(s.value('mdr_job_queue_scrape_errors_total', { kind: 'notification' })).toBe(0);
    } finally {
      await app.database.db.delete(notifications).where(eq(notifications.id, id));
    }
  });

  it('bounds the operation name label and the code label', () => {
    const m = new ServiceMetrics({ database: app.database, log: createLogger('silent'), queues: [], hubSubscribers: () => 0, webSockets: () => 0, maxOperationNames: 2 });
    expect(m.operationName(undefined)).toBe('anonymous');
    expect(m.operationName('')).toBe('anonymous');
    expect(m.operationName('A')).toBe('A');
    expect(m.operationName('B')).toBe('B');
    expect(m.operationName('C')).toBe('other'); // beyond the bound
    expect(m.operationName('A')).toBe('A'); // known names stay
    expect(m.operationName('bad-name')).toBe('other');
    expect(m.operationName('x'.repeat(65))).toBe('other');
    expect(resultCode(undefined)).toBe('ok');
    expect(resultCode([])).toBe('ok');
    expect(resultCode([{ extensions: { code: 'FORBIDDEN' } }])).toBe('FORBIDDEN');
    expect(resultCode([{ extensions: { code: 'INTERNAL_SERVER_ERROR' } }])).toBe('INTERNAL');
    expect(resultCode([{ extensions: {} }])).toBe('UNKNOWN');
    expect(resultCode([{ extensions: { code: 'lower case; and long' } }])).toBe('OTHER');
  });
});

describe('X-Request-Id', () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

  it('is generated for every HTTP response, and a well-formed incoming one is kept', async () => {
    for (const path of ['/healthz', '/readyz', '/', '/nowhere']) {
      const res = await fetch(`${base}${path}`, { redirect: 'manual' });
      expect(res.headers.get('x-request-id'), path).toMatch(UUID);
    }
    const gql = await post('{ viewer { role } }', t.tokens.READER);
    expect(gql.headers.get('x-request-id')).toMatch(UUID);
    const kept = await post('{ viewer { role } }', t.tokens.READER, { 'x-request-id': 'trace-42.abc_DEF' });
    expect(kept.headers.get('x-request-id')).toBe('trace-42.abc_DEF');
    const metrics = await fetch(`${base}/metrics`, { headers: { 'x-request-id': 'scrape-1' } });
    expect(metrics.status).toBe(401);
    expect(metrics.headers.get('x-request-id')).toBe('scrape-1');
    for (const bad of ['has space', 'x'.repeat(65), 'semi;colon', 'a/b', '']) {
      const res = await fetch(`${base}/healthz`, { headers: { 'x-request-id': bad } });
      expect(res.headers.get('x-request-id'), bad).toMatch(UUID);
    }
    const page = await raw('/graphql', { accept: 'text/html', 'x-request-id': 'pg-1' }, 'HEAD');
    expect(page.headers['x-request-id']).toBe('pg-1');
  });

  it('is on the log lines of the request, and one per WebSocket connection', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const l of String(chunk).split('\n')) if (l.trim()) lines.push(JSON.parse(l));
        done();
      },
    });
    // a second server on the same database, logging at debug into `lines`; its readiness query fails
    const database = {
      ...app.database,
      query: async <T>(text: string, params?: unknown[]): Promise<T[]> => {
        if (text === 'select 1') throw new Error('database down (test)');
        return app.database.query<T>(text, params);
      },
    };
    const server: RunningServer = buildServer({
      config: { ...app.config, port: 0, host: '127.0.0.1', metricsToken: undefined },
      database,
      log: createLogger('debug', sink),
      notifier: { scope: () => [] },
      outbound: { scope: () => [] },
      executor: { scope: () => [] },
    });
    await server.start();
    try {
      const url = `http://127.0.0.1:${server.port}`;
      const ready = await fetch(`${url}/readyz`, { headers: { 'x-request-id': 'ready-check-1' } });
      expect(ready.status).toBe(503);
      // logged inside the request (the mixin), and the access line
      await until(async () => lines.some((l) => l.msg === 'http request' && l.requestId === 'ready-check-1'), 'the access log line');
      expect(lines.find((l) => l.msg === 'readiness check failed')?.requestId).toBe('ready-check-1');
      const gql = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${t.tokens.READER}` },
        body: JSON.stringify({ query: '{ viewer { role } }' }),
      });
      const id = gql.headers.get('x-request-id')!;
      await until(async () => lines.some((l) => l.msg === 'http request' && l.requestId === id && l.route === '/graphql' && l.status === 200), 'the GraphQL access line');
      // outside any request, lines carry no id
      lines.length = 0;
      createLogger('info', sink).info('outside');
      withRequestId('inside-1', () => createLogger('info', sink).info('inside'));
      expect(lines.find((l) => l.msg === 'outside')?.requestId).toBeUndefined();
      expect(lines.find((l) => l.msg === 'inside')?.requestId).toBe('inside-1');

      // WebSocket: the id from the upgrade request (or a new one), in the 101 response and the log lines
      const ws = new WebSocket(`${url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', { headers: { 'x-request-id': 'socket-7' } });
      const upgradeId = new Promise<string | undefined>((resolve, reject) => {
        ws.once('upgrade', (res) => resolve(res.headers['x-request-id'] as string | undefined));
        ws.once('error', reject);
      });
      const opened = new Promise<void>((resolve) => ws.once('open', () => resolve()));
      expect(await upgradeId).toBe('socket-7');
      await opened;
      await until(async () => lines.some((l) => l.msg === 'websocket connected' && l.requestId === 'socket-7'), 'the connect line');
      ws.close();
      await until(async () => lines.some((l) => l.msg === 'websocket closed' && l.requestId === 'socket-7'), 'the close line');
      const anonymous = new WebSocket(`${url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
      const generated = await new Promise<string | undefined>((resolve, reject) => {
        anonymous.once('upgrade', (res) => resolve(res.headers['x-request-id'] as string | undefined));
        anonymous.once('error', reject);
      });
      expect(generated).toMatch(UUID);
      anonymous.terminate();
    } finally {
      await server.stop();
    }
  });
});

describe('the playground', () => {
  it('is served compressed (brotli or gzip), with an ETag, 304 when unchanged, and still renders', async () => {
    const br = await raw('/graphql', { accept: 'text/html', 'accept-encoding': 'gzip, deflate, br' });
    expect(br.status).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toMatch(/^text\/html/);
    expect(br.headers['cache-control']).toBe('no-cache');
    expect(br.headers.vary).toMatch(/Accept-Encoding/);
    expect(br.headers['x-request-id']).toBeTruthy();
    const etag = br.headers.etag as string;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+-br"$/);
    const html = zlib.brotliDecompressSync(br.body).toString('utf8');
    expect(br.body.length).toBeLessThan(html.length / 3);
    expect(html).toContain('<title>MDR incident service</title>');
    expect(html).toMatch(/graphiql/i);
    expect(Number(br.headers['content-length'])).toBe(br.body.length);

    const gz = await raw('/graphql', { accept: 'text/html', 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(zlib.gunzipSync(gz.body).toString('utf8')).toBe(html);
    expect(gz.headers.etag).not.toBe(etag);

    const plain = await raw('/graphql?query=%7B%20viewer%20%7B%20role%20%7D%20%7D', { accept: 'text/html' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString('utf8')).toBe(html);

    const again = await raw('/graphql', { accept: 'text/html', 'accept-encoding': 'br', 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(etag);
    // a validator of another encoding of the same page is as good
    expect((await raw('/graphql', { accept: 'text/html', 'accept-encoding': 'br', 'if-none-match': gz.headers.etag as string })).status).toBe(304);
    expect((await raw('/graphql', { accept: 'text/html', 'if-none-match': '"something-else"' })).status).toBe(200);

    // the API itself is untouched
    const api = await post('{ viewer { role } }', t.tokens.READER);
    expect(((await api.json()) as any).data.viewer.role).toBe('READER');
  });

  it('negotiates the encoding from Accept-Encoding', () => {
    expect(pickEncoding(undefined)).toBe('identity');
    expect(pickEncoding('gzip, deflate, br')).toBe('br');
    expect(pickEncoding('gzip;q=1.0, br;q=0')).toBe('gzip');
    expect(pickEncoding('identity')).toBe('identity');
    expect(pickEncoding('*')).toBe('br');
    expect(pickEncoding('br;q=0, gzip;q=0, *;q=0')).toBe('identity');
  });
});
