// Merging duplicate incidents (SPEC.md section 8): an expert folds sources of one tenant into a
// target. The alerts, their evidence, the comments and the investigation updates move to the
// target; each source becomes REDIRECTED with a link to it, its id and number still resolve, and
// nothing can change it any more (lockIncident refuses every command on it, naming the target).
//
// The activity log is not rewritten. Its ids are the event ids: the hub delivers an incident's
// events in id order from a per-incident cursor (the last id it delivered for that incident), and
// resuming clients replay by id. Moving a source's old rows to the target (UPDATE incident_id)
// would put ids below the merge's own entries into the target's stream: a process whose cursor for
// the target is older than the source's last change would deliver that history again, as new
// events of the target (and with Redis, where notices may arrive out of order, nothing could tell
// the two apart). Copying them would announce the whole history again under fresh ids. So each
// entry stays on the incident it was written on, an event id keeps meaning one change of one
// incident, and the target's log reads the sources' entries too (listActivity follows
// redirected_to_id): the history moves for the reader, merged in id (= commit) order. The merge
// itself writes new entries: one on the target naming the sources, one on each source (status →
// REDIRECTED, naming the target), so subscribers of either incident see it.
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Tx } from '../db/client';
import {
  accounts,
  alerts,
  comments,
  devices,
  emailMessages,
  evidence,
  incidents,
  investigationUpdates,
  managedResponses,
  type IncidentRow,
} from '../db/schema';
import { writeTransaction, type ActivityLog } from '../events/activity';
import { authorize } from './access';
import type { DomainContext } from './context';
import { SEVERITIES, type Severity } from './enums';
import { DomainError, invalid, notFound } from './errors';
import { lockIncidents } from './incidents';
import { deviceGroupsOf, searchText } from './ingest';
import { priorityScore } from './priority';

/** Sources one merge takes at most. */
export const MAX_MERGE_SOURCES = 50;

export interface MergeIncidentsInput {
  targetId: string;
  sourceIds: string[];
  /** The target's version the expert saw; a stale one is a VERSION_CONFLICT and nothing is written. */
  version?: number | null;
}

const transitionError = (message: string, field: string[]) => new DomainError('INVALID_TRANSITION', message, field);

/** The checks that need no database: how many sources, no repeats, the target not among them. */
function checkInput(input: MergeIncidentsInput): void {
  const n = input.sourceIds.length;
  if (n === 0 || n > MAX_MERGE_SOURCES) {
    throw invalid(`name 1 to ${MAX_MERGE_SOURCES} incidents to merge (got ${n})`, ['sourceIds']);
  }
  const seen = new Set<string>();
  input.sourceIds.forEach((id, i) => {
    if (id === input.targetId) throw invalid('an incident cannot be merged into itself', ['sourceIds', String(i)]);
    if (seen.has(id)) throw invalid('this incident is named twice', ['sourceIds', String(i)]);
    seen.add(id);
  });
}

export async function mergeIncidents(ctx: DomainContext, raw: MergeIncidentsInput): Promise<IncidentRow> {
  const viewer = authorize(ctx.viewer, 'mergeIncidents');
  // (uuids compare case-insensitively in the database: one spelling here, for the checks and the lookups)
  const input = { ...raw, targetId: raw.targetId.toLowerCase(), sourceIds: raw.sourceIds.map((id) => id.toLowerCase()) };
  checkInput(input);
  const { target, sources } = await writeTransaction(ctx, async (tx, log) => {
    // Every row locked in one statement, in id order (lockIncidents): two merges of overlapping
    // sets queue behind each other instead of deadlocking, and the second one then finds what the
    // first one did (a source already REDIRECTED) and refuses it. Ingestion locks an incident
    // before adding alerts to it, so no alert can arrive on a source while its alerts move.
    const locked = await lockIncidents(tx, viewer, [input.targetId, ...input.sourceIds]);
    const current = locked.get(input.targetId);
    if (!current) throw notFound('Incident', ['targetId']);
    // one tenant: a source of another tenant (an expert may serve both) is as unknown as a missing one
    const merged = input.sourceIds.map((id, i) => {
      const source = locked.get(id);
      if (!source || source.tenantId !== current.tenantId) throw notFound('Incident', ['sourceIds', String(i)]);
      return source;
    });
    if (input.version != null && input.version !== current.version) {
      throw new DomainError(
        'VERSION_CONFLICT',
        `The incident changed since you loaded it (version ${input.version}, now ${current.version}); reload and retry`,
        ['version'],
      );
    }
    if (current.status === 'REDIRECTED') {
      throw transitionError(`#${current.number} was itself merged into ${await numberOf(tx, current.redirectedToId)}; merge into that one`, ['targetId']);
    }
    if (current.status === 'RESOLVED') {
      throw transitionError(`#${current.number} is RESOLVED; reopen it before merging incidents into it`, ['targetId']);
    }
    const published = new Set(
      (
        await tx
          .select({ id: managedResponses.incidentId })
          .from(managedResponses)
          .where(inArray(managedResponses.incidentId, merged.map((s) => s.id)))
      ).map((r) => r.id),
    );
    merged.forEach((s, i) => {
      if (s.status === 'REDIRECTED') {
        throw transitionError(`#${s.number} was already merged into another incident`, ['sourceIds', String(i)]);
      }
      if (published.has(s.id)) {
        throw transitionError(`#${s.number} has a published managed response; its customer follows it there, so it cannot be merged away`, [
          'sourceIds',
          String(i),
        ]);
      }
    });
    return moveInto(tx, log, current, merged);
  });
  for (const row of [target, ...sources]) {
    ctx.loaders.incident.clear(row.id).prime(row.id, row);
    ctx.loaders.alertsByIncident.clear(row.id);
    ctx.loaders.devicesByIncident.clear(row.id);
    ctx.loaders.commentCount.clear(row.id);
  }
  return target;
}

