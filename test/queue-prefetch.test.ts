// The queue reads its page, and the alerts and devices the query selects, in one statement (rows
// as JSON built by Postgres). These tests hold that path to the plain one: the same rows as
// drizzle reads, the same nested lists as the per-incident loaders give, whatever way the query
// spells its selection.
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { jsonShape } from '../src/db/json-rows';
import { alerts, devices, incidents } from '../src/db/schema';
import { startApp, type TestApp } from './helpers/app';
import { incidentInput, newTenant, type TenantFixture } from './helpers/factory';
import { IngestMutation } from './ops';

let app: TestApp;
let t: TenantFixture;
beforeAll(async () => {
  // no background executor: the statement counts below must be the queries' own
  app = await startApp({ execution: { ...loadConfig({ ...process.env, MDR_DEMO: '0' }).execution, enabled: false } });
  t = await newTenant(app);
  for (let i = 0; i < 6; i++) {
    const input = incidentInput({ severity: (['LOW', 'MEDIUM', 'HIGH'] as const)[i % 3] });
    // a second alert on some incidents (no category: a null in the row), a second device on others
    if (i % 2 === 0) {
      input.alerts.push({
        externalId: `${input.externalId}-a2`,
        title: 'Credential dumping',
        severity: 'HIGH',
        evidence: [{ device: { deviceName: `SRV-${i}`, deviceGroup: null, osPlatform: 'Linux' } }],
      });
    }
    const r = await app.gql(IngestMutation, { input }, t.tokens.INTEGRATION);
    expect(r.data?.ingestIncident.errors).toEqual([]);
  }
  // an incident with no evidence at all: empty lists, not missing ones
  const bare = incidentInput();
  bare.alerts[0].evidence = [];
  await app.gql(IngestMutation, { input: bare }, t.tokens.INTEGRATION);
  // assigned and tagged: non-null values where the others have nulls and empty arrays
  const edit = await app.gql<{ updateIncident: { errors: unknown[] } }, unknown>(
    `mutation($id: ID!) { updateIncident(input: { incidentId: $id, assignment: EXPERTS, tags: ["vip", "q\\"uote"] }) { errors { code } } }`,
    { id: (await queueIds())[0] },
    t.tokens.EXPERT,
  );
  expect(edit.data?.updateIncident.errors).toEqual([]);
});
afterAll(async () => {
  await app?.close();
});

async function queueIds(): Promise<string[]> {
  const r = await app.gql<{ incidents: { nodes: { id: string }[] } }, unknown>(`{ incidents(first: 50) { nodes { id } } }`, {}, t.tokens.READER);
  return r.data!.incidents.nodes.map((n) => n.id);
}

async function statementsOf(query: string, variables: Record<string, unknown> = {}) {
  await app.gql(query, variables, t.tokens.READER); // warm the token cache
  const before = app.database.stats.statements;
  const r = await app.gql<Record<string, unknown>, unknown>(query, variables, t.tokens.READER);
  expect(r.errors).toBeUndefined();
  return { data: r.data!, statements: app.database.stats.statements - before };
}

describe('rows as JSON (jsonShape)', () => {
  it('gives exactly the objects drizzle gives, nulls, arrays and dates included', async () => {
    const db = app.database.db;
    for (const [table, order] of [
      [incidents, incidents.id],
      [alerts, alerts.id],
      [devices, devices.id],
    ] as const) {
      const shape = jsonShape(table);
      const tenantId = t.tenant.id;
      const viaDrizzle = await db
        .select()
        .from(table)
        .where(and(eq(table.tenantId, tenantId)))
        .orderBy(asc(order));
      const name = table === incidents ? 'incidents' : table === alerts ? 'alerts' : 'devices';
      const [{ rows }] = await app.database.query<{ rows: string }>(
        `select array_to_json(array(select ${shape.array('x')} from ${name} x where x.tenant_id = $1::uuid order by x.id))::text as rows`,
        [tenantId],
      );
      const viaJson = (JSON.parse(rows) as unknown[][]).map(shape.fromArray);
      expect(viaDrizzle.length).toBeGreaterThan(0);
      expect(viaJson).toEqual(viaDrizzle);
    }
  });
});

