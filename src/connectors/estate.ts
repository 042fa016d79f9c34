// The built-in estate: the tenant's devices, files, accounts, mailbox messages and indicators kept
// in our own database, so that every one-click kind has a real, visible effect and real failure
// cases. One effect per one-click kind of the registry (src/registry/action-kinds.ts); the
// `Record<OneClickKind, …>` type makes a kind without an effect a compile error.
//
// An effect runs inside the caller's transaction, so the effect and the card's completion commit
// together (exactly once, whatever crashes).
import { eq } from 'drizzle-orm';
import type { Tx } from '../db/client';
import {
  accounts,
  deviceFiles,
  devices,
  emailMessages,
  indicators,
  type AccountRow,
  type ActionParameters,
  type DeviceFileRow,
  type DeviceRow,
  type EmailMessageRow,
  type IndicatorRow,
} from '../db/schema';
import type { OneClickKind } from '../registry/action-kinds';

/** The target of an action as loaded from the estate; which member is set follows the kind's target type. */
export interface EstateTarget {
  device?: DeviceRow | null;
  file?: DeviceFileRow | null;
  account?: AccountRow | null;
  message?: EmailMessageRow | null;
  indicator?: IndicatorRow | null;
}

export interface EffectRequest {
  /** The attempt's id: the package reference names it. */
  attemptId: string;
  kind: OneClickKind;
  target: EstateTarget;
  parameters: ActionParameters;
}

export type EffectOutcome = { kind: 'completed'; result?: string | null } | { kind: 'failed'; reason: string };

const done = (result?: string): EffectOutcome => ({ kind: 'completed', result: result ?? null });
const fail = (reason: string): EffectOutcome => ({ kind: 'failed', reason });

/** Whether an indicator blocks now: a block with an expiry in the past has lapsed. */
export function isBlocked(ind: Pick<IndicatorRow, 'action' | 'expiresAt'>, now = new Date()): boolean {
  return ind.action === 'BLOCK' && (!ind.expiresAt || ind.expiresAt.getTime() > now.getTime());
}

async function lockDevice(tx: Tx, t: EstateTarget) {
  const [d] = t.device ? await tx.select().from(devices).where(eq(devices.id, t.device.id)).for('update') : [];
  return d ?? null;
}
async function lockAccount(tx: Tx, t: EstateTarget) {
  const [a] = t.account ? await tx.select().from(accounts).where(eq(accounts.id, t.account.id)).for('update') : [];
  return a ?? null;
}
async function lockMessage(tx: Tx, t: EstateTarget) {
  const [m] = t.message ? await tx.select().from(emailMessages).where(eq(emailMessages.id, t.message.id)).for('update') : [];
  return m ?? null;
}
async function lockIndicator(tx: Tx, t: EstateTarget) {
  const [i] = t.indicator ? await tx.select().from(indicators).where(eq(indicators.id, t.indicator.id)).for('update') : [];
  return i ?? null;
}

type Effect = (tx: Tx, req: EffectRequest) => Promise<EffectOutcome>;

const deviceEffect =
  (fn: (tx: Tx, device: DeviceRow, req: EffectRequest) => Promise<EffectOutcome>): Effect =>
  async (tx, req) => {
    const device = await lockDevice(tx, req.target);
    return device ? fn(tx, device, req) : fail('DEVICE_NOT_FOUND: the device is no longer in the fleet');
  };
const accountEffect =
  (fn: (tx: Tx, account: AccountRow) => Promise<EffectOutcome>): Effect =>
  async (tx, req) => {
    const account = await lockAccount(tx, req.target);
    return account ? fn(tx, account) : fail('ACCOUNT_NOT_FOUND: the account is no longer in the directory');
  };
const messageEffect =
  (fn: (tx: Tx, message: EmailMessageRow) => Promise<EffectOutcome>): Effect =>
  async (tx, req) => {
    const message = await lockMessage(tx, req.target);
    return message ? fn(tx, message) : fail('MESSAGE_NOT_FOUND: the message is no longer in the mailbox');
  };
const indicatorEffect =
  (fn: (tx: Tx, indicator: IndicatorRow, req: EffectRequest) => Promise<EffectOutcome>): Effect =>
  async (tx, req) => {
    const indicator = await lockIndicator(tx, req.target);
    return indicator ? fn(tx, indicator, req) : fail('INDICATOR_NOT_FOUND: the indicator is gone');
  };

const setDevice = (tx: Tx, id: string, v: Partial<DeviceRow>) => tx.update(devices).set(v).where(eq(devices.id, id));
const setAccount = (tx: Tx, id: string, v: Partial<AccountRow>) => tx.update(accounts).set(v).where(eq(accounts.id, id));
const moveMessage = (tx: Tx, id: string, location: EmailMessageRow['location']) => tx.update(emailMessages).set({ location }).where(eq(emailMessages.id, id));

function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

