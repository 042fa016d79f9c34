// SPEC.md sections 3 and 4 through the API: triage, managed response, access levels,
// exclusions, customer actions, automatic resolution, execution outcomes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from './helpers/app';
import { newTenant } from './helpers/factory';
import { incident, ingest, mutate, summary, truePositive, waitFor } from './helpers/response';
import { eq } from 'drizzle-orm';

let app: TestApp;
beforeAll(async () => {
  app = await startApp({ execution: { enabled: true, actionTimeoutMs: 60_000, pollMs: 50, leaseMs: 2_000 } } as never);
});
afterAll(async () => {
  await app?.close();
});

describe('triage', () => {
  it('starts an investigation: ACTIVE → IN_PROGRESS, EXPERTS; twice is INVALID_TRANSITION', async () => {
    const t = await newTenant(app);
    const inc = await ingest(app, t);
    const r = await mutate(app, t.tokens.EXPERT, 'startInvestigation', { incidentId: inc.id });
    expect(r.data.startInvestigation.incident).toMatchObject({ status: 'IN_PROGRESS', assignment: 'EXPERTS' });
    const again = await mutate(app, t.tokens.EXPERT, 'startInvestigation', { incidentId: inc.id });
    expect(again.data.startInvestigation.errors[0].code).toBe('INVALID_TRANSITION');
    expect((await incident(app, t.tokens.READER, inc.id)).version).toBe(r.data.startInvestigation.incident.version);
  });

  it.each([
    ['FALSE_POSITIVE', 'NOT_MALICIOUS'],
    ['INFORMATIONAL_EXPECTED_ACTIVITY', 'SECURITY_TESTING'],
  ])('classifying %s resolves: RESOLVED, UNASSIGNED, provider tag, summary as resolving comment', async (classification, determination) => {
    const t = await newTenant(app);
    const inc = await ingest(app, t);
    await mutate(app, t.tokens.EXPERT, 'startInvestigation', { incidentId: inc.id });
    const r = await mutate(app, t.tokens.EXPERT, 'classifyIncident', { incidentId: inc.id, classification, determination, summary: 'Authorised red team exercise' });
    expect(r.data.classifyIncident.errors).toEqual([]);
    expect(r.data.classifyIncident.incident).toMatchObject({
      status: 'RESOLVED',
      assignment: 'UNASSIGNED',
      classification,
      determination,
      systemTags: [app.config.providerName],
      resolvingComment: 'Authorised red team exercise',
    });
  });

  it('rejects a mismatched classification pair, and classifying a resolved incident', async () => {
    const t = await newTenant(app);
    const inc = await ingest(app, t);
    await mutate(app, t.tokens.EXPERT, 'startInvestigation', { incidentId: inc.id });
    const bad = await mutate(app, t.tokens.EXPERT, 'classifyIncident', { incidentId: inc.id, classification: 'FALSE_POSITIVE', determination: 'MALWARE', summary: 'x' });
    expect(bad.data.classifyIncident.errors[0]).toMatchObject({ code: 'INVALID_INPUT', field: ['input', 'determination'] });
    expect((await incident(app, t.tokens.READER, inc.id)).classification).toBe('UNKNOWN');
    await mutate(app, t.tokens.EXPERT, 'classifyIncident', { incidentId: inc.id, classification: 'FALSE_POSITIVE', determination: 'NOT_MALICIOUS', summary: 'benign' });
    const again = await mutate(app, t.tokens.EXPERT, 'classifyIncident', { incidentId: inc.id, classification: 'TRUE_POSITIVE', determination: 'MALWARE', summary: 'x' });
    expect(again.data.classifyIncident.errors[0].code).toBe('INVALID_TRANSITION');
  });

  it('reopens a resolved incident back to IN_PROGRESS; reopening an open one is refused', async () => {
    const t = await newTenant(app);
    const inc = await ingest(app, t);
    const notResolved = await mutate(app, t.tokens.EXPERT, 'reopenIncident', { incidentId: inc.id });
    expect(notResolved.data.reopenIncident.errors[0].code).toBe('INVALID_TRANSITION');
    await mutate(app, t.tokens.EXPERT, 'startInvestigation', { incidentId: inc.id });
    await mutate(app, t.tokens.EXPERT, 'classifyIncident', { incidentId: inc.id, classification: 'FALSE_POSITIVE', determination: 'OTHER', summary: 'noise' });
    const r = await mutate(app, t.tokens.EXPERT, 'reopenIncident', { incidentId: inc.id });
    expect(r.data.reopenIncident.incident).toMatchObject({ status: 'IN_PROGRESS', assignment: 'EXPERTS', classification: 'UNKNOWN' });
  });

  it('publishing needs a true positive under investigation', async () => {
    const t = await newTenant(app);
    const inc = await ingest(app, t);
    const r = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', { incidentId: inc.id, summary, actions: [] });
    expect(r.data.publishManagedResponse.errors[0].code).toBe('INVALID_TRANSITION');
    await mutate(app, t.tokens.EXPERT, 'startInvestigation', { incidentId: inc.id });
    const r2 = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', { incidentId: inc.id, summary, actions: [] });
    expect(r2.data.publishManagedResponse.errors[0].code).toBe('INVALID_TRANSITION');
    expect((await incident(app, t.tokens.READER, inc.id)).managedResponse).toBeNull();
  });
});

