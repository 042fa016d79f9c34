// Managed response (SPEC.md section 4): publishing the investigation summary and action cards,
// who may act on a card, the customer's actions, and how card changes move the incident.
import { and, eq, sql } from 'drizzle-orm';
import type { Tx } from '../db/client';
import {
  actionAttempts,
  actionCards,
  actionKindEnum,
  deviceFiles,
  devices,
  evidence,
  incidents,
  managedResponses,
  tenants,
  type ActionCardRow,
  type DeviceRow,
  type IncidentRow,
  type IndicatorOfAttack,
  type IndicatorOfCompromise,
  type ManagedResponseRow,
  type TenantRow,
  type TimelineEntry,
} from '../db/schema';
import { writeTransaction, type ActivityLog } from '../events/activity';
import type { OneClickKind } from '../connectors/edr';
import type { DomainContext } from './context';
import { DomainError, invalid, notFound } from './errors';
import { lockIncident } from './incidents';
import { changeIncident, withSystemTag } from './triage';
import { excludedGroup } from './exclusions';
import { LIMITS, optionalText, text } from './validate';
import { allows, authorize, canReadTenant, lockOwned } from './access';
import type { Viewer } from './viewer';

export const ACTION_KINDS = actionKindEnum.enumValues;
export type ActionKind = (typeof ACTION_KINDS)[number];
export type ActionStatus = ActionCardRow['status'];

const DEFAULT_TITLES: Record<ActionKind, string> = {
  ISOLATE_DEVICE: 'Isolate device',
  RELEASE_FROM_ISOLATION: 'Release device from isolation',
  QUARANTINE_FILE: 'Stop and quarantine file',
  RESTRICT_APP_EXECUTION: 'Restrict app execution',
  REMOVE_APP_RESTRICTION: 'Remove app execution restriction',
  MANUAL: 'Manual action',
};

export const isOneClick = (kind: ActionKind): kind is OneClickKind => kind !== 'MANUAL';

import { sectionOf } from './sections';
export { sectionOf };

// ---------------------------------------------------------------- permissions

export interface PerformCheck {
  allowed: boolean;
  code?: 'FORBIDDEN' | 'NOT_PERMITTED_FOR_ACCESS_LEVEL' | 'TARGET_EXCLUDED' | 'INVALID_TRANSITION';
  reason?: string;
}

const ACTION_OPERATION = { perform: 'performAction', complete: 'completeManualAction', skip: 'skipAction' } as const;

/** The API's greyed-out button: may this viewer perform (or retry) this card now, and if not, why. */
export function performCheck(
  viewer: Viewer | null,
  card: ActionCardRow,
  tenant: Pick<TenantRow, 'serviceAccessLevel' | 'remediationExclusions'>,
  target: Pick<DeviceRow, 'deviceGroup'> | null,
  action: 'perform' | 'complete' | 'skip' = card.kind === 'MANUAL' ? 'complete' : 'perform',
): PerformCheck {
  if (!viewer || !canReadTenant(viewer, card.tenantId)) return { allowed: false, code: 'FORBIDDEN', reason: 'Not your tenant' };
  const kind = card.kind as ActionKind;
  // the role, from the access policy; then the domain's rules for experts
  if (!allows(viewer, ACTION_OPERATION[action])) {
    const reason =
      viewer.role === 'READER'
        ? 'Readers cannot act on response actions; ask an operator'
        : viewer.role === 'EXPERT'
          ? "Manual actions and skipping are the customer's decision"
          : 'Integrations cannot act on response actions';
    return { allowed: false, code: 'FORBIDDEN', reason };
  }
  if (viewer.role === 'EXPERT') {
    if (!isOneClick(kind)) {
      return { allowed: false, code: 'FORBIDDEN', reason: 'Manual actions and skipping are the customer\'s decision' };
    }
    if (tenant.serviceAccessLevel !== 'OPERATOR') {
      return { allowed: false, code: 'NOT_PERMITTED_FOR_ACCESS_LEVEL', reason: 'The customer granted the READER access level: experts recommend, the customer acts' };
    }
    const excluded = excludedGroup(tenant.remediationExclusions, target?.deviceGroup);
    if (excluded) {
      return { allowed: false, code: 'TARGET_EXCLUDED', reason: `Device group "${excluded}" is excluded from expert remediation` };
    }
  }
  if (action === 'perform') {
    if (!isOneClick(kind)) return { allowed: false, code: 'INVALID_TRANSITION', reason: 'A manual action is confirmed, not performed' };
    if (card.status === 'IN_PROGRESS') return { allowed: false, code: 'INVALID_TRANSITION', reason: 'The action is already in progress' };
    if (card.status !== 'PENDING' && card.status !== 'FAILED') {
      return { allowed: false, code: 'INVALID_TRANSITION', reason: `The action is ${card.status}` };
    }
  } else if (action === 'complete') {
    if (isOneClick(kind)) return { allowed: false, code: 'INVALID_TRANSITION', reason: 'One-click actions complete when the EDR reports' };
    if (card.status !== 'PENDING') return { allowed: false, code: 'INVALID_TRANSITION', reason: `The action is ${card.status}` };
  } else if (card.status !== 'PENDING' && card.status !== 'FAILED') {
    return { allowed: false, code: 'INVALID_TRANSITION', reason: `Only a pending or failed action can be skipped; this one is ${card.status}` };
  }
  return { allowed: true };
}

