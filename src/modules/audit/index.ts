import type { LeadwerkModule } from '../../shared/module.js';
import { registerAuditRoutes } from './audit.routes.js';

export { type AuditInput, insertAuditEntry as recordAudit } from './audit.repository.js';

export const auditModule: LeadwerkModule = {
  name: 'audit',
  routes: registerAuditRoutes,
};
