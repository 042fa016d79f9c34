// The realtime event pipeline. Every committed activity entry is an event:
// - the writing transaction sends a tiny notice {tenant, incident, first id, last id} with
//   pg_notify, which PostgreSQL delivers only after commit and in commit order (PGlite too);
//   with REDIS_URL the notice goes through Redis pub/sub after commit instead;
// - every process LISTENs on one connection, loads the new activity rows of the incident once
//   (everything after the last id it delivered for that incident, so per-incident commit order
//   holds even if notices arrive out of order), and fans them out to its local subscribers;
// - each subscriber checks the tenant and its filter, and buffers at most `maxBuffer` events.
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { and, asc, eq, gt, inArray, lte } from 'drizzle-orm';
import { Redis } from 'ioredis';
import type { Database, Tx } from '../db/client';
import { activity, incidents, type ActivityRow, type IncidentRow } from '../db/schema';
import type { EventSink } from '../domain/context';
import type { Logger } from '../log';
import { sql } from 'drizzle-orm';

export const CHANNEL = 'mdr_events';

interface Notice {
  t: string; // tenant id
  i: string; // incident id
  f: number; // first activity id
  l: number; // last activity id
}

export interface HubEvent {
  activity: ActivityRow;
  /** The incident as of this event (loaded once per process, shared by every subscriber). */
  incident: IncidentRow;
}

export interface Subscriber {
  tenantIds: readonly string[];
  deliver(event: HubEvent): void;
}

function notices(rows: ActivityRow[]): Notice[] {
  const byIncident = new Map<string, Notice>();
  for (const r of rows) {
    const n = byIncident.get(r.incidentId);
    if (n) {
      n.f = Math.min(n.f, r.id);
      n.l = Math.max(n.l, r.id);
    } else byIncident.set(r.incidentId, { t: r.tenantId, i: r.incidentId, f: r.id, l: r.id });
  }
  return [...byIncident.values()];
}

export class EventHub implements EventSink {
  private subscribers = new Set<Subscriber>();
  private lastDelivered = new Map<string, number>();
  private chain: Promise<void> = Promise.resolve();
  private stopListening: (() => Promise<void>) | null = null;
  private redis: { pub: Redis; sub: Redis; target: ReturnType<typeof createRedisEventTarget> } | null = null;
  private readonly onRedisNotice = (e: Event) => this.enqueue((e as CustomEvent<Notice>).detail);

  constructor(
    private readonly database: Database,
    private readonly log: Logger,
    private readonly opts: { redisUrl?: string } = {},
  ) {}

  get size() {
    return this.subscribers.size;
  }

