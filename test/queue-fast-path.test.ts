// The queue's fast path (src/graphql/queue-fast-path.ts): the queries it takes must get exactly
// the bytes the normal path sends (same status, content type and body), the ones it must not
// take go the normal way, and tenants never see each other's incidents through it.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { queueFastPath } from '../src/graphql/queue-fast-path';
import { startApp, type TestApp } from './helpers/app';
import { expertServing, incidentInput, newTenant, type TenantFixture } from './helpers/factory';
import { IngestMutation } from './ops';

let app: TestApp;
let a: TenantFixture;
let b: TenantFixture;
let expertAB: string;

// text the JSON writers must agree on: quotes, backslashes, control characters, non-ASCII
const NASTY = 'Quote " back\\slash \b\f\n\r\t \u0001\u001f \u007f é 漢字 😀 \u2028\u2029 </script> \'single\'';

beforeAll(async () => {
  app = await startApp({ execution: { ...loadConfig({ ...process.env, MDR_DEMO: '0' }).execution, enabled: false } });
  a = await newTenant(app);
  b = await newTenant(app);
  for (const [t, n] of [
    [a, 7],
    [b, 5],
  ] as const) {
    for (let i = 0; i < n; i++) {
      const input = incidentInput({
        title: i === 0 ? `${NASTY} ${t === a ? 'A' : 'B'}` : `Incident ${i} of ${t === a ? 'A' : 'B'}`,
        description: i % 2 ? null : `${NASTY} description`,
        severity: (['LOW', 'MEDIUM', 'HIGH', 'INFORMATIONAL'] as const)[i % 4],
        firstActivityAt: i % 3 ? new Date(Date.UTC(2026, 0, 1 + i, 12, 0, 0, 7 * i)).toISOString() : undefined,
      });
      // more alerts than a page of 3, in two batches of creation times
      const base = input.alerts[0];
      input.alerts = Array.from({ length: 1 + (i % 5) }, (_, k) => ({
        ...base,
        externalId: `${input.externalId}-a${k}`,
        title: k === 1 ? NASTY : `Alert ${k}`,
        category: k % 2 ? null : base.category,
        createdAt: new Date(Date.UTC(2026, 1, 1, 0, 0, k % 2, 0)).toISOString(),
        evidence: k === 0 ? base.evidence : [{ device: { deviceName: `SRV-${t === a ? 'A' : 'B'}-${k}` } }],
      }));
      const r = await app.gql(IngestMutation, { input }, t.tokens.INTEGRATION);
      expect(r.data?.ingestIncident.errors).toEqual([]);
    }
  }
  expertAB = (await expertServing(app, [a.tenant, b.tenant])).token;
});
afterAll(async () => {
  queueFastPath.enabled = true;
  await app?.close();
});

