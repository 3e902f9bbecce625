import { Value } from '@sinclair/typebox/value';
import { type RawBuilder, sql } from 'kysely';
import type { Clock } from '../clock.js';
import { randomToken } from '../crypto.js';
import type { DatabaseHandle, Executor } from '../db/index.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics.js';
import {
  type BatchJobContext,
  dueJobExists,
  JOBS_CHANNEL,
  type JobContext,
  type JobDefinition,
  type JobInfo,
  LANES,
  type Lane,
  PermanentJobError,
} from './queue.js';

export interface WorkerOptions {
  handle: DatabaseHandle;
  definitions: JobDefinition[];
  clock: Clock;
  log: Logger;
  metrics?: Metrics;
  /** Jobs run at once per lane. */
  concurrency?: Partial<Record<Lane, number>>;
  /** How long a claimed job is ours without a heartbeat; a crashed worker's jobs return after it. */
  leaseMs?: number;
  /** Fallback poll interval; NOTIFY wakes the worker at once for new jobs. */
  pollMs?: number;
  backoff?: { baseMs: number; maxMs: number };
  random?: () => number;
  /**
   * Embedded mode: only one process can open the database, so every job still marked running at
   * start belonged to a process that died. Release them at once instead of waiting for the lease.
   */
  releaseOrphansOnStart?: boolean;
  /**
   * Jobs this worker finishes (completed, failed or dead-lettered) before it vacuums the jobs table;
   * 0 turns it off. See `vacuumJobs`.
   */
  vacuumAfterJobs?: number;
}

/** Default of `WorkerOptions.vacuumAfterJobs`. */
export const VACUUM_AFTER_JOBS = 1_000;

export interface ClaimedRow {
  id: string;
  name: string;
  payload: unknown;
  attempts: number;
  max_attempts: number;
  workspace_id: string | null;
}

class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}

/**
 * Poll interval of a lane that claimed or completed jobs within the last ACTIVE_WINDOW_MS. This poll
 * claims the jobs whose wake-up was throttled (queue.ts WAKE_THROTTLE_MS, which must stay well below
 * ACTIVE_WINDOW_MS: the worker woken by the last wake-up is still polling this often).
 */
const ACTIVE_POLL_MS = 20;
const ACTIVE_WINDOW_MS = 250;

const DEFAULT_CONCURRENCY: Record<Lane, number> = { critical: 4, default: 4, bulk: 2 };

/**
 * The ids of up to `limit` due jobs of a lane, in claim order, locked. The scan matches
 * `jobs_ready_idx` (lane, priority DESC, run_at, id) WHERE state = 'queued', so it is an index scan
 * in claim order with no sort; SKIP LOCKED lets concurrent workers take different rows instead of
 * waiting for each other. That index cannot skip jobs scheduled for later, so with many of them (a
 * journey's waits, SLA timers) a poll that finds nothing due would walk them all: the uncorrelated
 * EXISTS (a one-time filter, answered by `jobs_due_idx`, see dueJobExists) skips the scan when the
 * lane has no due job.
 */
function dueJobIds(claim: {
  lane: Lane;
  limit: number;
  now: Date;
  name?: string;
}): RawBuilder<{ id: string }> {
  return sql<{ id: string }>`
    SELECT id FROM jobs
     WHERE state = 'queued' AND lane = ${claim.lane} AND run_at <= ${claim.now}
       AND ${dueJobExists(claim.lane, claim.now)}${claim.name === undefined ? sql`` : sql` AND name = ${claim.name}`}
     ORDER BY priority DESC, run_at, id
     LIMIT ${claim.limit}
     FOR UPDATE SKIP LOCKED`;
}

/**
 * Claims up to `limit` due jobs of a lane (only of job `name` if given: filling a batch).
 * Exported for the test that checks the plan.
 */
export function claimStatement(claim: {
  workerId: string;
  lane: Lane;
  limit: number;
  now: Date;
  leaseUntil: Date;
  name?: string;
}): RawBuilder<ClaimedRow> {
  return sql<ClaimedRow>`
    UPDATE jobs
       SET state = 'running', locked_by = ${claim.workerId}, locked_until = ${claim.leaseUntil},
           attempts = attempts + 1, updated_at = ${claim.now}
     WHERE id IN (${dueJobIds(claim)})
    RETURNING id, name, payload, attempts, max_attempts, workspace_id`;
}

