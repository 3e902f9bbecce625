import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import { DateTime } from 'luxon';
import type { Executor } from '../../shared/db/index.js';
import { defineJob, type JobContext, PermanentJobError } from '../../shared/jobs/index.js';
import type { ActivityRow, AppDeps } from '../../shared/module.js';
import { segmentUsesScores, selectionMembersAmong } from '../contacts/index.js';
import { scoresBefore } from '../scoring/index.js';
import type { JourneyDefinition, Trigger } from './definition.js';
import { enrollContacts, type RunnerDeps, wakeEnrollments } from './journey-runner.js';
import { findJourney, findVersion, OPEN_STATUSES } from './journeys.repository.js';

/*
 * Triggers that are not one timeline entry:
 *
 * - `segment-entered` after activation and `score-crossed`: whenever something happens to a
 *   contact (a timeline entry the journeys handler receives: profile edits, imports, form
 *   submissions, consent, scoring, events …), the contacts of that batch — and only those — are
 *   checked against the trigger (`journeys.check-entry`, enqueued by the journeys handler, which
 *   runs `after` scoring's: the scores of those entries are written when the check is enqueued).
 *   Membership changes only when something happens to the contact or its data, so nothing sweeps
 *   all contacts; the activation itself still walks the segment once (`journeys.enroll-segment`).
 * - `date-field` ("7 days before custom.event_date, at 09:00"): a date is not an event, so an
 *   hourly job asks, per active journey with this trigger, for the contacts whose date is due
 *   today and whose local entry time has come — one query per journey and hour that returns only
 *   today's matches; the occurrence in the enrollment's source keeps a contact from entering twice
 *   for the same date, whatever the re-entry policy.
 * - Scores that a recompute after a rule or settings change moved write no timeline entry: scoring
 *   enqueues one `journeys.check-score-changes` per recompute batch whose scores changed (the ids
 *   of those contacts and the batch's time), which schedules the same checks for them.
 * - A contact merge: the merged-away contact's open enrollments follow the surviving contact;
 *   where the survivor is already inside the same journey, the merged-away one ends (`merged`).
 */

export const CHECK_ENTRY_JOB = defineJob({
  name: 'journeys.check-entry',
  lane: 'default',
  maxAttempts: 8,
  schema: Type.Object({
    journeyId: Type.String(),
    contactIds: Type.Array(Type.String(), { minItems: 1, maxItems: 500 }),
    /**
     * Score triggers: per contact, when the batch that caused the check happened (ISO). Scores
     * recorded before it are the contact's "before"; only a crossing from below counts.
     */
    since: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 40 }))),
  }),
  async handler() {
    throw new PermanentJobError('journeys.check-entry runs in the journeys module');
  },
});

export const DATE_TRIGGERS_JOB = defineJob({
  name: 'journeys.date-triggers',
  lane: 'bulk',
  maxAttempts: 3,
  schema: Type.Object({}),
  async handler() {
    throw new PermanentJobError('journeys.date-triggers runs in the journeys module');
  },
});

/**
 * Checks were once enqueued this long after their entries, in the hope that scoring had applied
 * them by then (under load or after a failed scoring attempt it had not, and a crossing was
 * missed). Now the journeys handler runs after scoring's; the constant only dates old checks.
 */
const LEGACY_CHECK_DELAY_MS = 5_000;

/**
 * How far back a score check looks for the "before" of a batch at most: a timeline entry stamped
 * long ago (an import of old activities) must not compare today's score with last year's.
 */
const SINCE_LOOKBACK_MS = 3_600_000;

/** The condition a contact must meet to enter by a segment or score trigger, as a contacts selection. */
function selectionOf(trigger: Trigger): { segmentId?: string; filter?: unknown } | undefined {
  if (trigger.type === 'segment-entered') return { segmentId: trigger.segmentId };
  if (trigger.type === 'score-crossed')
    return {
      filter: {
        kind: 'group',
        op: 'and',
        children: [{ kind: 'score', score: trigger.score, operator: 'gte', value: trigger.threshold }],
      },
    };
  return undefined;
}

/** Called by the activity handler: schedules the membership/score check of the batch's contacts. */
export async function scheduleEntryChecks(
  trx: Executor,
  deps: Pick<AppDeps, 'queue' | 'clock'>,
  workspaceId: string,
  activities: ActivityRow[],
): Promise<void> {
  const journeys = await checkedJourneys(trx, workspaceId);
  if (journeys.length === 0) return;
  // A contact's own journey entries and exits do not change what it is.
  const own = activities.filter((a) => !a.type.startsWith('journeys.'));
  const contactIds = [...new Set(own.map((a) => a.contact_id))];
  if (contactIds.length === 0) return;
  const newest = activities.reduce((a, b) => (BigInt(a.id) > BigInt(b.id) ? a : b));
  await enqueueChecks(trx, deps, workspaceId, journeys, contactIds, batchStarts(own, deps.clock.now()), {
    delayMs: 0,
    key: `a${newest.id}`,
  });
}

