import { Type } from '@sinclair/typebox';
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

export const systemModule: LeadwerkModule = {
  name: 'system',
  routes: registerSystemRoutes,
  recurring: (deps) => [{ job: purgeRateLimitsJob(deps), everyMs: 600_000 }],
};