async function numberOf(tx: Tx, incidentId: string | null): Promise<string> {
  if (!incidentId) return 'another incident';
  const [row] = await tx.select({ number: incidents.number }).from(incidents).where(eq(incidents.id, incidentId));
  return row ? `#${row.number}` : 'another incident';
}

/** The merge itself, on locked rows that passed every check. */
async function moveInto(
  tx: Tx,
  log: ActivityLog,
  target: IncidentRow,
  sources: IncidentRow[],
): Promise<{ target: IncidentRow; sources: IncidentRow[] }> {
  const ids = sources.map((s) => s.id);
  const ofSources = <T extends typeof alerts | typeof evidence | typeof comments | typeof investigationUpdates>(table: T) =>
    and(inArray(table.incidentId, ids), eq(table.tenantId, target.tenantId));
  // alerts keep their (tenant, external id): a later delivery of one is still recognised
  const movedAlerts = await tx.update(alerts).set({ incidentId: target.id }).where(ofSources(alerts)).returning({ id: alerts.id });
  await tx.update(evidence).set({ incidentId: target.id }).where(ofSources(evidence));
  const movedComments = await tx.update(comments).set({ incidentId: target.id }).where(ofSources(comments)).returning({ id: comments.id });
  // (a source has no managed response, hence no chat and no action cards; the revisions of a
  // concluded source stay with it: they are numbered per incident and record its own conclusion)
  await tx.update(investigationUpdates).set({ incidentId: target.id }).where(ofSources(investigationUpdates));

  const now = new Date();
  const all = [target, ...sources];
  const severity = all.reduce<Severity>((max, i) => (SEVERITIES.indexOf(i.severity) > SEVERITIES.indexOf(max) ? i.severity : max), target.severity);
  const firstActivityAt = earliest(all.map((i) => i.firstActivityAt));
  const lastActivityAt = latest(all.map((i) => i.lastActivityAt));
  const [{ n: alertCount }] = await tx.select({ n: sql<number>`count(*)::int` }).from(alerts).where(eq(alerts.incidentId, target.id));
  const [updated] = await tx
    .update(incidents)
    .set({
      severity,
      firstActivityAt,
      lastActivityAt,
      searchText: searchText(target.title, target.number, await evidenceNames(tx, target.id)),
      priorityScore: priorityScore({
        severity,
        alertCount: Number(alertCount),
        deviceGroups: await deviceGroupsOf(tx, target.id),
        firstActivityAt,
        now,
      }),
      version: target.version + 1,
      updatedAt: now,
    })
    .where(eq(incidents.id, target.id))
    .returning();

  const numbers = sources.map((s) => `#${s.number}`).join(', ');
  log.add({
    tenantId: target.tenantId,
    incidentId: target.id,
    field: 'merged',
    to: numbers,
    note: `Merged ${numbers} into this incident: ${movedAlerts.length} alert(s) and ${movedComments.length} comment(s) moved here`,
  });
  if (severity !== target.severity) {
    log.add({ tenantId: target.tenantId, incidentId: target.id, field: 'severity', from: target.severity, to: severity, note: `the highest severity of ${numbers}` });
  }

  // the assignment stays as it was: it says who had the source when it was merged
  const redirected = await tx
    .update(incidents)
    .set({ status: 'REDIRECTED', redirectedToId: target.id, version: sql`${incidents.version} + 1`, updatedAt: now })
    .where(inArray(incidents.id, ids))
    .returning();
  for (const s of sources) {
    log.add({
      tenantId: s.tenantId,
      incidentId: s.id,
      field: 'status',
      subjectId: target.id,
      from: s.status,
      to: 'REDIRECTED',
      note: `Merged into #${target.number}: its alerts, evidence and comments are there now`,
    });
  }
  return { target: updated, sources: redirected.sort((a, b) => ids.indexOf(a.id) - ids.indexOf(b.id)) };
}

const earliest = (dates: (Date | null)[]) => dates.reduce<Date | null>((min, d) => (d && (!min || d < min) ? d : min), null);
const latest = (dates: (Date | null)[]) => dates.reduce<Date | null>((max, d) => (d && (!max || d > max) ? d : max), null);

/**
 * The asset names of an incident's evidence, as ingestion collects them for the search text
 * (insertAlerts in ingest.ts): device names, every other item's value, UPNs, mail addresses.
 */
async function evidenceNames(tx: Tx, incidentId: string): Promise<string[]> {
  const rows = await tx
    .select({
      kind: evidence.kind,
      value: evidence.value,
      device: devices.name,
      upn: accounts.upn,
      recipient: emailMessages.recipient,
      sender: emailMessages.sender,
    })
    .from(evidence)
    .leftJoin(devices, eq(devices.id, evidence.deviceId))
    .leftJoin(accounts, eq(accounts.id, evidence.accountId))
    .leftJoin(emailMessages, eq(emailMessages.id, evidence.emailMessageId))
    .where(eq(evidence.incidentId, incidentId))
    .orderBy(asc(evidence.createdAt), asc(evidence.alertId), asc(evidence.position));
  return rows.flatMap((r) => [
    ...(r.device ? [r.device] : []),
    ...(r.kind !== 'DEVICE' ? [r.value] : []),
    ...(r.upn ? [r.upn] : []),
    ...(r.recipient ? [r.recipient] : []),
    ...(r.sender ? [r.sender] : []),
  ]);
}
