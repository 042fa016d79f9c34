// The incident queue (SPEC.md section 5): filters (OR within, AND across), four orderings,
// keyset pagination, total count, and the banner counts.
import { and, eq, inArray, sql } from 'drizzle-orm';
import { arrayLiteral, jsonShape, Params } from '../db/json-rows';
import { alerts, devices, incidents, type AlertRow, type DeviceRow, type IncidentRow } from '../db/schema';
import type { DomainContext } from './context';
import type { Assignment, Classification, Determination, IncidentStatus, Severity } from './enums';
import { SEVERITIES } from './enums';
import { invalid } from './errors';
import { buildPage, pageRequest, type CursorPart, type Page, type PageArgs } from './pagination';
import { scopeTenantIds } from './access';
import { cachedPage } from './queue-cache';
import { requireViewer, type Viewer } from './viewer';

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
  sqlName: string;
  prop: keyof IncidentRow & string;
  kind: CursorPart;
  cast: string;
  value: (row: IncidentRow) => unknown;
}
const updated: KeyPart = { sqlName: 'updated_at', prop: 'updatedAt', kind: 'date', cast: 'timestamptz', value: (r) => r.updatedAt };
const KEYS: Record<IncidentOrderField, KeyPart[]> = {
  LAST_UPDATE: [updated],
  CREATED: [{ sqlName: 'created_at', prop: 'createdAt', kind: 'date', cast: 'timestamptz', value: (r) => r.createdAt }],
  SEVERITY: [{ sqlName: 'severity', prop: 'severity', kind: SEVERITIES, cast: 'severity', value: (r) => r.severity }, updated],
  PRIORITY: [{ sqlName: 'priority_score', prop: 'priorityScore', kind: 'int', cast: 'int', value: (r) => r.priorityScore }, updated],
};

export const MAX_SEARCH_LENGTH = 200;
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The queue's filter as SQL conditions over `incidents i` (joined with AND), values as parameters.
 * Hand-written rather than built through drizzle: the queue is the hottest read, and its text
 * depends only on which filters are set (and how many tenants), so each shape is prepared once.
 */
export function filterSql(viewer: Viewer, filter: IncidentFilter | null | undefined, params: Params): string[] {
  const f = filter ?? {};
  if (f.tenantIds && f.tenantIds.length > 0 && viewer.role !== 'EXPERT') {
    throw invalid('tenantIds is for experts; customers always see their own tenant', ['filter', 'tenantIds']);
  }
  const scope = scopeTenantIds(viewer, f.tenantIds);
  // An IN list, not `= any(array)`: with one tenant Postgres walks the (tenant_id, sort key, id)
  // index in order and stops at the page size; with an array it would sort the whole tenant.
  const conds = [scope.length > 0 ? `i.tenant_id in (${scope.map((t) => params.add(t, 'uuid')).join(', ')})` : 'false'];
  const anyOf = (column: string, values: readonly string[] | null | undefined, type: string) => {
    if (values?.length) conds.push(`i.${column} = any(${params.add(arrayLiteral(values), `${type}[]`)})`);
  };
  anyOf('status', f.status, 'incident_status');
  // merged incidents (REDIRECTED) live on in their target: out of the queue unless asked for by
  // status (matchesFilter keeps them: a live queue sees the REDIRECTED event and drops the row)
  if (!f.status?.length) conds.push(`i.status <> 'REDIRECTED'`);
  anyOf('severity', f.severity, 'severity');
  anyOf('classification', f.classification, 'classification');
  anyOf('determination', f.determination, 'determination');
  // assignment: a named user is one more option of the same filter (OR within it)
  const assignment: string[] = [];
  if (f.assignment?.length) assignment.push(`i.assignment = any(${params.add(arrayLiteral(f.assignment), 'assignment[]')})`);
  if (f.assigneeId) assignment.push(`i.assignee_id = ${params.add(f.assigneeId, 'uuid')}`);
  if (assignment.length) conds.push(`(${assignment.join(' or ')})`);
  if (f.tags?.length) {
    const tags = params.add(arrayLiteral(f.tags), 'text[]');
    conds.push(`(i.custom_tags && ${tags} or i.system_tags && ${tags})`);
  }
  if (f.createdAfter) conds.push(`i.created_at >= ${params.add(f.createdAfter.toISOString(), 'timestamptz')}`);
  if (f.createdBefore) conds.push(`i.created_at <= ${params.add(f.createdBefore.toISOString(), 'timestamptz')}`);
  if (f.updatedAfter) conds.push(`i.updated_at >= ${params.add(f.updatedAfter.toISOString(), 'timestamptz')}`);
  if (f.updatedBefore) conds.push(`i.updated_at <= ${params.add(f.updatedBefore.toISOString(), 'timestamptz')}`);
  const q = f.search?.trim();
  if (q) {
    if (q.length > MAX_SEARCH_LENGTH) {
      throw invalid(`search is at most ${MAX_SEARCH_LENGTH} characters`, ['filter', 'search']);
    }
    // (every parameter added must appear in the text: Postgres cannot type an unused one)
    const pattern = () => params.add(`%${likeEscape(q.toLowerCase())}%`, 'text');
    const num = /^#?(\d{1,9})$/.exec(q);
    if (!num) conds.push(`i.search_text ilike ${pattern()}`);
    else {
      // "#42" is incident 42; a bare "42" may also be text (a title, an IP), but never a part of
      // another incident's number ("#420"), so the "#n" tokens are left out of its text match.
      const byNumber = `i.number = ${params.add(Number(num[1]), 'int')}`;
      conds.push(
        q.startsWith('#') ? byNumber : `(${byNumber} or regexp_replace(i.search_text, '#[0-9]+', '', 'g') ilike ${pattern()})`,
      );
    }
  }
  return conds;
}

