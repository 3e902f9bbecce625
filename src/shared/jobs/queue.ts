import type { Static, TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { type QueryCreator, type RawBuilder, sql } from 'kysely';
import type { Clock } from '../clock.js';
import type { Database, Db, Executor, Trx } from '../db/index.js';
import { AppError } from '../errors.js';
import type { Logger } from '../log.js';

/*
 * Why our own queue and not pg-boss: we evaluated pg-boss (10.x) first. It keeps its own schema
 * with partitioned tables and stored functions and talks to the database through its own pool or
 * an `executeSql` adapter. Three things did not fit cleanly: (1) enqueueing in the caller's
 * Kysely transaction needs an adapter per call that bypasses our single-session PGlite driver,
 * which deadlocks when the transaction holds the only session; (2) its clock is the database's
 * `now()`, while journeys and tests need our injected clock for "wait 3 days"; (3) completing a job
 * atomically with the handler's own writes (exactly-once database effects) is not part of its
 * API. The queue below is ~300 lines on one table, with the same guarantees (at-least-once,
 * SKIP LOCKED claiming, retries with backoff, dead letters, scheduled runs, lanes) and one code
 * path for PGlite and PostgreSQL.
 */

/** Lanes keep urgent work (confirmation mails) from waiting behind bulk sends. */
export const LANES = ['critical', 'default', 'bulk'] as const;
export type Lane = (typeof LANES)[number];

export const JOBS_CHANNEL = 'leadwerk_jobs';

export interface JobInfo {
  id: string;
  name: string;
  workspaceId: string | null;
  attempts: number;
  maxAttempts: number;
}

export interface JobContext {
  db: Db;
  job: JobInfo;
  log: Logger;
  clock: Clock;
  /**
   * Runs `fn` in a transaction that also completes the job: the handler's writes and the job's
   * completion commit together or not at all (exactly-once database effects). If the job's lease
   * was lost to another worker meanwhile, everything rolls back.
   */
  completeWith<T>(fn: (trx: Trx) => Promise<T>): Promise<T>;
}

export interface JobDefinition<S extends TSchema = TSchema> {
  /** `module.verb-noun`, e.g. `consent.send-opt-in-mail`. */
  name: string;
  lane?: Lane;
  priority?: number;
  maxAttempts?: number;
  /** Validated at enqueue and again before the handler runs. Jobs carry ids, not data. */
  schema: S;
  /** Must be safe to run more than once. */
  handler(payload: Static<S>, ctx: JobContext): Promise<void>;
  /**
   * Optional: run up to `max` due jobs of this kind at once (one claim, one handler call, one
   * completion). When the worker claims a job of this kind it claims up to `max - 1` more of the
   * same kind with one more statement and hands them all to `handler`; they take one place of the
   * lane's concurrency. `ctx.completeWith` completes every job of the batch. When the batch handler
   * throws, each of its jobs runs again at once with the single `handler` (which must do the same
   * work for one job), so one bad job cannot hold up the others; a job that fails on its own is
   * retried with its own backoff.
   */
  batch?: {
    max: number;
    /**
     * Optional: wait this long for more jobs of the kind before running a batch that is not full
     * (jobs claimed meanwhile join it). For work that arrives one job at a time in bursts and
     * costs far less per item in a batch; adds up to this much latency to each job.
     */
    lingerMs?: number;
    handler(payloads: Static<S>[], ctx: BatchJobContext): Promise<void>;
  };
}

/** The context of a batch run: like JobContext, for every job of the batch at once. */
export interface BatchJobContext extends Omit<JobContext, 'job'> {
  jobs: JobInfo[];
}

/** Helper that keeps the payload type of a definition. */
export function defineJob<S extends TSchema>(def: JobDefinition<S>): JobDefinition<S> {
  return def;
}

/** Thrown by a handler when retrying cannot help; the job goes to the dead letters at once. */
export class PermanentJobError extends Error {
  override name = 'PermanentJobError';
}

export interface EnqueueOptions {
  workspaceId?: string | null;
  runAt?: Date;
  /** Delay in milliseconds from now (alternative to runAt). */
  delayMs?: number;
  priority?: number;
  /** A second enqueue with the same name and key is ignored while the first is pending (queued or running). */
  idempotencyKey?: string;
}

/** Writes jobs. Use the caller's transaction so the job exists exactly when the change that caused it does. */
export class JobQueue {
  constructor(private readonly clock: Clock) {}

  /** Enqueues one job in `executor` (a transaction or the database); returns its id, or null if deduplicated. */
  async enqueue<S extends TSchema>(
    executor: Executor,
    def: JobDefinition<S>,
    payload: Static<S>,
    options: EnqueueOptions = {},
  ): Promise<string | null> {
    const ids = await this.enqueueMany(executor, def, [payload], options);
    return ids[0] ?? null;
  }

  /** Enqueues many jobs of one kind in one statement. */
  async enqueueMany<S extends TSchema>(
    executor: Executor,
    def: JobDefinition<S>,
    payloads: Static<S>[],
    options: Omit<EnqueueOptions, 'idempotencyKey'> & { idempotencyKeys?: string[] } & {
      idempotencyKey?: string;
    } = {},
  ): Promise<string[]> {
    if (payloads.length === 0) return [];
    for (const payload of payloads) {
      if (!Value.Check(def.schema, payload)) {
        const first = [...Value.Errors(def.schema, payload)][0];
        throw new AppError('VALIDATION_FAILED', {
          job: def.name,
          field: first?.path ?? '',
          reason: first?.message ?? 'invalid job payload',
        });
      }
    }
    const now = this.clock.now();
    const runAt = options.runAt ?? new Date(now.getTime() + (options.delayMs ?? 0));
    const lane = def.lane ?? 'default';
    const keys = options.idempotencyKeys ?? (options.idempotencyKey ? [options.idempotencyKey] : []);
    const seen = new Set<string>();
    const rows = [];
    for (const [i, payload] of payloads.entries()) {
      const key = keys[i] ?? null;
      // A key twice in one batch: the first wins, as if they had been enqueued one after the other.
      if (key !== null) {
        if (seen.has(key)) continue;
        seen.add(key);
      }
      rows.push({
        workspace_id: options.workspaceId ?? null,
        name: def.name,
        lane,
        priority: options.priority ?? def.priority ?? 0,
        payload: JSON.stringify(payload),
        run_at: runAt,
        max_attempts: def.maxAttempts ?? 10,
        idempotency_key: key,
        created_at: now,
        updated_at: now,
      });
    }
    if (seen.size > 0) {
      // A key deduplicates while its job is pending. A dead job stays in the dead letters for
      // inspection but gives its key up, or the same work could never be enqueued again.
      await executor
        .updateTable('jobs')
        .set({ idempotency_key: null })
        .where('name', '=', def.name)
        .where('state', '=', 'dead')
        .where('idempotency_key', 'in', [...seen])
        .execute();
    }
    const values = [...rows];
    const insert = (db: QueryCreator<Database>) =>
      db
        .insertInto('jobs')
        .values(values)
        .onConflict((oc) =>
          oc.columns(['name', 'idempotency_key']).where('idempotency_key', 'is not', null).doNothing(),
        )
        .returning('id');
    // Due now: one statement inserts and, only if the lane had no due job waiting (the workers may
    // all be asleep), notifies. With jobs waiting, the workers are busy and claim again after every
    // job they finish, so a NOTIFY per job would only cost: a serialised commit (PostgreSQL holds a
    // database-wide lock from a notifying commit until it is flushed), a wake-up and a claim in
    // every worker. The NOTIFY is delivered at commit, so a worker never wakes for a job it cannot
    // see yet. (The CTE's INSERT is invisible to the NOT EXISTS: it sees the jobs before this one.)
    const inserted =
      runAt.getTime() <= now.getTime() + 1000
        ? await executor
            .with('ins', (db) => insert(db))
            .selectFrom('ins')
            .select([
              'ins.id',
              sql<string>`(SELECT pg_notify(${JOBS_CHANNEL}, ${lane}) WHERE NOT ${dueJobExists(lane, now)})`.as(
                'notified',
              ),
            ])
            .execute()
        : await insert(executor).execute();
    return inserted.map((r) => r.id);
  }

  /**
   * Withdraws jobs of one kind that have not started yet, by their idempotency keys (e.g. the
   * reminders of a cancelled registration); returns how many. A job already running finishes.
   */
  async cancel<S extends TSchema>(
    executor: Executor,
    def: JobDefinition<S>,
    idempotencyKeys: readonly string[],
  ): Promise<number> {
    if (idempotencyKeys.length === 0) return 0;
    const r = await executor
      .deleteFrom('jobs')
      .where('name', '=', def.name)
      .where('state', '=', 'queued')
      .where('idempotency_key', 'in', [...idempotencyKeys])
      .executeTakeFirst();
    return Number(r.numDeletedRows);
  }
}

/**
 * One job as a part of a larger statement (see shared/db/insert-if.ts): the row of `def` with
 * `payload`, due now. The caller inserts it with its own condition and wakes the workers with
 * `notifyIfIdle` in the same statement, as `enqueue` does.
 */
export function jobRow<S extends TSchema>(
  def: JobDefinition<S>,
  payload: Static<S>,
  options: { workspaceId: string | null; now: Date },
): Record<string, unknown> {
  return {
    workspace_id: options.workspaceId,
    name: def.name,
    lane: def.lane ?? 'default',
    priority: def.priority ?? 0,
    payload,
    run_at: options.now,
    max_attempts: def.maxAttempts ?? 10,
    created_at: options.now,
    updated_at: options.now,
  };
}

/** `pg_notify` for `lane` when it had no due job before this statement (see `enqueueMany`). */
export function notifyIfIdle(lane: Lane, now: Date): RawBuilder<unknown> {
  return sql`(SELECT pg_notify(${JOBS_CHANNEL}, ${lane}) WHERE NOT ${dueJobExists(lane, now)})`;
}

/**
 * Wake-ups asked for per lane by this process (performance.now()), for `notifyIfIdleThrottled`.
 */
const lastWakeAt = new Map<Lane, number>();

/**
 * At most one wake-up per lane per this many ms from one process. Not more than the worker's poll
 * interval while its lane is busy (worker.ts ACTIVE_POLL_MS): a job whose NOTIFY was left out is
 * claimed by that poll, or by the end of a lingering batch's wait.
 */
export const WAKE_THROTTLE_MS = 20;

/**
 * `notifyIfIdle` for statements that run hundreds of times a second (a recorded click, a page
 * visit): asks for a wake-up at most once per WAKE_THROTTLE_MS and lane from this process, and
 * otherwise for nothing. Every NOTIFY takes PostgreSQL's global notify lock at commit, signals every
 * listening worker and makes each claim once; in a burst of clicks that was 0.3 claims and a
 * signal per click (bench `scoring`), for jobs that the first wake-up's worker, polling every 20 ms
 * while busy, claims anyway. A wake-up left out costs at most one such poll interval of latency.
 */
export function notifyIfIdleThrottled(lane: Lane, now: Date): RawBuilder<unknown> {
  const t = performance.now();
  if (t - (lastWakeAt.get(lane) ?? Number.NEGATIVE_INFINITY) < WAKE_THROTTLE_MS) return sql`NULL`;
  lastWakeAt.set(lane, t);
  return notifyIfIdle(lane, now);
}

/**
 * "Has this lane a job due at `now`?", answered by `jobs_due_idx` (lane, run_at) WHERE state =
 * 'queued' AND run_at > '-infinity' in a few index entries however many jobs wait for later. The
 * extra `run_at > '-infinity'` (true of every job) is in the index predicate on purpose: the claim
 * query does not imply it, so the planner can never pick this index for the claim, where it would
 * have to sort every due job to find the first by priority (it did, with stale statistics).
 */
export function dueJobExists(lane: Lane, now: Date): RawBuilder<boolean> {
  return sql<boolean>`EXISTS (SELECT 1 FROM jobs
    WHERE state = 'queued' AND run_at > '-infinity' AND lane = ${lane} AND run_at <= ${now})`;
}
