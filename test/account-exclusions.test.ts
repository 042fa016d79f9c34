// Remediation exclusions of accounts (SPEC.md section 4): "Remediation exclusions name device
// groups and accounts (e.g. break-glass and VIP accounts): experts never act on them [...]
// exclusions are checked when an expert publishes, performs and again when the executor runs the
// attempt." A message is its recipient's: a VIP's mailbox is excluded with the VIP. And the
// permission hints (viewerCanPerform / viewerCanSkip / viewerCannotPerformReason) of one card of
// every kind, for every role, under both service access levels.
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_KINDS, isOneClick, kindsFor, targetOf, type ActionKind } from '../src/registry/action-kinds';
import type { Role } from '../src/domain/viewer';
import { backend, startApp, type TestApp } from './helpers/app';
import { card, edrPeer, estateIncident, local, performAction, publish, settled, type EdrPeer, type Estate } from './helpers/estate';
import { encodeGlobalID, newTenant, type TenantFixture } from './helpers/factory';
import { incident, mutate, waitFor } from './helpers/response';

/** This file's tenants: the only work its executor claims on a shared database. */
const mine = new Set<string>();
let app: TestApp;
const peers: EdrPeer[] = [];
beforeAll(async () => {
  app = await startApp({ execution: { enabled: true, actionTimeoutMs: 60_000, pollMs: 50, leaseMs: 2_000 } } as never, {
    executor: { scope: () => [...mine], retryDelayMs: 100, maxRetryDelayMs: 200 },
  });
});
afterEach(async () => {
  while (peers.length) await peers.pop()!.close();
  app.server.executor.start(); // (a test may have paused it)
});
afterAll(async () => {
  await app?.close();
});

async function tenant(level: 'READER' | 'OPERATOR', remediationExclusions?: string[]) {
  const t = await newTenant(app, { serviceAccessLevel: level, remediationExclusions });
  mine.add(t.tenant.id);
  return t;
}

const TENANT = 'tenant { id remediationExclusions excludedAccounts { id upn remediationExcluded } }';

async function exclude(t: TenantFixture, input: Record<string, unknown>, token = t.tokens.ADMIN) {
  return mutate(app, token, 'setRemediationExclusions', input, TENANT);
}

async function account(token: string, id: string) {
  const r = await app.gql<any, any>(`query($id: ID!) { node(id: $id) { ... on Account { id upn enabled remediationExcluded } } }`, { id }, token);
  return r.data.node;
}

