// The queue reads its page, and the alerts and devices the query selects, in one statement (rows
// as JSON built by Postgres). These tests hold that path to the plain one: the same rows as
// drizzle reads, the same nested lists as the per-incident loaders give, whatever way the query
// spells its selection.
import { and, asc, eq } from 'drizzle-orm';
import { getNamedType, isLeafType, isNonNullType, type GraphQLObjectType } from 'graphql';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config';
import { jsonShape } from '../src/db/json-rows';
import { alerts, devices, incidents } from '../src/db/schema';
import { ALERT_FIELD_COLUMNS, DEVICE_FIELD_COLUMNS, INCIDENT_FIELD_COLUMNS } from '../src/graphql/row-columns';
import { queueCache } from '../src/domain/queue-cache';
import { schema } from '../src/graphql/schema';
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
    `mutation($id: ID!, $who: ID!) { updateIncident(input: { incidentId: $id, assignment: EXPERTS, assigneeId: $who, tags: ["vip", "q\\"uote"] }) { errors { code message } } }`,
    { id: (await queueIds())[0], who: encodeGlobalID('Principal', t.principals.EXPERT.id) },
    t.tokens.EXPERT,
  );
  expect(edit.data?.updateIncident.errors).toEqual([]);
  // values in the columns no command above sets yet (resolution, activity times): the row-columns
  // tests below need a non-null value in every column to notice one missing
  await app.database.query(
    `update incidents set description = 'Lateral movement from WS-1', resolving_comment = 'Benign: admin script',
       first_activity_at = created_at - interval '1 hour', last_activity_at = created_at, priority_score = 77,
       system_tags = '{"Defender Experts"}'
     where id = (select id from incidents where tenant_id = $1::uuid order by number limit 1)`,
    [t.tenant.id],
  );
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
      const shape = jsonShape(table as typeof incidents);
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
      const viaJson = (JSON.parse(rows) as unknown[][]).map((v) => shape.fromArray(v, {}));
      expect(viaDrizzle.length).toBeGreaterThan(0);
      expect(viaJson).toEqual(viaDrizzle);
    }
  });

  it('fills the columns a nested row inherits from its parent', async () => {
    const shape = jsonShape(alerts, ['tenantId', 'incidentId']);
    const viaDrizzle = await app.database.db.select().from(alerts).where(eq(alerts.tenantId, t.tenant.id)).orderBy(asc(alerts.id));
    const [{ rows }] = await app.database.query<{ rows: string }>(
      `select array_to_json(array(select json_build_array(x.tenant_id, x.incident_id, ${shape.array('x')})
         from alerts x where x.tenant_id = $1::uuid order by x.id))::text as rows`,
      [t.tenant.id],
    );
    const viaJson = (JSON.parse(rows) as [string, string, unknown[]][]).map(([tenantId, incidentId, v]) =>
      shape.fromArray(v, { tenantId, incidentId }),
    );
    expect(viaJson).toEqual(viaDrizzle);
    expect(Object.keys(viaJson[0])).toEqual(Object.keys(viaDrizzle[0]));
    expect(() => jsonShape(alerts, ['nope' as 'id'])).toThrow(/no column nope/);
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

// Every field of the three types the queue reads in one statement, asked through the queue (rows
// narrowed to the columns row-columns.ts lists for the selection) and through nodes(ids) (whole
// rows from the loaders): the answers must be the same. A field listed with too few columns, or a
// new field wrongly listed, fails here.
describe('row columns: the queue reads only what the selected fields need', () => {
  const selectionOf = (type: string) => {
    const object = schema.getType(type) as GraphQLObjectType;
    return Object.values(object.getFields())
      .filter((f) => f.args.every((a) => !isNonNullType(a.type) || a.defaultValue !== undefined))
      .map((f) => {
        const named = getNamedType(f.type);
        return isLeafType(named) ? f.name : `${f.name} { __typename }`;
      });
  };

  const values = (data: unknown, field: string): unknown[] => {
    // every value of `field` anywhere in the answer
    const out: unknown[] = [];
    const walk = (v: unknown) => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) (k === field ? out.push(x) : walk(x));
    };
    walk(data);
    return out;
  };

  async function sameThroughQueueAndNodes(
    token: string,
    wrap: (field: string) => string,
    fields: string[],
    listed: Readonly<Record<string, unknown>>,
  ) {
    const ids = await queueIds();
    expect(ids.length).toBeGreaterThan(5);
    for (const field of fields) {
      const viaQueue = await app.gql<{ incidents: { nodes: unknown[] } }, unknown>(
        `{ incidents(first: 50) { nodes { id ${wrap(field)} } } }`,
        {},
        token,
      );
      const viaNodes = await app.gql<{ nodes: unknown[] }, unknown>(
        `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Incident { id ${wrap(field)} } } }`,
        { ids },
        token,
      );
      expect({ field, data: viaQueue.data?.incidents.nodes, errors: viaQueue.errors?.length ?? 0 }).toEqual({
        field,
        data: viaNodes.data?.nodes,
        errors: viaNodes.errors?.length ?? 0,
      });
      // a field read from narrowed rows must be exercised by the data: some non-null, non-empty
      // value somewhere (unlisted fields read whole rows anyway)
      const name = field.split(' ')[0];
      if (!Object.hasOwn(listed, name)) continue;
      const seen = values(viaNodes.data, name).filter((v) => v !== null && !(Array.isArray(v) && v.length === 0));
      expect({ field: name, exercised: seen.length > 0 }).toEqual({ field: name, exercised: true });
    }
  }

  for (const role of ['READER', 'EXPERT'] as const) {
    it(`gives every Incident field the same answer (${role})`, async () => {
      const fields = selectionOf('Incident');
      expect(fields.length).toBeGreaterThan(20);
      await sameThroughQueueAndNodes(t.tokens[role], (f) => f, fields, INCIDENT_FIELD_COLUMNS);
    });

    it(`gives every Alert and Device field the same answer (${role})`, async () => {
      await sameThroughQueueAndNodes(t.tokens[role], (f) => `alerts(first: 10) { totalCount nodes { id ${f} } }`, selectionOf('Alert'), ALERT_FIELD_COLUMNS);
      await sameThroughQueueAndNodes(t.tokens[role], (f) => `devices { id ${f} }`, selectionOf('Device'), DEVICE_FIELD_COLUMNS);
    });
  }

  it('narrows the statement to the selected columns, and reads whole rows for an unlisted field', async () => {
    const texts: string[] = [];
    const query = app.database.query.bind(app.database);
    app.database.query = (text, params) => {
      texts.push(text);
      return query(text, params);
    };
    // the page statement itself, each time (a cached page would be served after a version check)
    const cacheBytes = queueCache.maxBytes;
    queueCache.maxBytes = 0;
    try {
      await statementsOf(`{ incidents(first: 5) { nodes { id title alerts(first: 1) { nodes { title } } devices { name } } } }`);
      const narrow = texts.at(-1)!;
      for (const column of ['"description"', '"search_text"', '"category"', '"os_platform"']) expect(narrow).not.toContain(column);
      for (const column of ['"title"', '"name"']) expect(narrow).toContain(column);
      // managedResponse is not listed in row-columns.ts: whole incident rows
      await statementsOf(`{ incidents(first: 5) { nodes { id managedResponse { __typename } } } }`);
      expect(texts.at(-1)).toContain('"search_text"');
    } finally {
      queueCache.maxBytes = cacheBytes;
      app.database.query = query;
    }
  });

  it('keeps lists narrowed for a page away from the same incident loaded elsewhere in the request', async () => {
    // viewerCanUpdate is unlisted: whole incident rows (shareable through the incident loader);
    // the page's alerts are narrowed to what their selection reads. Alert.incident then loads the
    // same incident through the loader, after the page, and reads its alerts' categories.
    const nested = `alerts(first: 10) { nodes { title incident { alerts(first: 10) { nodes { title category } } } } }`;
    const page = await statementsOf(`{ incidents(first: 50) { nodes { id viewerCanUpdate ${nested} } } }`);
    const ids = await queueIds();
    const one = await statementsOf(`query($ids: [ID!]!) { nodes(ids: $ids) { ... on Incident { id viewerCanUpdate ${nested} } } }`, { ids });
    expect(page.data.incidents).toEqual({ nodes: one.data.nodes });
    expect(JSON.stringify(page.data)).toContain('"category":"Execution"');
  });

  it('keeps two pages of one request apart when they select different columns', async () => {
    const one = (f: string) => `incidents(first: 50) { nodes { id alerts(first: 10) { nodes { id ${f} } } devices { id ${f === 'title' ? 'name' : 'osPlatform'} } } }`;
    const both = await statementsOf(`{ a: ${one('title')} b: ${one('category')} }`);
    const a = await statementsOf(`{ a: ${one('title')} }`);
    const b = await statementsOf(`{ b: ${one('category')} }`);
    expect(both.data).toEqual({ ...a.data, ...b.data });
  });
});
