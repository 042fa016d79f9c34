// Every kind of the registry (src/registry/action-kinds.ts) through the API, on the built-in
// estate and through a remote EDR (SPEC.md section 4, "Action cards" and "Response beyond
// devices"): each one-click kind completes with a visible effect on its target and has a real
// failure case; indicators named by value; targets checked at publish; the estate created and
// matched from ingested evidence. The tables below are keyed by kind, and the tests iterate the
// registry: a new kind without a case fails here (and does not compile).
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../src/config';
import { ACTION_KIND_REGISTRY, ACTION_KINDS, isOneClick, kindsFor, targetOf, type OneClickKind, type TargetType } from '../src/registry/action-kinds';
import { backend, startApp, type TestApp } from './helpers/app';
import {
  edrPeer,
  estateIncident,
  estateIncidentInput,
  estateNames,
  local,
  performAction,
  performAndSettle,
  performEntityAction,
  publish,
  settled,
  written,
  type EdrPeer,
  type Estate,
} from './helpers/estate';
import { encodeGlobalID, newTenant, type TenantFixture } from './helpers/factory';
import { incident, mutate, summary, waitFor } from './helpers/response';

const ONE_CLICK = ACTION_KINDS.filter(isOneClick) as OneClickKind[];

const execution = (over: Partial<Config['execution']> = {}) =>
  ({ execution: { enabled: true, actionTimeoutMs: 60_000, pollMs: 50, leaseMs: 2_000, ...over } }) as Partial<Config>;

/** This file's tenants: the only work its executors claim on a shared database. */
const mine = new Set<string>();
/** Tenants whose actions time out quickly (performed through `quick`). */
const quickTenants = new Set<string>();
let app: TestApp;
/** A second server on the same database whose actions time out after 3 s (offline devices). */
let quick: TestApp;
const peers: EdrPeer[] = [];

beforeAll(async () => {
  app = await startApp(execution(), { executor: { scope: () => [...mine] } });
  quick = await startApp(execution({ actionTimeoutMs: 3_000 }), {
    executor: { scope: () => [...quickTenants] },
    database: backend === 'pglite' ? app.database : undefined,
  });
});
afterEach(async () => {
  while (peers.length) await peers.pop()!.close();
});
afterAll(async () => {
  await quick?.close(); // first: on PGlite it borrows the app's database
  await app?.close();
});

async function tenant(level: 'READER' | 'OPERATOR' = 'READER', set = mine) {
  const t = await newTenant(app, { serviceAccessLevel: level });
  set.add(t.tenant.id);
  return t;
}

type Card = any;
type TargetView = any;

interface KindCase {
  /** Run first, so that the kind has something to act on (an undo needs its kind in place). */
  prepare?: OneClickKind;
  /** Card options (scanType). */
  input?: Record<string, unknown>;
  /** What the user sees on the target: `before` as it was when the kind ran, `after` once it completed. */
  effect(after: TargetView, before: TargetView): void;
  /** What the completed attempt records on the built-in estate (null: nothing). */
  result: RegExp | null;
  /** The same kind run again on the same target: fails with this reason, or succeeds (the state asked for holds). */
  repeat: { fails: RegExp } | { succeeds(again: Card, first: Card): void };
  /** For kinds whose repeat succeeds: the real failure case tested instead. */
  failure?: 'device offline' | 'EDR refuses';
}

const unchanged = (after: TargetView, before: TargetView) => expect(after).toEqual(before);
const recently = (iso: string | null) => {
  expect(iso).not.toBeNull();
  expect(Math.abs(Date.now() - new Date(iso!).getTime())).toBeLessThan(60_000);
};