describe('setRemediationExclusions with accountIds', () => {
  it('an ADMIN names accounts: Tenant.excludedAccounts lists them, Account.remediationExcluded says so; device groups are left as they were', async () => {
    const t = await tenant('OPERATOR', ['Domain Controllers']);
    const vip = await estateIncident(app, t);
    const other = await estateIncident(app, t);
    const r = await exclude(t, { accountIds: [vip.targets.Account, vip.targets.Account] });
    expect(r.data.setRemediationExclusions).toEqual({
      tenant: { id: t.tenantGid, remediationExclusions: ['Domain Controllers'], excludedAccounts: [{ id: vip.targets.Account, upn: vip.names.upn, remediationExcluded: true }] },
      errors: [],
    });
    for (const role of ['READER', 'OPERATOR', 'EXPERT'] as Role[]) {
      expect(await account(t.tokens[role], vip.targets.Account)).toMatchObject({ remediationExcluded: true });
      expect(await account(t.tokens[role], other.targets.Account)).toMatchObject({ remediationExcluded: false });
    }
    const read = await app.gql<any, any>(`{ tenant { excludedAccounts { id } } }`, {}, t.tokens.READER);
    expect(read.data.tenant.excludedAccounts).toEqual([{ id: vip.targets.Account }]);

    // the full list each time: both, then none
    const both = await exclude(t, { accountIds: [other.targets.Account, vip.targets.Account] });
    expect(both.data.setRemediationExclusions.tenant.excludedAccounts.map((a: { id: string }) => a.id).sort()).toEqual([vip.targets.Account, other.targets.Account].sort());
    const none = await exclude(t, { accountIds: [] });
    expect(none.data.setRemediationExclusions.tenant).toMatchObject({ remediationExclusions: ['Domain Controllers'], excludedAccounts: [] });
    expect(await account(t.tokens.READER, vip.targets.Account)).toMatchObject({ remediationExcluded: false });
  });

  it("another tenant's account is NOT_FOUND, like one that never existed; nothing changes", async () => {
    const t = await tenant('OPERATOR');
    const u = await tenant('OPERATOR');
    const own = await estateIncident(app, t);
    const theirs = await estateIncident(app, u);
    await exclude(t, { accountIds: [own.targets.Account] });
    const foreign = await exclude(t, { accountIds: [own.targets.Account, theirs.targets.Account] });
    const missing = await exclude(t, { accountIds: [own.targets.Account, encodeGlobalID('Account', randomUUID())] });
    expect(foreign.data.setRemediationExclusions).toEqual({ tenant: null, errors: [expect.objectContaining({ code: 'NOT_FOUND', field: expect.arrayContaining(['accountIds', '1']) })] });
    expect(foreign.data.setRemediationExclusions).toEqual(missing.data.setRemediationExclusions);
    const read = await app.gql<any, any>(`{ tenant { excludedAccounts { id } } }`, {}, t.tokens.ADMIN);
    expect(read.data.tenant.excludedAccounts).toEqual([{ id: own.targets.Account }]);
    expect(await account(u.tokens.ADMIN, theirs.targets.Account)).toMatchObject({ remediationExcluded: false });
  });

  it('an id that is not an account is INVALID_INPUT; roles other than ADMIN are FORBIDDEN', async () => {
    const t = await tenant('OPERATOR');
    const e = await estateIncident(app, t);
    const bad = await exclude(t, { accountIds: [e.targets.Device] });
    expect(bad.data.setRemediationExclusions.errors).toEqual([expect.objectContaining({ code: 'INVALID_INPUT' })]);
    for (const role of ['READER', 'OPERATOR', 'EXPERT', 'INTEGRATION'] as Role[]) {
      const r = await exclude(t, { accountIds: [e.targets.Account] }, t.tokens[role]);
      expect(r.errors?.[0]?.extensions?.code, role).toBe('FORBIDDEN');
    }
    expect(await account(t.tokens.READER, e.targets.Account)).toMatchObject({ remediationExcluded: false });
  });
});

