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
  UserError,
} from './common';
import { ActivityRef, AlertRef, CommentRef, DeviceRef, IncidentRef, PrincipalRef, TenantRef } from './refs';

const SentinelIncident = builder.objectRef<ReturnType<typeof sentinelView>>('SentinelIncident').implement({
  description:
    "How Microsoft Sentinel shows this incident, as a Sentinel sync connector writes it: Sentinel's own status, owner, " +
    'classification and labels for ours.',
  fields: (t) => ({
    status: t.exposeString('status', {
      description: 'New (ACTIVE), Active (IN_PROGRESS, AWAITING_CUSTOMER_ACTION) or Closed (RESOLVED, REDIRECTED).',
    }),
    owner: t.exposeString('owner', {
      nullable: true,
      description: "The provider's name when assigned to EXPERTS, Customer when assigned to the CUSTOMER, null when UNASSIGNED.",
    }),
    classification: t.exposeString('classification', {
      description: 'TruePositive, FalsePositive, BenignPositive (INFORMATIONAL_EXPECTED_ACTIVITY) or Undetermined (UNKNOWN).',
    }),
    classificationReason: t.exposeString('classificationReason', {
      nullable: true,
      description: 'SuspiciousActivity (true positive), InaccurateData (false positive), SuspiciousButExpected (informational); null otherwise.',
    }),
    labels: t.exposeStringList('labels', {
      description: 'The custom and system tags, plus "Awaiting Customer Action" while the incident awaits the customer, and "Merged" once REDIRECTED.',
    }),
  }),
});

builder.node(IncidentRef, {
  description: 'A security incident of one tenant: alerts and evidence, triage state, and its audit trail.',
  id: { resolve: (i) => i.id },
  loadMany: (ids, ctx) => loadAll(ctx.loaders.incident, ids),
  fields: (t) => ({
    number: t.exposeInt('number', { description: 'Per-tenant sequence number, as people say it ("incident 42").' }),
    externalId: t.exposeString('externalId', { nullable: true, description: 'The id the ingesting integration gave it.' }),
    tenant: t.field({
      type: TenantRef,
      description: 'The customer organisation the incident belongs to.',
      resolve: async (i, _a, ctx) => (await ctx.loaders.tenant.load(i.tenantId))!,
    }),
    title: t.exposeString('title', { description: 'The display name the detection gave it.' }),
    description: t.exposeString('description', { nullable: true, description: 'Free text from the ingesting integration.' }),
    severity: t.field({
      type: SeverityEnum,
      description: 'How bad it is; ingested, changed by OPERATOR, ADMIN or EXPERT (updateIncident), raised to the highest by a merge.',
      resolve: (i) => i.severity,
    }),
    status: t.field({ type: IncidentStatusEnum, description: 'Where the incident is in its lifecycle.', resolve: (i) => i.status }),
    classification: t.field({
      type: ClassificationEnum,
      description: "The experts' verdict; UNKNOWN until an expert classifies or publishes.",
      resolve: (i) => i.classification,
    }),
    determination: t.field({
      type: DeterminationEnum,
      description: 'The detail of the verdict; always a valid pair with `classification`.',
      resolve: (i) => i.determination,
    }),
    assignment: t.field({ type: AssignmentEnum, description: 'Who works the incident now.', resolve: (i) => i.assignment }),
    assignee: t.field({
      type: PrincipalRef,
      nullable: true,
      description: 'The named person, when the assignment names one.',
      resolve: (i, _a, ctx) => (i.assigneeId ? ctx.loaders.principal.load(i.assigneeId) : null),
    }),
    tags: t.stringList({ description: 'Custom tags set by people.', resolve: (i) => i.customTags }),
    systemTags: t.stringList({ description: 'Tags the service sets, e.g. the provider name.', resolve: (i) => i.systemTags }),
    priorityScore: t.int({ nullable: true, description: '0-100: severity, alert count, high-value assets, age.', resolve: (i) => i.priorityScore }),
    resolvingComment: t.exposeString('resolvingComment', {
      nullable: true,
      description: "The experts' concluding summary, set when they classify or publish; null before.",
    }),
    version: t.exposeInt('version', { description: 'Bumped by every change; pass it back to guard against lost updates.' }),
    createdAt: t.field({ type: 'DateTime', description: 'When the incident was ingested.', resolve: (i) => i.createdAt }),
    updatedAt: t.field({ type: 'DateTime', description: 'When anything about it last changed (its last activity entry).', resolve: (i) => i.updatedAt }),
    firstActivityAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the earliest activity its alerts describe happened (on the monitored systems).',
      resolve: (i) => i.firstActivityAt,
    }),
    lastActivityAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'When the latest activity its alerts describe happened.',
      resolve: (i) => i.lastActivityAt,
    }),
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
      { name: 'AlertEdge', description: 'An alert of the page, with its cursor.' },
    ),
    devices: t.field({
      type: [DeviceRef],
      description: 'Impacted devices: every device the evidence names.',
      resolve: (i, _a, ctx) => ctx.loaders.prefetched.devicesByIncident.get(i) ?? ctx.loaders.devicesByIncident.load(i.id),
    }),
    comments: t.connection(
      { type: CommentRef, description: 'Comments, oldest first.', resolve: (i, args, ctx) => listComments(ctx, i, args) },
      { name: 'CommentConnection', description: 'A page of comments.' },
      { name: 'CommentEdge', description: 'A comment of the page, with its cursor.' },
    ),
    activity: t.connection(
      {
        type: ActivityRef,
        description: 'The audit trail: every change, oldest first.',
        resolve: (i, args, ctx) => listActivity(ctx, i, args),
      },
      { name: 'ActivityConnection', description: 'A page of activity entries.' },
      { name: 'ActivityEdge', description: 'An activity entry of the page, with its cursor.' },
    ),
    sentinel: t.field({
      type: SentinelIncident,
      description: 'The incident as Microsoft Sentinel shows it (what a Sentinel sync connector writes).',
      resolve: (i, _a, ctx) => sentinelView(i, ctx.providerName),
    }),
    viewerCanUpdate: t.boolean({
      description: 'Whether you may change tags, assignment and severity.',
      resolve: (i, _a, ctx) => canEditIncident(ctx.viewer, i),
    }),
  }),
});

