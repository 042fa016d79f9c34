// Suppression rules (SPEC.md section 8, the "noise filtering" of section 3): a tenant's known-benign
// patterns, written by the experts serving it or by its own ADMIN. A NEW incident that matches an
// active rule at ingestion is resolved in the ingest transaction (informational, expected activity),
// with the `Suppressed` system tag, an activity entry and a CONCLUDED revision naming the rule.
//
// Decisions:
// - Only a new incident is matched. Alerts that later join an existing incident do not re-run the
//   rules: an open incident may be under investigation, and a resolved one stays as it was closed.
// - Rules are those of the incident's own tenant (never another's), in creation order; the first
//   that matches wins. Their compiled form is cached per tenant under a digest of the rules in
//   force (ids and updatedAt, which every change bumps), checked on every ingestion.
// - The hit is counted with a guarded UPDATE (still active, unexpired, unchanged): a rule
//   deactivated, edited or deleted while the incident was being ingested does not suppress it.
// - Matching (suppression-match.ts) runs in TypeScript on facts read in the ingest transaction
//   (alerts, evidence, the tenant's device and account rows), so the inventory's device group
//   counts, not the claimed one. previewSuppressionRule runs the same matcher on past incidents,
//   after a SQL prefilter that may keep too many but never too few.
import { createHash } from 'node:crypto';
import { and, asc, desc, eq, gte, inArray, isNull, or, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type Tx } from '../db/client';
import { activity, incidents, suppressionRules, type IncidentRow, type SuppressionCondition, type SuppressionRuleRow } from '../db/schema';
import { writeTransaction, type ActivityLog } from '../events/activity';
import { authorize, lockOwned, scopeTenantIds } from './access';
import type { DomainContext } from './context';
import type { Severity } from './enums';
import { DomainError, invalid, notFound } from './errors';
import { lockIncident } from './incidents';
import { loadAll } from './loaders';
import { appendRevision, cleanSummary } from './response/summary';
import {
  compileRule,
  factsOf,
  MATCH_OPERATORS,
  prefilter,
  ruleMatches,
  SUPPRESSION_FIELDS,
  type CompiledRule,
  type MatchOperator,
  type SuppressionField,
} from './suppression-match';
import { changeIncident, withSystemTag } from './triage';
import { text } from './validate';
import type { Viewer } from './viewer';

export type { MatchOperator, SuppressionField } from './suppression-match';

/** The system tag of an incident a rule resolved. */
export const SUPPRESSED_TAG = 'Suppressed';

export const RULE_LIMITS = { name: 100, conditions: 20, value: 500, rulesPerTenant: 500 } as const;
export const PREVIEW = {
  days: 30,
  sample: 5,
  /** Incidents examined at most (the most recent the prefilter keeps): bounds a broad rule's preview. */
  maxCandidates: 20_000,
  batch: 500,
} as const;

// ---------------------------------------------------------------- validation

export interface SuppressionConditionInput {
  field: SuppressionField;
  operator: MatchOperator;
  value: string;
}

export interface SuppressionRuleInput {
  tenantId?: string | null;
  name: string;
  conditions: readonly SuppressionConditionInput[];
  expiresAt?: Date | null;
  includeHighSeverity?: boolean | null;
}

function cleanConditions(list: readonly SuppressionConditionInput[], at: string[] = ['conditions']): SuppressionCondition[] {
  if (list.length === 0) throw invalid('a rule needs at least one condition', at);
  if (list.length > RULE_LIMITS.conditions) throw invalid(`a rule has at most ${RULE_LIMITS.conditions} conditions (got ${list.length})`, at);
  return list.map((c, i) => {
    const where = [...at, String(i)];
    if (!(SUPPRESSION_FIELDS as readonly string[]).includes(c.field)) throw invalid(`field must be one of ${SUPPRESSION_FIELDS.join(', ')}`, [...where, 'field']);
    if (!(MATCH_OPERATORS as readonly string[]).includes(c.operator)) throw invalid(`operator must be one of ${MATCH_OPERATORS.join(', ')}`, [...where, 'operator']);
    const value = text(c.value, [...where, 'value'], RULE_LIMITS.value);
    // a pattern of wildcards alone would silence every incident of the tenant
    if (c.operator === 'GLOB' && !/[^*?]/.test(value)) {
      throw invalid('a GLOB pattern needs at least one character besides * and ?', [...where, 'value']);
    }
    return { field: c.field, operator: c.operator, value };
  });
}

function futureExpiry(expiresAt: Date | null | undefined): Date | null {
  if (!expiresAt) return null;
  if (expiresAt.getTime() <= Date.now()) throw invalid('expiresAt must be in the future', ['expiresAt']);
  return expiresAt;
}