// ---------------------------------------------------------------- publishing

export interface ActionCardInput {
  kind: ActionKind;
  targetId?: string | null; // a Device or DeviceFile uuid, already decoded
  targetType?: 'Device' | 'DeviceFile' | null;
  title?: string | null;
  instructions?: string | null;
}

export interface PublishInput {
  incidentId: string;
  version?: number | null;
  summary: {
    narrative: string;
    impact?: string | null;
    severityRationale?: string | null;
    timeline?: { at: Date; deviceName?: string | null; event: string }[] | null;
    indicatorsOfAttack?: { techniqueId: string; description: string }[] | null;
    indicatorsOfCompromise?: { type: string; value: string }[] | null;
  };
  actions: ActionCardInput[];
}

const MITRE = /^T\d{4}(\.\d{3})?$/;
export const IOC_TYPES = ['FILE_HASH', 'IP', 'URL', 'DOMAIN', 'PROCESS', 'USER'] as const;

function cleanSummary(s: PublishInput['summary']) {
  if ((s.timeline?.length ?? 0) > 500) throw invalid('at most 500 timeline entries', ['summary', 'timeline']);
  if ((s.indicatorsOfAttack?.length ?? 0) > 200) throw invalid('at most 200 indicators of attack', ['summary', 'indicatorsOfAttack']);
  if ((s.indicatorsOfCompromise?.length ?? 0) > 500) throw invalid('at most 500 indicators of compromise', ['summary', 'indicatorsOfCompromise']);
  return {
    narrative: text(s.narrative, ['summary', 'narrative'], LIMITS.description),
    impact: optionalText(s.impact, ['summary', 'impact'], LIMITS.shortText),
    severityRationale: optionalText(s.severityRationale, ['summary', 'severityRationale'], LIMITS.shortText),
    timeline: (s.timeline ?? []).map<TimelineEntry>((e, i) => ({
      at: e.at.toISOString(),
      deviceName: optionalText(e.deviceName, ['summary', 'timeline', String(i), 'deviceName'], LIMITS.name),
      event: text(e.event, ['summary', 'timeline', String(i), 'event'], LIMITS.shortText),
    })),
    indicatorsOfAttack: (s.indicatorsOfAttack ?? []).map<IndicatorOfAttack>((a, i) => {
      const techniqueId = text(a.techniqueId, ['summary', 'indicatorsOfAttack', String(i), 'techniqueId'], 20).toUpperCase();
      if (!MITRE.test(techniqueId)) {
        throw invalid(`"${techniqueId}" is not a MITRE ATT&CK technique id (e.g. T1059 or T1059.001)`, ['summary', 'indicatorsOfAttack', String(i), 'techniqueId']);
      }
      return { techniqueId, description: text(a.description, ['summary', 'indicatorsOfAttack', String(i), 'description'], LIMITS.shortText) };
    }),
    indicatorsOfCompromise: (s.indicatorsOfCompromise ?? []).map<IndicatorOfCompromise>((c, i) => {
      if (!(IOC_TYPES as readonly string[]).includes(c.type)) {
        throw invalid(`type must be one of ${IOC_TYPES.join(', ')}`, ['summary', 'indicatorsOfCompromise', String(i), 'type']);
      }
      return { type: c.type, value: text(c.value, ['summary', 'indicatorsOfCompromise', String(i), 'value'], LIMITS.shortText) };
    }),
  };
}

