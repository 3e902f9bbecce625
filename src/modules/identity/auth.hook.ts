import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../../shared/db/schema.js';
import { AppError } from '../../shared/errors.js';
import type { AuthContext, AuthLevel } from '../../shared/http/auth.js';
import { isUuid } from '../../shared/ids.js';
import type { AppDeps } from '../../shared/module.js';
import { isPermission, type Permission, ROLE_PERMISSIONS } from '../../shared/permissions.js';
import { authenticateApiKey, authenticateSession, verifyCsrfToken } from './auth.service.js';
import { findRole } from './memberships.repository.js';

export const SESSION_COOKIE = 'lw_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function levelOf(url: string, declared: AuthLevel | undefined): AuthLevel {
  if (url.startsWith('/api/v1/docs')) return 'public'; // the API reference page and its assets
  return declared ?? (url.startsWith('/api/') ? 'workspace' : 'public');
}

async function resolveCaller(
  deps: AppDeps,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<AuthContext> {
  const header = request.headers.authorization;
  if (header) {
    const [scheme, value] = header.split(' ');
    const key =
      scheme?.toLowerCase() === 'bearer' && value ? await authenticateApiKey(deps, value) : undefined;
    if (!key) throw new AppError('API_KEY_INVALID');
    return {
      kind: 'apiKey',
      userId: null,
      apiKeyId: key.id,
      label: `API key ${key.name}`,
      isSuperadmin: false,
      workspaceId: key.workspaceId,
      role: null,
      permissions: new Set(key.scopes.filter(isPermission)),
    };
  }
  const token = request.cookies[SESSION_COOKIE];
  const session = token ? await authenticateSession(deps, token) : undefined;
  if (!token || !session) {
    if (token) reply.clearCookie(SESSION_COOKIE, { path: '/' });
    throw new AppError('UNAUTHENTICATED');
  }
  // Cookies ride along on cross-site requests; a state change must prove it came from our UI.
  if (!SAFE_METHODS.has(request.method)) {
    const given = request.headers['x-csrf-token'];
    if (!verifyCsrfToken(deps.config.secretKey, token, typeof given === 'string' ? given : undefined)) {
      throw new AppError('CSRF_TOKEN_INVALID');
    }
  }
  return {
    kind: 'session',
    userId: session.user_id,
    apiKeyId: null,
    label: session.email,
    isSuperadmin: session.is_superadmin,
    workspaceId: null,
    role: null,
    permissions: new Set(),
  };
}

async function enterWorkspace(deps: AppDeps, request: FastifyRequest, auth: AuthContext): Promise<void> {
  const header = request.headers['x-workspace-id'];
  const requested = typeof header === 'string' && header !== '' ? header : undefined;
  if (auth.kind === 'apiKey') {
    // An API key belongs to exactly one workspace.
    if (requested && requested !== auth.workspaceId)
      throw new AppError('FORBIDDEN', { reason: 'key is for another workspace' });
    return;
  }
  if (!requested) throw new AppError('WORKSPACE_REQUIRED');
  if (!isUuid(requested))
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'x-workspace-id', message: 'must be a UUID' }],
    });
  let role: Role | undefined = await findRole(deps.db, requested, auth.userId!);
  if (!role && auth.isSuperadmin) {
    const exists = await deps.db
      .selectFrom('workspaces')
      .select('id')
      .where('id', '=', requested)
      .executeTakeFirst();
    if (exists) role = 'admin';
  }
  if (!role) throw new AppError('FORBIDDEN', { reason: 'not a member of this workspace' });
  auth.workspaceId = requested;
  auth.role = role;
  auth.permissions = ROLE_PERMISSIONS[role];
}

/**
 * Authentication and authorisation for every route, driven by each route's `config`:
 * `auth` (public | user | workspace; /api/ routes default to workspace) and `permission`.
 * A workspace route without a declared permission is refused when it is registered (fail closed).
 */
export function registerAuthHook(app: FastifyInstance, deps: AppDeps): void {
  app.decorateRequest('auth', null);

  app.addHook('onRoute', (route) => {
    const config = (route.config ?? {}) as { auth?: AuthLevel; permission?: Permission };
    if (levelOf(route.url, config.auth) === 'workspace' && !config.permission) {
      throw new Error(
        `route ${String(route.method)} ${route.url} is workspace-scoped but declares no permission`,
      );
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    const url = request.routeOptions.url;
    if (!url) return; // 404: the not-found handler answers
    const level = levelOf(url, request.routeOptions.config.auth);
    if (level === 'public') return;
    const auth = await resolveCaller(deps, request, reply);
    request.auth = auth;
    if (level === 'user') {
      if (auth.kind !== 'session')
        throw new AppError('FORBIDDEN', { reason: 'this route needs a user session' });
      return;
    }
    await enterWorkspace(deps, request, auth);
    const permission = request.routeOptions.config.permission;
    if (permission && !auth.permissions.has(permission)) throw new AppError('FORBIDDEN', { permission });
  });
}