const ruleName = (name: string) => text(name, ['name'], RULE_LIMITS.name);

function cleanRule(input: SuppressionRuleInput) {
  return {
    name: ruleName(input.name),
    conditions: cleanConditions(input.conditions),
    expiresAt: futureExpiry(input.expiresAt),
    includeHighSeverity: input.includeHighSeverity ?? false,
  };
}

/**
 * The tenant a rule is for: the one named (it must be one of the viewer's: an ADMIN's own, a
 * served one for an expert; any other is NOT_FOUND, exactly like one that does not exist), else
 * the viewer's only tenant.
 */
function ruleTenant(viewer: Viewer, tenantId: string | null | undefined): string {
  if (tenantId) {
    if (!viewer.tenantIds.includes(tenantId)) throw notFound('Tenant', ['tenantId']);
    return tenantId;
  }
  if (viewer.tenantId) return viewer.tenantId;
  if (viewer.tenantIds.length === 1) return viewer.tenantIds[0];
  throw invalid('tenantId is required: name the tenant the rule is for', ['tenantId']);
}

/** Active: not deactivated and not expired. */
export const isRuleActive = (rule: Pick<SuppressionRuleRow, 'active' | 'expiresAt'>, now = new Date()) =>
  rule.active && (!rule.expiresAt || rule.expiresAt.getTime() > now.getTime());

const stillActive = () => and(eq(suppressionRules.active, true), or(isNull(suppressionRules.expiresAt), sql`${suppressionRules.expiresAt} > now()`));

const duplicateName = (name: string) => new DomainError('ALREADY_EXISTS', `The tenant already has a suppression rule named "${name}"`, ['name']);

async function nameTaken(tx: Tx, tenantId: string, name: string, except?: string): Promise<boolean> {
  const [row] = await tx
    .select({ id: suppressionRules.id })
    .from(suppressionRules)
    .where(and(eq(suppressionRules.tenantId, tenantId), sql`lower(${suppressionRules.name}) = lower(${name})`, except ? sql`${suppressionRules.id} <> ${except}` : undefined))
    .limit(1);
  return !!row;
}

