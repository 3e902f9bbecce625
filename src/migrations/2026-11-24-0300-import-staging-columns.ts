import { type Kysely, sql } from 'kysely';

// Frozen once landed: never edit this file; add a new migration instead (see docs/practices/migrations.md).
// Bulk import: a staged row carries its mapped, validated values in typed columns (instead of one
// jsonb document per row with its own field_meta), so that staging writes plain arrays and the
// apply reads columns. `data` stays for rows staged before this migration. imports.review holds
// the dry run (would be created / updated / skipped / suppressed / rejected, first errors) that
// the user confirms before an import is applied.

const statements = [
  `ALTER TABLE import_rows
    ADD COLUMN first_name text,
    ADD COLUMN last_name text,
    ADD COLUMN company_name text,
    ADD COLUMN job_title text,
    ADD COLUMN phone text,
    ADD COLUMN city text,
    ADD COLUMN country text,
    ADD COLUMN locale text,
    ADD COLUMN lifecycle_stage text,
    ADD COLUMN source_channel text,
    ADD COLUMN tags text[],
    ADD COLUMN custom_fields jsonb,
    ADD COLUMN consent boolean,
    ADD COLUMN consent_date timestamptz,
    ADD COLUMN match_key text,
    ADD COLUMN company_hint text,
    ADD COLUMN contact_id uuid,
    ADD COLUMN quality_score smallint,
    ADD COLUMN quality_reasons jsonb`,
  `ALTER TABLE imports ADD COLUMN review jsonb`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
