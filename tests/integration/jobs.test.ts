import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { type KyselyPlugin, sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import type { Executor } from '../../src/shared/db/index.js';
import { AppError } from '../../src/shared/errors.js';
import {
  asRecurring,
  type BatchJobContext,
  defineJob,
  type JobContext,
  type JobDefinition,
  JobWorker,
  PermanentJobError,
  scheduleRecurring,
  type WorkerOptions,
} from '../../src/shared/jobs/index.js';
import { claimStatement } from '../../src/shared/jobs/worker.js';
import { createLogger } from '../../src/shared/log.js';
import { availableDbKinds, createTestDeps, type TestDeps } from '../support/deps.js';
import { PG_ADMIN_URL } from '../support/postgres.js';

const kinds = await availableDbKinds();

const IdPayload = Type.Object({ id: Type.String() });

interface Run {
  id: string;
  attempts: number;
}

/** Polls until `check` returns something truthy; fails with `what` after the timeout. */
async function until<T>(
  what: string,
  check: () => Promise<T> | T,
  timeoutMs = 10_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A promise a test opens by hand: lets a handler stay "in the middle of a job". */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait: () => opened, open };
}

describe.each(kinds)('job queue on %s', (kind) => {
  let deps: TestDeps;
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  const workers: JobWorker[] = [];
  const gates: Array<{ open: () => void }> = [];

  beforeAll(async () => {
    deps = await createTestDeps(kind, { clock });
    await sql`CREATE TABLE job_effects (seq bigserial PRIMARY KEY, key text NOT NULL, attempt int NOT NULL)`.execute(
      deps.db,
    );
  });
  afterEach(async () => {
    for (const g of gates.splice(0)) g.open();
    await Promise.all(workers.splice(0).map((w) => w.stop(0)));
    await deps.db.deleteFrom('jobs').execute();
    await sql`TRUNCATE job_effects`.execute(deps.db);
  });
  afterAll(async () => deps?.cleanup());

  const q = () => deps.queue;

  /** A job whose handler records each run and then does what `body` says. */
  function recordingJob<S extends TSchema = typeof IdPayload>(
    name: string,
    body: (payload: Static<S>, ctx: JobContext) => Promise<void> = async () => {},
    extra: Partial<JobDefinition<S>> = {},
  ) {
    const runs: Run[] = [];
    const def = defineJob<S>({
      name,
      schema: IdPayload as unknown as S,
      ...extra,
      async handler(payload, ctx) {
        runs.push({ id: (payload as { id?: string }).id ?? '', attempts: ctx.job.attempts });
        await body(payload, ctx);
      },
    });
    return { def, runs };
  }

  async function startWorker(definitions: JobDefinition[], options: Partial<WorkerOptions> = {}) {
    const worker = new JobWorker({
      handle: deps.handle,
      definitions: [...definitions, ...[...sentinels.values()].map((x) => x.def as JobDefinition)],
      clock,
      log: deps.log,
      // Long lease and poll: the tests below move time by hand and wake workers themselves, so
      // nothing here depends on a timer firing except where a test says so.
      leaseMs: 600_000,
      pollMs: 60_000,
      backoff: { baseMs: 1000, maxMs: 60_000 },
      random: () => 0.5, // jitter factor exactly 1
      ...options,
    });
    workers.push(worker);
    await worker.start();
    return worker;
  }

  async function jobRow(id: string) {
    return deps.db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async function jobCount() {
    const row = await deps.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async function effects() {
    const result = await sql<{ key: string; attempt: number }>`
      SELECT key, attempt FROM job_effects ORDER BY seq`.execute(deps.db);
    return result.rows;
  }

  function insertEffect(trx: Executor, key: string, attempt: number) {
    return sql`INSERT INTO job_effects (key, attempt) VALUES (${key}, ${attempt})`.execute(trx);
  }

  /** One per lane, known to every worker: see `drain`. */
  const sentinels = new Map(
    (['critical', 'default', 'bulk'] as const).map((lane) => [
      lane,
      recordingJob(`test.sentinel-${lane}`, async () => {}, { lane }),
    ]),
  );

  /**
   * Proves that nothing else is runnable in a lane, without sleeping: the sentinel has the lowest
   * priority, so once a claim picked it, every job due in that lane at that time was claimed (and
   * its handler called) by then or before.
   */
  async function drain(worker: JobWorker, lane: 'critical' | 'default' | 'bulk' = 'default') {
    const sentinel = sentinels.get(lane)!;
    const before = sentinel.runs.length;
    await q().enqueue(deps.db, sentinel.def, { id: 'sentinel' }, { priority: -1000 });
    worker.wake();
    await until('sentinel job ran', () => sentinel.runs.length > before);
    await until('sentinel job deleted', async () => {
      const row = await deps.db
        .selectFrom('jobs')
        .select('id')
        .where('name', 'like', 'test.sentinel-%')
        .executeTakeFirst();
      return row === undefined;
    });
  }

  describe('enqueue', () => {
    it('never runs a job whose transaction rolled back', async () => {
      const { def, runs } = recordingJob('test.rolled-back');
      const worker = await startWorker([def]);
      await expect(
        deps.db.transaction().execute(async (trx) => {
          await q().enqueue(trx, def, { id: 'a' });
          throw new Error('the change failed');
        }),
      ).rejects.toThrow('the change failed');
      await drain(worker);
      expect(runs).toEqual([]);
      expect(await jobCount()).toBe(0);
    });

    it('runs a committed job once and deletes it', async () => {
      const { def, runs } = recordingJob('test.committed');
      const worker = await startWorker([def]);
      const id = await deps.db.transaction().execute((trx) => q().enqueue(trx, def, { id: 'a' }));
      expect(id).toBeTruthy();
      await until('job ran', () => runs.length === 1);
      await until('job deleted', async () => !(await jobRow(id!)));
      await drain(worker);
      expect(runs).toEqual([{ id: 'a', attempts: 1 }]);
    });

    it('rejects an invalid payload with VALIDATION_FAILED and inserts nothing', async () => {
      const { def } = recordingJob('test.strict');
      const error = await q()
        .enqueue(deps.db, def, { id: 42 } as never)
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect(error).toMatchObject({
        code: 'VALIDATION_FAILED',
        details: { job: 'test.strict', field: '/id' },
      });
      // One bad payload in a batch rejects the whole batch.
      await expect(q().enqueueMany(deps.db, def, [{ id: 'ok' }, {} as never])).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
      expect(await jobCount()).toBe(0);
    });

    it('deduplicates by idempotency key while the first job is pending, not after it finished', async () => {
      const { def, runs } = recordingJob('test.keyed');
      const first = await q().enqueue(deps.db, def, { id: 'a' }, { idempotencyKey: 'contact-1' });
      const second = await q().enqueue(deps.db, def, { id: 'b' }, { idempotencyKey: 'contact-1' });
      const other = await q().enqueue(deps.db, def, { id: 'c' }, { idempotencyKey: 'contact-2' });
      expect(first).toBeTruthy();
      expect(second).toBeNull();
      expect(other).toBeTruthy();
      // Another job name with the same key is a different job.
      const { def: otherName } = recordingJob('test.keyed-other');
      expect(
        await q().enqueue(deps.db, otherName, { id: 'd' }, { idempotencyKey: 'contact-1' }),
      ).toBeTruthy();
      await deps.db.deleteFrom('jobs').where('name', '=', otherName.name).execute();

      await startWorker([def]);
      await until('both jobs ran', () => runs.length === 2);
      expect(runs.map((r) => r.id).sort()).toEqual(['a', 'c']);
      await until('jobs deleted', async () => (await jobCount()) === 0);
      expect(await q().enqueue(deps.db, def, { id: 'e' }, { idempotencyKey: 'contact-1' })).toBeTruthy();
    });

    it('lets a dead job be enqueued again under its idempotency key', async () => {
      let fail = true;
      const { def, runs } = recordingJob('test.keyed-dead', async () => {
        if (fail) throw new PermanentJobError('smtp refused');
      });
      const first = await q().enqueue(deps.db, def, { id: 'a' }, { idempotencyKey: 'contact-1' });
      await startWorker([def]);
      await until('job dead', async () => (await jobRow(first!))?.state === 'dead');
      fail = false;
      const again = await q().enqueue(deps.db, def, { id: 'b' }, { idempotencyKey: 'contact-1' });
      expect(again).toBeTruthy();
      expect(again).not.toBe(first);
      await until('job ran again', () => runs.length === 2);
      expect(runs[1]).toMatchObject({ id: 'b', attempts: 1 });
      await until('new job deleted', async () => !(await jobRow(again!)));
      // The dead letter stays for inspection, without the key.
      expect(await jobRow(first!)).toMatchObject({ state: 'dead', idempotency_key: null });
    });

    it('accepts duplicate idempotency keys within one batch, keeping the first', async () => {
      const { def } = recordingJob('test.keyed-batch');
      const ids = await q().enqueueMany(deps.db, def, [{ id: 'a' }, { id: 'b' }, { id: 'c' }], {
        idempotencyKeys: ['k1', 'k1', 'k2'],
      });
      expect(ids).toHaveLength(2);
      const rows = await deps.db
        .selectFrom('jobs')
        .select(['payload', 'idempotency_key'])
        .orderBy('id')
        .execute();
      expect(rows).toEqual([
        { payload: { id: 'a' }, idempotency_key: 'k1' },
        { payload: { id: 'c' }, idempotency_key: 'k2' },
      ]);
    });
  });

  describe('completeWith', () => {
    it('commits the handler writes and the completion together', async () => {
      const { def, runs } = recordingJob('test.effect', async ({ id }, ctx) => {
        await ctx.completeWith((trx) => insertEffect(trx, id, ctx.job.attempts));
      });
      const id = await q().enqueue(deps.db, def, { id: 'e1' });
      await startWorker([def]);
      await until('job ran', () => runs.length === 1);
      await until('job deleted', async () => !(await jobRow(id!)));
      expect(await effects()).toEqual([{ key: 'e1', attempt: 1 }]);
    });

    it('keeps none of the handler writes when it throws inside the transaction', async () => {
      const { def, runs } = recordingJob(
        'test.effect-throws',
        async ({ id }, ctx) => {
          await ctx.completeWith(async (trx) => {
            await insertEffect(trx, id, ctx.job.attempts);
            throw new Error('crm rejected the update');
          });
        },
        { maxAttempts: 1 },
      );
      const id = await q().enqueue(deps.db, def, { id: 'e1' });
      await startWorker([def]);
      await until('job dead', async () => (await jobRow(id!))?.state === 'dead');
      expect(runs).toHaveLength(1);
      expect(await effects()).toEqual([]);
      expect((await jobRow(id!))?.last_error).toBe('Error: crm rejected the update');
    });

    it('rolls the handler writes back when the lease went to another worker meanwhile', async () => {
      const g = gate();
      gates.push(g);
      const { def, runs } = recordingJob('test.effect-late', async ({ id }, ctx) => {
        await g.wait();
        await ctx.completeWith((trx) => insertEffect(trx, id, ctx.job.attempts));
      });
      const id = await q().enqueue(deps.db, def, { id: 'e1' });
      await startWorker([def]);
      await until('job started', () => runs.length === 1);
      // Another worker reclaimed and claimed it (our worker was too slow to renew its lease).
      await deps.db.updateTable('jobs').set({ locked_by: 'w-other' }).where('id', '=', id!).execute();
      g.open();
      await until('handler finished', () => workers[0]!.busy === 0);
      expect(await effects()).toEqual([]);
      expect(await jobRow(id!)).toMatchObject({ state: 'running', locked_by: 'w-other' });
    });
  });

  describe('batches', () => {
    /** A kind of job run in batches of `max`; records each batch handler call. */
    function batchJob(
      name: string,
      max: number,
      body: (ids: string[], ctx: BatchJobContext) => Promise<void> = async () => {},
      single: (id: string, ctx: JobContext) => Promise<void> = async () => {
        throw new Error('the batch handler runs these');
      },
      lingerMs?: number,
    ) {
      const calls: string[][] = [];
      const def = defineJob({
        name,
        lane: 'critical',
        schema: IdPayload,
        async handler(payload, ctx) {
          calls.push([`single:${payload.id}`]);
          await single(payload.id, ctx);
        },
        batch: {
          max,
          ...(lingerMs ? { lingerMs } : {}),
          async handler(payloads, ctx) {
            const ids = payloads.map((p) => p.id).sort();
            calls.push(ids);
            await body(ids, ctx);
          },
        },
      });
      return { def, calls };
    }

    it('claims due jobs of a kind together, completes them with the handler writes in one transaction', async () => {
      const { def, calls } = batchJob('test.batch', 4, async (ids, ctx) => {
        await ctx.completeWith(async (trx) => {
          for (const id of ids) await insertEffect(trx, id, 1);
        });
      });
      await q().enqueueMany(
        deps.db,
        def,
        ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => ({ id })),
      );
      await startWorker([def], { concurrency: { critical: 1, default: 1, bulk: 1 } });
      await until('all ran', async () => (await effects()).length === 6);
      await until('all deleted', async () => (await jobCount()) === 0);
      // Batches of at most 4, every job in exactly one of them, the first one full.
      expect(calls.flat().sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
      expect(calls[0]).toHaveLength(4);
      expect(Math.max(...calls.map((c) => c.length))).toBeLessThanOrEqual(4);
    });

    it('a lingering kind gathers jobs enqueued one by one into one batch, and runs a lone job after the wait', async () => {
      const { def, calls } = batchJob(
        'test.batch-linger',
        10,
        async (ids, ctx) => {
          await ctx.completeWith(async (trx) => {
            for (const id of ids) await insertEffect(trx, id, 1);
          });
        },
        undefined,
        400,
      );
      await startWorker([def], { concurrency: { critical: 4, default: 1, bulk: 1 } });
      // Five jobs, each in its own statement, 20 ms apart: each wakes the worker, which claims it
      // at once; they join the batch that is gathering instead of running one by one.
      for (const id of ['a', 'b', 'c', 'd', 'e']) {
        await q().enqueue(deps.db, def, { id });
        await new Promise((r) => setTimeout(r, 20));
      }
      await until('all ran', async () => (await effects()).length === 5);
      expect(calls).toEqual([['a', 'b', 'c', 'd', 'e']]);
      // A lone job runs too, once the wait is over.
      await q().enqueue(deps.db, def, { id: 'f' });
      await until('the lone job ran', async () => (await effects()).length === 6);
      expect(calls[1]).toEqual(['f']);
      await until('all deleted', async () => (await jobCount()) === 0);
    });

    it('a lingering batch that fills up runs at once; the claimed jobs it had no room for start the next one', async () => {
      const { def, calls } = batchJob(
        'test.batch-linger-full',
        4,
        async (ids, ctx) => {
          await ctx.completeWith(async (trx) => {
            for (const id of ids) await insertEffect(trx, id, 1);
          });
        },
        undefined,
        300,
      );
      await startWorker([def], { concurrency: { critical: 8, default: 1, bulk: 1 } });
      const a = await q().enqueue(deps.db, def, { id: 'a' });
      await until('a is gathering', async () => (await jobRow(a!))?.state === 'running');
      // Six at once: one claim takes them all; three fill the gathering batch, three start another.
      await q().enqueueMany(
        deps.db,
        def,
        ['b', 'c', 'd', 'e', 'f', 'g'].map((id) => ({ id })),
      );
      await until('all ran', async () => (await effects()).length === 7);
      expect(calls.flat().sort()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
      expect(Math.max(...calls.map((c) => c.length))).toBeLessThanOrEqual(4);
      expect(calls[0]).toHaveLength(4);
      await until('all deleted', async () => (await jobCount()) === 0);
    });

    it('runs the jobs of a failed batch one by one: the bad one retried alone, a bad payload failed alone', async () => {
      let fail = true;
      const { def, calls } = batchJob(
        'test.batch-fails',
        10,
        async (ids, ctx) => {
          if (fail) throw new Error('smtp down');
          await ctx.completeWith(async (trx) => {
            for (const id of ids) await insertEffect(trx, id, ctx.jobs[0]!.attempts);
          });
        },
        async (id, ctx) => {
          if (id === 'b') throw new Error('address b refused');
          await ctx.completeWith((trx) => insertEffect(trx, id, ctx.job.attempts));
        },
      );
      await q().enqueueMany(deps.db, def, [{ id: 'a' }, { id: 'b' }]);
      await deps.db
        .insertInto('jobs')
        .values({
          name: def.name,
          lane: 'critical',
          priority: 0,
          payload: JSON.stringify({ nope: 1 }),
          run_at: clock.now(),
          max_attempts: 10,
          created_at: clock.now(),
          updated_at: clock.now(),
        })
        .execute();
      const worker = await startWorker([def], { concurrency: { critical: 1, default: 1, bulk: 1 } });
      await until('b waits for its retry', async () => {
        const rows = await deps.db.selectFrom('jobs').selectAll().where('name', '=', def.name).execute();
        return rows.some((r) => r.state === 'queued' && r.last_error === 'Error: address b refused');
      });
      // a was done on its own at once, in its first attempt; b alone waits.
      await until('a done', async () => (await effects()).length === 1);
      expect(await effects()).toEqual([{ key: 'a', attempt: 1 }]);
      const dead = await deps.db.selectFrom('jobs').selectAll().where('state', '=', 'dead').execute();
      expect(dead).toHaveLength(1);
      expect(dead[0]?.last_error).toMatch(/^PermanentJobError: invalid payload/);
      expect(calls).toEqual([['a', 'b'], ['single:a'], ['single:b']]);
      fail = false;
      clock.advance(60_000);
      worker.wake();
      await until('b retried', async () => (await effects()).length === 2);
      expect(await effects()).toEqual([
        { key: 'a', attempt: 1 },
        { key: 'b', attempt: 2 },
      ]);
      expect(await jobCount()).toBe(1); // the dead one
    });

    it('rolls a whole batch back when the lease of one of its jobs went to another worker', async () => {
      const g = gate();
      gates.push(g);
      let refused: string | undefined;
      const { def } = batchJob('test.batch-lease', 10, async (ids, ctx) => {
        await g.wait();
        try {
          await ctx.completeWith(async (trx) => {
            for (const id of ids) await insertEffect(trx, id, 1);
          });
        } catch (err) {
          refused = (err as Error).name;
          throw err;
        }
      });
      await q().enqueueMany(deps.db, def, [{ id: 'a' }, { id: 'b' }]);
      await startWorker([def], { concurrency: { critical: 1, default: 1, bulk: 1 } });
      await until('claimed', async () => {
        const rows = await deps.db.selectFrom('jobs').select('state').execute();
        return rows.length === 2 && rows.every((r) => r.state === 'running');
      });
      // Another worker took one of them over (its lease ran out, say).
      const one = await deps.db.selectFrom('jobs').select('id').orderBy('id').executeTakeFirstOrThrow();
      await deps.db.updateTable('jobs').set({ locked_by: 'w-other' }).where('id', '=', one.id).execute();
      g.open();
      await until('completion refused', () => refused);
      expect(refused).toBe('LeaseLostError');
      expect(await effects()).toEqual([]);
      // Neither completed nor counted as failed: the other worker has one, the lease brings the other back.
      const rows = await deps.db.selectFrom('jobs').select(['state', 'last_error']).execute();
      expect(rows).toEqual([
        { state: 'running', last_error: null },
        { state: 'running', last_error: null },
      ]);
    });
  });

  describe('failures', () => {
    it('retries a failing handler with exponential backoff and dead-letters it after max_attempts', async () => {
      const { def, runs } = recordingJob(
        'test.flaky',
        async () => {
          throw new Error('mail server timeout');
        },
        { maxAttempts: 3 },
      );
      const t0 = clock.now().getTime();
      const id = await q().enqueue(deps.db, def, { id: 'a' });
      const worker = await startWorker([def]);

      const afterFirst = await until('first failure recorded', async () => {
        const row = await jobRow(id!);
        return row?.attempts === 1 && row.state === 'queued' ? row : null;
      });
      expect(afterFirst.last_error).toBe('Error: mail server timeout');
      expect(afterFirst.run_at.getTime()).toBe(t0 + 1000);
      expect(afterFirst.locked_by).toBeNull();

      // Not before the backoff has passed.
      clock.advance(999);
      await drain(worker);
      expect(runs).toHaveLength(1);

      clock.advance(1);
      worker.wake();
      const afterSecond = await until('second failure recorded', async () => {
        const row = await jobRow(id!);
        return row?.attempts === 2 && row.state === 'queued' ? row : null;
      });
      expect(afterSecond.run_at.getTime()).toBe(t0 + 1000 + 2000);

      clock.advance(2000);
      worker.wake();
      const dead = await until('job dead', async () => {
        const row = await jobRow(id!);
        return row?.state === 'dead' ? row : null;
      });
      expect(dead).toMatchObject({ attempts: 3, last_error: 'Error: mail server timeout', locked_by: null });
      expect(runs.map((r) => r.attempts)).toEqual([1, 2, 3]);

      clock.advance(3_600_000);
      await drain(worker);
      expect(runs).toHaveLength(3);
    });

    it('caps the backoff at maxMs and applies jitter', async () => {
      const { def } = recordingJob(
        'test.capped',
        async () => {
          throw new Error('nope');
        },
        { maxAttempts: 20 },
      );
      const id = await q().enqueue(deps.db, def, { id: 'a' });
      // Pretend it already failed 9 times: 1000 * 2^9 = 512 s, capped at 60 s, jitter factor 0.8.
      await deps.db.updateTable('jobs').set({ attempts: 9 }).where('id', '=', id!).execute();
      const t0 = clock.now().getTime();
      await startWorker([def], { random: () => 0 });
      const row = await until('failure recorded', async () => {
        const r = await jobRow(id!);
        return r?.attempts === 10 && r.state === 'queued' ? r : null;
      });
      expect(row.run_at.getTime()).toBe(t0 + 48_000);
    });

    it('dead-letters at once on PermanentJobError', async () => {
      const { def, runs } = recordingJob('test.permanent', async () => {
        throw new PermanentJobError('contact was erased');
      });
      const id = await q().enqueue(deps.db, def, { id: 'a' });
      await startWorker([def]);
      const dead = await until('job dead', async () => {
        const row = await jobRow(id!);
        return row?.state === 'dead' ? row : null;
      });
      expect(dead).toMatchObject({ attempts: 1, last_error: 'PermanentJobError: contact was erased' });
      expect(runs).toHaveLength(1);
    });

    it('dead-letters a job nobody has a handler for', async () => {
      const { def: known } = recordingJob('test.known');
      const { def: unknown } = recordingJob('test.unknown');
      const id = await q().enqueue(deps.db, unknown, { id: 'a' });
      await startWorker([known]);
      const dead = await until('job dead', async () => {
        const row = await jobRow(id!);
        return row?.state === 'dead' ? row : null;
      });
      expect(dead.last_error).toContain('no handler registered for job "test.unknown"');
    });

    it('dead-letters a job whose payload no longer matches the schema', async () => {
      // Enqueued by an older version with another payload shape.
      const old = defineJob({
        name: 'test.reshaped',
        schema: Type.Object({ contactId: Type.String() }),
        handler: async () => {},
      });
      const id = await q().enqueue(deps.db, old, { contactId: 'c1' });
      const { def, runs } = recordingJob('test.reshaped');
      await startWorker([def]);
      const dead = await until('job dead', async () => {
        const row = await jobRow(id!);
        return row?.state === 'dead' ? row : null;
      });
      expect(dead.last_error).toMatch(/^PermanentJobError: invalid payload at \/id/);
      expect(runs).toEqual([]);
    });
  });

  describe('scheduling', () => {
    it('does not run a job before runAt or delayMs, and runs it after', async () => {
      const { def, runs } = recordingJob('test.later');
      const start = clock.now().getTime();
      await q().enqueue(deps.db, def, { id: 'at' }, { runAt: new Date(start + 3 * 86_400_000) });
      await q().enqueue(deps.db, def, { id: 'delay' }, { delayMs: 60_000 });
      const worker = await startWorker([def]);

      clock.advance(59_999);
      await drain(worker);
      expect(runs).toEqual([]);

      clock.advance(1);
      worker.wake();
      await until('delayed job ran', () => runs.length === 1);
      expect(runs[0]!.id).toBe('delay');

      clock.set(new Date(start + 3 * 86_400_000 - 1));
      await drain(worker);
      expect(runs).toHaveLength(1);

      clock.advance(1);
      worker.wake();
      await until('scheduled job ran', () => runs.length === 2);
      expect(runs[1]!.id).toBe('at');
    });

    it('wakes an idle worker through NOTIFY when a job is committed', async () => {
      const { def, runs } = recordingJob('test.notified');
      await startWorker([def], { pollMs: 600_000 });
      for (let i = 0; i < 5; i++) {
        await deps.db.transaction().execute((trx) => q().enqueue(trx, def, { id: `n${i}` }));
        await until(`job ${i} ran without polling`, () => runs.length === i + 1);
      }
    });

    it('does not lose a wake-up that arrives while it is claiming', async () => {
      const { def, runs } = recordingJob('test.woken-mid-claim');
      let worker: JobWorker | undefined;
      let armed = false;
      let armedClaim: unknown;
      const midClaim: KyselyPlugin = {
        transformQuery(args) {
          if (armed && args.node.kind === 'RawNode' && JSON.stringify(args.node).includes('SKIP LOCKED')) {
            armed = false;
            armedClaim = args.queryId;
          }
          return args.node;
        },
        async transformResult(args) {
          if (args.queryId !== armedClaim) return args.result;
          armedClaim = undefined;
          // The claim has read the table. Now a job commits and its notification arrives (the row
          // is written without NOTIFY so that only this one wake-up can find it).
          const insert = sql`INSERT INTO jobs (name, lane, payload, run_at)
            VALUES (${def.name}, 'default', ${JSON.stringify({ id: 'late' })}, ${clock.now()})`.execute(
            deps.db,
          );
          // PGlite: the insert waits for the single connection this claim holds and runs before any
          // later claim (the driver is FIFO). PostgreSQL: it commits on another connection first.
          if (kind === 'postgres') await insert;
          else insert.catch(() => {});
          worker!.wake('default');
          return args.result;
        },
      };
      worker = await startWorker([def], {
        handle: { ...deps.handle, db: deps.db.withPlugin(midClaim) },
        pollMs: 600_000,
        concurrency: { critical: 0, default: 1, bulk: 0 },
      });
      armed = true;
      worker.wake('default');
      await until('job committed mid-claim ran', () => runs.length === 1);
    });

    it('runs a critical job at once while the bulk lane is saturated by slow jobs', async () => {
      const g = gate();
      gates.push(g);
      const bulk = recordingJob('test.bulk-send', () => g.wait(), { lane: 'bulk' });
      const critical = recordingJob('test.send-opt-in', async () => {}, { lane: 'critical' });
      await q().enqueueMany(
        deps.db,
        bulk.def,
        Array.from({ length: 6 }, (_, i) => ({ id: `b${i}` })),
      );
      await startWorker([bulk.def, critical.def], { concurrency: { critical: 1, default: 1, bulk: 2 } });
      await until('bulk lane full', () => bulk.runs.length === 2);
      await q().enqueue(deps.db, critical.def, { id: 'c1' });
      await until('critical job ran', () => critical.runs.length === 1);
      expect(bulk.runs).toHaveLength(2);
      g.open();
      await until('bulk lane drained', () => bulk.runs.length === 6);
    });

    it('claims higher priority first', async () => {
      const order: string[] = [];
      const { def } = recordingJob('test.prioritised', async ({ id }) => {
        order.push(id);
      });
      await q().enqueue(deps.db, def, { id: 'low' }, { priority: -5 });
      await q().enqueue(deps.db, def, { id: 'normal' });
      await q().enqueue(deps.db, def, { id: 'high' }, { priority: 5 });
      await startWorker([def], { concurrency: { default: 1 } });
      await until('all ran', () => order.length === 3);
      expect(order).toEqual(['high', 'normal', 'low']);
    });
  });

  describe('leases and stopping', () => {
    async function markClaimedByVanishedWorker(id: string, attempts: number) {
      await deps.db
        .updateTable('jobs')
        .set({
          state: 'running',
          locked_by: 'w-vanished',
          locked_until: new Date(clock.now().getTime() - 1000),
          attempts,
        })
        .where('id', '=', id)
        .execute();
    }

    it('reclaims a job whose worker vanished and runs it again', async () => {
      const { def, runs } = recordingJob('test.orphaned', async ({ id }, ctx) => {
        await ctx.completeWith((trx) => insertEffect(trx, id, ctx.job.attempts));
      });
      const id = await q().enqueue(deps.db, def, { id: 'o1' });
      await markClaimedByVanishedWorker(id!, 1);
      // A lease still valid is left alone.
      const { def: other } = recordingJob('test.busy-elsewhere');
      const busy = await q().enqueue(deps.db, other, { id: 'x' });
      await deps.db
        .updateTable('jobs')
        .set({
          state: 'running',
          locked_by: 'w-alive',
          locked_until: new Date(clock.now().getTime() + 1000),
          attempts: 1,
        })
        .where('id', '=', busy!)
        .execute();

      const worker = await startWorker([def]);
      expect(await worker.reclaimExpired()).toBe(1);
      await until('job ran again', () => runs.length === 1);
      expect(runs[0]!.attempts).toBe(2);
      await until('job deleted', async () => !(await jobRow(id!)));
      expect(await effects()).toEqual([{ key: 'o1', attempt: 2 }]);
      expect(await jobRow(busy!)).toMatchObject({ state: 'running', locked_by: 'w-alive' });
    });

    it('dead-letters a reclaimed job whose attempts are used up', async () => {
      const { def, runs } = recordingJob('test.poison', async () => {}, { maxAttempts: 3 });
      const id = await q().enqueue(deps.db, def, { id: 'p1' });
      await markClaimedByVanishedWorker(id!, 3);
      const worker = await startWorker([def]);
      expect(await worker.reclaimExpired()).toBe(1);
      expect(await jobRow(id!)).toMatchObject({
        state: 'dead',
        attempts: 3,
        locked_by: null,
        last_error: 'lease expired: the worker running it stopped or crashed',
      });
      await drain(worker);
      expect(runs).toEqual([]);
    });

    it('reclaims expired leases on its own timer', async () => {
      const { def, runs } = recordingJob('test.orphaned-timer');
      const id = await q().enqueue(deps.db, def, { id: 'o1' });
      await markClaimedByVanishedWorker(id!, 1);
      await startWorker([def], { leaseMs: 300 });
      await until('job ran again', () => runs.length === 1);
      expect(runs[0]!.attempts).toBe(2);
    });

    it('stop() releases jobs still running after the timeout, without counting the attempt', async () => {
      const g = gate();
      gates.push(g);
      const slow = recordingJob('test.slow', async () => {
        // Only the first run hangs; the run after the release completes.
        if (slow.runs.length === 1) await g.wait();
      });
      const id = await q().enqueue(deps.db, slow.def, { id: 's1' });
      const first = await startWorker([slow.def]);
      await until('job started', () => slow.runs.length === 1);
      expect(await jobRow(id!)).toMatchObject({ state: 'running', locked_by: first.id, attempts: 1 });

      await first.stop(50);
      expect(await jobRow(id!)).toMatchObject({
        state: 'queued',
        locked_by: null,
        locked_until: null,
        attempts: 0,
      });

      const second = await startWorker([slow.def]);
      await until('job ran on the second worker', () => slow.runs.length === 2);
      expect(slow.runs[1]!.attempts).toBe(1);
      await until('job deleted', async () => !(await jobRow(id!)));
      expect(second.busy).toBe(0);
    });

    it('stop() waits for running jobs and keeps their leases alive meanwhile', async () => {
      const g = gate();
      gates.push(g);
      const slow = recordingJob('test.slow-graceful', async ({ id }, ctx) => {
        await g.wait();
        await ctx.completeWith((trx) => insertEffect(trx, id, ctx.job.attempts));
      });
      const id = await q().enqueue(deps.db, slow.def, { id: 's1' });
      const worker = await startWorker([slow.def], { leaseMs: 600 });
      await until('job started', () => slow.runs.length === 1);

      const stopping = worker.stop(60_000);
      // Far beyond the lease: only a heartbeat during the shutdown keeps the job ours.
      clock.advance(3_600_000);
      await until('lease renewed during shutdown', async () => {
        const row = await jobRow(id!);
        return row?.locked_until && row.locked_until.getTime() > clock.now().getTime();
      });
      g.open();
      await stopping;
      expect(await jobRow(id!)).toBeUndefined();
      expect(await effects()).toEqual([{ key: 's1', attempt: 1 }]);
    });

    it('releases orphans at start in embedded mode, and dead-letters those whose attempts are used up', async () => {
      const { def, runs } = recordingJob('test.orphan-at-start', async () => {}, { maxAttempts: 2 });
      const retry = await q().enqueue(deps.db, def, { id: 'retry' });
      const poison = await q().enqueue(deps.db, def, { id: 'poison' });
      // The process died while running both; the poison job had been tried (and crashed) twice.
      await deps.db
        .updateTable('jobs')
        .set({
          state: 'running',
          locked_by: 'w-dead-process',
          locked_until: new Date(clock.now().getTime() + 600_000),
        })
        .execute();
      await deps.db.updateTable('jobs').set({ attempts: 1 }).where('id', '=', retry!).execute();
      await deps.db.updateTable('jobs').set({ attempts: 2 }).where('id', '=', poison!).execute();

      await startWorker([def], { releaseOrphansOnStart: true });
      await until('orphan ran', () => runs.length === 1);
      expect(runs[0]).toMatchObject({ id: 'retry', attempts: 2 });
      expect(await jobRow(poison!)).toMatchObject({
        state: 'dead',
        attempts: 2,
        locked_by: null,
        last_error: expect.stringContaining('crashed'),
      });
    });
  });

  describe('recurring jobs', () => {
    const everyMs = 3_600_000;

    it('schedules the current slot once and each run enqueues the next slot once', async () => {
      clock.set('2026-03-05T10:20:00Z');
      const { def, runs } = recordingJob('test.hourly-cleanup', async () => {}, {
        schema: Type.Object({}) as never,
      });
      const recurring = { job: def as JobDefinition, everyMs };
      await scheduleRecurring(deps.db, q(), clock, [recurring]);
      await scheduleRecurring(deps.db, q(), clock, [recurring]);
      const scheduled = await deps.db.selectFrom('jobs').select(['run_at', 'idempotency_key']).execute();
      expect(scheduled).toEqual([
        { run_at: new Date('2026-03-05T10:00:00Z'), idempotency_key: 'every:2026-03-05T10:00:00.000Z' },
      ]);

      const worker = await startWorker([asRecurring(q(), clock, recurring)]);
      await until('first run', () => runs.length === 1);
      const next = await until('next slot enqueued', async () => {
        const rows = await deps.db.selectFrom('jobs').select(['run_at', 'state']).execute();
        return rows.length === 1 && rows[0]!.state === 'queued' ? rows : null;
      });
      expect(next[0]!.run_at).toEqual(new Date('2026-03-05T11:00:00Z'));

      // Another worker starting now finds the next slot pending and adds nothing.
      await scheduleRecurring(deps.db, q(), clock, [recurring]);
      expect(await jobCount()).toBe(1);

      clock.set('2026-03-05T11:00:00Z');
      worker.wake();
      await until('second run', () => runs.length === 2);
      await until('slot after enqueued', async () => {
        const rows = await deps.db.selectFrom('jobs').select(['run_at', 'state']).execute();
        return rows.length === 1 && rows[0]!.run_at.getTime() === new Date('2026-03-05T12:00:00Z').getTime();
      });
    });

    it('keeps the schedule when a run fails for good', async () => {
      clock.set('2026-03-06T10:20:00Z');
      const { def, runs } = recordingJob(
        'test.hourly-broken',
        async () => {
          throw new PermanentJobError('report query is broken');
        },
        { schema: Type.Object({}) as never },
      );
      const recurring = { job: def as JobDefinition, everyMs };
      await scheduleRecurring(deps.db, q(), clock, [recurring]);
      await startWorker([asRecurring(q(), clock, recurring)]);
      await until('first run', () => runs.length === 1);
      const rows = await until('run dead and next slot pending', async () => {
        const r = await deps.db.selectFrom('jobs').select(['run_at', 'state']).orderBy('run_at').execute();
        return r.length === 2 && r[0]!.state === 'dead' ? r : null;
      });
      expect(rows[1]).toEqual({ run_at: new Date('2026-03-06T11:00:00Z'), state: 'queued' });
    });

    it('does not enqueue the next slot twice when a run is repeated', async () => {
      clock.set('2026-03-07T10:20:00Z');
      let crash = true;
      const { def, runs } = recordingJob(
        'test.hourly-retried',
        async () => {
          if (crash) {
            crash = false;
            throw new Error('worker lost its database connection');
          }
        },
        { schema: Type.Object({}) as never },
      );
      const recurring = { job: def as JobDefinition, everyMs };
      await scheduleRecurring(deps.db, q(), clock, [recurring]);
      const worker = await startWorker([asRecurring(q(), clock, recurring)]);
      await until('first run failed', () => runs.length === 1);
      clock.advance(1000);
      worker.wake();
      await until('retry ran', () => runs.length === 2);
      const rows = await until('only the next slot remains', async () => {
        const r = await deps.db.selectFrom('jobs').select(['run_at', 'state']).execute();
        return r.length === 1 ? r : null;
      });
      expect(rows[0]).toEqual({ run_at: new Date('2026-03-07T11:00:00Z'), state: 'queued' });
    });
  });

  describe('database failures', () => {
    it('backs off while claiming fails and recovers when the database answers again', async () => {
      const lines: Array<{ event?: string }> = [];
      const log = createLogger('warn', { write: (line: string) => void lines.push(JSON.parse(line)) });
      let failing = true;
      const broken: KyselyPlugin = {
        transformQuery(args) {
          if (failing) throw new Error('Connection terminated unexpectedly');
          return args.node;
        },
        transformResult: async (args) => args.result,
      };
      const { def, runs } = recordingJob('test.during-outage');
      const handle = { ...deps.handle, db: deps.db.withPlugin(broken) };
      await startWorker([def], { handle, log, pollMs: 20 });
      await until(
        'claim failures logged',
        () => lines.filter((l) => l.event === 'jobs.claim-failed').length >= 3,
      );
      await q().enqueue(deps.db, def, { id: 'a' });
      failing = false;
      await until('job ran after recovery', () => runs.length === 1, 15_000);
    });

    it.runIf(kind === 'postgres')(
      'recovers when every connection is terminated (database restart)',
      async () => {
        const { def, runs } = recordingJob('test.after-restart');
        await startWorker([def], { pollMs: 600_000 });
        await q().enqueue(deps.db, def, { id: 'before' });
        await until('first job ran', () => runs.length === 1);

        const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
        await admin.connect();
        try {
          const database = new URL(deps.config.databaseUrl!).pathname.slice(1);
          const killed = await admin.query(
            'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
            [database],
          );
          expect(killed.rowCount).toBeGreaterThan(0);
        } finally {
          await admin.end();
        }
        // The first statements after the restart may fail on dead pooled connections; the next work.
        await until('enqueue works again', () =>
          q()
            .enqueue(deps.db, def, { id: 'after' })
            .then(
              () => true,
              () => false,
            ),
        );
        // No polling: the re-established LISTEN connection (or its wake-up on reconnect) finds it.
        await until('job after the restart ran', () => runs.length === 2, 15_000);
      },
    );

    it('uses the ready index to claim', async () => {
      // A plan, not a timing: with sequential scans off, the claim must be answerable from
      // jobs_ready_idx (the partial index WHERE state = 'queued') without a sort, whatever the
      // statistics say (the planner can never pick jobs_due_idx for the scan itself).
      const plan = await deps.db.connection().execute(async (conn) => {
        await sql`SET enable_seqscan = off`.execute(conn);
        try {
          const claim = claimStatement({
            workerId: 'w-explain',
            lane: 'default',
            limit: 4,
            now: clock.now(),
            leaseUntil: clock.now(),
          });
          const result = await sql<{ 'QUERY PLAN': string }>`EXPLAIN ${claim}`.execute(conn);
          return result.rows.map((r) => r['QUERY PLAN']).join('\n');
        } finally {
          await sql`RESET enable_seqscan`.execute(conn);
        }
      });
      expect(plan).toContain('jobs_ready_idx');
      expect(plan).not.toMatch(/\bSort\b/);
      // Jobs scheduled for later are not walked when nothing is due: the one-time "any due job?"
      // check is answered by jobs_due_idx before the claim scan runs.
      expect(plan).toMatch(/One-Time Filter/);
      expect(plan).toContain('jobs_due_idx');
    });
  });

  // Last on purpose: VACUUM ANALYZE gives the jobs table statistics, and the plan test above checks
  // the claim's plan on a table that has none.
  describe('housekeeping', () => {
    /** What VACUUM and ANALYZE leave behind: the table's row estimate, -1 until it was first analyzed. */
    async function jobsTableEstimate() {
      const r = await sql<{ reltuples: number }>`
        SELECT reltuples::float8 AS reltuples FROM pg_class WHERE oid = 'jobs'::regclass`.execute(deps.db);
      return Number(r.rows[0]?.reltuples);
    }

    it('vacuums and analyzes the jobs table itself after every vacuumAfterJobs finished jobs', async () => {
      const { def, runs } = recordingJob('test.churn');
      // A worker that never reaches its threshold leaves the table alone.
      const idle = await startWorker([def], { vacuumAfterJobs: 1000 });
      await q().enqueueMany(deps.db, def, [{ id: 'x1' }, { id: 'x2' }]);
      idle.wake();
      await until('jobs ran', () => runs.length === 2);
      await drain(idle);
      await idle.stop(0);
      expect(await jobsTableEstimate()).toBe(-1);

      const worker = await startWorker([def], { vacuumAfterJobs: 10 });
      await q().enqueueMany(
        deps.db,
        def,
        Array.from({ length: 30 }, (_, i) => ({ id: `c${i}` })),
      );
      worker.wake();
      await until('jobs ran', () => runs.length === 32);
      await drain(worker);
      await until('jobs table analyzed', async () => (await jobsTableEstimate()) >= 0);
      expect(await jobCount()).toBe(0);
    });
  });
});
