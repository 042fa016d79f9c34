// Remediation exclusions (SPEC.md section 4): "experts never act on them. Matching is
// case-insensitive and ignores surrounding whitespace. A device's group [...] is tenant inventory:
// ingestion sets [it] for a new entity and never silently moves an existing one (a changed group
// in evidence is recorded as an activity entry for the tenant to confirm); exclusions are checked
// when an expert publishes, performs and again when the executor runs the attempt."
import { randomUUID } from 'node:crypto';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activity, devices } from '../src/db/schema';
import { startApp, type TestApp } from './helpers/app';
import { encodeGlobalID, newTenant, type TenantFixture } from './helpers/factory';
import { incident, ingest, mutate, summary, truePositive, waitFor } from './helpers/response';
import { IncidentActivityQuery } from './ops';

const local = (gid: string) => decodeGlobalID(gid).id;

/** This file's tenants: the only work its executor may claim on a shared database. */
const mine = new Set<string>();
let app: TestApp;
beforeAll(async () => {
  app = await startApp({ execution: { enabled: true, actionTimeoutMs: 60_000, pollMs: 50, leaseMs: 2_000 } } as never, { executor: { scope: () => [...mine] } });
});
afterAll(async () => {
  await app?.close();
});

async function tenant(opts: Parameters<typeof newTenant>[1]) {
  const t = await newTenant(app, opts);
  mine.add(t.tenant.id);
  return t;
}

/** One alert whose evidence names the device (with a group) and a file on it. */
function naming(deviceName: string, deviceGroup: string) {
  const ext = `alert-${randomUUID()}`;
  return {
    alerts: [
      {
        externalId: ext,
        title: 'Credential dumping',
        severity: 'HIGH' as const,
        evidence: [
          { device: { deviceName, deviceGroup } },
          { file: { deviceName, fileName: 'mimikatz.exe', filePath: 'C:\\Temp', sha256: 'b'.repeat(64) } },
        ],
      },
    ],
  };
}

async function publishIsolation(t: TenantFixture, inc: { id: string; devices: { id: string }[] }) {
  const r = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', { incidentId: inc.id, summary, actions: [{ kind: 'ISOLATE_DEVICE', targetId: inc.devices[0].id }] });
  expect(r.data.publishManagedResponse.errors).toEqual([]);
  return r.data.publishManagedResponse.incident;
}

async function groupEntries(incId: string) {
  return app.database.db
    .select()
    .from(activity)
    .where(and(eq(activity.incidentId, local(incId)), eq(activity.field, 'deviceGroup')));
}

