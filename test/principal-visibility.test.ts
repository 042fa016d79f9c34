// Who may read which principal (SPEC.md section 1: nothing crosses tenants except for experts).
// A customer sees the principals of its own tenant and the experts SERVING its tenant; an expert
// sees the experts and the principals of the tenants it serves. Any other principal is null by id
// (`node`, `nodes`), exactly like an id that never existed. A reference from a readable row (an
// assignee, a comment or chat author, an activity actor, publishedBy) to a principal the viewer
// may no longer see, such as an expert who stopped serving the tenant, stays readable as a
// minimal principal: name, role and side, no email and no tenant; its id still gives null.
import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expertTenants } from '../src/db/schema';
import { startApp, type TestApp } from './helpers/app';
import { encodeGlobalID, expertServing, newTenant, type TenantFixture } from './helpers/factory';
import { mutate, summary, truePositive } from './helpers/response';

let app: TestApp;
let a: TenantFixture;
let b: TenantFixture;
let both: { principal: { id: string; name: string }; token: string };
beforeAll(async () => {
  app = await startApp();
  a = await newTenant(app);
  b = await newTenant(app);
  both = await expertServing(app, [a.tenant, b.tenant]);
});
afterAll(async () => {
  await app?.close();
});

const gid = (id: string) => encodeGlobalID('Principal', id);
const NODE = `query($id: ID!) { node(id: $id) { id ... on Principal { name side role } } }`;
const NODES = `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Principal { name side } } }`;

async function nodeName(token: string, principalId: string): Promise<string | null> {
  const r = await app.gql<any, any>(NODE, { id: gid(principalId) }, token);
  expect(r.errors).toBeUndefined();
  return r.data.node?.name ?? null;
}

async function nodesNames(token: string, principalIds: string[]): Promise<(string | null)[]> {
  const r = await app.gql<any, any>(NODES, { ids: principalIds.map(gid) }, token);
  expect(r.errors).toBeUndefined();
  return r.data.nodes.map((n: { name: string } | null) => n?.name ?? null);
}

describe('node(id)', () => {
  it('a customer reads its own principals and the experts serving its tenant; nothing else, as if it did not exist', async () => {
    for (const token of [a.tokens.READER, a.tokens.ADMIN, a.tokens.INTEGRATION]) {
      // (a) its own tenant's principals
      expect(await nodeName(token, a.principals.OPERATOR.id)).toBe(a.principals.OPERATOR.name);
      expect(await nodeName(token, a.principals.INTEGRATION.id)).toBe(a.principals.INTEGRATION.name);
      // (b) experts serving its tenant (only it, or it among others)
      expect(await nodeName(token, a.principals.EXPERT.id)).toBe(a.principals.EXPERT.name);
      expect(await nodeName(token, both.principal.id)).toBe(both.principal.name);
      // (c) an expert serving only another tenant, (d) another tenant's principal: the same answer
      // as an id that never existed
      const never = await app.gql<any, any>(NODE, { id: gid(randomUUID()) }, token);
      for (const id of [b.principals.EXPERT.id, b.principals.READER.id, b.principals.ADMIN.id]) {
        const r = await app.gql<any, any>(NODE, { id: gid(id) }, token);
        expect({ data: r.data, errors: r.errors, status: r.status }).toEqual({ data: never.data, errors: never.errors, status: never.status });
        expect(r.data).toEqual({ node: null });
      }
    }
  });

  it('an expert reads the experts and the principals of the tenants it serves; nothing of another tenant', async () => {
    const onlyB = b.tokens.EXPERT;
    // tenant A's principals are not readable for an expert serving only B
    for (const role of ['READER', 'OPERATOR', 'ADMIN', 'INTEGRATION'] as const) {
      expect(await nodeName(onlyB, a.principals[role].id)).toBeNull();
      expect(await nodeName(onlyB, b.principals[role].id)).toBe(b.principals[role].name);
    }
    // experts see the experts (the provider side), whoever they serve
    expect(await nodeName(onlyB, a.principals.EXPERT.id)).toBe(a.principals.EXPERT.name);
    expect(await nodeName(onlyB, both.principal.id)).toBe(both.principal.name);
    // the other way round, B's customers do not see A's expert
    expect(await nodeName(b.tokens.READER, a.principals.EXPERT.id)).toBeNull();
    expect(await nodeName(b.tokens.READER, b.principals.EXPERT.id)).toBe(b.principals.EXPERT.name);
  });
});