// Isolating an isolated device (or restricting a restricted one) succeeds, as in Defender: the
// state the experts asked for holds. Undoing what is not in place fails.
export const EFFECTS: Record<OneClickKind, Effect> = {
  ISOLATE_DEVICE: deviceEffect(async (tx, d) => {
    await setDevice(tx, d.id, { isolated: true });
    return done();
  }),
  RELEASE_FROM_ISOLATION: deviceEffect(async (tx, d) => {
    if (!d.isolated) return fail('NOT_ISOLATED: the device is not isolated');
    await setDevice(tx, d.id, { isolated: false });
    return done();
  }),
  RESTRICT_APP_EXECUTION: deviceEffect(async (tx, d) => {
    await setDevice(tx, d.id, { appExecutionRestricted: true });
    return done();
  }),
  REMOVE_APP_RESTRICTION: deviceEffect(async (tx, d) => {
    if (!d.appExecutionRestricted) return fail('NOT_RESTRICTED: app execution is not restricted on the device');
    await setDevice(tx, d.id, { appExecutionRestricted: false });
    return done();
  }),
  QUARANTINE_FILE: deviceEffect(async (tx, _d, req) => {
    const [file] = req.target.file ? await tx.select().from(deviceFiles).where(eq(deviceFiles.id, req.target.file.id)).for('update') : [];
    if (!file || file.quarantined) return fail('FILE_NOT_FOUND: the file is no longer on the device');
    await tx.update(deviceFiles).set({ quarantined: true }).where(eq(deviceFiles.id, file.id));
    return done();
  }),
  // The scan's findings are the device's files that are known from evidence and not quarantined.
  RUN_ANTIVIRUS_SCAN: deviceEffect(async (tx, d, req) => {
    const files = await tx.select().from(deviceFiles).where(eq(deviceFiles.deviceId, d.id));
    const threats = files.filter((f) => !f.quarantined).sort((a, b) => a.fileName.localeCompare(b.fileName));
    const type = req.parameters.scanType === 'QUICK' ? 'Quick' : 'Full';
    if (!threats.length) return done(`${type} scan: no threats found`);
    const names = threats.map((f) => (f.filePath ? `${f.filePath.replace(/[\\/]+$/, '')}\\${f.fileName}` : f.fileName));
    return done(`${type} scan: ${threats.length} ${threats.length === 1 ? 'threat' : 'threats'} found: ${names.join(', ')}`.slice(0, 2000));
  }),
  // An isolated device still answers the EDR channel, so collection works; an unknown device does not.
  COLLECT_INVESTIGATION_PACKAGE: deviceEffect(async (tx, d, req) => {
    const files = await tx.select({ id: deviceFiles.id }).from(deviceFiles).where(eq(deviceFiles.deviceId, d.id));
    // a fixed base (event logs, autoruns, network state) plus each known file's sample
    const bytes = 12_582_912 + files.length * 1_310_720;
    return done(`Investigation package collected: ${megabytes(bytes)}, reference investigation-packages/${d.id}/${req.attemptId}.zip`);
  }),
  DISABLE_USER: accountEffect(async (tx, a) => {
    if (!a.enabled) return fail('ALREADY_DISABLED: the account is already disabled');
    await setAccount(tx, a.id, { enabled: false });
    return done();
  }),
  ENABLE_USER: accountEffect(async (tx, a) => {
    if (a.enabled) return fail('NOT_DISABLED: the account is not disabled');
    await setAccount(tx, a.id, { enabled: true });
    return done();
  }),
  REVOKE_SESSIONS: accountEffect(async (tx, a) => {
    const at = new Date();
    await setAccount(tx, a.id, { sessionsRevokedAt: at });
    return done(`Sessions revoked at ${at.toISOString()}`);
  }),
  FORCE_PASSWORD_RESET: accountEffect(async (tx, a) => {
    if (a.passwordResetRequired) return fail('ALREADY_REQUIRED: a password reset is already required for the account');
    await setAccount(tx, a.id, { passwordResetRequired: true });
    return done();
  }),
  SOFT_DELETE_EMAIL: messageEffect(async (tx, m) => {
    if (m.location === 'DELETED') return fail('ALREADY_DELETED: the message is already in Recoverable Items');
    await moveMessage(tx, m.id, 'DELETED');
    return done();
  }),
  MOVE_EMAIL_TO_JUNK: messageEffect(async (tx, m) => {
    if (m.location === 'JUNK') return fail('ALREADY_IN_JUNK: the message is already in Junk');
    if (m.location === 'DELETED') return fail('MESSAGE_DELETED: the message was deleted; restore it first');
    await moveMessage(tx, m.id, 'JUNK');
    return done();
  }),
  RESTORE_EMAIL: messageEffect(async (tx, m) => {
    if (m.location === 'INBOX') return fail('ALREADY_IN_INBOX: the message is in the inbox');
    await moveMessage(tx, m.id, 'INBOX');
    return done();
  }),
  BLOCK_INDICATOR: indicatorEffect(async (tx, ind, req) => {
    if (isBlocked(ind)) return fail('ALREADY_BLOCKED: the indicator is already blocked');
    const expiresAt = req.parameters.expiresAt ? new Date(req.parameters.expiresAt) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) return fail('EXPIRY_PASSED: the block would have expired already');
    await tx.update(indicators).set({ action: 'BLOCK', expiresAt, updatedAt: new Date() }).where(eq(indicators.id, ind.id));
    return done(expiresAt ? `Blocked until ${expiresAt.toISOString()}` : 'Blocked');
  }),
  UNBLOCK_INDICATOR: indicatorEffect(async (tx, ind) => {
    if (!isBlocked(ind)) return fail('NOT_BLOCKED: the indicator is not blocked');
    await tx.update(indicators).set({ action: 'ALLOWED', expiresAt: null, updatedAt: new Date() }).where(eq(indicators.id, ind.id));
    return done();
  }),
};

/** Apply a kind's effect to the estate, in the caller's transaction. */
export function applyEffect(tx: Tx, req: EffectRequest): Promise<EffectOutcome> {
  return EFFECTS[req.kind](tx, req);
}
