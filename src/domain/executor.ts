// Action attempts, the first job kind of the job engine (src/domain/jobs/engine.ts): every server
// process runs an executor that claims queued attempts from the database (FOR UPDATE SKIP LOCKED,
// under a lease), runs them through the tenant's response connector, and records the outcome. A
// crashed executor's lease expires and another process (or the same one restarted) takes the
// attempt over: none is stuck, none runs twice, because the built-in effect commits in the same
// transaction as the attempt's completion and a remote EDR receives the attempt id as its
// idempotency key. The engine runs several attempts at once, fairly across tenants.
import { and, asc, eq, gt, inArray, isNull, lt, notInArray, or, sql, type SQL } from 'drizzle-orm';
import type { Database, DbOrTx, Tx } from '../db/client';
import { actionAttempts, actionCards, devices, tenants, type ActionAttemptRow, type TenantRow } from '../db/schema';
import { FleetConnector, HttpEdrConnector, type ActionRequest, type ExecutionOutcome, type OneClickKind, type ResponseConnector } from '../connectors/edr';
import { applyEffect } from '../connectors/estate';
import { writeTransaction, type ActivityLog } from '../events/activity';
import type { Logger } from '../log';
import { createDomainContext, type EventSink } from './context';
import { backoffMs, JobEngine, type JobQueue, type QueueBacklog, type RunResult } from './jobs/engine';
import { settleIncident } from './response/settle';
import { exclusionOf } from './exclusions';
import { exclusionFacts, loadCardTarget } from './response/targets';

export interface ExecutorOptions {
  pollMs: number;
  leaseMs: number;
  /** Base URL of this service, for remote EDR callbacks (known once the server listens). */
  publicUrl: () => string;
  /** Attempts run at once by this process (EXECUTOR_CONCURRENCY). Default 32. */
  concurrency?: number;
  /** Of those, at most this many for one tenant (EXECUTOR_TENANT_CONCURRENCY). Default 2. */
  tenantConcurrency?: number;
  /** First retry delay when the EDR cannot be reached; doubles per retry, with jitter. Default 5 s. */
  retryDelayMs?: number;
  /** Longest retry delay. Default 5 minutes. */
  maxRetryDelayMs?: number;
  /** A run longer than this stops renewing its lease (it counts as hung). Default 2 × leaseMs. */
  maxRunMs?: number;
  /** Claim only these tenants' attempts (tests sharing one database); every tenant when absent. */
  scope?: () => readonly string[];
  /** Swap connectors in tests (e.g. a connector that hangs, to simulate a crash mid-action). */
  connectorFor?: (tenant: { edrEndpoint: string | null; edrSecret: string | null }) => ResponseConnector;
}

/** What a run of an attempt produced, for settle(). */
type AttemptRun =
  | ExecutionOutcome
  /** The experts' target became excluded after the attempt was queued: nothing was executed. */
  | { kind: 'excluded'; reason: string }
  /** Recorded by the run itself, in the transaction of the effect (the built-in fleet). */
  | { kind: 'recorded' };

// Ready to claim: queued (and not backing off), running under an expired lease (its executor
// died or hung), or waiting on a device that is back online; and not past its deadline (the
// sweep fails those as TIMED_OUT: an action never runs later than its timeout).
const ready = and(
  gt(actionAttempts.deadline, sql`now()`),
  or(
    and(eq(actionAttempts.state, 'QUEUED'), or(isNull(actionAttempts.leaseUntil), lt(actionAttempts.leaseUntil, sql`now()`))),
    and(eq(actionAttempts.state, 'RUNNING'), lt(actionAttempts.leaseUntil, sql`now()`)),
    and(eq(actionAttempts.state, 'WAITING'), eq(devices.healthStatus, 'ACTIVE')),
  ),
)!;

/** The experts never act on an excluded target; the customer may. Null when the attempt may run. */
async function attemptExclusion(db: DbOrTx, attempt: ActionAttemptRow, tenant: Pick<TenantRow, 'remediationExclusions' | 'excludedAccountIds'>, target: ActionRequest['target']): Promise<string | null> {
  if (attempt.side !== 'EXPERTS') return null;
  return exclusionOf(tenant, await exclusionFacts(db, attempt.tenantId, target));
}

