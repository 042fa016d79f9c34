// Administration through the API (SPEC.md section 8, issue 13): a tenant ADMIN lists, creates,
// changes and disables its principals and manages API tokens, with the CLI's rules; disabling
// and revoking reach every transport, an expired token is refused like a revoked one, and a
// tenant never loses its last active ADMIN.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { principalWithToken } from '../src/domain/admin';
import { backend, startApp, type TestApp } from './helpers/app';
import { encodeGlobalID, newTenant, type TenantFixture } from './helpers/factory';
import { mutate, waitFor } from './helpers/response';

const TTL = 300;
let app: TestApp;
let T: TenantFixture;
let U: TenantFixture;

beforeAll(async () => {
  app = await startApp({ tokenCacheTtlMs: TTL });
  T = await newTenant(app);
  U = await newTenant(app);
});
afterAll(async () => {
  await app?.close();
});

const gid = (type: string, id: string) => encodeGlobalID(type, id);
const PRINCIPAL = 'principal { id name email role disabled tenant { id } }';
const TOKEN = 'apiToken { id name prefix createdAt lastUsedAt expiresAt revokedAt }';

async function viewerRole(token: string): Promise<string | null> {
  const r = await app.gql<any, any>('{ viewer { role } }', {}, token);
  return r.data?.viewer?.role ?? null;
}

/** The token stops (UNAUTHENTICATED) within the token cache time. */
async function refused(token: string) {
  const r = await waitFor(() => app.gql<any, any>('{ viewer { role } }', {}, token), (r) => !!r.errors, TTL * 3 + 2000);
  expect(r.errors![0].extensions?.code).toBe('UNAUTHENTICATED');
}

/** A graphql-ws socket, acknowledged, and how it closes. */
async function openSocket(token: string) {
  const ws = new WebSocket(app.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const acked = new Promise<boolean>((resolve) => {
    ws.on('message', (data) => JSON.parse(String(data)).type === 'connection_ack' && resolve(true));
    ws.on('close', () => resolve(false));
  });
  ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
  expect(await acked).toBe(true);
  return {
    ws,
    closed: (ms = TTL * 3 + 2000) =>
      Promise.race([closed, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`socket not closed within ${ms} ms`)), ms))]),
  };
}

async function createPrincipal(t: TenantFixture, input: Record<string, unknown>) {
  return (await mutate(app, t.tokens.ADMIN, 'createPrincipal', input, PRINCIPAL)).data.createPrincipal;
}
async function updatePrincipal(token: string, input: Record<string, unknown>) {
  return (await mutate(app, token, 'updatePrincipal', input, PRINCIPAL)).data.updatePrincipal;
}
async function createToken(token: string, input: Record<string, unknown>) {
  return (await mutate(app, token, 'createApiToken', input, `${TOKEN} token`)).data.createApiToken;
}
async function revoke(token: string, tokenId: string) {
  return (await mutate(app, token, 'revokeApiToken', { tokenId }, TOKEN)).data.revokeApiToken;
}