/**
 * Publish the managed response of a true-positive incident under investigation. In an OPERATOR
 * tenant the experts' one-click actions on non-excluded targets start at once; everything else
 * waits for the customer. Publishing again after a reopen adds cards and replaces the summary.
 */
export async function publishManagedResponse(ctx: DomainContext, input: PublishInput): Promise<IncidentRow> {
  const viewer = authorize(ctx.viewer, 'publishManagedResponse');
  const summary = cleanSummary(input.summary);
  if (input.actions.length > 50) throw invalid('at most 50 action cards', ['actions']);
  const started: string[] = [];
  const row = await writeTransaction(ctx, async (tx, log) => {
    const current = await lockIncident(tx, viewer, input.incidentId, input.version);
    if (current.status !== 'IN_PROGRESS') {
      throw new DomainError('INVALID_TRANSITION', `A managed response is published on an incident under investigation (IN_PROGRESS); this one is ${current.status}`);
    }
    if (current.classification !== 'TRUE_POSITIVE') {
      throw new DomainError('INVALID_TRANSITION', 'Classify the incident as TRUE_POSITIVE before publishing a managed response');
    }
    const [tenant] = await tx.select().from(tenants).where(eq(tenants.id, current.tenantId));
    const cards = await resolveCards(tx, current, input.actions);

    const [existing] = await tx.select().from(managedResponses).where(eq(managedResponses.incidentId, current.id));
    if (existing) {
      await tx.update(managedResponses).set({ ...summary, publishedById: viewer.principalId, publishedAt: new Date() }).where(eq(managedResponses.incidentId, current.id));
    } else {
      await tx.insert(managedResponses).values({ incidentId: current.id, tenantId: current.tenantId, publishedById: viewer.principalId, ...summary });
    }
    log.add({ tenantId: current.tenantId, incidentId: current.id, field: 'managedResponse', from: existing ? 'published' : null, to: 'published', note: summary.narrative.slice(0, 200) });

    const [{ maxPos }] = await tx
      .select({ maxPos: sql<number>`coalesce(max(${actionCards.position}), -1)::int` })
      .from(actionCards)
      .where(eq(actionCards.incidentId, current.id));
    for (const [i, c] of cards.entries()) {
      const excluded = excludedGroup(tenant.remediationExclusions, c.device?.deviceGroup);
      const expertsAct = isOneClick(c.kind) && tenant.serviceAccessLevel === 'OPERATOR' && !excluded;
      const leftReason = expertsAct
        ? null
        : c.kind === 'MANUAL'
          ? 'Manual action: performed by the customer outside the service'
          : tenant.serviceAccessLevel !== 'OPERATOR'
            ? 'The tenant granted the READER access level: the customer performs response actions'
            : `Device group "${excluded}" is excluded from expert remediation`;
      const [card] = await tx
        .insert(actionCards)
        .values({
          tenantId: current.tenantId,
          incidentId: current.id,
          position: Number(maxPos) + 1 + i,
          kind: c.kind,
          title: c.title,
          instructions: c.instructions,
          targetDeviceId: c.device?.id ?? null,
          targetFileId: c.fileId,
          targetKey: c.fileId ?? c.device?.id ?? null,
          status: 'PENDING',
          leftToCustomerReason: leftReason,
        })
        .returning();
      log.add({ tenantId: current.tenantId, incidentId: current.id, field: 'action', subjectId: card.id, from: null, to: 'PENDING', note: card.title });
      if (expertsAct) {
        try {
          await startAttempt(tx, log, ctx, card, viewer);
          started.push(card.id);
        } catch (err) {
          if (!(err instanceof DomainError && err.code === 'ALREADY_IN_PROGRESS')) throw err;
          // The same action is already running on this target (e.g. another incident's card on
          // the same device): it is not started twice, and the publish still goes through; this
          // card stays pending, to be performed once the running one has finished.
          await tx
            .update(actionCards)
            .set({ leftToCustomerReason: 'The same action was already running on this target; perform it again once that one has finished' })
            .where(eq(actionCards.id, card.id));
        }
      }
    }
    const tagged = await changeIncident(tx, log, current, { systemTags: withSystemTag(current.systemTags, ctx.providerName) });
    return settleIncident(tx, log, tagged.id);
  });
  ctx.loaders.incident.clear(row.id).prime(row.id, row);
  if (started.length) ctx.actionsQueued?.();
  return row;
}

