// npm run bench:suppression: what suppression rules cost ingestion. Incidents per second through
// the GraphQL ingestIncident mutation over HTTP, for a tenant with no rules (A) and for a tenant
// with 200 active rules that look like real noise filters but match none of the incidents (B).
// Issue 12 asks B to stay at 80 % of A or better.
//
//   1. a fresh database mdr_suppbench_<timestamp>_<pid> on the DATABASE_URL server (default
//      postgres://postgres@127.0.0.1:5432), migrated, dropped at the end unless BENCH_KEEP_DB=1
//   2. the GraphQL server in its own child process (bench/server.ts: buildServer as src/main.ts
//      runs it, NODE_ENV=production, LOG_LEVEL=silent), as bench/queue.ts starts it
//   3. per scenario and round, a fresh tenant and INTEGRATION token (not measured); for B, 200
//      rules written through the domain (createSuppressionRule, by the tenant ADMIN): every field
//      and operator, 1-3 conditions, many whose first condition does match the bench incidents
//      (alert title, detection source, device group...) so that the matcher goes past it
//   4. measured: BENCH_CONCURRENCY clients post ingestIncident for BENCH_SECONDS after a
//      BENCH_WARMUP; each incident is new (2 alerts, 6 evidence: device, file with hash, process
//      with command line, user with domain and UPN, IP, URL); every answer must be created with
//      no errors
//      A warm-up scenario runs first and is not reported (the server's JIT makes the first minute slower)
//   5. checks: no incident of B was suppressed, and then one control incident that matches a rule
//      is (the rules were live); rounds alternate A B, B A; medians of incidents/s and of CPU ms per
//      incident (server process and the database's Postgres backends, from /proc: steadier than
//      throughput on a shared machine), the ratio B / A, and bench/.results/suppression-<time>.json
//
// Knobs: BENCH_SECONDS=10 BENCH_WARMUP=2 BENCH_CONCURRENCY=8 BENCH_ROUNDS=3 BENCH_RULES=200
// BENCH_KEEP_DB=1 DATABASE_POOL_SIZE=10
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { gqlRequest, startChildServer, stopChildServer, type ChildServer } from './shared';
import { openDatabase, type Database } from '../src/db/client';
import { createTenant, principalWithToken } from '../src/domain/admin';
import { createDomainContext } from '../src/domain/context';
import { createSuppressionRule, type SuppressionConditionInput } from '../src/domain/suppression';
import { viewerForToken } from '../src/domain/tokens';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = (msg: string) => process.stderr.write(`[bench:suppression] ${msg}\n`);
const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const opts = {
  seconds: num('BENCH_SECONDS', 10),
  warmup: num('BENCH_WARMUP', 2),
  concurrency: num('BENCH_CONCURRENCY', 8),
  rounds: num('BENCH_ROUNDS', 3),
  rules: num('BENCH_RULES', 200),
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const INGEST = `mutation($input: IngestIncidentInput!) { ingestIncident(input: $input) { created incident { id status } errors { code message } } }`;

/** A realistic new incident (nothing in it matches any bench rule). */
function incident(n: number, prefix: string) {
  const ext = `${prefix}-${n}`;
  const device = `WS-${prefix}-${n % 500}`;
  return {
    externalId: ext,
    title: `Suspicious activity ${n}`,
    severity: (['LOW', 'MEDIUM', 'HIGH'] as const)[n % 3],
    alerts: [
      {
        externalId: `${ext}-1`,
        title: 'Suspicious PowerShell command line',
        severity: 'MEDIUM',
        category: 'Execution',
        detectionSource: 'EDR',
        evidence: [
          { device: { deviceName: device, deviceGroup: 'Workstations', osPlatform: 'Windows11' } },
          { file: { deviceName: device, fileName: 'invoke.ps1', filePath: 'C:\\Users\\Public', sha256: randomUUID().replace(/-/g, '').repeat(2) } },
          { process: { deviceName: device, processName: 'powershell.exe', commandLine: `powershell -nop -enc ${randomUUID()}` } },
        ],
      },
      {
        externalId: `${ext}-2`,
        title: 'Connection to a rare external address',
        severity: 'LOW',
        category: 'CommandAndControl',
        detectionSource: 'Network',
        evidence: [
          { user: { accountName: `user${n % 200}`, domain: 'CORP', upn: `user${n % 200}@corp.example.com` } },
          { ip: { address: `198.51.100.${n % 250}` } },
          { url: { url: `https://cdn-${n % 50}.example.net/a` } },
        ],
      },
    ],
  };
}

/** Rule i of 200: plausible noise filters; the many whose first condition holds make the matcher look further. */
function ruleConditions(i: number): SuppressionConditionInput[] {
  const c = (field: SuppressionConditionInput['field'], operator: SuppressionConditionInput['operator'], value: string) => ({ field, operator, value });
  switch (i % 10) {
    case 0:
      return [c('ALERT_TITLE', 'CONTAINS', 'powershell'), c('DEVICE_GROUP', 'EQUALS', `Build servers ${i}`)];
    case 1:
      return [c('DETECTION_SOURCE', 'EQUALS', 'EDR'), c('EVIDENCE_VALUE', 'GLOB', `*\\tools\\scanner-${i}\\*.exe`)];
    case 2:
      return [c('DEVICE_NAME', 'GLOB', `SCAN-${i}-??`)];
    case 3:
      return [c('ACCOUNT', 'EQUALS', `CORP\\svc_backup${i}`)];
    case 4:
      return [c('CATEGORY', 'EQUALS', 'Execution'), c('ALERT_TITLE', 'GLOB', 'suspicious * command line'), c('ACCOUNT', 'CONTAINS', `svc_deploy${i}`)];
    case 5:
      return [c('EVIDENCE_VALUE', 'CONTAINS', `qualys-agent-${i}`)];
    case 6:
      return [c('DEVICE_GROUP', 'EQUALS', 'Workstations'), c('ALERT_TITLE', 'EQUALS', `Nessus probe ${i}`)];
    case 7:
      return [c('ALERT_TITLE', 'GLOB', `*vulnerability scan ${i}*`)];
    case 8:
      return [c('EVIDENCE_VALUE', 'EQUALS', `10.${i}.0.1`), c('DETECTION_SOURCE', 'CONTAINS', 'network')];
    default:
      return [c('ACCOUNT', 'GLOB', `*@lab-${i}.example.com`), c('CATEGORY', 'CONTAINS', 'discovery')];
  }
}

// ---- CPU accounting (Linux /proc, as bench/queue.ts does) --------------------------------------
// On a shared 2-core machine incidents/s moves with whatever else runs; CPU time per incident of the
// server process and of the Postgres backends serving the bench database moves much less.

const TICK_MS = 10; // USER_HZ is 100 on Linux

function cpuTicks(pid: number, dbName: string): { server: number; db: number } {
  if (!fs.existsSync('/proc')) return { server: 0, db: 0 };
  let server = 0;
  let db = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(f[11]) + Number(f[12]); // utime + stime
      if (Number(entry) === pid) server += ticks;
      else if (stat.includes('(postgres)')) {
        const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
        if (cmd.startsWith('postgres: ') && cmd.includes(` ${dbName} `)) db += ticks;
      }
    } catch {
      // the process is gone
    }
  }
  return { server, db };
}


