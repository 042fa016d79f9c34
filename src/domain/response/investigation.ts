// The investigation record (SPEC.md section 4, "append-only"): the experts' updates while they
// work, and the revisions of the summary. Nothing here rewrites what a customer has already read:
// an update is kept as posted, an amendment is a new revision with its own cards.
import { and, desc, eq, sql } from 'drizzle-orm';
import type { Tx } from '../../db/client';
import {
  investigationRevisions,
  investigationUpdates,
  managedResponses,
  type IncidentRow,
  type InvestigationRevisionRow,
  type InvestigationUpdateRow,
} from '../../db/schema';
import { writeTransaction } from '../../events/activity';
import { authorize } from '../access';
import type { DomainContext } from '../context';
import { DomainError, invalid } from '../errors';
import { lockIncident } from '../incidents';
import type { Page, PageArgs } from '../pagination';
import { messagePage } from '../timeline';
import { LIMITS, text } from '../validate';
import { addCards } from './publish';
import { settleIncident } from './settle';
import { appendRevision, cleanSummary, type CleanSummary, type SummaryInput } from './summary';
import type { ActionCardInput } from './targets';

/**
 * An expert posts an update on an incident of a tenant it serves: a time-stamped note the
 * customer reads live (incidentChanged, webhook investigation.update_posted) and that is kept.
 * Allowed in every status, RESOLVED included: an update is a note, not a transition, and "we
 * kept watching for a day, nothing recurred" after the resolution is exactly what it is for.
 * (Not on a merged, REDIRECTED incident: lockIncident refuses it, naming where to post instead.)
 * It changes nothing on the incident itself (no version bump, no queue move).
 */
export async function postInvestigationUpdate(ctx: DomainContext, input: { incidentId: string; body: string }): Promise<InvestigationUpdateRow> {
  const viewer = authorize(ctx.viewer, 'postInvestigationUpdate');
  const body = text(input.body, ['body'], LIMITS.description);
  return writeTransaction(ctx, async (tx, log) => {
    // the incident lock orders the update's event with every other change of the incident
    const incident = await lockIncident(tx, viewer, input.incidentId);
    const [row] = await tx
      .insert(investigationUpdates)
      .values({ tenantId: incident.tenantId, incidentId: incident.id, authorId: viewer.principalId, body })
      .returning();
    log.add({ tenantId: incident.tenantId, incidentId: incident.id, field: 'investigationUpdate', subjectId: row.id, to: row.id, note: body.slice(0, 200) });
    return row;
  });
}

/** Updates of one incident (already through the tenant guard), oldest first. */
export async function listUpdates(ctx: DomainContext, incident: IncidentRow, args: PageArgs): Promise<Page<InvestigationUpdateRow>> {
  return messagePage(ctx.db, investigationUpdates, incident, args, async () => {
    const [{ n }] = await ctx.db
      .select({ n: sql<number>`count(*)::int` })
      .from(investigationUpdates)
      .where(and(eq(investigationUpdates.incidentId, incident.id), eq(investigationUpdates.tenantId, incident.tenantId)));
    return Number(n);
  });
}

/** The incident's revisions, oldest first (tenant-scoped through the loader). */
export function revisionsOf(ctx: DomainContext, incidentId: string): Promise<InvestigationRevisionRow[]> {
  return ctx.loaders.revisionsByIncident.load(incidentId);
}

/** The current revision (the latest), or null before the experts concluded or published. */
export async function currentRevisionOf(ctx: DomainContext, incidentId: string): Promise<InvestigationRevisionRow | null> {
  const all = await revisionsOf(ctx, incidentId);
  return all.length ? all[all.length - 1] : null;
}

/** The cards a revision added (those published with it, or added by the amendment). */
export async function revisionCards(ctx: DomainContext, revision: InvestigationRevisionRow) {
  const cards = await ctx.loaders.actionsByIncident.load(revision.incidentId);
  return cards.filter((c) => c.revision === revision.number);
}

