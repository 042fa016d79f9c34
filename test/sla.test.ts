// SLA metrics (SPEC.md section 8): each per-incident time on scripted timelines walked through the
// real mutations (then moved to chosen instants in SQL and recomputed from the log), the rollup
// kept in the writes' transactions equal to a recomputation from the log, the serviceMetrics
// buckets (UTC boundaries, Monday weeks, months of different lengths), percentiles against a
// direct computation, and tenant scoping. Runs on PostgreSQL and on PGlite with the same
// computed expectations (TEST_DB=pglite).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { computeSla, foldSla, emptySlaTimes, recomputeSla, ACKNOWLEDGE_TARGETS } from '../src/domain/sla';
import { startApp, type TestApp } from './helpers/app';
import { expertServing, newTenant, type TenantFixture } from './helpers/factory';
import { ingest, mutate, summary, truePositive } from './helpers/response';

let app: TestApp;
beforeAll(async () => {
  app = await startApp();
});
afterAll(async () => {
  await app?.close();
});

const local = (gid: string) => decodeGlobalID(gid).id;
const SLA = 'sla { timeToAcknowledge timeToClassify timeToPublish timeToResolve customerResponseTime acknowledgeTarget breached }';

interface Sla {
  timeToAcknowledge: number | null;
  timeToClassify: number | null;
  timeToPublish: number | null;
  timeToResolve: number | null;
  customerResponseTime: number | null;
  acknowledgeTarget: number;
  breached: boolean;
}

async function slaOf(token: string, id: string): Promise<Sla & { status: string }> {
  const r = await app.gql<any, any>(`query($id: ID!) { node(id: $id) { ... on Incident { status ${SLA} } } }`, { id }, token);
  expect(r.errors).toBeUndefined();
  return { ...r.data.node.sla, status: r.data.node.status };
}

const ok = async (p: Promise<any>, name: string) => {
  const r = await p;
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  expect(r.data[name].errors).toEqual([]);
  return r.data[name];
};

/** The stored rollup rows of the tenant equal a recomputation from the activity log alone. */
async function expectRollupMatchesLog(t: TenantFixture) {
  const stored = await app.database.query<{ incident_id: string }>(`select incident_id from incident_sla where tenant_id = $1::uuid order by incident_id`, [t.tenant.id]);
  const ids = stored.map((r) => r.incident_id);
  const [{ n }] = await app.database.query<{ n: number }>(`select count(*)::int as n from incidents where tenant_id = $1::uuid`, [t.tenant.id]);
  expect(ids.length, 'every incident has a rollup row').toBe(Number(n));
  const strip = ({ updatedAt: _u, ...rest }: Record<string, unknown>) => rest;
  const rows = await app.database.db.query.incidentSla.findMany({ where: (s, { eq }) => eq(s.tenantId, t.tenant.id) });
  const recomputed = await computeSla(app.database.db, ids);
  const byId = (list: { incidentId: string }[]) => [...list].sort((a, b) => a.incidentId.localeCompare(b.incidentId));
  expect(byId(rows).map(strip)).toEqual(byId(recomputed).map(strip));
}

/**
 * Move an incident's history to chosen instants: its k-th transaction (activity entries written
 * together share a time) happens `offsets[k]` seconds after `base`, which becomes its creation;
 * its action cards' completion follows the transaction that completed them. Then recompute.
 */
async function retime(incidentGid: string, base: Date, offsets: number[]) {
  const id = local(incidentGid);
  const times = await app.database.query<{ at: string }>(
    `select distinct created_at::text as at, min(id) over (partition by created_at) as first from activity where incident_id = $1::uuid order by first`,
    [id],
  );
  expect(times.length, `transactions of the incident: ${times.map((t) => t.at).join(', ')}`).toBe(offsets.length);
  await app.database.query(`update incidents set created_at = $2::timestamptz where id = $1::uuid`, [id, base.toISOString()]);
  for (const [k, { at }] of times.entries()) {
    const to = new Date(base.getTime() + offsets[k] * 1000).toISOString();
    await app.database.query(`update action_cards set completed_at = $3::timestamptz where incident_id = $1::uuid and completed_at = $2::timestamptz`, [id, at, to]);
    await app.database.query(`update activity set created_at = $3::timestamptz where incident_id = $1::uuid and created_at = $2::timestamptz`, [id, at, to]);
  }
  await recomputeSla(app.database.db, [id]);
}

