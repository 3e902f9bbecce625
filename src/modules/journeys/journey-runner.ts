import { createHmac } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { type Insertable, type Selectable, sql } from 'kysely';
import type { Executor, Trx } from '../../shared/db/index.js';
import { insertRows } from '../../shared/db/insert-if.js';
import type { JourneyEnrollmentsTable, JourneyStepRunsTable } from '../../shared/db/schema.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { defineJob, type JobContext, PermanentJobError } from '../../shared/jobs/index.js';
import type { AppDeps } from '../../shared/module.js';
import { assetDownloadUrl, findAssetById } from '../capture/index.js';
import { getSendPermission } from '../consent/index.js';
import {
  type ActivityInput,
  isContactInSegment,
  recordActivities,
  segmentMembersAmong,
} from '../contacts/index.js';
import { findEvent } from '../events/index.js';
import { type EnqueueManyInput, enqueueMessage, enqueueMessages } from '../mail/index.js';
import { type JourneyDefinition, type Step, segmentsIn } from './definition.js';
import {
  type EnrollmentRow,
  findEnrollment,
  findJourney,
  findVersion,
  type JourneyRow,
  OPEN_STATUSES,
} from './journeys.repository.js';
import { decide, type Facts, findStep, mayEnter, TRACKING_ACTIVITIES } from './machine.js';
import { questionUrl } from './question.js';

/*
 * Runs journeys on the job queue. A contact's place in a journey is an enrollment row; every step
 * it reaches bumps `seq`, and a step execution is the job `journeys.run-step {enrollmentId, seq}`.
 * The handler locks the enrollment, checks that `seq` is still the one the job was made for (a
 * stale job — a retry after success, a second wake-up — does nothing), decides with the pure state
 * machine and applies the decision in the job's own transaction (`completeWith`): the step's
 * writes, the mail it enqueues (idempotency key `journey:<enrollment>:<seq>`), the next seq and the
 * job's completion commit together. So each step runs once per contact even with several workers,
 * retries and crashes. Waits are jobs scheduled at the wait's end; nothing polls.
 */

export const RUN_STEP_JOB = defineJob({
  name: 'journeys.run-step',
  lane: 'default',
  maxAttempts: 8,
  schema: Type.Object({ enrollmentId: Type.String(), seq: Type.Integer({ minimum: 1 }) }),
  async handler() {
    throw new PermanentJobError('journeys.run-step runs in the journeys module');
  },
});

/** A batch of enrollments that entered together: one transaction, batched reads and writes. */
export const RUN_STEPS_JOB = defineJob({
  name: 'journeys.run-steps',
  lane: 'default',
  maxAttempts: 8,
  schema: Type.Object({
    items: Type.Array(Type.Object({ enrollmentId: Type.String(), seq: Type.Integer({ minimum: 1 }) }), {
      minItems: 1,
      maxItems: 500,
    }),
  }),
  async handler() {
    throw new PermanentJobError('journeys.run-steps runs in the journeys module');
  },
});

/** Enrollments per `journeys.run-steps` job. */
export const RUN_BATCH = 100;

/** Instant steps one job runs before it hands over to a new job (a long chain stays fair). */
const STEPS_PER_JOB = 25;

export type RunnerDeps = Pick<AppDeps, 'clock' | 'queue' | 'config' | 'log'>;

/** What other modules give journeys (wired in src/modules.ts; journeys imports neither). */
export interface JourneyWiring {
  /** The sales module's "hand off now" (docs/contracts.md, sales); without it the step is skipped. */
  handOffToSales?:
    | ((
        trx: Trx,
        deps: Pick<AppDeps, 'clock' | 'queue' | 'config'>,
        input: { workspaceId: string; contactId: string; cause: string },
      ) => Promise<{ leadId: string; created: boolean; status: string }>)
    | undefined;
}

/** Wakes open enrollments (something happened to their contacts): each re-checks exits, goals and event waits. */
export async function wakeEnrollments(
  trx: Executor,
  deps: RunnerDeps,
  workspaceId: string,
  rows: { id: string; seq: number }[],
  reason: string,
): Promise<void> {
  if (rows.length === 0) return;
  await deps.queue.enqueueMany(
    trx,
    RUN_STEP_JOB,
    rows.map((r) => ({ enrollmentId: r.id, seq: r.seq })),
    { workspaceId, idempotencyKeys: rows.map((r) => `${r.id}:${r.seq}:${reason}`) },
  );
}

export interface EnrollInput {
  workspaceId: string;
  journeyId: string;
  contactIds: string[];
  /** Who or what added them: `trigger:<activity type>`, `user:<id>`, `api`, `journey:<id>`. */
  source: string;
  /**
   * Run the first steps here, in the caller's transaction, instead of in `journeys.run-steps` jobs
   * (the segment-entry pages: a thousand contacts that enter together are decided, written and
   * their mails enqueued in the page's own transaction, which commits with the page job). The
   * wiring is what the runner's jobs get.
   */
  runFirstSteps?: { wiring: JourneyWiring } | undefined;
}

/**
 * Puts contacts into an active journey at its first step, in the caller's transaction, honouring
 * the re-entry policy (a contact is never twice inside at once). Returns the enrollment ids made.
 */
