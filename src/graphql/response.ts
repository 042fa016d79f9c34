// Managed response: the experts' triage mutations, the investigation summary, action cards
// (with their attempts and permission hints), the customer's actions and the action center.
import type { ActionAttemptRow, ActionCardRow, ManagedResponseRow } from '../db/schema';
import { listChat } from '../domain/chat';
import { loadAll } from '../domain/loaders';
import { ACTION_KIND_REGISTRY, ACTION_KINDS, targetOf, type TargetType } from '../registry/action-kinds';
import { completeManualAction, performAction, performEntityAction, skipAction } from '../domain/response/perform';
import { performCheck } from '../domain/response/permissions';
import { IOC_TYPES, publishManagedResponse } from '../domain/response/publish';
import { attemptsOf, cardsOf } from '../domain/response/reads';
import { INDICATOR_TYPES, type ActionCardInput as DomainCardInput } from '../domain/response/targets';
import { accountLabel } from '../domain/response/targets';
import { sectionOf } from '../domain/sections';
import type { ExclusionFacts } from '../domain/exclusions';
import { listActions } from '../domain/settings';
import { classifyIncident, reopenIncident, startInvestigation } from '../domain/triage';
import { GraphQLError } from 'graphql';
import { builder } from './builder';
import { ClassificationEnum, DeterminationEnum, localId, payload, queryLocalId, SideEnum, typedLocalId, UserError } from './common';
import { IncidentPayload } from './incident';
import { AccountRef, ChatMessageRef, DeviceFileRef, DeviceRef, EmailMessageRef, IncidentRef, IndicatorRef, PrincipalRef } from './refs';
import type { GraphQLContext } from './context';

export const ActionKindEnum = builder.enumType('ActionKind', {
  description: 'What a response action does (Defender for Endpoint, Entra ID and Office 365 actions, indicators, plus MANUAL).',
  // from the one registry of kinds: its target and effect are each value's description
  values: Object.fromEntries(
    ACTION_KINDS.map((k) => {
      const spec = ACTION_KIND_REGISTRY[k];
      const on = spec.target ? `On ${spec.target === 'DeviceFile' ? 'a file on a device' : `${/^[AEIOU]/.test(spec.target) ? 'an' : 'a'} ${spec.target.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()}`}: ` : '';
      return [k, { description: `${on}${spec.effect}${spec.undo ? ` Undone by ${spec.undo}.` : ''}` }];
    }),
  ) as Record<(typeof ACTION_KINDS)[number], { description: string }>,
});
export const IndicatorTypeEnum = builder.enumType('IndicatorType', {
  description: 'What an indicator matches: a file hash, an IP address, a URL or a domain.',
  values: INDICATOR_TYPES,
});
const ScanTypeEnum = builder.enumType('ScanType', { description: 'RUN_ANTIVIRUS_SCAN: a quick or a full scan (default FULL).', values: ['QUICK', 'FULL'] as const });
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

export const InvestigationSummary = builder.objectRef<Pick<ManagedResponseRow, 'narrative' | 'impact' | 'severityRationale' | 'timeline' | 'indicatorsOfAttack' | 'indicatorsOfCompromise'>>('InvestigationSummary').implement({
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
  description: 'What a one-click action acts on: a device, a file on a device, an account, an email message or an indicator.',
  types: [DeviceRef, DeviceFileRef, AccountRef, EmailMessageRef, IndicatorRef],
  resolveType: (v) =>
    'fileName' in v ? 'DeviceFile' : 'accountName' in v ? 'Account' : 'networkMessageId' in v ? 'EmailMessage' : 'value' in v && 'action' in v ? 'Indicator' : 'Device',
});

const ActionAttempt = builder.objectRef<ActionAttemptRow>('ActionAttempt').implement({
  description: 'One execution of a one-click action (the first run, or a retry).',
  fields: (t) => ({
    number: t.exposeInt('number'),
    side: t.field({ type: SideEnum, resolve: (a) => a.side }),
    performedBy: t.field({ type: PrincipalRef, nullable: true, resolve: (a, _x, ctx) => (a.principalId ? ctx.loaders.principal.load(a.principalId) : null) }),
    state: t.field({ type: AttemptStateEnum, resolve: (a) => a.state }),
    connector: t.exposeString('connector', { description: 'fleet (the built-in estate) or http-edr.' }),
    failureReason: t.exposeString('failureReason', { nullable: true }),
    result: t.exposeString('result', { nullable: true, description: 'What a completed attempt found: scan findings, an investigation package\'s size and reference.' }),
    startedAt: t.field({ type: 'DateTime', resolve: (a) => a.startedAt }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, resolve: (a) => a.finishedAt }),
  }),
});

