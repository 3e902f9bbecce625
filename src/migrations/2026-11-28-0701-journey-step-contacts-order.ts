import { type Kysely, sql } from 'kysely';

// Frozen once landed: never edit this file; add a new migration instead (see docs/practices/migrations.md).
// "Who is at which step" (GET /api/v1/journeys/:id/enrollments?stepId=) lists a step's open
// enrollments newest first. The partial index of open enrollments per step gets their entry time as
// its last column, so that list reads its first 200 in order instead of sorting every contact
// waiting at the step; the per-step counts use it as before. Same number of index writes: finished
// enrollments never enter it.

const statements = [
  `DROP INDEX journey_enrollments_step_idx`,
  `CREATE INDEX journey_enrollments_step_idx ON journey_enrollments (journey_id, step_id, entered_at DESC)
    WHERE status IN ('active', 'waiting')`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
