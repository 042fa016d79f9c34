// BENCH_MODE=mixed npm run bench:realtime (npm run bench:realtime:mixed): 10,000 mixed subscribers
// on two server processes, with every receipt checked against who may see what (issue 14, goal 2).
//
//   1. the database of bench/realtime.ts, plus BENCH_TENANTS (100) tenants, each with a READER,
//      OPERATOR, ADMIN and INTEGRATION token and 6 incidents (2 ACTIVE, 2 IN_PROGRESS, 2
//      AWAITING_CUSTOMER_ACTION with 3 manual action cards each), and experts: one per group of
//      10 tenants, one serving them all. Set up through the domain functions, then ANALYZE.
//   2. BENCH_SERVERS (2) server processes (bench/realtime-server.ts: buildServer as src/main.ts
//      runs it) on that one database, fed by LISTEN/NOTIFY, or Redis with BENCH_REALTIME_REDIS=1.
//   3. The baseline, in this run: the identical-subscriber round of the default mode
//      (BENCH_BASELINE_SUBSCRIBERS, 5,000 READERs of one tenant, one incident) on server #1.
//   4. BENCH_MIXED_SUBSCRIBERS (10,000) subscribers, one WebSocket each, held by BENCH_CLIENT_PROCS
//      (2) child processes (bench/realtime-clients.ts), spread over the servers: 90 % customers
//      (the tenant's 4 roles in turn), 10 % experts (their group's tenants, 1 in 20 all of them);
//      each takes one of ten incidentChanged filter+selection variants, actionChanged (all, or
//      one incident's), or the banner (managedResponseSummaryChanged; experts half of the time for
//      one tenant). Server memory (after a full GC) before and with them idle → bytes per subscriber.
//   5. The writer (this process) changes incidents in random tenants for BENCH_MIXED_SECONDS (40)
//      at BENCH_WRITE_RATE (20/s, at most BENCH_WRITERS=8 in flight), through random servers as
//      random permitted principals: updateIncident (tags, with "hot" half of the time, and a
//      random severity), completeManualAction / skipAction, startInvestigation. An incident is
//      changed again only BENCH_COOLDOWN_MS (2000) after its last change returned, so the state
//      the mutation returned is the state the hubs load for its events.
//   6. Accounting: the activity rows after the writer's start, grouped by transaction (xmin) and
//      matched to the writer's mutations per incident; for every event the set of subscribers that
//      should get it (tenant in the subscriber's readable tenants, the kind, its filter on the
//      incident as the mutation returned it), compared with what arrived: missing and wrongful
//      deliveries (both must be 0), duplicates, and the role-dependent fields (viewerCanUpdate)
//      checked per receipt. The banner dedups, so it is checked by value: every value a
//      subscriber got must be its own tenants' counts at some moment since the previous one, and
//      the last must be the final counts.
//   7. Latency = receipt (taken in the client process on arrival) − the mutation's return in the
//      writer (commit happened before: so this is a lower bound of commit → receipt, and the
//      figure the goal is judged on), and − the request's send (an upper bound, which includes
//      the mutation's own work). Writes in the first BENCH_MIXED_WARMUP (3) seconds are checked
//      but not timed. CPU per process over the write window says where the time went.
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { inArray } from 'drizzle-orm';
import postgres from 'postgres';
import { openDatabase } from '../src/db/client';
import { actionCards, incidents } from '../src/db/schema';
import { createTenant, principalWithToken } from '../src/domain/admin';
import { createDomainContext } from '../src/domain/context';
import { encodeGlobalId } from '../src/domain/ids';
import { ingestIncident } from '../src/domain/ingest';
import { publishManagedResponse } from '../src/domain/response/publish';
import { viewerForToken } from '../src/domain/tokens';
import { classifyIncident, startInvestigation } from '../src/domain/triage';
import type { Viewer } from '../src/domain/viewer';
import type { ClientSpec } from './realtime-clients';
import type { Mem, Round, ServerChild } from './realtime-types';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

type Tokens = { reader: string; operator: string; integration: string };
export interface Kit {
  dbUrl: string;
  dbName: string;
  resultsDir: string;
  log: (msg: string) => void;
  opts: { redisUrl?: string; connectBatch: number; warmup: number };
  setupDatabase(): Promise<Tokens>;
  startServer(name?: string): Promise<ServerChild>;
  ingestBenchIncident(s: ServerChild, tokens: Tokens): Promise<string>;
  round(s: ServerChild, tokens: Tokens, incidentId: string, n: number, events?: number): Promise<Round>;
  cleanup(): Promise<void>;
  gql<T = any>(url: string, token: string, query: string, variables: Record<string, unknown>): Promise<T>;
}

