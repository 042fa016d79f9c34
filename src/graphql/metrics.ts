// SLA metrics (SPEC.md section 8, API.md "Service operations"): Incident.sla and
// Query.serviceMetrics. The rules and the SQL live in domain/sla.ts and domain/metrics.ts.
import { serviceMetrics, METRICS_LIMITS, type Count, type MetricsBucket, type MetricsInterval, type Percentiles, type ServiceMetrics } from '../domain/metrics';
import { ACKNOWLEDGE_TARGETS, slaOf, type IncidentSla } from '../domain/sla';
import { builder } from './builder';
import { queryLocalId } from './common';
import { IncidentRef } from './refs';

const minutes = (s: number) => (s % 3600 === 0 ? `${s / 3600} h` : `${s / 60} min`);
const TARGETS = Object.entries(ACKNOWLEDGE_TARGETS)
  .map(([severity, s]) => `${severity} ${minutes(s)}`)
  .join(', ');

const IncidentSlaRef = builder.objectRef<IncidentSla>('IncidentSla').implement({
  description:
    'An incident\'s service times, in seconds from its creation, computed from its activity log; null until the moment happened. ' +
    'A merged (REDIRECTED) incident gets no further times; the incident it was merged into keeps its own.',
  fields: (t) => ({
    timeToAcknowledge: t.int({ nullable: true, description: 'Until the experts first started the investigation (first move to IN_PROGRESS).', resolve: (s) => s.timeToAcknowledge }),
    timeToClassify: t.int({ nullable: true, description: 'Until the first verdict other than UNKNOWN (a reopen that clears the verdict does not reset it).', resolve: (s) => s.timeToClassify }),
    timeToPublish: t.int({ nullable: true, description: 'Until the managed response was first published.', resolve: (s) => s.timeToPublish }),
    timeToResolve: t.int({ nullable: true, description: 'Until the last resolution; null while the incident is not resolved (e.g. reopened).', resolve: (s) => s.timeToResolve }),
    customerResponseTime: t.int({
      nullable: true,
      description: 'The time spent AWAITING_CUSTOMER_ACTION until the last pending action was done, summed over every such episode that ended.',
      resolve: (s) => s.customerResponseTime,
    }),
    acknowledgeTarget: t.int({ description: `The acknowledge target of the incident's severity (${TARGETS}).`, resolve: (s) => s.acknowledgeTarget }),
    breached: t.boolean({
      description: 'Whether the acknowledge target was missed: the incident left ACTIVE later than the target, or is still ACTIVE past it.',
      resolve: (s) => s.breached,
    }),
  }),
});

builder.objectField(IncidentRef, 'sla', (t) =>
  t.field({
    type: IncidentSlaRef,
    description: 'Service times of this incident and its acknowledge target.',
    resolve: async (i, _a, ctx) => {
      const row = await ctx.loaders.slaByIncident.load(i.id);
      // (a row is always there for a readable incident: the loader computes a missing one)
      return slaOf(row ?? { ...i, acknowledgedAt: null, leftActiveAt: null, classifiedAt: null, publishedAt: null, resolvedAt: null, awaitingSince: null, customerResponseMs: null });
    },
  }),
);

const MetricsIntervalEnum = builder.enumType('MetricsInterval', {
  description: 'The length of a metrics bucket; every bucket is a UTC period.',
  values: {
    DAY: { description: 'A UTC day.' },
    WEEK: { description: 'A week starting Monday 00:00 UTC.' },
    MONTH: { description: 'A calendar month in UTC.' },
  } satisfies Record<MetricsInterval, { description: string }>,
});

export const CountRef = builder.objectRef<Count>('Count').implement({
  description: 'How many of something have a given value.',
  fields: (t) => ({
    key: t.exposeString('key', { description: 'The value (a severity, classification, determination, action kind or performer).' }),
    count: t.exposeInt('count', { description: 'How many.' }),
  }),
});

