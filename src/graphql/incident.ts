import { encodeGlobalID } from '@pothos/plugin-relay';
import { loadAll } from '../domain/loaders';
// The Incident type, the queue queries and the incident edits (ingest, update, comment).
import { sentinelView } from '../connectors/siem';
import type { AlertRow, IncidentRow } from '../db/schema';
import { ingestIncident } from '../domain/ingest';
import { addComment, canEditIncident, listActivity, listComments, updateIncident } from '../domain/incidents';
import { pageInMemory } from '../domain/pagination';
import { queueIncludes } from './row-columns';
import { incidentByNumber, listIncidents, managedResponseSummary, type IncidentFilter } from '../domain/queue';
import { viewQuery } from '../domain/views';
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
  queryLocalId,
  SeverityEnum,
  SideEnum,
  UserError,
} from './common';
import { ActivityRef, AlertRef, CommentRef, DeviceRef, IncidentRef, PrincipalRef, TenantRef } from './refs';

const SentinelIncident = builder.objectRef<ReturnType<typeof sentinelView>>('SentinelIncident').implement({
  description: 'How Microsoft Sentinel shows this incident (SPEC.md section 6).',
  fields: (t) => ({
    status: t.exposeString('status', { description: 'New, Active or Closed.' }),
    owner: t.exposeString('owner', { nullable: true }),
    classification: t.exposeString('classification'),
    classificationReason: t.exposeString('classificationReason', { nullable: true }),
    labels: t.exposeStringList('labels'),
  }),
});

builder.node(IncidentRef, {
  description: 'A security incident of one tenant: alerts and evidence, triage state, and its audit trail.',
  id: { resolve: (i) => i.id },
  loadMany: (ids, ctx) => loadAll(ctx.loaders.incident, ids),
  fields: (t) => ({
    number: t.exposeInt('number', { description: 'Per-tenant sequence number, as people say it ("incident 42").' }),
    externalId: t.exposeString('externalId', { nullable: true, description: 'The id the ingesting integration gave it.' }),
    tenant: t.field({ type: TenantRef, resolve: async (i, _a, ctx) => (await ctx.loaders.tenant.load(i.tenantId))! }),
    title: t.exposeString('title'),
    description: t.exposeString('description', { nullable: true }),
    severity: t.field({ type: SeverityEnum, resolve: (i) => i.severity }),
    status: t.field({ type: IncidentStatusEnum, resolve: (i) => i.status }),
    classification: t.field({ type: ClassificationEnum, resolve: (i) => i.classification }),
    determination: t.field({ type: DeterminationEnum, resolve: (i) => i.determination }),
    assignment: t.field({ type: AssignmentEnum, resolve: (i) => i.assignment }),
    assignee: t.field({
      type: PrincipalRef,
      nullable: true,
      description: 'The named person, when the assignment names one.',
      resolve: (i, _a, ctx) => (i.assigneeId ? ctx.loaders.principal.load(i.assigneeId) : null),
    }),
    tags: t.stringList({ description: 'Custom tags set by people.', resolve: (i) => i.customTags }),
    systemTags: t.stringList({ description: 'Tags the service sets, e.g. the provider name.', resolve: (i) => i.systemTags }),
    priorityScore: t.int({ nullable: true, description: '0-100: severity, alert count, high-value assets, age.', resolve: (i) => i.priorityScore }),
    resolvingComment: t.exposeString('resolvingComment', { nullable: true }),
    version: t.exposeInt('version', { description: 'Bumped by every change; pass it back to guard against lost updates.' }),
    createdAt: t.field({ type: 'DateTime', resolve: (i) => i.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (i) => i.updatedAt }),
    firstActivityAt: t.field({ type: 'DateTime', nullable: true, resolve: (i) => i.firstActivityAt }),
    lastActivityAt: t.field({ type: 'DateTime', nullable: true, resolve: (i) => i.lastActivityAt }),
    alerts: t.connection(
      {
        type: AlertRef,
        description: 'The alerts of the incident, oldest first.',
        resolve: (i, args, ctx) => {
          const page = (all: AlertRow[]) => pageInMemory(all, args, (a) => [a.createdAt], ['date']);
          const prefetched = ctx.loaders.prefetched.alertsByIncident.get(i);
          return prefetched ? page(prefetched) : ctx.loaders.alertsByIncident.load(i.id).then(page);
        },
      },
      { name: 'AlertConnection', description: 'A page of alerts.' },
      { name: 'AlertEdge' },
    ),
    devices: t.field({
      type: [DeviceRef],
      description: 'Impacted devices: every device the evidence names.',
      resolve: (i, _a, ctx) => ctx.loaders.prefetched.devicesByIncident.get(i) ?? ctx.loaders.devicesByIncident.load(i.id),
    }),
    comments: t.connection(
      { type: CommentRef, description: 'Comments, oldest first.', resolve: (i, args, ctx) => listComments(ctx, i, args) },
      { name: 'CommentConnection', description: 'A page of comments.' },
      { name: 'CommentEdge' },
    ),
    activity: t.connection(
      {
        type: ActivityRef,
        description: 'The audit trail: every change, oldest first.',
        resolve: (i, args, ctx) => listActivity(ctx, i, args),
      },
      { name: 'ActivityConnection', description: 'A page of activity entries.' },
      { name: 'ActivityEdge' },
    ),
    sentinel: t.field({ type: SentinelIncident, resolve: (i, _a, ctx) => sentinelView(i, ctx.providerName) }),
    viewerCanUpdate: t.boolean({
      description: 'Whether you may change tags, assignment and severity.',
      resolve: (i, _a, ctx) => canEditIncident(ctx.viewer, i),
    }),
  }),
});

