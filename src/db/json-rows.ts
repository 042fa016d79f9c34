// Rows as JSON built by Postgres, for the hot read paths (the queue page with its nested lists in
// one statement). Postgres writes each row as a positional JSON array (no key names: less text to
// build, send and parse); Node does one native JSON.parse and turns each array into exactly the
// object drizzle's `$inferSelect` describes for the table, derived from the drizzle schema, so a
// row read this way can stand in for one read through drizzle (and be primed into the same
// DataLoaders):
//   - keys are the drizzle property names, in column order;
//   - timestamps come as ISO strings and become Date objects;
//   - uuids, text, enums, integers, booleans and text[] map to JSON as drizzle maps them.
import { getTableColumns, type Table } from 'drizzle-orm';

export interface JsonShape<Row> {
  /** `json_build_array(alias."id", ...)`: one row of the table under `alias`. */
  array(alias: string): string;
  /** The row object for one such array. */
  fromArray(values: unknown[]): Row;
}

export function jsonShape<T extends Table>(table: T): JsonShape<T['$inferSelect']> {
  const columns = Object.entries(getTableColumns(table));
  for (const [, column] of columns) {
    const ok =
      ['string', 'boolean', 'array', 'date'].includes(column.dataType) ||
      (column.dataType === 'number' && column.columnType !== 'PgNumeric');
    // bigint, numeric, json, buffers: their JSON form differs from drizzle's value; not needed yet
    if (!ok) throw new Error(`jsonShape: column ${column.name} (${column.columnType}) has no JSON mapping`);
  }
  if (columns.length > 100) throw new Error('jsonShape: json_build_array takes at most 100 arguments');
  // One object literal per table (a single hidden class, no per-key loop): built from the schema's
  // own property names, never from input.
  const body = columns
    .map(([key, column], i) => {
      const value = column.dataType === 'date' ? `v[${i}] === null ? null : new Date(v[${i}])` : `v[${i}]`;
      return `${JSON.stringify(key)}: ${value}`;
    })
    .join(',\n');
  const fromArray = new Function('v', `return {\n${body}\n};`) as (values: unknown[]) => T['$inferSelect'];
  return {
    array: (alias) => `json_build_array(${columns.map(([, column]) => `${alias}."${column.name}"`).join(', ')})`,
    fromArray,
  };
}

/** Positional parameters for hand-written SQL: each value is added once, with its cast. */
export class Params {
  readonly values: unknown[] = [];
  add(value: unknown, cast: string): string {
    this.values.push(value);
    return `$${this.values.length}::${cast}`;
  }
}

/** A Postgres array literal ('{"a","b"}') for a text-like array parameter (cast it: ::text[], ::enum[]). */
export function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`).join(',')}}`;
}