export async function enrollContacts(trx: Executor, deps: RunnerDeps, input: EnrollInput): Promise<string[]> {
  const ids = [...new Set(input.contactIds)];
  if (ids.length === 0) return [];
  const journey = await findJourney(trx, input.workspaceId, input.journeyId);
  if (journey?.status !== 'active' || journey.live_version === null) return [];
  const def = await findVersion(trx, input.workspaceId, journey.id, journey.live_version);
  if (!def) return [];
  const now = deps.clock.now();
  const earlier = await trx
    .selectFrom('journey_enrollments')
    .select(['contact_id', 'entered_at', 'status'])
    .where('workspace_id', '=', input.workspaceId)
    .where('journey_id', '=', journey.id)
    .where('contact_id', 'in', ids)
    .execute();
  const byContact = new Map<string, { enteredAt: Date; active: boolean }[]>();
  for (const e of earlier) {
    const list = byContact.get(e.contact_id) ?? [];
    list.push({ enteredAt: e.entered_at, active: (OPEN_STATUSES as readonly string[]).includes(e.status) });
    byContact.set(e.contact_id, list);
  }
  // Only contacts of this workspace, not merged away (all the runner reads when it runs the first steps here).
  const existing = (await trx
    .selectFrom('contacts')
    .select(input.runFirstSteps ? [...CONTACT_COLUMNS] : ['id'])
    .where('workspace_id', '=', input.workspaceId)
    .where('id', 'in', ids)
    .where('merged_into_contact_id', 'is', null)
    .execute()) as ContactRow[];
  const allowed = existing
    .map((c) => c.id)
    .filter((id) => mayEnter(def.reentry, byContact.get(id) ?? [], now));
  if (allowed.length === 0) return [];
  const rows = allowed.map((contactId) => ({
    id: newId(),
    workspace_id: input.workspaceId,
    journey_id: journey.id,
    contact_id: contactId,
    version: journey.live_version!,
    status: 'active' as const,
    step_id: def.startStepId,
    seq: 1,
    entered_at: now,
    step_entered_at: now,
    source: input.source.slice(0, 200),
    updated_at: now,
  }));
  // Where the first steps run here and touch no other journey, the enrollments are inserted once,
  // in the state the steps leave them in (see runFirstSteps); else inserted open, then run.
  const deferInsert = input.runFirstSteps !== undefined && !touchesOtherJourneys(def);
  const inserted = deferInsert
    ? rows.map((r) => ({ id: r.id, contact_id: r.contact_id }))
    : await insertEnrollments(trx, rows);
  if (inserted.length === 0) return [];
  const entered = inserted.map(
    (e): ActivityInput => ({
      workspaceId: input.workspaceId,
      contactId: e.contact_id,
      type: 'journeys.entered',
      occurredAt: now,
      data: { journeyId: journey.id, name: journey.name },
      source: input.source,
      ref: `journey:${journey.id}`,
    }),
  );
  if (input.runFirstSteps) {
    if (!trx.isTransaction) throw new Error('enrollContacts: runFirstSteps needs a transaction');
    await runFirstSteps(trx as Trx, deps, {
      def,
      inserted,
      rows: new Map(rows.map((r) => [r.id, r])),
      contacts: new Map(existing.map((c) => [c.id, c])),
      entered,
      wiring: input.runFirstSteps.wiring,
      deferInsert,
    });
  } else {
    await enterFirstStep(trx, deps, input.workspaceId, journey.id, def.startStepId, inserted, entered, now);
  }
  // Other journeys the contacts are in may have "entered another journey" as an exit rule.
  const others = await trx
    .selectFrom('journey_enrollments')
    .select(['id', 'seq'])
    .where('workspace_id', '=', input.workspaceId)
    .where(
      'contact_id',
      'in',
      inserted.map((e) => e.contact_id),
    )
    .where('journey_id', '<>', journey.id)
    .where('status', 'in', [...OPEN_STATUSES])
    .execute();
  await wakeEnrollments(trx, deps, input.workspaceId, others, `entered:${journey.id}`);
  return inserted.map((e) => e.id);
}

type EnrollmentInsert = Insertable<JourneyEnrollmentsTable>;
/** An enrollment as insertRows takes it: jsonb columns as JSON values, not JSON text. */
type EnrollmentRowJson = Omit<EnrollmentInsert, 'goals_reached'> & { goals_reached?: string[] };

/** Inserts enrollments unless the contact is inside the journey already; returns those inserted. */
async function insertEnrollments(
  trx: Executor,
  rows: EnrollmentRowJson[],
): Promise<{ id: string; contact_id: string }[]> {
  const result = await insertRows('journey_enrollments', rows, {
    onConflict: sql`ON CONFLICT (journey_id, contact_id) WHERE status IN ('active', 'waiting') DO NOTHING`,
    returning: ['id', 'contact_id'],
  }).execute(trx);
  return result.rows as { id: string; contact_id: string }[];
}

/** Steps that read or write other enrollments of the contact (add to / remove from a journey, hand-off). */
function touchesOtherJourneys(def: JourneyDefinition): boolean {
  return def.steps.some((s) => s.type === 'journey' || s.type === 'hand-off');
}

/** Fresh enrollments wait at their first step for `journeys.run-steps` jobs (one per RUN_BATCH). */
async function enterFirstStep(
  trx: Executor,
  deps: RunnerDeps,
  workspaceId: string,
  journeyId: string,
  startStepId: string,
  inserted: { id: string; contact_id: string }[],
  entered: ActivityInput[],
  now: Date,
): Promise<void> {
  await insertRows(
    'journey_step_runs',
    inserted.map((e) => ({
      enrollment_id: e.id,
      seq: 1,
      workspace_id: workspaceId,
      journey_id: journeyId,
      step_id: startStepId,
      entered_at: now,
    })),
  ).execute(trx);
  await recordActivities(trx, entered);
  // The first step runs per batch of contacts that entered together (one job per RUN_BATCH).
  const batches = [];
  for (let i = 0; i < inserted.length; i += RUN_BATCH)
    batches.push({ items: inserted.slice(i, i + RUN_BATCH).map((e) => ({ enrollmentId: e.id, seq: 1 })) });
  await deps.queue.enqueueMany(trx, RUN_STEPS_JOB, batches, {
    workspaceId,
    idempotencyKeys: batches.map((b) => `${b.items[0]!.enrollmentId}:1:batch`),
  });
}

/**
 * Fresh enrollments run their first steps at once, in the enrolling transaction: the same state
 * machine and set-based writes as a `journeys.run-steps` batch, without its job, its lock statement
 * (the rows were inserted by this transaction), its second read of the contacts, or the update of
 * the first step's run (it is inserted finished). The entry's timeline entries go into the same
 * insert as the ones the steps write. Exactly once as before: everything commits with the caller.
 */
