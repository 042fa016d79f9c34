// Bad input (SPEC.md section 7): wrong enums, malformed ids, oversized strings, invalid dates and
// page sizes each get a clear, coded error, nothing is written, and no error tells a foreign id
// from one that never existed.
import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activity, comments, incidents, tenants } from '../src/db/schema';
import { startApp, type GqlResult, type TestApp } from './helpers/app';
import { encodeGlobalID, incidentInput, newTenant, type TenantFixture } from './helpers/factory';
import { subscribe, wsClient } from './helpers/ws';
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
    for (const type of ['NoSuchType', 'Severity', 'Node', 'Count', 'Viewer']) {
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

// ---- hostile text: NUL characters, impossible dates (tampered cursors: pagination.test.ts)

describe('NUL characters in any string argument', () => {
  const NUL = '\u0000';
  type Case = [string, () => Promise<GqlResult<unknown>>, string[], RegExp];
  const cases: Case[] = [
    ['a comment body (variable)', () => app.gql(AddCommentMutation, { input: { incidentId: aIncident, body: `a${NUL}b` } }, A.tokens.OPERATOR), ['input', 'body'], /input\.body of addComment/],
    [
      'a comment body (literal in the query text)',
      () => app.gql(`mutation { addComment(input: { incidentId: "${aIncident}", body: "a\\u0000b" }) { errors { code } } }`, {}, A.tokens.OPERATOR),
      ['input', 'body'],
      /input\.body/,
    ],
    ['a tag', () => app.gql(UpdateIncidentMutation, { input: { incidentId: aIncident, tags: ['fine', `x${NUL}`] } }, A.tokens.OPERATOR), ['input', 'tags', '1'], /input\.tags\[1\] of updateIncident/],
    ['an incident id', () => app.gql(UpdateIncidentMutation, { input: { incidentId: `${aIncident}${NUL}`, severity: 'LOW' } }, A.tokens.OPERATOR), ['input', 'incidentId'], /input\.incidentId/],
    ['the queue search (variable)', () => app.gql(QueueQuery, { filter: { search: `ws${NUL}` } }, A.tokens.READER), ['filter', 'search'], /filter\.search of incidents/],
    ['the queue search (literal)', () => app.gql('{ incidents(filter: { search: "\\u0000" }) { totalCount } }', {}, A.tokens.READER), ['filter', 'search'], /filter\.search/],
    ['a queue tag filter', () => app.gql(QueueQuery, { filter: { tags: [`t${NUL}`] } }, A.tokens.READER), ['filter', 'tags', '0'], /filter\.tags\[0\]/],
    ['a cursor', () => app.gql(QueueQuery, { first: 1, after: `abc${NUL}` }, A.tokens.READER), ['after'], /after of incidents/],
    [
      'an alert title deep in an ingest',
      () => app.gql(IngestMutation, { input: incidentInput({ alerts: [{ ...incidentInput().alerts[0], title: `t${NUL}` }] }) as never }, A.tokens.INTEGRATION),
      ['input', 'alerts', '0', 'title'],
      /input\.alerts\[0\]\.title of ingestIncident/,
    ],
    [
      'an evidence file name deep in an ingest',
      () => {
        const input = incidentInput();
        input.alerts[0].evidence[1] = { file: { deviceName: 'WS-1', fileName: `evil${NUL}.ps1` } };
        return app.gql(IngestMutation, { input: input as never }, A.tokens.INTEGRATION);
      },
      ['input', 'alerts', '0', 'evidence', '1', 'file', 'fileName'],
      /input\.alerts\[0\]\.evidence\[1\]\.file\.fileName/,
    ],
    ['an incident external id', () => app.gql(IngestMutation, { input: incidentInput({ externalId: `e${NUL}` }) as never }, A.tokens.INTEGRATION), ['input', 'externalId'], /input\.externalId/],
    [
      'a remediation exclusion',
      () => app.gql('mutation($input: SetRemediationExclusionsInput!) { setRemediationExclusions(input: $input) { errors { code } } }', { input: { deviceGroups: ['Servers', `DC${NUL}`] } }, A.tokens.ADMIN),
      ['input', 'deviceGroups', '1'],
      /input\.deviceGroups\[1\]/,
    ],
    ['a global id of node(id:)', () => app.gql(NodeQuery, { id: `${aIncident}${NUL}` }, A.tokens.READER), ['id'], /id of node/],
  ];

  it.each(cases)('in %s: BAD_USER_INPUT naming the field, nothing written', async (_label, run, field, message) => {
    const before = await footprint();
    const exclusions = async () => (await app.database.db.select({ e: tenants.remediationExclusions }).from(tenants).where(eq(tenants.id, A.tenant.id)))[0].e;
    const excludedBefore = await exclusions();
    const r = await run();
    expect(r.data ?? null).toBeNull();
    expect(r.errors).toHaveLength(1);
    expect(r.errors![0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field } });
    expect(r.errors![0].message).toMatch(message);
    expect(r.errors![0].message).toMatch(/NUL/);
    expect(await footprint()).toEqual(before);
    expect(await exclusions()).toEqual(excludedBefore);
  });

  it('in a subscription argument over graphql-ws: BAD_USER_INPUT before it starts', async () => {
    const client = wsClient(app.url, A.tokens.READER);
    try {
      const sub = subscribe(client, 'subscription($f: IncidentFilter) { incidentChanged(filter: $f) { eventId } }', { f: { search: `x${NUL}` } });
      const end = Date.now() + 5_000;
      while (!sub.errors.length && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      const [errors] = sub.errors as { message: string; extensions: Record<string, unknown> }[][];
      expect(errors[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: ['filter', 'search'] } });
    } finally {
      await client.dispose();
    }
  });

  it('other unicode is text like any other: stored and read back', async () => {
    const body = 'emoji 🛡️, RTL \u202e, zero-width \u200b, lone surrogate \ud800 end';
    const r = await app.gql(AddCommentMutation, { input: { incidentId: aIncident, body } }, A.tokens.OPERATOR);
    expect(r.errors).toBeUndefined();
    expect(r.data!.addComment.errors).toEqual([]);
    const stored = r.data!.addComment.incident!.comments.nodes.map((c) => c.body);
    expect(stored.some((b) => b.startsWith('emoji 🛡️, RTL \u202e, zero-width \u200b, lone surrogate'))).toBe(true);
  });
});

