import { type Kysely, sql } from 'kysely';

// Frozen once landed: never edit this file; add a new migration instead (see docs/practices/migrations.md).
// Double opt-in: per-workspace consent settings, the tokens behind confirm and preference links,
// and the log of "you are already confirmed" notices (for their rate limit).

const statements = [
  // One row per workspace that changed a default; a missing row means the defaults below.
  `CREATE TABLE consent_settings (
    workspace_id uuid PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    opt_in_token_ttl_hours integer NOT NULL DEFAULT 72 CHECK (opt_in_token_ttl_hours BETWEEN 1 AND 720),
    unconfirmed_retention_days integer NOT NULL DEFAULT 14
      CHECK (unconfirmed_retention_days BETWEEN 1 AND 365),
    proof_retention_days integer NOT NULL DEFAULT 1095 CHECK (proof_retention_days BETWEEN 30 AND 3650),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  // A link token is "<selector>.<verifier>": the selector finds the row, the verifier's SHA-256 is
  // compared in constant time; nothing stored opens the link. An opt-in request gets its token when
  // its mail is written (the job), so selector and verifier_hash are empty until then.
  `CREATE TABLE consent_tokens (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('opt_in', 'preferences')),
    selector text,
    verifier_hash text,
    purposes jsonb NOT NULL DEFAULT '[]',
    locale text NOT NULL CHECK (locale IN ('de', 'en')),
    form_id uuid,
    form_version integer,
    asset jsonb,
    created_at timestamptz NOT NULL,
    expires_at timestamptz,
    used_at timestamptz,
    message_id text,
    mail_queued_at timestamptz
  )`,
  `CREATE UNIQUE INDEX consent_tokens_selector_key ON consent_tokens (selector)`,
  `CREATE INDEX consent_tokens_contact_idx ON consent_tokens (workspace_id, contact_id, kind, created_at)`,
  `CREATE INDEX consent_tokens_open_idx ON consent_tokens (workspace_id, expires_at) WHERE used_at IS NULL`,
  `CREATE TABLE consent_notices (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    locale text NOT NULL CHECK (locale IN ('de', 'en')),
    created_at timestamptz NOT NULL,
    message_id text
  )`,
  `CREATE INDEX consent_notices_contact_idx ON consent_notices (workspace_id, contact_id, created_at)`,
  // The retention purges look for old pending requests and for ledgers whose consents ended.
  `CREATE INDEX consents_status_idx ON consents (workspace_id, status, requested_at)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
