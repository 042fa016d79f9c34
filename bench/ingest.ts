// npm run bench:ingest: ingestion throughput. Incidents of 10 alerts and 40 evidence rows each
// (devices, files with hashes, processes with command lines, users with UPNs, IPs, URLs, emails)
// through the GraphQL ingestIncident mutation over HTTP, as the tenant's INTEGRATION principal,
// against a baseline in the same run: the same rows written with raw SQL, multi-row statements in
// one transaction per incident. Then the same batch is ingested again (idempotent on externalId:
// every answer must say created: false and nothing may be written). Issue 14 asks the API for 50 %
// of the baseline or better, and the re-ingestion for at least the first ingestion's rate.
//
//   1. a fresh database mdr_ingestbench_<timestamp>_<pid> on the DATABASE_URL server (default
//      postgres://postgres@127.0.0.1:5432), migrated, dropped at the end unless BENCH_KEEP_DB=1
//   2. the GraphQL server in its own child process (bench/server.ts: buildServer as src/main.ts
//      runs it, NODE_ENV=production, LOG_LEVEL=silent); the baseline runs in this process on its
//      own postgres.js pool of DATABASE_POOL_SIZE (10) connections, prepared statements, like the
//      server's
//   3. per round and side a fresh tenant (not measured) and BENCH_INCIDENTS new incidents, made
//      before the clock starts; devices, users, IPs and URLs come from per-tenant pools, so later
//      incidents meet entities earlier ones created (upserts that hit), as a real feed does
//   4. measured, BENCH_CONCURRENCY clients each side:
//        api      POST ingestIncident per incident (every answer created, no errors)
//        sql      per incident one transaction: next incident number, then multi-row upserts of
//                 devices, files, accounts, indicators (RETURNING ids), the incident, its alerts,
//                 its evidence: 9 statements
//        again    the api side's batch posted once more (created: false, same row counts after)
//      rows/s = incidents × 51 (1 incident + 10 alerts + 40 evidence rows) / wall time; the entity
//      rows (devices, files, accounts, indicators) are written by both sides but not counted
//   5. a warm-up round (not reported), then BENCH_ROUNDS rounds in the order api sql, sql api, …;
//      medians, the ratios, CPU ms per incident from /proc: "app" = the server process plus this
//      one (what earlier runs printed: for api that includes the HTTP client's share), then the
//      server and this process apart, and the Postgres backends of the bench database; and the
//      statements one ingestIncident sends (the domain function in this process, Database.stats),
//      first and again; bench/.results/ingest-<time>.json
//
// Knobs: BENCH_INCIDENTS=200 BENCH_CONCURRENCY=4 BENCH_ROUNDS=3 BENCH_KEEP_DB=1 DATABASE_POOL_SIZE=10
//   BENCH_CPU_PROF=<dir> (the server child writes a V8 CPU profile there: bench/shared.ts)
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { gqlRequest, startChildServer, stopChildServer, type ChildServer } from './shared';
import { openDatabase, type Database } from '../src/db/client';
import { createTenant, principalWithToken } from '../src/domain/admin';
import { createDomainContext } from '../src/domain/context';
import { ingestIncident, type IngestIncidentInput } from '../src/domain/ingest';
import { viewerForToken } from '../src/domain/tokens';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = (msg: string) => process.stderr.write(`[bench:ingest] ${msg}\n`);
const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const opts = {
  incidents: num('BENCH_INCIDENTS', 200),
  concurrency: num('BENCH_CONCURRENCY', 4),
  rounds: num('BENCH_ROUNDS', 3),
  poolSize: num('DATABASE_POOL_SIZE', 10),
};
const ROWS_PER_INCIDENT = 1 + 10 + 40;

const INGEST = `mutation($input: IngestIncidentInput!) { ingestIncident(input: $input) { created incident { id } errors { code message } } }`;

// ---- the incidents ------------------------------------------------------------------------------

type Evidence = NonNullable<IngestIncidentInput['alerts'][number]['evidence'][number]>;
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/**
 * Incident n of a tenant's batch: 10 alerts of 4 evidence each, on 2 of the tenant's devices.
 * Per incident: 10 device, 8 file, 7 process, 6 user, 4 IP, 4 URL and 1 email evidence rows.
 */
