// Action targets: how a card names what it acts on (one column per target type of the registry),
// how publish-time and entity-page targets are resolved and checked against the tenant, and what
// exclusions look at on each.
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx, Tx } from '../../db/client';
import {
  accounts,
  deviceFiles,
  devices,
  emailMessages,
  evidence,
  indicators,
  type ActionCardRow,
  type ActionParameters,
  type IncidentRow,
  type IndicatorRow,
} from '../../db/schema';
import type { EstateTarget } from '../../connectors/estate';
import { invalid, notFound } from '../errors';
import type { ExclusionFacts } from '../exclusions';
import { LIMITS, optionalText } from '../validate';
import { defaultTitle, isOneClick, targetOf, type ActionKind, type TargetType } from '../../registry/action-kinds';

export const INDICATOR_TYPES = ['FILE_SHA1', 'FILE_SHA256', 'IP_ADDRESS', 'URL', 'DOMAIN'] as const;
export type IndicatorType = (typeof INDICATOR_TYPES)[number];

/** A target as loaded: its type and the estate rows (a file comes with its device). */
export interface LoadedTarget extends EstateTarget {
  type: TargetType;
  id: string;
}

/** The card columns that name a target, and the key that keeps one running action per kind and target. */
export function targetColumns(t: LoadedTarget | null) {
  return {
    targetDeviceId: t?.device?.id ?? null,
    targetFileId: t?.file?.id ?? null,
    targetAccountId: t?.account?.id ?? null,
    targetEmailId: t?.message?.id ?? null,
    targetIndicatorId: t?.indicator?.id ?? null,
    targetKey: t?.id ?? null,
  };
}

type CardTargetColumns = Pick<ActionCardRow, 'targetDeviceId' | 'targetFileId' | 'targetAccountId' | 'targetEmailId' | 'targetIndicatorId'>;

/** The card's target type and id, from its columns (null for MANUAL). */
export function cardTargetRef(card: CardTargetColumns): { type: TargetType; id: string } | null {
  if (card.targetFileId) return { type: 'DeviceFile', id: card.targetFileId };
  if (card.targetDeviceId) return { type: 'Device', id: card.targetDeviceId };
  if (card.targetAccountId) return { type: 'Account', id: card.targetAccountId };
  if (card.targetEmailId) return { type: 'EmailMessage', id: card.targetEmailId };
  if (card.targetIndicatorId) return { type: 'Indicator', id: card.targetIndicatorId };
  return null;
}

/** Load a target of a tenant by type and id; null when it is not the tenant's (or not there). */
export async function loadTarget(db: DbOrTx, tenantId: string, type: TargetType, id: string): Promise<LoadedTarget | null> {
  switch (type) {
    case 'Device': {
      const [device] = await db.select().from(devices).where(and(eq(devices.id, id), eq(devices.tenantId, tenantId)));
      return device ? { type, id, device } : null;
    }
    case 'DeviceFile': {
      const [row] = await db
        .select({ file: deviceFiles, device: devices })
        .from(deviceFiles)
        .innerJoin(devices, eq(devices.id, deviceFiles.deviceId))
        .where(and(eq(deviceFiles.id, id), eq(deviceFiles.tenantId, tenantId)));
      return row ? { type, id, device: row.device, file: row.file } : null;
    }
    case 'Account': {
      const [account] = await db.select().from(accounts).where(and(eq(accounts.id, id), eq(accounts.tenantId, tenantId)));
      return account ? { type, id, account } : null;
    }
    case 'EmailMessage': {
      const [message] = await db.select().from(emailMessages).where(and(eq(emailMessages.id, id), eq(emailMessages.tenantId, tenantId)));
      return message ? { type, id, message } : null;
    }
    case 'Indicator': {
      const [indicator] = await db.select().from(indicators).where(and(eq(indicators.id, id), eq(indicators.tenantId, tenantId)));
      return indicator ? { type, id, indicator } : null;
    }
  }
}

export async function loadCardTarget(db: DbOrTx, card: CardTargetColumns & Pick<ActionCardRow, 'tenantId'>): Promise<LoadedTarget | null> {
  const ref = cardTargetRef(card);
  return ref ? loadTarget(db, card.tenantId, ref.type, ref.id) : null;
}

export const accountLabel = (a: { upn: string | null; domain: string | null; accountName: string }) =>
  a.upn ?? (a.domain ? `${a.domain}\\${a.accountName}` : a.accountName);

/**
 * What exclusions look at on a target: a device's (or a file's device's) group; an account; for a
 * message, the account whose UPN is its recipient (a VIP's mailbox is the VIP's).
 */