const CASES: Record<OneClickKind, KindCase> = {
  ISOLATE_DEVICE: {
    effect: (a, b) => expect([b.isolated, a.isolated, a.appExecutionRestricted]).toEqual([false, true, false]),
    result: null,
    // as in Defender: isolating an isolated device succeeds, the isolation holds
    repeat: { succeeds: (again, first) => expect(again.target).toEqual(first.target) },
    failure: 'device offline',
  },
  RELEASE_FROM_ISOLATION: {
    prepare: 'ISOLATE_DEVICE',
    effect: (a, b) => expect([b.isolated, a.isolated]).toEqual([true, false]),
    result: null,
    repeat: { fails: /^NOT_ISOLATED: the device is not isolated$/ },
  },
  QUARANTINE_FILE: {
    effect: (a, b) => expect([b.quarantined, a.quarantined]).toEqual([false, true]),
    result: null,
    repeat: { fails: /^FILE_NOT_FOUND: / },
  },
  RESTRICT_APP_EXECUTION: {
    effect: (a, b) => expect([b.appExecutionRestricted, a.appExecutionRestricted, a.isolated]).toEqual([false, true, false]),
    result: null,
    repeat: { succeeds: (again, first) => expect(again.target).toEqual(first.target) },
    failure: 'device offline',
  },
  REMOVE_APP_RESTRICTION: {
    prepare: 'RESTRICT_APP_EXECUTION',
    effect: (a, b) => expect([b.appExecutionRestricted, a.appExecutionRestricted]).toEqual([true, false]),
    result: null,
    repeat: { fails: /^NOT_RESTRICTED: / },
  },
  RUN_ANTIVIRUS_SCAN: {
    input: { scanType: 'QUICK' },
    effect: unchanged,
    // the threats found: the device's known files not quarantined
    result: /^Quick scan: 1 threat found: C:\\Users\\jdoe\\Downloads\\invoice\.exe$/,
    repeat: { succeeds: (again) => expect(again.attempts[0].result).toMatch(/^Quick scan: 1 threat found/) },
    failure: 'device offline',
  },
  COLLECT_INVESTIGATION_PACKAGE: {
    effect: unchanged,
    result: /^Investigation package collected: \d+\.\d MB, reference investigation-packages\/[0-9a-f-]{36}\/[0-9a-f-]{36}\.zip$/,
    // each collection is another package
    repeat: { succeeds: (again, first) => expect(again.attempts[0].result).not.toBe(first.attempts[0].result) },
    failure: 'device offline',
  },
  DISABLE_USER: {
    effect: (a, b) => expect([b.enabled, a.enabled]).toEqual([true, false]),
    result: null,
    repeat: { fails: /^ALREADY_DISABLED: the account is already disabled$/ },
  },
  ENABLE_USER: {
    prepare: 'DISABLE_USER',
    effect: (a, b) => expect([b.enabled, a.enabled]).toEqual([false, true]),
    result: null,
    repeat: { fails: /^NOT_DISABLED: the account is not disabled$/ },
  },
  REVOKE_SESSIONS: {
    effect: (a, b) => {
      expect(b.sessionsRevokedAt).toBeNull();
      recently(a.sessionsRevokedAt);
      expect({ ...a, sessionsRevokedAt: null }).toEqual(b);
    },
    result: /^Sessions revoked at \d{4}-\d\d-\d\dT/,
    // revoking again revokes the sessions opened since
    repeat: { succeeds: (again, first) => expect(new Date(again.target.sessionsRevokedAt).getTime()).toBeGreaterThanOrEqual(new Date(first.target.sessionsRevokedAt).getTime()) },
    failure: 'EDR refuses',
  },
  FORCE_PASSWORD_RESET: {
    effect: (a, b) => expect([b.passwordResetRequired, a.passwordResetRequired, a.enabled]).toEqual([false, true, true]),
    result: null,
    repeat: { fails: /^ALREADY_REQUIRED: / },
  },
  SOFT_DELETE_EMAIL: {
    effect: (a, b) => expect([b.location, a.location]).toEqual(['INBOX', 'DELETED']),
    result: null,
    repeat: { fails: /^ALREADY_DELETED: / },
  },
  MOVE_EMAIL_TO_JUNK: {
    effect: (a, b) => expect([b.location, a.location]).toEqual(['INBOX', 'JUNK']),
    result: null,
    repeat: { fails: /^ALREADY_IN_JUNK: / },
  },
  RESTORE_EMAIL: {
    prepare: 'MOVE_EMAIL_TO_JUNK',
    effect: (a, b) => expect([b.location, a.location]).toEqual(['JUNK', 'INBOX']),
    result: null,
    repeat: { fails: /^ALREADY_IN_INBOX: / },
  },
  BLOCK_INDICATOR: {
    effect: (a, b) => expect([b.action, a.action, a.expiresAt]).toEqual(['ALLOWED', 'BLOCK', null]),
    result: /^Blocked$/,
    repeat: { fails: /^ALREADY_BLOCKED: the indicator is already blocked$/ },
  },
  UNBLOCK_INDICATOR: {
    prepare: 'BLOCK_INDICATOR',
    effect: (a, b) => expect([b.action, a.action, a.expiresAt]).toEqual(['BLOCK', 'ALLOWED', null]),
    result: null,
    repeat: { fails: /^NOT_BLOCKED: / },
  },
};

/** The case of a kind; a kind added to the registry without one fails here. */
function caseOf(kind: OneClickKind): KindCase {
  const c = CASES[kind];
  expect(c, `kinds.test.ts has no case for ${kind}`).toBeDefined();
  return c;
}

describe('the registry', () => {
  it('every one-click kind has a case here, with a real failure', () => {
    for (const kind of ONE_CLICK) {
      const c = caseOf(kind);
      expect('fails' in c.repeat || c.failure, `${kind}: no failure case`).toBeTruthy();
      if (c.prepare) expect(ACTION_KIND_REGISTRY[c.prepare].undo, `${kind} is prepared by the kind it undoes`).toBe(kind);
    }
    expect(Object.keys(CASES).sort()).toEqual([...ONE_CLICK].sort());
  });

  it('the GraphQL enum and the target union follow it', async () => {
    const t = await tenant();
    const r = await app.gql<any, any>(`{ kinds: __type(name: "ActionKind") { enumValues { name } } target: __type(name: "ActionTarget") { possibleTypes { name } } }`, {}, t.tokens.READER);
    expect(r.data.kinds.enumValues.map((v: { name: string }) => v.name)).toEqual([...ACTION_KINDS]);
    const types = new Set(ACTION_KINDS.map(targetOf).filter(Boolean));
    expect(r.data.target.possibleTypes.map((p: { name: string }) => p.name).sort()).toEqual([...types].sort());
  });
});

/** Publish [prepare?, kind, kind] on the kind's target in a READER tenant (every card left to the customer). */
async function publishRepeat(t: TenantFixture, e: Estate, kind: OneClickKind) {
  const c = caseOf(kind);
  const targetId = e.targets[targetOf(kind)!];
  const actions = [...(c.prepare ? [{ kind: c.prepare, targetId }] : []), { kind, targetId, ...c.input }, { kind, targetId, ...c.input }];
  const p = await publish(app, t, e.incidentId, actions);
  expect(p.errors).toEqual([]);
  expect(p.cards.map((x) => [x.kind, x.status, x.target.id])).toEqual(actions.map((a) => [a.kind, 'PENDING', targetId]));
  return { prepare: c.prepare ? p.cards[0] : null, first: p.cards.at(-2), again: p.cards.at(-1) };
}

