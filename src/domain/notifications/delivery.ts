// Notification delivery: the second job kind of the job engine (src/domain/jobs/engine.ts). A
// notification row is claimed under a lease (FOR UPDATE SKIP LOCKED, so several processes or
// instances never take the same one), sent outside any transaction, and settled: SENT, FAILED
// with a retry time (exponential backoff with jitter; a receiver's Retry-After is honoured), or
// DEAD after the last attempt or on a final refusal (an SMTP 5xx, a Teams 4xx), the last error
// kept. A process killed between the claim and the send leaves the row SENDING under a lease that
// lapses; whoever claims it next sends the same message again with the same Message-ID.
//
// The sweep, once per poll interval, turns due reminder schedules into reminder notifications
// (a row lock per incident, so several processes never send one twice).
import { and, asc, eq, gte, inArray, lt, lte, notInArray, or, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Database } from '../../db/client';
import { incidentReminders, incidents, notifications, tenants, type NotificationRow } from '../../db/schema';
import { createMailer, DeliveryError, type Mailer } from '../../connectors/mail';
import { postToTeams } from '../../connectors/teams';
import type { Logger } from '../../log';
import { backoffMs, JobEngine, type JobQueue, type QueueBacklog, type RunResult } from '../jobs/engine';
import { enqueue, incidentPayload, pruneReminders, recipientsOf } from './outbox';
import { renderNotification, type NoticePayload, type NotificationKind } from './templates';
import { buildServiceReport, parseMonth } from '../report/data';
import { renderServiceReportHtml } from '../report/html';
import { queueMonthlyReports, reportFilename } from '../report/schedule';

export interface NotifierOptions {
  pollMs: number;
  leaseMs: number;
  concurrency: number;
  tenantConcurrency: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  sendTimeoutMs: number;
  reminderIntervalMs: number;
  allowPrivateTargets: boolean;
  smtpUrl?: string;
  mailDir: string;
  mailFrom: string;
  providerName: string;
  /** The service's public base URL (PUBLIC_URL, else the listening address). */
  publicUrl: () => string;
  /** The incident's page for the link in a message. */
  incidentLink: (incidentId: string) => string;
  /** Only these tenants' notifications (tests sharing one database); all when absent. */
  scope?: () => readonly string[];
}

class Cancelled extends Error {}

function scopeCond(scope: readonly string[] | null | undefined, column: AnyPgColumn = notifications.tenantId): SQL | undefined {
  if (!scope) return undefined;
  return scope.length ? inArray(column, [...scope]) : sql`false`;
}

class NotificationQueue implements JobQueue<NotificationRow, void> {
  readonly kind = 'notification';

  constructor(
    private readonly database: Database,
    private readonly mailer: Mailer,
    private readonly log: Logger,
    private readonly opts: NotifierOptions,
  ) {}

  /** Ready: queued or failed and due, or being sent under a lease that lapsed (the sender died). */
  private ready(): SQL {
    return or(
      and(inArray(notifications.status, ['QUEUED', 'FAILED']), lte(notifications.nextAttemptAt, sql`now()`)),
      and(eq(notifications.status, 'SENDING'), lt(notifications.leaseUntil, sql`now()`), lt(notifications.attempts, this.opts.maxAttempts)),
    )!;
  }

  async readyTenants(q: { scope: readonly string[] | null; exclude: readonly string[]; after: string | null; limit: number }): Promise<string[]> {
    const conds: (SQL | undefined)[] = [this.ready(), scopeCond(q.scope)];
    if (q.exclude.length) conds.push(notInArray(notifications.tenantId, [...q.exclude]));
    const rows = await this.database.db
      .select({ tenantId: notifications.tenantId })
      .from(notifications)
      .where(and(...conds))
      .groupBy(notifications.tenantId)
      .orderBy(...(q.after ? [sql`${notifications.tenantId} <= ${q.after}::uuid`, asc(notifications.tenantId)] : [asc(notifications.tenantId)]))
      .limit(q.limit);
    return rows.map((r) => r.tenantId);
  }

  async backlog(): Promise<QueueBacklog> {
    // ready since: its (next) attempt fell due, or the lease of a sender that died lapsed
    const [row] = await this.database.db
      .select({
        ready: sql<number>`count(*)::int`,
        age: sql<number | null>`extract(epoch from now() - min(case when ${notifications.status} = 'SENDING' then ${notifications.leaseUntil} else ${notifications.nextAttemptAt} end))::float8`,
      })
      .from(notifications)
      .where(this.ready());
    return { ready: Number(row?.ready ?? 0), oldestReadyAgeSeconds: row?.age == null ? null : Math.max(0, Number(row.age)) };
  }

