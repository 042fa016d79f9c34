// Concurrent writers on the same object (SPEC.md sections 3 and 4): two operators pressing
// "perform" on one card at the same moment start it once; two experts classifying one incident at
// once leave one classification and one user error; an action already running on a target is
// not started a second time from another card (ALREADY_IN_PROGRESS), with nothing written.
import { decodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from './helpers/app';
import { expertServing, newTenant } from './helpers/factory';
import { incident, ingest, mutate, summary, truePositive, waitFor } from './helpers/response';

let app: TestApp;
beforeAll(async () => {
  app = await startApp({ execution: { enabled: true, actionTimeoutMs: 60_000, pollMs: 50, leaseMs: 2_000 } } as never);
});
afterAll(async () => {
  await app?.close();
});

const local = (gid: string) => decodeGlobalID(gid).id;

async function count(sqlText: string, params: unknown[]): Promise<number> {
  const [row] = await app.database.query<{ n: number }>(sqlText, params);
  return Number(row.n);
}

const attemptsOf = (cardGid: string) => count('select count(*)::int as n from action_attempts where action_id = $1', [local(cardGid)]);
const activityOf = (incidentGid: string) => count('select count(*)::int as n from activity where incident_id = $1', [local(incidentGid)]);

/** Evidence naming one device, so that several incidents share the same fleet device. */
function onDevice(deviceName: string) {
  return {
    alerts: [
      {
        externalId: `alert-${Math.random().toString(36).slice(2)}`,
        title: 'Ransomware behaviour',
        severity: 'HIGH' as const,
        evidence: [{ device: { deviceName, deviceGroup: 'Servers', osPlatform: 'WindowsServer2022' } }],
      },
    ],
  };
}

describe('performAction on one card, 20 requests at once', () => {
  it('starts it exactly once: one success, user errors for the rest, one attempt, card COMPLETED', async () => {
    const t = await newTenant(app, { serviceAccessLevel: 'READER' });
    const inc = await truePositive(app, t);
    const pub = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', {
      incidentId: inc.id,
      summary,
      actions: [{ kind: 'ISOLATE_DEVICE', targetId: inc.devices[0].id }],
    });
    expect(pub.data.publishManagedResponse.errors).toEqual([]);
    const card = pub.data.publishManagedResponse.incident.managedResponse.actions[0];
    expect(card.status).toBe('PENDING');

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        mutate(app, i % 2 ? t.tokens.ADMIN : t.tokens.OPERATOR, 'performAction', { actionId: card.id }, 'action { id status performedBy }'),
      ),
    );
    // no request crashed (a deadlock or unique violation would surface as a masked top-level error)
    for (const r of results) expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    const ok = results.filter((r) => r.data.performAction.errors.length === 0);
    const refused = results.filter((r) => r.data.performAction.errors.length > 0);
    expect(ok).toHaveLength(1);
    expect(ok[0].data.performAction.action).toMatchObject({ status: 'IN_PROGRESS', performedBy: 'CUSTOMER' });
    expect(refused).toHaveLength(19);
    for (const r of refused) {
      expect(['INVALID_TRANSITION', 'ALREADY_IN_PROGRESS']).toContain(r.data.performAction.errors[0].code);
      expect(r.data.performAction.action).toBeNull();
    }

    // (the incident row and its cards are separate reads: wait for both to settle)
    const done = await waitFor(() => incident(app, t.tokens.READER, inc.id), (i) => i.managedResponse.actions[0].status === 'COMPLETED' && i.status === 'RESOLVED');
    expect(await attemptsOf(card.id)).toBe(1);
    expect(done.managedResponse.actions[0].attempts).toEqual([{ number: 1, side: 'CUSTOMER', state: 'COMPLETED', failureReason: null, connector: 'fleet' }]);
    expect(done.managedResponse.actions[0].target.isolated).toBe(true);
    expect(done).toMatchObject({ status: 'RESOLVED', assignment: 'CUSTOMER' });
    // the activity log shows the card started once and completed once
    const act = await app.gql<any, any>(
      `query($id: ID!) { node(id: $id) { ... on Incident { activity(first: 100) { nodes { field from to note } } } } }`,
      { id: inc.id },
      t.tokens.READER,
    );
    // (one card on this incident: every 'action' entry is about it)
    const cardEntries = act.data.node.activity.nodes.filter((a: any) => a.field === 'ACTION');
    expect(cardEntries.map((a: any) => a.to)).toEqual(['PENDING', 'IN_PROGRESS', 'COMPLETED']);
    expect(cardEntries.filter((a: any) => a.to === 'IN_PROGRESS')).toHaveLength(1);
    expect(cardEntries.filter((a: any) => a.to === 'COMPLETED')).toHaveLength(1);
  });
});