interface ResolvedCard {
  kind: ActionKind;
  title: string;
  instructions: string | null;
  device: DeviceRow | null;
  fileId: string | null;
}

/** One-click targets must be a device (or, for QUARANTINE_FILE, a file) of the incident's evidence. */
async function resolveCards(tx: Tx, incident: IncidentRow, actions: ActionCardInput[]): Promise<ResolvedCard[]> {
  const ev = await tx
    .select({ deviceId: evidence.deviceId, fileId: evidence.fileId })
    .from(evidence)
    .where(eq(evidence.incidentId, incident.id));
  const deviceIds = new Set(ev.map((e) => e.deviceId).filter(Boolean) as string[]);
  const fileIds = new Set(ev.map((e) => e.fileId).filter(Boolean) as string[]);
  const out: ResolvedCard[] = [];
  for (const [i, a] of actions.entries()) {
    const field = ['actions', String(i)];
    const title = optionalText(a.title, [...field, 'title'], LIMITS.title) ?? DEFAULT_TITLES[a.kind];
    const instructions = optionalText(a.instructions, [...field, 'instructions'], LIMITS.description);
    if (a.kind === 'MANUAL') {
      if (a.targetId) throw invalid('a MANUAL action has no target', [...field, 'targetId']);
      if (!instructions) throw invalid('a MANUAL action needs instructions', [...field, 'instructions']);
      out.push({ kind: a.kind, title, instructions, device: null, fileId: null });
      continue;
    }
    if (!a.targetId) throw invalid(`${a.kind} needs a targetId`, [...field, 'targetId']);
    const wantsFile = a.kind === 'QUARANTINE_FILE';
    if (wantsFile !== (a.targetType === 'DeviceFile')) {
      throw invalid(`${a.kind} targets a ${wantsFile ? 'DeviceFile' : 'Device'}`, [...field, 'targetId']);
    }
    if (wantsFile) {
      const [file] = fileIds.has(a.targetId)
        ? await tx.select().from(deviceFiles).where(and(eq(deviceFiles.id, a.targetId), eq(deviceFiles.tenantId, incident.tenantId)))
        : [];
      if (!file) throw notFound('A file of this incident\'s evidence', [...field, 'targetId']);
      const [device] = await tx.select().from(devices).where(eq(devices.id, file.deviceId));
      out.push({ kind: a.kind, title, instructions, device, fileId: file.id });
    } else {
      const [device] = deviceIds.has(a.targetId)
        ? await tx.select().from(devices).where(and(eq(devices.id, a.targetId), eq(devices.tenantId, incident.tenantId)))
        : [];
      if (!device) throw notFound('A device of this incident\'s evidence', [...field, 'targetId']);
      out.push({ kind: a.kind, title, instructions, device, fileId: null });
    }
  }
  return out;
}

// ---------------------------------------------------------------- execution hand-off