const BASE = new Date('2025-06-02T08:00:00.000Z');
const classify = (t: TenantFixture, incidentId: string, classification = 'FALSE_POSITIVE', determination = 'NOT_MALICIOUS') =>
  ok(mutate(app, t.tokens.EXPERT, 'classifyIncident', { incidentId, classification, determination, summary: 'Verdict' }, 'incident { id }'), 'classifyIncident');
const start = (t: TenantFixture, incidentId: string) => ok(mutate(app, t.tokens.EXPERT, 'startInvestigation', { incidentId }, 'incident { id }'), 'startInvestigation');

describe('Incident.sla on scripted timelines', () => {
  it('a true positive: acknowledged, classified, published, the customer completes, resolved', async () => {
    const t = await newTenant(app);
    const inc = await truePositive(app, t); // ingest, start, classify
    const pub = await ok(
      mutate(app, t.tokens.EXPERT, 'publishManagedResponse', { incidentId: inc.id, summary, actions: [{ kind: 'MANUAL', title: 'Reset the password', instructions: 'Reset it' }] }, 'incident { status managedResponse { actions { id } } }'),
      'publishManagedResponse',
    );
    expect(pub.incident.status).toBe('AWAITING_CUSTOMER_ACTION');
    const live = await slaOf(t.tokens.READER, inc.id);
    expect(live).toMatchObject({ timeToResolve: null, customerResponseTime: null, acknowledgeTarget: ACKNOWLEDGE_TARGETS.MEDIUM, breached: false });
    expect(live.timeToAcknowledge).not.toBeNull();
    expect(live.timeToPublish).not.toBeNull();
    await ok(mutate(app, t.tokens.OPERATOR, 'completeManualAction', { actionId: pub.incident.managedResponse.actions[0].id }, 'action { id }'), 'completeManualAction');
    await expectRollupMatchesLog(t);

    await retime(inc.id, BASE, [0, 600, 1500, 3000, 3000 + 7200]);
    expect(await slaOf(t.tokens.READER, inc.id)).toEqual({
      status: 'RESOLVED',
      timeToAcknowledge: 600,
      timeToClassify: 1500,
      timeToPublish: 3000,
      timeToResolve: 10200,
      customerResponseTime: 7200,
      acknowledgeTarget: 7200,
      breached: false,
    });
  });

  it('a false positive acknowledged late (HIGH: 30 min) is breached; resolved when classified', async () => {
    const t = await newTenant(app);
    const inc = await ingest(app, t, { severity: 'HIGH' });
    await start(t, inc.id);
    await classify(t, inc.id);
    await expectRollupMatchesLog(t);
    await retime(inc.id, BASE, [0, 1801, 3000.5]);
    expect(await slaOf(t.tokens.READER, inc.id)).toEqual({
      status: 'RESOLVED',
      timeToAcknowledge: 1801,
      timeToClassify: 3000,
      timeToPublish: null,
      timeToResolve: 3000,
      customerResponseTime: null,
      acknowledgeTarget: 1800,
      breached: true,
    });
    // exactly at the target is not a breach
    await retime(inc.id, BASE, [0, 1800, 3000]);
    expect((await slaOf(t.tokens.READER, inc.id)).breached).toBe(false);
  });

  it('reopened: no time to resolve until resolved again, then the last resolution; the first verdict still counts', async () => {
    const t = await newTenant(app);
    const inc = await ingest(app, t, { severity: 'LOW' });
    await start(t, inc.id);
    await classify(t, inc.id);
    await ok(mutate(app, t.tokens.EXPERT, 'reopenIncident', { incidentId: inc.id }, 'incident { id }'), 'reopenIncident');
    const reopened = await slaOf(t.tokens.READER, inc.id);
    expect(reopened).toMatchObject({ status: 'IN_PROGRESS', timeToResolve: null });
    expect(reopened.timeToClassify).not.toBeNull();
    await classify(t, inc.id, 'INFORMATIONAL_EXPECTED_ACTIVITY', 'CONFIRMED_ACTIVITY');
    await expectRollupMatchesLog(t);
    await retime(inc.id, BASE, [0, 100, 200, 1000, 5000]);
    expect(await slaOf(t.tokens.READER, inc.id)).toMatchObject({ timeToAcknowledge: 100, timeToClassify: 200, timeToResolve: 5000, acknowledgeTarget: 8 * 3600, breached: false });
  });

  it('merged: the source gets nothing further and leaves the metrics; the target keeps its own times', async () => {
    const t = await newTenant(app);
    const target = await ingest(app, t);
    const source = await ingest(app, t);
    await start(t, target.id);
    await ok(mutate(app, t.tokens.EXPERT, 'mergeIncidents', { targetId: target.id, sourceIds: [source.id] }, 'incident { id }'), 'mergeIncidents');
    await expectRollupMatchesLog(t);
    await retime(source.id, BASE, [0, 4000]); // ingested, merged while ACTIVE after 4000 s (< 2 h)
    await retime(target.id, BASE, [0, 900, 4000]); // ingested, acknowledged, merge entry
    expect(await slaOf(t.tokens.EXPERT, source.id)).toEqual({
      status: 'REDIRECTED',
      timeToAcknowledge: null,
      timeToClassify: null,
      timeToPublish: null,
      timeToResolve: null,
      customerResponseTime: null,
      acknowledgeTarget: 7200,
      breached: false,
    });
    expect(await slaOf(t.tokens.EXPERT, target.id)).toMatchObject({ status: 'IN_PROGRESS', timeToAcknowledge: 900, breached: false });
    const m = await metrics(t.tokens.EXPERT, { tenantId: t.tenantGid, from: '2025-06-01T00:00:00Z', to: '2025-07-01T00:00:00Z', interval: 'MONTH' });
    expect(m.totals.incidents).toBe(1);
  });

  it('suppressed at ingestion: classified and resolved at once, never acknowledged, not breached', async () => {
    const t = await newTenant(app);
    const rule = await mutate(
      app,
      t.tokens.EXPERT,
      'createSuppressionRule',
      { tenantId: t.tenantGid, name: 'Backup agent', conditions: [{ field: 'ALERT_TITLE', operator: 'EQUALS', value: 'Backup agent noise' }] },
      'rule { id }',
    );
    expect(rule.data.createSuppressionRule.errors).toEqual([]);
    const inc = await ingest(app, t, {
      alerts: [{ externalId: `sup-${Date.now()}`, title: 'Backup agent noise', severity: 'MEDIUM', evidence: [{ device: { deviceName: 'SRV-1' } }] }],
    });
    await expectRollupMatchesLog(t);
    expect(await slaOf(t.tokens.READER, inc.id)).toMatchObject({
      status: 'RESOLVED',
      timeToAcknowledge: null,
      timeToClassify: 0,
      timeToResolve: 0,
      breached: false,
    });
  });

  it('an incident still ACTIVE past its target is breached', async () => {
    const t = await newTenant(app);
    const inc = await ingest(app, t, { severity: 'HIGH' });
    expect((await slaOf(t.tokens.READER, inc.id)).breached).toBe(false);
    await retime(inc.id, new Date(Date.now() - 31 * 60_000), [0]);
    expect(await slaOf(t.tokens.READER, inc.id)).toMatchObject({ timeToAcknowledge: null, breached: true });
  });
});

