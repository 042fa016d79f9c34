// The job engine (SPEC.md section 6: "claims with FOR UPDATE SKIP LOCKED and leases, bounded
// concurrency per process, fair across tenants (one tenant's slow or hanging endpoint never delays
// another tenant's work), retries, crash recovery by lease expiry"), through its first job kind,
// action attempts, on the real server and database.
//
// Every engine here is scoped to this file's tenants (`scope`), so on a shared PostgreSQL it never
// takes another test file's work. A "process" is one server with its own executor; on PGlite the
// servers share the root's database object, on PostgreSQL each opens its own pool.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FleetConnector, HttpEdrConnector, type ExecutionOutcome, type ResponseConnector } from '../src/connectors/edr';
import type { Config } from '../src/config';
import type { ExecutorOptions } from '../src/domain/executor';
import { backoffMs } from '../src/domain/jobs/engine';
import { backend, startApp, type TestApp } from './helpers/app';
import { newTenant, type TenantFixture } from './helpers/factory';
import { incident, mutate, publishedWithOneClicks, summary, truePositive, waitFor } from './helpers/response';

const local = (gid: string) => decodeGlobalID(gid).id;

const execution = (over: Partial<Config['execution']> = {}) =>
  ({ execution: { enabled: true, actionTimeoutMs: 60_000, pollMs: 50, leaseMs: 2_000, ...over } }) as Partial<Config>;

/** Root app: owns the database, serves the API, runs no executor. */
let root: TestApp;
const extra: TestApp[] = [];
const cleanups: (() => Promise<void>)[] = [];
/** This file's tenants: the only work its engines may claim. */
const mine = new Set<string>();
const scope = () => [...mine];

beforeAll(async () => {
  root = await startApp(execution({ enabled: false }));
});
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
  // extra apps first: on PGlite they borrow the root's database
  while (extra.length) await extra.pop()!.close();
  // the next test's engines see only its own tenants (a failed test may leave work queued)
  mine.clear();
});
afterAll(async () => {
  await root?.close();
});

async function tenant(opts: Parameters<typeof newTenant>[1] = { serviceAccessLevel: 'OPERATOR' }) {
  const t = await newTenant(root, opts);
  mine.add(t.tenant.id);
  return t;
}

/** Another server process on the same database, its executor idle until the test starts it. */
async function processWith(executor: Partial<ExecutorOptions>, over: Partial<Config['execution']> = {}) {
  const app = await startApp(execution({ enabled: false, ...over }), {
    executor: { scope, ...executor },
    database: backend === 'pglite' ? root.database : undefined,
  });
  extra.push(app);
  return app;
}

/** The tenant's response actions go to this endpoint (set in SQL: there is no API for it yet). */
async function setEdr(t: TenantFixture, endpoint: string) {
  await root.database.query('update tenants set edr_endpoint = $1, edr_secret = $2 where id = $3', [endpoint, 'edr-secret', t.tenant.id]);
}

/** `incidents` true-positive incidents of the tenant, each published with three experts' actions: queued attempts. */
async function queueWork(t: TenantFixture, incidents: number) {
  const ids: string[] = [];
  for (let i = 0; i < incidents; i++) ids.push(await publishedWithOneClicks(root, t));
  return ids;
}

interface AttemptRow {
  id: string;
  state: string;
  claimed_by: string | null;
  retries: number;
  last_error: string | null;
}
const attemptsOfTenant = (t: TenantFixture) =>
  root.database.query<AttemptRow>('select id, state, claimed_by, retries, last_error from action_attempts where tenant_id = $1 order by started_at', [t.tenant.id]);
const cardStatuses = async (t: TenantFixture) =>
  (await root.database.query<{ status: string }>('select status from action_cards where tenant_id = $1', [t.tenant.id])).map((r) => r.status);

/** Counts connector executions running at once, in total and per tenant. */
class Meter {
  running = 0;
  max = 0;
  readonly byTenant = new Map<string, number>();
  readonly maxByTenant = new Map<string, number>();
  readonly started: string[] = [];

