import { type Kysely, sql } from 'kysely';

// Frozen once landed: never edit this file; add a new migration instead (see docs/practices/migrations.md).
// Sales hand-off: per-workspace sales settings (SLA, working hours, webhook), reps with capacity,
// weight and availability, territories, leads handed to sales with their routing and SLA state,
// the lead's own history, in-app notifications and the outbox of events for webhooks.

const statements = [
  // One row per workspace; routing locks it (FOR UPDATE) so two workers never route at once.
  `CREATE TABLE sales_settings (
    workspace_id uuid PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    sla_minutes integer NOT NULL DEFAULT 240 CHECK (sla_minutes BETWEEN 5 AND 100000),
    reminder_minutes integer NOT NULL DEFAULT 120 CHECK (reminder_minutes BETWEEN 0 AND 100000),
    escalation text NOT NULL DEFAULT 'reassign' CHECK (escalation IN ('reassign', 'notify_manager')),
    timezone text NOT NULL DEFAULT 'Europe/Berlin',
    working_hours jsonb NOT NULL DEFAULT '{}',
    webhook_url text CHECK (length(webhook_url) <= 2000),
    webhook_secret text,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE sales_reps (
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    active boolean NOT NULL DEFAULT true,
    is_manager boolean NOT NULL DEFAULT false,
    weight integer NOT NULL DEFAULT 1 CHECK (weight BETWEEN 1 AND 100),
    capacity integer CHECK (capacity BETWEEN 0 AND 100000),
    timezone text NOT NULL DEFAULT 'Europe/Berlin',
    working_hours jsonb NOT NULL DEFAULT '{}',
    rr_current bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workspace_id, user_id)
  )`,
  `CREATE TABLE sales_rep_absences (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    user_id uuid NOT NULL,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL CHECK (ends_at > starts_at),
    note text CHECK (length(note) <= 500),
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (workspace_id, user_id) REFERENCES sales_reps (workspace_id, user_id) ON DELETE CASCADE
  )`,
  `CREATE INDEX sales_rep_absences_rep_idx ON sales_rep_absences (workspace_id, user_id, ends_at)`,
  `CREATE TABLE sales_territories (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    priority integer NOT NULL DEFAULT 100,
    countries jsonb NOT NULL DEFAULT '[]',
    postcode_ranges jsonb NOT NULL DEFAULT '[]',
    industries jsonb NOT NULL DEFAULT '[]',
    company_sizes jsonb NOT NULL DEFAULT '[]',
    user_ids jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX sales_territories_workspace_idx ON sales_territories (workspace_id, priority)`,
  // A lead is one hand-off of a contact to sales. assignment_seq grows with every (re)assignment,
  // so an SLA job scheduled for an earlier assignment knows it is stale.
  `CREATE TABLE sales_leads (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    contact_id uuid NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    status text NOT NULL CHECK (status IN ('unassigned', 'assigned', 'accepted', 'rejected', 'converted')),
    assigned_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    assignment_seq integer NOT NULL DEFAULT 0,
    routed_by text,
    territory_id uuid,
    cause text NOT NULL,
    summary jsonb NOT NULL DEFAULT '{}',
    assigned_at timestamptz,
    sla_due_at timestamptz,
    reminded_at timestamptz,
    escalated_at timestamptz,
    accepted_at timestamptz,
    rejected_at timestamptz,
    reject_reason text CHECK (reject_reason IN ('not_a_fit', 'no_budget', 'no_project', 'bad_data', 'already_customer', 'competitor', 'other')),
    reject_note text CHECK (length(reject_note) <= 2000),
    reject_outcome text CHECK (reject_outcome IN ('recycled', 'disqualified')),
    converted_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  // At most one open hand-off per contact: the backstop for "routed exactly once".
  `CREATE UNIQUE INDEX sales_leads_open_contact_key ON sales_leads (workspace_id, contact_id)
    WHERE status IN ('unassigned', 'assigned', 'accepted')`,
  `CREATE INDEX sales_leads_inbox_idx ON sales_leads (workspace_id, status, assigned_user_id, created_at DESC)`,
  `CREATE INDEX sales_leads_reasons_idx ON sales_leads (workspace_id, reject_reason) WHERE reject_reason IS NOT NULL`,
  `CREATE TABLE sales_lead_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id uuid NOT NULL,
    lead_id uuid NOT NULL REFERENCES sales_leads (id) ON DELETE CASCADE,
    kind text NOT NULL,
    from_user_id uuid,
    to_user_id uuid,
    actor_label text NOT NULL,
    data jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL
  )`,
  `CREATE INDEX sales_lead_events_lead_idx ON sales_lead_events (workspace_id, lead_id, id)`,
  `CREATE TABLE notifications (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind text NOT NULL,
    data jsonb NOT NULL DEFAULT '{}',
    read_at timestamptz,
    created_at timestamptz NOT NULL
  )`,
  `CREATE INDEX notifications_user_idx ON notifications (workspace_id, user_id, created_at DESC)`,
  // Events for other systems (webhooks) and other modules; delivery state per event.
  `CREATE TABLE sales_events (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    type text NOT NULL,
    lead_id uuid,
    contact_id uuid,
    payload jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    delivered_at timestamptz,
    attempts integer NOT NULL DEFAULT 0,
    last_status integer,
    last_error text
  )`,
  `CREATE INDEX sales_events_workspace_idx ON sales_events (workspace_id, id)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
