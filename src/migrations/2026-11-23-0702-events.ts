import { type Kysely, sql } from 'kysely';

// Frozen once landed: never edit this file; add a new migration instead (see docs/practices/migrations.md).
// Events and webinars: the event (time, zone, place or online link, capacity, the capture form that
// registers for it) and one registration per contact and event (registered, waiting list,
// cancelled; attendance).

const statements = [
  `CREATE TABLE events (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 5000),
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    time_zone text NOT NULL,
    location text CHECK (length(location) <= 500),
    online_url text CHECK (length(online_url) <= 2000),
    capacity integer CHECK (capacity IS NULL OR capacity >= 1),
    form_id uuid,
    status text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'cancelled')),
    created_by uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (ends_at > starts_at)
  )`,
  `CREATE INDEX events_workspace_idx ON events (workspace_id, starts_at DESC)`,
  `CREATE INDEX events_form_idx ON events (workspace_id, form_id) WHERE form_id IS NOT NULL`,
  `CREATE TABLE event_registrations (
    id uuid PRIMARY KEY,
    workspace_id uuid NOT NULL,
    event_id uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    contact_id uuid NOT NULL,
    status text NOT NULL CHECK (status IN ('registered', 'waitlisted', 'cancelled')),
    registered_at timestamptz NOT NULL,
    attended_at timestamptz,
    attended_via text CHECK (attended_via IN ('manual', 'csv', 'check-in')),
    source text CHECK (length(source) <= 200),
    updated_at timestamptz NOT NULL,
    FOREIGN KEY (workspace_id, contact_id) REFERENCES contacts (workspace_id, id) ON DELETE CASCADE
  )`,
  `CREATE UNIQUE INDEX event_registrations_contact_key ON event_registrations (event_id, contact_id)`,
  `CREATE INDEX event_registrations_status_idx ON event_registrations (event_id, status, registered_at)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
