import { type Kysely, sql } from 'kysely';

// Frozen once landed: never edit this file; add a new migration instead (see docs/practices/migrations.md).
// Nurture journeys: the journey with its editable draft, immutable published versions, one
// enrollment per contact and run through a journey (where the contact stands), and one row per
// step a contact passed (the idempotency key of a step execution and the source of the counters).

const statements = [
  `CREATE TABLE journeys (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'paused', 'archived')),
    draft jsonb NOT NULL,
    live_version integer,
    trigger_type text,
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX journeys_workspace_idx ON journeys (workspace_id, created_at DESC)`,
  // Which active journeys a timeline entry can start: looked up for every activity.
  `CREATE INDEX journeys_trigger_idx ON journeys (workspace_id, trigger_type) WHERE status = 'active'`,
  `CREATE TABLE journey_versions (
    workspace_id uuid NOT NULL,
    journey_id uuid NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
    version integer NOT NULL CHECK (version >= 1),
    definition jsonb NOT NULL,
    published_at timestamptz NOT NULL,
    published_by uuid,
    PRIMARY KEY (journey_id, version)
  )`,
  `CREATE FUNCTION journey_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    RAISE EXCEPTION 'a published journey version is immutable' USING ERRCODE = 'P0001';
  END
  $$`,
  `CREATE TRIGGER journey_versions_immutable BEFORE UPDATE ON journey_versions
    FOR EACH ROW EXECUTE FUNCTION journey_versions_immutable()`,
  `CREATE TABLE journey_enrollments (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    journey_id uuid NOT NULL REFERENCES journeys (id) ON DELETE CASCADE,
    contact_id uuid NOT NULL,
    version integer NOT NULL,
    status text NOT NULL CHECK (status IN ('active', 'waiting', 'completed', 'exited', 'goal')),
    step_id text,
    seq integer NOT NULL DEFAULT 1,
    entered_at timestamptz NOT NULL,
    step_entered_at timestamptz NOT NULL,
    wait_until timestamptz,
    goals_reached jsonb NOT NULL DEFAULT '[]',
    exit_reason text,
    ended_at timestamptz,
    source text CHECK (length(source) <= 200),
    updated_at timestamptz NOT NULL,
    FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id) ON DELETE CASCADE
  )`,
  // A contact is at most once inside a journey at a time (re-entry policies decide about later runs).
  `CREATE UNIQUE INDEX journey_enrollments_open_key ON journey_enrollments (journey_id, contact_id)
    WHERE status IN ('active', 'waiting')`,
  `CREATE INDEX journey_enrollments_contact_idx ON journey_enrollments (workspace_id, contact_id, journey_id)`,
  `CREATE INDEX journey_enrollments_step_idx ON journey_enrollments (journey_id, step_id)
    WHERE status IN ('active', 'waiting')`,
  `CREATE TABLE journey_step_runs (
    enrollment_id uuid NOT NULL REFERENCES journey_enrollments (id) ON DELETE CASCADE,
    seq integer NOT NULL,
    workspace_id uuid NOT NULL,
    journey_id uuid NOT NULL,
    step_id text NOT NULL,
    entered_at timestamptz NOT NULL,
    completed_at timestamptz,
    outcome text CHECK (outcome IN ('completed', 'exited', 'goal', 'skipped')),
    path text,
    detail jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (enrollment_id, seq)
  )`,
  `CREATE INDEX journey_step_runs_journey_idx ON journey_step_runs (journey_id, step_id)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
