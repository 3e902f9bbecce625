import { type Kysely, sql } from 'kysely';

// Frozen once landed: never edit this file; add a new migration instead (see docs/practices/migrations.md).
// Mail delivery: per-workspace sending settings, templates with de/en variants, the message log and its
// events, the built-in outbox, sending domains (DKIM keys encrypted), unsubscribe tokens, and the
// bounce/complaint reports that came back.

const statements = [
  `CREATE TABLE mail_settings (
    workspace_id uuid PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    from_name text NOT NULL DEFAULT '' CHECK (length(from_name) <= 200),
    from_email text CHECK (length(from_email) BETWEEN 3 AND 254),
    reply_to text CHECK (length(reply_to) BETWEEN 3 AND 254),
    imprint text NOT NULL DEFAULT '' CHECK (length(imprint) <= 4000),
    logo_url text CHECK (length(logo_url) <= 2000),
    accent_color text NOT NULL DEFAULT '#1c7ed6' CHECK (accent_color ~ '^#[0-9a-fA-F]{6}$'),
    tracking_enabled boolean NOT NULL DEFAULT false,
    rate_per_minute integer CHECK (rate_per_minute > 0),
    domain_rate_per_minute integer CHECK (domain_rate_per_minute > 0),
    domain_rates jsonb NOT NULL DEFAULT '{}',
    soft_bounce_limit integer NOT NULL DEFAULT 3 CHECK (soft_bounce_limit BETWEEN 1 AND 100),
    version integer NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE mail_templates (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind text NOT NULL CHECK (kind IN ('transactional', 'marketing')),
    purpose text CHECK (purpose ~ '^[a-z0-9][a-z0-9_.:-]{0,62}$'),
    version integer NOT NULL DEFAULT 1,
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    archived_at timestamptz,
    CHECK (kind = 'transactional' OR purpose IS NOT NULL)
  )`,
  `CREATE INDEX mail_templates_workspace_idx ON mail_templates (workspace_id, name)`,
  `CREATE TABLE mail_template_variants (
    workspace_id uuid NOT NULL,
    template_id uuid NOT NULL REFERENCES mail_templates (id) ON DELETE CASCADE,
    locale text NOT NULL CHECK (locale IN ('de', 'en')),
    subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 500),
    preheader text NOT NULL DEFAULT '' CHECK (length(preheader) <= 500),
    body_mjml text NOT NULL CHECK (length(body_mjml) <= 500000),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, template_id, locale)
  )`,
  // A send of one template to everyone with consent for its purpose (a newsletter issue).
  `CREATE TABLE mail_sends (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    template_id uuid NOT NULL REFERENCES mail_templates (id),
    purpose text NOT NULL,
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'enqueuing', 'enqueued', 'cancelled')),
    recipients integer NOT NULL DEFAULT 0,
    cursor_contact_id uuid,
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX mail_sends_workspace_idx ON mail_sends (workspace_id, created_at DESC)`,
  // One row per recipient and mail. Jobs carry only its id; the row says what to send and what became of it.
  `CREATE TABLE messages (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('transactional', 'marketing')),
    purpose text,
    contact_id uuid REFERENCES contacts (id) ON DELETE SET NULL,
    to_email text NOT NULL CHECK (length(to_email) BETWEEN 3 AND 320),
    locale text NOT NULL CHECK (locale IN ('de', 'en')),
    template_id uuid REFERENCES mail_templates (id),
    template_version integer,
    variables jsonb,
    content jsonb,
    headers jsonb NOT NULL DEFAULT '{}',
    lane text NOT NULL DEFAULT 'default' CHECK (lane IN ('critical', 'default', 'bulk')),
    idempotency_key text CHECK (length(idempotency_key) <= 200),
    send_id uuid REFERENCES mail_sends (id) ON DELETE SET NULL,
    is_test boolean NOT NULL DEFAULT false,
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'deferred', 'sent',
      'delivered', 'skipped', 'failed', 'bounced', 'complained')),
    status_reason text CHECK (length(status_reason) <= 2000),
    bounce_type text CHECK (bounce_type IN ('hard', 'soft')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    subject text,
    message_id_header text,
    sending_domain text,
    tracking boolean NOT NULL DEFAULT false,
    queued_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    bounced_at timestamptz,
    complained_at timestamptz,
    opened_at timestamptz,
    clicked_at timestamptz,
    open_count integer NOT NULL DEFAULT 0,
    click_count integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (kind = 'transactional' OR purpose IS NOT NULL),
    CHECK (template_id IS NOT NULL OR content IS NOT NULL)
  )`,
  `CREATE UNIQUE INDEX messages_idempotency_key ON messages (workspace_id, idempotency_key)
    WHERE idempotency_key IS NOT NULL`,
  `CREATE INDEX messages_log_idx ON messages (workspace_id, created_at DESC, id DESC)`,
  `CREATE INDEX messages_status_idx ON messages (workspace_id, status, created_at DESC)`,
  `CREATE INDEX messages_contact_idx ON messages (workspace_id, contact_id, created_at DESC)
    WHERE contact_id IS NOT NULL`,
  `CREATE INDEX messages_send_idx ON messages (send_id, status) WHERE send_id IS NOT NULL`,
  `CREATE TABLE message_events (
    id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    workspace_id uuid NOT NULL,
    message_id uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    type text NOT NULL,
    occurred_at timestamptz NOT NULL,
    data jsonb NOT NULL DEFAULT '{}'
  )`,
  `CREATE INDEX message_events_message_idx ON message_events (message_id, id)`,
  // The built-in outbox: where mail goes when SMTP_URL is not set. One row per message at most.
  `CREATE TABLE outbox_messages (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    message_id uuid REFERENCES messages (id) ON DELETE CASCADE,
    envelope_from text NOT NULL,
    envelope_to text NOT NULL,
    subject text NOT NULL,
    raw text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX outbox_messages_workspace_idx ON outbox_messages (workspace_id, created_at DESC, id DESC)`,
  `CREATE UNIQUE INDEX outbox_messages_message_key ON outbox_messages (message_id) WHERE message_id IS NOT NULL`,
  // DKIM keys are stored encrypted (AES-256-GCM with a key derived from SECRET_KEY).
  `CREATE TABLE sending_domains (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    domain text NOT NULL CHECK (domain ~ '^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$'),
    dkim_selector text NOT NULL CHECK (dkim_selector ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    dkim_private_key text NOT NULL,
    dkim_public_key text NOT NULL,
    return_path_domain text NOT NULL,
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    last_checked_at timestamptz,
    last_check jsonb
  )`,
  `CREATE UNIQUE INDEX sending_domains_domain_key ON sending_domains (workspace_id, domain)`,
  // Tokens of List-Unsubscribe and the footer link: random, only their SHA-256 is stored.
  `CREATE TABLE unsubscribe_tokens (
    token_hash text PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    purpose text NOT NULL,
    message_id uuid REFERENCES messages (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX unsubscribe_tokens_contact_idx ON unsubscribe_tokens (workspace_id, contact_id)`,
  // What came back: delivery status notifications (RFC 3464) and complaints (ARF, RFC 5965).
  // No raw copy (it holds personal data); the address only as the suppression hash.
  `CREATE TABLE mail_reports (
    id uuid PRIMARY KEY,
    workspace_id uuid REFERENCES workspaces (id) ON DELETE CASCADE,
    message_id uuid REFERENCES messages (id) ON DELETE SET NULL,
    kind text NOT NULL CHECK (kind IN ('bounce', 'complaint', 'delay', 'unmatched')),
    bounce_type text CHECK (bounce_type IN ('hard', 'soft')),
    recipient_hash text,
    status_code text CHECK (length(status_code) <= 20),
    diagnostic text CHECK (length(diagnostic) <= 1000),
    feedback_type text CHECK (length(feedback_type) <= 50),
    source text NOT NULL CHECK (source IN ('smtp', 'upload')),
    dedupe_key text NOT NULL UNIQUE,
    received_at timestamptz NOT NULL
  )`,
  `CREATE INDEX mail_reports_workspace_idx ON mail_reports (workspace_id, received_at DESC)`,
  `CREATE INDEX mail_reports_soft_idx ON mail_reports (workspace_id, recipient_hash, received_at)
    WHERE bounce_type = 'soft'`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
