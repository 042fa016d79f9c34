// Managed response: the experts' triage mutations, the investigation summary, action cards
// (with their attempts and permission hints), the customer's actions and the action center.
import type { ActionAttemptRow, ActionCardRow, DeviceFileRow, DeviceRow, ManagedResponseRow } from '../db/schema';
import { listChat } from '../domain/chat';
import { loadAll } from '../domain/loaders';
import {
  ACTION_KINDS,
  attemptsOf,
  cardsOf,
  completeManualAction,
  IOC_TYPES,
  performAction,
  performCheck,
  publishManagedResponse,
  sectionOf,
  skipAction,
} from '../domain/response';
import { listActions } from '../domain/settings';
import { classifyIncident, reopenIncident, startInvestigation } from '../domain/triage';
import { builder } from './builder';
import { ClassificationEnum, DeterminationEnum, localId, payload, queryLocalId, SideEnum, UserError } from './common';
import { IncidentPayload } from './incident';
import { ChatMessageRef, DeviceFileRef, DeviceRef, IncidentRef, PrincipalRef } from './refs';

export const ActionKindEnum = builder.enumType('ActionKind', {
  description: 'What a response action does (Defender for Endpoint machine actions, plus MANUAL).',
  values: ACTION_KINDS,
});
export const ActionStatusEnum = builder.enumType('ActionStatus', {
  description: 'PENDING → IN_PROGRESS → COMPLETED | FAILED; FAILED → IN_PROGRESS (retry); PENDING | FAILED → SKIPPED.',
  values: ['PENDING', 'IN_PROGRESS', 'COMPLETED', 'FAILED', 'SKIPPED'] as const,
});
export const ActionSectionEnum = builder.enumType('ActionSection', {
  description: 'PENDING: waiting for the customer (pending, failed, or started by the customer). COMPLETED: completed or skipped. EXPERTS_IN_PROGRESS: being performed by the experts. ALL: every card.',
  values: ['PENDING', 'COMPLETED', 'EXPERTS_IN_PROGRESS', 'ALL'] as const,
});
const AttemptStateEnum = builder.enumType('ActionAttemptState', {
  description: 'QUEUED, RUNNING, WAITING (device offline), SENT (awaiting the EDR\'s report), COMPLETED, FAILED.',
  values: ['QUEUED', 'RUNNING', 'WAITING', 'SENT', 'COMPLETED', 'FAILED'] as const,
});

const TimelineEntry = builder.objectRef<ManagedResponseRow['timeline'][number]>('TimelineEntry').implement({
  description: 'One event of the device timeline the experts reconstructed.',
  fields: (t) => ({
    at: t.field({ type: 'DateTime', resolve: (e) => new Date(e.at) }),
    deviceName: t.exposeString('deviceName', { nullable: true }),
    event: t.exposeString('event'),
  }),
});
const IndicatorOfAttack = builder.objectRef<ManagedResponseRow['indicatorsOfAttack'][number]>('IndicatorOfAttack').implement({
  description: 'A MITRE ATT&CK technique seen in the attack.',
  fields: (t) => ({ techniqueId: t.exposeString('techniqueId', { description: 'e.g. T1059.001' }), description: t.exposeString('description') }),
});
const IndicatorOfCompromise = builder.objectRef<ManagedResponseRow['indicatorsOfCompromise'][number]>('IndicatorOfCompromise').implement({
  description: 'An artefact to hunt for: file hash, IP, URL, domain, process or user.',
  fields: (t) => ({ type: t.exposeString('type', { description: IOC_TYPES.join(', ') }), value: t.exposeString('value') }),
});

const InvestigationSummary = builder.objectRef<ManagedResponseRow>('InvestigationSummary').implement({
  description: 'What the experts found.',
  fields: (t) => ({
    narrative: t.exposeString('narrative'),
    impact: t.exposeString('impact', { nullable: true }),
    severityRationale: t.exposeString('severityRationale', { nullable: true }),
    timeline: t.field({ type: [TimelineEntry], resolve: (m) => m.timeline }),
    indicatorsOfAttack: t.field({ type: [IndicatorOfAttack], resolve: (m) => m.indicatorsOfAttack }),
    indicatorsOfCompromise: t.field({ type: [IndicatorOfCompromise], resolve: (m) => m.indicatorsOfCompromise }),
  }),
});

