import type { Clock } from '../clock.js';
import type { Executor } from '../db/index.js';
import type { JobDefinition, JobQueue } from './queue.js';

export interface RecurringJob {
  job: JobDefinition;
  everyMs: number;
}

function slotKey(slotStart: number): string {
  return `every:${new Date(slotStart).toISOString()}`;
}

/**
 * Wraps a recurring job so that each run enqueues the next one (at the start of the next slot).
 * Runs are deduplicated by slot: however many workers start, one job waits per slot.
 */
export function asRecurring(queue: JobQueue, clock: Clock, { job, everyMs }: RecurringJob): JobDefinition {
  return {
    ...job,
    async handler(payload, ctx) {
      // The next slot is enqueued before this run's work, so that a run that fails, ends in the dead
      // letters, or dies with its process does not end the schedule. A repeated run enqueues the
      // same slot again, which the slot key deduplicates.
      const next = (Math.floor(clock.now().getTime() / everyMs) + 1) * everyMs;
      await queue.enqueue(ctx.db, job, payload, { runAt: new Date(next), idempotencyKey: slotKey(next) });
      await job.handler(payload, ctx);
    },
  };
}

/** Enqueues the current slot's run of each recurring job unless one is already pending. */
export async function scheduleRecurring(
  db: Executor,
  queue: JobQueue,
  clock: Clock,
  jobs: RecurringJob[],
): Promise<void> {
  for (const { job, everyMs } of jobs) {
    const slot = Math.floor(clock.now().getTime() / everyMs) * everyMs;
    const pending = await db
      .selectFrom('jobs')
      .select('id')
      .where('name', '=', job.name)
      .where('state', '!=', 'dead')
      .limit(1)
      .executeTakeFirst();
    if (!pending) await queue.enqueue(db, job, {}, { runAt: new Date(slot), idempotencyKey: slotKey(slot) });
  }
}
