// Helpers for the estate beyond devices (SPEC.md section 4, "Response beyond devices"): an
// incident whose evidence names one of each target type (device, file, account, email message,
// indicators), cards read through the API with every target field, and a remote EDR peer.
import { randomUUID } from 'node:crypto';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { expect } from 'vitest';
import { sign, SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../../src/connectors/edr';
import type { TargetType } from '../../src/registry/action-kinds';
import type { TestApp } from './app';
import type { TenantFixture } from './factory';
import { startHttpReceiver, type HttpReceiver } from './peers';
import { mutate, summary, truePositive, waitFor } from './response';

export const local = (gid: string) => decodeGlobalID(gid).id;

/** Every field a user sees on a card, its target (any type) and its attempts. */
export const CARD_FIELDS = `id kind title instructions status section performedBy failureReason skipReason leftToCustomerReason
  viewerCanPerform viewerCanSkip viewerCannotPerformReason expiresAt incident { id }
  target { __typename
    ... on Device { id name isolated appExecutionRestricted healthStatus }
    ... on DeviceFile { id fileName filePath sha1 sha256 quarantined device { id name } }
    ... on Account { id accountName domain upn displayName enabled sessionsRevokedAt passwordResetRequired remediationExcluded }
    ... on EmailMessage { id networkMessageId recipient sender subject location }
    ... on Indicator { id type value action expiresAt } }
  attempts { number side state connector failureReason result performedBy { id } }`;

export interface EstateNames {
  deviceName: string;
  deviceGroup: string;
  upn: string;
  networkMessageId: string;
  recipient: string;
  ip: string;
  url: string;
  sha1: string;
  sha256: string;
}

let ipCounter = 0;
const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(Math.random() * 16)]).join('');

/** Fresh names for one incident's entities (every call names other entities). */
export function estateNames(over: Partial<EstateNames> = {}): EstateNames {
  const tag = randomUUID().slice(0, 8);
  return {
    deviceName: `WS-${tag}`,
    deviceGroup: 'Workstations',
    upn: `jdoe.${tag}@contoso.com`,
    networkMessageId: `<${tag}@mail.evil.example>`,
    recipient: `jdoe.${tag}@contoso.com`,
    // distinct within a test file (a tenant's incidents name different indicators)
    ip: `198.51.${Math.floor(ipCounter / 250) % 250}.${(ipCounter++ % 250) + 1}`,
    url: `https://evil-${tag}.example/login`,
    sha1: hex(40),
    sha256: hex(64),
    ...over,
  };
}

/** Ingest input (IngestIncidentInput) naming one of each target type. */
export function estateIncidentInput(n: EstateNames) {
  const ext = `ext-${randomUUID()}`;
  return {
    externalId: ext,
    title: 'Phishing mail led to credential theft and malware',
    severity: 'HIGH',
    alerts: [
      {
        externalId: `${ext}-a1`,
        title: 'Malicious invoice attachment opened',
        severity: 'HIGH',
        category: 'InitialAccess',
        detectionSource: 'EDR',
        evidence: [
          { device: { deviceName: n.deviceName, deviceGroup: n.deviceGroup, osPlatform: 'Windows11' } },
          { file: { deviceName: n.deviceName, fileName: 'invoice.exe', filePath: 'C:\\Users\\jdoe\\Downloads', sha1: n.sha1, sha256: n.sha256 } },
          { user: { accountName: n.upn.split('@')[0], domain: 'CONTOSO', upn: n.upn, displayName: 'John Doe' } },
          { email: { networkMessageId: n.networkMessageId, recipient: n.recipient, sender: 'billing@evil.example', subject: 'Invoice overdue', receivedAt: '2026-11-27T09:58:00Z' } },
          { ip: { address: n.ip } },
          { url: { url: n.url } },
        ],
      },
    ],
  };
}

export const ESTATE_FIELDS = `id status version updatedAt
  devices { id name files { id fileName } }
  accounts { id accountName domain upn displayName enabled }
  emailMessages { id networkMessageId recipient location }
  alerts { nodes { evidence { kind value device { id } file { id } account { id } emailMessage { id } indicator { id type value action } } } }`;

export interface Estate {
  incidentId: string;
  names: EstateNames;
  /** Global ids of the incident's entities, by target type (Indicator: the IP address). */
  targets: Record<TargetType, string>;
  /** The indicators its evidence names, by type. */
  indicators: { ip: string; url: string; sha256: string };
}

/** The ids of the entities an incident's evidence names. */
export async function readEstate(app: TestApp, token: string, incidentId: string, names: EstateNames): Promise<Estate> {
  const r = await app.gql<any, any>(`query($id: ID!) { node(id: $id) { ... on Incident { ${ESTATE_FIELDS} } } }`, { id: incidentId }, token);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  const inc = r.data.node;
  const evidence = inc.alerts.nodes.flatMap((a: any) => a.evidence);
  const indicator = (type: string) => evidence.find((e: any) => e.indicator?.type === type)?.indicator?.id;
  return {
    incidentId,
    names,
    targets: {
      Device: inc.devices[0].id,
      DeviceFile: inc.devices[0].files[0].id,
      Account: inc.accounts[0].id,
      EmailMessage: inc.emailMessages[0].id,
      Indicator: indicator('IP_ADDRESS'),
    },
    indicators: { ip: indicator('IP_ADDRESS'), url: indicator('URL'), sha256: indicator('FILE_SHA256') },
  };
}

