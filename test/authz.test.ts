// Authorization (SPEC.md section 1): every query and mutation × every role × own / other tenant,
// and the ways another tenant's data could leak: node ids, counts, nested fields, error messages.
import { randomUUID } from 'node:crypto';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activity, comments, incidents } from '../src/db/schema';
import { startApp, type GqlResult, type TestApp } from './helpers/app';
import { encodeGlobalID, expertServing, incidentInput, newTenant, type TenantFixture } from './helpers/factory';
import {
  AddCommentMutation,
  IncidentByNumberQuery,
  IncidentDetailQuery,
  IngestMutation,
  NodeQuery,
  NodesQuery,
  QueueQuery,
  SummaryQuery,
  TenantQuery,
  UpdateIncidentMutation,
  ViewerQuery,
} from './ops';

let app: TestApp;
let A: TenantFixture;
let B: TenantFixture;
/** Global ids of one incident of each tenant and of the objects hanging off it. */
interface Objects {
  incident: string;
  incidentUuid: string;
  number: number;
  alert: string;
  device: string;
  file: string;
  tenant: string;
  principal: string;
}
let a: Objects;
let b: Objects;
let aIncidentIds: string[];

const db = () => app.database.db;

async function ingest(t: TenantFixture, over: Record<string, unknown> = {}) {
  const r = await app.gql(IngestMutation, { input: incidentInput(over) as never }, t.tokens.INTEGRATION);
  expect(r.data?.ingestIncident.errors).toEqual([]);
  return r.data!.ingestIncident.incident!;
}

async function objectsOf(t: TenantFixture, incidentId: string): Promise<Objects> {
  const r = await app.gql(IncidentDetailQuery, { id: incidentId }, t.tokens.READER);
  const node = r.data?.node;
  if (!node || !('number' in node)) throw new Error(`incident not readable: ${JSON.stringify(r)}`);
  const fileEvidence = node.alerts.nodes[0].evidence.find((e) => e.file)!;
  return {
    incident: node.id,
    incidentUuid: uuidOf(node.id),
    number: node.number,
    alert: node.alerts.nodes[0].id,
    device: node.devices[0].id,
    file: fileEvidence.file!.id,
    tenant: t.tenantGid,
    principal: encodeGlobalID('Principal', t.principals.OPERATOR.id),
  };
}

const uuidOf = (globalId: string) => decodeGlobalID(globalId).id;
const setStatus = (incidentGid: string, status: 'IN_PROGRESS' | 'AWAITING_CUSTOMER_ACTION') =>
  db().update(incidents).set({ status }).where(eq(incidents.id, uuidOf(incidentGid)));

beforeAll(async () => {
  app = await startApp();
  A = await newTenant(app);
  B = await newTenant(app);
  // A: #1 ACTIVE, #2 IN_PROGRESS. B: #1 ACTIVE, #2 and #3 AWAITING_CUSTOMER_ACTION, #4 IN_PROGRESS.
  // Both tenants have an incident #1, so numbers alone never tell them apart.
  const a1 = await ingest(A);
  const a2 = await ingest(A);
  await setStatus(a2.id, 'IN_PROGRESS');
  const b1 = await ingest(B);
  for (const status of ['AWAITING_CUSTOMER_ACTION', 'AWAITING_CUSTOMER_ACTION', 'IN_PROGRESS'] as const) {
    await setStatus((await ingest(B)).id, status);
  }
  a = await objectsOf(A, a1.id);
  b = await objectsOf(B, b1.id);
  aIncidentIds = [a1.id, a2.id].sort();
});
afterAll(async () => {
  await app?.close();
});

// ---------------------------------------------------------------------------------------------
// The matrix. Each probe runs one operation as `token` against the own tenant (A) or the other
// one (B) and says what the caller noticed:
//   ok           the data or the write came back
//   null         nothing: null, an empty list, zero counts, exactly as for an id that never existed
//   NOT_FOUND    a NOT_FOUND user error, and nothing was written
//   FORBIDDEN, UNAUTHENTICATED, BAD_USER_INPUT   a top-level error with that code, no data
//   LEAK         the other tenant's data came back or changed: always a failure
// ---------------------------------------------------------------------------------------------
type Scope = 'own' | 'other';
type Outcome = 'ok' | 'null' | 'NOT_FOUND' | 'FORBIDDEN' | 'UNAUTHENTICATED' | 'BAD_USER_INPUT' | 'LEAK';