builder.node(CommentRef, {
  description:
    'A note on an incident by one of its people: the customer\'s OPERATOR or ADMIN, or an expert serving the tenant. ' +
    'Readable by everyone who reads the incident; comments are never edited.',
  id: { resolve: (c) => c.id },
  loadMany: (ids, ctx) => loadAll(ctx.loaders.comment, ids),
  fields: (t) => ({
    author: t.field({
      type: PrincipalRef,
      nullable: true,
      description: 'Who wrote it (only name, role and side when you no longer see that principal otherwise).',
      resolve: (c, _a, ctx) => ctx.loaders.principal.load(c.authorId),
    }),
    body: t.exposeString('body', { description: 'The text, at most 30,000 characters.' }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was written.', resolve: (c) => c.createdAt }),
  }),
});

export const IncidentFilterInput = builder.inputType('IncidentFilter', {
  description: 'Queue filters: any of the values within one filter (OR), every filter given (AND).',
  fields: (t) => ({
    status: t.field({ type: [IncidentStatusEnum], description: 'Any of these statuses.' }),
    severity: t.field({ type: [SeverityEnum], description: 'Any of these severities.' }),
    assignment: t.field({ type: [AssignmentEnum], description: 'Any of these assignments.' }),
    assigneeId: t.id({ description: 'A named assignee (Principal id); ORed with `assignment`.' }),
    tags: t.stringList({ description: 'Custom or system tags; any of them.' }),
    classification: t.field({ type: [ClassificationEnum], description: 'Any of these classifications.' }),
    determination: t.field({ type: [DeterminationEnum], description: 'Any of these determinations.' }),
    createdAfter: t.field({ type: 'DateTime', description: 'Ingested at or after this time.' }),
    createdBefore: t.field({ type: 'DateTime', description: 'Ingested before this time.' }),
    updatedAfter: t.field({ type: 'DateTime', description: 'Last changed at or after this time.' }),
    updatedBefore: t.field({ type: 'DateTime', description: 'Last changed before this time.' }),
    search: t.string({ description: 'Text in the title, the number (e.g. "42" or "#42"), or an impacted asset name.' }),
    tenantIds: t.idList({ description: 'Experts only: restrict to these served tenants.' }),
  }),
});

export const IncidentOrderInput = builder.inputType('IncidentOrder', {
  description: 'Queue order.',
  fields: (t) => ({
    field: t.field({ type: IncidentOrderFieldEnum, required: true, description: 'What to order by.' }),
    direction: t.field({ type: OrderDirectionEnum, required: true, description: 'ASC or DESC.' }),
  }),
});

type FilterArg = typeof IncidentFilterInput.$inferInput;

export function toDomainFilter(f: FilterArg | null | undefined): IncidentFilter | null {
  if (!f) return null;
  // Object.assign rather than a spread: in the running server each spread copy of these (null-
  // prototype) input objects got a hidden class of its own (~170 bytes), held as long as a
  // subscription's filter is; assigned one by one onto {}, they share one per set of fields.
  return Object.assign({}, f, {
    assigneeId: f.assigneeId ? queryLocalId(String(f.assigneeId), 'Principal', 'filter.assigneeId') : null,
    tenantIds: f.tenantIds?.map((id) => queryLocalId(String(id), 'Tenant', 'filter.tenantIds')) ?? null,
  }) as IncidentFilter;
}

export const ManagedResponseSummaryRef = builder
  .objectRef<{ awaitingCustomerAction: number; investigating: number }>('ManagedResponseSummary')
  .implement({
    description: 'The banner: what needs the customer, and what the experts are on.',
    fields: (t) => ({
      awaitingCustomerAction: t.exposeInt('awaitingCustomerAction', {
        description: 'Incidents with actions waiting for the customer (AWAITING_CUSTOMER_ACTION).',
      }),
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
        filter: t.arg({ type: IncidentFilterInput, description: 'Which incidents; none: every incident you read.' }),
        orderBy: t.arg({ type: IncidentOrderInput, description: 'The order; default LAST_UPDATE, newest first.' }),
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
    { name: 'IncidentEdge', description: 'An incident of the page, with its cursor.' },
  ),
  incident: t.field({
    type: IncidentRef,
    nullable: true,
    description: 'An incident by its number. Experts serving several tenants name the tenant.',
    authScopes: { policy: 'incident' },
    args: {
      number: t.arg.int({ required: true, description: "The incident's per-tenant number." }),
      tenantId: t.arg.id({ description: 'Experts: the tenant whose incident it is (needed when serving several). Customers: leave out.' }),
    },
    resolve: (_r, args, ctx) =>
      incidentByNumber(ctx, args.number, args.tenantId ? queryLocalId(String(args.tenantId), 'Tenant', 'tenantId') : null),
  }),
  managedResponseSummary: t.field({
    type: ManagedResponseSummaryRef,
    description: 'The banner counts for your tenant, or (experts) one served tenant or all of them.',
    authScopes: { policy: 'managedResponseSummary' },
    args: { tenantId: t.arg.id({ description: 'Experts: one served tenant; leave out for all of them (customers: their own).' }) },
    resolve: (_r, args, ctx) =>
      managedResponseSummary(ctx, args.tenantId ? queryLocalId(String(args.tenantId), 'Tenant', 'tenantId') : null),
  }),
}));

// ---- mutations ----

export const IncidentPayload = builder.objectRef<{ incident?: IncidentRow; errors: unknown[] }>('IncidentPayload').implement({
  description: 'The changed incident, or why nothing changed.',
  fields: (t) => ({
    incident: t.field({ type: IncidentRef, nullable: true, description: 'The incident as it is now; null when there were errors.', resolve: (p) => p.incident ?? null }),
    errors: t.field({ type: [UserError], description: 'Why nothing changed; empty on success.', resolve: (p) => p.errors as never }),
  }),
});

const IngestIncidentPayload = builder
  .objectRef<{ incident?: IncidentRow; created?: boolean; errors: unknown[] }>('IngestIncidentPayload')
  .implement({
    description: 'The ingested incident; `created` is false when it existed already (idempotent).',
    fields: (t) => ({
      incident: t.field({ type: IncidentRef, nullable: true, description: 'The incident, new or existing; null when there were errors.', resolve: (p) => p.incident ?? null }),
      created: t.boolean({ description: 'True when this call created it; false when the externalId was known (new alerts joined it).', resolve: (p) => p.created ?? false }),
      errors: t.field({ type: [UserError], description: 'Why nothing was ingested; empty on success.', resolve: (p) => p.errors as never }),
    }),
  });

const DeviceEvidenceInput = builder.inputType('DeviceEvidenceInput', {
  description: "A device: matched in the tenant's inventory by name, created (ACTIVE) when new.",
  fields: (t) => ({
    deviceName: t.string({ required: true, description: 'The device name, unique within the tenant.' }),
    deviceGroup: t.string({
      description: "Its device group (remediation exclusions name groups). Sets a new device's group; a different group for a known device is only recorded in the activity log.",
    }),
    osPlatform: t.string({ description: 'Operating system, e.g. Windows11.' }),
  }),
});
const FileEvidenceInput = builder.inputType('FileEvidenceInput', {
  description: 'A file on a device (the target of QUARANTINE_FILE): matched by device and hash or path.',
  fields: (t) => ({
    deviceName: t.string({ required: true, description: 'The device it is on (created when new).' }),
    fileName: t.string({ required: true, description: 'The file name, e.g. evil.ps1.' }),
    filePath: t.string({ description: 'The folder or full path.' }),
    sha1: t.string({ description: 'SHA-1, 40 hexadecimal characters.' }),
    sha256: t.string({ description: 'SHA-256, 64 hexadecimal characters.' }),
  }),
});
const ProcessEvidenceInput = builder.inputType('ProcessEvidenceInput', {
  description: 'A process seen running.',
  fields: (t) => ({
    deviceName: t.string({ description: 'The device it ran on, if known.' }),
    processName: t.string({ required: true, description: 'The image name, e.g. powershell.exe.' }),
    commandLine: t.string({ description: 'The full command line.' }),
    processId: t.int({ description: 'The process id, a non-negative integer.' }),
  }),
});
const UserEvidenceInput = builder.inputType('UserEvidenceInput', {
  description: "An account: matched in the tenant's directory by UPN, else by domain and name; created when new.",
  fields: (t) => ({
    accountName: t.string({ required: true, description: 'The sAMAccountName, e.g. jdoe.' }),
    domain: t.string({ description: 'The NetBIOS domain, e.g. CORP.' }),
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
const IpEvidenceInput = builder.inputType('IpEvidenceInput', {
  description: 'An IP address.',
  fields: (t) => ({ address: t.string({ required: true, description: 'An IPv4 or IPv6 address.' }) }),
});
const UrlEvidenceInput = builder.inputType('UrlEvidenceInput', {
  description: 'A URL.',
  fields: (t) => ({ url: t.string({ required: true, description: 'An absolute URL.' }) }),
});
const EvidenceInput = builder.inputType('EvidenceInput', {
  description: 'One evidence item: set exactly one member.',
  fields: (t) => ({
    device: t.field({ type: DeviceEvidenceInput, description: 'A device (the target of device actions).' }),
    file: t.field({ type: FileEvidenceInput, description: 'A file on a device (the target of QUARANTINE_FILE).' }),
    process: t.field({ type: ProcessEvidenceInput, description: 'A process.' }),
    user: t.field({ type: UserEvidenceInput, description: 'A user account (the target of account actions).' }),
    ip: t.field({ type: IpEvidenceInput, description: 'An IP address.' }),
    url: t.field({ type: UrlEvidenceInput, description: 'A URL.' }),
    email: t.field({ type: EmailEvidenceInput, description: 'A mailbox message (the target of email actions).' }),
  }),
});
const AlertInput = builder.inputType('AlertInput', {
  description: 'One alert of an ingested incident, with its evidence.',
  fields: (t) => ({
    externalId: t.string({ required: true, description: 'Unique per tenant; a known one is skipped.' }),
    title: t.string({ required: true, description: 'What the detection saw.' }),
    severity: t.field({ type: SeverityEnum, required: true, description: "The alert's own severity." }),
    category: t.string({ description: 'The detection category, e.g. Execution or CredentialAccess.' }),
    detectionSource: t.string({ description: 'What raised it, e.g. EDR or Antivirus (suppression rules can match it).' }),
    createdAt: t.field({ type: 'DateTime', description: 'When the alert was raised; default now.' }),
    evidence: t.field({ type: [EvidenceInput], required: true, description: 'The entities involved (may be empty).' }),
  }),
});
const IngestIncidentInput = builder.inputType('IngestIncidentInput', {
  description: 'An incident as a detection tool raised it. Suppression rules may resolve it at once as expected activity.',
  fields: (t) => ({
    externalId: t.string({ required: true, description: 'Your id for the incident; sending it again is idempotent.' }),
    title: t.string({ required: true, description: 'Its display name.' }),
    description: t.string({ description: 'Free text.' }),
    severity: t.field({ type: SeverityEnum, required: true, description: 'How bad it is.' }),
    firstActivityAt: t.field({ type: 'DateTime', description: 'When the earliest activity it describes happened.' }),
    alerts: t.field({ type: [AlertInput], required: true, description: 'Its alerts; on a repeated ingestion, new ones join the incident.' }),
  }),
});
const UpdateIncidentInput = builder.inputType('UpdateIncidentInput', {
  description: 'What to change; fields left out stay as they are.',
  fields: (t) => ({
    incidentId: t.id({ required: true, description: 'The incident to change.' }),
    version: t.int({ description: 'The version you saw; a stale one is a VERSION_CONFLICT and nothing changes.' }),
    tags: t.stringList({ description: 'The full new list of custom tags.' }),
    assignment: t.field({ type: AssignmentEnum, description: 'The new assignment; without `assigneeId` it clears the named assignee.' }),
    assigneeId: t.id({ description: 'A principal of the tenant (CUSTOMER) or an expert serving it (EXPERTS).' }),
    severity: t.field({ type: SeverityEnum, description: 'The new severity (the priority score follows).' }),
  }),
});
const AddCommentInput = builder.inputType('AddCommentInput', {
  description: 'A comment to add.',
  fields: (t) => ({
    incidentId: t.id({ required: true, description: 'The incident to comment on.' }),
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
      args: { input: t.arg({ type: IngestIncidentInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
      resolve: (_r, { input }, ctx) => payload(() => ingestIncident(ctx, input)),
    }),
    updateIncident: t.field({
      type: IncidentPayload,
      description: 'Change custom tags, assignment or severity (OPERATOR, ADMIN, EXPERT).',
      authScopes: { policy: 'updateIncident' },
      args: { input: t.arg({ type: UpdateIncidentInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
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
      args: { input: t.arg({ type: AddCommentInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
      resolve: (_r, { input }, ctx) =>
        payload(async () => ({
          incident: (
            await addComment(ctx, { body: input.body, incidentId: localId(String(input.incidentId), 'Incident', ['incidentId']) })
          ).incident,
        })),
    }),
  }),
});
