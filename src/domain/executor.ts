// The execution engine: every server process runs an executor that claims queued attempts from
// the database (FOR UPDATE SKIP LOCKED, under a lease), runs them through the tenant's response
// connector, and records the outcome. A crashed executor's lease expires and another process (or
// the same one restarted) takes the attempt over: none is stuck, none runs twice, because the
// built-in effect commits in the same transaction as the attempt's completion and a remote EDR
// receives the attempt id as its idempotency key.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Database, Tx } from '../db/client';
import { actionAttempts, actionCards, deviceFiles, devices, tenants, type ActionAttemptRow } from '../db/schema';
import { applyEffect, FleetConnector, HttpEdrConnector, type ExecutionOutcome, type OneClickKind, type ResponseConnector } from '../connectors/edr';
import { writeTransaction, type ActivityLog } from '../events/activity';
import type { Logger } from '../log';
import { createDomainContext, type EventSink } from './context';
import { settleIncident } from './response';

export interface ExecutorOptions {
  pollMs: number;
  leaseMs: number;
  /** Base URL of this service, for remote EDR callbacks (known once the server listens). */
  publicUrl: () => string;
  retryDelayMs?: number;
  /** Swap connectors in tests (e.g. a connector that hangs, to simulate a crash mid-action). */
  connectorFor?: (tenant: { edrEndpoint: string | null; edrSecret: string | null }) => ResponseConnector;
}

export class ActionExecutor {
  readonly id = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** Not woken by timers or wake() until start(). */
  private stopped = true;
  /** stop() was called: a pass in progress ends after its current attempt. */
  private halted = false;
  private again = false;
  private readonly fleet = new FleetConnector();

  constructor(
    private readonly database: Database,
    private readonly events: EventSink,
    private readonly log: Logger,
    private readonly opts: ExecutorOptions,
  ) {}

  start(): void {
    this.stopped = false;
    this.halted = false;
    this.wake();
  }

  /** Stop claiming; waits for the current pass. An attempt in flight keeps its lease and is retaken after it expires. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.halted = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => {});
  }

  /** Run a pass soon (new work was committed). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.running = this.pass()
      .catch((err) => this.log.error({ err }, 'executor pass failed'))
      .finally(() => {
        this.running = null;
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

  /** One pass: time out overdue attempts, then claim and run ready ones until none is left. */
  async pass(): Promise<void> {
    await this.timeOutOverdue();
    for (let i = 0; i < 100 && !this.halted; i++) {
      const attempt = await this.claim();
      if (!attempt) return;
      await this.run(attempt);
    }
  }

  private async claim(): Promise<ActionAttemptRow | null> {
    const db = this.database.db;
    const leaseUntil = new Date(Date.now() + this.opts.leaseMs);
    return db.transaction(async (tx) => {
      // Ready: queued (and not backing off), running under an expired lease (its executor died),
      // or waiting on a device that is back online.
      const [candidate] = await tx
        .select({ id: actionAttempts.id })
        .from(actionAttempts)
        .innerJoin(actionCards, eq(actionCards.id, actionAttempts.actionId))
        .leftJoin(devices, eq(devices.id, actionCards.targetDeviceId))
        .where(
          or(
            and(eq(actionAttempts.state, 'QUEUED'), or(isNull(actionAttempts.leaseUntil), lt(actionAttempts.leaseUntil, sql`now()`))),
            and(eq(actionAttempts.state, 'RUNNING'), lt(actionAttempts.leaseUntil, sql`now()`)),
            and(eq(actionAttempts.state, 'WAITING'), eq(devices.healthStatus, 'ACTIVE')),
          ),
        )
        .orderBy(actionAttempts.startedAt)
        .limit(1)
        .for('update', { of: actionAttempts, skipLocked: true });
      if (!candidate) return null;
      const [row] = await tx
        .update(actionAttempts)
        .set({ state: 'RUNNING', claimedBy: this.id, leaseUntil })
        .where(eq(actionAttempts.id, candidate.id))
        .returning();
      return row;
    });
  }

  private connectorFor(tenant: { edrEndpoint: string | null; edrSecret: string | null }): ResponseConnector {
    if (this.opts.connectorFor) return this.opts.connectorFor(tenant);
    if (tenant.edrEndpoint && tenant.edrSecret) {
      return new HttpEdrConnector(tenant.edrEndpoint, tenant.edrSecret, `${this.opts.publicUrl().replace(/\/+$/, '')}/connectors/edr/callback`);
    }
    return this.fleet;
  }

