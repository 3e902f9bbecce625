import { type Kysely, sql } from 'kysely';

// Frozen once landed: never edit this file; add a new migration instead (see docs/practices/migrations.md).
// The per-address limits on confirmation mails and notices count here: a salted hash of the
// address per mail, kept 31 days, so a limit outlives the purge of a never-confirmed sign-up.

const statements = [
  `CREATE TABLE consent_mail_log (
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    address_hash text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('opt_in', 'notice')),
    created_at timestamptz NOT NULL
  )`,
  `CREATE INDEX consent_mail_log_address_idx ON consent_mail_log (workspace_id, address_hash, kind, created_at)`,
  `CREATE INDEX consent_mail_log_created_idx ON consent_mail_log (created_at)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
