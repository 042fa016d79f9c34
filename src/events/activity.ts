// The one place that turns a domain change into an activity entry (the audit trail), and,
// once the transaction has committed, into an event for subscribers.
import { sql } from 'drizzle-orm';
import type { Tx } from '../db/client';
import { activity, type ActivityRow } from '../db/schema';
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

export class ActivityLog {
  private pending: ActivityEntry[] = [];
  add(entry: ActivityEntry): void {
    this.pending.push(entry);
  }
  get size() {
    return this.pending.length;
  }
  /** Take over another log's entries: a bulk item's, once its savepoint was released (domain/bulk.ts). */
  absorb(other: ActivityLog): void {
    this.pending.push(...other.pending);
    other.pending = [];
  }
  /** Write the collected entries in one statement, attributed to the viewer (or the system). */
  async flush(tx: Tx, actor: Viewer | null): Promise<ActivityRow[]> {
    if (this.pending.length === 0) return [];
    // Event ids must follow commit order, or a client resuming "after" an id could miss an event
    // that took a lower id but committed later. This lock, held from here to the commit (the flush
    // is a transaction's last write, so the holder waits on nothing), makes id order commit order.
    await tx.execute(sql`select pg_advisory_xact_lock(${EVENT_ORDER_LOCK})`);
    const rows = await tx
      .insert(activity)
      .values(
        this.pending.map((e) => ({
          tenantId: e.tenantId,
          incidentId: e.incidentId,
          actorId: actor?.principalId ?? null,
          actorSide: actor ? (actor.role === 'EXPERT' ? ('EXPERTS' as const) : ('CUSTOMER' as const)) : null,
          field: e.field,
          subjectId: e.subjectId ?? null,
          fromValue: e.from ?? null,
          toValue: e.to ?? null,
          note: e.note ?? null,
        })),
      )
      .returning();
    this.pending = [];
    return rows;
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
    const rows = await log.flush(tx, ctx.viewer);
    if (rows.length === 0) return { value: result, written: rows, queued: null };
    // the outboxes: notifications, webhooks and sync calls commit (or roll back) with the change
    const out = await ctx.outbox(tx, rows);
    await ctx.events.inTransaction?.(tx, rows);
    return { value: result, written: rows, queued: out };
  });
  if (written.length > 0) ctx.events.committed(written);
  if (queued && (queued.notifications > 0 || queued.outbound > 0)) ctx.events.outboxWritten?.(queued);
  return value;
}
