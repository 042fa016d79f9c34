// Rows as JSON built by Postgres, for the hot read paths (the queue page with its nested lists in
// one statement). Postgres writes each row as a positional JSON array (no key names: less text to
// build, send and parse); Node does one native JSON.parse and turns each array into exactly the
// object drizzle's `$inferSelect` describes for the table, derived from the drizzle schema, so a
// row read this way can stand in for one read through drizzle (and be primed into the same
// DataLoaders):
//   - keys are the drizzle property names, in column order;
//   - timestamps travel as epoch milliseconds (exact: every timestamp column has millisecond
//     precision, which jsonShape checks) and become Date objects;
//   - uuids, text, enums, integers, booleans and text[] map to JSON as drizzle maps them;
//   - columns a nested row shares with its parent (an alert's tenant and incident) are not sent
//     at all: the caller passes the parent's values.
//
// A shape can also be narrowed to some columns (`pick`): the rows it gives are then partial, for a
// caller that knows which columns its readers use (see src/graphql/row-columns.ts) and keeps them
// away from anything that expects whole rows (the DataLoaders).
import { getTableColumns, type Table } from 'drizzle-orm';

export interface JsonShape<Row, Inherited extends keyof Row> {
  /** `json_build_array(...)`: one row of the table under `alias`, inherited columns left out. */
  array(alias: string): string;
  /** The row object for one such array; `inherited` supplies the columns left out. */
  fromArray(values: unknown[], inherited: Pick<Row, Inherited>): Row;
  /**
   * The same shape for only these columns (inherited ones always come along): the objects it
   * gives have just those keys. Memoised per column list.
   */
  pick(keys: readonly (keyof Row & string)[]): JsonShape<Row, Inherited>;
  /** The columns this shape reads, in column order. */
  readonly keys: readonly (keyof Row & string)[];
}

/** Narrowed shapes kept per table; queries asking for other column sets read whole rows. */
export const MAX_PICKS = 64;

export function jsonShape<T extends Table, Inherited extends keyof T['$inferSelect'] & string = never>(
  table: T,
  inherited: readonly Inherited[] = [],
): JsonShape<T['$inferSelect'], Inherited> {
  type Row = T['$inferSelect'];
  const all = Object.entries(getTableColumns(table));
  for (const [key, column] of all) {
    const ok =
      ['string', 'boolean', 'array'].includes(column.dataType) ||
      (column.dataType === 'number' && column.columnType !== 'PgNumeric') ||
      (column.dataType === 'date' && column.columnType === 'PgTimestamp' && (column as unknown as { precision?: number }).precision === 3);
    // bigint, numeric, json, buffers, finer timestamps: their JSON form is not drizzle's value
    if (!ok) throw new Error(`jsonShape: column ${column.name} (${column.columnType}) has no exact JSON mapping`);
    if (inherited.includes(key as Inherited) && column.dataType === 'date') throw new Error('jsonShape: only plain columns are inherited');
  }
  for (const key of inherited) {
    if (!all.some(([k]) => k === key)) throw new Error(`jsonShape: no column ${key}`);
  }
  const picks = new Map<string, JsonShape<Row, Inherited>>();

  function build(columns: typeof all): JsonShape<Row, Inherited> {
    const sent = columns.filter(([key]) => !inherited.includes(key as Inherited));
    if (sent.length > 100) throw new Error('jsonShape: json_build_array takes at most 100 arguments');
    // One object literal per shape (a single hidden class, no per-key loop), built from the
    // schema's own property names, never from input.
    let index = 0;
    const body = columns
      .map(([key, column]) => {
        const k = JSON.stringify(key);
        if (inherited.includes(key as Inherited)) return `${k}: p[${k}]`;
        const i = index++;
        return `${k}: ${column.dataType === 'date' ? `v[${i}] === null ? null : new Date(v[${i}])` : `v[${i}]`}`;
      })
      .join(',\n');
    const fromArray = new Function('v', 'p', `return {\n${body}\n};`) as JsonShape<Row, Inherited>['fromArray'];
    const value = (alias: string, name: string, isDate: boolean) =>
      // float8 epoch seconds are exact to well under a millisecond for any date in range, and the
      // columns hold whole milliseconds: rounding gives them back exactly (cheaper than numeric)
      isDate ? `round(date_part('epoch', ${alias}."${name}") * 1000)` : `${alias}."${name}"`;
    const sql = (alias: string) =>
      `json_build_array(${sent.map(([, column]) => value(alias, column.name, column.dataType === 'date')).join(', ')})`;
    const shape: JsonShape<Row, Inherited> = {
      array: sql,
      fromArray,
      keys: columns.map(([key]) => key as keyof Row & string),
      pick(keys) {
        const wanted = new Set<string>([...keys, ...inherited]);
        for (const key of wanted) if (!all.some(([k]) => k === key)) throw new Error(`jsonShape: no column ${key}`);
        const subset = all.filter(([key]) => wanted.has(key));
        if (subset.length === all.length) return full;
        const id = subset.map(([key]) => key).join(',');
        let picked = picks.get(id);
        if (!picked) {
          // every narrowed shape is another statement text (prepared per connection): a bounded
          // number of them, then whole rows for any further combination
          if (picks.size >= MAX_PICKS) return full;
          picks.set(id, (picked = build(subset)));
        }
        return picked;
      },
    };
    return shape;
  }
  const full = build(all);
  return full;
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
