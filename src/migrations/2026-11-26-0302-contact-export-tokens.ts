import { type Kysely, sql } from 'kysely';

// Frozen once landed: never edit this file; add a new migration instead (see docs/practices/migrations.md).
// Export tokens: the admin UI asks for a short-lived, single-use token with the selection and
// columns (POST), then navigates to GET /api/v1/contacts/export?token=… so that the browser's
// download manager streams the CSV to disk instead of the tab holding it. Only the SHA-256 of the
// token is stored; a redeemed or expired row is deleted by the contacts.purge-export-tokens job.

const statements = [
  `CREATE TABLE contact_export_tokens (
    token_hash text PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    selection jsonb NOT NULL,
    columns text,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
  )`,
  `CREATE INDEX contact_export_tokens_expires_idx ON contact_export_tokens (expires_at)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
