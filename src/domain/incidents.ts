// Edits to an incident available to customers and experts: tags, assignment, severity, comments.
// Every change is an activity entry; an optional expected version guards against lost updates.
import { and, asc, eq, gt, inArray, isNull, or, sql } from 'drizzle-orm';
import type { Tx } from '../db/client';
import { activity, comments, incidents, principals, type ActivityRow, type CommentRow, type IncidentRow } from '../db/schema';
import { writeTransaction, type ActivityFieldName, type ActivityLog } from '../events/activity';
import type { DomainContext } from './context';
import type { Assignment, Severity } from './enums';
import { DomainError, invalid, notFound } from './errors';
import { buildPage, pageRequest, type Page, type PageArgs } from './pagination';
import { messagePage } from './timeline';
import { priorityScore } from './priority';
import { LIMITS, tags as cleanTags, text } from './validate';
import { allowsOn, authorize, inReadableTenants, lockOwned } from './access';
import type { Viewer } from './viewer';

export function canEditIncident(viewer: Viewer | null, incident: IncidentRow): boolean {
  return allowsOn(viewer, 'updateIncident', incident.tenantId);
}

/**
 * Lock the incident row for the rest of the transaction, after the tenant check. A foreign id
 * gives the same NOT_FOUND as a missing one; a stale expected version writes nothing.
 */
export async function lockIncident(
  tx: Tx,
  viewer: Viewer,
  incidentId: string,
  expectedVersion?: number | null,
): Promise<IncidentRow> {
  const row = await lockOwned(tx, incidents, incidentId, viewer, 'Incident', ['incidentId']);
  await refuseRedirected(tx, row);
  if (expectedVersion != null && expectedVersion !== row.version) {
    throw new DomainError(
      'VERSION_CONFLICT',
      `The incident changed since you loaded it (version ${expectedVersion}, now ${row.version}); reload and retry`,
      ['version'],
    );
  }
  return row;
}

/**
 * A merged (REDIRECTED) incident is terminal (merge.ts): every command on it is refused, naming
 * the incident it was merged into. The one check: lockIncident (the door of every single-incident
 * command) runs it, and a bulk runs it per item on the rows lockIncidents gave it.
 */
export async function refuseRedirected(tx: Tx, row: IncidentRow, field: string[] = ['incidentId']): Promise<void> {
  if (row.status !== 'REDIRECTED') return;
  const [into] = row.redirectedToId
    ? await tx.select({ number: incidents.number }).from(incidents).where(eq(incidents.id, row.redirectedToId))
    : [];
  const target = into ? `#${into.number}` : 'another incident';
  throw new DomainError('INVALID_TRANSITION', `Incident #${row.number} was merged into ${target} (REDIRECTED) and no longer changes; work on ${target} instead`, field);
}

/**
 * lockIncident for many ids in one statement (the bulks): the same tenant scope, so a foreign id
 * is simply absent, exactly like a missing one. Rows are locked in id order, so two bulks over
 * overlapping incidents queue behind each other instead of deadlocking.
 */
export async function lockIncidents(tx: Tx, viewer: Viewer, incidentIds: readonly string[]): Promise<Map<string, IncidentRow>> {
  if (incidentIds.length === 0) return new Map();
  const rows = await tx
    .select()
    .from(incidents)
    .where(and(inArray(incidents.id, [...incidentIds]), inReadableTenants(incidents.tenantId, viewer)))
    .orderBy(asc(incidents.id))
    .for('update');
  return new Map(rows.map((r) => [r.id, r]));
}

export interface UpdateIncidentInput {
  incidentId: string;
  version?: number | null;
  tags?: string[] | null;
  assignment?: Assignment | null;
  assigneeId?: string | null;
  severity?: Severity | null;
}

export async function updateIncident(ctx: DomainContext, input: UpdateIncidentInput): Promise<IncidentRow> {
  const viewer = authorize(ctx.viewer, 'updateIncident');
  const change = cleanIncidentChange(input);
  const row = await writeTransaction(ctx, async (tx, log) =>
    updateLockedIncident(tx, log, await lockIncident(tx, viewer, input.incidentId, input.version), change),
  );
  ctx.loaders.incident.clear(row.id).prime(row.id, row);
  return row;
}

/** An edit checked once, before any incident is locked (bulkUpdateIncidents applies one to many). */
export interface IncidentChange {
  /** The full new list of custom tags, already cleaned (validate.tags). */
  tags: string[] | null;
  assignment?: Assignment | null;
  assigneeId?: string | null;
  severity?: Severity | null;
}

