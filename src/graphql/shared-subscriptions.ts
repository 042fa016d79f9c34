// Identical live subscriptions share one execution. Subscribers whose results cannot differ (same
// document and variables, and the same role and tenants: every permission and visibility rule in
// the schema depends on those, not on the principal's identity) are fed from one underlying
// subscription, so an event is executed once per group instead of once per subscriber.
// Subscriptions that resume (`after`) never share. A current-value stream (the banner: the counts
// now, then each change) shares too: a subscriber joining a running group gets the group's last
// result first, which is the current value as of the last event (a later event is on its way to
// every listener, the newcomer included).
import { createHash } from 'node:crypto';
import { getOperationAST, Kind, print, type ExecutionArgs, type ExecutionResult } from 'graphql';
import type { Viewer } from '../domain/viewer';
import { executeEvent, LeanStart, sourceError, type MaskError } from './lean-subscriptions';

const SHAREABLE_FIELDS = new Set(['incidentChanged', 'actionChanged', 'chatMessageAdded', 'managedResponseSummaryChanged']);
/** Streams whose first result is the current state and each later one the new state. */
const CURRENT_VALUE_FIELDS = new Set(['managedResponseSummaryChanged']);
/** Keys of current-value groups start with this: their last result is replayed to each newcomer. */
const CURRENT_VALUE = 'v';

type Result = ExecutionResult | AsyncIterable<ExecutionResult>;
type Started = Result | LeanStart;

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
  // the whole document, fragments included: the same operation with another fragment is another shape
  const identity = JSON.stringify([viewer.role, viewer.tenantId, [...viewer.tenantIds].sort(), print(args.document), args.operationName ?? null, args.variableValues ?? {}]);
  // its SHA-256, not the text itself: each group holds its key for its whole life, and the text
  // (the printed document) is ~0.5 KB; equal digests of unequal texts are not a practical concern
  return (current ? CURRENT_VALUE : 's') + createHash('sha256').update(identity).digest('base64');
}

class Group {
  readonly listeners = new Set<Listener>();
  /** A current-value group's last result, for those who join later. */
  last: ExecutionResult | null = null;
  constructor(
    /** The field's source stream (lean: its events, executed here), else a stream of results. */
    private readonly source: AsyncIterator<unknown>,
    /** Told (forget) when the group takes no one new: its source ended, or its last listener left. */
    private readonly owner: SharedSubscriptions,
    private readonly key: string,
    private readonly currentValue: boolean,
    /** Lean (lean-subscriptions.ts): the operation each event is executed against. */
    private readonly args: ExecutionArgs | null,
    /** The execution's context, handed to the owner's `idle` whenever the execution is idle. */
    private readonly context: unknown,
  ) {}

  /** Take the source's results (once the owner has the group under its key). */
  start() {
    this.owner.idle(this.context);
    void this.pump();
  }

  private onEmpty() {
    this.owner.forget(this.key, this);
  }

  join(l: Listener) {
    if (this.last) l.push(this.last);
    this.listeners.add(l);
  }

