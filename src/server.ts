import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { migrations } from './migrations/index.js';
import { activityDeliveryJob, registerActivitySubscriptions } from './modules/contacts/index.js';
import { ensureInitialAdmin, type InitialAdmin } from './modules/identity/index.js';
import { MODULES } from './modules.js';
import { type Clock, systemClock } from './shared/clock.js';
import type { Config } from './shared/config.js';
import { type DatabaseHandle, openDatabase } from './shared/db/index.js';
import { migrateToLatest } from './shared/db/migrate.js';
import {
  asRecurring,
  type JobDefinition,
  JobQueue,
  JobWorker,
  scheduleRecurring,
} from './shared/jobs/index.js';
import { createLogger, type Logger } from './shared/log.js';
import { createMetrics } from './shared/metrics.js';
import type { ActivityHandler, AppDeps, BackgroundService, LeadwerkModule } from './shared/module.js';

export interface StartOptions {
  config: Config;
  /** Serve HTTP (API, admin UI, public pages). */
  api: boolean;
  /** Run background jobs in this process. */
  worker: boolean;
  /** Apply pending migrations at start (default true). */
  migrate?: boolean;
  log?: Logger;
  clock?: Clock;
  modules?: LeadwerkModule[];
  /** Embedded only: keep the database in memory (tests). */
  inMemory?: boolean;
  webRoot?: string;
}

export interface RunningLeadwerk {
  deps: AppDeps;
  app?: FastifyInstance;
  worker?: JobWorker;
  url?: string;
  initialAdmin: InitialAdmin;
  /** Graceful stop: HTTP drained, running jobs finished or released, database closed. */
  stop(): Promise<void>;
}

/** Opens the database, migrates, and builds the dependencies every command needs. */
export async function openDeps(options: {
  config: Config;
  log?: Logger;
  clock?: Clock;
  migrate?: boolean;
  inMemory?: boolean;
  loadDataDir?: Blob;
  modules?: LeadwerkModule[];
}): Promise<AppDeps> {
  const log = options.log ?? createLogger(options.config.logLevel);
  const clock = options.clock ?? systemClock;
  const handle: DatabaseHandle = await openDatabase({
    databaseUrl: options.config.databaseUrl,
    dataDir: options.config.dataDir,
    poolSize: options.config.databasePoolSize,
    preparedStatements: options.config.databasePreparedStatements,
    inMemory: options.inMemory ?? false,
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  });
  try {
    if (options.migrate ?? true) {
      const applied = await migrateToLatest(handle.db, migrations);
      if (applied.length > 0) log.info({ event: 'db.migrated', applied }, 'database migrated');
    }
  } catch (err) {
    await handle.close();
    throw err;
  }
  const deps: AppDeps = {
    config: options.config,
    handle,
    db: handle.db,
    clock,
    log,
    metrics: createMetrics(),
    queue: new JobQueue(clock),
    lifecycle: { shuttingDown: false },
  };
  // Every process that records activities (API, worker, CLI) must know who subscribes to them.
  registerActivitySubscriptions(collectActivityHandlers(deps, options.modules ?? MODULES));
  return deps;
}

/**
 * Every module's activity handlers, in registration order; names must be unique, and a handler
 * that runs `after` others must come after them (the delivery runs handlers in this order).
 */
export function collectActivityHandlers(
  deps: AppDeps,
  modules: LeadwerkModule[] = MODULES,
): ActivityHandler[] {
  const handlers = modules.flatMap((m) => m.activityHandlers?.(deps) ?? []);
  const names = new Set<string>();
  for (const h of handlers) {
    if (names.has(h.name)) throw new Error(`activity handler ${h.name} is registered twice`);
    for (const before of h.after ?? [])
      if (!names.has(before))
        throw new Error(`activity handler ${h.name} runs after ${before}, which is not registered before it`);
    names.add(h.name);
  }
  return handlers;
}

/** Every job of every module; recurring ones wrapped so that each run schedules the next. */
export function collectJobs(deps: AppDeps, modules: LeadwerkModule[] = MODULES): JobDefinition[] {
  const jobs = modules.flatMap((m) => m.jobs?.(deps) ?? []);
  const recurring = modules.flatMap((m) => m.recurring?.(deps) ?? []);
  const handlers = collectActivityHandlers(deps, modules);
  registerActivitySubscriptions(handlers);
  return [
    ...jobs,
    ...recurring.map((r) => asRecurring(deps.queue, deps.clock, r)),
    activityDeliveryJob(deps, handlers),
  ];
}

/** Starts the API and/or the worker in this process. */
export async function startLeadwerk(options: StartOptions): Promise<RunningLeadwerk> {
  const { config } = options;
  const modules = options.modules ?? MODULES;
  const deps = await openDeps({ ...options, modules });
  const { log } = deps;
  if (deps.handle.kind === 'embedded' && config.nodeEnv === 'production') {
    log.warn(
      { event: 'db.embedded-in-production' },
      'The embedded database does not fsync: committed data survives a killed process but not a power loss. ' +
        'Use PostgreSQL (DATABASE_URL) in production, or back up often (leadwerk backup).',
    );
  }

  let initialAdmin: InitialAdmin = { created: false };
  let app: FastifyInstance | undefined;
  let worker: JobWorker | undefined;
  const services: BackgroundService[] = [];
  let url: string | undefined;
  try {
    initialAdmin = await ensureInitialAdmin(deps.db, {
      email: config.adminEmail,
      password: config.adminPassword,
    });
    if (options.worker) {
      const perLane = config.workerConcurrency;
      worker = new JobWorker({
        handle: deps.handle,
        definitions: collectJobs(deps, modules),
        clock: deps.clock,
        log,
        metrics: deps.metrics,
        concurrency: { critical: perLane, default: perLane, bulk: Math.max(1, Math.floor(perLane / 2)) },
        leaseMs: config.jobLeaseSeconds * 1000,
        pollMs: config.jobPollMs,
        releaseOrphansOnStart: deps.handle.kind === 'embedded',
      });
      await scheduleRecurring(
        deps.db,
        deps.queue,
        deps.clock,
        modules.flatMap((m) => m.recurring?.(deps) ?? []),
      );
      await worker.start();
      for (const service of modules.flatMap((m) => m.services?.(deps) ?? [])) {
        await service.start();
        services.push(service);
      }
    }
    if (options.api) {
      app = await buildApp(deps, { modules, ...(options.webRoot ? { webRoot: options.webRoot } : {}) });
      url = await app.listen({ port: config.port, host: config.host });
      log.info({ event: 'http.listening', url }, `Leadwerk listening on ${url}`);
    }
  } catch (err) {
    await worker?.stop(0).catch(() => {});
    for (const service of services.reverse()) await service.stop().catch(() => {});
    await app?.close().catch(() => {});
    await deps.handle.close().catch(() => {});
    throw err;
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      deps.lifecycle.shuttingDown = true;
      log.info({ event: 'lifecycle.stopping' }, 'shutting down');
      // HTTP first: stop accepting, let requests in flight finish. Then jobs: finish or release.
      await app?.close();
      await worker?.stop(config.shutdownTimeoutMs);
      for (const service of [...services].reverse()) await service.stop().catch(() => {});
      await deps.handle.close();
      log.info({ event: 'lifecycle.stopped' }, 'stopped');
    })();
    return stopping;
  };
  return {
    deps,
    initialAdmin,
    stop,
    ...(app ? { app } : {}),
    ...(worker ? { worker } : {}),
    ...(url ? { url } : {}),
  };
}
