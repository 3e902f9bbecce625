import type { Trx } from '../../shared/db/index.js';
import type { JobDefinition } from '../../shared/jobs/index.js';
import type { AppDeps, LeadwerkModule } from '../../shared/module.js';
import { seedSalesDemo } from './demo.js';
import { type HandOffResult, handOffToSales, runSlaStep, type SalesDeps } from './hand-off.service.js';
import { DELIVER_EVENT_JOB, ROUTE_LEAD_JOB, SLA_STEP_JOB } from './sales.jobs.js';
import { registerSalesRoutes } from './sales.routes.js';
import { deliverEvent } from './webhook.js';
import type { SalesWiring } from './wiring.js';

export type { HandOffResult } from './hand-off.service.js';
export { ROUTE_LEAD_JOB } from './sales.jobs.js';
export { signWebhook } from './webhook.js';
export type { ChangeStage, SalesStage, SalesWiring } from './wiring.js';

export type HandOffToSales = (
  trx: Trx,
  deps: SalesDeps,
  input: { workspaceId: string; contactId: string; cause: string },
) => Promise<HandOffResult>;

export interface SalesModule extends LeadwerkModule {
  /** "Hand off now" for other modules (journeys): see docs/contracts.md. */
  handOffToSales: HandOffToSales;
}

function salesJobs(deps: AppDeps, wiring: SalesWiring): JobDefinition[] {
  return [
    {
      ...ROUTE_LEAD_JOB,
      async handler({ workspaceId, contactId }, ctx) {
        await ctx.completeWith(async (trx) => {
          const contact = await trx
            .selectFrom('contacts')
            .select(['lifecycle_stage', 'merged_into_contact_id'])
            .where('workspace_id', '=', workspaceId)
            .where('id', '=', contactId)
            .executeTakeFirst();
          // Moved on (or away) before the job ran: nothing to route.
          if (!contact || contact.merged_into_contact_id || contact.lifecycle_stage !== 'mql') {
            ctx.log.info(
              { event: 'sales.route-skipped', contactId, stage: contact?.lifecycle_stage },
              'not routed',
            );
            return;
          }
          const result = await handOffToSales(trx, deps, wiring, {
            workspaceId,
            contactId,
            cause: 'rule:mql',
          });
          ctx.log.info({ event: 'sales.lead-routed', contactId, ...result }, 'lead routed');
        });
      },
    } satisfies typeof ROUTE_LEAD_JOB,
    {
      ...SLA_STEP_JOB,
      async handler(payload, ctx) {
        const outcome = await ctx.completeWith((trx) => runSlaStep(trx, deps, payload));
        ctx.log.info({ event: 'sales.sla-step', ...payload, outcome }, 'SLA step');
      },
    } satisfies typeof SLA_STEP_JOB,
    {
      ...DELIVER_EVENT_JOB,
      async handler(payload, ctx) {
        await deliverEvent(payload, ctx, { allowPrivate: deps.config.webhookAllowPrivate });
      },
    } satisfies typeof DELIVER_EVENT_JOB,
  ] as JobDefinition[];
}

/** The sales hand-off module, given scoring's stage changes (wired in src/modules.ts). */
export function createSalesModule(wiring: SalesWiring): SalesModule {
  return {
    name: 'sales',
    routes: (app, deps) => registerSalesRoutes(app, deps, wiring),
    jobs: (deps) => salesJobs(deps, wiring),
    seedDemo: (ctx) => seedSalesDemo(ctx, wiring),
    handOffToSales: (trx, deps, input) => handOffToSales(trx, deps, wiring, input),
  };
}
