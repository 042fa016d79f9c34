// The suppression matcher (SPEC.md section 8): a rule compiled once into tests over lower-cased
// values; the facts an incident offers each field, read in one statement; and, for the preview, a
// SQL prefilter that every matching incident passes (it may let more through, never fewer).
// Matching is case-insensitive, conditions are ANDed, a condition holds when any value of its field
// matches. suppression.ts runs it at ingestion and in previewSuppressionRule.
import { inArray, sql, type SQL } from 'drizzle-orm';
import { rowsOf, type DbOrTx } from '../db/client';
import {
  accounts,
  alerts,
  devices,
  evidence,
  incidents,
  matchOperatorEnum,
  suppressionFieldEnum,
  type SuppressionCondition,
  type SuppressionRuleRow,
} from '../db/schema';
import type { Severity } from './enums';

export const SUPPRESSION_FIELDS = suppressionFieldEnum.enumValues;
export const MATCH_OPERATORS = matchOperatorEnum.enumValues;
export type SuppressionField = (typeof SUPPRESSION_FIELDS)[number];
export type MatchOperator = (typeof MATCH_OPERATORS)[number];

/** A compiled condition's test; its argument is already lower-cased. */
type Test = (value: string) => boolean;

const REGEX_SYNTAX = /[\\^$.*+?()[\]{}|/]/;
/** A glob segment without `*`: `?` is any one character (code point), the rest literal. */
const segmentSource = (segment: string) =>
  Array.from(segment)
    .map((c) => (c === '?' ? '.' : REGEX_SYNTAX.test(c) ? `\\${c}` : c))
    .join('');

/**
 * `*` any run of characters, `?` exactly one, everything else itself; the whole value must match.
 * Compiled into the literal segments between the stars, matched left to right at their earliest
 * place: linear in practice and never the exponential backtracking of a `.*a.*a.*b` regex.
 */
export function compileGlob(pattern: string): Test {
  const parts = pattern.split('*');
  if (parts.length === 1) {
    const whole = new RegExp(`^${segmentSource(pattern)}$`, 'su');
    return (s) => whole.test(s);
  }
  const first = parts[0] ? new RegExp(segmentSource(parts[0]), 'suy') : null;
  const middles = parts
    .slice(1, -1)
    .filter((p) => p !== '')
    .map((p) => new RegExp(segmentSource(p), 'gsu'));
  const lastPart = parts[parts.length - 1];
  const last = lastPart ? new RegExp(`${segmentSource(lastPart)}$`, 'gsu') : null;
  return (s) => {
    let at = 0;
    if (first) {
      first.lastIndex = 0;
      const m = first.exec(s);
      if (!m) return false;
      at = m[0].length;
    }
    for (const re of middles) {
      re.lastIndex = at;
      const m = re.exec(s);
      if (!m) return false;
      at = m.index + m[0].length;
    }
    if (!last) return true;
    last.lastIndex = at;
    return last.exec(s) !== null;
  };
}

function compileCondition(c: SuppressionCondition): Test {
  const v = c.value.toLowerCase();
  switch (c.operator) {
    case 'EQUALS':
      return (s) => s === v;
    case 'CONTAINS':
      return (s) => s.includes(v);
    case 'GLOB':
      return compileGlob(v);
  }
}

/** What an incident offers each field: lower-cased values, any of which may match. */
export type Facts = Map<SuppressionField, string[]>;

export interface CompiledRule {
  id: string;
  name: string;
  includeHighSeverity: boolean;
  createdById: string;
  updatedAt: Date;
  conditions: { field: SuppressionField; test: Test }[];
}

type RuleSource = Pick<SuppressionRuleRow, 'id' | 'name' | 'conditions' | 'includeHighSeverity' | 'createdById' | 'updatedAt'>;

export function compileRule(rule: RuleSource): CompiledRule {
  return { ...rule, conditions: rule.conditions.map((c) => ({ field: c.field, test: compileCondition(c) })) };
}

/** Every condition holds (AND) for some value of its field; a HIGH incident only when the rule says so. */
export function ruleMatches(rule: CompiledRule, severity: Severity, facts: Facts): boolean {
  if (severity === 'HIGH' && !rule.includeHighSeverity) return false;
  return rule.conditions.every((c) => facts.get(c.field)?.some(c.test) ?? false);
}

/**
 * The facts of some incidents of one tenant, in one statement: alert titles, detection sources and
 * categories; the name and inventory group of every device the evidence names; every account of
 * user evidence as name, domain\name and UPN; every evidence value and the values of its details
 * (hashes, command line, sender, recipient...).
 */