function topLevel(r: GqlResult<unknown>): Outcome | null {
  if (!r.errors?.length) return null;
  return (r.errors[0].extensions?.code as Outcome | undefined) ?? (`uncoded: ${r.errors[0].message}` as Outcome);
}

const versionOf = async (uuid: string) =>
  (await db().select({ v: incidents.version }).from(incidents).where(eq(incidents.id, uuid)))[0].v;
const commentCount = async (uuid: string) => (await db().select().from(comments).where(eq(comments.incidentId, uuid))).length;
const activityCount = async (uuid: string) => (await db().select().from(activity).where(eq(activity.incidentId, uuid))).length;

/** A foreign write must fail as NOT_FOUND and leave the other tenant's incident untouched. */
async function foreignWrite(run: () => Promise<GqlResult<{ [k: string]: { errors: { code: string }[] } }>>): Promise<Outcome> {
  const before = [await versionOf(b.incidentUuid), await commentCount(b.incidentUuid), await activityCount(b.incidentUuid)];
  const r = await run();
  const after = [await versionOf(b.incidentUuid), await commentCount(b.incidentUuid), await activityCount(b.incidentUuid)];
  if (after.join() !== before.join()) return 'LEAK';
  const top = topLevel(r);
  if (top) return top;
  const payload = Object.values(r.data ?? {})[0];
  return payload?.errors[0]?.code === 'NOT_FOUND' ? 'NOT_FOUND' : 'LEAK';
}

const probes: Record<string, (token: string | null, scope: Scope) => Promise<Outcome>> = {
  async viewer(token) {
    const r = await app.gql(ViewerQuery, {}, token);
    const top = topLevel(r);
    if (top) return top;
    const served = r.data!.viewer.tenantsServed.map((t) => t.id);
    if (served.includes(b.tenant)) return 'LEAK';
    return served.includes(a.tenant) ? 'ok' : 'null';
  },

  async incidents(token, scope) {
    const r = await app.gql(QueueQuery, { first: 100, filter: scope === 'other' ? { tenantIds: [b.tenant] } : null }, token);
    const top = topLevel(r);
    if (top) return top;
    const ids = r.data!.incidents.edges.map((e) => e.node.id).sort();
    if (ids.some((id) => !aIncidentIds.includes(id)) || r.data!.incidents.totalCount > ids.length) return 'LEAK';
    if (ids.length === 0 && r.data!.incidents.totalCount === 0) return 'null';
    return ids.join() === aIncidentIds.join() && r.data!.incidents.totalCount === 2 ? 'ok' : 'LEAK';
  },

  async incident(token, scope) {
    const tenantId = scope === 'own' ? a.tenant : b.tenant;
    const r = await app.gql(IncidentByNumberQuery, { number: 1, tenantId }, token);
    const top = topLevel(r);
    if (top) return top;
    const found = r.data!.incident;
    if (!found) return 'null';
    return found.id === a.incident ? 'ok' : 'LEAK';
  },

  async node(token, scope) {
    const id = scope === 'own' ? a.incident : b.incident;
    const r = await app.gql(NodeQuery, { id }, token);
    const top = topLevel(r);
    if (top) return top;
    if (!r.data!.node) return 'null';
    return scope === 'own' ? 'ok' : 'LEAK';
  },

  async nodes(token, scope) {
    const o = scope === 'own' ? a : b;
    const r = await app.gql(NodesQuery, { ids: [o.incident, o.alert, o.device, o.file, o.tenant, o.principal] }, token);
    const top = topLevel(r);
    if (top) return top;
    const found = r.data!.nodes.filter((n) => n !== null);
    if (found.length === 0) return 'null';
    return scope === 'own' && found.length === 6 ? 'ok' : 'LEAK';
  },

  async managedResponseSummary(token, scope) {
    const r = await app.gql(SummaryQuery, { tenantId: scope === 'own' ? a.tenant : b.tenant }, token);
    const top = topLevel(r);
    if (top) return top;
    const s = r.data!.managedResponseSummary;
    if (s.awaitingCustomerAction === 0 && s.investigating === 0) return 'null';
    return s.awaitingCustomerAction === 0 && s.investigating === 1 ? 'ok' : 'LEAK';
  },

  async tenant(token, scope) {
    const r = await app.gql(TenantQuery, { id: scope === 'own' ? a.tenant : b.tenant }, token);
    const top = topLevel(r);
    if (top) return top;
    const t = r.data!.tenant;
    if (!t) return 'null';
    return t.id === a.tenant ? 'ok' : 'LEAK';
  },

  async ingestIncident(token) {
    const r = await app.gql(IngestMutation, { input: incidentInput() as never }, token);
    const top = topLevel(r);
    if (top) return top;
    const p = r.data!.ingestIncident;
    if (p.errors.length || !p.created) return 'LEAK';
    // it landed in the integration's own tenant: A's reader can open it by id
    const seen = await app.gql(NodeQuery, { id: p.incident!.id }, A.tokens.READER);
    aIncidentIds = [...aIncidentIds, p.incident!.id].sort(); // keep the queue probe exact
    return seen.data?.node ? 'ok' : 'LEAK';
  },

  async updateIncident(token, scope) {
    const input = { incidentId: scope === 'own' ? a.incident : b.incident, tags: [`t-${randomUUID().slice(0, 8)}`] };
    if (scope === 'other') return foreignWrite(() => app.gql(UpdateIncidentMutation, { input }, token) as never);
    const r = await app.gql(UpdateIncidentMutation, { input }, token);
    const top = topLevel(r);
    if (top) return top;
    const p = r.data!.updateIncident;
    return p.errors.length === 0 && p.incident?.tags.join() === input.tags.join() ? 'ok' : 'LEAK';
  },

  async addComment(token, scope) {
    const input = { incidentId: scope === 'own' ? a.incident : b.incident, body: `note ${randomUUID()}` };
    if (scope === 'other') return foreignWrite(() => app.gql(AddCommentMutation, { input }, token) as never);
    const r = await app.gql(AddCommentMutation, { input }, token);
    const top = topLevel(r);
    if (top) return top;
    const p = r.data!.addComment;
    return p.errors.length === 0 && p.incident?.comments.nodes.some((c) => c.body === input.body) ? 'ok' : 'LEAK';
  },
};

