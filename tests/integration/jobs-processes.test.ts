import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openDeps } from '../../src/server.js';
import { loadConfig } from '../../src/shared/config.js';
import { createLogger } from '../../src/shared/log.js';
import type { AppDeps } from '../../src/shared/module.js';
import { availableDbKinds, createTestDeps, type TestDeps } from '../support/deps.js';
import {
  EFFECTS_TABLE_SQL,
  recordEffectJob,
  type WorkerProcessConfig,
  type WorkerProcessMessage,
} from '../support/job-worker-process.js';

/*
 * Real OS processes: workers are killed with SIGKILL in the middle of a job, and two processes
 * share one PostgreSQL. The in-process behaviour (retries, backoff, dead letters, lanes, leases)
 * is covered by jobs.test.ts.
 */

const SCRIPT = fileURLToPath(new URL('../support/job-worker-process.ts', import.meta.url));
const postgresUp = (await availableDbKinds()).includes('postgres');

interface WorkerProcess {
  child: ChildProcess;
  messages: WorkerProcessMessage[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor<T extends WorkerProcessMessage['type']>(
    type: T,
    timeoutMs?: number,
  ): Promise<Extract<WorkerProcessMessage, { type: T }>>;
  /** Graceful stop over IPC; resolves with the number of jobs the process completed. */
  stop(): Promise<number>;
}

const started: WorkerProcess[] = [];

// Each process compiles the sources with tsx and opens its database; the embedded database's
// first open runs initdb. Generous limits, so that a loaded CI machine does not fail these tests.
const PROCESS_TEST_TIMEOUT = 180_000;
const MESSAGE_TIMEOUT = 90_000;

async function until<T>(
  what: string,
  check: () => Promise<T> | T,
  timeoutMs = MESSAGE_TIMEOUT,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function startWorkerProcess(overrides: Partial<WorkerProcessConfig> & { dataDir: string }): WorkerProcess {
  const config: WorkerProcessConfig = {
    leaseMs: 30_000,
    concurrency: 4,
    hangOnFirstAttempt: false,
    releaseOrphansOnStart: false,
    reportEachJob: true,
    ...overrides,
  };
  const child = fork(SCRIPT, [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, JOB_WORKER_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages: WorkerProcessMessage[] = [];
  child.on('message', (m) => messages.push(m as WorkerProcessMessage));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const proc: WorkerProcess = {
    child,
    messages,
    exited,
    waitFor(type, timeoutMs = MESSAGE_TIMEOUT) {
      return until(
        `message "${type}" from worker process ${child.pid}`,
        async () => {
          // The message first: a process that said "stopped" and exited at once did what it should.
          const found = messages.find((m) => m.type === type) as Extract<
            WorkerProcessMessage,
            { type: typeof type }
          >;
          if (found) return found;
          if (child.exitCode !== null || child.signalCode !== null) {
            // Messages sent just before the exit may be dispatched just after it.
            await new Promise((r) => setTimeout(r, 100));
            const late = messages.find((m) => m.type === type);
            if (late) return late as Extract<WorkerProcessMessage, { type: typeof type }>;
            throw new Error(`worker process ${child.pid} exited (${child.exitCode ?? child.signalCode})`);
          }
          return undefined;
        },
        timeoutMs,
      );
    },
    async stop() {
      child.send({ type: 'stop' });
      const stopped = await proc.waitFor('stopped');
      await exited;
      return stopped.processed;
    },
  };
  started.push(proc);
  return proc;
}

afterEach(async () => {
  // Whatever a failed test left running: only the processes this file started, by their pid.
  for (const p of started.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGKILL');
      await p.exited;
    }
  }
});

async function effects(db: AppDeps['db']) {
  const result = await sql<{ key: string; worker: string; attempt: number }>`
    SELECT key, worker, attempt FROM job_effects ORDER BY seq`.execute(db);
  return result.rows;
}

async function jobCount(db: AppDeps['db']) {
  const row = await db
    .selectFrom('jobs')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('a worker killed in the middle of a job (embedded database on disk)', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'leadwerk-jobs-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  function openEmbedded() {
    const config = loadConfig({
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      SECRET_KEY: 'x'.repeat(40),
      LOG_LEVEL: 'silent',
    });
    return openDeps({ config, log: createLogger('silent') });
  }

  it('runs the job again after the restart: orphans are released at start', {
    timeout: PROCESS_TEST_TIMEOUT,
  }, async () => {
    const setup = await openEmbedded();
    await sql.raw(EFFECTS_TABLE_SQL).execute(setup.db);
    await setup.queue.enqueue(setup.db, recordEffectJob, { key: 'k1' });
    await setup.handle.close();

    const first = startWorkerProcess({ dataDir, hangOnFirstAttempt: true, releaseOrphansOnStart: true });
    expect(await first.waitFor('running')).toEqual({ type: 'running', key: 'k1', attempt: 1 });
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    // The lease (30 s) has not expired: the restarted process must not wait for it.
    const restarted = startWorkerProcess({ dataDir, releaseOrphansOnStart: true });
    const ready = await restarted.waitFor('ready');
    expect(await restarted.waitFor('done')).toEqual({ type: 'done', key: 'k1', attempt: 2 });
    expect(await restarted.stop()).toBe(1);

    const after = await openEmbedded();
    try {
      expect(await jobCount(after.db)).toBe(0);
      expect(await effects(after.db)).toEqual([{ key: 'k1', worker: ready.workerId, attempt: 2 }]);
    } finally {
      await after.handle.close();
    }
  });
});

describe.skipIf(!postgresUp)('worker processes on PostgreSQL', () => {
  let deps: TestDeps;
  let databaseUrl: string;
  let dataDir: string;

  beforeAll(async () => {
    deps = await createTestDeps('postgres');
    databaseUrl = deps.config.databaseUrl!;
    dataDir = deps.config.dataDir;
    await sql.raw(EFFECTS_TABLE_SQL).execute(deps.db);
  });
  afterEach(async () => {
    await deps.db.deleteFrom('jobs').execute();
    await sql`TRUNCATE job_effects`.execute(deps.db);
  });
  afterAll(async () => deps?.cleanup());

  it('a second process runs the job of a killed one once its lease expires', {
    timeout: PROCESS_TEST_TIMEOUT,
  }, async () => {
    await deps.queue.enqueue(deps.db, recordEffectJob, { key: 'k1' });
    const options = { databaseUrl, dataDir, leaseMs: 1500, hangOnFirstAttempt: true };
    const a = startWorkerProcess(options);
    const b = startWorkerProcess(options);
    await Promise.all([a.waitFor('ready'), b.waitFor('ready')]);
    const holder = await until('one process runs the job', () =>
      [a, b].find((p) => p.messages.some((m) => m.type === 'running')),
    );
    const survivor = holder === a ? b : a;
    const survivorId = (await survivor.waitFor('ready')).workerId;
    holder.child.kill('SIGKILL');
    expect((await holder.exited).signal).toBe('SIGKILL');

    expect(await survivor.waitFor('done')).toEqual({ type: 'done', key: 'k1', attempt: 2 });
    // The survivor never ran the job while the killed process held it.
    expect(survivor.messages.filter((m) => m.type === 'running')).toEqual([]);
    expect(await survivor.stop()).toBe(1);
    expect(await jobCount(deps.db)).toBe(0);
    expect(await effects(deps.db)).toEqual([{ key: 'k1', worker: survivorId, attempt: 2 }]);
  });

  it('two processes run 10,000 jobs with each database effect exactly once', {
    timeout: PROCESS_TEST_TIMEOUT,
  }, async () => {
    const total = 10_000;
    const options = { databaseUrl, dataDir, concurrency: 16, reportEachJob: false };
    const a = startWorkerProcess(options);
    const b = startWorkerProcess(options);
    const [readyA, readyB] = await Promise.all([a.waitFor('ready'), b.waitFor('ready')]);

    for (let offset = 0; offset < total; offset += 1000) {
      const payloads = Array.from({ length: 1000 }, (_, i) => ({ key: `e${offset + i}` }));
      await deps.queue.enqueueMany(deps.db, recordEffectJob, payloads);
    }
    await until('all jobs done', async () => (await jobCount(deps.db)) === 0, MESSAGE_TIMEOUT);
    const [processedA, processedB] = await Promise.all([a.stop(), b.stop()]);

    const counts = await sql<{ effects: string; distinct_keys: string; retried: string }>`
      SELECT count(*) AS effects, count(DISTINCT key) AS distinct_keys,
             count(*) FILTER (WHERE attempt > 1) AS retried
        FROM job_effects`.execute(deps.db);
    expect(counts.rows[0]).toEqual({ effects: String(total), distinct_keys: String(total), retried: '0' });
    const perWorker = await sql<{ worker: string; n: string }>`
      SELECT worker, count(*) AS n FROM job_effects GROUP BY worker ORDER BY worker`.execute(deps.db);
    const byWorker = Object.fromEntries(perWorker.rows.map((r) => [r.worker, Number(r.n)]));
    expect(byWorker).toEqual({ [readyA.workerId]: processedA, [readyB.workerId]: processedB });
    expect(processedA).toBeGreaterThan(0);
    expect(processedB).toBeGreaterThan(0);
    expect(processedA + processedB).toBe(total);
  });
});