function makeIncident(n: number, prefix: string): IngestIncidentInput {
  const ext = `${prefix}-${n}`;
  const hosts = [`WS-${(n * 7) % 300}`, `SRV-${(n * 3) % 40}`];
  const user = (k: number) => (n * 5 + k) % 150;
  const titles = [
    'Suspicious PowerShell command line',
    'Credential dumping from LSASS memory',
    'Connection to a rare external address',
    'Ransomware-like file modifications',
    'Suspicious scheduled task created',
  ];
  const alerts = Array.from({ length: 10 }, (_, a) => {
    const host = hosts[a % 2];
    const more: Evidence[] = [];
    const pick = (k: number): Evidence => {
      switch ((a * 3 + k) % 10) {
        case 0:
        case 5:
          return { file: { deviceName: host, fileName: `payload-${n}-${a}-${k}.dll`, filePath: 'C:\\Users\\Public\\AppData', sha256: hex(32), sha1: hex(20) } };
        case 1:
        case 6:
          return { process: { deviceName: host, processName: 'powershell.exe', commandLine: `powershell -nop -w hidden -enc ${hex(24)}`, processId: 1000 + a * 10 + k } };
        case 2:
        case 7:
          return { user: { accountName: `user${user(k)}`, domain: 'CORP', upn: `user${user(k)}@corp.example.com`, displayName: `User ${user(k)}` } };
        case 3:
          return { ip: { address: `203.0.113.${(n + a + k) % 250}` } };
        case 4:
          return { url: { url: `https://cdn-${(n + a) % 60}.example.net/p/${k}` } };
        case 8:
          return a === 3
            ? { email: { networkMessageId: `<${hex(8)}@mail.example.com>`, recipient: `user${user(k)}@corp.example.com`, sender: 'invoice@billing.example.org', subject: `Invoice ${n}` } }
            : { file: { deviceName: host, fileName: `dropper-${n}-${a}.exe`, filePath: 'C:\\Temp', sha256: hex(32) } };
        default:
          return { process: { deviceName: host, processName: 'rundll32.exe', commandLine: `rundll32.exe payload-${n}.dll,Start` } };
      }
    };
    for (let k = 0; k < 3; k++) more.push(pick(k));
    return {
      externalId: `${ext}-a${a}`,
      title: titles[(n + a) % titles.length],
      severity: (['LOW', 'MEDIUM', 'HIGH'] as const)[(n + a) % 3],
      category: ['Execution', 'CredentialAccess', 'CommandAndControl', 'Impact', 'Persistence'][(n + a) % 5],
      detectionSource: a % 3 ? 'EDR' : 'Antivirus',
      evidence: [{ device: { deviceName: host, deviceGroup: a % 2 ? 'Servers' : 'Workstations', osPlatform: a % 2 ? 'WindowsServer2022' : 'Windows11' } }, ...more],
    };
  });
  return { externalId: ext, title: `Multi-stage attack ${n}`, description: 'Correlated by the bench source', severity: (['MEDIUM', 'HIGH'] as const)[n % 2], alerts };
}

// ---- the raw-SQL baseline -----------------------------------------------------------------------

type Sql = ReturnType<typeof postgres>;

/**
 * The same rows through raw SQL: one transaction, multi-row statements, entity ids by RETURNING.
 * What it skips that the service does: validation, the activity entry and outbox, search text,
 * priority score, suppression rules, per-externalId locking and the dedupe.
 */