const int = (name: string, fallback: number) => {
  const raw = process.env[name];
  const n = raw ? Number(raw) : fallback;
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number`);
  return n;
};
const mx = {
  subscribers: int('BENCH_MIXED_SUBSCRIBERS', 10_000),
  tenants: Math.max(1, int('BENCH_TENANTS', 100)),
  expertShare: int('BENCH_EXPERT_SHARE', 0.1),
  seconds: int('BENCH_MIXED_SECONDS', 40),
  warmupSeconds: int('BENCH_MIXED_WARMUP', 3),
  rate: Math.max(0.1, int('BENCH_WRITE_RATE', 20)),
  writers: Math.max(1, int('BENCH_WRITERS', 8)),
  cooldownMs: int('BENCH_COOLDOWN_MS', 2_000),
  baseline: int('BENCH_BASELINE_SUBSCRIBERS', 5_000),
  baselineEvents: int('BENCH_BASELINE_EVENTS', 40),
  clientProcs: Math.max(1, int('BENCH_CLIENT_PROCS', 2)),
  servers: Math.max(1, int('BENCH_SERVERS', 2)),
  seed: int('BENCH_SEED', 1),
  // idle time before each memory reading (0: read 1 s after subscribing only)
  settleMs: int('BENCH_SETTLE_MS', 15_000),
};

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pad = (i: number) => String(i).padStart(3, '0');
function mulberry32(a: number) {
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rng = mulberry32(mx.seed);
const pick = <T>(a: readonly T[]): T => a[Math.floor(rng() * a.length)];
function percentile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
const stats = (a: number[]) => {
  a.sort((x, y) => x - y);
  return { n: a.length, p50: percentile(a, 0.5), p90: percentile(a, 0.9), p99: percentile(a, 0.99), max: a[a.length - 1] ?? NaN };
};

// ---- the world -----------------------------------------------------------------------------------

const CUSTOMER_ROLES = ['READER', 'OPERATOR', 'ADMIN', 'INTEGRATION'] as const;
type CustomerRole = (typeof CUSTOMER_ROLES)[number];
type Role = CustomerRole | 'EXPERT';
const EDITORS = new Set<Role>(['OPERATOR', 'ADMIN', 'EXPERT']);
const TITLES = [
  'Encoded PowerShell on a workstation',
  'Suspicious sign-in from a new country',
  'Ransomware note on a file server',
  'Phishing mail clicked',
  'PowerShell download cradle',
  'Credential dumping with LSASS access',
];
const SEVERITIES = ['LOW', 'MEDIUM', 'HIGH', 'INFORMATIONAL', 'HIGH', 'MEDIUM'] as const;

interface IncState {
  status: string;
  severity: string;
  assignment: string;
  tags: string[];
}
interface Inc {
  id: string;
  tenant: number;
  searchText: string;
  state: IncState;
  busyUntil: number;
}
interface Tenant {
  id: string;
  index: number;
  tokens: Record<CustomerRole, string>;
  expert: number; // group
  incidents: Inc[];
  actionIncidents: string[];
  pendingActions: { id: string; incidentId: string }[];
}
interface World {
  tenants: Tenant[];
  experts: { token: string; tenants: number[] }[]; // groups, then the one serving all (last)
  incidents: Map<string, Inc>;
}

async function setupWorld(kit: Kit): Promise<World> {
  const database = await openDatabase({ databaseUrl: kit.dbUrl, poolSize: 12 });
  try {
    const db = database.db;
    const tenants: Tenant[] = new Array(mx.tenants);
    const pool = async (fn: (i: number) => Promise<void>) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: 12 }, async () => {
          for (let i = next++; i < mx.tenants; i = next++) await fn(i);
        }),
      );
    };
    await pool(async (i) => {
      const t = await createTenant(db, { slug: `mx-${pad(i)}`, name: `Mixed tenant ${pad(i)}` });
      const tokens = {} as Record<CustomerRole, string>;
      await Promise.all(CUSTOMER_ROLES.map(async (role) => (tokens[role] = (await principalWithToken(db, { tenantId: t.id, role, name: `mx ${i} ${role.toLowerCase()}` })).token)));
      tenants[i] = { id: t.id, index: i, tokens, expert: Math.floor(i / 10), incidents: [], actionIncidents: [], pendingActions: [] };
    });
    const groups = Math.ceil(mx.tenants / 10);
    const experts: World['experts'] = [];
    for (let g = 0; g <= groups; g++) {
      const members = g < groups ? tenants.slice(g * 10, g * 10 + 10) : tenants;
      const p = await principalWithToken(db, { tenantId: null, role: 'EXPERT', name: g < groups ? `mx expert ${g}` : 'mx expert all', serves: members.map((t) => t.id) });
      experts.push({ token: p.token, tenants: members.map((t) => t.index) });
    }
    const ctxOf = (v: Viewer) => createDomainContext(database, v, { providerName: 'Defender Experts' });
    const expertViewers = await Promise.all(experts.map(async (e) => (await viewerForToken(db, e.token))!));
    await pool(async (ti) => {
      const t = tenants[ti];
      const integration = ctxOf((await viewerForToken(db, t.tokens.INTEGRATION))!);
      const expert = ctxOf(expertViewers[t.expert]);
      for (let k = 0; k < TITLES.length; k++) {
        const ext = `mx-${pad(t.index)}-${k}`;
        const { incident } = await ingestIncident(integration, {
          externalId: ext,
          title: TITLES[k],
          severity: SEVERITIES[k],
          alerts: [
            {
              externalId: `${ext}-a1`,
              title: TITLES[k],
              severity: SEVERITIES[k],
              category: 'Execution',
              detectionSource: 'EDR',
              evidence: [{ device: { deviceName: `WS-${pad(t.index)}-${k}`, deviceGroup: 'Workstations', osPlatform: 'Windows11' } }],
            },
          ],
        });
        if (k >= 2) await startInvestigation(expert, { incidentId: incident.id });
        if (k >= 4) {
          await classifyIncident(expert, { incidentId: incident.id, classification: 'TRUE_POSITIVE', determination: 'MALWARE', summary: 'Malware run from a phishing attachment' });
          await publishManagedResponse(expert, {
            incidentId: incident.id,
            summary: { narrative: 'The attacker ran a payload; the device was contained.', impact: 'One workstation.', indicatorsOfAttack: [] },
            actions: [1, 2, 3].map((n) => ({ kind: 'MANUAL' as const, title: `Manual step ${n}`, instructions: 'Do it and confirm.' })),
          });
          t.actionIncidents.push(incident.id);
        }
      }
    });
    const ids = tenants.map((t) => t.id);
    const byId = new Map(tenants.map((t) => [t.id, t]));
    const incs = new Map<string, Inc>();
    for (const r of await db.select().from(incidents).where(inArray(incidents.tenantId, ids))) {
      const t = byId.get(r.tenantId)!;
      const inc: Inc = {
        id: r.id,
        tenant: t.index,
        searchText: r.searchText,
        state: { status: r.status, severity: r.severity, assignment: r.assignment, tags: [...r.customTags, ...r.systemTags] },
        busyUntil: 0,
      };
      t.incidents.push(inc);
      incs.set(r.id, inc);
    }
    for (const a of await db.select().from(actionCards).where(inArray(actionCards.tenantId, ids))) {
      if (a.status === 'PENDING' && a.incidentId) byId.get(a.tenantId)!.pendingActions.push({ id: a.id, incidentId: a.incidentId });
    }
    await database.query('analyze');
    return { tenants, experts, incidents: incs };
  } finally {
    await database.close();
  }
}

// ---- subscribers ---------------------------------------------------------------------------------

interface Filter {
  status?: string[];
  severity?: string[];
  assignment?: string[];
  tags?: string[];
  search?: string;
  tenantIds?: number[];
}
interface Plan {
  i: number;
  role: Role;
  tenants: Set<number>;
  kind: ClientSpec['kind'];
  variant: string;
  filter: Filter | null;
  incidentId: string | null; // actionChanged(incidentId)
  bannerTenant: number | null;
  query: string;
  variables?: Record<string, unknown>;
  server: number;
  token: string;
}

const VARIANTS: { name: string; filter: Filter | null; selection: string }[] = [
  { name: 'V0 all', filter: null, selection: 'eventId activity { field to } incident { id number title severity status updatedAt }' },
  { name: 'V1 all, eventId', filter: null, selection: 'eventId' },
  { name: 'V2 IN_PROGRESS', filter: { status: ['IN_PROGRESS'] }, selection: 'eventId incident { id status assignment viewerCanUpdate }' },
  { name: 'V3 HIGH', filter: { severity: ['HIGH'] }, selection: 'eventId incident { id severity title }' },
  { name: 'V4 tag hot', filter: { tags: ['hot'] }, selection: 'eventId activity { field from to } incident { id tags }' },
  { name: 'V5 AWAITING', filter: { status: ['AWAITING_CUSTOMER_ACTION'] }, selection: 'eventId activity { field to }' },
  { name: 'V6 EXPERTS', filter: { assignment: ['EXPERTS'] }, selection: 'eventId incident { id number assignment viewerCanUpdate }' },
  { name: 'V7 search', filter: { search: 'powershell' }, selection: 'eventId incident { id title }' },
  { name: 'V8 LOW/MEDIUM open', filter: { severity: ['LOW', 'MEDIUM'], status: ['ACTIVE', 'IN_PROGRESS'] }, selection: 'eventId incident { id severity status }' },
  { name: 'V9 open / one tenant', filter: { status: ['ACTIVE', 'IN_PROGRESS', 'AWAITING_CUSTOMER_ACTION'] }, selection: 'eventId activity { field to actorSide } incident { id viewerCanUpdate }' },
];

function planSubscribers(world: World, serverUrls: string[]): Plan[] {
  const plans: Plan[] = [];
  const experts = Math.round(mx.subscribers * mx.expertShare);
  const customers = mx.subscribers - experts;
  const groups = world.experts.length - 1;
  for (let j = 0; j < mx.subscribers; j++) {
    const isExpert = j >= customers;
    let role: Role;
    let tenants: number[];
    let token: string;
    if (isExpert) {
      const e = (j - customers) % 20 === 0 ? world.experts[groups] : world.experts[(j - customers) % groups];
      role = 'EXPERT';
      tenants = e.tenants;
      token = e.token;
    } else {
      const t = world.tenants[j % world.tenants.length];
      role = CUSTOMER_ROLES[Math.floor(j / world.tenants.length) % CUSTOMER_ROLES.length];
      tenants = [t.index];
      token = t.tokens[role];
    }
    const one = world.tenants[pick(tenants)];
    const r = rng() * 100;
    const plan: Plan = { i: j, role, tenants: new Set(tenants), kind: 'incident', variant: '', filter: null, incidentId: null, bannerTenant: null, query: '', server: j % serverUrls.length, token };
    if (r < 70) {
      const v = VARIANTS[Math.floor(r / 7)];
      let filter = v.filter;
      if (v.name.startsWith('V9') && isExpert) filter = { tenantIds: [one.index] };
      plan.variant = v.name;
      plan.filter = filter;
      if (filter) {
        plan.query = `subscription($filter: IncidentFilter) { incidentChanged(filter: $filter) { ${v.selection} } }`;
        const { tenantIds, ...rest } = filter;
        plan.variables = { filter: tenantIds ? { ...rest, tenantIds: tenantIds.map((i) => encodeGlobalId('Tenant', world.tenants[i].id)) } : rest };
      } else plan.query = `subscription { incidentChanged { ${v.selection} } }`;
    } else if (r < 78) {
      plan.kind = 'action';
      plan.variant = 'A0 actionChanged';
      plan.query = 'subscription { actionChanged { id status title viewerCanPerform } }';
    } else if (r < 85) {
      plan.kind = 'action';
      plan.variant = 'A1 actionChanged(incidentId)';
      plan.incidentId = pick(one.actionIncidents);
      plan.query = 'subscription($id: ID) { actionChanged(incidentId: $id) { id status } }';
      plan.variables = { id: encodeGlobalId('Incident', plan.incidentId) };
    } else if (isExpert && r >= 92) {
      plan.kind = 'banner';
      plan.variant = 'B1 banner(tenantId)';
      plan.bannerTenant = one.index;
      plan.query = 'subscription($t: ID) { managedResponseSummaryChanged(tenantId: $t) { awaitingCustomerAction investigating } }';
      plan.variables = { t: encodeGlobalId('Tenant', one.id) };
    } else {
      plan.kind = 'banner';
      plan.variant = 'B0 banner';
      plan.query = 'subscription { managedResponseSummaryChanged { awaitingCustomerAction investigating } }';
    }
    plans.push(plan);
  }
  return plans;
}

function matches(f: Filter | null, inc: Inc, s: IncState): boolean {
  if (!f) return true;
  if (f.tenantIds && !f.tenantIds.includes(inc.tenant)) return false;
  if (f.status && !f.status.includes(s.status)) return false;
  if (f.severity && !f.severity.includes(s.severity)) return false;
  if (f.assignment && !f.assignment.includes(s.assignment)) return false;
  if (f.tags && !f.tags.some((t) => s.tags.includes(t))) return false;
  if (f.search && !inc.searchText.includes(f.search)) return false;
  return true;
}

// ---- client processes ----------------------------------------------------------------------------

interface ClientProc {
  proc: ChildProcess;
  ask<T>(msg: { type: string; [k: string]: unknown }, reply: string): Promise<T>;
}

function startClientProc(): Promise<ClientProc> {
  const proc = fork(path.join(root, 'bench', 'realtime-clients.ts'), [], {
    cwd: root,
    execArgv: ['--import', 'tsx', '--max-old-space-size=2048'],
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<string, (m: unknown) => void>();
  let ready: () => void;
  const up = new Promise<void>((r) => (ready = r));
  proc.on('message', (m: { type: string }) => {
    if (m.type === 'ready') ready();
    const w = waiting.get(m.type);
    if (w) {
      waiting.delete(m.type);
      w(m);
    }
  });
  const cp: ClientProc = {
    proc,
    ask: <T>(msg: { type: string }, reply: string) =>
      new Promise<T>((resolve) => {
        waiting.set(reply, resolve as (m: unknown) => void);
        proc.send(msg);
      }),
  };
  return up.then(() => cp);
}

function procCpuMs(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return NaN;
  }
}
/** CPU of every process whose command is postgres (the shared server: every database on it), per pid. */
function postgresCpuMs(): Map<string, number> {
  const by = new Map<string, number>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const raw = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      if (!raw.includes('(postgres)')) continue;
      const f = raw.split(') ')[1].split(' ');
      by.set(d, ((Number(f[11]) + Number(f[12])) * 1000) / 100);
    } catch {
      /* gone */
    }
  }
  return by;
}
/** CPU the postgres processes used between two samples (backends that ended meanwhile are not counted). */
function postgresDeltaMs(a: Map<string, number>, b: Map<string, number>): number {
  let sum = 0;
  for (const [pid, ms] of b) sum += ms - (a.get(pid) ?? 0);
  return sum;
}
/** Busy CPU of the whole machine, in ms (all cores). */
function machineBusyMs(): number {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3] + (f[4] || 0);
  const total = f.reduce((a, b) => a + b, 0);
  return ((total - idle) * 1000) / 100;
}

// ---- the writer ----------------------------------------------------------------------------------

interface Op {
  seq: number;
  kind: 'update' | 'action' | 'start';
  tenant: number;
  incidentId: string;
  actionId?: string;
  server: number;
  role: Role;
  sentAt: number;
  respAt: number;
  state: IncState | null;
  error?: string;
}

const STATE = 'id status severity assignment tags systemTags';

async function write(kit: Kit, world: World, urls: string[]): Promise<{ ops: Op[]; skipped: number; startedAt: number }> {
  const ops: Op[] = [];
  let skipped = 0;
  let inflight = 0;
  const interval = 1000 / mx.rate;
  const startedAt = now();
  const end = startedAt + mx.seconds * 1000;
  const running = new Set<Promise<void>>();
  for (let seq = 1; ; seq++) {
    const due = startedAt + (seq - 1) * interval;
    if (due >= end) break;
    const wait = due - now();
    if (wait > 0) await sleep(wait);
    if (inflight >= mx.writers) {
      skipped += 1;
      continue;
    }
    const op = plan(world, seq, urls.length);
    if (!op) {
      skipped += 1;
      continue;
    }
    ops.push(op);
    inflight += 1;
    const p = run(kit, world, urls, op).finally(() => {
      inflight -= 1;
      running.delete(p);
    });
    running.add(p);
  }
  await Promise.all(running);
  return { ops, skipped, startedAt };
}

function plan(world: World, seq: number, servers: number): Op | null {
  const t0 = now();
  for (let attempt = 0; attempt < 20; attempt++) {
    const t = pick(world.tenants);
    const idle = t.incidents.filter((i) => i.busyUntil <= t0);
    if (idle.length === 0) continue;
    const r = rng();
    const base = { seq, tenant: t.index, server: Math.floor(rng() * servers), sentAt: 0, respAt: 0, state: null };
    if (r < 0.25) {
      const idleIds = new Set(idle.map((i) => i.id));
      const k = t.pendingActions.findIndex((a) => idleIds.has(a.incidentId));
      if (k >= 0) {
        const [a] = t.pendingActions.splice(k, 1);
        return { ...base, kind: 'action', incidentId: a.incidentId, actionId: a.id, role: rng() < 0.5 ? 'OPERATOR' : 'ADMIN' };
      }
    } else if (r < 0.45) {
      const fresh = idle.filter((i) => i.state.status === 'ACTIVE');
      if (fresh.length) return { ...base, kind: 'start', incidentId: pick(fresh).id, role: 'EXPERT' };
    }
    return { ...base, kind: 'update', incidentId: pick(idle).id, role: pick(['OPERATOR', 'ADMIN', 'EXPERT'] as const) };
  }
  return null;
}

async function run(kit: Kit, world: World, urls: string[], op: Op): Promise<void> {
  const inc = world.incidents.get(op.incidentId)!;
  inc.busyUntil = Infinity;
  const t = world.tenants[op.tenant];
  const token = op.role === 'EXPERT' ? world.experts[t.expert].token : t.tokens[op.role as CustomerRole];
  const incidentId = encodeGlobalId('Incident', op.incidentId);
  let query: string;
  let variables: Record<string, unknown>;
  if (op.kind === 'update') {
    query = `mutation($input: UpdateIncidentInput!) { r: updateIncident(input: $input) { errors { message } incident { ${STATE} } } }`;
    variables = { input: { incidentId, tags: rng() < 0.5 ? ['hot', `w${op.seq}`] : [`w${op.seq}`], severity: pick(['LOW', 'MEDIUM', 'HIGH'] as const) } };
  } else if (op.kind === 'start') {
    query = `mutation($input: IncidentRefInput!) { r: startInvestigation(input: $input) { errors { message } incident { ${STATE} } } }`;
    variables = { input: { incidentId } };
  } else {
    const skip = rng() < 0.3;
    query = skip
      ? `mutation($input: SkipActionInput!) { r: skipAction(input: $input) { errors { message } action { id status incident { ${STATE} } } } }`
      : `mutation($input: ActionRefInput!) { r: completeManualAction(input: $input) { errors { message } action { id status incident { ${STATE} } } } }`;
    variables = { input: skip ? { actionId: encodeGlobalId('ActionCard', op.actionId!), reason: 'not applicable' } : { actionId: encodeGlobalId('ActionCard', op.actionId!) } };
  }
  op.sentAt = now();
  try {
    const d = await kit.gql<{ r: { errors: { message: string }[]; incident?: any; action?: { incident: any } } }>(urls[op.server], token, query, variables);
    op.respAt = now();
    if (d.r.errors.length) op.error = d.r.errors.map((e) => e.message).join('; ');
    const i = d.r.incident ?? d.r.action?.incident;
    if (i) {
      op.state = { status: i.status, severity: i.severity, assignment: i.assignment, tags: [...i.tags, ...i.systemTags] };
      inc.state = op.state;
    }
  } catch (err) {
    op.respAt = now();
    op.error = err instanceof Error ? err.message : String(err);
  }
  inc.busyUntil = op.respAt + mx.cooldownMs;
}

// ---- accounting ----------------------------------------------------------------------------------

interface Ev {
  id: number;
  tenant: number;
  incidentId: string;
  field: string;
  subjectId: string | null;
  to: string | null;
  op: Op;
}

interface Collected {
  i: number;
  t: number[];
  k: string[];
  errors: string[];
  completed: boolean;
}

function account(world: World, plans: Plan[], ops: Op[], events: Ev[], receipts: Collected[], initial: Map<string, IncState>, timedFrom: number) {
  const tenantIndex = new Map(world.tenants.map((t) => [t.id, t.index]));
  void tenantIndex;
  const evById = new Map(events.map((e) => [e.id, e]));
  const incidentEvents = events;
  const actionEvents = events.filter((e) => e.field === 'action' && e.subjectId);
  const lat = { incident: [] as number[], action: [] as number[], banner: [] as number[], all: [] as number[], allFromSend: [] as number[] };
  const res = {
    expected: 0,
    delivered: 0,
    missing: 0,
    wrongful: 0,
    foreignTenant: 0,
    duplicates: 0,
    wrongPayload: 0,
    unknownReceipts: 0,
    errors: 0,
    completed: 0,
    banner: { subscribers: 0, receipts: 0, missingInitial: 0, wrongInitial: 0, wrongValue: 0, wrongFinal: 0, statusEventsInScope: 0 },
    byVariant: {} as Record<string, { subscribers: number; expected: number; delivered: number; missing: number; wrongful: number }>,
    examples: [] as string[],
  };
  const example = (s: string) => res.examples.length < 10 && res.examples.push(s);
  const timed = (op: Op) => op.sentAt >= timedFrom;

  // the banner: each tenant's counts over time (commit = the mutation's return), from the initial state
  const statusNow = new Map<string, string>();
  for (const [id, s] of initial) statusNow.set(id, s.status);
  const counts = (tenants: Set<number>, status: Map<string, string>) => {
    let a = 0;
    let p = 0;
    for (const t of tenants) {
      for (const inc of world.tenants[t].incidents) {
        const s = status.get(inc.id);
        if (s === 'AWAITING_CUSTOMER_ACTION') a += 1;
        else if (s === 'IN_PROGRESS') p += 1;
      }
    }
    return `${a}/${p}`;
  };
  // status changes in commit order, each with the statuses after it. Commit order is the order of
  // the mutations' activity ids (written under the event-order lock, held to commit), not the order
  // their answers reached the writer: two mutations in flight in one tenant may return the other way.
  const firstEvent = new Map<Op, number>();
  for (const e of events) firstEvent.set(e.op, Math.min(firstEvent.get(e.op) ?? Infinity, e.id));
  const commitOrder = (o: Op) => firstEvent.get(o) ?? Infinity;
  const statusOps = ops.filter((o) => o.state && !o.error).sort((x, y) => commitOrder(x) - commitOrder(y) || x.respAt - y.respAt);
  const timeline: { at: number; op: Op; tenant: number; status: Map<string, string> }[] = [];
  {
    let cur = new Map(statusNow);
    for (const o of statusOps) {
      if (cur.get(o.incidentId) === o.state!.status) continue;
      cur = new Map(cur);
      cur.set(o.incidentId, o.state!.status);
      timeline.push({ at: o.respAt, op: o, tenant: o.tenant, status: cur });
    }
  }

  const byI = new Map(receipts.map((r) => [r.i, r]));
  for (const p of plans) {
    const r = byI.get(p.i) ?? { i: p.i, t: [], k: [], errors: ['no receipts collected'], completed: false };
    const v = (res.byVariant[p.variant] ??= { subscribers: 0, expected: 0, delivered: 0, missing: 0, wrongful: 0 });
    v.subscribers += 1;
    res.errors += r.errors.length;
    if (r.errors.length) example(`#${p.i} ${p.role} ${p.variant}: error ${r.errors[0]}`);
    if (r.completed) res.completed += 1;
    if (p.kind === 'banner') {
      const scope = p.bannerTenant != null ? new Set([p.bannerTenant]) : p.tenants;
      const b = res.banner;
      b.subscribers += 1;
      b.receipts += Math.max(0, r.k.length - 1);
      if (r.k.length === 0) {
        b.missingInitial += 1;
        continue;
      }
      if (r.k[0] !== counts(scope, statusNow)) {
        b.wrongInitial += 1;
        example(`#${p.i} ${p.role} banner initial ${r.k[0]} ≠ ${counts(scope, statusNow)}`);
      }
      const mine = timeline.filter((e) => scope.has(e.tenant));
      b.statusEventsInScope += mine.length;
      let from = 0; // the first in-scope change not yet matched
      for (let k = 1; k < r.k.length; k++) {
        let hit = -1;
        // a state is a candidate once its mutation was sent: the banner can arrive before the
        // mutation's own answer reaches the writer
        for (let x = from; x < mine.length && mine[x].op.sentAt < r.t[k]; x++) {
          if (counts(scope, mine[x].status) === r.k[k]) {
            hit = x;
            break;
          }
        }
        if (hit < 0) {
          b.wrongValue += 1;
          example(`#${p.i} ${p.role} ${p.variant}: banner ${r.k[k]} matches no state of its tenants`);
          continue;
        }
        const l = r.t[k] - mine[hit].at;
        if (timed(mine[hit].op)) {
          lat.banner.push(l);
          lat.all.push(l);
          lat.allFromSend.push(r.t[k] - mine[hit].op.sentAt);
        }
        from = hit + 1;
      }
      const final = counts(scope, mine.length ? mine[mine.length - 1].status : statusNow);
      if (r.k[r.k.length - 1] !== final) {
        b.wrongFinal += 1;
        example(`#${p.i} ${p.role} ${p.variant}: last banner ${r.k[r.k.length - 1]} ≠ final ${final}`);
      }
      continue;
    }
    // incidentChanged / actionChanged: an exact set
    const expected = new Map<string, Ev>();
    if (p.kind === 'incident') {
      for (const e of incidentEvents) {
        if (!p.tenants.has(e.tenant)) continue;
        if (matches(p.filter, world.incidents.get(e.incidentId)!, e.op.state!)) expected.set(String(e.id), e);
      }
    } else {
      for (const e of actionEvents) {
        if (!p.tenants.has(e.tenant) || (p.incidentId && e.incidentId !== p.incidentId)) continue;
        expected.set(`${encodeGlobalId('ActionCard', e.subjectId!)}|${e.to}`, e);
      }
    }
    const seen = new Set<string>();
    for (let k = 0; k < r.k.length; k++) {
      const parts = r.k[k].split('|');
      const key = p.kind === 'incident' ? parts[0] : `${parts[0]}|${parts[1]}`;
      const e = expected.get(key);
      if (!e) {
        res.wrongful += 1;
        const known = p.kind === 'incident' ? evById.get(Number(parts[0])) : actionEvents.find((a) => `${encodeGlobalId('ActionCard', a.subjectId!)}|${a.to}` === key);
        if (!known) res.unknownReceipts += 1;
        else if (!p.tenants.has(known.tenant)) res.foreignTenant += 1;
        v.wrongful += 1;
        example(`#${p.i} ${p.role} ${p.variant}: unexpected ${r.k[k]}${known ? ` (tenant ${known.tenant}, ${known.field})` : ' (no such event of the writer)'}`);
        continue;
      }
      if (seen.has(key)) {
        res.duplicates += 1;
        continue;
      }
      seen.add(key);
      if (p.kind === 'incident') {
        if (parts[1] && parts[1] !== encodeGlobalId('Incident', e.incidentId)) {
          res.wrongPayload += 1;
          example(`#${p.i}: event ${e.id} with incident ${parts[1]}`);
        }
        if (parts[2] && parts[2] !== String(EDITORS.has(p.role))) {
          res.wrongPayload += 1;
          example(`#${p.i} ${p.role}: viewerCanUpdate ${parts[2]}`);
        }
      }
      if (timed(e.op)) {
        const l = r.t[k] - e.op.respAt;
        (p.kind === 'incident' ? lat.incident : lat.action).push(l);
        lat.all.push(l);
        lat.allFromSend.push(r.t[k] - e.op.sentAt);
      }
    }
    res.expected += expected.size;
    res.delivered += seen.size;
    v.expected += expected.size;
    v.delivered += seen.size;
    for (const key of expected.keys()) {
      if (!seen.has(key)) {
        res.missing += 1;
        v.missing += 1;
        example(`#${p.i} ${p.role} ${p.variant}: missing ${key} (${expected.get(key)!.field})`);
      }
    }
  }
  return {
    ...res,
    latencyMs: { all: stats(lat.all), incident: stats(lat.incident), action: stats(lat.action), banner: stats(lat.banner) },
    latencyFromSendMs: stats(lat.allFromSend),
  };
}