describe('a device group is tenant inventory', () => {
  it('evidence naming an excluded device with another group does not move it; the discrepancy is in the activity; the experts still may not act', async () => {
    const t = await tenant({ serviceAccessLevel: 'OPERATOR', remediationExclusions: ['Domain Controllers'] });
    const dc = `DC-${randomUUID().slice(0, 6)}`;
    const first = await ingest(app, t, naming(dc, 'Domain Controllers'));
    expect(first.devices[0].deviceGroup).toBe('Domain Controllers');

    // the integration now claims the domain controller is a workstation
    const inc = await truePositive(app, t, naming(dc.toLowerCase(), 'Workstations'));
    expect(inc.devices).toEqual([expect.objectContaining({ id: first.devices[0].id, deviceGroup: 'Domain Controllers' })]);
    const [row] = await app.database.db.select().from(devices).where(eq(devices.id, local(first.devices[0].id)));
    expect(row.deviceGroup).toBe('Domain Controllers');

    // the tenant sees what the evidence claimed, from the integration, on the incident ingested
    const log = await app.gql(IncidentActivityQuery, { id: inc.id }, t.tokens.READER);
    const nodes = (log.data?.node as { activity: { nodes: unknown[] } }).activity.nodes;
    expect(nodes).toContainEqual({
      field: 'DEVICE_GROUP',
      from: 'Domain Controllers',
      to: 'Workstations',
      actor: { id: encodeGlobalID('Principal', t.principals.INTEGRATION.id) },
      actorSide: 'CUSTOMER',
    });
    const [entry] = await groupEntries(inc.id);
    expect(entry.subjectId).toBe(row.id);
    expect(entry.note).toMatch(/not applied/i);
    expect(entry.note).toMatch(/confirm/i);

    // the same group spelled differently is no discrepancy
    const same = await ingest(app, t, naming(dc, 'domain controllers'));
    expect(await groupEntries(same.id)).toEqual([]);
    expect(same.devices[0].deviceGroup).toBe('Domain Controllers');

    // the experts' publish leaves the card to the customer, and their perform is refused
    const published = await publishIsolation(t, inc);
    const card = published.managedResponse.actions[0];
    expect(card).toMatchObject({ status: 'PENDING', performedBy: null, viewerCanPerform: false });
    expect(card.leftToCustomerReason).toMatch(/"Domain Controllers" is excluded/);
    expect(published).toMatchObject({ status: 'AWAITING_CUSTOMER_ACTION', assignment: 'CUSTOMER' });
    const refused = await mutate(app, t.tokens.EXPERT, 'performAction', { actionId: card.id }, 'action { id }');
    expect(refused.data.performAction.errors[0].code).toBe('TARGET_EXCLUDED');
    expect((await incident(app, t.tokens.READER, inc.id)).managedResponse.actions[0].target.isolated).toBe(false);
  });

  it('ingestion on the same externalId also records the discrepancy on that incident', async () => {
    const t = await tenant({ serviceAccessLevel: 'OPERATOR', remediationExclusions: ['Domain Controllers'] });
    const dc = `DC-${randomUUID().slice(0, 6)}`;
    const externalId = `ext-${randomUUID()}`;
    const first = await ingest(app, t, { externalId, ...naming(dc, 'Domain Controllers') });
    const again = await ingest(app, t, { externalId, ...naming(dc, 'Workstations') });
    expect(again.id).toBe(first.id);
    expect(again.devices[0].deviceGroup).toBe('Domain Controllers');
    expect((await groupEntries(first.id)).map((e) => [e.fromValue, e.toValue])).toEqual([['Domain Controllers', 'Workstations']]);
  });
});

describe('matching ignores case and surrounding whitespace', () => {
  // [case, the tenant's exclusions, the device's group in the inventory]
  it.each([
    ['exclusion in lower case', ['domain controllers'], 'Domain Controllers'],
    ['exclusion with surrounding whitespace', [' Domain Controllers '], 'Domain Controllers'],
    ['device group in lower case', ['Domain Controllers'], 'domain controllers'],
    ['device group with surrounding whitespace', ['DOMAIN CONTROLLERS'], '  Domain Controllers\t'],
  ])('%s: left to the customer at publish, refused to the experts', async (_case, exclusions, group) => {
    const t = await tenant({ serviceAccessLevel: 'OPERATOR', remediationExclusions: exclusions });
    const inc = await truePositive(app, t, naming(`DC-${randomUUID().slice(0, 6)}`, 'Domain Controllers'));
    // the inventory's spelling (evidence is trimmed on the way in, so set it as inventory tools might)
    await app.database.db.update(devices).set({ deviceGroup: group }).where(eq(devices.id, local(inc.devices[0].id)));
    const published = await publishIsolation(t, inc);
    const card = published.managedResponse.actions[0];
    expect(card).toMatchObject({ status: 'PENDING', performedBy: null, viewerCanPerform: false });
    expect(card.viewerCannotPerformReason).toMatch(/excluded from expert remediation/);
    expect(published.status).toBe('AWAITING_CUSTOMER_ACTION');
    const refused = await mutate(app, t.tokens.EXPERT, 'performAction', { actionId: card.id }, 'action { id }');
    expect(refused.data.performAction.errors[0].code).toBe('TARGET_EXCLUDED');
  });

  it('another group is not excluded: the experts act', async () => {
    const t = await tenant({ serviceAccessLevel: 'OPERATOR', remediationExclusions: ['Domain Controllers 2'] });
    const inc = await truePositive(app, t, naming(`DC-${randomUUID().slice(0, 6)}`, 'Domain Controllers'));
    const published = await publishIsolation(t, inc);
    expect(published.managedResponse.actions[0]).toMatchObject({ performedBy: 'EXPERTS', leftToCustomerReason: null });
    const done = await waitFor(() => incident(app, t.tokens.READER, inc.id), (i) => i.status === 'RESOLVED');
    expect(done.managedResponse.actions[0].target.isolated).toBe(true);
  });

  it('an admin setting the exclusions gets one entry per group as matching sees it', async () => {
    const t = await tenant({ serviceAccessLevel: 'OPERATOR' });
    const r = await mutate(app, t.tokens.ADMIN, 'setRemediationExclusions', { deviceGroups: [' Servers', 'Domain Controllers', 'servers ', 'DOMAIN controllers'] }, 'tenant { remediationExclusions }');
    expect(r.data.setRemediationExclusions).toEqual({ tenant: { remediationExclusions: ['Servers', 'Domain Controllers'] }, errors: [] });
  });
});

