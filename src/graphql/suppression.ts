// Suppression rules (SPEC.md section 8, API.md "Service operations"): the rules, their preview on
// the last 30 days, their CRUD (experts for the tenants they serve, a tenant ADMIN for its own),
// undoing what a rule closed, and Incident.suppressedBy.
import type { IncidentRow, SuppressionCondition, SuppressionRuleRow } from '../db/schema';
import { loadAll } from '../domain/loaders';
import {
  createSuppressionRule,
  deleteSuppressionRule,
  isRuleActive,
  listSuppressionRules,
  previewSuppressionRule,
  PREVIEW,
  RULE_LIMITS,
  SUPPRESSED_TAG,
  undoSuppression,
  updateSuppressionRule,
  type MatchOperator,
  type SuppressionField,
  type SuppressionRuleInput as DomainRuleInput,
} from '../domain/suppression';
import { builder } from './builder';
import { localId, payload, queryLocalId, UserError } from './common';
import { IncidentPayload } from './incident';
import { DeleteNodePayload } from './notifications';
import { IncidentRef, PrincipalRef, TenantRef } from './refs';
import { IncidentRefInput } from './response';

// (typed by the domain's lists: a value added there and not here fails the typecheck)
const FIELD_VALUES: Record<SuppressionField, { description: string }> = {
  ALERT_TITLE: { description: 'The title of any alert of the incident.' },
  DETECTION_SOURCE: { description: 'The detection source of any alert (e.g. EDR, Antivirus).' },
  CATEGORY: { description: 'The category of any alert (e.g. Execution, Discovery).' },
  DEVICE_GROUP: { description: 'The inventory group of any device the evidence names.' },
  DEVICE_NAME: { description: 'The name of any device the evidence names.' },
  ACCOUNT: { description: 'Any account of user evidence, as its name, DOMAIN\\name or UPN.' },
  EVIDENCE_VALUE: { description: 'Any evidence value (device, file, process, account, IP, URL, mail subject) or detail (file hash, command line, sender, recipient, UPN).' },
};
const OPERATOR_VALUES: Record<MatchOperator, { description: string }> = {
  EQUALS: { description: 'The whole value is the same.' },
  CONTAINS: { description: 'The value appears somewhere in it.' },
  GLOB: { description: 'The whole value matches the pattern: `*` any run of characters, `?` exactly one; every other character stands for itself.' },
};

export const SuppressionFieldEnum = builder.enumType('SuppressionField', {
  description: 'What a suppression condition looks at. A condition holds when any value of its field matches.',
  values: FIELD_VALUES,
});

export const MatchOperatorEnum = builder.enumType('MatchOperator', {
  description: 'How a condition compares its value; always case-insensitive.',
  values: OPERATOR_VALUES,
});

const SuppressionConditionRef = builder.objectRef<SuppressionCondition>('SuppressionCondition').implement({
  description: 'One condition of a suppression rule; every condition of a rule must hold.',
  fields: (t) => ({
    field: t.field({ type: SuppressionFieldEnum, description: 'What is compared.', resolve: (c) => c.field }),
    operator: t.field({ type: MatchOperatorEnum, description: 'How it is compared.', resolve: (c) => c.operator }),
    value: t.exposeString('value', { description: 'What it is compared with (a pattern for GLOB).' }),
  }),
});

