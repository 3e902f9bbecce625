import { type Kysely, sql } from 'kysely';

// Frozen once landed: never edit this file; add a new migration instead (see docs/practices/migrations.md).
// The static and the decaying part of the engagement a history row recorded (`engagement` is their
// rounded sum), so that a later reader knows what the engagement had sunk to by decay alone at any
// time after the row: static + decaying × ½^(age / half-life). Journeys' score-crossed trigger needs it: an engagement
// that only decayed below the threshold counts as below. NULL for rows written before (read as they
// were written).

const statements = [
  `ALTER TABLE score_history ADD COLUMN engagement_static double precision`,
  `ALTER TABLE score_history ADD COLUMN engagement_decaying double precision`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
