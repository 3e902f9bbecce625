import { type RawBuilder, sql } from 'kysely';

/*
 * Parts of one data-modifying statement (`WITH a AS (INSERT …), b AS (INSERT …) SELECT …`): a
 * hot path that must write several tables at once uses them to cost one round trip instead of
 * one per table. The statement is atomic on its own (no BEGIN/COMMIT needed).
 */

/**
 * `INSERT INTO table (columns of the rows) SELECT … WHERE condition`: the rows are sent as one
 * JSON parameter and typed by the table's own row type (`jsonb_populate_recordset`), so every
 * value arrives in its column's type. Values: plain JSON (Dates become ISO timestamps; jsonb
 * columns take objects/arrays, not JSON strings). Columns left out keep their defaults.
 */
export function insertRowsIf(
  table: string,
  rows: ReadonlyArray<Record<string, unknown>>,
  condition: RawBuilder<boolean>,
  returning?: string[],
): RawBuilder<unknown> {
  const columns = Object.keys(rows[0] ?? {});
  if (columns.length === 0) throw new Error('insertRowsIf: no columns');
  const cols = sql.join(columns.map((c) => sql.ref(c)));
  const rcols = sql.join(columns.map((c) => sql.ref(`r.${c}`)));
  return sql`INSERT INTO ${sql.table(table)} (${cols})
    SELECT ${rcols} FROM jsonb_populate_recordset(NULL::${sql.table(table)}, ${JSON.stringify(rows)}::jsonb) AS r
    WHERE ${condition}${returning ? sql` RETURNING ${sql.join(returning.map((c) => sql.ref(c)))}` : sql``}`;
}
