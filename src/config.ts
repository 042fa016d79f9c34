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
  /** Bearer token GET /metrics requires (METRICS_TOKEN); unset = /metrics is open. */
  metricsToken: string | undefined;
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
  notifications: {
    /** Deliver notifications from this process (every process may; each notification goes out once). */
    enabled: boolean;
    /** SMTP server (smtp:// or smtps://, credentials in the URL); unset: .eml files under mailDir. */
    smtpUrl: string | undefined;
    /** Where mail goes without SMTP_URL: DATA_DIR/mail. */
    mailDir: string;
    mailFrom: string;
    /** A reminder while an incident awaits the customer, this often (REMINDER_INTERVAL, default 24 h). */
    reminderIntervalMs: number;
    /** Sends per notification before it is DEAD. */
    maxAttempts: number;
    retryBaseMs: number;
    retryMaxMs: number;
    /** One SMTP or Teams send gives up after this (a hanging endpoint is a failed attempt). */
    sendTimeoutMs: number;
    concurrency: number;
    tenantConcurrency: number;
    /** Teams (and later webhook) targets on loopback or private networks, and plain http://, are refused unless this is set. */
    allowPrivateTargets: boolean;
  };
  /** Key that encrypts stored secrets (webhook signing secrets, connector credentials); from SECRETS_KEY, else DATA_DIR/secrets.key. */
  secretsKey: string | undefined;
  webhooks: {
    /** Deliver webhooks and sync calls from this process. */
    enabled: boolean;
    concurrency: number;
    tenantConcurrency: number;
    /** One attempt gives up after this. */
    timeoutMs: number;
    retryBaseMs: number;
    retryMaxMs: number;
    /** An endpoint failing this long is disabled (and a delivery older than this is DEAD). */
    disableAfterMs: number;
  };
  /** Token → principal cache; revocation, disabling and unserving reach every transport within it. */
  tokenCacheTtlMs: number;
  /** Memory for the queue page cache (QUEUE_CACHE_MB, default 32; 0 = off): src/domain/queue-cache.ts. */
  queueCacheBytes: number;
  /** How long a signed link to a service report page works (REPORT_LINK_TTL, default 15 min). */
  reportLinkTtlMs: number;
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
    /** PERSISTED_DOCUMENTS_ONLY: only the documents of schema/persisted-documents.json run, by hash, on every transport. */
    persistedDocumentsOnly: boolean;
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