/** The action-attempt queue: action_attempts rows, run through the tenant's response connector. */
class ActionAttemptQueue implements JobQueue<ActionAttemptRow, AttemptRun> {
  readonly kind = 'action-attempt';
  private readonly fleet = new FleetConnector();

  constructor(
    private readonly database: Database,
    private readonly events: EventSink,
    private readonly log: Logger,
    private readonly opts: ExecutorOptions,
  ) {}

  private ctx() {
    return createDomainContext(this.database, null, { events: this.events });
  }

  async readyTenants(q: { scope: readonly string[] | null; exclude: readonly string[]; after: string | null; limit: number }): Promise<string[]> {
    const conds: SQL[] = [ready];
    if (q.scope) conds.push(inArray(actionAttempts.tenantId, [...q.scope]));
    if (q.exclude.length) conds.push(notInArray(actionAttempts.tenantId, [...q.exclude]));
    const rows = await this.database.db
      .select({ tenantId: actionAttempts.tenantId })
      .from(actionAttempts)
      .innerJoin(actionCards, eq(actionCards.id, actionAttempts.actionId))
      .leftJoin(devices, eq(devices.id, actionCards.targetDeviceId))
      .where(and(...conds))
      .groupBy(actionAttempts.tenantId)
      // round robin: the tenants after the one served last, then from the start again
      .orderBy(...(q.after ? [sql`${actionAttempts.tenantId} <= ${q.after}::uuid`, asc(actionAttempts.tenantId)] : [asc(actionAttempts.tenantId)]))
      .limit(q.limit);
    return rows.map((r) => r.tenantId);
  }

  async backlog(): Promise<QueueBacklog> {
    // ready since: queued (started_at), or its retry backoff or lapsed lease (lease_until)
    const [row] = await this.database.db
      .select({
        ready: sql<number>`count(*)::int`,
        age: sql<number | null>`extract(epoch from now() - min(greatest(${actionAttempts.startedAt}, ${actionAttempts.leaseUntil})))::float8`,
      })
      .from(actionAttempts)
      .innerJoin(actionCards, eq(actionCards.id, actionAttempts.actionId))
      .leftJoin(devices, eq(devices.id, actionCards.targetDeviceId))
      .where(ready);
    return { ready: Number(row?.ready ?? 0), oldestReadyAgeSeconds: row?.age == null ? null : Math.max(0, Number(row.age)) };
  }

  async claim(q: { tenantId: string; limit: number; owner: string; leaseUntil: Date; skip: readonly string[] }): Promise<ActionAttemptRow[]> {
    return this.database.db.transaction(async (tx) => {
      const conds: SQL[] = [eq(actionAttempts.tenantId, q.tenantId), ready];
      if (q.skip.length) conds.push(notInArray(actionAttempts.id, [...q.skip]));
      // SKIP LOCKED: rows another executor is claiming right now are passed over, not waited for.
      const candidates = await tx
        .select({ id: actionAttempts.id })
        .from(actionAttempts)
        .innerJoin(actionCards, eq(actionCards.id, actionAttempts.actionId))
        .leftJoin(devices, eq(devices.id, actionCards.targetDeviceId))
        .where(and(...conds))
        .orderBy(actionAttempts.startedAt)
        .limit(q.limit)
        .for('update', { of: actionAttempts, skipLocked: true });
      if (!candidates.length) return [];
      return tx
        .update(actionAttempts)
        .set({ state: 'RUNNING', claimedBy: q.owner, leaseUntil: q.leaseUntil })
        .where(inArray(actionAttempts.id, candidates.map((c) => c.id)))
        .returning();
    });
  }

  async renew(ids: readonly string[], owner: string, leaseUntil: Date): Promise<void> {
    await this.database.db
      .update(actionAttempts)
      .set({ leaseUntil })
      .where(and(inArray(actionAttempts.id, [...ids]), eq(actionAttempts.state, 'RUNNING'), eq(actionAttempts.claimedBy, owner)));
  }

