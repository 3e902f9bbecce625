import { type Kysely, sql } from 'kysely';

// Frozen once landed: never edit this file; add a new migration instead (see docs/practices/migrations.md).
// The claim and the enqueue's "did the lane have due work?" check look for queued jobs with
// run_at <= now. jobs_ready_idx leads with priority, so with many jobs scheduled for later (waits of
// journeys, SLA timers, retries) a poll that finds nothing due walked every scheduled row. This
// index answers "has the lane a due job?" by a range scan on run_at. Its predicate carries
// run_at > '-infinity' so that the claim itself never uses it (see dueJobExists in queue.ts).

const statements = [
  `CREATE INDEX jobs_due_idx ON jobs (lane, run_at) WHERE state = 'queued' AND run_at > '-infinity'`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
