// Acting on action cards: creating a card, handing a one-click action to the executors, the
// customer's (and experts') perform / confirm / skip, and ad-hoc actions from an entity's page.
import { eq, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { actionAttempts, actionCards, tenants, type ActionCardRow, type TenantRow } from '../../db/schema';
import { writeTransaction, type ActivityLog } from '../../events/activity';
import { authorize, lockOwned } from '../access';
import type { DomainContext } from '../context';
import { DomainError, invalid } from '../errors';
import { exclusionOf } from '../exclusions';
import { LIMITS, optionalText } from '../validate';
import type { Viewer } from '../viewer';
import { isOneClick } from '../../registry/action-kinds';
import { performCheck, type CardAction } from './permissions';
import { settleIncident } from './settle';
import { exclusionFacts, loadCardTarget, resolveEntityCard, targetColumns, type ActionCardInput, type ResolvedCard } from './targets';

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
 * Insert a card (PENDING) and, when the experts may run it themselves (a one-click kind, an
 * OPERATOR tenant, a target not excluded), start it. Returns the card and whether it started.
 */
export async function createCard(
  tx: Tx,
  log: ActivityLog,
  ctx: DomainContext,
  opts: { tenant: TenantRow; incidentId: string | null; revision: number | null; position: number; card: ResolvedCard; actor: Viewer },
): Promise<{ card: ActionCardRow; started: boolean }> {
  const { tenant, card: c, actor } = opts;
  const excluded = c.target ? exclusionOf(tenant, await exclusionFacts(tx, tenant.id, c.target)) : null;
  const byExperts = actor.role === 'EXPERT';
  const expertsAct = byExperts && isOneClick(c.kind) && tenant.serviceAccessLevel === 'OPERATOR' && !excluded;
  const leftReason = !byExperts || expertsAct
    ? null
    : !isOneClick(c.kind)
      ? 'Manual action: performed by the customer outside the service'
      : tenant.serviceAccessLevel !== 'OPERATOR'
        ? 'The tenant granted the READER access level: the customer performs response actions'
        : excluded;
  const [card] = await tx
    .insert(actionCards)
    .values({
      tenantId: tenant.id,
      incidentId: opts.incidentId,
      revision: opts.revision,
      position: opts.position,
      kind: c.kind,
      title: c.title,
      instructions: c.instructions,
      ...targetColumns(c.target),
      parameters: c.parameters,
      status: 'PENDING',
      leftToCustomerReason: leftReason,
    })
    .returning();
  // an ad-hoc card starts at once: its first event is IN_PROGRESS (a PENDING one would be noise)
  if (opts.incidentId) log.add({ tenantId: tenant.id, incidentId: opts.incidentId, field: 'action', subjectId: card.id, from: null, to: 'PENDING', note: card.title });
  if (!expertsAct) return { card, started: false };
  try {
    await startAttempt(tx, log, ctx, card, actor);
    return { card, started: true };
  } catch (err) {
    if (!(err instanceof DomainError && err.code === 'ALREADY_IN_PROGRESS')) throw err;
    // The same action is already running on this target (e.g. another incident's card on the
    // same device): it is not started twice, and the publish still goes through; this card
    // stays pending, to be performed once the running one has finished.
    await tx
      .update(actionCards)
      .set({ leftToCustomerReason: 'The same action was already running on this target; perform it again once that one has finished' })
      .where(eq(actionCards.id, card.id));
    return { card, started: false };
  }
}

// ---------------------------------------------------------------- customer (and expert) actions

async function lockCard(tx: Tx, viewer: Viewer, actionId: string) {
  const card = await lockOwned(tx, actionCards, actionId, viewer, 'Action', ['actionId']);
  const [tenant] = await tx.select().from(tenants).where(eq(tenants.id, card.tenantId));
  const target = await loadCardTarget(tx, card);
  const facts = target ? await exclusionFacts(tx, card.tenantId, target) : null;
  return { card, tenant, facts };
}

function check(viewer: Viewer, c: Awaited<ReturnType<typeof lockCard>>, action: CardAction) {
  const res = performCheck(viewer, c.card, c.tenant, c.facts, action);
  if (!res.allowed) throw new DomainError(res.code!, res.reason!);
}

async function reloadCard(tx: Tx, id: string) {
  const [card] = await tx.select().from(actionCards).where(eq(actionCards.id, id));
  return card;
}

function clearIncident(ctx: DomainContext, card: ActionCardRow) {
  if (card.incidentId) ctx.loaders.incident.clear(card.incidentId);
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
  clearIncident(ctx, card);
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
  clearIncident(ctx, card);
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
  clearIncident(ctx, card);
  return card;
}

/**
 * A customer's action from an entity's page (SPEC.md section 4): an ad-hoc card with no incident,
 * started at once by the customer, in the action center and live like any other card.
 */
export async function performEntityAction(ctx: DomainContext, input: ActionCardInput): Promise<ActionCardRow> {
  const viewer = authorize(ctx.viewer, 'performEntityAction');
  const tenantId = viewer.tenantId;
  if (!tenantId) throw invalid('Entity actions are taken by the customer, in their own tenant', ['targetId']);
  const card = await writeTransaction(ctx, async (tx, log) => {
    const resolved = await resolveEntityCard(tx, tenantId, input);
    const [tenant] = await tx.select().from(tenants).where(eq(tenants.id, tenantId));
    const { card } = await createCard(tx, log, ctx, { tenant, incidentId: null, revision: null, position: 0, card: resolved, actor: viewer });
    await startAttempt(tx, log, ctx, card, viewer);
    return reloadCard(tx, card.id);
  });
  ctx.actionsQueued?.();
  return card;
}
