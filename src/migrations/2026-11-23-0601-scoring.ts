import { type Kysely, sql } from 'kysely';

// Frozen once landed: never edit this file; add a new migration instead (see docs/practices/migrations.md).
// Scoring and qualification: per-workspace settings (stage names, allowed moves, MQL rule,
// temperature, half-life), fit and engagement rules, engagement contributions per activity and rule,
// the current scores per contact, score history, stage history, BANT answers and background recomputes.

const statements = [
  `CREATE TABLE scoring_settings (
    workspace_id uuid PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    settings jsonb NOT NULL DEFAULT '{}',
    rules_version integer NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE scoring_rules (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('fit', 'engagement')),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    definition jsonb NOT NULL,
    points integer NOT NULL CHECK (points BETWEEN -1000 AND 1000),
    enabled boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX scoring_rules_workspace_idx ON scoring_rules (workspace_id, kind)`,
  // One row per (activity, engagement rule) that matched: the raw material of the engagement score.
  // The primary key makes applying an activity twice (at-least-once delivery) a no-op.
  `CREATE TABLE score_events (
    workspace_id uuid NOT NULL,
    contact_id uuid NOT NULL,
    rule_id uuid NOT NULL,
    activity_id bigint NOT NULL,
    occurred_at timestamptz NOT NULL,
    points integer NOT NULL,
    PRIMARY KEY (workspace_id, contact_id, rule_id, activity_id)
  )`,
  `CREATE TABLE contact_scores (
    workspace_id uuid NOT NULL,
    contact_id uuid NOT NULL,
    fit integer NOT NULL DEFAULT 0,
    engagement_static double precision NOT NULL DEFAULT 0,
    engagement_decaying double precision NOT NULL DEFAULT 0,
    computed_at timestamptz NOT NULL,
    temperature text NOT NULL DEFAULT 'cold' CHECK (temperature IN ('cold', 'warm', 'hot')),
    temperature_reason jsonb NOT NULL DEFAULT '{}',
    explanation jsonb NOT NULL DEFAULT '{}',
    rules_version integer NOT NULL DEFAULT 0,
    PRIMARY KEY (workspace_id, contact_id),
    FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id) ON DELETE CASCADE
  )`,
  `CREATE INDEX contact_scores_fit_idx ON contact_scores (workspace_id, fit)`,
  `CREATE TABLE score_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id uuid NOT NULL,
    contact_id uuid NOT NULL,
    at timestamptz NOT NULL,
    fit integer NOT NULL,
    engagement double precision NOT NULL,
    FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id) ON DELETE CASCADE
  )`,
  `CREATE INDEX score_history_contact_idx ON score_history (workspace_id, contact_id, at)`,
  // Every stage move, for time-in-stage reports. activity_id links a move made outside scoring
  // (contacts PATCH) to its timeline entry, so the handler records it once.
  `CREATE TABLE stage_history (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id uuid NOT NULL,
    contact_id uuid NOT NULL,
    from_stage text,
    to_stage text NOT NULL,
    changed_at timestamptz NOT NULL,
    cause text NOT NULL,
    note text,
    activity_id bigint,
    FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id) ON DELETE CASCADE
  )`,
  `CREATE INDEX stage_history_contact_idx ON stage_history (workspace_id, contact_id, changed_at)`,
  `CREATE UNIQUE INDEX stage_history_activity_key ON stage_history (workspace_id, activity_id) WHERE activity_id IS NOT NULL`,
  `CREATE TABLE bant_answers (
    workspace_id uuid NOT NULL,
    contact_id uuid NOT NULL,
    field text NOT NULL CHECK (field IN ('need', 'budget', 'authority', 'timeline')),
    value jsonb NOT NULL,
    source text NOT NULL CHECK (source IN ('form', 'journey', 'sales_call', 'import', 'api')),
    source_ref text,
    answered_at timestamptz NOT NULL,
    answered_by uuid,
    PRIMARY KEY (workspace_id, contact_id, field),
    FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id) ON DELETE CASCADE
  )`,
  `CREATE TABLE scoring_recomputes (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    state text NOT NULL CHECK (state IN ('running', 'done', 'failed')),
    total integer NOT NULL,
    done integer NOT NULL DEFAULT 0,
    parts integer NOT NULL DEFAULT 1,
    parts_done integer NOT NULL DEFAULT 0,
    rules_version integer NOT NULL,
    started_at timestamptz NOT NULL,
    finished_at timestamptz
  )`,
  `CREATE INDEX scoring_recomputes_workspace_idx ON scoring_recomputes (workspace_id, started_at DESC)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
