// The job engine (SPEC.md section 6): one scheduler for every kind of background work kept in the
// database — action attempts today, notification and webhook deliveries next. A job kind supplies
// a queue (which tenants have ready work, claim, run, settle, renew); the engine supplies the rest:
//
// - bounded concurrency: at most `concurrency` jobs of this engine run at once in this process;
// - fairness: at most `tenantConcurrency` of them for one tenant, and free slots are handed out
//   round robin over the tenants with ready work, so one tenant's hanging endpoint holds at most
//   its own slots and never delays another tenant's work;
// - leases: a claim holds a job until `leaseMs` from now; the engine renews the leases of running
//   jobs, but only for `maxRunMs`: a job stuck longer is treated like a crashed one and its lease
//   lapses, so another process (or this one's successor) takes it over;
// - crash recovery: a process that dies stops renewing, and its jobs become claimable again when
//   their leases expire (the queues' claims select them);
// - start()/stop(): stop waits for the running jobs (up to a grace period) before it resolves.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Logger } from '../../log';
import { detached } from '../../request-id';
import type { QueueBacklog } from '../../observability/metrics';

export type { QueueBacklog };

/** What the engine needs to know of a job: its id and the tenant it is fair across. */
export interface Job {
  readonly id: string;
  readonly tenantId: string;
}

/** The result of a run, as the queue's settle() receives it. */
export type RunResult<O> = { ok: true; value: O } | { ok: false; error: unknown };

/**
 * One kind of job kept in the database. Every method that writes must check that `owner` still
 * holds the job (state and claimant), so that a run whose lease lapsed and was taken over by
 * someone else changes nothing when it finally returns.
 */
export interface JobQueue<J extends Job, O> {
  /** For logs: "action-attempt", "notification", "webhook-delivery"... */
  readonly kind: string;
  /**
   * Tenants with a job ready to claim now, at most `limit`, in round-robin order: ids after
   * `after` first (ascending), then from the start. `scope` (when set) limits the tenants
   * considered; `exclude` are tenants this engine cannot take more work for right now.
   */
  readyTenants(q: { scope: readonly string[] | null; exclude: readonly string[]; after: string | null; limit: number }): Promise<string[]>;
  /**
   * Claim up to `limit` ready jobs of one tenant, oldest first, for `owner` until `leaseUntil`:
   * `FOR UPDATE SKIP LOCKED`, so concurrent claimers (other processes) never take the same job.
   * Never returns one of `skip` (jobs this engine still has a run of in flight).
   */
  claim(q: { tenantId: string; limit: number; owner: string; leaseUntil: Date; skip: readonly string[] }): Promise<J[]>;
  /** Do the work (I/O happens here, outside any transaction where possible). */
  run(job: J, owner: string): Promise<O>;
  /** Record the outcome: done, failed, or back to the queue with a backoff (see backoffMs). */
  settle(job: J, result: RunResult<O>, owner: string): Promise<void>;
  /** Extend the leases `owner` holds on these jobs. */
  renew(ids: readonly string[], owner: string, leaseUntil: Date): Promise<void>;
  /** Housekeeping once per poll interval (e.g. fail jobs past their deadline). */
  sweep?(): Promise<void>;
  /** Ready jobs in the database (every tenant, whatever the scope) and the oldest one's age: the metrics. One aggregate query. */
  backlog?(): Promise<QueueBacklog>;
}

export interface JobEngineOptions {
  /** Claimant id written on claimed jobs; defaults to host:pid:random. */
  id?: string;
  /** Jobs this engine runs at once. */
  concurrency: number;
  /** Of those, at most this many for one tenant. */
  tenantConcurrency: number;
  /** Look for ready work at least this often (new work also wakes the engine). */
  pollMs: number;
  leaseMs: number;
  /** Renew a running job's lease for at most this long; then it counts as hung. Default 2 × leaseMs. */
  maxRunMs?: number;
  /** stop() waits this long for running jobs; the rest keep their leases until they lapse. Default min(leaseMs, 10 s). */
  stopGraceMs?: number;
  /** Only these tenants' jobs (tests sharing one database); all tenants when absent. Read at every claim. */
  scope?: () => readonly string[];
  log: Logger;
}

