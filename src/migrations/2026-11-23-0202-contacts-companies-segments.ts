import { type Kysely, sql } from 'kysely';

// Frozen once landed: never edit this file; add a new migration instead (see docs/practices/migrations.md).
// Contacts and companies (capability 3): companies matched by e-mail domain, custom field
// definitions, tags, merges (reversible for 30 days), data quality and freshness, segments, the
// MX cache, and CSV imports (file, staged rows, chunks).

const statements = [
  `CREATE TABLE companies (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    website text CHECK (length(website) <= 500),
    industry text CHECK (length(industry) <= 200),
    size text CHECK (length(size) <= 50),
    country text CHECK (country ~ '^[A-Z]{2}$'),
    city text CHECK (length(city) <= 200),
    phone text CHECK (length(phone) <= 50),
    description text CHECK (length(description) <= 5000),
    custom_fields jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE UNIQUE INDEX companies_workspace_id_key ON companies (workspace_id, id)`,
  `CREATE INDEX companies_name_idx ON companies (workspace_id, lower(name), id)`,
  // A company can own several domains (acme.de, acme.com); a domain belongs to one company.
  `CREATE TABLE company_domains (
    workspace_id uuid NOT NULL,
    domain text NOT NULL CHECK (domain ~ '^[a-z0-9.-]{1,253}$'),
    company_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, domain),
    FOREIGN KEY (workspace_id, company_id) REFERENCES companies (workspace_id, id) ON DELETE CASCADE
  )`,
  `CREATE INDEX company_domains_company_idx ON company_domains (workspace_id, company_id)`,

  `ALTER TABLE contacts ADD COLUMN company_id uuid REFERENCES companies (id) ON DELETE SET NULL`,
  `ALTER TABLE contacts ADD COLUMN city text CHECK (length(city) <= 200)`,
  `ALTER TABLE contacts ADD COLUMN tags text[] NOT NULL DEFAULT '{}'`,
  // Provider rules applied only where the provider documents them (gmail: dots and +tags): used to
  // propose duplicates, never to merge by itself.
  `ALTER TABLE contacts ADD COLUMN email_match_key text`,
  `ALTER TABLE contacts ADD COLUMN merged_into_contact_id uuid`,
  `ALTER TABLE contacts ADD COLUMN merged_at timestamptz`,
  `ALTER TABLE contacts ADD COLUMN quality_score smallint CHECK (quality_score BETWEEN 0 AND 100)`,
  `ALTER TABLE contacts ADD COLUMN quality_reasons jsonb NOT NULL DEFAULT '[]'`,
  `ALTER TABLE contacts ADD COLUMN quality_checked_at timestamptz`,
  // Freshness: per field, when it was last confirmed and by which source ({"job_title": {"at", "source"}}).
  `ALTER TABLE contacts ADD COLUMN field_meta jsonb NOT NULL DEFAULT '{}'`,
  `ALTER TABLE contacts ADD COLUMN reconfirm_requested_at timestamptz`,
  `CREATE INDEX contacts_company_idx ON contacts (workspace_id, company_id) WHERE company_id IS NOT NULL`,
  `CREATE INDEX contacts_match_key_idx ON contacts (workspace_id, email_match_key)`,
  `CREATE INDEX contacts_updated_idx ON contacts (workspace_id, updated_at DESC, id)`,
  `CREATE INDEX contacts_tags_idx ON contacts USING gin (tags)`,

  `CREATE TABLE custom_field_definitions (
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    entity text NOT NULL DEFAULT 'contact' CHECK (entity IN ('contact', 'company')),
    key text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{0,62}$'),
    label text NOT NULL CHECK (length(label) BETWEEN 1 AND 200),
    type text NOT NULL CHECK (type IN ('text', 'number', 'date', 'choice', 'multi_choice', 'boolean')),
    options jsonb NOT NULL DEFAULT '[]',
    required boolean NOT NULL DEFAULT false,
    qualification boolean NOT NULL DEFAULT false,
    position integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, entity, key)
  )`,

  // A merge keeps the loser as a tombstone (merged_into_contact_id), so that every reference to it
  // (consent ledger, tokens, messages) stays valid; the snapshot makes it reversible.
  `CREATE TABLE contact_merges (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    winner_id uuid NOT NULL,
    loser_id uuid NOT NULL,
    merged_at timestamptz NOT NULL,
    merged_by uuid,
    winner_before jsonb NOT NULL,
    loser_before jsonb NOT NULL,
    winner_after jsonb NOT NULL,
    consents_before jsonb NOT NULL DEFAULT '[]',
    carried_consents jsonb NOT NULL DEFAULT '[]',
    moved_activities integer NOT NULL DEFAULT 0,
    undo_until timestamptz NOT NULL,
    undone_at timestamptz,
    undone_by uuid
  )`,
  `CREATE INDEX contact_merges_winner_idx ON contact_merges (workspace_id, winner_id, merged_at DESC)`,
  `CREATE INDEX contact_merges_loser_idx ON contact_merges (workspace_id, loser_id)`,
  `CREATE TABLE duplicate_dismissals (
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_a uuid NOT NULL,
    contact_b uuid NOT NULL,
    dismissed_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, contact_a, contact_b),
    CHECK (contact_a < contact_b)
  )`,

  // DNS facts about a mail domain are not workspace data: one cache for the installation.
  `CREATE TABLE email_domains (
    domain text PRIMARY KEY CHECK (length(domain) <= 253),
    status text NOT NULL CHECK (status IN ('ok', 'no_mx', 'null_mx', 'not_found', 'unknown')),
    mx jsonb NOT NULL DEFAULT '[]',
    checked_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
  )`,

  `CREATE TABLE segments (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description text CHECK (length(description) <= 2000),
    definition jsonb NOT NULL,
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE UNIQUE INDEX segments_workspace_id_key ON segments (workspace_id, id)`,
  // Contacts added by hand (bulk action "add to segment"); members are these OR the filter's matches.
  `CREATE TABLE segment_members (
    workspace_id uuid NOT NULL,
    segment_id uuid NOT NULL,
    contact_id uuid NOT NULL,
    added_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, segment_id, contact_id),
    FOREIGN KEY (workspace_id, segment_id) REFERENCES segments (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id) ON DELETE CASCADE
  )`,
  `CREATE INDEX segment_members_contact_idx ON segment_members (workspace_id, contact_id)`,

  `CREATE TABLE imports (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    created_by uuid,
    file_name text NOT NULL CHECK (length(file_name) <= 300),
    file_size bigint NOT NULL DEFAULT 0,
    status text NOT NULL CHECK (status IN ('uploaded', 'staging', 'staged', 'applying', 'done', 'failed', 'cancelled')),
    encoding text NOT NULL DEFAULT 'utf-8',
    delimiter text NOT NULL DEFAULT ',',
    header jsonb NOT NULL DEFAULT '[]',
    preview jsonb NOT NULL DEFAULT '[]',
    settings jsonb NOT NULL DEFAULT '{}',
    staged_bytes bigint NOT NULL DEFAULT 0,
    total_rows integer NOT NULL DEFAULT 0,
    error_rows integer NOT NULL DEFAULT 0,
    applied_rows integer NOT NULL DEFAULT 0,
    created_count integer NOT NULL DEFAULT 0,
    updated_count integer NOT NULL DEFAULT 0,
    skipped_count integer NOT NULL DEFAULT 0,
    suppressed_count integer NOT NULL DEFAULT 0,
    consent_count integer NOT NULL DEFAULT 0,
    chunk_count integer NOT NULL DEFAULT 0,
    failure text,
    cancel_requested boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
  )`,
  `CREATE INDEX imports_workspace_idx ON imports (workspace_id, created_at DESC)`,
  // The uploaded file, in the database so that any worker process can read it.
  `CREATE TABLE import_file_parts (
    import_id uuid NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    seq integer NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (import_id, seq)
  )`,
  `CREATE TABLE import_rows (
    import_id uuid NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    row_no integer NOT NULL,
    email text,
    email_normalized text,
    email_hash text,
    company_domain text,
    data jsonb NOT NULL DEFAULT '{}',
    error text,
    outcome text,
    PRIMARY KEY (import_id, row_no)
  )`,
  `CREATE TABLE import_chunks (
    import_id uuid NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    seq integer NOT NULL,
    first_row integer NOT NULL,
    last_row integer NOT NULL,
    applied_at timestamptz,
    PRIMARY KEY (import_id, seq)
  )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
