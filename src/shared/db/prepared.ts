import { createHash } from 'node:crypto';
import { type RawBuilder, sql } from 'kysely';

/*
 * Named prepared statements for the few hottest statements.
 *
 * node-postgres (which Kysely's PostgresDialect uses) sends every query as an unnamed statement, so
 * PostgreSQL parses, analyses and plans it on every call. For a small query that is noise; for the
 * one-statement sign-up (a CTE of some twenty parts) planning cost more CPU than executing it —
 * measured with `npm run bench -- capture`: 1.7 ms of database CPU per sign-up unprepared, 0.6 ms
 * prepared. A statement wrapped in `prepared(…)` carries a marker comment; the PostgreSQL pool
 * (see `openPostgres`) sends such a text as a named statement, named after a hash of the text, so
 * each connection parses it once and PostgreSQL may reuse its plan. The embedded database does the
 * same through our PGlite dialect (`runPrepared` in pglite-dialect.ts).
 *
 * Only for statements that
 * - name their result columns (no `SELECT *`, no `RETURNING *`): a prepared statement whose result
 *   row type changes under it (a migration adding a column) fails with "cached plan must not change
 *   result type";
 * - have a bounded number of distinct texts (no IN lists of varying length): every text becomes a
 *   statement kept by every connection;
 * - have plans that do not depend on the values (writes by key): after five calls PostgreSQL may
 *   switch to one generic plan for all values.
 * With DATABASE_PREPARED_STATEMENTS=false (PostgreSQL behind an old PgBouncer) the marker is an
 * ordinary comment.
 */

const MARKER = '/* lw:prepared */ ';

/** Marks a statement to run as a named prepared statement (see above for when). */
export function prepared<T>(statement: RawBuilder<T>): RawBuilder<T> {
  return sql<T>`${sql.raw(MARKER)}${statement}`;
}

// Names of the marked texts seen so far. A Map lookup of the text is cheaper than hashing it again;
// the bound only guards against a caller that marks a statement with unbounded texts.
const names = new Map<string, string>();
const MAX_NAMES = 1000;

/** The statement name for a marked text, undefined for any other text. */
export function preparedName(text: string): string | undefined {
  if (!text.startsWith(MARKER)) return undefined;
  let name = names.get(text);
  if (name === undefined) {
    name = `lw_${createHash('sha256').update(text).digest('base64url').slice(0, 32)}`;
    if (names.size >= MAX_NAMES) names.clear();
    names.set(text, name);
  }
  return name;
}

interface QueryableClient {
  query: (...args: unknown[]) => unknown;
}

/**
 * At most this many statements are prepared per connection; further marked texts run unnamed.
 * node-postgres never deallocates a statement, so this bounds what a connection keeps should a
 * marked statement turn out to have unbounded texts after all.
 */
export const MAX_PREPARED_PER_CONNECTION = 50;

/**
 * Makes a node-postgres client send marked texts as named statements. node-postgres remembers per
 * connection which names it has parsed, so a reconnected client parses again by itself.
 */
export function sendMarkedAsPrepared(client: QueryableClient): void {
  const query = client.query.bind(client);
  const kept = new Set<string>();
  client.query = (text: unknown, values?: unknown, callback?: unknown) => {
    const name = typeof text === 'string' && Array.isArray(values) ? preparedName(text) : undefined;
    if (name && (kept.has(name) || kept.size < MAX_PREPARED_PER_CONNECTION)) {
      kept.add(name);
      return query({ name, text, values }, callback);
    }
    return query(text, values, callback);
  };
}