async function sqlIngest(sql: Sql, tenantId: string, inc: IngestIncidentInput): Promise<void> {
  const lc = (s: string) => s.toLowerCase();
  const devs = new Map<string, { name: string; group: string | null; os: string | null }>();
  const files = new Map<string, { device: string; name: string; path: string; sha1: string | null; sha256: string | null }>();
  const accts = new Map<string, { name: string; domain: string | null; upn: string; display: string | null }>();
  const inds = new Map<string, { type: string; value: string }>();
  const mails = new Map<string, { id: string; recipient: string; sender: string | null; subject: string | null }>();
  for (const a of inc.alerts) {
    for (const e of a.evidence) {
      if (e.device) devs.set(lc(e.device.deviceName), { name: e.device.deviceName, group: e.device.deviceGroup ?? null, os: e.device.osPlatform ?? null });
      if (e.file) {
        if (!devs.has(lc(e.file.deviceName))) devs.set(lc(e.file.deviceName), { name: e.file.deviceName, group: null, os: null });
        files.set(`${lc(e.file.deviceName)}|${e.file.filePath}|${e.file.fileName}`, { device: lc(e.file.deviceName), name: e.file.fileName, path: e.file.filePath ?? '', sha1: e.file.sha1 ?? null, sha256: e.file.sha256 ?? null });
        if (e.file.sha256) inds.set(`FILE_SHA256|${e.file.sha256}`, { type: 'FILE_SHA256', value: e.file.sha256 });
      }
      if (e.process?.deviceName && !devs.has(lc(e.process.deviceName))) devs.set(lc(e.process.deviceName), { name: e.process.deviceName, group: null, os: null });
      if (e.user?.upn) accts.set(lc(e.user.upn), { name: e.user.accountName, domain: e.user.domain ?? null, upn: e.user.upn, display: e.user.displayName ?? null });
      if (e.ip) inds.set(`IP_ADDRESS|${e.ip.address}`, { type: 'IP_ADDRESS', value: e.ip.address });
      if (e.url) inds.set(`URL|${e.url.url}`, { type: 'URL', value: e.url.url });
      if (e.email) mails.set(`${lc(e.email.networkMessageId)}|${lc(e.email.recipient)}`, { id: e.email.networkMessageId, recipient: e.email.recipient, sender: e.email.sender ?? null, subject: e.email.subject ?? null });
    }
  }
  const col = <T, V>(m: Map<string, T>, f: (t: T) => V) => [...m.values()].map(f);
  await sql.begin(async (tx) => {
    const [{ number }] = await tx`update tenants set last_incident_number = last_incident_number + 1 where id = ${tenantId} returning last_incident_number as number`;
    const devRows = await tx`
      insert into devices (tenant_id, name, device_group, os_platform, health_status, last_seen_at)
      select ${tenantId}, n, g, o, 'ACTIVE', now() from unnest(${col(devs, (d) => d.name)}::text[], ${col(devs, (d) => d.group) as string[]}::text[], ${col(devs, (d) => d.os) as string[]}::text[]) as x(n, g, o)
      on conflict (tenant_id, lower(name)) do update set device_group = coalesce(devices.device_group, excluded.device_group),
        os_platform = coalesce(excluded.os_platform, devices.os_platform), health_status = 'ACTIVE', last_seen_at = now()
      returning id, lower(name) as key`;
    const devId = new Map(devRows.map((r) => [r.key as string, r.id as string]));
    const fileRows = files.size
      ? await tx`
      insert into device_files (tenant_id, device_id, file_name, file_path, sha1, sha256)
      select ${tenantId}, * from unnest(${col(files, (f) => devId.get(f.device)!)}::uuid[], ${col(files, (f) => f.name)}::text[], ${col(files, (f) => f.path)}::text[],
        ${col(files, (f) => f.sha1) as string[]}::text[], ${col(files, (f) => f.sha256) as string[]}::text[])
      on conflict (device_id, file_path, file_name) do update set sha1 = coalesce(excluded.sha1, device_files.sha1), sha256 = coalesce(excluded.sha256, device_files.sha256)
      returning id, device_id, file_path, file_name`
      : [];
    const fileId = new Map(fileRows.map((r) => [`${r.device_id}|${r.file_path}|${r.file_name}`, r.id as string]));
    const acctRows = accts.size
      ? await tx`
      insert into accounts (tenant_id, account_name, domain, upn, display_name)
      select ${tenantId}, * from unnest(${col(accts, (a) => a.name)}::text[], ${col(accts, (a) => a.domain) as string[]}::text[], ${col(accts, (a) => a.upn)}::text[], ${col(accts, (a) => a.display) as string[]}::text[])
      on conflict (tenant_id, lower(upn)) where upn is not null do update set display_name = coalesce(accounts.display_name, excluded.display_name)
      returning id, lower(upn) as key`
      : [];
    const acctId = new Map(acctRows.map((r) => [r.key as string, r.id as string]));
    const indRows = inds.size
      ? await tx`
      insert into indicators (tenant_id, type, value)
      select ${tenantId}, t::indicator_type, v from unnest(${col(inds, (i) => i.type)}::text[], ${col(inds, (i) => i.value)}::text[]) as x(t, v)
      on conflict (tenant_id, type, value) do update set value = excluded.value
      returning id, type::text || '|' || value as key`
      : [];
    const indId = new Map(indRows.map((r) => [r.key as string, r.id as string]));
    const mailRows = mails.size
      ? await tx`
      insert into email_messages (tenant_id, network_message_id, recipient, sender, subject)
      select ${tenantId}, * from unnest(${col(mails, (m) => m.id)}::text[], ${col(mails, (m) => m.recipient)}::text[], ${col(mails, (m) => m.sender) as string[]}::text[], ${col(mails, (m) => m.subject) as string[]}::text[])
      on conflict (tenant_id, lower(network_message_id), lower(recipient)) do update set sender = coalesce(email_messages.sender, excluded.sender)
      returning id, lower(network_message_id) || '|' || lower(recipient) as key`
      : [];
    const mailId = new Map(mailRows.map((r) => [r.key as string, r.id as string]));
    const [incident] = await tx`
      insert into incidents (tenant_id, number, external_id, title, description, severity, first_activity_at, last_activity_at)
      values (${tenantId}, ${number}, ${inc.externalId}, ${inc.title}, ${inc.description ?? null}, ${inc.severity}, now(), now())
      returning id`;
    const alertRows = await tx`
      insert into alerts (tenant_id, incident_id, external_id, title, severity, category, detection_source)
      select ${tenantId}, ${incident.id}, * from unnest(${inc.alerts.map((a) => a.externalId)}::text[], ${inc.alerts.map((a) => a.title)}::text[],
        ${inc.alerts.map((a) => a.severity)}::severity[], ${inc.alerts.map((a) => a.category ?? null) as string[]}::text[], ${inc.alerts.map((a) => a.detectionSource ?? null) as string[]}::text[])
      returning id, external_id`;
    const alertId = new Map(alertRows.map((r) => [r.external_id as string, r.id as string]));
    const ev = { alert: [] as string[], kind: [] as string[], position: [] as number[], device: [] as (string | null)[], file: [] as (string | null)[], account: [] as (string | null)[], mail: [] as (string | null)[], indicator: [] as (string | null)[], value: [] as string[], details: [] as string[] };
    for (const a of inc.alerts) {
      a.evidence.forEach((e, position) => {
        const deviceName = e.device?.deviceName ?? e.file?.deviceName ?? e.process?.deviceName ?? null;
        const device = deviceName ? devId.get(lc(deviceName))! : null;
        ev.alert.push(alertId.get(a.externalId)!);
        ev.position.push(position);
        ev.device.push(device);
        ev.file.push(e.file ? fileId.get(`${device}|${e.file.filePath ?? ''}|${e.file.fileName}`)! : null);
        ev.account.push(e.user?.upn ? acctId.get(lc(e.user.upn))! : null);
        ev.mail.push(e.email ? mailId.get(`${lc(e.email.networkMessageId)}|${lc(e.email.recipient)}`)! : null);
        const ind = e.file?.sha256 ? `FILE_SHA256|${e.file.sha256}` : e.ip ? `IP_ADDRESS|${e.ip.address}` : e.url ? `URL|${e.url.url}` : null;
        ev.indicator.push(ind ? indId.get(ind)! : null);
        const [kind, value, details] = e.device
          ? ['DEVICE', e.device.deviceName, {}]
          : e.file
            ? ['FILE', e.file.fileName, { sha1: e.file.sha1 ?? null, sha256: e.file.sha256 ?? null }]
            : e.process
              ? ['PROCESS', e.process.processName, { commandLine: e.process.commandLine ?? null, processId: e.process.processId != null ? String(e.process.processId) : null, deviceName: e.process.deviceName ?? null }]
              : e.user
                ? ['USER', e.user.accountName, { domain: e.user.domain ?? null, userPrincipalName: e.user.upn ?? null, displayName: e.user.displayName ?? null }]
                : e.ip
                  ? ['IP', e.ip.address, {}]
                  : e.url
                    ? ['URL', e.url.url, {}]
                    : ['EMAIL', e.email!.subject ?? e.email!.networkMessageId, { networkMessageId: e.email!.networkMessageId, recipient: e.email!.recipient }];
        ev.kind.push(kind as string);
        ev.value.push(value as string);
        ev.details.push(JSON.stringify(details));
      });
    }
    await tx`
      insert into evidence (tenant_id, incident_id, alert_id, kind, position, device_id, file_id, account_id, email_message_id, indicator_id, value, details)
      select ${tenantId}, ${incident.id}, * from unnest(${ev.alert}::uuid[], ${ev.kind}::evidence_kind[], ${ev.position}::smallint[], ${ev.device as string[]}::uuid[], ${ev.file as string[]}::uuid[],
        ${ev.account as string[]}::uuid[], ${ev.mail as string[]}::uuid[], ${ev.indicator as string[]}::uuid[], ${ev.value}::text[], ${ev.details}::jsonb[])`;
  });
}