CommentRef.implement({
  description: 'A note on an incident.',
  fields: (t) => ({
    id: t.exposeID('id'),
    author: t.field({ type: PrincipalRef, nullable: true, resolve: (c, _a, ctx) => ctx.loaders.principal.load(c.authorId) }),
    body: t.exposeString('body'),
    createdAt: t.field({ type: 'DateTime', resolve: (c) => c.createdAt }),
  }),
});

/** Activity values that name an object are given as the object's global id (usable with node()). */
function activityValue(field: string, value: string | null): string | null {
  if (value && field === 'assignee') return encodeGlobalID('Principal', value);
  return value;
}

ActivityRef.implement({
  description: 'One change to an incident: who, when, which field, from what, to what.',
  fields: (t) => ({
    id: t.id({ description: 'Commit-ordered event id.', resolve: (a) => String(a.id) }),
    field: t.exposeString('field'),
    from: t.string({ nullable: true, description: 'Previous value; a Principal id for `assignee`.', resolve: (a) => activityValue(a.field, a.fromValue) }),
    to: t.string({ nullable: true, description: 'New value; a Principal id for `assignee`.', resolve: (a) => activityValue(a.field, a.toValue) }),
    note: t.exposeString('note', { nullable: true }),
    actor: t.field({
      type: PrincipalRef,
      nullable: true,
      description: 'Who made the change; null for the service itself.',
      resolve: (a, _x, ctx) => (a.actorId ? ctx.loaders.principal.load(a.actorId) : null),
    }),
    actorSide: t.field({ type: SideEnum, nullable: true, resolve: (a) => a.actorSide }),
    createdAt: t.field({ type: 'DateTime', resolve: (a) => a.createdAt }),
  }),
});

