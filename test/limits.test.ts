// Query limits (SPEC.md section 7, API.md "Top-level errors"): depth, aliases, tokens, cost and
// page size are refused with a clear, coded error before any database work.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { startApp, type GqlResult, type TestApp } from './helpers/app';
import { encodeGlobalID, incidentInput, newTenant, type TenantFixture } from './helpers/factory';
import { IngestMutation, NestedQueueQuery } from './ops';

let app: TestApp;
let T: TenantFixture;
let incidentId: string;

beforeAll(async () => {
  // The action executor works in the background (on a shared PostgreSQL database it also takes
  // other test files' queued actions): off here, so the statement counter only moves for the
  // requests under test.
  const defaults = loadConfig({ ...process.env, MDR_DEMO: '0' });
  app = await startApp({ execution: { ...defaults.execution, enabled: false } });
  T = await newTenant(app);
  const r = await app.gql(IngestMutation, { input: incidentInput() as never }, T.tokens.INTEGRATION);
  incidentId = r.data!.ingestIncident.incident!.id;
});
afterAll(async () => {
  await app?.close();
});

/**
 * Send `query` and return what came back and how many SQL statements it cost. The token cache is
 * warmed first (authentication itself does a lookup), so the count is the operation's own work.
 */
async function send(query: string, variables: Record<string, unknown> = {}, token: string | null = T.tokens.READER) {
  if (token) await app.gql('{ __typename viewer { role } }', {}, token);
  const before = app.database.stats.statements;
  const r = (await app.gql(query, variables as never, token)) as GqlResult<unknown>;
  return { r, statements: app.database.stats.statements - before };
}

async function expectRefused(query: string, code: string, message: RegExp, variables: Record<string, unknown> = {}, token?: string | null) {
  const { r, statements } = await send(query, variables, token === undefined ? T.tokens.READER : token);
  expect(r.data ?? null).toBeNull();
  expect(r.errors).toHaveLength(1);
  expect(r.errors![0].extensions?.code).toBe(code);
  expect(r.errors![0].message).toMatch(message);
  expect(statements).toBe(0);
  return r;
}

