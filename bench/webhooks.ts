// npm run bench:webhooks: the delivery bench for webhooks. Incident changes fanned out to many
// tenants' webhook endpoints (local receivers), one of them hanging; deliveries per second and
// p99 commit → received for the healthy tenants, with and without the hanging one.
//
//   1. a fresh database mdr_hookbench_<timestamp>_<pid> on the DATABASE_URL server (default
//      postgres://postgres@127.0.0.1:5432), migrated, dropped at the end unless BENCH_KEEP_DB=1
//   2. one receiver (node:http on 127.0.0.1, in a child process so that it does not share this
//      process's CPU) answering 204 at once, except for the hanging tenant's path in scenario B,
//      which it never answers (WEBHOOK_TIMEOUT 60s here: that call holds its slot throughout)
//   3. per scenario, on fresh tenants (not measured): BENCH_TENANTS tenants, one incident each
//      (ingested through the domain functions), then one webhook endpoint each subscribed to
//      incident.updated; the deliverer (the real OutboundDeliverer, with the options buildServer
//      gives it) is started with an empty scope, so nothing is sent during setup
//   4. measured: the scope opens; BENCH_WRITERS concurrent writers make BENCH_CHANGES incident
//      changes (updateIncident, a tag that carries the change's number), round robin over the
//      tenants; every commit wakes the deliverer (the hook buildServer wires). Latency = the
//      receiver's arrival time − the writer's commit (both on this machine's clock). The
//      scenario ends when every healthy tenant's deliveries arrived.
//        A  no tenant hangs;   B  tenant #0's receiver never answers
//      BENCH_ROUNDS pairs, in the order A B, B A, … (a drift favours neither)
//   5. deliveries/s (healthy deliveries / (last arrival − first commit)), p50/p90/p99/max over
//      the healthy tenants, and B's p99 against A's; bench/.results/webhooks-<timestamp>.json
//
// Knobs: BENCH_TENANTS=100 BENCH_CHANGES=1000 BENCH_WRITERS=8 BENCH_ROUNDS=2 BENCH_KEEP_DB=1, and
// the service's: WEBHOOK_CONCURRENCY (16) WEBHOOK_TENANT_CONCURRENCY (2) EXECUTOR_POLL_MS (1000).
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { loadConfig } from '../src/config';
import { openDatabase, type Database } from '../src/db/client';
import { createTenant, principalWithToken } from '../src/domain/admin';
import { createDomainContext, type EventSink } from '../src/domain/context';
import { updateIncident } from '../src/domain/incidents';
import { ingestIncident } from '../src/domain/ingest';
import { OutboundDeliverer } from '../src/domain/outbound/delivery';
import { createWebhookEndpoint } from '../src/domain/outbound/admin';
import { Secrets } from '../src/domain/secrets';
import { viewerForToken } from '../src/domain/tokens';
import { createLogger } from '../src/log';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const log = (msg: string) => process.stderr.write(`[bench:webhooks] ${msg}\n`);
const num = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const opts = {
  tenants: num('BENCH_TENANTS', 100),
  changes: num('BENCH_CHANGES', 1000),
  writers: num('BENCH_WRITERS', 8),
  rounds: num('BENCH_ROUNDS', 2),
};

// ---------------------------------------------------------------- the receiver (child process)
if (process.argv[2] === 'receiver') {
  let hang = '';
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const at = Date.now();
      if (hang && req.url?.startsWith(`/${hang}`)) return; // never answered
      res.writeHead(204).end();
      try {
        const event = JSON.parse(body) as { data: { incident: { tags: string[] } } };
        process.send!({ type: 'got', path: req.url, tag: event.data.incident.tags[0], at });
      } catch {
        /* not ours */
      }
    });
  });
  process.on('message', (m: { type: string; hang?: string }) => {
    if (m.type === 'hang') hang = m.hang ?? '';
    if (m.type === 'stop') server.close(() => process.exit(0));
  });
  server.listen(0, '127.0.0.1', () => process.send!({ type: 'listening', port: (server.address() as { port: number }).port }));
} else {
  void main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}