// ---- one scenario -----------------------------------------------------------------------------

async function scenario(database: Database, server: ChildServer, dbName: string, kind: 'A' | 'B', round: number) {
  const url = server.url;
  const slug = `supp-${kind.toLowerCase()}${round}-${randomUUID().slice(0, 6)}`;
  const tenant = await createTenant(database.db, { slug, name: `Bench ${slug}` });
  const integration = (await principalWithToken(database.db, { tenantId: tenant.id, role: 'INTEGRATION', name: 'bench integration' })).token;
  const admin = (await principalWithToken(database.db, { tenantId: tenant.id, role: 'ADMIN', name: 'bench admin' })).token;
  if (kind === 'B') {
    const ctx = createDomainContext(database, await viewerForToken(database.db, admin));
    for (let i = 0; i < opts.rules; i++) await createSuppressionRule(ctx, { name: `Noise filter ${i}`, conditions: ruleConditions(i), includeHighSeverity: i % 4 === 0 });
  }
  await database.query('analyze');

  let n = 0;
  let counting = false;
  let counted = 0;
  let stop = false;
  const failures: string[] = [];
  const worker = async () => {
    while (!stop) {
      const r = await gqlRequest(url, integration, INGEST, { input: incident(n++, slug) });
      const p = r.data?.ingestIncident;
      if (r.errors || !p || p.errors.length || !p.created) failures.push(JSON.stringify(r).slice(0, 300));
      else if (counting) counted += 1;
    }
  };
  const workers = Array.from({ length: opts.concurrency }, worker);
  await sleep(opts.warmup * 1000);
  counting = true;
  const t0 = Date.now();
  const cpu0 = cpuTicks(server.proc.pid!, dbName);
  await sleep(opts.seconds * 1000);
  counting = false;
  const cpu1 = cpuTicks(server.proc.pid!, dbName);
  const elapsed = Date.now() - t0;
  stop = true;
  await Promise.all(workers);
  if (failures.length) throw new Error(`${failures.length} ingestions failed, e.g. ${failures[0]}`);

  const [{ suppressed }] = await database.query<{ suppressed: number }>(
    'select count(*)::int as suppressed from incidents where tenant_id = $1 and suppressed_by_rule_id is not null',
    [tenant.id],
  );
  if (Number(suppressed) !== 0) throw new Error(`${suppressed} bench incidents were suppressed: a rule matched`);
  if (kind === 'B' && opts.rules > 2) {
    // the rules were live: an incident that matches rule 2 (DEVICE_NAME GLOB SCAN-2-??) is resolved
    const control = incident(0, `${slug}-control`);
    control.alerts[0].evidence[0] = { device: { deviceName: 'scan-2-ab', deviceGroup: 'Scanners', osPlatform: 'Linux' } };
    control.severity = 'LOW';
    const r = await gqlRequest(url, integration, INGEST, { input: control });
    if (r.data?.ingestIncident.incident.status !== 'RESOLVED') throw new Error(`the control incident was not suppressed: ${JSON.stringify(r)}`);
  }
  const perIncident = (ticks: number) => Math.round(((ticks * TICK_MS) / Math.max(1, counted)) * 100) / 100;
  const result = {
    kind,
    round,
    rules: kind === 'B' ? opts.rules : 0,
    incidents: counted,
    perSecond: Math.round((counted / elapsed) * 1000 * 10) / 10,
    serverCpuMs: perIncident(cpu1.server - cpu0.server),
    dbCpuMs: perIncident(cpu1.db - cpu0.db),
  };
  log(`${kind} round ${round}: ${JSON.stringify(result)}`);
  return result;
}