describe('the executor checks again before it runs', () => {
  it('a group excluded after publishing, while the experts\' attempt is queued: never run on the device; the card goes back to the customer', async () => {
    const t = await tenant({ serviceAccessLevel: 'OPERATOR' });
    const inc = await truePositive(app, t, naming(`WS-${randomUUID().slice(0, 6)}`, 'Workstations'));
    // Queued and not run: this file's executor is stopped, and the device is offline so that no
    // other executor on a shared database can run the action before the exclusion lands either.
    await app.server.executor.stop();
    try {
      expect((await mutate(app, t.tokens.ADMIN, 'setDeviceHealth', { deviceId: inc.devices[0].id, health: 'INACTIVE' }, 'device { id }')).data.setDeviceHealth.errors).toEqual([]);
      const published = await publishIsolation(t, inc);
      expect(published.managedResponse.actions[0]).toMatchObject({ status: 'IN_PROGRESS', performedBy: 'EXPERTS' });
      expect(published.status).toBe('IN_PROGRESS');
      const [attempt] = await app.database.query<{ state: string }>('select state from action_attempts where tenant_id = $1', [t.tenant.id]);
      expect(['QUEUED', 'WAITING']).toContain(attempt.state);

      // the admin excludes the group (in another spelling), then the device comes back
      const set = await mutate(app, t.tokens.ADMIN, 'setRemediationExclusions', { deviceGroups: [' workstations '] }, 'tenant { id }');
      expect(set.data.setRemediationExclusions.errors).toEqual([]);
      await mutate(app, t.tokens.ADMIN, 'setDeviceHealth', { deviceId: inc.devices[0].id, health: 'ACTIVE' }, 'device { id }');
    } finally {
      app.server.executor.start();
    }

    // (both settled: one request reads the incident and its cards in separate statements, so a
    // read during the commit can see the card's new state beside the incident's old one)
    const after = await waitFor(() => incident(app, t.tokens.READER, inc.id), (i) => i.managedResponse.actions[0].status !== 'IN_PROGRESS' && i.status !== 'IN_PROGRESS');
    const card = after.managedResponse.actions[0];
    expect(card).toMatchObject({ status: 'FAILED', section: 'PENDING', performedBy: 'EXPERTS', target: { isolated: false } });
    expect(card.failureReason).toMatch(/^TARGET_EXCLUDED: device group "Workstations"/);
    expect(card.leftToCustomerReason).toMatch(/"Workstations" is excluded/);
    expect(card.attempts).toEqual([{ number: 1, side: 'EXPERTS', state: 'FAILED', failureReason: card.failureReason, connector: 'fleet' }]);
    // a card left for the customer: AWAITING_CUSTOMER_ACTION, the customer's turn
    expect(after).toMatchObject({ status: 'AWAITING_CUSTOMER_ACTION', assignment: 'CUSTOMER' });

    // the experts may not retry it; the customer may perform it on their own device
    const expert = await mutate(app, t.tokens.EXPERT, 'performAction', { actionId: card.id }, 'action { id }');
    expect(expert.data.performAction.errors[0].code).toBe('TARGET_EXCLUDED');
    const customer = await mutate(app, t.tokens.OPERATOR, 'performAction', { actionId: card.id }, 'action { status }');
    expect(customer.data.performAction.action.status).toBe('IN_PROGRESS');
    const done = await waitFor(() => incident(app, t.tokens.READER, inc.id), (i) => i.status === 'RESOLVED');
    expect(done.managedResponse.actions[0]).toMatchObject({ status: 'COMPLETED', performedBy: 'CUSTOMER', target: { isolated: true } });
  });
});