describe('an excluded account in an OPERATOR tenant', () => {
  const ACCOUNT_KINDS = kindsFor('Account').filter(isOneClick);

  it.each(ACCOUNT_KINDS)('%s: left to the customer at publish, refused to the experts, performed by the customer', async (kind) => {
    const t = await tenant('OPERATOR');
    const e = await estateIncident(app, t);
    expect((await exclude(t, { accountIds: [e.targets.Account] })).data.setRemediationExclusions.errors).toEqual([]);
    if (kind === 'ENABLE_USER') await app.database.query('update accounts set enabled = false where tenant_id = $1', [t.tenant.id]);
    // a card on another target in the same response: the experts act on that one
    const { errors, cards, incident: published } = await publish(app, t, e.incidentId, [{ kind, targetId: e.targets.Account }, { kind: 'BLOCK_INDICATOR', targetId: e.targets.Indicator }]);
    expect(errors).toEqual([]);
    const [onAccount, onIndicator] = cards;
    const named = `Account "${e.names.upn}" is excluded from expert remediation`;
    expect(onAccount).toMatchObject({ status: 'PENDING', performedBy: null, leftToCustomerReason: named, viewerCanPerform: false, viewerCannotPerformReason: named });
    expect(onIndicator).toMatchObject({ performedBy: 'EXPERTS', leftToCustomerReason: null });
    expect(published.status).toBe('IN_PROGRESS');
    const waiting = await waitFor(() => incident(app, t.tokens.READER, e.incidentId), (i) => i.status !== 'IN_PROGRESS');
    expect(waiting).toMatchObject({ status: 'AWAITING_CUSTOMER_ACTION', assignment: 'CUSTOMER' });

    // the experts are refused, and see why
    const refused = await performAction(app, t.tokens.EXPERT, onAccount.id);
    expect(refused.data.performAction).toEqual({ action: null, errors: [expect.objectContaining({ code: 'TARGET_EXCLUDED', message: named })] });
    expect(await card(app, t.tokens.EXPERT, onAccount.id)).toMatchObject({ status: 'PENDING', viewerCanPerform: false, viewerCannotPerformReason: named, viewerCanSkip: false });

    // the customer's OPERATOR may: exclusions bind the experts only
    expect(await card(app, t.tokens.OPERATOR, onAccount.id)).toMatchObject({ viewerCanPerform: true, viewerCannotPerformReason: null, viewerCanSkip: true });
    const r = await performAction(app, t.tokens.OPERATOR, onAccount.id);
    expect(r.data.performAction.errors).toEqual([]);
    const done = await settled(app, t.tokens.READER, onAccount.id);
    expect(done).toMatchObject({ status: 'COMPLETED', performedBy: 'CUSTOMER' });
    expect(done.attempts).toEqual([expect.objectContaining({ side: 'CUSTOMER', state: 'COMPLETED' })]);
    expect(await waitFor(() => incident(app, t.tokens.READER, e.incidentId), (i) => i.status === 'RESOLVED')).toMatchObject({ assignment: 'CUSTOMER' });
  });

  it('excluded after publishing, while the experts\' attempt is queued: never executed; the card goes back to the customer', async () => {
    const t = await tenant('OPERATOR');
    const e = await estateIncident(app, t);
    // Queued and not run: this file's executor is stopped. An account cannot go offline like a
    // device (test/exclusions.test.ts), so the tenant's actions go to a remote EDR that is down
    // (503): another test file's executor on a shared database that tries the attempt before the
    // exclusion lands gets it back for a retry, not executed.
    const edr = await edrPeer(app, t);
    peers.push(edr);
    edr.receiver.respond(() => ({ status: 503, body: 'maintenance' }));
    await app.server.executor.stop();
    let cardId = '';
    try {
      const { errors, cards, incident: published } = await publish(app, t, e.incidentId, [{ kind: 'DISABLE_USER', targetId: e.targets.Account }]);
      expect(errors).toEqual([]);
      cardId = cards[0].id;
      expect(cards[0]).toMatchObject({ status: 'IN_PROGRESS', performedBy: 'EXPERTS', leftToCustomerReason: null });
      expect(published.status).toBe('IN_PROGRESS');
      expect((await exclude(t, { accountIds: [e.targets.Account] })).data.setRemediationExclusions.errors).toEqual([]);
    } finally {
      app.server.executor.start();
    }
    // the EDR is back: anything sent from now on would be executed
    edr.receiver.respond(null);

    const failed = await settled(app, t.tokens.READER, cardId, 30_000);
    const named = `Account "${e.names.upn}" is excluded from expert remediation`;
    expect(failed).toMatchObject({ status: 'FAILED', section: 'PENDING', performedBy: 'EXPERTS', leftToCustomerReason: named, target: { enabled: true } });
    expect(failed.failureReason).toBe(`TARGET_EXCLUDED: account "${e.names.upn}" was excluded from expert remediation before the action ran; nothing was executed`);
    expect(failed.attempts).toEqual([expect.objectContaining({ number: 1, side: 'EXPERTS', state: 'FAILED', connector: 'http-edr', failureReason: failed.failureReason })]);
    // nothing reached the EDR that it accepted (on PGlite, where no other executor exists, nothing at all)
    if (backend === 'pglite') expect(edr.receiver.requests).toEqual([]);
    expect(await waitFor(() => incident(app, t.tokens.READER, e.incidentId), (i) => i.status !== 'IN_PROGRESS')).toMatchObject({ status: 'AWAITING_CUSTOMER_ACTION', assignment: 'CUSTOMER' });

    // the experts may not retry it; the customer may
    expect((await performAction(app, t.tokens.EXPERT, cardId)).data.performAction.errors[0].code).toBe('TARGET_EXCLUDED');
    // (on a shared database another executor may have tried the experts' attempt while the EDR was down)
    const tried = edr.receiver.requests.filter((r) => (r.json as { actionId?: string }).actionId === local(cardId)).length;
    expect((await performAction(app, t.tokens.OPERATOR, cardId)).data.performAction.errors).toEqual([]);
    const req = await edr.request(cardId, tried + 1);
    expect(req.body).toMatchObject({ kind: 'DISABLE_USER', target: { type: 'Account', upn: e.names.upn } });
    expect(await edr.report({ attemptId: req.body.attemptId, status: 'COMPLETED' }, req.body.callbackUrl)).toBe(200);
    const done = await settled(app, t.tokens.READER, cardId);
    expect(done).toMatchObject({ status: 'COMPLETED', performedBy: 'CUSTOMER', target: { enabled: false } });
    expect(done.attempts.map((a: { side: string; state: string }) => [a.side, a.state])).toEqual([
      ['EXPERTS', 'FAILED'],
      ['CUSTOMER', 'COMPLETED'],
    ]);
  });
});