describe('nodes(ids)', () => {
  it('the same rule, in order, in one request', async () => {
    const ids = [
      a.principals.ADMIN.id, // (a)
      a.principals.EXPERT.id, // (b)
      both.principal.id, // (b)
      b.principals.EXPERT.id, // (c)
      b.principals.READER.id, // (d)
      randomUUID(), // never existed
    ];
    expect(await nodesNames(a.tokens.READER, ids)).toEqual([a.principals.ADMIN.name, a.principals.EXPERT.name, both.principal.name, null, null, null]);
    expect(await nodesNames(b.tokens.EXPERT, [a.principals.ADMIN.id, a.principals.EXPERT.id, b.principals.READER.id])).toEqual([
      null,
      a.principals.EXPERT.name,
      b.principals.READER.name,
    ]);
  });
});

describe('references from readable rows', () => {
  it('an expert who stopped serving the tenant still shows as author, assignee and actor (name and side only), but not by id', async () => {
    const t = await newTenant(app, { serviceAccessLevel: 'READER' });
    const expert = t.principals.EXPERT;
    // one incident the expert investigates (assigned to it) and comments on; another one it
    // publishes a managed response for and chats about
    const inc = await truePositive(app, t);
    const comment = await mutate(app, t.tokens.EXPERT, 'addComment', { incidentId: inc.id, body: 'Looked at the mail gateway' }, 'incident { id }');
    expect(comment.data.addComment.errors).toEqual([]);
    const other = await truePositive(app, t);
    const pub = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', {
      incidentId: other.id,
      summary,
      actions: [{ kind: 'MANUAL', instructions: 'Reset the passwords' }],
    });
    expect(pub.data.publishManagedResponse.errors).toEqual([]);
    const chat = await mutate(app, t.tokens.EXPERT, 'sendChatMessage', { incidentId: other.id, body: 'Please reset them' }, 'message { id }');
    expect(chat.data.sendChatMessage.errors).toEqual([]);

    const QUERY = `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Incident {
      assignee { id name side role email tenant { id } }
      comments { nodes { author { id name side email } } }
      activity(first: 50) { nodes { actor { id name side email } } }
      managedResponse { publishedBy { id name side email } chat { nodes { author { id name side email } } } } } } }`;
    const before = await app.gql<any, any>(QUERY, { ids: [inc.id, other.id] }, t.tokens.READER);
    expect(before.errors).toBeUndefined();
    expect(before.data.nodes[0].assignee).toMatchObject({ id: gid(expert.id), name: expert.name, side: 'EXPERTS' });
    expect(await nodeName(t.tokens.READER, expert.id)).toBe(expert.name);

    // the expert no longer serves the tenant
    await app.database.db.delete(expertTenants).where(and(eq(expertTenants.principalId, expert.id), eq(expertTenants.tenantId, t.tenant.id)));

    const after = await app.gql<any, any>(QUERY, { ids: [inc.id, other.id] }, t.tokens.READER);
    expect(after.errors).toBeUndefined();
    const minimal = { id: gid(expert.id), name: expert.name, side: 'EXPERTS', email: null };
    const [investigated, responded] = after.data.nodes;
    expect(investigated.assignee).toEqual({ ...minimal, role: 'EXPERT', tenant: null });
    expect(investigated.comments.nodes.map((c: any) => c.author)).toEqual([minimal]);
    expect(responded.managedResponse.publishedBy).toEqual(minimal);
    expect(responded.managedResponse.chat.nodes.map((m: any) => m.author)).toEqual([minimal]);
    const actors = [...investigated.activity.nodes, ...responded.activity.nodes]
      .map((x: any) => x.actor)
      .filter((x: any) => x?.id === gid(expert.id));
    expect(actors.length).toBeGreaterThan(0);
    for (const actor of actors) expect(actor).toEqual(minimal);
    // by id it is gone: null, like an id that never existed
    expect(await nodeName(t.tokens.READER, expert.id)).toBeNull();
    expect(await nodesNames(t.tokens.READER, [expert.id, t.principals.ADMIN.id])).toEqual([null, t.principals.ADMIN.name]);
  });
});