// ---- CPU accounting (Linux /proc, as bench/suppression.ts does) --------------------------------

const TICK_MS = 10; // USER_HZ is 100 on Linux

function cpuTicks(serverPid: number, dbName: string): { server: number; bench: number; db: number } {
  if (!fs.existsSync('/proc')) return { server: 0, bench: 0, db: 0 };
  let server = 0;
  let bench = 0;
  let db = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(f[11]) + Number(f[12]); // utime + stime
      if (Number(entry) === serverPid) server += ticks;
      else if (Number(entry) === process.pid) bench += ticks;
      else if (stat.includes('(postgres)')) {
        const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
        if (cmd.startsWith('postgres: ') && cmd.includes(` ${dbName} `)) db += ticks;
      }
    } catch {
      // the process is gone
    }
  }
  return { server, bench, db };
}


// ---- the runs -----------------------------------------------------------------------------------

interface Ctx {
  database: Database;
  sql: Sql;
  server: ChildServer;
  dbName: string;
}

async function newTenant(ctx: Ctx, label: string) {
  const slug = `ing-${label}-${randomUUID().slice(0, 6)}`;
  const tenant = await createTenant(ctx.database.db, { slug, name: `Bench ${slug}` });
  const token = (await principalWithToken(ctx.database.db, { tenantId: tenant.id, role: 'INTEGRATION', name: 'bench integration' })).token;
  return { tenant, token, slug };
}