describe.each(ONE_CLICK)('%s on the built-in estate', (kind) => {
  it('completes with its effect on the target; run again it fails or holds, as the kind says', async () => {
    const c = caseOf(kind);
    const t = await tenant();
    const e = await estateIncident(app, t);
    const cards = await publishRepeat(t, e, kind);
    let before = cards.first.target;
    if (cards.prepare) {
      const prepared = await performAndSettle(app, t, cards.prepare.id);
      expect(prepared.status).toBe('COMPLETED');
      before = prepared.target;
    }

    const first = await performAndSettle(app, t, cards.first.id);
    expect(first).toMatchObject({ status: 'COMPLETED', section: 'COMPLETED', performedBy: 'CUSTOMER', failureReason: null });
    expect(first.attempts).toEqual([
      { number: 1, side: 'CUSTOMER', state: 'COMPLETED', connector: 'fleet', failureReason: null, result: c.result ? expect.stringMatching(c.result) : null, performedBy: { id: encodeGlobalID('Principal', t.principals.OPERATOR.id) } },
    ]);
    c.effect(first.target, before);

    const again = await performAndSettle(app, t, cards.again.id);
    if ('fails' in c.repeat) {
      expect(again).toMatchObject({ status: 'FAILED', section: 'PENDING', performedBy: 'CUSTOMER' });
      expect(again.failureReason).toMatch(c.repeat.fails);
      expect(again.attempts).toEqual([expect.objectContaining({ number: 1, state: 'FAILED', failureReason: again.failureReason, result: null })]);
      // a failed action changed nothing
      expect(again.target).toEqual(first.target);
      // a failed card is still pending: the incident waits for the customer
      expect((await incident(app, t.tokens.READER, e.incidentId)).status).toBe('AWAITING_CUSTOMER_ACTION');
    } else {
      expect(again.status).toBe('COMPLETED');
      c.repeat.succeeds(again, first);
    }
  });
});

describe('real failures of kinds whose repeat succeeds', () => {
  const offline = ONE_CLICK.filter((k) => CASES[k]?.failure === 'device offline');

  // Side by side: each waits out the quick server's 3 s action timeout (own tenant each).
  it.concurrent.each(offline)('%s on a device that stays offline fails TIMED_OUT, and the device is untouched', async (kind) => {
    const t = await tenant('READER', quickTenants);
    const e = await estateIncident(quick, t);
    const off = await mutate(quick, t.tokens.ADMIN, 'setDeviceHealth', { deviceId: e.targets.Device, health: 'INACTIVE' }, 'device { healthStatus }');
    expect(off.data.setDeviceHealth.device.healthStatus).toBe('INACTIVE');
    const { cards } = await publish(quick, t, e.incidentId, [{ kind, targetId: e.targets[targetOf(kind)!] }]);
    const before = cards[0].target;
    const r = await performAction(quick, t.tokens.OPERATOR, cards[0].id);
    expect(r.data.performAction.action.status).toBe('IN_PROGRESS');
    const failed = await settled(quick, t.tokens.READER, cards[0].id);
    expect(failed).toMatchObject({ status: 'FAILED', section: 'PENDING' });
    expect(failed.failureReason).toBe('TIMED_OUT: the device stayed offline');
    expect(failed.attempts).toEqual([expect.objectContaining({ state: 'FAILED', failureReason: failed.failureReason, result: null })]);
    expect(failed.target).toEqual(before);
  });

  it('REVOKE_SESSIONS refused by the directory (the EDR reports FAILED): the card fails with its reason; the sessions stay', async () => {
    expect(CASES.REVOKE_SESSIONS.failure).toBe('EDR refuses');
    const t = await tenant();
    const edr = await edrPeer(app, t);
    peers.push(edr);
    const e = await estateIncident(app, t);
    const { cards } = await publish(app, t, e.incidentId, [{ kind: 'REVOKE_SESSIONS', targetId: e.targets.Account }]);
    expect((await performAction(app, t.tokens.OPERATOR, cards[0].id)).data.performAction.errors).toEqual([]);
    const req = await edr.request(cards[0].id);
    expect(await edr.report({ attemptId: req.body.attemptId, status: 'FAILED', reason: 'Insufficient privileges to complete the operation' }, req.body.callbackUrl)).toBe(200);
    const failed = await settled(app, t.tokens.READER, cards[0].id);
    expect(failed).toMatchObject({ status: 'FAILED', failureReason: 'EDR_FAILED: Insufficient privileges to complete the operation', target: { sessionsRevokedAt: null } });
    expect(failed.attempts).toEqual([expect.objectContaining({ state: 'FAILED', connector: 'http-edr', result: null })]);
  });

  it('MOVE_EMAIL_TO_JUNK of a soft-deleted message fails MESSAGE_DELETED; restored, it can be moved', async () => {
    const t = await tenant();
    const e = await estateIncident(app, t);
    const m = e.targets.EmailMessage;
    const { cards } = await publish(app, t, e.incidentId, [
      { kind: 'SOFT_DELETE_EMAIL', targetId: m },
      { kind: 'MOVE_EMAIL_TO_JUNK', targetId: m },
      { kind: 'RESTORE_EMAIL', targetId: m },
    ]);
    const [del, junk, restore] = cards;
    expect((await performAndSettle(app, t, del.id)).target.location).toBe('DELETED');
    const refused = await performAndSettle(app, t, junk.id);
    expect(refused).toMatchObject({ status: 'FAILED', target: { location: 'DELETED' } });
    expect(refused.failureReason).toMatch(/^MESSAGE_DELETED: /);
    expect((await performAndSettle(app, t, restore.id)).target.location).toBe('INBOX');
    // the customer retries the failed card
    const retried = await performAndSettle(app, t, junk.id);
    expect(retried).toMatchObject({ status: 'COMPLETED', target: { location: 'JUNK' } });
    expect(retried.attempts.map((a: { state: string }) => a.state)).toEqual(['FAILED', 'COMPLETED']);
  });

  it('a RUN_ANTIVIRUS_SCAN (FULL by default) after QUARANTINE_FILE finds no threats', async () => {
    const t = await tenant();
    const e = await estateIncident(app, t);
    const { cards } = await publish(app, t, e.incidentId, [
      { kind: 'RUN_ANTIVIRUS_SCAN', targetId: e.targets.Device },
      { kind: 'QUARANTINE_FILE', targetId: e.targets.DeviceFile },
      { kind: 'RUN_ANTIVIRUS_SCAN', targetId: e.targets.Device },
    ]);
    expect((await performAndSettle(app, t, cards[0].id)).attempts[0].result).toBe('Full scan: 1 threat found: C:\\Users\\jdoe\\Downloads\\invoice.exe');
    expect((await performAndSettle(app, t, cards[1].id)).status).toBe('COMPLETED');
    expect((await performAndSettle(app, t, cards[2].id)).attempts[0].result).toBe('Full scan: no threats found');
  });
});