/** What exclusions look at on a card's target, through the request's loaders. */
async function hintFacts(card: ActionCardRow, ctx: GraphQLContext): Promise<ExclusionFacts | null> {
  if (card.targetDeviceId) return { deviceGroup: (await ctx.loaders.device.load(card.targetDeviceId))?.deviceGroup ?? null };
  if (card.targetAccountId) {
    const a = await ctx.loaders.account.load(card.targetAccountId);
    return { accountId: card.targetAccountId, accountLabel: a ? accountLabel(a) : null };
  }
  if (card.targetEmailId) {
    const m = await ctx.loaders.emailMessage.load(card.targetEmailId);
    const owner = m ? await ctx.loaders.accountByUpn.load(`${m.tenantId}|${m.recipient.trim().toLowerCase()}`) : null;
    return owner ? { accountId: owner.id, accountLabel: accountLabel(owner) } : {};
  }
  return card.targetIndicatorId ? {} : null;
}

async function cardCheck(card: ActionCardRow, ctx: GraphQLContext) {
  const [tenant, facts] = await Promise.all([ctx.loaders.tenant.load(card.tenantId), hintFacts(card, ctx)]);
  if (!tenant) return { allowed: false, reason: 'Not your tenant' };
  return performCheck(ctx.viewer, card, tenant, facts);
}

