// Ingestion by INTEGRATION principals (SPEC.md sections 2-4): idempotent on externalId, new alerts
// join a known incident, devices named in evidence join the tenant's fleet once, evidence is
// validated with a field path and nothing half-written, and concurrent deliveries make one incident.
import { randomUUID } from 'node:crypto';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activity, alerts, deviceFiles, devices, evidence, incidents, tenants } from '../src/db/schema';
import { startApp, type TestApp } from './helpers/app';
import { encodeGlobalID, incidentInput, newTenant, type TenantFixture } from './helpers/factory';
import { IncidentActivityQuery, IngestDetailMutation, NodeQuery } from './ops';

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app?.close();
});

type Input = ReturnType<typeof incidentInput>;
const ingest = (t: TenantFixture, input: Input | Record<string, unknown>) =>
  app.gql(IngestDetailMutation, { input: input as never }, t.tokens.INTEGRATION);

/** Rows the tenant owns in every table ingestion writes to. */
async function footprint(t: TenantFixture) {
  const db = app.database.db;
  const count = async (table: typeof incidents | typeof alerts | typeof evidence | typeof devices | typeof deviceFiles | typeof activity) =>
    Number((await db.select({ n: sql<number>`count(*)::int` }).from(table).where(eq(table.tenantId, t.tenant.id)))[0].n);
  const [tenant] = await db.select().from(tenants).where(eq(tenants.id, t.tenant.id));
  return {
    incidents: await count(incidents),
    alerts: await count(alerts),
    evidence: await count(evidence),
    devices: await count(devices),
    files: await count(deviceFiles),
    activity: await count(activity),
    lastIncidentNumber: tenant.lastIncidentNumber,
  };
}

const alert = (externalId: string, evidenceList: unknown[], over: Record<string, unknown> = {}) => ({
  externalId,
  title: `Alert ${externalId}`,
  severity: 'MEDIUM',
  evidence: evidenceList,
  ...over,
});

describe('a new incident', () => {
  it('starts ACTIVE and UNASSIGNED, numbered per tenant, scored, with its evidence in order', async () => {
    const t = await newTenant(app);
    const first = await ingest(t, incidentInput({ severity: 'HIGH' }));
    const input = incidentInput({ severity: 'LOW' });
    input.alerts[0].evidence[1] = { file: { deviceName: 'ws-9', fileName: 'a.exe', sha256: 'ABCDEF'.padEnd(64, '0') } } as never;
    const second = await ingest(t, input);
    expect(first.data?.ingestIncident).toMatchObject({ created: true, errors: [], incident: { number: 1 } });
    expect(second.data?.ingestIncident.incident?.number).toBe(2);
    const inc = second.data!.ingestIncident.incident!;
    expect(inc.alerts.nodes[0].evidence.map((e) => e.kind)).toEqual(['DEVICE', 'FILE', 'PROCESS', 'USER']);
    const [row] = await app.database.db.select().from(incidents).where(eq(incidents.id, decodeGlobalID(inc.id).id));
    expect(row).toMatchObject({ status: 'ACTIVE', assignment: 'UNASSIGNED', classification: 'UNKNOWN', determination: 'UNKNOWN', version: 1 });
    expect(inc.priorityScore).toBe(20);
    expect(first.data?.ingestIncident.incident?.priorityScore).toBe(60);
    const [file] = await app.database.db.select().from(deviceFiles).where(eq(deviceFiles.fileName, 'a.exe'));
    expect(file.sha256).toBe('abcdef'.padEnd(64, '0'));
    const log = await app.gql(IncidentActivityQuery, { id: inc.id }, t.tokens.READER);
    expect((log.data?.node as { activity: unknown }).activity).toEqual({
      totalCount: 1,
      nodes: [{ field: 'STATUS', from: null, to: 'ACTIVE', actor: { id: encodeGlobalID('Principal', t.principals.INTEGRATION.id) }, actorSide: 'CUSTOMER' }],
    });
  });

  it('scores evidence on a high-value asset higher', async () => {
    const t = await newTenant(app);
    const plain = await ingest(t, incidentInput({ severity: 'MEDIUM' }));
    const input = incidentInput({ severity: 'MEDIUM' });
    input.alerts[0].evidence[0] = { device: { deviceName: `DC-${randomUUID().slice(0, 4)}`, deviceGroup: 'Domain Controllers' } } as never;
    const dc = await ingest(t, input);
    expect(dc.data!.ingestIncident.incident!.priorityScore! - plain.data!.ingestIncident.incident!.priorityScore!).toBe(15);
  });
});

