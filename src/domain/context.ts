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
   * before they are inserted (ActivityLog.preview: placeholder ids): the SLA rollup, the
   * notification outbox (src/domain/notifications/outbox.ts) and what the webhook and sync outbox
   * needs to know; its `write` then adds what needs the entries' real ids. Required, so that no
   * context can write without it.
   */
  outbox: (tx: Tx, entries: readonly ActivityRow[]) => Promise<OutboxPlan>;
  /** Encrypts stored secrets (webhook signing secrets, connector credentials); set by the server. */
  secrets?: Secrets;
  /** Nudge the local webhook/sync deliverer. */
  outboundQueued?: () => void;
  /** Notification settings of this process, and a nudge for its deliverer. */
  notifications?: { allowPrivateTargets: boolean; queued: () => void };
}

import { createLoaders } from './loaders';
import type { Secrets } from './secrets';
import { writeOutbox } from './notifications/outbox';
import { planOutbound } from './outbound/events';
import { applySlaEntries } from './sla';

export interface OutboxWritten {
  notifications: number;
  outbound: number;
}

/** The second half of writeOutboxes: run once the entries are written, with their rows (same order). */
export interface OutboxPlan {
  write(tx: Tx, rows: readonly ActivityRow[]): Promise<OutboxWritten>;
}

/**
 * Every outbox a write feeds, in its transaction: the SLA rollup and the notifications from the
 * entries before they are written (reads and writes that need no event id, outside the
 * event-order lock), then the webhooks and sync calls, whose bodies carry the event ids.
 */
export async function writeOutboxes(tx: Tx, entries: readonly ActivityRow[]): Promise<OutboxPlan> {
  await applySlaEntries(tx, entries); // the SLA rollup (src/domain/sla.ts), with the change
  const notifications = await writeOutbox(tx, entries);
  const outbound = await planOutbound(tx, entries);
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
