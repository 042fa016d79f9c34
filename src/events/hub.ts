// The realtime event pipeline. Every committed activity entry is an event:
// - the writing transaction sends a tiny notice {tenant, incident, first id, last id} with
//   pg_notify, which PostgreSQL delivers only after commit and in commit order (PGlite too);
//   with REDIS_URL the notice goes through Redis pub/sub after commit instead;
// - every process LISTENs on one connection, loads the new activity rows of the incident once
//   (everything after the last id it delivered for that incident, so per-incident commit order
//   holds even if notices arrive out of order), and fans them out to its local subscribers;
// - each subscriber checks the tenant and its filter, and buffers at most `maxBuffer` events;
// - when the LISTEN connection drops (database restart, pg_terminate_backend), postgres.js
//   reconnects and LISTENs again; notices sent in between are lost, so the hub then reads every
//   activity row after the last one it processed and delivers those it had not delivered yet.
// Resuming subscribers read what they missed from the activity log in pages (replayPage, used
// by streams.ts); replayStatus tells them whether it is all still there.
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { and, asc, eq, gt, inArray, isNull, lte, sql } from 'drizzle-orm';
import { Redis } from 'ioredis';
import type { Database, Tx } from '../db/client';
import { activity, incidents, type ActivityRow, type IncidentRow } from '../db/schema';
import { param, Statement } from '../db/statement';
import type { EventSink } from '../domain/context';
import type { Logger } from '../log';

export const CHANNEL = 'mdr_events';
/** A write's notices, in order (fixed text: src/db/statement.ts). */
const NOTIFY = new Statement('event_notify', () => sql`select pg_notify('${sql.raw(CHANNEL)}', n) from unnest(${param('notices')}::text[]) with ordinality as t(n, i) order by i`);

interface Notice {
  t: string; // tenant id
  i: string | null; // incident id; null for the tenant's changes outside incidents (ad-hoc actions)
  f: number; // first activity id
  l: number; // last activity id
}

export interface HubEvent {
  activity: ActivityRow;
  /** The incident as of this event (loaded once per process, shared by every subscriber); null for an ad-hoc action. */
  incident: IncidentRow | null;
}

/** Commit order holds per stream: an incident's events, or a tenant's events outside incidents. */
const streamKey = (tenantId: string, incidentId: string | null) => incidentId ?? `tenant:${tenantId}`;

export interface Subscriber {
  tenantIds: readonly string[];
  deliver(event: HubEvent): void;
}

/** Told of each event handed to at least one local subscriber (the metrics: fan-out lag). */
export interface HubObserver {
  fannedOut(event: HubEvent): void;
}

function notices(rows: ActivityRow[]): Notice[] {
  const byIncident = new Map<string, Notice>();
  for (const r of rows) {
    const key = streamKey(r.tenantId, r.incidentId);
    const n = byIncident.get(key);
    if (n) {
      n.f = Math.min(n.f, r.id);
      n.l = Math.max(n.l, r.id);
    } else byIncident.set(key, { t: r.tenantId, i: r.incidentId, f: r.id, l: r.id });
  }
  return [...byIncident.values()];
}

export interface HubOptions {
  redisUrl?: string;
  /** Events one resuming subscription may replay before it is told to reload (EVENTS_EXPIRED). */
  maxReplayEvents?: number;
  /** Activity rows read per replay page: what one resuming subscriber holds at most. */
  replayPageSize?: number;
}

/** What a resume from an event id finds in the activity log. */
export interface ReplayStatus {
  /** Events after the id in the tenants, counted up to `cap + 1` (more than `cap` = too many). */
  pending: number;
  /** The id is below what is retained (older events were deleted), or above every event there is. */
  unknown: boolean;
}

const CATCH_UP_PAGE = 500;

export class EventHub implements EventSink {
  /** Replay bounds (maxReplayEvents from the configuration); tests shrink them. */
  readonly replayLimits: { maxEvents: number; pageSize: number };
  /** Replay pages read and the most rows one held: the replay's memory bound, observable. */
  readonly replayStats = { pages: 0, largestPage: 0 };
  /** LISTEN (re)connections so far; the first is the start. */
  listens = 0;
  /** The metrics' hook (src/observability/metrics.ts). */
  observer: HubObserver | null = null;
  private subscribers = new Set<Subscriber>();
  private lastDelivered = new Map<string, number>();
  /** Highest activity id this process has processed (null until the first LISTEN is up). */
  private lastSeen: number | null = null;
  private chain: Promise<void> = Promise.resolve();
  private stopListening: (() => Promise<void>) | null = null;
  private redis: { pub: Redis; sub: Redis; target: ReturnType<typeof createRedisEventTarget> } | null = null;
  private readonly onRedisNotice = (e: Event) => this.enqueue((e as CustomEvent<Notice>).detail);

