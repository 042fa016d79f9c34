// The incident queue (SPEC.md section 5): filters (OR within, AND across), four orderings,
// keyset pagination, total count, and the banner counts.
import { and, asc, desc, eq, gte, ilike, inArray, lte, or, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { incidents, type IncidentRow } from '../db/schema';
import type { DomainContext } from './context';
import type { Assignment, Classification, Determination, IncidentStatus, Severity } from './enums';
import { invalid } from './errors';
import { buildPage, pageRequest, type CursorPart, type Page, type PageArgs } from './pagination';
import { requireViewer, scopeTenantIds, type Viewer } from './viewer';

export interface IncidentFilter {
  status?: IncidentStatus[] | null;
  severity?: Severity[] | null;
  assignment?: Assignment[] | null;
  assigneeId?: string | null;
  tags?: string[] | null;
  classification?: Classification[] | null;
  determination?: Determination[] | null;
  createdAfter?: Date | null;
  createdBefore?: Date | null;
  updatedAfter?: Date | null;
  updatedBefore?: Date | null;
  search?: string | null;
  tenantIds?: string[] | null;
}

export const ORDER_FIELDS = ['LAST_UPDATE', 'CREATED', 'SEVERITY', 'PRIORITY'] as const;
export type IncidentOrderField = (typeof ORDER_FIELDS)[number];
export type OrderDirection = 'ASC' | 'DESC';
export interface IncidentOrder {
  field: IncidentOrderField;
  direction: OrderDirection;
}

interface KeyPart {
  column: AnyPgColumn;
  kind: CursorPart;
  cast: string;
  value: (row: IncidentRow) => unknown;
}
const updated: KeyPart = { column: incidents.updatedAt, kind: 'date', cast: 'timestamptz', value: (r) => r.updatedAt };
const KEYS: Record<IncidentOrderField, KeyPart[]> = {
  LAST_UPDATE: [updated],
  CREATED: [{ column: incidents.createdAt, kind: 'date', cast: 'timestamptz', value: (r) => r.createdAt }],
  SEVERITY: [{ column: incidents.severity, kind: 'string', cast: 'severity', value: (r) => r.severity }, updated],
  PRIORITY: [{ column: incidents.priorityScore, kind: 'int', cast: 'int', value: (r) => r.priorityScore }, updated],
};

export const MAX_SEARCH_LENGTH = 200;
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export function filterConditions(viewer: Viewer, filter: IncidentFilter | null | undefined): SQL[] {
  const f = filter ?? {};
  if (f.tenantIds && f.tenantIds.length > 0 && viewer.role !== 'EXPERT') {
    throw invalid('tenantIds is for experts; customers always see their own tenant', ['filter', 'tenantIds']);
  }
  const scope = scopeTenantIds(viewer, f.tenantIds);
  const conds: SQL[] = [scope.length > 0 ? inArray(incidents.tenantId, scope) : sql`false`];
  if (f.status?.length) conds.push(inArray(incidents.status, f.status));
  if (f.severity?.length) conds.push(inArray(incidents.severity, f.severity));
  if (f.classification?.length) conds.push(inArray(incidents.classification, f.classification));
  if (f.determination?.length) conds.push(inArray(incidents.determination, f.determination));
  // assignment: a named user is one more option of the same filter (OR within it)
  const assignment: SQL[] = [];
  if (f.assignment?.length) assignment.push(inArray(incidents.assignment, f.assignment));
  if (f.assigneeId) assignment.push(eq(incidents.assigneeId, f.assigneeId));
  if (assignment.length) conds.push(or(...assignment)!);
  if (f.tags?.length) {
    const tags = sql`${`{${f.tags.map((t) => `"${t.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`}::text[]`;
    conds.push(sql`(${incidents.customTags} && ${tags} or ${incidents.systemTags} && ${tags})`);
  }
  if (f.createdAfter) conds.push(gte(incidents.createdAt, f.createdAfter));
  if (f.createdBefore) conds.push(lte(incidents.createdAt, f.createdBefore));
  if (f.updatedAfter) conds.push(gte(incidents.updatedAt, f.updatedAfter));
  if (f.updatedBefore) conds.push(lte(incidents.updatedAt, f.updatedBefore));
  const q = f.search?.trim();
  if (q) {
    if (q.length > MAX_SEARCH_LENGTH) {
      throw invalid(`search is at most ${MAX_SEARCH_LENGTH} characters`, ['filter', 'search']);
    }
    const pattern = `%${likeEscape(q.toLowerCase())}%`;
    const num = /^#?(\d{1,9})$/.exec(q);
    if (!num) conds.push(ilike(incidents.searchText, pattern));
    else {
      // "#42" is incident 42; a bare "42" may also be text (a title, an IP), but never a part of
      // another incident's number ("#420"), so the "#n" tokens are left out of its text match.
      const byNumber = eq(incidents.number, Number(num[1]));
      const inText = ilike(sql`regexp_replace(${incidents.searchText}, '#[0-9]+', '', 'g')`, pattern);
      conds.push(q.startsWith('#') ? byNumber : or(byNumber, inText)!);
    }
  }
  return conds;
}

export async function listIncidents(
  ctx: DomainContext,
  filter: IncidentFilter | null | undefined,
  order: IncidentOrder | null | undefined,
  args: PageArgs,
): Promise<Page<IncidentRow>> {
  const viewer = requireViewer(ctx.viewer);
  const field = order?.field ?? 'LAST_UPDATE';
  const direction = order?.direction ?? 'DESC';
  const keys = KEYS[field];
  const req = pageRequest(args, keys.map((k) => k.kind));
  const conds = filterConditions(viewer, filter);
  const where = and(...conds);

  // Query direction: the requested one, reversed when paging backward.
  const descending = (direction === 'DESC') !== req.backward;
  const columns = [...keys.map((k) => k.column), incidents.id];
  const pageConds = [...conds];
  if (req.cursor) {
    const values = req.cursor.map((v, i) => {
      const cast = i < keys.length ? keys[i].cast : 'uuid';
      return sql`${v instanceof Date ? v.toISOString() : v}::${sql.raw(cast)}`;
    });
    pageConds.push(
      sql`(${sql.join(columns, sql`, `)}) ${sql.raw(descending ? '<' : '>')} (${sql.join(values, sql`, `)})`,
    );
  }
  const rows = await ctx.db
    .select()
    .from(incidents)
    .where(and(...pageConds))
    .orderBy(...columns.map((c) => (descending ? desc(c) : asc(c))))
    .limit(req.limit + 1);
  for (const row of rows) ctx.loaders.incident.prime(row.id, row);

  let count: Promise<number> | undefined;
  return buildPage(
    rows,
    req,
    (r) => keys.map((k) => k.value(r)),
    () =>
      (count ??= ctx.db
        .select({ n: sql<number>`count(*)::int` })
        .from(incidents)
        .where(where)
        .then((r) => Number(r[0].n))),
  );
}

export interface ManagedResponseSummary {
  awaitingCustomerAction: number;
  investigating: number;
}

/** The banner: incidents awaiting customer action and incidents under expert investigation. */
export async function managedResponseSummary(
  ctx: DomainContext,
  tenantId: string | null | undefined,
): Promise<ManagedResponseSummary> {
  const viewer = requireViewer(ctx.viewer);
  const scope = scopeTenantIds(viewer, tenantId ? [tenantId] : null);
  if (scope.length === 0) return { awaitingCustomerAction: 0, investigating: 0 };
  const [row] = await ctx.db
    .select({
      awaiting: sql<number>`count(*) filter (where ${incidents.status} = 'AWAITING_CUSTOMER_ACTION')::int`,
      investigating: sql<number>`count(*) filter (where ${incidents.status} = 'IN_PROGRESS')::int`,
    })
    .from(incidents)
    .where(and(inArray(incidents.tenantId, scope), inArray(incidents.status, ['AWAITING_CUSTOMER_ACTION', 'IN_PROGRESS'])));
  return { awaitingCustomerAction: Number(row.awaiting), investigating: Number(row.investigating) };
}

/** An incident by its per-tenant number. Experts name the tenant unless they serve only one. */
export async function incidentByNumber(
  ctx: DomainContext,
  number: number,
  tenantId: string | null | undefined,
): Promise<IncidentRow | null> {
  const viewer = requireViewer(ctx.viewer);
  let tenant: string | null = null;
  if (viewer.role === 'EXPERT') {
    if (tenantId) tenant = tenantId;
    else if (viewer.tenantIds.length === 1) tenant = viewer.tenantIds[0];
    else throw invalid('tenantId is required: incident numbers are per tenant', ['tenantId']);
  } else {
    tenant = viewer.tenantId;
    if (tenantId && tenantId !== tenant) return null;
  }
  if (!tenant || !viewer.tenantIds.includes(tenant)) return null;
  const [row] = await ctx.db
    .select()
    .from(incidents)
    .where(and(eq(incidents.tenantId, tenant), eq(incidents.number, number)))
    .limit(1);
  if (row) ctx.loaders.incident.prime(row.id, row);
  return row ?? null;
}

/** The same filter as filterConditions, in memory (for live events: no query per subscriber). */
export function matchesFilter(viewer: Viewer, i: IncidentRow, filter: IncidentFilter | null | undefined): boolean {
  const f = filter ?? {};
  if (!viewer.tenantIds.includes(i.tenantId)) return false;
  if (f.tenantIds?.length && !f.tenantIds.includes(i.tenantId)) return false;
  if (f.status?.length && !f.status.includes(i.status)) return false;
  if (f.severity?.length && !f.severity.includes(i.severity)) return false;
  if (f.classification?.length && !f.classification.includes(i.classification)) return false;
  if (f.determination?.length && !f.determination.includes(i.determination)) return false;
  if (f.assignment?.length || f.assigneeId) {
    const byAssignment = !!f.assignment?.includes(i.assignment);
    const byAssignee = !!f.assigneeId && i.assigneeId === f.assigneeId;
    if (!byAssignment && !byAssignee) return false;
  }
  if (f.tags?.length && !f.tags.some((t) => i.customTags.includes(t) || i.systemTags.includes(t))) return false;
  if (f.createdAfter && i.createdAt < f.createdAfter) return false;
  if (f.createdBefore && i.createdAt > f.createdBefore) return false;
  if (f.updatedAfter && i.updatedAt < f.updatedAfter) return false;
  if (f.updatedBefore && i.updatedAt > f.updatedBefore) return false;
  const q = f.search?.trim().toLowerCase();
  if (q) {
    const num = /^#?(\d{1,9})$/.exec(q);
    // as in filterConditions: "#42" is only incident 42; a bare "42" is not a part of "#420"
    const byNumber = !!num && Number(num[1]) === i.number;
    const inText = num ? !q.startsWith('#') && i.searchText.replace(/#[0-9]+/g, '').includes(q) : i.searchText.includes(q);
    if (!byNumber && !inText) return false;
  }
  return true;
}
