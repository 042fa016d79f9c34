// One code path over two backends: real PostgreSQL (postgres.js) when DATABASE_URL is set,
// embedded PGlite (real Postgres in WebAssembly) in a local folder otherwise.
//
// A lost connection (database restart, failover, pg_terminate_backend, a proxy dropping idle
// sockets) costs one retry where a retry is safe: a read statement outside a transaction is sent
// again once; a write transaction (`transaction`) runs again once when it failed before COMMIT
// was sent (nothing committed), and when the connection died during COMMIT, only after the
// database said that transaction did not commit (pg_xact_status). Writes outside a transaction
// are never retried: whether they took effect is unknown. An attempt that never reached the
// database (its statement was never sent, or the transaction failed at BEGIN) is not counted:
// postgres.js 3.4.9 rejects the first query on a connection that reconnects after dying under a
// query with that old error, before sending it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import { sql as sqlTag } from 'drizzle-orm';
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
  /**
   * The pool, for the metrics: its configured size (1 for PGlite) and, on PostgreSQL, the
   * statements outside transactions and the transactions in flight (each holds or awaits a connection).
   */
  pool?: { size: number; inFlight?: { statements: number; transactions: number } };
  /** Apply pending migrations, serialised across processes sharing one database. */
  migrate(): Promise<void>;
  /** Run `fn` while holding a cluster-wide lock (advisory lock on Postgres). */
  withLock<T>(key: number, fn: () => Promise<T>): Promise<T>;
  /** Raw rows from a SQL string with $n parameters (prepared unless `prepare` is off): hot reads, health checks. */
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /**
   * LISTEN on a channel (one dedicated connection per process on Postgres); resolves to unlisten.
   * `onListen` runs every time the LISTEN is in place: at first, and after each reconnect
   * (notices sent while the connection was down are lost; the caller catches up).
   */
  listen(channel: string, onPayload: (payload: string) => void, onListen?: () => void): Promise<() => Promise<void>>;
  /**
   * A write transaction, retried once if the connection was lost before it committed (see the
   * top of this file). `fn` may run twice: it must do nothing but database work in `tx`.
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /** On PostgreSQL, statements still running get `timeoutMs` (default 5 s) before their connections are dropped. */
  close(opts?: { timeoutMs?: number }): Promise<void>;
}

export interface OpenOptions {
  databaseUrl?: string;
  dataDir?: string;
  poolSize?: number;
  /** Server-side prepared statements (default on); turn off behind PgBouncer in transaction mode. */
  prepare?: boolean;
  /**
   * Embedded: a new database (`memory://`, or a data directory that holds none yet) starts from this
   * PGlite data directory dump (`dumpDataDir`, e.g. an already migrated database: src/db/snapshot.ts)
   * instead of PGlite's initdb, which is several times slower. An existing database ignores it;
   * a function is called only when a new database needs it.
   */
  snapshot?: Blob | (() => Blob | undefined);
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  const stats = { statements: 0 };
  const logger = {
    logQuery: () => {
      stats.statements += 1;
    },
  };