async function runFirstSteps(
  trx: Trx,
  deps: RunnerDeps,
  input: {
    def: JourneyDefinition;
    inserted: { id: string; contact_id: string }[];
    rows: Map<
      string,
      Omit<EnrollmentRow, 'wait_until' | 'goals_reached' | 'exit_reason' | 'ended_at' | 'source'> & {
        source: string;
      }
    >;
    contacts: Map<string, ContactRow>;
    entered: ActivityInput[];
    wiring: JourneyWiring;
    /** The enrollments are not inserted yet: insert them as the steps leave them (no update). */
    deferInsert: boolean;
  },
): Promise<void> {
  const w = new StepWrites();
  w.activities.push(...input.entered);
  const enrollments: EnrollmentRow[] = input.inserted.map((i) => ({
    ...input.rows.get(i.id)!,
    wait_until: null,
    goals_reached: [],
    exit_reason: null,
    ended_at: null,
  }));
  const first = enrollments[0]!;
  const timeline = usesActivities(input.def)
    ? await activitiesOfContacts(
        trx,
        first.workspace_id,
        enrollments.map((e) => e.contact_id),
        first.entered_at,
      )
    : new Map<string, Facts['activities']>();
  w.segmentMembers = await readMembers(
    trx,
    deps,
    first.workspace_id,
    enrollments.map((e) => ({ def: input.def, contactId: e.contact_id })),
  );
  for (const e of enrollments) {
    w.startRun(e, e.step_id!, e.entered_at);
    const contact = input.contacts.get(e.contact_id)!;
    await advance(
      trx,
      deps,
      w,
      input.def,
      e,
      contact,
      timeline.get(e.contact_id) ?? [],
      undefined,
      input.wiring,
    );
  }
  if (input.deferInsert) {
    // One insert of each enrollment in its state after the steps, instead of an insert and an
    // update (a finished one never enters the partial indexes of open enrollments). The unique
    // index on open enrollments still refuses a contact that another transaction let in at the same
    // moment when its enrollment stays open here; then the whole page rolls back and its job runs
    // again, and the re-entry check sees the other enrollment. (A contact whose enrollment ends in
    // its entering transaction is, as before, guarded by the re-entry check alone: an open row
    // inserted and finished in one transaction leaves no live entry in that index either.)
    const final = enrollments.map((e): EnrollmentRowJson => {
      w.enrollments.delete(e.id);
      return { ...e, updated_at: e.entered_at };
    });
    const inserted = await insertEnrollments(trx, final);
    if (inserted.length !== final.length)
      throw new Error(
        'journeys: a contact of this page entered the journey at the same moment; the page runs again',
      );
  }
  await w.flush(trx, deps, first.workspace_id);
}

/** Ends a contact's open enrollment in a journey (a "remove from journey" step, or by hand). */
export async function exitContactFromJourney(
  trx: Executor,
  deps: RunnerDeps,
  input: { workspaceId: string; journeyId: string; contactId: string; reason: string },
): Promise<boolean> {
  const now = deps.clock.now();
  const e = await trx
    .selectFrom('journey_enrollments')
    .selectAll()
    .where('workspace_id', '=', input.workspaceId)
    .where('journey_id', '=', input.journeyId)
    .where('contact_id', '=', input.contactId)
    .where('status', 'in', [...OPEN_STATUSES])
    .forUpdate()
    .executeTakeFirst();
  if (!e) return false;
  await finishRun(trx, e, 'exited', null, { reason: input.reason }, now);
  await trx
    .updateTable('journey_enrollments')
    .set({ status: 'exited', exit_reason: input.reason, ended_at: now, updated_at: now, seq: e.seq + 1 })
    .where('id', '=', e.id)
    .execute();
  await recordActivities(trx, [journeyActivity(e, 'journeys.exited', { reason: input.reason }, now)]);
  return true;
}

function journeyActivity(
  e: EnrollmentRow,
  type: string,
  data: Record<string, unknown>,
  now: Date,
): ActivityInput {
  return {
    workspaceId: e.workspace_id,
    contactId: e.contact_id,
    type,
    occurredAt: now,
    data: { journeyId: e.journey_id, ...data },
    source: `journey:${e.journey_id}`,
    ref: `journey:${e.journey_id}`,
  };
}

async function finishRun(
  trx: Executor,
  e: Pick<EnrollmentRow, 'id' | 'seq'>,
  outcome: 'completed' | 'exited' | 'goal' | 'skipped',
  path: string | null,
  detail: Record<string, unknown>,
  now: Date,
): Promise<void> {
  await trx
    .updateTable('journey_step_runs')
    .set({ outcome, path, detail: JSON.stringify(detail), completed_at: now })
    .where('enrollment_id', '=', e.id)
    .where('seq', '=', e.seq)
    .execute();
}

type ContactRow = {
  id: string;
  email: string;
  first_name: string | null;
  last_name: string | null;
  locale: 'de' | 'en' | null;
  lifecycle_stage: string;
  owner_user_id: string | null;
  tags: string[];
  custom_fields: Record<string, unknown>;
  merged_into_contact_id?: string | null;
} & Record<string, unknown>;

const CONTACT_COLUMNS = [
  'id',
  'email',
  'first_name',
  'last_name',
  'company_name',
  'job_title',
  'phone',
  'country',
  'city',
  'locale',
  'lifecycle_stage',
  'owner_user_id',
  'tags',
  'custom_fields',
  'merged_into_contact_id',
] as const;

async function loadContact(
  trx: Executor,
  workspaceId: string,
  contactId: string,
): Promise<ContactRow | undefined> {
  return (await trx
    .selectFrom('contacts')
    .select([...CONTACT_COLUMNS])
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', contactId)
    .executeTakeFirst()) as ContactRow | undefined;
}

/** The contacts of a batch in one statement (merged-away contacts are not loaded: their steps wait). */
async function loadContacts(
  trx: Executor,
  workspaceId: string,
  ids: string[],
): Promise<Map<string, ContactRow>> {
  if (ids.length === 0) return new Map();
  const rows = (await trx
    .selectFrom('contacts')
    .select([...CONTACT_COLUMNS])
    .where('workspace_id', '=', workspaceId)
    .where('id', 'in', [...new Set(ids)])
    .execute()) as ContactRow[];
  return new Map(rows.map((r) => [r.id, r]));
}

