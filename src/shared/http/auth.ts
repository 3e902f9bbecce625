import type { FastifyRequest } from 'fastify';
import type { Actor } from '../actor.js';
import type { Role } from '../db/schema.js';
import { AppError } from '../errors.js';
import type { Permission } from '../permissions.js';

/** Who is calling, resolved once per request by the identity module's hook. */
export interface AuthContext {
  kind: 'session' | 'apiKey';
  userId: string | null;
  apiKeyId: string | null;
  /** E-mail of the user, or "API key <name>". */
  label: string;
  isSuperadmin: boolean;
  workspaceId: string | null;
  role: Role | null;
  permissions: ReadonlySet<Permission>;
}

/**
 * `public`: no login. `user`: a logged-in user or API key, no workspace needed.
 * `workspace` (the default under /api/): a workspace must be chosen and the caller needs `permission`.
 */
export type AuthLevel = 'public' | 'user' | 'workspace';

declare module 'fastify' {
  interface FastifyContextConfig {
    auth?: AuthLevel;
    permission?: Permission;
  }
  interface FastifyRequest {
    auth: AuthContext | null;
  }
}

/** The caller of an authenticated route (the hook guarantees it is there). */
export function authOf(request: FastifyRequest): AuthContext {
  if (!request.auth) throw new AppError('UNAUTHENTICATED');
  return request.auth;
}

/** The workspace of a workspace-scoped route; every query of the route is scoped by it. */
export function workspaceOf(request: FastifyRequest): string {
  const id = authOf(request).workspaceId;
  if (!id) throw new AppError('WORKSPACE_REQUIRED');
  return id;
}

export function actorOf(request: FastifyRequest): Actor {
  const auth = request.auth;
  const ua = request.headers['user-agent'];
  return {
    userId: auth?.userId ?? null,
    apiKeyId: auth?.apiKeyId ?? null,
    label: auth?.label ?? 'anonymous',
    ip: request.ip ?? null,
    userAgent: typeof ua === 'string' ? ua.slice(0, 500) : null,
    requestId: String(request.id),
  };
}