  async claim(q: { tenantId: string; limit: number; owner: string; leaseUntil: Date; skip: readonly string[] }): Promise<NotificationRow[]> {
    return this.database.db.transaction(async (tx) => {
      const conds: SQL[] = [eq(notifications.tenantId, q.tenantId), this.ready()];
      if (q.skip.length) conds.push(notInArray(notifications.id, [...q.skip]));
      const candidates = await tx
        .select({ id: notifications.id })
        .from(notifications)
        .where(and(...conds))
        .orderBy(asc(notifications.createdAt), asc(notifications.id))
        .limit(q.limit)
        .for('update', { skipLocked: true });
      if (!candidates.length) return [];
      return tx
        .update(notifications)
        .set({ status: 'SENDING', claimedBy: q.owner, leaseUntil: q.leaseUntil, attempts: sql`${notifications.attempts} + 1` })
        .where(inArray(notifications.id, candidates.map((c) => c.id)))
        .returning();
    });
  }

  async run(n: NotificationRow): Promise<void> {
    const db = this.database.db;
    if (n.kind === 'AWAITING_ACTION_REMINDER' && n.incidentId) {
      const [incident] = await db.select({ status: incidents.status }).from(incidents).where(eq(incidents.id, n.incidentId));
      if (incident?.status !== 'AWAITING_CUSTOMER_ACTION') throw new Cancelled(`CANCELLED: the incident no longer awaits customer action (${incident?.status ?? 'gone'})`);
    }
    const rendered = renderNotification(n.kind as NotificationKind, n.payload as unknown as NoticePayload, {
      providerName: this.opts.providerName,
      link: n.incidentId ? this.opts.incidentLink(n.incidentId) : null,
      serviceUrl: this.opts.publicUrl(),
    });
    if (n.channel === 'EMAIL') {
      const report = (n.payload as unknown as NoticePayload).report;
      // the service report itself, as it reads at sending time (a page that opens offline)
      const attachments =
        n.kind === 'SERVICE_REPORT' && report
          ? [{ filename: reportFilename(report.month), contentType: 'text/html; charset=utf-8', content: await this.reportPage(n.tenantId, report.month) }]
          : undefined;
      await this.mailer.send({ to: n.recipient, subject: rendered.subject, text: rendered.text, html: rendered.html, messageId: n.messageId, attachments });
      return;
    }
    // the webhook URL as it is now: a cleared or replaced one is used, never a stale copy
    const [tenant] = await db.select({ url: tenants.teamsWebhookUrl }).from(tenants).where(eq(tenants.id, n.tenantId));
    if (!tenant?.url) throw new DeliveryError('The Teams webhook is no longer configured', true);
    await postToTeams(tenant.url, rendered.card, { timeoutMs: this.opts.sendTimeoutMs, allowPrivate: this.opts.allowPrivateTargets, messageId: n.messageId });
  }

  private async reportPage(tenantId: string, month: string): Promise<string> {
    const now = new Date();
    const report = await buildServiceReport(this.database, tenantId, parseMonth(month, now), now);
    return renderServiceReportHtml(report, { providerName: this.opts.providerName });
  }

  async settle(n: NotificationRow, result: RunResult<void>, owner: string): Promise<void> {
    const mine = and(eq(notifications.id, n.id), eq(notifications.status, 'SENDING'), eq(notifications.claimedBy, owner));
    const db = this.database.db;
    if (result.ok) {
      await db.update(notifications).set({ status: 'SENT', sentAt: new Date(), lastError: null, leaseUntil: null, claimedBy: null }).where(mine);
      return;
    }
    const err = result.error;
    if (err instanceof Cancelled) {
      await db.update(notifications).set({ status: 'DEAD', lastError: err.message, leaseUntil: null, claimedBy: null }).where(mine);
      return;
    }
    const known = err instanceof DeliveryError;
    const message = known ? err.message : `internal error: ${(err as Error)?.message ?? String(err)}`;
    if (!known) this.log.error({ err, notificationId: n.id }, 'notification delivery failed unexpectedly; will retry');
    if ((known && err.permanent) || n.attempts >= this.opts.maxAttempts) {
      this.log.warn({ notificationId: n.id, channel: n.channel, attempts: n.attempts, error: message }, 'notification is dead');
      await db.update(notifications).set({ status: 'DEAD', lastError: message.slice(0, 1000), leaseUntil: null, claimedBy: null }).where(mine);
      return;
    }
    const delay = Math.max(backoffMs(n.attempts - 1, { baseMs: this.opts.retryBaseMs, maxMs: this.opts.retryMaxMs }), known ? Math.min(err.retryAfterMs ?? 0, this.opts.retryMaxMs) : 0);
    await db
      .update(notifications)
      .set({ status: 'FAILED', lastError: message.slice(0, 1000), nextAttemptAt: new Date(Date.now() + delay), leaseUntil: null, claimedBy: null })
      .where(mine);
  }

