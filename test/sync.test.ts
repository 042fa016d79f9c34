// Sync connectors end to end (SPEC.md section 6): an ADMIN connects the tenant's ServiceNow and
// Sentinel; every change of an incident reaches them through the durable outbound delivery: the
// ServiceNow ticket is created on the first event and follows the incident to its closure (work
// notes from the managed response and the actions), the matching Sentinel incident follows its
// status, owner, classification and labels with its ETag. Retries, commit order per incident,
// a create whose answer was lost, a concurrent edit in Sentinel and a missing Sentinel incident
// are all seen from the outside: what the fakes received and what the API shows. The fakes are
// real local HTTP servers speaking each API (test/helpers/itsm.ts).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../src/config';
import { startApp, type TestApp } from './helpers/app';
import { newTenant, type TenantFixture } from './helpers/factory';
import { startSentinel, startServiceNow, type FakeSentinel, type FakeServiceNow } from './helpers/itsm';
import { incident, ingest, mutate, summary, truePositive, waitFor } from './helpers/response';

const base = loadConfig({ ...process.env, MDR_DEMO: '0' });
let app: TestApp;
/** The tenants this file's deliverer may deliver for (test files share one database). */
const owned = new Set<string>();
const peers: { close(): Promise<void> }[] = [];

function config(): Partial<Config> {
  return {
    execution: { ...base.execution, pollMs: 50 },
    notifications: { ...base.notifications, allowPrivateTargets: true },
    webhooks: { ...base.webhooks, retryBaseMs: 50, retryMaxMs: 200, timeoutMs: 2_000 },
  };
}

beforeAll(async () => {
  app = await startApp(config(), { outbound: { scope: () => [...owned] } });
});
afterAll(async () => {
  await app?.close();
});
afterEach(async () => {
  owned.clear(); // what a test left queued is not delivered any more
  for (const p of peers.splice(0)) await p.close();
});

const SN_USER = 'svc-mdr';
const SN_PASSWORD = 'Pw-9f2c1e-SERVICENOW-SECRET';
const SN_TOKEN = 'sn-token-4b7d0a-SERVICENOW-SECRET';
const AZ_TOKEN = 'eyJ0eXAi.sentinel-token-77aa31-SECRET';

async function serviceNow(auth: { username?: string; password?: string; token?: string } = { username: SN_USER, password: SN_PASSWORD }) {
  const sn = await startServiceNow(auth);
  peers.push(sn);
  return sn;
}
async function sentinel() {
  const az = await startSentinel({ token: AZ_TOKEN });
  peers.push(az);
  return az;
}
async function ownedTenant() {
  const t = await newTenant(app);
  owned.add(t.tenant.id);
  return t;
}

const CONNECTOR_FIELDS = 'id system baseUrl active lastSyncAt lastError mapping';
interface Connector {
  id: string;
  system: 'SERVICENOW' | 'SENTINEL';
  baseUrl: string;
  active: boolean;
  lastSyncAt: string | null;
  lastError: string | null;
  mapping: string;
}

async function configure(t: TenantFixture, input: Record<string, unknown>, token = t.tokens.ADMIN) {
  return mutate(app, token, 'configureSyncConnector', input, `connector { ${CONNECTOR_FIELDS} }`);
}

async function connect(t: TenantFixture, input: Record<string, unknown>): Promise<Connector> {
  const r = await configure(t, { active: true, ...input });
  expect(r.errors).toBeUndefined();
  expect(r.data.configureSyncConnector.errors).toEqual([]);
  return r.data.configureSyncConnector.connector;
}

const connectServiceNow = (t: TenantFixture, sn: FakeServiceNow, over: Record<string, unknown> = {}) =>
  connect(t, { system: 'SERVICENOW', baseUrl: sn.url, credentials: { username: SN_USER, password: SN_PASSWORD }, ...over });
const connectSentinel = (t: TenantFixture, az: FakeSentinel, over: Record<string, unknown> = {}) =>
  connect(t, { system: 'SENTINEL', baseUrl: az.url, credentials: { token: AZ_TOKEN }, ...over });

async function connectors(t: TenantFixture, token = t.tokens.ADMIN): Promise<Connector[]> {
  const r = await app.gql<any, any>(`query($id: ID) { tenant(id: $id) { syncConnectors { ${CONNECTOR_FIELDS} } } }`, { id: t.tenantGid }, token);
  expect(r.errors).toBeUndefined();
  return r.data.tenant.syncConnectors;
}
const connectorOf = async (t: TenantFixture, system: string) => (await connectors(t)).find((c) => c.system === system)!;

interface Ticket {
  system: string;
  externalId: string;
  number: string | null;
  url: string | null;
  lastSyncedAt: string | null;
  status: string;
  lastError: string | null;
}
async function tickets(t: TenantFixture, incidentId: string, token = t.tokens.READER): Promise<Ticket[]> {
  const r = await app.gql<any, any>(
    `query($id: ID!) { node(id: $id) { ... on Incident { externalTickets { system externalId number url lastSyncedAt status lastError } } } }`,
    { id: incidentId },
    token,
  );
  expect(r.errors).toBeUndefined();
  return r.data.node.externalTickets;
}

async function sentinelView(t: TenantFixture, incidentId: string) {
  const r = await app.gql<any, any>(`query($id: ID!) { node(id: $id) { ... on Incident { sentinel { status owner classification classificationReason labels } } } }`, { id: incidentId }, t.tokens.READER);
  return r.data.node.sentinel as { status: string; owner: string | null; classification: string; classificationReason: string | null; labels: string[] };
}

