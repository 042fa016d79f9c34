// What every domain command takes first: the actor and the database travel together.
import type { Database, Db, Tx } from '../db/client';
import type { Loaders } from './loaders';
import type { Viewer } from './viewer';
import type { ActivityRow } from '../db/schema';

export interface EventSink {
  /** Inside the writing transaction, after its activity entries are written (e.g. pg_notify). */
  inTransaction?(tx: Tx, entries: ActivityRow[]): Promise<void>;
  /** Called after a transaction commits with the activity entries it wrote, in commit order. */
  committed(entries: ActivityRow[]): void;
  /** After a commit that queued notifications or outbound deliveries (wake the deliverers). */
  outboxWritten?(queued: OutboxWritten): void;
}

export interface DomainContext {
  db: Db;
  database: Database;
  viewer: Viewer | null;
  loaders: Loaders;
  providerName: string;
  events: EventSink;
  /** Response action execution settings (timeouts). */
  execution?: { actionTimeoutMs: number };
  /** Nudge the local executor: new attempts were queued and committed. */
  actionsQueued?: () => void;
  /**
   * Called by writeTransaction with the activity entries of every write, inside its transaction,
   * before they are inserted (`at(now)`: the rows as ActivityLog.preview makes them, placeholder
   * ids, stamped with the transaction's `now()`): the SLA rollup, the notification outbox
   * (src/domain/notifications/outbox.ts) and what the webhook and sync outbox needs to know; its
   * `write` then adds what needs the entries' real ids. Required, so that no context can write
   * without it.
   */
  outbox: (tx: Tx, pending: PendingEntries) => Promise<OutboxPlan>;
  /** Encrypts stored secrets (webhook signing secrets, connector credentials); set by the server. */
  secrets?: Secrets;
  /** Nudge the local webhook/sync deliverer. */
  outboundQueued?: () => void;
  /** Notification settings of this process, and a nudge for its deliverer. */
  notifications?: { allowPrivateTargets: boolean; queued: () => void };
}

import { sql } from 'drizzle-orm';
import { param, Statement } from '../db/statement';
import { createLoaders } from './loaders';
import type { Secrets } from './secrets';
import { writeOutbox } from './notifications/outbox';
import { planOutbound } from './outbound/events';
import { applySlaEntries, readSlaRollup } from './sla';

/** A write's activity entries before they are written. */
export interface PendingEntries {
  tenantIds: readonly string[];
  /** The entries as rows, stamped with `now` (the transaction's start). */
  at(now: Date): ActivityRow[];
}

export interface OutboxWritten {
  notifications: number;
  outbound: number;
}

/** The second half of writeOutboxes: run once the entries are written, with their rows (same order). */
export interface OutboxPlan {
  write(tx: Tx, rows: readonly ActivityRow[]): Promise<OutboxWritten>;
}

/**
 * What every write asks first, in one prepared statement: `now()`, the transaction's start, which
 * every row it writes with a `defaultNow()` column takes, rounded as the millisecond columns
 * (timestamptz(3)) store it; and whether its tenants have an active webhook endpoint or sync
 * connector at all (most have neither: their lookups are skipped).
 */
const PRELUDE = new Statement<{ now: Date | string; endpoints: boolean; connectors: boolean }>(
  'write_prelude',
  () => sql`
    select now()::timestamptz(3) as now,
           exists (select 1 from webhook_endpoints w where w.tenant_id = any(${param('tenants')}::uuid[]) and w.active) as endpoints,
           exists (select 1 from sync_connectors c where c.tenant_id = any(${param('tenants')}::uuid[]) and c.active) as connectors`,
);

/**
 * Every outbox a write feeds, in its transaction: the SLA rollup and the notifications from the
 * entries before they are written (reads and writes that need no event id, outside the
 * event-order lock), then the webhooks and sync calls, whose bodies carry the event ids.
 */
export async function writeOutboxes(tx: Tx, pending: PendingEntries): Promise<OutboxPlan> {
  // the SLA rollup's read needs only which incidents move: sent along with the prelude (pipelined)
  const stored = readSlaRollup(tx, pending.at(new Date(0)));
  stored?.catch(() => {}); // awaited below, unless the prelude fails first
  const [prelude] = await PRELUDE.run(tx, { tenants: pending.tenantIds });
  const entries = pending.at(new Date(prelude.now));
  await applySlaEntries(tx, entries, stored); // the SLA rollup (src/domain/sla.ts), with the change
  const notifications = await writeOutbox(tx, entries);
  const outbound = await planOutbound(tx, entries, prelude);
  return { write: async (wtx, rows) => ({ notifications, outbound: await outbound(wtx, rows) }) };
}

/** A domain context for code that runs outside a request (seed, CLI, background work, tests). */
export function createDomainContext(
  database: Database,
  viewer: Viewer | null,
  opts: { providerName?: string; events?: EventSink; execution?: { actionTimeoutMs: number } } = {},
): DomainContext {
  return {
    db: database.db,
    database,
    viewer,
    loaders: createLoaders(database.db, viewer),
    providerName: opts.providerName ?? 'Defender Experts',
    events: opts.events ?? { committed: () => {} },
    execution: opts.execution,
    outbox: writeOutboxes,
  };
}
