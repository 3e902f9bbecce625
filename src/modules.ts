import { auditModule } from './modules/audit/index.js';
import { captureModule } from './modules/capture/index.js';
import { createConsentModule, getSendPermission } from './modules/consent/index.js';
import { contactsModule, listSegmentMemberIds, recordActivities } from './modules/contacts/index.js';
import { eventsModule } from './modules/events/index.js';
import { identityModule } from './modules/identity/index.js';
import { createJourneysModule } from './modules/journeys/index.js';
import { createMailModule } from './modules/mail/index.js';
import { createSalesModule } from './modules/sales/index.js';
import { changeStage, describeQualification, scoringModule } from './modules/scoring/index.js';
import { suppressionModule } from './modules/suppression/index.js';
import { systemModule } from './modules/system/index.js';
import { workspacesModule } from './modules/workspaces/index.js';
import type { LeadwerkModule } from './shared/module.js';

/** Sales gets scoring's stage moves passed in; scoring enqueues `sales.route-lead` by name (no cycle). */
export const salesModule = createSalesModule({ changeStage, describeQualification });

/** Every capability of Leadwerk. A new module is added here and nowhere else. */
export const MODULES: LeadwerkModule[] = [
  systemModule,
  auditModule,
  workspacesModule,
  identityModule,
  suppressionModule,
  contactsModule,
  createConsentModule({ recordActivities, listSegmentMemberIds }),
  captureModule,
  createMailModule({ getSendPermission, recordActivities }),
  // Activity handlers run in this order within one delivery job (docs/contracts.md): event
  // registrations from forms are first come, first served, so they go before journeys' wake-ups;
  // journeys read the scores of the same entries, so scoring goes before them.
  eventsModule,
  scoringModule,
  createJourneysModule({ handOffToSales: salesModule.handOffToSales }),
  salesModule,
];
