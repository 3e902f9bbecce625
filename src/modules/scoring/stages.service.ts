import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import type { Executor, Trx } from '../../shared/db/index.js';
import { AppError } from '../../shared/errors.js';
import { defineJob } from '../../shared/jobs/index.js';
import type { ActivityRow, AppDeps } from '../../shared/module.js';
import { recordActivities, recordActivity } from '../contacts/index.js';
import { isTransitionAllowed, STAGES, type Stage, timeInStages } from './rules.js';
import { loadSettings } from './settings.js';

/*
 * The sales module runs `sales.route-lead`; scoring only enqueues it. Its shape is declared here
 * (docs/contracts.md, "sales"): importing the sales module would be a cycle, since sales gets
 * changeStage from us through src/modules.ts. The worker runs the sales module's handler by name.
 */
const Uuid = Type.String({ pattern: '^[0-9a-fA-F-]{36}$' });
export const routeLeadJob = defineJob({
  name: 'sales.route-lead',
  lane: 'critical',
  maxAttempts: 10,
  schema: Type.Object({ workspaceId: Uuid, contactId: Uuid }),
  async handler() {
    throw new Error('sales.route-lead runs in the sales module');
  },
});

/** Who or what moved a stage: `rule:<name>`, `user:<id>`, `import:<id>`, `journey:<id>`, `api`. */
export type StageCause = string;

export interface ChangeStageInput {
  workspaceId: string;
  contactId: string;
  to: Stage;
  cause: StageCause;
  note?: string | undefined;
}

export type ChangeStageResult =
  | { changed: false; stage: string }
  | { changed: true; from: string; to: Stage };

function causeKind(cause: string): string {
  return cause.split(':')[0] ?? cause;
}

/**
 * Moves a contact to another lifecycle stage in the caller's transaction: locks the contact, checks
 * the workspace's allowed moves, writes the `contacts.stage-changed` timeline entry and the stage
 * history, and — entering MQL — enqueues `sales.route-lead` once for this MQL entry. Moving to the
 * stage the contact is in already changes nothing.
 */