describe('impossible and out-of-range dates', () => {
  it.each([
    ['2026-02-30T00:00:00Z', /not a valid date/],
    ['2025-02-29T12:00:00Z', /not a valid date/],
    ['2026-04-31T00:00:00Z', /not a valid date/],
    ['2026-01-01T24:00:00Z', /not a valid date/],
    ['2026-01-01T23:60:00Z', /not a valid date/],
    ['2026-01-01T23:59:60Z', /not a valid date/],
    ['2026-01-01T00:00:00+24:00', /not a valid date/],
    ['0000-01-01T00:00:00Z', /from 1970-01-01T00:00:00Z to 9999-12-31T23:59:59Z/],
    ['1969-12-31T23:59:59Z', /from 1970/],
    ['1970-01-01T00:30:00+01:00', /from 1970/],
    ['+275760-09-13T00:00:00Z', /ISO-8601/],
    ['2026-01-01T00:00:00.1234567890Z', /ISO-8601/],
  ])('%s is BAD_USER_INPUT naming the field', async (value, message) => {
    const r = await app.gql(QueueQuery, { filter: { createdAfter: value } }, A.tokens.READER);
    expect(r.data ?? null).toBeNull();
    expectTopLevel(r, 'BAD_USER_INPUT', message);
    expect(r.errors![0].message).toMatch(/createdAfter/);
    const literal = await app.gql(`{ incidents(filter: { createdAfter: ${JSON.stringify(value)} }) { totalCount } }`, {}, A.tokens.READER);
    expect(literal.data ?? null).toBeNull();
    expect(literal.errors?.[0].extensions?.code).toMatch(/BAD_USER_INPUT|GRAPHQL_VALIDATION_FAILED/);
    expect(literal.errors?.[0].message).toMatch(message);
  });

  it.each([
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['2026-01-31T12:00:00.5+02:00', '2026-01-31T10:00:00.500Z'],
    ['2026-01-31T23:30-01:00', '2026-02-01T00:30:00.000Z'],
    ['1970-01-01T00:00:00Z', '1970-01-01T00:00:00.000Z'],
  ])('%s is a real instant (%s)', async (value, utc) => {
    const before = await footprint();
    const input = incidentInput({ firstActivityAt: value });
    const r = await app.gql<{ ingestIncident: { incident: { firstActivityAt: string }; errors: unknown[] } }, unknown>(
      'mutation($input: IngestIncidentInput!) { ingestIncident(input: $input) { incident { firstActivityAt } errors { code } } }',
      { input },
      A.tokens.INTEGRATION,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.ingestIncident.incident.firstActivityAt).toBe(utc);
    expect((await footprint()).incidents).toBe(before.incidents + 1);
    // and a filter at the far end of the range works
    const q = await app.gql(QueueQuery, { filter: { createdBefore: '9999-12-31T23:59:59.999Z' } }, A.tokens.READER);
    expect(q.errors).toBeUndefined();
  });

  it('an impossible date in an ingest is refused, not stored as another day', async () => {
    const before = await footprint();
    const r = await app.gql(IngestMutation, { input: incidentInput({ firstActivityAt: '2026-02-30T10:00:00Z' }) as never }, A.tokens.INTEGRATION);
    expectTopLevel(r, 'BAD_USER_INPUT', /not a valid date/);
    expect(r.errors![0].message).toMatch(/firstActivityAt/);
    expect(await footprint()).toEqual(before);
  });
});

