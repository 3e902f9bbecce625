import { type Kysely, sql } from 'kysely';

// Frozen once landed: never edit this file; add a new migration instead (see docs/practices/migrations.md).
// The one-time download links of contact_export_tokens serve more than the contact export: `kind`
// says what the token downloads (`contacts`: the selection and columns of the row; `import_report`:
// the per-row error report of the import `target_id`), and a token is redeemed only by its kind's
// route. Existing rows are contact exports.

const statements = [
  `ALTER TABLE contact_export_tokens
    ADD COLUMN kind text NOT NULL DEFAULT 'contacts' CHECK (kind IN ('contacts', 'import_report')),
    ADD COLUMN target_id uuid`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