/** Rule writes of one tenant queue behind each other: the name check and the cap hold under concurrency. */
const lockTenantRules = (tx: Tx, tenantId: string) => tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`suppression-rules:${tenantId}`}, 0))`);

// ---------------------------------------------------------------- rule CRUD

export async function createSuppressionRule(ctx: DomainContext, input: SuppressionRuleInput): Promise<SuppressionRuleRow> {
  const viewer = authorize(ctx.viewer, 'createSuppressionRule');
  const tenantId = ruleTenant(viewer, input.tenantId);
  const values = cleanRule(input);
  const row = await ctx.database.transaction(async (tx) => {
    await lockTenantRules(tx, tenantId);
    const [{ n }] = await tx.select({ n: sql<number>`count(*)::int` }).from(suppressionRules).where(eq(suppressionRules.tenantId, tenantId));
    if (Number(n) >= RULE_LIMITS.rulesPerTenant) throw invalid(`A tenant has at most ${RULE_LIMITS.rulesPerTenant} suppression rules; delete unused ones`);
    if (await nameTaken(tx, tenantId, values.name)) throw duplicateName(values.name);
    const [created] = await tx
      .insert(suppressionRules)
      .values({ tenantId, ...values, createdById: viewer.principalId })
      .returning();
    return created;
  });
  ctx.loaders.suppressionRule.clear(row.id).prime(row.id, row);
  return row;
}

export interface UpdateSuppressionRuleInput {
  ruleId: string;
  name?: string | null;
  conditions?: readonly SuppressionConditionInput[] | null;
  /** Left out: unchanged; null: never expires. */
  expiresAt?: Date | null;
  includeHighSeverity?: boolean | null;
  active?: boolean | null;
}

export async function updateSuppressionRule(ctx: DomainContext, input: UpdateSuppressionRuleInput): Promise<SuppressionRuleRow> {
  const viewer = authorize(ctx.viewer, 'updateSuppressionRule');
  const set: Partial<SuppressionRuleRow> = {};
  if (input.name != null) set.name = ruleName(input.name);
  if (input.conditions != null) set.conditions = cleanConditions(input.conditions);
  if (input.expiresAt !== undefined) set.expiresAt = futureExpiry(input.expiresAt);
  if (input.includeHighSeverity != null) set.includeHighSeverity = input.includeHighSeverity;
  if (input.active != null) set.active = input.active;
  const row = await ctx.database.transaction(async (tx) => {
    const current = await lockOwned(tx, suppressionRules, input.ruleId, viewer, 'Suppression rule', ['ruleId']);
    await lockTenantRules(tx, current.tenantId);
    if (set.name && (await nameTaken(tx, current.tenantId, set.name, current.id))) throw duplicateName(set.name);
    const expiresAt = set.expiresAt !== undefined ? set.expiresAt : current.expiresAt;
    if (input.active === true && expiresAt && expiresAt.getTime() <= Date.now()) {
      throw invalid('The rule has expired: give it a new expiresAt (or null) to reactivate it', ['expiresAt']);
    }
    const [updated] = await tx
      .update(suppressionRules)
      // updatedAt keys the compiled-rule cache and guards a concurrent ingestion's hit
      .set({ ...set, updatedAt: new Date(Math.max(Date.now(), current.updatedAt.getTime() + 1)) })
      .where(eq(suppressionRules.id, current.id))
      .returning();
    return updated;
  });
  ctx.loaders.suppressionRule.clear(row.id).prime(row.id, row);
  return row;
}

/**
 * Delete a rule. The incidents it resolved stay resolved, and their activity entry and revision
 * still name it; only the link goes, so undoSuppression no longer applies to them (reopenIncident
 * does). Deactivating (active: false) keeps the link and the hit count.
 */
export async function deleteSuppressionRule(ctx: DomainContext, input: { ruleId: string }): Promise<string> {
  const viewer = authorize(ctx.viewer, 'deleteSuppressionRule');
  const id = await ctx.database.transaction(async (tx) => {
    // (the row lock first: an ingestion counting a hit on this rule finishes, or sees it gone)
    const current = await lockOwned(tx, suppressionRules, input.ruleId, viewer, 'Suppression rule', ['ruleId']);
    await tx.update(incidents).set({ suppressedByRuleId: null }).where(eq(incidents.suppressedByRuleId, current.id));
    await tx.delete(suppressionRules).where(eq(suppressionRules.id, current.id));
    return current.id;
  });
  ctx.loaders.suppressionRule.clear(id);
  return id;
}

/** The rules of one tenant (or, for an expert naming none, of every tenant it serves), oldest first. */
export async function listSuppressionRules(ctx: DomainContext, tenantId?: string | null): Promise<SuppressionRuleRow[]> {
  const viewer = authorize(ctx.viewer, 'suppressionRules');
  const scope = scopeTenantIds(viewer, tenantId ? [tenantId] : null);
  if (scope.length === 0) return [];
  const rows = await ctx.db
    .select()
    .from(suppressionRules)
    .where(inArray(suppressionRules.tenantId, scope))
    .orderBy(asc(suppressionRules.createdAt), asc(suppressionRules.id));
  for (const r of rows) ctx.loaders.suppressionRule.prime(r.id, r);
  return rows;
}

// ---------------------------------------------------------------- at ingestion

/**
 * The compiled rules in force per tenant, keyed by a digest of their ids and versions. The digest
 * is read on every ingestion (one small statement) and computed from the rows that were compiled,
 * so a cached list is exactly the rules of that digest: any change, expiry or deletion makes a new
 * digest and a reload. (Ingestion serialises per tenant, so reading 200 rows and their JSON each
 * time would slow every ingestion of a tenant with many rules.)
 */
const rulesByTenant = new Map<string, { digest: string; rules: CompiledRule[] }>();
const RULE_KEY = sql`${suppressionRules.id}::text || ':' || (extract(epoch from ${suppressionRules.updatedAt}) * 1000)::bigint::text`;
const ruleKey = (r: { id: string; updatedAt: Date }) => `${r.id}:${r.updatedAt.getTime()}`;
const digestOf = (keys: string[]) => createHash('md5').update(keys.join(',')).digest('hex');

/** How many rules of the tenant are in force, and their digest: a query of one row (n, digest), for a statement of the caller's. */
export const rulesInForceSql = (tenantId: SQL | string) => sql`
  select count(*)::int as n, md5(coalesce(string_agg(${RULE_KEY}, ',' order by ${suppressionRules.id}), '')) as digest
    from ${suppressionRules} where ${suppressionRules.tenantId} = ${tenantId} and ${stillActive()}`;

/** rulesInForceSql's row, read by the caller. */
export interface RulesInForce {
  n: number;
  digest: string;
}

/**
 * A tenant's rules that may suppress now (HIGH severity: only those that include it), oldest
 * first. The count and digest are read here unless the caller read them (`read`) in its transaction.
 */
async function rulesInForce(tx: Tx, tenantId: string, severity: Severity, read?: RulesInForce): Promise<CompiledRule[]> {
  const { n, digest } = read ?? rowsOf<RulesInForce>(await tx.execute(rulesInForceSql(tenantId)))[0];
  if (Number(n) === 0) return [];
  let cached = rulesByTenant.get(tenantId);
  if (cached?.digest !== digest) {
    const rows = await tx
      .select({
        id: suppressionRules.id,
        name: suppressionRules.name,
        conditions: suppressionRules.conditions,
        includeHighSeverity: suppressionRules.includeHighSeverity,
        createdById: suppressionRules.createdById,
        updatedAt: suppressionRules.updatedAt,
      })
      .from(suppressionRules)
      .where(and(eq(suppressionRules.tenantId, tenantId), stillActive()))
      .orderBy(asc(suppressionRules.createdAt), asc(suppressionRules.id));
    if (rulesByTenant.size >= 10_000) rulesByTenant.clear();
    cached = { digest: digestOf(rows.map(ruleKey).sort()), rules: rows.map(compileRule) };
    rulesByTenant.set(tenantId, cached);
  }
  return severity === 'HIGH' ? cached.rules.filter((r) => r.includeHighSeverity) : cached.rules;
}

const describeConditions = (conditions: readonly SuppressionCondition[]) =>
  conditions.map((c) => `${c.field} ${c.operator} "${c.value}"`).join(' AND ');

/**
 * Called by ingestion for a NEW incident, in its transaction, after its alerts and evidence are
 * written: the first active rule of the incident's tenant that matches resolves it. Returns the
 * incident as it is now (unchanged when no rule matches). `inForce`: the tenant's rulesInForceSql
 * row, when the caller read it in one of its statements of this transaction (no rules: no read).
 */
export async function suppressAtIngest(tx: Tx, log: ActivityLog, incident: IncidentRow, inForce?: RulesInForce): Promise<IncidentRow> {
  const rules = await rulesInForce(tx, incident.tenantId, incident.severity, inForce);
  if (rules.length === 0) return incident;
  const facts = (await factsOf(tx, incident.tenantId, [incident.id])).get(incident.id) ?? new Map();
  for (const rule of rules) {
    if (!ruleMatches(rule, incident.severity, facts)) continue;
    const now = new Date();
    const [hit] = await tx
      .update(suppressionRules)
      .set({ hitCount: sql`${suppressionRules.hitCount} + 1`, lastHitAt: now })
      .where(and(eq(suppressionRules.id, rule.id), eq(suppressionRules.updatedAt, rule.updatedAt), stillActive()))
      .returning({ conditions: suppressionRules.conditions });
    if (!hit) continue; // changed, deactivated or deleted since it was read: it does not suppress
    return resolveBy(tx, log, incident, { ...rule, conditions: hit.conditions });
  }
  return incident;
}

async function resolveBy(tx: Tx, log: ActivityLog, incident: IncidentRow, rule: { id: string; name: string; createdById: string; conditions: SuppressionCondition[] }) {
  const note = `Suppressed by rule "${rule.name}"`;
  const narrative =
    `Resolved at ingestion by the suppression rule "${rule.name}" (${describeConditions(rule.conditions)}) as informational, ` +
    `expected activity (confirmed activity). No one investigated it; undoSuppression reopens it.`;
  // the revision is the rule author's conclusion (only its principal id is read)
  await appendRevision(tx, incident, { principalId: rule.createdById } as Viewer, 'CONCLUDED', cleanSummary({ narrative }, ['narrative']));
  await changeIncident(
    tx,
    log,
    incident,
    {
      status: 'RESOLVED',
      classification: 'INFORMATIONAL_EXPECTED_ACTIVITY',
      determination: 'CONFIRMED_ACTIVITY',
      assignment: 'UNASSIGNED',
      assigneeId: null,
      systemTags: withSystemTag(incident.systemTags, SUPPRESSED_TAG),
      resolvingComment: `${note}: expected activity, resolved at ingestion`,
    },
    note,
  );
  log.add({ tenantId: incident.tenantId, incidentId: incident.id, field: 'suppressedBy', subjectId: rule.id, from: null, to: rule.name, note });
  const [row] = await tx.update(incidents).set({ suppressedByRuleId: rule.id }).where(eq(incidents.id, incident.id)).returning();
  return row;
}

// ---------------------------------------------------------------- undo

/**
 * Reopen what a rule closed: an incident the rule resolved and nobody has moved since (its last
 * status change is still the rule's ACTIVE → RESOLVED) goes back to ACTIVE, unassigned, unclassified,
 * without the `Suppressed` tag and the link. The rule's CONCLUDED revision stays (append-only).
 */
export async function undoSuppression(ctx: DomainContext, input: { incidentId: string; version?: number | null }): Promise<IncidentRow> {
  const viewer = authorize(ctx.viewer, 'undoSuppression');
  const row = await writeTransaction(ctx, async (tx, log) => {
    const current = await lockIncident(tx, viewer, input.incidentId, input.version);
    if (!current.suppressedByRuleId) {
      throw new DomainError('INVALID_TRANSITION', 'No suppression rule resolved this incident; there is nothing to undo', ['incidentId']);
    }
    if (current.status !== 'RESOLVED') {
      throw new DomainError('INVALID_TRANSITION', `Only an incident a rule resolved can be un-suppressed; this one is ${current.status}`, ['incidentId']);
    }
    const [lastStatus] = await tx
      .select({ from: activity.fromValue })
      .from(activity)
      .where(and(eq(activity.incidentId, current.id), eq(activity.field, 'status')))
      .orderBy(desc(activity.id))
      .limit(1);
    // (a reopen goes to IN_PROGRESS, so a later resolution never comes from ACTIVE)
    if (lastStatus?.from !== 'ACTIVE') {
      throw new DomainError('INVALID_TRANSITION', 'The incident was reopened and resolved again since the rule closed it; reopen it instead', ['incidentId']);
    }
    const [rule] = await tx.select({ name: suppressionRules.name }).from(suppressionRules).where(eq(suppressionRules.id, current.suppressedByRuleId));
    const note = `Suppression by rule "${rule?.name ?? 'deleted rule'}" undone`;
    await changeIncident(
      tx,
      log,
      current,
      {
        status: 'ACTIVE',
        assignment: 'UNASSIGNED',
        assigneeId: null,
        classification: 'UNKNOWN',
        determination: 'UNKNOWN',
        systemTags: current.systemTags.filter((t) => t !== SUPPRESSED_TAG),
        resolvingComment: null,
      },
      note,
    );
    log.add({ tenantId: current.tenantId, incidentId: current.id, field: 'suppressedBy', subjectId: current.suppressedByRuleId, from: rule?.name ?? null, to: null, note });
    const [updated] = await tx.update(incidents).set({ suppressedByRuleId: null }).where(eq(incidents.id, current.id)).returning();
    return updated;
  });
  ctx.loaders.incident.clear(row.id).prime(row.id, row);
  return row;
}

export interface SuppressionPreview {
  matches: number;
  sample: IncidentRow[];
}

/**
 * How many of the tenant's incidents created in the last 30 days the rule would have matched
 * (whatever their status, REDIRECTED ones aside), and the most recent few. The same matcher as at
 * ingestion, on at most PREVIEW.maxCandidates incidents that a SQL prefilter keeps.
 */
export async function previewSuppressionRule(ctx: DomainContext, input: SuppressionRuleInput): Promise<SuppressionPreview> {
  const viewer = authorize(ctx.viewer, 'previewSuppressionRule');
  const tenantId = ruleTenant(viewer, input.tenantId);
  const clean = cleanRule(input);
  const rule = compileRule({ id: 'preview', name: clean.name, conditions: clean.conditions, includeHighSeverity: clean.includeHighSeverity, createdById: viewer.principalId, updatedAt: new Date() });
  const since = new Date(Date.now() - PREVIEW.days * 86_400_000);
  const candidates = await ctx.db
    .select({ id: incidents.id, severity: incidents.severity })
    .from(incidents)
    .where(
      and(
        eq(incidents.tenantId, tenantId),
        gte(incidents.createdAt, since),
        sql`${incidents.status} <> 'REDIRECTED'`,
        clean.includeHighSeverity ? undefined : sql`${incidents.severity} <> 'HIGH'`,
        ...clean.conditions.map(prefilter),
      ),
    )
    .orderBy(desc(incidents.createdAt), desc(incidents.id))
    .limit(PREVIEW.maxCandidates);
  let matches = 0;
  const sample: string[] = [];
  for (let i = 0; i < candidates.length; i += PREVIEW.batch) {
    const batch = candidates.slice(i, i + PREVIEW.batch);
    const facts = await factsOf(ctx.db, tenantId, batch.map((c) => c.id));
    for (const c of batch) {
      if (!ruleMatches(rule, c.severity, facts.get(c.id) ?? new Map())) continue;
      matches += 1;
      if (sample.length < PREVIEW.sample) sample.push(c.id);
    }
  }
  const rows = await loadAll(ctx.loaders.incident, sample);
  return { matches, sample: rows.filter((r): r is IncidentRow => !!r) };
}