describe('principals', () => {
  it("an ADMIN lists its tenant's principals only: never another tenant's, never experts; paged", async () => {
    const all: { id: string; role: string }[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const r: any = await app.gql<any, any>(
        'query($after: String) { principals(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id role } } }',
        { after },
        T.tokens.ADMIN,
      );
      expect(r.errors).toBeUndefined();
      all.push(...r.data.principals.nodes);
      expect(r.data.principals.totalCount).toBeGreaterThanOrEqual(4);
      if (!r.data.principals.pageInfo.hasNextPage) break;
      after = r.data.principals.pageInfo.endCursor;
    }
    const ids = all.map((p) => p.id);
    for (const role of ['READER', 'OPERATOR', 'ADMIN', 'INTEGRATION'] as const) expect(ids).toContain(gid('Principal', T.principals[role].id));
    expect(ids).not.toContain(gid('Principal', T.principals.EXPERT.id));
    for (const p of Object.values(U.principals)) expect(ids).not.toContain(gid('Principal', p.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(all.map((p) => p.role)).not.toContain('EXPERT');
  });

  it('creates each customer role in its own tenant; EXPERT and bad input are refused', async () => {
    for (const role of ['READER', 'OPERATOR', 'ADMIN', 'INTEGRATION']) {
      const r = await createPrincipal(T, { name: `New ${role}`, email: `${role.toLowerCase()}@example.com`, role });
      expect(r.errors).toEqual([]);
      expect(r.principal).toMatchObject({ name: `New ${role}`, role, disabled: false, tenant: { id: T.tenantGid } });
    }
    const expert = await createPrincipal(T, { name: 'Sneaky expert', role: 'EXPERT' });
    expect(expert).toMatchObject({ principal: null, errors: [{ code: 'INVALID_INPUT', message: expect.stringContaining('an admin cannot create provider principals') }] });
    expect((await createPrincipal(T, { name: ' ', role: 'READER' })).errors[0].code).toBe('INVALID_INPUT');
    expect((await createPrincipal(T, { name: 'x'.repeat(101), role: 'READER' })).errors[0]).toMatchObject({ code: 'INVALID_INPUT', field: ['input', 'name'] });
    expect((await createPrincipal(T, { name: 'Bad mail', email: 'not-an-address', role: 'READER' })).errors[0]).toMatchObject({ code: 'INVALID_INPUT', field: ['input', 'email'] });
    // naming another tenant is like naming none that exists
    expect((await createPrincipal(T, { tenantId: U.tenantGid, name: 'Elsewhere', role: 'READER' })).errors[0].code).toBe('NOT_FOUND');
  });

  it("changes a role; an expert or another tenant's principal is NOT_FOUND; EXPERT is never given", async () => {
    const { principal } = await createPrincipal(T, { name: 'Promoted', role: 'READER' });
    const r = await updatePrincipal(T.tokens.ADMIN, { principalId: principal.id, role: 'OPERATOR' });
    expect(r).toMatchObject({ errors: [], principal: { role: 'OPERATOR', disabled: false } });
    const toExpert = await updatePrincipal(T.tokens.ADMIN, { principalId: principal.id, role: 'EXPERT' });
    expect(toExpert.errors[0]).toMatchObject({ code: 'INVALID_INPUT', field: ['input', 'role'] });
    for (const id of [T.principals.EXPERT.id, U.principals.READER.id]) {
      const foreign = await updatePrincipal(T.tokens.ADMIN, { principalId: gid('Principal', id), disabled: true });
      expect(foreign).toMatchObject({ principal: null, errors: [{ code: 'NOT_FOUND', field: ['input', 'principalId'] }] });
    }
    expect(await viewerRole(U.tokens.READER)).toBe('READER');
  });

  it('disabling stops its tokens on HTTP and closes its open sockets with 4403; enabling restores them', async () => {
    const p = await principalWithToken(app.database.db, { tenantId: T.tenant.id, role: 'OPERATOR', name: 'To disable' });
    expect(await viewerRole(p.token)).toBe('OPERATOR');
    const socket = await openSocket(p.token);
    const r = await updatePrincipal(T.tokens.ADMIN, { principalId: gid('Principal', p.principal.id), disabled: true });
    expect(r).toMatchObject({ errors: [], principal: { disabled: true } });
    const closed = await socket.closed();
    expect(closed.code).toBe(4403);
    expect(closed.reason).toMatch(/revoked|disabled/);
    await refused(p.token);
    const enabled = await updatePrincipal(T.tokens.ADMIN, { principalId: gid('Principal', p.principal.id), disabled: false });
    expect(enabled).toMatchObject({ errors: [], principal: { disabled: false } });
    await waitFor(() => viewerRole(p.token), (role) => role === 'OPERATOR', TTL * 3 + 2000);
  });
});

describe('the last active ADMIN', () => {
  it('cannot demote or disable itself; with two ADMINs one may demote the other', async () => {
    const t = await newTenant(app);
    const me = gid('Principal', t.principals.ADMIN.id);
    for (const change of [{ role: 'OPERATOR' }, { disabled: true }]) {
      const r = await updatePrincipal(t.tokens.ADMIN, { principalId: me, ...change });
      expect(r.principal).toBeNull();
      expect(r.errors[0]).toMatchObject({ code: 'INVALID_TRANSITION', message: expect.stringContaining('last active ADMIN') });
    }
    expect(await viewerRole(t.tokens.ADMIN)).toBe('ADMIN');
    // a second ADMIN: now either may step down or be demoted
    const second = await principalWithToken(app.database.db, { tenantId: t.tenant.id, role: 'ADMIN', name: 'Second admin' });
    const demoted = await updatePrincipal(t.tokens.ADMIN, { principalId: gid('Principal', second.principal.id), role: 'READER' });
    expect(demoted).toMatchObject({ errors: [], principal: { role: 'READER' } });
    // and the first is the last again
    expect((await updatePrincipal(t.tokens.ADMIN, { principalId: me, disabled: true })).errors[0].code).toBe('INVALID_TRANSITION');
    // a disabled ADMIN does not count as one
    const third = await principalWithToken(app.database.db, { tenantId: t.tenant.id, role: 'ADMIN', name: 'Third admin' });
    expect((await updatePrincipal(t.tokens.ADMIN, { principalId: gid('Principal', third.principal.id), disabled: true })).errors).toEqual([]);
    expect((await updatePrincipal(t.tokens.ADMIN, { principalId: me, role: 'OPERATOR' })).errors[0].code).toBe('INVALID_TRANSITION');
  });

  describe.skipIf(backend !== 'postgres')('on PostgreSQL', () => {
    it('two ADMINs demoting each other at once leave at least one ADMIN', async () => {
      for (let round = 0; round < 5; round++) {
        const t = await newTenant(app);
        const second = await principalWithToken(app.database.db, { tenantId: t.tenant.id, role: 'ADMIN', name: 'Rival admin' });
        const [a, b] = await Promise.all([
          app.gql<any, any>(
            'mutation($input: UpdatePrincipalInput!) { updatePrincipal(input: $input) { errors { code } } }',
            { input: { principalId: gid('Principal', second.principal.id), role: 'READER' } },
            t.tokens.ADMIN,
          ),
          app.gql<any, any>(
            'mutation($input: UpdatePrincipalInput!) { updatePrincipal(input: $input) { errors { code } } }',
            { input: { principalId: gid('Principal', t.principals.ADMIN.id), role: 'READER' } },
            second.token,
          ),
        ]);
        const succeeded = [a, b].filter((r) => !r.errors && r.data.updatePrincipal.errors.length === 0);
        expect(succeeded.length, JSON.stringify([a, b])).toBe(1);
        const list = await app.database.db.execute(
          sql`select count(*)::int as n from principals where tenant_id = ${t.tenant.id} and role = 'ADMIN' and disabled_at is null`,
        );
        const rows = ((list as unknown as { rows?: { n: number }[] }).rows ?? list) as unknown as { n: number }[];
        expect(Number(rows[0].n)).toBe(1);
      }
    });
  });
});

describe('API tokens', () => {
  it('a new token is shown once, works, and is listed without its secret: name, created, last used, expires', async () => {
    const integration = gid('Principal', T.principals.INTEGRATION.id);
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const r = await createToken(T.tokens.ADMIN, { principalId: integration, name: 'SIEM sync', expiresAt });
    expect(r.errors).toEqual([]);
    expect(r.token).toMatch(/^mdr_[A-Za-z0-9_-]{43}$/);
    expect(r.apiToken).toMatchObject({ name: 'SIEM sync', prefix: r.token.slice(0, 10), lastUsedAt: null, revokedAt: null, expiresAt });
    const listing = async () =>
      (await app.gql<any, any>('query($id: ID!) { node(id: $id) { ... on Principal { apiTokens { id name prefix createdAt lastUsedAt expiresAt revokedAt } } } }', { id: integration }, T.tokens.ADMIN))
        .data.node.apiTokens as any[];
    const before = (await listing()).find((k) => k.id === r.apiToken.id);
    expect(before).toMatchObject({ name: 'SIEM sync', lastUsedAt: null, expiresAt });
    expect(JSON.stringify(await listing())).not.toContain(r.token);
    expect(await viewerRole(r.token)).toBe('INTEGRATION');
    const after = (await listing()).find((k) => k.id === r.apiToken.id);
    expect(after.lastUsedAt).not.toBeNull();
    expect(new Date(after.lastUsedAt).getTime()).toBeGreaterThanOrEqual(new Date(after.createdAt).getTime());
    // the node by id: its ADMIN yes, another tenant's ADMIN no
    const node = (token: string) => app.gql<any, any>('query($id: ID!) { node(id: $id) { ... on ApiToken { name } } }', { id: r.apiToken.id }, token);
    expect((await node(T.tokens.ADMIN)).data.node).toEqual({ name: 'SIEM sync' });
    expect((await node(U.tokens.ADMIN)).data.node).toBeNull();
    expect((await node(T.tokens.OPERATOR)).data.node).toBeNull();
  });

  it('an expiry must be in the future; an expired token is refused on HTTP and its socket closed', async () => {
    const reader = gid('Principal', T.principals.READER.id);
    const past = await createToken(T.tokens.ADMIN, { principalId: reader, name: 'Stale', expiresAt: new Date(Date.now() - 1000).toISOString() });
    expect(past.errors[0]).toMatchObject({ code: 'INVALID_INPUT', field: ['input', 'expiresAt'] });
    const r = await createToken(T.tokens.ADMIN, { principalId: reader, name: 'Short-lived', expiresAt: new Date(Date.now() + 1500).toISOString() });
    expect(r.errors).toEqual([]);
    expect(await viewerRole(r.token)).toBe('READER');
    const socket = await openSocket(r.token);
    const closed = await socket.closed(5000);
    expect(closed.code).toBe(4403);
    await refused(r.token);
    // a new connection is refused too
    const ws = new WebSocket(app.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const code = await new Promise<number>((resolve) => {
      ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${r.token}` } })));
      ws.on('close', (c) => resolve(c));
    });
    expect(code).toBe(4401);
  });

  it('revoking stops the token on HTTP and closes its socket; twice is INVALID_TRANSITION; foreign is NOT_FOUND', async () => {
    const r = await createToken(T.tokens.ADMIN, { principalId: gid('Principal', T.principals.OPERATOR.id), name: 'Dashboard' });
    expect(await viewerRole(r.token)).toBe('OPERATOR');
    const socket = await openSocket(r.token);
    const revoked = await revoke(T.tokens.ADMIN, r.apiToken.id);
    expect(revoked.errors).toEqual([]);
    expect(revoked.apiToken.revokedAt).not.toBeNull();
    expect((await socket.closed()).code).toBe(4403);
    await refused(r.token);
    expect((await revoke(T.tokens.ADMIN, r.apiToken.id)).errors[0]).toMatchObject({ code: 'INVALID_TRANSITION', message: expect.stringContaining('already revoked') });
    // the other tenant's ADMIN: NOT_FOUND for the token and for the principal
    expect((await revoke(U.tokens.ADMIN, r.apiToken.id)).errors[0].code).toBe('NOT_FOUND');
    const u = await createToken(U.tokens.ADMIN, { principalId: gid('Principal', T.principals.READER.id), name: 'Foreign' });
    expect(u).toMatchObject({ token: null, apiToken: null, errors: [{ code: 'NOT_FOUND' }] });
    // nor for an expert
    expect((await createToken(T.tokens.ADMIN, { principalId: gid('Principal', T.principals.EXPERT.id), name: 'Expert' })).errors[0].code).toBe('NOT_FOUND');
  });

  it("Principal.apiTokens: the tenant's ADMIN and the principal itself; empty for anyone else", async () => {
    const reader = gid('Principal', T.principals.READER.id);
    const q = (token: string) =>
      app.gql<any, any>('query($id: ID!) { node(id: $id) { ... on Principal { apiTokens { name } } } viewer { principal { id apiTokens { name } } } }', { id: reader }, token);
    const admin = await q(T.tokens.ADMIN);
    expect(admin.data.node.apiTokens.length).toBeGreaterThan(0);
    const self = await q(T.tokens.READER);
    expect(self.data.node.apiTokens).toEqual(admin.data.node.apiTokens);
    expect(self.data.viewer.principal.apiTokens).toEqual(admin.data.node.apiTokens);
    for (const other of [T.tokens.OPERATOR, T.tokens.INTEGRATION, T.tokens.EXPERT]) {
      const r = await q(other);
      expect(r.errors).toBeUndefined();
      expect(r.data.node.apiTokens).toEqual([]);
      expect(r.data.viewer.principal.apiTokens.length).toBeGreaterThan(0); // its own
    }
    expect((await q(U.tokens.ADMIN)).data.node).toBeNull();
  });
});

describe('who may administer', () => {
  it('OPERATOR, READER, EXPERT and INTEGRATION get FORBIDDEN on every admin operation, and nothing changes', async () => {
    const target = gid('Principal', T.principals.READER.id);
    const { apiToken } = await createToken(T.tokens.ADMIN, { principalId: target, name: 'Kept' });
    const ops: [string, string, Record<string, unknown>][] = [
      ['createPrincipal', 'CreatePrincipalInput', { name: 'Nope', role: 'READER' }],
      ['updatePrincipal', 'UpdatePrincipalInput', { principalId: target, disabled: true }],
      ['createApiToken', 'CreateApiTokenInput', { principalId: target, name: 'Nope' }],
      ['revokeApiToken', 'ApiTokenRefInput', { tokenId: apiToken.id }],
    ];
    for (const role of ['OPERATOR', 'READER', 'EXPERT', 'INTEGRATION'] as const) {
      const list = await app.gql<any, any>('{ principals(first: 5) { nodes { id } } }', {}, T.tokens[role]);
      expect(list.errors?.[0].extensions?.code, role).toBe('FORBIDDEN');
      for (const [op, type, input] of ops) {
        const r = await app.gql<any, any>(`mutation($input: ${type}!) { ${op}(input: $input) { errors { code } } }`, { input }, T.tokens[role]);
        expect(r.errors?.[0].extensions?.code, `${role} ${op}`).toBe('FORBIDDEN');
      }
    }
    expect(await viewerRole(T.tokens.READER)).toBe('READER');
    const listed = await app.gql<any, any>('query($id: ID!) { node(id: $id) { ... on Principal { disabled apiTokens { id revokedAt } } } }', { id: target }, T.tokens.ADMIN);
    expect(listed.data.node.disabled).toBe(false);
    expect(listed.data.node.apiTokens.find((k: { id: string }) => k.id === apiToken.id).revokedAt).toBeNull();
  });
});
