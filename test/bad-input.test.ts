// Bad input (SPEC.md section 7): wrong enums, malformed ids, oversized strings, invalid dates and
// page sizes each get a clear, coded error, nothing is written, and no error tells a foreign id
// from one that never existed.
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activity, comments, incidents } from '../src/db/schema';
import { startApp, type GqlResult, type TestApp } from './helpers/app';
import { encodeGlobalID, incidentInput, newTenant, type TenantFixture } from './helpers/factory';
import {
  AddCommentMutation,
  IncidentByNumberQuery,
  IngestMutation,
  NodeQuery,
  NodesQuery,
  QueueQuery,
  SummaryQuery,
  TenantQuery,
  UpdateIncidentMutation,
} from './ops';

let app: TestApp;
let A: TenantFixture;
let B: TenantFixture;
let aIncident: string;
let bIncident: string;
let bAlert: string;

beforeAll(async () => {
  app = await startApp();
  A = await newTenant(app);
  B = await newTenant(app);
  aIncident = (await app.gql(IngestMutation, { input: incidentInput() as never }, A.tokens.INTEGRATION)).data!.ingestIncident.incident!.id;
  const b = await app.gql<{ ingestIncident: { incident: { id: string; alerts: { nodes: { id: string }[] } } } }, unknown>(
    'mutation($input: IngestIncidentInput!) { ingestIncident(input: $input) { incident { id alerts(first: 1) { nodes { id } } } } }',
    { input: incidentInput() },
    B.tokens.INTEGRATION,
  );
  bIncident = b.data!.ingestIncident.incident.id;
  bAlert = b.data!.ingestIncident.incident.alerts.nodes[0].id;
});
afterAll(async () => {
  await app?.close();
});

/** Everything tenant A has written: a failed write must leave it alone. */
async function footprint() {
  const count = async (table: typeof incidents | typeof comments | typeof activity) =>
    Number((await app.database.db.select({ n: sql<number>`count(*)::int` }).from(table).where(eq(table.tenantId, A.tenant.id)))[0].n);
  const versions = await app.database.db.select({ v: incidents.version, s: incidents.severity }).from(incidents).where(eq(incidents.tenantId, A.tenant.id));
  return { incidents: await count(incidents), comments: await count(comments), activity: await count(activity), versions };
}

function expectTopLevel(r: GqlResult<unknown>, code: string, message: RegExp) {
  expect(r.errors?.length).toBeGreaterThanOrEqual(1);
  expect(r.errors![0].extensions?.code).toBe(code);
  expect(r.errors![0].message).toMatch(message);
}

describe('unknown enum values', () => {
  it('in the query text: a validation error naming the value (HTTP 400)', async () => {
    const r = await app.gql('{ incidents(filter: { status: [NOPE] }) { totalCount } }', {}, A.tokens.READER);
    expect(r.status).toBe(400);
    expectTopLevel(r, 'GRAPHQL_VALIDATION_FAILED', /"NOPE" does not exist in "IncidentStatus"/);
    const order = await app.gql('{ incidents(orderBy: { field: NAME, direction: ASC }) { totalCount } }', {}, A.tokens.READER);
    expectTopLevel(order, 'GRAPHQL_VALIDATION_FAILED', /"NAME" does not exist in "IncidentOrderField"/);
  });

  it('in variables: BAD_USER_INPUT naming the value and its type', async () => {
    const r = await app.gql(QueueQuery, { filter: { severity: ['CRITICAL' as never] } }, A.tokens.READER);
    expect(r.data ?? null).toBeNull();
    expectTopLevel(r, 'BAD_USER_INPUT', /"CRITICAL".*Severity/);
  });

  it('in a mutation input: refused with nothing written', async () => {
    const before = await footprint();
    const r = await app.gql(UpdateIncidentMutation, { input: { incidentId: aIncident, severity: 'CRITICAL' as never, tags: ['x'] } }, A.tokens.OPERATOR);
    expectTopLevel(r, 'BAD_USER_INPUT', /"CRITICAL".*Severity/);
    const ingest = await app.gql(IngestMutation, { input: incidentInput({ severity: 'SEVERE' as never }) as never }, A.tokens.INTEGRATION);
    expectTopLevel(ingest, 'BAD_USER_INPUT', /"SEVERE"/);
    expect(await footprint()).toEqual(before);
  });
});

