import { type Kysely, sql } from 'kysely';

// Frozen once landed: never edit this file; add a new migration instead (see docs/practices/migrations.md).
// The merged tombstones of a workspace, a small partial index (tombstones are few; live contacts
// are not in it, so it costs nothing on their writes). Segment counts answered from the
// activities alone subtract the tombstones with an anti-join over it (contacts-query.ts,
// countMatching) instead of probing every live contact; it also serves "what was merged into X"
// (merge undo) without scanning the contacts.

const statements = [
  `CREATE INDEX contacts_tombstones_idx ON contacts (workspace_id, merged_into_contact_id, id)
    WHERE merged_into_contact_id IS NOT NULL`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
