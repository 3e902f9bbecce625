import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import type { Db, Executor } from '../../shared/db/index.js';
import { newId } from '../../shared/ids.js';
import { defineJob, type JobDefinition, PermanentJobError } from '../../shared/jobs/index.js';
import type { AppDeps } from '../../shared/module.js';
import { loadScoringContext, rebuildScoreEvents, rescoreRange } from './scores.service.js';

/** Contacts per transaction of a recompute; parts of the workspace run in parallel on several workers. */
export const RECOMPUTE_BATCH = 2000;
/** How many key ranges a recompute is split into (one chain of batch jobs each). */
export const RECOMPUTE_PARTS = 8;

const Payload = Type.Object({
  workspaceId: Type.String({ minLength: 1, maxLength: 64 }),
  recomputeId: Type.String({ minLength: 1, maxLength: 64 }),
  /** The part's range: contacts with from <= id < to (to null: to the end). */
  from: Type.String(),
  to: Type.Union([Type.String(), Type.Null()]),
  /** Where the next batch of this part starts (inclusive; null: at `from`). */
  after: Type.Union([Type.String(), Type.Null()]),
  /**
   * Engagement rules whose matching changed (new, other activity type or ref prefix, enabled
   * again): their contributions are rebuilt from the timeline; 'all' rebuilds every rule's (the
   * manual recompute). Missing or empty: the contributions stand (points, caps, decay, fit rules
   * and settings apply when rescoring).
   */
  rematch: Type.Optional(Type.Union([Type.Literal('all'), Type.Array(Type.String(), { maxItems: 1000 })])),
});

/**
 * Scores a recompute changed (no timeline entry): the contacts of one recompute batch whose fit or
 * engagement changed, and the time the batch wrote them; enqueued in the batch's transaction (one
 * job per batch, not per contact). Scoring defines the job; journeys runs it (its
 * `checkScoreChanges` checks segment and score triggers) — journeys imports scoring, not back.
 */
export const SCORE_CHANGES_JOB = defineJob({
  name: 'journeys.check-score-changes',
  lane: 'default',
  maxAttempts: 8,
  schema: Type.Object({
    contactIds: Type.Array(Type.String(), { minItems: 1, maxItems: 5000 }),
    at: Type.String({ maxLength: 40 }),
  }),
  async handler() {
    throw new PermanentJobError('journeys.check-score-changes runs in the journeys module');
  },
});

/** The recompute batch job (its payload type stays inside this file). */
export type RecomputeJob = JobDefinition<typeof Payload>;

export function recomputeBatchJob(deps: AppDeps): RecomputeJob {
  const job: JobDefinition<typeof Payload> = defineJob({
    name: 'scoring.recompute-batch',
    lane: 'bulk',
    maxAttempts: 10,
    schema: Payload,
    async handler(payload, ctx) {
      const { workspaceId, recomputeId } = payload;
      const run = await ctx.db
        .selectFrom('scoring_recomputes')
        .select(['state', 'rules_version'])
        .where('id', '=', recomputeId)
        .where('workspace_id', '=', workspaceId)
        .executeTakeFirst();
      if (run?.state !== 'running') return;
      const scoring = await loadScoringContext(ctx.db, workspaceId);
      if (scoring.rulesVersion !== run.rules_version) {
        // A newer rule change started its own recompute; this one stops.
        await ctx.completeWith((trx) =>
          trx
            .updateTable('scoring_recomputes')
            .set({ state: 'failed', finished_at: ctx.clock.now() })
            .where('id', '=', recomputeId)
            .execute(),
        );
        return;
      }
      const start = payload.after ?? payload.from;
      // The batch is [start, next): next is the first contact of the following batch.
      let q = ctx.db
        .selectFrom('contacts')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('merged_into_contact_id', 'is', null)
        .where('id', '>=', start);
      if (payload.to) q = q.where('id', '<', payload.to);
      const next = (await q.orderBy('id').offset(RECOMPUTE_BATCH).limit(1).executeTakeFirst())?.id ?? null;
      const end = next ?? payload.to;
      await ctx.completeWith(async (trx) => {
        await rebuildScoreEvents(trx, scoring, workspaceId, { from: start, to: end }, payload.rematch ?? []);
        const { count, changed, at } = await rescoreRange(trx, deps, scoring, workspaceId, {
          from: start,
          to: end,
          limit: RECOMPUTE_BATCH + 1,
        });
        if (changed.length > 0)
          await deps.queue.enqueue(
            trx,
            SCORE_CHANGES_JOB,
            { contactIds: changed, at: at.toISOString() },
            { workspaceId },
          );
        const updated = await trx
          .updateTable('scoring_recomputes')
          .set((eb) => ({
            done: eb('done', '+', count),
            ...(next ? {} : { parts_done: eb('parts_done', '+', 1) }),
          }))
          .where('id', '=', recomputeId)
          .returning(['parts', 'parts_done'])
          .executeTakeFirstOrThrow();
        if (next) await deps.queue.enqueue(trx, job, { ...payload, after: next }, { workspaceId });
        else if (updated.parts_done >= updated.parts)
          await trx
            .updateTable('scoring_recomputes')
            .set({ state: 'done', finished_at: ctx.clock.now() })
            .where('id', '=', recomputeId)
            .execute();
      });
    },
  });
  return job;
}

/**
 * Starts a background recompute of every contact of the workspace (after a rule change), split into
 * key ranges that workers process in parallel; progress is in scoring_recomputes.
 */
export async function startRecompute(
  trx: Executor,
  deps: AppDeps,
  job: JobDefinition<typeof Payload>,
  workspaceId: string,
  rulesVersion: number,
  rematch: readonly string[] | 'all' = [],
): Promise<string> {
  const now = deps.clock.now();
  const bounds = await sql<{ id: string; n: string }>`
    SELECT min(id::text) AS id, sum(1)::text AS n FROM (
      SELECT id, ntile(${RECOMPUTE_PARTS}) OVER (ORDER BY id) AS part
        FROM contacts WHERE workspace_id = ${workspaceId} AND merged_into_contact_id IS NULL) t
    GROUP BY part ORDER BY min(id::text)`.execute(trx);
  const starts = bounds.rows.map((r) => r.id);
  const total = bounds.rows.reduce((s, r) => s + Number(r.n), 0);
  const id = newId();
  // An older recompute still running is superseded.
  await trx
    .updateTable('scoring_recomputes')
    .set({ state: 'failed', finished_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('state', '=', 'running')
    .execute();
  await trx
    .insertInto('scoring_recomputes')
    .values({
      id,
      workspace_id: workspaceId,
      state: starts.length === 0 ? 'done' : 'running',
      total,
      rules_version: rulesVersion,
      started_at: now,
      finished_at: starts.length === 0 ? now : null,
      parts: starts.length,
    })
    .execute();
  await deps.queue.enqueueMany(
    trx,
    job,
    starts.map((from, i) => ({
      workspaceId,
      recomputeId: id,
      from,
      to: starts[i + 1] ?? null,
      after: null,
      rematch: rematch === 'all' ? 'all' : [...rematch],
    })),
    { workspaceId },
  );
  return id;
}

/** The newest recompute of a workspace with its progress. */
export async function latestRecompute(db: Db | Executor, workspaceId: string) {
  return db
    .selectFrom('scoring_recomputes')
    .select(['id', 'state', 'total', 'done', 'started_at', 'finished_at'])
    .where('workspace_id', '=', workspaceId)
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}
