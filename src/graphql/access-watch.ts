// Long-lived sessions (a graphql-ws socket, an SSE stream) authenticate once, so a per-request
// token check never sees them again. The access watch keeps every open session with the token it
// authenticated with and re-checks all those tokens together, twice per token cache time: a
// revoked token, a disabled principal or an expert who stopped serving a tenant ends the session
// (the socket closes with 4403, the stream ends with an error) within TOKEN_CACHE_TTL_MS.
import type { Plugin } from '@envelop/core';
import { GraphQLError, type ExecutionResult } from 'graphql';
import type { Db } from '../db/client';
import { sameAccess, tokenGrants, type TokenCache } from '../domain/tokens';
import type { Viewer } from '../domain/viewer';
import type { Logger } from '../log';
import type { GraphQLContext } from './context';

export interface WatchedSession {
  /** Resolves with the reason once the session's access is gone; never rejects. */
  readonly lost: Promise<string>;
  /** The token's hash and the viewer watched: equal to those given, maybe the token's shared copy. */
  readonly tokenHash: string;
  readonly viewer: Viewer;
  /** Stop watching (the session ended by itself). */
  end(): void;
}

/** Told when a session's access is gone (a socket closes itself: no closure per session). */
export interface AccessListener {
  accessLost(reason: string): void;
}

/**
 * What the open sessions of one token share: its hash and its viewer, once rather than once per
 * session (a socket holds them for its whole life; a token's sockets looked them up one by one).
 */
interface Shared {
  readonly tokenHash: string;
  readonly viewer: Viewer;
  sessions: number;
}

/** Viewers equal in every field (arrays element by element): either may stand for the other. */
function sameViewer(a: Viewer, b: Viewer): boolean {
  if (a === b) return true;
  const keys = Object.keys(a) as (keyof Viewer)[];
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => {
    const x = a[k];
    const y = b[k];
    return x === y || (Array.isArray(x) && Array.isArray(y) && x.length === y.length && x.every((v, i) => v === y[i]));
  });
}

/**
 * One watched session. A class with its methods shared: every open socket holds one for its whole
 * life, and a promise, its resolver and two closures per session (each ~300 bytes more under tsx,
 * which names every function it compiles) were a good part of an idle subscriber's memory.
 */
class Entry implements WatchedSession {
  private reason: string | null = null;
  private promise: Promise<string> | null = null;
  private settle: ((reason: string) => void) | null = null;
  constructor(
    private readonly owner: AccessWatch,
    readonly tokenHash: string,
    readonly viewer: Viewer,
    private readonly listener: AccessListener | undefined,
    /** The token's shared hash and viewer, while this session counts among their users. */
    public shared: Shared | null,
  ) {}

  /** Made on first use: a session told through its listener never needs it. */
  get lost(): Promise<string> {
    this.promise ??= this.reason !== null ? Promise.resolve(this.reason) : new Promise<string>((resolve) => (this.settle = resolve));
    return this.promise;
  }

  lose(reason: string): void {
    this.owner.forget(this);
    if (this.reason !== null) return;
    this.reason = reason;
    this.settle?.(reason);
    this.settle = null;
    this.listener?.accessLost(reason);
  }

  end(): void {
    this.owner.forget(this);
  }
}

export const REVOKED = 'The token was revoked or has expired, or its principal disabled';
export const ACCESS_CHANGED = 'Your access changed (role or tenants served); reconnect';