builder.node(ActionCardRef, {
  description: 'A response action the experts recommend: one-click (performed through the EDR) or MANUAL.',
  id: { resolve: (c) => c.id },
  loadMany: (ids, ctx) => loadAll(ctx.loaders.action, ids),
  fields: (t) => ({
    incident: t.field({
      type: IncidentRef,
      nullable: true,
      description: 'The incident whose managed response holds the card; null for an ad-hoc action taken from an entity\'s page.',
      resolve: (c, _a, ctx) => (c.incidentId ? ctx.loaders.incident.load(c.incidentId) : null),
    }),
    kind: t.field({ type: ActionKindEnum, resolve: (c) => c.kind }),
    title: t.exposeString('title'),
    instructions: t.exposeString('instructions', { nullable: true }),
    target: t.field({
      type: ActionTarget,
      nullable: true,
      description: 'The device, file, account, email message or indicator; null for MANUAL.',
      resolve: (c, _a, ctx) =>
        c.targetFileId
          ? ctx.loaders.file.load(c.targetFileId)
          : c.targetDeviceId
            ? ctx.loaders.device.load(c.targetDeviceId)
            : c.targetAccountId
              ? ctx.loaders.account.load(c.targetAccountId)
              : c.targetEmailId
                ? ctx.loaders.emailMessage.load(c.targetEmailId)
                : c.targetIndicatorId
                  ? ctx.loaders.indicator.load(c.targetIndicatorId)
                  : null,
    }),
    expiresAt: t.field({
      type: 'DateTime',
      nullable: true,
      description: 'BLOCK_INDICATOR: when the block lapses, if the experts set an expiry.',
      resolve: (c) => (c.parameters.expiresAt ? new Date(c.parameters.expiresAt) : null),
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
    targetId: t.id({ description: "Cards acting on this Device, DeviceFile, Account, EmailMessage or Indicator: an entity page's history." }),
    adHoc: t.boolean({ description: 'true: only ad-hoc actions taken from entity pages; false: only cards of incidents.' }),
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
                targetId: args.filter.targetId ? queryTargetId(String(args.filter.targetId)) : null,
                adHoc: args.filter.adHoc,
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

export const IncidentRefInput = builder.inputType('IncidentRefInput', {
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
    investigationSummary: t.field({
      type: InvestigationSummaryInput,
      description:
        'FALSE_POSITIVE / INFORMATIONAL_EXPECTED_ACTIVITY: the summary the investigation concludes with (its narrative defaults to `summary`, as does the whole summary when omitted). Not for TRUE_POSITIVE: publish the managed response with it.',
    }),
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
export const InvestigationSummaryInput = builder.inputType('InvestigationSummaryInput', {
  fields: (t) => ({
    narrative: t.string({ required: true }),
    impact: t.string(),
    severityRationale: t.string(),
    timeline: t.field({ type: [TimelineEntryInput] }),
    indicatorsOfAttack: t.field({ type: [IndicatorOfAttackInput] }),
    indicatorsOfCompromise: t.field({ type: [IndicatorOfCompromiseInput] }),
  }),
});
const IndicatorInput = builder.inputType('IndicatorInput', {
  description: 'An indicator named by value: created in the tenant\'s indicator list, or matched there.',
  fields: (t) => ({
    type: t.field({ type: IndicatorTypeEnum, required: true, description: 'What the value is.' }),
    value: t.string({ required: true, description: 'A SHA-1 or SHA-256, an IPv4/IPv6 address, an http(s) URL or a domain.' }),
    expiresAt: t.field({ type: 'DateTime', description: 'BLOCK_INDICATOR: the block lapses at this time (in the future).' }),
  }),
});
export const ActionCardInput = builder.inputType('ActionCardInput', {
  fields: (t) => ({
    kind: t.field({ type: ActionKindEnum, required: true }),
    targetId: t.id({
      description: "The target, of the kind's target type, from the incident's evidence: a Device, DeviceFile, Account, EmailMessage or Indicator id; none for MANUAL.",
    }),
    indicator: t.field({ type: IndicatorInput, description: 'BLOCK_INDICATOR / UNBLOCK_INDICATOR without a targetId: the indicator by value (e.g. one of the indicators of compromise).' }),
    scanType: t.field({ type: ScanTypeEnum, description: 'RUN_ANTIVIRUS_SCAN only.' }),
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

const TARGET_TYPES: readonly TargetType[] = ['Device', 'DeviceFile', 'Account', 'EmailMessage', 'Indicator'];

function queryTargetId(id: string): string {
  try {
    return typedLocalId(id, TARGET_TYPES, ['filter', 'targetId']).id;
  } catch (err) {
    throw new GraphQLError((err as Error).message, { extensions: { code: 'BAD_USER_INPUT', argument: 'filter.targetId' } });
  }
}

/** An ActionCardInput (or the entity action's input) as the domain takes it: the target id decoded with its type. */
export function cardInput(
  a: { kind: DomainCardInput['kind']; targetId?: string | number | null; title?: string | null; instructions?: string | null; scanType?: 'QUICK' | 'FULL' | null; indicator?: { type: (typeof INDICATOR_TYPES)[number]; value: string; expiresAt?: Date | null } | null },
  field: string[],
): DomainCardInput {
  const target = a.targetId ? typedLocalId(String(a.targetId), TARGET_TYPES, [...field, 'targetId']) : null;
  return {
    kind: a.kind,
    title: a.title,
    instructions: a.instructions,
    scanType: a.scanType,
    indicator: a.indicator,
    targetId: target?.id ?? null,
    targetType: target?.type ?? null,
  };
}

const PerformEntityActionInput = builder.inputType('PerformEntityActionInput', {
  description: 'A one-click action on an entity of your tenant, outside any incident.',
  fields: (t) => ({
    kind: t.field({ type: ActionKindEnum, required: true, description: 'A one-click kind (MANUAL belongs to an incident).' }),
    targetId: t.id({ description: "A Device, DeviceFile, Account, EmailMessage or Indicator id of your tenant, of the kind's target type." }),
    indicator: t.field({ type: IndicatorInput, description: 'BLOCK_INDICATOR / UNBLOCK_INDICATOR: an indicator by value instead of a targetId.' }),
    scanType: t.field({ type: ScanTypeEnum, description: 'RUN_ANTIVIRUS_SCAN only (default FULL).' }),
    title: t.string({ description: "The card's title (default: the kind's)." }),
    instructions: t.string({ description: 'A note kept on the card (why you acted).' }),
  }),
});
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
          actions: input.actions.map((a, i) => cardInput(a, ['actions', String(i)])),
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
  performEntityAction: t.field({
    type: ActionPayload,
    description:
      "OPERATOR, ADMIN: run a one-click action on a device, file, account, email message or indicator of your tenant from its page: an ad-hoc card with no incident, in the action center and live over actionChanged.",
    authScopes: { policy: 'performEntityAction' },
    args: { input: t.arg({ type: PerformEntityActionInput, required: true }) },
    resolve: (_r, { input }, ctx) => payload(async () => ({ action: await performEntityAction(ctx, cardInput(input, [])) })),
  }),
  skipAction: t.field({
    type: ActionPayload,
    description: 'Skip a pending or failed card, with an optional reason (OPERATOR, ADMIN).',
    authScopes: { policy: 'skipAction' },
    args: { input: t.arg({ type: SkipActionInput, required: true }) },
    resolve: (_r, { input }, ctx) => payload(async () => ({ action: await skipAction(ctx, { actionId: actionId(input.actionId), reason: input.reason }) })),
  }),
}));
