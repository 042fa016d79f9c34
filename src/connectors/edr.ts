// Response connectors: the outside world that executes one-click actions (the EDR).
// The built-in connector is the endpoint fleet kept in our own database; the HTTP connector
// hands the action to a remote EDR by POST and learns the result from a signed callback.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Tx } from '../db/client';
import { devices, type ActionParameters } from '../db/schema';
import { ACTION_KIND_REGISTRY, type OneClickKind, type TargetType } from '../registry/action-kinds';
import { applyEffect, type EstateTarget } from './estate';

export type { OneClickKind };

export interface ActionRequest {
  attemptId: string;
  actionId: string;
  tenantId: string;
  kind: OneClickKind;
  /** The target as loaded from the estate (a file comes with its device). */
  target: EstateTarget & { type: TargetType; id: string };
  parameters: ActionParameters;
}

export type ExecutionOutcome =
  | { kind: 'completed'; result?: string | null }
  | { kind: 'failed'; reason: string }
  /** The device is offline: try again when it returns, until the deadline. */
  | { kind: 'waiting' }
  /** Handed to a remote EDR; the result arrives later by callback. */
  | { kind: 'sent' }
  /** The EDR could not be reached: try again later. */
  | { kind: 'retry'; reason: string };

export interface ResponseConnector {
  readonly name: string;
  execute(tx: Tx, req: ActionRequest): Promise<ExecutionOutcome>;
  /** Whether execute() does network I/O (then it runs outside the database transaction). */
  readonly remote: boolean;
}

/** The built-in estate: an action on an offline device waits; otherwise the effect applies at once. */
export class FleetConnector implements ResponseConnector {
  readonly name = 'fleet';
  readonly remote = false;
  async execute(tx: Tx, req: ActionRequest): Promise<ExecutionOutcome> {
    if (req.target.device) {
      const [device] = await tx.select({ healthStatus: devices.healthStatus }).from(devices).where(eq(devices.id, req.target.device.id));
      if (device && device.healthStatus === 'INACTIVE') return { kind: 'waiting' };
    }
    return applyEffect(tx, { attemptId: req.attemptId, kind: req.kind, target: req.target, parameters: req.parameters });
  }
}

/**
 * The target as a remote responder needs it to act: what it is and how to find it (device name,
 * file hashes, the account's UPN, the message id and mailbox, the indicator's type and value).
 */
export function describeTarget(t: ActionRequest['target']): Record<string, unknown> {
  switch (t.type) {
    case 'Device':
      return { type: t.type, id: t.id, deviceName: t.device!.name, deviceGroup: t.device!.deviceGroup, osPlatform: t.device!.osPlatform };
    case 'DeviceFile':
      return {
        type: t.type,
        id: t.id,
        deviceId: t.device!.id,
        deviceName: t.device!.name,
        fileName: t.file!.fileName,
        filePath: t.file!.filePath || null,
        sha1: t.file!.sha1,
        sha256: t.file!.sha256,
      };
    case 'Account':
      return { type: t.type, id: t.id, accountName: t.account!.accountName, domain: t.account!.domain, upn: t.account!.upn, displayName: t.account!.displayName };
    case 'EmailMessage':
      return { type: t.type, id: t.id, networkMessageId: t.message!.networkMessageId, recipient: t.message!.recipient, sender: t.message!.sender, subject: t.message!.subject };
    case 'Indicator':
      return { type: t.type, id: t.id, indicatorType: t.indicator!.type, value: t.indicator!.value };
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
 * A remote EDR: POST {attemptId, actionId, kind, action, target, parameters, device, file,
 * callbackUrl} signed with the tenant's secret. `action` is the Defender / Entra ID / Office 365
 * action the kind maps to (the registry's edrAction); `target` describes any target type; `device`
 * and `file` stay for responders written against device actions (null for other targets).
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
      action: ACTION_KIND_REGISTRY[req.kind].edrAction,
      target: describeTarget(req.target),
      parameters: req.parameters,
      device: req.target.device ? { id: req.target.device.id, name: req.target.device.name } : null,
      file: req.target.file ? { id: req.target.file.id, fileName: req.target.file.fileName, sha1: req.target.file.sha1, sha256: req.target.file.sha256 } : null,
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
