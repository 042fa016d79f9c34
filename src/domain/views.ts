// Saved views (SPEC.md section 8): a named queue filter and order, private to its owner or shared
// with the owner's tenant; `incidents(viewId:)` applies one.
//
// Who sees which view: its owner always; everyone of the owner's tenant when it is shared. An
// expert has no tenant, so an expert's views are always private (sharing one is refused). A view
// anyone else names reads exactly like one that never existed (null by id, NOT_FOUND on writes,
// "No such saved view" in the queue). Only the owner changes or deletes a view: a tenant-mate who
// can see a shared view gets a FORBIDDEN user error instead of NOT_FOUND, since pretending a view
// on their own screen does not exist would hide nothing and only confuse; it tells them to copy it.
//
// A view's filter is checked by one function, `filterProblem`, when it is saved and every time it
// is applied: the queue's own checks (filterSql, the very code `incidents(filter:)` runs), and
// what only a stored filter can break later: an assignee who is disabled or no longer visible, a
// tenant the expert no longer serves. Tags are free text (no catalogue to remove one from), so a
// tag no incident carries today is a valid, empty filter, as it is in the queue.
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Tx } from '../db/client';
import { Params } from '../db/json-rows';
import { principals, savedViews, type SavedViewFilter, type SavedViewRow } from '../db/schema';
import { allows, authorize } from './access';
import type { DomainContext } from './context';
import { DomainError, invalid, notFound } from './errors';
import { savedViewVisibleTo } from './loaders';
import { UUID } from './pagination';
import { filterSql, ORDER_FIELDS, type IncidentFilter, type IncidentOrder } from './queue';
import { tags as checkedTags, text } from './validate';
import { requireViewer, type Viewer } from './viewer';

export const MAX_VIEWS_PER_PRINCIPAL = 100;
export const MAX_VIEW_NAME = 100;

/** The IncidentFilter fields, in the order the schema lists them (IncidentFilterValue mirrors it). */
export const FILTER_FIELDS = [
  'status',
  'severity',
  'assignment',
  'assigneeId',
  'tags',
  'classification',
  'determination',
  'createdAfter',
  'createdBefore',
  'updatedAfter',
  'updatedBefore',
  'search',
  'tenantIds',
] as const satisfies readonly (keyof IncidentFilter & keyof SavedViewFilter)[];
type FilterField = (typeof FILTER_FIELDS)[number];
const DATE_FIELDS = ['createdAfter', 'createdBefore', 'updatedAfter', 'updatedBefore'] as const;
const LIST_FIELDS = ['status', 'severity', 'assignment', 'classification', 'determination'] as const;

export interface CreateSavedViewInput {
  name: string;
  filter?: IncidentFilter | null;
  orderBy?: IncidentOrder | null;
  shared?: boolean | null;
}

export interface UpdateSavedViewInput {
  viewId: string;
  name?: string | null;
  /** Replaces the whole filter; null clears it; undefined keeps it. */
  filter?: IncidentFilter | null;
  /** null: back to the queue's default order; undefined keeps it. */
  orderBy?: IncidentOrder | null;
  shared?: boolean | null;
}

// ---------------------------------------------------------------- visibility

export const canEditView = (viewer: Viewer | null | undefined, view: SavedViewRow): boolean =>
  !!viewer && allows(viewer, 'updateSavedView') && view.ownerId === viewer.principalId;

/** Query.savedViews: the viewer's own views and its tenant's shared ones, by name. */
export async function listSavedViews(ctx: DomainContext): Promise<SavedViewRow[]> {
  const viewer = authorize(ctx.viewer, 'savedViews');
  const rows = await ctx.db
    .select()
    .from(savedViews)
    .where(savedViewVisibleTo(viewer))
    .orderBy(sql`lower(${savedViews.name})`, asc(savedViews.id));
  for (const r of rows) ctx.loaders.savedView.prime(r.id, r);
  return rows;
}

// ---------------------------------------------------------------- the filter: stored form and checks

/** The stored form: only the fields set, lists de-duplicated, dates as ISO text, ids as uuids. */
function storedFilter(f: IncidentFilter | null | undefined): SavedViewFilter {
  const out: SavedViewFilter = {};
  if (!f) return out;
  for (const k of LIST_FIELDS) {
    const values = f[k];
    if (values?.length) out[k] = [...new Set<string>(values)];
  }
  if (f.assigneeId) out.assigneeId = f.assigneeId;
  if (f.tags?.length) out.tags = checkedTags(f.tags, ['filter', 'tags']);
  for (const k of DATE_FIELDS) {
    const d = f[k];
    if (d) out[k] = d.toISOString();
  }
  const search = f.search?.trim();
  if (search) out.search = search;
  if (f.tenantIds?.length) out.tenantIds = [...new Set(f.tenantIds)];
  return out;
}

