import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import type { Actor } from '../../shared/actor.js';
import type { Executor } from '../../shared/db/index.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { defineJob, type JobContext, PermanentJobError } from '../../shared/jobs/index.js';
import type { AppDeps } from '../../shared/module.js';
import { recordAudit } from '../audit/index.js';
import { findContactById, isContactInSegment, listSegmentMemberIds } from '../contacts/index.js';
import { defaultDefinition, type JourneyDefinition, segmentsIn, validateDefinition } from './definition.js';
import { enrollContacts, type JourneyWiring, type RunnerDeps, wakeEnrollments } from './journey-runner.js';
import {
  findJourney,
  findVersion,
  type JourneyRow,
  journeyTotals,
  OPEN_STATUSES,
  stepCounters,
} from './journeys.repository.js';
import { type Facts, stepsNeedingMapping } from './machine.js';
import { type SimulatedActivity, simulateJourney } from './simulate.js';

type Deps = Pick<AppDeps, 'db' | 'clock' | 'queue' | 'config' | 'log'>;

export const ENROLL_SEGMENT_JOB = defineJob({
  name: 'journeys.enroll-segment',
  // Entry pages run beside the mails of the contacts that entered before them, not ahead of them:
  // a lane other than the mails' `bulk` lane, so the first mails go out while later pages still
  // enter (in the bulk lane at a higher priority every page ran first and the mails only after the
  // last one: 100,000 contacts took entry + send instead of about the send alone). Below the lane's
  // other work, so a large activation never holds up transactional jobs.
  lane: 'default',
  priority: -1,
  maxAttempts: 10,
  schema: Type.Object({
    journeyId: Type.String(),
    /** A page: members after this id (none: from the start). */
    afterId: Type.Optional(Type.String()),
    /** A page of a plan: members up to and including this id (none: to the end). */
    throughId: Type.Optional(Type.String()),
    /** A page of a plan (without it and without afterId, the job is the plan). */
    page: Type.Optional(Type.Boolean()),
  }),
  async handler() {
    throw new PermanentJobError('journeys.enroll-segment runs in the journeys module');
  },
});

/** Contacts of a segment added per job (a crash resumes at its page). */
export const SEGMENT_PAGE = 1000;
/** Member ids the plan reads per statement while it cuts the segment into pages. */
const PLAN_READ = 50_000;

async function mustFind(db: Executor, workspaceId: string, id: string, lock = false): Promise<JourneyRow> {
  let q = db.selectFrom('journeys').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id);
  if (lock) q = q.forUpdate();
  const j = await q.executeTakeFirst();
  if (!j) throw new AppError('JOURNEY_NOT_FOUND');
  return j;
}

/** Creates a draft journey (a valid definition, or the default one). */
export async function createJourney(
  deps: Deps,
  actor: Actor,
  workspaceId: string,
  input: { name: string; definition?: unknown },
): Promise<JourneyRow> {
  const def = input.definition === undefined ? defaultDefinition() : validateDefinition(input.definition);
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('journeys')
      .values({
        id: newId(),
        workspace_id: workspaceId,
        name: input.name.trim(),
        draft: JSON.stringify(def),
        live_version: null,
        trigger_type: null,
        created_by: actor.userId,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'journeys.created',
      targetType: 'journey',
      targetId: row.id,
      details: { name: row.name },
    });
    return row;
  });
}

/** Saves the editor's draft; the running version is untouched until the draft is published. */
export async function updateJourneyDraft(
  deps: Deps,
  actor: Actor,
  workspaceId: string,
  id: string,
  input: { name?: string | undefined; definition?: unknown },
): Promise<JourneyRow> {
  const def = input.definition === undefined ? undefined : validateDefinition(input.definition);
  return deps.db.transaction().execute(async (trx) => {
    const j = await mustFind(trx, workspaceId, id, true);
    if (j.status === 'archived') throw new AppError('JOURNEY_STATE_INVALID');
    const row = await trx
      .updateTable('journeys')
      .set({
        ...(input.name !== undefined ? { name: input.name.trim() } : {}),
        ...(def ? { draft: JSON.stringify(def) } : {}),
        updated_at: deps.clock.now(),
      })
      .where('id', '=', j.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'journeys.draft-saved',
      targetType: 'journey',
      targetId: id,
    });
    return row;
  });
}