/**
 * Completes (deletes) the given finished jobs of this worker and claims up to `limit` due jobs of a
 * lane, in one statement: one round trip and one commit where there were two.
 */
function completeAndClaimStatement(claim: {
  workerId: string;
  lane: Lane;
  limit: number;
  now: Date;
  leaseUntil: Date;
  done: string[];
}): RawBuilder<ClaimedRow & { done: boolean }> {
  return sql<ClaimedRow & { done: boolean }>`
    WITH done AS (
      DELETE FROM jobs WHERE id = ANY(${claim.done}::bigint[]) AND locked_by = ${claim.workerId}
      RETURNING id
    ), claimed AS (
      UPDATE jobs
         SET state = 'running', locked_by = ${claim.workerId}, locked_until = ${claim.leaseUntil},
             attempts = attempts + 1, updated_at = ${claim.now}
       WHERE id IN (${dueJobIds(claim)})
      RETURNING id, name, payload, attempts, max_attempts, workspace_id
    )
    SELECT false AS done, id, name, payload, attempts, max_attempts, workspace_id FROM claimed
    UNION ALL
    SELECT true, id, NULL, NULL, NULL, NULL, NULL FROM done`;
}

interface PendingCompletion {
  id: string;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Runs jobs: claims due jobs per lane with FOR UPDATE SKIP LOCKED (so any number of worker
 * processes on one PostgreSQL never run the same job at once), holds a lease renewed by a
 * heartbeat, deletes a job when its handler succeeds, and on failure schedules a retry with
 * exponential backoff or, after max_attempts, moves it to the dead letters.
 */
export class JobWorker {
  readonly id = `w-${process.pid}-${randomToken(6)}`;
  private readonly definitions: Map<string, JobDefinition>;
  private readonly concurrency: Record<Lane, number>;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly backoff: { baseMs: number; maxMs: number };
  private readonly random: () => number;
  private readonly inflight = new Map<Lane, number>();
  private readonly running = new Set<Promise<void>>();
  private readonly wakers = new Map<Lane, () => void>();
  /** Lanes woken while not sleeping (mid-claim): their next sleep returns at once. */
  private readonly wakePending = new Set<Lane>();
  /** Finished jobs waiting to be deleted by their lane's next claim statement. */
  private readonly finished = new Map<Lane, PendingCompletion[]>();
  /** Batches of lingering kinds still gathering jobs, by job name (see `linger`). */
  private readonly lingering = new Map<string, { rows: ClaimedRow[]; fire: () => void }>();
  /** When each lane last claimed or completed a job (performance.now()). */
  private readonly activeAt = new Map<Lane, number>();
  private loops: Promise<void>[] = [];
  private stopped = true;
  private unlisten: (() => Promise<void>) | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private reclaimTimer: NodeJS.Timeout | undefined;
  private finishedSinceVacuum = 0;
  private vacuuming: Promise<void> | undefined;

  constructor(private readonly options: WorkerOptions) {
    this.definitions = new Map(options.definitions.map((d) => [d.name, d]));
    this.concurrency = { ...DEFAULT_CONCURRENCY, ...options.concurrency };
    this.leaseMs = options.leaseMs ?? 60_000;
    this.pollMs = options.pollMs ?? 1000;
    this.backoff = options.backoff ?? { baseMs: 5_000, maxMs: 3_600_000 };
    this.random = options.random ?? Math.random;
  }

  private get db() {
    return this.options.handle.db;
  }

  private now(): Date {
    return this.options.clock.now();
  }

  /** Starts claiming. Resolves once the worker listens for new jobs. */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    if (this.options.releaseOrphansOnStart) await this.releaseOrphans();
    this.unlisten = await this.options.handle.listen(JOBS_CHANNEL, (lane) => this.wake(lane));
    this.heartbeatTimer = setInterval(
      () => void this.heartbeat(),
      Math.max(50, Math.floor(this.leaseMs / 3)),
    );
    this.reclaimTimer = setInterval(
      () => void this.reclaimExpired(),
      Math.max(100, Math.floor(this.leaseMs / 2)),
    );
    this.heartbeatTimer.unref();
    this.reclaimTimer.unref();
    this.loops = LANES.filter((lane) => this.concurrency[lane] > 0).map((lane) => this.loop(lane));
    this.options.log.info({ event: 'jobs.worker-started', workerId: this.id }, 'job worker started');
  }

