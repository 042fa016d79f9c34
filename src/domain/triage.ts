// The experts' triage (SPEC.md section 3): start an investigation, classify, reopen.
// Every other transition is an INVALID_TRANSITION user error with nothing written.
import { eq } from 'drizzle-orm';
import { incidents, managedResponses, type IncidentRow } from '../db/schema';
import { writeTransaction, type ActivityLog } from '../events/activity';
import type { DomainContext } from './context';
import { isValidClassificationPair, type Classification, type Determination } from './enums';
import { DomainError, invalid } from './errors';
import { lockIncident } from './incidents';
import { LIMITS, text } from './validate';
import { authorize, type Operation } from './access';
import type { Tx } from '../db/client';
// (the leaf module, not ./response/publish: publish imports this file)
import { appendRevision, cleanSummary, type CleanSummary, type SummaryInput } from './response/summary';

const transitionError = (message: string) => new DomainError('INVALID_TRANSITION', message);

/** Apply a set of field changes to a locked incident, with one activity entry per changed field. */
export async function changeIncident(
  tx: Tx,
  log: ActivityLog,
  current: IncidentRow,
  set: Partial<Pick<IncidentRow, 'status' | 'assignment' | 'assigneeId' | 'classification' | 'determination' | 'systemTags' | 'resolvingComment'>>,
  note?: string,
): Promise<IncidentRow> {
  for (const [field, to] of Object.entries(set) as [keyof typeof set, unknown][]) {
    const from = current[field];
    const same = Array.isArray(to) ? JSON.stringify(to) === JSON.stringify(from) : to === from;
    if (same) continue;
    log.add({
      tenantId: current.tenantId,
      incidentId: current.id,
      field: field === 'assigneeId' ? 'assignee' : field,
      from: from == null ? null : Array.isArray(from) ? from.join(', ') : String(from),
      to: to == null ? null : Array.isArray(to) ? to.join(', ') : String(to),
      note,
    });
  }
  const [row] = await tx
    .update(incidents)
    .set({ ...set, version: current.version + 1, updatedAt: new Date() })
    .where(eq(incidents.id, current.id))
    .returning();
  return row;
}

export const withSystemTag = (tags: string[], tag: string) => (tags.includes(tag) ? tags : [...tags, tag]);

async function expertCommand(
  ctx: DomainContext,
  incidentId: string,
  version: number | null | undefined,
  op: Operation,
  fn: (tx: Tx, log: ActivityLog, current: IncidentRow) => Promise<IncidentRow>,
): Promise<IncidentRow> {
  const viewer = authorize(ctx.viewer, op);
  const row = await writeTransaction(ctx, async (tx, log) => fn(tx, log, await lockIncident(tx, viewer, incidentId, version)));
  ctx.loaders.incident.clear(row.id).prime(row.id, row);
  return row;
}

export function startInvestigation(ctx: DomainContext, input: { incidentId: string; version?: number | null }) {
  return expertCommand(ctx, input.incidentId, input.version, 'startInvestigation', (tx, log, current) => startLockedInvestigation(ctx, tx, log, current));
}

/** startInvestigation on an incident the caller has locked (bulkClassifyIncidents starts ACTIVE ones). */
export function startLockedInvestigation(ctx: DomainContext, tx: Tx, log: ActivityLog, current: IncidentRow): Promise<IncidentRow> {
  if (current.status !== 'ACTIVE') {
    throw transitionError(`An investigation starts on an ACTIVE incident; this one is ${current.status}`);
  }
  return changeIncident(tx, log, current, { status: 'IN_PROGRESS', assignment: 'EXPERTS', assigneeId: ctx.viewer!.principalId });
}

export interface ClassifyInput {
  incidentId: string;
  classification: Classification;
  determination: Determination;
  summary: string;
  /** The investigation summary a false positive or informational verdict concludes with. */
  investigationSummary?: SummaryInput | null;
  version?: number | null;
}

/**
 * Classify an incident under investigation. A false positive or informational, expected activity
 * resolves it (unassigned, provider system tag, the summary as resolving comment) and concludes
 * the investigation record with a revision (SPEC.md section 4: every concluded incident carries
 * a summary); a true positive stays IN_PROGRESS until the managed response is published, which
 * carries its summary.
 */
