import { Type } from '@sinclair/typebox';
import { defineJob } from '../../shared/jobs/index.js';
import type { AppDeps, LeadwerkModule } from '../../shared/module.js';
import { registerApiKeyRoutes } from './api-keys.routes.js';
import { registerAuthRoutes } from './auth.routes.js';
import { seedIdentityDemo } from './demo.js';
import { registerMemberRoutes } from './members.routes.js';
import { purgeExpiredSessions } from './sessions.repository.js';

export { createApiKey } from './api-keys.service.js';
export { registerAuthHook, SESSION_COOKIE } from './auth.hook.js';
export { csrfTokenFor } from './auth.service.js';
export { DEMO_TEAM } from './demo.js';
export { addMember } from './members.service.js';
export { findUserByEmail } from './users.repository.js';
export {
  createUserIn,
  createWorkspaceWithAdmin,
  ensureInitialAdmin,
  type InitialAdmin,
  PASSWORD_MIN_LENGTH,
} from './users.service.js';

const purgeSessionsJob = (deps: AppDeps) =>
  defineJob({
    name: 'identity.purge-expired-sessions',
    schema: Type.Object({}),
    maxAttempts: 3,
    async handler(_payload, ctx) {
      const removed = await purgeExpiredSessions(ctx.db, deps.clock.now());
      if (removed > 0)
        ctx.log.info({ event: 'identity.sessions-purged', removed }, 'expired sessions purged');
    },
  });

export const identityModule: LeadwerkModule = {
  name: 'identity',
  routes(app, deps) {
    registerAuthRoutes(app, deps);
    registerMemberRoutes(app, deps);
    registerApiKeyRoutes(app, deps);
  },
  recurring: (deps) => [{ job: purgeSessionsJob(deps), everyMs: 3_600_000 }],
  seedDemo: seedIdentityDemo,
};