/** Timeline entries of a batch's contacts since the earliest entry (at most 1,000 per contact are used). */
async function activitiesOfContacts(
  trx: Executor,
  workspaceId: string,
  ids: string[],
  since: Date | null,
): Promise<Map<string, Facts['activities']>> {
  const out = new Map<string, Facts['activities']>();
  if (ids.length === 0 || since === null) return out;
  const rows = await trx
    .selectFrom('activities')
    .select(['contact_id', 'type', 'ref', 'occurred_at'])
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', 'in', [...new Set(ids)])
    .where('occurred_at', '>=', since)
    .orderBy('occurred_at', 'desc')
    .execute();
  for (const r of rows) {
    const list = out.get(r.contact_id) ?? [];
    if (list.length < 1000) list.push({ type: r.type, ref: r.ref, occurredAt: r.occurred_at });
    out.set(r.contact_id, list);
  }
  return out;
}

/**
 * What a definition looks at, worked out once per definition object (versions are immutable and
 * cached by findVersion; a batch asks for every contact).
 */
const defTraits = new WeakMap<
  JourneyDefinition,
  { tracking: boolean; activities: boolean; segments: string[] }
>();

function traitsOf(def: JourneyDefinition) {
  let t = defTraits.get(def);
  if (!t) {
    const json = JSON.stringify([def.steps, def.goals, def.exitRules]);
    t = {
      tracking: [...TRACKING_ACTIVITIES].some((a) => json.includes(`"${a}"`)),
      activities: json.includes('"type":"activity"') || json.includes('"kind":"event"'),
      segments: segmentsIn(def),
    };
    defTraits.set(def, t);
  }
  return t;
}

function usesTracking(def: JourneyDefinition): boolean {
  return traitsOf(def).tracking;
}

/** Segment id → the contacts of a batch that are its members. */
type SegmentMembers = Map<string, Set<string>>;

/**
 * The segment memberships the definitions' conditions ask about, for all contacts of a batch at
 * once: one query per segment instead of one per contact and segment (a branch on a segment over a
 * page of 1,000 entering contacts made 1,000 queries). Read when the batch starts, as each
 * contact's facts were before.
 */
async function readMembers(
  trx: Executor,
  deps: RunnerDeps,
  workspaceId: string,
  wanted: { def: JourneyDefinition; contactId: string }[],
): Promise<SegmentMembers | undefined> {
  const bySegment = new Map<string, string[]>();
  for (const { def, contactId } of wanted)
    for (const segmentId of traitsOf(def).segments)
      bySegment.set(segmentId, [...(bySegment.get(segmentId) ?? []), contactId]);
  if (bySegment.size === 0) return undefined;
  const out: SegmentMembers = new Map();
  for (const [segmentId, ids] of bySegment)
    out.set(segmentId, await segmentMembersAmong(trx, deps.clock, workspaceId, segmentId, [...new Set(ids)]));
  return out;
}

async function gatherFacts(
  trx: Executor,
  deps: RunnerDeps,
  def: JourneyDefinition,
  e: EnrollmentRow,
  contact: ContactRow,
  activities: Facts['activities'],
  members: SegmentMembers | undefined,
): Promise<Facts> {
  const segments: Record<string, boolean> = {};
  for (const segmentId of traitsOf(def).segments) {
    const known = members?.get(segmentId);
    segments[segmentId] = known
      ? known.has(e.contact_id)
      : await isContactInSegment(trx, deps.clock, e.workspace_id, segmentId, e.contact_id);
  }
  const trackingAllowed = usesTracking(def)
    ? (
        await getSendPermission(trx, {
          workspaceId: e.workspace_id,
          contactId: e.contact_id,
          purpose: 'tracking',
        })
      ).allowed
    : false;
  const tz = contact.custom_fields?.timeZone;
  return {
    fields: contact,
    tags: contact.tags ?? [],
    stage: contact.lifecycle_stage,
    timeZone: typeof tz === 'string' ? tz : null,
    segments,
    activities,
    trackingAllowed,
  };
}

/** A webhook call made before the transaction (outside effects never run inside one). */
export interface WebhookResult {
  seq: number;
  status: number | null;
  error?: string;
}

async function callWebhook(
  deps: RunnerDeps,
  step: Extract<Step, { type: 'webhook' }>,
  e: EnrollmentRow,
  contact: ContactRow,
): Promise<WebhookResult> {
  const body = JSON.stringify({
    event: 'journey.step',
    journeyId: e.journey_id,
    stepId: step.id,
    enrollmentId: e.id,
    contact: {
      id: contact.id,
      email: contact.email,
      firstName: contact.first_name,
      lastName: contact.last_name,
    },
    occurredAt: deps.clock.now().toISOString(),
  });
  const t = Math.floor(deps.clock.now().getTime() / 1000);
  const signature = createHmac('sha256', `${deps.config.secretKey}:journeys-webhook:${e.workspace_id}`)
    .update(`${t}.${body}`)
    .digest('hex');
  const res = await fetch(step.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-leadwerk-event': 'journey.step',
      // The same delivery id on every retry: the receiver can drop duplicates.
      'x-leadwerk-delivery': `${e.id}:${e.seq}`,
      'x-leadwerk-signature': `t=${t},v1=${signature}`,
    },
    body,
    signal: AbortSignal.timeout(10_000),
    redirect: 'error',
  });
  await res.body?.cancel();
  return { seq: e.seq, status: res.status };
}

