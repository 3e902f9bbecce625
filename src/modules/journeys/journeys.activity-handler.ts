import { sql } from 'kysely';
import type { ActivityHandler, ActivityRow, AppDeps } from '../../shared/module.js';
import { UPDATE_SCORES_HANDLER } from '../scoring/index.js';
import type { JourneyDefinition, Trigger } from './definition.js';
import { enrollContacts, wakeEnrollments } from './journey-runner.js';
import { findVersion, listOpenEnrollmentsOfContacts, OPEN_STATUSES } from './journeys.repository.js';
import { followMerges, scheduleEntryChecks } from './triggers.js';

/*
 * Journeys react to the timeline (contacts' activity dispatch, docs/contracts.md): a timeline entry
 * can start a journey (its trigger) and wakes the journeys the contact is in, so that exit rules,
 * goals and "wait until something happens" react within seconds instead of at the next timer.
 * Delivery is at least once: entering is idempotent (one open enrollment per contact and journey,
 * re-entry policy), and a wake-up of an enrollment whose step has moved on does nothing.
 */

/** Which trigger types an activity type can fire. */
function triggerTypesFor(type: string): Trigger['type'][] {
  const out: Trigger['type'][] = ['activity'];
  if (type === 'capture.form-submitted') out.push('form-submitted');
  if (type === 'consent.confirmed') out.push('consent-confirmed');
  if (type === 'contacts.stage-changed') out.push('stage-changed');
  return out;
}

/** Whether an activity fires a trigger (pure). */
export function matchesTrigger(trigger: Trigger, a: Pick<ActivityRow, 'type' | 'ref' | 'data'>): boolean {
  switch (trigger.type) {
    case 'form-submitted':
      return a.type === 'capture.form-submitted' && (!trigger.formId || a.ref === `form:${trigger.formId}`);
    case 'consent-confirmed': {
      if (a.type !== 'consent.confirmed') return false;
      const purposes = (a.data as { purposes?: unknown }).purposes;
      return !trigger.purpose || (Array.isArray(purposes) && purposes.includes(trigger.purpose));
    }
    case 'activity':
      return a.type === trigger.activityType && (trigger.ref === undefined || a.ref === trigger.ref);
    case 'stage-changed': {
      if (a.type !== 'contacts.stage-changed') return false;
      const to = (a.data as { to?: unknown }).to;
      return !trigger.stages || (typeof to === 'string' && trigger.stages.includes(to));
    }
    default:
      return false;
  }
}

export const JOURNEY_ACTIVITY_TYPES = [
  'capture.*',
  'consent.*',
  'mail.opened',
  'mail.clicked',
  'mail.bounced',
  'mail.complained',
  'events.*',
  'scoring.*',
  'sales.*',
  'contacts.*',
  // The answer to a journey's question (the page records it; other journeys.* entries are our own steps).
  'journeys.question-answered',
] as const;

/**
 * Whether an activity can matter to a contact waiting in this definition: an event wait, goal or
 * exit rule names its type, or a goal or exit rule looks at data (stage, fields, tags, segments)
 * that the activity may have changed.
 */
export function definitionWatches(def: JourneyDefinition, type: string): boolean {
  const rules = JSON.stringify([def.goals, def.exitRules]);
  if (/"type":"(stage|field|tag|segment)"/.test(rules)) return true;
  return JSON.stringify([def.steps, def.goals, def.exitRules]).includes(`"${type}"`);
}

async function handleActivities(
  deps: AppDeps,
  workspaceId: string,
  activities: ActivityRow[],
): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    // A merge first: the merged-away contact's enrollments follow the survivor before anything else.
    await followMerges(trx, deps, workspaceId, activities);
    await scheduleEntryChecks(trx, deps, workspaceId, activities);
    const triggerTypes = [...new Set(activities.flatMap((a) => triggerTypesFor(a.type)))];
    const journeys = await trx
      .selectFrom('journeys')
      .select(['id', 'live_version'])
      .where('workspace_id', '=', workspaceId)
      .where('status', '=', 'active')
      .where('trigger_type', 'in', triggerTypes)
      .execute();
    for (const j of journeys) {
      if (j.live_version === null) continue;
      const def: JourneyDefinition | undefined = await findVersion(trx, workspaceId, j.id, j.live_version);
      if (!def) continue;
      const contactIds = activities.filter((a) => matchesTrigger(def.trigger, a)).map((a) => a.contact_id);
      if (contactIds.length === 0) continue;
      await enrollContacts(trx, deps, {
        workspaceId,
        journeyId: j.id,
        contactIds,
        source: `trigger:${def.trigger.type}`,
      });
    }
    const contactIds = [...new Set(activities.map((a) => a.contact_id))];
    const candidates = await listOpenEnrollmentsOfContacts(trx, workspaceId, contactIds);
    const open = [];
    for (const e of candidates) {
      const def = await findVersion(trx, workspaceId, e.journey_id, e.version);
      const types = activities.filter((a) => a.contact_id === e.contact_id).map((a) => a.type);
      if (def && types.some((t) => definitionWatches(def, t))) open.push(e);
    }
    if (open.length === 0) return;
    // One wake-up per enrollment and newest activity: a redelivery of the same batch is deduplicated.
    const newest = activities.reduce((a, b) => (BigInt(a.id) > BigInt(b.id) ? a : b));
    await wakeEnrollments(trx, deps, workspaceId, open, `a${newest.id}`);
  });
}

/**
 * The delivery's cheap filter (one statement, no transaction): handleActivities does nothing unless
 * an entry is a merge, an active journey has a trigger this batch can fire (or re-checks entries:
 * segment, score), or a contact of the batch is inside a journey — the usual case of a workspace
 * without journeys or of contacts outside them costs this one read instead of a transaction.
 */
async function selectActivities(
  deps: AppDeps,
  workspaceId: string,
  activities: ActivityRow[],
): Promise<ActivityRow[]> {
  if (activities.some((a) => a.type === 'contacts.merged')) return activities;
  const triggerTypes = [
    ...new Set([...activities.flatMap((a) => triggerTypesFor(a.type)), 'segment-entered', 'score-crossed']),
  ];
  const contactIds = [...new Set(activities.map((a) => a.contact_id))];
  const r = await sql<{
    hit: boolean;
  }>`SELECT (EXISTS (SELECT 1 FROM journeys WHERE workspace_id = ${workspaceId}
        AND status = 'active' AND trigger_type IN (${sql.join(triggerTypes)}))
      OR EXISTS (SELECT 1 FROM journey_enrollments WHERE workspace_id = ${workspaceId}
        AND contact_id IN (${sql.join(contactIds)}) AND status IN (${sql.join([...OPEN_STATUSES])}))) AS hit`.execute(
    deps.db,
  );
  return r.rows[0]?.hit ? activities : [];
}

export function journeyActivityHandlers(): ActivityHandler[] {
  return [
    {
      name: 'journeys.react-to-activities',
      types: JOURNEY_ACTIVITY_TYPES,
      // Score and segment triggers are checked against the scores these entries lead to, and
      // steps may branch on them: scoring applies the same entries first.
      after: [UPDATE_SCORES_HANDLER],
      select: (deps, input) => selectActivities(deps, input.workspaceId, input.activities),
      handle: (deps, input) => handleActivities(deps, input.workspaceId, input.activities),
    },
  ];
}