/** The checks of an edit that need no incident: tag text and count, an UNASSIGNED assignee. */
export function cleanIncidentChange(input: Omit<UpdateIncidentInput, 'incidentId' | 'version'>): IncidentChange {
  const tags = input.tags != null ? cleanTags(input.tags, ['tags']) : null;
  if (input.assigneeId && input.assignment === 'UNASSIGNED') {
    throw invalid('an UNASSIGNED incident cannot name an assignee', ['assigneeId']);
  }
  return { tags, assignment: input.assignment, assigneeId: input.assigneeId, severity: input.severity };
}

/**
 * What an edit reads besides the incident. A bulk passes memoised / preloaded versions so that
 * 100 items do not ask the same assignee 100 times; the rules stay in updateLockedIncident.
 */
export interface ChangeLookups {
  assigneeSide(tx: Tx, tenantId: string, principalId: string): Promise<'CUSTOMER' | 'EXPERTS' | null>;
  alertCount(tx: Tx, incidentId: string): Promise<number>;
}

/** The lookups of a single edit: straight to the database. */
export const directLookups: ChangeLookups = { assigneeSide, alertCount };

/**
 * Apply an edit to an incident the caller has locked (lockIncident / lockIncidents): one activity
 * entry per changed field, one version bump; an edit that changes nothing writes nothing.
 */
export async function updateLockedIncident(
  tx: Tx,
  log: ActivityLog,
  current: IncidentRow,
  change: IncidentChange,
  lookups: ChangeLookups = directLookups,
): Promise<IncidentRow> {
  const set: Partial<IncidentRow> = {};
  const changed = (field: ActivityFieldName, from: unknown, to: unknown) =>
    log.add({
      tenantId: current.tenantId,
      incidentId: current.id,
      field,
      from: from == null || (Array.isArray(from) && from.length === 0) ? null : Array.isArray(from) ? from.join(', ') : String(from),
      to: to == null || (Array.isArray(to) && to.length === 0) ? null : Array.isArray(to) ? to.join(', ') : String(to),
    });

  if (change.tags && change.tags.join('\u0000') !== current.customTags.join('\u0000')) {
    set.customTags = change.tags;
    changed('tags', current.customTags, change.tags);
  }
  if (change.severity && change.severity !== current.severity) {
    set.severity = change.severity;
    changed('severity', current.severity, change.severity);
  }
  let assignment = change.assignment ?? undefined;
  let assigneeId: string | null | undefined = change.assigneeId === undefined ? undefined : change.assigneeId;
  if (change.assigneeId) {
    const side = await lookups.assigneeSide(tx, current.tenantId, change.assigneeId);
    if (!side) throw notFound('Assignee', ['assigneeId']);
    if (assignment && assignment !== side) {
      throw invalid(`the assignee is on the ${side} side, not ${assignment}`, ['assignment']);
    }
    assignment = side;
  } else if (assignment && assigneeId === undefined) {
    assigneeId = null; // a new assignment without a name clears the named user
  }
  if (assignment && assignment !== current.assignment) {
    set.assignment = assignment;
    changed('assignment', current.assignment, assignment);
  }
  if (assigneeId !== undefined && assigneeId !== current.assigneeId) {
    set.assigneeId = assigneeId;
    changed('assignee', current.assigneeId, assigneeId);
  }
  if (log.size === 0) return current;
  const now = new Date();
  if (set.severity) {
    set.priorityScore = priorityScore({
      severity: set.severity,
      alertCount: await lookups.alertCount(tx, current.id),
      deviceGroups: [],
      firstActivityAt: current.firstActivityAt,
      now,
    });
    // keep the high-value points the incident already had
    set.priorityScore = Math.max(set.priorityScore, current.priorityScore - severityPoints(current.severity) + severityPoints(set.severity));
  }
  const [updated] = await tx
    .update(incidents)
    .set({ ...set, version: current.version + 1, updatedAt: now })
    .where(eq(incidents.id, current.id))
    .returning();
  return updated;
}

const severityPoints = (s: Severity) => ({ INFORMATIONAL: 5, LOW: 20, MEDIUM: 40, HIGH: 60 })[s];

async function alertCount(tx: Tx, incidentId: string): Promise<number> {
  const [r] = await tx.execute<{ n: number }>(sql`select count(*)::int as n from alerts where incident_id = ${incidentId}`).then((res) =>
    Array.isArray(res) ? res : (res as unknown as { rows: { n: number }[] }).rows,
  );
  return Number(r.n);
}