/**
 * `journeys.check-score-changes`: the contacts whose scores a recompute batch changed get the same
 * checks as after a timeline entry — at once (their scores are written), their "before" being the
 * history before the batch's time. Nothing when no active journey has a segment or score trigger.
 */
export async function checkScoreChanges(
  deps: Pick<AppDeps, 'queue' | 'clock'>,
  payload: { contactIds: string[]; at: string },
  ctx: JobContext,
): Promise<void> {
  const workspaceId = ctx.job.workspaceId;
  if (!workspaceId) throw new PermanentJobError('no workspace');
  const journeys: CheckedJourney[] = [];
  for (const j of await checkedJourneys(ctx.db, workspaceId))
    if (await reactsToScores(ctx.db, workspaceId, j)) journeys.push(j);
  if (journeys.length === 0) return;
  const at = new Date(payload.at);
  if (Number.isNaN(at.getTime())) throw new PermanentJobError('at is not a time');
  const contactIds = [...new Set(payload.contactIds)];
  await ctx.completeWith((trx) =>
    enqueueChecks(trx, deps, workspaceId, journeys, contactIds, new Map(contactIds.map((id) => [id, at])), {
      delayMs: 0,
      key: `s${ctx.job.id}`,
    }),
  );
}

/**
 * Whether a change of scores alone can let contacts into the journey: a score trigger, or a segment
 * trigger whose segment looks at scores. (A segment trigger lets in whoever is a member and may enter
 * whenever something happens to them; a recompute must not re-check a whole workspace for segments
 * that scores cannot change.)
 */
async function reactsToScores(db: Executor, workspaceId: string, j: CheckedJourney): Promise<boolean> {
  if (j.trigger_type === 'score-crossed') return true;
  if (j.live_version === null) return false;
  const def = await findVersion(db, workspaceId, j.id, j.live_version);
  return (
    def?.trigger.type === 'segment-entered' &&
    (await segmentUsesScores(db, workspaceId, def.trigger.segmentId))
  );
}

type CheckedJourney = { id: string; trigger_type: string | null; live_version: number | null };

/** The active journeys that a segment or score trigger lets contacts into. */
function checkedJourneys(db: Executor, workspaceId: string): Promise<CheckedJourney[]> {
  return db
    .selectFrom('journeys')
    .select(['id', 'trigger_type', 'live_version'])
    .where('workspace_id', '=', workspaceId)
    .where('status', '=', 'active')
    .where('trigger_type', 'in', ['segment-entered', 'score-crossed'])
    .execute();
}

/** One `journeys.check-entry` per journey and 500 contacts. */
async function enqueueChecks(
  trx: Executor,
  deps: Pick<AppDeps, 'queue'>,
  workspaceId: string,
  journeys: CheckedJourney[],
  contactIds: string[],
  since: Map<string, Date>,
  options: { delayMs: number; key: string },
): Promise<void> {
  for (const j of journeys) {
    for (let i = 0; i < contactIds.length; i += 500) {
      const ids = contactIds.slice(i, i + 500);
      await deps.queue.enqueue(
        trx,
        CHECK_ENTRY_JOB,
        {
          journeyId: j.id,
          contactIds: ids,
          ...(j.trigger_type === 'score-crossed'
            ? { since: Object.fromEntries(ids.map((id) => [id, since.get(id)!.toISOString()])) }
            : {}),
        },
        { workspaceId, delayMs: options.delayMs, idempotencyKey: `${j.id}:${options.key}:${i}` },
      );
    }
  }
}

/** Per contact, the earliest entry of the batch (not earlier than an hour before `now`). */
function batchStarts(activities: ActivityRow[], now: Date): Map<string, Date> {
  const floor = now.getTime() - SINCE_LOOKBACK_MS;
  const starts = new Map<string, Date>();
  for (const a of activities) {
    const at = Math.max(new Date(a.occurred_at).getTime(), floor);
    const known = starts.get(a.contact_id);
    if (!known || at < known.getTime()) starts.set(a.contact_id, new Date(at));
  }
  return starts;
}

