import type { JobDefinition } from '../../shared/jobs/index.js';
import type { LeadwerkModule } from '../../shared/module.js';
import { SCORE_CHANGES_JOB } from '../scoring/index.js';
import { type JourneyWiring, runStepJob, runStepsJob } from './journey-runner.js';
import { journeyActivityHandlers } from './journeys.activity-handler.js';
import { registerJourneyRoutes } from './journeys.routes.js';
import { ENROLL_SEGMENT_JOB, enrollSegmentPage } from './journeys.service.js';
import { registerQuestionRoutes } from './question.js';
import {
  CHECK_ENTRY_JOB,
  checkEntry,
  checkScoreChanges,
  DATE_TRIGGERS_JOB,
  runDateTriggers,
} from './triggers.js';

export { enrollContacts, exitContactFromJourney, type JourneyWiring } from './journey-runner.js';

/** Nurture journeys: definitions, versions, the event-driven runner on the job queue. */
export function createJourneysModule(wiring: JourneyWiring = {}): LeadwerkModule {
  return {
    name: 'journeys',
    routes(app, deps) {
      registerJourneyRoutes(app, deps);
      registerQuestionRoutes(app, deps);
    },
    activityHandlers: () => journeyActivityHandlers(),
    jobs: (deps) =>
      [
        runStepJob(deps, wiring),
        runStepsJob(deps, wiring),
        {
          ...CHECK_ENTRY_JOB,
          handler: (payload, ctx) => checkEntry(deps, payload, ctx),
        } satisfies typeof CHECK_ENTRY_JOB,
        {
          ...SCORE_CHANGES_JOB,
          handler: (payload, ctx) => checkScoreChanges(deps, payload, ctx),
        } satisfies typeof SCORE_CHANGES_JOB,
        {
          ...ENROLL_SEGMENT_JOB,
          handler: (payload, ctx) => enrollSegmentPage(deps, payload, ctx, wiring),
        } satisfies typeof ENROLL_SEGMENT_JOB,
      ] as JobDefinition[],
    recurring: (deps) => [
      {
        job: {
          ...DATE_TRIGGERS_JOB,
          handler: (_payload, ctx) => runDateTriggers(deps, ctx),
        } as JobDefinition,
        everyMs: 3_600_000,
      },
    ],
  };
}

/** Without wiring (tests, tools): the hand-off step is skipped. */
export const journeysModule: LeadwerkModule = createJourneysModule();