  private connectorFor(tenant: { edrEndpoint: string | null; edrSecret: string | null }): ResponseConnector {
    if (this.opts.connectorFor) return this.opts.connectorFor(tenant);
    if (tenant.edrEndpoint && tenant.edrSecret) {
      return new HttpEdrConnector(tenant.edrEndpoint, tenant.edrSecret, `${this.opts.publicUrl().replace(/\/+$/, '')}/connectors/edr/callback`);
    }
    return this.fleet;
  }

  async run(attempt: ActionAttemptRow, owner: string): Promise<AttemptRun> {
    const db = this.database.db;
    const [card] = await db.select().from(actionCards).where(eq(actionCards.id, attempt.actionId));
    const [tenant] = await db.select().from(tenants).where(eq(tenants.id, attempt.tenantId));
    const target = await loadCardTarget(db, card);
    if (!target) return { kind: 'failed', reason: 'TARGET_NOT_FOUND: the target is no longer in the estate' };
    const connector = this.connectorFor(tenant);
    const request: ActionRequest = { attemptId: attempt.id, actionId: card.id, tenantId: card.tenantId, kind: card.kind as OneClickKind, target, parameters: card.parameters };

    if (connector.remote) {
      // Exclusions are checked again right before the action leaves for the EDR: an admin may
      // have excluded the device's group (or the account) since the experts published.
      const excluded = await attemptExclusion(db, attempt, tenant, target);
      if (excluded) return { kind: 'excluded', reason: excluded };
      // network I/O outside any transaction; the lease keeps others off meanwhile
      return connector.execute(undefined as unknown as Tx, request);
    }
    return writeTransaction(this.ctx(), async (tx, log): Promise<AttemptRun> => {
      // Take the attempt row lock and make sure we still own it: if our lease expired and
      // another executor took over, this transaction does nothing.
      const [mine] = await tx
        .select({ id: actionAttempts.id })
        .from(actionAttempts)
        .where(and(eq(actionAttempts.id, attempt.id), eq(actionAttempts.state, 'RUNNING'), eq(actionAttempts.claimedBy, owner)))
        .for('update');
      if (!mine) return { kind: 'recorded' };
      // the exclusions and the target as they are now, in the effect's own transaction
      const [settings] = await tx.select({ remediationExclusions: tenants.remediationExclusions, excludedAccountIds: tenants.excludedAccountIds }).from(tenants).where(eq(tenants.id, attempt.tenantId));
      const now = await loadCardTarget(tx, card);
      const excluded = now ? await attemptExclusion(tx, attempt, settings, now) : null;
      const outcome: AttemptRun = excluded ? { kind: 'excluded', reason: excluded } : await connector.execute(tx, { ...request, target: now ?? target });
      await this.record(tx, log, attempt, outcome, owner);
      return { kind: 'recorded' };
    });
  }

  async settle(attempt: ActionAttemptRow, result: RunResult<AttemptRun>, owner: string): Promise<void> {
    if (result.ok && result.value.kind === 'recorded') return;
    // A run that threw (a deadlock, a dropped connection, a connector bug) is retried like an
    // unreachable EDR: the attempt goes back to the queue with a backoff, until its deadline.
    const outcome: AttemptRun = result.ok ? result.value : { kind: 'retry', reason: `internal error: ${(result.error as Error)?.message ?? String(result.error)}` };
    if (!result.ok) this.log.error({ err: result.error, attemptId: attempt.id }, 'action attempt run failed; will retry');
    await writeTransaction(this.ctx(), (tx, log) => this.record(tx, log, attempt, outcome, owner));
  }

