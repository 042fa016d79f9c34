// Acting outside any card (SPEC.md section 4): "Customers (OPERATOR, ADMIN) may also act outside
// any card from an entity's page [...]: performEntityAction creates an ad-hoc card with no
// incident, shown in the action center, with the same rules, attempts and live progress."
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_KINDS, isOneClick, targetOf, type OneClickKind, type TargetType } from '../src/registry/action-kinds';
import { startApp, type TestApp } from './helpers/app';
import { card, estateIncident, performAction, performEntityAction, publish, settled, written, type Estate } from './helpers/estate';
import { encodeGlobalID, newTenant, type TenantFixture } from './helpers/factory';
import type { Role } from '../src/domain/viewer';
import { incident, mutate, waitFor } from './helpers/response';
import { connected, subscribe, wsClient } from './helpers/ws';

/** This file's tenants: the only work its executor claims on a shared database. */
const mine = new Set<string>();
let app: TestApp;
beforeAll(async () => {
  app = await startApp({ execution: { enabled: true, actionTimeoutMs: 60_000, pollMs: 50, leaseMs: 2_000 } } as never, { executor: { scope: () => [...mine] } });
});
afterAll(async () => {
  await app?.close();
});

async function tenant(level: 'READER' | 'OPERATOR' = 'READER') {
  const t = await newTenant(app, { serviceAccessLevel: level });
  mine.add(t.tenant.id);
  return t;
}

/**
 * Subscribe on `client` once the earlier tests' subscriptions have left the hub (this app is this
 * file's own), and return once the server has registered it there: events from then on reach it.
 */
async function liveSubscription(client: ReturnType<typeof wsClient>, query: string) {
  await waitFor(async () => app.server.hub.size, (n) => n === 0);
  const live = subscribe(client, query);
  await connected(client);
  await waitFor(async () => app.server.hub.size, (n) => n === 1);
  return live;
}

/** What a user sees of an incident that an ad-hoc action must leave alone. */
async function incidentView(t: TenantFixture, id: string) {
  const r = await app.gql<any, any>(
    `query($id: ID!) { node(id: $id) { ... on Incident { status assignment version updatedAt activity { totalCount }
       managedResponse { actions { id status attempts { number } } } } } managedResponseSummary { awaitingCustomerAction investigating } }`,
    { id },
    t.tokens.READER,
  );
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data;
}

async function actionCenter(token: string) {
  const r = await app.gql<any, any>(`{ responseActions(first: 100) { totalCount nodes { id kind status incident { id } viewerCanPerform } } }`, {}, token);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data.responseActions as { totalCount: number; nodes: { id: string; kind: string; status: string; incident: null | { id: string }; viewerCanPerform: boolean }[] };
}

// [target type, the kind run from its page, what the user sees on the target afterwards, the attempt's result]
const ON: [TargetType, OneClickKind, Record<string, unknown>, string | null][] = [
  ['Device', 'ISOLATE_DEVICE', { isolated: true }, null],
  ['DeviceFile', 'QUARANTINE_FILE', { quarantined: true }, null],
  ['Account', 'DISABLE_USER', { enabled: false }, null],
  ['EmailMessage', 'SOFT_DELETE_EMAIL', { location: 'DELETED' }, null],
  ['Indicator', 'BLOCK_INDICATOR', { action: 'BLOCK', expiresAt: null }, 'Blocked'],
];

describe.each(['OPERATOR', 'ADMIN'] as const)('%s on an entity page', (role) => {
  it.each(ON)('%s: %s makes an ad-hoc card, live, in the action center, with its attempt; no incident changes', async (type, kind, effect, result) => {
    expect(targetOf(kind)).toBe(type);
    const t = await tenant();
    const e = await estateIncident(app, t);
    const targetId = e.targets[type];
    const before = await incidentView(t, e.incidentId);
    const client = wsClient(app.url, t.tokens.READER);
    const live = await liveSubscription(client, `subscription { actionChanged { id kind status incident { id } target { __typename } } }`);

    const r = await performEntityAction(app, t.tokens[role], { kind, targetId, instructions: 'Seen in the sign-in logs' });
    expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    expect(r.data.performEntityAction.errors).toEqual([]);
    const started = r.data.performEntityAction.action;
    expect(started).toMatchObject({ kind, incident: null, status: 'IN_PROGRESS', performedBy: 'CUSTOMER', instructions: 'Seen in the sign-in logs', leftToCustomerReason: null, target: { __typename: type, id: targetId } });

    const done = await settled(app, t.tokens.READER, started.id);
    expect(done).toMatchObject({ status: 'COMPLETED', section: 'COMPLETED', incident: null, failureReason: null, target: effect });
    expect(done.attempts).toEqual([
      { number: 1, side: 'CUSTOMER', state: 'COMPLETED', connector: 'fleet', failureReason: null, result, performedBy: { id: encodeGlobalID('Principal', t.principals[role].id) } },
    ]);

    // live: the card's progress, with no incident
    const events = await waitFor(
      async () => live.events.filter((ev) => ev.actionChanged.id === started.id),
      (evs) => evs.some((ev) => ev.actionChanged.status === 'COMPLETED'),
    );
    expect(events.map((ev) => ev.actionChanged.status).filter((s) => s !== 'PENDING')).toEqual(['IN_PROGRESS', 'COMPLETED']);
    expect(events.every((ev) => ev.actionChanged.incident === null && ev.actionChanged.kind === kind)).toBe(true);
    client.dispose();

    // in the action center, for every principal of the tenant
    for (const reader of [t.tokens.READER, t.tokens[role], t.tokens.EXPERT]) {
      const center = await actionCenter(reader);
      expect(center.nodes).toContainEqual(expect.objectContaining({ id: started.id, kind, status: 'COMPLETED', incident: null }));
    }

    // the incident whose evidence names the entity is as it was, and so is the banner
    expect(await incidentView(t, e.incidentId)).toEqual(before);
  });
});