describe('idempotency on externalId', () => {
  it('the same delivery twice makes one incident; the second answers created: false and changes nothing', async () => {
    const t = await newTenant(app);
    const input = incidentInput();
    const once = await ingest(t, input);
    const before = await footprint(t);
    const twice = await ingest(t, input);
    expect(twice.data?.ingestIncident).toMatchObject({ created: false, errors: [] });
    expect(twice.data?.ingestIncident.incident).toEqual(once.data?.ingestIncident.incident);
    expect(await footprint(t)).toEqual(before);
    expect(before.incidents).toBe(1);
  });

  it('new alerts for a known externalId join the incident, with an activity entry', async () => {
    const t = await newTenant(app);
    const input = incidentInput();
    const first = (await ingest(t, input)).data!.ingestIncident.incident!;
    const more = {
      ...input,
      alerts: [input.alerts[0], alert(`${input.externalId}-a2`, [{ ip: { address: '198.51.100.7' } }]), alert(`${input.externalId}-a3`, [{ url: { url: 'https://evil.example/x' } }])],
    };
    const r = await ingest(t, more);
    expect(r.data?.ingestIncident).toMatchObject({ created: false, errors: [], incident: { id: first.id, number: first.number, version: 2, alerts: { totalCount: 3 } } });
    expect(r.data!.ingestIncident.incident!.priorityScore).toBe(first.priorityScore! + 6);
    const log = await app.gql(IncidentActivityQuery, { id: first.id }, t.tokens.READER);
    const entries = (log.data?.node as { activity: { nodes: { field: string; from?: string | null; to?: string | null }[] } }).activity.nodes;
    expect(entries.at(-1)).toMatchObject({ field: 'ALERTS', from: '1', to: '3' });
    // and again: nothing new, nothing written
    const before = await footprint(t);
    const again = await ingest(t, more);
    expect(again.data?.ingestIncident).toMatchObject({ created: false, incident: { version: 2, alerts: { totalCount: 3 } } });
    expect(await footprint(t)).toEqual(before);
  });

  it("an alert that already belongs to another incident is not moved; an incident of only such alerts is refused", async () => {
    const t = await newTenant(app);
    const x = incidentInput();
    await ingest(t, x);
    const before = await footprint(t);
    const onlyKnown = await ingest(t, { ...incidentInput(), alerts: [x.alerts[0]] });
    expect(onlyKnown.data?.ingestIncident).toMatchObject({ created: false, incident: null, errors: [{ code: 'INVALID_INPUT', field: ['input', 'alerts'] }] });
    expect(await footprint(t)).toEqual(before);
    const y = incidentInput();
    const mixed = await ingest(t, { ...y, alerts: [x.alerts[0], y.alerts[0]] });
    expect(mixed.data?.ingestIncident).toMatchObject({ created: true, incident: { alerts: { totalCount: 1, nodes: [{ externalId: y.alerts[0].externalId }] } } });
  });
});

describe('devices named in evidence', () => {
  it('are created once per tenant, matched by name whatever the case, and reported ACTIVE again', async () => {
    const t = await newTenant(app);
    const other = await newTenant(app);
    const name = `Shared-PC-${randomUUID().slice(0, 6)}`;
    const withDevice = (deviceName: string, extra: Record<string, unknown> = {}) => {
      const input = incidentInput();
      input.alerts[0].evidence = [{ device: { deviceName, ...extra } }, { file: { deviceName: deviceName.toLowerCase(), fileName: 'x.dll' } }] as never;
      return input;
    };
    const a = (await ingest(t, withDevice(name))).data!.ingestIncident.incident!;
    await app.database.db.update(devices).set({ healthStatus: 'INACTIVE' }).where(eq(devices.id, decodeGlobalID(a.devices[0].id).id));
    const b = (await ingest(t, withDevice(name.toUpperCase(), { deviceGroup: 'Finance', osPlatform: 'Windows11' }))).data!.ingestIncident.incident!;
    const c = (await ingest(other, withDevice(name))).data!.ingestIncident.incident!;
    expect(a.devices).toHaveLength(1);
    expect(b.devices.map((d) => d.id)).toEqual(a.devices.map((d) => d.id));
    // the later evidence filled in what was unknown, and the device has just reported
    expect(b.devices[0]).toMatchObject({ name, deviceGroup: 'Finance', osPlatform: 'Windows11', healthStatus: 'ACTIVE' });
    expect(c.devices[0].id).not.toBe(a.devices[0].id);
    const fleet = await app.database.db
      .select()
      .from(devices)
      .where(and(eq(devices.tenantId, t.tenant.id), sql`lower(${devices.name}) = ${name.toLowerCase()}`));
    expect(fleet).toHaveLength(1);
    // the other tenant's device is invisible to this tenant
    const foreign = await app.gql(NodeQuery, { id: c.devices[0].id }, t.tokens.READER);
    expect(foreign.data?.node).toBeNull();
  });
});

