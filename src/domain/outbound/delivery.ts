// Outbound delivery: the job engine's third kind. One queue (outbound_deliveries) holds webhook
// calls and sync calls alike; a delivery is claimed under a lease (FOR UPDATE SKIP LOCKED: with
// several processes each one goes out once), and only when no earlier delivery of the same
// incident to the same target is still open: commit order per incident survives retries. Every
// attempt is recorded (status, duration, error, the first KB of the answer). A delivery that
// keeps failing is retried with exponential backoff and jitter for WEBHOOK_DISABLE_AFTER (3 days);
// an endpoint failing that long is disabled, its open deliveries end DEAD, and the tenant's
// admins are told (WEBHOOK_ENDPOINT_DISABLED).
import { and, asc, eq, inArray, isNotNull, isNull, lt, lte, notInArray, or, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Database, Tx } from '../../db/client';
import {
  deliveryAttempts,
  externalTickets,
  incidents,
  outboundDeliveries,
  principals,
  syncConnectors,
  tenants,
  webhookEndpoints,
  type OutboundDeliveryRow,
} from '../../db/schema';
import { DeliveryError, HttpDeliveryError, type HttpAnswer } from '../../connectors/http';
import { postWebhook } from '../../connectors/webhook';
import { syncSentinel, syncServiceNow, type Credentials, type SyncOutcome } from '../../connectors/sync';
import { redactUrl } from '../../connectors/targets';
import type { Logger } from '../../log';
import { encodeGlobalId } from '../ids';
import { backoffMs, JobEngine, type JobQueue, type QueueBacklog, type RunResult } from '../jobs/engine';
import { enqueue } from '../notifications/outbox';
import type { Secrets } from '../secrets';

export interface OutboundOptions {
  pollMs: number;
  leaseMs: number;
  concurrency: number;
  tenantConcurrency: number;
  timeoutMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
  disableAfterMs: number;
  allowPrivateTargets: boolean;
  providerName: string;
  secrets: Secrets;
  /** Only these tenants' deliveries (tests sharing one database); all when absent. */
  scope?: () => readonly string[];
  /** A delivery was settled (tests and the bench watch progress). */
  onSettled?: (d: OutboundDeliveryRow, ok: boolean) => void;
}

type Sent = { answer: HttpAnswer; ticket?: SyncOutcome };

/** The reason of an endpoint disabled for failing the whole window begins so (an administrator's does not). */
const AUTO_DISABLED = 'Disabled automatically';

function scopeCond(scope: readonly string[] | null | undefined, column: AnyPgColumn = outboundDeliveries.tenantId): SQL | undefined {
  if (!scope) return undefined;
  return scope.length ? inArray(column, [...scope]) : sql`false`;
}

// Ready: due (or its sender died), its target still active, and nothing earlier of the same
// incident to the same target still open.
const ready = and(
  or(
    and(inArray(outboundDeliveries.status, ['QUEUED', 'FAILED']), lte(outboundDeliveries.nextAttemptAt, sql`now()`)),
    and(eq(outboundDeliveries.status, 'SENDING'), lt(outboundDeliveries.leaseUntil, sql`now()`)),
  ),
  sql`(${outboundDeliveries.endpointId} is null or exists (select 1 from ${webhookEndpoints} w where w.id = ${outboundDeliveries.endpointId} and w.active))`,
  sql`(${outboundDeliveries.connectorId} is null or exists (select 1 from ${syncConnectors} c where c.id = ${outboundDeliveries.connectorId} and c.active))`,
  sql`not exists (select 1 from ${outboundDeliveries} e
        where coalesce(e.endpoint_id, e.connector_id) = coalesce(${outboundDeliveries.endpointId}, ${outboundDeliveries.connectorId})
          and e.incident_id = ${outboundDeliveries.incidentId} and e.event_id < ${outboundDeliveries.eventId}
          and e.status in ('QUEUED', 'SENDING', 'FAILED'))`,
)!;

class OutboundQueue implements JobQueue<OutboundDeliveryRow, Sent> {
  readonly kind = 'outbound-delivery';

  constructor(
    private readonly database: Database,
    private readonly log: Logger,
    private readonly opts: OutboundOptions,
  ) {}

