// Losing access reaches every transport within the token cache time (SPEC.md section 7): a
// revoked token, a disabled principal, an expert who no longer serves a tenant. Open graphql-ws
// sockets close with 4403 and a reason, operations on them are refused, SSE streams end; a
// missing or bad token at connection_init closes with 4401.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { setPrincipalDisabled, unserveTenants } from '../src/domain/admin';
import { revokeToken, issueToken } from '../src/domain/tokens';
import { startApp, type TestApp } from './helpers/app';
import { expertServing, newTenant, type TenantFixture } from './helpers/factory';
import { ingest, mutate, waitFor } from './helpers/response';

const TTL = 300;
let app: TestApp;
let T: TenantFixture;
let incidentId: string;

beforeAll(async () => {
  app = await startApp({ tokenCacheTtlMs: TTL });
  T = await newTenant(app);
  incidentId = (await ingest(app, T)).id;
});
afterAll(async () => {
  await app?.close();
});

/** A raw graphql-transport-ws socket: what arrives, and how it closed. */
interface RawSocket {
  ws: WebSocket;
  messages: any[];
  closed: Promise<{ code: number; reason: string }>;
  acked: Promise<boolean>;
  send(msg: object): void;
}

function openSocket(connectionParams: Record<string, unknown> | null): RawSocket {
  const ws = new WebSocket(app.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const messages: any[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  const acked = new Promise<boolean>((resolve) => {
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data));
      messages.push(msg);
      if (msg.type === 'connection_ack') resolve(true);
    });
    ws.on('close', () => resolve(false));
  });
  ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', ...(connectionParams ? { payload: connectionParams } : {}) })));
  return { ws, messages, closed, acked, send: (m) => ws.send(JSON.stringify(m)) };
}

const within = <T>(p: Promise<T>, ms: number, what: string) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms))]);

async function freshToken(principalId: string) {
  return issueToken(app.database.db, principalId, 'revocation test');
}

async function subscribedSocket(token: string) {
  const s = openSocket({ authorization: `Bearer ${token}` });
  expect(await s.acked).toBe(true);
  s.send({ id: '1', type: 'subscribe', payload: { query: 'subscription { incidentChanged { incident { id } } }' } });
  // the subscription is live once an event arrives through it
  await new Promise((r) => setTimeout(r, 100));
  await mutate(app, T.tokens.OPERATOR, 'addComment', { incidentId, body: 'ping' }, 'incident { id }');
  await waitFor(async () => s.messages.filter((m) => m.type === 'next').length, (n) => n > 0);
  return s;
}

describe('graphql-ws: losing access closes the socket with 4403 within the token cache time', () => {
  it('a revoked token', async () => {
    const { id, token } = await freshToken(T.principals.READER.id);
    const s = await subscribedSocket(token);
    await revokeToken(app.database.db, id);
    const closed = await within(s.closed, TTL * 3 + 1000, 'the close');
    expect(closed.code).toBe(4403);
    expect(closed.reason).toMatch(/revoked|disabled/);
    // and the token itself is refused on HTTP
    const r = await app.gql('{ viewer { role } }', {}, token);
    expect(r.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('a disabled principal (all its tokens)', async () => {
    const p = await import('../src/domain/admin').then((m) => m.principalWithToken(app.database.db, { tenantId: T.tenant.id, role: 'OPERATOR', name: 'to disable' }));
    const s = await subscribedSocket(p.token);
    await setPrincipalDisabled(app.database.db, p.principal.id, true);
    const closed = await within(s.closed, TTL * 3 + 1000, 'the close');
    expect(closed.code).toBe(4403);
    const refused = openSocket({ authorization: `Bearer ${p.token}` });
    expect(await refused.acked).toBe(false);
    expect((await refused.closed).code).toBe(4401);
    // enabled again, the token works again
    await setPrincipalDisabled(app.database.db, p.principal.id, false);
    await waitFor(() => app.gql<any, any>('{ viewer { role } }', {}, p.token), (r) => r.data?.viewer?.role === 'OPERATOR', TTL * 3 + 1000);
  });

  it('an expert who no longer serves the tenant: closed, and reconnected it sees nothing of it', async () => {
    const other = await newTenant(app);
    const expert = await expertServing(app, [T.tenant, other.tenant]);
    const s = await subscribedSocket(expert.token);
    await unserveTenants(app.database.db, expert.principal.id, [T.tenant.id]);
    const closed = await within(s.closed, TTL * 3 + 1000, 'the close');
    expect(closed.code).toBe(4403);
    expect(closed.reason).toMatch(/access changed/i);
    const r = await app.gql<any, any>('query($id: ID!) { node(id: $id) { id } }', { id: incidentId }, expert.token);
    expect(r.data?.node).toBeNull();
  });

  it('an operation sent on the socket after revocation is refused (the socket closes)', async () => {
    const { id, token } = await freshToken(T.principals.READER.id);
    const s = openSocket({ authorization: `Bearer ${token}` });
    expect(await s.acked).toBe(true);
    await revokeToken(app.database.db, id);
    await new Promise((r) => setTimeout(r, TTL + 50)); // the cache entry has expired (the sweep may not have run)
    if (s.ws.readyState === WebSocket.OPEN) s.send({ id: 'q', type: 'subscribe', payload: { query: '{ viewer { role } }' } });
    const closed = await within(s.closed, TTL * 3 + 1000, 'the close');
    expect(closed.code).toBe(4403);
    expect(s.messages.filter((m) => m.type === 'next')).toEqual([]);
  });
});

describe('graphql-ws: connection_init', () => {
  it('closes with 4401 without a token, or with a bad one', async () => {
    for (const params of [null, {}, { authorization: 'Bearer mdr_not-a-real-token' }, { authorization: 'Basic abc' }]) {
      const s = openSocket(params);
      expect(await s.acked, JSON.stringify(params)).toBe(false);
      const closed = await s.closed;
      expect(closed.code, JSON.stringify(params)).toBe(4401);
      expect(closed.reason).toMatch(/Unauthorized/);
    }
  });

  it('accepts the authorization parameter in any letter case', async () => {
    for (const key of ['authorization', 'Authorization', 'AUTHORIZATION']) {
      const s = openSocket({ [key]: `Bearer ${T.tokens.READER}` });
      expect(await s.acked, key).toBe(true);
      s.ws.close();
    }
  });
});

describe('SSE: a stream opened with a token that is then revoked ends', () => {
  it('ends with an UNAUTHENTICATED error within the token cache time', async () => {
    const { id, token } = await freshToken(T.principals.READER.id);
    const res = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: 'subscription { incidentChanged { incident { id } } }' }),
    });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    const ended = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return text;
        text += new TextDecoder().decode(value);
        if (text.includes('event: complete')) return text;
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    await revokeToken(app.database.db, id);
    const body = await within(ended, TTL * 3 + 2000, 'the end of the stream');
    expect(body).toContain('UNAUTHENTICATED');
    expect(body).toContain('event: complete');
  });
});
