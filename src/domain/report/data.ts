// The monthly service report's data (SPEC.md section 8): one tenant, one UTC calendar month. It
// reads what serviceMetrics reads (the SLA rollup and the action cards) plus the distributions the
// charts draw and the notable incidents with the experts' words. The page (html.ts), the GraphQL
// field (src/graphql/report.ts) and the monthly email (schedule.ts) all start from here.
import type { Database } from '../../db/client';
import { authorize } from '../access';
import type { DomainContext } from '../context';
import { SEVERITIES, type Severity } from '../enums';
import { invalid, notFound } from '../errors';
import { metricsOf, type MetricsBucket, type ServiceMetrics } from '../metrics';
import { ACKNOWLEDGE_TARGETS } from '../sla';

/** "2026-11": a calendar month in UTC. */
export const MONTH_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

export interface ReportMonth {
  /** "2026-11" */
  month: string;
  /** 1 November 2026 00:00 UTC (included). */
  from: Date;
  /** 1 December 2026 00:00 UTC (excluded). */
  to: Date;
}

/** The UTC month a string names; BAD_USER_INPUT when it is malformed or has not started yet. */
export function parseMonth(month: string, now = new Date()): ReportMonth {
  const m = MONTH_PATTERN.exec(month);
  if (!m || Number(m[1]) < 2000) throw invalid('month must be a calendar month written YYYY-MM, e.g. "2026-11"', ['month']);
  const from = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1));
  if (from.getTime() > now.getTime()) throw invalid('That month has not started yet', ['month']);
  return { month, from, to: new Date(Date.UTC(Number(m[1]), Number(m[2]), 1)) };
}