  async readyTenants(q: { scope: readonly string[] | null; exclude: readonly string[]; after: string | null; limit: number }): Promise<string[]> {
    const conds: (SQL | undefined)[] = [ready, scopeCond(q.scope)];
    if (q.exclude.length) conds.push(notInArray(outboundDeliveries.tenantId, [...q.exclude]));
    const rows = await this.database.db
      .select({ tenantId: outboundDeliveries.tenantId })
      .from(outboundDeliveries)
      .where(and(...conds))
      .groupBy(outboundDeliveries.tenantId)
      .orderBy(...(q.after ? [sql`${outboundDeliveries.tenantId} <= ${q.after}::uuid`, asc(outboundDeliveries.tenantId)] : [asc(outboundDeliveries.tenantId)]))
      .limit(q.limit);
    return rows.map((r) => r.tenantId);
  }

  async backlog(): Promise<QueueBacklog> {
    // ready since: its (next) attempt fell due, or the lease of a sender that died lapsed
    const [row] = await this.database.db
      .select({
        ready: sql<number>`count(*)::int`,
        age: sql<number | null>`extract(epoch from now() - min(case when ${outboundDeliveries.status} = 'SENDING' then ${outboundDeliveries.leaseUntil} else ${outboundDeliveries.nextAttemptAt} end))::float8`,
      })
      .from(outboundDeliveries)
      .where(ready);
    return { ready: Number(row?.ready ?? 0), oldestReadyAgeSeconds: row?.age == null ? null : Math.max(0, Number(row.age)) };
  }

  async claim(q: { tenantId: string; limit: number; owner: string; leaseUntil: Date; skip: readonly string[] }): Promise<OutboundDeliveryRow[]> {
    return this.database.db.transaction(async (tx) => {
      const conds: SQL[] = [eq(outboundDeliveries.tenantId, q.tenantId), ready];
      if (q.skip.length) conds.push(notInArray(outboundDeliveries.id, [...q.skip]));
      const candidates = await tx
        .select({ id: outboundDeliveries.id })
        .from(outboundDeliveries)
        .where(and(...conds))
        .orderBy(asc(outboundDeliveries.eventId), asc(outboundDeliveries.id))
        .limit(q.limit)
        .for('update', { skipLocked: true });
      if (!candidates.length) return [];
      return tx
        .update(outboundDeliveries)
        .set({ status: 'SENDING', claimedBy: q.owner, leaseUntil: q.leaseUntil, attempts: sql`${outboundDeliveries.attempts} + 1` })
        .where(inArray(outboundDeliveries.id, candidates.map((c) => c.id)))
        .returning();
    });
  }

  private secretsOf(ep: typeof webhookEndpoints.$inferSelect): string[] {
    const list = [this.opts.secrets.decrypt(ep.secretEnc)];
    if (ep.previousSecretEnc && ep.previousSecretUntil && ep.previousSecretUntil.getTime() > Date.now()) list.push(this.opts.secrets.decrypt(ep.previousSecretEnc));
    return list;
  }