/** A unique-index violation, whichever driver raised it (drizzle may wrap it in `cause`). */
export function isUniqueViolation(err: unknown): boolean {
  for (let e = err as { code?: string; cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++) {
    if (e.code === '23505') return true;
  }
  return false;
}

export interface ExecutionSettings {
  actionTimeoutMs: number;
}

/** Card to IN_PROGRESS and a queued attempt for the executors. The caller holds the card lock. */
export async function startAttempt(tx: Tx, log: ActivityLog, ctx: DomainContext, card: ActionCardRow, actor: Viewer): Promise<void> {
  const side = actor.role === 'EXPERT' ? ('EXPERTS' as const) : ('CUSTOMER' as const);
  const now = new Date();
  try {
    // A nested transaction (a savepoint through the driver): the unique violation rolls back this
    // update only, and the caller's transaction stays usable. (A raw SAVEPOINT statement is not
    // enough on postgres.js: a failed query inside begin() fails the whole transaction.)
    await tx.transaction(async (sp) => {
      await sp
        .update(actionCards)
        .set({ status: 'IN_PROGRESS', performedBy: side, performedById: actor.principalId, failureReason: null, updatedAt: now })
        .where(eq(actionCards.id, card.id));
    });
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new DomainError('ALREADY_IN_PROGRESS', 'An action of this kind is already running on this target; wait for it to finish');
    }
    throw err;
  }
  const [{ n }] = await tx
    .select({ n: sql<number>`coalesce(max(${actionAttempts.number}), 0)::int` })
    .from(actionAttempts)
    .where(eq(actionAttempts.actionId, card.id));
  const [tenant] = await tx.select({ edrEndpoint: tenants.edrEndpoint, edrSecret: tenants.edrSecret }).from(tenants).where(eq(tenants.id, card.tenantId));
  await tx.insert(actionAttempts).values({
    tenantId: card.tenantId,
    actionId: card.id,
    number: Number(n) + 1,
    side,
    principalId: actor.principalId,
    state: 'QUEUED',
    // the same rule as the executor's choice of connector
    connector: tenant.edrEndpoint && tenant.edrSecret ? 'http-edr' : 'fleet',
    deadline: new Date(now.getTime() + (ctx.execution?.actionTimeoutMs ?? 30 * 60_000)),
    startedAt: now,
  });
  log.add({ tenantId: card.tenantId, incidentId: card.incidentId, field: 'action', subjectId: card.id, from: card.status, to: 'IN_PROGRESS', note: `${card.title} (${side.toLowerCase()})` });
}

/**
 * After any card change: move the incident along SPEC.md section 3.
 * - IN_PROGRESS with a managed response and no expert action still running: anything left for
 *   the customer → AWAITING_CUSTOMER_ACTION, else RESOLVED; assignment CUSTOMER either way.
 * - AWAITING_CUSTOMER_ACTION with nothing pending any more → RESOLVED (automatic).
 */
export async function settleIncident(tx: Tx, log: ActivityLog, incidentId: string): Promise<IncidentRow> {
  const [current] = await tx.select().from(incidents).where(eq(incidents.id, incidentId)).for('update');
  const cards = await tx.select().from(actionCards).where(eq(actionCards.incidentId, incidentId));
  const [published] = await tx.select({ id: managedResponses.incidentId }).from(managedResponses).where(eq(managedResponses.incidentId, incidentId));
  if (!published) return current;
  const expertsRunning = cards.some((c) => sectionOf(c) === 'EXPERTS');
  const pending = cards.some((c) => sectionOf(c) === 'PENDING');
  if (current.status === 'IN_PROGRESS' && !expertsRunning) {
    return changeIncident(tx, log, current, {
      status: pending ? 'AWAITING_CUSTOMER_ACTION' : 'RESOLVED',
      assignment: 'CUSTOMER',
      assigneeId: null,
    }, pending ? 'actions left for the customer' : 'all response actions completed by the experts');
  }
  if (current.status === 'AWAITING_CUSTOMER_ACTION' && !pending && !expertsRunning) {
    return changeIncident(tx, log, current, { status: 'RESOLVED', assignment: 'CUSTOMER' }, 'resolved automatically: the last pending action is done');
  }
  // still touched: the card change is an update of the incident (queue order, version)
  const [row] = await tx.update(incidents).set({ updatedAt: new Date(), version: current.version + 1 }).where(eq(incidents.id, incidentId)).returning();
  return row;
}

// ---------------------------------------------------------------- customer (and expert) actions

async function lockCard(tx: Tx, viewer: Viewer, actionId: string) {
  const card = await lockOwned(tx, actionCards, actionId, viewer, 'Action', ['actionId']);
  const [tenant] = await tx.select().from(tenants).where(eq(tenants.id, card.tenantId));
  const [device] = card.targetDeviceId ? await tx.select().from(devices).where(eq(devices.id, card.targetDeviceId)) : [null];
  return { card, tenant, device: device ?? null };
}

