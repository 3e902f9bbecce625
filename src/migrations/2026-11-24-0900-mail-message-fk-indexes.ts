import { type Kysely, sql } from 'kysely';

// Frozen once landed: never edit this file; add a new migration instead (see docs/practices/migrations.md).
// unsubscribe_tokens.message_id and mail_reports.message_id reference messages with ON DELETE SET
// NULL but had no index, so every deleted message (contact erasure, workspace clean-up) scanned
// both tables: deleting 100,000 messages took over 10 minutes in the journeys bench. Partial
// indexes: most report rows and many tokens carry no message.

const statements = [
  `CREATE INDEX unsubscribe_tokens_message_idx ON unsubscribe_tokens (message_id) WHERE message_id IS NOT NULL`,
  `CREATE INDEX mail_reports_message_idx ON mail_reports (message_id) WHERE message_id IS NOT NULL`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
