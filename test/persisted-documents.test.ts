// Persisted (trusted) documents: a document's hash instead of its text, over HTTP POST and GET, SSE
// and graphql-ws, in both forms (`documentId: "sha256:<hex>"` and Apollo's
// extensions.persistedQuery); PERSISTED_DOCUMENTS_ONLY refusing text on every transport; APQ
// registration (checked against the text, never in persisted-only mode); the committed manifest
// matching its sources. Also: which GraphQL over SSE mode yoga serves.
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { getOperationAST, parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { schema } from '../src/graphql/schema';
import { buildManifest, documentId, loadManifest, MANIFEST_FILE, renderManifest } from '../src/persisted/manifest';
import { startApp, type TestApp } from './helpers/app';
import { newTenant, type TenantFixture } from './helpers/factory';
import { subscribe, wsClient } from './helpers/ws';

let open: TestApp; // arbitrary documents allowed (the default)
let only: TestApp; // PERSISTED_DOCUMENTS_ONLY=1, on the same database
let T: TenantFixture;

const manifest = loadManifest();
/** A trusted document: an operation of `type` without required variables whose text matches. */
function trusted(type: 'query' | 'subscription', match: RegExp): { id: string; hex: string; text: string } {
  for (const [id, text] of Object.entries(manifest)) {
    const op = getOperationAST(parse(text));
    if (op?.operation === type && !op.variableDefinitions?.some((v) => v.type.kind === 'NonNullType') && match.test(text)) {
      return { id, hex: id.slice('sha256:'.length), text };
    }
  }
  throw new Error(`no trusted ${type} matching ${match}`);
}
const VIEWER = trusted('query', /DashboardViewer/); // the dashboard's
const BANNER = trusted('subscription', /managedResponseSummaryChanged/); // sends the current counts first
const UNKNOWN = 'sha256:' + 'ab'.repeat(32);
const hexOf = (text: string) => createHash('sha256').update(text).digest('hex');

type Body = { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };

async function post(app: TestApp, body: Record<string, unknown>, token: string | null = T.tokens.READER): Promise<Body & { status: number }> {
  const res = await fetch(app.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  return { ...((await res.json()) as Body), status: res.status };
}

async function get(app: TestApp, search: Record<string, string>): Promise<Body & { status: number }> {
  const res = await fetch(`${app.url}?${new URLSearchParams(search)}`, {
    headers: { accept: 'application/graphql-response+json', authorization: `Bearer ${T.tokens.READER}` },
  });
  return { ...((await res.json()) as Body), status: res.status };
}

/** A GraphQL over SSE request (distinct connections mode): the first event's payload. */
async function sse(app: TestApp, init: { method: 'POST'; body: Record<string, unknown> } | { method: 'GET'; search: Record<string, string> }): Promise<Body> {
  const ctrl = new AbortController();
  const headers = { accept: 'text/event-stream', authorization: `Bearer ${T.tokens.READER}` };
  const res =
    init.method === 'POST'
      ? await fetch(app.url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(init.body), signal: ctrl.signal })
      : await fetch(`${app.url}?${new URLSearchParams(init.search)}`, { headers, signal: ctrl.signal });
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
  const reader = res.body!.getReader();
  let text = '';
  const end = Date.now() + 10_000;
  try {
    while (Date.now() < end) {
      const m = /event: next\ndata: (.*)\n/.exec(text);
      if (m) return JSON.parse(m[1]) as Body;
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    throw new Error(`no event within 10 s: ${text}`);
  } finally {
    ctrl.abort();
  }
}

/** One graphql-ws operation: its first result, or the error it ended with. */
async function ws(app: TestApp, payload: Record<string, unknown>): Promise<Body> {
  const client = wsClient(app.url, T.tokens.READER);
  try {
    return await new Promise<Body>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no result within 10 s')), 10_000);
      client.subscribe(payload as { query: string }, {
        next: (v) => {
          clearTimeout(timer);
          resolve(v as Body);
        },
        error: (e) => {
          clearTimeout(timer);
          resolve({ errors: Array.isArray(e) ? e : [{ message: String((e as Error)?.message ?? e) }] });
        },
        complete: () => {},
      });
    });
  } finally {
    await client.dispose();
  }
}