export const ActionCardRef = builder.objectRef<ActionCardRow>('ActionCard');

const ManagedResponse = builder.objectRef<ManagedResponseRow>('ManagedResponse').implement({
  description: 'The experts\' hand-over: investigation summary, response action cards and the chat.',
  fields: (t) => ({
    publishedAt: t.field({ type: 'DateTime', resolve: (m) => m.publishedAt }),
    publishedBy: t.field({ type: PrincipalRef, resolve: async (m, _a, ctx) => (await ctx.loaders.principal.load(m.publishedById))! }),
    investigationSummary: t.field({ type: InvestigationSummary, resolve: (m) => m }),
    actions: t.field({
      type: [ActionCardRef],
      description: 'Cards in the order the experts listed them; `section` filters (default ALL).',
      args: { section: t.arg({ type: ActionSectionEnum }) },
      resolve: async (m, args, ctx) => {
        const cards = await cardsOf(ctx, m.incidentId, args.section === 'EXPERTS_IN_PROGRESS' ? 'ALL' : args.section);
        return args.section === 'EXPERTS_IN_PROGRESS' ? cards.filter((c) => sectionOf(c) === 'EXPERTS') : cards;
      },
    }),
    chat: t.connection(
      {
        type: ChatMessageRef,
        description: 'Messages between the customer and the experts, oldest first.',
        resolve: async (m, args, ctx) => listChat(ctx, (await ctx.loaders.incident.load(m.incidentId))!, args),
      },
      { name: 'ChatMessageConnection', description: 'A page of chat messages.' },
      { name: 'ChatMessageEdge' },
    ),
  }),
});

builder.objectField(IncidentRef, 'managedResponse', (t) =>
  t.field({
    type: ManagedResponse,
    nullable: true,
    description: 'Null until the experts publish one.',
    resolve: (i, _a, ctx) => ctx.loaders.managedResponse.load(i.id),
  }),
);

const ActionTarget = builder.unionType('ActionTarget', {
  description: 'What a one-click action acts on.',
  types: [DeviceRef, DeviceFileRef],
  resolveType: (v) => ('fileName' in v ? 'DeviceFile' : 'Device'),
});

const ActionAttempt = builder.objectRef<ActionAttemptRow>('ActionAttempt').implement({
  description: 'One execution of a one-click action (the first run, or a retry).',
  fields: (t) => ({
    number: t.exposeInt('number'),
    side: t.field({ type: SideEnum, resolve: (a) => a.side }),
    performedBy: t.field({ type: PrincipalRef, nullable: true, resolve: (a, _x, ctx) => (a.principalId ? ctx.loaders.principal.load(a.principalId) : null) }),
    state: t.field({ type: AttemptStateEnum, resolve: (a) => a.state }),
    connector: t.exposeString('connector', { description: 'fleet (built-in) or http-edr.' }),
    failureReason: t.exposeString('failureReason', { nullable: true }),
    startedAt: t.field({ type: 'DateTime', resolve: (a) => a.startedAt }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (a) => a.finishedAt }),
  }),
});

async function cardCheck(card: ActionCardRow, ctx: Parameters<typeof cardsOf>[0]) {
  const [tenant, device] = await Promise.all([
    ctx.loaders.tenant.load(card.tenantId),
    card.targetDeviceId ? ctx.loaders.device.load(card.targetDeviceId) : null,
  ]);
  if (!tenant) return { allowed: false, reason: 'Not your tenant' };
  return performCheck(ctx.viewer, card, tenant, device);
}