describe('undo kinds reverse their kind', () => {
  const pairs = ONE_CLICK.flatMap((k) => (ACTION_KIND_REGISTRY[k].undo ? [[k, ACTION_KIND_REGISTRY[k].undo as OneClickKind] as const] : []));

  it.each(pairs)('%s then %s: the target is back as it was', async (kind, undo) => {
    expect(targetOf(undo)).toBe(targetOf(kind));
    const t = await tenant();
    const e = await estateIncident(app, t);
    const targetId = e.targets[targetOf(kind)!];
    const { cards } = await publish(app, t, e.incidentId, [{ kind, targetId }, { kind: undo, targetId }]);
    const original = cards[0].target;
    const done = await performAndSettle(app, t, cards[0].id);
    expect(done.status).toBe('COMPLETED');
    expect(done.target).not.toEqual(original);
    const undone = await performAndSettle(app, t, cards[1].id);
    expect(undone.status).toBe('COMPLETED');
    expect(undone.target).toEqual(original);
  });
});

// ---------------------------------------------------------------- a remote EDR

/** What a remote responder needs to find each target type, from the estate's names. */
const DESCRIBED: Record<TargetType, (e: Estate) => Record<string, unknown>> = {
  Device: (e) => ({ deviceName: e.names.deviceName, deviceGroup: 'Workstations', osPlatform: 'Windows11' }),
  DeviceFile: (e) => ({ deviceName: e.names.deviceName, deviceId: local(e.targets.Device), fileName: 'invoice.exe', sha1: e.names.sha1, sha256: e.names.sha256 }),
  Account: (e) => ({ upn: e.names.upn, accountName: e.names.upn.split('@')[0], domain: 'CONTOSO' }),
  EmailMessage: (e) => ({ networkMessageId: e.names.networkMessageId, recipient: e.names.recipient, sender: 'billing@evil.example' }),
  Indicator: (e) => ({ indicatorType: 'IP_ADDRESS', value: e.names.ip }),
};

/** Perform a card and complete it through the EDR with this result; returns the request the EDR saw. */
async function runThroughEdr(t: TenantFixture, edr: EdrPeer, cardGid: string, result: string) {
  expect((await performAction(app, t.tokens.OPERATOR, cardGid)).data.performAction.errors).toEqual([]);
  const req = await edr.request(cardGid);
  expect(await edr.report({ attemptId: req.body.attemptId, status: 'COMPLETED', result }, req.body.callbackUrl)).toBe(200);
  return { req, done: await settled(app, t.tokens.READER, cardGid) };
}

describe.each(ONE_CLICK)('%s through a remote EDR', (kind) => {
  it('the signed request names the kind, its action and the target; a COMPLETED report with a result completes the card', async () => {
    const c = caseOf(kind);
    const spec = ACTION_KIND_REGISTRY[kind];
    const type = targetOf(kind)!;
    const t = await tenant();
    const edr = await edrPeer(app, t);
    peers.push(edr);
    const e = await estateIncident(app, t);
    const targetId = e.targets[type];
    const { cards } = await publish(app, t, e.incidentId, [...(c.prepare ? [{ kind: c.prepare, targetId }] : []), { kind, targetId, ...c.input }]);
    let before = cards.at(-1).target;
    if (c.prepare) {
      const prepared = await runThroughEdr(t, edr, cards[0].id, 'done');
      expect(prepared.done.status).toBe('COMPLETED');
      before = prepared.done.target;
    }

    const result = `${spec.edrAction} reported by the responder for ${kind}`;
    const { req, done } = await runThroughEdr(t, edr, cards.at(-1).id, result);
    expect(req.signatureValid).toBe(true);
    expect(req.idempotencyKey).toBe(req.body.attemptId);
    expect(req.body).toMatchObject({
      actionId: local(cards.at(-1).id),
      kind,
      action: spec.edrAction,
      target: { type, id: local(targetId), ...DESCRIBED[type](e) },
      parameters: c.input ?? {},
    });
    expect(typeof req.body.action).toBe('string');
    // device and file stay for responders written against device actions
    expect(req.body.device).toEqual(type === 'Device' || type === 'DeviceFile' ? { id: local(e.targets.Device), name: e.names.deviceName } : null);
    expect(req.body.file === null).toBe(type !== 'DeviceFile');

    expect(done).toMatchObject({ status: 'COMPLETED', performedBy: 'CUSTOMER', failureReason: null });
    expect(done.attempts).toEqual([expect.objectContaining({ number: 1, state: 'COMPLETED', connector: 'http-edr', result })]);
    // our view of the estate reflects what the EDR did
    c.effect(done.target, before);
  });
});