describe('the same rules as cards', () => {
  it('a failing ad-hoc action fails with its reason and can be retried with performAction', async () => {
    const t = await tenant();
    const e = await estateIncident(app, t);
    // enabling an account that is enabled fails
    const r = await performEntityAction(app, t.tokens.OPERATOR, { kind: 'ENABLE_USER', targetId: e.targets.Account });
    const failed = await settled(app, t.tokens.READER, r.data.performEntityAction.action.id);
    expect(failed).toMatchObject({ status: 'FAILED', section: 'PENDING', incident: null, target: { enabled: true } });
    expect(failed.failureReason).toMatch(/^NOT_DISABLED: /);
    expect((await card(app, t.tokens.OPERATOR, failed.id)).viewerCanPerform).toBe(true);
    const readerView = await card(app, t.tokens.READER, failed.id);
    expect(readerView).toMatchObject({ viewerCanPerform: false, viewerCannotPerformReason: expect.stringMatching(/Readers/) });

    // disabled from the page, then the failed card retried
    const disable = await performEntityAction(app, t.tokens.ADMIN, { kind: 'DISABLE_USER', targetId: e.targets.Account });
    expect((await settled(app, t.tokens.READER, disable.data.performEntityAction.action.id)).target.enabled).toBe(false);
    const retry = await performAction(app, t.tokens.OPERATOR, failed.id);
    expect(retry.data.performAction.errors).toEqual([]);
    expect(retry.data.performAction.action.status).toBe('IN_PROGRESS');
    const done = await settled(app, t.tokens.READER, failed.id);
    expect(done).toMatchObject({ status: 'COMPLETED', incident: null, target: { enabled: true } });
    expect(done.attempts.map((a: { number: number; side: string; state: string }) => [a.number, a.side, a.state])).toEqual([
      [1, 'CUSTOMER', 'FAILED'],
      [2, 'CUSTOMER', 'COMPLETED'],
    ]);
    // a completed card is not performed again
    const twice = await performAction(app, t.tokens.OPERATOR, failed.id);
    expect(twice.data.performAction.errors[0].code).toBe('INVALID_TRANSITION');
  });

  it('BLOCK_INDICATOR with an indicator by value (no targetId) creates or matches the indicator and blocks it', async () => {
    const t = await tenant();
    const e = await estateIncident(app, t);
    const before = await written(app, t.tenant.id);
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const r = await performEntityAction(app, t.tokens.OPERATOR, { kind: 'BLOCK_INDICATOR', indicator: { type: 'URL', value: 'https://phish.example/Login?x=1', expiresAt } });
    expect(r.data.performEntityAction.errors).toEqual([]);
    const done = await settled(app, t.tokens.READER, r.data.performEntityAction.action.id);
    expect(done).toMatchObject({ status: 'COMPLETED', incident: null, expiresAt, target: { __typename: 'Indicator', type: 'URL', value: 'https://phish.example/Login?x=1', action: 'BLOCK', expiresAt } });
    expect(done.attempts[0].result).toBe(`Blocked until ${expiresAt}`);
    expect((await written(app, t.tenant.id)).indicators).toBe(before.indicators + 1);

    // an indicator the evidence named is matched by value, not created again
    const ip = await performEntityAction(app, t.tokens.OPERATOR, { kind: 'BLOCK_INDICATOR', indicator: { type: 'IP_ADDRESS', value: ` ${e.names.ip} ` } });
    const blocked = await settled(app, t.tokens.READER, ip.data.performEntityAction.action.id);
    expect(blocked).toMatchObject({ status: 'COMPLETED', target: { id: e.targets.Indicator, action: 'BLOCK', expiresAt: null } });
    expect((await written(app, t.tenant.id)).indicators).toBe(before.indicators + 1);
  });

  it('a MANUAL kind is INVALID_INPUT, with nothing written', async () => {
    const t = await tenant();
    await estateIncident(app, t);
    const before = await written(app, t.tenant.id);
    const r = await performEntityAction(app, t.tokens.OPERATOR, { kind: 'MANUAL', instructions: 'Call the user' });
    expect(r.data.performEntityAction).toEqual({ action: null, errors: [expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(/one-click/) })] });
    expect(await written(app, t.tenant.id)).toEqual(before);
  });

  it('a target of another type, or none, is INVALID_INPUT, with nothing written', async () => {
    const t = await tenant();
    const e = await estateIncident(app, t);
    const before = await written(app, t.tenant.id);
    for (const input of [
      { kind: 'DISABLE_USER', targetId: e.targets.Device },
      { kind: 'ISOLATE_DEVICE', targetId: e.targets.Account },
      { kind: 'SOFT_DELETE_EMAIL', targetId: e.targets.Indicator },
      { kind: 'ISOLATE_DEVICE' },
      { kind: 'ISOLATE_DEVICE', targetId: e.incidentId },
    ]) {
      const r = await performEntityAction(app, t.tokens.OPERATOR, input);
      expect(r.data.performEntityAction, JSON.stringify(input)).toEqual({ action: null, errors: [expect.objectContaining({ code: 'INVALID_INPUT' })] });
    }
    expect(await written(app, t.tenant.id)).toEqual(before);
  });

  it('an action already running on the target is not started twice (ALREADY_IN_PROGRESS), with nothing written', async () => {
    const t = await tenant();
    const e = await estateIncident(app, t);
    // the device is offline: the first isolation waits for it (on any executor of a shared database)
    await mutate(app, t.tokens.ADMIN, 'setDeviceHealth', { deviceId: e.targets.Device, health: 'INACTIVE' }, 'device { id }');
    const first = await performEntityAction(app, t.tokens.OPERATOR, { kind: 'ISOLATE_DEVICE', targetId: e.targets.Device });
    expect(first.data.performEntityAction.errors).toEqual([]);
    const before = await written(app, t.tenant.id);
    const second = await performEntityAction(app, t.tokens.ADMIN, { kind: 'ISOLATE_DEVICE', targetId: e.targets.Device });
    expect(second.data.performEntityAction).toEqual({ action: null, errors: [expect.objectContaining({ code: 'ALREADY_IN_PROGRESS' })] });
    expect(await written(app, t.tenant.id)).toEqual(before);
    // back online, the first one runs
    await mutate(app, t.tokens.ADMIN, 'setDeviceHealth', { deviceId: e.targets.Device, health: 'ACTIVE' }, 'device { id }');
    expect(await settled(app, t.tokens.READER, first.data.performEntityAction.action.id)).toMatchObject({ status: 'COMPLETED', target: { isolated: true } });
  });

  it('a failed ad-hoc card can be skipped by the customer, as the hint says; it leaves the pending section', async () => {
    const t = await tenant();
    const e = await estateIncident(app, t);
    const r = await performEntityAction(app, t.tokens.OPERATOR, { kind: 'UNBLOCK_INDICATOR', targetId: e.targets.Indicator });
    const failed = await settled(app, t.tokens.OPERATOR, r.data.performEntityAction.action.id);
    expect(failed).toMatchObject({ status: 'FAILED', section: 'PENDING', viewerCanSkip: true });
    expect((await card(app, t.tokens.READER, failed.id)).viewerCanSkip).toBe(false);
    const skip = await mutate(app, t.tokens.OPERATOR, 'skipAction', { actionId: failed.id, reason: 'it was never blocked' }, 'action { status section skipReason incident { id } viewerCanSkip }');
    expect(skip.data.skipAction).toEqual({ action: { status: 'SKIPPED', section: 'COMPLETED', skipReason: 'it was never blocked', incident: null, viewerCanSkip: false }, errors: [] });
  });
});