/**
 * Publishes the draft as the next version. Contacts inside stay where they are if the new version
 * still has their step (their waits count from when they got there, under the new rules), and move
 * to the step `moveContacts` names otherwise; a removed step with contacts and no target refuses
 * the edit (JOURNEY_STEP_MAPPING_REQUIRED, details.steps), so no contact is ever lost.
 */
export async function publishJourney(
  deps: Deps,
  actor: Actor,
  workspaceId: string,
  id: string,
  input: { moveContacts?: Record<string, string> | undefined } = {},
): Promise<JourneyRow> {
  const now = deps.clock.now();
  const mapping = input.moveContacts ?? {};
  return deps.db.transaction().execute(async (trx) => {
    const j = await mustFind(trx, workspaceId, id, true);
    if (j.status === 'archived') throw new AppError('JOURNEY_STATE_INVALID');
    const def = validateDefinition(j.draft);
    const occupied = await trx
      .selectFrom('journey_enrollments')
      .select('step_id')
      .distinct()
      .where('workspace_id', '=', workspaceId)
      .where('journey_id', '=', id)
      .where('status', 'in', [...OPEN_STATUSES])
      .execute();
    const missing = stepsNeedingMapping(
      def,
      occupied.map((o) => o.step_id).filter((s): s is string => s !== null),
      mapping,
    );
    if (missing.length > 0) throw new AppError('JOURNEY_STEP_MAPPING_REQUIRED', { steps: missing });
    const version = (j.live_version ?? 0) + 1;
    await trx
      .insertInto('journey_versions')
      .values({
        workspace_id: workspaceId,
        journey_id: id,
        version,
        definition: JSON.stringify(def),
        published_at: now,
        published_by: actor.userId,
      })
      .execute();
    const row = await trx
      .updateTable('journeys')
      .set({ live_version: version, trigger_type: def.trigger.type, updated_at: now })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (occupied.length > 0) await moveEnrollments(trx, deps, workspaceId, id, def, version, mapping, now);
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'journeys.published',
      targetType: 'journey',
      targetId: id,
      details: { version, moved: mapping },
    });
    return row;
  });
}

async function moveEnrollments(
  trx: Executor,
  deps: Deps,
  workspaceId: string,
  journeyId: string,
  def: JourneyDefinition,
  version: number,
  mapping: Record<string, string>,
  now: Date,
): Promise<void> {
  const ids = new Set(def.steps.map((s) => s.id));
  for (const [from, to] of Object.entries(mapping)) {
    if (ids.has(from) || !ids.has(to)) continue;
    // The step they were on ends as "moved"; the mapped step is a new visit with its own seq.
    await sql`UPDATE journey_step_runs r SET outcome = 'skipped', completed_at = ${now},
        detail = jsonb_build_object('movedTo', ${to}::text)
      FROM journey_enrollments e
      WHERE e.journey_id = ${journeyId} AND e.workspace_id = ${workspaceId} AND e.step_id = ${from}
        AND e.status IN ('active', 'waiting') AND r.enrollment_id = e.id AND r.seq = e.seq`.execute(trx);
    await sql`WITH moved AS (
        UPDATE journey_enrollments SET step_id = ${to}, seq = seq + 1, status = 'active',
          step_entered_at = ${now}, wait_until = NULL, updated_at = ${now}
        WHERE journey_id = ${journeyId} AND workspace_id = ${workspaceId} AND step_id = ${from}
          AND status IN ('active', 'waiting')
        RETURNING id, seq, workspace_id, journey_id, step_id)
      INSERT INTO journey_step_runs (enrollment_id, seq, workspace_id, journey_id, step_id, entered_at)
      SELECT id, seq, workspace_id, journey_id, step_id, ${now} FROM moved`.execute(trx);
  }
  await trx
    .updateTable('journey_enrollments')
    .set({ version })
    .where('workspace_id', '=', workspaceId)
    .where('journey_id', '=', journeyId)
    .where('status', 'in', [...OPEN_STATUSES])
    .execute();
  await wakeAll(trx, deps, workspaceId, journeyId, `v${version}`);
}

