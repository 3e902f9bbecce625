import { Type } from '@sinclair/typebox';
import { defineJob } from '../../shared/jobs/index.js';
import type { AppDeps, LeadwerkModule } from '../../shared/module.js';
import { purgeSpentChallenges } from './altcha.js';
import { type CaptureOptions, createCaptureContext } from './capture-context.js';
import { releaseHeldJob } from './circuit.service.js';
import { seedCaptureDemo } from './demo.js';
import { registerFormRoutes } from './forms.routes.js';
import { registerPublicRoutes } from './public.routes.js';

export { findAssetById } from './assets.repository.js';
export { ASSET_LINK_TTL_DAYS, assetDownloadUrl } from './assets.service.js';
export { type CaptureOptions, DEFAULT_CAPTURE_OPTIONS } from './capture-context.js';
export { createProfileToken } from './signed-tokens.js';

const purgeChallengesJob = (deps: AppDeps) =>
  defineJob({
    name: 'capture.purge-spent-challenges',
    schema: Type.Object({}),
    maxAttempts: 3,
    async handler(_payload, ctx) {
      const removed = await purgeSpentChallenges(ctx.db, deps.clock.now());
      if (removed > 0)
        ctx.log.info({ event: 'capture.challenges-purged', removed }, 'spent challenges purged');
    },
  });

/** The capture module with its protections tuned (tests and benchmarks); `captureModule` uses the defaults. */
export function createCaptureModule(options: Partial<CaptureOptions> = {}): LeadwerkModule {
  return {
    name: 'capture',
    routes(app, deps) {
      const ctx = createCaptureContext(deps, options);
      registerPublicRoutes(app, ctx);
      registerFormRoutes(app, ctx);
    },
    jobs: (deps) => [releaseHeldJob(deps)],
    recurring: (deps) => [{ job: purgeChallengesJob(deps), everyMs: 3_600_000 }],
    seedDemo: seedCaptureDemo,
  };
}

export const captureModule: LeadwerkModule = createCaptureModule();