describe('who may act', () => {
  it.each(['READER', 'EXPERT', 'INTEGRATION'] as Role[])('%s is FORBIDDEN (top-level), with nothing written', async (role) => {
    const t = await tenant('OPERATOR');
    const e = await estateIncident(app, t);
    const before = await written(app, t.tenant.id);
    for (const input of [{ kind: 'ISOLATE_DEVICE', targetId: e.targets.Device }, { kind: 'BLOCK_INDICATOR', indicator: { type: 'DOMAIN', value: 'evil.example' } }]) {
      const r = await performEntityAction(app, t.tokens[role], input);
      expect(r.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(r.data?.performEntityAction ?? null).toBeNull();
    }
    expect(await written(app, t.tenant.id)).toEqual(before);
  });

  const TYPES: TargetType[] = ['Device', 'DeviceFile', 'Account', 'EmailMessage', 'Indicator'];

  it.each(TYPES)("another tenant's %s is NOT_FOUND, like an id that never existed; nothing is written in either tenant", async (type) => {
    const [kind] = ACTION_KINDS.filter((k) => isOneClick(k) && targetOf(k) === type);
    const a = await tenant();
    const b = await tenant();
    const theirs: Estate = await estateIncident(app, b);
    await estateIncident(app, a);
    const before = [await written(app, a.tenant.id), await written(app, b.tenant.id)];
    const foreign = await performEntityAction(app, a.tokens.ADMIN, { kind, targetId: theirs.targets[type] });
    const missing = await performEntityAction(app, a.tokens.ADMIN, { kind, targetId: encodeGlobalID(type, randomUUID()) });
    expect(foreign.data.performEntityAction).toEqual({ action: null, errors: [expect.objectContaining({ code: 'NOT_FOUND' })] });
    expect(foreign.data.performEntityAction).toEqual(missing.data.performEntityAction);
    expect([await written(app, a.tenant.id), await written(app, b.tenant.id)]).toEqual(before);
    // and their target is untouched
    const view = await app.gql<any, any>(`query($id: ID!) { node(id: $id) { id } }`, { id: theirs.targets[type] }, b.tokens.READER);
    expect(view.data.node).toEqual({ id: theirs.targets[type] });
  });

  it("another tenant's principals neither see the ad-hoc card nor receive its progress", async () => {
    const a = await tenant();
    const b = await tenant();
    const e = await estateIncident(app, a);
    const client = wsClient(app.url, b.tokens.ADMIN);
    const theirs = await liveSubscription(client, `subscription { actionChanged { id status } }`);
    const r = await performEntityAction(app, a.tokens.OPERATOR, { kind: 'FORCE_PASSWORD_RESET', targetId: e.targets.Account });
    const id = r.data.performEntityAction.action.id;
    expect((await settled(app, a.tokens.READER, id)).target.passwordResetRequired).toBe(true);
    // a sentinel of their own: once it has arrived, the foreign events would have too
    const own = await estateIncident(app, b);
    await performEntityAction(app, b.tokens.OPERATOR, { kind: 'REVOKE_SESSIONS', targetId: own.targets.Account });
    // (the hub hands events over in commit order: the sentinel's completion came after theirs)
    await waitFor(async () => theirs.events, (evs) => evs.some((ev) => ev.actionChanged.status === 'COMPLETED'));
    expect(theirs.events.map((ev) => ev.actionChanged.id)).not.toContain(id);
    client.dispose();
    expect((await actionCenter(b.tokens.ADMIN)).nodes.map((n) => n.id)).not.toContain(id);
    const node = await app.gql<any, any>(`query($id: ID!) { node(id: $id) { id } }`, { id }, b.tokens.ADMIN);
    expect(node.data.node).toBeNull();
  });
});

describe('ad-hoc cards and incidents', () => {
  it('an incident waiting for the customer stays as it was while the customer acts on the same entities from their pages', async () => {
    const t = await tenant('READER');
    const e = await estateIncident(app, t);
    const { cards } = await publish(app, t, e.incidentId, [{ kind: 'DISABLE_USER', targetId: e.targets.Account }]);
    expect(cards[0].status).toBe('PENDING');
    const before = await incidentView(t, e.incidentId);
    expect(before.node.status).toBe('AWAITING_CUSTOMER_ACTION');
    expect(before.managedResponseSummary.awaitingCustomerAction).toBe(1);

    for (const [type, kind] of [
      ['Account', 'DISABLE_USER'],
      ['Device', 'RUN_ANTIVIRUS_SCAN'],
      ['EmailMessage', 'MOVE_EMAIL_TO_JUNK'],
    ] as const) {
      const r = await performEntityAction(app, t.tokens.OPERATOR, { kind, targetId: e.targets[type] });
      expect((await settled(app, t.tokens.READER, r.data.performEntityAction.action.id)).status).toBe('COMPLETED');
    }
    // the incident's own card is still pending: the ad-hoc disable did not complete it
    expect(await incidentView(t, e.incidentId)).toEqual(before);
    expect((await incident(app, t.tokens.READER, e.incidentId)).managedResponse.actions).toHaveLength(1);

    // and the incident's card, performed now, fails: the account is already disabled
    const after = await mutate(app, t.tokens.OPERATOR, 'performAction', { actionId: cards[0].id }, 'action { id }');
    expect(after.data.performAction.errors).toEqual([]);
    const failed = await settled(app, t.tokens.READER, cards[0].id);
    expect(failed.failureReason).toMatch(/^ALREADY_DISABLED/);
  });
});