type Caller = 'READER' | 'OPERATOR' | 'ADMIN' | 'EXPERT' | 'INTEGRATION' | 'no token' | 'bad token';
const CALLERS: Caller[] = ['READER', 'OPERATOR', 'ADMIN', 'EXPERT', 'INTEGRATION', 'no token', 'bad token'];
const UNAUTH = 'UNAUTHENTICATED';

// own tenant / other tenant; a single value where "other tenant" has no meaning for the operation.
// The EXPERT serves tenant A only. Customers asking for another tenant's queue (filter.tenantIds)
// are refused; an expert asking for a tenant it does not serve gets nothing.
//                          READER                     OPERATOR               ADMIN                  EXPERT                 INTEGRATION                no token bad token
const MATRIX: Record<keyof typeof probes, string[]> = {
  viewer:                 ['ok',                       'ok',                  'ok',                  'ok',                  'ok',                      UNAUTH,  UNAUTH],
  incidents:              ['ok/BAD_USER_INPUT',        'ok/BAD_USER_INPUT',   'ok/BAD_USER_INPUT',   'ok/null',             'ok/BAD_USER_INPUT',       UNAUTH,  UNAUTH],
  incident:               ['ok/null',                  'ok/null',             'ok/null',             'ok/null',             'ok/null',                 UNAUTH,  UNAUTH],
  node:                   ['ok/null',                  'ok/null',             'ok/null',             'ok/null',             'ok/null',                 UNAUTH,  UNAUTH],
  nodes:                  ['ok/null',                  'ok/null',             'ok/null',             'ok/null',             'ok/null',                 UNAUTH,  UNAUTH],
  managedResponseSummary: ['ok/null',                  'ok/null',             'ok/null',             'ok/null',             'ok/null',                 UNAUTH,  UNAUTH],
  tenant:                 ['ok/null',                  'ok/null',             'ok/null',             'ok/null',             'ok/null',                 UNAUTH,  UNAUTH],
  ingestIncident:         ['FORBIDDEN',                'FORBIDDEN',           'FORBIDDEN',           'FORBIDDEN',           'ok',                      UNAUTH,  UNAUTH],
  updateIncident:         ['FORBIDDEN/FORBIDDEN',      'ok/NOT_FOUND',        'ok/NOT_FOUND',        'ok/NOT_FOUND',        'FORBIDDEN/FORBIDDEN',     UNAUTH,  UNAUTH],
  addComment:             ['FORBIDDEN/FORBIDDEN',      'ok/NOT_FOUND',        'ok/NOT_FOUND',        'ok/NOT_FOUND',        'FORBIDDEN/FORBIDDEN',     UNAUTH,  UNAUTH],
};