export const IncidentFilterInput = builder.inputType('IncidentFilter', {
  description: 'Queue filters: any of the values within one filter (OR), every filter given (AND).',
  fields: (t) => ({
    status: t.field({ type: [IncidentStatusEnum] }),
    severity: t.field({ type: [SeverityEnum] }),
    assignment: t.field({ type: [AssignmentEnum] }),
    assigneeId: t.id({ description: 'A named assignee (Principal id); ORed with `assignment`.' }),
    tags: t.stringList({ description: 'Custom or system tags; any of them.' }),
    classification: t.field({ type: [ClassificationEnum] }),
    determination: t.field({ type: [DeterminationEnum] }),
    createdAfter: t.field({ type: 'DateTime' }),
    createdBefore: t.field({ type: 'DateTime' }),
    updatedAfter: t.field({ type: 'DateTime' }),
    updatedBefore: t.field({ type: 'DateTime' }),
    search: t.string({ description: 'Text in the title, the number (e.g. "42" or "#42"), or an impacted asset name.' }),
    tenantIds: t.idList({ description: 'Experts only: restrict to these served tenants.' }),
  }),
});

export const IncidentOrderInput = builder.inputType('IncidentOrder', {
  description: 'Queue order.',
  fields: (t) => ({
    field: t.field({ type: IncidentOrderFieldEnum, required: true }),
    direction: t.field({ type: OrderDirectionEnum, required: true }),
  }),
});

type FilterArg = typeof IncidentFilterInput.$inferInput;

export function toDomainFilter(f: FilterArg | null | undefined): IncidentFilter | null {
  if (!f) return null;
  return {
    ...f,
    assigneeId: f.assigneeId ? queryLocalId(String(f.assigneeId), 'Principal', 'filter.assigneeId') : null,
    tenantIds: f.tenantIds?.map((id) => queryLocalId(String(id), 'Tenant', 'filter.tenantIds')) ?? null,
  } as IncidentFilter;
}

export const ManagedResponseSummaryRef = builder
  .objectRef<{ awaitingCustomerAction: number; investigating: number }>('ManagedResponseSummary')
  .implement({
    description: 'The banner: what needs the customer, and what the experts are on.',
    fields: (t) => ({
      awaitingCustomerAction: t.exposeInt('awaitingCustomerAction'),
      investigating: t.exposeInt('investigating', { description: 'Incidents under expert investigation (IN_PROGRESS).' }),
    }),
  });

builder.queryFields((t) => ({
  incidents: t.connection(
    {
      type: IncidentRef,
      description:
        'The incident queue of every tenant you may read, newest update first by default. With `viewId`, a saved view\'s filter and order; ' +
        'a `filter` field or `orderBy` given as well overrides the view\'s (field by field; an explicit null clears that field of the view).',
      authScopes: { policy: 'incidents' },
      args: {
        filter: t.arg({ type: IncidentFilterInput }),
        orderBy: t.arg({ type: IncidentOrderInput }),
        viewId: t.arg.id({
          description:
            'A SavedView to apply. A view you cannot see is "No such saved view"; one whose filter no longer applies (an assignee disabled or gone, a tenant no longer served) is a BAD_USER_INPUT error naming the view and why.',
        }),
      },
      // the page, with the alerts and devices the query selects, in one statement, reading only
      // the columns the selected fields need (see row-columns.ts)
      resolve: async (_r, args, ctx, info) => {
        const view = args.viewId
          ? await viewQuery(ctx, queryLocalId(String(args.viewId), 'SavedView', 'viewId'), toDomainFilter(args.filter), Object.keys(args.filter ?? {}), args.orderBy)
          : null;
        return listIncidents(ctx, view ? view.filter : toDomainFilter(args.filter), view ? view.orderBy : args.orderBy, args, queueIncludes(info));
      },
    },
    { name: 'IncidentConnection', description: 'A page of incidents.' },
    { name: 'IncidentEdge' },
  ),
  incident: t.field({
    type: IncidentRef,
    nullable: true,
    description: 'An incident by its number. Experts serving several tenants name the tenant.',
    authScopes: { policy: 'incident' },
    args: { number: t.arg.int({ required: true }), tenantId: t.arg.id() },
    resolve: (_r, args, ctx) =>
      incidentByNumber(ctx, args.number, args.tenantId ? queryLocalId(String(args.tenantId), 'Tenant', 'tenantId') : null),
  }),
  managedResponseSummary: t.field({
    type: ManagedResponseSummaryRef,
    description: 'The banner counts for your tenant, or (experts) one served tenant or all of them.',
    authScopes: { policy: 'managedResponseSummary' },
    args: { tenantId: t.arg.id() },
    resolve: (_r, args, ctx) =>
      managedResponseSummary(ctx, args.tenantId ? queryLocalId(String(args.tenantId), 'Tenant', 'tenantId') : null),
  }),
}));