describe('malformed ids', () => {
  it('node(id) with garbage: null, with a clear BAD_USER_INPUT error', async () => {
    for (const id of ['garbage', '', '!!!', Buffer.from('no colon here').toString('base64')]) {
      const r = await app.gql(NodeQuery, { id }, A.tokens.READER);
      expect(r.data).toEqual({ node: null });
      expectTopLevel(r, 'BAD_USER_INPUT', /Invalid global ID/);
    }
  });

  it('node(id) naming a type that has no ids: null, with a clear BAD_USER_INPUT error', async () => {
    for (const type of ['NoSuchType', 'Severity', 'Node', 'Comment', 'Viewer']) {
      const r = await app.gql(NodeQuery, { id: encodeGlobalID(type, randomUUID()) }, A.tokens.READER);
      expect(r.data).toEqual({ node: null });
      expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    }
  });

  it('node(id) of a real type with a malformed key is simply not found', async () => {
    for (const key of ['42', 'not-a-uuid', "x' or 1=1 --", randomUUID().toUpperCase()]) {
      const r = await app.gql(NodeQuery, { id: encodeGlobalID('Incident', key) }, A.tokens.READER);
      expect(r).toEqual({ data: { node: null }, status: 200 });
    }
    // an existing incident's uuid under another type is not that incident
    const uuid = Buffer.from(aIncident, 'base64').toString().split(':')[1];
    const r = await app.gql(NodeQuery, { id: encodeGlobalID('Alert', uuid) }, A.tokens.READER);
    expect(r.data?.node).toBeNull();
  });

  it('nodes(ids) with one garbage id: a clear BAD_USER_INPUT error', async () => {
    const r = await app.gql(NodesQuery, { ids: [aIncident, 'garbage'] }, A.tokens.READER);
    expectTopLevel(r, 'BAD_USER_INPUT', /Invalid global ID: garbage/);
  });

  it.each([
    ['incident(tenantId:)', () => app.gql(IncidentByNumberQuery, { number: 1, tenantId: 'garbage' }, A.tokens.EXPERT), /tenantId is not a valid Tenant id/],
    ['tenant(id:)', () => app.gql(TenantQuery, { id: aIncident }, A.tokens.READER), /id is not a valid Tenant id/],
    ['managedResponseSummary(tenantId:)', () => app.gql(SummaryQuery, { tenantId: 'x' }, A.tokens.EXPERT), /tenantId is not a valid Tenant id/],
    ['incidents(filter: { assigneeId })', () => app.gql(QueueQuery, { filter: { assigneeId: aIncident } }, A.tokens.READER), /assigneeId is not a valid Principal id/],
  ])('%s with a malformed or mistyped id: BAD_USER_INPUT', async (_label, run, message) => {
    expectTopLevel(await run(), 'BAD_USER_INPUT', message);
  });

  it.each([
    ['garbage', 'garbage'],
    ['an alert id', () => bAlert],
    ['a tenant id', () => A.tenantGid],
    ['an Incident id with a bad key', () => encodeGlobalID('Incident', '123')],
  ])('mutations with %s as incidentId: INVALID_INPUT user error, nothing written', async (_label, id) => {
    const incidentId = typeof id === 'function' ? id() : id;
    const before = await footprint();
    const u = await app.gql(UpdateIncidentMutation, { input: { incidentId, severity: 'HIGH' } }, A.tokens.OPERATOR);
    expect(u.data?.updateIncident).toEqual({
      incident: null,
      errors: [{ code: 'INVALID_INPUT', message: 'incidentId is not a valid Incident id', field: ['input', 'incidentId'] }],
    });
    const c = await app.gql(AddCommentMutation, { input: { incidentId, body: 'hi' } }, A.tokens.OPERATOR);
    expect(c.data?.addComment.errors).toEqual(u.data?.updateIncident.errors);
    expect(await footprint()).toEqual(before);
  });
});