/**
 * What the caller will read of each incident (the GraphQL selection says): which nested lists to
 * fetch with the page, and, when it knows, which columns its readers use. Rows narrowed to some
 * columns are handed only to the caller (and the `prefetched` lists its nested resolvers read),
 * never primed into the DataLoaders, which promise whole rows to every reader.
 */
export interface QueueIncludes {
  /** Incident columns read (whole rows when absent or null). */
  columns?: readonly (keyof IncidentRow & string)[] | null;
  /** The alerts of each incident: false/absent not fetched, true whole rows, a list those columns. */
  alerts?: boolean | readonly (keyof AlertRow & string)[];
  /** The impacted devices of each incident, likewise. */
  devices?: boolean | readonly (keyof DeviceRow & string)[];
}

const incidentJson = jsonShape(incidents);
// a nested row's tenant (and an alert's incident) are its incident's: the query makes sure
const alertJson = jsonShape(alerts, ['tenantId', 'incidentId']);
const deviceJson = jsonShape(devices, ['tenantId']);

// The page, and per incident the lists the caller asked for, in one statement: Postgres builds
// the JSON, Node parses it once. Same rows and order as alertsByIncident / devicesByIncident (the
// alerts' order is also what their in-memory paging needs); a nested list is scoped to its
// incident's tenant.
const alertsJson = (shape: typeof alertJson) => `(select coalesce(json_agg(${shape.array('a')} order by a.created_at, a.id), '[]'::json)
    from alerts a where a.incident_id = i.id and a.tenant_id = i.tenant_id)`;
const devicesJson = (shape: typeof deviceJson) => `(select coalesce(json_agg(${shape.array('d')} order by d.name, d.id), '[]'::json)
    from devices d where d.tenant_id = i.tenant_id
      and d.id in (select e.device_id from evidence e where e.incident_id = i.id and e.tenant_id = i.tenant_id))`;

/** The page statement's parts, shared by listIncidents and listIncidentsJson. */
function pageStatement(
  ctx: DomainContext,
  filter: IncidentFilter | null | undefined,
  order: IncidentOrder | null | undefined,
  args: PageArgs,
  extra: number,
) {
  const viewer = requireViewer(ctx.viewer);
  const field = order?.field ?? 'LAST_UPDATE';
  const direction = order?.direction ?? 'DESC';
  const keys = KEYS[field];
  const req = pageRequest(args, keys.map((k) => k.kind));
  const params = new Params();
  const where = filterSql(viewer, filter, params);
  const whereParams = params.values.length;

  // Query direction: the requested one, reversed when paging backward.
  const descending = (direction === 'DESC') !== req.backward;
  const columns = [...keys.map((k) => k.sqlName), 'id'];
  const pageWhere = [...where];
  if (req.cursor) {
    const values = req.cursor.map((v, i) =>
      params.add(v instanceof Date ? v.toISOString() : v, i < keys.length ? keys[i].cast : 'uuid'),
    );
    pageWhere.push(`(${columns.map((c) => `i.${c}`).join(', ')}) ${descending ? '<' : '>'} (${values.join(', ')})`);
  }
  const orderBy = columns.map((c) => `i.${c} ${descending ? 'desc' : 'asc'}`).join(', ');
  const limit = params.add(req.limit + extra, 'int');
  return { keys, req, params, where, whereParams, pageWhere, orderBy, limit };
}