  async renew(ids: readonly string[], owner: string, leaseUntil: Date): Promise<void> {
    await this.database.db
      .update(notifications)
      .set({ leaseUntil })
      .where(and(inArray(notifications.id, [...ids]), eq(notifications.status, 'SENDING'), eq(notifications.claimedBy, owner)));
  }

  async sweep(): Promise<void> {
    const scope = this.opts.scope?.() ?? null;
    const db = this.database.db;
    // a sender that died on the last attempt: nobody will claim the row again
    await db
      .update(notifications)
      .set({ status: 'DEAD', lastError: sql`coalesce(${notifications.lastError} || ' / ', '') || 'the sending process stopped during the last attempt'`, leaseUntil: null })
      .where(and(eq(notifications.status, 'SENDING'), lt(notifications.leaseUntil, sql`now()`), gte(notifications.attempts, this.opts.maxAttempts), scopeCond(scope)));
    await this.remind(scope);
    try {
      const queued = await queueMonthlyReports(this.database, { scope });
      if (queued > 0) this.log.info({ queued }, 'monthly service reports queued');
    } catch (err) {
      this.log.error({ err }, 'queueing the monthly service reports failed; the next sweep tries again');
    }
  }

  /** Turn due reminder schedules into reminder notifications: one round per incident per interval. */
  private async remind(scope: readonly string[] | null): Promise<void> {
    const interval = this.opts.reminderIntervalMs;
    for (let batch = 0; batch < 20; batch++) {
      const done = await this.database.transaction(async (tx) => {
        if (batch === 0) await pruneReminders(tx, scope);
        const due = await tx
          .select({ reminder: incidentReminders, incident: incidents })
          .from(incidentReminders)
          .innerJoin(incidents, eq(incidents.id, incidentReminders.incidentId))
          .where(
            and(
              eq(incidents.status, 'AWAITING_CUSTOMER_ACTION'),
              sql`coalesce(${incidentReminders.lastSentAt}, ${incidentReminders.since}) <= now() - make_interval(secs => ${interval / 1000})`,
              scopeCond(scope, incidentReminders.tenantId),
            ),
          )
          .orderBy(asc(incidentReminders.since))
          .limit(50)
          .for('update', { of: incidentReminders, skipLocked: true });
        for (const { reminder, incident } of due) {
          const round = reminder.sent + 1;
          const recipients = await recipientsOf(tx, incident.tenantId);
          if (recipients.emails.length || recipients.teams) {
            const payload = await incidentPayload(tx, recipients.tenantName, incident);
            await enqueue(tx, {
              tenantId: incident.tenantId,
              incidentId: incident.id,
              kind: 'AWAITING_ACTION_REMINDER',
              payload: { ...payload, reminder: { round, awaitingSince: reminder.since.toISOString() } },
              recipients,
              dedupe: `reminder:${incident.id}:${round}`,
            });
          }
          await tx.update(incidentReminders).set({ lastSentAt: new Date(), sent: round }).where(eq(incidentReminders.incidentId, reminder.incidentId));
        }
        return due.length < 50;
      });
      if (done) return;
    }
  }
}

/** The notification deliverer of one process: the job engine over the notification queue. */
export class Notifier extends JobEngine<NotificationRow, void> {
  private readonly mailer: Mailer;

  constructor(database: Database, log: Logger, opts: NotifierOptions) {
    const mailer = createMailer({ smtpUrl: opts.smtpUrl, mailDir: opts.mailDir, from: opts.mailFrom, timeoutMs: opts.sendTimeoutMs, maxConnections: Math.min(opts.concurrency, 10) });
    super(new NotificationQueue(database, mailer, log, opts), {
      concurrency: opts.concurrency,
      tenantConcurrency: opts.tenantConcurrency,
      pollMs: opts.pollMs,
      leaseMs: opts.leaseMs,
      // a send is bounded by its own timeout; past twice that, it counts as hung
      maxRunMs: Math.max(2 * opts.sendTimeoutMs, opts.leaseMs),
      scope: opts.scope,
      // a send still running at stop keeps its lease and is taken over when it lapses
      stopGraceMs: Math.min(opts.leaseMs, 3_000),
      log,
    });
    this.mailer = mailer;
  }

  override async stop(): Promise<void> {
    await super.stop();
    this.mailer.close();
  }
}