/** A customer of the incident's tenant is a CUSTOMER assignee; an expert serving it an EXPERTS one. */
async function assigneeSide(tx: Tx, tenantId: string, principalId: string): Promise<'CUSTOMER' | 'EXPERTS' | null> {
  const [p] = await tx
    .select({ role: principals.role, tenantId: principals.tenantId })
    .from(principals)
    .where(and(eq(principals.id, principalId), or(eq(principals.tenantId, tenantId), isNull(principals.tenantId))))
    .limit(1);
  if (!p) return null;
  if (p.role === 'EXPERT') {
    const served = await tx.execute(
      sql`select 1 from expert_tenants where principal_id = ${principalId} and tenant_id = ${tenantId}`,
    );
    return (Array.isArray(served) ? served.length : (served as unknown as { rows: unknown[] }).rows.length) ? 'EXPERTS' : null;
  }
  if (p.role === 'INTEGRATION') return null;
  return 'CUSTOMER';
}

export interface AddCommentInput {
  incidentId: string;
  body: string;
}

export async function addComment(ctx: DomainContext, input: AddCommentInput): Promise<{ incident: IncidentRow; comment: CommentRow }> {
  const viewer = authorize(ctx.viewer, 'addComment');
  const body = text(input.body, ['body'], LIMITS.comment);
  const result = await writeTransaction(ctx, async (tx, log) => {
    const current = await lockIncident(tx, viewer, input.incidentId);
    const now = new Date();
    const [comment] = await tx
      .insert(comments)
      .values({ tenantId: current.tenantId, incidentId: current.id, authorId: viewer.principalId, body, createdAt: now })
      .returning();
    const [incident] = await tx
      .update(incidents)
      .set({ updatedAt: now, version: current.version + 1 })
      .where(eq(incidents.id, current.id))
      .returning();
    log.add({ tenantId: current.tenantId, incidentId: current.id, field: 'comment', subjectId: comment.id, to: comment.id, note: body.slice(0, 200) });
    return { incident, comment };
  });
  ctx.loaders.incident.clear(result.incident.id).prime(result.incident.id, result.incident);
  return result;
}

/** Comments of one incident, oldest first. The incident must already have passed the tenant guard. */
export function listComments(ctx: DomainContext, incident: IncidentRow, args: PageArgs): Promise<Page<CommentRow>> {
  return messagePage(ctx.db, comments, incident, args, () => ctx.loaders.commentCount.load(incident.id));
}

/** The activity log of one incident, oldest first (ids are commit-ordered). */
export async function listActivity(ctx: DomainContext, incident: IncidentRow, args: PageArgs): Promise<Page<ActivityRow>> {
  const req = pageRequest(args, [], 'int');
  const inLog = inArray(activity.incidentId, await loggedIncidents(ctx, incident));
  const conds = [inLog, eq(activity.tenantId, incident.tenantId)];
  // The activity id alone orders the log: the cursor is just the id.
  if (req.cursor) conds.push(req.backward ? sql`${activity.id} < ${req.cursor[0]}` : gt(activity.id, req.cursor[0] as number));
  const rows = await ctx.db
    .select()
    .from(activity)
    .where(and(...conds))
    .orderBy(req.backward ? sql`${activity.id} desc` : asc(activity.id))
    .limit(req.limit + 1);
  return buildPage(rows, req, () => [], async () => {
    const [r] = await ctx.db.select({ n: sql<number>`count(*)::int` }).from(activity).where(and(inLog, eq(activity.tenantId, incident.tenantId)));
    return Number(r.n);
  });
}

/**
 * Whose activity an incident's log lists: its own, and that of every incident merged into it
 * (directly or through an earlier merge). A merge leaves activity rows where they were written
 * (merge.ts says why). Found through the (tenant, status) index; looked up first, so that the log
 * of an incident nothing was merged into is read exactly as before (one id, its index range).
 */
async function loggedIncidents(ctx: DomainContext, incident: IncidentRow): Promise<string[]> {
  const rows = await ctx.database.query<{ id: string }>(
    `with recursive merged(id) as (
       select $1::uuid
       union
       select i.id from incidents i join merged m on i.redirected_to_id = m.id
       where i.tenant_id = $2::uuid and i.status = 'REDIRECTED'
     )
     select id from merged`,
    [incident.id, incident.tenantId],
  );
  return rows.map((r) => r.id);
}