export async function factsOf(db: DbOrTx, tenantId: string, incidentIds: readonly string[]): Promise<Map<string, Facts>> {
  const out = new Map<string, Facts>();
  if (incidentIds.length === 0) return out;
  const ids = [...incidentIds];
  const result = await db.execute(sql`
    select ${alerts.incidentId} as id, x.f, x.v
      from ${alerts}
      cross join lateral (values ('ALERT_TITLE', ${alerts.title}), ('DETECTION_SOURCE', ${alerts.detectionSource}), ('CATEGORY', ${alerts.category})) x(f, v)
     where ${inArray(alerts.incidentId, ids)} and ${alerts.tenantId} = ${tenantId} and x.v is not null
    union all
    select ${evidence.incidentId}, x.f, x.v
      from ${evidence}
      left join ${devices} on ${devices.id} = ${evidence.deviceId}
      left join ${accounts} on ${accounts.id} = ${evidence.accountId}
      cross join lateral (values
        ('DEVICE_NAME', ${devices.name}), ('DEVICE_GROUP', ${devices.deviceGroup}),
        ('ACCOUNT', ${accounts.accountName}), ('ACCOUNT', ${accounts.domain} || ${'\\'} || ${accounts.accountName}), ('ACCOUNT', ${accounts.upn}),
        ('EVIDENCE_VALUE', ${evidence.value})) x(f, v)
     where ${inArray(evidence.incidentId, ids)} and ${evidence.tenantId} = ${tenantId} and x.v is not null
    union all
    select ${evidence.incidentId}, 'EVIDENCE_VALUE', d.value
      from ${evidence} cross join lateral jsonb_each_text(${evidence.details}) d
     where ${inArray(evidence.incidentId, ids)} and ${evidence.tenantId} = ${tenantId} and d.value is not null`);
  for (const { id, f, v } of rowsOf<{ id: string; f: SuppressionField; v: string }>(result)) {
    let facts = out.get(id);
    if (!facts) out.set(id, (facts = new Map()));
    const list = facts.get(f);
    const value = v.toLowerCase();
    if (!list) facts.set(f, [value]);
    else if (!list.includes(value)) list.push(value);
  }
  return out;
}

// ---------------------------------------------------------------- the preview's prefilter

/** An ASCII needle must appear in the column, unless the column holds non-ASCII text (lower() may differ from JS there). */
function mayContain(column: SQL, needle: string | null): SQL {
  if (!needle) return sql`${column} is not null`;
  return sql`(position(${needle} in lower(${column})) > 0 or octet_length(${column}) <> char_length(${column}))`;
}

/** The longest run of a condition's value that every match must contain, if ASCII (else no prefilter). */
function needleOf(c: SuppressionCondition): string | null {
  const v = c.value.toLowerCase();
  const runs = c.operator === 'GLOB' ? v.split(/[*?]/) : [v];
  const longest = runs.reduce((a, b) => (b.length > a.length ? b : a), '');
  return /^[\x00-\x7f]+$/.test(longest) ? longest : null;
}

/** A SQL condition on an incident that every incident matching `c` meets (it may let more through). */
export function prefilter(c: SuppressionCondition): SQL {
  const n = needleOf(c);
  const onAlerts = (col: SQL) => sql`exists (select 1 from ${alerts} where ${alerts.incidentId} = ${incidents.id} and ${mayContain(col, n)})`;
  const onEvidence = (join: SQL, cond: SQL) =>
    sql`exists (select 1 from ${evidence} ${join} where ${evidence.incidentId} = ${incidents.id} and ${cond})`;
  const deviceJoin = sql`join ${devices} on ${devices.id} = ${evidence.deviceId}`;
  const accountJoin = sql`join ${accounts} on ${accounts.id} = ${evidence.accountId}`;
  switch (c.field) {
    case 'ALERT_TITLE':
      return onAlerts(sql`${alerts.title}`);
    case 'DETECTION_SOURCE':
      return onAlerts(sql`${alerts.detectionSource}`);
    case 'CATEGORY':
      return onAlerts(sql`${alerts.category}`);
    case 'DEVICE_NAME':
      return onEvidence(deviceJoin, mayContain(sql`${devices.name}`, n));
    case 'DEVICE_GROUP':
      return onEvidence(deviceJoin, mayContain(sql`${devices.deviceGroup}`, n));
    case 'ACCOUNT':
      return onEvidence(
        accountJoin,
        sql`(${mayContain(sql`${accounts.accountName}`, n)} or ${mayContain(sql`(${accounts.domain} || ${'\\'} || ${accounts.accountName})`, n)} or ${mayContain(sql`${accounts.upn}`, n)})`,
      );
    case 'EVIDENCE_VALUE':
      return onEvidence(
        sql``,
        sql`(${mayContain(sql`${evidence.value}`, n)} or exists (select 1 from jsonb_each_text(${evidence.details}) d where ${mayContain(sql`d.value`, n)}))`,
      );
  }
}
