import { type Kysely, sql } from 'kysely';

// Frozen once landed: never edit this file; add a new migration instead (see docs/practices/migrations.md).
// Contacts: what a reversible merge must remember besides the two rows (the field choices and the
// hand-added segment memberships it gave the survivor), and pg_trgm for the free-text search
// (trusted extension since PostgreSQL 13: the database owner may create it; PGlite loads it).

const statements = [
  `CREATE EXTENSION IF NOT EXISTS pg_trgm`,
  `ALTER TABLE contact_merges ADD COLUMN choices jsonb NOT NULL DEFAULT '{}'`,
  `ALTER TABLE contact_merges ADD COLUMN added_memberships jsonb NOT NULL DEFAULT '[]'`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