builder.node(ActionCardRef, {
  description: 'A response action the experts recommend: one-click (performed through the EDR) or MANUAL.',
  id: { resolve: (c) => c.id },
  loadMany: (ids, ctx) => loadAll(ctx.loaders.action, ids),
  fields: (t) => ({
    incident: t.field({ type: IncidentRef, resolve: async (c, _a, ctx) => (await ctx.loaders.incident.load(c.incidentId))! }),
    kind: t.field({ type: ActionKindEnum, resolve: (c) => c.kind }),
    title: t.exposeString('title'),
    instructions: t.exposeString('instructions', { nullable: true }),
    target: t.field({
      type: ActionTarget,
      nullable: true,
      description: 'The device or file; null for MANUAL.',
      resolve: async (c, _a, ctx): Promise<DeviceRow | DeviceFileRow | null> =>
        c.targetFileId ? ctx.loaders.file.load(c.targetFileId) : c.targetDeviceId ? ctx.loaders.device.load(c.targetDeviceId) : null,
    }),
    status: t.field({ type: ActionStatusEnum, resolve: (c) => c.status }),
    section: t.field({
      type: ActionSectionEnum,
      resolve: (c) => {
        const s = sectionOf(c);
        return s === 'EXPERTS' ? 'EXPERTS_IN_PROGRESS' : s;
      },
    }),
    performedBy: t.field({ type: SideEnum, nullable: true, resolve: (c) => c.performedBy }),
    performer: t.field({
      type: PrincipalRef,
      nullable: true,
      description: 'The person who performed, completed or skipped it.',
      resolve: (c, _a, ctx) => (c.performedById ? ctx.loaders.principal.load(c.performedById) : null),
    }),
    leftToCustomerReason: t.exposeString('leftToCustomerReason', { nullable: true, description: 'Why the experts did not perform it themselves.' }),
    failureReason: t.exposeString('failureReason', { nullable: true, description: 'e.g. TIMED_OUT: the device stayed offline.' }),
    skipReason: t.exposeString('skipReason', { nullable: true }),
    attempts: t.field({ type: [ActionAttempt], resolve: (c, _a, ctx) => attemptsOf(ctx, c.id) }),
    createdAt: t.field({ type: 'DateTime', resolve: (c) => c.createdAt }),
    updatedAt: t.field({ type: 'DateTime', resolve: (c) => c.updatedAt }),
    completedAt: t.field({ type: 'DateTime', nullable: true, resolve: (c) => c.completedAt }),
    viewerCanPerform: t.boolean({
      description: 'Whether you may act on this card now (perform or retry a one-click action, confirm a manual one).',
      resolve: async (c, _a, ctx) => (await cardCheck(c, ctx)).allowed,
    }),
    viewerCanSkip: t.boolean({
      description: 'Whether you may skip this card now.',
      resolve: async (c, _a, ctx) => {
        const tenant = await ctx.loaders.tenant.load(c.tenantId);
        return !!tenant && performCheck(ctx.viewer, c, tenant, null, 'skip').allowed;
      },
    }),
    viewerCannotPerformReason: t.string({
      nullable: true,
      description: 'Why not, when viewerCanPerform is false: role, access level, excluded target or state.',
      resolve: async (c, _a, ctx) => {
        const r = await cardCheck(c, ctx);
        return r.allowed ? null : (r.reason ?? null);
      },
    }),
  }),
});

// ---- queries

const ActionFilterInput = builder.inputType('ActionFilter', {
  description: 'Action center filters: any of the values within one filter, every filter given.',
  fields: (t) => ({
    status: t.field({ type: [ActionStatusEnum] }),
    kind: t.field({ type: [ActionKindEnum] }),
    incidentId: t.id(),
    tenantIds: t.idList({ description: 'Experts: restrict to these served tenants.' }),
  }),
});

builder.queryFields((t) => ({
  responseActions: t.connection(
    {
      type: ActionCardRef,
      description: 'The action center: every action card across your incidents, most recently changed first.',
      authScopes: { policy: 'responseActions' },
      args: { filter: t.arg({ type: ActionFilterInput }) },
      resolve: (_r, args, ctx) =>
        listActions(
          ctx,
          args.filter
            ? {
                status: args.filter.status,
                kind: args.filter.kind,
                incidentId: args.filter.incidentId ? queryLocalId(String(args.filter.incidentId), 'Incident', 'filter.incidentId') : null,
                tenantIds: args.filter.tenantIds?.map((id) => queryLocalId(String(id), 'Tenant', 'filter.tenantIds')) ?? null,
              }
            : null,
          args,
        ),
    },
    { name: 'ActionCardConnection', description: 'A page of action cards.' },
    { name: 'ActionCardEdge' },
  ),
}));