export class AccessWatch {
  private entries = new Set<Entry>();
  private shared = new Map<string, Shared>();
  private timer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly tokens: TokenCache,
    private readonly log: Logger,
    /** How often every open session's token is re-checked. */
    readonly intervalMs = Math.min(5_000, Math.max(25, Math.floor(tokens.ttlMs / 2))),
  ) {}

  get size() {
    return this.entries.size;
  }

  /** Watch a session; `listener` (if given) is told once its access is gone, as `lost` resolves. */
  watch(tokenHash: string, viewer: Viewer, listener?: AccessListener): WatchedSession {
    let shared = this.shared.get(tokenHash);
    if (!shared) {
      shared = { tokenHash, viewer, sessions: 0 };
      this.shared.set(tokenHash, shared);
    }
    // another viewer for the token (its principal changed since): this session keeps its own
    const entry = sameViewer(shared.viewer, viewer)
      ? new Entry(this, shared.tokenHash, shared.viewer, listener, shared)
      : new Entry(this, tokenHash, viewer, listener, null);
    if (entry.shared) entry.shared.sessions += 1;
    this.entries.add(entry);
    return entry;
  }

  /** A session is no longer watched (ended, or its access lost). */
  forget(entry: Entry): void {
    this.entries.delete(entry);
    const shared = entry.shared;
    if (!shared) return;
    entry.shared = null;
    shared.sessions -= 1;
    if (shared.sessions === 0 && this.shared.get(shared.tokenHash) === shared) this.shared.delete(shared.tokenHash);
  }

  start() {
    this.timer ??= setInterval(() => void this.sweep(), this.intervalMs);
    this.timer.unref();
  }

  async stop() {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.sweeping;
  }

  /** Re-check every watched token in one round trip; end the sessions whose access is gone. */
  sweep(): Promise<void> {
    if (this.sweeping || this.entries.size === 0) return this.sweeping ?? Promise.resolve();
    this.sweeping = (async () => {
      const entries = [...this.entries];
      const hashes = [...new Set(entries.map((e) => e.tokenHash))];
      // (an expired token is missing, like a revoked one: its sessions end at the next sweep)
      const fresh = await tokenGrants(this.db, hashes);
      for (const hash of hashes) this.tokens.remember(hash, fresh.get(hash)?.viewer ?? null, Date.now(), fresh.get(hash)?.expiresAt);
      for (const e of entries) {
        const now = fresh.get(e.tokenHash)?.viewer;
        if (!now) e.lose(REVOKED);
        else if (!sameAccess(now, e.viewer)) e.lose(ACCESS_CHANGED);
      }
    })()
      // the database is away: keep the sessions, the next sweep decides (requests fail anyway)
      .catch((err: unknown) => this.log.warn({ err }, 'access watch sweep failed'))
      .finally(() => {
        this.sweeping = null;
      });
    return this.sweeping;
  }
}

/** The error a subscription ends with when its access is gone. */
export const accessLostError = (reason: string) =>
  new GraphQLError(reason, { extensions: { code: reason === REVOKED ? 'UNAUTHENTICATED' : 'FORBIDDEN' } });

/** The source's events until the session is lost; then one error result, and the end. */
export function endWhenLost<T>(source: AsyncIterable<T>, session: WatchedSession): AsyncIterableIterator<T | ExecutionResult> {
  const it = source[Symbol.asyncIterator]();
  let done = false;
  let lostReason: string | null = null;
  // one reaction for the stream's whole life (a Promise.race per event would keep every event
  // reachable from the never-settling `lost` promise); return() wakes a pending next()
  void session.lost.then((reason) => {
    lostReason = reason;
    void it.return?.();
  });
  const finish = async () => {
    done = true;
    session.end();
    await it.return?.();
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next(): Promise<IteratorResult<T | ExecutionResult>> {
      if (done) return { done: true, value: undefined };
      let r: IteratorResult<T>;
      try {
        r = lostReason ? { done: true, value: undefined } : await it.next();
      } catch (err) {
        await finish();
        throw err;
      }
      if (lostReason) {
        const reason = lostReason;
        await finish();
        return { done: false, value: { errors: [accessLostError(reason)] } };
      }
      if (r.done) await finish();
      return r;
    },
    async return(): Promise<IteratorResult<T | ExecutionResult>> {
      if (!done) await finish();
      return { done: true, value: undefined };
    },
  };
}

/**
 * Every subscription, over SSE and graphql-ws alike, is watched for its whole life. (A graphql-ws
 * socket is also watched as a whole and closed with 4403: see server.ts.)
 */
export function useAccessWatch(watch: AccessWatch): Plugin<GraphQLContext> {
  return {
    onSubscribe({ args }) {
      const ctx = args.contextValue as GraphQLContext;
      // a graphql-ws socket is watched as a whole (and its identical subscriptions share one source)
      if (!ctx.auth || ctx.auth.socket || !ctx.viewer) return;
      const { tokenHash } = ctx.auth;
      const viewer = ctx.viewer;
      return {
        onSubscribeResult({ result, setResult }) {
          if (!(Symbol.asyncIterator in result)) return;
          setResult(endWhenLost(result as AsyncIterable<ExecutionResult>, watch.watch(tokenHash, viewer)));
        },
      };
    },
  };
}