describe('managed response', () => {
  it('OPERATOR tenant: experts perform one-click actions, manual cards wait → AWAITING_CUSTOMER_ACTION; completing the last resolves', async () => {
    const t = await newTenant(app, { serviceAccessLevel: 'OPERATOR' });
    const inc = await truePositive(app, t);
    const device = inc.devices[0];
    const r = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', {
      incidentId: inc.id,
      summary,
      actions: [
        { kind: 'ISOLATE_DEVICE', targetId: device.id },
        { kind: 'QUARANTINE_FILE', targetId: device.files[0].id },
        { kind: 'MANUAL', title: 'Reset the password of jdoe', instructions: 'Reset and revoke sessions' },
      ],
    });
    expect(r.data.publishManagedResponse.errors).toEqual([]);
    const published = r.data.publishManagedResponse.incident;
    expect(published.managedResponse.actions.map((a: any) => [a.kind, a.performedBy])).toEqual([
      ['ISOLATE_DEVICE', 'EXPERTS'],
      ['QUARANTINE_FILE', 'EXPERTS'],
      ['MANUAL', null],
    ]);
    const done = await waitFor(() => incident(app, t.tokens.READER, inc.id), (i) => i.status === 'AWAITING_CUSTOMER_ACTION');
    expect(done.assignment).toBe('CUSTOMER');
    expect(done.systemTags).toContain(app.config.providerName);
    const [iso, quar, manual] = done.managedResponse.actions;
    expect(iso).toMatchObject({ status: 'COMPLETED', section: 'COMPLETED', target: { isolated: true } });
    expect(quar).toMatchObject({ status: 'COMPLETED', target: { quarantined: true } });
    expect(iso.attempts).toEqual([{ number: 1, side: 'EXPERTS', state: 'COMPLETED', failureReason: null, connector: 'fleet' }]);
    expect(manual).toMatchObject({ status: 'PENDING', section: 'PENDING' });

    // READER sees the greyed-out button and is refused
    expect(manual.viewerCanPerform).toBe(false);
    expect(manual.viewerCannotPerformReason).toMatch(/Readers/);
    const refused = await mutate(app, t.tokens.READER, 'completeManualAction', { actionId: manual.id }, 'action { id }');
    expect(refused.errors?.[0].extensions?.code).toBe('FORBIDDEN');

    const ok = await mutate(app, t.tokens.OPERATOR, 'completeManualAction', { actionId: manual.id }, 'action { id status performedBy }');
    expect(ok.data.completeManualAction.action).toMatchObject({ status: 'COMPLETED', performedBy: 'CUSTOMER' });
    const resolved = await incident(app, t.tokens.READER, inc.id);
    expect(resolved).toMatchObject({ status: 'RESOLVED', assignment: 'CUSTOMER' });
  });

  it('OPERATOR tenant, all actions by the experts → RESOLVED, CUSTOMER', async () => {
    const t = await newTenant(app, { serviceAccessLevel: 'OPERATOR' });
    const inc = await truePositive(app, t);
    await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', {
      incidentId: inc.id,
      summary,
      actions: [{ kind: 'RESTRICT_APP_EXECUTION', targetId: inc.devices[0].id }],
    });
    const done = await waitFor(() => incident(app, t.tokens.READER, inc.id), (i) => i.status === 'RESOLVED');
    expect(done.assignment).toBe('CUSTOMER');
    expect(done.managedResponse.actions[0]).toMatchObject({ status: 'COMPLETED', performedBy: 'EXPERTS', target: { appExecutionRestricted: true } });
  });

  it('READER tenant: every card stays pending; operator performs; experts are refused (NOT_PERMITTED_FOR_ACCESS_LEVEL)', async () => {
    const t = await newTenant(app, { serviceAccessLevel: 'READER' });
    const inc = await truePositive(app, t);
    const r = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', {
      incidentId: inc.id,
      summary,
      actions: [{ kind: 'ISOLATE_DEVICE', targetId: inc.devices[0].id }],
    });
    const pub = r.data.publishManagedResponse.incident;
    expect(pub).toMatchObject({ status: 'AWAITING_CUSTOMER_ACTION', assignment: 'CUSTOMER' });
    const card = pub.managedResponse.actions[0];
    expect(card).toMatchObject({ status: 'PENDING', performedBy: null });
    expect(card.leftToCustomerReason).toMatch(/READER/);
    const expert = await mutate(app, t.tokens.EXPERT, 'performAction', { actionId: card.id }, 'action { id }');
    expect(expert.data.performAction.errors[0].code).toBe('NOT_PERMITTED_FOR_ACCESS_LEVEL');
    const op = await mutate(app, t.tokens.OPERATOR, 'performAction', { actionId: card.id }, 'action { id status performedBy }');
    expect(op.data.performAction.action).toMatchObject({ status: 'IN_PROGRESS', performedBy: 'CUSTOMER' });
    const done = await waitFor(() => incident(app, t.tokens.READER, inc.id), (i) => i.status === 'RESOLVED');
    expect(done.managedResponse.actions[0]).toMatchObject({ status: 'COMPLETED', target: { isolated: true } });
  });

  it('excluded device groups are left to the customer (TARGET_EXCLUDED for experts)', async () => {
    const t = await newTenant(app, { serviceAccessLevel: 'OPERATOR', remediationExclusions: ['Workstations'] });
    const inc = await truePositive(app, t);
    const r = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', {
      incidentId: inc.id,
      summary,
      actions: [{ kind: 'ISOLATE_DEVICE', targetId: inc.devices[0].id }],
    });
    const card = r.data.publishManagedResponse.incident.managedResponse.actions[0];
    expect(card.status).toBe('PENDING');
    expect(card.leftToCustomerReason).toMatch(/excluded/);
    expect(r.data.publishManagedResponse.incident.status).toBe('AWAITING_CUSTOMER_ACTION');
    const expert = await mutate(app, t.tokens.EXPERT, 'performAction', { actionId: card.id }, 'action { id }');
    expect(expert.data.performAction.errors[0].code).toBe('TARGET_EXCLUDED');
  });

  it('FAILED → retry → COMPLETED; the incident waits while an action is failed', async () => {
    const t = await newTenant(app, { serviceAccessLevel: 'OPERATOR' });
    const inc = await truePositive(app, t);
    // release of a device that is not isolated fails
    await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', {
      incidentId: inc.id,
      summary,
      actions: [{ kind: 'RELEASE_FROM_ISOLATION', targetId: inc.devices[0].id }],
    });
    const failed = await waitFor(() => incident(app, t.tokens.READER, inc.id), (i) => i.status === 'AWAITING_CUSTOMER_ACTION');
    const card = failed.managedResponse.actions[0];
    expect(card).toMatchObject({ status: 'FAILED', section: 'PENDING', performedBy: 'EXPERTS' });
    expect(card.failureReason).toMatch(/NOT_ISOLATED/);
    // make the retry possible: isolate the device out of band
    const { devices } = await import('../src/db/schema');
    await app.database.db.update(devices).set({ isolated: true }).where(eq(devices.id, fromGid(inc.devices[0].id)));
    const retry = await mutate(app, t.tokens.OPERATOR, 'performAction', { actionId: card.id }, 'action { id status }');
    expect(retry.data.performAction.action.status).toBe('IN_PROGRESS');
    const done = await waitFor(() => incident(app, t.tokens.READER, inc.id), (i) => i.status === 'RESOLVED');
    expect(done.managedResponse.actions[0].attempts.map((a: any) => [a.number, a.side, a.state])).toEqual([
      [1, 'EXPERTS', 'FAILED'],
      [2, 'CUSTOMER', 'COMPLETED'],
    ]);
    expect(done.managedResponse.actions[0].target.isolated).toBe(false);
  });

  it('skipping the last pending card resolves the incident, with an activity entry', async () => {
    const t = await newTenant(app, { serviceAccessLevel: 'READER' });
    const inc = await truePositive(app, t);
    const r = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', {
      incidentId: inc.id,
      summary,
      actions: [{ kind: 'MANUAL', instructions: 'Block the sender domain' }, { kind: 'ISOLATE_DEVICE', targetId: inc.devices[0].id }],
    });
    const [manual, iso] = r.data.publishManagedResponse.incident.managedResponse.actions;
    const s1 = await mutate(app, t.tokens.OPERATOR, 'skipAction', { actionId: iso.id, reason: 'device already reimaged' }, 'action { status skipReason section }');
    expect(s1.data.skipAction.action).toMatchObject({ status: 'SKIPPED', skipReason: 'device already reimaged', section: 'COMPLETED' });
    expect((await incident(app, t.tokens.READER, inc.id)).status).toBe('AWAITING_CUSTOMER_ACTION');
    await mutate(app, t.tokens.ADMIN, 'skipAction', { actionId: manual.id }, 'action { status }');
    const done = await incident(app, t.tokens.READER, inc.id);
    expect(done).toMatchObject({ status: 'RESOLVED', assignment: 'CUSTOMER' });
    const act = await app.gql<any, any>(`query($id: ID!) { node(id: $id) { ... on Incident { activity(first: 100) { nodes { field to note } } } } }`, { id: inc.id }, t.tokens.READER);
    expect(act.data.node.activity.nodes.some((a: any) => a.field === 'STATUS' && a.to === 'RESOLVED' && /automatically/.test(a.note))).toBe(true);
    // skipping again is refused
    const again = await mutate(app, t.tokens.OPERATOR, 'skipAction', { actionId: iso.id }, 'action { id }');
    expect(again.data.skipAction.errors[0].code).toBe('INVALID_TRANSITION');
  });

  it('an offline device waits; back online its action runs; past the timeout it fails TIMED_OUT', async () => {
    const t = await newTenant(app, { serviceAccessLevel: 'READER' });
    const inc = await truePositive(app, t);
    const { devices } = await import('../src/db/schema');
    const r = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', {
      incidentId: inc.id,
      summary,
      actions: [{ kind: 'ISOLATE_DEVICE', targetId: inc.devices[0].id }],
    });
    const card = r.data.publishManagedResponse.incident.managedResponse.actions[0];
    const off = await mutate(app, t.tokens.ADMIN, 'setDeviceHealth', { deviceId: inc.devices[0].id, health: 'INACTIVE' }, 'device { healthStatus }');
    expect(off.data.setDeviceHealth.device.healthStatus).toBe('INACTIVE');
    await mutate(app, t.tokens.OPERATOR, 'performAction', { actionId: card.id }, 'action { id }');
    const waiting = await waitFor(() => incident(app, t.tokens.READER, inc.id), (i) => i.managedResponse.actions[0].attempts[0]?.state === 'WAITING');
    expect(waiting.managedResponse.actions[0].status).toBe('IN_PROGRESS');
    await mutate(app, t.tokens.ADMIN, 'setDeviceHealth', { deviceId: inc.devices[0].id, health: 'ACTIVE' }, 'device { healthStatus }');
    const done = await waitFor(() => incident(app, t.tokens.READER, inc.id), (i) => i.status === 'RESOLVED');
    expect(done.managedResponse.actions[0].target.isolated).toBe(true);

    // a second incident on a device that stays offline times out
    const inc2 = await truePositive(app, t);
    const r2 = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', { incidentId: inc2.id, summary, actions: [{ kind: 'RESTRICT_APP_EXECUTION', targetId: inc2.devices[0].id }] });
    const card2 = r2.data.publishManagedResponse.incident.managedResponse.actions[0];
    await app.database.db.update(devices).set({ healthStatus: 'INACTIVE' }).where(eq(devices.id, fromGid(inc2.devices[0].id)));
    await mutate(app, t.tokens.OPERATOR, 'performAction', { actionId: card2.id }, 'action { id }');
    const { actionAttempts } = await import('../src/db/schema');
    await waitFor(async () => (await app.database.db.select().from(actionAttempts).where(eq(actionAttempts.actionId, fromGid(card2.id))))[0]?.state, (s) => s === 'WAITING');
    await app.database.db.update(actionAttempts).set({ deadline: new Date(Date.now() - 1000) }).where(eq(actionAttempts.actionId, fromGid(card2.id)));
    const timedOut = await waitFor(() => incident(app, t.tokens.READER, inc2.id), (i) => i.managedResponse.actions[0].status === 'FAILED');
    expect(timedOut.managedResponse.actions[0].failureReason).toMatch(/^TIMED_OUT/);
    expect(timedOut.status).toBe('AWAITING_CUSTOMER_ACTION');
  });

  it('QUARANTINE_FILE of a file no longer on the device fails FILE_NOT_FOUND', async () => {
    const t = await newTenant(app, { serviceAccessLevel: 'OPERATOR' });
    const inc = await truePositive(app, t);
    const { deviceFiles } = await import('../src/db/schema');
    await app.database.db.update(deviceFiles).set({ quarantined: true }).where(eq(deviceFiles.id, fromGid(inc.devices[0].files[0].id)));
    await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', { incidentId: inc.id, summary, actions: [{ kind: 'QUARANTINE_FILE', targetId: inc.devices[0].files[0].id }] });
    const done = await waitFor(() => incident(app, t.tokens.READER, inc.id), (i) => i.status === 'AWAITING_CUSTOMER_ACTION');
    expect(done.managedResponse.actions[0].failureReason).toMatch(/FILE_NOT_FOUND/);
  });

  it('validates cards: target of the incident\'s evidence, manual instructions, kind/target type', async () => {
    const t = await newTenant(app, { serviceAccessLevel: 'OPERATOR' });
    const other = await newTenant(app);
    const inc = await truePositive(app, t);
    const foreign = await ingest(app, other);
    const cases: [Record<string, unknown>, string][] = [
      [{ kind: 'ISOLATE_DEVICE', targetId: foreign.devices[0].id }, 'NOT_FOUND'],
      [{ kind: 'ISOLATE_DEVICE' }, 'INVALID_INPUT'],
      [{ kind: 'QUARANTINE_FILE', targetId: inc.devices[0].id }, 'INVALID_INPUT'],
      [{ kind: 'ISOLATE_DEVICE', targetId: inc.devices[0].files[0].id }, 'INVALID_INPUT'],
      [{ kind: 'MANUAL' }, 'INVALID_INPUT'],
      [{ kind: 'ISOLATE_DEVICE', targetId: 'garbage' }, 'INVALID_INPUT'],
    ];
    for (const [action, code] of cases) {
      const r = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', { incidentId: inc.id, summary, actions: [action] });
      expect(r.data.publishManagedResponse.errors[0]?.code, JSON.stringify(action)).toBe(code);
    }
    const bad = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', { incidentId: inc.id, summary: { ...summary, indicatorsOfAttack: [{ techniqueId: 'X1', description: 'd' }] }, actions: [] });
    expect(bad.data.publishManagedResponse.errors[0]).toMatchObject({ code: 'INVALID_INPUT', field: ['input', 'summary', 'indicatorsOfAttack', '0', 'techniqueId'] });
    const after = await incident(app, t.tokens.READER, inc.id);
    expect(after.managedResponse).toBeNull();
    expect(after.status).toBe('IN_PROGRESS');
  });
});

function fromGid(gid: string) {
  return Buffer.from(gid, 'base64').toString('utf8').split(':')[1];
}