// ---- mutations


const ActionPayload = builder.objectRef<{ action?: ActionCardRow; errors: unknown[] }>('ActionPayload').implement({
  description: 'The action card after the change, or why nothing changed.',
  fields: (t) => ({
    action: t.field({ type: ActionCardRef, nullable: true, resolve: (p) => p.action ?? null }),
    errors: t.field({ type: [UserError], resolve: (p) => p.errors as never }),
  }),
});

const IncidentRefInput = builder.inputType('IncidentRefInput', {
  fields: (t) => ({
    incidentId: t.id({ required: true }),
    version: t.int({ description: 'The version you saw; a stale one is a VERSION_CONFLICT.' }),
  }),
});
const ClassifyIncidentInput = builder.inputType('ClassifyIncidentInput', {
  fields: (t) => ({
    incidentId: t.id({ required: true }),
    classification: t.field({ type: ClassificationEnum, required: true }),
    determination: t.field({ type: DeterminationEnum, required: true, description: 'Must be valid for the classification (SPEC.md section 2).' }),
    summary: t.string({ required: true, description: 'Concise summary; the resolving comment when this resolves the incident.' }),
    version: t.int(),
  }),
});
const TimelineEntryInput = builder.inputType('TimelineEntryInput', {
  fields: (t) => ({ at: t.field({ type: 'DateTime', required: true }), deviceName: t.string(), event: t.string({ required: true }) }),
});
const IndicatorOfAttackInput = builder.inputType('IndicatorOfAttackInput', {
  fields: (t) => ({ techniqueId: t.string({ required: true, description: 'MITRE ATT&CK id, e.g. T1486' }), description: t.string({ required: true }) }),
});
const IndicatorOfCompromiseInput = builder.inputType('IndicatorOfCompromiseInput', {
  fields: (t) => ({ type: t.string({ required: true, description: IOC_TYPES.join(', ') }), value: t.string({ required: true }) }),
});
const InvestigationSummaryInput = builder.inputType('InvestigationSummaryInput', {
  fields: (t) => ({
    narrative: t.string({ required: true }),
    impact: t.string(),
    severityRationale: t.string(),
    timeline: t.field({ type: [TimelineEntryInput] }),
    indicatorsOfAttack: t.field({ type: [IndicatorOfAttackInput] }),
    indicatorsOfCompromise: t.field({ type: [IndicatorOfCompromiseInput] }),
  }),
});
const ActionCardInput = builder.inputType('ActionCardInput', {
  fields: (t) => ({
    kind: t.field({ type: ActionKindEnum, required: true }),
    targetId: t.id({ description: 'A Device (or, for QUARANTINE_FILE, DeviceFile) id of the incident\'s evidence; none for MANUAL.' }),
    title: t.string(),
    instructions: t.string({ description: 'Required for MANUAL; guidance for the customer otherwise.' }),
  }),
});
const PublishManagedResponseInput = builder.inputType('PublishManagedResponseInput', {
  fields: (t) => ({
    incidentId: t.id({ required: true }),
    summary: t.field({ type: InvestigationSummaryInput, required: true }),
    actions: t.field({ type: [ActionCardInput], required: true }),
    version: t.int(),
  }),
});
const ActionRefInput = builder.inputType('ActionRefInput', { fields: (t) => ({ actionId: t.id({ required: true }) }) });
const SkipActionInput = builder.inputType('SkipActionInput', {
  fields: (t) => ({ actionId: t.id({ required: true }), reason: t.string() }),
});

const incidentId = (id: string | number) => localId(String(id), 'Incident', ['incidentId']);
const actionId = (id: string | number) => localId(String(id), 'ActionCard', ['actionId']);