  /** Write an outcome for an attempt `owner` holds; nothing if it no longer does. */
  private async record(tx: Tx, log: ActivityLog, attempt: ActionAttemptRow, outcome: AttemptRun, owner: string): Promise<void> {
    const [current] = await tx.select().from(actionAttempts).where(eq(actionAttempts.id, attempt.id)).for('update');
    if (!current || current.state !== 'RUNNING' || current.claimedBy !== owner) return;
    switch (outcome.kind) {
      case 'recorded':
        return;
      case 'waiting':
        await tx.update(actionAttempts).set({ state: 'WAITING', claimedBy: null, leaseUntil: null }).where(eq(actionAttempts.id, attempt.id));
        return;
      case 'sent':
        await tx.update(actionAttempts).set({ state: 'SENT', leaseUntil: null, lastError: null }).where(eq(actionAttempts.id, attempt.id));
        return;
      case 'retry': {
        const delay = backoffMs(current.retries, { baseMs: this.opts.retryDelayMs ?? 5_000, maxMs: this.opts.maxRetryDelayMs ?? 300_000 });
        this.log.warn({ attemptId: attempt.id, reason: outcome.reason, retry: current.retries + 1, delayMs: delay }, 'response connector unavailable; will retry');
        await tx
          .update(actionAttempts)
          // a QUEUED attempt with a lease in the future is backing off: not claimable before then
          .set({ state: 'QUEUED', claimedBy: null, leaseUntil: new Date(Date.now() + delay), retries: current.retries + 1, lastError: outcome.reason.slice(0, 500) })
          .where(eq(actionAttempts.id, attempt.id));
        return;
      }
      case 'excluded': {
        const reason = `TARGET_EXCLUDED: ${outcome.reason.replace(/^./, (c) => c.toLowerCase()).replace(/ is excluded /, ' was excluded ')} before the action ran; nothing was executed`;
        await finishAttempt(tx, log, current, { kind: 'failed', reason });
        // back to the customer, who may still perform it (exclusions bind the experts only)
        await tx.update(actionCards).set({ leftToCustomerReason: outcome.reason }).where(eq(actionCards.id, current.actionId));
        return;
      }
      default:
        await finishAttempt(tx, log, current, outcome);
    }
  }

  /** Fail every open attempt past its deadline (TIMED_OUT), e.g. a device that stayed offline. */
  async sweep(): Promise<void> {
    const conds: SQL[] = [inArray(actionAttempts.state, ['QUEUED', 'WAITING', 'SENT', 'RUNNING']), lt(actionAttempts.deadline, sql`now()`)];
    const scope = this.opts.scope?.();
    if (scope) conds.push(scope.length ? inArray(actionAttempts.tenantId, [...scope]) : sql`false`);
    const overdue = await this.database.db
      .select({ id: actionAttempts.id })
      .from(actionAttempts)
      .where(and(...conds))
      .limit(100);
    for (const { id } of overdue) {
      await writeTransaction(this.ctx(), async (tx, log) => {
        const [a] = await tx.select().from(actionAttempts).where(eq(actionAttempts.id, id)).for('update', { skipLocked: true });
        if (!a || !['QUEUED', 'WAITING', 'SENT', 'RUNNING'].includes(a.state) || a.deadline.getTime() > Date.now()) return;
        // a RUNNING attempt under a live lease is being executed right now: let it finish
        if (a.state === 'RUNNING' && a.leaseUntil && a.leaseUntil.getTime() > Date.now()) return;
        const why = a.state === 'SENT' ? 'the EDR did not report a result in time' : a.state === 'WAITING' ? 'the device stayed offline' : 'the action could not run in time';
        await finishAttempt(tx, log, a, { kind: 'failed', reason: `TIMED_OUT: ${why}${a.lastError ? ` (last error: ${a.lastError})` : ''}` });
      });
    }
  }
}

/**
 * The action executor of one process: the job engine over the action-attempt queue. Its surface
 * (start, stop, wake, pass, id) is what the server, the demo seed and the tests use.
 */
export class ActionExecutor {
  private readonly engine: JobEngine<ActionAttemptRow, AttemptRun>;

  constructor(database: Database, events: EventSink, log: Logger, opts: ExecutorOptions) {
    this.engine = new JobEngine(new ActionAttemptQueue(database, events, log, opts), {
      concurrency: opts.concurrency ?? 32,
      tenantConcurrency: opts.tenantConcurrency ?? 2,
      pollMs: opts.pollMs,
      leaseMs: opts.leaseMs,
      maxRunMs: opts.maxRunMs,
      scope: opts.scope,
      log,
    });
  }