// ---- the run -------------------------------------------------------------------------------------

export async function runMixed(kit: Kit): Promise<boolean> {
  const { log } = kit;
  const via = kit.opts.redisUrl ? 'Redis' : 'LISTEN/NOTIFY';
  log(`mixed: database ${kit.dbName}; ${mx.subscribers} subscribers over ${mx.servers} servers (${mx.clientProcs} client processes), ${mx.tenants} tenants, fan-out through ${via}`);
  const clientProcs: ClientProc[] = [];
  const killAll = () => clientProcs.forEach((c) => c.proc.kill('SIGKILL'));
  process.once('exit', killAll);
  try {
    const setupStart = Date.now();
    const tokens = await kit.setupDatabase();
    const world = await setupWorld(kit);
    const initial = new Map([...world.incidents].map(([id, i]) => [id, { ...i.state }]));
    log(`setup: ${world.tenants.length} tenants, ${world.incidents.size} incidents, ${world.tenants.reduce((n, t) => n + t.pendingActions.length, 0)} pending actions in ${((Date.now() - setupStart) / 1000).toFixed(1)} s`);
    const servers: ServerChild[] = [];
    for (let k = 0; k < mx.servers; k++) servers.push(await kit.startServer(`server ${k + 1}`));
    const urls = servers.map((s) => s.url);

    // the baseline: the default mode's round, identical subscribers, on server #1, in this run
    let baseline: Round | null = null;
    if (mx.baseline > 0) {
      const incidentId = await kit.ingestBenchIncident(servers[0], tokens);
      log('baseline warm-up: 50 subscribers, 20 changes');
      await kit.round(servers[0], tokens, incidentId, 50, 20);
      baseline = await kit.round(servers[0], tokens, incidentId, mx.baseline, mx.baselineEvents);
      log(`baseline: ${mx.baseline} identical subscribers, p99 ${baseline.latencyFromResponseMs.p99.toFixed(1)} ms from the response (${baseline.latencyFromSendMs.p99.toFixed(1)} from send), ${(baseline.memory.heapPerSubscriberBytes / 1024).toFixed(1)} KB heap / subscriber`);
    }

    // the subscribers
    const plans = planSubscribers(world, urls);
    await sleep(mx.settleMs); // the same settling as the idle measurement below
    const before = await Promise.all(servers.map((s) => s.ask<Mem>('mem')));
    for (let k = 0; k < mx.clientProcs; k++) clientProcs.push(await startClientProc());
    const connectStart = performance.now();
    const wsUrls = urls.map((u) => u.replace(/^http/, 'ws'));
    await Promise.all(
      clientProcs.map((c, k) => {
        const specs: ClientSpec[] = plans
          .filter((p) => p.i % mx.clientProcs === k)
          .map((p) => ({ i: p.i, url: wsUrls[p.server], token: p.token, kind: p.kind, query: p.query, variables: p.variables }));
        return c.ask<{ opened: number; errors: number }>({ type: 'connect', specs, batch: kit.opts.connectBatch }, 'connected');
      }),
    );
    const perServer = servers.map((_, k) => plans.filter((p) => p.server === k).length);
    const end = Date.now() + 120_000;
    for (;;) {
      const st = await Promise.all(servers.map((s) => s.ask<{ hub: number }>('stats')));
      if (st.every((x, k) => x.hub >= perServer[k])) break;
      if (Date.now() > end) throw new Error(`timed out waiting for the subscriptions: ${st.map((x) => x.hub).join(', ')} of ${perServer.join(', ')}`);
      await sleep(200);
    }
    const connectMs = performance.now() - connectStart;
    await sleep(1_000); // the banner's first values
    const idle = await Promise.all(servers.map((s) => s.ask<Mem & { hubListeners: number }>('mem')));
    const growthOf = (after: (Mem & { hubListeners: number })[], base: Mem[]) => {
      const growth = (k: 'rss' | 'heapUsed') => after.reduce((n, m, x) => n + m.mem[k] - base[x].mem[k], 0) / mx.subscribers;
      return {
        heapPerSubscriberBytes: growth('heapUsed'),
        rssPerSubscriberBytes: growth('rss'),
        perServer: servers.map((_, x) => ({
          subscribers: perServer[x],
          hubListeners: after[x].hubListeners,
          heapPerSubscriberBytes: (after[x].mem.heapUsed - base[x].mem.heapUsed) / perServer[x],
          rssPerSubscriberBytes: (after[x].mem.rss - base[x].mem.rss) / perServer[x],
          // V8's committed heap: RSS follows it, and it keeps the size reached while subscribing
          // until V8's memory reducer gives the slack back (~10 s after allocation stops)
          heapTotalPerSubscriberBytes: (after[x].mem.heapTotal - base[x].mem.heapTotal) / perServer[x],
          heapUsedMB: after[x].mem.heapUsed / 1e6,
          heapTotalMB: after[x].mem.heapTotal / 1e6,
          rssMB: after[x].mem.rss / 1e6,
          rssBeforeMB: base[x].mem.rss / 1e6,
        })),
      };
    };
    const logServers = (label: string, g: ReturnType<typeof growthOf>) => {
      for (const [x, p] of g.perServer.entries())
        log(`${label}, server #${x + 1}: ${p.subscribers} subscribers, per subscriber ${(p.heapPerSubscriberBytes / 1024).toFixed(1)} KB heap used, ${(p.heapTotalPerSubscriberBytes / 1024).toFixed(1)} KB heap committed, ${(p.rssPerSubscriberBytes / 1024).toFixed(1)} KB RSS (RSS ${p.rssBeforeMB.toFixed(0)} → ${p.rssMB.toFixed(0)} MB)`);
    };
    const justAfter = growthOf(idle, before);
    logServers('1 s after subscribing', justAfter);
    // the goal's "idle": measured again once the servers have had nothing to do for mx.settleMs,
    // so that V8 has given back the heap it committed while the subscriptions started
    let memory = justAfter;
    if (mx.settleMs > 0) {
      await sleep(mx.settleMs);
      memory = growthOf(await Promise.all(servers.map((s) => s.ask<Mem & { hubListeners: number }>('mem'))), before);
      logServers(`idle ${mx.settleMs / 1000} s`, memory);
      log(`per idle subscriber: ${(justAfter.heapPerSubscriberBytes / 1024).toFixed(1)} KB heap, ${(justAfter.rssPerSubscriberBytes / 1024).toFixed(1)} KB RSS 1 s after subscribing; ${(memory.heapPerSubscriberBytes / 1024).toFixed(1)} KB heap, ${(memory.rssPerSubscriberBytes / 1024).toFixed(1)} KB RSS after ${mx.settleMs / 1000} s idle`);
    }
    log(`${mx.subscribers} subscribers in ${(connectMs / 1000).toFixed(1)} s; ${idle.map((m) => m.hubListeners).join(' + ')} hub listeners (shared executions); ${(memory.heapPerSubscriberBytes / 1024).toFixed(1)} KB heap, ${(memory.rssPerSubscriberBytes / 1024).toFixed(1)} KB RSS per idle subscriber`);

    // the writer
    const sql = postgres(kit.dbUrl, { max: 1, onnotice: () => {} });
    const [{ top }] = await sql<{ top: string | null }[]>`select max(id)::text as top from activity`;
    const startId = Number(top ?? 0);
    const cpu0 = { servers: servers.map((s) => s.cpuMs() ?? NaN), clients: clientProcs.map((c) => procCpuMs(c.proc.pid)), self: process.cpuUsage(), pg: postgresCpuMs(), machine: machineBusyMs(), at: now() };
    log(`writing for ${mx.seconds} s at ${mx.rate}/s (at most ${mx.writers} in flight)`);
    const { ops, skipped, startedAt } = await write(kit, world, urls);
    const cpu1 = { servers: servers.map((s) => s.cpuMs() ?? NaN), clients: clientProcs.map((c) => procCpuMs(c.proc.pid)), self: process.cpuUsage(cpu0.self), pg: postgresCpuMs(), machine: machineBusyMs(), at: now() };
    // drain: until no receipt arrived for 1.5 s (at most 30 s)
    let last = -1;
    let stableSince = Date.now();
    const drainEnd = Date.now() + 30_000;
    while (Date.now() < drainEnd) {
      const n = (await Promise.all(clientProcs.map((c) => c.ask<{ receipts: number }>({ type: 'count' }, 'count')))).reduce((a, b) => a + b.receipts, 0);
      if (n !== last) {
        last = n;
        stableSince = Date.now();
      } else if (Date.now() - stableSince > 1_500) break;
      await sleep(250);
    }
    const collected = (await Promise.all(clientProcs.map((c) => c.ask<{ subscribers: Collected[] }>({ type: 'collect' }, 'receipts')))).flatMap((x) => x.subscribers);
    await Promise.all(clientProcs.map((c) => c.ask({ type: 'close' }, 'closed')));

    // the events the writer caused, matched to its mutations per incident (serialised by the cooldown)
    type Row = { id: string; tenant_id: string; incident_id: string | null; field: string; subject_id: string | null; to_value: string | null; tx: string };
    const rows: Row[] = await sql<Row[]>`
      select id::text, tenant_id, incident_id, field, subject_id, to_value, xmin::text as tx from activity where id > ${startId} order by id`;
    await sql.end({ timeout: 5 });
    const tenantOf = new Map(world.tenants.map((t) => [t.id, t.index]));
    const opsByIncident = new Map<string, Op[]>();
    for (const o of ops) if (!o.error) (opsByIncident.get(o.incidentId) ?? opsByIncident.set(o.incidentId, []).get(o.incidentId)!).push(o);
    const groups = new Map<string, { tx: string; rows: Row[] }[]>();
    let foreignRows = 0;
    for (const r of rows) {
      if (!r.incident_id || !world.incidents.has(r.incident_id)) {
        foreignRows += 1;
        continue;
      }
      const g = groups.get(r.incident_id) ?? groups.set(r.incident_id, []).get(r.incident_id)!;
      if (g.length && g[g.length - 1].tx === r.tx) g[g.length - 1].rows.push(r);
      else g.push({ tx: r.tx, rows: [r] });
    }
    const events: Ev[] = [];
    let unmatched = 0;
    for (const [incidentId, g] of groups) {
      const mine = (opsByIncident.get(incidentId) ?? []).sort((a, b) => a.seq - b.seq);
      if (mine.length !== g.length) {
        unmatched += 1;
        log(`incident ${incidentId}: ${g.length} transactions, ${mine.length} mutations of the writer`);
        continue;
      }
      g.forEach((tx, k) => {
        for (const r of tx.rows) events.push({ id: Number(r.id), tenant: tenantOf.get(r.tenant_id)!, incidentId, field: r.field, subjectId: r.subject_id, to: r.to_value, op: mine[k] });
      });
    }
    const errors = ops.filter((o) => o.error);
    const result = account(world, plans, ops, events, collected, initial, startedAt + mx.warmupSeconds * 1000);
    const wallMs = cpu1.at - cpu0.at;
    const cores = (ms: number) => ms / wallMs;
    const cpu = {
      windowS: wallMs / 1000,
      serversCores: servers.map((_, k) => cores(cpu1.servers[k] - cpu0.servers[k])),
      clientsCores: clientProcs.map((_, k) => cores(procCpuMs(clientProcs[k].proc.pid) - cpu0.clients[k])),
      writerCores: cores((cpu1.self.user + cpu1.self.system) / 1000),
      postgresCores: cores(postgresDeltaMs(cpu0.pg, cpu1.pg)),
      machineCores: cores(cpu1.machine - cpu0.machine),
      otherCores: 0,
    };
    void cpu1.clients;
    cpu.otherCores = cpu.machineCores - cpu.serversCores.reduce((a, b) => a + b, 0) - cpu.clientsCores.reduce((a, b) => a + b, 0) - cpu.writerCores - cpu.postgresCores;
    const deliveries = result.delivered + result.banner.receipts;
    const serverCpuUsPerDelivery = (cpu.serversCores.reduce((a, b) => a + b, 0) * wallMs * 1000) / Math.max(1, deliveries);

    // ---- the report ----
    const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');
    const kb = (b: number) => (b / 1024).toFixed(1);
    const opsDone = ops.length - errors.length;
    log(`writer: ${ops.length} mutations (${errors.length} with errors, ${skipped} slots skipped: writers busy or nothing idle), ${events.length} events, ${unmatched} incidents unmatched, ${foreignRows} other activity rows; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} on ${os.cpus().length} CPUs`);
    for (const e of errors.slice(0, 5)) log(`  mutation ${e.kind} #${e.seq}: ${e.error}`);
    const table: Record<string, Record<string, string>> = {};
    if (baseline) {
      table[`baseline: ${baseline.subscribers} identical, 1 server`] = {
        'p50 ms': ms(baseline.latencyFromResponseMs.p50),
        'p99 ms': ms(baseline.latencyFromResponseMs.p99),
        'max ms': ms(baseline.latencyFromResponseMs.max),
        'p99 from send': ms(baseline.latencyFromSendMs.p99),
        'deliveries': String(baseline.receipts),
        'missing': String(baseline.missing),
        'wrongful': '-',
        'KB heap/sub': kb(baseline.memory.heapPerSubscriberBytes),
        'KB RSS/sub': kb(baseline.memory.rssPerSubscriberBytes),
        'srv µs/delivery': baseline.serverCpuUsPerDelivery == null ? '-' : baseline.serverCpuUsPerDelivery.toFixed(1),
      };
    }
    table[`mixed: ${mx.subscribers}, ${mx.servers} servers, ${via}`] = {
      'p50 ms': ms(result.latencyMs.all.p50),
      'p99 ms': ms(result.latencyMs.all.p99),
      'max ms': ms(result.latencyMs.all.max),
      'p99 from send': ms(result.latencyFromSendMs.p99),
      'deliveries': String(deliveries),
      'missing': String(result.missing + result.banner.wrongFinal + result.banner.missingInitial),
      'wrongful': String(result.wrongful + result.banner.wrongValue + result.banner.wrongInitial + result.wrongPayload),
      'KB heap/sub': kb(memory.heapPerSubscriberBytes),
      'KB RSS/sub': kb(memory.rssPerSubscriberBytes),
      'srv µs/delivery': serverCpuUsPerDelivery.toFixed(1),
    };
    console.table(table);
    console.table({
      incidentChanged: { n: String(result.latencyMs.incident.n), 'p50 ms': ms(result.latencyMs.incident.p50), 'p99 ms': ms(result.latencyMs.incident.p99), 'max ms': ms(result.latencyMs.incident.max) },
      actionChanged: { n: String(result.latencyMs.action.n), 'p50 ms': ms(result.latencyMs.action.p50), 'p99 ms': ms(result.latencyMs.action.p99), 'max ms': ms(result.latencyMs.action.max) },
      banner: { n: String(result.latencyMs.banner.n), 'p50 ms': ms(result.latencyMs.banner.p50), 'p99 ms': ms(result.latencyMs.banner.p99), 'max ms': ms(result.latencyMs.banner.max) },
    });
    console.table(result.byVariant);
    log(
      `correctness: ${result.expected} expected deliveries (incidentChanged + actionChanged), ${result.delivered} delivered, ${result.missing} missing, ${result.wrongful} wrongful (${result.foreignTenant} of another tenant, ${result.unknownReceipts} of no writer event), ${result.duplicates} duplicates, ${result.wrongPayload} wrong role-dependent fields, ${result.errors} subscription errors, ${result.completed} completed early; banner: ${result.banner.subscribers} subscribers, ${result.banner.receipts} changes received for ${result.banner.statusEventsInScope} status changes in scope, ${result.banner.wrongValue} values not of their tenants, ${result.banner.wrongInitial} wrong first values, ${result.banner.wrongFinal} wrong last values`,
    );
    for (const e of result.examples) log(`  ${e}`);
    log(
      `CPU over the ${cpu.windowS.toFixed(1)} s write window, in cores: servers ${cpu.serversCores.map((c) => c.toFixed(2)).join(' + ')}, client processes ${cpu.clientsCores.map((c) => c.toFixed(2)).join(' + ')}, writer ${cpu.writerCores.toFixed(2)}, postgres (all databases) ${cpu.postgresCores.toFixed(2)}, everything else ${cpu.otherCores.toFixed(2)} (machine ${cpu.machineCores.toFixed(2)} of ${os.cpus().length}); ${opsDone} mutations, ${(opsDone / cpu.windowS).toFixed(1)}/s`,
    );
    const p99 = result.latencyMs.all.p99;
    const heapOk = memory.heapPerSubscriberBytes <= 10 * 1024;
    const rssOk = memory.rssPerSubscriberBytes <= 10 * 1024;
    const wrong = result.wrongful + result.banner.wrongValue + result.banner.wrongInitial + result.wrongPayload;
    const missing = result.missing + result.banner.wrongFinal + result.banner.missingInitial;
    log(`goal p99 commit → receipt ≤ 100 ms: ${ms(p99)} ms → ${p99 <= 100 ? 'met' : 'MISSED'}${baseline ? ` (baseline ${ms(baseline.latencyFromResponseMs.p99)} ms)` : ''}`);
    log(`goal ≤ 10 KB per idle subscriber: ${kb(memory.heapPerSubscriberBytes)} KB heap, ${kb(memory.rssPerSubscriberBytes)} KB RSS → ${heapOk && rssOk ? 'met' : heapOk ? 'met on heap, not RSS' : 'MISSED'}${baseline ? ` (baseline ${kb(baseline.memory.heapPerSubscriberBytes)} / ${kb(baseline.memory.rssPerSubscriberBytes)} KB)` : ''}`);
    log(`goal zero wrongful, zero missing: ${wrong} wrongful, ${missing} missing → ${wrong === 0 && missing === 0 && unmatched === 0 ? 'met' : 'MISSED'}`);

    fs.mkdirSync(kit.resultsDir, { recursive: true });
    const file = path.join(kit.resultsDir, `realtime-mixed-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(
      file,
      JSON.stringify(
        {
          at: new Date().toISOString(),
          via,
          machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg() },
          options: mx,
          baseline,
          mixed: { connectMs, memory, memoryJustAfterSubscribing: justAfter, settleMs: mx.settleMs, writer: { ops: ops.length, errors: errors.length, skipped, events: events.length, unmatched, foreignRows }, cpu, serverCpuUsPerDelivery, ...result },
        },
        null,
        2,
      ),
    );
    log(`results: ${path.relative(root, file)}`);
    await kit.cleanup();
    return !(wrong === 0 && missing === 0 && unmatched === 0 && result.errors === 0);
  } finally {
    killAll();
    await kit.cleanup();
  }
}