describe("a message is its recipient's", () => {
  it("a message to an excluded account's UPN (any letter case) is excluded the same way; a message to someone else is not", async () => {
    const t = await tenant('OPERATOR');
    const tag = randomUUID().slice(0, 8);
    // the directory spells the UPN in mixed case, the mail system in lower case
    const upn = `CEO.${tag}@Contoso.com`;
    const vip = await estateIncident(app, t, { upn, recipient: upn.toLowerCase() });
    await exclude(t, { accountIds: [vip.targets.Account] });
    // another incident: a message to a mailbox nobody excluded
    const staff: Estate = await estateIncident(app, t);
    const named = `Account "${upn}" is excluded from expert remediation`;

    const { cards } = await publish(app, t, vip.incidentId, [{ kind: 'SOFT_DELETE_EMAIL', targetId: vip.targets.EmailMessage }]);
    expect(cards[0]).toMatchObject({ status: 'PENDING', performedBy: null, leftToCustomerReason: named });
    expect((await performAction(app, t.tokens.EXPERT, cards[0].id)).data.performAction.errors[0]).toMatchObject({ code: 'TARGET_EXCLUDED', message: named });
    expect(await card(app, t.tokens.EXPERT, cards[0].id)).toMatchObject({ viewerCanPerform: false, viewerCannotPerformReason: named });
    expect((await performAction(app, t.tokens.OPERATOR, cards[0].id)).data.performAction.errors).toEqual([]);
    expect(await settled(app, t.tokens.READER, cards[0].id)).toMatchObject({ status: 'COMPLETED', performedBy: 'CUSTOMER', target: { location: 'DELETED' } });

    const other = await publish(app, t, staff.incidentId, [{ kind: 'MOVE_EMAIL_TO_JUNK', targetId: staff.targets.EmailMessage }]);
    expect(other.cards[0]).toMatchObject({ performedBy: 'EXPERTS', leftToCustomerReason: null });
    expect(await settled(app, t.tokens.READER, other.cards[0].id)).toMatchObject({ status: 'COMPLETED', target: { location: 'JUNK' } });
  });
});

// ---------------------------------------------------------------- the permission hints

