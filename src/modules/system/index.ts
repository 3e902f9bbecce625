import { Type } from '@sinclair/typebox';
import { maintainTables } from '../../shared/db/maintenance.js';
import { defineJob } from '../../shared/jobs/index.js';
import type { AppDeps, LeadwerkModule } from '../../shared/module.js';
import { purgeRateLimits } from '../../shared/rate-limit.js';
import { registerSystemRoutes } from './system.routes.js';

const purgeRateLimitsJob = (deps: AppDeps) =>
  defineJob({
    name: 'system.purge-rate-limits',
    schema: Type.Object({}),
    maxAttempts: 3,
    async handler(_payload, ctx) {
      await purgeRateLimits(ctx.db, deps.clock);
    },
  });

/**
 * Hourly on the embedded database: vacuums and analyzes the tables autovacuum would (it has no
 * autovacuum; see shared/db/maintenance.ts). On PostgreSQL it does nothing: autovacuum does it
 * there (on by default; docs/operations.md).
 */
export const maintainTablesJob = (deps: Pick<AppDeps, 'handle'>) =>
  defineJob({
    name: 'system.maintain-tables',
    lane: 'bulk',
    schema: Type.Object({}),
    maxAttempts: 3,
    async handler(_payload, ctx) {
      if (deps.handle.kind !== 'embedded') return;
      const done = await maintainTables(ctx.db);
      if (done.length > 0)
        ctx.log.info({ event: 'system.tables-maintained', tables: done }, 'tables vacuumed and analyzed');
    },
  });

export const systemModule: LeadwerkModule = {
  name: 'system',
  routes: registerSystemRoutes,
  recurring: (deps) => [
    { job: purgeRateLimitsJob(deps), everyMs: 600_000 },
    { job: maintainTablesJob(deps), everyMs: 3_600_000 },
  ],
};
