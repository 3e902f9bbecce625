import { failChild, serveParent } from './child.js';
import { benchEnv, wallMs } from './common.js';
import { BENCH_JOB, BenchPayload } from './jobs-shared.js';
import { installQueryCounter } from './query-counter.js';
import { loadSrc } from './src-loader.js';

/*
 * A worker process for bench/jobs.ts: a real JobWorker, configured as startLeadwerk configures it
 * (WORKER_CONCURRENCY, DATABASE_POOL_SIZE, JOB_POLL_MS, JOB_LEASE_SECONDS, LOG_LEVEL from the
 * environment, else the defaults; logs at warn), with one trivial handler. Counts completions
 * through the worker's own metrics hook (called right after the job row is deleted) and failed
 * attempts, and records each job's latency from enqueue (payload.t) to handler start.
 */

const [srcDir, databaseUrl, dataDir] = process.argv.slice(2);

const PASSED_THROUGH = [
  'WORKER_CONCURRENCY',
  'DATABASE_POOL_SIZE',
  'JOB_POLL_MS',
  'JOB_LEASE_SECONDS',
  'LOG_LEVEL',
];

async function main(): Promise<void> {
  const counter = process.env.BENCH_DIAGNOSE === '1' ? installQueryCounter() : undefined;
  if (!srcDir || !databaseUrl || !dataDir)
    throw new Error('usage: jobs-worker <srcDir> <databaseUrl> <dataDir>');
  const src = await loadSrc(srcDir);
  const extra: Record<string, string> = {};
  for (const k of PASSED_THROUGH) if (process.env[k]) extra[k] = process.env[k];
  const config = src.loadConfig(benchEnv({ dataDir, databaseUrl, extra }));
  const log = src.createLogger(config.logLevel);
  const handle = await src.openDatabase({ databaseUrl, dataDir, poolSize: config.databasePoolSize });

  let latencies: number[] = [];
  let completed = 0;
  let lastDoneAt = 0;
  const metrics = src.createMetrics();
  let failures = 0;
  /** Calls `onInc` whenever the worker increments `counter`. */
  const tap = (counter: { inc: unknown }, onInc: () => void) => {
    const inc = (counter.inc as (...a: unknown[]) => void).bind(counter);
    counter.inc = (...a: unknown[]) => {
      onInc();
      inc(...a);
    };
  };
  tap(metrics.jobsCompleted, () => {
    completed++;
    lastDoneAt = wallMs();
  });
  // A failed attempt (e.g. "too many clients" on a busy server) makes the round meaningless.
  tap(metrics.jobsFailed, () => failures++);
  tap(metrics.jobsDead, () => failures++);

  const job = src.defineJob({
    name: BENCH_JOB,
    schema: BenchPayload,
    async handler(payload) {
      latencies.push(wallMs() - payload.t);
    },
  });
  const perLane = config.workerConcurrency;
  const worker = new src.JobWorker({
    handle,
    definitions: [job],
    clock: src.systemClock,
    log,
    metrics,
    concurrency: { critical: perLane, default: perLane, bulk: Math.max(1, Math.floor(perLane / 2)) },
    leaseMs: config.jobLeaseSeconds * 1000,
    pollMs: config.jobPollMs,
  });
  await worker.start();
  serveParent(
    { concurrency: perLane, poolSize: config.databasePoolSize, pollMs: config.jobPollMs },
    {
      count: () => completed,
      reset: () => {
        latencies = [];
        completed = 0;
        lastDoneAt = 0;
        failures = 0;
        counter?.reset();
        return true;
      },
      stats: () => ({ completed, lastDoneAt, failures, latencies, queries: counter?.counts() ?? {} }),
    },
    async () => {
      await worker.stop(5000);
      await handle.close();
    },
  );
}

main().catch(failChild);