describe('foldSla (the rollup and the recomputation share it)', () => {
  const at = (s: number) => new Date(BASE.getTime() + s * 1000);
  const status = (from: string | null, to: string, s: number) => ({ field: 'status', fromValue: from, toValue: to, createdAt: at(s) });

  it('sums the customer episodes; a merge ends one without counting it; undoing a suppression restarts the acknowledge clock', () => {
    const twice = foldSla(emptySlaTimes(), [
      status(null, 'ACTIVE', 0),
      status('ACTIVE', 'IN_PROGRESS', 10),
      status('IN_PROGRESS', 'AWAITING_CUSTOMER_ACTION', 20),
      status('AWAITING_CUSTOMER_ACTION', 'RESOLVED', 120),
      status('RESOLVED', 'IN_PROGRESS', 200),
      status('IN_PROGRESS', 'AWAITING_CUSTOMER_ACTION', 300),
      status('AWAITING_CUSTOMER_ACTION', 'RESOLVED', 350),
    ]);
    expect(twice).toMatchObject({ customerResponseMs: 150_000, resolvedAt: at(350), acknowledgedAt: at(10), awaitingSince: null });
    const merged = foldSla(emptySlaTimes(), [status(null, 'ACTIVE', 0), status('ACTIVE', 'IN_PROGRESS', 10), status('IN_PROGRESS', 'AWAITING_CUSTOMER_ACTION', 20), status('AWAITING_CUSTOMER_ACTION', 'REDIRECTED', 90)]);
    expect(merged).toMatchObject({ customerResponseMs: null, awaitingSince: null, resolvedAt: null });
    const undone = foldSla(emptySlaTimes(), [status(null, 'ACTIVE', 0), status('ACTIVE', 'RESOLVED', 0), status('RESOLVED', 'ACTIVE', 50)]);
    expect(undone).toMatchObject({ leftActiveAt: null, resolvedAt: null });
    // folding in two steps gives what folding at once gives
    const entries = [status(null, 'ACTIVE', 0), status('ACTIVE', 'IN_PROGRESS', 10), status('IN_PROGRESS', 'AWAITING_CUSTOMER_ACTION', 20), status('AWAITING_CUSTOMER_ACTION', 'RESOLVED', 120)];
    expect(foldSla(foldSla(emptySlaTimes(), entries.slice(0, 3)), entries.slice(3))).toEqual(foldSla(emptySlaTimes(), entries));
  });
});

