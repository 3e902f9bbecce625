import type { LeadwerkModule } from '../../shared/module.js';
import { seedConsentDemo } from './demo.js';
import { registerDpoRoutes } from './dpo.routes.js';
import { confirmedNoticeJob, optInMailJob } from './mail.jobs.js';
import { registerPublicRoutes } from './public.routes.js';
import { repermissionMailJob } from './repermission.jobs.js';
import { registerRepermissionRoutes } from './repermission.routes.js';
import { retentionJob } from './retention.js';
import type { ConsentWiring } from './wiring.js';

export {
  appendConsentEvent,
  type ConsentEventInput,
  hashConsentEvent,
  type LedgerBreak,
  verifyConsentLedger,
} from './ledger.js';
export { issuePreferenceToken } from './preference-tokens.js';
export {
  REPERMISSION_MAX_CONTACTS,
  REPERMISSION_RESEND_DAYS,
  type RepermissionReport,
  requestRepermission,
} from './repermission.service.js';
export {
  newContactConsentParts,
  OPT_IN_LIMITS,
  type RequestConsentsInput,
  type RequestConsentsOutcome,
  type RequestedPurpose,
  requestConsents,
} from './request-consents.service.js';
export { runConsentRetention } from './retention.js';
export { getSendPermission, type SendPermission } from './send-permission.js';

export type { ConsentWiring, TimelineEntry } from './wiring.js';

/**
 * The consent module, given what it needs from modules that depend on it (see wiring.ts):
 * `createConsentModule({ recordActivities, listSegmentMemberIds })` in src/modules.ts.
 */
export function createConsentModule(wiring: ConsentWiring): LeadwerkModule {
  return {
    name: 'consent',
    routes(app, deps) {
      registerPublicRoutes(app, deps, wiring);
      registerDpoRoutes(app, deps, wiring);
      registerRepermissionRoutes(app, deps, wiring);
    },
    jobs: (deps) => [optInMailJob(deps), confirmedNoticeJob(deps), repermissionMailJob(deps)],
    recurring: () => [{ job: retentionJob(), everyMs: 3_600_000 }],
    seedDemo: seedConsentDemo,
  };
}