  /** The claimant id written on the attempts this executor holds. */
  get id(): string {
    return this.engine.id;
  }

  /** Attempts running in this process now, in total and per tenant. */
  get active() {
    return this.engine.active;
  }

  get kind(): string {
    return this.engine.kind;
  }

  /** Ready attempts in the database and the oldest one's age (the metrics). */
  backlog(): Promise<QueueBacklog> | null {
    return this.engine.backlog();
  }

  start(): void {
    this.engine.start();
  }

  /** Stop claiming and wait for running attempts (up to a grace period); the rest are retaken after their leases expire. */
  stop(): Promise<void> {
    return this.engine.stop();
  }

  /** Claim soon (new work was committed). */
  wake(): void {
    this.engine.wake();
  }

  /** Time out overdue attempts, then run every ready one and wait for them (the demo seed, without start()). */
  pass(): Promise<void> {
    return this.engine.drain();
  }
}

/** Close an attempt and its card, then move the incident along. Shared by executors and EDR callbacks. */
export async function finishAttempt(
  tx: Tx,
  log: ActivityLog,
  attempt: ActionAttemptRow,
  outcome: { kind: 'completed'; result?: string | null } | { kind: 'failed'; reason: string },
): Promise<void> {
  const now = new Date();
  const failed = outcome.kind === 'failed';
  await tx
    .update(actionAttempts)
    .set({
      state: failed ? 'FAILED' : 'COMPLETED',
      failureReason: failed ? outcome.reason : null,
      result: outcome.kind === 'completed' ? (outcome.result ?? null) : null,
      finishedAt: now,
      leaseUntil: null,
    })
    .where(eq(actionAttempts.id, attempt.id));
  const [card] = await tx
    .update(actionCards)
    .set(
      failed
        ? { status: 'FAILED', failureReason: outcome.reason, updatedAt: now }
        : { status: 'COMPLETED', failureReason: null, completedAt: now, updatedAt: now },
    )
    .where(eq(actionCards.id, attempt.actionId))
    .returning();
  log.add({
    tenantId: card.tenantId,
    incidentId: card.incidentId,
    field: 'action',
    subjectId: card.id,
    from: 'IN_PROGRESS',
    to: card.status,
    note: `${card.title}${failed ? `: ${outcome.reason}` : ''}`,
  });
  await settleIncident(tx, log, card.incidentId);
}

/** A remote EDR's signed result for an attempt it was sent. Returns false when unknown. */
export async function recordEdrResult(
  database: Database,
  events: EventSink,
  attemptId: string,
  result: { status: 'COMPLETED' | 'FAILED'; reason?: string | null; result?: string | null },
): Promise<'recorded' | 'duplicate'> {
  const ctx = createDomainContext(database, null, { events });
  return writeTransaction(ctx, async (tx, log) => {
    const [a] = await tx.select().from(actionAttempts).where(eq(actionAttempts.id, attemptId)).for('update');
    // only attempts handed to a remote EDR can be reported on; fleet attempts are ours alone
    if (!a || a.connector !== 'http-edr' || (a.state !== 'SENT' && a.state !== 'RUNNING')) return 'duplicate';
    if (result.status === 'FAILED') {
      await finishAttempt(tx, log, a, { kind: 'failed', reason: `EDR_FAILED: ${(result.reason ?? 'no reason given').slice(0, 500)}` });
      return 'recorded';
    }
    // the EDR did it: reflect the effect in our view of the fleet, in the same transaction
    const [card] = await tx.select().from(actionCards).where(eq(actionCards.id, a.actionId));
    const target = await loadCardTarget(tx, card);
    const effect = target
      ? await applyEffect(tx, { attemptId: a.id, kind: card.kind as OneClickKind, target, parameters: card.parameters })
      : ({ kind: 'failed', reason: 'TARGET_NOT_FOUND: the target is no longer in the estate' } as const);
    // the responder's own account of what it found wins over our view's
    await finishAttempt(tx, log, a, effect.kind === 'failed' ? effect : { kind: 'completed', result: result.result ?? effect.result ?? null });
    return 'recorded';
  });
}
