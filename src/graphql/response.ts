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
import { ClassificationEnum, describedValues, DeterminationEnum, localId, payload, queryLocalId, SideEnum, typedLocalId, UserError } from './common';
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
  values: describedValues(INDICATOR_TYPES, {
    FILE_SHA1: 'A file by SHA-1 (40 hexadecimal characters).',
    FILE_SHA256: 'A file by SHA-256 (64 hexadecimal characters).',
    IP_ADDRESS: 'An IPv4 or IPv6 address.',
    URL: 'An http(s) URL.',
    DOMAIN: 'A domain name.',
  }),
});
const ScanTypeEnum = builder.enumType('ScanType', {
  description: 'RUN_ANTIVIRUS_SCAN: a quick or a full scan (default FULL).',
  values: describedValues(['QUICK', 'FULL'] as const, { QUICK: 'The usual malware locations only.', FULL: 'Every file on the device.' }),
});
export const ActionStatusEnum = builder.enumType('ActionStatus', {
  description: 'PENDING → IN_PROGRESS → COMPLETED | FAILED; FAILED → IN_PROGRESS (retry); PENDING | FAILED → SKIPPED. MANUAL: PENDING → COMPLETED | SKIPPED.',
  values: describedValues(['PENDING', 'IN_PROGRESS', 'COMPLETED', 'FAILED', 'SKIPPED'] as const, {
    PENDING: 'Not started: waiting for the customer (or the experts, where they may act).',
    IN_PROGRESS: 'Running through the EDR; COMPLETED or FAILED once the endpoint reports (or the timeout passes).',
    COMPLETED: 'Done: performed successfully, or a MANUAL card the customer confirmed.',
    FAILED: 'The attempt failed (`failureReason`); still pending for the customer: retry it (performAction) or skip it.',
    SKIPPED: 'The customer decided not to do it (`skipReason`).',
  }),
});
export const ActionSectionEnum = builder.enumType('ActionSection', {
  description: 'Where a card shows in the managed response.',
  values: describedValues(['PENDING', 'COMPLETED', 'EXPERTS_IN_PROGRESS', 'ALL'] as const, {
    PENDING: 'Waiting for the customer: PENDING, FAILED, or IN_PROGRESS after the customer started it.',
    COMPLETED: 'COMPLETED or SKIPPED.',
    EXPERTS_IN_PROGRESS: 'Being performed by the experts right now.',
    ALL: 'Every card (as a filter only).',
  }),
});
const AttemptStateEnum = builder.enumType('ActionAttemptState', {
  description: 'Where one execution of a one-click action is.',
  values: describedValues(['QUEUED', 'RUNNING', 'WAITING', 'SENT', 'COMPLETED', 'FAILED'] as const, {
    QUEUED: 'Accepted, not picked up by an executor yet.',
    RUNNING: 'An executor is running it.',
    WAITING: 'The device is offline: it runs when the device returns, or fails TIMED_OUT.',
    SENT: "Handed to a remote EDR; awaiting its report.",
    COMPLETED: 'It worked (`result` holds what it found, where the kind reports something).',
    FAILED: 'It did not work (`failureReason`).',
  }),
});

const TimelineEntry = builder.objectRef<ManagedResponseRow['timeline'][number]>('TimelineEntry').implement({
  description: 'One event of the device timeline the experts reconstructed.',
  fields: (t) => ({
    at: t.field({ type: 'DateTime', description: 'When it happened.', resolve: (e) => new Date(e.at) }),
    deviceName: t.exposeString('deviceName', { nullable: true, description: 'On which device, if one.' }),
    event: t.exposeString('event', { description: 'What happened.' }),
  }),
});
const IndicatorOfAttack = builder.objectRef<ManagedResponseRow['indicatorsOfAttack'][number]>('IndicatorOfAttack').implement({
  description: 'A MITRE ATT&CK technique seen in the attack.',
  fields: (t) => ({ techniqueId: t.exposeString('techniqueId', { description: 'e.g. T1059.001' }), description: t.exposeString('description', { description: 'How the technique was used here.' }) }),
});
const IndicatorOfCompromise = builder.objectRef<ManagedResponseRow['indicatorsOfCompromise'][number]>('IndicatorOfCompromise').implement({
  description: 'An artefact to hunt for: file hash, IP, URL, domain, process or user.',
  fields: (t) => ({
    type: t.exposeString('type', { description: IOC_TYPES.join(', ') }),
    value: t.exposeString('value', { description: 'The hash, address, URL, domain, process or user name.' }),
  }),
});

