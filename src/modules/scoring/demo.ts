import { demoAdminActor } from '../../shared/demo-actor.js';
import type { DemoContext } from '../../shared/module.js';
import type { RecomputeJob } from './recompute.service.js';
import { type RuleInput, saveRule } from './scoring.service.js';

/** Fit and engagement rules of the kind the issue names (title, country; clicks, downloads, webinars). */
const DEMO_RULES: RuleInput[] = [
  {
    kind: 'fit',
    name: 'Leitung / Head of',
    points: 20,
    definition: { field: 'job_title', op: 'contains', value: 'leit' },
  },
  {
    kind: 'fit',
    name: 'Head of …',
    points: 20,
    definition: { field: 'job_title', op: 'contains', value: 'head' },
  },
  {
    kind: 'fit',
    name: 'Geschäftsführung / CTO',
    points: 25,
    definition: {
      field: 'job_title',
      op: 'in',
      value: ['CTO', 'Geschäftsführerin', 'Geschäftsführer', 'CEO'],
    },
  },
  {
    kind: 'fit',
    name: 'DACH',
    points: 10,
    definition: { field: 'country', op: 'in', value: ['DE', 'AT', 'CH'] },
  },
  {
    kind: 'engagement',
    name: 'Mail click',
    points: 3,
    definition: { activityType: 'mail.clicked', cap: { points: 15, periodDays: 30 } },
  },
  {
    kind: 'engagement',
    name: 'Content download',
    points: 10,
    definition: { activityType: 'capture.asset-downloaded', signal: 'warm' },
  },
  {
    kind: 'engagement',
    name: 'Webinar attended',
    points: 15,
    definition: { activityType: 'events.attended', signal: 'warm' },
  },
];

/**
 * The scoring part of a demo workspace: rules through the service the rule editor uses (audited),
 * whose background recompute scores the demo contacts as soon as a worker runs — so the contact
 * pages explain their scores and the sales inbox shows them.
 */
export async function seedScoringDemo(ctx: DemoContext, job: RecomputeJob): Promise<void> {
  const { deps, workspaceId } = ctx;
  const { actor } = await demoAdminActor(ctx);
  for (const rule of DEMO_RULES) await saveRule(deps.db, deps, job, actor, workspaceId, null, rule);
}
