import { type Kysely, sql } from 'kysely';

// Frozen once landed: never edit this file; add a new migration instead (see docs/practices/migrations.md).
// The claim and the enqueue's "did the lane have due work?" check look for queued jobs with
// run_at <= now. jobs_ready_idx leads with priority, so with many jobs scheduled for later (waits of
// journeys, SLA timers, retries) a poll that finds nothing due walked every scheduled row. This
// index answers "due jobs of a lane" by a range scan on run_at.

const statements = [
  `CREATE INDEX jobs_due_idx ON jobs (lane, run_at) WHERE state = 'queued'`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
