// The one pagination helper: Relay arguments validated, opaque keyset cursors, page assembly.
// Cursors carry the sort key values and the id of the row they came from, so a page boundary
// stays put while rows are written elsewhere in the list (no row repeated, none skipped).
import { GraphQLError } from 'graphql';

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/**
 * One sort key of a cursor: a date (millisecond ISO string, 1970 to 9999), an int (a PostgreSQL
 * integer), a short string, or one of a list of enum values (the list itself).
 */
export type CursorPart = 'date' | 'string' | 'int' | readonly string[];
/** The row id a cursor ends with: a uuid, or a bigserial (positive safe integer). */
export type CursorId = 'uuid' | 'int';

export interface PageRequest {
  limit: number;
  /** true when paging with last/before: the query runs in reverse order and rows are flipped. */
  backward: boolean;
  cursor: unknown[] | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}
export interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor: string | null;
  endCursor: string | null;
}
export interface Page<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
  totalCount: () => Promise<number> | number;
}

export const badInput = (message: string, argument?: string) =>
  new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', ...(argument ? { argument, field: [argument] } : {}) } });

export function checkPageSize(name: string, value: number | null | undefined): void {
  if (value === null || value === undefined) return;
  if (!Number.isInteger(value) || value < 0 || value > MAX_PAGE_SIZE) {
    throw badInput(`"${name}" must be between 0 and ${MAX_PAGE_SIZE}, got ${value}`, name);
  }
}

export function encodeCursor(values: unknown[]): string {
  return Buffer.from(
    JSON.stringify(values.map((v) => (v instanceof Date ? v.toISOString() : v))),
    'utf8',
  ).toString('base64url');
}

const MIN_CURSOR_DATE = Date.UTC(1970, 0, 1);
const MAX_CURSOR_DATE = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const MAX_CURSOR_LENGTH = 1_000;

/**
 * A cursor of a list sorted by `shape` (then the row id), as the values to compare rows with.
 * Cursors are opaque but not signed: a tampered one is checked part by part against what this
 * list's cursors hold (a date this service could have written, an integer PostgreSQL takes, an
 * enum value, a uuid or row number), so it is bad input naming the argument, never a database error.
 */
export function decodeCursor(cursor: string, shape: readonly CursorPart[], argument: string, idKind: CursorId = 'uuid'): unknown[] {
  const fail = () => badInput(`"${argument}" is not a cursor of this list`, argument);
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]*={0,2}$/.test(cursor)) throw fail();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw fail();
  }
  // the last element is always the row id
  if (!Array.isArray(parsed) || parsed.length !== shape.length + 1) throw fail();
  const out = shape.map((kind, i) => {
    const v: unknown = parsed[i];
    if (kind === 'date') {
      // exactly what encodeCursor writes (toISOString), in the range a DateTime may take
      const d = typeof v === 'string' ? new Date(v) : null;
      const t = d?.getTime() ?? Number.NaN;
      if (!d || !(t >= MIN_CURSOR_DATE && t <= MAX_CURSOR_DATE) || d.toISOString() !== v) throw fail();
      return d;
    }
    if (kind === 'int') {
      if (!Number.isInteger(v) || (v as number) < INT_MIN || (v as number) > INT_MAX) throw fail();
      return v;
    }
    if (typeof v !== 'string' || v.length > 200 || v.includes('\u0000')) throw fail();
    if (kind !== 'string' && !kind.includes(v)) throw fail();
    return v;
  });
  const id = parsed[shape.length];
  const validId = idKind === 'uuid' ? typeof id === 'string' && UUID.test(id) : Number.isSafeInteger(id) && (id as number) > 0;
  if (!validId) throw fail();
  return [...out, id];
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Relay arguments checked, as a page to fetch; `idKind` is what the list's row ids are. */
export function pageRequest(args: PageArgs, shape: readonly CursorPart[], idKind: CursorId = 'uuid'): PageRequest {
  checkPageSize('first', args.first);
  checkPageSize('last', args.last);
  if (args.first != null && args.last != null) throw badInput('Pass either "first" or "last", not both', 'last');
  if (args.after != null && args.before != null) throw badInput('Pass either "after" or "before", not both', 'before');
  const backward = args.last != null || args.before != null;
  if (backward && args.first != null) throw badInput('"first" pages forward; use "last" with "before"', 'first');
  // (last with after would otherwise drop the cursor silently)
  if (backward && args.after != null) throw badInput('"last" pages backward; use it with "before"', 'last');
  const raw = backward ? args.before : args.after;
  return {
    limit: (backward ? args.last : args.first) ?? DEFAULT_PAGE_SIZE,
    backward,
    cursor: raw != null ? decodeCursor(raw, shape, backward ? 'before' : 'after', idKind) : null,
  };
}

/** An edge whose cursor is encoded only if the client asks for it (most ask only for nodes). */
class LazyEdge<T extends { id: string | number }> {
  #cursor: string | undefined;
  constructor(
    readonly node: T,
    private readonly sortValues: (row: T) => unknown[],
  ) {}
  get cursor(): string {
    return (this.#cursor ??= encodeCursor([...this.sortValues(this.node), this.node.id]));
  }
}

class LazyPageInfo {
  constructor(
    private readonly edges: Edge<unknown>[],
    readonly hasNextPage: boolean,
    readonly hasPreviousPage: boolean,
  ) {}
  get startCursor(): string | null {
    return this.edges[0]?.cursor ?? null;
  }
  get endCursor(): string | null {
    return this.edges[this.edges.length - 1]?.cursor ?? null;
  }
}

/** Assemble a page from up to limit+1 rows fetched in query order (reversed when backward). */
export function buildPage<T extends { id: string | number }>(
  rows: T[],
  req: PageRequest,
  sortValues: (row: T) => unknown[],
  totalCount: () => Promise<number> | number,
): Page<T> {
  const more = rows.length > req.limit;
  const slice = more ? rows.slice(0, req.limit) : rows;
  if (req.backward) slice.reverse();
  // classes, not object literals with getters: measured faster (bench/README.md)
  const edges = slice.map((node) => new LazyEdge(node, sortValues));
  return {
    edges,
    pageInfo: new LazyPageInfo(edges, req.backward ? req.cursor !== null : more, req.backward ? more : req.cursor !== null),
    totalCount,
  };
}

/** Paginate rows already in memory (small child lists such as an incident's alerts). */
export function pageInMemory<T extends { id: string }>(
  all: T[],
  args: PageArgs,
  sortValues: (row: T) => unknown[],
  shape: readonly CursorPart[],
): Page<T> {
  const req = pageRequest(args, shape);
  const ordered = req.backward ? [...all].reverse() : all;
  let start = 0;
  if (req.cursor) {
    const cursorId = req.cursor[req.cursor.length - 1];
    const idx = ordered.findIndex((r) => r.id === cursorId);
    // a cursor of a row that is gone: start after the rows that sort before it
    start = idx >= 0 ? idx + 1 : ordered.findIndex((r) => compareKeys([...sortValues(r), r.id], req.cursor!) * (req.backward ? -1 : 1) > 0);
    if (start < 0) start = ordered.length;
  }
  const rows = ordered.slice(start, start + req.limit + 1);
  return buildPage(rows, req, sortValues, () => all.length);
}

function compareKeys(a: unknown[], b: unknown[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] instanceof Date ? (a[i] as Date).getTime() : a[i];
    const y = b[i] instanceof Date ? (b[i] as Date).getTime() : b[i];
    if (x === y) continue;
    return (x as number) < (y as number) ? -1 : 1;
  }
  return 0;
}