/**
 * Of the contacts that meet a score trigger now, those whose score was below the threshold before
 * their batch: the newest `score_history` row older than the batch (scoring writes one whenever a
 * score changes; none means the contact's scores were still 0), its engagement decayed to the
 * batch's start. A contact above the threshold never re-enters on its next activity, while an
 * engagement that sank below it by decay alone (no rescore in between) and rises again is a new
 * crossing.
 */
async function crossedFromBelow(
  db: Executor,
  workspaceId: string,
  trigger: Extract<Trigger, { type: 'score-crossed' }>,
  since: Map<string, Date>,
): Promise<Set<string>> {
  const before = await scoresBefore(db, workspaceId, since);
  const below = new Set<string>();
  for (const [contactId, scores] of before)
    if ((trigger.score === 'fit' ? scores.fit : scores.engagement) < trigger.threshold) below.add(contactId);
  return below;
}

/** `journeys.check-entry`: lets in those of the contacts that now meet the trigger. */
export async function checkEntry(
  deps: RunnerDeps & Pick<AppDeps, 'db'>,
  payload: { journeyId: string; contactIds: string[]; since?: Record<string, string> },
  ctx: JobContext,
): Promise<void> {
  const workspaceId = ctx.job.workspaceId;
  if (!workspaceId) throw new PermanentJobError('no workspace');
  const j = await findJourney(ctx.db, workspaceId, payload.journeyId);
  if (j?.status !== 'active' || j.live_version === null) return;
  const def = await findVersion(ctx.db, workspaceId, j.id, j.live_version);
  const selection = def && selectionOf(def.trigger);
  if (!def || !selection) return;
  const inside = new Set(
    (
      await ctx.db
        .selectFrom('journey_enrollments')
        .select('contact_id')
        .where('workspace_id', '=', workspaceId)
        .where('journey_id', '=', j.id)
        .where('contact_id', 'in', payload.contactIds)
        .where('status', 'in', [...OPEN_STATUSES])
        .execute()
    ).map((r) => r.contact_id),
  );
  const candidates = payload.contactIds.filter((id) => !inside.has(id));
  // One query for the whole batch (a recompute checks thousands of contacts).
  const meeting = await selectionMembersAmong(ctx.db, deps.clock, workspaceId, selection, candidates);
  let matching = candidates.filter((id) => meeting.has(id));
  if (def.trigger.type === 'score-crossed' && matching.length > 0) {
    // A check enqueued without `since` (before it existed) was scheduled LEGACY_CHECK_DELAY_MS ago.
    const fallback = new Date(deps.clock.now().getTime() - LEGACY_CHECK_DELAY_MS);
    const since = new Map(
      matching.map((id) => {
        const at = payload.since?.[id];
        return [id, at ? new Date(at) : fallback] as const;
      }),
    );
    const below = await crossedFromBelow(ctx.db, workspaceId, def.trigger, since);
    matching = matching.filter((id) => below.has(id));
  }
  await ctx.completeWith(async (trx) => {
    if (matching.length === 0) return;
    await enrollContacts(trx, deps, {
      workspaceId,
      journeyId: j.id,
      contactIds: matching,
      source: `trigger:${def.trigger.type}`,
    });
  });
}

/** The day (yyyy-mm-dd) whose field date makes the trigger due now, or undefined before its time today. */
export function dueFieldDate(
  trigger: Extract<Trigger, { type: 'date-field' }>,
  zone: string,
  now: Date,
): string | undefined {
  const local = DateTime.fromJSDate(now, { zone });
  const [h, m] = trigger.time.split(':').map(Number) as [number, number];
  if (local.hour * 60 + local.minute < h * 60 + m) return undefined;
  return local.minus({ days: trigger.offsetDays }).toISODate() ?? undefined;
}

