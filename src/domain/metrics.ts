// serviceMetrics (SPEC.md section 8): per tenant and period, from the SLA rollup (sla.ts) and the
// action cards, in three aggregate statements (run side by side) whatever the number of incidents.
//
// - Buckets are UTC periods (DAY; WEEK starting Monday; MONTH) clipped to the half-open range
//   [from, to); an incident belongs to the bucket of its created_at, an action card to the bucket
//   of its completed_at (COMPLETED cards only).
// - Merged (REDIRECTED) incidents are left out: they are duplicates, counted in their target.
// - Percentiles are percentile_disc (nearest rank: the smallest value with at least p of the
//   values at or below it) over whole seconds, so every p50/p90 is a time some incident took.
// - A breach: the acknowledge clock (creation → leaving ACTIVE, or now while ACTIVE) ran past the
//   target of the incident's current severity.
import type { Database } from '../db/client';
import type { DomainContext } from './context';
import { authorize } from './access';
import { CLASSIFICATIONS, DETERMINATIONS, SEVERITIES, SIDES } from './enums';
import { invalid, notFound } from './errors';
import { ACKNOWLEDGE_TARGETS } from './sla';

export type MetricsInterval = 'DAY' | 'WEEK' | 'MONTH';

/** How far one request reaches (a year and a bit, by day at most). */
export const METRICS_LIMITS = { days: 400, buckets: 400 };

export interface Count {
  key: string;
  count: number;
}
export interface Percentiles {
  count: number;
  p50: number | null;
  p90: number | null;
}
export interface MetricsBucket {
  start: Date;
  end: Date;
  incidents: number;
  bySeverity: Count[];
  byClassification: Count[];
  byDetermination: Count[];
  timeToAcknowledge: Percentiles;
  timeToResolve: Percentiles;
  customerResponseTime: Percentiles;
  actionsByKind: Count[];
  actionsByPerformer: Count[];
  breaches: number;
}
export interface ServiceMetrics {
  buckets: MetricsBucket[];
  totals: MetricsBucket;
}

const DAY_MS = 86_400_000;

/** The UTC start of the period holding `d`. */
export function periodStart(d: Date, interval: MetricsInterval): Date {
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  if (interval === 'DAY') return new Date(day);
  if (interval === 'WEEK') return new Date(day - ((new Date(day).getUTCDay() + 6) % 7) * DAY_MS);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
}

export function nextPeriod(start: Date, interval: MetricsInterval): Date {
  if (interval === 'DAY') return new Date(start.getTime() + DAY_MS);
  if (interval === 'WEEK') return new Date(start.getTime() + 7 * DAY_MS);
  return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
}

/** The buckets of [from, to): each UTC period, clipped to the range; checked against the limits. */
export function bucketsOf(from: Date, to: Date, interval: MetricsInterval): { key: number; start: Date; end: Date }[] {
  if (Number.isNaN(from.getTime()) || Number.isNaN(to.getTime())) throw invalid('from and to must be valid times', ['from']);
  if (to.getTime() <= from.getTime()) throw invalid('to must be later than from', ['to']);
  if (to.getTime() - from.getTime() > METRICS_LIMITS.days * DAY_MS) throw invalid(`The range may span at most ${METRICS_LIMITS.days} days`, ['to']);
  const out: { key: number; start: Date; end: Date }[] = [];
  for (let s = periodStart(from, interval); s < to; s = nextPeriod(s, interval)) {
    if (out.length === METRICS_LIMITS.buckets) throw invalid(`At most ${METRICS_LIMITS.buckets} buckets: choose a longer interval or a shorter range`, ['interval']);
    const e = nextPeriod(s, interval);
    out.push({ key: s.getTime(), start: s < from ? from : s, end: e > to ? to : e });
  }
  return out;
}