describe('two experts classifying one incident at once', () => {
  it('leaves one classification and one INVALID_TRANSITION, every time', async () => {
    const t = await newTenant(app);
    const second = await expertServing(app, [t.tenant]);
    for (let round = 0; round < 4; round++) {
      const inc = await ingest(app, t);
      expect((await mutate(app, t.tokens.EXPERT, 'startInvestigation', { incidentId: inc.id })).data.startInvestigation.errors).toEqual([]);
      // alternate who goes for which verdict, so either may win
      const [tp, fp] = round % 2 ? [t.tokens.EXPERT, second.token] : [second.token, t.tokens.EXPERT];
      const [a, b] = await Promise.all([
        mutate(app, tp, 'classifyIncident', { incidentId: inc.id, classification: 'TRUE_POSITIVE', determination: 'MALWARE', summary: 'Malware' }),
        mutate(app, fp, 'classifyIncident', { incidentId: inc.id, classification: 'FALSE_POSITIVE', determination: 'NOT_MALICIOUS', summary: 'Benign admin script' }),
      ]);
      expect(a.errors).toBeUndefined();
      expect(b.errors).toBeUndefined();
      const outcomes = [a.data.classifyIncident, b.data.classifyIncident];
      const winners = outcomes.filter((o) => o.errors.length === 0);
      const losers = outcomes.filter((o) => o.errors.length > 0);
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(1);
      expect(losers[0].errors[0].code).toBe('INVALID_TRANSITION');
      expect(losers[0].incident).toBeNull();

      const after = await app.gql<any, any>(
        `query($id: ID!) { node(id: $id) { ... on Incident { status classification determination version activity(first: 100) { nodes { field to } } } } }`,
        { id: inc.id },
        t.tokens.READER,
      );
      const node = after.data.node;
      expect(node.classification).toBe(winners[0].incident.classification);
      expect(node.status).toBe(node.classification === 'TRUE_POSITIVE' ? 'IN_PROGRESS' : 'RESOLVED');
      expect(node.version).toBe(winners[0].incident.version);
      expect(node.activity.nodes.filter((e: any) => e.field === 'CLASSIFICATION')).toEqual([{ field: 'CLASSIFICATION', to: node.classification }]);
      expect(node.activity.nodes.filter((e: any) => e.field === 'DETERMINATION')).toHaveLength(1);
    }
  });

  it('two experts starting the same investigation at once: one starts it, the other gets INVALID_TRANSITION', async () => {
    const t = await newTenant(app);
    const second = await expertServing(app, [t.tenant]);
    const inc = await ingest(app, t);
    const rs = await Promise.all([t.tokens.EXPERT, second.token].map((tok) => mutate(app, tok, 'startInvestigation', { incidentId: inc.id })));
    const codes = rs.map((r) => r.data.startInvestigation.errors[0]?.code ?? 'OK').sort();
    expect(codes).toEqual(['INVALID_TRANSITION', 'OK']);
    const act = await app.gql<any, any>(
      `query($id: ID!) { node(id: $id) { ... on Incident { activity(first: 100) { nodes { field to } } } } }`,
      { id: inc.id },
      t.tokens.READER,
    );
    expect(act.data.node.activity.nodes.filter((e: any) => e.field === 'STATUS' && e.to === 'IN_PROGRESS')).toHaveLength(1);
  });
});

