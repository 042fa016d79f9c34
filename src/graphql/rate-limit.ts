// Operations per token per minute, over HTTP, SSE and graphql-ws together (rate-limiter-flexible:
// in process, or shared by every instance through Redis when REDIS_URL is set, with the in-process
// limiter as insurance while Redis is away). Requests without a token count per client address.
// A resumed subscription's replay costs extra points (one per REPLAY_EVENTS_PER_POINT events), so
// a hundred replays from the start are not free.
import type { Plugin } from '@envelop/core';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from '../log';
import type { GraphQLContext } from './context';

export const REPLAY_EVENTS_PER_POINT = 100;

export class RateLimitedError extends GraphQLError {
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many operations: at most the configured number per minute; retry in ${retryAfterSeconds} s`, {
      extensions: {
        code: 'RATE_LIMITED',
        retryAfterSeconds,
        http: { status: 429, headers: { 'retry-after': String(retryAfterSeconds) } },
      },
    });
  }
}

export class RateLimits {
  private readonly limiter: RateLimiterAbstract | null;
  private readonly redis: Redis | null = null;

  constructor(perMinute: number, redisUrl: string | undefined, log: Logger) {
    if (perMinute <= 0) {
      this.limiter = null;
      return;
    }
    const opts = { points: perMinute, duration: 60, keyPrefix: 'mdr-rl' };
    if (redisUrl) {
      this.redis = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 1, enableOfflineQueue: false });
      this.redis.on('error', (err) => log.warn({ err }, 'rate limit store (Redis) unavailable; limiting in process'));
      this.limiter = new RateLimiterRedis({ ...opts, storeClient: this.redis, rejectIfRedisNotReady: true, insuranceLimiter: new RateLimiterMemory(opts) });
    } else {
      this.limiter = new RateLimiterMemory(opts);
    }
  }

  /** Take `points` from the key's budget, or throw RATE_LIMITED with when to retry. */
  async consume(key: string, points = 1): Promise<void> {
    if (!this.limiter) return;
    try {
      await this.limiter.consume(key, points);
    } catch (err) {
      if (err instanceof RateLimiterRes) throw new RateLimitedError(Math.max(1, Math.ceil(err.msBeforeNext / 1000)));
      throw err;
    }
  }

  /**
   * Charge a resumed subscription's replay of `events` events to the key (a context binds it to its
   * key: a bound function is far smaller than a closure, and every subscription's context has one).
   */
  chargeReplay(key: string, events: number): Promise<void> {
    return this.consume(key, Math.ceil(events / REPLAY_EVENTS_PER_POINT));
  }

  async close() {
    this.redis?.disconnect();
  }
}

/** The key an operation counts against: its token, or (no token) the client's address. */
export const rateKey = (ctx: GraphQLContext) => (ctx.auth ? `t:${ctx.auth.tokenHash}` : `a:${ctx.clientAddress ?? 'unknown'}`);

/** One point per operation, checked before it executes (queries, mutations and subscriptions). */
export function useRateLimit(limits: RateLimits): Plugin<GraphQLContext> {
  const check = async (ctx: GraphQLContext, stop: (result: ExecutionResult) => void) => {
    if (ctx.auth?.socket) return; // counted in server.ts's onSubscribe, once per socket operation
    try {
      await limits.consume(rateKey(ctx));
    } catch (err) {
      if (err instanceof RateLimitedError) stop({ errors: [err] });
      else throw err;
    }
  };
  return {
    onExecute: ({ args, setResultAndStopExecution }) => check(args.contextValue as GraphQLContext, setResultAndStopExecution),
    onSubscribe: ({ args, setResultAndStopExecution }) => check(args.contextValue as GraphQLContext, setResultAndStopExecution),
  };
}