function check(viewer: Viewer, c: Awaited<ReturnType<typeof lockCard>>, action: 'perform' | 'complete' | 'skip') {
  const res = performCheck(viewer, c.card, c.tenant, c.device, action);
  if (!res.allowed) {
    if (res.code === 'FORBIDDEN') throw new DomainError('FORBIDDEN', res.reason!);
    throw new DomainError(res.code!, res.reason!);
  }
}

async function reloadCard(tx: Tx, id: string) {
  const [card] = await tx.select().from(actionCards).where(eq(actionCards.id, id));
  return card;
}

/** Perform a pending one-click action, or retry a failed one. */
export async function performAction(ctx: DomainContext, input: { actionId: string }): Promise<ActionCardRow> {
  const viewer = authorize(ctx.viewer, 'performAction');
  const card = await writeTransaction(ctx, async (tx, log) => {
    const c = await lockCard(tx, viewer, input.actionId);
    check(viewer, c, 'perform');
    await startAttempt(tx, log, ctx, c.card, viewer);
    await settleIncident(tx, log, c.card.incidentId);
    return reloadCard(tx, c.card.id);
  });
  ctx.loaders.incident.clear(card.incidentId);
  ctx.actionsQueued?.();
  return card;
}

/** The customer confirms "I've completed this action" on a MANUAL card. */
export async function completeManualAction(ctx: DomainContext, input: { actionId: string }): Promise<ActionCardRow> {
  const viewer = authorize(ctx.viewer, 'completeManualAction');
  const card = await writeTransaction(ctx, async (tx, log) => {
    const c = await lockCard(tx, viewer, input.actionId);
    check(viewer, c, 'complete');
    const now = new Date();
    await tx
      .update(actionCards)
      .set({ status: 'COMPLETED', performedBy: 'CUSTOMER', performedById: viewer.principalId, completedAt: now, updatedAt: now })
      .where(eq(actionCards.id, c.card.id));
    log.add({ tenantId: c.card.tenantId, incidentId: c.card.incidentId, field: 'action', subjectId: c.card.id, from: c.card.status, to: 'COMPLETED', note: c.card.title });
    await settleIncident(tx, log, c.card.incidentId);
    return reloadCard(tx, c.card.id);
  });
  ctx.loaders.incident.clear(card.incidentId);
  return card;
}

/** The customer skips a pending or failed card, with an optional reason. */
export async function skipAction(ctx: DomainContext, input: { actionId: string; reason?: string | null }): Promise<ActionCardRow> {
  const viewer = authorize(ctx.viewer, 'skipAction');
  const reason = optionalText(input.reason, ['reason'], LIMITS.shortText);
  const card = await writeTransaction(ctx, async (tx, log) => {
    const c = await lockCard(tx, viewer, input.actionId);
    check(viewer, c, 'skip');
    const now = new Date();
    await tx
      .update(actionCards)
      .set({ status: 'SKIPPED', skipReason: reason, performedBy: 'CUSTOMER', performedById: viewer.principalId, completedAt: now, updatedAt: now })
      .where(eq(actionCards.id, c.card.id));
    log.add({ tenantId: c.card.tenantId, incidentId: c.card.incidentId, field: 'action', subjectId: c.card.id, from: c.card.status, to: 'SKIPPED', note: `${c.card.title}${reason ? `: ${reason}` : ''}` });
    await settleIncident(tx, log, c.card.incidentId);
    return reloadCard(tx, c.card.id);
  });
  ctx.loaders.incident.clear(card.incidentId);
  return card;
}

// ---------------------------------------------------------------- reads

export async function managedResponseOf(ctx: DomainContext, incident: IncidentRow): Promise<ManagedResponseRow | null> {
  return ctx.loaders.managedResponse.load(incident.id);
}

export async function cardsOf(ctx: DomainContext, incidentId: string, section: 'PENDING' | 'COMPLETED' | 'ALL' | null | undefined) {
  const cards = await ctx.loaders.actionsByIncident.load(incidentId);
  if (!section || section === 'ALL') return cards;
  return cards.filter((c) => (section === 'COMPLETED' ? sectionOf(c) === 'COMPLETED' : sectionOf(c) === 'PENDING'));
}

export async function attemptsOf(ctx: DomainContext, actionId: string) {
  return ctx.loaders.attemptsByAction.load(actionId);
}