/** The month before the one holding `d` ("2026-11" on any day of December 2026). */
export function previousMonth(d: Date): string {
  const p = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1));
  return `${p.getUTCFullYear()}-${String(p.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** Why an incident is among the notable ones. */
export type NotableReason = 'TRUE_POSITIVE' | 'HIGH_SEVERITY' | 'TARGET_MISSED';

export interface NotableIncident {
  id: string;
  number: number;
  title: string;
  severity: Severity;
  status: string;
  classification: string;
  determination: string;
  createdAt: Date;
  resolvedAt: Date | null;
  timeToAcknowledge: number | null;
  timeToResolve: number | null;
  breached: boolean;
  reasons: NotableReason[];
  /** The experts' words: the investigation narrative, else the resolving comment. */
  summary: string | null;
}

/** A time's distribution for one severity: `quantiles[i]` is the time (s) at QUANTILES[i]. */
export interface Distribution {
  severity: Severity;
  count: number;
  quantiles: number[];
}

export interface ActionCount {
  kind: string;
  performer: string;
  count: number;
}

export interface ServiceReportData extends ReportMonth {
  tenant: { id: string; name: string };
  generatedAt: Date;
  /** The month has ended: the figures are final (late changes to its incidents aside). */
  complete: boolean;
  /** The month in weeks (Monday to Sunday, clipped to the month) and in total. */
  metrics: ServiceMetrics;
  /** The month before's totals, for comparison. */
  previous: MetricsBucket;
  acknowledge: Distribution[];
  resolve: Distribution[];
  actions: ActionCount[];
  notable: NotableIncident[];
  /** Acknowledge targets per severity, in seconds. */
  targets: Record<Severity, number>;
}

/** The quantiles the distribution charts draw: 0 %, 2 %, … 100 %. */
export const QUANTILES = Array.from({ length: 51 }, (_, i) => i / 50);
/** How many notable incidents a report lists. */
export const NOTABLE_LIMIT = 10;

const secondsSince = (col: string) => `case when ${col} is not null then greatest(0, floor(date_part('epoch', ${col} - s.created_at)))::int end`;
const ackTarget = `(case s.severity ${Object.entries(ACKNOWLEDGE_TARGETS)
  .map(([sev, t]) => `when '${sev}' then ${t}`)
  .join(' ')} end)`;
const breached = `coalesce(s.left_active_at, $4::timestamptz) - s.created_at > ${ackTarget} * interval '1 second'`;
const IN_MONTH = `s.tenant_id = $1::uuid and s.created_at >= $2::timestamptz and s.created_at < $3::timestamptz and s.status <> 'REDIRECTED'`;

const DISTRIBUTION_SQL = `
  select severity::text as severity,
    count(ack)::int as ack_n, percentile_disc($4::float8[]) within group (order by ack) as ack_q,
    count(res)::int as res_n, percentile_disc($4::float8[]) within group (order by res) as res_q
  from (select s.severity, ${secondsSince('s.acknowledged_at')} as ack, ${secondsSince('s.resolved_at')} as res
        from incident_sla s where ${IN_MONTH}) x
  group by severity`;

const ACTIONS_SQL = `
  select kind::text as kind, coalesce(performed_by::text, 'UNKNOWN') as performer, count(*)::int as n
  from action_cards
  where tenant_id = $1::uuid and status = 'COMPLETED' and completed_at >= $2::timestamptz and completed_at < $3::timestamptz
  group by 1, 2
  order by 3 desc, 1, 2`;

const NOTABLE_SQL = `
  select i.id, i.number, i.title, i.severity::text as severity, i.status::text as status,
    i.classification::text as classification, i.determination::text as determination,
    s.created_at, s.resolved_at,
    ${secondsSince('s.acknowledged_at')} as ack, ${secondsSince('s.resolved_at')} as res,
    (${breached}) as breached,
    coalesce(m.narrative, i.resolving_comment) as summary
  from incident_sla s
  join incidents i on i.id = s.incident_id
  left join managed_responses m on m.incident_id = s.incident_id
  where ${IN_MONTH}
    and (i.classification = 'TRUE_POSITIVE' or i.severity = 'HIGH' or ${breached})
  order by (i.classification = 'TRUE_POSITIVE') desc, (i.severity = 'HIGH') desc, (${breached}) desc, s.created_at, i.number
  limit ${NOTABLE_LIMIT}`;

const toInts = (v: unknown): number[] => (Array.isArray(v) ? v.map(Number) : typeof v === 'string' ? v.replace(/[{}]/g, '').split(',').filter(Boolean).map(Number) : []);
const toDate = (v: unknown): Date | null => (v == null ? null : v instanceof Date ? v : new Date(String(v)));

/** The report of one tenant and month, for a caller that has already been authorized. */
export async function buildServiceReport(database: Database, tenantId: string, month: ReportMonth, now = new Date()): Promise<ServiceReportData> {
  const [tenant] = await database.query<{ id: string; name: string }>('select id, name from tenants where id = $1::uuid', [tenantId]);
  if (!tenant) throw notFound('Tenant', ['tenantId']);
  const prev = parseMonth(previousMonth(month.from), now);
  const range = [tenantId, month.from.toISOString(), month.to.toISOString(), now.toISOString()];
  const [metrics, previous, dist, actions, notable] = await Promise.all([
    metricsOf(database, [tenantId], { from: month.from, to: month.to, interval: 'WEEK', now }),
    metricsOf(database, [tenantId], { from: prev.from, to: prev.to, interval: 'MONTH', now }),
    database.query<{ severity: Severity; ack_n: number; ack_q: unknown; res_n: number; res_q: unknown }>(DISTRIBUTION_SQL, [...range.slice(0, 3), QUANTILES]),
    database.query<{ kind: string; performer: string; n: number }>(ACTIONS_SQL, range.slice(0, 3)),
    database.query<Record<string, unknown>>(NOTABLE_SQL, range),
  ]);
  const bySeverity = new Map(dist.map((d) => [d.severity, d]));
  const distribution = (n: 'ack_n' | 'res_n', q: 'ack_q' | 'res_q'): Distribution[] =>
    SEVERITIES.flatMap((severity) => {
      const d = bySeverity.get(severity);
      return d && Number(d[n]) > 0 ? [{ severity, count: Number(d[n]), quantiles: toInts(d[q]) }] : [];
    });
  return {
    ...month,
    tenant: { id: tenant.id, name: tenant.name },
    generatedAt: now,
    complete: month.to.getTime() <= now.getTime(),
    metrics,
    previous: previous.totals,
    acknowledge: distribution('ack_n', 'ack_q'),
    resolve: distribution('res_n', 'res_q'),
    actions: actions.map((a) => ({ kind: a.kind, performer: a.performer, count: Number(a.n) })),
    notable: notable.map((r) => {
      const severity = r.severity as Severity;
      const isBreached = r.breached === true || r.breached === 't';
      const reasons: NotableReason[] = [];
      if (r.classification === 'TRUE_POSITIVE') reasons.push('TRUE_POSITIVE');
      if (severity === 'HIGH') reasons.push('HIGH_SEVERITY');
      if (isBreached) reasons.push('TARGET_MISSED');
      return {
        id: String(r.id),
        number: Number(r.number),
        title: String(r.title),
        severity,
        status: String(r.status),
        classification: String(r.classification),
        determination: String(r.determination),
        createdAt: toDate(r.created_at)!,
        resolvedAt: toDate(r.resolved_at),
        timeToAcknowledge: r.ack == null ? null : Number(r.ack),
        timeToResolve: r.res == null ? null : Number(r.res),
        breached: isBreached,
        reasons,
        summary: r.summary == null ? null : String(r.summary),
      };
    }),
    targets: { ...ACKNOWLEDGE_TARGETS },
  };
}

/**
 * The tenant a report is asked for: one the viewer reads (another is NOT_FOUND, like a missing
 * one); a customer's own when none is named; an expert serving several must name one.
 */
export function reportTenant(ctx: DomainContext, tenantId: string | null | undefined): string {
  const viewer = authorize(ctx.viewer, 'serviceReport');
  if (tenantId) {
    if (!viewer.tenantIds.includes(tenantId)) throw notFound('Tenant', ['tenantId']);
    return tenantId;
  }
  if (viewer.tenantId) return viewer.tenantId;
  if (viewer.tenantIds.length === 1) return viewer.tenantIds[0];
  throw invalid('Name the tenant (tenantId): a report is about one tenant, and you serve several', ['tenantId']);
}

/** serviceReport: the month's report of a tenant the viewer reads. */
export async function serviceReport(ctx: DomainContext, input: { tenantId?: string | null; month: string; now?: Date }): Promise<ServiceReportData> {
  const tenantId = reportTenant(ctx, input.tenantId);
  const now = input.now ?? new Date();
  return buildServiceReport(ctx.database, tenantId, parseMonth(input.month, now), now);
}