export interface AmendInput {
  incidentId: string;
  version?: number | null;
  /** The revised summary; none keeps the previous revision's. */
  summary?: SummaryInput | null;
  addActions?: ActionCardInput[] | null;
}

const AMENDABLE = ['IN_PROGRESS', 'AWAITING_CUSTOMER_ACTION'] as const;

/**
 * Amend a published managed response while it is open (IN_PROGRESS or AWAITING_CUSTOMER_ACTION):
 * a new AMENDED revision with a revised summary (or the previous one carried over) and the cards
 * it adds. The earlier revisions and their cards stay as they were. A RESOLVED incident is
 * reopened first, then published again. The added cards move the incident like a publication.
 */
export async function amendManagedResponse(ctx: DomainContext, input: AmendInput): Promise<IncidentRow> {
  const viewer = authorize(ctx.viewer, 'amendManagedResponse');
  const actions = input.addActions ?? [];
  if (!input.summary && actions.length === 0) {
    throw invalid('Give a revised summary, actions to add, or both', ['summary']);
  }
  if (actions.length > 50) throw invalid('at most 50 action cards', ['addActions']);
  const revised = input.summary ? cleanSummary(input.summary, ['summary']) : null;
  let started = false;
  const row = await writeTransaction(ctx, async (tx, log) => {
    const current = await lockIncident(tx, viewer, input.incidentId, input.version);
    const [response] = await tx.select().from(managedResponses).where(eq(managedResponses.incidentId, current.id));
    if (!response) {
      throw new DomainError('INVALID_TRANSITION', 'This incident has no managed response to amend; publish one first (publishManagedResponse)');
    }
    if (!(AMENDABLE as readonly string[]).includes(current.status)) {
      throw new DomainError(
        'INVALID_TRANSITION',
        `A managed response is amended while the incident is open (IN_PROGRESS or AWAITING_CUSTOMER_ACTION); this one is ${current.status}. Reopen it and publish again to add a revision`,
      );
    }
    const summary = revised ?? (await previousSummary(tx, current.id)) ?? summaryOf(response);
    const revision = await appendRevision(tx, current, viewer, 'AMENDED', summary);
    // managed_responses keeps the current revision's copy; its publication (who, when) stays
    await tx.update(managedResponses).set(summary).where(eq(managedResponses.incidentId, current.id));
    const what = [revised ? 'summary revised' : 'summary unchanged', actions.length ? `${actions.length} action${actions.length > 1 ? 's' : ''} added` : null].filter(Boolean).join(', ');
    log.add({ tenantId: current.tenantId, incidentId: current.id, field: 'managedResponse', from: 'published', to: 'amended', note: `Revision ${revision}: ${what}` });
    started = await withField('addActions', () => addCards(tx, log, ctx, current, revision, actions, viewer));
    return (await settleIncident(tx, log, current.id))!;
  });
  ctx.loaders.incident.clear(row.id).prime(row.id, row);
  if (started) ctx.actionsQueued?.();
  return row;
}

async function previousSummary(tx: Tx, incidentId: string): Promise<CleanSummary | null> {
  const [last] = await tx
    .select()
    .from(investigationRevisions)
    .where(eq(investigationRevisions.incidentId, incidentId))
    .orderBy(desc(investigationRevisions.number))
    .limit(1);
  return last ? summaryOf(last) : null;
}

const summaryOf = (r: CleanSummary): CleanSummary => ({
  narrative: r.narrative,
  impact: r.impact,
  severityRationale: r.severityRationale,
  timeline: r.timeline,
  indicatorsOfAttack: r.indicatorsOfAttack,
  indicatorsOfCompromise: r.indicatorsOfCompromise,
});

/** The card checks name their input `actions` (publish's); here the list is `addActions`. */
async function withField<T>(name: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DomainError && err.field?.[0] === 'actions') throw new DomainError(err.code, err.message, [name, ...err.field.slice(1)]);
    throw err;
  }
}