// ---------------------------------------------------------------- indicators named by value

// Concurrent: the two expiry tests mostly wait for their expiries to pass, and every test here
// has its own tenant (no peers, nothing shared), so the others run meanwhile.
describe.concurrent('BLOCK_INDICATOR from an indicator of compromise', () => {
  it('blocks with an expiry; after it the indicator reads ALLOWED and can be blocked again', async () => {
    const t = await tenant();
    const e = await estateIncident(app, t);
    const hash = 'AB'.repeat(32); // not in any evidence; stored in lower case
    const expiresAt = new Date(Date.now() + 6_000).toISOString();
    const before = await written(app, t.tenant.id);
    const { errors, cards } = await publish(
      app,
      t,
      e.incidentId,
      [
        { kind: 'BLOCK_INDICATOR', indicator: { type: 'FILE_SHA256', value: hash, expiresAt } },
        { kind: 'BLOCK_INDICATOR', indicator: { type: 'FILE_SHA256', value: ` ${hash.toLowerCase()} ` } },
      ],
      { ...summary, indicatorsOfCompromise: [{ type: 'FILE_HASH', value: hash }] },
    );
    expect(errors).toEqual([]);
    const [timed, plain] = cards;
    expect(timed).toMatchObject({ kind: 'BLOCK_INDICATOR', status: 'PENDING', expiresAt, target: { __typename: 'Indicator', type: 'FILE_SHA256', value: hash.toLowerCase(), action: 'ALLOWED', expiresAt: null } });
    // the same indicator, matched, not a second one
    expect(plain).toMatchObject({ expiresAt: null, target: { id: timed.target.id } });
    expect((await written(app, t.tenant.id)).indicators).toBe(before.indicators + 1);

    const blocked = await performAndSettle(app, t, timed.id);
    expect(blocked).toMatchObject({ status: 'COMPLETED', target: { action: 'BLOCK', expiresAt } });
    expect(blocked.attempts[0].result).toBe(`Blocked until ${expiresAt}`);
    const twice = await performAndSettle(app, t, plain.id);
    expect(twice).toMatchObject({ status: 'FAILED', failureReason: 'ALREADY_BLOCKED: the indicator is already blocked' });

    // the block lapses by itself
    const lapsed = await waitFor(
      () => app.gql<any, any>(`query($id: ID!) { node(id: $id) { ... on Indicator { action } } }`, { id: timed.target.id }, t.tokens.READER),
      (r) => r.data.node.action === 'ALLOWED',
      15_000,
    );
    expect(lapsed.data.node.action).toBe('ALLOWED');
    expect(Date.now()).toBeGreaterThanOrEqual(new Date(expiresAt).getTime());

    const again = await performAndSettle(app, t, plain.id);
    expect(again).toMatchObject({ status: 'COMPLETED', target: { action: 'BLOCK', expiresAt: null } });
    expect(again.attempts.map((a: { state: string; result: string | null }) => [a.state, a.result])).toEqual([
      ['FAILED', null],
      ['COMPLETED', 'Blocked'],
    ]);
  });

  it('an expiry that passed before the action ran fails EXPIRY_PASSED; nothing is blocked', async () => {
    const t = await tenant();
    const e = await estateIncident(app, t);
    // 3 s: room for the publish on a loaded machine (the wait overlaps the test above)
    const expiresAt = new Date(Date.now() + 3_000).toISOString();
    const { errors, cards } = await publish(app, t, e.incidentId, [{ kind: 'BLOCK_INDICATOR', indicator: { type: 'DOMAIN', value: 'Evil.Example.', expiresAt } }]);
    expect(errors).toEqual([]);
    expect(cards[0]).toMatchObject({ expiresAt, target: { type: 'DOMAIN', value: 'evil.example', action: 'ALLOWED' } });
    await new Promise((r) => setTimeout(r, Math.max(0, new Date(expiresAt).getTime() - Date.now() + 100)));
    const late = await performAndSettle(app, t, cards[0].id);
    expect(late).toMatchObject({ status: 'FAILED', target: { action: 'ALLOWED' } });
    expect(late.failureReason).toMatch(/^EXPIRY_PASSED: /);
  });

  // [case, the indicator input, what the message says]
  const BAD: [string, Record<string, unknown>, RegExp][] = [
    ['a 39-character SHA-1', { type: 'FILE_SHA1', value: 'a'.repeat(39) }, /SHA-1 is 40 hexadecimal/],
    ['a SHA-256 with a non-hex character', { type: 'FILE_SHA256', value: `${'a'.repeat(63)}g` }, /SHA-256 is 64 hexadecimal/],
    ['"not-an-ip"', { type: 'IP_ADDRESS', value: 'not-an-ip' }, /not an IPv4 or IPv6 address/],
    ['"ftp://x"', { type: 'URL', value: 'ftp://x' }, /http or https/],
    ['a URL that does not parse', { type: 'URL', value: 'evil.example/login' }, /not a URL/],
    ['a domain with a space', { type: 'DOMAIN', value: 'evil example.com' }, /not a domain name/],
    ['an empty value', { type: 'DOMAIN', value: '   ' }, /1 to 2,000 characters/],
    ['an expiry in the past', { type: 'IP_ADDRESS', value: '192.0.2.1', expiresAt: new Date(Date.now() - 60_000).toISOString() }, /expiresAt must be in the future/],
  ];

  it.each(BAD)('%s is INVALID_INPUT at publish, with nothing written', async (_case, indicator, message) => {
    const t = await tenant();
    const e = await estateIncident(app, t);
    const before = await written(app, t.tenant.id);
    // a valid card first: the whole publish is refused, not just the bad card
    const { errors } = await publish(app, t, e.incidentId, [{ kind: 'ISOLATE_DEVICE', targetId: e.targets.Device }, { kind: 'BLOCK_INDICATOR', indicator }]);
    expect(errors).toEqual([expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(message) })]);
    expect(errors[0].field).toEqual(expect.arrayContaining(['actions', '1', 'indicator']));
    expect(await written(app, t.tenant.id)).toEqual(before);
    expect(await incident(app, t.tokens.READER, e.incidentId)).toMatchObject({ status: 'IN_PROGRESS', managedResponse: null });
  });

  it.each(BAD)('%s is INVALID_INPUT from an entity page too, with nothing written', async (_case, indicator, message) => {
    const t = await tenant();
    const before = await written(app, t.tenant.id);
    const r = await performEntityAction(app, t.tokens.OPERATOR, { kind: 'BLOCK_INDICATOR', indicator });
    expect(r.data.performEntityAction).toEqual({ action: null, errors: [expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(message) })] });
    expect(await written(app, t.tenant.id)).toEqual(before);
  });

  it('an indicator is for the indicator kinds only, an expiry for blocks only, scanType for scans only', async () => {
    const t = await tenant();
    const e = await estateIncident(app, t);
    const before = await written(app, t.tenant.id);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    for (const [action, message] of [
      [{ kind: 'ISOLATE_DEVICE', indicator: { type: 'IP_ADDRESS', value: '192.0.2.1' } }, /does not take an indicator/],
      [{ kind: 'UNBLOCK_INDICATOR', indicator: { type: 'IP_ADDRESS', value: '192.0.2.1', expiresAt: future } }, /only a block expires/],
      [{ kind: 'BLOCK_INDICATOR', targetId: e.targets.Indicator, indicator: { type: 'IP_ADDRESS', value: '192.0.2.1' } }, /not both/],
      [{ kind: 'BLOCK_INDICATOR' }, /needs a targetId or an indicator/],
      [{ kind: 'ISOLATE_DEVICE', targetId: e.targets.Device, scanType: 'QUICK' }, /scanType is for RUN_ANTIVIRUS_SCAN/],
    ] as const) {
      const { errors } = await publish(app, t, e.incidentId, [action]);
      expect(errors, JSON.stringify(action)).toEqual([expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(message) })]);
    }
    expect(await written(app, t.tenant.id)).toEqual(before);
  });
});