export async function exclusionFacts(db: DbOrTx, tenantId: string, t: LoadedTarget | null): Promise<ExclusionFacts> {
  if (!t) return {};
  if (t.device) return { deviceGroup: t.device.deviceGroup };
  if (t.account) return { accountId: t.account.id, accountLabel: accountLabel(t.account) };
  if (t.message) {
    const [owner] = await db
      .select()
      .from(accounts)
      .where(and(eq(accounts.tenantId, tenantId), sql`lower(${accounts.upn}) = lower(${t.message.recipient.trim()})`));
    return owner ? { accountId: owner.id, accountLabel: accountLabel(owner) } : {};
  }
  return {};
}

// ---------------------------------------------------------------- indicators

/**
 * An IP address in its one stored form (ingestion and indicators by value): an IPv6 address
 * compressed and in lower case, as the URL standard writes it, so "2001:0DB8:0000::1" and
 * "2001:db8::1" are one indicator, not two.
 */
export function canonicalIp(address: string): string {
  const v = address.trim();
  if (isIP(v) !== 6) return v.toLowerCase();
  const [addr, zone] = v.split('%');
  try {
    const canonical = new URL(`http://[${addr}]/`).hostname.slice(1, -1);
    return zone ? `${canonical}%${zone.toLowerCase()}` : canonical;
  } catch {
    return v.toLowerCase();
  }
}

const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