// ---------------------------------------------------------------- serviceMetrics

const METRICS = `query($tenantId: ID, $from: DateTime!, $to: DateTime!, $interval: MetricsInterval!) {
  serviceMetrics(tenantId: $tenantId, from: $from, to: $to, interval: $interval) {
    buckets { ...B } totals { ...B } } }
  fragment B on MetricsBucket { start end incidents bySeverity { key count } byClassification { key count } byDetermination { key count }
    timeToAcknowledge { count p50 p90 } timeToResolve { count p50 p90 } customerResponseTime { count p50 p90 }
    actionsByKind { key count } actionsByPerformer { key count } breaches }`;

async function metricsResult(token: string, vars: Record<string, unknown>) {
  return app.gql<any, any>(METRICS, vars, token);
}
async function metrics(token: string, vars: Record<string, unknown>) {
  const r = await metricsResult(token, vars);
  expect(r.errors, JSON.stringify(r.errors)).toBeUndefined();
  return r.data.serviceMetrics;
}

/** Ingested incidents created at the given instants (nothing else happened to them). */
async function createdAt(t: TenantFixture, instants: string[]) {
  const ids: string[] = [];
  for (const at of instants) {
    const inc = await ingest(app, t);
    await retime(inc.id, new Date(at), [0]);
    ids.push(inc.id);
  }
  return ids;
}

/** Nearest rank, as percentile_disc: the smallest value with at least p of the values at or below it. */
function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
}