/** The `journeys.run-step` handler (one enrollment: timers, wake-ups, webhooks). */
export async function runStep(
  deps: RunnerDeps,
  payload: { enrollmentId: string; seq: number },
  ctx: JobContext,
  wiring: JourneyWiring = {},
): Promise<void> {
  const e = await findEnrollment(ctx.db, payload.enrollmentId);
  if (!e || e.seq !== payload.seq || !(OPEN_STATUSES as readonly string[]).includes(e.status)) return;
  let webhook: WebhookResult | undefined;
  const def = await findVersion(ctx.db, e.workspace_id, e.journey_id, e.version);
  const step = def && e.step_id ? findStep(def, e.step_id) : undefined;
  if (step?.type === 'webhook') {
    const journey = await findJourney(ctx.db, e.workspace_id, e.journey_id);
    const contact = await loadContact(ctx.db, e.workspace_id, e.contact_id);
    if (journey?.status === 'active' && contact) {
      try {
        webhook = await callWebhook(deps, step, e, contact);
        if (webhook.status !== null && webhook.status >= 400 && webhook.status !== 410)
          throw new Error(`webhook answered ${webhook.status}`);
      } catch (err) {
        // The last attempt gives up on the webhook and moves on, instead of holding the contact.
        if (ctx.job.attempts < ctx.job.maxAttempts) throw err;
        webhook = { seq: e.seq, status: webhook?.status ?? null, error: String(err).slice(0, 200) };
      }
    }
  }
  await ctx.completeWith((trx) => advanceBatch(trx, deps, [payload], webhook, wiring));
}

/**
 * The `journeys.run-steps` handler: a batch of enrollments (contacts that entered together) in one
 * transaction. Each enrollment is decided exactly as by `journeys.run-step` (locked, seq checked),
 * but the reads are one statement per batch (enrollments, contacts, activities) and the writes are
 * collected and written per batch (step runs, enrollments, timeline entries, mails as
 * `mail.send-batch` jobs, follow-up jobs). The batch commits with the job's completion: a crash or
 * a retry runs the whole batch again, and the seq check makes every item that already moved a no-op.
 */
export async function runSteps(
  deps: RunnerDeps,
  payload: { items: { enrollmentId: string; seq: number }[] },
  ctx: JobContext,
  wiring: JourneyWiring = {},
): Promise<void> {
  await ctx.completeWith((trx) => advanceBatch(trx, deps, payload.items, undefined, wiring));
}

/** Step runs, enrollment states, timeline entries, mails and jobs of a batch, written at its end. */
class StepWrites {
  /** Runs made in this batch (inserted at the end), by `enrollment:seq`. */
  readonly newRuns = new Map<string, RunRow>();
  /** Runs that existed before (the seq a job was made for), finished in this batch. */
  readonly finishedRuns = new Map<string, RunRow>();
  readonly enrollments = new Map<string, EnrollmentRow>();
  readonly activities: ActivityInput[] = [];
  readonly jobs: { e: EnrollmentRow; seq: number; key: string; runAt?: Date | undefined }[] = [];
  readonly mails: { input: EnqueueManyInput; run: RunRow; extra: Record<string, unknown> }[] = [];
  /** The batch's segment memberships, read once per segment for all its contacts (see readMembers). */
  segmentMembers: SegmentMembers | undefined;

  startRun(e: EnrollmentRow, stepId: string, now: Date): void {
    this.newRuns.set(`${e.id}:${e.seq}`, {
      enrollment_id: e.id,
      seq: e.seq,
      workspace_id: e.workspace_id,
      journey_id: e.journey_id,
      step_id: stepId,
      entered_at: now,
      completed_at: null,
      outcome: null,
      path: null,
      detail: {},
    });
  }

  finishRun(
    e: Pick<EnrollmentRow, 'id' | 'seq' | 'workspace_id' | 'journey_id' | 'step_id'>,
    outcome: RunRow['outcome'],
    path: string | null,
    detail: Record<string, unknown>,
    now: Date,
  ): RunRow {
    const key = `${e.id}:${e.seq}`;
    let run = this.newRuns.get(key) ?? this.finishedRuns.get(key);
    if (!run) {
      run = {
        enrollment_id: e.id,
        seq: e.seq,
        workspace_id: e.workspace_id,
        journey_id: e.journey_id,
        step_id: e.step_id ?? '',
        entered_at: now,
        completed_at: null,
        outcome: null,
        path: null,
        detail: {},
      };
      this.finishedRuns.set(key, run);
    }
    run.outcome = outcome;
    run.path = path;
    run.detail = detail;
    run.completed_at = now;
    return run;
  }

  async flush(trx: Trx, deps: RunnerDeps, workspaceId: string): Promise<void> {
    if (this.mails.length > 0) {
      const results = await enqueueMessages(
        trx,
        deps,
        workspaceId,
        this.mails.map((m) => m.input),
      );
      this.mails.forEach((m, i) => {
        const r = results[i]!;
        m.run.detail = { messageId: r.messageId, ...m.extra, ...(r.skipped ? { skipped: r.skipped } : {}) };
        if (r.skipped) m.run.outcome = 'skipped';
      });
    }
    const inserts = [...this.newRuns.values()];
    for (let i = 0; i < inserts.length; i += 1000)
      await insertRows('journey_step_runs', inserts.slice(i, i + 1000)).execute(trx);
    const updates = [...this.finishedRuns.values()];
    if (updates.length > 0) {
      await sql`UPDATE journey_step_runs r
          SET outcome = v.outcome, path = v.path, detail = v.detail, completed_at = v.completed_at
         FROM jsonb_to_recordset(${JSON.stringify(updates)}::jsonb)
           AS v(enrollment_id uuid, seq integer, outcome text, path text, detail jsonb, completed_at timestamptz)
        WHERE r.enrollment_id = v.enrollment_id AND r.seq = v.seq`.execute(trx);
    }
    const rows = [...this.enrollments.values()].map((e) => ({
      id: e.id,
      status: e.status,
      step_id: e.step_id,
      seq: e.seq,
      step_entered_at: e.step_entered_at,
      wait_until: e.wait_until,
      goals_reached: e.goals_reached,
      exit_reason: e.exit_reason,
      ended_at: e.ended_at,
    }));
    if (rows.length > 0) {
      const now = deps.clock.now();
      await sql`UPDATE journey_enrollments e
          SET status = v.status, step_id = v.step_id, seq = v.seq, step_entered_at = v.step_entered_at,
              wait_until = v.wait_until, goals_reached = v.goals_reached, exit_reason = v.exit_reason,
              ended_at = v.ended_at, updated_at = ${now}
         FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
           AS v(id uuid, status text, step_id text, seq integer, step_entered_at timestamptz,
                wait_until timestamptz, goals_reached jsonb, exit_reason text, ended_at timestamptz)
        WHERE e.id = v.id`.execute(trx);
    }
    await recordActivities(trx, this.activities);
    // Follow-up jobs, grouped by when they run (a batch that waits together has one time).
    const groups = new Map<string, typeof this.jobs>();
    for (const j of this.jobs) {
      const k = j.runAt ? String(j.runAt.getTime()) : 'now';
      const list = groups.get(k) ?? [];
      list.push(j);
      groups.set(k, list);
    }
    for (const list of groups.values()) {
      const runAt = list[0]!.runAt;
      await deps.queue.enqueueMany(
        trx,
        RUN_STEP_JOB,
        list.map((j) => ({ enrollmentId: j.e.id, seq: j.seq })),
        {
          workspaceId,
          idempotencyKeys: list.map((j) => `${j.e.id}:${j.seq}:${j.key}`),
          ...(runAt ? { runAt } : {}),
        },
      );
    }
  }
}