/** The sync deliveries of an incident, from the database (the API shows only webhook deliveries). */
async function syncDeliveries(incidentId: string) {
  const { decodeGlobalID } = await import('@pothos/plugin-relay');
  const id = decodeGlobalID(incidentId).id;
  return (await app.database.query(
    `select target, status, attempts, last_error, event_type from outbound_deliveries where incident_id = '${id}' and target <> 'WEBHOOK' order by event_id`,
  )) as { target: string; status: string; attempts: number; last_error: string | null; event_type: string }[];
}

const ok = (r: { errors?: unknown; data?: any }, name: string) => {
  expect(r.errors).toBeUndefined();
  expect(r.data[name].errors).toEqual([]);
  return r.data[name];
};
const start = async (t: TenantFixture, id: string) => ok(await mutate(app, t.tokens.EXPERT, 'startInvestigation', { incidentId: id }), 'startInvestigation');
const classify = async (t: TenantFixture, id: string, classification: string, determination: string, text: string) =>
  ok(await mutate(app, t.tokens.EXPERT, 'classifyIncident', { incidentId: id, classification, determination, summary: text }), 'classifyIncident');
async function publishManual(t: TenantFixture, id: string, titles: string[]) {
  const p = ok(
    await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', { incidentId: id, summary, actions: titles.map((title) => ({ kind: 'MANUAL', title, instructions: `Do: ${title}` })) }),
    'publishManagedResponse',
  );
  return p.incident as { status: string; number: number; managedResponse: { actions: { id: string; title: string }[] } };
}
const complete = async (t: TenantFixture, actionId: string) =>
  ok(await mutate(app, t.tokens.OPERATOR, 'completeManualAction', { actionId }, 'action { status }'), 'completeManualAction');

/** The writes (POST and PATCH bodies) the fake accepted for one incident's ticket, oldest first. */
const writesOf = (sn: FakeServiceNow, correlationId: string) => sn.byCorrelation(correlationId)?.writes ?? [];
const stateOf = (sn: FakeServiceNow, correlationId: string) => sn.byCorrelation(correlationId)?.fields.state;
const basic = `Basic ${Buffer.from(`${SN_USER}:${SN_PASSWORD}`).toString('base64')}`;

// ---------------------------------------------------------------------------------------------