  /** Wakes the loops (after a NOTIFY, or from tests). */
  wake(lane = ''): void {
    const lanes = lane && LANES.includes(lane as Lane) ? [lane as Lane] : LANES;
    for (const l of lanes) {
      const waker = this.wakers.get(l);
      // A wake-up that arrives while the loop is claiming must not be lost: the claim may have
      // read the jobs table before the job that caused the NOTIFY was committed.
      if (waker) waker();
      else this.wakePending.add(l);
    }
  }

  /**
   * Stops claiming, waits up to `timeoutMs` for running jobs to finish, and releases the rest so
   * that another worker picks them up at once (not counted as a failed attempt).
   */
  async stop(timeoutMs = 25_000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.reclaimTimer);
    this.wake();
    for (const open of this.lingering.values()) open.fire();
    await Promise.all(this.loops);
    for (const [lane, list] of this.finished) {
      this.finished.set(lane, []);
      for (const d of list) this.complete(this.db, d.id).then(d.resolve, d.reject);
    }
    // The heartbeat goes on while we wait: a job that outlives its lease during the shutdown
    // would otherwise be reclaimed and run by another worker while it is still running here.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running]),
      new Promise((r) => {
        timer = setTimeout(r, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    clearInterval(this.heartbeatTimer);
    await this.vacuuming;
    const released = await this.db
      .updateTable('jobs')
      .set({
        state: 'queued',
        locked_by: null,
        locked_until: null,
        attempts: sql`greatest(attempts - 1, 0)`,
        run_at: this.now(),
        updated_at: this.now(),
      })
      .where('locked_by', '=', this.id)
      .where('state', '=', 'running')
      .executeTakeFirst()
      .catch(() => ({ numUpdatedRows: 0n }));
    await this.unlisten?.();
    this.options.log.info(
      { event: 'jobs.worker-stopped', workerId: this.id, released: Number(released.numUpdatedRows) },
      'job worker stopped',
    );
  }

  /** Number of jobs this worker is running now. */
  get busy(): number {
    return this.running.size;
  }

  private async loop(lane: Lane): Promise<void> {
    let errorDelay = 0;
    while (!this.stopped) {
      // This claim sees everything committed before it starts; only later wake-ups count.
      // Let the jobs that finish in this turn of the event loop join the statement.
      await new Promise((r) => setImmediate(r));
      this.wakePending.delete(lane);
      const done = this.finished.get(lane) ?? [];
      this.finished.set(lane, []);
      const free = this.stopped ? 0 : this.concurrency[lane] - (this.inflight.get(lane) ?? 0) + done.length;
      let claimed = 0;
      if (free > 0) {
        try {
          const rows = await this.completeAndClaim(lane, free, done);
          claimed = rows.length;
          errorDelay = 0;
          for (const unit of await this.batchUp(lane, rows, claimed === free)) this.track(lane, unit);
        } catch (err) {
          for (const d of done) d.reject(err);
          // Database restarting or unreachable: back off and keep going.
          errorDelay = Math.min(errorDelay ? errorDelay * 2 : 200, 5000);
          this.options.log.warn({ event: 'jobs.claim-failed', err, lane }, 'claiming jobs failed');
        }
      }
      if (this.stopped) break;
      if (claimed > 0 && claimed === free) continue;
      // Enqueuers notify only when a lane had no job waiting (see JobQueue.enqueueMany): a job
      // committed just after a claim, behind one that was waiting, got no NOTIFY. So while the lane
      // has been busy recently, look again soon rather than after a full poll interval.
      if (claimed > 0 || done.length > 0) this.activeAt.set(lane, performance.now());
      const recentlyActive = performance.now() - (this.activeAt.get(lane) ?? -Infinity) < ACTIVE_WINDOW_MS;
      await this.sleep(
        lane,
        errorDelay || (recentlyActive ? Math.min(ACTIVE_POLL_MS, this.pollMs) : this.pollMs),
      );
    }
  }

  private sleep(lane: Lane, ms: number): Promise<void> {
    if (this.wakePending.delete(lane)) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        if (this.wakers.get(lane) === done) this.wakers.delete(lane);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakers.set(lane, done);
    });
  }