  constructor(
    private readonly database: Database,
    private readonly log: Logger,
    private readonly opts: HubOptions = {},
  ) {
    this.replayLimits = { maxEvents: opts.maxReplayEvents ?? 10_000, pageSize: opts.replayPageSize ?? 500 };
  }

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
    this.stopListening = await this.database.listen(
      CHANNEL,
      (payload) => {
        try {
          this.enqueue(JSON.parse(payload) as Notice);
        } catch (err) {
          this.log.warn({ err }, 'ignored a malformed event notice');
        }
      },
      () => this.listening(),
    );
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
    const list = notices(rows).map((n) => JSON.stringify(n));
    if (list.length === 0) return;
    // one prepared statement (it runs under the event-order lock): the notices in order
    await NOTIFY.run(tx, { notices: list });
  }

  /** EventSink, after commit: the Redis path publishes here. */
  committed(rows: ActivityRow[]): void {
    if (!this.redis) return;
    for (const n of notices(rows)) this.redis.target.dispatchEvent(new CustomEvent(CHANNEL, { detail: n }));
  }

  subscribe(s: Subscriber): void {
    this.subscribers.add(s);
  }

  /** (A method, not a closure handed out by subscribe: every idle stream would hold one.) */
  unsubscribe(s: Subscriber): void {
    this.subscribers.delete(s);
  }

  /** Notices are processed one at a time, in arrival order. */
  private enqueue(n: Notice): void {
    this.run(() => this.process(n), 'event dispatch failed');
  }

  private run(task: () => Promise<void>, what: string): void {
    this.chain = this.chain.then(task).catch((err) => this.log.error({ err }, what));
  }

  /**
   * The LISTEN connection is up: the first time, note where the log stands; after a reconnect,
   * deliver what was committed while nobody listened (its notices are gone).
   */
  private listening(): void {
    this.listens += 1;
    if (this.listens > 1) this.log.warn({ listens: this.listens }, 'event LISTEN connection re-established; catching up');
    this.run(() => this.catchUp(), 'event catch-up after a LISTEN reconnect failed');
  }

  private async catchUp(): Promise<void> {
    const db = this.database.db;
    if (this.lastSeen === null || this.subscribers.size === 0) {
      // nobody to catch up for: start from the end of the log (and forget per-incident marks,
      // which may predate events we never saw; a notice then loads from its own first id)
      const [row] = await db.select({ top: sql<string | null>`max(${activity.id})::text` }).from(activity);
      if (this.lastSeen !== null) this.lastDelivered.clear();
      this.lastSeen = Math.max(this.lastSeen ?? 0, Number(row?.top ?? 0));
      return;
    }
    for (;;) {
      const rows = await db
        .select()
        .from(activity)
        .where(gt(activity.id, this.lastSeen))
        .orderBy(asc(activity.id))
        .limit(CATCH_UP_PAGE);
      if (rows.length === 0) return;
      this.lastSeen = rows[rows.length - 1].id;
      const fresh = rows.filter((r) => r.id > (this.lastDelivered.get(streamKey(r.tenantId, r.incidentId)) ?? 0));
      const incidentMap = await this.incidentsOf(fresh);
      for (const row of fresh) {
        this.lastDelivered.set(streamKey(row.tenantId, row.incidentId), row.id);
        const incident = row.incidentId ? incidentMap.get(row.incidentId) : null;
        if (incident !== undefined) this.fanOut({ activity: row, incident });
      }
      if (rows.length < CATCH_UP_PAGE) return;
    }
  }

  private fanOut(event: HubEvent): void {
    let delivered = false;
    for (const s of this.subscribers) {
      if (s.tenantIds.includes(event.activity.tenantId)) {
        s.deliver(event);
        delivered = true;
      }
    }
    if (delivered) this.observer?.fannedOut(event);
  }

  private async incidentsOf(rows: ActivityRow[]): Promise<Map<string, IncidentRow>> {
    if (rows.length === 0) return new Map();
    const ids = [...new Set(rows.map((r) => r.incidentId).filter((i): i is string => !!i))];
    if (ids.length === 0) return new Map();
    const incs = await this.database.db.select().from(incidents).where(inArray(incidents.id, ids));
    return new Map(incs.map((i) => [i.id, i]));
  }

  private async process(n: Notice): Promise<void> {
    if (this.lastSeen !== null) this.lastSeen = Math.max(this.lastSeen, n.l);
    const key = streamKey(n.t, n.i);
    if (this.subscribers.size === 0) {
      this.lastDelivered.set(key, Math.max(this.lastDelivered.get(key) ?? 0, n.l));
      return;
    }
    const after = this.lastDelivered.get(key) ?? n.f - 1;
    if (n.l <= after) return; // already delivered with an earlier notice
    const db = this.database.db;
    const stream = n.i ? eq(activity.incidentId, n.i) : and(isNull(activity.incidentId), eq(activity.tenantId, n.t));
    const [rows, [incident]] = await Promise.all([
      db
        .select()
        .from(activity)
        .where(and(stream, gt(activity.id, after), lte(activity.id, Math.max(n.l, after))))
        .orderBy(asc(activity.id)),
      n.i ? db.select().from(incidents).where(eq(incidents.id, n.i)) : Promise.resolve([null]),
    ]);
    if ((n.i && !incident) || rows.length === 0) return;
    this.lastDelivered.set(key, rows[rows.length - 1].id);
    if (this.lastDelivered.size > 50_000) this.lastDelivered.clear();
    for (const row of rows) this.fanOut({ activity: row, incident: incident ?? null });
  }

  /**
   * Before a resume: how many events follow `afterId` in these tenants (counted up to
   * `cap + 1`), and whether `afterId` is covered by the retained log at all. One round trip.
   */
  async replayStatus(tenantIds: readonly string[], afterId: number, cap: number): Promise<ReplayStatus> {
    const db = this.database.db;
    const scoped = tenantIds.length
      ? db
          .select({ id: activity.id })
          .from(activity)
          .where(and(inArray(activity.tenantId, [...tenantIds]), gt(activity.id, afterId)))
          .limit(cap + 1)
          .as('pending')
      : db.select({ id: activity.id }).from(activity).where(sql`false`).as('pending');
    const [row] = await db
      .select({
        pending: sql<number>`count(*)::int`,
        floor: sql<string | null>`(select min(id) from activity)::text`,
        top: sql<string | null>`(select max(id) from activity)::text`,
      })
      .from(scoped);
    const floor = row.floor === null ? null : Number(row.floor);
    const top = row.top === null ? 0 : Number(row.top);
    // Ids are commit-ordered and deletion (retention) removes the oldest: an id below the oldest
    // retained one may have had successors that are gone; an id above the newest was never sent
    // by this database (e.g. restored from a backup since).
    const unknown = (floor !== null && afterId + 1 < floor) || afterId > top;
    return { pending: Number(row.pending), unknown };
  }

  /**
   * One page of the log for a resuming subscriber: the activity of these tenants after `afterId`,
   * in id (commit) order, at most `limit` rows, each with its incident as it is now.
   */
  async replayPage(
    tenantIds: readonly string[],
    afterId: number,
    limit: number,
  ): Promise<{ events: HubEvent[]; rows: number; lastId: number }> {
    if (tenantIds.length === 0) return { events: [], rows: 0, lastId: afterId };
    const rows = await this.database.db
      .select()
      .from(activity)
      .where(and(inArray(activity.tenantId, [...tenantIds]), gt(activity.id, afterId)))
      .orderBy(asc(activity.id))
      .limit(limit);
    this.replayStats.pages += 1;
    this.replayStats.largestPage = Math.max(this.replayStats.largestPage, rows.length);
    if (rows.length === 0) return { events: [], rows: 0, lastId: afterId };
    const map = await this.incidentsOf(rows);
    const events: HubEvent[] = [];
    for (const r of rows) {
      const incident = r.incidentId ? map.get(r.incidentId) : null;
      if (incident !== undefined) events.push({ activity: r, incident });
    }
    return { events, rows: rows.length, lastId: rows[rows.length - 1].id };
  }
}
