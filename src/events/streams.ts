// Subscription streams: live events from the hub for one subscriber, optionally preceded by the
// events it missed (resume with `after`), without gaps or duplicates; closed promptly on return().
import type { Viewer } from '../domain/viewer';
import { EventStream, type EventHub, type HubEvent } from './hub';

export interface StreamOptions {
  /** Resume after this event id: replay what was missed from the activity log first. */
  after?: number | null;
  /** Which events this subscriber wants (tenant access is checked by the hub and here). */
  accept: (e: HubEvent) => boolean;
  maxBuffer: number;
}

export function eventStream(hub: EventHub, viewer: Viewer, opts: StreamOptions): AsyncIterableIterator<HubEvent> {
  const accept = (e: HubEvent) => viewer.tenantIds.includes(e.activity.tenantId) && opts.accept(e);
  // Subscribe to live events first, so nothing committed during the replay is lost.
  let unsubscribe = () => {};
  const live = new EventStream<HubEvent>(opts.maxBuffer, () => unsubscribe());
  unsubscribe = hub.subscribe({ tenantIds: viewer.tenantIds, deliver: (e) => accept(e) && live.push(e) });
  // Dedup by id, not by "highest id so far": events of different incidents can arrive out of id
  // order (with Redis each process publishes after its own commit), and a lower id is not a duplicate.
  const after = opts.after ?? 0;
  let replay: Promise<HubEvent[]> | null = opts.after != null ? hub.replay(viewer.tenantIds, opts.after) : null;
  let replayed: HubEvent[] = [];
  let replayedIds: Set<number> | null = null;
  let maxReplayed = 0;

  const iterator: AsyncIterableIterator<HubEvent> = {
    async next() {
      if (replay) {
        replayed = (await replay).filter(accept);
        replay = null;
        if (replayed.length > 0) {
          replayedIds = new Set(replayed.map((e) => e.activity.id));
          maxReplayed = replayed[replayed.length - 1].activity.id;
        }
      }
      const fromLog = replayed.shift();
      if (fromLog) return { value: fromLog, done: false };
      for (;;) {
        const r = await live.next();
        if (r.done) return r;
        const id = r.value.activity.id;
        if (id <= after) continue; // the client saw it before resuming (e.g. on another instance)
        if (replayedIds) {
          if (replayedIds.delete(id)) continue; // already replayed
          // newer than the replay: it committed after the replay's snapshot and NOTIFY arrives in
          // commit order, so no replayed event is still to come (with Redis, a notice delayed past
          // a newer one could at worst repeat one replayed event: rare, and the eventId shows it)
          if (id > maxReplayed) replayedIds = null;
        }
        return r;
      }
    },
    return: () => live.return(),
    throw: async (err) => {
      await live.return();
      throw err;
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/** Map a stream through an async function, dropping undefined results; return() closes the source. */
export function mapStream<T, U>(source: AsyncIterableIterator<T>, fn: (v: T) => Promise<U | undefined>, first?: () => Promise<U>): AsyncIterableIterator<U> {
  let initial = first ? first() : null;
  const it: AsyncIterableIterator<U> = {
    async next() {
      if (initial) {
        const v = await initial;
        initial = null;
        return { value: v, done: false };
      }
      for (;;) {
        const r = await source.next();
        if (r.done) return { value: undefined, done: true };
        const v = await fn(r.value);
        if (v !== undefined) return { value: v, done: false };
      }
    },
    return: async () => {
      await source.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}