async function main() {
  const serverUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const name = `mdr_suppbench_${Date.now()}_${process.pid}`;
  const admin = postgres(serverUrl.toString(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), poolSize: 2 });
  let server: ChildServer | null = null;
  const results: Awaited<ReturnType<typeof scenario>>[] = [];
  try {
    await database.migrate();
    server = await startChildServer(url.toString(), { log, timeoutMs: 30_000 });
    log(`database ${name}; ${opts.rules} rules, ${opts.concurrency} clients, ${opts.seconds} s measured (+${opts.warmup} s warm-up), ${opts.rounds} rounds`);
    await scenario(database, server, name, 'B', 0); // warm-up (JIT, caches, pool), not reported
    for (let round = 1; round <= opts.rounds; round++) {
      const order = round % 2 ? (['A', 'B'] as const) : (['B', 'A'] as const);
      for (const kind of order) results.push(await scenario(database, server, name, kind, round));
    }
  } finally {
    if (server) await stopChildServer(server.proc);
    await database.close();
    if (process.env.BENCH_KEEP_DB !== '1') await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  };
  const med = (kind: 'A' | 'B', f: 'perSecond' | 'serverCpuMs' | 'dbCpuMs') => median(results.filter((r) => r.kind === kind).map((r) => r[f]));
  const a = med('A', 'perSecond');
  const b = med('B', 'perSecond');
  const ratio = Math.round((b / a) * 1000) / 10;
  const cpuA = med('A', 'serverCpuMs') + med('A', 'dbCpuMs');
  const cpuB = med('B', 'serverCpuMs') + med('B', 'dbCpuMs');
  const cpuRatio = Math.round((cpuA / cpuB) * 1000) / 10;
  console.log('\nscenario  round  rules  incidents  incidents/s  server CPU ms/incident  Postgres CPU ms/incident');
  for (const r of results) {
    console.log(`${r.kind.padEnd(9)} ${String(r.round).padEnd(6)} ${String(r.rules).padEnd(6)} ${String(r.incidents).padEnd(10)} ${String(r.perSecond).padEnd(12)} ${String(r.serverCpuMs).padEnd(22)} ${r.dbCpuMs}`);
  }
  console.log(`\nmedian incidents/s: A (no rules) ${a}, B (${opts.rules} rules) ${b}: ${ratio} % (must be >= 80 %)`);
  console.log(`median CPU ms per incident (server + Postgres): A ${Math.round(cpuA * 100) / 100}, B ${Math.round(cpuB * 100) / 100}: B / A ${Math.round((cpuB / cpuA) * 1000) / 10} % (throughput at equal CPU: ${cpuRatio} %)`);
  const dir = path.join(root, 'bench', '.results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `suppression-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ opts, results, summary: { a, b, ratio, cpuA, cpuB, cpuRatio } }, null, 2));
  log(`results in ${path.relative(root, file)}`);
  if (ratio < 80) process.exitCode = 1;
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