describe('serviceMetrics', () => {
  it('buckets are UTC periods: a day ends at 23:59:59.999, weeks start Monday, months have their own lengths, [from, to) is half-open', async () => {
    const t = await newTenant(app);
    await createdAt(t, [
      '2025-02-28T23:59:59.999Z', // Friday, the last instant of February
      '2025-03-01T00:00:00.000Z', // Saturday
      '2025-03-02T23:59:59.999Z', // Sunday, the last instant of the week
      '2025-03-03T00:00:00.000Z', // Monday
      '2025-04-30T12:00:00.000Z',
    ]);
    const tok = t.tokens.READER;
    const months = await metrics(tok, { from: '2025-02-01T00:00:00Z', to: '2025-05-01T00:00:00Z', interval: 'MONTH' });
    expect(months.buckets.map((b: any) => [b.start, b.end, b.incidents])).toEqual([
      ['2025-02-01T00:00:00.000Z', '2025-03-01T00:00:00.000Z', 1],
      ['2025-03-01T00:00:00.000Z', '2025-04-01T00:00:00.000Z', 3],
      ['2025-04-01T00:00:00.000Z', '2025-05-01T00:00:00.000Z', 1],
    ]);
    expect(months.totals.incidents).toBe(5);
    const weeks = await metrics(tok, { from: '2025-02-24T00:00:00Z', to: '2025-03-10T00:00:00Z', interval: 'WEEK' });
    expect(weeks.buckets.map((b: any) => [b.start, b.incidents])).toEqual([
      ['2025-02-24T00:00:00.000Z', 3],
      ['2025-03-03T00:00:00.000Z', 1],
    ]);
    const days = await metrics(tok, { from: '2025-02-28T00:00:00Z', to: '2025-03-04T00:00:00Z', interval: 'DAY' });
    expect(days.buckets.map((b: any) => b.incidents)).toEqual([1, 1, 1, 1]);
    // half-open and clipped: from excludes what is before it, to excludes itself
    const clipped = await metrics(tok, { from: '2025-03-01T00:00:00Z', to: '2025-03-03T00:00:00Z', interval: 'WEEK' });
    expect(clipped.buckets.map((b: any) => [b.start, b.end, b.incidents])).toEqual([['2025-03-01T00:00:00.000Z', '2025-03-03T00:00:00.000Z', 2]]);
    // an offset in the input names the same instant
    const offset = await metrics(tok, { from: '2025-03-01T01:00:00+01:00', to: '2025-03-03T00:00:00Z', interval: 'DAY' });
    expect(offset.totals.incidents).toBe(2);
    expect(months.totals.bySeverity).toEqual([
      { key: 'INFORMATIONAL', count: 0 },
      { key: 'LOW', count: 0 },
      { key: 'MEDIUM', count: 5 },
      { key: 'HIGH', count: 0 },
    ]);
  });

  it('percentiles, counts and breaches against a direct computation from each incident\'s sla', async () => {
    const t = await newTenant(app);
    const ids: string[] = [];
    // deterministic pseudo-random times, spread over two months
    let seed = 7;
    const rand = (n: number) => ((seed = (seed * 48271) % 2147483647) % n);
    for (let i = 0; i < 23; i++) {
      const severity = (['LOW', 'MEDIUM', 'HIGH'] as const)[i % 3];
      const inc = await ingest(app, t, { severity });
      const base = new Date(Date.UTC(2025, 0, 10 + rand(45), rand(24), rand(60)));
      if (i % 4 === 3) {
        await retime(inc.id, base, [0]); // never acknowledged
      } else {
        await start(t, inc.id);
        if (i % 2 === 0) {
          await classify(t, inc.id);
          await retime(inc.id, base, [0, 1 + rand(9000), 9001 + rand(90000)]);
        } else {
          await retime(inc.id, base, [0, 1 + rand(9000)]);
        }
      }
      ids.push(inc.id);
    }
    await expectRollupMatchesLog(t);
    const slas = await Promise.all(ids.map((id) => slaOf(t.tokens.EXPERT, id)));
    const m = await metrics(t.tokens.EXPERT, { tenantId: t.tenantGid, from: '2025-01-01T00:00:00Z', to: '2025-04-01T00:00:00Z', interval: 'MONTH' });
    const known = (k: keyof Sla) => slas.map((s) => s[k]).filter((v): v is number => typeof v === 'number');
    const expectPercentiles = (got: any, values: number[]) => expect(got).toEqual({ count: values.length, p50: percentile(values, 0.5), p90: percentile(values, 0.9) });
    expectPercentiles(m.totals.timeToAcknowledge, known('timeToAcknowledge'));
    expectPercentiles(m.totals.timeToResolve, known('timeToResolve'));
    expectPercentiles(m.totals.customerResponseTime, []);
    expect(m.totals.incidents).toBe(23);
    expect(m.totals.breaches).toBe(slas.filter((s) => s.breached).length);
    expect(m.totals.byClassification.find((c: any) => c.key === 'FALSE_POSITIVE').count).toBe(slas.filter((s) => s.status === 'RESOLVED').length);
    expect(m.buckets.reduce((n: number, b: any) => n + b.incidents, 0)).toBe(23);
    expect(m.buckets.reduce((n: number, b: any) => n + b.breaches, 0)).toBe(m.totals.breaches);
    // per bucket too: January's incidents alone
    const jan = await metrics(t.tokens.EXPERT, { tenantId: t.tenantGid, from: '2025-01-01T00:00:00Z', to: '2025-02-01T00:00:00Z', interval: 'MONTH' });
    expect(m.buckets[0]).toEqual(jan.totals);
  });

  it('actions by kind and performer: the cards completed in the period', async () => {
    const t = await newTenant(app);
    const inc = await truePositive(app, t);
    const pub = await ok(
      mutate(app, t.tokens.EXPERT, 'publishManagedResponse', {
        incidentId: inc.id,
        summary,
        actions: [
          { kind: 'MANUAL', title: 'One', instructions: 'Do it' },
          { kind: 'MANUAL', title: 'Two', instructions: 'Do it' },
          { kind: 'MANUAL', title: 'Three', instructions: 'Do it' },
        ],
      }, 'incident { managedResponse { actions { id } } }'),
      'publishManagedResponse',
    );
    const [a, b, c] = pub.incident.managedResponse.actions.map((x: any) => x.id);
    await ok(mutate(app, t.tokens.OPERATOR, 'completeManualAction', { actionId: a }, 'action { id }'), 'completeManualAction');
    await ok(mutate(app, t.tokens.OPERATOR, 'completeManualAction', { actionId: b }, 'action { id }'), 'completeManualAction');
    await ok(mutate(app, t.tokens.OPERATOR, 'skipAction', { actionId: c, reason: 'not needed' }, 'action { id }'), 'skipAction');
    const now = Date.now();
    const m = await metrics(t.tokens.READER, { from: new Date(now - 86_400_000).toISOString(), to: new Date(now + 86_400_000).toISOString(), interval: 'DAY' });
    expect(m.totals.actionsByKind).toEqual([{ key: 'MANUAL', count: 2 }]);
    expect(m.totals.actionsByPerformer).toEqual([{ key: 'EXPERTS', count: 0 }, { key: 'CUSTOMER', count: 2 }]);
    const sla = await slaOf(t.tokens.READER, inc.id);
    expect(m.totals.customerResponseTime).toEqual({ count: 1, p50: sla.customerResponseTime, p90: sla.customerResponseTime });
    expect(m.totals.timeToResolve.count).toBe(1);
  });

  it('tenant scoping: customers their own, experts any served tenant or all of them (the sum)', async () => {
    const A = await newTenant(app);
    const B = await newTenant(app);
    await createdAt(A, ['2025-05-05T10:00:00Z', '2025-05-06T10:00:00Z']);
    await createdAt(B, ['2025-05-07T10:00:00Z']);
    const range = { from: '2025-05-01T00:00:00Z', to: '2025-06-01T00:00:00Z', interval: 'WEEK' };
    const foreign = await metricsResult(A.tokens.READER, { ...range, tenantId: B.tenantGid });
    expect(foreign.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    expect((await metrics(A.tokens.READER, range)).totals.incidents).toBe(2);
    expect((await metrics(A.tokens.ADMIN, { ...range, tenantId: A.tenantGid })).totals.incidents).toBe(2);
    const integration = await metricsResult(A.tokens.INTEGRATION, range);
    expect(integration.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect((await metricsResult(A.tokens.EXPERT, { ...range, tenantId: B.tenantGid })).errors?.[0].extensions?.code).toBe('NOT_FOUND');

    const both = await expertServing(app, [A.tenant, B.tenant]);
    const all = await metrics(both.token, range);
    const a = await metrics(both.token, { ...range, tenantId: A.tenantGid });
    const b = await metrics(both.token, { ...range, tenantId: B.tenantGid });
    expect(all.totals.incidents).toBe(3);
    expect(all.buckets.map((x: any) => x.incidents)).toEqual(a.buckets.map((x: any, i: number) => x.incidents + b.buckets[i].incidents));
    for (const key of ['bySeverity', 'byClassification', 'byDetermination'] as const) {
      expect(all.totals[key]).toEqual(a.totals[key].map((c: any, i: number) => ({ key: c.key, count: c.count + b.totals[key][i].count })));
    }
    expect(all.totals.breaches).toBe(a.totals.breaches + b.totals.breaches);
  });

  it('limits the range with a typed error', async () => {
    const t = await newTenant(app);
    const tooLong = await metricsResult(t.tokens.READER, { from: '2024-01-01T00:00:00Z', to: '2025-02-05T00:00:00Z', interval: 'MONTH' });
    expect(tooLong.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(tooLong.errors?.[0].message).toMatch(/400 days/);
    const backwards = await metricsResult(t.tokens.READER, { from: '2025-02-01T00:00:00Z', to: '2025-01-01T00:00:00Z', interval: 'DAY' });
    expect(backwards.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    // 400 days from noon touch 401 days
    const buckets = await metricsResult(t.tokens.READER, { from: '2024-01-01T12:00:00Z', to: '2025-02-04T12:00:00Z', interval: 'DAY' });
    expect(buckets.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const year = await metrics(t.tokens.READER, { from: '2024-01-01T00:00:00Z', to: '2025-01-01T00:00:00Z', interval: 'DAY' });
    expect(year.buckets).toHaveLength(366);
  });
});