describe('ALREADY_IN_PROGRESS: one action of a kind per target at a time', () => {
  it('a second card of the same kind on the same (offline) device is refused with nothing written, then runs once the first finished', async () => {
    const t = await newTenant(app, { serviceAccessLevel: 'READER' });
    const deviceName = `SRV-${Math.random().toString(36).slice(2, 8)}`;
    const inc1 = await truePositive(app, t, onDevice(deviceName));
    const inc2 = await truePositive(app, t, onDevice(deviceName));
    expect(inc1.devices[0].id).toBe(inc2.devices[0].id); // one fleet device, matched by name
    const device = inc1.devices[0].id;
    const publish = async (incId: string) => {
      const r = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', { incidentId: incId, summary, actions: [{ kind: 'ISOLATE_DEVICE', targetId: device }] });
      expect(r.data.publishManagedResponse.errors).toEqual([]);
      return r.data.publishManagedResponse.incident.managedResponse.actions[0];
    };
    const card1 = await publish(inc1.id);
    const card2 = await publish(inc2.id);

    // the device is offline: the first action waits, IN_PROGRESS
    const off = await mutate(app, t.tokens.ADMIN, 'setDeviceHealth', { deviceId: device, health: 'INACTIVE' }, 'device { healthStatus }');
    expect(off.data.setDeviceHealth.errors).toEqual([]);
    const first = await mutate(app, t.tokens.OPERATOR, 'performAction', { actionId: card1.id }, 'action { status }');
    expect(first.data.performAction.action.status).toBe('IN_PROGRESS');
    await waitFor(() => incident(app, t.tokens.READER, inc1.id), (i) => i.managedResponse.actions[0].attempts[0]?.state === 'WAITING');

    const before2 = await incident(app, t.tokens.READER, inc2.id);
    const activityBefore = await activityOf(inc2.id);
    for (const token of [t.tokens.OPERATOR, t.tokens.ADMIN]) {
      const second = await mutate(app, token, 'performAction', { actionId: card2.id }, 'action { id }');
      expect(second.data.performAction.errors).toEqual([
        expect.objectContaining({ code: 'ALREADY_IN_PROGRESS', message: expect.stringMatching(/already running/) }),
      ]);
      expect(second.data.performAction.action).toBeNull();
    }
    const after2 = await incident(app, t.tokens.READER, inc2.id);
    expect(after2).toEqual(before2); // same status, version, card state, no attempt
    expect(after2.managedResponse.actions[0]).toMatchObject({ status: 'PENDING', performedBy: null, attempts: [] });
    expect(await attemptsOf(card2.id)).toBe(0);
    expect(await activityOf(inc2.id)).toBe(activityBefore);

    // the device returns: the first completes; now the second may run (and runs once)
    await mutate(app, t.tokens.ADMIN, 'setDeviceHealth', { deviceId: device, health: 'ACTIVE' }, 'device { healthStatus }');
    await waitFor(() => incident(app, t.tokens.READER, inc1.id), (i) => i.managedResponse.actions[0].status === 'COMPLETED');
    const retry = await mutate(app, t.tokens.OPERATOR, 'performAction', { actionId: card2.id }, 'action { status }');
    expect(retry.data.performAction.errors).toEqual([]);
    const done2 = await waitFor(() => incident(app, t.tokens.READER, inc2.id), (i) => i.managedResponse.actions[0].status === 'COMPLETED' && i.status === 'RESOLVED');
    expect(done2.managedResponse.actions[0].attempts).toHaveLength(1);
    expect(done2.status).toBe('RESOLVED');
  });

  it('publishing while the same action runs on the target (OPERATOR tenant): the publish goes through, that card waits', async () => {
    const t = await newTenant(app, { serviceAccessLevel: 'OPERATOR' });
    const deviceName = `SRV-${Math.random().toString(36).slice(2, 8)}`;
    const inc1 = await truePositive(app, t, onDevice(deviceName));
    const inc2 = await truePositive(app, t, onDevice(deviceName));
    const device = inc1.devices[0].id;
    await mutate(app, t.tokens.ADMIN, 'setDeviceHealth', { deviceId: device, health: 'INACTIVE' }, 'device { healthStatus }');
    const p1 = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', { incidentId: inc1.id, summary, actions: [{ kind: 'ISOLATE_DEVICE', targetId: device }] });
    expect(p1.data.publishManagedResponse.incident.managedResponse.actions[0]).toMatchObject({ status: 'IN_PROGRESS', performedBy: 'EXPERTS' });
    // the experts' isolation from incident 1 is still running (device offline) when incident 2 is published
    const p2 = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', {
      incidentId: inc2.id,
      summary,
      actions: [{ kind: 'ISOLATE_DEVICE', targetId: device }, { kind: 'RESTRICT_APP_EXECUTION', targetId: device }],
    });
    expect(p2.data.publishManagedResponse.errors).toEqual([]);
    const [iso2, restrict2] = p2.data.publishManagedResponse.incident.managedResponse.actions;
    expect(iso2).toMatchObject({ status: 'PENDING', performedBy: null, attempts: [] });
    expect(iso2.leftToCustomerReason).toMatch(/already running/);
    expect(restrict2).toMatchObject({ status: 'IN_PROGRESS', performedBy: 'EXPERTS' }); // another kind starts
    expect(await count(`select count(*)::int as n from action_cards where target_key = $1 and kind = 'ISOLATE_DEVICE' and status = 'IN_PROGRESS'`, [local(device)])).toBe(1);

    // the device returns: incident 1 resolves; the waiting card can be performed then, once
    await mutate(app, t.tokens.ADMIN, 'setDeviceHealth', { deviceId: device, health: 'ACTIVE' }, 'device { healthStatus }');
    await waitFor(() => incident(app, t.tokens.READER, inc1.id), (i) => i.status === 'RESOLVED');
    const waiting = await waitFor(() => incident(app, t.tokens.READER, inc2.id), (i) => i.status === 'AWAITING_CUSTOMER_ACTION');
    expect(waiting.managedResponse.actions.map((c: any) => c.status)).toEqual(['PENDING', 'COMPLETED']);
    const go = await mutate(app, t.tokens.EXPERT, 'performAction', { actionId: iso2.id }, 'action { status }');
    expect(go.data.performAction.errors).toEqual([]);
    const done = await waitFor(() => incident(app, t.tokens.READER, inc2.id), (i) => i.status === 'RESOLVED');
    expect(done.managedResponse.actions[0].attempts).toHaveLength(1);
  });

  it('the same kind on the same device from two cards pressed at the same moment: one starts, one ALREADY_IN_PROGRESS', async () => {
    const t = await newTenant(app, { serviceAccessLevel: 'READER' });
    const deviceName = `SRV-${Math.random().toString(36).slice(2, 8)}`;
    const incs = [await truePositive(app, t, onDevice(deviceName)), await truePositive(app, t, onDevice(deviceName))];
    const device = incs[0].devices[0].id;
    // keep the device offline so that the winner stays IN_PROGRESS while the loser is checked
    await mutate(app, t.tokens.ADMIN, 'setDeviceHealth', { deviceId: device, health: 'INACTIVE' }, 'device { healthStatus }');
    const cards = [];
    for (const inc of incs) {
      const r = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', { incidentId: inc.id, summary, actions: [{ kind: 'RESTRICT_APP_EXECUTION', targetId: device }] });
      cards.push(r.data.publishManagedResponse.incident.managedResponse.actions[0]);
    }
    const rs = await Promise.all(cards.map((c, i) => mutate(app, i ? t.tokens.ADMIN : t.tokens.OPERATOR, 'performAction', { actionId: c.id }, 'action { id status }')));
    for (const r of rs) expect(r.errors).toBeUndefined();
    const codes = rs.map((r) => r.data.performAction.errors[0]?.code ?? 'OK').sort();
    expect(codes).toEqual(['ALREADY_IN_PROGRESS', 'OK']);
    const loser = cards[rs.findIndex((r) => r.data.performAction.errors.length > 0)];
    expect(await attemptsOf(loser.id)).toBe(0);
    const n = await count(`select count(*)::int as n from action_cards where target_key = $1 and status = 'IN_PROGRESS'`, [local(device)]);
    expect(n).toBe(1);
  });
});
