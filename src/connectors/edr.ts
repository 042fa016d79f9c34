// Response connectors: the outside world that executes one-click actions (the EDR).
// The built-in connector is the endpoint fleet kept in our own database; the HTTP connector
// hands the action to a remote EDR by POST and learns the result from a signed callback.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Tx } from '../db/client';
import { deviceFiles, devices, type DeviceFileRow, type DeviceRow } from '../db/schema';

export type OneClickKind =
  | 'ISOLATE_DEVICE'
  | 'RELEASE_FROM_ISOLATION'
  | 'QUARANTINE_FILE'
  | 'RESTRICT_APP_EXECUTION'
  | 'REMOVE_APP_RESTRICTION';

export interface ActionRequest {
  attemptId: string;
  actionId: string;
  tenantId: string;
  kind: OneClickKind;
  device: DeviceRow;
  file: DeviceFileRow | null;
}

export type ExecutionOutcome =
  | { kind: 'completed' }
  | { kind: 'failed'; reason: string }
  /** The device is offline: try again when it returns, until the deadline. */
  | { kind: 'waiting' }
  /** Handed to a remote EDR; the result arrives later by callback. */
  | { kind: 'sent' }
  /** The EDR could not be reached: try again later. */
  | { kind: 'retry'; reason: string };

/**
 * The effect of an action on our view of the fleet, inside the caller's transaction, so that the
 * effect and the card's completion commit together (exactly once, whatever crashes).
 */
export async function applyEffect(tx: Tx, req: Pick<ActionRequest, 'kind' | 'device' | 'file'>): Promise<ExecutionOutcome> {
  const [device] = await tx.select().from(devices).where(eq(devices.id, req.device.id)).for('update');
  if (!device) return { kind: 'failed', reason: 'DEVICE_NOT_FOUND: the device is no longer in the fleet' };
  switch (req.kind) {
    case 'ISOLATE_DEVICE':
      await tx.update(devices).set({ isolated: true }).where(eq(devices.id, device.id));
      return { kind: 'completed' };
    case 'RELEASE_FROM_ISOLATION':
      if (!device.isolated) return { kind: 'failed', reason: 'NOT_ISOLATED: the device is not isolated' };
      await tx.update(devices).set({ isolated: false }).where(eq(devices.id, device.id));
      return { kind: 'completed' };
    case 'RESTRICT_APP_EXECUTION':
      await tx.update(devices).set({ appExecutionRestricted: true }).where(eq(devices.id, device.id));
      return { kind: 'completed' };
    case 'REMOVE_APP_RESTRICTION':
      if (!device.appExecutionRestricted) {
        return { kind: 'failed', reason: 'NOT_RESTRICTED: app execution is not restricted on the device' };
      }
      await tx.update(devices).set({ appExecutionRestricted: false }).where(eq(devices.id, device.id));
      return { kind: 'completed' };
    case 'QUARANTINE_FILE': {
      const [file] = req.file
        ? await tx.select().from(deviceFiles).where(eq(deviceFiles.id, req.file.id)).for('update')
        : [];
      if (!file || file.quarantined) return { kind: 'failed', reason: 'FILE_NOT_FOUND: the file is no longer on the device' };
      await tx.update(deviceFiles).set({ quarantined: true }).where(eq(deviceFiles.id, file.id));
      return { kind: 'completed' };
    }
  }
}

export interface ResponseConnector {
  readonly name: string;
  execute(tx: Tx, req: ActionRequest): Promise<ExecutionOutcome>;
  /** Whether execute() does network I/O (then it runs outside the database transaction). */
  readonly remote: boolean;
}

/** The built-in endpoint fleet: an offline device waits; otherwise the effect applies at once. */
export class FleetConnector implements ResponseConnector {
  readonly name = 'fleet';
  readonly remote = false;
  async execute(tx: Tx, req: ActionRequest): Promise<ExecutionOutcome> {
    const [device] = await tx.select().from(devices).where(eq(devices.id, req.device.id));
    if (device && device.healthStatus === 'INACTIVE') return { kind: 'waiting' };
    return applyEffect(tx, req);
  }
}

export const SIGNATURE_HEADER = 'x-mdr-signature';
export const TIMESTAMP_HEADER = 'x-mdr-timestamp';

/** HMAC-SHA256 over "<timestamp>.<raw body>", hex: the same scheme for requests and callbacks. */
export function sign(secret: string, timestamp: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export function verifySignature(secret: string, timestamp: string | null, body: string, signature: string | null, toleranceMs = 300_000): boolean {
  if (!timestamp || !signature || !/^\d{10,13}$/.test(timestamp)) return false;
  const ms = timestamp.length === 10 ? Number(timestamp) * 1000 : Number(timestamp);
  if (Math.abs(Date.now() - ms) > toleranceMs) return false;
  const expected = Buffer.from(sign(secret, timestamp, body), 'hex');
  const given = Buffer.from(signature.replace(/^sha256=/, ''), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * A remote EDR: POST {attemptId, kind, device, file, callbackUrl} signed with the tenant's secret.
 * The attempt id is the idempotency key: a retried POST after a crash names the same attempt, so
 * the EDR runs it once. The result comes back to /connectors/edr/callback.
 */
export class HttpEdrConnector implements ResponseConnector {
  readonly name = 'http-edr';
  readonly remote = true;
  constructor(
    private readonly endpoint: string,
    private readonly secret: string,
    private readonly callbackUrl: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async execute(_tx: Tx, req: ActionRequest): Promise<ExecutionOutcome> {
    const body = JSON.stringify({
      attemptId: req.attemptId,
      actionId: req.actionId,
      kind: req.kind,
      device: { id: req.device.id, name: req.device.name },
      file: req.file ? { id: req.file.id, fileName: req.file.fileName, sha1: req.file.sha1, sha256: req.file.sha256 } : null,
      callbackUrl: this.callbackUrl,
    });
    const timestamp = String(Date.now());
    try {
      const res = await fetch(this.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'idempotency-key': req.attemptId,
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: `sha256=${sign(this.secret, timestamp, body)}`,
        },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      if (res.status >= 200 && res.status < 300) return { kind: 'sent' };
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
        return { kind: 'failed', reason: `EDR_REJECTED: the EDR answered ${res.status}` };
      }
      return { kind: 'retry', reason: `EDR answered ${res.status}` };
    } catch (err) {
      return { kind: 'retry', reason: `EDR unreachable: ${(err as Error).message}` };
    }
  }
}
