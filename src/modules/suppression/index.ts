import type { LeadwerkModule } from '../../shared/module.js';
import { registerSuppressionRoutes } from './suppression.routes.js';

export {
  addSuppression,
  isSuppressed,
  suppressedExpression,
  suppressionHash,
} from './suppression.repository.js';
export { PROTECTED_REASONS, suppressAddress, unsuppress } from './suppression.service.js';

export const suppressionModule: LeadwerkModule = { name: 'suppression', routes: registerSuppressionRoutes };