builder.mutationFields((t) => ({
  startInvestigation: t.field({
    type: IncidentPayload,
    description: 'EXPERT: ACTIVE → IN_PROGRESS, assigned to the experts.',
    authScopes: { policy: 'startInvestigation' },
    args: { input: t.arg({ type: IncidentRefInput, required: true }) },
    resolve: (_r, { input }, ctx) => payload(async () => ({ incident: await startInvestigation(ctx, { incidentId: incidentId(input.incidentId), version: input.version }) })),
  }),
  classifyIncident: t.field({
    type: IncidentPayload,
    description: 'EXPERT: classify an incident under investigation; FALSE_POSITIVE and INFORMATIONAL_EXPECTED_ACTIVITY resolve it.',
    authScopes: { policy: 'classifyIncident' },
    args: { input: t.arg({ type: ClassifyIncidentInput, required: true }) },
    resolve: (_r, { input }, ctx) => payload(async () => ({ incident: await classifyIncident(ctx, { ...input, incidentId: incidentId(input.incidentId) }) })),
  }),
  publishManagedResponse: t.field({
    type: IncidentPayload,
    description: 'EXPERT: publish the investigation summary and action cards of a true positive.',
    authScopes: { policy: 'publishManagedResponse' },
    args: { input: t.arg({ type: PublishManagedResponseInput, required: true }) },
    resolve: (_r, { input }, ctx) =>
      payload(async () => ({
        incident: await publishManagedResponse(ctx, {
          incidentId: incidentId(input.incidentId),
          version: input.version,
          summary: input.summary,
          actions: input.actions.map((a, i) => {
            let targetId: string | null = null;
            let targetType: 'Device' | 'DeviceFile' | null = null;
            if (a.targetId) {
              const field = ['actions', String(i), 'targetId'];
              targetId = localId(String(a.targetId), ['Device', 'DeviceFile'], field);
              try {
                localId(String(a.targetId), 'Device', field);
                targetType = 'Device';
              } catch {
                targetType = 'DeviceFile';
              }
            }
            return { kind: a.kind, title: a.title, instructions: a.instructions, targetId, targetType };
          }),
        }),
      })),
  }),
  reopenIncident: t.field({
    type: IncidentPayload,
    description: 'EXPERT: RESOLVED → IN_PROGRESS.',
    authScopes: { policy: 'reopenIncident' },
    args: { input: t.arg({ type: IncidentRefInput, required: true }) },
    resolve: (_r, { input }, ctx) => payload(async () => ({ incident: await reopenIncident(ctx, { incidentId: incidentId(input.incidentId), version: input.version }) })),
  }),
  performAction: t.field({
    type: ActionPayload,
    description: 'Perform a pending one-click action, or retry a failed one (OPERATOR, ADMIN; EXPERT where the tenant granted OPERATOR).',
    authScopes: { policy: 'performAction' },
    args: { input: t.arg({ type: ActionRefInput, required: true }) },
    resolve: (_r, { input }, ctx) => payload(async () => ({ action: await performAction(ctx, { actionId: actionId(input.actionId) }) })),
  }),
  completeManualAction: t.field({
    type: ActionPayload,
    description: '"I\'ve completed this action": confirm a MANUAL card (OPERATOR, ADMIN).',
    authScopes: { policy: 'completeManualAction' },
    args: { input: t.arg({ type: ActionRefInput, required: true }) },
    resolve: (_r, { input }, ctx) => payload(async () => ({ action: await completeManualAction(ctx, { actionId: actionId(input.actionId) }) })),
  }),
  skipAction: t.field({
    type: ActionPayload,
    description: 'Skip a pending or failed card, with an optional reason (OPERATOR, ADMIN).',
    authScopes: { policy: 'skipAction' },
    args: { input: t.arg({ type: SkipActionInput, required: true }) },
    resolve: (_r, { input }, ctx) => payload(async () => ({ action: await skipAction(ctx, { actionId: actionId(input.actionId), reason: input.reason }) })),
  }),
}));