// ---------------------------------------------------------------- targets checked at publish

describe('targets are checked at publish', () => {
  let t: TenantFixture;
  let e: Estate;
  /** Another incident of the same tenant: its entities are not in `e`'s evidence. */
  let other: Estate;
  /** Another tenant's incident. */
  let foreign: Estate;
  beforeAll(async () => {
    t = await tenant('OPERATOR');
    e = await estateIncident(app, t);
    other = await estateIncident(app, t);
    const u = await tenant('OPERATOR');
    foreign = await estateIncident(app, u);
  });

  async function refused(actions: Record<string, unknown>[]) {
    const before = await written(app, t.tenant.id);
    const { errors } = await publish(app, t, e.incidentId, [{ kind: 'MANUAL', instructions: 'Call the user' }, ...actions]);
    expect(await written(app, t.tenant.id)).toEqual(before);
    expect(await incident(app, t.tokens.READER, e.incidentId)).toMatchObject({ status: 'IN_PROGRESS', managedResponse: null });
    return errors;
  }

  /** A target of another type than the kind's. */
  const WRONG: Record<TargetType, TargetType> = { Device: 'Account', DeviceFile: 'Device', Account: 'EmailMessage', EmailMessage: 'Indicator', Indicator: 'DeviceFile' };

  it.each(ONE_CLICK)('%s with a target of another type is INVALID_INPUT, nothing written', async (kind) => {
    const wanted = targetOf(kind)!;
    const errors = await refused([{ kind, targetId: e.targets[WRONG[wanted]] }]);
    expect(errors).toEqual([expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringContaining(`${kind} targets a`) })]);
    expect(errors[0].message).toContain(wanted);
  });

  it('a MANUAL card with a target, and a one-click card without one, are INVALID_INPUT', async () => {
    expect(await refused([{ kind: 'MANUAL', targetId: e.targets.Device, instructions: 'x' }])).toEqual([expect.objectContaining({ code: 'INVALID_INPUT' })]);
    expect(await refused([{ kind: 'DISABLE_USER' }])).toEqual([expect.objectContaining({ code: 'INVALID_INPUT', message: expect.stringMatching(/needs a targetId/) })]);
  });

  const TYPES = [...new Set(ONE_CLICK.map((k) => targetOf(k)!))];

  it.each(TYPES)("a %s of the tenant that is not in the incident's evidence is NOT_FOUND, nothing written", async (type) => {
    const [kind] = kindsFor(type).filter(isOneClick);
    const errors = await refused([{ kind, targetId: other.targets[type] }]);
    expect(errors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', message: expect.stringMatching(/of this incident's evidence/) })]);
  });

  it.each(TYPES)("another tenant's %s is NOT_FOUND, exactly like one not in the evidence", async (type) => {
    const [kind] = kindsFor(type).filter(isOneClick);
    const foreignErrors = await refused([{ kind, targetId: foreign.targets[type] }]);
    const otherErrors = await refused([{ kind, targetId: other.targets[type] }]);
    expect(foreignErrors).toEqual(otherErrors);
  });

  it('an unknown id of the right type is NOT_FOUND too', async () => {
    const errors = await refused([{ kind: 'DISABLE_USER', targetId: Buffer.from(`Account:${randomUUID()}`).toString('base64') }]);
    expect(errors).toEqual([expect.objectContaining({ code: 'NOT_FOUND' })]);
  });
});