/** The tenants asked about: one the viewer reads, or all of them; another tenant is NOT_FOUND. */
function scope(ctx: DomainContext, tenantId: string | null | undefined): string[] {
  const viewer = authorize(ctx.viewer, 'serviceMetrics');
  if (tenantId) {
    if (!viewer.tenantIds.includes(tenantId)) throw notFound('Tenant', ['tenantId']);
    return [tenantId];
  }
  return [...viewer.tenantIds];
}

const UNIT: Record<MetricsInterval, string> = { DAY: 'day', WEEK: 'week', MONTH: 'month' };
// (greatest() ignores a null: the case keeps a time that has not happened null)
// (date_part gives float8, cheaper than extract's numeric; exact here: whole milliseconds over 1e6 µs)
const secondsSince = (col: string) => `case when ${col} is not null then greatest(0, floor(date_part('epoch', ${col} - created_at)))::int end`;
const ackTarget = `(case severity ${Object.entries(ACKNOWLEDGE_TARGETS)
  .map(([s, t]) => `when '${s}' then ${t}`)
  .join(' ')} end)`;
const enumCounts = (column: string, values: readonly string[]) =>
  values.map((v, i) => `count(*) filter (where ${column} = '${v}')::int as ${column.slice(0, 3)}_${i}`).join(',\n    ');

// One aggregate per bucket, or (grouped by nothing) over the whole range: the totals' percentiles
// are not derived from the buckets'. Two statements rather than grouping sets, so that Postgres
// runs them side by side on two connections. Bucket keys travel as epoch milliseconds (float8:
// a number on both drivers).
const incidentsSql = (perBucket: boolean) => `
  select ${perBucket ? 'b' : 'null::float8 as b'},
    count(*)::int as incidents,
    ${enumCounts('severity', SEVERITIES)},
    ${enumCounts('classification', CLASSIFICATIONS)},
    ${enumCounts('determination', DETERMINATIONS)},
    count(ack)::int as ack_n, percentile_disc(0.5) within group (order by ack) as ack_50, percentile_disc(0.9) within group (order by ack) as ack_90,
    count(res)::int as res_n, percentile_disc(0.5) within group (order by res) as res_50, percentile_disc(0.9) within group (order by res) as res_90,
    count(cus)::int as cus_n, percentile_disc(0.5) within group (order by cus) as cus_50, percentile_disc(0.9) within group (order by cus) as cus_90,
    count(*) filter (where breached)::int as breaches
  from (
    select ${perBucket ? `extract(epoch from date_trunc($1, created_at, 'UTC'))::float8 * 1000` : '$1::text'} as b,
      severity, classification, determination,
      ${secondsSince('acknowledged_at')} as ack,
      ${secondsSince('resolved_at')} as res,
      (customer_response_ms / 1000)::int as cus,
      coalesce(left_active_at, $5::timestamptz) - created_at > ${ackTarget} * interval '1 second' as breached
    from incident_sla
    where tenant_id = any($2::uuid[]) and created_at >= $3::timestamptz and created_at < $4::timestamptz and status <> 'REDIRECTED'
  ) x
  ${perBucket ? 'group by b' : ''}`;
const BUCKETS_SQL = incidentsSql(true);
const TOTALS_SQL = incidentsSql(false);

const ACTIONS_SQL = `
  select extract(epoch from b)::float8 * 1000 as b, kind::text as kind, performed_by::text as performer, n from (
    select date_trunc($1, completed_at, 'UTC') as b, kind, performed_by, count(*)::int as n
    from action_cards
    where tenant_id = any($2::uuid[]) and completed_at >= $3::timestamptz and completed_at < $4::timestamptz and completed_at is not null and status = 'COMPLETED'
    group by 1, 2, 3
  ) x`;

type IncidentAgg = Record<string, number | boolean | null>;

