// One code path over two backends: real PostgreSQL (postgres.js) when DATABASE_URL is set,
// embedded PGlite (real Postgres in WebAssembly) in a local folder otherwise.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import * as schema from './schema';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
/** A transaction is used exactly like the database handle. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export const migrationsFolder = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../drizzle');

export interface Database {
  kind: 'postgres' | 'pglite';
  db: Db;
  /** Statements sent so far; tests use it to prove the queue has no N+1. */
  stats: { statements: number };
  /** Apply pending migrations, serialised across processes sharing one database. */
  migrate(): Promise<void>;
  /** Run `fn` while holding a cluster-wide lock (advisory lock on Postgres). */
  withLock<T>(key: number, fn: () => Promise<T>): Promise<T>;
  /** Raw rows from a SQL string with $n parameters (prepared unless `prepare` is off): hot reads, health checks. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** LISTEN on a channel (one dedicated connection per process on Postgres); resolves to unlisten. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

export interface OpenOptions {
  databaseUrl?: string;
  dataDir?: string;
  poolSize?: number;
  /** Server-side prepared statements (default on); turn off behind PgBouncer in transaction mode. */
  prepare?: boolean;
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  const stats = { statements: 0 };
  const logger = {
    logQuery: () => {
      stats.statements += 1;
    },
  };

  if (opts.databaseUrl) {
    const sql = postgres(opts.databaseUrl, {
      max: opts.poolSize ?? 10,
      onnotice: () => {},
    });
    // drizzle's postgres-js session sends every statement unprepared (a parse and plan each time);
    // the queue's statements repeat constantly, so let postgres.js prepare them per connection.
    const client =
      opts.prepare === false
        ? sql
        : (new Proxy(sql, {
            get(target, prop, receiver) {
              if (prop === 'unsafe') {
                return (text: string, params?: unknown[], o?: Record<string, unknown>) =>
                  target.unsafe(text, params as never[], { ...o, prepare: true });
              }
              return Reflect.get(target, prop, receiver);
            },
          }) as typeof sql);
    const db = drizzlePostgres({ client, schema, logger }) as unknown as Db;
    const withLock = async <T>(key: number, fn: () => Promise<T>): Promise<T> => {
      const conn = await sql.reserve();
      try {
        await conn`select pg_advisory_lock(${key})`;
        return await fn();
      } finally {
        await conn`select pg_advisory_unlock(${key})`.catch(() => {});
        conn.release();
      }
    };
    return {
      kind: 'postgres',
      db,
      stats,
      withLock,
      migrate: () => withLock(MIGRATION_LOCK, () => migratePostgres(db as never, { migrationsFolder })),
      query: async <T>(text: string, params: unknown[] = []) => {
        stats.statements += 1;
        return (await sql.unsafe(text, params as never[], { prepare: opts.prepare !== false })) as unknown as T[];
      },
      listen: async (channel, onPayload) => {
        const sub = await sql.listen(channel, (payload) => onPayload(payload));
        return () => sub.unlisten();
      },
      close: () => sql.end({ timeout: 5 }),
    };
  }

  // 'memory://' keeps the whole database in memory (tests); otherwise <dataDir>/pgdata on disk.
  let client: PGlite;
  let releaseDirLock = () => {};
  if (opts.dataDir === 'memory://') {
    client = await PGlite.create();
  } else {
    const pgDir = path.join(opts.dataDir ?? path.resolve('.data'), 'pgdata');
    fs.mkdirSync(pgDir, { recursive: true });
    releaseDirLock = lockDataDir(path.dirname(pgDir));
    try {
      client = await PGlite.create(pgDir);
    } catch (err) {
      releaseDirLock();
      throw err;
    }
  }
  const db = drizzlePglite({ client, schema, logger }) as unknown as Db;
  // PGlite is one connection in one process: a promise chain is the lock.
  let chain: Promise<unknown> = Promise.resolve();
  const withLock = <T>(_key: number, fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn, fn);
    chain = run.catch(() => {});
    return run;
  };
  return {
    kind: 'pglite',
    db,
    stats,
    withLock,
    migrate: () => migratePglite(db as never, { migrationsFolder }),
    query: async <T>(text: string, params: unknown[] = []) => {
      stats.statements += 1;
      return (await client.query<T>(text, params)).rows;
    },
    listen: async (channel, onPayload) => {
      const unlisten = await client.listen(channel, onPayload);
      return async () => {
        if (!client.closed) await unlisten();
      };
    },
    close: async () => {
      if (!client.closed) await client.close();
      releaseDirLock();
    },
  };
}

/**
 * PGlite is one process per data folder: a second process opening it would corrupt it. A lock file
 * with our pid guards the folder; a lock left by a process that no longer runs (kill -9) is taken over.
 */
export function lockDataDir(dir: string): () => void {
  const file = path.join(dir, 'mdr.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(fs.readFileSync(file, 'utf8'));
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new Error(`The embedded database in ${dir} is in use by process ${pid}; stop it first (PGlite is one process per folder)`);
      }
      fs.rmSync(file, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`Could not lock ${dir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const MIGRATION_LOCK = 7_245_001;
export const DEMO_SEED_LOCK = 7_245_002;