  if (opts.databaseUrl) {
    const closes = { last: 0 };
    const sql = postgres(opts.databaseUrl, {
      max: opts.poolSize ?? 10,
      // off (DATABASE_PREPARE=0, behind PgBouncer in transaction mode) wins over every statement's
      // own wish, named ones included (the queue's loaders, ingestion) and those in transactions
      prepare: opts.prepare !== false,
      onnotice: () => {},
      onclose: () => {
        closes.last = performance.now();
      },
    });
    const settle = () => afterLostConnection(closes);
    // drizzle's postgres-js session sends every statement unprepared (a parse and plan each time);
    // the queue's statements repeat constantly, so let postgres.js prepare them per connection.
    // Every statement drizzle sends outside a transaction goes through `unsafe`: reads are
    // retried there once when the connection was lost.
    const prepare = opts.prepare !== false;
    const inFlight = { statements: 0, transactions: 0 };
    const unsafe = (text: string, params?: unknown[], o?: Record<string, unknown>) => {
      const run = () => sql.unsafe(text, params as never[], prepare ? { ...o, prepare: true } : (o ?? { prepare: false }));
      return new CountedQuery(isReadStatement(text) ? new RetryOnceQuery(run, settle) : run(), inFlight);
    };
    // transactions hold a connection from BEGIN to COMMIT: counted for the pool gauge
    const begin = (...args: unknown[]) => {
      inFlight.transactions += 1;
      const done = () => {
        inFlight.transactions -= 1;
      };
      const pending = (sql.begin as (...a: unknown[]) => Promise<unknown>)(...args);
      pending.then(done, done);
      return pending;
    };
    const client = new Proxy(sql, {
      get(target, prop, receiver) {
        if (prop === 'unsafe') return unsafe;
        if (prop === 'begin') return begin;
        return Reflect.get(target, prop, receiver);
      },
    }) as typeof sql;
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
      pool: { size: opts.poolSize ?? 10, inFlight },
      withLock,
      migrate: () => withLock(MIGRATION_LOCK, () => migratePostgres(db as never, { migrationsFolder })),
      query: async <T>(text: string, params: unknown[] = []) => {
        stats.statements += 1;
        return (await client.unsafe(text, params as never[])) as unknown as T[];
      },
      listen: async (channel, onPayload, onListen) => {
        // postgres.js re-LISTENs on a new connection when this one drops, and calls onListen again
        const sub = await sql.listen(channel, (payload) => onPayload(payload), onListen);
        return () => sub.unlisten();
      },
      transaction: (fn) => retryingTransaction(db, fn, settle),
      close: (o) => sql.end({ timeout: (o?.timeoutMs ?? 5_000) / 1_000 }),
    };
  }

  // 'memory://' keeps the whole database in memory (tests); otherwise <dataDir>/pgdata on disk.
  let client: PGlite;
  let releaseDirLock = () => {};
  if (opts.dataDir === 'memory://') {
    const snapshot = typeof opts.snapshot === 'function' ? opts.snapshot() : opts.snapshot;
    client = await PGlite.create(snapshot ? { loadDataDir: snapshot } : {});
  } else {
    const pgDir = path.join(opts.dataDir ?? path.resolve('.data'), 'pgdata');
    fs.mkdirSync(pgDir, { recursive: true });
    releaseDirLock = lockDataDir(path.dirname(pgDir));
    try {
      client = await openPgliteDir(pgDir, opts.snapshot);
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
    pool: { size: 1 },
    withLock,
    migrate: () => migratePglite(db as never, { migrationsFolder }),
    query: async <T>(text: string, params: unknown[] = []) => {
      stats.statements += 1;
      return (await client.query<T>(text, params)).rows;
    },
    listen: async (channel, onPayload, onListen) => {
      const unlisten = await client.listen(channel, onPayload);
      onListen?.(); // one process, one connection: it never drops
      return async () => {
        if (!client.closed) await unlisten();
      };
    },
    transaction: (fn) => db.transaction(fn),
    close: async () => {
      if (!client.closed) await client.close();
      releaseDirLock();
    },
  };
}

/** SQLSTATEs and postgres.js codes of a connection that went away under a statement. */
const LOST_CONNECTION_CODES = new Set([
  'CONNECTION_CLOSED', // postgres.js: the socket closed with the statement pending
  'ECONNRESET',
  'EPIPE',
  '57P01', // admin_shutdown: pg_terminate_backend, a fast shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now: starting up or shutting down
]);

/** Whether `err` (or what it wraps: drizzle wraps driver errors) says the connection was lost. */
export function isConnectionLost(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (LOST_CONNECTION_CODES.has(code) || code.startsWith('08'))) return true;
  }
  return false;
}

/**
 * A statement that only reads: sent again once on a lost connection. Conservative: anything that
 * writes, locks or has side effects in a function (advisory locks, NOTIFY, sequences) is not one.
 */
export function isReadStatement(text: string): boolean {
  let read = readStatements.get(text);
  if (read === undefined) {
    if (readStatements.size >= 2_000) readStatements.clear();
    readStatements.set(text, (read = classify(text)));
  }
  return read;
}

/** The statements repeat (drizzle builds the same text each time): classify each once. */
const readStatements = new Map<string, boolean>();

