// npm run bench:metrics: serviceMetrics over a year for a 120,000-incident tenant (issue 13), next
// to a hand-written single SQL aggregate over the same data in the same run (the baseline).
//
//   1. a fresh database mdr_metricsbench_<timestamp>_<pid> on the DATABASE_URL server (default
//      postgres://postgres@127.0.0.1:5432), migrated, dropped at the end unless BENCH_KEEP_DB=1
//   2. one tenant, BENCH_INCIDENTS incidents spread evenly over 2025, written in bulk with
//      generate_series (not measured): the incidents, their activity entries as the domain writes
//      them (ingested, acknowledged, classified, published, awaiting the customer, resolved), the
//      SLA rollup rows, and completed action cards (experts' isolations, customers' manual steps).
//      Mix: 60 % false positives, 20 % true positives the customer finished, 10 % awaiting the
//      customer, 5 % under investigation, 5 % never acknowledged. A sample of rollup rows is
//      recomputed from the log (src/domain/sla.ts) and must be equal: the data is consistent.
//   3. the GraphQL server in this process (buildServer, NODE_ENV=production, on port 0); measured
//      over HTTP: serviceMetrics(from 2025-01-01, to 2026-01-01, MONTH) with every field, as the
//      tenant's READER; BENCH_WARMUP runs first, then the median of BENCH_RUNS
//   4. the baseline: one hand-written SQL statement (postgres.js, the same server) giving the same
//      answer: per month and for the year (grouping sets), counts by severity, classification and
//      determination, p50/p90 of the three times and the breaches over the same rollup rows, and
//      the actions by kind and performer per month; median of as many runs. The goal: GraphQL
//      within 1.5x of it.
//
// Knobs: BENCH_INCIDENTS=120000 BENCH_RUNS=9 BENCH_WARMUP=3 BENCH_KEEP_DB=1
import { buildServiceReport, parseMonth } from '../src/domain/report/data';
import { renderServiceReportHtml } from '../src/domain/report/html';
import postgres from 'postgres';
import { loadConfig } from '../src/config';
import { openDatabase } from '../src/db/client';
import { createTenant, principalWithToken } from '../src/domain/admin';
import { DETERMINATIONS } from '../src/domain/enums';
import { computeSla } from '../src/domain/sla';
import { createLogger } from '../src/log';
import { buildServer } from '../src/server';

const log = (msg: string) => process.stderr.write(`[bench:metrics] ${msg}\n`);
const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const N = num('BENCH_INCIDENTS', 120_000);
const RUNS = num('BENCH_RUNS', 9);
const WARMUP = num('BENCH_WARMUP', 3);
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// offsets in seconds from creation, per incident g (deterministic)
const GEN = `
  with g as (
    select g, '2025-01-01T00:00:00Z'::timestamptz + (g - 1) * (31536000.0 / ${N}) * interval '1 second' as ts,
      g % 20 as mix,
      (array['INFORMATIONAL','LOW','MEDIUM','HIGH'])[1 + (g * 7) % 4]::severity as severity,
      60 + (g * 7919) % 9000 as a
    from generate_series(1::bigint, ${N}) g
  ) select *, a + 300 + (g * 104729) % 3600 as c, a + 4200 + (g * 31) % 1800 as p, a + 6000 + (g * 13) % 86400 as r,
    case when mix < 12 then 'FP' when mix < 16 then 'TP' when mix < 18 then 'AWAIT' when mix = 18 then 'WORK' else 'NEW' end as path
  from g`;