type RunRow = Selectable<JourneyStepRunsTable>;

/** Whether a definition looks at the timeline (activity conditions, event waits). */
function usesActivities(def: JourneyDefinition): boolean {
  return traitsOf(def).activities;
}

async function advanceBatch(
  trx: Trx,
  deps: RunnerDeps,
  items: { enrollmentId: string; seq: number }[],
  webhook: WebhookResult | undefined,
  wiring: JourneyWiring,
): Promise<void> {
  const wanted = new Map(items.map((i) => [i.enrollmentId, i.seq]));
  // Locked in id order: two batches that share enrollments wait for each other instead of deadlocking.
  const locked = (
    await trx
      .selectFrom('journey_enrollments')
      .selectAll()
      .where('id', 'in', [...wanted.keys()])
      .orderBy('id')
      .forUpdate()
      .execute()
  ).filter((e) => e.seq === wanted.get(e.id) && (OPEN_STATUSES as readonly string[]).includes(e.status));
  if (locked.length === 0) return;
  const workspaceId = locked[0]!.workspace_id;
  const mine = locked.filter((e) => e.workspace_id === workspaceId);
  const journeys = new Map<string, JourneyRow | undefined>();
  for (const id of new Set(mine.map((e) => e.journey_id)))
    journeys.set(id, await findJourney(trx, workspaceId, id));
  const contacts = await loadContacts(
    trx,
    workspaceId,
    mine.map((e) => e.contact_id),
  );
  const defs = new Map<string, JourneyDefinition | undefined>();
  for (const e of mine) {
    const k = `${e.journey_id}:${e.version}`;
    if (!defs.has(k)) defs.set(k, await findVersion(trx, workspaceId, e.journey_id, e.version));
  }
  const withTimeline = mine.filter((e) => {
    const def = defs.get(`${e.journey_id}:${e.version}`);
    return def !== undefined && usesActivities(def);
  });
  const timeline = await activitiesOfContacts(
    trx,
    workspaceId,
    withTimeline.map((e) => e.contact_id),
    withTimeline.reduce<Date | null>(
      (min, e) => (min === null || e.entered_at < min ? e.entered_at : min),
      null,
    ),
  );
  const w = new StepWrites();
  w.segmentMembers = await readMembers(
    trx,
    deps,
    workspaceId,
    mine.flatMap((e) => {
      const def = defs.get(`${e.journey_id}:${e.version}`);
      return def ? [{ def, contactId: e.contact_id }] : [];
    }),
  );
  for (const row of mine) {
    // Paused (or archived): the contact stays where it is; resuming wakes every open enrollment.
    if (journeys.get(row.journey_id)?.status !== 'active') continue;
    const def = defs.get(`${row.journey_id}:${row.version}`);
    const contact = contacts.get(row.contact_id);
    // A merged-away contact does nothing more: its enrollment follows the survivor (triggers.ts).
    if (!def || !contact || contact.merged_into_contact_id) continue;
    const e: EnrollmentRow = { ...row, goals_reached: [...(row.goals_reached ?? [])] };
    const activities = (timeline.get(e.contact_id) ?? []).filter((a) => a.occurredAt >= e.entered_at);
    await advance(trx, deps, w, def, e, contact, activities, webhook, wiring);
  }
  await w.flush(trx, deps, workspaceId);
}

