// Subscription streams: live events from the hub for one subscriber, optionally preceded by the
// events it missed (resume with `after`), without gaps or duplicates; closed promptly on return().
//
// A resume reads the activity log in pages (keyset on the event id, one page held at a time and
// the next one read only when the client has taken the previous one), and hands over to the live
// events when a page comes back short. Live events are subscribed to before the first page:
//  - ids are commit-ordered (see ActivityLog.flush), so each page sees every event up to its last
//    id; once a short page ended at id M, every later event is > M and reaches the hub live;
//  - during the replay, live events wait in a queue bounded by the subscriber's buffer; when it
//    overflows they are dropped and the replay reads on until a page that began after the last
//    drop comes back short: what was dropped committed before that page, so the log had it;
//  - after the hand-over, a live event with an id ≤ M has already been replayed and is skipped.
// More than maxReplayEvents events to replay, or an `after` the log no longer covers, ends the
// subscription with EVENTS_EXPIRED before anything is sent: the client reloads the current state
// and subscribes without `after`. Never a silent gap.
import { GraphQLError } from 'graphql';
import type { EventHub, HubEvent, Subscriber } from './hub';

export interface StreamOptions {
  /** Resume after this event id: replay what was missed from the activity log first. */
  after?: number | null;
  /** Which events this subscriber wants (tenant access is checked by the hub and here). */
  accept: (e: HubEvent) => boolean;
  maxBuffer: number;
  /** Charge the events a resume is about to replay (the rate limit); may throw RATE_LIMITED. */
  chargeReplay?: (events: number) => Promise<void>;
}

export const EVENTS_EXPIRED = 'EVENTS_EXPIRED';

export function eventsExpired(message: string): GraphQLError {
  return new GraphQLError(`${message} Reload the current state with a query, then subscribe again without "after".`, {
    extensions: { code: EVENTS_EXPIRED },
  });
}

function tooSlow(maxBuffer: number): Error {
  return new Error(
    `Subscriber too slow: more than ${maxBuffer} events waiting. Reconnect with "after" set to the last eventId you received.`,
  );
}

/**
 * One subscriber's stream. It is its own hub subscriber (tenantIds, deliver): a closure per stream
 * for the hub to call would be held for the stream's whole life (~300 bytes under tsx, which names
 * every function it compiles).
 */
class SubscriberStream implements AsyncIterableIterator<HubEvent>, Subscriber {
  private queue: HubEvent[] = [];
  private waiting: { resolve: (r: IteratorResult<HubEvent>) => void; reject: (err: Error) => void } | null = null;
  private error: Error | null = null;
  private closed = false;

  // the replay (resume with `after`)
  private replaying: boolean;
  private checked = false;
  private page: HubEvent[] = [];
  /** Every event of the subscriber's tenants up to this id has been delivered from the log (or predates `after`). */
  private replayedUpTo: number;
  /** Rows the replay has read, and how many the log held when it started. */
  private scanned = 0;
  private pending = 0;
  /** Live events dropped during the replay (queue overflow); they are re-read from the log. */
  private drops = 0;

  constructor(
    private readonly hub: EventHub,
    /** The tenants the subscriber may read (access.readableTenants): the only events it gets. */
    readonly tenantIds: readonly string[],
    private readonly opts: StreamOptions,
  ) {
    this.replaying = opts.after != null;
    this.replayedUpTo = opts.after ?? 0;
    // live events first, so nothing committed during the replay is lost
    hub.subscribe(this);
  }

  /** Subscriber: the hub hands this stream each live event of its tenants. */
  deliver(e: HubEvent): void {
    this.onLive(e);
  }

  private accept(e: HubEvent): boolean {
    return this.tenantIds.includes(e.activity.tenantId) && this.opts.accept(e);
  }