async function generate(sql: postgres.Sql, tenantId: string) {
  const t = Date.now();
  await sql.unsafe(`create temporary table bench_gen as ${GEN}`);
  await sql.unsafe(`alter table bench_gen add column id uuid not null default gen_random_uuid()`);
  await sql.unsafe(`
    insert into incidents (id, tenant_id, number, title, severity, status, classification, determination, assignment, created_at, updated_at)
    select id, $1, g, 'Bench incident ' || g, severity,
      (case path when 'FP' then 'RESOLVED' when 'TP' then 'RESOLVED' when 'AWAIT' then 'AWAITING_CUSTOMER_ACTION' when 'WORK' then 'IN_PROGRESS' else 'ACTIVE' end)::incident_status,
      (case path when 'FP' then 'FALSE_POSITIVE' when 'NEW' then 'UNKNOWN' when 'WORK' then 'UNKNOWN' else 'TRUE_POSITIVE' end)::classification,
      (case path when 'FP' then 'NOT_MALICIOUS' when 'NEW' then 'UNKNOWN' when 'WORK' then 'UNKNOWN' else 'MALWARE' end)::determination,
      'UNASSIGNED', ts, ts
    from bench_gen`, [tenantId]);
  // the activity entries, in time order (their ids are the log's order)
  await sql.unsafe(`
    insert into activity (tenant_id, incident_id, field, from_value, to_value, note, created_at)
    select $1::uuid, id, field, f, tv, null, at from (
      select id, 'status' as field, null as f, 'ACTIVE' as tv, ts as at, 0 as k from bench_gen
      union all select id, 'status', 'ACTIVE', 'IN_PROGRESS', ts + a * interval '1 second', 1 from bench_gen where path <> 'NEW'
      union all select id, 'classification', 'UNKNOWN', case path when 'FP' then 'FALSE_POSITIVE' else 'TRUE_POSITIVE' end, ts + c * interval '1 second', 2 from bench_gen where path in ('FP', 'TP', 'AWAIT')
      union all select id, 'status', 'IN_PROGRESS', 'RESOLVED', ts + c * interval '1 second', 3 from bench_gen where path = 'FP'
      union all select id, 'managedResponse', null, 'published', ts + p * interval '1 second', 4 from bench_gen where path in ('TP', 'AWAIT')
      union all select id, 'status', 'IN_PROGRESS', 'AWAITING_CUSTOMER_ACTION', ts + p * interval '1 second', 5 from bench_gen where path in ('TP', 'AWAIT')
      union all select id, 'status', 'AWAITING_CUSTOMER_ACTION', 'RESOLVED', ts + r * interval '1 second', 6 from bench_gen where path = 'TP'
    ) e order by at, id, k`, [tenantId]);
  await sql.unsafe(`
    insert into incident_sla (incident_id, tenant_id, severity, status, classification, determination, created_at,
      acknowledged_at, left_active_at, classified_at, published_at, resolved_at, awaiting_since, customer_response_ms)
    select b.id, $1::uuid, b.severity, i.status, i.classification, i.determination, b.ts,
      case when path <> 'NEW' then ts + a * interval '1 second' end,
      case when path <> 'NEW' then ts + a * interval '1 second' end,
      case when path in ('FP', 'TP', 'AWAIT') then ts + c * interval '1 second' end,
      case when path in ('TP', 'AWAIT') then ts + p * interval '1 second' end,
      case path when 'FP' then ts + c * interval '1 second' when 'TP' then ts + r * interval '1 second' end,
      case when path = 'AWAIT' then ts + p * interval '1 second' end,
      case when path = 'TP' then (r - p)::bigint * 1000 end
    from bench_gen b join incidents i on i.id = b.id`, [tenantId]);
  // completed cards: the experts' isolation when published, the customer's manual step when resolved
  await sql.unsafe(`
    insert into action_cards (tenant_id, incident_id, revision, position, kind, title, status, performed_by, created_at, updated_at, completed_at)
    select $1::uuid, id, 1, 0, 'ISOLATE_DEVICE'::action_kind, 'Isolate device', 'COMPLETED'::action_status, 'EXPERTS'::side, ts + p * interval '1 second', ts + p * interval '1 second', ts + p * interval '1 second'
      from bench_gen where path in ('TP', 'AWAIT')
    union all
    select $1::uuid, id, 1, 1, 'MANUAL'::action_kind, 'Reset the password', 'COMPLETED'::action_status, 'CUSTOMER'::side, ts + p * interval '1 second', ts + r * interval '1 second', ts + r * interval '1 second'
      from bench_gen where path = 'TP'`, [tenantId]);
  await sql.unsafe('analyze');
  const [{ n }] = await sql.unsafe(`select count(*)::int as n from activity where tenant_id = $1`, [tenantId]);
  log(`generated ${N} incidents, ${n} activity entries, rollup and cards in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}

const BASELINE = `
  with m as (
    select date_trunc('month', created_at, 'UTC') as month, count(*) as incidents,
      count(*) filter (where severity = 'INFORMATIONAL') as info, count(*) filter (where severity = 'LOW') as low,
      count(*) filter (where severity = 'MEDIUM') as medium, count(*) filter (where severity = 'HIGH') as high,
      count(*) filter (where classification = 'UNKNOWN') as unknown, count(*) filter (where classification = 'INFORMATIONAL_EXPECTED_ACTIVITY') as expected,
      count(*) filter (where classification = 'TRUE_POSITIVE') as tp, count(*) filter (where classification = 'FALSE_POSITIVE') as fp,
      ${DETERMINATIONS.map((d) => `count(*) filter (where determination = '${d}') as "${d}"`).join(', ')},
      percentile_disc(0.5) within group (order by extract(epoch from acknowledged_at - created_at)) as ack50,
      percentile_disc(0.9) within group (order by extract(epoch from acknowledged_at - created_at)) as ack90,
      percentile_disc(0.5) within group (order by extract(epoch from resolved_at - created_at)) as res50,
      percentile_disc(0.9) within group (order by extract(epoch from resolved_at - created_at)) as res90,
      percentile_disc(0.5) within group (order by customer_response_ms) as cus50,
      percentile_disc(0.9) within group (order by customer_response_ms) as cus90,
      count(*) filter (where coalesce(left_active_at, now()) - created_at >
        case severity when 'HIGH' then interval '30 minutes' when 'MEDIUM' then interval '2 hours' when 'LOW' then interval '8 hours' else interval '24 hours' end) as breaches
    from incident_sla
    where tenant_id = $1 and created_at >= '2025-01-01T00:00:00Z' and created_at < '2026-01-01T00:00:00Z' and status <> 'REDIRECTED'
    group by grouping sets ((1), ())
  ), a as (
    select month, json_agg(json_build_array(kind, performed_by, n)) as actions from (
      select date_trunc('month', completed_at, 'UTC') as month, kind, performed_by, count(*) as n from action_cards
      where tenant_id = $1 and completed_at >= '2025-01-01T00:00:00Z' and completed_at < '2026-01-01T00:00:00Z' and status = 'COMPLETED'
      group by 1, 2, 3) x
    group by 1
  )
  select m.*, a.actions from m left join a using (month) order by m.month nulls last`;

const QUERY = `query($from: DateTime!, $to: DateTime!) { serviceMetrics(from: $from, to: $to, interval: MONTH) {
  buckets { ...B } totals { ...B } } }
  fragment B on MetricsBucket { start end incidents bySeverity { key count } byClassification { key count } byDetermination { key count }
    timeToAcknowledge { count p50 p90 } timeToResolve { count p50 p90 } customerResponseTime { count p50 p90 }
    actionsByKind { key count } actionsByPerformer { key count } breaches }`;

async function main() {
  const name = `mdr_metricsbench_${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}_${process.pid}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const databaseUrl = url.toString();
  const database = await openDatabase({ databaseUrl, poolSize: 10 });
  const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  let server: ReturnType<typeof buildServer> | null = null;
  try {
    await database.migrate();
    const tenant = await createTenant(database.db, { slug: 'bench-metrics', name: 'Bench metrics' });
    const { token } = await principalWithToken(database.db, { tenantId: tenant.id, role: 'READER', name: 'Bench reader' });
    await generate(sql, tenant.id);

    // the generated rollup is what the log gives
    const sample = await sql.unsafe<{ id: string }[]>(`select id from incidents where tenant_id = $1 order by random() limit 300`, [tenant.id]);
    const recomputed = await computeSla(database.db, sample.map((s) => s.id));
    const stored = await database.db.query.incidentSla.findMany({ where: (s, { inArray }) => inArray(s.incidentId, sample.map((x) => x.id)) });
    const key = (r: Record<string, unknown>) => JSON.stringify({ ...r, updatedAt: null });
    const storedBy = new Map(stored.map((r) => [r.incidentId, key(r)]));
    const mismatched = recomputed.filter((r) => storedBy.get(r.incidentId) !== key(r));
    if (mismatched.length > 0) throw new Error(`${mismatched.length} generated rollup rows differ from the log's recomputation, e.g. ${key(mismatched[0])} vs ${storedBy.get(mismatched[0].incidentId)}`);
    log(`rollup = recomputation from the log on a sample of ${sample.length}`);

    process.env.NODE_ENV = 'production';
    const config = loadConfig({ ...process.env, DATABASE_URL: databaseUrl, PORT: '0', HOST: '127.0.0.1', MDR_DEMO: '0', RATE_LIMIT_PER_MINUTE: '10000000', LOG_LEVEL: 'silent' });
    server = buildServer({ config, database, log: createLogger('silent') });
    await server.start();
    const endpoint = `http://127.0.0.1:${server.port}/graphql`;
    const body = JSON.stringify({ query: QUERY, variables: { from: '2025-01-01T00:00:00Z', to: '2026-01-01T00:00:00Z' } });
    const viaGraphql = async () => {
      const t = performance.now();
      const res = await fetch(endpoint, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
      const json = (await res.json()) as { data?: { serviceMetrics: { totals: { incidents: number } } }; errors?: unknown };
      if (json.errors || json.data?.serviceMetrics.totals.incidents !== N) throw new Error(`unexpected answer: ${JSON.stringify(json).slice(0, 400)}`);
      return performance.now() - t;
    };
    const viaSql = async () => {
      const t = performance.now();
      const rows = await sql.unsafe(BASELINE, [tenant.id]);
      if (rows.length !== 13) throw new Error(`baseline gave ${rows.length} rows (12 months and the year)`);
      return performance.now() - t;
    };
    for (let i = 0; i < WARMUP; i++) {
      await viaGraphql();
      await viaSql();
    }
    const g: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      // alternate, so that neither always runs on a cache the other warmed
      if (i % 2 === 0) {
        g.push(await viaGraphql());
        b.push(await viaSql());
      } else {
        b.push(await viaSql());
        g.push(await viaGraphql());
      }
    }
    // the monthly service report of one month of the same tenant: its data and the page with its four SVG charts
    const page: number[] = [];
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const t = performance.now();
      const report = await buildServiceReport(database, tenant.id, parseMonth('2025-06'));
      const html = await renderServiceReportHtml(report, { providerName: 'Bench' });
      if ((html.match(/<svg/g) ?? []).length !== 4 || report.metrics.totals.incidents === 0) throw new Error('the report page lacks its charts or incidents');
      if (i >= WARMUP) page.push(performance.now() - t);
    }
    const result = {
      reportPageMedianMs: +median(page).toFixed(1),
      incidents: N,
      runs: RUNS,
      graphqlMedianMs: +median(g).toFixed(1),
      baselineMedianMs: +median(b).toFixed(1),
      ratio: +(median(g) / median(b)).toFixed(2),
      graphqlMs: g.map((x) => +x.toFixed(1)),
      baselineMs: b.map((x) => +x.toFixed(1)),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    log(`serviceMetrics (GraphQL, year by MONTH): median ${result.graphqlMedianMs} ms; baseline SQL: ${result.baselineMedianMs} ms; ratio ${result.ratio} (goal <= 1.5)`);
    log(`service report page (June 2025, data + 4 SVG charts): median ${result.reportPageMedianMs} ms`);
  } finally {
    await server?.stop().catch(() => {});
    await sql.end();
    await database.close();
    if (process.env.BENCH_KEEP_DB !== '1') await admin.unsafe(`drop database if exists ${name}`);
    await admin.end();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