async function advance(
  trx: Trx,
  deps: RunnerDeps,
  w: StepWrites,
  def: JourneyDefinition,
  e: EnrollmentRow,
  contact: ContactRow,
  activities: Facts['activities'],
  webhook: WebhookResult | undefined,
  wiring: JourneyWiring,
): Promise<void> {
  const now = deps.clock.now();
  const save = () => {
    w.enrollments.set(e.id, e);
  };
  const end = (status: 'completed' | 'exited' | 'goal', reason: string | null) => {
    e.status = status;
    e.exit_reason = reason;
    e.ended_at = now;
    e.wait_until = null;
    // A finished enrollment's seq moves on too, so no pending job for it can act any more.
    e.seq += 1;
    const type =
      status === 'completed'
        ? 'journeys.completed'
        : status === 'goal'
          ? 'journeys.goal-reached'
          : 'journeys.exited';
    w.activities.push(journeyActivity(e, type, reason ? { reason } : {}, now));
    save();
  };
  const moveTo = (next: string | null): boolean => {
    if (next === null) {
      end('completed', null);
      return false;
    }
    e.seq += 1;
    e.step_id = next;
    e.step_entered_at = now;
    e.status = 'active';
    e.wait_until = null;
    w.startRun(e, next, now);
    return true;
  };

  let facts = await gatherFacts(trx, deps, def, e, contact, activities, w.segmentMembers);
  for (let i = 0; i < STEPS_PER_JOB; i++) {
    const pos = {
      stepId: e.step_id ?? def.startStepId,
      enteredAt: e.entered_at,
      stepEnteredAt: e.step_entered_at,
      goalsReached: e.goals_reached,
    };
    const d = decide(def, pos, facts, now);
    switch (d.type) {
      case 'exit':
        w.finishRun(e, 'exited', null, { rule: d.ruleId }, now);
        end('exited', `rule:${d.ruleId}`);
        return;
      case 'goal':
        e.goals_reached.push(d.goalId);
        if (d.exits) {
          w.finishRun(e, 'goal', null, { goal: d.goalId }, now);
          end('goal', `goal:${d.goalId}`);
          return;
        }
        w.activities.push(journeyActivity(e, 'journeys.goal-reached', { goal: d.goalId }, now));
        continue;
      case 'end':
        w.finishRun(e, 'completed', null, {}, now);
        end('completed', null);
        return;
      case 'wait':
        e.status = 'waiting';
        e.wait_until = d.until;
        save();
        // The key names the time: after an edit that shortens the wait a new timer is made; the
        // old one then finds nothing to do.
        if (d.until) w.jobs.push({ e, seq: e.seq, key: `timer:${d.until.getTime()}`, runAt: d.until });
        return;
      case 'move':
        w.finishRun(e, 'completed', d.path, {}, now);
        if (!moveTo(d.next)) return;
        continue;
      case 'act': {
        if (d.step.type === 'webhook' && webhook?.seq !== e.seq) {
          // Outside calls happen before a transaction: hand the step to its own job.
          save();
          w.jobs.push({ e, seq: e.seq, key: 'webhook' });
          return;
        }
        const run = w.finishRun(e, 'completed', null, {}, now);
        const detail = await perform(trx, deps, w, run, d.step, e, contact, webhook, wiring);
        if (detail !== 'deferred') {
          run.detail = detail;
          if (detail.skipped) run.outcome = 'skipped';
        }
        if (d.step.type === 'update-contact') {
          const fresh = await loadContact(trx, e.workspace_id, e.contact_id);
          if (fresh) facts = { ...facts, fields: fresh, tags: fresh.tags ?? [] };
        }
        if (!moveTo(d.next)) return;
        continue;
      }
    }
  }
  // A long chain of instant steps: let a new job continue.
  save();
  w.jobs.push({ e, seq: e.seq, key: 'run' });
}

/** Does a step's action; a mail is collected for the batch's one enqueue ('deferred': its run's detail is filled then). */
async function perform(
  trx: Trx,
  deps: RunnerDeps,
  w: StepWrites,
  run: RunRow,
  step: Step,
  e: EnrollmentRow,
  contact: ContactRow,
  webhook: WebhookResult | undefined,
  wiring: JourneyWiring,
): Promise<Record<string, unknown> | 'deferred'> {
  const locale = contact.locale ?? 'de';
  const idempotencyKey = `journey:${e.id}:${e.seq}`;
  switch (step.type) {
    case 'send-mail': {
      w.mails.push({
        run,
        extra: {},
        input: {
          workspaceId: e.workspace_id,
          kind: step.kind,
          purpose: step.purpose,
          contactId: e.contact_id,
          to: contact.email,
          locale,
          template: { id: step.templateId, variables: { journey: { id: e.journey_id } } },
          idempotencyKey,
        },
      });
      return 'deferred';
    }
    case 'offer-content': {
      const asset = await findAssetById(trx, e.workspace_id, step.assetId);
      if (!asset) return { skipped: 'asset_missing' };
      const url = assetDownloadUrl(deps, {
        workspaceId: e.workspace_id,
        contactId: e.contact_id,
        assetId: asset.id,
      });
      w.mails.push({
        run,
        extra: { assetId: asset.id },
        input: {
          workspaceId: e.workspace_id,
          kind: 'marketing',
          purpose: step.purpose,
          contactId: e.contact_id,
          to: contact.email,
          locale,
          template: { id: step.templateId, variables: { asset: { id: asset.id, title: asset.title, url } } },
          idempotencyKey,
        },
      });
      return 'deferred';
    }
    case 'invite-to-event': {
      const event = await findEvent(trx, e.workspace_id, step.eventId);
      if (event?.status !== 'scheduled') return { skipped: 'event_missing' };
      if (event.starts_at.getTime() <= deps.clock.now().getTime()) return { skipped: 'event_started' };
      // The registration page is the event's capture form (hosted at /f/<slug>); the slug is read
      // here because capture offers no lookup for it.
      const form = event.form_id
        ? await trx
            .selectFrom('forms')
            .select('slug')
            .where('workspace_id', '=', e.workspace_id)
            .where('id', '=', event.form_id)
            .executeTakeFirst()
        : undefined;
      if (!form) return { skipped: 'event_without_registration' };
      w.mails.push({
        run,
        extra: { eventId: event.id },
        input: {
          workspaceId: e.workspace_id,
          kind: 'marketing',
          purpose: step.purpose,
          contactId: e.contact_id,
          to: contact.email,
          locale,
          template: {
            id: step.templateId,
            variables: {
              event: {
                id: event.id,
                title: event.title,
                startsAt: event.starts_at.toISOString(),
                timeZone: event.time_zone,
                location: event.location,
                onlineUrl: event.online_url,
                registrationUrl: `${deps.config.publicUrl}/f/${form.slug}`,
              },
            },
          },
          idempotencyKey,
        },
      });
      return 'deferred';
    }
    case 'ask-question': {
      const url = questionUrl(
        deps,
        {
          workspaceId: e.workspace_id,
          contactId: e.contact_id,
          journeyId: e.journey_id,
          version: e.version,
          stepId: step.id,
          enrollmentId: e.id,
        },
        step.validDays,
      );
      const questionLocale = locale === 'en' ? 'en' : 'de';
      w.mails.push({
        run,
        extra: { question: step.answer.kind === 'bant' ? `bant.${step.answer.field}` : step.answer.field },
        input: {
          workspaceId: e.workspace_id,
          kind: 'marketing',
          purpose: step.purpose,
          contactId: e.contact_id,
          to: contact.email,
          locale,
          template: {
            id: step.templateId,
            variables: { question: { text: step.question[questionLocale], url } },
          },
          idempotencyKey,
        },
      });
      return 'deferred';
    }
    case 'update-contact':
      return updateContactFields(trx, deps, step, e);
    case 'journey': {
      if (step.action === 'add') {
        const ids = await enrollContacts(trx, deps, {
          workspaceId: e.workspace_id,
          journeyId: step.journeyId,
          contactIds: [e.contact_id],
          source: `journey:${e.journey_id}`,
        });
        return ids.length > 0 ? { enrollmentId: ids[0] } : { skipped: 'not_entered' };
      }
      const removed = await exitContactFromJourney(trx, deps, {
        workspaceId: e.workspace_id,
        journeyId: step.journeyId,
        contactId: e.contact_id,
        reason: `journey:${e.journey_id}`,
      });
      return removed ? { removed: true } : { skipped: 'not_inside' };
    }
    case 'notify-owner':
      return notifyOwner(trx, deps, step, e, contact);
    case 'hand-off': {
      if (!wiring.handOffToSales) return { skipped: 'sales_not_available' };
      try {
        const r = await wiring.handOffToSales(trx, deps, {
          workspaceId: e.workspace_id,
          contactId: e.contact_id,
          cause: `journey:${e.journey_id}`,
        });
        return { leadId: r.leadId, created: r.created, status: r.status };
      } catch (err) {
        // Already with sales or a customer: nothing to hand off; the journey goes on.
        if (err instanceof AppError && err.code === 'SALES_HANDOFF_NOT_POSSIBLE')
          return { skipped: 'already_with_sales' };
        throw err;
      }
    }
    case 'webhook':
      return webhook?.error
        ? { skipped: 'webhook_failed', error: webhook.error }
        : { status: webhook?.status ?? null };
    default:
      return {};
  }
}