/** A stored filter as the queue takes it. */
export function toIncidentFilter(stored: SavedViewFilter): IncidentFilter {
  const { createdAfter, createdBefore, updatedAfter, updatedBefore, ...rest } = stored;
  const date = (iso: string | undefined) => (iso ? new Date(iso) : null);
  // (the stored enum values were checked by the schema's enums when the view was saved)
  return {
    ...(rest as IncidentFilter),
    createdAfter: date(createdAfter),
    createdBefore: date(createdBefore),
    updatedAfter: date(updatedAfter),
    updatedBefore: date(updatedBefore),
  };
}

interface FilterProblem {
  /** What a save is told (a user error naming the input field). */
  error: DomainError;
  /** What the queue says of a saved view that no longer applies ("its assignee ... is disabled"). */
  reason: string;
}

/**
 * Why this filter cannot be saved, or no longer applies, for this viewer; null when it is fine.
 * The one check of a view's filter, at save time and each time the view is used.
 */
async function filterProblem(ctx: DomainContext, viewer: Viewer, f: IncidentFilter): Promise<FilterProblem | null> {
  // the queue's own checks, by the queue's own code (tenantIds for experts only, search length)
  try {
    filterSql(viewer, f, new Params());
  } catch (err) {
    if (err instanceof DomainError) return { error: err, reason: err.message };
    throw err;
  }
  // the queue quietly drops a tenant the expert does not serve; a view naming one is stale
  const unserved = (f.tenantIds ?? []).findIndex((t) => !viewer.tenantIds.includes(t));
  if (unserved >= 0) {
    return { error: notFound('Tenant', ['filter', 'tenantIds', String(unserved)]), reason: 'it names a tenant you no longer serve' };
  }
  if (f.assigneeId) {
    const assignee = await ctx.loaders.visiblePrincipal.load(f.assigneeId);
    if (!assignee) {
      return {
        error: notFound('Assignee', ['filter', 'assigneeId']),
        reason: 'its assignee is no longer visible to you (removed, or no longer serving your tenant)',
      };
    }
    if (assignee.disabledAt) {
      return {
        error: invalid(`filter.assigneeId: ${assignee.name} is disabled`, ['filter', 'assigneeId']),
        reason: `its assignee ${assignee.name} is disabled`,
      };
    }
  }
  return null;
}

function checkedOrder(order: IncidentOrder | null | undefined): { orderField: string | null; orderDirection: string | null } {
  if (!order) return { orderField: null, orderDirection: null };
  if (!ORDER_FIELDS.includes(order.field)) throw invalid(`orderBy.field must be one of ${ORDER_FIELDS.join(', ')}`, ['orderBy', 'field']);
  if (order.direction !== 'ASC' && order.direction !== 'DESC') throw invalid('orderBy.direction must be ASC or DESC', ['orderBy', 'direction']);
  return { orderField: order.field, orderDirection: order.direction };
}

export function viewOrder(view: SavedViewRow): IncidentOrder | null {
  return view.orderField && view.orderDirection
    ? { field: view.orderField as IncidentOrder['field'], direction: view.orderDirection as IncidentOrder['direction'] }
    : null;
}

async function savableFilter(ctx: DomainContext, viewer: Viewer, f: IncidentFilter | null | undefined): Promise<SavedViewFilter> {
  const stored = storedFilter(f);
  const problem = await filterProblem(ctx, viewer, toIncidentFilter(stored));
  if (problem) throw problem.error;
  return stored;
}

function sharing(viewer: Viewer, shared: boolean | null | undefined): boolean {
  if (shared && !viewer.tenantId) {
    throw invalid("An expert's saved views are private: experts belong to no tenant to share them with", ['shared']);
  }
  return !!shared;
}

// ---------------------------------------------------------------- commands

const isUniqueViolation = (err: unknown) =>
  (err as { code?: string })?.code === '23505' || (err as { cause?: { code?: string } })?.cause?.code === '23505';
const duplicateName = (name: string) => new DomainError('ALREADY_EXISTS', `You already have a saved view named "${name}"`, ['name']);

/** Is the name free among the owner's views (case-insensitive), other than `except`? */
async function nameTaken(tx: Tx, ownerId: string, name: string, except?: string) {
  const [clash] = await tx
    .select({ id: savedViews.id })
    .from(savedViews)
    .where(and(eq(savedViews.ownerId, ownerId), sql`lower(${savedViews.name}) = lower(${name})`));
  return !!clash && clash.id !== except;
}