  async run(d: OutboundDeliveryRow): Promise<Sent> {
    const db = this.database.db;
    const http = { timeoutMs: this.opts.timeoutMs, allowPrivate: this.opts.allowPrivateTargets };
    if (d.target === 'WEBHOOK') {
      const [ep] = await db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, d.endpointId!));
      if (!ep) throw new DeliveryError('The endpoint was deleted', true);
      return { answer: await postWebhook(ep.url, { messageId: d.messageId, body: JSON.stringify(d.payload), secrets: this.secretsOf(ep) }, http) };
    }
    const [c] = await db.select().from(syncConnectors).where(eq(syncConnectors.id, d.connectorId!));
    if (!c) throw new DeliveryError('The connector was removed', true);
    const [incident] = await db.select().from(incidents).where(eq(incidents.id, d.incidentId!));
    const target = {
      baseUrl: c.baseUrl,
      credentials: JSON.parse(this.opts.secrets.decrypt(c.credentialsEnc)) as Credentials,
      mapping: c.mapping,
      ...http,
      providerName: this.opts.providerName,
    };
    const [existing] = await db
      .select({ externalId: externalTickets.externalId, labels: externalTickets.labels })
      .from(externalTickets)
      .where(and(eq(externalTickets.incidentId, incident.id), eq(externalTickets.connectorId, c.id)));
    if (c.system === 'SENTINEL') {
      const ticket = await syncSentinel(target, incident, existing?.labels ?? []);
      return { answer: ticket.answer, ticket };
    }
    type SyncEvent = {
      type: string;
      managedResponse?: { narrative?: string };
      action?: { title: string; status: string; failureReason?: string | null };
      update?: { body: string; author?: { name: string | null } };
    };
    const events = (d.payload as { events?: SyncEvent[] }).events ?? [];
    const notes = events.flatMap((e) =>
      e.type === 'managed_response.published' && e.managedResponse?.narrative
        ? [`Managed response published by ${this.opts.providerName}:\n${e.managedResponse.narrative}`]
        : e.type === 'action.updated' && e.action
          ? [`Response action "${e.action.title}": ${e.action.status}${e.action.failureReason ? ` (${e.action.failureReason})` : ''}`]
          : e.type === 'investigation.update_posted' && e.update
            ? [`Investigation update from ${e.update.author?.name ?? this.opts.providerName} (${this.opts.providerName}):\n${e.update.body}`]
            : [],
    );
    const ticket = await syncServiceNow(target, incident, encodeGlobalId('Incident', incident.id), notes, existing ?? null);
    return { answer: ticket.answer, ticket };
  }

  async settle(d: OutboundDeliveryRow, result: RunResult<Sent>, owner: string): Promise<void> {
    let ok = false;
    await this.database.transaction(async (tx) => {
      // Lock order: the endpoint, then the delivery (as deleting an endpoint does). The settles of
      // one endpoint's deliveries thus run one after another, each seeing what the previous one
      // did to the endpoint (started its failing period, disabled it), and each reads the clock
      // once it holds the endpoint: times written and compared here follow that order.
      const [ep] = d.endpointId ? await tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, d.endpointId)).for('update') : [];
      const [row] = await tx
        .select({ current: outboundDeliveries, nowMs: sql<number>`floor(extract(epoch from clock_timestamp()) * 1000)::float8`.mapWith(Number) })
        .from(outboundDeliveries)
        .where(eq(outboundDeliveries.id, d.id))
        .for('update');
      if (!row || row.current.status !== 'SENDING' || row.current.claimedBy !== owner) return;
      const current = row.current;
      const now = new Date(row.nowMs);
      const err = result.ok ? null : result.error;
      const answer = result.ok ? result.value.answer : err instanceof HttpDeliveryError ? err.answer : null;
      const message = err ? (err instanceof DeliveryError ? err.message : `internal error: ${(err as Error)?.message ?? String(err)}`) : null;
      if (err && !(err instanceof DeliveryError)) this.log.error({ err, deliveryId: d.id }, 'outbound delivery failed unexpectedly; will retry');
      await tx.insert(deliveryAttempts).values({
        deliveryId: d.id,
        at: now,
        responseStatus: answer?.status ?? null,
        durationMs: answer?.durationMs ?? 0,
        error: message?.slice(0, 1000) ?? null,
        responseExcerpt: answer?.excerpt ?? null,
      });
      if (result.ok) {
        ok = true;
        await tx
          .update(outboundDeliveries)
          .set({ status: 'SENT', deliveredAt: now, responseStatus: answer!.status, durationMs: answer!.durationMs, lastError: null, leaseUntil: null, claimedBy: null })
          .where(eq(outboundDeliveries.id, d.id));
        if (ep?.failingSince) await tx.update(webhookEndpoints).set({ failingSince: null }).where(eq(webhookEndpoints.id, ep.id));
        if (d.connectorId && result.value.ticket) await this.recordTicket(tx, d, result.value.ticket);
        return;
      }
      const permanent = err instanceof DeliveryError && err.permanent;
      const expired = now.getTime() - current.createdAt.getTime() >= this.opts.disableAfterMs;
      const fate = ep ? await this.webhookFailed(tx, current, ep, now, expired) : { dead: expired, disableSince: null };
      const dead = permanent || fate.dead;
      const retryAfter = err instanceof DeliveryError ? Math.min(err.retryAfterMs ?? 0, this.opts.retryMaxMs) : 0;
      const delay = Math.max(backoffMs(current.attempts - 1, { baseMs: this.opts.retryBaseMs, maxMs: this.opts.retryMaxMs }), retryAfter);
      await tx
        .update(outboundDeliveries)
        .set({
          status: dead ? 'DEAD' : 'FAILED',
          nextAttemptAt: dead ? current.nextAttemptAt : new Date(now.getTime() + delay),
          responseStatus: answer?.status ?? null,
          durationMs: answer?.durationMs ?? null,
          lastError: message!.slice(0, 1000),
          leaseUntil: null,
          claimedBy: null,
        })
        .where(eq(outboundDeliveries.id, d.id));
      if (ep && fate.disableSince) await this.disableEndpoint(tx, ep, fate.disableSince, message!, now);
      if (d.connectorId) {
        await tx.update(syncConnectors).set({ lastError: message!.slice(0, 1000), updatedAt: now }).where(eq(syncConnectors.id, d.connectorId));
        await tx
          .update(externalTickets)
          .set({ status: dead ? 'DEAD' : 'FAILED', lastError: message!.slice(0, 1000) })
          .where(and(eq(externalTickets.incidentId, d.incidentId!), eq(externalTickets.connectorId, d.connectorId)));
      }
    });
    this.opts.onSettled?.(d, ok);
  }

  private async recordTicket(tx: Tx, d: OutboundDeliveryRow, t: SyncOutcome) {
    const status = 'SENT' as const;
    const error = null;
    const [c] = await tx.select({ system: syncConnectors.system }).from(syncConnectors).where(eq(syncConnectors.id, d.connectorId!));
    const now = new Date();
    await tx
      .insert(externalTickets)
      .values({ incidentId: d.incidentId!, connectorId: d.connectorId!, tenantId: d.tenantId, system: c.system, externalId: t.externalId, number: t.number, url: t.url, status, lastError: error, lastSyncedAt: now, labels: t.labels ?? [] })
      .onConflictDoUpdate({
        target: [externalTickets.incidentId, externalTickets.connectorId],
        set: {
          externalId: t.externalId,
          number: sql`coalesce(${t.number}, ${externalTickets.number})`,
          url: sql`coalesce(${t.url}, ${externalTickets.url})`,
          status,
          lastError: error,
          lastSyncedAt: now,
          ...(t.labels ? { labels: t.labels } : {}),
        },
      });
    await tx.update(syncConnectors).set({ lastSyncAt: now, lastError: null }).where(eq(syncConnectors.id, d.connectorId!));
  }

  /**
   * A webhook delivery failed (the endpoint's row is locked): the endpoint's failing period starts
   * (or goes on), and the delivery's fate follows from it, so that whatever the order in which an
   * endpoint's deliveries settle, one failing for the whole window ends disabled, and a delivery
   * never gives up on its own what its endpoint's window decides:
   * - the endpoint has failed for the whole window: it is disabled (by the caller, once: only an
   *   active endpoint is), and this delivery ends DEAD with its other open ones;
   * - it was disabled so meanwhile (another delivery of it settled first while this one was on
   *   the wire): this one ends DEAD like the others did;
   * - the delivery is older than the window: it ends DEAD on its own only if the endpoint has
   *   succeeded since this delivery began failing. Otherwise the endpoint has been failing all
   *   along, since no later than this delivery's first failure, so its window ends no later than
   *   the delivery's would have, counted from that failure: the delivery is retried until then and
   *   ends with the endpoint. (A delivery is queued before its first call; counted from its
   *   creation it would give up before the endpoint's window ended, and with the last delivery
   *   gone no failure would come to disable the endpoint.)
   */
  private async webhookFailed(
    tx: Tx,
    d: OutboundDeliveryRow,
    ep: typeof webhookEndpoints.$inferSelect,
    now: Date,
    expired: boolean,
  ): Promise<{ dead: boolean; disableSince: Date | null }> {
    const since = ep.failingSince ?? now;
    if (!ep.failingSince) await tx.update(webhookEndpoints).set({ failingSince: since }).where(eq(webhookEndpoints.id, ep.id));
    if (ep.active && now.getTime() - since.getTime() >= this.opts.disableAfterMs) return { dead: true, disableSince: since };
    if (!ep.active && ep.disabledReason?.startsWith(AUTO_DISABLED)) return { dead: true, disableSince: null };
    if (!expired) return { dead: false, disableSince: null };
    // its first failure since its last success (a redelivered one may have had one), this one included
    const [{ throughout }] = await tx
      .select({ throughout: sql<boolean>`coalesce(min(${deliveryAttempts.at}) >= ${since.toISOString()}::timestamptz, true)`.mapWith(Boolean) })
      .from(deliveryAttempts)
      .where(
        and(
          eq(deliveryAttempts.deliveryId, d.id),
          isNotNull(deliveryAttempts.error),
          sql`${deliveryAttempts.id} > coalesce((select max(s.id) from ${deliveryAttempts} s where s.delivery_id = ${d.id} and s.error is null), 0)`,
        ),
      );
    return { dead: !throughout, disableSince: null };
  }

  /** The endpoint failed for the whole window: disabled, its open deliveries DEAD, the tenant's admins told. */
  private async disableEndpoint(tx: Tx, ep: typeof webhookEndpoints.$inferSelect, since: Date, message: string, now: Date) {
    const reason = `${AUTO_DISABLED}: every delivery has failed since ${since.toISOString()}; last error: ${message.slice(0, 300)}`;
    await tx.update(webhookEndpoints).set({ active: false, disabledReason: reason, updatedAt: now }).where(eq(webhookEndpoints.id, ep.id));
    const endOpen = { status: 'DEAD' as const, lastError: 'The endpoint was disabled', leaseUntil: null, claimedBy: null };
    // waiting ones (a claim or a redelivery holding one commits first, then it is seen here)
    await tx
      .update(outboundDeliveries)
      .set(endOpen)
      .where(and(eq(outboundDeliveries.endpointId, ep.id), inArray(outboundDeliveries.status, ['QUEUED', 'FAILED'])));
    // and ones whose sender died mid-call (never claimed again: the endpoint is inactive). Those
    // on the wire now end DEAD when they settle (webhookFailed); a lapsed one that is locked is
    // being taken over by a claim right now, and ends DEAD likewise when that call settles
    const lapsed = await tx
      .select({ id: outboundDeliveries.id })
      .from(outboundDeliveries)
      .where(and(eq(outboundDeliveries.endpointId, ep.id), eq(outboundDeliveries.status, 'SENDING'), lt(outboundDeliveries.leaseUntil, now)))
      .for('update', { skipLocked: true });
    if (lapsed.length) await tx.update(outboundDeliveries).set(endOpen).where(inArray(outboundDeliveries.id, lapsed.map((l) => l.id)));
    // the tenant's admins (principals with an address, not disabled) are told
    const admins = await tx
      .select({ email: principals.email })
      .from(principals)
      .where(and(eq(principals.tenantId, ep.tenantId), eq(principals.role, 'ADMIN'), isNull(principals.disabledAt)));
    const [tenant] = await tx.select({ name: tenants.name }).from(tenants).where(eq(tenants.id, ep.tenantId));
    const emails = admins.filter((a): a is { email: string } => !!a.email).map((a) => ({ contactId: null, email: a.email }));
    await enqueue(tx, {
      tenantId: ep.tenantId,
      incidentId: null,
      kind: 'WEBHOOK_ENDPOINT_DISABLED',
      payload: { tenant: { name: tenant?.name ?? '' }, summary: `${redactUrl(ep.url)}\n${reason}` },
      recipients: { tenantName: tenant?.name ?? '', emails, teams: false },
      dedupe: `endpoint-disabled:${ep.id}:${since.toISOString()}`,
    });
    this.log.warn({ endpointId: ep.id, tenantId: ep.tenantId }, 'webhook endpoint disabled after failing for the whole retry window');
  }

  async renew(ids: readonly string[], owner: string, leaseUntil: Date): Promise<void> {
    await this.database.db
      .update(outboundDeliveries)
      .set({ leaseUntil })
      .where(and(inArray(outboundDeliveries.id, [...ids]), eq(outboundDeliveries.status, 'SENDING'), eq(outboundDeliveries.claimedBy, owner)));
  }
}

/** Webhook and sync delivery of one process: the job engine over the outbound queue. */
export class OutboundDeliverer extends JobEngine<OutboundDeliveryRow, Sent> {
  constructor(database: Database, log: Logger, opts: OutboundOptions) {
    super(new OutboundQueue(database, log, opts), {
      concurrency: opts.concurrency,
      tenantConcurrency: opts.tenantConcurrency,
      pollMs: opts.pollMs,
      leaseMs: opts.leaseMs,
      // a Sentinel sync may take up to seven calls (three reads and writes on 412s)
      maxRunMs: Math.max(7 * opts.timeoutMs, opts.leaseMs),
      scope: opts.scope,
      // a send still running at stop keeps its lease and is taken over when it lapses
      stopGraceMs: Math.min(opts.leaseMs, 3_000),
      log,
    });
  }
}