/** Every open enrollment re-evaluates (after an edit or a resume); batched enqueues. */
async function wakeAll(
  trx: Executor,
  deps: RunnerDeps,
  workspaceId: string,
  journeyId: string,
  reason: string,
) {
  let after: string | undefined;
  for (;;) {
    let q = trx
      .selectFrom('journey_enrollments')
      .select(['id', 'seq'])
      .where('workspace_id', '=', workspaceId)
      .where('journey_id', '=', journeyId)
      .where('status', 'in', [...OPEN_STATUSES]);
    if (after) q = q.where('id', '>', after);
    const rows = await q.orderBy('id').limit(2000).execute();
    if (rows.length === 0) return;
    await wakeEnrollments(trx, deps, workspaceId, rows, reason);
    after = rows[rows.length - 1]!.id;
  }
}

/** Starts a journey: publishes the draft if it has no version yet, then lets contacts in. */
export async function activateJourney(
  deps: Deps,
  actor: Actor,
  workspaceId: string,
  id: string,
): Promise<JourneyRow> {
  let j = await mustFind(deps.db, workspaceId, id);
  if (j.status === 'archived' || j.status === 'active') throw new AppError('JOURNEY_STATE_INVALID');
  if (j.live_version === null) j = await publishJourney(deps, actor, workspaceId, id);
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('journeys')
      .set({ status: 'active', updated_at: now })
      .where('id', '=', id)
      .where('workspace_id', '=', workspaceId)
      .returningAll()
      .executeTakeFirstOrThrow();
    const def = await findVersion(trx, workspaceId, id, row.live_version!);
    // A paused journey that is activated again continues like a resume.
    if (j.status === 'paused') await wakeAll(trx, deps, workspaceId, id, `resume:${now.getTime()}`);
    if (def?.trigger.type === 'segment-entered') {
      await deps.queue.enqueue(
        trx,
        ENROLL_SEGMENT_JOB,
        { journeyId: id },
        { workspaceId, idempotencyKey: `${id}:start` },
      );
    }
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'journeys.activated',
      targetType: 'journey',
      targetId: id,
    });
    return row;
  });
}

/** Pauses: nobody enters, nobody moves; contacts keep their places. */
export async function pauseJourney(
  deps: Deps,
  actor: Actor,
  workspaceId: string,
  id: string,
): Promise<JourneyRow> {
  return deps.db.transaction().execute(async (trx) => {
    const j = await mustFind(trx, workspaceId, id, true);
    if (j.status !== 'active') throw new AppError('JOURNEY_STATE_INVALID');
    const row = await trx
      .updateTable('journeys')
      .set({ status: 'paused', updated_at: deps.clock.now() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'journeys.paused',
      targetType: 'journey',
      targetId: id,
    });
    return row;
  });
}

/** Resumes a paused journey: every contact inside re-evaluates now (waits that ended meanwhile go on). */
export async function resumeJourney(
  deps: Deps,
  actor: Actor,
  workspaceId: string,
  id: string,
): Promise<JourneyRow> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const j = await mustFind(trx, workspaceId, id, true);
    if (j.status !== 'paused') throw new AppError('JOURNEY_STATE_INVALID');
    const row = await trx
      .updateTable('journeys')
      .set({ status: 'active', updated_at: now })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await wakeAll(trx, deps, workspaceId, id, `resume:${now.getTime()}`);
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'journeys.resumed',
      targetType: 'journey',
      targetId: id,
    });
    return row;
  });
}