const rows = Object.entries(MATRIX).flatMap(([op, cells]) =>
  cells.flatMap((cell, i) => {
    const [own, other] = cell.split('/');
    const caller = CALLERS[i];
    const list = [{ op, caller, scope: 'own' as Scope, expected: own }];
    if (other) list.push({ op, caller, scope: 'other' as Scope, expected: other });
    return list;
  }),
);

describe('authorization matrix', () => {
  it('covers every operation of the schema', () => {
    const schema = app.server.yoga.getEnveloped().schema;
    const fields = [...Object.keys(schema.getQueryType()!.getFields()), ...Object.keys(schema.getMutationType()!.getFields())];
    // operations added by later issues bring their own matrix; the foundation's are all here
    for (const op of Object.keys(MATRIX)) expect(fields).toContain(op);
  });

  it.each(rows)('$caller: $op on the $scope tenant → $expected', async ({ op, caller, scope, expected }) => {
    const token = caller === 'no token' ? null : caller === 'bad token' ? `mdr_${'x'.repeat(43)}` : caller === 'EXPERT' ? A.tokens.EXPERT : A.tokens[caller];
    expect(await probes[op](token, scope)).toBe(expected);
  });
});

describe('authentication', () => {
  it('refuses a bad or malformed token with HTTP 401, and no token with UNAUTHENTICATED', async () => {
    for (const header of [`mdr_${'x'.repeat(43)}`, 'not-a-token']) {
      const r = await app.gql(ViewerQuery, {}, header);
      expect(r.status).toBe(401);
      expect(r.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      expect(r.data ?? null).toBeNull();
    }
    const res = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
      body: JSON.stringify({ query: '{ viewer { role } }' }),
    });
    expect(res.status).toBe(401);
    const none = await app.gql(ViewerQuery, {}, null);
    expect(none.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
    expect(none.data ?? null).toBeNull();
  });

  it('answers __typename and introspection without a token', async () => {
    const r = await app.gql<{ __typename: string; __schema: { queryType: { name: string } } }, never>(
      '{ __typename __schema { queryType { name } } }',
      undefined,
      null,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data).toEqual({ __typename: 'Query', __schema: { queryType: { name: 'Query' } } });
  });

  it('tells each role who it is', async () => {
    for (const role of ['READER', 'OPERATOR', 'ADMIN', 'INTEGRATION'] as const) {
      const r = await app.gql(ViewerQuery, {}, A.tokens[role]);
      expect(r.data?.viewer).toMatchObject({ role, tenant: { id: a.tenant }, tenantsServed: [{ id: a.tenant }] });
    }
    const expert = await app.gql(ViewerQuery, {}, A.tokens.EXPERT);
    expect(expert.data?.viewer).toMatchObject({ role: 'EXPERT', tenant: null, tenantsServed: [{ id: a.tenant }] });
  });
});