const NESTED = `alerts(first: 10) { totalCount nodes { id title severity category createdAt } } devices { id name deviceGroup osPlatform healthStatus lastSeenAt }`;

describe('the queue page in one statement', () => {
  it('gives each incident the alerts and devices its own loaders give', async () => {
    const page = await statementsOf(`{ incidents(first: 50) { nodes { id number tags systemTags assignment ${NESTED} } } }`);
    const nodes = (page.data.incidents as { nodes: { id: string }[] }).nodes;
    expect(nodes.length).toBe(7);
    // node(id) reads the same incident through the loaders, one by one
    for (const n of nodes) {
      const one = await app.gql<{ node: unknown }, unknown>(
        `query($id: ID!) { node(id: $id) { ... on Incident { id number tags systemTags assignment ${NESTED} } } }`,
        { id: n.id },
        t.tokens.READER,
      );
      expect(one.data?.node).toEqual(n);
    }
    const withTwo = nodes.filter((n) => (n as unknown as { alerts: { totalCount: number } }).alerts.totalCount === 2);
    expect(withTwo.length).toBe(3);
    expect(nodes.some((n) => (n as unknown as { devices: unknown[] }).devices.length === 0)).toBe(true);
    expect(nodes.some((n) => (n as unknown as { tags: string[] }).tags.includes('q"uote'))).toBe(true);
  });

  it('is one statement for the page with its alerts and devices, however the selection is spelled', async () => {
    const plain = await statementsOf(`{ incidents(first: 50) { nodes { id ${NESTED} } } }`);
    expect(plain.statements).toBe(1);
    const spellings = [
      `{ incidents(first: 50) { edges { node { id ${NESTED} } } } }`,
      `{ incidents(first: 50) { nodes { ...F } } } fragment F on Incident { id ${NESTED} }`,
      `{ incidents(first: 50) { ... on IncidentConnection { nodes { ... on Incident { id ...A } ...D } } } }
       fragment A on Incident { alerts(first: 10) { totalCount nodes { id title severity category createdAt } } }
       fragment D on Incident { devices { id name deviceGroup osPlatform healthStatus lastSeenAt } }`,
      `query($yes: Boolean!) { incidents(first: 50) { nodes { id ${NESTED.replace('devices {', 'devices @include(if: $yes) {')} } } }`,
    ];
    for (const q of spellings) {
      const r = await statementsOf(q, { yes: true });
      expect(r.statements).toBe(1);
      const list = (r.data.incidents as { nodes?: unknown[]; edges?: { node: unknown }[] });
      expect(list.nodes ?? list.edges!.map((e) => e.node)).toEqual((plain.data.incidents as { nodes: unknown[] }).nodes);
    }
  });

  it('fetches no nested list the query does not select', async () => {
    // without alerts or devices in the selection, the same page still takes one statement,
    // and asking for them by alias under another name still finds them
    const bare = await statementsOf(`{ incidents(first: 50) { nodes { id title } } }`);
    expect(bare.statements).toBe(1);
    const aliased = await statementsOf(`{ incidents(first: 50) { list: nodes { id a: alerts(first: 1) { nodes { id } } } } }`);
    expect(aliased.statements).toBe(1);
  });

  it('keeps the other tenants out of the nested lists', async () => {
    const other = await newTenant(app);
    await app.gql(IngestMutation, { input: incidentInput() }, other.tokens.INTEGRATION);
    const r = await app.gql<{ incidents: { nodes: { alerts: { nodes: { id: string }[] }; devices: { id: string }[] }[] } }, unknown>(
      `{ incidents(first: 50) { nodes { alerts(first: 10) { nodes { id } } devices { id } } } }`,
      {},
      other.tokens.READER,
    );
    expect(r.data?.incidents.nodes).toHaveLength(1);
    const mine = await statementsOf(`{ incidents(first: 50) { nodes { alerts(first: 10) { nodes { id } } devices { id } } } }`);
    const myIds = new Set(JSON.stringify(mine.data).match(/"id":"[^"]+"/g));
    for (const id of JSON.stringify(r.data).match(/"id":"[^"]+"/g) ?? []) expect(myIds.has(id)).toBe(false);
  });
});
