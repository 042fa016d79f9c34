// Saved views (SPEC.md section 8, API.md "Service operations"): the SavedView type with its filter
// as a typed mirror of IncidentFilter (IncidentFilterValue), Query.savedViews, and the create,
// update and delete mutations. Who sees and changes which view: src/domain/views.ts.
// `incidents(viewId:)` is in incident.ts, next to the queue.
import { encodeGlobalId } from '../domain/ids';
import { loadAll } from '../domain/loaders';
import type { IncidentFilter } from '../domain/queue';
import {
  canEditView,
  createSavedView,
  deleteSavedView,
  listSavedViews,
  toIncidentFilter,
  updateSavedView,
  viewOrder,
} from '../domain/views';
import type { SavedViewRow } from '../db/schema';
import { builder } from './builder';
import {
  AssignmentEnum,
  ClassificationEnum,
  DeterminationEnum,
  IncidentOrderFieldEnum,
  IncidentStatusEnum,
  localId,
  OrderDirectionEnum,
  payload,
  SeverityEnum,
  UserError,
} from './common';
import { IncidentFilterInput, IncidentOrderInput } from './incident';
import { DeleteNodePayload } from './notifications';
import { PrincipalRef } from './refs';

const SavedViewRef = builder.objectRef<SavedViewRow>('SavedView');

const list = <T>(values: readonly T[] | null | undefined): T[] | null => (values?.length ? [...values] : null);

const IncidentFilterValue = builder.objectRef<IncidentFilter>('IncidentFilterValue').implement({
  description:
    'A stored queue filter: the fields of IncidentFilter, field by field (null: not filtered on), ids as global ids. It can be passed back as an IncidentFilter as is.',
  fields: (t) => ({
    status: t.field({ type: [IncidentStatusEnum], nullable: true, description: 'Any of these statuses.', resolve: (f) => list(f.status) }),
    severity: t.field({ type: [SeverityEnum], nullable: true, description: 'Any of these severities.', resolve: (f) => list(f.severity) }),
    assignment: t.field({ type: [AssignmentEnum], nullable: true, description: 'Any of these assignments (ORed with assigneeId).', resolve: (f) => list(f.assignment) }),
    assigneeId: t.id({
      nullable: true,
      description: 'A named assignee (Principal id); ORed with `assignment`.',
      resolve: (f) => (f.assigneeId ? encodeGlobalId('Principal', f.assigneeId) : null),
    }),
    tags: t.stringList({ nullable: true, description: 'Custom or system tags; any of them.', resolve: (f) => list(f.tags) }),
    classification: t.field({ type: [ClassificationEnum], nullable: true, description: 'Any of these classifications.', resolve: (f) => list(f.classification) }),
    determination: t.field({ type: [DeterminationEnum], nullable: true, description: 'Any of these determinations.', resolve: (f) => list(f.determination) }),
    createdAfter: t.field({ type: 'DateTime', nullable: true, description: 'Created at or after.', resolve: (f) => f.createdAfter ?? null }),
    createdBefore: t.field({ type: 'DateTime', nullable: true, description: 'Created at or before.', resolve: (f) => f.createdBefore ?? null }),
    updatedAfter: t.field({ type: 'DateTime', nullable: true, description: 'Updated at or after.', resolve: (f) => f.updatedAfter ?? null }),
    updatedBefore: t.field({ type: 'DateTime', nullable: true, description: 'Updated at or before.', resolve: (f) => f.updatedBefore ?? null }),
    search: t.string({ nullable: true, description: 'Text in the title, the number, or an impacted asset name.', resolve: (f) => f.search ?? null }),
    tenantIds: t.idList({
      nullable: true,
      description: 'Experts only: these served tenants (Tenant ids).',
      resolve: (f) => list(f.tenantIds)?.map((id) => encodeGlobalId('Tenant', id)) ?? null,
    }),
  }),
});

const IncidentOrderValue = builder.objectRef<{ field: string; direction: string }>('IncidentOrderValue').implement({
  description: 'A stored queue order, as IncidentOrder takes it.',
  fields: (t) => ({
    field: t.field({ type: IncidentOrderFieldEnum, description: 'What the queue is sorted by.', resolve: (o) => o.field as never }),
    direction: t.field({ type: OrderDirectionEnum, description: 'Ascending or descending.', resolve: (o) => o.direction as never }),
  }),
});