export function classifyIncident(ctx: DomainContext, input: ClassifyInput) {
  const verdict = cleanVerdict(input);
  return expertCommand(ctx, input.incidentId, input.version, 'classifyIncident', (tx, log, current) => classifyLockedIncident(ctx, tx, log, current, verdict));
}

/** A verdict checked once, before any incident is locked (bulkClassifyIncidents applies one to many). */
export interface Verdict {
  classification: Classification;
  determination: Determination;
  summary: string;
  /** The conclusion's investigation summary; null for a true positive. */
  concluded: CleanSummary | null;
}

/** The checks of a verdict that need no incident: the pair, the summary, the conclusion. */
export function cleanVerdict(input: Omit<ClassifyInput, 'incidentId' | 'version'>): Verdict {
  const summary = text(input.summary, ['summary'], LIMITS.shortText);
  if (input.classification === 'UNKNOWN') {
    throw invalid('classify as TRUE_POSITIVE, FALSE_POSITIVE or INFORMATIONAL_EXPECTED_ACTIVITY', ['classification']);
  }
  if (!isValidClassificationPair(input.classification, input.determination)) {
    throw invalid(`${input.determination} is not a determination of ${input.classification}`, ['determination']);
  }
  // Refused rather than kept aside: a true positive's summary is what the customer reads in the
  // managed response, and holding a draft here would leave two summaries to reconcile.
  if (input.classification === 'TRUE_POSITIVE' && input.investigationSummary) {
    throw invalid('A true positive\'s investigation summary is published with the managed response (publishManagedResponse); leave it out here', ['investigationSummary']);
  }
  // the conclusion's summary; its narrative is the one-line summary when none is given
  const given = input.investigationSummary;
  const concluded =
    input.classification === 'TRUE_POSITIVE'
      ? null
      : cleanSummary({ ...given, narrative: given?.narrative.trim() || summary }, ['investigationSummary']);
  return { classification: input.classification, determination: input.determination, summary, concluded };
}

/** classifyIncident on an incident the caller has locked: the transition rules and the writes. */
export async function classifyLockedIncident(ctx: DomainContext, tx: Tx, log: ActivityLog, current: IncidentRow, verdict: Verdict): Promise<IncidentRow> {
  const { summary, concluded } = verdict;
  if (current.status !== 'IN_PROGRESS') {
    throw transitionError(`Only an incident under investigation (IN_PROGRESS) can be classified; this one is ${current.status}`);
  }
  if (current.classification !== 'UNKNOWN') {
    throw transitionError(`The incident is already classified ${current.classification}; reopen it to reclassify`);
  }
  if (verdict.classification === 'TRUE_POSITIVE' || !concluded) {
    return changeIncident(tx, log, current, { classification: verdict.classification, determination: verdict.determination }, summary);
  }
  await appendRevision(tx, current, ctx.viewer!, 'CONCLUDED', concluded);
  return changeIncident(
    tx,
    log,
    current,
    {
      classification: verdict.classification,
      determination: verdict.determination,
      status: 'RESOLVED',
      assignment: 'UNASSIGNED',
      assigneeId: null,
      systemTags: withSystemTag(current.systemTags, ctx.providerName),
      resolvingComment: summary,
    },
    summary,
  );
}

/** Experts may reopen a resolved incident: back under investigation, verdict cleared. */
export function reopenIncident(ctx: DomainContext, input: { incidentId: string; version?: number | null }) {
  return expertCommand(ctx, input.incidentId, input.version, 'reopenIncident', async (tx, log, current) => {
    if (current.status !== 'RESOLVED') {
      throw transitionError(`Only a RESOLVED incident can be reopened; this one is ${current.status}`);
    }
    const [published] = await tx.select({ id: managedResponses.incidentId }).from(managedResponses).where(eq(managedResponses.incidentId, current.id));
    return changeIncident(tx, log, current, {
      status: 'IN_PROGRESS',
      assignment: 'EXPERTS',
      assigneeId: ctx.viewer!.principalId,
      // a published managed response keeps its true-positive verdict; otherwise it is redone
      ...(published ? {} : { classification: 'UNKNOWN' as const, determination: 'UNKNOWN' as const }),
      resolvingComment: null,
    });
  });
}
