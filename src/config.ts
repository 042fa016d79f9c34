// Every environment variable the service reads, parsed and validated in one place.
import os from 'node:os';
import path from 'node:path';

export interface Config {
  port: number;
  host: string;
  /** Server processes sharing the port (node:cluster); more than one needs DATABASE_URL. */
  workers: number;
  /** Real PostgreSQL when set; embedded PGlite in `dataDir` otherwise. */
  databaseUrl: string | undefined;
  databasePoolSize: number;
  /** Prepared statements on PostgreSQL (DATABASE_PREPARE=0 behind PgBouncer in transaction mode). */
  databasePrepare: boolean;
  dataDir: string;
  /** Seed the demo tenants (always on for the embedded database). */
  demo: boolean;
  production: boolean;
  logLevel: string;
  providerName: string;
  publicUrl: string | undefined;
  execution: {
    /** Run an action executor in this process (several processes may; they share the queue). */
    enabled: boolean;
    actionTimeoutMs: number;
    pollMs: number;
    leaseMs: number;
    /** Jobs (action attempts, later notifications and webhooks) this process runs at once. */
    concurrency: number;
    /** Of those, at most this many for one tenant: a tenant's hanging endpoint never blocks another. */
    tenantConcurrency: number;
  };
  /** Token → principal cache; revocation, disabling and unserving reach every transport within it. */
  tokenCacheTtlMs: number;
  security: {
    /** Origins allowed to call the API from a browser with credentials; empty = no CORS headers. */
    corsOrigins: string[];
    /** Show internal error details (messages, stacks) to clients. Never in production. */
    debugErrors: boolean;
    /** HTTP request body limit before the token is checked. */
    maxUnauthenticatedBodyBytes: number;
    /** HTTP request body limit for an authenticated request (ingestion carries evidence). */
    maxBodyBytes: number;
    /** graphql-ws: any one message (the socket is closed with 1009 above it). */
    maxWsMessageBytes: number;
    /** graphql-ws: the connection_init message (sent before authentication). */
    maxConnectionInitBytes: number;
    /** A request (or a WebSocket that never authenticates) is cut off after this. */
    requestTimeoutMs: number;
    /** Operations one WebSocket may run at once. */
    maxOperationsPerConnection: number;
    /** Operations per token per minute (HTTP and WebSocket together); 0 = unlimited. */
    rateLimitPerMinute: number;
    /** Events one resuming subscription may replay before it is told to reload (EVENTS_EXPIRED). */
    maxReplayEvents: number;
  };
  realtime: {
    /** Redis pub/sub for the fan-out between processes instead of PostgreSQL LISTEN/NOTIFY. */
    redisUrl: string | undefined;
    /** Events a subscriber may have waiting before it is dropped. */
    subscriberBuffer: number;
    /** Bytes a WebSocket may have unsent before the client is considered dead and dropped. */
    maxSocketBufferBytes: number;
    keepAliveMs: number;
  };
  limits: { maxDepth: number; maxAliases: number; maxCost: number; maxPageSize: number; maxTokens: number };
}

