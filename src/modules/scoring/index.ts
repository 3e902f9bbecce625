import type { AppDeps, LeadwerkModule } from '../../shared/module.js';
import { registerScoreSource } from '../contacts/index.js';
import { seedScoringDemo } from './demo.js';
import { recomputeBatchJob } from './recompute.service.js';
import { updateScoresForActivities } from './scores.service.js';
import { registerScoringRoutes } from './scoring.routes.js';
import { loadScoreSource } from './segment-source.js';
import { trackStageChanges } from './stages.service.js';

export {
  type BantAnswerInput,
  type BantField,
  getBant,
  qualifyAsSql,
  recordBantAnswers,
} from './bant.service.js';
export { BANT_CHOICES, type BantChoice, bantAnswerOf } from './bant-choices.js';
export { SCORE_CHANGES_JOB } from './recompute.service.js';
export { type Bant, STAGES, type Stage } from './rules.js';
export { scoresBefore } from './score-history.js';
export { describeQualification } from './scoring.service.js';
export { type ChangeStageInput, type ChangeStageResult, changeStage } from './stages.service.js';

/** Activity types the engagement rules can score (the rule editor offers these). */
export const SCORED_ACTIVITY_TYPES = [
  'mail.opened',
  'mail.clicked',
  'mail.bounced',
  'capture.form-submitted',
  'capture.asset-downloaded',
  'capture.link-clicked',
  'events.registered',
  'events.attended',
  'journeys.question-answered',
  'tracking.page-viewed',
] as const;

/**
 * The activity handler that applies timeline entries to the scores. Handlers that read scores for
 * the same entries (journeys' score and segment triggers) run `after` it.
 */
export const UPDATE_SCORES_HANDLER = 'scoring.update-scores';

// Segments may filter on fit, engagement and temperature (contacts reads them through this source).
registerScoreSource(loadScoreSource);

// One recompute job definition per set of dependencies: routes enqueue the one the worker runs.
const jobs = new WeakMap<AppDeps, ReturnType<typeof recomputeBatchJob>>();
function recomputeJobFor(deps: AppDeps) {
  let job = jobs.get(deps);
  if (!job) {
    job = recomputeBatchJob(deps);
    jobs.set(deps, job);
  }
  return job;
}

export const scoringModule: LeadwerkModule = {
  name: 'scoring',
  routes(app, deps) {
    registerScoringRoutes(app, deps, recomputeJobFor(deps));
  },
  jobs: (deps) => [recomputeJobFor(deps)],
  seedDemo: (ctx) => seedScoringDemo(ctx, recomputeJobFor(ctx.deps)),
  activityHandlers: () => [
    {
      name: UPDATE_SCORES_HANDLER,
      types: [
        ...SCORED_ACTIVITY_TYPES,
        'contacts.created',
        'contacts.updated',
        'consent.confirmed',
        'consent.withdrawn',
      ],
      handle: (deps, { workspaceId, activities }) => updateScoresForActivities(deps, workspaceId, activities),
    },
    {
      name: 'scoring.track-stages',
      types: ['contacts.stage-changed'],
      handle: (deps, { workspaceId, activities }) => trackStageChanges(deps, workspaceId, activities),
    },
  ],
};