// ---- mutations ----

export const IncidentPayload = builder.objectRef<{ incident?: IncidentRow; errors: unknown[] }>('IncidentPayload').implement({
  description: 'The changed incident, or why nothing changed.',
  fields: (t) => ({
    incident: t.field({ type: IncidentRef, nullable: true, resolve: (p) => p.incident ?? null }),
    errors: t.field({ type: [UserError], resolve: (p) => p.errors as never }),
  }),
});

const IngestIncidentPayload = builder
  .objectRef<{ incident?: IncidentRow; created?: boolean; errors: unknown[] }>('IngestIncidentPayload')
  .implement({
    description: 'The ingested incident; `created` is false when it existed already (idempotent).',
    fields: (t) => ({
      incident: t.field({ type: IncidentRef, nullable: true, resolve: (p) => p.incident ?? null }),
      created: t.boolean({ resolve: (p) => p.created ?? false }),
      errors: t.field({ type: [UserError], resolve: (p) => p.errors as never }),
    }),
  });

const DeviceEvidenceInput = builder.inputType('DeviceEvidenceInput', {
  fields: (t) => ({
    deviceName: t.string({ required: true }),
    deviceGroup: t.string(),
    osPlatform: t.string(),
  }),
});
const FileEvidenceInput = builder.inputType('FileEvidenceInput', {
  fields: (t) => ({
    deviceName: t.string({ required: true }),
    fileName: t.string({ required: true }),
    filePath: t.string(),
    sha1: t.string(),
    sha256: t.string(),
  }),
});
const ProcessEvidenceInput = builder.inputType('ProcessEvidenceInput', {
  fields: (t) => ({
    deviceName: t.string(),
    processName: t.string({ required: true }),
    commandLine: t.string(),
    processId: t.int(),
  }),
});
const UserEvidenceInput = builder.inputType('UserEvidenceInput', {
  description: "An account: matched in the tenant's directory by UPN, else by domain and name; created when new.",
  fields: (t) => ({
    accountName: t.string({ required: true }),
    domain: t.string(),
    upn: t.string({ description: 'User principal name (name@domain).' }),
    userPrincipalName: t.string({ description: 'The older name of `upn`.', deprecationReason: 'Use `upn`.' }),
    displayName: t.string({ description: "The person's name as the directory shows it." }),
  }),
});
const EmailEvidenceInput = builder.inputType('EmailEvidenceInput', {
  description: "A message in a recipient's mailbox (the target of email actions): matched by network message id and recipient.",
  fields: (t) => ({
    networkMessageId: t.string({ required: true, description: 'The id Exchange Online gives the message.' }),
    recipient: t.string({ required: true, description: 'The mailbox (email address) it was delivered to.' }),
    sender: t.string({ description: 'The From address.' }),
    subject: t.string({ description: 'The subject line.' }),
    receivedAt: t.field({ type: 'DateTime', description: 'When the mailbox received it.' }),
  }),
});
const IpEvidenceInput = builder.inputType('IpEvidenceInput', { fields: (t) => ({ address: t.string({ required: true }) }) });
const UrlEvidenceInput = builder.inputType('UrlEvidenceInput', { fields: (t) => ({ url: t.string({ required: true }) }) });
const EvidenceInput = builder.inputType('EvidenceInput', {
  description: 'One evidence item: set exactly one member.',
  fields: (t) => ({
    device: t.field({ type: DeviceEvidenceInput }),
    file: t.field({ type: FileEvidenceInput }),
    process: t.field({ type: ProcessEvidenceInput }),
    user: t.field({ type: UserEvidenceInput }),
    ip: t.field({ type: IpEvidenceInput }),
    url: t.field({ type: UrlEvidenceInput }),
    email: t.field({ type: EmailEvidenceInput, description: 'A mailbox message (the target of email actions).' }),
  }),
});
const AlertInput = builder.inputType('AlertInput', {
  fields: (t) => ({
    externalId: t.string({ required: true, description: 'Unique per tenant; a known one is skipped.' }),
    title: t.string({ required: true }),
    severity: t.field({ type: SeverityEnum, required: true }),
    category: t.string(),
    detectionSource: t.string(),
    createdAt: t.field({ type: 'DateTime' }),
    evidence: t.field({ type: [EvidenceInput], required: true }),
  }),
});
const IngestIncidentInput = builder.inputType('IngestIncidentInput', {
  fields: (t) => ({
    externalId: t.string({ required: true, description: 'Your id for the incident; sending it again is idempotent.' }),
    title: t.string({ required: true }),
    description: t.string(),
    severity: t.field({ type: SeverityEnum, required: true }),
    firstActivityAt: t.field({ type: 'DateTime' }),
    alerts: t.field({ type: [AlertInput], required: true }),
  }),
});
const UpdateIncidentInput = builder.inputType('UpdateIncidentInput', {
  fields: (t) => ({
    incidentId: t.id({ required: true }),
    version: t.int({ description: 'The version you saw; a stale one is a VERSION_CONFLICT and nothing changes.' }),
    tags: t.stringList({ description: 'The full new list of custom tags.' }),
    assignment: t.field({ type: AssignmentEnum }),
    assigneeId: t.id({ description: 'A principal of the tenant (CUSTOMER) or an expert serving it (EXPERTS).' }),
    severity: t.field({ type: SeverityEnum }),
  }),
});
const AddCommentInput = builder.inputType('AddCommentInput', {
  fields: (t) => ({
    incidentId: t.id({ required: true }),
    body: t.string({ required: true, description: 'At most 30,000 characters.' }),
  }),
});