// ---------------------------------------------------------------- the estate from evidence

describe('ingestion creates and matches the estate', () => {
  const INCIDENT = `id accounts { id accountName domain upn displayName enabled sessionsRevokedAt passwordResetRequired }
    emailMessages { id networkMessageId recipient sender subject receivedAt location }
    alerts { nodes { evidence { kind value account { id } emailMessage { id } indicator { id type value action expiresAt } } } }`;

  async function ingest(t: TenantFixture, evidence: Record<string, unknown>[]) {
    const ext = `ext-${randomUUID()}`;
    const r = await app.gql<any, any>(
      `mutation($input: IngestIncidentInput!) { ingestIncident(input: $input) { incident { ${INCIDENT} } errors { code message field } } }`,
      { input: { externalId: ext, title: 'Phishing', severity: 'MEDIUM', alerts: [{ externalId: `${ext}-a`, title: 'Phish delivered', severity: 'MEDIUM', evidence }] } },
      t.tokens.INTEGRATION,
    );
    expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
    expect(r.data.ingestIncident.errors).toEqual([]);
    const inc = r.data.ingestIncident.incident;
    return { ...inc, evidence: inc.alerts.nodes.flatMap((a: any) => a.evidence) };
  }

  it('email and user evidence create accounts and messages; the same UPN and the same message id + recipient match again, in any case', async () => {
    const t = await tenant();
    const msgId = `<${randomUUID()}@mail.evil.example>`;
    const first = await ingest(t, [
      { user: { accountName: 'jdoe', domain: 'CONTOSO' } },
      { email: { networkMessageId: msgId, recipient: 'JDoe@Contoso.com', sender: 'billing@evil.example', subject: 'Invoice overdue', receivedAt: '2026-11-27T09:58:00Z' } },
      { ip: { address: '203.0.113.9' } },
      { url: { url: 'https://evil.example/login' } },
      { file: { deviceName: 'WS-9', fileName: 'invoice.exe', sha1: 'C'.repeat(40) } },
    ]);
    expect(first.accounts).toEqual([{ id: expect.any(String), accountName: 'jdoe', domain: 'CONTOSO', upn: null, displayName: null, enabled: true, sessionsRevokedAt: null, passwordResetRequired: false }]);
    expect(first.emailMessages).toEqual([
      { id: expect.any(String), networkMessageId: msgId, recipient: 'JDoe@Contoso.com', sender: 'billing@evil.example', subject: 'Invoice overdue', receivedAt: '2026-11-27T09:58:00.000Z', location: 'INBOX' },
    ]);
    const byKind = (inc: any, kind: string) => inc.evidence.find((x: any) => x.kind === kind);
    expect(byKind(first, 'USER').account).toEqual({ id: first.accounts[0].id });
    expect(byKind(first, 'EMAIL').emailMessage).toEqual({ id: first.emailMessages[0].id });
    expect(byKind(first, 'IP').indicator).toEqual({ id: expect.any(String), type: 'IP_ADDRESS', value: '203.0.113.9', action: 'ALLOWED', expiresAt: null });
    expect(byKind(first, 'URL').indicator).toMatchObject({ type: 'URL', value: 'https://evil.example/login' });
    expect(byKind(first, 'FILE').indicator).toMatchObject({ type: 'FILE_SHA1', value: 'c'.repeat(40) });
    const counts = await written(app, t.tenant.id);

    // another case: the UPN appears (enriching the account it names), the message id and recipient in other letter cases
    const second = await ingest(t, [
      { user: { accountName: 'JDOE', domain: 'contoso', upn: 'jdoe@contoso.com', displayName: 'John Doe' } },
      { email: { networkMessageId: msgId.toUpperCase(), recipient: 'jdoe@contoso.com' } },
      { ip: { address: '203.0.113.9' } },
    ]);
    expect(second.id).not.toBe(first.id);
    expect(second.accounts).toEqual([expect.objectContaining({ id: first.accounts[0].id, accountName: 'jdoe', upn: 'jdoe@contoso.com', displayName: 'John Doe' })]);
    expect(second.emailMessages).toEqual([expect.objectContaining({ id: first.emailMessages[0].id, sender: 'billing@evil.example', subject: 'Invoice overdue' })]);
    expect(byKind(second, 'IP').indicator.id).toBe(byKind(first, 'IP').indicator.id);

    // a third: found by UPN alone, whatever the name says
    const third = await ingest(t, [{ user: { accountName: 'john.doe', upn: 'JDOE@CONTOSO.COM' } }, { user: { userPrincipalName: 'jdoe@contoso.com', accountName: 'jdoe' } }]);
    expect(third.accounts.map((a: { id: string }) => a.id)).toEqual([first.accounts[0].id]);
    expect(await written(app, t.tenant.id)).toMatchObject({ accounts: counts.accounts, messages: counts.messages, indicators: counts.indicators });

    // the same name with another UPN is another person; the same message in another mailbox is another copy
    const fourth = await ingest(t, [
      { user: { accountName: 'jdoe', domain: 'CONTOSO', upn: 'jdoe@fabrikam.com' } },
      { email: { networkMessageId: msgId, recipient: 'asmith@contoso.com' } },
    ]);
    expect(fourth.accounts[0].id).not.toBe(first.accounts[0].id);
    expect(fourth.emailMessages[0].id).not.toBe(first.emailMessages[0].id);
    expect(await written(app, t.tenant.id)).toMatchObject({ accounts: counts.accounts + 1, messages: counts.messages + 1 });

    // the other tenant's evidence with the same names is its own estate
    const u = await tenant();
    const theirs = await ingest(u, [{ user: { accountName: 'jdoe', upn: 'jdoe@contoso.com' } }, { email: { networkMessageId: msgId, recipient: 'jdoe@contoso.com' } }]);
    expect(theirs.accounts[0].id).not.toBe(first.accounts[0].id);
    expect(theirs.emailMessages[0].id).not.toBe(first.emailMessages[0].id);
  });

  it('an IPv6 address is one indicator however it is written, in evidence and by value', async () => {
    const t = await tenant();
    const inc = await ingest(t, [{ ip: { address: '2001:0DB8:0000:0000::0001' } }]);
    const evidence = inc.evidence.find((x: any) => x.kind === 'IP');
    expect(evidence).toMatchObject({ value: '2001:0DB8:0000:0000::0001', indicator: { type: 'IP_ADDRESS', value: '2001:db8::1' } });
    const again = await ingest(t, [{ ip: { address: '2001:db8:0::1' } }]);
    expect(again.evidence[0].indicator.id).toBe(evidence.indicator.id);
    const before = await written(app, t.tenant.id);
    const r = await performEntityAction(app, t.tokens.OPERATOR, { kind: 'BLOCK_INDICATOR', indicator: { type: 'IP_ADDRESS', value: '2001:DB8::0:1' } });
    expect(r.data.performEntityAction.errors).toEqual([]);
    expect(r.data.performEntityAction.action.target).toMatchObject({ id: evidence.indicator.id, value: '2001:db8::1' });
    expect((await settled(app, t.tokens.READER, r.data.performEntityAction.action.id)).target.action).toBe('BLOCK');
    expect((await written(app, t.tenant.id)).indicators).toBe(before.indicators);
  });

  it('ingesting again does not undo what response actions did (the estate is inventory)', async () => {
    const t = await tenant();
    const names = estateNames();
    const e = await estateIncident(app, t, names);
    const { cards } = await publish(app, t, e.incidentId, [
      { kind: 'DISABLE_USER', targetId: e.targets.Account },
      { kind: 'MOVE_EMAIL_TO_JUNK', targetId: e.targets.EmailMessage },
      { kind: 'BLOCK_INDICATOR', targetId: e.targets.Indicator },
    ]);
    for (const c of cards) expect((await performAndSettle(app, t, c.id)).status).toBe('COMPLETED');
    const again = await ingest(t, estateIncidentInput(names).alerts[0].evidence);
    expect(again.accounts).toEqual([expect.objectContaining({ id: e.targets.Account, enabled: false })]);
    expect(again.emailMessages).toEqual([expect.objectContaining({ id: e.targets.EmailMessage, location: 'JUNK' })]);
    expect(again.evidence.find((x: any) => x.kind === 'IP').indicator).toMatchObject({ id: e.targets.Indicator, action: 'BLOCK' });
  });

  it('bad email and user evidence is INVALID_INPUT with nothing written', async () => {
    const t = await tenant();
    const before = await written(app, t.tenant.id);
    for (const [evidence, field] of [
      [{ email: { networkMessageId: '<x@y>', recipient: 'not an address' } }, 'recipient'],
      [{ email: { networkMessageId: '<x@y>', recipient: 'a@b.example', sender: 'nobody' } }, 'sender'],
      [{ user: { accountName: 'jdoe', upn: 'jdoe' } }, 'upn'],
    ] as const) {
      const ext = `ext-${randomUUID()}`;
      const r = await app.gql<any, any>(
        `mutation($input: IngestIncidentInput!) { ingestIncident(input: $input) { incident { id } errors { code field } } }`,
        { input: { externalId: ext, title: 'x', severity: 'LOW', alerts: [{ externalId: `${ext}-a`, title: 'x', severity: 'LOW', evidence: [evidence] }] } },
        t.tokens.INTEGRATION,
      );
      expect(r.data.ingestIncident.incident).toBeNull();
      expect(r.data.ingestIncident.errors).toEqual([expect.objectContaining({ code: 'INVALID_INPUT', field: expect.arrayContaining([field]) })]);
    }
    expect(await written(app, t.tenant.id)).toEqual(before);
  });
});