export const PercentilesRef = builder.objectRef<Percentiles>('Percentiles').implement({
  description: 'Percentiles of a time in seconds (nearest rank, percentile_disc: each is a time some incident took), over the incidents where it happened.',
  fields: (t) => ({
    count: t.exposeInt('count', { description: 'How many incidents the time is known for.' }),
    p50: t.int({ nullable: true, description: 'The median; null when count is 0.', resolve: (p) => p.p50 }),
    p90: t.int({ nullable: true, description: 'The 90th percentile; null when count is 0.', resolve: (p) => p.p90 }),
  }),
});

export const MetricsBucketRef = builder.objectRef<MetricsBucket>('MetricsBucket').implement({
  description:
    'The metrics of one period: the incidents created in it (merged ones left out) and the action cards completed in it.',
  fields: (t) => ({
    start: t.field({ type: 'DateTime', description: 'Where the period starts (included); the first one starts at `from`.', resolve: (b) => b.start }),
    end: t.field({ type: 'DateTime', description: 'Where it ends (excluded); the last one ends at `to`.', resolve: (b) => b.end }),
    incidents: t.exposeInt('incidents', { description: 'Incidents created in the period.' }),
    bySeverity: t.field({ type: [CountRef], description: 'Those incidents by current severity (every severity listed).', resolve: (b) => b.bySeverity }),
    byClassification: t.field({ type: [CountRef], description: 'By current classification (every value listed).', resolve: (b) => b.byClassification }),
    byDetermination: t.field({ type: [CountRef], description: 'By current determination (every value listed).', resolve: (b) => b.byDetermination }),
    timeToAcknowledge: t.field({ type: PercentilesRef, description: 'Their times to acknowledge.', resolve: (b) => b.timeToAcknowledge }),
    timeToResolve: t.field({ type: PercentilesRef, description: 'Their times to resolve (incidents resolved now).', resolve: (b) => b.timeToResolve }),
    customerResponseTime: t.field({ type: PercentilesRef, description: "The customer's response times.", resolve: (b) => b.customerResponseTime }),
    actionsByKind: t.field({ type: [CountRef], description: 'Action cards COMPLETED in the period, by kind (the kinds that occurred, most first).', resolve: (b) => b.actionsByKind }),
    actionsByPerformer: t.field({ type: [CountRef], description: 'The same cards by who performed them: EXPERTS or CUSTOMER.', resolve: (b) => b.actionsByPerformer }),
    breaches: t.exposeInt('breaches', { description: 'Incidents whose acknowledge target was missed (see IncidentSla.breached).' }),
  }),
});

export const ServiceMetricsRef = builder.objectRef<ServiceMetrics>('ServiceMetrics').implement({
  description: 'A tenant\'s (or all your tenants\') service metrics over a range, per period and in total.',
  fields: (t) => ({
    buckets: t.field({ type: [MetricsBucketRef], description: 'One per period of the range, oldest first, empty ones included.', resolve: (m) => m.buckets }),
    totals: t.field({ type: MetricsBucketRef, description: 'The whole range (percentiles over all its incidents, not of the buckets).', resolve: (m) => m.totals }),
  }),
});

builder.queryField('serviceMetrics', (t) =>
  t.field({
    type: ServiceMetricsRef,
    description:
      `SLA metrics over [from, to) in UTC buckets (at most ${METRICS_LIMITS.days} days and ${METRICS_LIMITS.buckets} buckets). ` +
      'Experts: a tenant they serve, or all of them when none is named; customers: their own tenant.',
    authScopes: { policy: 'serviceMetrics' },
    args: {
      tenantId: t.arg.id({ description: 'The tenant; another tenant is NOT_FOUND.' }),
      from: t.arg({ type: 'DateTime', required: true, description: 'Start of the range (included).' }),
      to: t.arg({ type: 'DateTime', required: true, description: 'End of the range (excluded).' }),
      interval: t.arg({ type: MetricsIntervalEnum, required: true, description: 'The bucket length.' }),
    },
    resolve: (_r, args, ctx) =>
      serviceMetrics(ctx, {
        tenantId: args.tenantId ? queryLocalId(String(args.tenantId), 'Tenant', 'tenantId') : null,
        from: args.from,
        to: args.to,
        interval: args.interval,
      }),
  }),
);