interface Receiver {
  child: ChildProcess;
  port: number;
  arrivals: Map<string, number>;
  hang(path: string): void;
}

function startReceiver(): Promise<Receiver> {
  const child = fork(fileURLToPath(import.meta.url), ['receiver'], { execArgv: ['--import', 'tsx'] });
  const arrivals = new Map<string, number>();
  return new Promise((resolve) => {
    child.on('message', (m: { type: string; port?: number; tag?: string; at?: number }) => {
      if (m.type === 'listening') resolve({ child, port: m.port!, arrivals, hang: (p) => child.send({ type: 'hang', hang: p }) });
      if (m.type === 'got' && m.tag) arrivals.set(m.tag, m.at!);
    });
  });
}

const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN);

async function scenario(database: Database, receiver: Receiver, kind: 'A' | 'B', round: number) {
  const config = loadConfig({ ...process.env, MDR_DEMO: '0', WEBHOOK_TIMEOUT: process.env.WEBHOOK_TIMEOUT ?? '60s' });
  const secrets = new Secrets('bench-secrets-key-of-at-least-32-characters');
  const scope: string[] = [];
  let open = false;
  const deliverer = new OutboundDeliverer(database, createLogger('silent'), {
    pollMs: config.execution.pollMs,
    leaseMs: config.execution.leaseMs,
    ...config.webhooks,
    allowPrivateTargets: true,
    providerName: config.providerName,
    secrets,
    scope: () => (open ? scope : []),
  });
  const events: EventSink = { committed: () => {}, outboxWritten: (q) => q.outbound > 0 && deliverer.wake() };
  deliverer.start();

  // setup: tenants, incidents, endpoints (nothing delivered: the scope is closed)
  const prefix = `r${round}${kind.toLowerCase()}-${randomUUID().slice(0, 6)}`;
  const tenants: { id: string; slug: string; incidentId: string; admin: string; operator: string }[] = [];
  for (let i = 0; i < opts.tenants; i++) {
    const slug = `${prefix}-${i}`;
    const t = await createTenant(database.db, { slug, name: `Bench ${slug}` });
    const integration = (await principalWithToken(database.db, { tenantId: t.id, role: 'INTEGRATION', name: 'i' })).token;
    const admin = (await principalWithToken(database.db, { tenantId: t.id, role: 'ADMIN', name: 'a' })).token;
    const operator = (await principalWithToken(database.db, { tenantId: t.id, role: 'OPERATOR', name: 'o' })).token;
    const ctx = createDomainContext(database, await viewerForToken(database.db, integration), { events });
    const { incident } = await ingestIncident(ctx, {
      externalId: `${slug}-1`,
      title: `Bench ${slug}`,
      severity: 'MEDIUM',
      alerts: [{ externalId: `${slug}-a`, title: 'Beacon', severity: 'MEDIUM', evidence: [{ device: { deviceName: `WS-${i}`, deviceGroup: 'Workstations' } }] }],
    });
    tenants.push({ id: t.id, slug, incidentId: incident.id, admin, operator });
  }
  for (const t of tenants) {
    const ctx = { ...createDomainContext(database, await viewerForToken(database.db, t.admin), { events }), secrets, notifications: { allowPrivateTargets: true, queued: () => {} } };
    await createWebhookEndpoint(ctx, { url: `http://127.0.0.1:${receiver.port}/${t.slug}`, eventTypes: ['INCIDENT_UPDATED'] });
  }
  await database.query('analyze');
  receiver.hang(kind === 'B' ? tenants[0].slug : '');
  receiver.arrivals.clear();
  scope.push(...tenants.map((t) => t.id));

  // measured: the changes, round robin over the tenants, BENCH_WRITERS at a time
  const commits = new Map<string, { at: number; tenant: number }>();
  const viewers = await Promise.all(tenants.map((t) => viewerForToken(database.db, t.operator)));
  let next = 0;
  open = true;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: opts.writers }, async () => {
      for (;;) {
        const n = next++;
        if (n >= opts.changes) return;
        const i = n % tenants.length;
        const tag = `c${n}`;
        await updateIncident(createDomainContext(database, viewers[i], { events }), { incidentId: tenants[i].incidentId, tags: [tag] });
        commits.set(tag, { at: Date.now(), tenant: i });
      }
    }),
  );
  const healthy = [...commits].filter(([, c]) => !(kind === 'B' && c.tenant === 0));
  const deadline = Date.now() + 120_000;
  while (healthy.some(([tag]) => !receiver.arrivals.has(tag)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const missing = healthy.filter(([tag]) => !receiver.arrivals.has(tag)).length;
  const latencies = healthy.filter(([tag]) => receiver.arrivals.has(tag)).map(([tag, c]) => receiver.arrivals.get(tag)! - c.at).sort((a, b) => a - b);
  const last = Math.max(...healthy.map(([tag]) => receiver.arrivals.get(tag) ?? 0));
  open = false;
  await deliverer.stop();
  const result = {
    kind,
    round,
    tenants: opts.tenants,
    changes: opts.changes,
    delivered: latencies.length,
    missing,
    perSecond: Math.round((latencies.length / Math.max(1, last - t0)) * 1000 * 10) / 10,
    p50: pct(latencies, 50),
    p90: pct(latencies, 90),
    p99: pct(latencies, 99),
    max: latencies[latencies.length - 1],
  };
  log(`${kind} round ${round}: ${JSON.stringify(result)}`);
  return result;
}

async function main() {
  const serverUrl = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
  const name = `mdr_hookbench_${Date.now()}_${process.pid}`;
  const admin = postgres(serverUrl.toString(), { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const database = await openDatabase({ databaseUrl: url.toString(), poolSize: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
  const receiver = await startReceiver();
  const results: Awaited<ReturnType<typeof scenario>>[] = [];
  try {
    await database.migrate();
    log(`database ${name}; ${opts.tenants} tenants, ${opts.changes} changes, ${opts.writers} writers, ${opts.rounds} rounds`);
    await scenario(database, receiver, 'B', 0); // warm-up, not reported
    for (let round = 1; round <= opts.rounds; round++) {
      const order = round % 2 ? (['A', 'B'] as const) : (['B', 'A'] as const);
      for (const kind of order) results.push(await scenario(database, receiver, kind, round));
    }
  } finally {
    receiver.child.send({ type: 'stop' });
    await database.close();
    if (process.env.BENCH_KEEP_DB !== '1') await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end();
  }
  const mean = (k: 'A' | 'B', f: 'p99' | 'perSecond') => {
    const xs = results.filter((r) => r.kind === k).map((r) => r[f]);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  };
  const summary = {
    A: { p99: mean('A', 'p99'), perSecond: mean('A', 'perSecond') },
    B: { p99: mean('B', 'p99'), perSecond: mean('B', 'perSecond') },
    p99ChangePercent: Math.round(((mean('B', 'p99') - mean('A', 'p99')) / mean('A', 'p99')) * 1000) / 10,
  };
  console.log('\nscenario round  delivered  missing  per s   p50  p90  p99  max (ms, healthy tenants)');
  for (const r of results) {
    console.log(`${r.kind.padEnd(8)} ${String(r.round).padEnd(6)} ${String(r.delivered).padEnd(10)} ${String(r.missing).padEnd(8)} ${String(r.perSecond).padEnd(7)} ${r.p50}  ${r.p90}  ${r.p99}  ${r.max}`);
  }
  console.log(`\nmean p99: A ${summary.A.p99} ms, B (tenant #0 hangs) ${summary.B.p99} ms: ${summary.p99ChangePercent >= 0 ? '+' : ''}${summary.p99ChangePercent} %`);
  console.log(`mean deliveries/s: A ${summary.A.perSecond}, B ${summary.B.perSecond}`);
  const dir = path.join(root, 'bench', '.results');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `webhooks-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ opts, results, summary }, null, 2));
  log(`results in ${path.relative(root, file)}`);
}