describe('validation: INVALID_INPUT with a field path, nothing written', () => {
  // The bad item comes second, after evidence that would create a new device, so that a
  // half-done write would show in the footprint.
  const cases: [string, unknown, string[]][] = [
    ['no member set', {}, ['evidence', '1']],
    ['two members set', { ip: { address: '10.0.0.1' }, url: { url: 'https://x.example' } }, ['evidence', '1']],
    ['a sha256 that is not hex', { file: { deviceName: 'd', fileName: 'f', sha256: 'z'.repeat(64) } }, ['evidence', '1', 'file', 'sha256']],
    ['a sha256 of 63 characters', { file: { deviceName: 'd', fileName: 'f', sha256: 'a'.repeat(63) } }, ['evidence', '1', 'file', 'sha256']],
    ['a sha1 of 41 characters', { file: { deviceName: 'd', fileName: 'f', sha1: 'a'.repeat(41) } }, ['evidence', '1', 'file', 'sha1']],
    ['an IPv4 address out of range', { ip: { address: '999.1.1.1' } }, ['evidence', '1', 'ip', 'address']],
    ['a truncated IPv4 address', { ip: { address: '10.0.1' } }, ['evidence', '1', 'ip', 'address']],
    ['a word as IP address', { ip: { address: 'localhost' } }, ['evidence', '1', 'ip', 'address']],
    ['colons as IPv6 address', { ip: { address: ':::::' } }, ['evidence', '1', 'ip', 'address']],
    ['a truncated IPv6 address', { ip: { address: '2001:db8' } }, ['evidence', '1', 'ip', 'address']],
    ['a relative URL', { url: { url: '/login.php' } }, ['evidence', '1', 'url', 'url']],
    ['text as URL', { url: { url: 'not a url' } }, ['evidence', '1', 'url', 'url']],
    ['an empty device name', { device: { deviceName: '   ' } }, ['evidence', '1', 'device', 'deviceName']],
    ['a device name of 301 characters', { device: { deviceName: 'd'.repeat(301) } }, ['evidence', '1', 'device', 'deviceName']],
    ['a negative process id', { process: { processName: 'x.exe', processId: -4 } }, ['evidence', '1', 'process', 'processId']],
    ['an empty account name', { user: { accountName: '' } }, ['evidence', '1', 'user', 'accountName']],
  ];

  it.each(cases)('evidence with %s', async (_label, bad, path) => {
    const t = await newTenant(app);
    const input = incidentInput();
    input.alerts[0].evidence = [{ device: { deviceName: `NEW-${randomUUID().slice(0, 6)}` } }, bad] as never;
    const before = await footprint(t);
    const r = await ingest(t, input);
    expect(r.errors).toBeUndefined();
    expect(r.data?.ingestIncident).toMatchObject({
      created: false,
      incident: null,
      errors: [{ code: 'INVALID_INPUT', field: ['input', 'alerts', '0', ...path] }],
    });
    expect(await footprint(t)).toEqual(before);
  });

  it.each<[string, (i: Input) => Record<string, unknown>, string[]]>([
    ['no alerts', (i) => ({ ...i, alerts: [] }), ['input', 'alerts']],
    ['201 alerts', (i) => ({ ...i, alerts: Array.from({ length: 201 }, (_, n) => ({ ...i.alerts[0], externalId: `${i.externalId}-${n}` })) }), ['input', 'alerts']],
    ['the same alert externalId twice', (i) => ({ ...i, alerts: [i.alerts[0], { ...i.alerts[0], title: 'again' }] }), ['input', 'alerts', '1', 'externalId']],
    ['an empty title', (i) => ({ ...i, title: ' ' }), ['input', 'title']],
    ['a title of 501 characters', (i) => ({ ...i, title: 't'.repeat(501) }), ['input', 'title']],
    ['an externalId of 201 characters', (i) => ({ ...i, externalId: 'e'.repeat(201) }), ['input', 'externalId']],
    ['a description over 30,000 characters', (i) => ({ ...i, description: 'd'.repeat(30_001) }), ['input', 'description']],
    ['first activity in the future', (i) => ({ ...i, firstActivityAt: new Date(Date.now() + 86_400_000).toISOString() }), ['input', 'firstActivityAt']],
    ['an alert created in the future', (i) => ({ ...i, alerts: [{ ...i.alerts[0], createdAt: '2999-01-01T00:00:00Z' }] }), ['input', 'alerts', '0', 'createdAt']],
  ])('an incident with %s', async (_label, make, field) => {
    const t = await newTenant(app);
    const before = await footprint(t);
    const r = await ingest(t, make(incidentInput()));
    expect(r.data?.ingestIncident).toMatchObject({ created: false, incident: null, errors: [{ code: 'INVALID_INPUT', field }] });
    expect(r.data?.ingestIncident.errors[0].message).toBeTruthy();
    expect(await footprint(t)).toEqual(before);
  });

  it('accepts every well-formed kind of evidence', async () => {
    const t = await newTenant(app);
    const input = incidentInput();
    input.alerts[0].evidence = [
      { device: { deviceName: 'SRV1', deviceGroup: 'Servers', osPlatform: 'WindowsServer2022' } },
      { file: { deviceName: 'SRV1', fileName: 'x.exe', filePath: 'C:\\x', sha1: 'A'.repeat(40), sha256: 'b'.repeat(64) } },
      { process: { processName: 'cmd.exe', commandLine: 'cmd /c whoami', processId: 4242 } },
      { user: { accountName: 'svc-backup', domain: 'CORP', userPrincipalName: 'svc-backup@corp.example' } },
      { ip: { address: '2001:db8::1' } },
      { ip: { address: '255.255.255.255' } },
      { ip: { address: 'fe80::1%eth0' } },
      { url: { url: 'https://evil.example/payload?x=1' } },
    ] as never;
    const r = await ingest(t, input);
    expect(r.data?.ingestIncident.errors).toEqual([]);
    expect(r.data?.ingestIncident.incident?.alerts.nodes[0].evidence.map((e) => e.value)).toEqual([
      'SRV1',
      'x.exe',
      'cmd.exe',
      'svc-backup',
      '2001:db8::1',
      '255.255.255.255',
      'fe80::1%eth0',
      'https://evil.example/payload?x=1',
    ]);
  });
});