function classify(text: string): boolean {
  return (
    /^\s*\(?\s*(select|with|values|show|table)\b/i.test(text) &&
    !/\b(insert|update|delete|merge|truncate|into|for\s+(no\s+key\s+)?update|for\s+(key\s+)?share|nextval|setval|pg_advisory\w*|pg_notify|pg_terminate_backend|pg_cancel_backend)\b/i.test(
      text,
    )
  );
}

/**
 * Before the one retry: the other connections that went down in the same event (a failover or a
 * restart takes them all) close one after another, and the pool would hand a dead one to the
 * retry until it has seen its close. So wait until connections have stopped closing for a moment
 * (at most a second).
 */
async function afterLostConnection(closes: { last: number }): Promise<void> {
  const start = performance.now();
  do {
    await new Promise((resolve) => setTimeout(resolve, 25));
  } while (performance.now() - closes.last < 75 && performance.now() - start < 1_000);
}

type PendingQuery = ReturnType<ReturnType<typeof postgres>['unsafe']>;

/**
 * What drizzle gets from `unsafe` for a read: awaited directly or through `.values()`, like a
 * postgres.js query; the statement is sent again (once) if the connection was lost under it.
 */
class RetryOnceQuery implements PromiseLike<unknown> {
  private asValues = false;
  constructor(
    private readonly make: () => PendingQuery,
    private readonly settle: () => Promise<void>,
  ) {}

  values(): this {
    this.asValues = true;
    return this;
  }

  then<A = unknown, B = never>(onOk?: ((v: unknown) => A | PromiseLike<A>) | null, onErr?: ((e: unknown) => B | PromiseLike<B>) | null) {
    return this.run().then(onOk, onErr);
  }

  private async run(): Promise<unknown> {
    let retried = false;
    for (let attempt = 1; ; attempt++) {
      const q = this.make();
      try {
        return await (this.asValues ? q.values() : q);
      } catch (err) {
        if (!isConnectionLost(err) || attempt >= MAX_ATTEMPTS) throw err;
        // postgres.js sets `state` when it writes the query to a connection
        if ((q as unknown as { state: unknown }).state != null) {
          if (retried) throw err;
          retried = true;
        }
        await this.settle();
      }
    }
  }
}

/**
 * What drizzle gets from `unsafe`: the statement (or its retrying wrapper), counted in flight from
 * the moment it is awaited (sent, or waiting for a connection) until it settles. Like
 * RetryOnceQuery, it offers what drizzle uses: `.values()` and awaiting.
 */
class CountedQuery implements PromiseLike<unknown> {
  constructor(
    private query: PendingQuery | RetryOnceQuery,
    private readonly inFlight: { statements: number },
  ) {}

  values(): this {
    this.query = this.query.values() as PendingQuery | RetryOnceQuery;
    return this;
  }

  then<A = unknown, B = never>(onOk?: ((v: unknown) => A | PromiseLike<A>) | null, onErr?: ((e: unknown) => B | PromiseLike<B>) | null) {
    this.inFlight.statements += 1;
    const done = () => {
      this.inFlight.statements -= 1;
    };
    return Promise.resolve(this.query as PromiseLike<unknown>)
      .finally(done)
      .then(onOk, onErr);
  }
}

/** Attempts of one statement or transaction, counting those that never reached the database. */
const MAX_ATTEMPTS = 5;

/**
 * A write transaction on PostgreSQL, run again once when the connection was lost: at once if it
 * failed before COMMIT was sent; if it failed during COMMIT, only once pg_xact_status says the
 * first attempt did not commit (and its result is returned as is when it did).
 */
async function retryingTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>, settle: () => Promise<void>): Promise<T> {
  let retried = false;
  for (let attempt = 1; ; attempt++) {
    // per attempt: a first attempt whose connection died may still be settling in the background
    const state: TransactionState<T> = { xid: null, started: false, reachedCommit: false, settled: false };
    const run = db.transaction(async (tx) => {
      state.started = true;
      try {
        // the transaction id, asked for alongside the first statement (pipelined, no extra
        // wait): what to look up if the connection is lost during COMMIT
        state.xid = tx
          .execute(sqlTag`select pg_current_xact_id()::text as xid`)
          .then((r) => (r as unknown as { xid: string }[])[0].xid);
        state.xid.catch(() => {});
        const value = await fn(tx);
        await state.xid;
        state.value = value;
        state.reachedCommit = true;
        return value;
      } catch (err) {
        if (isConnectionLost(err)) await unlessClosed(state);
        throw err;
      }
    });
    const settled = () => {
      state.settled = true;
    };
    run.then(settled, settled);
    try {
      return await run;
    } catch (err) {
      if (!isConnectionLost(err) || attempt >= MAX_ATTEMPTS) throw err;
      if (state.reachedCommit) {
        const outcome = await commitOutcome(db, await state.xid!);
        if (outcome === 'committed') return state.value as T;
        if (outcome !== 'aborted') throw err; // still unknown: never run a write twice blindly
      }
      // nothing was committed: run it again, on a fresh connection (once, unless it failed at
      // BEGIN, before any of its statements was sent)
      if (state.started) {
        if (retried) throw err;
        retried = true;
      }
      await settle();
    }
  }
}

