// The one place that turns a domain change into an activity entry (the audit trail), and,
// once the transaction has committed, into an event for subscribers.
import { getTableColumns, sql } from 'drizzle-orm';
import type { Tx } from '../db/client';
import { activity, type ActivityRow } from '../db/schema';
import { columnList, param, rowOf, Statement } from '../db/statement';
import type { DomainContext } from '../domain/context';
import type { Viewer } from '../domain/viewer';

/**
 * What an activity entry can be about: the one list of the `field` values this service writes
 * (the GraphQL enum ActivityField is derived from it; the compiler rejects a writer using any
 * other). The column stays text: entries written by another version may hold other values.
 */
export const ACTIVITY_FIELDS = [
  'status',
  'assignment',
  'assignee',
  'severity',
  'tags',
  'systemTags',
  'classification',
  'determination',
  'resolvingComment',
  'alerts',
  'deviceGroup',
  'merged',
  'suppressedBy',
  'managedResponse',
  'investigationUpdate',
  'action',
  'comment',
  'chat',
] as const;
export type ActivityFieldName = (typeof ACTIVITY_FIELDS)[number];

export interface ActivityEntry {
  tenantId: string;
  incidentId: string | null;
  field: ActivityFieldName;
  subjectId?: string | null;
  from?: string | null;
  to?: string | null;
  note?: string | null;
}

/** Advisory lock that orders activity (event) ids by commit. */
export const EVENT_ORDER_LOCK = 7_245_003;

// Every write sends these two, so their texts are fixed (src/db/statement.ts): prepared, one
// round trip each, however many entries a write has.
const ORDER_LOCK = new Statement('activity_order_lock', () => sql`select pg_advisory_xact_lock(${sql.raw(String(EVENT_ORDER_LOCK))})`);
const activityColumns = getTableColumns(activity);
/** The entries, one row each in array order, so that their ids (taken from the sequence as rows are inserted) follow entry order. */
const INSERT = new Statement<Record<string, unknown>>(
  'activity_insert',
  () => sql`
    insert into activity as a (tenant_id, incident_id, actor_id, actor_side, field, subject_id, from_value, to_value, note)
    select tenant_id, incident_id, ${param('actor')}::uuid, ${param('side')}::side, field, subject_id, from_value, to_value, note
      from unnest(${param('tenant')}::uuid[], ${param('incident')}::uuid[], ${param('field')}::text[], ${param('subject')}::uuid[],
                  ${param('from')}::text[], ${param('to')}::text[], ${param('note')}::text[])
           with ordinality as x(tenant_id, incident_id, field, subject_id, from_value, to_value, note, ord)
     order by ord
    returning ${columnList(activityColumns, 'a')}`,
);

export class ActivityLog {
  private pending: ActivityEntry[] = [];
  add(entry: ActivityEntry): void {
    this.pending.push(entry);
  }
  get size() {
    return this.pending.length;
  }
  /** The tenants the entries are about. */
  tenantIds(): string[] {
    return [...new Set(this.pending.map((e) => e.tenantId))];
  }
  /** Take over another log's entries: a bulk item's, once its savepoint was released (domain/bulk.ts). */
  absorb(other: ActivityLog): void {
    this.pending.push(...other.pending);
    other.pending = [];
  }
  /**
   * The entries as the rows they will become, before they are written: every column but the id
   * (a placeholder, -1, -2, … in entry order; `flush` returns the real ones in the same order) and
   * `createdAt`, which is `now`, the transaction's timestamp the insert's default also takes.
   * What a write feeds from its entries (the SLA rollup, the outboxes) is computed from these,
   * before the event-order lock, so that the lock covers only the insert and the commit.
   */
  preview(actor: Viewer | null, now: Date): ActivityRow[] {
    return this.pending.map((e, i) => ({
      id: -(i + 1),
      tenantId: e.tenantId,
      incidentId: e.incidentId,
      actorId: actor?.principalId ?? null,
      actorSide: actor ? (actor.role === 'EXPERT' ? ('EXPERTS' as const) : ('CUSTOMER' as const)) : null,
      field: e.field,
      subjectId: e.subjectId ?? null,
      fromValue: e.from ?? null,
      toValue: e.to ?? null,
      note: e.note ?? null,
      createdAt: now,
    }));
  }

  /** Write the collected entries in one statement, attributed to the viewer (or the system); the rows in entry order. */
  async flush(tx: Tx, actor: Viewer | null): Promise<ActivityRow[]> {
    if (this.pending.length === 0) return [];
    // Event ids must follow commit order, or a client resuming "after" an id could miss an event
    // that took a lower id but committed later. This lock, held from here to the commit, makes id
    // order commit order; every write transaction queues for it, so what runs under it is kept to
    // this insert, the realtime notice and the outbound rows that need the ids (writeTransaction).
    const entries = this.preview(actor, new Date());
    // sent together (pipelined: one round trip); the connection runs them in order, so the insert
    // starts once the lock is held, and if the lock fails that is the error reported
    const [, raw] = await Promise.all([
      ORDER_LOCK.run(tx, {}),
      INSERT.run(tx, {
        actor: actor?.principalId ?? null,
        side: entries[0].actorSide,
        tenant: entries.map((e) => e.tenantId),
        incident: entries.map((e) => e.incidentId),
        field: entries.map((e) => e.field),
        subject: entries.map((e) => e.subjectId),
        from: entries.map((e) => e.fromValue),
        to: entries.map((e) => e.toValue),
        note: entries.map((e) => e.note),
      }),
    ]);
    this.pending = [];
    return raw.map((r) => rowOf<ActivityRow>(activityColumns, r)).sort((a, b) => a.id - b.id);
  }
}

/**
 * Run a write in one transaction. Everything `fn` records in the activity log is written in the
 * same transaction and published only after it commits; a thrown error rolls back everything.
 * If the database connection is lost before the transaction committed, it runs once more on a
 * fresh connection (Database.transaction): `fn` must do its work in `tx` only, so that a second
 * run starts from what is committed and nothing is written twice.
 */
export async function writeTransaction<T>(
  ctx: DomainContext,
  fn: (tx: Tx, log: ActivityLog) => Promise<T>,
): Promise<T> {
  const { value, written, queued } = await ctx.database.transaction(async (tx) => {
    const log = new ActivityLog();
    const result = await fn(tx, log);
    if (log.size === 0) return { value: result, written: [] as ActivityRow[], queued: null };
    // the outboxes (notifications, webhooks and sync calls) and the SLA rollup commit (or roll
    // back) with the change; prepared from the entries before the event-order lock is taken
    const outbox = await ctx.outbox(tx, { tenantIds: log.tenantIds(), at: (now) => log.preview(ctx.viewer, now) });
    const rows = await log.flush(tx, ctx.viewer);
    const out = await outbox.write(tx, rows);
    await ctx.events.inTransaction?.(tx, rows);
    return { value: result, written: rows, queued: out };
  });
  if (written.length > 0) ctx.events.committed(written);
  if (queued && (queued.notifications > 0 || queued.outbound > 0)) ctx.events.outboxWritten?.(queued);
  return value;
}