  private async run(attempt: ActionAttemptRow): Promise<void> {
    const db = this.database.db;
    const [card] = await db.select().from(actionCards).where(eq(actionCards.id, attempt.actionId));
    const [tenant] = await db.select().from(tenants).where(eq(tenants.id, attempt.tenantId));
    const [device] = card.targetDeviceId ? await db.select().from(devices).where(eq(devices.id, card.targetDeviceId)) : [];
    const [file] = card.targetFileId ? await db.select().from(deviceFiles).where(eq(deviceFiles.id, card.targetFileId)) : [];
    const connector = this.connectorFor(tenant);
    const request = { attemptId: attempt.id, actionId: card.id, tenantId: card.tenantId, kind: card.kind as OneClickKind, device, file: file ?? null };
    const ctx = createDomainContext(this.database, null, { events: this.events });

    if (!device) {
      await writeTransaction(ctx, (tx, log) => this.record(tx, log, attempt, { kind: 'failed', reason: 'DEVICE_NOT_FOUND: the target device is gone' }));
      return;
    }
    if (connector.remote) {
      // network I/O outside any transaction; the lease keeps others off meanwhile
      const outcome = await connector.execute(undefined as unknown as Tx, request);
      await writeTransaction(ctx, (tx, log) => this.record(tx, log, attempt, outcome));
      return;
    }
    await writeTransaction(ctx, async (tx, log) => {
      // Take the attempt row lock and make sure we still own it: if our lease expired and
      // another executor took over, this transaction does nothing.
      const [mine] = await tx
        .select({ id: actionAttempts.id })
        .from(actionAttempts)
        .where(and(eq(actionAttempts.id, attempt.id), eq(actionAttempts.state, 'RUNNING'), eq(actionAttempts.claimedBy, this.id)))
        .for('update');
      if (!mine) return;
      const outcome = await connector.execute(tx, request);
      await this.record(tx, log, attempt, outcome);
    });
  }

  /** Write an outcome for an attempt this executor holds. */
  private async record(tx: Tx, log: ActivityLog, attempt: ActionAttemptRow, outcome: ExecutionOutcome): Promise<void> {
    const [current] = await tx.select().from(actionAttempts).where(eq(actionAttempts.id, attempt.id)).for('update');
    if (!current || current.state !== 'RUNNING' || current.claimedBy !== this.id) return;
    switch (outcome.kind) {
      case 'waiting':
        await tx.update(actionAttempts).set({ state: 'WAITING', claimedBy: null, leaseUntil: null }).where(eq(actionAttempts.id, attempt.id));
        return;
      case 'sent':
        await tx.update(actionAttempts).set({ state: 'SENT', leaseUntil: null }).where(eq(actionAttempts.id, attempt.id));
        return;
      case 'retry':
        this.log.warn({ attemptId: attempt.id, reason: outcome.reason }, 'response connector unavailable; will retry');
        await tx
          .update(actionAttempts)
          .set({ state: 'QUEUED', claimedBy: null, leaseUntil: new Date(Date.now() + (this.opts.retryDelayMs ?? 5_000)) })
          .where(eq(actionAttempts.id, attempt.id));
        return;
      default:
        await finishAttempt(tx, log, current, outcome);
    }
  }

  /** Fail every open attempt past its deadline (TIMED_OUT), e.g. a device that stayed offline. */
  private async timeOutOverdue(): Promise<void> {
    const overdue = await this.database.db
      .select({ id: actionAttempts.id })
      .from(actionAttempts)
      .where(and(inArray(actionAttempts.state, ['QUEUED', 'WAITING', 'SENT', 'RUNNING']), lt(actionAttempts.deadline, sql`now()`)))
      .limit(100);
    for (const { id } of overdue) {
      const ctx = createDomainContext(this.database, null, { events: this.events });
      await writeTransaction(ctx, async (tx, log) => {
        const [a] = await tx.select().from(actionAttempts).where(eq(actionAttempts.id, id)).for('update', { skipLocked: true });
        if (!a || !['QUEUED', 'WAITING', 'SENT', 'RUNNING'].includes(a.state) || a.deadline.getTime() > Date.now()) return;
        // a RUNNING attempt under a live lease is being executed right now: let it finish
        if (a.state === 'RUNNING' && a.leaseUntil && a.leaseUntil.getTime() > Date.now()) return;
        const why = a.state === 'SENT' ? 'the EDR did not report a result in time' : a.state === 'WAITING' ? 'the device stayed offline' : 'the action could not run in time';
        await finishAttempt(tx, log, a, { kind: 'failed', reason: `TIMED_OUT: ${why}` });
      });
    }
  }
}

/** Close an attempt and its card, then move the incident along. Shared by executors and EDR callbacks. */
export async function finishAttempt(
  tx: Tx,
  log: ActivityLog,
  attempt: ActionAttemptRow,
  outcome: { kind: 'completed' } | { kind: 'failed'; reason: string },
): Promise<void> {
  const now = new Date();
  const failed = outcome.kind === 'failed';
  await tx
    .update(actionAttempts)
    .set({ state: failed ? 'FAILED' : 'COMPLETED', failureReason: failed ? outcome.reason : null, finishedAt: now, leaseUntil: null })
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
  result: { status: 'COMPLETED' | 'FAILED'; reason?: string | null },
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
    const [device] = await tx.select().from(devices).where(eq(devices.id, card.targetDeviceId!));
    const [file] = card.targetFileId ? await tx.select().from(deviceFiles).where(eq(deviceFiles.id, card.targetFileId)) : [];
    const effect = await applyEffect(tx, { kind: card.kind as OneClickKind, device, file: file ?? null });
    await finishAttempt(tx, log, a, effect.kind === 'failed' ? effect : { kind: 'completed' });
    return 'recorded';
  });
}