// ---- internals never reach a client unless the debug switch is on

describe('unexpected errors', () => {
  const secret = { sql: 'select secret_column from secret_table where id = $1', param: 's3cr3t-param-value' };

  /** An app on the same database whose raw queries fail like a PostgreSQL error would. */
  async function failingApp(opts: { debugErrors: boolean; nodeEnv?: string; production?: boolean }) {
    const previous = process.env.NODE_ENV;
    if (opts.nodeEnv) process.env.NODE_ENV = opts.nodeEnv;
    let failing = false;
    const database = Object.create(app.database, {
      query: {
        value: async (text: string, params?: unknown[]) => {
          if (failing) {
            throw Object.assign(new Error(`relation "secret_table" does not exist: ${secret.sql}`), {
              query: secret.sql,
              parameters: [secret.param],
              code: '42P01',
            });
          }
          return app.database.query(text as never, params as never);
        },
      },
    }) as TestApp['database'];
    try {
      const other = await startApp(
        { security: { ...app.config.security, debugErrors: opts.debugErrors }, production: opts.production ?? false },
        { database },
      );
      failing = true;
      return other;
    } finally {
      process.env.NODE_ENV = previous;
    }
  }

  it.each([
    ['test mode', 'test'],
    ['development mode', 'development'],
  ])('in %s without DEBUG_ERRORS: "Unexpected error." and nothing else, on HTTP and graphql-ws', async (_label, nodeEnv) => {
    const other = await failingApp({ debugErrors: false, nodeEnv });
    try {
      const r = await other.gql(QueueQuery, { first: 5 }, A.tokens.READER);
      expect(r.errors).toEqual([{ message: 'Unexpected error.', path: ['incidents'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
      const client = wsClient(other.url, A.tokens.READER);
      try {
        const c = subscribe(client, '{ incidents(first: 5) { totalCount } }');
        const end = Date.now() + 5_000;
        while (!c.errors.length && Date.now() < end) await new Promise((res) => setTimeout(res, 20));
        const text = JSON.stringify(c.errors);
        expect(text).toContain('Unexpected error.');
        for (const leak of ['secret', 's3cr3t', 'stack', 'originalError', 'at ']) expect(text).not.toContain(leak);
      } finally {
        await client.dispose();
      }
      const text = JSON.stringify(r);
      for (const leak of ['secret', 's3cr3t', 'stack', 'originalError']) expect(text).not.toContain(leak);
    } finally {
      await other.close();
    }
  });

  it('with DEBUG_ERRORS outside production the details are shown; in production never', async () => {
    const debug = await failingApp({ debugErrors: true });
    try {
      const r = await debug.gql(QueueQuery, { first: 5 }, A.tokens.READER);
      expect(r.errors?.[0].message).toBe('Unexpected error.');
      expect(JSON.stringify(r.errors?.[0].extensions)).toContain('secret_table');
    } finally {
      await debug.close();
    }
    const production = await failingApp({ debugErrors: true, production: true });
    try {
      const r = await production.gql(QueueQuery, { first: 5 }, A.tokens.READER);
      expect(r.errors).toEqual([{ message: 'Unexpected error.', path: ['incidents'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
    } finally {
      await production.close();
    }
  });
});