  wrap(inner: ResponseConnector): ResponseConnector {
    return {
      name: inner.name,
      remote: inner.remote,
      execute: async (tx, req) => {
        this.started.push(req.tenantId);
        this.running += 1;
        this.max = Math.max(this.max, this.running);
        const n = (this.byTenant.get(req.tenantId) ?? 0) + 1;
        this.byTenant.set(req.tenantId, n);
        this.maxByTenant.set(req.tenantId, Math.max(this.maxByTenant.get(req.tenantId) ?? 0, n));
        try {
          return await inner.execute(tx, req);
        } finally {
          this.running -= 1;
          this.byTenant.set(req.tenantId, this.byTenant.get(req.tenantId)! - 1);
        }
      },
    };
  }
}

/** A remote EDR on a local port: `hang` holds every request open, `503` answers Service Unavailable. */
class LocalEdr {
  readonly requestTimes: number[] = [];
  private readonly held: ServerResponse[] = [];
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  port = 0;
  constructor(private readonly mode: 'hang' | '503') {}

  get url() {
    return `http://127.0.0.1:${this.port}/actions`;
  }
  /** Requests it is holding open right now. */
  get open() {
    return this.held.filter((r) => !r.writableEnded && !r.destroyed).length;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      this.requestTimes.push(Date.now());
      req.resume();
      if (this.mode === 'hang') this.held.push(res);
      else res.writeHead(503).end();
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    cleanups.push(() => this.stop());
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

/** Past their deadline, a tenant's open attempts are failed TIMED_OUT by the sweep: nothing is left queued. */
async function timeOutOpenWork(t: TenantFixture) {
  await root.database.query(
    `update action_attempts set deadline = now() - interval '1 second' where tenant_id = $1 and state in ('QUEUED', 'RUNNING', 'WAITING', 'SENT')`,
    [t.tenant.id],
  );
  await waitFor(() => cardStatuses(t), (s) => s.every((x) => x === 'FAILED' || x === 'COMPLETED'), 15_000);
}

describe('fairness and bounded concurrency', () => {
  it("tenant A's EDR never answers and A has more queued attempts than the concurrency: tenant B's fleet isolation completes anyway, within the bounds", async () => {
    const edrA = await new LocalEdr('hang').start();
    const a = await tenant();
    const c = await tenant();
    const d = await tenant();
    const b = await tenant();
    await setEdr(a, edrA.url);
    // C and D: EDRs that take 150 ms per action, enough work to fill every free slot meanwhile
    await setEdr(c, 'test://slow-edr');
    await setEdr(d, 'test://slow-edr');
    await queueWork(a, 2); // 6 attempts, the oldest in the queue
    await queueWork(c, 2);
    await queueWork(d, 2);
    const bInc = await truePositive(root, b);
    const pub = await mutate(root, b.tokens.EXPERT, 'publishManagedResponse', {
      incidentId: bInc.id,
      summary,
      actions: [{ kind: 'ISOLATE_DEVICE', targetId: bInc.devices[0].id }],
    });
    expect(pub.data.publishManagedResponse.incident.managedResponse.actions[0]).toMatchObject({ status: 'IN_PROGRESS', performedBy: 'EXPERTS' });

    const meter = new Meter();
    const fleet = new FleetConnector();
    const slow: ResponseConnector = {
      name: 'slow-edr',
      remote: true,
      execute: () => new Promise<ExecutionOutcome>((r) => setTimeout(() => r({ kind: 'completed' }), 150)),
    };
    const p = await processWith({
      concurrency: 5,
      tenantConcurrency: 2,
      retryDelayMs: 50,
      connectorFor: (tenant) =>
        meter.wrap(
          tenant.edrEndpoint === edrA.url
            ? new HttpEdrConnector(edrA.url, tenant.edrSecret!, 'http://127.0.0.1:9/unused')
            : tenant.edrEndpoint
              ? slow
              : fleet,
        ),
    });
    p.server.executor.start();

    // B's isolation is done, although A's attempts are older and A's EDR answers none of them
    const done = await waitFor(() => incident(root, b.tokens.READER, bInc.id), (i) => i.status === 'RESOLVED', 5_000);
    expect(done.managedResponse.actions[0]).toMatchObject({ status: 'COMPLETED', target: { isolated: true } });
    expect(await cardStatuses(a)).toEqual(Array(6).fill('IN_PROGRESS'));

    // C and D finish too, two at a time each, beside A's two hanging requests
    await waitFor(async () => [...(await cardStatuses(c)), ...(await cardStatuses(d))], (s) => s.every((x) => x === 'COMPLETED'), 15_000);
    await waitFor(async () => edrA.open, (n) => n === 2);
    expect(edrA.requestTimes).toHaveLength(2);
    const aAttempts = await attemptsOfTenant(a);
    expect(aAttempts.filter((x) => x.state === 'RUNNING' && x.claimed_by === p.server.executor.id)).toHaveLength(2);
    // (on PGlite this engine is the only one: A's other four wait in the queue)
    if (backend === 'pglite') expect(aAttempts.filter((x) => x.state === 'QUEUED')).toHaveLength(4);

    // never more than 5 at once, never more than 2 for one tenant; A was held to its 2
    expect(meter.max).toBeLessThanOrEqual(5);
    for (const [t, n] of meter.maxByTenant) expect(n, t).toBeLessThanOrEqual(2);
    expect(meter.maxByTenant.get(a.tenant.id)).toBe(2);
    // (on PGlite these are the only executions: the bound was reached, so it was what held them back)
    if (backend === 'pglite') expect(meter.max).toBe(5);
    expect(p.server.executor.active.byTenant.get(a.tenant.id)).toBe(2);

    // the hanging EDR goes away: A's attempts go back to the queue, and time out with the reason
    await edrA.stop();
    await timeOutOpenWork(a);
    const failed = await root.database.query<{ failure_reason: string }>('select failure_reason from action_cards where tenant_id = $1', [a.tenant.id]);
    for (const f of failed) expect(f.failure_reason).toMatch(/^TIMED_OUT/);
  });

  it('free slots go round robin across tenants, not oldest first: a newer tenant waits for one job, not for the whole backlog', async () => {
    const a = await tenant();
    const b = await tenant();
    await queueWork(a, 2); // 6 attempts queued before B's
    await queueWork(b, 1);
    const meter = new Meter();
    const p = await processWith({ concurrency: 1, tenantConcurrency: 1, connectorFor: () => meter.wrap(new FleetConnector()) });
    p.server.executor.start();
    await waitFor(async () => [...(await cardStatuses(a)), ...(await cardStatuses(b))], (s) => s.every((x) => x === 'COMPLETED'), 15_000);
    expect(meter.max).toBe(1);
    const order = meter.started.map((id) => (id === a.tenant.id ? 'A' : 'B'));
    expect(order).toHaveLength(9);
    // one each in turn while both have work: A B A B A B A A A
    expect(order.slice(0, 6).filter((x) => x === 'B')).toHaveLength(3);
    expect(order.indexOf('B')).toBeLessThanOrEqual(1);
  });
});

describe('leases', () => {
  it('a run longer than the lease keeps its lease (renewed) and is not taken over; one hung past maxRunMs is', async () => {
    const t = await tenant();
    const [incId] = await queueWork(t, 1);
    const executions = new Map<string, string[]>();
    const count = (who: string, inner: ResponseConnector): ResponseConnector => ({
      name: inner.name,
      remote: inner.remote,
      execute: (tx, req) => {
        executions.set(req.attemptId, [...(executions.get(req.attemptId) ?? []), who]);
        return inner.execute(tx, req);
      },
    });
    // P1 works slowly (two and a half leases long) but is alive: it renews its leases
    const slow: ResponseConnector = {
      name: 'slow',
      remote: true,
      execute: () => new Promise<ExecutionOutcome>((r) => setTimeout(() => r({ kind: 'completed' }), 1_500)),
    };
    const p1 = await processWith({ maxRunMs: 10_000, tenantConcurrency: 3, connectorFor: () => count('p1', slow) }, { leaseMs: 600 });
    const p2 = await processWith({ connectorFor: () => count('p2', new FleetConnector()) }, { leaseMs: 600 });
    p1.server.executor.start();
    await waitFor(async () => executions.size, (n) => n === 3);
    p2.server.executor.start();
    await waitFor(() => cardStatuses(t), (s) => s.every((x) => x === 'COMPLETED'), 10_000);
    expect([...executions.values()]).toEqual([['p1'], ['p1'], ['p1']]);
    const rows = await attemptsOfTenant(t);
    expect(rows.map((r) => [r.state, r.claimed_by])).toEqual(rows.map(() => ['COMPLETED', p1.server.executor.id]));
    // P2 never ran them: the fleet would have isolated the device
    expect((await incident(root, t.tokens.READER, incId)).managedResponse.actions[0].target.isolated).toBe(false);
    await p1.server.executor.stop();
    await p2.server.executor.stop();

    // P3 hangs for good (a process stuck on a call that never returns): past maxRunMs it stops
    // renewing, its leases lapse, and P4 takes the attempts over; P3's late results are ignored
    const t2 = await tenant();
    const [inc2] = await queueWork(t2, 1);
    const release: ((o: ExecutionOutcome) => void)[] = [];
    const hang: ResponseConnector = { name: 'hang', remote: true, execute: () => new Promise<ExecutionOutcome>((r) => release.push(r)) };
    const p3 = await processWith({ maxRunMs: 400, tenantConcurrency: 3, connectorFor: () => count('p3', hang) }, { leaseMs: 300 });
    const p4 = await processWith({ connectorFor: () => count('p4', new FleetConnector()) }, { leaseMs: 300 });
    p3.server.executor.start();
    await waitFor(async () => release.length, (n) => n === 3);
    p4.server.executor.start();
    const done = await waitFor(() => incident(root, t2.tokens.READER, inc2), (i) => i.status === 'RESOLVED', 10_000);
    expect(done.managedResponse.actions.map((a: { status: string }) => a.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
    expect(done.managedResponse.actions[0].target.isolated).toBe(true);
    for (const r of release) r({ kind: 'failed', reason: 'zombie result' });
    await p3.server.executor.stop();
    const after = await attemptsOfTenant(t2);
    expect(after.map((r) => [r.state, r.claimed_by])).toEqual(after.map(() => ['COMPLETED', p4.server.executor.id]));
    for (const ids of [...executions.entries()].filter(([id]) => after.some((r) => r.id === id)).map(([, w]) => w)) expect(ids).toEqual(['p3', 'p4']);
  });
});

describe('retries', () => {
  it('backoff is exponential in the retry number, capped, with jitter', () => {
    const opts = { baseMs: 100, maxMs: 1_000 };
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffMs(n, opts, () => 1))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect([0, 1, 2, 3, 4, 10].map((n) => backoffMs(n, opts, () => 0))).toEqual([50, 100, 200, 400, 500, 500]);
    const spread = new Set(Array.from({ length: 50 }, () => backoffMs(3, opts)));
    expect(spread.size).toBeGreaterThan(10);
    for (const v of spread) expect(v).toBeGreaterThanOrEqual(400);
  });

  it('an EDR answering 503 is retried with growing delays; the retries and the last error are kept and named when it times out', async () => {
    const edr = await new LocalEdr('503').start();
    const t = await tenant({ serviceAccessLevel: 'READER' });
    await setEdr(t, edr.url);
    const inc = await truePositive(root, t);
    const pub = await mutate(root, t.tokens.EXPERT, 'publishManagedResponse', { incidentId: inc.id, summary, actions: [{ kind: 'ISOLATE_DEVICE', targetId: inc.devices[0].id }] });
    const card = pub.data.publishManagedResponse.incident.managedResponse.actions[0];
    const p = await processWith({ retryDelayMs: 40, maxRetryDelayMs: 10_000 }, { pollMs: 20 });
    expect((await mutate(root, t.tokens.OPERATOR, 'performAction', { actionId: card.id }, 'action { status }')).data.performAction.errors).toEqual([]);
    p.server.executor.start();
    await waitFor(async () => edr.requestTimes.length, (n) => n >= 5, 10_000);
    const gaps = edr.requestTimes.slice(1, 5).map((at, i) => at - edr.requestTimes[i]);
    // retry k waits at least half of 40 ms × 2^k (the jitter never takes more than half)
    gaps.forEach((gap, k) => expect(gap, `gap ${k}: ${gaps}`).toBeGreaterThanOrEqual((40 * 2 ** k) / 2 - 5));
    const [row] = await root.database.query<AttemptRow>('select id, state, claimed_by, retries, last_error from action_attempts where action_id = $1', [local(card.id)]);
    expect(row.retries).toBeGreaterThanOrEqual(4);
    expect(row.last_error).toBe('EDR answered 503');
    await timeOutOpenWork(t);
    const failed = await incident(root, t.tokens.READER, inc.id);
    expect(failed.managedResponse.actions[0].failureReason).toMatch(/^TIMED_OUT: .*\(last error: EDR answered 503\)$/);
    expect(failed.managedResponse.actions[0].attempts).toEqual([
      { number: 1, side: 'CUSTOMER', state: 'FAILED', failureReason: failed.managedResponse.actions[0].failureReason, connector: 'http-edr' },
    ]);
  });
});