/** `journeys.date-triggers` (hourly): contacts whose date field makes them due today enter. */
export async function runDateTriggers(deps: RunnerDeps, ctx: JobContext): Promise<void> {
  const journeys = await ctx.db
    .selectFrom('journeys')
    .select(['id', 'workspace_id', 'live_version'])
    .where('status', '=', 'active')
    .where('trigger_type', '=', 'date-field')
    .execute();
  const now = deps.clock.now();
  for (const j of journeys) {
    if (j.live_version === null) continue;
    const def: JourneyDefinition | undefined = await findVersion(
      ctx.db,
      j.workspace_id,
      j.id,
      j.live_version,
    );
    if (def?.trigger.type !== 'date-field') continue;
    const day = dueFieldDate(def.trigger, def.timeZone, now);
    if (!day) continue;
    const field = def.trigger.field;
    const key = field.slice('custom.'.length);
    // The occurrence (field and date) is part of the source: whatever the re-entry policy, a
    // contact enters once per occurrence — a retried job, the next hourly run, a 25-hour DST day.
    const source = `trigger:date-field:${field}:${day}`;
    let after = '00000000-0000-0000-0000-000000000000';
    for (;;) {
      const page = await ctx.db.transaction().execute(async (trx) => {
        // Two runs at once (a retry beside the next hourly run) take turns per journey, so the
        // second one sees the first one's entries.
        await trx
          .selectFrom('journeys')
          .select('id')
          .where('workspace_id', '=', j.workspace_id)
          .where('id', '=', j.id)
          .forNoKeyUpdate()
          .execute();
        // A date-only value or an ISO timestamp starting with the day; a missed hour is caught up
        // later the same day. Entries of the last 24 hours (before the occurrence was part of the
        // source) keep a contact out as well.
        const rows = await sql<{ id: string }>`
          SELECT c.id FROM contacts c
           WHERE c.workspace_id = ${j.workspace_id} AND c.merged_into_contact_id IS NULL
             AND left(c.custom_fields ->> ${key}, 10) = ${day} AND c.id > ${after}
             AND NOT EXISTS (SELECT 1 FROM journey_enrollments e
                              WHERE e.workspace_id = c.workspace_id AND e.journey_id = ${j.id} AND e.contact_id = c.id
                                AND (e.status IN ('active', 'waiting') OR e.source = ${source}
                                     OR e.entered_at >= ${new Date(now.getTime() - 86_400_000)}))
           ORDER BY c.id LIMIT 1000`.execute(trx);
        if (rows.rows.length > 0)
          await enrollContacts(trx, deps, {
            workspaceId: j.workspace_id,
            journeyId: j.id,
            contactIds: rows.rows.map((r) => r.id),
            source,
          });
        return rows.rows;
      });
      if (page.length === 0) break;
      after = page[page.length - 1]!.id;
      if (page.length < 1000) break;
    }
  }
}

/**
 * After a merge (`contacts.merged` on the surviving contact): the open enrollments of the contacts
 * merged into it move to it, or end with reason `merged` where it is already inside that journey.
 * Moved enrollments are woken so that they continue with the survivor's data.
 */
export async function followMerges(
  trx: Executor,
  deps: RunnerDeps,
  workspaceId: string,
  activities: ActivityRow[],
): Promise<void> {
  const winners = [
    ...new Set(activities.filter((a) => a.type === 'contacts.merged').map((a) => a.contact_id)),
  ];
  if (winners.length === 0) return;
  const now = deps.clock.now();
  const losers = await trx
    .selectFrom('journey_enrollments as e')
    .innerJoin('contacts as c', (j) =>
      j.onRef('c.id', '=', 'e.contact_id').onRef('c.workspace_id', '=', 'e.workspace_id'),
    )
    .select(['e.id', 'e.journey_id', 'e.seq', 'c.merged_into_contact_id as winner'])
    .where('e.workspace_id', '=', workspaceId)
    .where('c.merged_into_contact_id', 'in', winners)
    .where('e.status', 'in', [...OPEN_STATUSES])
    .orderBy('e.id')
    .forUpdate()
    .execute();
  if (losers.length === 0) return;
  const winnerOpen = await trx
    .selectFrom('journey_enrollments')
    .select(['journey_id', 'contact_id'])
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', 'in', winners)
    .where('status', 'in', [...OPEN_STATUSES])
    .execute();
  const taken = new Set(winnerOpen.map((r) => `${r.contact_id}:${r.journey_id}`));
  const moved: { id: string; seq: number }[] = [];
  for (const l of losers) {
    const key = `${l.winner}:${l.journey_id}`;
    if (l.winner === null) continue;
    if (taken.has(key)) {
      await trx
        .updateTable('journey_enrollments')
        .set({ status: 'exited', exit_reason: 'merged', ended_at: now, updated_at: now, seq: l.seq + 1 })
        .where('id', '=', l.id)
        .execute();
      await trx
        .updateTable('journey_step_runs')
        .set({ outcome: 'exited', detail: JSON.stringify({ reason: 'merged' }), completed_at: now })
        .where('enrollment_id', '=', l.id)
        .where('seq', '=', l.seq)
        .execute();
      continue;
    }
    taken.add(key);
    await trx
      .updateTable('journey_enrollments')
      .set({ contact_id: l.winner, updated_at: now })
      .where('id', '=', l.id)
      .execute();
    moved.push({ id: l.id, seq: l.seq });
  }
  await wakeEnrollments(trx, deps, workspaceId, moved, `merged:${now.getTime()}`);
}
