import { type Kysely, sql } from 'kysely';

// Frozen once landed: never edit this file; add a new migration instead (see docs/practices/migrations.md).
// Mail attachments (e.g. an event's calendar file): stored with the message in the transaction that
// queues it, so the send job still carries only the message id and a retry sends the same bytes.
// `attachment_count` lets the send path skip the lookup for the many messages without any.
// Events get a SEQUENCE for their calendar entry (an update replaces the entry in the calendar,
// RFC 5545 §3.8.7.4) and a reminder schedule (minutes before the start).

const statements = [
  `CREATE TABLE message_attachments (
    message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    workspace_id uuid NOT NULL,
    position smallint NOT NULL CHECK (position >= 0),
    filename text NOT NULL CHECK (length(filename) BETWEEN 1 AND 200),
    content_type text NOT NULL CHECK (length(content_type) BETWEEN 3 AND 200),
    content_base64 text NOT NULL,
    PRIMARY KEY (message_id, position)
  )`,
  `ALTER TABLE messages ADD COLUMN attachment_count smallint NOT NULL DEFAULT 0`,
  `ALTER TABLE events ADD COLUMN sequence integer NOT NULL DEFAULT 0`,
  `ALTER TABLE events ADD COLUMN reminder_minutes jsonb NOT NULL DEFAULT '[1440]'`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