describe('oversized strings', () => {
  it.each([
    ['a 30,001-character comment', () => app.gql(AddCommentMutation, { input: { incidentId: aIncident, body: 'c'.repeat(30_001) } }, A.tokens.OPERATOR), ['input', 'body']],
    ['a 1 MB comment', () => app.gql(AddCommentMutation, { input: { incidentId: aIncident, body: 'c'.repeat(1_000_000) } }, A.tokens.OPERATOR), ['input', 'body']],
    ['a 101-character tag', () => app.gql(UpdateIncidentMutation, { input: { incidentId: aIncident, tags: ['t'.repeat(101)] } }, A.tokens.OPERATOR), ['input', 'tags', '0']],
    ['a 501-character title', () => app.gql(IngestMutation, { input: incidentInput({ title: 't'.repeat(501) }) as never }, A.tokens.INTEGRATION), ['input', 'title']],
  ])('%s: INVALID_INPUT naming the field, nothing written', async (_label, run, field) => {
    const before = await footprint();
    const r = (await run()) as GqlResult<Record<string, { errors: { code: string; message: string; field: string[] }[] }>>;
    const [error] = Object.values(r.data!)[0].errors;
    expect(error).toMatchObject({ code: 'INVALID_INPUT', field });
    expect(error.message).toMatch(/at most \d+ characters/);
    expect(await footprint()).toEqual(before);
  });

  it('a 201-character search: BAD_USER_INPUT naming the filter field', async () => {
    const r = await app.gql(QueueQuery, { filter: { search: 's'.repeat(201) } }, A.tokens.READER);
    expect(r.errors?.[0]).toMatchObject({
      message: 'search is at most 200 characters',
      extensions: { code: 'BAD_USER_INPUT', field: ['filter', 'search'] },
    });
  });
});

describe('invalid DateTime', () => {
  it.each(['yesterday', '2026-01-01', '2026-01-01T00:00:00', '2026-13-45T00:00:00Z', '2026-02-30T25:61:00Z', ''])(
    '%j is refused with an example of the right format',
    async (value) => {
      const viaVariable = await app.gql(QueueQuery, { filter: { createdAfter: value } }, A.tokens.READER);
      expect(viaVariable.data ?? null).toBeNull();
      expectTopLevel(viaVariable, 'BAD_USER_INPUT', /DateTime|not a valid date/);
      const literal = await app.gql(`{ incidents(filter: { updatedBefore: ${JSON.stringify(value)} }) { totalCount } }`, {}, A.tokens.READER);
      expect(literal.data ?? null).toBeNull();
      expect(literal.errors?.[0].extensions?.code).toMatch(/BAD_USER_INPUT|GRAPHQL_VALIDATION_FAILED/);
    },
  );

  it('a DateTime that is not a string is refused', async () => {
    const r = await app.gql(QueueQuery, { filter: { createdAfter: 1767225600000 as never } }, A.tokens.READER);
    expectTopLevel(r, 'BAD_USER_INPUT', /ISO-8601/);
  });

  it('a bad date in an ingest writes nothing', async () => {
    const before = await footprint();
    const r = await app.gql(IngestMutation, { input: incidentInput({ firstActivityAt: 'last tuesday' }) as never }, A.tokens.INTEGRATION);
    expectTopLevel(r, 'BAD_USER_INPUT', /ISO-8601/);
    expect(await footprint()).toEqual(before);
  });
});

describe('integers', () => {
  it.each([
    ['a page size beyond 32 bits', { first: 2 ** 40 }, /between 0 and 100|32-bit/],
    ['a fractional page size', { first: 2.5 }, /between 0 and 100|non-integer/],
    ['a string page size', { first: '10' as never }, /"10".*Int/],
    ['a negative page size', { first: -3 }, /between 0 and 100/],
    ['a huge page size', { first: 1_000_000 }, /between 0 and 100/],
  ])('%s is a BAD_USER_INPUT', async (_label, vars, message) => {
    const r = await app.gql(QueueQuery, vars, A.tokens.READER);
    expect(r.data ?? null).toBeNull();
    expectTopLevel(r, 'BAD_USER_INPUT', message);
  });

  it('a negative or huge incident number is simply not found', async () => {
    for (const number of [-1, 0, 2_147_483_647]) {
      const r = await app.gql(IncidentByNumberQuery, { number }, A.tokens.READER);
      expect(r).toEqual({ data: { incident: null }, status: 200 });
    }
  });
});