export const SuppressionRuleRef = builder.objectRef<SuppressionRuleRow>('SuppressionRule');
builder.node(SuppressionRuleRef, {
  description:
    `A tenant's known-benign pattern: a new incident matching every condition is resolved at ingestion as INFORMATIONAL_EXPECTED_ACTIVITY / ` +
    `CONFIRMED_ACTIVITY with the system tag "${SUPPRESSED_TAG}". Written by the experts serving the tenant and its ADMIN; read by its customers too.`,
  id: { resolve: (r) => r.id },
  loadMany: (ids, ctx) => loadAll(ctx.loaders.suppressionRule, ids),
  fields: (t) => ({
    name: t.exposeString('name', { description: 'What the rule silences, in a few words; activity entries and revisions name the rule by it.' }),
    conditions: t.field({ type: [SuppressionConditionRef], description: 'All must hold (AND).', resolve: (r) => r.conditions }),
    includeHighSeverity: t.exposeBoolean('includeHighSeverity', { description: 'Whether it may suppress a HIGH severity incident (never unless set).' }),
    expiresAt: t.field({ type: 'DateTime', nullable: true, description: 'When it stops suppressing; null: never.', resolve: (r) => r.expiresAt }),
    active: t.boolean({ description: 'Whether it suppresses now: false once deactivated or expired.', resolve: (r) => isRuleActive(r) }),
    hitCount: t.exposeInt('hitCount', { description: 'How many incidents it has resolved.' }),
    lastHitAt: t.field({ type: 'DateTime', nullable: true, description: 'When it last resolved an incident.', resolve: (r) => r.lastHitAt }),
    createdBy: t.field({
      type: PrincipalRef,
      description: 'Who wrote it; the CONCLUDED revisions of the incidents it resolves are published in their name.',
      resolve: async (r, _a, ctx) => (await ctx.loaders.principal.load(r.createdById))!,
    }),
    tenant: t.field({ type: TenantRef, description: 'The tenant whose incidents it suppresses (and no other).', resolve: async (r, _a, ctx) => (await ctx.loaders.tenant.load(r.tenantId))! }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was written.', resolve: (r) => r.createdAt }),
    updatedAt: t.field({ type: 'DateTime', description: 'When it last changed.', resolve: (r) => r.updatedAt }),
  }),
});

builder.objectField(IncidentRef, 'suppressedBy', (t) =>
  t.field({
    type: SuppressionRuleRef,
    nullable: true,
    description: 'The suppression rule that resolved this incident at ingestion, until undoSuppression reopens it (null for the roles that do not read rules).',
    resolve: (i, _a, ctx) => (i.suppressedByRuleId ? ctx.loaders.suppressionRule.load(i.suppressedByRuleId) : null),
  }),
);

const SuppressionPreviewRef = builder.objectRef<{ matches: number; sample: IncidentRow[] }>('SuppressionPreview').implement({
  description: `What a rule would have done: the tenant's incidents of the last ${PREVIEW.days} days it matches, whatever their status (merged ones aside).`,
  fields: (t) => ({
    matches: t.exposeInt('matches', { description: `How many it would have matched (of at most the ${PREVIEW.maxCandidates} most recent candidates).` }),
    sample: t.field({ type: [IncidentRef], description: `Up to ${PREVIEW.sample} of them, most recent first.`, resolve: (p) => p.sample }),
  }),
});

const SuppressionRulePayload = builder.objectRef<{ rule?: SuppressionRuleRow; errors: unknown[] }>('SuppressionRulePayload').implement({
  description: 'The rule after the change, or why nothing changed.',
  fields: (t) => ({
    rule: t.field({ type: SuppressionRuleRef, nullable: true, description: 'The rule; null when nothing changed.', resolve: (p) => p.rule ?? null }),
    errors: t.field({ type: [UserError], description: 'Why nothing changed; empty on success.', resolve: (p) => p.errors as never }),
  }),
});

const SuppressionConditionInput = builder.inputType('SuppressionConditionInput', {
  description: 'One condition: field, operator and value.',
  fields: (t) => ({
    field: t.field({ type: SuppressionFieldEnum, required: true, description: 'What is compared.' }),
    operator: t.field({ type: MatchOperatorEnum, required: true, description: 'How it is compared (case-insensitive).' }),
    value: t.string({ required: true, description: `1 to ${RULE_LIMITS.value} characters; a GLOB needs one besides * and ?.` }),
  }),
});

const SuppressionRuleInput = builder.inputType('SuppressionRuleInput', {
  description: 'A new rule, or the rule to preview.',
  fields: (t) => ({
    tenantId: t.id({ description: 'The tenant (an ADMIN: its own, optional; an expert: one it serves, required when it serves several).' }),
    name: t.string({ required: true, description: `1 to ${RULE_LIMITS.name} characters, unique in the tenant (case-insensitive).` }),
    conditions: t.field({ type: [SuppressionConditionInput], required: true, description: `1 to ${RULE_LIMITS.conditions} conditions, all of which must hold.` }),
    expiresAt: t.field({ type: 'DateTime', description: 'In the future; left out: never expires.' }),
    includeHighSeverity: t.boolean({ description: 'Also suppress HIGH severity incidents (default false).' }),
  }),
});

const UpdateSuppressionRuleInput = builder.inputType('UpdateSuppressionRuleInput', {
  description: 'Changes to a rule; fields left out stay as they are.',
  fields: (t) => ({
    ruleId: t.id({ required: true, description: 'The rule.' }),
    name: t.string({ description: `1 to ${RULE_LIMITS.name} characters, unique in the tenant.` }),
    conditions: t.field({ type: [SuppressionConditionInput], description: 'The new conditions, replacing all of them.' }),
    expiresAt: t.field({ type: 'DateTime', description: 'In the future; null: never expires.' }),
    includeHighSeverity: t.boolean({ description: 'Also suppress HIGH severity incidents.' }),
    active: t.boolean({ description: 'false: stop suppressing but keep the rule and its count; true: resume (an expired rule needs a new expiresAt).' }),
  }),
});

const SuppressionRuleRefInput = builder.inputType('SuppressionRuleRefInput', {
  description: 'A suppression rule.',
  fields: (t) => ({ ruleId: t.id({ required: true, description: 'The rule.' }) }),
});

type RuleInputArg = typeof SuppressionRuleInput.$inferInput;

/** The GraphQL input as the domain takes it (tenant id decoded; a bad one is INVALID_INPUT). */
const ruleInput = (input: RuleInputArg): DomainRuleInput => ({
  tenantId: input.tenantId ? localId(String(input.tenantId), 'Tenant', ['tenantId']) : null,
  name: input.name,
  conditions: input.conditions,
  expiresAt: input.expiresAt,
  includeHighSeverity: input.includeHighSeverity,
});
const ruleArg = (id: string | number) => localId(String(id), 'SuppressionRule', ['ruleId']);

builder.queryFields((t) => ({
  suppressionRules: t.field({
    type: [SuppressionRuleRef],
    description: 'The suppression rules of a tenant you read (experts: of every tenant they serve when none is named), oldest first, inactive ones included.',
    authScopes: { policy: 'suppressionRules' },
    args: { tenantId: t.arg.id({ description: 'The tenant; another tenant gives an empty list.' }) },
    resolve: (_r, args, ctx) => listSuppressionRules(ctx, args.tenantId ? queryLocalId(String(args.tenantId), 'Tenant', 'tenantId') : null),
  }),
  previewSuppressionRule: t.field({
    type: SuppressionPreviewRef,
    description: `Experts and the tenant ADMIN: how many of the tenant's incidents of the last ${PREVIEW.days} days a rule would have matched, with a sample; nothing is written.`,
    authScopes: { policy: 'previewSuppressionRule' },
    args: { input: t.arg({ type: SuppressionRuleInput, required: true, description: 'The rule as it would be created.' }) },
    resolve: (_r, { input }, ctx) => previewSuppressionRule(ctx, ruleInput(input)),
  }),
}));

builder.mutationFields((t) => ({
  createSuppressionRule: t.field({
    type: SuppressionRulePayload,
    description: 'Experts (a served tenant) and the tenant ADMIN (its own): a rule that resolves matching new incidents at ingestion.',
    authScopes: { policy: 'createSuppressionRule' },
    args: { input: t.arg({ type: SuppressionRuleInput, required: true, description: 'The rule.' }) },
    resolve: (_r, { input }, ctx) => payload(async () => ({ rule: await createSuppressionRule(ctx, ruleInput(input)) })),
  }),
  updateSuppressionRule: t.field({
    type: SuppressionRulePayload,
    description: 'Experts and the tenant ADMIN: change a rule (name, conditions, expiry, HIGH severity, active). Incidents it already resolved stay as they are.',
    authScopes: { policy: 'updateSuppressionRule' },
    args: { input: t.arg({ type: UpdateSuppressionRuleInput, required: true, description: 'The changes.' }) },
    resolve: (_r, { input }, ctx) =>
      payload(async () => ({
        rule: await updateSuppressionRule(ctx, {
          ruleId: ruleArg(input.ruleId),
          name: input.name,
          conditions: input.conditions,
          expiresAt: input.expiresAt,
          includeHighSeverity: input.includeHighSeverity,
          active: input.active,
        }),
      })),
  }),
  deleteSuppressionRule: t.field({
    type: DeleteNodePayload,
    description: 'Experts and the tenant ADMIN: delete a rule. What it resolved stays resolved but can no longer be undone with undoSuppression (deactivate to keep that).',
    authScopes: { policy: 'deleteSuppressionRule' },
    args: { input: t.arg({ type: SuppressionRuleRefInput, required: true, description: 'The rule.' }) },
    resolve: (_r, { input }, ctx) =>
      payload(async () => {
        await deleteSuppressionRule(ctx, { ruleId: ruleArg(input.ruleId) });
        return { deletedId: String(input.ruleId) };
      }),
  }),
  undoSuppression: t.field({
    type: IncidentPayload,
    description: `Experts and the tenant ADMIN: reopen an incident a rule resolved (ACTIVE, unassigned, unclassified, without the "${SUPPRESSED_TAG}" tag); its revision stays. Anything else is INVALID_TRANSITION.`,
    authScopes: { policy: 'undoSuppression' },
    args: { input: t.arg({ type: IncidentRefInput, required: true, description: 'The incident, and the version you saw.' }) },
    resolve: (_r, { input }, ctx) =>
      payload(async () => ({ incident: await undoSuppression(ctx, { incidentId: localId(String(input.incidentId), 'Incident', ['incidentId']), version: input.version }) })),
  }),
}));