/** A query `depth` fields deep: incidents > nodes > alerts > nodes > incident > alerts > ... > __typename */
const nest = (depth: number) => {
  const cycle = ['alerts(first: 1)', 'nodes', 'incident'];
  const levels = ['incidents(first: 1)', 'nodes', ...Array.from({ length: depth - 3 }, (_, i) => cycle[i % 3])];
  return `{ ${levels.map((l) => `${l} { `).join('')}__typename${' }'.repeat(levels.length)} }`;
};

describe('depth', () => {
  it('accepts a query at the limit and refuses one deeper', async () => {
    const { r } = await send(nest(12));
    expect(r.errors).toBeUndefined();
    await expectRefused(nest(13), 'QUERY_TOO_COMPLEX', /depth limit of 12 exceeded, found 13/);
  });

  it('counts depth through fragments', async () => {
    const query = `
      query { incidents(first: 1) { ...I } }
      fragment I on IncidentConnection { nodes { alerts(first: 1) { ...A } } }
      fragment A on AlertConnection { nodes { incident { alerts(first: 1) { nodes { incident { alerts(first: 1) { nodes { incident { alerts(first: 1) { nodes { id } } } } } } } } } } }`;
    await expectRefused(query, 'QUERY_TOO_COMPLEX', /depth limit/);
  });

  it('is refused even without a token, before authentication', async () => {
    await expectRefused(nest(20), 'QUERY_TOO_COMPLEX', /depth limit/, {}, null);
  });
});

describe('aliases', () => {
  const aliased = (n: number, field = 'viewer { role }') => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;

  it('accepts 30 aliases and refuses 31', async () => {
    const { r } = await send(aliased(30));
    expect(r.errors).toBeUndefined();
    await expectRefused(aliased(31), 'QUERY_TOO_COMPLEX', /Aliases limit of 30 exceeded, found 31/);
  });

  it('refuses 31 aliased mutations before writing anything', async () => {
    const mutation = `mutation { ${Array.from({ length: 31 }, (_, i) => `c${i}: addComment(input: { incidentId: "${incidentId}", body: "spam ${i}" }) { errors { code } }`).join(' ')} }`;
    await expectRefused(mutation, 'QUERY_TOO_COMPLEX', /Aliases limit/, {}, T.tokens.OPERATOR);
  });
});

describe('tokens', () => {
  it('refuses a document over 5,000 tokens before parsing it all', async () => {
    const query = `{ ${Array.from({ length: 1_300 }, () => 'viewer { role }').join(' ')} }`;
    await expectRefused(query, 'QUERY_TOO_COMPLEX', /Token limit of 5000 exceeded/);
  });
});

describe('cost', () => {
  const fat = `{ incidents(first: 100) { nodes { id alerts(first: 100) { nodes { id title evidence { kind value } } } } } }`;

  it('refuses 100 incidents × 100 alerts each, saying what it cost', async () => {
    const r = await expectRefused(fat, 'QUERY_TOO_COMPLEX', /cost \d+ exceeds the limit of 50000/);
    expect(r.errors![0].extensions).toMatchObject({ maxCost: 50_000, cost: expect.any(Number) });
    expect(r.errors![0].extensions!.cost as number).toBeGreaterThan(50_000);
  });

  it('counts page sizes passed as variables', async () => {
    const query = `query($a: Int, $b: Int) { incidents(first: $a) { nodes { alerts(first: $b) { nodes { id title evidence { kind value } } } } } }`;
    await expectRefused(query, 'QUERY_TOO_COMPLEX', /Query is too complex/, { a: 100, b: 100 });
    const { r } = await send(query, { a: 10, b: 10 });
    expect(r.errors).toBeUndefined();
    // the cost is remembered per document and variables, never per document alone
    await expectRefused(query, 'QUERY_TOO_COMPLEX', /Query is too complex/, { a: 100, b: 100 });
    expect((await send(query, { a: 10, b: 10 })).r.errors).toBeUndefined();
  });

  it('counts lists hidden in fragments and inline fragments', async () => {
    const query = `
      query { incidents(first: 100) { ...Page } }
      fragment Page on IncidentConnection { nodes { ... on Incident { alerts(first: 100) { nodes { ...A } } } } }
      fragment A on Alert { id title evidence { kind value } }`;
    await expectRefused(query, 'QUERY_TOO_COMPLEX', /Query is too complex/);
  });

  it('counts connections without a page size at the default page size', async () => {
    // 100 incidents × 20 alerts (default) × 3 fields is within the limit; × 100 alerts is not
    const { r } = await send(`{ incidents(first: 100) { nodes { alerts { nodes { id title severity } } } } }`);
    expect(r.errors).toBeUndefined();
  });

  it('counts nodes(ids:) by the number of ids, and takes at most 100', async () => {
    const ids = Array.from({ length: 100 }, () => encodeGlobalID('Incident', randomUUID()));
    const query = `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Incident { alerts(first: 100) { nodes { id title evidence { kind value } } } } } }`;
    await expectRefused(query, 'QUERY_TOO_COMPLEX', /Query is too complex/, { ids });
    const many = Array.from({ length: 101 }, () => encodeGlobalID('Incident', randomUUID()));
    await expectRefused(`query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, 'BAD_USER_INPUT', /"ids" on nodes takes at most 100 ids, got 101/, { ids: many });
    const literal = `{ nodes(ids: [${many.map((id) => `"${id}"`).join(', ')}]) { id } }`;
    await expectRefused(literal, 'BAD_USER_INPUT', /at most 100 ids/);
  });

  it('a dashboard-sized query passes and does not pay per row (no N+1)', async () => {
    await app.gql(NestedQueueQuery, { first: 50 }, T.tokens.READER);
    const { r, statements } = await send(
      `query($first: Int) { incidents(first: $first) { totalCount nodes { id devices { id } alerts(first: 10) { nodes { id evidence { kind device { id } } } } } } }`,
      { first: 50 },
    );
    expect(r.errors).toBeUndefined();
    expect(statements).toBeGreaterThan(0);
    expect(statements).toBeLessThanOrEqual(8);
  });
});

describe('page size', () => {
  it.each([
    ['first: 101 on the queue', '{ incidents(first: 101) { totalCount } }', /"first" on incidents must be between 0 and 100, got 101/],
    ['last: -1 on the queue', '{ incidents(last: -1) { totalCount } }', /"last" on incidents must be between 0 and 100, got -1/],
    ['first: 1000 on nested alerts', '{ incidents(first: 1) { nodes { alerts(first: 1000) { totalCount } } } }', /"first" on alerts must be between 0 and 100/],
    ['first: -5 on comments', `{ node(id: "${encodeGlobalID('Incident', randomUUID())}") { ... on Incident { comments(first: -5) { totalCount } } } }`, /"first" on comments/],
  ])('refuses %s', async (_label, query, message) => {
    await expectRefused(query, 'BAD_USER_INPUT', message);
  });

  it('refuses a page size variable out of range', async () => {
    await expectRefused('query($n: Int) { incidents(first: $n) { totalCount } }', 'BAD_USER_INPUT', /between 0 and 100, got 5000/, { n: 5000 });
  });

  it('refuses a page size that is not a 32-bit integer as a validation error', async () => {
    const { r, statements } = await send('{ incidents(first: 99999999999) { totalCount } }');
    expect(r.status).toBe(400);
    expect(r.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(statements).toBe(0);
  });
});

describe('introspection', () => {
  it('a full introspection query is within the limits', async () => {
    const { getIntrospectionQuery } = await import('graphql');
    const r = await app.gql(getIntrospectionQuery(), {}, null);
    expect(r.errors).toBeUndefined();
    expect((r.data as { __schema: { types: unknown[] } }).__schema.types.length).toBeGreaterThan(20);
  });
});
