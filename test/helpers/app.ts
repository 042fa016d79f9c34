// Test harness: the real server on port 0, over real HTTP, against real PostgreSQL when
// DATABASE_URL is set (CI), or an in-memory embedded PGlite otherwise (TEST_DB=pglite forces it).
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type DocumentNode } from 'graphql';
import { loadConfig, type Config } from '../../src/config';
import { openDatabase, type Database } from '../../src/db/client';
import type { EventSink } from '../../src/domain/context';
import { createLogger } from '../../src/log';
import type { ExecutorOptions } from '../../src/domain/executor';
import type { NotifierOptions } from '../../src/domain/notifications/delivery';
import type { OutboundOptions } from '../../src/domain/outbound/delivery';
import { buildServer, type RunningServer } from '../../src/server';
import { loadSnapshot } from '../../src/db/snapshot';

export const backend: 'postgres' | 'pglite' =
  process.env.TEST_DB === 'pglite' || !process.env.DATABASE_URL ? 'pglite' : 'postgres';

export interface GqlResult<T> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}

export interface TestApp {
  url: string;
  database: Database;
  server: RunningServer;
  config: Config;
  gql<T, V>(doc: TypedDocumentNode<T, V> | DocumentNode | string, variables?: V, token?: string | null): Promise<GqlResult<T>>;
  close(): Promise<void>;
}

export interface StartAppOptions {
  events?: EventSink;
  /** Executor test hooks, passed through to buildServer (connectorFor, retryDelayMs...). */
  executor?: Partial<ExecutorOptions>;
  /**
   * Share another app's database (a second server process on the same database). On Postgres
   * each app opens its own pool anyway; on PGlite this is the only way two servers share data.
   * The app that opened the database closes it; this one leaves it open.
   */
  database?: Database;
  /**
   * Notification deliverer hooks. Test files share one PostgreSQL database, so by default an
   * app delivers nothing (scope: no tenant); notification tests pass the tenants they own.
   */
  notifier?: Partial<NotifierOptions>;
  /** Webhook and sync deliverer hooks; like the notifier, it delivers for no tenant by default. */
  outbound?: Partial<OutboundOptions>;
}

/** The migrated snapshot, read once per worker (~27 MB; a Blob is immutable, so apps share it). */
let snapshotBlob: Blob | undefined;
const snapshot = () => (snapshotBlob ??= loadSnapshot());

export async function startApp(overrides: Partial<Config> = {}, opts: StartAppOptions = {}): Promise<TestApp> {
  const config: Config = { ...loadConfig({ ...process.env, PORT: '0', HOST: '127.0.0.1', MDR_DEMO: '0' }), ...overrides };
  const ownsDatabase = !opts.database;
  const database =
    opts.database ??
    (await openDatabase({
      databaseUrl: backend === 'postgres' ? process.env.DATABASE_URL : undefined,
      dataDir: 'memory://',
      poolSize: 10,
      snapshot: backend === 'pglite' ? snapshot() : undefined,
    }));
  if (ownsDatabase) await database.migrate();
  const server = buildServer({
    config,
    database,
    log: createLogger('silent'),
    events: opts.events,
    executor: opts.executor,
    notifier: { scope: () => [], ...opts.notifier },
    outbound: { scope: () => [], ...opts.outbound },
  });
  await server.start();
  const url = `http://127.0.0.1:${server.port}/graphql`;
  return {
    url,
    database,
    server,
    config,
    async gql(doc, variables, token) {
      const query = typeof doc === 'string' ? doc : print(doc as DocumentNode);
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await res.json()) as GqlResult<never>;
      return { ...body, status: res.status };
    },
    async close() {
      await server.stop();
      if (ownsDatabase) await database.close();
    },
  };
}
