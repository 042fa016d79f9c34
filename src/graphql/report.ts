// Query.serviceReport: the monthly service report's data and a short-lived signed link to its page
// (the page: src/domain/report/html.ts, served at /reports/service by src/server.ts).
import { ACKNOWLEDGE_TARGETS } from '../domain/sla';
import { serviceReport, NOTABLE_LIMIT, type NotableIncident, type NotableReason, type ServiceReportData } from '../domain/report/data';
import { builder } from './builder';
import { queryLocalId } from './common';
import { MetricsBucketRef, ServiceMetricsRef } from './metrics';
import { IncidentRef, TenantRef } from './refs';

const NotableReasonEnum = builder.enumType('NotableReason', {
  description: 'Why an incident is among the notable incidents of a service report.',
  values: {
    TRUE_POSITIVE: { description: 'It was classified as a true positive: a real threat.' },
    HIGH_SEVERITY: { description: 'Its severity is HIGH.' },
    TARGET_MISSED: { description: 'The experts acknowledged it later than the target for its severity (or have not yet, past it).' },
  } satisfies Record<NotableReason, { description: string }>,
});

const NotableIncidentRef = builder.objectRef<NotableIncident>('NotableIncident').implement({
  description: 'An incident a service report points out, with the experts\' summary of it.',
  fields: (t) => ({
    incident: t.field({
      type: IncidentRef,
      nullable: true,
      description: 'The incident (null if it is no longer readable to you).',
      resolve: (n, _a, ctx) => ctx.loaders.incident.load(n.id),
    }),
    reasons: t.field({ type: [NotableReasonEnum], description: 'Why it is notable (at least one).', resolve: (n) => n.reasons }),
    summary: t.string({
      nullable: true,
      description: "The experts' words: the investigation summary of its managed response, else the comment it was resolved with; null if neither was written.",
      resolve: (n) => n.summary,
    }),
    timeToAcknowledge: t.int({ nullable: true, description: 'Seconds from creation to the start of the investigation; null if that has not happened.', resolve: (n) => n.timeToAcknowledge }),
    timeToResolve: t.int({ nullable: true, description: 'Seconds from creation to its resolution; null while it is not resolved.', resolve: (n) => n.timeToResolve }),
  }),
});

const targets = Object.entries(ACKNOWLEDGE_TARGETS)
  .map(([s, v]) => `${s} ${v % 3600 === 0 ? `${v / 3600} h` : `${v / 60} min`}`)
  .join(', ');

const ServiceReportRef = builder.objectRef<ServiceReportData & { link: { url: string; expiresAt: Date } | null }>('ServiceReport').implement({
  description:
    "A tenant's monthly service report: the month's SLA metrics by week, the month before's totals for comparison, and the notable incidents with the experts' summaries. " +
    'The same report is a printable web page with charts (htmlUrl) and is emailed on the first day of each month to the SERVICE_REVIEW contacts.',
  fields: (t) => ({
    tenant: t.field({ type: TenantRef, description: 'The tenant the report is about.', resolve: async (r, _a, ctx) => (await ctx.loaders.tenant.load(r.tenant.id))! }),
    month: t.string({ description: 'The month, written YYYY-MM (a calendar month in UTC).', resolve: (r) => r.month }),
    from: t.field({ type: 'DateTime', description: 'Its first instant: the 1st, 00:00 UTC.', resolve: (r) => r.from }),
    to: t.field({ type: 'DateTime', description: 'The first instant of the next month (excluded).', resolve: (r) => r.to }),
    complete: t.boolean({ description: 'Whether the month has ended; false for the current month, whose figures run up to now.', resolve: (r) => r.complete }),
    metrics: t.field({
      type: ServiceMetricsRef,
      description: 'The month\'s metrics in weeks (Monday to Sunday, the first and last cut at the month\'s edges) and in total.',
      resolve: (r) => r.metrics,
    }),
    previousMonth: t.field({ type: MetricsBucketRef, description: 'The totals of the month before, for comparison.', resolve: (r) => r.previous }),
    notableIncidents: t.field({
      type: [NotableIncidentRef],
      description: `Up to ${NOTABLE_LIMIT} incidents created in the month that were true positives, of HIGH severity, or acknowledged later than their target (${targets}); true positives first.`,
      resolve: (r) => r.notable,
    }),
    htmlUrl: t.string({
      nullable: true,
      description:
        'A link to the report as a printable web page with charts. It works without a token, for a short time only (see htmlUrlExpiresAt), and only while you keep access to the tenant: ask again for a fresh one.',
      resolve: (r) => r.link?.url ?? null,
    }),
    htmlUrlExpiresAt: t.field({ type: 'DateTime', nullable: true, description: 'When htmlUrl stops working.', resolve: (r) => r.link?.expiresAt ?? null }),
  }),
});

builder.queryField('serviceReport', (t) =>
  t.field({
    type: ServiceReportRef,
    description:
      'The monthly service report of a tenant. Customers read their own tenant\'s (tenantId may be left out); experts name a tenant they serve. ' +
      'The current month may be asked for (its figures so far); a month that has not started is BAD_USER_INPUT.',
    authScopes: { policy: 'serviceReport' },
    args: {
      tenantId: t.arg.id({ description: 'The tenant; another tenant is NOT_FOUND. Required for an expert serving several tenants.' }),
      month: t.arg.string({ required: true, description: 'The calendar month in UTC, written YYYY-MM, e.g. "2026-11".' }),
    },
    resolve: async (_r, args, ctx) => {
      const report = await serviceReport(ctx, {
        tenantId: args.tenantId ? queryLocalId(String(args.tenantId), 'Tenant', 'tenantId') : null,
        month: args.month,
      });
      const link = ctx.reportLinks && ctx.viewer ? ctx.reportLinks.make({ tenantId: report.tenant.id, month: report.month, principalId: ctx.viewer.principalId }) : null;
      return { ...report, link };
    },
  }),
);