const codeOf = (b: Body) => b.errors?.[0]?.extensions?.code;

beforeAll(async () => {
  open = await startApp();
  const env = { ...process.env, PORT: '0', HOST: '127.0.0.1', MDR_DEMO: '0', PERSISTED_DOCUMENTS_ONLY: '1' };
  only = await startApp({ security: loadConfig(env).security }, { database: open.database });
  expect(only.config.security.persistedDocumentsOnly).toBe(true);
  expect(open.config.security.persistedDocumentsOnly).toBe(false);
  T = await newTenant(open);
});
afterAll(async () => {
  await only?.close();
  await open?.close();
});

describe('the manifest', () => {
  it('is up to date with src/dashboard/documents.ts and test/generated/persisted-documents.json', async () => {
    const rebuilt = renderManifest(await buildManifest(schema));
    expect(fs.readFileSync(MANIFEST_FILE, 'utf8')).toBe(rebuilt); // else: npm run persisted:print
  });

  it('holds every dashboard document and every codegen document, each under the SHA-256 of its text', async () => {
    const dashboard = (await import('../src/dashboard/documents')) as Record<string, unknown>;
    const strings = Object.values(dashboard).filter((v): v is string => typeof v === 'string');
    expect(strings.length).toBeGreaterThan(0);
    for (const text of strings) expect(manifest[documentId(text)]).toBe(text);
    const generated = JSON.parse(fs.readFileSync(new URL('./generated/persisted-documents.json', import.meta.url), 'utf8')) as Record<string, string>;
    for (const [id, text] of Object.entries(generated)) expect(manifest[id]).toBe(text);
    for (const [id, text] of Object.entries(manifest)) expect(id).toBe(`sha256:${hexOf(text)}`);
  });
});

describe.each([
  ['arbitrary documents allowed', () => open],
  ['PERSISTED_DOCUMENTS_ONLY', () => only],
])('a known hash works (%s)', (_mode, app) => {
  it('over HTTP POST: documentId "sha256:<hex>", plain hex, and extensions.persistedQuery', async () => {
    for (const body of [{ documentId: VIEWER.id }, { documentId: VIEWER.hex }, { extensions: { persistedQuery: { version: 1, sha256Hash: VIEWER.hex } } }]) {
      const r = await post(app(), body);
      expect(r.errors, JSON.stringify(body)).toBeUndefined();
      expect(r.data.viewer.role).toBe('READER');
    }
  });

  it('over HTTP GET: ?documentId= and ?extensions=', async () => {
    const searches: Record<string, string>[] = [{ documentId: VIEWER.id }, { extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: VIEWER.hex } }) }];
    for (const search of searches) {
      const r = await get(app(), search);
      expect(r.errors).toBeUndefined();
      expect(r.status).toBe(200);
      expect(r.data.viewer.role).toBe('READER');
    }
  });

  it('over SSE (POST and GET)', async () => {
    const a = await sse(app(), { method: 'POST', body: { documentId: BANNER.id } });
    expect(a.errors).toBeUndefined();
    expect(a.data.managedResponseSummaryChanged).toHaveProperty('awaitingCustomerAction');
    const b = await sse(app(), { method: 'GET', search: { extensions: JSON.stringify({ persistedQuery: { version: 1, sha256Hash: BANNER.hex } }) } });
    expect(b.data.managedResponseSummaryChanged).toHaveProperty('investigating');
  });

  it('over graphql-ws: a subscription by documentId, a query by extensions.persistedQuery', async () => {
    const a = await ws(app(), { query: '', documentId: BANNER.id });
    expect(a.errors).toBeUndefined();
    expect(a.data.managedResponseSummaryChanged).toHaveProperty('awaitingCustomerAction');
    const b = await ws(app(), { query: '', extensions: { persistedQuery: { version: 1, sha256Hash: VIEWER.hex } } });
    expect(b.data.viewer.role).toBe('READER');
  });

  it('an unknown hash is PERSISTED_QUERY_NOT_FOUND on every transport', async () => {
    const http = await post(app(), { documentId: UNKNOWN });
    expect(http.status).toBe(404);
    expect(http.errors?.[0]).toMatchObject({ message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } });
    expect(codeOf(await get(app(), { documentId: UNKNOWN }))).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(codeOf(await sse(app(), { method: 'POST', body: { documentId: UNKNOWN } }))).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(codeOf(await ws(app(), { query: '', documentId: UNKNOWN }))).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('a hash that is not the text’s is PERSISTED_QUERY_HASH_MISMATCH (HTTP and graphql-ws)', async () => {
    const text = '{ viewer { role } }';
    for (const body of [{ query: text, documentId: VIEWER.id }, { query: text, extensions: { persistedQuery: { version: 1, sha256Hash: VIEWER.hex } } }]) {
      const r = await post(app(), body);
      expect(r.status).toBe(400);
      expect(codeOf(r)).toBe('PERSISTED_QUERY_HASH_MISMATCH');
      expect(r.data).toBeUndefined();
      expect(codeOf(await ws(app(), body))).toBe('PERSISTED_QUERY_HASH_MISMATCH');
    }
  });

  it('the known text sent with its own hash runs', async () => {
    const r = await post(app(), { query: VIEWER.text, documentId: VIEWER.id });
    expect(r.errors).toBeUndefined();
    expect(r.data.viewer.role).toBe('READER');
    expect((await ws(app(), { query: VIEWER.text, documentId: VIEWER.id })).data.viewer.role).toBe('READER');
  });

  it('a malformed id is BAD_REQUEST', async () => {
    for (const body of [{ documentId: 'sha256:xyz' }, { documentId: 42 }, { extensions: { persistedQuery: { version: 2, sha256Hash: VIEWER.hex } } }, { documentId: VIEWER.id, extensions: { persistedQuery: { version: 1, sha256Hash: UNKNOWN.slice(7) } } }]) {
      const r = await post(app(), body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(codeOf(r)).toBe('BAD_REQUEST');
    }
    expect(codeOf(await ws(app(), { query: '', documentId: 'nope' }))).toBe('BAD_REQUEST');
  });
});