builder.node(SavedViewRef, {
  description:
    "A named queue filter and order (use it with incidents(viewId:)). Private to its owner, or shared with everyone of the owner's tenant; an expert's views are always private. Only the owner changes it.",
  id: { resolve: (v) => v.id },
  loadMany: (ids, ctx) => loadAll(ctx.loaders.savedView, ids),
  fields: (t) => ({
    name: t.exposeString('name', { description: 'Unique among its owner\'s views (whatever the case), 1 to 100 characters.' }),
    shared: t.exposeBoolean('shared', { description: "Visible to everyone of the owner's tenant; false: to the owner only." }),
    owner: t.field({
      type: PrincipalRef,
      description: 'Who saved it, and the only one who may change it.',
      resolve: async (v, _a, ctx) => (await ctx.loaders.principal.load(v.ownerId))!,
    }),
    filter: t.field({ type: IncidentFilterValue, description: 'The filter the view applies.', resolve: (v) => toIncidentFilter(v.filter) }),
    orderBy: t.field({
      type: IncidentOrderValue,
      nullable: true,
      description: "The order the view applies; null: the queue's default (LAST_UPDATE, DESC).",
      resolve: (v) => viewOrder(v),
    }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was saved.', resolve: (v) => v.createdAt }),
    updatedAt: t.field({ type: 'DateTime', description: 'When its owner last changed it.', resolve: (v) => v.updatedAt }),
    viewerCanEdit: t.boolean({ description: 'Whether you may update or delete it (its owner only).', resolve: (v, _a, ctx) => canEditView(ctx.viewer, v) }),
  }),
});

builder.queryFields((t) => ({
  savedViews: t.field({
    type: [SavedViewRef],
    description: "Your saved views and the ones shared with your tenant, by name.",
    authScopes: { policy: 'savedViews' },
    resolve: (_r, _a, ctx) => listSavedViews(ctx),
  }),
}));

// ---- mutations

const SavedViewPayload = builder.objectRef<{ view?: SavedViewRow; errors: unknown[] }>('SavedViewPayload').implement({
  description: 'The saved view after the change, or why nothing changed.',
  fields: (t) => ({
    view: t.field({ type: SavedViewRef, nullable: true, description: 'The view as saved; null when errors say why not.', resolve: (p) => p.view ?? null }),
    errors: t.field({ type: [UserError], description: 'Empty on success.', resolve: (p) => p.errors as never }),
  }),
});

const CreateSavedViewInput = builder.inputType('CreateSavedViewInput', {
  description: 'A new saved view: a name, and the filter and order incidents(viewId:) will apply.',
  fields: (t) => ({
    name: t.string({ required: true, description: '1 to 100 characters, unique among your views (whatever the case).' }),
    filter: t.field({ type: IncidentFilterInput, description: 'Checked as the queue checks it, and: a named assignee must be visible to you and enabled; experts name only tenants they serve.' }),
    orderBy: t.field({ type: IncidentOrderInput, description: "Left out: the queue's default order." }),
    shared: t.boolean({ description: "Share it with everyone of your tenant (customers only: an expert's views are private). Default false." }),
  }),
});
const UpdateSavedViewInput = builder.inputType('UpdateSavedViewInput', {
  description: 'Changes to one of your saved views; fields left out stay as they are.',
  fields: (t) => ({
    viewId: t.id({ required: true, description: 'One of your own views.' }),
    name: t.string({ description: '1 to 100 characters, unique among your views; left out, it stays.' }),
    filter: t.field({ type: IncidentFilterInput, description: 'Replaces the whole filter; null clears it; left out, it stays.' }),
    orderBy: t.field({ type: IncidentOrderInput, description: "null: back to the queue's default order; left out, it stays." }),
    shared: t.boolean({ description: "true: share it with your tenant (customers only); false: make it private again; left out, it stays." }),
  }),
});
const DeleteSavedViewInput = builder.inputType('DeleteSavedViewInput', {
  description: 'The saved view to delete.',
  fields: (t) => ({ viewId: t.id({ required: true, description: 'One of your own views.' }) }),
});

type FilterArg = typeof IncidentFilterInput.$inferInput;

/** An IncidentFilter input of a mutation: a malformed id is an INVALID_INPUT user error in the payload. */
function filterArg(f: FilterArg | null | undefined): IncidentFilter | null {
  if (!f) return null;
  return {
    ...f,
    assigneeId: f.assigneeId ? localId(String(f.assigneeId), 'Principal', ['filter', 'assigneeId']) : null,
    tenantIds: f.tenantIds?.map((id, i) => localId(String(id), 'Tenant', ['filter', 'tenantIds', String(i)])) ?? null,
  } as IncidentFilter;
}

const viewArg = (id: string | number) => localId(String(id), 'SavedView', ['viewId']);

builder.mutationFields((t) => ({
  createSavedView: t.field({
    type: SavedViewPayload,
    description: 'Save a queue filter and order under a name (at most 100 views each).',
    authScopes: { policy: 'createSavedView' },
    args: { input: t.arg({ type: CreateSavedViewInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) =>
      payload(async () => ({
        view: await createSavedView(ctx, { name: input.name, filter: filterArg(input.filter), orderBy: input.orderBy, shared: input.shared }),
      })),
  }),
  updateSavedView: t.field({
    type: SavedViewPayload,
    description: "Change your saved view; fields left out stay as they are. Another's shared view: FORBIDDEN (save a copy instead).",
    authScopes: { policy: 'updateSavedView' },
    args: { input: t.arg({ type: UpdateSavedViewInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) =>
      payload(async () => ({
        view: await updateSavedView(ctx, {
          viewId: viewArg(input.viewId),
          name: input.name,
          filter: input.filter === undefined ? undefined : filterArg(input.filter),
          orderBy: input.orderBy,
          shared: input.shared,
        }),
      })),
  }),
  deleteSavedView: t.field({
    type: DeleteNodePayload,
    description: 'Delete your saved view.',
    authScopes: { policy: 'deleteSavedView' },
    args: { input: t.arg({ type: DeleteSavedViewInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) =>
      payload(async () => {
        await deleteSavedView(ctx, { viewId: viewArg(input.viewId) });
        return { deletedId: String(input.viewId) };
      }),
  }),
}));