describe('concurrent deliveries', () => {
  it('ten deliveries of the same externalId at once make exactly one incident', async () => {
    const t = await newTenant(app);
    const input = incidentInput();
    const results = await Promise.all(Array.from({ length: 10 }, () => ingest(t, input)));
    for (const r of results) expect(r.data?.ingestIncident.errors).toEqual([]);
    expect(results.filter((r) => r.data?.ingestIncident.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.data?.ingestIncident.incident?.id)).size).toBe(1);
    const fp = await footprint(t);
    expect(fp).toMatchObject({ incidents: 1, alerts: 1, lastIncidentNumber: 1 });
  });

  it('deliveries of one incident carrying different alerts lose none of them', async () => {
    const t = await newTenant(app);
    const input = incidentInput();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => ingest(t, { ...input, alerts: [alert(`${input.externalId}-p${i}`, [{ device: { deviceName: 'SAME-HOST' } }])] })),
    );
    expect(results.filter((r) => r.data?.ingestIncident.created)).toHaveLength(1);
    expect(await footprint(t)).toMatchObject({ incidents: 1, alerts: 6, devices: 1 });
  });

  it('different incidents at once get distinct consecutive numbers', async () => {
    const t = await newTenant(app);
    const results = await Promise.all(Array.from({ length: 10 }, () => ingest(t, incidentInput())));
    const numbers = results.map((r) => r.data!.ingestIncident.incident!.number).sort((a, b) => a - b);
    expect(numbers).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });
});