/** A true-positive incident under investigation whose evidence names one entity of each target type. */
export async function estateIncident(app: TestApp, t: TenantFixture, over: Partial<EstateNames> = {}): Promise<Estate> {
  const names = estateNames(over);
  const inc = await truePositive(app, t, estateIncidentInput(names) as never);
  return readEstate(app, t.tokens.READER, inc.id, names);
}

/** Publish a managed response; returns the cards (every field) or the payload errors. */
export async function publish(app: TestApp, t: TenantFixture, incidentId: string, actions: Record<string, unknown>[], summaryInput: object = summary) {
  const r = await mutate(app, t.tokens.EXPERT, 'publishManagedResponse', { incidentId, summary: summaryInput, actions }, `incident { id status managedResponse { actions { ${CARD_FIELDS} } } }`);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  const p = r.data.publishManagedResponse;
  return { errors: p.errors as { code: string; message: string; field: string[] | null }[], incident: p.incident, cards: (p.incident?.managedResponse?.actions ?? []) as any[] };
}

export async function card(app: TestApp, token: string, id: string) {
  const r = await app.gql<any, any>(`query($id: ID!) { node(id: $id) { ... on ActionCard { ${CARD_FIELDS} } } }`, { id }, token);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data.node;
}

const FINAL = ['COMPLETED', 'FAILED', 'SKIPPED'];

/** The card once it has left IN_PROGRESS (and its last attempt has finished). */
export function settled(app: TestApp, token: string, id: string, timeoutMs = 15_000) {
  return waitFor(() => card(app, token, id), (c) => FINAL.includes(c.status), timeoutMs);
}

/** performAction as `token`; returns the payload. */
export async function performAction(app: TestApp, token: string, actionId: string) {
  const r = await mutate(app, token, 'performAction', { actionId }, `action { ${CARD_FIELDS} }`);
  return r;
}

/** performAction by the tenant's OPERATOR, then wait for the outcome. */
export async function performAndSettle(app: TestApp, t: TenantFixture, actionId: string) {
  const r = await performAction(app, t.tokens.OPERATOR, actionId);
  expect(r.data.performAction.errors).toEqual([]);
  expect(r.data.performAction.action.status).toBe('IN_PROGRESS');
  return settled(app, t.tokens.READER, actionId);
}

export const ENTITY_ACTION = `mutation($input: PerformEntityActionInput!) { performEntityAction(input: $input) { action { ${CARD_FIELDS} } errors { code message field } } }`;

export async function performEntityAction(app: TestApp, token: string, input: Record<string, unknown>) {
  return app.gql<any, any>(ENTITY_ACTION, { input }, token);
}

/** Rows a write may have left in a tenant: cards, attempts, indicators, accounts, messages. */
export async function written(app: TestApp, tenantId: string) {
  const [r] = await app.database.query<Record<string, number>>(
    `select (select count(*)::int from action_cards where tenant_id = $1) as cards,
            (select count(*)::int from action_attempts where tenant_id = $1) as attempts,
            (select count(*)::int from indicators where tenant_id = $1) as indicators,
            (select count(*)::int from accounts where tenant_id = $1) as accounts,
            (select count(*)::int from email_messages where tenant_id = $1) as messages,
            (select count(*)::int from activity where tenant_id = $1) as activity`,
    [tenantId],
  );
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)]));
}

// ---------------------------------------------------------------- a remote EDR

export interface EdrPeer {
  receiver: HttpReceiver;
  secret: string;
  /** The signed request the EDR received for a card (its attempt `n`, 1-based), once it arrives. */
  request(cardGid: string, n?: number): Promise<{ body: any; signatureValid: boolean; idempotencyKey: string | undefined }>;
  /** Report an attempt's result to the callback URL it was given, signed; returns the HTTP status. */
  report(body: { attemptId: string; status: 'COMPLETED' | 'FAILED'; reason?: string; result?: string }, callbackUrl: string): Promise<number>;
  close(): Promise<void>;
}

/** A remote EDR (a local HTTP server) configured as the tenant's response connector; it accepts every request (202). */
export async function edrPeer(app: TestApp, t: TenantFixture): Promise<EdrPeer> {
  const receiver = await startHttpReceiver({ path: '/actions' });
  const secret = `edr-${randomUUID()}`;
  // configured in SQL: the API has no setting for it yet (as in test/edr-http.test.ts)
  await app.database.query('update tenants set edr_endpoint = $1, edr_secret = $2 where id = $3', [receiver.url, secret, t.tenant.id]);
  return {
    receiver,
    secret,
    async request(cardGid, n = 1) {
      const actionId = local(cardGid);
      const matching = (rs: typeof receiver.requests) => rs.filter((r) => (r.json as { actionId?: string } | undefined)?.actionId === actionId);
      const [req] = matching(await receiver.waitFor((rs) => matching(rs).length >= n)).slice(n - 1);
      const ts = req.headers[TIMESTAMP_HEADER] as string | undefined;
      const sig = req.headers[SIGNATURE_HEADER] as string | undefined;
      return { body: req.json, signatureValid: verifySignature(secret, ts ?? null, req.body, sig ?? null), idempotencyKey: req.headers['idempotency-key'] as string | undefined };
    },
    async report(body, callbackUrl) {
      const raw = JSON.stringify(body);
      const timestamp = String(Date.now());
      const res = await fetch(callbackUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: `sha256=${sign(secret, timestamp, raw)}` },
        body: raw,
      });
      return res.status;
    },
    close: () => receiver.close(),
  };
}