describe('configureSyncConnector', () => {
  it('an ADMIN connects ServiceNow and Sentinel; the credentials never come back; other roles and tenants are refused', async () => {
    const t = await newTenant(app);
    const c = await connect(t, {
      system: 'SERVICENOW',
      baseUrl: 'https://acme.service-now.com/',
      credentials: { username: SN_USER, password: SN_PASSWORD },
      mapping: '{"impact":{"LOW":"2"}}',
    });
    expect(c).toMatchObject({ system: 'SERVICENOW', baseUrl: 'https://acme.service-now.com', active: true, lastSyncAt: null, lastError: null });
    expect(JSON.parse(c.mapping)).toEqual({ impact: { LOW: '2' } });
    const s = await connect(t, { system: 'SENTINEL', baseUrl: 'https://management.azure.com/subscriptions/x/incidents', credentials: { token: AZ_TOKEN }, active: false });
    expect(s).toMatchObject({ system: 'SENTINEL', active: false, mapping: '{}' });

    // reconfiguring keeps the stored credentials when none are given: same connector, paused
    const again = await connect(t, { system: 'SERVICENOW', baseUrl: 'https://acme.service-now.com', active: false });
    expect(again).toMatchObject({ id: c.id, active: false });
    // and replaces them when given (a token instead of the password)
    expect((await connect(t, { system: 'SERVICENOW', baseUrl: 'https://acme.service-now.com', credentials: { token: SN_TOKEN } })).id).toBe(c.id);

    // no field of the schema carries them, for the ADMIN or the experts
    for (const token of [t.tokens.ADMIN, t.tokens.EXPERT]) {
      const everything = await app.gql<any, any>(
        `query($id: ID, $c: ID!) { tenant(id: $id) { id syncConnectors { ${CONNECTOR_FIELDS} } } node(id: $c) { ... on SyncConnector { ${CONNECTOR_FIELDS} } } }`,
        { id: t.tenantGid, c: c.id },
        token,
      );
      expect(everything.errors).toBeUndefined();
      expect(everything.data.tenant.syncConnectors).toHaveLength(2);
      expect(everything.data.node.id).toBe(c.id);
      const json = JSON.stringify(everything);
      for (const secret of [SN_PASSWORD, SN_TOKEN, AZ_TOKEN, 'SECRET']) expect(json).not.toContain(secret);
    }
    const introspection = await app.gql<any, any>(`{ __type(name: "SyncConnector") { fields { name } } }`, {}, t.tokens.ADMIN);
    expect(introspection.data.__type.fields.map((f: { name: string }) => f.name).filter((n: string) => /cred|pass|token|secret/i.test(n))).toEqual([]);
    // encrypted at rest
    const rows = (await app.database.query(`select credentials_enc from sync_connectors where tenant_id = '${t.tenant.id}'`)) as { credentials_enc: string }[];
    expect(rows).toHaveLength(2);
    for (const r of rows) for (const secret of [SN_PASSWORD, SN_TOKEN, AZ_TOKEN, SN_USER]) expect(r.credentials_enc).not.toContain(secret);

    // READER and OPERATOR: FORBIDDEN, nothing changes; they do not read the connectors either
    for (const role of ['READER', 'OPERATOR'] as const) {
      const r = await configure(t, { system: 'SERVICENOW', baseUrl: 'https://evil.example.com', credentials: { token: 'x' }, active: true }, t.tokens[role]);
      expect(r.errors?.[0].extensions?.code, role).toBe('FORBIDDEN');
      const read = await app.gql<any, any>(`query($id: ID) { tenant(id: $id) { syncConnectors { id } } }`, { id: t.tenantGid }, t.tokens[role]);
      expect(read.errors?.[0].extensions?.code, role).toBe('FORBIDDEN');
      expect((await app.gql<any, any>(`query($id: ID!) { node(id: $id) { id } }`, { id: c.id }, t.tokens[role])).data.node).toBeNull();
    }
    expect((await connectorOf(t, 'SERVICENOW')).baseUrl).toBe('https://acme.service-now.com');

    // another tenant's admin sees nothing and changes nothing
    const other = await newTenant(app);
    expect((await app.gql<any, any>(`query($id: ID) { tenant(id: $id) { syncConnectors { id } } }`, { id: t.tenantGid }, other.tokens.ADMIN)).data.tenant).toBeNull();
    expect((await app.gql<any, any>(`query($id: ID!) { node(id: $id) { id } }`, { id: c.id }, other.tokens.ADMIN)).data.node).toBeNull();
    const foreign = await configure(other, { tenantId: t.tenantGid, system: 'SERVICENOW', baseUrl: 'https://evil.example.com', credentials: { token: 'x' }, active: true }, other.tokens.ADMIN);
    expect(foreign.data.configureSyncConnector.errors[0]).toMatchObject({ code: 'NOT_FOUND', field: ['input', 'tenantId'] });
    expect(await connectors(other)).toEqual([]);
    expect((await connectorOf(t, 'SERVICENOW')).baseUrl).toBe('https://acme.service-now.com');
  });

  it('bad input gets typed errors and writes nothing', async () => {
    const t = await newTenant(app);
    const attempt = async (input: Record<string, unknown>) => {
      const r = await configure(t, { system: 'SERVICENOW', baseUrl: 'https://acme.service-now.com', credentials: { username: SN_USER, password: SN_PASSWORD }, active: true, ...input });
      expect(r.errors).toBeUndefined();
      return r.data.configureSyncConnector as { connector: Connector | null; errors: { code: string; message: string; field: string[] }[] };
    };
    const refused = async (input: Record<string, unknown>, field: string[]) => {
      const r = await attempt(input);
      expect(r.connector, JSON.stringify(input)).toBeNull();
      expect(r.errors[0], JSON.stringify(input)).toMatchObject({ code: 'INVALID_INPUT', field });
      return r.errors[0].message;
    };
    for (const baseUrl of ['not a url', 'ftp://acme.service-now.com', 'https://admin:hunter2@acme.service-now.com', `https://${'a'.repeat(2050)}.example.com`]) {
      await refused({ baseUrl }, ['input', 'baseUrl']);
    }
    expect(await refused({ credentials: { token: SN_TOKEN, password: SN_PASSWORD } }, ['input', 'credentials'])).toMatch(/not both/);
    await refused({ credentials: { username: SN_USER } }, ['input', 'credentials']);
    await refused({ credentials: null }, ['input', 'credentials']); // required for a new connector
    await refused({ system: 'SENTINEL', credentials: { username: SN_USER, password: SN_PASSWORD } }, ['input', 'credentials', 'token']);
    await refused({ mapping: 'not json' }, ['input', 'mapping']);
    await refused({ mapping: '[{"impact":{}}]' }, ['input', 'mapping']);
    await refused({ mapping: '"impact"' }, ['input', 'mapping']);
    expect(await refused({ mapping: '{"priority":{"HIGH":"1"}}' }, ['input', 'mapping', 'priority'])).toMatch(/impact, urgency, state, closeCode/);
    await refused({ mapping: '{"impact":{"CRITICAL":"1"}}' }, ['input', 'mapping', 'impact', 'CRITICAL']);
    await refused({ mapping: '{"state":{"RESOLVED":""}}' }, ['input', 'mapping', 'state', 'RESOLVED']);
    await refused({ mapping: `{"closeCode":{"FALSE_POSITIVE":"${'x'.repeat(101)}"}}` }, ['input', 'mapping', 'closeCode', 'FALSE_POSITIVE']);
    await refused({ mapping: '{"state":{"RESOLVED":7}}' }, ['input', 'mapping', 'state', 'RESOLVED']);
    await refused({ system: 'SENTINEL', credentials: { token: AZ_TOKEN }, mapping: '{"impact":{"HIGH":"1"}}' }, ['input', 'mapping', 'impact']);
    const enumError = await app.gql<any, any>(`mutation { configureSyncConnector(input: { system: JIRA, baseUrl: "https://x.example.com", active: true }) { errors { code } } }`, {}, t.tokens.ADMIN);
    expect(enumError.errors?.[0].message).toMatch(/JIRA/);
    expect(await connectors(t)).toEqual([]);
    // and the same inputs, fixed, go through
    expect((await attempt({ mapping: '{"impact":{"HIGH":"2"},"state":{"AWAITING_CUSTOMER_ACTION":"2"},"closeCode":{"FALSE_POSITIVE":"Closed/Resolved by Caller"}}' })).errors).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------

describe('ServiceNow', () => {
  it('the ticket is created on the first event and follows the incident to its closure', async () => {
    const sn = await serviceNow();
    const t = await ownedTenant();
    await connectServiceNow(t, sn);
    const title = 'Ransomware staging on FIN-07';
    const inc = await ingest(app, t, { title, severity: 'HIGH' });
    const number = (await incident(app, t.tokens.READER, inc.id)).number;

    // incident.created: a new ticket, found by nobody first (GET), then created (POST)
    await sn.waitFor(() => !!sn.byCorrelation(inc.id));
    const record = sn.byCorrelation(inc.id)!;
    expect(record.fields).toMatchObject({
      correlation_id: inc.id,
      short_description: `[MDR #${number}] ${title}`,
      impact: '1',
      urgency: '1',
      state: '1',
    });
    expect(record.fields.description).toContain(title);
    expect(record.fields).toMatchObject({ close_code: '', close_notes: '', hold_reason: '' }); // cleared while they do not apply
    expect(sn.requests.map((r) => r.method)).toEqual(['GET', 'POST']);
    expect(sn.requests[0].query.get('sysparm_query')).toBe(`correlation_id=${inc.id}`);
    for (const r of sn.requests) expect(r.headers.authorization).toBe(basic);

    const [ticket] = await waitFor(() => tickets(t, inc.id), (x) => x.length === 1 && x[0].status === 'SENT');
    expect(ticket).toMatchObject({ system: 'SERVICENOW', externalId: record.sys_id, number: 'INC0010001', status: 'SENT', lastError: null });
    expect(ticket.url).toContain(sn.url);
    expect(ticket.url).toContain(record.sys_id);
    expect(ticket.lastSyncedAt).not.toBeNull();
    const connector = await connectorOf(t, 'SERVICENOW');
    expect(connector.lastSyncAt).not.toBeNull();
    expect(connector.lastError).toBeNull();

    // under investigation, classified, a managed response with actions left to the customer
    await start(t, inc.id);
    await sn.waitFor(() => record.writes.length === 2);
    expect(record.writes[1]).toMatchObject({ state: '2' });
    // the experts' interim update reaches the ticket as a work note
    ok(await mutate(app, t.tokens.EXPERT, 'postInvestigationUpdate', { incidentId: inc.id, body: 'Checking the sign-in logs of jdoe' }, 'update { id }'), 'postInvestigationUpdate');
    await sn.waitFor(() => record.writes.length === 3);
    expect(record.writes[2].work_notes).toMatch(/^Investigation update from .*:\nChecking the sign-in logs of jdoe$/);
    await classify(t, inc.id, 'TRUE_POSITIVE', 'MALWARE', 'Malware from a phishing attachment');
    await sn.waitFor(() => record.writes.length === 4);
    expect(record.fields.description).toContain('TRUE_POSITIVE');
    const published = await publishManual(t, inc.id, ['Reset the password of jdoe', 'Block the sender domain']);
    expect(published.status).toBe('AWAITING_CUSTOMER_ACTION');
    await sn.waitFor(() => record.writes.length === 5);
    expect(record.writes[4]).toMatchObject({ state: '3', hold_reason: '1' });
    expect(record.writes[4].work_notes).toContain(summary.narrative);
    expect(record.journal.join('\n')).toContain(summary.narrative);

    // the customer completes the actions: the last one resolves it, and the ticket closes
    const [first, second] = published.managedResponse.actions;
    await complete(t, first.id);
    await sn.waitFor(() => record.writes.length === 6);
    expect(record.fields.state).toBe('3');
    expect(record.writes[5].work_notes).toContain('Reset the password of jdoe');
    await complete(t, second.id);
    expect((await incident(app, t.tokens.READER, inc.id)).status).toBe('RESOLVED');
    await sn.waitFor(() => record.fields.state === '6');
    expect(record.fields).toMatchObject({ state: '6', close_code: 'Solved (Permanently)' });
    expect(record.fields.close_notes).toMatch(/\S/);
    expect(record.journal.at(-1)).toContain('Block the sender domain');

    // one ticket, created once; every later write a PATCH of it
    expect(sn.records.size).toBe(1);
    expect(sn.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(sn.requests.slice(2).every((r) => r.method === 'PATCH' && r.pathname.endsWith(`/${record.sys_id}`))).toBe(true);
    expect(record.writes.map((w) => Number(w.state))).toEqual([1, 2, 2, 2, 3, 3, 6]);
    const deliveries = await waitFor(() => syncDeliveries(inc.id), (d) => d.length === 7 && d.every((x) => x.status === 'SENT'));
    expect(deliveries.map((d) => d.attempts)).toEqual([1, 1, 1, 1, 1, 1, 1]);
    const [final] = await tickets(t, inc.id);
    expect(final).toMatchObject({ externalId: record.sys_id, number: 'INC0010001', status: 'SENT', lastError: null });
    expect(Date.parse(final.lastSyncedAt!)).toBeGreaterThan(Date.parse(ticket.lastSyncedAt!));
  });

  it('the connector\'s mapping overrides the defaults; a bearer token authenticates', async () => {
    const sn = await serviceNow({ token: SN_TOKEN });
    const t = await ownedTenant();
    await connectServiceNow(t, sn, {
      credentials: { token: SN_TOKEN },
      mapping: JSON.stringify({ impact: { HIGH: '2' }, urgency: { HIGH: '3' }, state: { IN_PROGRESS: '10' }, closeCode: { FALSE_POSITIVE: 'Closed/Resolved by Caller' } }),
    });
    const inc = await ingest(app, t, { severity: 'HIGH' });
    await sn.waitFor(() => stateOf(sn, inc.id) === '1');
    expect(sn.byCorrelation(inc.id)!.fields).toMatchObject({ impact: '2', urgency: '3' });
    await start(t, inc.id);
    await sn.waitFor(() => stateOf(sn, inc.id) === '10');
    await classify(t, inc.id, 'FALSE_POSITIVE', 'NOT_MALICIOUS', 'A backup agent, signed and expected.');
    await sn.waitFor(() => stateOf(sn, inc.id) === '6');
    expect(sn.byCorrelation(inc.id)!.fields).toMatchObject({ close_code: 'Closed/Resolved by Caller', close_notes: 'A backup agent, signed and expected.' });
    for (const r of sn.requests) expect(r.headers.authorization).toBe(`Bearer ${SN_TOKEN}`);
  });

  it('429 and 500 are retried until the ticket is made; lastError shows the trouble meanwhile and clears after', async () => {
    const sn = await serviceNow();
    const t = await ownedTenant();
    await connectServiceNow(t, sn);
    sn.failNext(1, 429, { 'retry-after': '1' });
    sn.failNext(Infinity, 500);
    const inc = await ingest(app, t);
    const failing = await waitFor(() => connectorOf(t, 'SERVICENOW'), (c) => /HTTP 500/.test(c.lastError ?? ''));
    expect(failing.lastError).toMatch(/^ServiceNow answered HTTP 500/);
    await sn.waitFor(() => sn.requests.length >= 3);
    // Retry-After (capped at WEBHOOK_RETRY_MAX, 200 ms here) was waited out before the second try
    expect(sn.requests[1].at - sn.requests[0].at).toBeGreaterThanOrEqual(150);
    expect(sn.records.size).toBe(0);
    expect(await tickets(t, inc.id)).toEqual([]); // no ticket until one was made

    sn.recover();
    const [ticket] = await waitFor(() => tickets(t, inc.id), (x) => x[0]?.status === 'SENT');
    expect(ticket).toMatchObject({ system: 'SERVICENOW', number: 'INC0010001', lastError: null });
    expect(sn.records.size).toBe(1);
    expect(sn.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect((await connectorOf(t, 'SERVICENOW')).lastError).toBeNull();
    const [d] = await syncDeliveries(inc.id);
    expect(d.status).toBe('SENT');
    expect(d.attempts).toBe(sn.requests.filter((r) => r.method === 'GET').length);

    // an outage on an existing ticket: the ticket shows FAILED with the error, then SENT again
    sn.failNext(Infinity, 503);
    await start(t, inc.id);
    const failed = await waitFor(() => tickets(t, inc.id), (x) => x[0].status === 'FAILED');
    expect(failed[0].lastError).toMatch(/ServiceNow answered HTTP 503/);
    expect((await connectorOf(t, 'SERVICENOW')).lastError).toMatch(/HTTP 503/);
    sn.recover();
    await sn.waitFor(() => stateOf(sn, inc.id) === '2');
    const back = await waitFor(() => tickets(t, inc.id), (x) => x[0].status === 'SENT');
    expect(back[0].lastError).toBeNull();
    expect((await connectorOf(t, 'SERVICENOW')).lastError).toBeNull();
  });

  it('a ticket that already carries our correlation id is adopted, not duplicated', async () => {
    const sn = await serviceNow();
    const t = await ownedTenant();
    // made before the connector existed here: the ServiceNow side already has it
    const inc = await ingest(app, t);
    const seeded = sn.seed({ correlation_id: inc.id, short_description: 'made by hand', state: '1', assignment_group: 'SOC' });
    await connectServiceNow(t, sn);
    await start(t, inc.id);
    await sn.waitFor(() => seeded.fields.state === '2');
    expect(sn.requests.map((r) => r.method)).toEqual(['GET', 'PATCH']);
    expect(sn.records.size).toBe(1);
    expect(seeded.fields.assignment_group).toBe('SOC'); // their fields are left alone
    const [ticket] = await waitFor(() => tickets(t, inc.id), (x) => x[0]?.status === 'SENT');
    expect(ticket).toMatchObject({ externalId: seeded.sys_id, number: seeded.number });
  });

  it('a create whose answer was lost is found again by its correlation id on the retry', async () => {
    const sn = await serviceNow();
    const t = await ownedTenant();
    await connectServiceNow(t, sn);
    sn.dropNext(1, (r) => r.method === 'POST'); // ServiceNow commits the record, the answer never arrives
    const inc = await ingest(app, t);
    await sn.waitFor(() => sn.requests.filter((r) => r.method === 'PATCH').length === 1);
    expect(sn.requests.map((r) => [r.method, r.status])).toEqual([
      ['GET', 200],
      ['POST', 0],
      ['GET', 200],
      ['PATCH', 200],
    ]);
    expect(sn.records.size).toBe(1);
    const [ticket] = await waitFor(() => tickets(t, inc.id), (x) => x[0]?.status === 'SENT');
    expect(ticket.externalId).toBe(sn.byCorrelation(inc.id)!.sys_id);
  });

  it('a ticket deleted in ServiceNow is made again, not given up', async () => {
    const sn = await serviceNow();
    const t = await ownedTenant();
    await connectServiceNow(t, sn);
    const inc = await ingest(app, t);
    await waitFor(() => tickets(t, inc.id), (x) => x[0]?.status === 'SENT');
    const first = sn.byCorrelation(inc.id)!;
    sn.records.delete(first.sys_id);
    await start(t, inc.id);
    await sn.waitFor(() => stateOf(sn, inc.id) === '2');
    const again = sn.byCorrelation(inc.id)!;
    expect(again.sys_id).not.toBe(first.sys_id);
    const [ticket] = await waitFor(() => tickets(t, inc.id), (x) => x[0]?.externalId === again.sys_id);
    expect(ticket.status).toBe('SENT');
  });

  it('wrong credentials: the delivery ends DEAD and the connector says why; a paused connector sends nothing', async () => {
    const sn = await serviceNow();
    const t = await ownedTenant();
    await connectServiceNow(t, sn, { credentials: { username: SN_USER, password: 'wrong' } });
    const inc = await ingest(app, t);
    const c = await waitFor(() => connectorOf(t, 'SERVICENOW'), (x) => !!x.lastError);
    expect(c.lastError).toMatch(/ServiceNow answered HTTP 401.*User Not Authenticated/);
    await waitFor(() => syncDeliveries(inc.id), (d) => d[0]?.status === 'DEAD');
    expect(sn.requests).toHaveLength(1); // a 401 is not retried
    expect(await tickets(t, inc.id)).toEqual([]);

    // fixed, but paused: nothing goes out
    await connectServiceNow(t, sn, { active: false });
    const quiet = await ingest(app, t);
    await start(t, quiet.id);
    expect(await syncDeliveries(quiet.id)).toEqual([]);
    // active again: the next change brings the ticket up to date (the whole state is sent)
    await connectServiceNow(t, sn, { active: true });
    await classify(t, quiet.id, 'FALSE_POSITIVE', 'NOT_MALICIOUS', 'Expected admin tool');
    await sn.waitFor(() => stateOf(sn, quiet.id) === '6');
    expect(sn.byCorrelation(quiet.id)!.fields.close_code).toBe('Not Solved (Not Reproducible)');
    await waitFor(() => connectorOf(t, 'SERVICENOW'), (x) => x.lastError === null && x.lastSyncAt !== null);
    expect(sn.requests.length).toBe(3);
  });
});

// ---------------------------------------------------------------------------------------------

describe('Sentinel', () => {
  it('a false positive closes the matching Sentinel incident with its classification, owner and labels', async () => {
    const az = await sentinel();
    const t = await ownedTenant();
    await connectSentinel(t, az);
    const name = `sentinel-${t.tenant.slug}`;
    const seeded = az.seed(name, { title: 'Suspicious PowerShell', severity: 'High', labels: [{ labelName: 'from-defender', labelType: 'AutoAssigned' }] });
    const inc = await ingest(app, t, { externalId: name });

    await az.waitFor(() => seeded.puts.length === 1);
    expect(seeded.properties).toMatchObject({ status: 'New', title: 'Suspicious PowerShell', severity: 'High', incidentNumber: seeded.properties.incidentNumber });
    const [ticket] = await waitFor(() => tickets(t, inc.id), (x) => x[0]?.status === 'SENT');
    expect(ticket).toMatchObject({ system: 'SENTINEL', externalId: name, number: String(seeded.properties.incidentNumber), url: seeded.properties.incidentUrl, lastError: null });
    const [get, put] = az.requestsFor(name);
    expect([get.method, put.method]).toEqual(['GET', 'PUT']);
    for (const r of [get, put]) {
      expect(r.headers.authorization).toBe(`Bearer ${AZ_TOKEN}`);
      expect(r.query.get('api-version')).toMatch(/^\d{4}-\d{2}-\d{2}/);
    }
    expect(put.json.etag).toBe('"1"');

    // custom tags and the experts taking it
    ok(await mutate(app, t.tokens.EXPERT, 'updateIncident', { incidentId: inc.id, tags: ['crown-jewel', 'finance'] }), 'updateIncident');
    await start(t, inc.id);
    await az.waitFor(() => seeded.properties.status === 'Active');
    expect(seeded.properties.owner.assignedTo).toBe(app.config.providerName);
    const labels = () => seeded.properties.labels.map((l) => l.labelName);
    expect(labels()).toEqual(expect.arrayContaining(['from-defender', 'crown-jewel', 'finance']));

    await classify(t, inc.id, 'FALSE_POSITIVE', 'NOT_MALICIOUS', 'The finance macro, signed and expected.');
    await az.waitFor(() => seeded.properties.status === 'Closed');
    expect(seeded.properties).toMatchObject({ classification: 'FalsePositive', classificationReason: 'InaccurateData', classificationComment: 'The finance macro, signed and expected.' });
    expect(seeded.properties.owner.assignedTo ?? null).toBeNull(); // resolved as a false positive: unassigned
    expect(labels()).toEqual(expect.arrayContaining(['from-defender', 'crown-jewel', 'finance', app.config.providerName]));
    expect(new Set(labels()).size).toBe(labels().length);
    // what Sentinel shows is what the API's own Sentinel view says
    const view = await sentinelView(t, inc.id);
    expect(view).toMatchObject({ status: 'Closed', classification: 'FalsePositive', classificationReason: 'InaccurateData', owner: null });
    expect(labels()).toEqual(expect.arrayContaining(view.labels));
    expect(seeded.etag).toBe(1 + seeded.puts.length);
  });

  it('while the customer has actions: Active, owner Customer, labelled Awaiting Customer Action; then Closed as a true positive', async () => {
    const az = await sentinel();
    const t = await ownedTenant();
    await connectSentinel(t, az);
    const name = `sentinel-${t.tenant.slug}`;
    const seeded = az.seed(name);
    const inc = await truePositive(app, t, { externalId: name });
    const published = await publishManual(t, inc.id, ['Purge the mail']);
    expect(published.status).toBe('AWAITING_CUSTOMER_ACTION');
    const labels = () => seeded.properties.labels.map((l) => l.labelName);
    await az.waitFor(() => labels().includes('Awaiting Customer Action'));
    expect(seeded.properties).toMatchObject({ status: 'Active', owner: { assignedTo: 'Customer' } });
    expect(seeded.properties.labels.find((l) => l.labelName === 'Awaiting Customer Action')).toEqual({ labelName: 'Awaiting Customer Action', labelType: 'User' });

    await complete(t, published.managedResponse.actions[0].id);
    await az.waitFor(() => seeded.properties.status === 'Closed');
    expect(seeded.properties).toMatchObject({ classification: 'TruePositive', classificationReason: 'SuspiciousActivity', owner: { assignedTo: 'Customer' } });
    expect(labels()).not.toContain('Awaiting Customer Action');
    // every write went through in order: New, Active (investigation, classification), awaiting, Closed
    // one PUT per change, each with the state current when it went out: never backwards
    await waitFor(() => syncDeliveries(inc.id), (d) => d.length === 5 && d.every((x) => x.status === 'SENT'));
    const rank = { New: 0, Active: 1, Closed: 2 } as Record<string, number>;
    const statuses = seeded.puts.map((p) => rank[p.status]);
    expect(statuses).toHaveLength(5);
    expect(statuses).toEqual([...statuses].sort());
    expect(seeded.properties.status).toBe('Closed');
  });

  it('an edit in Sentinel between our read and our write (412) is read again and merged', async () => {
    const az = await sentinel();
    const t = await ownedTenant();
    await connectSentinel(t, az);
    const name = `sentinel-${t.tenant.slug}`;
    const seeded = az.seed(name);
    const inc = await ingest(app, t, { externalId: name });
    await waitFor(() => tickets(t, inc.id), (x) => x[0]?.status === 'SENT');

    // an analyst edits it in Sentinel right after our read: our PUT carries a stale etag
    az.bumpAfterRead(name, 1, (p) => p.labels.push({ labelName: 'Seen by the SOC', labelType: 'User' }));
    const before = az.requestsFor(name).length;
    await start(t, inc.id);
    await az.waitFor(() => seeded.properties.status === 'Active');
    expect(az.requestsFor(name).slice(before).map((r) => [r.method, r.status])).toEqual([
      ['GET', 200],
      ['PUT', 412],
      ['GET', 200],
      ['PUT', 200],
    ]);
    expect(seeded.properties.labels.map((l) => l.labelName)).toContain('Seen by the SOC'); // their edit survives
    expect(seeded.properties.owner.assignedTo).toBe(app.config.providerName);
    // one delivery, one attempt: the re-read is part of it
    const deliveries = await waitFor(() => syncDeliveries(inc.id), (d) => d.length === 2 && d.every((x) => x.status === 'SENT'));
    expect(deliveries.map((d) => d.attempts)).toEqual([1, 1]);
    const [ticket] = await tickets(t, inc.id);
    expect(ticket).toMatchObject({ status: 'SENT', lastError: null });
  });

  it('a DEAD sync call is in the connector\'s log and can be sent again', async () => {
    const az = await sentinel();
    const t = await ownedTenant();
    await connectSentinel(t, az);
    const name = `late-${t.tenant.slug}`;
    const inc = await ingest(app, t, { externalId: name });
    const LOG = `{ tenant { syncConnectors { deliveries(first: 5, filter: { status: [DEAD] }) { nodes { id status attempts lastError incident { id } attemptLog { responseStatus } } } } } }`;
    const dead = await waitFor(
      () => app.gql<any, any>(LOG, {}, t.tokens.ADMIN).then((r) => r.data.tenant.syncConnectors[0].deliveries.nodes),
      (n: any[]) => n.length === 1,
    );
    expect(dead[0]).toMatchObject({ status: 'DEAD', attempts: 1, incident: { id: inc.id }, attemptLog: [{ responseStatus: 404 }] });
    expect(dead[0].lastError).toBe(`Sentinel has no incident ${name}`);
    // Sentinel gets the incident later; the admin sends the call again
    const seeded = az.seed(name);
    const r = await mutate(app, t.tokens.ADMIN, 'redeliverWebhook', { deliveryId: dead[0].id }, 'delivery { status }');
    expect(r.data.redeliverWebhook.errors).toEqual([]);
    await waitFor(() => tickets(t, inc.id), (x) => x[0]?.status === 'SENT');
    expect(seeded.properties.status).toBe('New');
    const other = await newTenant(app);
    expect((await app.gql<any, any>(`query($id: ID!) { node(id: $id) { id } }`, { id: dead[0].id }, other.tokens.ADMIN)).data.node).toBeNull();
  });

  it('edited under us three times running: retried later, not given up', async () => {
    const az = await sentinel();
    const t = await ownedTenant();
    await connectSentinel(t, az);
    const name = `busy-${t.tenant.slug}`;
    const seeded = az.seed(name);
    const inc = await ingest(app, t, { externalId: name });
    await waitFor(() => tickets(t, inc.id), (x) => x[0]?.status === 'SENT');
    az.bumpAfterRead(name, 3);
    await start(t, inc.id);
    await az.waitFor(() => seeded.properties.status === 'Active');
    const deliveries = await waitFor(() => syncDeliveries(inc.id), (d) => d.length === 2 && d.every((x) => x.status === 'SENT'));
    expect(deliveries.map((d) => d.attempts).sort()).toEqual([1, 2]);
  });

  it('the owner is replaced whole, and a tag removed here is removed there (Sentinel\'s own labels stay)', async () => {
    const az = await sentinel();
    const t = await ownedTenant();
    await connectSentinel(t, az);
    const name = `owner-${t.tenant.slug}`;
    const seeded = az.seed(name, {
      owner: { objectId: 'aad-alice', assignedTo: 'Alice', email: 'alice@customer.example', userPrincipalName: 'alice@customer.example' },
      labels: [{ labelName: 'From Sentinel', labelType: 'User' }],
    } as never);
    const inc = await ingest(app, t, { externalId: name });
    await mutate(app, t.tokens.OPERATOR, 'updateIncident', { incidentId: inc.id, tags: ['vip', 'finance'] });
    await start(t, inc.id);
    await az.waitFor(() => seeded.properties.labels.some((l) => l.labelName === 'finance') && seeded.properties.status === 'Active');
    expect(seeded.properties.owner).toMatchObject({ assignedTo: app.config.providerName, objectId: null, email: null });
    await mutate(app, t.tokens.OPERATOR, 'updateIncident', { incidentId: inc.id, tags: ['vip'] });
    await az.waitFor(() => !seeded.properties.labels.some((l) => l.labelName === 'finance'));
    expect(seeded.properties.labels.map((l) => l.labelName).sort()).toEqual(['From Sentinel', 'vip']);
  });

  it('an incident Sentinel does not have: the delivery is DEAD, no ticket, and the connector says so', async () => {
    const az = await sentinel();
    const t = await ownedTenant();
    await connectSentinel(t, az);
    const inc = await ingest(app, t, { externalId: `not-in-sentinel-${t.tenant.slug}` });
    const c = await waitFor(() => connectorOf(t, 'SENTINEL'), (x) => !!x.lastError);
    expect(c.lastError).toBe(`Sentinel has no incident not-in-sentinel-${t.tenant.slug}`);
    const [d] = await waitFor(() => syncDeliveries(inc.id), (x) => x[0]?.status === 'DEAD');
    expect(d).toMatchObject({ target: 'SENTINEL', status: 'DEAD', attempts: 1 });
    expect(az.requests.map((r) => [r.method, r.status])).toEqual([['GET', 404]]);
    expect(await tickets(t, inc.id)).toEqual([]);
    // an incident Sentinel has syncs as usual and clears the connector's error
    const name = `sentinel-${t.tenant.slug}`;
    az.seed(name);
    const other = await ingest(app, t, { externalId: name });
    await waitFor(() => tickets(t, other.id), (x) => x[0]?.status === 'SENT');
    expect((await connectorOf(t, 'SENTINEL')).lastError).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------

describe('commit order', () => {
  it('changes queued while ServiceNow is down reach it in commit order once it is back', async () => {
    const sn = await serviceNow();
    const t = await ownedTenant();
    await connectServiceNow(t, sn);
    const inc = await ingest(app, t, { severity: 'LOW' });
    await waitFor(() => tickets(t, inc.id), (x) => x[0]?.status === 'SENT');
    const record = sn.byCorrelation(inc.id)!;

    sn.failNext(Infinity, 500);
    const outageStart = sn.requests.length;
    await start(t, inc.id);
    await classify(t, inc.id, 'TRUE_POSITIVE', 'PHISHING', 'A credential phish');
    const published = await publishManual(t, inc.id, ['First: reset the password', 'Second: revoke the sessions']);
    await complete(t, published.managedResponse.actions[0].id);
    await complete(t, published.managedResponse.actions[1].id);
    expect((await incident(app, t.tokens.READER, inc.id)).status).toBe('RESOLVED');
    // the first queued change is retried; nothing behind it jumps the queue
    await sn.waitFor(() => sn.requests.length - outageStart >= 3);
    const during = sn.requests.slice(outageStart);
    expect(during.every((r) => r.status === 500 && r.method === 'PATCH' && r.json.work_notes === undefined)).toBe(true);
    expect(record.writes).toHaveLength(1);

    sn.recover();
    await sn.waitFor(() => record.writes.length === 6, 15_000);
    const states = record.writes.map((w) => Number(w.state));
    for (let i = 1; i < states.length; i++) expect(states[i], `write ${i}: ${states.join(', ')}`).toBeGreaterThanOrEqual(states[i - 1]);
    expect(states.at(-1)).toBe(6);
    // the notes arrive in the order of the changes that made them
    const notes = record.journal.join('\n---\n');
    const at = (s: string) => notes.indexOf(s);
    expect(at(summary.narrative)).toBeGreaterThanOrEqual(0);
    expect(at(summary.narrative)).toBeLessThan(at('"First: reset the password": COMPLETED'));
    expect(at('"First: reset the password": COMPLETED')).toBeLessThan(at('"Second: revoke the sessions": COMPLETED'));
    const deliveries = await waitFor(() => syncDeliveries(inc.id), (d) => d.every((x) => x.status === 'SENT'));
    expect(deliveries).toHaveLength(6);
    expect(deliveries[1].attempts).toBeGreaterThan(1);
    expect(deliveries.slice(2).every((d) => d.attempts === 1)).toBe(true);
  });
});