builder.mutationType({
  description: 'Every mutation needs a bearer token. Rule violations come back in `errors`, with nothing written.',
  authScopes: { authenticated: true },
  fields: (t) => ({
    ingestIncident: t.field({
      type: IngestIncidentPayload,
      description: 'INTEGRATION: create an incident with its alerts and evidence, idempotent on externalId.',
      authScopes: { policy: 'ingestIncident' },
      args: { input: t.arg({ type: IngestIncidentInput, required: true }) },
      resolve: (_r, { input }, ctx) => payload(() => ingestIncident(ctx, input)),
    }),
    updateIncident: t.field({
      type: IncidentPayload,
      description: 'Change custom tags, assignment or severity (OPERATOR, ADMIN, EXPERT).',
      authScopes: { policy: 'updateIncident' },
      args: { input: t.arg({ type: UpdateIncidentInput, required: true }) },
      resolve: (_r, { input }, ctx) =>
        payload(async () => ({
          incident: await updateIncident(ctx, {
            ...input,
            incidentId: localId(String(input.incidentId), 'Incident', ['incidentId']),
            assigneeId: input.assigneeId ? localId(String(input.assigneeId), 'Principal', ['assigneeId']) : input.assigneeId,
          }),
        })),
    }),
    addComment: t.field({
      type: IncidentPayload,
      description: 'Add a comment to an incident (OPERATOR, ADMIN, EXPERT).',
      authScopes: { policy: 'addComment' },
      args: { input: t.arg({ type: AddCommentInput, required: true }) },
      resolve: (_r, { input }, ctx) =>
        payload(async () => ({
          incident: (
            await addComment(ctx, { body: input.body, incidentId: localId(String(input.incidentId), 'Incident', ['incidentId']) })
          ).incident,
        })),
    }),
  }),
});
