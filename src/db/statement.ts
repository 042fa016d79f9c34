// Statements of fixed text, for the hot paths (ingestion, every write's own statements).
//
// A statement whose text never changes, whatever the size of its input (rows travel as array
// parameters, read with unnest), is built once (no query building per call) and sent prepared:
// postgres.js keeps it per connection by its text, so after the first time it is neither parsed
// nor planned again and goes out in one round trip (an unprepared statement with parameters takes
// two: describe, then execute). With DATABASE_PREPARE=0 (PgBouncer in transaction mode) none is
// prepared (src/db/client.ts).
import { sql, type Column, type Query, type SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import { rowsOf, type DbOrTx } from './client';

const dialect = new PgDialect();

/** A named parameter of a Statement: `${param('tenant')}::uuid`. */
export const param = (name: string) => sql.placeholder(name);

export class Statement<R> {
  private query: Query | null = null;
  constructor(
    private readonly name: string,
    private readonly build: () => SQL,
  ) {}

  async run(db: DbOrTx, values: Record<string, unknown>): Promise<R[]> {
    const query = (this.query ??= dialect.sqlToQuery(this.build()));
    return rowsOf<R>(await db._.session.prepareQuery(query, undefined, this.name, false).execute(values));
  }
}

/** A row as the driver gives it (column names), as drizzle maps it for the table (property names, Dates). */
export function rowOf<T>(columns: Record<string, Column>, raw: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const key in columns) {
    const value = raw[columns[key].name];
    out[key] = value === null || value === undefined ? null : columns[key].mapFromDriverValue(value);
  }
  return out as T;
}

/**
 * The table's columns by name, `alias."id", alias."tenant_id", …`: a statement's result keeps its
 * shape when a later migration adds a column (a prepared statement whose result changed shape fails once).
 */
export function columnList(columns: Record<string, Column>, alias: string): SQL {
  return sql.raw(Object.values(columns).map((c) => `${alias}."${c.name}"`).join(', '));
}