export const InvestigationSummary = builder.objectRef<Pick<ManagedResponseRow, 'narrative' | 'impact' | 'severityRationale' | 'timeline' | 'indicatorsOfAttack' | 'indicatorsOfCompromise'>>('InvestigationSummary').implement({
  description: 'What the experts found.',
  fields: (t) => ({
    narrative: t.exposeString('narrative', { description: 'What happened and what the experts did, in words.' }),
    impact: t.exposeString('impact', { nullable: true, description: 'What the attack reached or could have reached.' }),
    severityRationale: t.exposeString('severityRationale', { nullable: true, description: 'Why the incident has its severity.' }),
    timeline: t.field({ type: [TimelineEntry], description: 'The device timeline, in the order given.', resolve: (m) => m.timeline }),
    indicatorsOfAttack: t.field({ type: [IndicatorOfAttack], description: 'MITRE ATT&CK techniques seen.', resolve: (m) => m.indicatorsOfAttack }),
    indicatorsOfCompromise: t.field({
      type: [IndicatorOfCompromise],
      description: 'Artefacts to hunt for (BLOCK_INDICATOR can block hashes, IPs, URLs and domains among them).',
      resolve: (m) => m.indicatorsOfCompromise,
    }),
  }),
});

export const ActionCardRef = builder.objectRef<ActionCardRow>('ActionCard');

