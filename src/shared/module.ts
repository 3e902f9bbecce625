import type { FastifyInstance } from 'fastify';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { DatabaseHandle, Db } from './db/index.js';
import type { Activity } from './db/schema.js';
import type { JobDefinition, JobQueue } from './jobs/index.js';
import type { Logger } from './log.js';
import type { Metrics } from './metrics.js';

/** What every part of the server is given; nothing is read from globals. */
export interface AppDeps {
  config: Config;
  handle: DatabaseHandle;
  db: Db;
  clock: Clock;
  log: Logger;
  metrics: Metrics;
  queue: JobQueue;
  /** Process state shared by the HTTP server and the workers (e.g. set on SIGTERM). */
  lifecycle: { shuttingDown: boolean };
}

/** Something a module runs in worker processes besides jobs; see LeadwerkModule.services. */
export interface BackgroundService {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A timeline entry as a handler sees it (a row of `activities`). */
export type ActivityRow = Activity;

/**
 * Reacts to timeline entries within seconds, through the job queue (see docs/contracts.md,
 * "activity handlers"). One delivery job per recorded batch and workspace serves every subscribed
 * handler; delivery is at least once and retried per handler (a failing handler never makes another
 * one run twice), so `handle` must be idempotent; it gets the rows of one workspace whose type is in
 * `types` (and that `select` kept), oldest first.
 */
export interface ActivityHandler {
  /** Unique, stable (stored in pending jobs): `module.what`, e.g. `scoring.update-scores`. */
  name: string;
  /** Exact activity types, e.g. `mail.clicked`; `module.*` subscribes to a whole module. */
  types: readonly string[];
  handle(deps: AppDeps, input: { workspaceId: string; activities: ActivityRow[] }): Promise<void>;
  /**
   * Handlers whose effects this one reads (e.g. journeys' score triggers read the scores that
   * `scoring.update-scores` writes for the same entries): they must be registered earlier, and
   * within a delivery this handler runs only after they have handled the entries — when one of
   * them fails, this one waits for its retry and runs after it, in the same retry job.
   */
  after?: readonly string[];
  /**
   * Optional cheap filter run by the delivery before `handle`: the entries this handler would act
   * on (a subset of `activities`, e.g. none when no active journey listens). When it returns none,
   * `handle` is not called. It must never drop an entry `handle` would act on; at most one cheap
   * statement, no writes.
   */
  select?(
    deps: AppDeps,
    input: { workspaceId: string; activities: ActivityRow[] },
  ): ActivityRow[] | Promise<ActivityRow[]>;
}

export interface DemoContext {
  deps: AppDeps;
  workspaceId: string;
  adminUserId: string;
}

/**
 * A capability of Leadwerk. Each module registers its routes, its jobs and its demo data; the app
 * and the worker collect them from src/modules.ts, so adding a module never changes their shape.
 */
export interface LeadwerkModule {
  name: string;
  routes?(app: FastifyInstance, deps: AppDeps): Promise<void> | void;
  jobs?(deps: AppDeps): JobDefinition[];
  /** Recurring jobs: enqueued by every worker at start, deduplicated, and re-enqueued after each run. */
  recurring?(deps: AppDeps): { job: JobDefinition; everyMs: number }[];
  /** Adds realistic sample data to a demo workspace (`leadwerk demo`). */
  seedDemo?(ctx: DemoContext): Promise<void>;
  /**
   * Long-running parts besides HTTP and jobs (e.g. an inbound SMTP endpoint, a connection pool to
   * close): started with the workers, stopped after them, before the database closes.
   */
  services?(deps: AppDeps): BackgroundService[];
  /** Reactions to timeline entries (scores, journeys, routing); see ActivityHandler. */
  activityHandlers?(deps: AppDeps): ActivityHandler[];
}