describe('without PERSISTED_DOCUMENTS_ONLY', () => {
  it('documents as text keep working', async () => {
    const r = await post(open, { query: '{ viewer { role } }' });
    expect(r.data.viewer.role).toBe('READER');
    expect((await ws(open, { query: '{ viewer { role } }' })).data.viewer.role).toBe('READER');
  });

  it('APQ: an unknown hash, then the hash with its text registers it, then the hash alone works (HTTP)', async () => {
    const text = `query Apq${randomUUID().replaceAll('-', '')} { viewer { role } }`;
    const pq = { persistedQuery: { version: 1, sha256Hash: hexOf(text) } };
    expect(codeOf(await post(open, { extensions: pq }))).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect((await post(open, { query: text, extensions: pq })).data.viewer.role).toBe('READER');
    expect((await post(open, { extensions: pq })).data.viewer.role).toBe('READER');
    expect((await ws(open, { query: '', extensions: pq })).data.viewer.role).toBe('READER');
    expect((await get(open, { documentId: `sha256:${hexOf(text)}` })).data.viewer.role).toBe('READER');
  });

  it('APQ over graphql-ws registers too', async () => {
    const text = `query ApqWs${randomUUID().replaceAll('-', '')} { viewer { role } }`;
    const id = `sha256:${hexOf(text)}`;
    expect((await ws(open, { query: text, documentId: id })).data.viewer.role).toBe('READER');
    expect((await post(open, { documentId: id })).data.viewer.role).toBe('READER');
  });

  it('registers nothing without a token, or for a document that does not validate', async () => {
    const anonymous = `query Anon${randomUUID().replaceAll('-', '')} { viewer { role } }`;
    await post(open, { query: anonymous, documentId: `sha256:${hexOf(anonymous)}` }, null);
    expect(codeOf(await post(open, { documentId: `sha256:${hexOf(anonymous)}` }))).toBe('PERSISTED_QUERY_NOT_FOUND');
    const invalid = `query Invalid${randomUUID().replaceAll('-', '')} { viewer { noSuchField } }`;
    const r = await post(open, { query: invalid, documentId: `sha256:${hexOf(invalid)}` });
    expect(r.errors?.[0].message).toMatch(/noSuchField/);
    expect(codeOf(await post(open, { documentId: `sha256:${hexOf(invalid)}` }))).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('a request with neither text nor id is still "Must provide query string."', async () => {
    const r = await post(open, { variables: {} });
    expect(r.status).toBe(400);
    expect(r.errors?.[0]).toMatchObject({ message: 'Must provide query string.', extensions: { code: 'BAD_REQUEST' } });
  });
});

describe('with PERSISTED_DOCUMENTS_ONLY', () => {
  const text = '{ viewer { role } }';

  it('refuses text over HTTP POST and GET with PERSISTED_DOCUMENTS_ONLY', async () => {
    const a = await post(only, { query: text });
    expect(a.status).toBe(400);
    expect(a.errors?.[0].extensions?.code).toBe('PERSISTED_DOCUMENTS_ONLY');
    expect(a.errors?.[0].message).toMatch(/documentId/);
    expect(a.data).toBeUndefined();
    expect(codeOf(await get(only, { query: text }))).toBe('PERSISTED_DOCUMENTS_ONLY');
  });

  it('refuses text over SSE', async () => {
    expect(codeOf(await sse(only, { method: 'POST', body: { query: 'subscription { managedResponseSummaryChanged { investigating } }' } }))).toBe('PERSISTED_DOCUMENTS_ONLY');
    expect(codeOf(await sse(only, { method: 'GET', search: { query: 'subscription { managedResponseSummaryChanged { investigating } }' } }))).toBe('PERSISTED_DOCUMENTS_ONLY');
  });

  it('refuses text over graphql-ws (the socket stays usable)', async () => {
    const client = wsClient(only.url, T.tokens.READER);
    try {
      const refused = subscribe(client, 'subscription { managedResponseSummaryChanged { investigating } }');
      const end = Date.now() + 10_000;
      while (!refused.errors.length && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(JSON.stringify(refused.errors)).toContain('PERSISTED_DOCUMENTS_ONLY');
      const events: unknown[] = [];
      const dispose = client.subscribe({ query: '', documentId: BANNER.id } as { query: string }, { next: (v) => void events.push(v), error: () => {}, complete: () => {} });
      while (!events.length && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      dispose();
      expect(events[0]).toMatchObject({ data: { managedResponseSummaryChanged: { investigating: expect.any(Number) } } });
    } finally {
      await client.dispose();
    }
    expect(codeOf(await ws(only, { query: text }))).toBe('PERSISTED_DOCUMENTS_ONLY');
  });

  it('an unknown document, even with its correct hash, is refused and never registered', async () => {
    const fresh = `query NotTrusted${randomUUID().replaceAll('-', '')} { viewer { role } }`;
    const id = `sha256:${hexOf(fresh)}`;
    expect(codeOf(await post(only, { query: fresh, documentId: id }))).toBe('PERSISTED_DOCUMENTS_ONLY');
    expect(codeOf(await post(only, { query: fresh, extensions: { persistedQuery: { version: 1, sha256Hash: hexOf(fresh) } } }))).toBe('PERSISTED_DOCUMENTS_ONLY');
    expect(codeOf(await ws(only, { query: fresh, documentId: id }))).toBe('PERSISTED_DOCUMENTS_ONLY');
    expect(codeOf(await post(only, { documentId: id }))).toBe('PERSISTED_QUERY_NOT_FOUND');
    expect(codeOf(await ws(only, { query: '', documentId: id }))).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('a document registered by APQ where that is allowed does not run here', async () => {
    const registered = `query Registered${randomUUID().replaceAll('-', '')} { viewer { role } }`;
    const id = `sha256:${hexOf(registered)}`;
    expect((await post(open, { query: registered, documentId: id })).data.viewer.role).toBe('READER');
    expect((await post(open, { documentId: id })).data.viewer.role).toBe('READER');
    expect(codeOf(await post(only, { documentId: id }))).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('a request with neither says to send a documentId', async () => {
    const r = await post(only, {});
    expect(r.status).toBe(400);
    expect(r.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_REQUEST' } });
    expect(r.errors?.[0].message).toMatch(/documentId/);
  });
});

describe('GraphQL over SSE modes', () => {
  it('distinct connections mode is served (above); single connection mode is not: PUT (reserve a stream) is 405', async () => {
    const res = await fetch(open.url, { method: 'PUT', headers: { authorization: `Bearer ${T.tokens.READER}` } });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toMatch(/GET.*POST|POST.*GET/);
  });
});