describe('another tenant is invisible', () => {
  const kinds = ['incident', 'alert', 'device', 'file', 'tenant', 'principal'] as const;
  const typename = { incident: 'Incident', alert: 'Alert', device: 'Device', file: 'DeviceFile', tenant: 'Tenant', principal: 'Principal' };

  it.each(kinds)('node(id) of a foreign %s is null, exactly like an id that never existed', async (kind) => {
    const nonexistent = encodeGlobalID(typename[kind], randomUUID());
    for (const token of [A.tokens.READER, A.tokens.OPERATOR, A.tokens.EXPERT, A.tokens.INTEGRATION]) {
      const own = await app.gql(NodeQuery, { id: a[kind] }, token);
      expect(own.data?.node).toEqual({ id: a[kind], __typename: typename[kind] });
      const foreign = await app.gql(NodeQuery, { id: b[kind] }, token);
      const missing = await app.gql(NodeQuery, { id: nonexistent }, token);
      expect(foreign).toEqual({ data: { node: null }, status: 200 });
      expect(missing).toEqual(foreign);
    }
  });

  it('nodes(ids) keeps the order and nulls out what is foreign or missing', async () => {
    const ids = [a.incident, b.incident, a.alert, b.device, encodeGlobalID('Incident', randomUUID()), a.tenant, b.tenant];
    const r = await app.gql(NodesQuery, { ids }, A.tokens.READER);
    expect(r.errors).toBeUndefined();
    expect(r.data?.nodes.map((n) => n?.id ?? null)).toEqual([a.incident, null, a.alert, null, null, a.tenant, null]);
  });

  it('writes to a foreign incident fail exactly like writes to a missing one, with nothing written', async () => {
    const missing = encodeGlobalID('Incident', randomUUID());
    for (const token of [A.tokens.OPERATOR, A.tokens.ADMIN, A.tokens.EXPERT]) {
      const before = [await versionOf(b.incidentUuid), await commentCount(b.incidentUuid), await activityCount(b.incidentUuid)];
      const update = (incidentId: string) =>
        app.gql(UpdateIncidentMutation, { input: { incidentId, severity: 'HIGH', tags: ['x'], assignment: 'CUSTOMER', version: 1 } }, token);
      const comment = (incidentId: string) => app.gql(AddCommentMutation, { input: { incidentId, body: 'hello' } }, token);
      const [uForeign, uMissing] = [await update(b.incident), await update(missing)];
      expect(uForeign.data?.updateIncident).toEqual({
        incident: null,
        errors: [{ code: 'NOT_FOUND', message: 'Incident was not found', field: ['input', 'incidentId'] }],
      });
      expect(uMissing).toEqual(uForeign);
      const [cForeign, cMissing] = [await comment(b.incident), await comment(missing)];
      expect(cForeign.data?.addComment.errors).toEqual([{ code: 'NOT_FOUND', message: 'Incident was not found', field: ['input', 'incidentId'] }]);
      expect(cMissing).toEqual(cForeign);
      expect([await versionOf(b.incidentUuid), await commentCount(b.incidentUuid), await activityCount(b.incidentUuid)]).toEqual(before);
    }
  });

  it('counts never include foreign rows', async () => {
    const q = await app.gql(QueueQuery, { first: 100 }, A.tokens.READER);
    expect(q.data?.incidents.totalCount).toBe(q.data?.incidents.edges.length);
    expect(q.data?.incidents.edges.every((e) => e.node.tenant.slug === A.tenant.slug)).toBe(true);
    const own = await app.gql(SummaryQuery, {}, A.tokens.READER);
    expect(own.data?.managedResponseSummary).toEqual({ awaitingCustomerAction: 0, investigating: 1 });
    const theirs = await app.gql(SummaryQuery, {}, B.tokens.READER);
    expect(theirs.data?.managedResponseSummary).toEqual({ awaitingCustomerAction: 2, investigating: 1 });
    // a foreign tenant id and a tenant id that does not exist answer the same
    const foreign = await app.gql(SummaryQuery, { tenantId: b.tenant }, A.tokens.EXPERT);
    const missing = await app.gql(SummaryQuery, { tenantId: encodeGlobalID('Tenant', randomUUID()) }, A.tokens.EXPERT);
    expect(foreign.data?.managedResponseSummary).toEqual({ awaitingCustomerAction: 0, investigating: 0 });
    expect(missing).toEqual(foreign);
  });

  it('an expert sees exactly the tenants it serves, together or one at a time', async () => {
    const both = await expertServing(app, [A.tenant, B.tenant]);
    const all = await app.gql(SummaryQuery, {}, both.token);
    expect(all.data?.managedResponseSummary).toEqual({ awaitingCustomerAction: 2, investigating: 2 });
    const onlyB = await app.gql(SummaryQuery, { tenantId: b.tenant }, both.token);
    expect(onlyB.data?.managedResponseSummary).toEqual({ awaitingCustomerAction: 2, investigating: 1 });
    const q = await app.gql(QueueQuery, { first: 100 }, both.token);
    const slugs = new Set(q.data?.incidents.edges.map((e) => e.node.tenant.slug));
    expect(slugs).toEqual(new Set([A.tenant.slug, B.tenant.slug]));
    expect(q.data?.incidents.totalCount).toBe(aIncidentIds.length + 4);
    // incident numbers are per tenant: an expert of several tenants must say which
    const ambiguous = await app.gql(IncidentByNumberQuery, { number: 1 }, both.token);
    expect(ambiguous.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const inB = await app.gql(IncidentByNumberQuery, { number: 1, tenantId: b.tenant }, both.token);
    expect(inB.data?.incident?.id).toBe(b.incident);
    // the single-tenant expert needs no tenantId, and B's #1 stays out of reach for it
    const single = await app.gql(IncidentByNumberQuery, { number: 1 }, A.tokens.EXPERT);
    expect(single.data?.incident?.id).toBe(a.incident);
  });

  it('nested fields do not cross tenants, even when a row points across', async () => {
    // An assignee and a comment author from tenant B on tenant A's incident can only come from a
    // bug or a bad migration; the API must still show nothing of B.
    const [row] = await db()
      .select()
      .from(incidents)
      .where(eq(incidents.tenantId, A.tenant.id))
      .orderBy(incidents.number)
      .limit(1);
    await db().update(incidents).set({ assigneeId: B.principals.OPERATOR.id }).where(eq(incidents.id, row.id));
    await db().insert(comments).values({ tenantId: A.tenant.id, incidentId: row.id, authorId: B.principals.OPERATOR.id, body: 'cross' });
    try {
      const r = await app.gql<
        { node: { assignee: { id: string } | null; comments: { nodes: { body: string; author: { id: string } | null }[] } } },
        { id: string }
      >('query($id: ID!) { node(id: $id) { ... on Incident { assignee { id } comments(first: 100) { nodes { body author { id } } } } } }', {
        id: a.incident,
      }, A.tokens.READER);
      expect(r.errors).toBeUndefined();
      expect(r.data?.node.assignee).toBeNull();
      expect(r.data?.node.comments.nodes.find((c) => c.body === 'cross')?.author).toBeNull();
    } finally {
      await db().delete(comments).where(eq(comments.body, 'cross'));
      await db().update(incidents).set({ assigneeId: null }).where(eq(incidents.id, row.id));
    }
  });

  it("an integration's externalIds are its own tenant's: reusing another tenant's creates a new incident", async () => {
    const [bRow] = await db().select().from(incidents).where(eq(incidents.id, b.incidentUuid));
    const r = await app.gql(IngestMutation, { input: incidentInput({ externalId: bRow.externalId! }) as never }, A.tokens.INTEGRATION);
    expect(r.data?.ingestIncident).toMatchObject({ created: true, errors: [] });
    const seenByA = await app.gql(NodeQuery, { id: r.data!.ingestIncident.incident!.id }, A.tokens.READER);
    expect(seenByA.data?.node).not.toBeNull();
    aIncidentIds = [...aIncidentIds, r.data!.ingestIncident.incident!.id].sort();
    const [bAfter] = await db().select().from(incidents).where(eq(incidents.id, b.incidentUuid));
    expect(bAfter).toEqual(bRow);
  });

  it('viewerCanUpdate follows the role', async () => {
    const can: Record<string, boolean> = {};
    for (const role of ['READER', 'OPERATOR', 'ADMIN', 'EXPERT', 'INTEGRATION'] as const) {
      const r = await app.gql(IncidentDetailQuery, { id: a.incident }, A.tokens[role]);
      can[role] = (r.data?.node as { viewerCanUpdate: boolean }).viewerCanUpdate;
    }
    expect(can).toEqual({ READER: false, OPERATOR: true, ADMIN: true, EXPERT: true, INTEGRATION: false });
  });
});