  /**
   * Groups the claimed jobs of kinds that run in batches (JobDefinition.batch) into one unit per
   * kind; when the claim took all it asked for (more may be due), fills each batch up to its size
   * with one more claim of that kind. A claim failure here releases nothing: the lease brings the
   * extra jobs back, and the jobs already claimed still run.
   */
  private async batchUp(lane: Lane, rows: ClaimedRow[], full: boolean): Promise<ClaimedRow[][]> {
    const units: ClaimedRow[][] = [];
    const batches = new Map<string, ClaimedRow[]>();
    for (const row of rows) {
      const max = this.definitions.get(row.name)?.batch?.max ?? 1;
      if (max <= 1) {
        units.push([row]);
        continue;
      }
      let batch = batches.get(row.name);
      if (!batch || batch.length >= max) {
        batch = [];
        batches.set(row.name, batch);
        units.push(batch);
      }
      batch.push(row);
    }
    if (!full || this.stopped) return units;
    for (const [name, batch] of batches) {
      const max = this.definitions.get(name)!.batch!.max;
      if (batch.length >= max) continue;
      const now = this.now();
      try {
        const more = await claimStatement({
          workerId: this.id,
          lane,
          limit: max - batch.length,
          now,
          leaseUntil: new Date(now.getTime() + this.leaseMs),
          name,
        }).execute(this.db);
        batch.push(...more.rows);
      } catch (err) {
        this.options.log.warn({ event: 'jobs.claim-failed', err, lane }, 'filling a batch failed');
      }
    }
    return units;
  }

  private track(lane: Lane, unit: ClaimedRow[]): void {
    const batch = this.definitions.get(unit[0]!.name)?.batch;
    if (batch?.lingerMs && !this.stopped) {
      // A batch that lingers (JobDefinition.batch.lingerMs): jobs of its kind claimed while one is
      // gathering join it instead of starting a batch of their own.
      const name = unit[0]!.name;
      const open = this.lingering.get(name);
      if (open) {
        const room = batch.max - open.rows.length;
        open.rows.push(...unit.slice(0, room));
        if (open.rows.length >= batch.max) {
          // Full: it runs now, and jobs claimed after this start a batch of their own.
          this.lingering.delete(name);
          open.fire();
        }
        if (unit.length > room) this.track(lane, unit.slice(room));
        return;
      }
      if (unit.length < batch.max) {
        this.startUnit(lane, this.linger(lane, name, unit, batch.max, batch.lingerMs));
        return;
      }
    }
    this.startUnit(
      lane,
      unit.length === 1 && !batch ? this.execute(lane, unit[0]!) : this.executeBatch(lane, unit),
    );
  }

  /**
   * Gathers jobs of a lingering kind for up to `ms` (or until the batch is full), then fills the
   * batch with one more claim of its kind and runs it. The lingering batch holds one place of the
   * lane; the jobs that join it take none.
   */
  private async linger(
    lane: Lane,
    name: string,
    first: ClaimedRow[],
    max: number,
    ms: number,
  ): Promise<void> {
    const entry = { rows: [...first], fire: () => {} };
    this.lingering.set(name, entry);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      entry.fire = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    if (this.lingering.get(name) === entry) this.lingering.delete(name);
    if (entry.rows.length < max && !this.stopped) {
      const now = this.now();
      try {
        const more = await claimStatement({
          workerId: this.id,
          lane,
          limit: max - entry.rows.length,
          now,
          leaseUntil: new Date(now.getTime() + this.leaseMs),
          name,
        }).execute(this.db);
        entry.rows.push(...more.rows);
      } catch (err) {
        this.options.log.warn({ event: 'jobs.claim-failed', err, lane }, 'filling a batch failed');
      }
    }
    await this.executeBatch(lane, entry.rows);
  }

  private startUnit(lane: Lane, run: Promise<void>): void {
    this.inflight.set(lane, (this.inflight.get(lane) ?? 0) + 1);
    const p = run.finally(() => {
      this.inflight.set(lane, (this.inflight.get(lane) ?? 1) - 1);
      this.running.delete(p);
      if (!this.stopped) this.wake(lane);
    });
    this.running.add(p);
  }