const ManagedResponse = builder.objectRef<ManagedResponseRow>('ManagedResponse').implement({
  description: 'The experts\' hand-over: investigation summary, response action cards and the chat.',
  fields: (t) => ({
    publishedAt: t.field({ type: 'DateTime', description: 'When the experts (last) published or amended it.', resolve: (m) => m.publishedAt }),
    publishedBy: t.field({
      type: PrincipalRef,
      description: 'The expert who published it.',
      resolve: async (m, _a, ctx) => (await ctx.loaders.principal.load(m.publishedById))!,
    }),
    investigationSummary: t.field({ type: InvestigationSummary, description: "The current revision's investigation summary.", resolve: (m) => m }),
    actions: t.field({
      type: [ActionCardRef],
      description: 'The action cards, in the order the experts listed them.',
      args: { section: t.arg({ type: ActionSectionEnum, description: 'Only the cards of this section; default ALL.' }) },
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
      { name: 'ChatMessageEdge', description: 'A chat message of the page, with its cursor.' },
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
    number: t.exposeInt('number', { description: '1 for the first run, then one more per retry.' }),
    side: t.field({ type: SideEnum, description: 'Who started it: the EXPERTS or the CUSTOMER.', resolve: (a) => a.side }),
    performedBy: t.field({ type: PrincipalRef, nullable: true, description: 'The person who started it.', resolve: (a, _x, ctx) => (a.principalId ? ctx.loaders.principal.load(a.principalId) : null) }),
    state: t.field({ type: AttemptStateEnum, description: 'Where the execution is.', resolve: (a) => a.state }),
    connector: t.exposeString('connector', { description: 'fleet (the built-in estate) or http-edr.' }),
    failureReason: t.exposeString('failureReason', { nullable: true, description: 'Why it failed, e.g. TIMED_OUT (the device stayed offline).' }),
    result: t.exposeString('result', { nullable: true, description: 'What a completed attempt found: scan findings, an investigation package\'s size and reference.' }),
    startedAt: t.field({ type: 'DateTime', description: 'When it was started.', resolve: (a) => a.startedAt }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, description: 'When it completed or failed; null while it runs.', resolve: (a) => a.finishedAt }),
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
    kind: t.field({ type: ActionKindEnum, description: 'What the action does.', resolve: (c) => c.kind }),
    title: t.exposeString('title', { description: "What the card says to do (default: the kind's title)." }),
    instructions: t.exposeString('instructions', { nullable: true, description: "The experts' guidance; what to do, for a MANUAL card." }),
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
    status: t.field({ type: ActionStatusEnum, description: 'Where the card is.', resolve: (c) => c.status }),
    section: t.field({
      type: ActionSectionEnum,
      description: 'Where the card shows: PENDING (for the customer), COMPLETED, or EXPERTS_IN_PROGRESS.',
      resolve: (c) => {
        const s = sectionOf(c);
        return s === 'EXPERTS' ? 'EXPERTS_IN_PROGRESS' : s;
      },
    }),
    performedBy: t.field({
      type: SideEnum,
      nullable: true,
      description: 'Which side performed, completed or skipped it; null while nobody has.',
      resolve: (c) => c.performedBy,
    }),
    performer: t.field({
      type: PrincipalRef,
      nullable: true,
      description: 'The person who performed, completed or skipped it.',
      resolve: (c, _a, ctx) => (c.performedById ? ctx.loaders.principal.load(c.performedById) : null),
    }),
    leftToCustomerReason: t.exposeString('leftToCustomerReason', { nullable: true, description: 'Why the experts did not perform it themselves.' }),
    failureReason: t.exposeString('failureReason', { nullable: true, description: 'e.g. TIMED_OUT: the device stayed offline.' }),
    skipReason: t.exposeString('skipReason', { nullable: true, description: 'The reason the customer gave when skipping it.' }),
    attempts: t.field({ type: [ActionAttempt], description: 'Every execution of a one-click action, first first.', resolve: (c, _a, ctx) => attemptsOf(ctx, c.id) }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was published (or taken, for an ad-hoc action).', resolve: (c) => c.createdAt }),
    updatedAt: t.field({ type: 'DateTime', description: 'When its status last changed.', resolve: (c) => c.updatedAt }),
    completedAt: t.field({ type: 'DateTime', nullable: true, description: 'When it was COMPLETED; null otherwise.', resolve: (c) => c.completedAt }),
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
    status: t.field({ type: [ActionStatusEnum], description: 'Any of these statuses.' }),
    kind: t.field({ type: [ActionKindEnum], description: 'Any of these kinds.' }),
    incidentId: t.id({ description: "One incident's cards." }),
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
      args: { filter: t.arg({ type: ActionFilterInput, description: 'Which cards; none: all of them.' }) },
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
    { name: 'ActionCardEdge', description: 'An action card of the page, with its cursor.' },
  ),
}));

// ---- mutations


const ActionPayload = builder.objectRef<{ action?: ActionCardRow; errors: unknown[] }>('ActionPayload').implement({
  description: 'The action card after the change, or why nothing changed.',
  fields: (t) => ({
    action: t.field({ type: ActionCardRef, nullable: true, description: 'The card as it is now; null when there were errors.', resolve: (p) => p.action ?? null }),
    errors: t.field({ type: [UserError], description: 'Why nothing changed; empty on success.', resolve: (p) => p.errors as never }),
  }),
});

export const IncidentRefInput = builder.inputType('IncidentRefInput', {
  description: 'An incident to act on.',
  fields: (t) => ({
    incidentId: t.id({ required: true, description: 'The incident.' }),
    version: t.int({ description: 'The version you saw; a stale one is a VERSION_CONFLICT.' }),
  }),
});
const ClassifyIncidentInput = builder.inputType('ClassifyIncidentInput', {
  description: 'The verdict on an incident under investigation (IN_PROGRESS).',
  fields: (t) => ({
    incidentId: t.id({ required: true, description: 'The incident.' }),
    classification: t.field({ type: ClassificationEnum, required: true, description: 'The verdict.' }),
    determination: t.field({
      type: DeterminationEnum,
      required: true,
      description: 'Must be valid for the classification (each Determination value names the classifications it pairs with).',
    }),
    summary: t.string({ required: true, description: 'Concise summary; the resolving comment when this resolves the incident.' }),
    investigationSummary: t.field({
      type: InvestigationSummaryInput,
      description:
        'FALSE_POSITIVE / INFORMATIONAL_EXPECTED_ACTIVITY: the summary the investigation concludes with (its narrative defaults to `summary`, as does the whole summary when omitted). Not for TRUE_POSITIVE: publish the managed response with it.',
    }),
    version: t.int({ description: 'The version you saw; a stale one is a VERSION_CONFLICT and nothing changes.' }),
  }),
});
const TimelineEntryInput = builder.inputType('TimelineEntryInput', {
  description: 'One event of the device timeline.',
  fields: (t) => ({
    at: t.field({ type: 'DateTime', required: true, description: 'When it happened.' }),
    deviceName: t.string({ description: 'On which device, if one.' }),
    event: t.string({ required: true, description: 'What happened.' }),
  }),
});
const IndicatorOfAttackInput = builder.inputType('IndicatorOfAttackInput', {
  description: 'A MITRE ATT&CK technique seen in the attack.',
  fields: (t) => ({
    techniqueId: t.string({ required: true, description: 'MITRE ATT&CK id, e.g. T1486' }),
    description: t.string({ required: true, description: 'How the technique was used here.' }),
  }),
});
const IndicatorOfCompromiseInput = builder.inputType('IndicatorOfCompromiseInput', {
  description: 'An artefact to hunt for.',
  fields: (t) => ({
    type: t.string({ required: true, description: IOC_TYPES.join(', ') }),
    value: t.string({ required: true, description: 'The hash, address, URL, domain, process or user name.' }),
  }),
});
export const InvestigationSummaryInput = builder.inputType('InvestigationSummaryInput', {
  description: 'What the experts found: the narrative, and optionally impact, rationale, timeline and indicators.',
  fields: (t) => ({
    narrative: t.string({ required: true, description: 'What happened and what the experts did, in words.' }),
    impact: t.string({ description: 'What the attack reached or could have reached.' }),
    severityRationale: t.string({ description: 'Why the incident has its severity.' }),
    timeline: t.field({ type: [TimelineEntryInput], description: 'The device timeline.' }),
    indicatorsOfAttack: t.field({ type: [IndicatorOfAttackInput], description: 'MITRE ATT&CK techniques seen.' }),
    indicatorsOfCompromise: t.field({ type: [IndicatorOfCompromiseInput], description: 'Artefacts to hunt for.' }),
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
  description:
    'One action card of a managed response. Where the tenant granted OPERATOR and the target is not excluded, the experts perform ' +
    'one-click cards themselves; the others are left for the customer.',
  fields: (t) => ({
    kind: t.field({ type: ActionKindEnum, required: true, description: 'What the action does.' }),
    targetId: t.id({
      description: "The target, of the kind's target type, from the incident's evidence: a Device, DeviceFile, Account, EmailMessage or Indicator id; none for MANUAL.",
    }),
    indicator: t.field({ type: IndicatorInput, description: 'BLOCK_INDICATOR / UNBLOCK_INDICATOR without a targetId: the indicator by value (e.g. one of the indicators of compromise).' }),
    scanType: t.field({ type: ScanTypeEnum, description: 'RUN_ANTIVIRUS_SCAN only.' }),
    title: t.string({ description: "What the card says to do (default: the kind's title)." }),
    instructions: t.string({ description: 'Required for MANUAL; guidance for the customer otherwise.' }),
  }),
});
const PublishManagedResponseInput = builder.inputType('PublishManagedResponseInput', {
  description: 'The managed response of a true positive under investigation.',
  fields: (t) => ({
    incidentId: t.id({ required: true, description: 'The incident (IN_PROGRESS).' }),
    summary: t.field({ type: InvestigationSummaryInput, required: true, description: 'The investigation summary.' }),
    actions: t.field({
      type: [ActionCardInput],
      required: true,
      description: 'The action cards, in the order to show them; none: the incident resolves at once, assigned to the customer.',
    }),
    version: t.int({ description: 'The version you saw; a stale one is a VERSION_CONFLICT and nothing changes.' }),
  }),
});
const ActionRefInput = builder.inputType('ActionRefInput', {
  description: 'An action card to act on.',
  fields: (t) => ({ actionId: t.id({ required: true, description: 'The ActionCard.' }) }),
});
const SkipActionInput = builder.inputType('SkipActionInput', {
  description: 'A card the customer decides not to do.',
  fields: (t) => ({
    actionId: t.id({ required: true, description: 'The ActionCard (PENDING or FAILED).' }),
    reason: t.string({ description: 'Why, for the experts and the record.' }),
  }),
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
    args: { input: t.arg({ type: IncidentRefInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) => payload(async () => ({ incident: await startInvestigation(ctx, { incidentId: incidentId(input.incidentId), version: input.version }) })),
  }),
  classifyIncident: t.field({
    type: IncidentPayload,
    description: 'EXPERT: classify an incident under investigation; FALSE_POSITIVE and INFORMATIONAL_EXPECTED_ACTIVITY resolve it.',
    authScopes: { policy: 'classifyIncident' },
    args: { input: t.arg({ type: ClassifyIncidentInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) => payload(async () => ({ incident: await classifyIncident(ctx, { ...input, incidentId: incidentId(input.incidentId) }) })),
  }),
  publishManagedResponse: t.field({
    type: IncidentPayload,
    description: 'EXPERT: publish the investigation summary and action cards of a true positive.',
    authScopes: { policy: 'publishManagedResponse' },
    args: { input: t.arg({ type: PublishManagedResponseInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
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
    args: { input: t.arg({ type: IncidentRefInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) => payload(async () => ({ incident: await reopenIncident(ctx, { incidentId: incidentId(input.incidentId), version: input.version }) })),
  }),
  performAction: t.field({
    type: ActionPayload,
    description: 'Perform a pending one-click action, or retry a failed one (OPERATOR, ADMIN; EXPERT where the tenant granted OPERATOR).',
    authScopes: { policy: 'performAction' },
    args: { input: t.arg({ type: ActionRefInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) => payload(async () => ({ action: await performAction(ctx, { actionId: actionId(input.actionId) }) })),
  }),
  completeManualAction: t.field({
    type: ActionPayload,
    description: '"I\'ve completed this action": confirm a MANUAL card (OPERATOR, ADMIN).',
    authScopes: { policy: 'completeManualAction' },
    args: { input: t.arg({ type: ActionRefInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) => payload(async () => ({ action: await completeManualAction(ctx, { actionId: actionId(input.actionId) }) })),
  }),
  performEntityAction: t.field({
    type: ActionPayload,
    description:
      "OPERATOR, ADMIN: run a one-click action on a device, file, account, email message or indicator of your tenant from its page: an ad-hoc card with no incident, in the action center and live over actionChanged.",
    authScopes: { policy: 'performEntityAction' },
    args: { input: t.arg({ type: PerformEntityActionInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) => payload(async () => ({ action: await performEntityAction(ctx, cardInput(input, [])) })),
  }),
  skipAction: t.field({
    type: ActionPayload,
    description: 'Skip a pending or failed card, with an optional reason (OPERATOR, ADMIN).',
    authScopes: { policy: 'skipAction' },
    args: { input: t.arg({ type: SkipActionInput, required: true, description: 'What to do, and to which object: see the input type.' }) },
    resolve: (_r, { input }, ctx) => payload(async () => ({ action: await skipAction(ctx, { actionId: actionId(input.actionId), reason: input.reason }) })),
  }),
}));