  private onLive(e: HubEvent): void {
    if (this.closed || this.error || !this.accept(e)) return;
    if (this.replaying) {
      if (this.queue.length >= this.opts.maxBuffer) {
        this.queue = []; // all of them are in the log: the replay reads them again
        this.drops += 1;
        return;
      }
      this.queue.push(e);
      return;
    }
    // Dedup by the replay's end, not by "highest id so far": events of different incidents can
    // arrive out of id order (with Redis each process publishes after its own commit), and a
    // lower id is then not a duplicate.
    if (e.activity.id <= this.replayedUpTo) return;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w.resolve({ value: e, done: false });
      return;
    }
    if (this.queue.length >= this.opts.maxBuffer) {
      this.fail(tooSlow(this.opts.maxBuffer));
      return;
    }
    this.queue.push(e);
  }

  private fail(err: Error): void {
    if (this.error || this.closed) return;
    this.error = err;
    this.queue = [];
    this.page = [];
    this.hub.unsubscribe(this);
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w.reject(err);
    }
  }

  /** Read the next page of the log; a short page that began after the last drop ends the replay. */
  private async readPage(): Promise<void> {
    const { maxEvents, pageSize } = this.hub.replayLimits;
    const tenantIds = this.tenantIds;
    if (!this.checked) {
      const status = await this.hub.replayStatus(tenantIds, this.replayedUpTo, maxEvents);
      this.checked = true;
      if (status.unknown) {
        throw eventsExpired(`Event ${this.replayedUpTo} is not in the retained event log (it is older than what is kept, or unknown).`);
      }
      if (status.pending > maxEvents) {
        throw eventsExpired(`More than ${maxEvents} events follow event ${this.replayedUpTo}, more than a resume replays.`);
      }
      this.pending = status.pending;
      if (status.pending > 0) await this.opts.chargeReplay?.(status.pending);
    }
    const dropsBefore = this.drops;
    const { events, rows, lastId } = await this.hub.replayPage(tenantIds, this.replayedUpTo, pageSize);
    if (this.closed || this.error) return;
    this.scanned += rows;
    // Beyond what the log held at the start the replay catches up with events committed since,
    // at the client's pace (one page at a time). A client that reads slower than they come
    // never catches up: past another maxEvents of them, it is told to reload too.
    if (this.scanned > this.pending + maxEvents) {
      throw eventsExpired(`The replay fell more than ${maxEvents} events behind the events committed since it started.`);
    }
    if (rows > 0) this.replayedUpTo = lastId;
    this.page = events.filter((e) => this.accept(e));
    if (rows < pageSize && this.drops === dropsBefore) this.replaying = false;
  }

  next(): Promise<IteratorResult<HubEvent>> {
    // live (no replay, or done with it): not an async function, so that an idle stream holds only
    // the promise it hands out, not an async function's own promise and continuation as well
    if (!this.replaying && this.page.length === 0) return this.live();
    return this.replay();
  }

  private async replay(): Promise<IteratorResult<HubEvent>> {
    try {
      while (this.replaying && !this.closed && !this.error) {
        const fromLog = this.page.shift();
        if (fromLog) return { value: fromLog, done: false };
        await this.readPage();
      }
      const fromLog = this.page.shift(); // the short last page
      if (fromLog) return { value: fromLog, done: false };
    } catch (err) {
      this.fail(err as Error);
    }
    return this.live();
  }

  private live(): Promise<IteratorResult<HubEvent>> {
    while (this.queue.length > 0) {
      const e = this.queue.shift()!;
      if (e.activity.id > this.replayedUpTo) return Promise.resolve({ value: e, done: false }); // else replayed already
    }
    if (this.error) return Promise.reject(this.error);
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  async return(): Promise<IteratorResult<HubEvent>> {
    if (!this.closed) {
      this.closed = true;
      this.queue = [];
      this.page = [];
      this.hub.unsubscribe(this);
      const w = this.waiting;
      this.waiting = null;
      w?.resolve({ value: undefined, done: true });
    }
    return { value: undefined, done: true };
  }

  async throw(err?: unknown): Promise<IteratorResult<HubEvent>> {
    await this.return();
    throw err;
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

export function eventStream(hub: EventHub, tenantIds: readonly string[], opts: StreamOptions): AsyncIterableIterator<HubEvent> {
  return new SubscriberStream(hub, tenantIds, opts);
}

/** Map a stream through an async function, dropping undefined results; return() closes the source. */
export function mapStream<T, U>(source: AsyncIterableIterator<T>, fn: (v: T) => Promise<U | undefined>, first?: () => Promise<U>): AsyncIterableIterator<U> {
  return new MappedStream(source, fn, first ? first() : null);
}

/** mapStream's iterator: a class, so that each stream holds its state, not its own set of closures. */
class MappedStream<T, U> implements AsyncIterableIterator<U> {
  constructor(
    private readonly source: AsyncIterableIterator<T>,
    private readonly fn: (v: T) => Promise<U | undefined>,
    private initial: Promise<U> | null,
  ) {}

  async next(): Promise<IteratorResult<U>> {
    if (this.initial) {
      const v = await this.initial;
      this.initial = null;
      return { value: v, done: false };
    }
    for (;;) {
      const r = await this.source.next();
      if (r.done) return { value: undefined, done: true };
      const v = await this.fn(r.value);
      if (v !== undefined) return { value: v, done: false };
    }
  }

  async return(): Promise<IteratorResult<U>> {
    await this.source.return?.();
    return { value: undefined, done: true };
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}
