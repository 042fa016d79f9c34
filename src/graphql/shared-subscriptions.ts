// Identical live subscriptions share one execution. Subscribers whose results cannot differ (same
// document and variables, and the same role and tenants: every permission and visibility rule in
// the schema depends on those, not on the principal's identity) are fed from one underlying
// subscription, so an event is executed once per group instead of once per subscriber.
// Subscriptions that resume (`after`) never share. A current-value stream (the banner: the counts
// now, then each change) shares too: a subscriber joining a running group gets the group's last
// result first, which is the current value as of the last event (a later event is on its way to
// every listener, the newcomer included).
import { getOperationAST, Kind, print, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Viewer } from '../domain/viewer';

const SHAREABLE_FIELDS = new Set(['incidentChanged', 'actionChanged', 'chatMessageAdded', 'managedResponseSummaryChanged']);
/** Streams whose first result is the current state and each later one the new state. */
const CURRENT_VALUE_FIELDS = new Set(['managedResponseSummaryChanged']);
/** Keys of current-value groups start with this: their last result is replayed to each newcomer. */
const CURRENT_VALUE = 'v';

type Result = ExecutionResult | AsyncIterable<ExecutionResult>;

export function shareKey(args: ExecutionArgs): string | null {
  const op = getOperationAST(args.document, args.operationName);
  if (!op || op.operation !== 'subscription') return null;
  for (const sel of op.selectionSet.selections) {
    if (sel.kind !== Kind.FIELD || !SHAREABLE_FIELDS.has(sel.name.value)) return null;
    const after = sel.arguments?.find((a) => a.name.value === 'after')?.value;
    const resumes =
      after &&
      after.kind !== Kind.NULL &&
      (after.kind !== Kind.VARIABLE || (args.variableValues as Record<string, unknown> | undefined)?.[after.name.value] != null);
    if (resumes) return null;
  }
  const viewer = (args.contextValue as { viewer?: Viewer | null }).viewer;
  if (!viewer) return null;
  const current = op.selectionSet.selections.some((sel) => sel.kind === Kind.FIELD && CURRENT_VALUE_FIELDS.has(sel.name.value));
  return (current ? CURRENT_VALUE : 's') + JSON.stringify([viewer.role, viewer.tenantId, [...viewer.tenantIds].sort(), print(args.document), args.operationName ?? null, args.variableValues ?? {}]);
  // the whole document, fragments included: the same operation with another fragment is another shape
}

class Group {
  readonly listeners = new Set<Listener>();
  /** A current-value group's last result, for those who join later. */
  last: ExecutionResult | null = null;
  constructor(
    private readonly source: AsyncIterator<ExecutionResult>,
    private readonly onEmpty: () => void,
    private readonly currentValue: boolean,
  ) {
    void this.pump();
  }

  join(l: Listener) {
    if (this.last) l.push(this.last);
    this.listeners.add(l);
  }

  private async pump() {
    try {
      for (;;) {
        const r = await this.source.next();
        if (r.done) break;
        if (this.currentValue) this.last = r.value;
        for (const l of this.listeners) l.push(r.value);
      }
    } catch (err) {
      for (const l of this.listeners) l.fail(err as Error);
    }
    for (const l of this.listeners) l.end();
    this.onEmpty();
  }

  leave(l: Listener) {
    this.listeners.delete(l);
    if (this.listeners.size === 0) {
      this.onEmpty();
      void this.source.return?.();
    }
  }
}

class Listener implements AsyncIterableIterator<ExecutionResult> {
  private queue: ExecutionResult[] = [];
  private waiting: { resolve: (r: IteratorResult<ExecutionResult>) => void; reject: (e: Error) => void } | null = null;
  private done = false;
  private error: Error | null = null;
  constructor(
    private readonly group: Group,
    private readonly maxBuffer: number,
  ) {}

  push(v: ExecutionResult) {
    if (this.done) return;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w.resolve({ value: v, done: false });
    } else if (this.queue.length < this.maxBuffer) this.queue.push(v);
    else this.fail(new Error(`Subscriber too slow: more than ${this.maxBuffer} events waiting`));
  }
  fail(err: Error) {
    this.error = err;
    this.finish();
    this.waiting?.reject(err);
    this.waiting = null;
  }
  end() {
    this.finish();
    this.waiting?.resolve({ value: undefined, done: true });
    this.waiting = null;
  }
  private finish() {
    if (this.done) return;
    this.done = true;
    this.group.leave(this);
  }
  next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.queue.length) return Promise.resolve({ value: this.queue.shift()!, done: false });
    if (this.error) return Promise.reject(this.error);
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }
  return(): Promise<IteratorResult<ExecutionResult>> {
    this.queue = [];
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }
  [Symbol.asyncIterator]() {
    return this;
  }
}

export class SharedSubscriptions {
  private groups = new Map<string, Promise<Group | null>>();
  /** Open subscriptions (one per client operation, shared or not). */
  active = 0;
  constructor(private readonly maxBuffer: number) {}

  /** Count a subscription while it is open. */
  private track(res: Result): Result {
    if (!isAsyncIterable(res)) return res;
    const it = res[Symbol.asyncIterator]();
    this.active += 1;
    let open = true;
    const close = () => {
      if (open) {
        open = false;
        this.active -= 1;
      }
    };
    const tracked: AsyncIterableIterator<ExecutionResult> = {
      next: async () => {
        try {
          const r = await it.next();
          if (r.done) close();
          return r;
        } catch (err) {
          close();
          throw err;
        }
      },
      return: async () => {
        close();
        return (await it.return?.()) ?? { value: undefined, done: true };
      },
      [Symbol.asyncIterator]() {
        return tracked;
      },
    };
    return tracked;
  }

  async subscribe(key: string | null, start: () => Promise<Result> | Result): Promise<Result> {
    return this.track(await this.open(key, start));
  }

  private async open(key: string | null, start: () => Promise<Result> | Result): Promise<Result> {
    if (!key) return start();
    let pending = this.groups.get(key);
    let own: Result | null = null;
    if (!pending) {
      pending = (async () => {
        const res = await start();
        if (!isAsyncIterable(res)) {
          own = res; // an error result is this subscriber's alone
          return null;
        }
        return new Group(
          res[Symbol.asyncIterator](),
          () => {
            if (this.groups.get(key) === pending) this.groups.delete(key);
          },
          key.startsWith(CURRENT_VALUE),
        );
      })();
      this.groups.set(key, pending);
    }
    const group = await pending;
    if (!group) {
      if (this.groups.get(key) === pending) this.groups.delete(key);
      return own ?? start();
    }
    const listener = new Listener(group, this.maxBuffer);
    group.join(listener);
    return listener;
  }
}

function isAsyncIterable(v: unknown): v is AsyncIterable<ExecutionResult> {
  return !!v && typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}
