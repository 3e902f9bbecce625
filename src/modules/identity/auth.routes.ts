import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppError } from '../../shared/errors.js';
import { actorOf, authOf } from '../../shared/http/auth.js';
import type { AppDeps } from '../../shared/module.js';
import { PERMISSIONS } from '../../shared/permissions.js';
import { Locale, toWorkspaceBody, WorkspaceBody } from '../workspaces/index.js';
import { SESSION_COOKIE } from './auth.hook.js';
import { csrfTokenFor, login, logout } from './auth.service.js';
import { listAllWorkspacesAsAdmin, listMembershipsForUser } from './memberships.repository.js';
import { findUserById } from './users.repository.js';
import { createWorkspaceWithAdmin, toUserBody, updateProfile } from './users.service.js';

const RoleSchema = Type.Union(['admin', 'marketing', 'sales', 'dpo', 'viewer'].map((r) => Type.Literal(r)));

const UserBody = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  locale: Type.Union([Locale, Type.Null()]),
  isSuperadmin: Type.Boolean(),
});

const MyWorkspace = Type.Object({
  id: Type.String(),
  name: Type.String(),
  slug: Type.String(),
  role: RoleSchema,
  defaultLocale: Locale,
});

const SessionBody = Type.Object({
  user: UserBody,
  workspaces: Type.Array(MyWorkspace),
  csrfToken: Type.String(),
});

export function registerAuthRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  async function myWorkspaces(userId: string, isSuperadmin: boolean) {
    const rows = isSuperadmin
      ? await listAllWorkspacesAsAdmin(deps.db)
      : await listMembershipsForUser(deps.db, userId);
    if (isSuperadmin) {
      // A superadmin's own memberships keep their real role.
      const own = new Map(
        (await listMembershipsForUser(deps.db, userId)).map((m) => [m.workspace_id, m.role]),
      );
      for (const row of rows) row.role = own.get(row.workspace_id) ?? 'admin';
    }
    return rows.map((m) => ({
      id: m.workspace_id,
      name: m.name,
      slug: m.slug,
      role: m.role,
      defaultLocale: m.default_locale,
    }));
  }

  async function sessionBody(userId: string, token: string) {
    const user = await findUserById(deps.db, userId);
    if (!user) throw new AppError('UNAUTHENTICATED');
    return {
      user: toUserBody(user),
      workspaces: await myWorkspaces(user.id, user.is_superadmin),
      csrfToken: csrfTokenFor(deps.config.secretKey, token),
    };
  }

  function setSessionCookie(reply: FastifyReply, token: string, expiresAt: Date) {
    reply.setCookie(SESSION_COOKIE, token, {
      path: '/',
      httpOnly: true,
      sameSite: 'lax',
      secure: deps.config.cookieSecure,
      expires: expiresAt,
    });
  }

  r.post(
    '/api/v1/auth/login',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Log in with e-mail and password; sets the session cookie',
        security: [],
        body: Type.Object(
          {
            email: Type.String({ minLength: 3, maxLength: 254 }),
            password: Type.String({ minLength: 1, maxLength: 1024 }),
          },
          { additionalProperties: false },
        ),
        response: { 200: SessionBody },
      },
    },
    async (request, reply) => {
      const { user, token, expiresAt } = await login(deps, request.body, actorOf(request));
      setSessionCookie(reply, token, expiresAt);
      return sessionBody(user.id, token);
    },
  );

  r.post(
    '/api/v1/auth/logout',
    {
      config: { auth: 'user' },
      schema: { tags: ['auth'], summary: 'End the session', response: { 204: Type.Null() } },
    },
    async (request, reply) => {
      const token = request.cookies[SESSION_COOKIE];
      if (token) await logout(deps, token);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  r.get(
    '/api/v1/auth/session',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['auth'],
        summary: 'The logged-in user, their workspaces and the CSRF token',
        response: { 200: SessionBody },
      },
    },
    async (request) => sessionBody(authOf(request).userId!, request.cookies[SESSION_COOKIE]!),
  );

  r.patch(
    '/api/v1/me',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['auth'],
        summary: 'Change your name, language or password (a new password ends all sessions)',
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ maxLength: 200 })),
            locale: Type.Optional(Locale),
            password: Type.Optional(Type.String({ maxLength: 1024 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ user: UserBody }) },
      },
    },
    async (request) => {
      const user = await updateProfile(
        deps.db,
        deps.clock,
        actorOf(request),
        authOf(request).userId!,
        request.body,
      );
      return { user: toUserBody(user) };
    },
  );

  r.get(
    '/api/v1/workspaces',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['workspaces'],
        summary: 'The workspaces you can open',
        response: { 200: Type.Object({ items: Type.Array(MyWorkspace) }) },
      },
    },
    async (request) => {
      const auth = authOf(request);
      return { items: await myWorkspaces(auth.userId!, auth.isSuperadmin) };
    },
  );

  r.post(
    '/api/v1/workspaces',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['workspaces'],
        summary: 'Create a workspace (superadmins only); you become its admin',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            slug: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$' })),
            defaultLocale: Type.Optional(Locale),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ workspace: WorkspaceBody }) },
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      if (!auth.isSuperadmin)
        throw new AppError('FORBIDDEN', { reason: 'only superadmins create workspaces' });
      const workspace = await createWorkspaceWithAdmin(deps.db, actorOf(request), request.body, auth.userId!);
      return reply.code(201).send({ workspace: toWorkspaceBody(workspace) });
    },
  );

  r.get(
    '/api/v1/permissions',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['auth'],
        summary: 'Every permission (API key scope)',
        response: { 200: Type.Object({ items: Type.Array(Type.String()) }) },
      },
    },
    async () => ({ items: [...PERMISSIONS] }),
  );
}

export { RoleSchema };