async function countRows(ctx: Ctx, tenantId: string) {
  const [r] = await ctx.database.query<Record<string, number>>(
    `select (select count(*) from incidents where tenant_id = $1)::int as incidents, (select count(*) from alerts where tenant_id = $1)::int as alerts,
            (select count(*) from evidence where tenant_id = $1)::int as evidence, (select count(*) from activity where tenant_id = $1)::int as activity`,
    [tenantId],
  );
  return r;
}

/** Run `each` over the batch with BENCH_CONCURRENCY workers; wall time and CPU. */
async function timed(ctx: Ctx, batch: IngestIncidentInput[], each: (inc: IngestIncidentInput) => Promise<void>) {
  let next = 0;
  const cpu0 = cpuTicks(ctx.server.proc.pid!, ctx.dbName);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      for (let i = next++; i < batch.length; i = next++) await each(batch[i]);
    }),
  );
  const ms = performance.now() - t0;
  const cpu1 = cpuTicks(ctx.server.proc.pid!, ctx.dbName);
  const per = (ticks: number) => Math.round(((ticks * TICK_MS) / batch.length) * 100) / 100;
  return {
    ms,
    rowsPerSecond: Math.round(((batch.length * ROWS_PER_INCIDENT) / ms) * 1000),
    incidentsPerSecond: Math.round((batch.length / ms) * 1000 * 10) / 10,
    // both processes, as earlier runs printed it (for api: the server and the HTTP client)
    appCpuMs: per(cpu1.server - cpu0.server + cpu1.bench - cpu0.bench),
    serverCpuMs: per(cpu1.server - cpu0.server),
    benchCpuMs: per(cpu1.bench - cpu0.bench),
    dbCpuMs: per(cpu1.db - cpu0.db),
  };
}