/** An indicator value in its one stored form, or INVALID_INPUT saying what is wrong. */
export function normaliseIndicator(type: IndicatorType, raw: string, field: string[]): string {
  const v = raw.trim();
  if (!v || v.length > LIMITS.shortText) throw invalid('an indicator value is 1 to 2,000 characters', field);
  switch (type) {
    case 'FILE_SHA1':
      if (!/^[0-9a-f]{40}$/i.test(v)) throw invalid('a SHA-1 is 40 hexadecimal characters', field);
      return v.toLowerCase();
    case 'FILE_SHA256':
      if (!/^[0-9a-f]{64}$/i.test(v)) throw invalid('a SHA-256 is 64 hexadecimal characters', field);
      return v.toLowerCase();
    case 'IP_ADDRESS':
      if (!isIP(v)) throw invalid(`"${v.slice(0, 60)}" is not an IPv4 or IPv6 address`, field);
      return canonicalIp(v);
    case 'URL': {
      let url: URL;
      try {
        url = new URL(v);
      } catch {
        throw invalid(`"${v.slice(0, 60)}" is not a URL`, field);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid('a URL indicator is http or https', field);
      return url.href;
    }
    case 'DOMAIN': {
      // internationalised names in their ASCII (punycode) form, as DNS and EDRs compare them
      const d = (domainToASCII(v.replace(/\.$/, '')) || v).toLowerCase();
      if (!DOMAIN.test(d)) throw invalid(`"${v.slice(0, 60)}" is not a domain name`, field);
      return d;
    }
  }
}

/** The tenant's indicator of this type and value, created (not blocked) when it is new. */
export async function ensureIndicator(tx: Tx, tenantId: string, type: IndicatorType, value: string): Promise<IndicatorRow> {
  await tx.insert(indicators).values({ tenantId, type, value }).onConflictDoNothing();
  const [row] = await tx.select().from(indicators).where(and(eq(indicators.tenantId, tenantId), eq(indicators.type, type), eq(indicators.value, value)));
  return row;
}

// ---------------------------------------------------------------- cards as published

export interface ActionCardInput {
  kind: ActionKind;
  /** A target's uuid, already decoded, with the type its global id named. */
  targetId?: string | null;
  targetType?: TargetType | null;
  /** For BLOCK_INDICATOR (and UNBLOCK_INDICATOR) without a prior target: the indicator, created or matched. */
  indicator?: { type: IndicatorType; value: string; expiresAt?: Date | null } | null;
  scanType?: 'QUICK' | 'FULL' | null;
  title?: string | null;
  instructions?: string | null;
}

export interface ResolvedCard {
  kind: ActionKind;
  title: string;
  instructions: string | null;
  target: LoadedTarget | null;
  parameters: ActionParameters;
}

/** Check a card's kind against its target type, title and instructions; the parameters it carries. */
function cardBasics(a: ActionCardInput, field: string[]) {
  const title = optionalText(a.title, [...field, 'title'], LIMITS.title) ?? defaultTitle(a.kind);
  const instructions = optionalText(a.instructions, [...field, 'instructions'], LIMITS.description);
  const parameters: ActionParameters = {};
  const wanted = targetOf(a.kind);
  if (a.indicator && wanted !== 'Indicator') throw invalid(`${a.kind} does not take an indicator`, [...field, 'indicator']);
  if (a.scanType) {
    if (a.kind !== 'RUN_ANTIVIRUS_SCAN') throw invalid('scanType is for RUN_ANTIVIRUS_SCAN', [...field, 'scanType']);
    parameters.scanType = a.scanType;
  }
  if (a.indicator?.expiresAt) {
    if (a.kind !== 'BLOCK_INDICATOR') throw invalid('only a block expires', [...field, 'indicator', 'expiresAt']);
    if (a.indicator.expiresAt.getTime() <= Date.now()) throw invalid('expiresAt must be in the future', [...field, 'indicator', 'expiresAt']);
    parameters.expiresAt = a.indicator.expiresAt.toISOString();
  }
  if (!isOneClick(a.kind)) {
    if (a.targetId) throw invalid('a MANUAL action has no target', [...field, 'targetId']);
    if (!instructions) throw invalid('a MANUAL action needs instructions', [...field, 'instructions']);
  } else {
    if (a.targetId && a.indicator) throw invalid('give targetId or indicator, not both', [...field, 'indicator']);
    if (!a.targetId && !a.indicator) {
      throw invalid(wanted === 'Indicator' ? `${a.kind} needs a targetId or an indicator` : `${a.kind} needs a targetId`, [...field, 'targetId']);
    }
    if (a.targetId && a.targetType !== wanted) throw invalid(`${a.kind} targets ${article(wanted!)} ${wanted}`, [...field, 'targetId']);
  }
  return { title, instructions, parameters, wanted };
}

const article = (w: string) => (/^[AEIOU]/.test(w) ? 'an' : 'a');

/**
 * Publish-time targets: a one-click target must be an entity of this incident's evidence (a
 * device, a file, an account, a message or an indicator), or, for indicators, one named by value
 * (created in the tenant's inventory or matched).
 */
export async function resolveCards(tx: Tx, incident: IncidentRow, actions: ActionCardInput[]): Promise<ResolvedCard[]> {
  const ev = await tx
    .select({ deviceId: evidence.deviceId, fileId: evidence.fileId, accountId: evidence.accountId, emailMessageId: evidence.emailMessageId, indicatorId: evidence.indicatorId })
    .from(evidence)
    .where(eq(evidence.incidentId, incident.id));
  const inEvidence: Record<TargetType, Set<string>> = {
    Device: new Set(ev.map((e) => e.deviceId!).filter(Boolean)),
    DeviceFile: new Set(ev.map((e) => e.fileId!).filter(Boolean)),
    Account: new Set(ev.map((e) => e.accountId!).filter(Boolean)),
    EmailMessage: new Set(ev.map((e) => e.emailMessageId!).filter(Boolean)),
    Indicator: new Set(ev.map((e) => e.indicatorId!).filter(Boolean)),
  };
  const out: ResolvedCard[] = [];
  for (const [i, a] of actions.entries()) {
    const field = ['actions', String(i)];
    const { title, instructions, parameters, wanted } = cardBasics(a, field);
    if (!wanted) {
      out.push({ kind: a.kind, title, instructions, target: null, parameters });
      continue;
    }
    let target: LoadedTarget | null;
    if (a.indicator) {
      const value = normaliseIndicator(a.indicator.type, a.indicator.value, [...field, 'indicator', 'value']);
      const indicator = await ensureIndicator(tx, incident.tenantId, a.indicator.type, value);
      target = { type: 'Indicator', id: indicator.id, indicator };
    } else {
      target = inEvidence[wanted].has(a.targetId!) ? await loadTarget(tx, incident.tenantId, wanted, a.targetId!) : null;
      if (!target) throw notFound(`${article(wanted)} ${describe(wanted)} of this incident's evidence`.replace(/^./, (c) => c.toUpperCase()), [...field, 'targetId']);
    }
    out.push({ kind: a.kind, title, instructions, target, parameters });
  }
  return out;
}

const describe = (t: TargetType) =>
  ({ Device: 'device', DeviceFile: 'file', Account: 'account', EmailMessage: 'email message', Indicator: 'indicator' })[t];

/** An entity-page target: any entity of the viewer's tenant of the kind's target type. */
export async function resolveEntityCard(tx: Tx, tenantId: string, a: ActionCardInput): Promise<ResolvedCard> {
  if (!isOneClick(a.kind)) throw invalid('Only one-click actions run from an entity page; a manual step belongs to an incident', ['kind']);
  const { title, instructions, parameters, wanted } = cardBasics(a, []);
  let target: LoadedTarget | null;
  if (a.indicator) {
    const value = normaliseIndicator(a.indicator.type, a.indicator.value, ['indicator', 'value']);
    const indicator = await ensureIndicator(tx, tenantId, a.indicator.type, value);
    target = { type: 'Indicator', id: indicator.id, indicator };
  } else {
    target = await loadTarget(tx, tenantId, wanted!, a.targetId!);
  }
  if (!target) throw notFound(describe(wanted!).replace(/^./, (c) => c.toUpperCase()), ['targetId']);
  return { kind: a.kind, title, instructions, target, parameters };
}

