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
  return insertRows(table, rows, { where: condition, ...(returning ? { returning } : {}) });
}

/**
 * `INSERT INTO table (columns) SELECT … FROM jsonb_populate_recordset(…)` for a batch of rows (the
 * same JSON form as `insertRowsIf`), with an optional condition, ON CONFLICT clause and RETURNING columns.
 * For hundreds of rows this costs a fraction of a `VALUES` list: one parameter instead of one per
 * value (a journey's page of 1,000 enrollments had 13,000), which the query builder no longer walks
 * value by value and PostgreSQL no longer binds and plans one by one (measured in the journeys bench:
 * Kysely's row-values parser alone was 1 % of the workers' CPU). (`WHERE` is always written: an ON
 * CONFLICT straight after `FROM … AS r` would be ambiguous.)
 */
export function insertRows(
  table: string,
  rows: ReadonlyArray<Record<string, unknown>>,
  options: { where?: RawBuilder<boolean>; onConflict?: RawBuilder<unknown>; returning?: string[] } = {},
): RawBuilder<unknown> {
  const columns = Object.keys(rows[0] ?? {});
  if (columns.length === 0) throw new Error('insertRows: no columns');
  const cols = sql.join(columns.map((c) => sql.ref(c)));
  const rcols = sql.join(columns.map((c) => sql.ref(`r.${c}`)));
  const returning = options.returning;
  return sql`INSERT INTO ${sql.table(table)} (${cols})
    SELECT ${rcols} FROM jsonb_populate_recordset(NULL::${sql.table(table)}, ${JSON.stringify(rows)}::jsonb) AS r
    WHERE ${options.where ?? sql`true`} ${options.onConflict ?? sql``}${returning ? sql` RETURNING ${sql.join(returning.map((c) => sql.ref(c)))}` : sql``}`;
}