/** Archives: the journey stops for good; contacts inside are exited. */
export async function archiveJourney(
  deps: Deps,
  actor: Actor,
  workspaceId: string,
  id: string,
): Promise<JourneyRow> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    await mustFind(trx, workspaceId, id, true);
    await trx
      .updateTable('journey_enrollments')
      .set({ status: 'exited', exit_reason: 'archived', ended_at: now, updated_at: now, seq: sql`seq + 1` })
      .where('workspace_id', '=', workspaceId)
      .where('journey_id', '=', id)
      .where('status', 'in', [...OPEN_STATUSES])
      .execute();
    const row = await trx
      .updateTable('journeys')
      .set({ status: 'archived', updated_at: now })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'journeys.archived',
      targetType: 'journey',
      targetId: id,
    });
    return row;
  });
}

/** Adds contacts by hand or by API (re-entry policy applies); returns how many entered. */
export async function addContactsToJourney(
  deps: Deps,
  actor: Actor,
  workspaceId: string,
  id: string,
  contactIds: string[],
): Promise<{ entered: number }> {
  return deps.db.transaction().execute(async (trx) => {
    const j = await mustFind(trx, workspaceId, id);
    if (j.status !== 'active') throw new AppError('JOURNEY_NOT_ACTIVE');
    const source = actor.userId ? `user:${actor.userId}` : 'api';
    const ids = await enrollContacts(trx, deps, { workspaceId, journeyId: id, contactIds, source });
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'journeys.contacts-added',
      targetType: 'journey',
      targetId: id,
      details: { requested: contactIds.length, entered: ids.length },
    });
    return { entered: ids.length };
  });
}

/**
 * The segment-entry trigger at activation. The first job is the plan: it reads the segment's member
 * ids in id order (PLAN_READ at a time, so memory stays flat at any size) and enqueues one page job
 * per SEGMENT_PAGE members, each naming its id range, in its own completing transaction — so the
 * pages run side by side on every worker instead of one after the other, and each exists once.
 * A page lists the members of its range when it runs, enrolls them and runs their first steps in
 * its completing transaction; a range that has grown past a page continues in a new job made in
 * that transaction. (A page without `throughId` is open-ended: the chain of pages of earlier
 * releases, and the plan's last page.)
 */
export async function enrollSegmentPage(
  deps: Deps,
  payload: {
    journeyId: string;
    afterId?: string | undefined;
    throughId?: string | undefined;
    page?: boolean | undefined;
  },
  ctx: JobContext,
  wiring: JourneyWiring = {},
): Promise<void> {
  const workspaceId = ctx.job.workspaceId;
  if (!workspaceId) throw new PermanentJobError('no workspace');
  const j = await findJourney(ctx.db, workspaceId, payload.journeyId);
  if (j?.status !== 'active' || j.live_version === null) return;
  const def = await findVersion(ctx.db, workspaceId, j.id, j.live_version);
  if (def?.trigger.type !== 'segment-entered') return;
  const segmentId = def.trigger.segmentId;
  if (!payload.page && payload.afterId === undefined) {
    // The plan: page boundaries are every SEGMENT_PAGE-th member id.
    const bounds: string[] = [];
    let after: string | undefined;
    for (;;) {
      const ids = await listSegmentMemberIds(ctx.db, deps.clock, workspaceId, segmentId, {
        afterId: after,
        limit: PLAN_READ,
      });
      for (let i = SEGMENT_PAGE - 1; i < ids.length; i += SEGMENT_PAGE) bounds.push(ids[i]!);
      if (ids.length < PLAN_READ) break;
      after = ids[ids.length - 1];
    }
    const pages = [...bounds, undefined].map((throughId, i) => ({
      journeyId: j.id,
      page: true,
      ...(i > 0 ? { afterId: bounds[i - 1]! } : {}),
      ...(throughId ? { throughId } : {}),
    }));
    await ctx.completeWith(async (trx) => {
      await deps.queue.enqueueMany(trx, ENROLL_SEGMENT_JOB, pages, {
        workspaceId,
        idempotencyKeys: pages.map((p) => `${j.id}:page:${p.afterId ?? 'start'}`),
      });
    });
    return;
  }
  const listed = await listSegmentMemberIds(ctx.db, deps.clock, workspaceId, segmentId, {
    afterId: payload.afterId,
    limit: SEGMENT_PAGE,
  });
  // uuids compare as their lower-case text does (PostgreSQL orders them byte by byte).
  const through = payload.throughId;
  const ids = through === undefined ? listed : listed.filter((id) => id <= through);
  await ctx.completeWith(async (trx) => {
    await enrollContacts(trx, deps, {
      workspaceId,
      journeyId: j.id,
      contactIds: ids,
      source: `segment:${segmentId}`,
      // The page's contacts take their first steps in this transaction (no run-steps jobs).
      runFirstSteps: { wiring },
    });
    if (ids.length === SEGMENT_PAGE) {
      const last = ids[ids.length - 1]!;
      if (through !== undefined && last === through) return;
      await deps.queue.enqueue(
        trx,
        ENROLL_SEGMENT_JOB,
        {
          journeyId: j.id,
          afterId: last,
          ...(through !== undefined ? { throughId: through, page: true } : {}),
        },
        { workspaceId, idempotencyKey: `${j.id}:${last}` },
      );
    }
  });
}

