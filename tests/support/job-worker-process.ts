import { pathToFileURL } from 'node:url';
import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import { openDeps } from '../../src/server.js';
import { loadConfig } from '../../src/shared/config.js';
import { defineJob, JobWorker } from '../../src/shared/jobs/index.js';
import { createLogger } from '../../src/shared/log.js';

/*
 * A job worker in its own OS process, for tests that kill processes or run several at once.
 * Started by `startWorkerProcess` with `node --import tsx`; configured through JOB_WORKER_CONFIG
 * (JSON); reports to the test over the IPC channel of fork().
 */

export interface WorkerProcessConfig {
  /** PostgreSQL; without it the embedded database in dataDir. */
  databaseUrl?: string;
  dataDir: string;
  leaseMs: number;
  concurrency: number;
  /** The first attempt of each job hangs and says so, so that the test can kill the process mid-job. */
  hangOnFirstAttempt: boolean;
  releaseOrphansOnStart: boolean;
  /** Send a `done` message per job (off for bulk runs). */
  reportEachJob: boolean;
}

export type WorkerProcessMessage =
  | { type: 'ready'; workerId: string }
  | { type: 'running'; key: string; attempt: number }
  | { type: 'done'; key: string; attempt: number }
  | { type: 'stopped'; processed: number };

/** Table the test creates; the job's one effect is a row here, written in `completeWith`. */
export const EFFECTS_TABLE_SQL = `CREATE TABLE job_effects (
  seq bigserial PRIMARY KEY, key text NOT NULL, worker text NOT NULL, attempt int NOT NULL)`;

const RecordEffectPayload = Type.Object({ key: Type.String() });

/** What the test enqueues; the process registers the same name with the real handler. */
export const recordEffectJob = defineJob({
  name: 'test.record-effect',
  schema: RecordEffectPayload,
  maxAttempts: 5,
  async handler() {
    throw new Error('runs in the worker process only');
  },
});

async function main(): Promise<void> {
  const cfg = JSON.parse(process.env.JOB_WORKER_CONFIG ?? '{}') as WorkerProcessConfig;
  const send = (message: WorkerProcessMessage) => process.send?.(message);
  // The test runner died or let go of us: do not linger as an orphan holding the database.
  process.on('disconnect', () => process.exit(1));

  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: cfg.dataDir,
    ...(cfg.databaseUrl ? { DATABASE_URL: cfg.databaseUrl } : {}),
    DATABASE_POOL_SIZE: String(cfg.concurrency + 4),
    SECRET_KEY: 'test-secret-key-that-is-long-enough-0123456789',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  });
  const log = createLogger(config.logLevel);
  const deps = await openDeps({ config, log, migrate: false });
  let processed = 0;
  let workerId = '';
  const job = defineJob({
    ...recordEffectJob,
    async handler({ key }, ctx) {
      if (cfg.hangOnFirstAttempt && ctx.job.attempts === 1) {
        send({ type: 'running', key, attempt: ctx.job.attempts });
        await new Promise(() => {}); // until the test kills this process
      }
      await ctx.completeWith((trx) =>
        sql`INSERT INTO job_effects (key, worker, attempt) VALUES (${key}, ${workerId}, ${ctx.job.attempts})`.execute(
          trx,
        ),
      );
      processed++;
      if (cfg.reportEachJob) send({ type: 'done', key, attempt: ctx.job.attempts });
    },
  });
  const worker = new JobWorker({
    handle: deps.handle,
    definitions: [job],
    clock: deps.clock,
    log,
    concurrency: { critical: 0, default: cfg.concurrency, bulk: 0 },
    leaseMs: cfg.leaseMs,
    pollMs: 200,
    releaseOrphansOnStart: cfg.releaseOrphansOnStart,
  });
  workerId = worker.id;

  process.on('message', (message: { type?: string }) => {
    if (message.type !== 'stop') return;
    void (async () => {
      await worker.stop(5000);
      await deps.handle.close();
      process.send?.({ type: 'stopped', processed } satisfies WorkerProcessMessage, () => process.exit(0));
    })();
  });

  await worker.start();
  send({ type: 'ready', workerId });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