  private async completeAndClaim(
    lane: Lane,
    limit: number,
    done: PendingCompletion[],
  ): Promise<ClaimedRow[]> {
    if (done.length === 0) return this.claim(lane, limit);
    const now = this.now();
    const leaseUntil = new Date(now.getTime() + this.leaseMs);
    const result = await completeAndClaimStatement({
      workerId: this.id,
      lane,
      limit,
      now,
      leaseUntil,
      done: done.map((d) => d.id),
    }).execute(this.db);
    const deleted = new Set(result.rows.filter((r) => r.done).map((r) => String(r.id)));
    this.noteFinished(deleted.size);
    for (const d of done) {
      if (deleted.has(d.id)) d.resolve();
      else d.reject(new LeaseLostError());
    }
    return result.rows.filter((r) => !r.done);
  }

  /** Completes a job with its lane's next claim; directly when the loops have stopped. */
  private completeSoon(lane: Lane, id: string): Promise<void> {
    if (this.stopped) return this.complete(this.db, id);
    return new Promise((resolve, reject) => {
      const list = this.finished.get(lane) ?? [];
      list.push({ id, resolve, reject });
      this.finished.set(lane, list);
      this.wake(lane);
    });
  }

  private async claim(lane: Lane, limit: number): Promise<ClaimedRow[]> {
    const now = this.now();
    const leaseUntil = new Date(now.getTime() + this.leaseMs);
    const result = await claimStatement({ workerId: this.id, lane, limit, now, leaseUntil }).execute(this.db);
    return result.rows;
  }

  private async execute(lane: Lane, row: ClaimedRow): Promise<void> {
    const started = performance.now();
    const def = this.definitions.get(row.name);
    const job: JobInfo = {
      id: row.id,
      name: row.name,
      workspaceId: row.workspace_id,
      attempts: row.attempts,
      maxAttempts: row.max_attempts,
    };
    const log = this.options.log.child({ jobId: row.id, job: row.name, attempt: row.attempts });
    try {
      if (!def) throw new PermanentJobError(`no handler registered for job "${row.name}"`);
      if (!Value.Check(def.schema, row.payload)) {
        const first = [...Value.Errors(def.schema, row.payload)][0];
        throw new PermanentJobError(`invalid payload at ${first?.path ?? '/'}: ${first?.message ?? ''}`);
      }
      let completed = false;
      const ctx: JobContext = {
        db: this.db,
        job,
        log,
        clock: this.options.clock,
        completeWith: async (fn) => {
          const result = await this.db.transaction().execute(async (trx) => {
            const value = await fn(trx);
            await this.complete(trx, row.id);
            return value;
          });
          completed = true;
          return result;
        },
      };
      await def.handler(row.payload as never, ctx);
      if (!completed) await this.completeSoon(lane, row.id);
      this.options.metrics?.jobsCompleted.inc({ name: row.name });
      this.options.metrics?.jobDuration.observe({ name: row.name }, (performance.now() - started) / 1000);
    } catch (err) {
      if (err instanceof LeaseLostError) {
        log.warn({ event: 'jobs.lease-lost' }, 'job lease lost; another worker will run it');
        return;
      }
      await this.fail(row, err, log);
    }
  }