interface TransactionState<T> {
  xid: Promise<string> | null;
  /** BEGIN went through and the callback runs: from here on, an attempt counts. */
  started: boolean;
  reachedCommit: boolean;
  value?: T;
  /** The transaction promise has settled (postgres.js rejects it as soon as its connection closes). */
  settled: boolean;
}

/**
 * After a lost connection inside a transaction, postgres.js (3.4.9) sends ROLLBACK on that
 * connection as soon as the callback throws; if the socket is already gone, its delayed write
 * throws from a setImmediate and takes the whole process down (porsager/postgres#1154, #1208).
 * The connection's close rejects the transaction anyway: so the callback waits, and throws (which
 * lets the ROLLBACK go) only if the connection is still open after a while, i.e. it was not lost.
 * Once the transaction has been rejected by the close, this never resolves, and the callback is
 * left to the garbage collector.
 */
function unlessClosed(state: TransactionState<unknown>): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(() => {
      if (!state.settled) resolve();
    }, 5_000).unref();
  });
}

/** Whether the transaction `xid` committed; a dying backend's transaction is briefly in progress. */
async function commitOutcome(db: Db, xid: string): Promise<'committed' | 'aborted' | 'unknown'> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    try {
      const rows = (await db.execute(sqlTag`select pg_xact_status(${xid}::xid8) as status`)) as unknown as { status: string | null }[];
      const status = rows[0]?.status;
      if (status === 'committed' || status === 'aborted') return status;
    } catch (err) {
      if (!isConnectionLost(err)) return 'unknown';
    }
    if (Date.now() > deadline) return 'unknown';
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * PGlite is one process per data folder: a second process opening it would corrupt it. A lock file
 * with our pid guards the folder; a lock left by a process that no longer runs (kill -9) is taken over.
 */
/**
 * Opens (or creates) the embedded database in `pgDir`. A new one is loaded from `snapshot` when
 * given. A marker file beside the folder says a load is under way: a process that died during
 * it left a folder that looks like a database but is not whole, so the next start removes it (a
 * new database holds nothing yet) and loads again.
 */
async function openPgliteDir(pgDir: string, snapshotOption: OpenOptions['snapshot']): Promise<PGlite> {
  const marker = `${pgDir}.loading`;
  if (fs.existsSync(marker)) {
    fs.rmSync(pgDir, { recursive: true, force: true });
    fs.mkdirSync(pgDir, { recursive: true });
  }
  const snapshot = fs.existsSync(path.join(pgDir, 'PG_VERSION'))
    ? undefined
    : typeof snapshotOption === 'function'
      ? snapshotOption()
      : snapshotOption;
  if (!snapshot) {
    fs.rmSync(marker, { force: true });
    return PGlite.create(pgDir);
  }
  fs.writeFileSync(marker, '');
  const client = await PGlite.create({ dataDir: pgDir, loadDataDir: snapshot });
  fs.rmSync(marker, { force: true });
  return client;
}

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

/** The rows of `execute(sql)`: postgres.js returns an array of rows, PGlite a { rows } object. */
export function rowsOf<T>(result: unknown): T[] {
  return (Array.isArray(result) ? result : (result as { rows: T[] }).rows) as T[];
}
