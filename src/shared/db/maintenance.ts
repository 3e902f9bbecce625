import { sql } from 'kysely';
import type { Db } from './index.js';

/*
 * What PostgreSQL's autovacuum does, for a database that has none: the embedded one (PGlite runs
 * PostgreSQL in one process, without background workers, so nothing ever vacuums or analyzes it).
 *
 * Every UPDATE and DELETE leaves a dead row version behind, with an index entry for each index the
 * update touched. Until a VACUUM makes the space reusable the table and its indexes only grow, and
 * every scan walks over the dead versions too: a mail is written three times (queued, sending, its
 * outcome), so a newsletter to 10,000 contacts leaves 20,000 dead versions in `messages`; a
 * recompute rewrites every score. Without ANALYZE the planner keeps the row estimates of the day
 * the table was small. (The job queue vacuums its own table as it goes: JobWorker.vacuumJobs.)
 *
 * The thresholds are autovacuum's defaults, per table: dead versions above 50 + 20 % of the live
 * rows → VACUUM (ANALYZE); rows changed since the last analyze above 50 + 10 % → ANALYZE. One
 * statement per table, so on the embedded database's one connection other queries get their turn
 * between tables; SKIP_LOCKED passes over a table someone holds a lock on (next run).
 */

/** What `maintainTables` did to which table. */
export interface TableMaintenance {
  table: string;
  action: 'vacuum' | 'analyze';
}

/** The tables past autovacuum's default thresholds (dead rows, or changes since the last analyze). */
export async function tablesDueForMaintenance(db: Db): Promise<TableMaintenance[]> {
  const r = await sql<{ table: string; vacuum: boolean }>`
    SELECT relname AS table, n_dead_tup > 50 + 0.2 * n_live_tup AS vacuum
      FROM pg_stat_user_tables
     WHERE schemaname = current_schema()
       AND (n_dead_tup > 50 + 0.2 * n_live_tup OR n_mod_since_analyze > 50 + 0.1 * n_live_tup)
     ORDER BY relname`.execute(db);
  return r.rows.map((row) => ({ table: row.table, action: row.vacuum ? 'vacuum' : 'analyze' }));
}

/** Vacuums or analyzes every table that is due (see above); returns what it did, in order. */
export async function maintainTables(db: Db): Promise<TableMaintenance[]> {
  const due = await tablesDueForMaintenance(db);
  for (const { table, action } of due) {
    const name = sql.id(table);
    if (action === 'vacuum') await sql`VACUUM (ANALYZE, SKIP_LOCKED) ${name}`.execute(db);
    else await sql`ANALYZE (SKIP_LOCKED) ${name}`.execute(db);
  }
  return due;
}
