import { auditModule } from './modules/audit/index.js';
import { captureModule } from './modules/capture/index.js';
import { createConsentModule, getSendPermission } from './modules/consent/index.js';
import { contactsModule, recordActivities } from './modules/contacts/index.js';
import { eventsModule } from './modules/events/index.js';
import { identityModule } from './modules/identity/index.js';
import { journeysModule } from './modules/journeys/index.js';
import { scoringModule } from './modules/scoring/index.js';
import { createMailModule } from './modules/mail/index.js';
import { suppressionModule } from './modules/suppression/index.js';
import { systemModule } from './modules/system/index.js';
import { workspacesModule } from './modules/workspaces/index.js';
import type { LeadwerkModule } from './shared/module.js';

/** Every capability of Leadwerk. A new module is added here and nowhere else. */
export const MODULES: LeadwerkModule[] = [
  systemModule,
  auditModule,
  workspacesModule,
  identityModule,
  suppressionModule,
  contactsModule,
  createConsentModule({ recordActivities }),
  captureModule,
  createMailModule({ getSendPermission, recordActivities }),
  journeysModule,
  eventsModule,
  scoringModule,
];