function emptyBucket(start: Date, end: Date): MetricsBucket {
  const zero = (values: readonly string[]) => values.map((key) => ({ key, count: 0 }));
  const none = { count: 0, p50: null, p90: null };
  return {
    start,
    end,
    incidents: 0,
    bySeverity: zero(SEVERITIES),
    byClassification: zero(CLASSIFICATIONS),
    byDetermination: zero(DETERMINATIONS),
    timeToAcknowledge: none,
    timeToResolve: none,
    customerResponseTime: none,
    actionsByKind: [],
    actionsByPerformer: zero(SIDES),
    breaches: 0,
  };
}

function fillIncidents(bucket: MetricsBucket, r: IncidentAgg) {
  const n = (k: string) => Number(r[k] ?? 0);
  const p = (k: string) => (r[k] == null ? null : Number(r[k]));
  bucket.incidents = n('incidents');
  bucket.bySeverity = SEVERITIES.map((key, i) => ({ key, count: n(`sev_${i}`) }));
  bucket.byClassification = CLASSIFICATIONS.map((key, i) => ({ key, count: n(`cla_${i}`) }));
  bucket.byDetermination = DETERMINATIONS.map((key, i) => ({ key, count: n(`det_${i}`) }));
  bucket.timeToAcknowledge = { count: n('ack_n'), p50: p('ack_50'), p90: p('ack_90') };
  bucket.timeToResolve = { count: n('res_n'), p50: p('res_50'), p90: p('res_90') };
  bucket.customerResponseTime = { count: n('cus_n'), p50: p('cus_50'), p90: p('cus_90') };
  bucket.breaches = n('breaches');
}

function addAction(bucket: MetricsBucket, kind: string, performer: string | null, count: number) {
  const k = bucket.actionsByKind.find((c) => c.key === kind);
  if (k) k.count += count;
  else bucket.actionsByKind.push({ key: kind, count });
  const p = bucket.actionsByPerformer.find((c) => c.key === performer);
  if (p) p.count += count;
}

/**
 * The metrics of a tenant (or of all the viewer's tenants) over [from, to), per interval and in
 * total. Experts: any tenant they serve, all of them when none is named; customers: their own.
 */
export async function serviceMetrics(
  ctx: DomainContext,
  input: { tenantId?: string | null; from: Date; to: Date; interval: MetricsInterval; now?: Date },
): Promise<ServiceMetrics> {
  return metricsOf(ctx.database, scope(ctx, input.tenantId), input);
}

/**
 * The metrics of these tenants (already authorized by the caller) over [from, to): what
 * serviceMetrics answers, and what the monthly service report and its scheduled email read.
 */
export async function metricsOf(
  database: Database,
  tenants: readonly string[],
  input: { from: Date; to: Date; interval: MetricsInterval; now?: Date },
): Promise<ServiceMetrics> {
  const periods = bucketsOf(input.from, input.to, input.interval);
  const buckets = periods.map((p) => emptyBucket(p.start, p.end));
  const totals = emptyBucket(input.from, input.to);
  if (tenants.length === 0) return { buckets, totals };
  const byKey = new Map(periods.map((p, i) => [p.key, buckets[i]]));
  const params = [UNIT[input.interval], [...tenants], input.from.toISOString(), input.to.toISOString()];
  const withNow = [...params, (input.now ?? new Date()).toISOString()];
  const [bucketRows, [totalRow], actionRows] = await Promise.all([
    database.query<IncidentAgg>(BUCKETS_SQL, withNow),
    database.query<IncidentAgg>(TOTALS_SQL, withNow),
    database.query<{ b: number; kind: string; performer: string | null; n: number }>(ACTIONS_SQL, params),
  ]);
  for (const r of bucketRows) {
    const bucket = byKey.get(Number(r.b));
    if (bucket) fillIncidents(bucket, r);
  }
  if (totalRow) fillIncidents(totals, totalRow);
  for (const r of actionRows) {
    for (const bucket of [byKey.get(Number(r.b)), totals]) if (bucket) addAction(bucket, r.kind, r.performer, Number(r.n));
  }
  for (const b of [...buckets, totals]) b.actionsByKind.sort((x, y) => y.count - x.count || x.key.localeCompare(y.key));
  return { buckets, totals };
}