export async function changeStage(
  trx: Trx,
  deps: Pick<AppDeps, 'clock' | 'queue'>,
  input: ChangeStageInput,
): Promise<ChangeStageResult> {
  if (!(STAGES as readonly string[]).includes(input.to))
    throw new AppError('VALIDATION_FAILED', { fields: [{ field: 'to', message: 'unknown stage' }] });
  const contact = await trx
    .selectFrom('contacts')
    .select(['id', 'lifecycle_stage'])
    .where('workspace_id', '=', input.workspaceId)
    .where('id', '=', input.contactId)
    .where('merged_into_contact_id', 'is', null)
    .forUpdate()
    .executeTakeFirst();
  if (!contact) throw new AppError('NOT_FOUND');
  const from = contact.lifecycle_stage;
  if (from === input.to) return { changed: false, stage: from };
  const { settings } = await loadSettings(trx, input.workspaceId);
  if (!isTransitionAllowed(settings.transitions, from, input.to))
    throw new AppError('STAGE_TRANSITION_NOT_ALLOWED', { from, to: input.to });
  const now = deps.clock.now();
  await trx
    .updateTable('contacts')
    .set({ lifecycle_stage: input.to, updated_at: now })
    .where('workspace_id', '=', input.workspaceId)
    .where('id', '=', input.contactId)
    .execute();
  const history = await trx
    .insertInto('stage_history')
    .values({
      workspace_id: input.workspaceId,
      contact_id: input.contactId,
      from_stage: from,
      to_stage: input.to,
      changed_at: now,
      cause: input.cause,
      note: input.note ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  // The same timeline entry the contacts module writes for a stage edited on the profile.
  await recordActivity(trx, {
    workspaceId: input.workspaceId,
    contactId: input.contactId,
    type: 'contacts.stage-changed',
    occurredAt: now,
    data: {
      from,
      to: input.to,
      reason: input.note ?? null,
      cause: causeKind(input.cause),
      by: input.cause,
      historyId: history.id,
    },
    source: input.cause.startsWith('rule:') ? 'scoring' : input.cause,
  });
  if (input.to === 'mql') await enqueueRouting(trx, deps, input.workspaceId, input.contactId, history.id);
  return { changed: true, from, to: input.to };
}

/**
 * The rules' moves (engaged, MQL) for contacts the caller has locked and whose current stage it
 * read, in a handful of statements however many contacts move (a recompute moves thousands): one
 * UPDATE, one history INSERT, one timeline INSERT (with its deliveries), one routing enqueue per
 * MQL entry. The caller has checked the allowed moves. Returns the moves made.
 */
export async function moveStagesByRule(
  trx: Executor,
  deps: Pick<AppDeps, 'clock' | 'queue'>,
  workspaceId: string,
  moves: readonly { contactId: string; from: string; to: Stage; cause: StageCause }[],
): Promise<{ contactId: string; to: Stage }[]> {
  const todo = moves.filter((m) => m.from !== m.to);
  if (todo.length === 0) return [];
  const now = deps.clock.now();
  const data = JSON.stringify(todo.map((m) => ({ c: m.contactId, t: m.to, f: m.from, k: m.cause })));
  const history = await sql<{ id: string; contact_id: string }>`
    WITH moved AS (
      UPDATE contacts c SET lifecycle_stage = x.t, updated_at = ${now}
        FROM jsonb_to_recordset(${data}::jsonb) AS x(c uuid, t text, f text, k text)
       WHERE c.workspace_id = ${workspaceId} AND c.id = x.c AND c.lifecycle_stage = x.f
      RETURNING c.id, x.t, x.f, x.k
    )
    INSERT INTO stage_history (workspace_id, contact_id, from_stage, to_stage, changed_at, cause)
    SELECT ${workspaceId}, id, f, t, ${now}, k FROM moved
    RETURNING id, contact_id`.execute(trx);
  const historyOf = new Map(history.rows.map((r) => [r.contact_id, String(r.id)]));
  const done = todo.filter((m) => historyOf.has(m.contactId));
  await recordActivities(
    trx,
    done.map((m) => ({
      workspaceId,
      contactId: m.contactId,
      type: 'contacts.stage-changed',
      occurredAt: now,
      data: {
        from: m.from,
        to: m.to,
        reason: null,
        cause: causeKind(m.cause),
        by: m.cause,
        historyId: historyOf.get(m.contactId)!,
      },
      source: 'scoring',
    })),
  );
  const mql = done.filter((m) => m.to === 'mql');
  if (mql.length > 0)
    await deps.queue.enqueueMany(
      trx,
      routeLeadJob,
      mql.map((m) => ({ workspaceId, contactId: m.contactId })),
      {
        workspaceId,
        idempotencyKeys: mql.map((m) => `sales.route-lead:${m.contactId}:${historyOf.get(m.contactId)}`),
      },
    );
  return done.map((m) => ({ contactId: m.contactId, to: m.to }));
}

async function enqueueRouting(
  trx: Executor,
  deps: Pick<AppDeps, 'queue'>,
  workspaceId: string,
  contactId: string,
  entryId: string,
): Promise<void> {
  await deps.queue.enqueue(
    trx,
    routeLeadJob,
    { workspaceId, contactId },
    { workspaceId, idempotencyKey: `sales.route-lead:${contactId}:${entryId}` },
  );
}

/**
 * Activity handler for `contacts.stage-changed` entries written elsewhere (a stage edited on the
 * contact profile or through the contacts API): records them in the stage history once (keyed by
 * the entry) and routes a contact that entered MQL that way. Entries written by changeStage carry
 * their history id and are skipped.
 */
export async function trackStageChanges(
  deps: AppDeps,
  workspaceId: string,
  activities: ActivityRow[],
): Promise<void> {
  const foreign = activities.filter(
    (a) => a.type === 'contacts.stage-changed' && a.data.historyId === undefined,
  );
  for (const a of foreign) {
    await deps.db.transaction().execute(async (trx) => {
      const to = String(a.data.to ?? '');
      if (!(STAGES as readonly string[]).includes(to)) return;
      const inserted = await trx
        .insertInto('stage_history')
        .values({
          workspace_id: workspaceId,
          contact_id: a.contact_id,
          from_stage: typeof a.data.from === 'string' ? a.data.from : null,
          to_stage: to,
          changed_at: a.occurred_at,
          cause: a.source ?? 'user',
          note: typeof a.data.reason === 'string' ? a.data.reason : null,
          activity_id: String(a.id),
        })
        .onConflict((oc) =>
          oc.columns(['workspace_id', 'activity_id']).where('activity_id', 'is not', null).doNothing(),
        )
        .returning('id')
        .executeTakeFirst();
      if (!inserted || to !== 'mql') return;
      const contact = await trx
        .selectFrom('contacts')
        .select('lifecycle_stage')
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', a.contact_id)
        .executeTakeFirst();
      if (contact?.lifecycle_stage === 'mql')
        await enqueueRouting(trx, deps, workspaceId, a.contact_id, inserted.id);
    });
  }
}

/** A contact's stage moves (oldest first) and the time spent in each stage up to now. */
export async function getStageHistory(
  db: Executor,
  deps: Pick<AppDeps, 'clock'>,
  workspaceId: string,
  contactId: string,
) {
  const moves = await db
    .selectFrom('stage_history')
    .select(['from_stage', 'to_stage', 'changed_at', 'cause', 'note'])
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .orderBy('changed_at')
    .orderBy('id')
    .execute();
  const created = await db
    .selectFrom('contacts')
    .select(['created_at', 'lifecycle_stage'])
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', contactId)
    .executeTakeFirst();
  const start = created
    ? [{ to: moves[0]?.from_stage ?? created.lifecycle_stage, at: created.created_at }]
    : [];
  return {
    moves,
    timeInStageMs: timeInStages(
      [...start, ...moves.map((m) => ({ to: m.to_stage, at: m.changed_at }))],
      deps.clock.now(),
    ),
  };
}

/** How long contacts of a workspace stay in each stage (for reports): stays, still there, average and median. */
export interface StageTimeRow {
  stage: string;
  /** Every stay in the stage, ended or not. */
  stays: number;
  /** Contacts in the stage now (their stay counts up to `now`). */
  current: number;
  averageSeconds: number;
  medianSeconds: number;
}

/**
 * Time spent in each stage, from the stage history: a stay lasts from a move into the stage to the
 * contact's next move (or to `now` while it is still there). One statement over the workspace's
 * history, served by `stage_history_contact_idx`.
 */
export async function stageTimeReport(db: Executor, workspaceId: string, now: Date): Promise<StageTimeRow[]> {
  const r = await sql<{ stage: string; stays: string; current: string; avg_s: number; median_s: number }>`
    WITH stays AS (
      SELECT to_stage AS stage, changed_at AS entered,
             lead(changed_at) OVER (PARTITION BY contact_id ORDER BY changed_at, id) AS left_at
        FROM stage_history WHERE workspace_id = ${workspaceId}
    ), lengths AS (
      SELECT stage, left_at IS NULL AS open,
             greatest(0, EXTRACT(EPOCH FROM (coalesce(left_at, ${now}::timestamptz) - entered)))::float8 AS s
        FROM stays
    )
    SELECT stage, count(*) AS stays, count(*) FILTER (WHERE open) AS current,
           avg(s)::float8 AS avg_s, percentile_cont(0.5) WITHIN GROUP (ORDER BY s)::float8 AS median_s
      FROM lengths GROUP BY stage`.execute(db);
  const order = (s: string) => {
    const i = (STAGES as readonly string[]).indexOf(s);
    return i < 0 ? STAGES.length : i;
  };
  return r.rows
    .map((x) => ({
      stage: x.stage,
      stays: Number(x.stays),
      current: Number(x.current),
      averageSeconds: Math.round(Number(x.avg_s)),
      medianSeconds: Math.round(Number(x.median_s)),
    }))
    .sort((a, b) => order(a.stage) - order(b.stage));
}