/**
 * The nodes of a forward queue page (no `last`/`before`) as the JSON text of the response:
 * Postgres builds it whole, `item` says how (the SQL text of one incident's JSON object over
 * `incidents i`, see src/graphql/queue-fast-path.ts), and Node sends it as it comes. The page
 * is the very one listIncidents reads (same filter, tenant scope, order, cursor and size), served
 * through the version-checked page cache (src/domain/queue-cache.ts). Null for a backward page.
 */
export async function listIncidentsJson(
  ctx: DomainContext,
  filter: IncidentFilter | null | undefined,
  order: IncidentOrder | null | undefined,
  args: PageArgs,
  item: (params: Params) => string,
): Promise<string | null> {
  const { req, params, pageWhere, orderBy, limit } = pageStatement(ctx, filter, order, args, 0);
  if (req.backward) return null;
  const text = `select '[' || coalesce(string_agg(${item(params)}, ',' order by ${orderBy}), '') || ']' as page
    from (select * from incidents i where ${pageWhere.join(' and ')} order by ${orderBy} limit ${limit}) i`;
  // the tenants the statement is scoped to (filterSql's own scope, which it has checked)
  return cachedPage(ctx.database, scopeTenantIds(requireViewer(ctx.viewer), filter?.tenantIds), text, params.values);
}

export async function listIncidents(
  ctx: DomainContext,
  filter: IncidentFilter | null | undefined,
  order: IncidentOrder | null | undefined,
  args: PageArgs,
  include: QueueIncludes = {},
): Promise<Page<IncidentRow>> {
  const { keys, req, params, where, whereParams, pageWhere, orderBy, limit } = pageStatement(ctx, filter, order, args, 1);
  // narrowed shapes keep what the page itself needs: ids, the tenant (nested rows inherit it),
  // the sort keys (cursors), and an alert's creation time (its paging)
  const incidentShape = include.columns
    ? incidentJson.pick([...include.columns, 'id', 'tenantId', ...keys.map((k) => k.prop)])
    : incidentJson;
  const alertShape = Array.isArray(include.alerts) ? alertJson.pick([...include.alerts, 'id', 'createdAt']) : alertJson;
  const deviceShape = Array.isArray(include.devices) ? deviceJson.pick([...include.devices, 'id']) : deviceJson;
  const item = [
    incidentShape.array('i'),
    include.alerts ? alertsJson(alertShape) : 'null',
    include.devices ? devicesJson(deviceShape) : 'null',
  ];
  const text = `select coalesce(json_agg(json_build_array(${item.join(', ')}) order by ${orderBy}), '[]'::json)::text as page
    from (select * from incidents i where ${pageWhere.join(' and ')} order by ${orderBy} limit ${limit}) i`;
  const [{ page }] = await ctx.database.query<{ page: string }>(text, params.values);

  const rows: IncidentRow[] = [];
  const { prefetched } = ctx.loaders;
  // Whole incident rows go to the incident loader (another field of the request may load them),
  // unless they carry narrowed lists: the row object keys its prefetched lists, and a reader that
  // reached the same object through the loader must not find lists narrowed for this page.
  const share =
    incidentShape === incidentJson && (!include.alerts || alertShape === alertJson) && (!include.devices || deviceShape === deviceJson);
  for (const [incident, alertList, deviceList] of JSON.parse(page) as [unknown[], unknown[][] | null, unknown[][] | null][]) {
    const row = incidentShape.fromArray(incident, {});
    rows.push(row);
    if (share) ctx.loaders.incident.prime(row.id, row);
    if (alertList) {
      const parent = { tenantId: row.tenantId, incidentId: row.id };
      const list = alertList.map((a) => alertShape.fromArray(a, parent));
      prefetched.alertsByIncident.set(row, list);
      if (alertShape === alertJson) ctx.loaders.alertsByIncident.prime(row.id, list);
    }
    if (deviceList) {
      const list = deviceList.map((d) => deviceShape.fromArray(d, row));
      prefetched.devicesByIncident.set(row, list);
      if (deviceShape === deviceJson) ctx.loaders.devicesByIncident.prime(row.id, list);
    }
  }

  let count: Promise<number> | undefined;
  return buildPage(
    rows,
    req,
    (r) => keys.map((k) => k.value(r)),
    () =>
      (count ??= ctx.database
        .query<{ n: number }>(
          `select count(*)::int as n from incidents i where ${where.join(' and ')}`,
          params.values.slice(0, whereParams),
        )
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