export class ConfigError extends Error {}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL must start with postgres:// or postgresql://');
  }
  const demoFlag = env.MDR_DEMO;
  const cores = os.availableParallelism();
  const workers = env.WORKERS === 'auto' ? cores : int(env, 'WORKERS', 1, 1, 256);
  if (workers > 1 && !databaseUrl) {
    throw new ConfigError('WORKERS above 1 needs DATABASE_URL: the embedded database belongs to one process');
  }
  return {
    port: int(env, 'PORT', 4000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    workers,
    databaseUrl,
    // at least 2: migrations and the seed hold one connection for their lock and work on another
    databasePoolSize: int(env, 'DATABASE_POOL_SIZE', 10, 2, 200),
    databasePrepare: env.DATABASE_PREPARE !== '0' && env.DATABASE_PREPARE !== 'false',
    dataDir: path.resolve(env.DATA_DIR || '.data'),
    // The embedded database is the "try it" mode: demo data unless explicitly switched off.
    demo: demoFlag === undefined || demoFlag === '' ? !databaseUrl : demoFlag === '1' || demoFlag === 'true',
    production: env.NODE_ENV === 'production',
    logLevel: env.LOG_LEVEL || (env.NODE_ENV === 'test' ? 'silent' : 'info'),
    providerName: env.MDR_PROVIDER_NAME || 'Defender Experts',
    publicUrl: env.PUBLIC_URL || undefined,
    execution: {
      enabled: env.EXECUTOR !== '0' && env.EXECUTOR !== 'false',
      actionTimeoutMs: int(env, 'ACTION_TIMEOUT_MS', 30 * 60_000, 100, 7 * 24 * 3_600_000),
      pollMs: int(env, 'EXECUTOR_POLL_MS', 1_000, 10, 60_000),
      leaseMs: int(env, 'EXECUTOR_LEASE_MS', 30_000, 100, 3_600_000),
      concurrency: int(env, 'EXECUTOR_CONCURRENCY', 8, 1, 1_000),
      tenantConcurrency: int(env, 'EXECUTOR_TENANT_CONCURRENCY', 2, 1, 1_000),
    },
    tokenCacheTtlMs: int(env, 'TOKEN_CACHE_TTL_MS', 10_000, 0, 3_600_000),
    security: {
      corsOrigins: (env.CORS_ORIGINS ?? '')
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean)
        .map((o) => {
          if (o !== '*' && !/^https?:\/\/[^/\s]+$/.test(o)) {
            throw new ConfigError(`CORS_ORIGINS holds "${o}": each entry must be an origin like https://soc.example.com (no path)`);
          }
          if (o === '*') throw new ConfigError('CORS_ORIGINS may not be "*": the API takes credentials; list the origins');
          return o;
        }),
      debugErrors: env.DEBUG_ERRORS === '1' || env.DEBUG_ERRORS === 'true',
      maxUnauthenticatedBodyBytes: int(env, 'MAX_UNAUTHENTICATED_BODY_BYTES', 64 * 1024, 1024, 1024 * 1024 * 1024),
      maxBodyBytes: int(env, 'MAX_BODY_BYTES', 4 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
      maxWsMessageBytes: int(env, 'WS_MAX_MESSAGE_BYTES', 256 * 1024, 1024, 1024 * 1024 * 1024),
      maxConnectionInitBytes: int(env, 'WS_MAX_CONNECTION_INIT_BYTES', 8 * 1024, 256, 1024 * 1024),
      requestTimeoutMs: int(env, 'REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000),
      maxOperationsPerConnection: int(env, 'WS_MAX_OPERATIONS', 50, 1, 100_000),
      rateLimitPerMinute: int(env, 'RATE_LIMIT_PER_MINUTE', 1_200, 0, 10_000_000),
      maxReplayEvents: int(env, 'MAX_REPLAY_EVENTS', 10_000, 1, 10_000_000),
    },
    realtime: {
      redisUrl: env.REDIS_URL || undefined,
      subscriberBuffer: int(env, 'SUBSCRIBER_BUFFER', 1_000, 1, 1_000_000),
      maxSocketBufferBytes: int(env, 'WS_MAX_BUFFERED_BYTES', 4 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
      keepAliveMs: int(env, 'WS_KEEPALIVE_MS', 12_000, 100, 600_000),
    },
    limits: {
      maxDepth: int(env, 'MAX_QUERY_DEPTH', 12, 2, 100),
      maxAliases: int(env, 'MAX_QUERY_ALIASES', 30, 1, 1000),
      maxCost: int(env, 'MAX_QUERY_COST', 50_000, 10, 10_000_000),
      maxPageSize: 100,
      maxTokens: int(env, 'MAX_QUERY_TOKENS', 5_000, 100, 100_000),
    },
  };
}