interface Raw {
  status: number;
  type: string | null;
  text: string;
}
async function raw(query: string, variables: Record<string, unknown> | undefined, token: string | null): Promise<Raw> {
  const res = await fetch(app.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

/** The query through the fast path and through the normal one: the same bytes; whether the fast path took it. */
async function both(query: string, variables?: Record<string, unknown>, token: string | null = a.tokens.READER) {
  queueFastPath.enabled = true;
  const before = queueFastPath.served;
  const fast = await raw(query, variables, token);
  const taken = queueFastPath.served > before;
  queueFastPath.enabled = false;
  try {
    const normal = await raw(query, variables, token);
    expect(fast).toEqual(normal);
  } finally {
    queueFastPath.enabled = true;
  }
  return { taken, body: JSON.parse(fast.text) as { data?: any; errors?: any[] } };
}

const BENCH =
  'query Q { incidents(first: 50) { nodes { id number title severity status updatedAt alerts(first: 3) { nodes { id title severity } } devices { id name healthStatus } } } }';
const EVERY = `query Every($first: Int, $after: String, $filter: IncidentFilter, $orderBy: IncidentOrder, $alerts: Int) {
  q: incidents(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    __typename
    list: nodes {
      __typename id number externalId title description severity status classification determination assignment
      priorityScore resolvingComment version createdAt updatedAt firstActivityAt lastActivityAt
      devs: devices { __typename id name deviceGroup osPlatform healthStatus isolated appExecutionRestricted lastSeenAt }
      alerts(first: $alerts) { __typename nodes { __typename id externalId title severity category detectionSource createdAt } }
      theNumber: number
    }
  }
}`;

describe('queue fast path', () => {
  it('answers the benchmark query with the bytes the normal path sends', async () => {
    const r = await both(BENCH);
    expect(r.taken).toBe(true);
    expect(r.body.data.incidents.nodes).toHaveLength(7);
    expect(r.body.data.incidents.nodes.some((n: { title: string }) => n.title.startsWith(NASTY))).toBe(true);
  });

  it('takes selections without nested lists, or with only one of them, in one statement', async () => {
    for (const query of [
      '{ incidents(first: 50) { nodes { id title } } }',
      '{ incidents { nodes { number devices { name } } } }',
      '{ incidents(first: 2) { nodes { alerts { nodes { title } } } } }',
      '{ incidents(first: 2) { nodes { __typename } __typename } }',
    ]) {
      const before = app.database.stats.statements;
      const r = await both(query);
      expect(r.taken, query).toBe(true);
      // the fast path's one statement, then the normal path's own
      expect(app.database.stats.statements - before, query).toBeLessThanOrEqual(3);
    }
  });

  it('every field it takes, aliases, __typename, variables, filters, orders, cursors, page sizes', async () => {
    const cases: Record<string, unknown>[] = [
      {},
      { first: 3, alerts: 2 },
      { first: 0, alerts: 0 },
      { alerts: 100 },
      { filter: { severity: ['LOW', 'HIGH'] } },
      { filter: { search: 'quote' } },
      { filter: { status: ['ACTIVE'], tags: ['x'] } },
      { orderBy: { field: 'CREATED', direction: 'ASC' } },
      { orderBy: { field: 'SEVERITY', direction: 'DESC' }, first: 4 },
      { orderBy: { field: 'PRIORITY', direction: 'ASC' } },
    ];
    for (const variables of cases) {
      const r = await both(EVERY, variables);
      expect(r.taken, JSON.stringify(variables)).toBe(true);
      expect(r.body.errors).toBeUndefined();
    }
    // a cursor from the normal path
    const page = await app.gql<any, any>('query { incidents(first: 2) { pageInfo { endCursor } } }', {}, a.tokens.READER);
    const r = await both(EVERY, { first: 3, after: page.data.incidents.pageInfo.endCursor });
    expect(r.taken).toBe(true);
    expect(r.body.data.q.list).toHaveLength(3);
  });

  it('experts: every served tenant, or the ones the filter names', async () => {
    const all = await both(BENCH, undefined, expertAB);
    expect(all.taken).toBe(true);
    expect(all.body.data.incidents.nodes).toHaveLength(12);
    const one = await both(EVERY, { filter: { tenantIds: [b.tenantGid] } }, expertAB);
    expect(one.taken).toBe(true);
    expect(one.body.data.q.list).toHaveLength(5);
    for (const role of ['OPERATOR', 'ADMIN', 'INTEGRATION', 'EXPERT'] as const) {
      const r = await both(BENCH, undefined, a.tokens[role]);
      expect(r.taken).toBe(true);
    }
  });

  it('leaves everything else to the normal path, errors included', async () => {
    const others: [string, Record<string, unknown>?, (string | null)?][] = [
      ['query { incidents(first: 5) { nodes { id viewerCanUpdate } } }'],
      ['query { incidents(first: 5) { nodes { id tenant { name } } } }'],
      ['query { incidents(first: 5) { nodes { id tags systemTags } } }'],
      ['query { incidents(first: 5) { totalCount nodes { id } } }'],
      ['query { incidents(first: 5) { nodes { id } pageInfo { hasNextPage } } }'],
      ['query { incidents(first: 5) { edges { node { id } } } }'],
      ['query { incidents(first: 5) { nodes { ...F } } } fragment F on Incident { id title }'],
      ['query { incidents(first: 5) { nodes { ... on Incident { id } } } }'],
      ['query($x: Boolean!) { incidents(first: 5) { nodes { id title @include(if: $x) } } }', { x: true }],
      ['query { incidents(first: 5) { nodes { id x: id } x: nodes { id } } }'],
      ['query { incidents(first: 5) { nodes { id } } viewer { role } }'],
      ['query { incidents(last: 2) { nodes { id } } }'],
      ['query { incidents(first: 5) { nodes { id alerts(last: 1) { nodes { id } } } } }'],
      ['query { incidents(first: 5) { nodes { id alerts(first: 1) { totalCount nodes { id } } } } }'],
      ['query { incidents(first: 5) { nodes { id alerts(first: 1) { nodes { id incident { id } } } } } }'],
      ['query { incidents(first: 5) { nodes { id devices { id files { id } } } } }'],
      ['query { incidents(viewId: "U2F2ZWRWaWV3OjAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMA==") { nodes { id } } }'],
      // errors: the normal path says why
      ['query { incidents(first: 101) { nodes { id } } }'],
      ['query { incidents(first: 5, after: "nope") { nodes { id } } }'],
      ['query($f: Int) { incidents(first: $f) { nodes { id } } }', { f: 'five' }],
      ['query { incidents(first: 5, filter: { tenantIds: ["x"] }) { nodes { id } } }'],
      ['query { incidents(first: 5) { nodes { id } } }', undefined, null],
    ];
    for (const [query, variables, token] of others) {
      const r = await both(query, variables, token === undefined ? a.tokens.READER : token);
      expect(r.taken, query).toBe(false);
    }
    // and a refused page size over the fast path's own alerts argument
    const r = await both('query { incidents(first: 5) { nodes { id alerts(first: 500) { nodes { id } } } } }');
    expect(r.taken).toBe(false);
    expect(r.body.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
  });

  it('never gives one tenant another tenant’s incidents: same text, same variables, interleaved', async () => {
    const own = async (t: TenantFixture) => {
      const rows = await app.database.db.execute<{ id: string }>(sql`select id from incidents where tenant_id = ${t.tenant.id}`);
      return new Set((Array.isArray(rows) ? rows : (rows as { rows: { id: string }[] }).rows).map((r) => btoa(`Incident:${r.id}`)));
    };
    const ids = { a: await own(a), b: await own(b) };
    const calls = Array.from({ length: 40 }, (_, n) => {
      const t = n % 2 ? b : a;
      return raw(EVERY, { first: 50, alerts: 3 }, t.tokens[(['READER', 'OPERATOR', 'ADMIN'] as const)[n % 3]]).then((r) => ({ t, r }));
    });
    for (const { t, r } of await Promise.all(calls)) {
      const list = (JSON.parse(r.text).data.q.list as { id: string; title: string }[]).map((n) => n.id);
      const mine = t === a ? ids.a : ids.b;
      expect(list.length).toBe(mine.size);
      for (const id of list) expect(mine.has(id)).toBe(true);
    }
  });
});