describe('a foreign id and an id that never existed get the same answer', () => {
  const missing = (type: string) => encodeGlobalID(type, randomUUID());
  const cases: [string, (id: () => string) => Promise<GqlResult<unknown>>, string, () => string][] = [
    ['node(id)', (id) => app.gql(NodeQuery, { id: id() }, A.tokens.READER), 'Incident', () => bIncident],
    ['nodes(ids)', (id) => app.gql(NodesQuery, { ids: [id()] }, A.tokens.READER), 'Alert', () => bAlert],
    ['tenant(id)', (id) => app.gql(TenantQuery, { id: id() }, A.tokens.READER), 'Tenant', () => B.tenantGid],
    ['incident(number, tenantId)', (id) => app.gql(IncidentByNumberQuery, { number: 1, tenantId: id() }, A.tokens.EXPERT), 'Tenant', () => B.tenantGid],
    ['managedResponseSummary(tenantId)', (id) => app.gql(SummaryQuery, { tenantId: id() }, A.tokens.EXPERT), 'Tenant', () => B.tenantGid],
    ['incidents(filter: tenantIds)', (id) => app.gql(QueueQuery, { filter: { tenantIds: [id()] } }, A.tokens.EXPERT), 'Tenant', () => B.tenantGid],
    ['incidents(filter: assigneeId)', (id) => app.gql(QueueQuery, { filter: { assigneeId: id() } }, A.tokens.READER), 'Principal', () => encodeGlobalID('Principal', B.principals.OPERATOR.id)],
    ['updateIncident(incidentId)', (id) => app.gql(UpdateIncidentMutation, { input: { incidentId: id(), severity: 'LOW' } }, A.tokens.OPERATOR), 'Incident', () => bIncident],
    ['updateIncident(assigneeId)', (id) => app.gql(UpdateIncidentMutation, { input: { incidentId: aIncident, assigneeId: id() } }, A.tokens.OPERATOR), 'Principal', () => encodeGlobalID('Principal', B.principals.READER.id)],
    ['addComment(incidentId)', (id) => app.gql(AddCommentMutation, { input: { incidentId: id(), body: 'x' } }, A.tokens.OPERATOR), 'Incident', () => bIncident],
  ];

  it.each(cases)('%s', async (_label, run, type, foreignId) => {
    const foreign = await run(foreignId);
    const never = await run(() => missing(type));
    expect(foreign).toEqual(never);
    expect(JSON.stringify(foreign)).not.toContain(B.tenant.slug);
  });
});

describe('transport', () => {
  it('a body that is not JSON gets a 400 with a clear error', async () => {
    const res = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${A.tokens.READER}` },
      body: '{"query": ',
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { message: string }[] };
    expect(body.errors[0].message).toMatch(/JSON/i);
  });

  it('a request without a query gets a 400', async () => {
    const res = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${A.tokens.READER}` },
      body: JSON.stringify({ variables: {} }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0]).toMatchObject({ message: 'Must provide query string.', extensions: { code: 'BAD_REQUEST' } });
  });

  it('a mutation over GET is refused and writes nothing', async () => {
    const before = await footprint();
    const query = `mutation { addComment(input: { incidentId: "${aIncident}", body: "via GET" }) { errors { code } } }`;
    const res = await fetch(`${app.url}?query=${encodeURIComponent(query)}`, {
      headers: { accept: 'application/graphql-response+json', authorization: `Bearer ${A.tokens.OPERATOR}` },
    });
    expect(res.status).toBe(405);
    expect(await footprint()).toEqual(before);
  });
});
