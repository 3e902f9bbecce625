import { type Kysely, sql } from 'kysely';

// Frozen once landed: never edit this file; add a new migration instead (see docs/practices/migrations.md).
// The workspace's freshness period: a profile field or consent confirmation older than this many
// days counts as stale (the data-quality score flags it, re-permission asks again). 365 was the
// fixed value before; the bounds are those the API enforces (STALE_DAYS_OUT_OF_RANGE).

const statements = [
  `ALTER TABLE workspaces ADD COLUMN stale_after_days integer NOT NULL DEFAULT 365
    CONSTRAINT workspaces_stale_after_days_range CHECK (stale_after_days BETWEEN 30 AND 3650)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