  private async pump() {
    try {
      for (;;) {
        let r: IteratorResult<unknown>;
        try {
          r = await this.source.next();
        } catch (err) {
          throw this.args ? sourceError(this.args, err, this.owner.mask) : err;
        }
        if (r.done) break;
        const value = this.args ? await executeEvent(this.args, r.value, this.owner.mask) : (r.value as ExecutionResult);
        if (this.currentValue) this.last = value;
        for (const l of this.listeners) l.push(value);
        this.owner.idle(this.context);
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

/**
 * One subscriber of a group: its own bounded queue. It also counts itself in its owner's `active`
 * until its consumer sees the end (as Tracked does for the others): every idle shared subscriber
 * holds one, and a wrapper around it cost an object and a pending async call more each.
 */
class Listener implements AsyncIterableIterator<ExecutionResult> {
  private queue: ExecutionResult[] = [];
  private waiting: { resolve: (r: IteratorResult<ExecutionResult>) => void; reject: (e: Error) => void } | null = null;
  private done = false;
  private error: Error | null = null;
  constructor(
    private readonly group: Group,
    private readonly maxBuffer: number,
    /** Told once, when the consumer sees the end (or returns); null after. */
    private owner: SharedSubscriptions | null,
  ) {}

  private closed() {
    const owner = this.owner;
    this.owner = null;
    owner?.closed();
  }

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
    if (this.waiting) this.closed();
    this.waiting?.reject(err);
    this.waiting = null;
  }
  end() {
    this.finish();
    if (this.waiting) this.closed();
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
    if (this.error) {
      this.closed();
      return Promise.reject(this.error);
    }
    if (this.done) {
      this.closed();
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }
  return(): Promise<IteratorResult<ExecutionResult>> {
    this.closed();
    this.queue = [];
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }
  [Symbol.asyncIterator]() {
    return this;
  }
}

export class SharedSubscriptions {
  /** Each group by its key: the promise of it while its execution starts, then the group itself. */
  private groups = new Map<string, Group | Promise<Group | null>>();
  /** Open subscriptions (one per client operation, shared or not). */
  active = 0;
  readonly maxBuffer: number;
  /** Masks the errors of lean executions' events (yoga's masking function). */
  readonly mask: MaskError;
  /**
   * Called with a group's execution context each time the execution has done its work for now
   * (once started, and after each event): what it cached while working may go then, rather than be
   * held by every idle execution (server.ts drops scope-auth's per-context cache). One function
   * for every group: a closure per group would be held for the group's life.
   */
  readonly idle: (context: unknown) => void;
  constructor(opts: { maxBuffer: number; mask: MaskError; idle?: (context: unknown) => void }) {
    this.maxBuffer = opts.maxBuffer;
    this.mask = opts.mask;
    this.idle = opts.idle ?? (() => {});
  }

  /** Count a subscription while it is open. */
  private track(res: Result): Result {
    if (!isAsyncIterable(res)) return res;
    this.active += 1;
    return new Tracked(res[Symbol.asyncIterator](), this);
  }

  /** A tracked subscription ended (once each). */
  closed(): void {
    this.active -= 1;
  }

  /**
   * Subscribe through the group of `key` (null: a subscription of its own), which `start` starts
   * if there is none yet: a LeanStart (lean-subscriptions.ts), whose events the group executes
   * against the operation, or a stream of results.
   */
  async subscribe(key: string | null, start: () => Promise<Started> | Started, context: unknown): Promise<Result> {
    const res = await this.open(key, start, context);
    if (res instanceof Listener) {
      this.active += 1; // the listener counts itself out
      return res;
    }
    return this.track(res);
  }

  private async open(key: string | null, start: () => Promise<Started> | Started, context: unknown): Promise<Result> {
    if (!key) return (await start()) as Result; // (server.ts starts lean only what has a key)
    let entry = this.groups.get(key);
    let own: Result | null = null;
    if (!entry) {
      let pending: Promise<Group | null> | undefined = undefined;
      pending = (async () => {
        const res = await start();
        const lean = res instanceof LeanStart ? res : null;
        if (!lean && !isAsyncIterable(res)) {
          own = res as ExecutionResult; // an error result is this subscriber's alone
          return null;
        }
        const source = lean ? lean.source : (res as AsyncIterable<ExecutionResult>)[Symbol.asyncIterator]();
        const group = new Group(source, this, key, key.startsWith(CURRENT_VALUE), lean ? lean.args : null, context);
        // from now on the group itself, not the promise of it (one object less per group)
        if (this.groups.get(key) === pending) this.groups.set(key, group);
        group.start();
        return group;
      })();
      entry = pending;
      this.groups.set(key, pending);
    }
    const group = await entry;
    if (!group) {
      if (this.groups.get(key) === entry) this.groups.delete(key);
      // the start failed: its error was the starter's; anyone who was waiting on it starts anew
      return own ?? this.open(key, start, context);
    }
    const listener = new Listener(group, this.maxBuffer, this);
    group.join(listener);
    return listener;
  }

  /** A group takes no one new (its source ended, or its last listener left). */
  forget(key: string, group: Group): void {
    if (this.groups.get(key) === group) this.groups.delete(key);
  }
}

/**
 * A subscription counted in `active` until it ends. A class, not an object of closures: every idle
 * subscription holds one, and its methods are then shared instead of made (and, under tsx, named:
 * ~300 bytes each) per subscription.
 */
class Tracked implements AsyncIterableIterator<ExecutionResult> {
  private open = true;
  constructor(
    private readonly it: AsyncIterator<ExecutionResult>,
    private readonly owner: SharedSubscriptions,
  ) {}

  private close() {
    if (this.open) {
      this.open = false;
      this.owner.closed();
    }
  }

  async next(): Promise<IteratorResult<ExecutionResult>> {
    try {
      const r = await this.it.next();
      if (r.done) this.close();
      return r;
    } catch (err) {
      this.close();
      throw err;
    }
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.close();
    return (await this.it.return?.()) ?? { value: undefined, done: true };
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

function isAsyncIterable(v: unknown): v is AsyncIterable<ExecutionResult> {
  return !!v && typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';
}
