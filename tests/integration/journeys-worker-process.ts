import { pathToFileURL } from 'node:url';
import { collectJobs, openDeps } from '../../src/server.js';
import { loadConfig } from '../../src/shared/config.js';
import { JobWorker } from '../../src/shared/jobs/index.js';
import { createLogger } from '../../src/shared/log.js';

/*
 * A worker process with every job of the app (journeys, mail, activity delivery), for
 * journeys-kill.test.ts: the test SIGKILLs it in the middle of a journey step. Configured through
 * JOURNEYS_WORKER_CONFIG (JSON); says `ready` over the IPC channel of fork().
 */

export interface JourneysWorkerConfig {
  databaseUrl: string;
  dataDir: string;
  smtpUrl: string;
  publicUrl: string;
  leaseMs: number;
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.env.JOURNEYS_WORKER_CONFIG ?? '{}') as JourneysWorkerConfig;
  process.on('disconnect', () => process.exit(1));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: cfg.dataDir,
    DATABASE_URL: cfg.databaseUrl,
    DATABASE_POOL_SIZE: '8',
    SMTP_URL: cfg.smtpUrl,
    PUBLIC_URL: cfg.publicUrl,
    SECRET_KEY: 'test-secret-key-that-is-long-enough-0123456789',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  });
  const log = createLogger(config.logLevel);
  const deps = await openDeps({ config, log, migrate: false });
  const worker = new JobWorker({
    handle: deps.handle,
    definitions: collectJobs(deps),
    clock: deps.clock,
    log,
    concurrency: { critical: 1, default: 2, bulk: 1 },
    leaseMs: cfg.leaseMs,
    pollMs: 100,
  });
  await worker.start();
  process.send?.({ type: 'ready', pid: process.pid });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
