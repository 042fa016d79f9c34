// A version-checked cache of the queue's fast-path pages (the JSON text listIncidentsJson sends).
//
// A page is keyed by its statement's very text and parameters: the tenant scope is among the
// parameters (filterSql), so two viewers share an entry only when Postgres would be asked the very
// same question, and a viewer of one tenant can never be given a page asked for another (the
// versions compared below name their tenants too: a second, independent guard). Each entry
// keeps the versions of its tenants (queue_versions: a random uuid per tenant, drawn anew at the
// commit of every transaction that changes the tenant's incidents, alerts, evidence or devices, by
// triggers: drizzle/0013_queue_version_triggers.sql, which also says what bypasses them) read in
// the same statement, so the same snapshot, as the page. Before an entry is served, one small
// prepared statement reads the versions again; the entry is served only if none has moved, that
// is if no transaction that changed any of those tenants' queue data has committed since the page
// was read: what the page statement would answer now is what the entry holds. Otherwise the page
// is read again (with its versions) and replaces the entry. Every process checks against the
// database, so a write through another process (or plain SQL) is seen at once: the cache is never
// stale, it only saves Postgres the page's work while a tenant's queue stands still (dashboards
// polling it).
//
// The page statement reads nothing that changes with time alone (no now()): its answer depends on
// its text, its parameters and those four tables' rows of the scoped tenants only.
import type { Database } from '../db/client';
import { arrayLiteral } from '../db/json-rows';

/** Settings and counters: `maxBytes` 0 turns the cache off (QUEUE_CACHE_MB, src/config.ts). */
export const queueCache = { maxBytes: 32 * 1024 * 1024, hits: 0, misses: 0, stale: 0 };

interface Entry {
  versions: string;
  page: string;
  bytes: number;
}

/** Entries in least-recently-used order (a Map keeps insertion order; a hit moves its entry last). */
class Pages {
  readonly entries = new Map<string, Entry>();
  bytes = 0;

  set(key: string, entry: Entry): void {
    this.delete(key);
    this.entries.set(key, entry);
    this.bytes += entry.bytes;
    for (const [k] of this.entries) {
      if (this.bytes <= queueCache.maxBytes) break;
      this.delete(k);
    }
  }

  delete(key: string): void {
    const old = this.entries.get(key);
    if (!old) return;
    this.entries.delete(key);
    this.bytes -= old.bytes;
  }
}

/** One cache per database: two databases in one process (tests, tools) never share entries. */
const caches = new WeakMap<Database, Pages>();

interface Read {
  /** `clock` when it was sent: its snapshot is later than that. */
  sent: number;
  row: Promise<{ v: string; n: number; page: string }>;
}
/** The page reads in flight, by key (the last one sent), for requests that arrive while one is on its way. */
const reading = new WeakMap<Database, Map<string, Read>>();
/** A logical clock: requests arriving and reads being sent, in order. */
let clock = 0;

/** What the cache holds for a database now: its entries and their bytes (as counted for the limit). */
export function queueCacheUsage(database: Database): { entries: number; bytes: number } {
  let bytes = 0;
  const entries = caches.get(database)?.entries ?? new Map<string, Entry>();
  for (const e of entries.values()) bytes += e.bytes;
  return { entries: entries.size, bytes };
}

/** The versions of the tenants in `$n` (a uuid[]), in tenant order, and how many have one. */
const versionsSql = (n: number) =>
  `select coalesce(string_agg(q.tenant_id::text || ':' || q.version::text, ',' order by q.tenant_id), '') as v, count(*)::int as n
    from queue_versions q where q.tenant_id = any($${n}::uuid[])`;
const VERSIONS = versionsSql(1);

/**
 * The page `text` with `params` answers (a one-column `page` statement), through the cache:
 * `tenants` are the tenants the statement is scoped to (every row it reads belongs to one of them).
 */
export async function cachedPage(database: Database, tenants: readonly string[], text: string, params: unknown[]): Promise<string> {
  const scope = [...new Set(tenants)].sort();
  if (queueCache.maxBytes <= 0 || scope.length === 0) {
    const [{ page }] = await database.query<{ page: string }>(text, params);
    return page;
  }
  // what committed before this request arrived must be in its answer: any read sent after now will do
  const arrived = ++clock;
  let pages = caches.get(database);
  if (!pages) caches.set(database, (pages = new Pages()));
  let inFlight = reading.get(database);
  if (!inFlight) reading.set(database, (inFlight = new Map()));
  const key = `${text}\u0000${JSON.stringify(params)}`;
  const tenantArray = arrayLiteral(scope);
  const entry = pages.entries.get(key);
  if (entry) {
    const [{ v }] = await database.query<{ v: string }>(VERSIONS, [tenantArray]);
    if (v === entry.versions) {
      queueCache.hits++;
      // most recently used: last to go (unless it was evicted or replaced during the check: then
      // it is no longer counted, and must not come back)
      if (pages.entries.get(key) === entry) {
        pages.entries.delete(key);
        pages.entries.set(key, entry);
      }
      return entry.page;
    }
    queueCache.stale++;
  } else queueCache.misses++;
  // a read of the same page sent after this request arrived answers it too (no herd of the
  // same read when a tenant's version moves under many concurrent requests)
  const joined = inFlight.get(key);
  if (joined && joined.sent > arrived) return (await joined.row).page;
  // the page and its tenants' versions from one statement, so one snapshot
  const read: Read = {
    sent: ++clock,
    row: database
      .query<{ v: string; n: number; page: string }>(`select q.v, q.n, p.page from (${versionsSql(params.length + 1)}) q, (${text}) p`, [
        ...params,
        tenantArray,
      ])
      .then((rows) => rows[0]),
  };
  inFlight.set(key, read);
  let row: Awaited<Read['row']>;
  try {
    row = await read.row;
  } finally {
    if (inFlight.get(key) === read) inFlight.delete(key);
  }
  // a tenant without a version row (queue_versions emptied by hand) is not cached
  if (Number(row.n) === scope.length) {
    const bytes = 2 * (key.length + row.page.length + row.v.length) + 200;
    if (bytes <= queueCache.maxBytes / 8) pages.set(key, { versions: row.v, page: row.page, bytes });
    else pages.delete(key);
  } else pages.delete(key);
  return row.page;
}
