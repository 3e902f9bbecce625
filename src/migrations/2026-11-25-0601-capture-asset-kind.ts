import { type Kysely, sql } from 'kysely';

// Frozen once landed: never edit this file; add a new migration instead (see docs/practices/migrations.md).
// Gated content has a kind (white paper, checklist, guide, …): the admin UI and journeys' "offer
// content" step show it, and the mail that delivers it names it. Existing assets become `other`.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(
      `ALTER TABLE capture_assets ADD COLUMN kind text NOT NULL DEFAULT 'other'
        CHECK (kind IN ('white-paper', 'checklist', 'guide', 'case-study', 'e-book', 'webinar-recording', 'other'))`,
    )
    .execute(db);
}