export interface JourneyStats {
  totals: Awaited<ReturnType<typeof journeyTotals>>;
  steps: (Awaited<ReturnType<typeof stepCounters>>[number] & { conversion: number | null })[];
}

/** Per-step numbers (entered, completed, waiting, exited, goal reached) and conversion. */
export async function getJourneyStats(
  deps: Pick<Deps, 'db'>,
  workspaceId: string,
  id: string,
): Promise<JourneyStats> {
  await mustFind(deps.db, workspaceId, id);
  const [totals, steps] = await Promise.all([
    journeyTotals(deps.db, workspaceId, id),
    stepCounters(deps.db, workspaceId, id),
  ]);
  return {
    totals,
    steps: steps.map((s) => ({
      ...s,
      conversion: s.entered > 0 ? Math.round((s.completed / s.entered) * 1000) / 1000 : null,
    })),
  };
}

/** Runs the draft (or a version) for a test contact over a simulated clock; nothing is sent or written. */
export async function simulateForContact(
  deps: Pick<Deps, 'db' | 'clock'>,
  workspaceId: string,
  id: string,
  input: {
    contactId: string;
    days: number;
    version?: number | undefined;
    activities?: { afterHours: number; type: string; ref?: string | undefined }[] | undefined;
  },
) {
  const j = await mustFind(deps.db, workspaceId, id);
  const def =
    input.version !== undefined
      ? await findVersion(deps.db, workspaceId, id, input.version)
      : validateDefinition(j.draft);
  if (!def) throw new AppError('NOT_FOUND', { field: 'version' });
  const contact = await findContactById(deps.db, workspaceId, input.contactId);
  if (!contact) throw new AppError('NOT_FOUND', { field: 'contactId' });
  const segments: Record<string, boolean> = {};
  for (const segmentId of segmentsIn(def))
    segments[segmentId] = await isContactInSegment(deps.db, deps.clock, workspaceId, segmentId, contact.id);
  const tz = (contact.custom_fields as Record<string, unknown>)?.timeZone;
  const facts: Facts = {
    fields: contact as unknown as Record<string, unknown>,
    tags: contact.tags ?? [],
    stage: contact.lifecycle_stage,
    timeZone: typeof tz === 'string' ? tz : null,
    segments,
    activities: [],
    // Planned opens and clicks only count if the contact allowed tracking; the simulation says so.
    trackingAllowed: true,
  };
  const start = deps.clock.now();
  const planned: SimulatedActivity[] = (input.activities ?? []).map((a) => ({
    at: new Date(start.getTime() + a.afterHours * 3_600_000),
    type: a.type,
    ref: a.ref,
  }));
  return simulateJourney(def, facts, start, input.days, planned);
}
