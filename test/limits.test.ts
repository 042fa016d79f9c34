// Query limits (SPEC.md section 7, API.md "Top-level errors"): depth, aliases, tokens, cost and
// page size are refused with a clear, coded error before any database work.
import { randomUUID } from 'node:crypto';
import {
  getNamedType,
  isEnumType,
  isInterfaceType,
  isLeafType,
  isNonNullType,
  isObjectType,
  isScalarType,
  parse,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { DEFAULT_PAGE_SIZE } from '../src/domain/pagination';
import { operationCost } from '../src/graphql/limits';
import { schema } from '../src/graphql/schema';
import { startApp, type GqlResult, type TestApp } from './helpers/app';
import { encodeGlobalID, incidentInput, newTenant, type TenantFixture } from './helpers/factory';
import { subscribe, wsClient } from './helpers/ws';
import { IngestMutation, NestedQueueQuery } from './ops';

let app: TestApp;
let T: TenantFixture;
let incidentId: string;
let incidentNumber: number;

beforeAll(async () => {
  // The action executor works in the background (on a shared PostgreSQL database it also takes
  // other test files' queued actions): off here, so the statement counter only moves for the
  // requests under test.
  const defaults = loadConfig({ ...process.env, MDR_DEMO: '0' });
  app = await startApp({ execution: { ...defaults.execution, enabled: false } });
  T = await newTenant(app);
  const r = await app.gql(IngestMutation, { input: incidentInput() as never }, T.tokens.INTEGRATION);
  incidentId = r.data!.ingestIncident.incident!.id;
  incidentNumber = r.data!.ingestIncident.incident!.number;
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

// ---- the cost model: every field 1, times the page size of every connection or paginated list
// above it; page sizes from literals, variables and variable defaults alike.

/** Three levels of alerts under one incident, each page `first: $n` (the default of $n is `n`). */
const deepAlerts = (n: number | null, leaf = 'id') =>
  `query Deep($n: Int${n === null ? '' : ` = ${n}`}) { incident(number: NUMBER) { ` +
  `alerts(first: $n) { nodes { incident { alerts(first: $n) { nodes { incident { alerts(first: $n) { nodes { ${leaf} } } } } } } } } } }`;

describe('cost: variable defaults, fragments, aliases, abstract types', () => {
  it('counts a page size that comes from a variable default (100 × 100 × 100 alerts is refused)', async () => {
    const query = deepAlerts(100).replace('NUMBER', String(incidentNumber));
    const r = await expectRefused(query, 'QUERY_TOO_COMPLEX', /cost \d+ exceeds the limit of 50000/);
    expect(r.errors![0].extensions!.cost as number).toBeGreaterThan(1_000_000);
    // the same document with the value passed, and with a small default, as a control
    await expectRefused(deepAlerts(null).replace('NUMBER', String(incidentNumber)), 'QUERY_TOO_COMPLEX', /Query is too complex/, { n: 100 });
    const { r: small } = await send(deepAlerts(5).replace('NUMBER', String(incidentNumber)));
    expect(small.errors).toBeUndefined();
    expect(small.data).toMatchObject({ incident: { alerts: { nodes: [expect.anything()] } } });
    // a variable passed overrides its default, both ways
    expect((await send(deepAlerts(100).replace('NUMBER', String(incidentNumber)), { n: 3 })).r.errors).toBeUndefined();
  });

  it('counts defaults inside named and inline fragments and adds up aliases, with the exact cost', async () => {
    // one alias: 1 + 100 × (nodes 1 + alerts (1 + 100 × (nodes 1 + id 1 + title 1))) = 30,201
    const query = (aliases: number) => `query($n: Int = 100) {
      ${Array.from({ length: aliases }, (_, i) => `q${i}: incidents(first: $n) { ...Page }`).join(' ')}
    }
    fragment Page on IncidentConnection { nodes { ... on Incident { alerts(first: $n) { nodes { ...A } } } } }
    fragment A on Alert { id title }`;
    const { r } = await send(query(1));
    expect(r.errors).toBeUndefined();
    const two = await expectRefused(query(2), 'QUERY_TOO_COMPLEX', /cost 60402 exceeds the limit of 50000/);
    expect(two.errors![0].extensions).toMatchObject({ cost: 60_402, maxCost: 50_000 });
  });

  it('costs a field of an interface or union by the costliest type it may be', () => {
    const doc = parse(`query($n: Int = 50, $id: ID!) { node(id: $id) {
      ... on Incident { alerts(first: $n) { nodes { id title } } }
      ... on Alert { id title severity }
    } }`);
    // node 1 + max(Incident: alerts 1 + 50 × (nodes 1 + 2), Alert: 3) = 1 + 151
    expect(operationCost(schema, doc, null, { id: 'x' })).toBe(152);
    expect(operationCost(schema, doc, null, { id: 'x', n: 2 })).toBe(1 + 1 + 2 * 3);
  });

  it('refuses a document of fragments spread again and again without walking 2^30 fields', async () => {
    const n = 30;
    const fragments = Array.from({ length: n }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`);
    const query = `query { ...F0 } ${fragments.join(' ')} fragment F${n} on Query { viewer { role } }`;
    await expectRefused(query, 'QUERY_TOO_COMPLEX', /more than 20000 fields to cost/);
  }, 20_000);

  it('refuses a costly mutation before it writes anything', async () => {
    const count = async () => {
      const r = await app.gql<{ node: { comments: { totalCount: number } } }, unknown>(
        'query($id: ID!) { node(id: $id) { ... on Incident { comments { totalCount } } } }',
        { id: incidentId },
        T.tokens.READER,
      );
      return r.data!.node.comments.totalCount;
    };
    const before = await count();
    const mutation = `mutation($n: Int = 100, $input: AddCommentInput!) { addComment(input: $input) { incident {
      alerts(first: $n) { nodes { incident { alerts(first: $n) { nodes { incident { alerts(first: $n) { nodes { id } } } } } } } } } } }`;
    await expectRefused(mutation, 'QUERY_TOO_COMPLEX', /Query is too complex/, { input: { incidentId, body: 'costly' } }, T.tokens.OPERATOR);
    expect(await count()).toBe(before);
  });
});

/** Required arguments of a field as literals (`, number: 1`), or null when one cannot be written. */
function requiredArgs(f: GraphQLField<unknown, unknown>): string | null {
  const literal = (type: GraphQLNamedType): string | null =>
    isEnumType(type) ? type.getValues()[0].name : type.name === 'Int' ? '1' : type.name === 'Boolean' ? 'true' : isScalarType(type) ? '"x"' : null;
  let out = '';
  for (const a of f.args.filter((x) => isNonNullType(x.type) && x.defaultValue === undefined)) {
    const v = literal(getNamedType(a.type));
    if (v === null) return null;
    out += `, ${a.name}: ${v}`;
  }
  return out;
}

/**
 * Every field of the schema that returns a connection or takes first/last, found by walking the
 * schema (so a connection added later is covered without touching this test), with a way to reach
 * its type from the root: breadth-first from Query and from node(id:) for every Node type.
 */
function paginatedFields(): { coordinate: string; reach: (inner: string) => string; field: GraphQLField<unknown, unknown> }[] {
  const query = schema.getQueryType()!;
  const reach = new Map<string, (inner: string) => string>([[query.name, (inner) => `query { ${inner} }`]]);
  const queue: GraphQLObjectType[] = [query];
  for (const type of Object.values(schema.getTypeMap())) {
    if (isObjectType(type) && type.getInterfaces().some((i) => i.name === 'Node')) {
      reach.set(type.name, (inner) => `query { node(id: "x") { ... on ${type.name} { ${inner} } } }`);
      queue.push(type);
    }
  }
  while (queue.length) {
    const type = queue.shift()!;
    const outer = reach.get(type.name)!;
    for (const f of Object.values(type.getFields())) {
      const named = getNamedType(f.type);
      const args = requiredArgs(f);
      if (args === null || !isObjectType(named) || reach.has(named.name)) continue;
      const call = args ? `${f.name}(${args.slice(2)})` : f.name;
      reach.set(named.name, (inner) => outer(`${call} { ${inner} }`));
      queue.push(named);
    }
  }
  const out: ReturnType<typeof paginatedFields> = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!(isObjectType(type) || isInterfaceType(type)) || type.name.startsWith('__')) continue;
    for (const f of Object.values(type.getFields())) {
      const paginated = getNamedType(f.type).name.endsWith('Connection') || f.args.some((a) => a.name === 'first' || a.name === 'last');
      if (!paginated) continue;
      const outer = reach.get(type.name);
      expect(outer, `${type.name}.${f.name} is reachable from the root`).toBeDefined();
      out.push({ coordinate: `${type.name}.${f.name}`, reach: outer!, field: f });
    }
  }
  return out;
}

describe('cost of every connection in the schema', () => {
  const fields = paginatedFields();

  it('finds the connections (the list walks the schema)', () => {
    expect(fields.map((f) => f.coordinate)).toEqual(
      expect.arrayContaining(['Query.incidents', 'Query.responseActions', 'Incident.alerts', 'Incident.comments', 'Incident.activity']),
    );
    expect(fields.length).toBeGreaterThanOrEqual(6);
  });

  it.each(fields.map((f) => [f.coordinate, f] as const))('%s multiplies its selection by its page size', (_c, { field, reach }) => {
    // the selection under the list: its first argument-free leaf field
    const named = getNamedType(field.type) as GraphQLObjectType;
    const leaf = Object.values(named.getFields()).find((f) => isLeafType(getNamedType(f.type)) && f.args.length === 0)!;
    const required = requiredArgs(field) ?? '';
    const at = (args: string, vars = '') => {
      const text = reach(`${field.name}(${args}${required}) { ${leaf.name} }`);
      return parse(vars ? text.replace(/^query /, `query(${vars}) `) : text);
    };
    const cost = (args: string, variables: Record<string, unknown> = {}, vars = '') => operationCost(schema, at(args, vars), null, variables);
    const base = cost('first: 0');
    const child = cost('first: 1') - base;
    expect(child).toBeGreaterThan(0);
    expect(cost('first: 100') - base).toBe(100 * child);
    expect(cost('last: 37') - base).toBe(37 * child);
    expect(cost('first: $n', { n: 100 }, '$n: Int')).toBe(cost('first: 100'));
    expect(cost('first: $n', {}, '$n: Int = 100')).toBe(cost('first: 100'));
    expect(cost('last: $n', {}, '$n: Int = 64')).toBe(cost('last: 64'));
    // no page size: the default page size
    expect(cost('first: null') - base).toBe(DEFAULT_PAGE_SIZE * child);
    expect(cost('first: $n', {}, '$n: Int') - base).toBe(DEFAULT_PAGE_SIZE * child);
  });
});

// ---- every transport: the same limit over graphql-ws and SSE, for queries and subscriptions

const deepSubscription = `subscription($n: Int = 100) { incidentChanged { incident {
  alerts(first: $n) { nodes { incident { alerts(first: $n) { nodes { incident { alerts(first: $n) { nodes { id } } } } } } } } } } }`;

/** The `next` payloads of an SSE response (GraphQL over SSE, "distinct connections" mode). */
async function sse(res: Response, timeoutMs = 5_000): Promise<{ errors?: { message: string; extensions?: Record<string, unknown> }[] }[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  const end = Date.now() + timeoutMs;
  while (!/event: complete/.test(text) && Date.now() < end) {
    const chunk = await Promise.race([reader.read(), new Promise<null>((r) => setTimeout(() => r(null), end - Date.now()))]);
    if (!chunk || chunk.done) break;
    text += decoder.decode(chunk.value, { stream: true });
  }
  await reader.cancel().catch(() => {});
  return text
    .split('\n\n')
    .filter((block) => block.includes('event: next'))
    .map((block) => JSON.parse(block.split('\n').find((l) => l.startsWith('data: '))!.slice(6)));
}

describe('cost on every transport', () => {
  it('graphql-ws: a query and a subscription over the limit get QUERY_TOO_COMPLEX', async () => {
    const client = wsClient(app.url, T.tokens.READER);
    try {
      const query = subscribe(client, deepAlerts(100).replace('NUMBER', String(incidentNumber)));
      const sub = subscribe(client, deepSubscription);
      const ok = subscribe(client, deepAlerts(2).replace('NUMBER', String(incidentNumber)));
      await ok.waitFor(1);
      for (const c of [query, sub]) {
        const end = Date.now() + 5_000;
        while (!c.errors.length && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
        expect(c.events).toEqual([]);
        const [errors] = c.errors as { message: string; extensions: { code: string } }[][];
        expect(errors[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
        expect(errors[0].message).toMatch(/cost \d+ exceeds the limit of 50000/);
      }
    } finally {
      await client.dispose();
    }
  });

  it('SSE (POST and GET): a query and a subscription over the limit get QUERY_TOO_COMPLEX', async () => {
    const headers = { accept: 'text/event-stream', authorization: `Bearer ${T.tokens.READER}` };
    const query = deepAlerts(100).replace('NUMBER', String(incidentNumber));
    const responses = [
      await fetch(app.url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ query }) }),
      await fetch(app.url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ query: deepSubscription }) }),
      await fetch(`${app.url}?query=${encodeURIComponent(query)}`, { headers }),
      await fetch(`${app.url}?query=${encodeURIComponent(deepSubscription)}`, { headers }),
    ];
    for (const res of responses) {
      expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
      const [first] = await sse(res);
      expect(first.errors?.[0].extensions?.code).toBe('QUERY_TOO_COMPLEX');
      expect(first.errors?.[0].message).toMatch(/cost \d+ exceeds the limit of 50000/);
    }
  });
});