  /** Runs claimed jobs of one batchable kind with its batch handler (see JobDefinition.batch). */
  private async executeBatch(lane: Lane, rows: ClaimedRow[]): Promise<void> {
    const started = performance.now();
    const name = rows[0]!.name;
    const def = this.definitions.get(name)!;
    const log = this.options.log.child({ job: name, batch: rows.length });
    // A payload that does not fit fails on its own, without holding up the others.
    const valid: ClaimedRow[] = [];
    for (const row of rows) {
      if (Value.Check(def.schema, row.payload)) valid.push(row);
      else {
        const first = [...Value.Errors(def.schema, row.payload)][0];
        await this.fail(
          row,
          new PermanentJobError(`invalid payload at ${first?.path ?? '/'}: ${first?.message ?? ''}`),
          log.child({ jobId: row.id }),
        );
      }
    }
    if (valid.length === 0) return;
    const ids = valid.map((r) => r.id);
    try {
      let completed = false;
      const ctx: BatchJobContext = {
        db: this.db,
        jobs: valid.map((row) => ({
          id: row.id,
          name: row.name,
          workspaceId: row.workspace_id,
          attempts: row.attempts,
          maxAttempts: row.max_attempts,
        })),
        log,
        clock: this.options.clock,
        completeWith: async (fn) => {
          const result = await this.db.transaction().execute(async (trx) => {
            const value = await fn(trx);
            await this.completeMany(trx, ids);
            return value;
          });
          completed = true;
          return result;
        },
      };
      await def.batch!.handler(
        valid.map((r) => r.payload as never),
        ctx,
      );
      if (!completed) await Promise.all(ids.map((id) => this.completeSoon(lane, id)));
      this.options.metrics?.jobsCompleted.inc({ name }, valid.length);
      this.options.metrics?.jobDuration.observe({ name }, (performance.now() - started) / 1000);
    } catch (err) {
      if (err instanceof LeaseLostError) {
        log.warn({ event: 'jobs.lease-lost' }, 'batch lease lost; another worker will run its jobs');
        return;
      }
      if (valid.length === 1) {
        await this.fail(valid[0]!, err, log.child({ jobId: valid[0]!.id }));
        return;
      }
      // One bad job must not hold up the others: each runs again at once on its own (the
      // definition's single handler), and only one that fails on its own waits for a retry.
      log.warn({ event: 'jobs.batch-failed', err }, 'batch failed; running its jobs one by one');
      for (const row of valid) await this.execute(lane, row);
    }
  }

  /** Completes all of `ids` or, if any lease was lost, none (the caller's transaction rolls back). */
  private async completeMany(executor: Executor, ids: string[]): Promise<void> {
    const result = await executor
      .deleteFrom('jobs')
      .where('id', 'in', ids)
      .where('locked_by', '=', this.id)
      .executeTakeFirst();
    if (Number(result.numDeletedRows) !== ids.length) throw new LeaseLostError();
    this.noteFinished(ids.length);
  }

  private async complete(executor: Executor, id: string): Promise<void> {
    const result = await executor
      .deleteFrom('jobs')
      .where('id', '=', id)
      .where('locked_by', '=', this.id)
      .executeTakeFirst();
    if (result.numDeletedRows === 0n) throw new LeaseLostError();
    this.noteFinished(1);
  }

  private backoffMs(attempts: number): number {
    const exp = Math.min(this.backoff.maxMs, this.backoff.baseMs * 2 ** Math.max(0, attempts - 1));
    return Math.round(exp * (0.8 + 0.4 * this.random()));
  }

