// Publishing a managed response: the investigation summary (a new revision of the append-only
// record) and the action cards, of which the experts start what they may at once.
import { eq, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import { actionCards, managedResponses, tenants, type IncidentRow } from '../../db/schema';
import { writeTransaction, type ActivityLog } from '../../events/activity';
import type { DomainContext } from '../context';
import { DomainError, invalid } from '../errors';
import { lockIncident } from '../incidents';
import { changeIncident, withSystemTag } from '../triage';
import { authorize } from '../access';
import type { Viewer } from '../viewer';
import { createCard } from './perform';
import { settleIncident } from './settle';
import { appendRevision, cleanSummary, type SummaryInput } from './summary';
import { resolveCards, type ActionCardInput } from './targets';

// (the summary and the revisions live in the leaf ./summary, which triage imports too)
export { appendRevision, cleanSummary, IOC_TYPES, type CleanSummary, type SummaryInput } from './summary';

export interface PublishInput {
  incidentId: string;
  version?: number | null;
  summary: SummaryInput;
  actions: ActionCardInput[];
}

/** Add cards to an incident's response under a revision; returns whether any started. */
export async function addCards(
  tx: Tx,
  log: ActivityLog,
  ctx: DomainContext,
  incident: IncidentRow,
  revision: number,
  actions: ActionCardInput[],
  viewer: Viewer,
): Promise<boolean> {
  if (actions.length > 50) throw invalid('at most 50 action cards', ['actions']);
  const [tenant] = await tx.select().from(tenants).where(eq(tenants.id, incident.tenantId));
  const cards = await resolveCards(tx, incident, actions);
  const [{ maxPos }] = await tx
    .select({ maxPos: sql<number>`coalesce(max(${actionCards.position}), -1)::int` })
    .from(actionCards)
    .where(eq(actionCards.incidentId, incident.id));
  let started = false;
  for (const [i, card] of cards.entries()) {
    const r = await createCard(tx, log, ctx, { tenant, incidentId: incident.id, revision, position: Number(maxPos) + 1 + i, card, actor: viewer });
    started ||= r.started;
  }
  return started;
}

/**
 * Publish the managed response of a true-positive incident under investigation. In an OPERATOR
 * tenant the experts' one-click actions on non-excluded targets start at once; everything else
 * waits for the customer. Publishing again after a reopen adds a revision: the earlier narrative,
 * indicators and cards stay readable.
 */
export async function publishManagedResponse(ctx: DomainContext, input: PublishInput): Promise<IncidentRow> {
  const viewer = authorize(ctx.viewer, 'publishManagedResponse');
  const summary = cleanSummary(input.summary);
  if (input.actions.length > 50) throw invalid('at most 50 action cards', ['actions']);
  let started = false;
  const row = await writeTransaction(ctx, async (tx, log) => {
    const current = await lockIncident(tx, viewer, input.incidentId, input.version);
    if (current.status !== 'IN_PROGRESS') {
      throw new DomainError('INVALID_TRANSITION', `A managed response is published on an incident under investigation (IN_PROGRESS); this one is ${current.status}`);
    }
    if (current.classification !== 'TRUE_POSITIVE') {
      throw new DomainError('INVALID_TRANSITION', 'Classify the incident as TRUE_POSITIVE before publishing a managed response');
    }
    const revision = await appendRevision(tx, current, viewer, 'PUBLISHED', summary);
    const [existing] = await tx.select().from(managedResponses).where(eq(managedResponses.incidentId, current.id));
    // managed_responses holds the current revision's copy; the record itself is the revisions
    if (existing) {
      await tx.update(managedResponses).set({ ...summary, publishedById: viewer.principalId, publishedAt: new Date() }).where(eq(managedResponses.incidentId, current.id));
    } else {
      await tx.insert(managedResponses).values({ incidentId: current.id, tenantId: current.tenantId, publishedById: viewer.principalId, ...summary });
    }
    log.add({ tenantId: current.tenantId, incidentId: current.id, field: 'managedResponse', from: existing ? 'published' : null, to: 'published', note: summary.narrative.slice(0, 200) });
    started = await addCards(tx, log, ctx, current, revision, input.actions, viewer);
    const tagged = await changeIncident(tx, log, current, { systemTags: withSystemTag(current.systemTags, ctx.providerName) });
    return (await settleIncident(tx, log, tagged.id))!;
  });
  ctx.loaders.incident.clear(row.id).prime(row.id, row);
  if (started) ctx.actionsQueued?.();
  return row;
}
