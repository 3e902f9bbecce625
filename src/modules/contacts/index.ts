import type { AppDeps, LeadwerkModule } from '../../shared/module.js';
import { registerCompanyRoutes } from './companies.routes.js';
import { registerContactRoutes } from './contacts.routes.js';
import { seedContactsDemo } from './demo.js';
import { registerExportRoutes } from './export.routes.js';
import { purgeExportTokensJob } from './export.service.js';
import { registerImportRoutes } from './imports.routes.js';
import { type ImportJobs, importJobs } from './imports.service.js';
import { registerMergeRoutes } from './merges.routes.js';
import { qualityJobs, rescoreWorkspaceJob } from './quality.service.js';
import { registerSegmentRoutes } from './segments.routes.js';

export {
  type ActivityInput,
  activityParts,
  listTimeline,
  recordActivities,
  recordActivity,
} from './activities.repository.js';
export {
  activityDeliveryJob,
  isActivityTypeSubscribed,
  registerActivitySubscriptions,
} from './activity-dispatch.js';
export {
  type ContactFields,
  findContactByEmail,
  findContactById,
  newContactParts,
  resolveMergedContact,
  upsertContactByEmail,
} from './contacts.repository.js';
export { isDisposableDomain, isFreemailDomain, isRoleAddress } from './email-rules.js';
export { registerScoreSource, type ScoreSource } from './segment-sources.js';
export {
  countSelection,
  isContactInSegment,
  listSegmentMemberIds,
  segmentMembersAmong,
  segmentUsesScores,
  selectionMembersAmong,
} from './segments.service.js';

// One set of job definitions per set of dependencies: routes enqueue the same ones the worker runs.
const jobsByDeps = new WeakMap<AppDeps, ImportJobs>();
function jobsFor(deps: AppDeps): ImportJobs {
  let jobs = jobsByDeps.get(deps);
  if (!jobs) {
    jobs = importJobs(() => deps.queue, deps.clock);
    jobsByDeps.set(deps, jobs);
  }
  return jobs;
}

export const contactsModule: LeadwerkModule = {
  name: 'contacts',
  routes(app, deps) {
    registerContactRoutes(app, deps);
    registerMergeRoutes(app, deps);
    registerCompanyRoutes(app, deps);
    registerSegmentRoutes(app, deps);
    registerImportRoutes(app, deps, jobsFor(deps));
    registerExportRoutes(app, deps);
  },
  jobs: (deps) => {
    const jobs = jobsFor(deps);
    return [jobs.stage, jobs.apply, rescoreWorkspaceJob(deps)];
  },
  recurring: (deps) => [...qualityJobs(deps), { job: purgeExportTokensJob(), everyMs: 3_600_000 }],
  seedDemo: seedContactsDemo,
};