type Hint = [canPerform: boolean, canSkip: boolean, reason: RegExp | null];
const CAN: Hint = [true, true, null];
const READERS: Hint = [false, false, /^Readers cannot act on response actions/];
const INTEGRATIONS: Hint = [false, false, /^Integrations cannot act on response actions/];
const CUSTOMERS_DECIDE: Hint = [false, false, /^Manual actions and skipping are the customer's decision$/];
const EXPERTS_RECOMMEND: Hint = [false, false, /READER access level: experts recommend, the customer acts/];
const EXCLUDED: Hint = [false, false, /^(Device group "Workstations"|Account "[^"]+") is excluded from expert remediation$/];

type Variant = 'READER' | 'OPERATOR' | 'OPERATOR, targets excluded';

// What each role sees on a pending card: [variant, role, a one-click card, a one-click card on an excluded target, a MANUAL card]
const HINTS: [Variant, Role, Hint, Hint, Hint][] = [
  ['READER', 'READER', READERS, READERS, READERS],
  ['READER', 'OPERATOR', CAN, CAN, CAN],
  ['READER', 'ADMIN', CAN, CAN, CAN],
  ['READER', 'EXPERT', EXPERTS_RECOMMEND, EXPERTS_RECOMMEND, CUSTOMERS_DECIDE],
  ['READER', 'INTEGRATION', INTEGRATIONS, INTEGRATIONS, INTEGRATIONS],
  ['OPERATOR', 'READER', READERS, READERS, READERS],
  ['OPERATOR', 'OPERATOR', CAN, CAN, CAN],
  ['OPERATOR', 'ADMIN', CAN, CAN, CAN],
  // experts perform one-click cards, never skip
  ['OPERATOR', 'EXPERT', [true, false, null], [true, false, null], CUSTOMERS_DECIDE],
  ['OPERATOR', 'INTEGRATION', INTEGRATIONS, INTEGRATIONS, INTEGRATIONS],
  ['OPERATOR, targets excluded', 'READER', READERS, READERS, READERS],
  ['OPERATOR, targets excluded', 'OPERATOR', CAN, CAN, CAN],
  ['OPERATOR, targets excluded', 'ADMIN', CAN, CAN, CAN],
  ['OPERATOR, targets excluded', 'EXPERT', [true, false, null], EXCLUDED, CUSTOMERS_DECIDE],
  ['OPERATOR, targets excluded', 'INTEGRATION', INTEGRATIONS, INTEGRATIONS, INTEGRATIONS],
];

describe('permission hints: one pending card of every kind, every role, both access levels', () => {
  /** An incident with one pending card of every kind, in a tenant set up as the variant says. */
  const worlds = new Map<Variant, { t: TenantFixture; e: Estate; cards: Map<ActionKind, string> }>();
  async function world(variant: Variant) {
    if (worlds.has(variant)) return worlds.get(variant)!;
    // published under READER so that every card stays pending, then the variant's settings
    const t = await tenant('READER');
    const e = await estateIncident(app, t);
    const actions = ACTION_KINDS.map((kind) =>
      isOneClick(kind) ? { kind, targetId: e.targets[targetOf(kind)!] } : { kind, instructions: 'Reset the VPN credentials of the user' },
    );
    const { errors, cards } = await publish(app, t, e.incidentId, actions);
    expect(errors).toEqual([]);
    expect(cards.map((c) => c.status)).toEqual(ACTION_KINDS.map(() => 'PENDING'));
    if (variant !== 'READER') {
      expect((await mutate(app, t.tokens.ADMIN, 'setServiceAccessLevel', { level: 'OPERATOR' }, 'tenant { serviceAccessLevel }')).data.setServiceAccessLevel.errors).toEqual([]);
    }
    if (variant === 'OPERATOR, targets excluded') {
      // the device's group and the account (whose mailbox the message is in); indicators are nobody's
      expect((await exclude(t, { deviceGroups: [' workstations'], accountIds: [e.targets.Account] })).data.setRemediationExclusions.errors).toEqual([]);
    }
    const w = { t, e, cards: new Map(cards.map((c) => [c.kind as ActionKind, c.id as string])) };
    worlds.set(variant, w);
    return w;
  }

  it.each(HINTS)('%s tenant, %s', async (variant, role, oneClick, excludedOneClick, manual) => {
    const { t, e } = await world(variant);
    const r = await app.gql<any, any>(
      `query($id: ID!) { node(id: $id) { ... on Incident { managedResponse { actions { kind status viewerCanPerform viewerCanSkip viewerCannotPerformReason } } } } }`,
      { id: e.incidentId },
      t.tokens[role],
    );
    expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    const actual = r.data.node.managedResponse.actions;
    expect(actual.map((c: { kind: string }) => c.kind)).toEqual([...ACTION_KINDS]);
    const excludedTypes = variant === 'OPERATOR, targets excluded' ? ['Device', 'DeviceFile', 'Account', 'EmailMessage'] : [];
    for (const c of actual) {
      const kind = c.kind as ActionKind;
      const type = targetOf(kind);
      const [canPerform, canSkip, reason] = !isOneClick(kind) ? manual : excludedTypes.includes(type!) ? excludedOneClick : oneClick;
      expect({ kind, status: c.status, canPerform: c.viewerCanPerform, canSkip: c.viewerCanSkip }).toEqual({ kind, status: 'PENDING', canPerform, canSkip });
      if (reason) expect(c.viewerCannotPerformReason, kind).toMatch(reason);
      else expect(c.viewerCannotPerformReason, kind).toBeNull();
    }
  });

  it('the hints are what the commands do: an expert refused by the hint is refused by performAction with the same reason', async () => {
    const { t, cards } = await world('OPERATOR, targets excluded');
    for (const kind of ['DISABLE_USER', 'SOFT_DELETE_EMAIL', 'QUARANTINE_FILE', 'ISOLATE_DEVICE'] as ActionKind[]) {
      const id = cards.get(kind)!;
      const hint = await card(app, t.tokens.EXPERT, id);
      const r = await performAction(app, t.tokens.EXPERT, id);
      expect(r.data.performAction.errors, kind).toEqual([expect.objectContaining({ code: 'TARGET_EXCLUDED', message: hint.viewerCannotPerformReason })]);
    }
    const manual = await mutate(app, t.tokens.EXPERT, 'completeManualAction', { actionId: cards.get('MANUAL')! }, 'action { id }');
    expect(manual.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
