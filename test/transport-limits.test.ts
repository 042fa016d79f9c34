// Limits at the edge (SPEC.md section 7): small bodies and messages before authentication,
// request timeouts, operations per WebSocket, operations per token per minute (shared across
// instances through Redis), and CORS only for the configured origins.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../src/config';
import { backend, startApp, type TestApp } from './helpers/app';
import { newTenant, type TenantFixture } from './helpers/factory';
import { connected, subscribe, wsClient } from './helpers/ws';

const base = loadConfig({ ...process.env, PORT: '0' });

let app: TestApp;
let T: TenantFixture;

beforeAll(async () => {
  app = await startApp({
    security: {
      ...base.security,
      maxUnauthenticatedBodyBytes: 16 * 1024,
      maxBodyBytes: 512 * 1024,
      maxWsMessageBytes: 64 * 1024,
      maxConnectionInitBytes: 2 * 1024,
      requestTimeoutMs: 800,
      maxOperationsPerConnection: 3,
      rateLimitPerMinute: 1_000,
      corsOrigins: ['https://soc.example.com'],
    },
  });
  T = await newTenant(app);
});
afterAll(async () => {
  await app?.close();
});

const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('HTTP bodies', () => {
  const big = (n: number) => JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(n) } });

  it('refuses a body over the small limit without a token (413), before parsing it', async () => {
    const r = await post(big(20 * 1024));
    expect(r.status).toBe(413);
    expect((await r.json()).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
    // a bad token is no token
    expect((await post(big(20 * 1024), { authorization: 'Bearer mdr_nope' })).status).toBe(413);
  });

  it('takes the larger limit with a valid token, and refuses past it', async () => {
    const ok = await post(big(100 * 1024), { authorization: `Bearer ${T.tokens.READER}` });
    expect(ok.status).toBe(200);
    expect((await ok.json()).data).toEqual({ __typename: 'Query' });
    expect((await post(big(600 * 1024), { authorization: `Bearer ${T.tokens.READER}` })).status).toBe(413);
  });

  it('counts a chunked body as it arrives', async () => {
    const chunks = new ReadableStream({
      start(c) {
        for (let i = 0; i < 40; i++) c.enqueue(new TextEncoder().encode('x'.repeat(1024)));
        c.close();
      },
    });
    const r = await fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chunks, duplex: 'half' } as RequestInit);
    expect(r.status).toBe(413);
  });

  it('cuts off a client that sends its request too slowly', async () => {
    const port = new URL(app.url).port;
    const sock = net.connect(Number(port), '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.write('POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"query":');
    const started = Date.now();
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      sock.on('data', (d) => (text += d));
      sock.on('close', () => resolve(text));
    });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(answer).toMatch(/^HTTP\/1\.1 408|^$/);
  });
});

describe('WebSocket messages', () => {
  function raw(initPayload: unknown) {
    const ws = new WebSocket(app.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: initPayload })));
    return { ws, closed };
  }

  it('closes an oversized connection_init (1009) before authenticating', async () => {
    const { closed } = raw({ authorization: `Bearer ${T.tokens.READER}`, pad: 'x'.repeat(4 * 1024) });
    expect(await closed).toBe(1009);
  });

  it('closes a socket that sends a message over the limit (1009), also after authentication', async () => {
    const { ws, closed } = raw({ authorization: `Bearer ${T.tokens.READER}` });
    await new Promise<void>((resolve) => ws.on('message', () => resolve()));
    ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: '{ __typename }', variables: { pad: 'x'.repeat(80 * 1024) } } }));
    expect(await closed).toBe(1009);
  });

  it('caps the operations open at once on one connection', async () => {
    const client = wsClient(app.url, T.tokens.READER);
    const subs = [1, 2, 3, 4].map(() => subscribe(client, 'subscription { incidentChanged { incident { id } } }'));
    await connected(client);
    const end = Date.now() + 5_000;
    while (!subs.some((s) => s.errors.length) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    const refused = subs.filter((s) => s.errors.length);
    expect(refused, JSON.stringify(subs.map((s) => s.errors))).toHaveLength(1);
    expect(JSON.stringify(refused[0].errors)).toContain('TOO_MANY_OPERATIONS');
    // completing one frees a place
    subs.find((s) => !s.errors.length)!.dispose();
    await new Promise((r) => setTimeout(r, 100));
    const again = subscribe(client, '{ viewer { role } }');
    await again.waitFor(1);
    for (const s of subs) s.dispose();
    await client.dispose();
  });
});

describe('rate limits per token', () => {
  it('answers RATE_LIMITED with retryAfterSeconds past the budget, per token, over HTTP and WebSocket together', async () => {
    const limited = await startApp({ security: { ...app.config.security, rateLimitPerMinute: 5 } }, { database: app.database });
    try {
      const t = await newTenant(limited);
      const results = [];
      for (let i = 0; i < 4; i++) results.push(await limited.gql('{ viewer { role } }', {}, t.tokens.READER));
      expect(results.every((r) => r.data)).toBe(true);
      // the fifth over a socket
      const client = wsClient(limited.url, t.tokens.READER);
      const s = subscribe(client, '{ viewer { role } }');
      await s.waitFor(1);
      const sixth = subscribe(client, '{ viewer { role } }');
      const end = Date.now() + 5_000;
      while (!sixth.errors.length && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(JSON.stringify(sixth.errors)).toContain('RATE_LIMITED');
      await client.dispose();
      const r = await limited.gql('{ viewer { role } }', {}, t.tokens.READER);
      expect(r.status).toBe(429);
      expect(r.errors?.[0].extensions?.code).toBe('RATE_LIMITED');
      expect(r.errors?.[0].extensions?.retryAfterSeconds).toBeGreaterThan(0);
      // another token of the same tenant is not affected
      expect((await limited.gql('{ viewer { role } }', {}, t.tokens.OPERATOR)).data).toBeTruthy();
    } finally {
      await limited.close();
    }
  });

  it.skipIf(backend === 'pglite')('shares the budget between instances through Redis', async () => {
    const cfg = { security: { ...app.config.security, rateLimitPerMinute: 4 }, realtime: { ...app.config.realtime, redisUrl: process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379' } };
    const one = await startApp(cfg, { database: app.database });
    const two = await startApp(cfg, { database: app.database });
    try {
      const t = await newTenant(one);
      for (const a of [one, two, one, two]) expect((await a.gql('{ viewer { role } }', {}, t.tokens.READER)).data).toBeTruthy();
      const r = await two.gql('{ viewer { role } }', {}, t.tokens.READER);
      expect(r.errors?.[0].extensions?.code).toBe('RATE_LIMITED');
    } finally {
      await one.close();
      await two.close();
    }
  });
});

describe('CORS', () => {
  const preflight = (origin: string) =>
    fetch(app.url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' } });

  it('allows a configured origin with credentials', async () => {
    const r = await preflight('https://soc.example.com');
    expect(r.headers.get('access-control-allow-origin')).toBe('https://soc.example.com');
    expect(r.headers.get('access-control-allow-credentials')).toBe('true');
  });

  it('does not reflect any other origin', async () => {
    for (const origin of ['https://evil.example', 'https://soc.example.com.evil.example', 'null']) {
      expect((await preflight(origin)).headers.get('access-control-allow-origin'), origin).toBeNull();
      const r = await post(JSON.stringify({ query: '{ __typename }' }), { origin });
      expect(r.headers.get('access-control-allow-origin'), origin).toBeNull();
    }
  });
});