/** "24h", "30m", "10s", "1500ms", "2d" or a number of milliseconds. */
export function duration(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/i.exec(raw);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m?.[2] ?? 'ms').toLowerCase() as 'ms'];
  const n = m ? Math.round(Number(m[1]) * unit) : NaN;
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be a duration like 24h, 30m, 10s or a number of milliseconds (${min} ms to ${max} ms), got "${raw}"`);
  }
  return n;
}

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
    metricsToken: (() => {
      const token = env.METRICS_TOKEN || undefined;
      if (token !== undefined && !/^[\x21-\x7e]{16,512}$/.test(token)) {
        throw new ConfigError('METRICS_TOKEN must be 16 to 512 printable characters without spaces (e.g. `openssl rand -hex 24`)');
      }
      return token;
    })(),
    providerName: env.MDR_PROVIDER_NAME || 'Defender Experts',
    publicUrl: env.PUBLIC_URL || undefined,
    execution: {
      enabled: env.EXECUTOR !== '0' && env.EXECUTOR !== 'false',
      actionTimeoutMs: int(env, 'ACTION_TIMEOUT_MS', 30 * 60_000, 100, 7 * 24 * 3_600_000),
      pollMs: int(env, 'EXECUTOR_POLL_MS', 1_000, 10, 60_000),
      leaseMs: int(env, 'EXECUTOR_LEASE_MS', 30_000, 100, 3_600_000),
      concurrency: int(env, 'EXECUTOR_CONCURRENCY', 32, 1, 1_000),
      tenantConcurrency: int(env, 'EXECUTOR_TENANT_CONCURRENCY', 2, 1, 1_000),
    },
    notifications: (() => {
      const smtpUrl = env.SMTP_URL || undefined;
      if (smtpUrl && !/^smtps?:\/\/[^\s]+$/.test(smtpUrl)) throw new ConfigError('SMTP_URL must look like smtp://user:pass@host:587 or smtps://host:465');
      const mailFrom = env.MAIL_FROM || '"MDR incident service" <mdr-notifications@localhost>';
      if (!/<?[^\s@<>]+@[^\s@<>]+>?\s*$/.test(mailFrom)) throw new ConfigError(`MAIL_FROM must be an address, optionally with a name: "SOC" <soc@example.com>; got "${mailFrom}"`);
      return {
        enabled: env.NOTIFIER !== '0' && env.NOTIFIER !== 'false',
        smtpUrl,
        mailDir: path.join(path.resolve(env.DATA_DIR || '.data'), 'mail'),
        mailFrom,
        reminderIntervalMs: duration(env, 'REMINDER_INTERVAL', 24 * 3_600_000, 1_000, 365 * 86_400_000),
        maxAttempts: int(env, 'NOTIFY_MAX_ATTEMPTS', 8, 1, 100),
        retryBaseMs: duration(env, 'NOTIFY_RETRY_BASE', 30_000, 1, 86_400_000),
        retryMaxMs: duration(env, 'NOTIFY_RETRY_MAX', 3_600_000, 1, 7 * 86_400_000),
        sendTimeoutMs: duration(env, 'NOTIFY_TIMEOUT', 15_000, 50, 600_000),
        concurrency: int(env, 'NOTIFY_CONCURRENCY', 16, 1, 1_000),
        tenantConcurrency: int(env, 'NOTIFY_TENANT_CONCURRENCY', 2, 1, 1_000),
        allowPrivateTargets: env.WEBHOOK_ALLOW_PRIVATE === '1' || env.WEBHOOK_ALLOW_PRIVATE === 'true',
      };
    })(),
    secretsKey: (() => {
      const key = env.SECRETS_KEY || undefined;
      if (key !== undefined && key.length < 32) throw new ConfigError('SECRETS_KEY must be at least 32 characters (e.g. `openssl rand -base64 32`)');
      return key;
    })(),
    webhooks: {
      enabled: env.WEBHOOKS !== '0' && env.WEBHOOKS !== 'false',
      concurrency: int(env, 'WEBHOOK_CONCURRENCY', 16, 1, 1_000),
      tenantConcurrency: int(env, 'WEBHOOK_TENANT_CONCURRENCY', 2, 1, 1_000),
      timeoutMs: duration(env, 'WEBHOOK_TIMEOUT', 10_000, 50, 300_000),
      retryBaseMs: duration(env, 'WEBHOOK_RETRY_BASE', 30_000, 1, 86_400_000),
      retryMaxMs: duration(env, 'WEBHOOK_RETRY_MAX', 6 * 3_600_000, 1, 7 * 86_400_000),
      disableAfterMs: duration(env, 'WEBHOOK_DISABLE_AFTER', 3 * 86_400_000, 1_000, 30 * 86_400_000),
    },
    tokenCacheTtlMs: int(env, 'TOKEN_CACHE_TTL_MS', 10_000, 0, 3_600_000),
    queueCacheBytes: int(env, 'QUEUE_CACHE_MB', 32, 0, 4096) * 1024 * 1024,
    reportLinkTtlMs: duration(env, 'REPORT_LINK_TTL', 15 * 60_000, 10_000, 24 * 3_600_000),
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
      persistedDocumentsOnly: env.PERSISTED_DOCUMENTS_ONLY === '1' || env.PERSISTED_DOCUMENTS_ONLY === 'true',
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
