import { type Kysely, sql } from 'kysely';

// Frozen once landed: never edit this file; add a new migration instead (see docs/practices/migrations.md).
// Ready content (a double opt-in mail, a download mail) and template variables carry live links
// until the message is sent. Once a message is final its stored links are cut to their origin
// (docs/practices/mail.md, "Stored content"); content_redacted_at records when. The partial index
// lets the hourly sweep find rows written before this change (or missed) without a table scan.

const statements = [
  `ALTER TABLE messages ADD COLUMN content_redacted_at timestamptz`,
  `CREATE INDEX messages_unredacted_idx ON messages (created_at)
     WHERE content_redacted_at IS NULL AND (content IS NOT NULL OR variables IS NOT NULL)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