/** Retry delay: exponential in the retry number (0-based), capped, with jitter (half fixed, half random). */
export function backoffMs(retry: number, opts: { baseMs: number; maxMs: number }, random: () => number = Math.random): number {
  const nominal = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(Math.max(retry, 0), 30));
  // Equal jitter: never less than half the nominal delay (a real backoff), and retries of many
  // jobs that failed together (one EDR outage) spread out instead of arriving in step.
  return Math.round(nominal / 2 + random() * (nominal / 2));
}

interface Running {
  tenantId: string;
  startedAt: number;
  done: Promise<void>;
}

export class JobEngine<J extends Job, O> {
  readonly id: string;
  private readonly running = new Map<string, Running>();
  private readonly perTenant = new Map<string, number>();
  /** Round-robin position: the tenant served last. */
  private cursor: string | null = null;
  private filling: Promise<void> | null = null;
  /** Fills run one after another (a wake and a drain never claim side by side). */
  private fillChain: Promise<void> = Promise.resolve();
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private renewing = false;
  private lastSweep = 0;
  /** Not woken by timers or wake() until start(). */
  private stopped = true;
  /** stop() was called: a fill in progress claims nothing more. */
  private halted = false;

  constructor(
    private readonly queue: JobQueue<J, O>,
    private readonly opts: JobEngineOptions,
  ) {
    this.id = opts.id ?? `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  }

  /** Jobs running now, and per tenant (for health output and tests). */
  get active(): { total: number; byTenant: ReadonlyMap<string, number> } {
    return { total: this.running.size, byTenant: this.perTenant };
  }

  /** The queue's kind ("action-attempt", "notification", "outbound-delivery"). */
  get kind(): string {
    return this.queue.kind;
  }

  /** The queue's backlog in the database (the metrics); null when the queue cannot tell. */
  backlog(): Promise<QueueBacklog> | null {
    return this.queue.backlog?.() ?? null;
  }

  start(): void {
    this.stopped = false;
    this.halted = false;
    if (!this.renewTimer) {
      this.renewTimer = setInterval(() => void this.renew(), Math.max(20, Math.floor(this.opts.leaseMs / 3)));
      this.renewTimer.unref();
    }
    this.wake();
  }

  /**
   * Stop claiming, then wait for the running jobs (up to the grace period). A job still running
   * after it keeps its lease until it lapses, and is taken over then, like a crashed one.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.halted = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.filling?.catch(() => {});
    const grace = this.opts.stopGraceMs ?? Math.min(this.opts.leaseMs, 10_000);
    let graceTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running.values()].map((r) => r.done)),
      new Promise<void>((resolve) => (graceTimer = setTimeout(resolve, grace))),
    ]);
    clearTimeout(graceTimer);
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
  }

  /**
   * Look for work soon (new work was committed, or a slot was freed). Often called while a
   * request is handled: the work and its timers run outside that request's scope (its log id).
   */
  wake(): void {
    detached(() => this.wakeUp());
  }

  private wakeUp(): void {
    if (this.stopped) return;
    if (this.filling) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.filling = this.fill()
      .catch((err) => this.opts.log.error({ err, kind: this.queue.kind }, 'job engine: claiming failed'))
      .finally(() => {
        this.filling = null;
        if (this.stopped) return;
        if (this.again) {
          this.again = false;
          setImmediate(() => this.wake());
        } else {
          this.timer = setTimeout(() => this.wake(), this.opts.pollMs);
          this.timer.unref();
        }
      });
  }

  /**
   * Run everything ready now and wait for it, without start() (the demo seed, scripts): claims
   * and runs until nothing is ready and nothing runs.
   */
  async drain(): Promise<void> {
    this.halted = false;
    this.lastSweep = 0;
    for (let round = 0; round < 1_000; round++) {
      await this.fill();
      if (this.running.size === 0) return;
      await Promise.race([...this.running.values()].map((r) => r.done));
    }
  }

  private fill(): Promise<void> {
    const next = this.fillChain.then(() => this.fillSlots());
    this.fillChain = next.catch(() => {});
    return next;
  }

  /** Claim ready jobs into the free slots, round robin over tenants, and launch them. */
  private async fillSlots(): Promise<void> {
    // an engine scoped to no tenant (a test app that delivers nothing) does no work at all
    const scope = this.opts.scope?.() ?? null;
    if (scope && scope.length === 0) return;
    if (Date.now() - this.lastSweep >= this.opts.pollMs) {
      this.lastSweep = Date.now();
      await this.queue.sweep?.();
    }
    while (!this.halted && this.running.size < this.opts.concurrency) {
      const full = [...this.perTenant].filter(([, n]) => n >= this.opts.tenantConcurrency).map(([t]) => t);
      const tenants = await this.queue.readyTenants({ scope, exclude: full, after: this.cursor, limit: this.opts.concurrency });
      // One job per tenant per round: every tenant with ready work gets a slot before any gets two.
      // The round's claims run side by side (each its own short transaction): a claim costs a
      // few milliseconds, and one after another they would bound the engine's throughput.
      const batch: string[] = [];
      for (const tenantId of tenants) {
        if (this.running.size + batch.length >= this.opts.concurrency) break;
        if ((this.perTenant.get(tenantId) ?? 0) >= this.opts.tenantConcurrency) continue;
        batch.push(tenantId);
      }
      if (this.halted || batch.length === 0) return;
      const skip = [...this.running.keys()];
      const leaseUntil = new Date(Date.now() + this.opts.leaseMs);
      const claimed = await Promise.all(batch.map((tenantId) => this.queue.claim({ tenantId, limit: 1, owner: this.id, leaseUntil, skip })));
      this.cursor = batch[batch.length - 1];
      let launched = 0;
      for (const [job] of claimed) {
        if (!job) continue; // taken by another process meanwhile (SKIP LOCKED)
        this.launch(job);
        launched += 1;
      }
      if (launched === 0) return;
    }
  }

  private launch(job: J): void {
    const entry: Running = { tenantId: job.tenantId, startedAt: Date.now(), done: Promise.resolve() };
    this.running.set(job.id, entry);
    this.perTenant.set(job.tenantId, (this.perTenant.get(job.tenantId) ?? 0) + 1);
    entry.done = (async () => {
      let result: RunResult<O>;
      try {
        result = { ok: true, value: await this.queue.run(job, this.id) };
      } catch (error) {
        result = { ok: false, error };
      }
      try {
        await this.queue.settle(job, result, this.id);
      } catch (err) {
        // the lease lapses and the job is retried by whoever claims it next
        this.opts.log.error({ err, kind: this.queue.kind, jobId: job.id }, 'job engine: settling failed');
      }
    })().finally(() => {
      this.running.delete(job.id);
      const n = (this.perTenant.get(job.tenantId) ?? 1) - 1;
      if (n > 0) this.perTenant.set(job.tenantId, n);
      else this.perTenant.delete(job.tenantId);
      this.wake();
    });
  }

  /** Keep the leases of running jobs alive, except those running longer than maxRunMs (hung). */
  private async renew(): Promise<void> {
    if (this.renewing || this.running.size === 0) return;
    this.renewing = true;
    try {
      const now = Date.now();
      const maxRun = this.opts.maxRunMs ?? 2 * this.opts.leaseMs;
      const ids = [...this.running].filter(([, r]) => now - r.startedAt < maxRun).map(([id]) => id);
      if (ids.length) await this.queue.renew(ids, this.id, new Date(now + this.opts.leaseMs));
    } catch (err) {
      this.opts.log.warn({ err, kind: this.queue.kind }, 'job engine: lease renewal failed');
    } finally {
      this.renewing = false;
    }
  }
}