  async start(): Promise<void> {
    if (this.opts.redisUrl) {
      const pub = new Redis(this.opts.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
      const sub = new Redis(this.opts.redisUrl, { lazyConnect: false });
      const target = createRedisEventTarget({ publishClient: pub, subscribeClient: sub });
      target.addEventListener(CHANNEL, this.onRedisNotice);
      this.redis = { pub, sub, target };
      return;
    }
    this.stopListening = await this.database.listen(CHANNEL, (payload) => {
      try {
        this.enqueue(JSON.parse(payload) as Notice);
      } catch (err) {
        this.log.warn({ err }, 'ignored a malformed event notice');
      }
    });
  }

  async stop(): Promise<void> {
    await this.stopListening?.().catch(() => {});
    this.stopListening = null;
    if (this.redis) {
      this.redis.target.removeEventListener(CHANNEL, this.onRedisNotice);
      this.redis.pub.disconnect();
      this.redis.sub.disconnect();
      this.redis = null;
    }
    await this.chain.catch(() => {});
  }

  /** EventSink, inside the writing transaction: PostgreSQL delivers the notice after commit. */
  async inTransaction(tx: Tx, rows: ActivityRow[]): Promise<void> {
    if (this.opts.redisUrl) return;
    for (const n of notices(rows)) await tx.execute(sql`select pg_notify(${CHANNEL}, ${JSON.stringify(n)})`);
  }

  /** EventSink, after commit: the Redis path publishes here. */
  committed(rows: ActivityRow[]): void {
    if (!this.redis) return;
    for (const n of notices(rows)) this.redis.target.dispatchEvent(new CustomEvent(CHANNEL, { detail: n }));
  }

  subscribe(s: Subscriber): () => void {
    this.subscribers.add(s);
    return () => this.subscribers.delete(s);
  }

  /** Notices are processed one at a time, in arrival order. */
  private enqueue(n: Notice): void {
    this.chain = this.chain.then(() => this.process(n)).catch((err) => this.log.error({ err }, 'event dispatch failed'));
  }

  private async process(n: Notice): Promise<void> {
    if (this.subscribers.size === 0) {
      this.lastDelivered.set(n.i, Math.max(this.lastDelivered.get(n.i) ?? 0, n.l));
      return;
    }
    const after = this.lastDelivered.get(n.i) ?? n.f - 1;
    if (n.l <= after) return; // already delivered with an earlier notice
    const db = this.database.db;
    const [rows, [incident]] = await Promise.all([
      db
        .select()
        .from(activity)
        .where(and(eq(activity.incidentId, n.i), gt(activity.id, after), lte(activity.id, Math.max(n.l, after))))
        .orderBy(asc(activity.id)),
      db.select().from(incidents).where(eq(incidents.id, n.i)),
    ]);
    if (!incident || rows.length === 0) return;
    this.lastDelivered.set(n.i, rows[rows.length - 1].id);
    if (this.lastDelivered.size > 50_000) this.lastDelivered.clear();
    for (const row of rows) {
      const event = { activity: row, incident };
      for (const s of this.subscribers) {
        if (s.tenantIds.includes(row.tenantId)) s.deliver(event);
      }
    }
  }

  /** Events a reconnecting client missed: activity after `afterId` in the given tenants, in order. */
  async replay(tenantIds: readonly string[], afterId: number, limit = 10_000): Promise<HubEvent[]> {
    if (tenantIds.length === 0) return [];
    const db = this.database.db;
    const rows = await db
      .select()
      .from(activity)
      .where(and(inArray(activity.tenantId, [...tenantIds]), gt(activity.id, afterId)))
      .orderBy(asc(activity.id))
      .limit(limit);
    if (rows.length === 0) return [];
    const ids = [...new Set(rows.map((r) => r.incidentId))];
    const incs = await db.select().from(incidents).where(inArray(incidents.id, ids));
    const map = new Map(incs.map((i) => [i.id, i]));
    return rows.map((r) => ({ activity: r, incident: map.get(r.incidentId)! }));
  }
}

/** A subscriber's bounded queue as an async iterator; overflow ends it with an error. */
export class EventStream<T> implements AsyncIterableIterator<T> {
  private queue: T[] = [];
  private waiting: ((r: IteratorResult<T>) => void) | null = null;
  private failWaiting: ((err: Error) => void) | null = null;
  private error: Error | null = null;
  private done = false;

  constructor(
    private readonly maxBuffer: number,
    private readonly onClose: () => void,
  ) {}

  push(value: T): void {
    if (this.done || this.error) return;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      this.failWaiting = null;
      w({ value, done: false });
      return;
    }
    if (this.queue.length >= this.maxBuffer) {
      this.fail(new Error(`Subscriber too slow: more than ${this.maxBuffer} events waiting. Reconnect with "after" set to the last eventId you received.`));
      return;
    }
    this.queue.push(value);
  }

  fail(err: Error): void {
    this.error = err;
    this.queue = [];
    this.onClose();
    if (this.failWaiting) {
      const f = this.failWaiting;
      this.waiting = null;
      this.failWaiting = null;
      f(err);
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length > 0) return Promise.resolve({ value: this.queue.shift()!, done: false });
    if (this.error) return Promise.reject(this.error);
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failWaiting = reject;
    });
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.done) {
      this.done = true;
      this.queue = [];
      this.onClose();
      this.waiting?.({ value: undefined, done: true });
      this.waiting = null;
      this.failWaiting = null;
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}
