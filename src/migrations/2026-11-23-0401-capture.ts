import { type Kysely, sql } from 'kysely';

// Frozen once landed: never edit this file; add a new migration instead (see docs/practices/migrations.md).
// Lead capture: forms and their immutable published versions, submissions with attribution,
// tracked short links, gated-content assets, daily form statistics, used proof-of-work
// challenges (replay protection) and the circuit breaker against subscription bombing.

const statements = [
  // A form's slug is global: the public address /f/<slug> carries no workspace.
  `CREATE TABLE forms (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    slug text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind text NOT NULL CHECK (kind IN ('newsletter', 'gated_content', 'event', 'contest', 'coupon', 'contact_request')),
    draft jsonb NOT NULL,
    allowed_origins jsonb NOT NULL DEFAULT '[]',
    published_version integer,
    archived_at timestamptz,
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE UNIQUE INDEX forms_slug_key ON forms (slug)`,
  `CREATE INDEX forms_workspace_idx ON forms (workspace_id, created_at DESC)`,
  // What a visitor saw. Never changed once written: an edit publishes a new version.
  `CREATE TABLE form_versions (
    workspace_id uuid NOT NULL,
    form_id uuid NOT NULL REFERENCES forms (id) ON DELETE CASCADE,
    version integer NOT NULL CHECK (version >= 1),
    definition jsonb NOT NULL,
    published_at timestamptz NOT NULL,
    published_by uuid,
    PRIMARY KEY (form_id, version)
  )`,
  `CREATE INDEX form_versions_workspace_idx ON form_versions (workspace_id, form_id, version)`,
  `CREATE FUNCTION form_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    RAISE EXCEPTION 'a published form version is immutable' USING ERRCODE = 'P0001';
  END
  $$`,
  `CREATE TRIGGER form_versions_immutable BEFORE UPDATE ON form_versions
    FOR EACH ROW EXECUTE FUNCTION form_versions_immutable()`,
  `CREATE TABLE capture_assets (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    source text NOT NULL CHECK (source IN ('file', 'url')),
    url text CHECK (length(url) <= 2000),
    file_name text CHECK (length(file_name) <= 200),
    content_type text,
    size_bytes bigint,
    sha256 text,
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX capture_assets_workspace_idx ON capture_assets (workspace_id, created_at DESC)`,
  `CREATE TABLE short_links (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    code text NOT NULL CHECK (code ~ '^[A-Za-z0-9_-]{3,64}$'),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    form_id uuid REFERENCES forms (id) ON DELETE SET NULL,
    target_url text CHECK (length(target_url) <= 2000),
    channel text NOT NULL,
    utm jsonb NOT NULL DEFAULT '{}',
    clicks bigint NOT NULL DEFAULT 0,
    disabled_at timestamptz,
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE UNIQUE INDEX short_links_code_key ON short_links (code)`,
  `CREATE INDEX short_links_workspace_idx ON short_links (workspace_id, created_at DESC)`,
  `CREATE TABLE form_submissions (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    form_id uuid NOT NULL REFERENCES forms (id) ON DELETE CASCADE,
    form_version integer NOT NULL,
    contact_id uuid REFERENCES contacts (id) ON DELETE SET NULL,
    submitted_at timestamptz NOT NULL,
    via text NOT NULL CHECK (via IN ('hosted', 'embed', 'html', 'api')),
    answers jsonb NOT NULL DEFAULT '{}',
    purposes jsonb NOT NULL DEFAULT '[]',
    channel text NOT NULL,
    utm_source text,
    utm_medium text,
    utm_campaign text,
    utm_term text,
    utm_content text,
    referrer text,
    landing_url text,
    coupon_code text,
    contest_code text,
    short_link_id uuid,
    locale text NOT NULL CHECK (locale IN ('de', 'en')),
    ip text,
    user_agent text,
    outcome text NOT NULL,
    held_at timestamptz,
    released_at timestamptz
  )`,
  `CREATE INDEX form_submissions_form_idx ON form_submissions (workspace_id, form_id, submitted_at DESC)`,
  `CREATE INDEX form_submissions_contact_idx ON form_submissions (workspace_id, contact_id, submitted_at DESC)`,
  `CREATE INDEX form_submissions_held_idx ON form_submissions (workspace_id, held_at) WHERE held_at IS NOT NULL AND released_at IS NULL`,
  `CREATE TABLE form_daily_stats (
    workspace_id uuid NOT NULL,
    form_id uuid NOT NULL REFERENCES forms (id) ON DELETE CASCADE,
    day date NOT NULL,
    views integer NOT NULL DEFAULT 0,
    submissions integer NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, form_id, day)
  )`,
  // Proof-of-work challenges already used, until they expire: a solution counts once.
  `CREATE TABLE capture_pow_used (
    signature text PRIMARY KEY,
    expires_at timestamptz NOT NULL
  )`,
  `CREATE INDEX capture_pow_used_expires_idx ON capture_pow_used (expires_at)`,
  // scope: 'global' or 'workspace:<id>'. Open while closes_at is in the future.
  `CREATE TABLE capture_circuit_breakers (
    scope text PRIMARY KEY,
    workspace_id uuid,
    opened_at timestamptz NOT NULL,
    closes_at timestamptz NOT NULL,
    reason text NOT NULL,
    trips integer NOT NULL DEFAULT 1
  )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
