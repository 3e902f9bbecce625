import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import type { Executor } from '../../shared/db/index.js';
import type { JourneyEnrollmentsTable, JourneysTable } from '../../shared/db/schema.js';
import type { JourneyDefinition } from './definition.js';

export type JourneyRow = Selectable<JourneysTable>;
export type EnrollmentRow = Selectable<JourneyEnrollmentsTable>;

export const OPEN_STATUSES = ['active', 'waiting'] as const;

export async function findJourney(
  db: Executor,
  workspaceId: string,
  id: string,
): Promise<JourneyRow | undefined> {
  return db
    .selectFrom('journeys')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function listJourneys(db: Executor, workspaceId: string): Promise<JourneyRow[]> {
  return db
    .selectFrom('journeys')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('status', '<>', 'archived')
    .orderBy('created_at', 'desc')
    .limit(500)
    .execute();
}

// Versions never change once written, so a process may keep them.
const versionCache = new Map<string, JourneyDefinition>();

export async function findVersion(
  db: Executor,
  workspaceId: string,
  journeyId: string,
  version: number,
): Promise<JourneyDefinition | undefined> {
  const key = `${journeyId}:${version}`;
  const cached = versionCache.get(key);
  if (cached) return cached;
  const row = await db
    .selectFrom('journey_versions')
    .select('definition')
    .where('workspace_id', '=', workspaceId)
    .where('journey_id', '=', journeyId)
    .where('version', '=', version)
    .executeTakeFirst();
  if (!row) return undefined;
  const def = row.definition as unknown as JourneyDefinition;
  if (versionCache.size > 1000) versionCache.clear();
  versionCache.set(key, def);
  return def;
}

export async function lockEnrollment(trx: Executor, id: string): Promise<EnrollmentRow | undefined> {
  return trx
    .selectFrom('journey_enrollments')
    .selectAll()
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
}

export async function findEnrollment(db: Executor, id: string): Promise<EnrollmentRow | undefined> {
  return db.selectFrom('journey_enrollments').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Open enrollments of a contact (to wake them when something happens to the contact). */
export async function listOpenEnrollmentsOfContacts(
  db: Executor,
  workspaceId: string,
  contactIds: string[],
): Promise<Pick<EnrollmentRow, 'id' | 'seq' | 'journey_id' | 'contact_id' | 'version'>[]> {
  if (contactIds.length === 0) return [];
  return db
    .selectFrom('journey_enrollments')
    .select(['id', 'seq', 'journey_id', 'contact_id', 'version'])
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', 'in', contactIds)
    .where('status', 'in', [...OPEN_STATUSES])
    .execute();
}

/** Activities of a contact since a time, newest first (what conditions and event waits look at). */
export async function activitiesSince(
  db: Executor,
  workspaceId: string,
  contactId: string,
  since: Date,
): Promise<{ type: string; ref: string | null; occurred_at: Date }[]> {
  return db
    .selectFrom('activities')
    .select(['type', 'ref', 'occurred_at'])
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .where('occurred_at', '>=', since)
    .orderBy('occurred_at', 'desc')
    .limit(1000)
    .execute();
}

export interface StepCounters {
  stepId: string;
  entered: number;
  completed: number;
  waiting: number;
  active: number;
  exited: number;
  goal: number;
}

/** Per step: how many entered, completed, are waiting or in progress, exited, reached a goal there. */
export async function stepCounters(
  db: Executor,
  workspaceId: string,
  journeyId: string,
): Promise<StepCounters[]> {
  const runs = await sql<{
    step_id: string;
    entered: string;
    completed: string;
    exited: string;
    goal: string;
  }>`
    SELECT step_id, count(*) AS entered,
           count(*) FILTER (WHERE outcome IN ('completed', 'skipped')) AS completed,
           count(*) FILTER (WHERE outcome = 'exited') AS exited,
           count(*) FILTER (WHERE outcome = 'goal') AS goal
      FROM journey_step_runs WHERE workspace_id = ${workspaceId} AND journey_id = ${journeyId}
     GROUP BY step_id`.execute(db);
  const open = await sql<{ step_id: string; status: string; n: string }>`
    SELECT step_id, status, count(*) AS n FROM journey_enrollments
     WHERE workspace_id = ${workspaceId} AND journey_id = ${journeyId} AND status IN ('active', 'waiting')
     GROUP BY step_id, status`.execute(db);
  const out = new Map<string, StepCounters>();
  const get = (stepId: string) => {
    let c = out.get(stepId);
    if (!c) {
      c = { stepId, entered: 0, completed: 0, waiting: 0, active: 0, exited: 0, goal: 0 };
      out.set(stepId, c);
    }
    return c;
  };
  for (const r of runs.rows) {
    const c = get(r.step_id);
    c.entered = Number(r.entered);
    c.completed = Number(r.completed);
    c.exited = Number(r.exited);
    c.goal = Number(r.goal);
  }
  for (const r of open.rows) {
    if (r.step_id === null) continue;
    const c = get(r.step_id);
    if (r.status === 'waiting') c.waiting = Number(r.n);
    else c.active = Number(r.n);
  }
  return [...out.values()];
}

export interface JourneyTotals {
  entered: number;
  inside: number;
  completed: number;
  exited: number;
  goal: number;
}

export async function journeyTotals(
  db: Executor,
  workspaceId: string,
  journeyId: string,
): Promise<JourneyTotals> {
  const r = await sql<{ status: string; n: string }>`
    SELECT status, count(*) AS n FROM journey_enrollments
     WHERE workspace_id = ${workspaceId} AND journey_id = ${journeyId} GROUP BY status`.execute(db);
  const t: JourneyTotals = { entered: 0, inside: 0, completed: 0, exited: 0, goal: 0 };
  for (const row of r.rows) {
    const n = Number(row.n);
    t.entered += n;
    if (row.status === 'active' || row.status === 'waiting') t.inside += n;
    else if (row.status === 'completed') t.completed += n;
    else if (row.status === 'exited') t.exited += n;
    else if (row.status === 'goal') t.goal += n;
  }
  return t;
}