async function apiRun(ctx: Ctx, round: number, n: number) {
  const t = await newTenant(ctx, `api${round}`);
  const batch = Array.from({ length: n }, (_, i) => makeIncident(i, t.slug));
  await ctx.database.query('analyze');
  const failures: string[] = [];
  const first = await timed(ctx, batch, async (inc) => {
    const r = await gqlRequest(ctx.server.url, t.token, INGEST, { input: inc });
    const p = r.data?.ingestIncident;
    if (r.errors || !p || p.errors.length || !p.created) failures.push(JSON.stringify(r).slice(0, 300));
  });
  if (failures.length) throw new Error(`${failures.length} ingestions failed, e.g. ${failures[0]}`);
  const before = await countRows(ctx, t.tenant.id);
  const again = await timed(ctx, batch, async (inc) => {
    const r = await gqlRequest(ctx.server.url, t.token, INGEST, { input: inc });
    const p = r.data?.ingestIncident;
    if (r.errors || !p || p.errors.length || p.created) failures.push(JSON.stringify(r).slice(0, 300));
  });
  if (failures.length) throw new Error(`${failures.length} re-ingestions failed or created something, e.g. ${failures[0]}`);
  const after = await countRows(ctx, t.tenant.id);
  if (JSON.stringify(before) !== JSON.stringify(after)) throw new Error(`re-ingestion wrote rows: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
  if (before.incidents !== n || before.alerts !== n * 10 || before.evidence !== n * 40) throw new Error(`unexpected rows after ingestion: ${JSON.stringify(before)}`);
  return { first, again };
}

async function sqlRun(ctx: Ctx, round: number, n: number) {
  const t = await newTenant(ctx, `sql${round}`);
  const batch = Array.from({ length: n }, (_, i) => makeIncident(i, t.slug));
  await ctx.database.query('analyze');
  const r = await timed(ctx, batch, (inc) => sqlIngest(ctx.sql, t.tenant.id, inc));
  const rows = await countRows(ctx, t.tenant.id);
  if (rows.incidents !== n || rows.alerts !== n * 10 || rows.evidence !== n * 40) throw new Error(`unexpected rows after the baseline: ${JSON.stringify(rows)}`);
  return r;
}

/** Statements one ingestIncident sends (the domain function in this process), first and again. */
async function statementsPerIngest(ctx: Ctx) {
  const t = await newTenant(ctx, 'stmts');
  const viewer = await viewerForToken(ctx.database.db, t.token);
  const count = async (inc: IngestIncidentInput) => {
    const s0 = ctx.database.stats.statements;
    await ingestIncident(createDomainContext(ctx.database, viewer), inc);
    return ctx.database.stats.statements - s0;
  };
  // a warm one first (the tenant's entity pools fill up), then a typical one
  await count(makeIncident(0, t.slug));
  const inc = makeIncident(1, t.slug);
  return { first: await count(inc), again: await count(inc) };
}

async function main() {
  const serverUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const name = `mdr_ingestbench_${Date.now()}_${process.pid}`;
  const admin = postgres(serverUrl.toString(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), poolSize: 2 });
  const sql = postgres(url.toString(), { max: opts.poolSize, onnotice: () => {}, prepare: true });
  let server: Ctx['server'] | null = null;
  const results: { round: number; api: Awaited<ReturnType<typeof apiRun>>['first']; again: Awaited<ReturnType<typeof apiRun>>['again']; sql: Awaited<ReturnType<typeof sqlRun>> }[] = [];
  let statements: Awaited<ReturnType<typeof statementsPerIngest>> | null = null;
  try {
    await database.migrate();
    server = await startChildServer(url.toString(), { log, timeoutMs: 120_000 });
    const ctx: Ctx = { database, sql, server, dbName: name };
    log(`database ${name}; ${opts.incidents} incidents (${ROWS_PER_INCIDENT} rows each) per side and round, ${opts.concurrency} clients, ${opts.rounds} rounds`);
    statements = await statementsPerIngest(ctx);
    log(`statements per ingestIncident: ${statements.first} (new incident), ${statements.again} (again)`);
    // warm-up (JIT, caches, pools), not reported
    await apiRun(ctx, 0, Math.min(50, opts.incidents));
    await sqlRun(ctx, 0, Math.min(50, opts.incidents));
    for (let round = 1; round <= opts.rounds; round++) {
      let api: Awaited<ReturnType<typeof apiRun>>;
      let base: Awaited<ReturnType<typeof sqlRun>>;
      if (round % 2) {
        api = await apiRun(ctx, round, opts.incidents);
        base = await sqlRun(ctx, round, opts.incidents);
      } else {
        base = await sqlRun(ctx, round, opts.incidents);
        api = await apiRun(ctx, round, opts.incidents);
      }
      const r = { round, api: api.first, again: api.again, sql: base };
      log(`round ${round}: ${JSON.stringify(r)}`);
      results.push(r);
    }
  } finally {
    if (server) await stopChildServer(server.proc);
    await sql.end({ timeout: 5 });
    await database.close();
    if (process.env.BENCH_KEEP_DB !== '1') await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  };
  const med = (side: 'api' | 'again' | 'sql', f: 'rowsPerSecond' | 'appCpuMs' | 'serverCpuMs' | 'benchCpuMs' | 'dbCpuMs') => median(results.map((r) => r[side][f]));
  const pct = (a: number, b: number) => Math.round((a / b) * 1000) / 10;
  const summary = {
    apiRowsPerSecond: med('api', 'rowsPerSecond'),
    sqlRowsPerSecond: med('sql', 'rowsPerSecond'),
    againRowsPerSecond: med('again', 'rowsPerSecond'),
    apiVsSqlPercent: pct(med('api', 'rowsPerSecond'), med('sql', 'rowsPerSecond')),
    againVsApiPercent: pct(med('again', 'rowsPerSecond'), med('api', 'rowsPerSecond')),
    perRoundApiVsSqlPercent: results.map((r) => pct(r.api.rowsPerSecond, r.sql.rowsPerSecond)),
    statements,
  };
  console.log(
    `\n${opts.incidents} incidents × ${ROWS_PER_INCIDENT} rows per run, ${opts.concurrency} clients; CPU ms per incident: app = the server process + this one ` +
      `(api: the server and its HTTP client; sql: this process runs the baseline), then each apart, and db = the Postgres backends`,
  );
  console.log('round  side     rows/s   incidents/s  app CPU ms  server  this    db CPU ms');
  for (const r of results) {
    for (const side of ['api', 'again', 'sql'] as const) {
      const x = r[side];
      console.log(
        `${String(r.round).padEnd(6)} ${side.padEnd(8)} ${String(x.rowsPerSecond).padEnd(8)} ${String(x.incidentsPerSecond).padEnd(12)} ${String(x.appCpuMs).padEnd(11)} ${String(x.serverCpuMs).padEnd(7)} ${String(x.benchCpuMs).padEnd(7)} ${x.dbCpuMs}`,
      );
    }
  }
  if (results.length > 1) {
    for (const side of ['api', 'again', 'sql'] as const) {
      console.log(`median ${side.padEnd(8)} app ${med(side, 'appCpuMs')}, server ${med(side, 'serverCpuMs')}, this ${med(side, 'benchCpuMs')}, db ${med(side, 'dbCpuMs')} CPU ms per incident`);
    }
  }
  console.log(`\nmedian rows/s: api ${summary.apiRowsPerSecond}, raw SQL baseline ${summary.sqlRowsPerSecond}: ${summary.apiVsSqlPercent} % (goal >= 50 %; per round ${summary.perRoundApiVsSqlPercent.join(', ')} %)`);
  console.log(`median rows/s re-ingesting the same batch: ${summary.againRowsPerSecond}: ${summary.againVsApiPercent} % of the first ingestion (goal >= 100 %)`);
  if (statements) console.log(`statements per ingestIncident: ${statements.first} for a new incident, ${statements.again} again`);
  const dir = path.join(root, 'bench', '.results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `ingest-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ opts, results, summary }, null, 2));
  log(`results in ${path.relative(root, file)}`);
  if (summary.apiVsSqlPercent < 50 || summary.againVsApiPercent < 100) process.exitCode = 1;
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
