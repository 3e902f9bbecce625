import type { LeadwerkModule } from '../../shared/module.js';
import { registerWorkspaceRoutes } from './workspaces.routes.js';

export { countWorkspaces, findStaleAfterDays, findWorkspaceById } from './workspaces.repository.js';
export { Locale, WorkspaceBody } from './workspaces.routes.js';
export {
  createWorkspaceIn,
  type NewWorkspaceInput,
  RESCORE_WORKSPACE_JOB,
  STALE_DAYS_MAX,
  STALE_DAYS_MIN,
  slugify,
  toWorkspaceBody,
} from './workspaces.service.js';

export const workspacesModule: LeadwerkModule = {
  name: 'workspaces',
  routes: registerWorkspaceRoutes,
};