  private async fail(row: ClaimedRow, err: unknown, log: Logger): Promise<void> {
    const permanent = err instanceof PermanentJobError;
    const message = (err instanceof Error ? `${err.name}: ${err.message}` : String(err)).slice(0, 4000);
    const now = this.now();
    const dead = permanent || row.attempts >= row.max_attempts;
    try {
      const result = await this.db
        .updateTable('jobs')
        .set({
          state: dead ? 'dead' : 'queued',
          run_at: dead ? now : new Date(now.getTime() + this.backoffMs(row.attempts)),
          locked_by: null,
          locked_until: null,
          last_error: message,
          updated_at: now,
        })
        .where('id', '=', row.id)
        .where('locked_by', '=', this.id)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) {
        log.warn(
          { event: 'jobs.lease-lost', err },
          'job failed after its lease was lost; another worker has it',
        );
        return;
      }
    } catch (updateErr) {
      // The lease will expire and the job comes back; nothing is lost.
      log.error({ event: 'jobs.fail-record-failed', err: updateErr }, 'could not record job failure');
      return;
    }
    this.noteFinished(1);
    if (dead) {
      this.options.metrics?.jobsDead.inc({ name: row.name });
      log.error({ event: 'jobs.dead-lettered', err }, 'job moved to dead letters');
    } else {
      this.options.metrics?.jobsFailed.inc({ name: row.name });
      log.warn({ event: 'jobs.failed', err }, 'job failed; will retry');
    }
  }

  private async heartbeat(): Promise<void> {
    if (this.running.size === 0) return;
    const now = this.now();
    await this.db
      .updateTable('jobs')
      .set({ locked_until: new Date(now.getTime() + this.leaseMs) })
      .where('locked_by', '=', this.id)
      .where('state', '=', 'running')
      .execute()
      .catch((err) => this.options.log.warn({ event: 'jobs.heartbeat-failed', err }, 'heartbeat failed'));
  }

  /** Counts finished jobs; every `vacuumAfterJobs` of them, vacuums the jobs table in the background. */
  private noteFinished(n: number): void {
    const every = this.options.vacuumAfterJobs ?? VACUUM_AFTER_JOBS;
    if (every <= 0) return;
    this.finishedSinceVacuum += n;
    if (this.finishedSinceVacuum < every || this.vacuuming) return;
    this.finishedSinceVacuum = 0;
    this.vacuuming = this.vacuumJobs().finally(() => {
      this.vacuuming = undefined;
    });
  }

  /**
   * The queue keeps its own table small. Every job is inserted, claimed (an update) and deleted or
   * failed (an update), so a busy queue leaves two dead row versions per job; until a VACUUM
   * removes them, every claim and every "is a job due?" check reads past them, and ANALYZE keeps
   * the planner's picture of a table that is nearly empty one moment and holds thousands of jobs
   * the next. PostgreSQL's autovacuum does this when it is on and keeps up; the embedded database
   * (PGlite, one process, no background workers) has no autovacuum at all, and servers run with it
   * off or behind. Measured on PostgreSQL with autovacuum off (bench `scoring`, 1M contacts): after
   * 10,000 deliveries the due-job check of every recorded activity scanned 921 pages of dead rows
   * (0.28 ms); after a VACUUM, one page. `SKIP_LOCKED`: when another worker is vacuuming (or an
   * autovacuum runs), this one skips instead of waiting. Never fails a job: errors are logged.
   */
  async vacuumJobs(): Promise<void> {
    const t = performance.now();
    try {
      await sql`VACUUM (ANALYZE, SKIP_LOCKED) jobs`.execute(this.db);
      this.options.log.debug(
        { event: 'jobs.vacuumed', ms: Math.round(performance.now() - t) },
        'vacuumed the jobs table',
      );
    } catch (err) {
      this.options.log.warn({ event: 'jobs.vacuum-failed', err }, 'vacuuming the jobs table failed');
    }
  }

  /** Jobs whose worker died (no heartbeat within the lease) go back to the queue, or to the dead letters. */
  async reclaimExpired(): Promise<number> {
    const now = this.now();
    try {
      const result = await sql<{ state: string }>`
        UPDATE jobs
           SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END,
               last_error = CASE WHEN attempts >= max_attempts
                 THEN 'lease expired: the worker running it stopped or crashed' ELSE last_error END,
               locked_by = NULL, locked_until = NULL, run_at = ${now}, updated_at = ${now}
         WHERE id IN (SELECT id FROM jobs WHERE state = 'running' AND locked_until < ${now}
                      FOR UPDATE SKIP LOCKED)
        RETURNING state`.execute(this.db);
      if (result.rows.length > 0) {
        this.options.log.warn(
          { event: 'jobs.reclaimed', count: result.rows.length },
          'reclaimed expired jobs',
        );
        this.wake();
      }
      return result.rows.length;
    } catch (err) {
      this.options.log.warn({ event: 'jobs.reclaim-failed', err }, 'reclaiming expired jobs failed');
      return 0;
    }
  }

  /**
   * Embedded mode only. A job still running at start crashed its process (or was running when the
   * process was killed). Like an expired lease, the crash counts as an attempt, so a job that
   * crashes the process every time ends in the dead letters instead of crash-looping forever.
   */
  private async releaseOrphans(): Promise<void> {
    const now = this.now();
    const result = await sql<{ state: string }>`
      UPDATE jobs
         SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END,
             last_error = CASE WHEN attempts >= max_attempts
               THEN 'the process running it stopped or crashed on the last attempt' ELSE last_error END,
             locked_by = NULL, locked_until = NULL, updated_at = ${now}
       WHERE state = 'running'
      RETURNING state`.execute(this.db);
    const dead = result.rows.filter((r) => r.state === 'dead').length;
    const released = result.rows.length - dead;
    if (released > 0) {
      this.options.log.warn({ event: 'jobs.orphans-released', count: released }, 'released orphaned jobs');
    }
    if (dead > 0) {
      this.options.log.error(
        { event: 'jobs.orphans-dead-lettered', count: dead },
        'orphaned jobs had no attempts left and moved to the dead letters',
      );
    }
  }
}