const COLUMN_FIELDS = new Set([
  'first_name',
  'last_name',
  'company_name',
  'job_title',
  'phone',
  'country',
  'city',
  'locale',
]);

/** Fields and tags set by a journey step; recorded on the timeline as changed by the journey. */
async function updateContactFields(
  trx: Trx,
  deps: RunnerDeps,
  step: Extract<Step, { type: 'update-contact' }>,
  e: EnrollmentRow,
): Promise<Record<string, unknown>> {
  const now = deps.clock.now();
  const columns: Record<string, unknown> = {};
  const custom: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(step.set ?? {})) {
    if (k.startsWith('custom.')) custom[k.slice(7)] = v;
    else if (COLUMN_FIELDS.has(k)) columns[k] = v === null ? null : String(v);
  }
  if (
    columns.locale !== undefined &&
    columns.locale !== null &&
    columns.locale !== 'de' &&
    columns.locale !== 'en'
  )
    delete columns.locale;
  const add = step.addTags ?? [];
  const remove = step.removeTags ?? [];
  await sql`UPDATE contacts c SET
      custom_fields = c.custom_fields || ${JSON.stringify(custom)}::jsonb,
      tags = ARRAY(SELECT DISTINCT t FROM unnest(c.tags || ${add}::text[]) t WHERE t <> ALL(${remove}::text[]) ORDER BY t),
      updated_at = ${now}
    WHERE c.workspace_id = ${e.workspace_id} AND c.id = ${e.contact_id}`.execute(trx);
  if (Object.keys(columns).length > 0) {
    await trx
      .updateTable('contacts')
      .set(columns)
      .where('workspace_id', '=', e.workspace_id)
      .where('id', '=', e.contact_id)
      .execute();
  }
  const changed = { set: step.set ?? {}, addTags: add, removeTags: remove };
  await recordActivities(trx, [journeyActivity(e, 'journeys.contact-updated', changed, now)]);
  return changed;
}

async function notifyOwner(
  trx: Trx,
  deps: RunnerDeps,
  step: Extract<Step, { type: 'notify-owner' }>,
  e: EnrollmentRow,
  contact: ContactRow,
): Promise<Record<string, unknown>> {
  if (!contact.owner_user_id) return { skipped: 'no_owner' };
  const owner = await trx
    .selectFrom('users')
    .innerJoin('memberships', 'memberships.user_id', 'users.id')
    .select(['users.email'])
    .where('users.id', '=', contact.owner_user_id)
    .where('memberships.workspace_id', '=', e.workspace_id)
    .executeTakeFirst();
  if (!owner) return { skipped: 'no_owner' };
  const name = [contact.first_name, contact.last_name].filter(Boolean).join(' ') || contact.email;
  const link = `${deps.config.publicUrl}/app/contacts/${contact.id}`;
  const r = await enqueueMessage(trx, deps, {
    workspaceId: e.workspace_id,
    kind: 'transactional',
    to: owner.email,
    locale: 'de',
    content: {
      subject: `Leadwerk: ${name}`,
      text: `${step.message}\n\n${name} <${contact.email}>\n${link}`,
      html: `<p>${escapeHtml(step.message)}</p><p>${escapeHtml(name)} &lt;${escapeHtml(contact.email)}&gt;<br><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`,
    },
    idempotencyKey: `journey:${e.id}:${e.seq}:owner`,
  });
  return { messageId: r.messageId };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The job definitions with their handlers (registered by the module). */
export function runStepJob(deps: RunnerDeps, wiring: JourneyWiring = {}) {
  return {
    ...RUN_STEP_JOB,
    handler: (payload: { enrollmentId: string; seq: number }, ctx: JobContext) =>
      runStep(deps, payload, ctx, wiring),
  };
}

export function runStepsJob(deps: RunnerDeps, wiring: JourneyWiring = {}) {
  return {
    ...RUN_STEPS_JOB,
    handler: (payload: { items: { enrollmentId: string; seq: number }[] }, ctx: JobContext) =>
      runSteps(deps, payload, ctx, wiring),
  };
}
