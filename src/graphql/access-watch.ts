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
  /** Stop watching (the session ended by itself). */
  end(): void;
}

interface Entry {
  tokenHash: string;
  viewer: Viewer;
  lose(reason: string): void;
}

export const REVOKED = 'The token was revoked or has expired, or its principal disabled';
export const ACCESS_CHANGED = 'Your access changed (role or tenants served); reconnect';

export class AccessWatch {
  private entries = new Set<Entry>();
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

  watch(tokenHash: string, viewer: Viewer): WatchedSession {
    let lose!: (reason: string) => void;
    const lost = new Promise<string>((resolve) => (lose = resolve));
    const entry: Entry = {
      tokenHash,
      viewer,
      lose: (reason) => {
        this.entries.delete(entry);
        lose(reason);
      },
    };
    this.entries.add(entry);
    return { lost, end: () => this.entries.delete(entry) };
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