export async function createSavedView(ctx: DomainContext, input: CreateSavedViewInput): Promise<SavedViewRow> {
  const viewer = authorize(ctx.viewer, 'createSavedView');
  const values = {
    tenantId: viewer.tenantId,
    ownerId: viewer.principalId,
    name: text(input.name, ['name'], MAX_VIEW_NAME),
    shared: sharing(viewer, input.shared),
    filter: await savableFilter(ctx, viewer, input.filter),
    ...checkedOrder(input.orderBy),
  };
  return ctx.database.transaction(async (tx) => {
    // one create at a time per owner, so that the count below cannot be raced past the limit
    // (NO KEY UPDATE: rows that merely reference the principal are not held up)
    await tx.select({ id: principals.id }).from(principals).where(eq(principals.id, viewer.principalId)).for('no key update');
    const [count] = await tx.select({ n: sql<number>`count(*)::int` }).from(savedViews).where(eq(savedViews.ownerId, viewer.principalId));
    if (Number(count.n) >= MAX_VIEWS_PER_PRINCIPAL) {
      throw invalid(`You have ${MAX_VIEWS_PER_PRINCIPAL} saved views, the most one may keep: delete one first`, ['name']);
    }
    if (await nameTaken(tx, viewer.principalId, values.name)) throw duplicateName(values.name);
    try {
      const [row] = await tx.insert(savedViews).values(values).returning();
      return row;
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicateName(values.name);
      throw err;
    }
  });
}

/**
 * The one door for changing a view: visible to the viewer (else NOT_FOUND, as for a missing one),
 * then owned by the viewer (else FORBIDDEN: see the top of this file), row-locked.
 */
async function lockOwnView(tx: Tx, viewer: Viewer, viewId: string): Promise<SavedViewRow> {
  const [row] = UUID.test(viewId)
    ? await tx.select().from(savedViews).where(and(eq(savedViews.id, viewId), savedViewVisibleTo(viewer))).for('update')
    : [];
  if (!row) throw notFound('Saved view', ['viewId']);
  if (row.ownerId !== viewer.principalId) {
    throw new DomainError('FORBIDDEN', `Only its owner changes the shared view "${row.name}"; save a copy under your own name instead`, ['viewId']);
  }
  return row;
}

export async function updateSavedView(ctx: DomainContext, input: UpdateSavedViewInput): Promise<SavedViewRow> {
  const viewer = authorize(ctx.viewer, 'updateSavedView');
  const set: Partial<SavedViewRow> = {};
  if (input.name != null) set.name = text(input.name, ['name'], MAX_VIEW_NAME);
  if (input.shared != null) set.shared = sharing(viewer, input.shared);
  if (input.filter !== undefined) set.filter = await savableFilter(ctx, viewer, input.filter);
  if (input.orderBy !== undefined) Object.assign(set, checkedOrder(input.orderBy));
  return ctx.database.transaction(async (tx) => {
    const current = await lockOwnView(tx, viewer, input.viewId);
    if (set.name && (await nameTaken(tx, current.ownerId, set.name, current.id))) throw duplicateName(set.name);
    try {
      const [row] = await tx
        .update(savedViews)
        .set({ ...set, updatedAt: new Date() })
        .where(eq(savedViews.id, current.id))
        .returning();
      ctx.loaders.savedView.clear(row.id).prime(row.id, row);
      return row;
    } catch (err) {
      if (isUniqueViolation(err)) throw duplicateName(set.name ?? current.name);
      throw err;
    }
  });
}

export async function deleteSavedView(ctx: DomainContext, input: { viewId: string }): Promise<string> {
  const viewer = authorize(ctx.viewer, 'deleteSavedView');
  return ctx.database.transaction(async (tx) => {
    const current = await lockOwnView(tx, viewer, input.viewId);
    await tx.delete(savedViews).where(eq(savedViews.id, current.id));
    ctx.loaders.savedView.clear(current.id);
    return current.id;
  });
}

// ---------------------------------------------------------------- the queue, through a view

/**
 * What `incidents(viewId:)` runs: the view's filter and order, where each filter field given
 * explicitly (`given`, including a null that clears it) replaces the view's, and an explicit order
 * replaces the view's order. A view the viewer cannot see, and one that no longer applies, are
 * BAD_USER_INPUT errors that say so; the first reads exactly like a missing view.
 */
export async function viewQuery(
  ctx: DomainContext,
  viewId: string,
  explicit: IncidentFilter | null,
  given: readonly string[],
  orderBy: IncidentOrder | null | undefined,
): Promise<{ filter: IncidentFilter; orderBy: IncidentOrder | null }> {
  const viewer = requireViewer(ctx.viewer);
  const view = await ctx.loaders.savedView.load(viewId);
  if (!view) throw invalid('No such saved view', ['viewId']);
  const fromView = toIncidentFilter(view.filter);
  const overridden = FILTER_FIELDS.filter((k) => given.includes(k));
  for (const k of overridden) delete fromView[k];
  // only what the view still contributes is checked against it (an override may repair it)
  const problem = await filterProblem(ctx, viewer, fromView);
  if (problem) throw invalid(`Saved view "${view.name}" no longer applies: ${problem.reason}. Update or delete the view.`, ['viewId']);
  const filter: IncidentFilter = { ...fromView };
  for (const k of overridden) (filter as Record<FilterField, unknown>)[k] = explicit?.[k] ?? null;
  return { filter, orderBy: orderBy ?? viewOrder(view) };
}
