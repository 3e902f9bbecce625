import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../shared/errors.js';
import { actorOf, workspaceOf } from '../../shared/http/auth.js';
import type { AppDeps } from '../../shared/module.js';
import { findWorkspaceById } from './workspaces.repository.js';
import { toWorkspaceBody, updateWorkspace } from './workspaces.service.js';

export const Locale = Type.Union([Type.Literal('de'), Type.Literal('en')]);

export const WorkspaceBody = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    slug: Type.String(),
    defaultLocale: Locale,
    staleAfterDays: Type.Integer({
      description:
        'Days after which a field or consent confirmation counts as stale (data quality, re-permission)',
    }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Workspace' },
);

export function registerWorkspaceRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/api/v1/workspace',
    {
      config: { permission: 'workspace:read' },
      schema: {
        tags: ['workspaces'],
        summary: 'The current workspace',
        response: { 200: Type.Object({ workspace: WorkspaceBody }) },
      },
    },
    async (request) => {
      const workspace = await findWorkspaceById(deps.db, workspaceOf(request));
      if (!workspace) throw new AppError('NOT_FOUND');
      return { workspace: toWorkspaceBody(workspace) };
    },
  );

  r.patch(
    '/api/v1/workspace',
    {
      config: { permission: 'workspace:manage' },
      schema: {
        tags: ['workspaces'],
        summary:
          'Rename the current workspace, change its default language or its freshness period (staleAfterDays, 30–3650; else STALE_DAYS_OUT_OF_RANGE)',
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            defaultLocale: Type.Optional(Locale),
            // Checked in the service (STALE_DAYS_OUT_OF_RANGE), not here, so the code is specific.
            staleAfterDays: Type.Optional(Type.Number()),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ workspace: WorkspaceBody }) },
      },
    },
    async (request) => {
      const workspace = await updateWorkspace(
        deps.db,
        deps.clock,
        deps.queue,
        actorOf(request),
        workspaceOf(request),
        request.body,
      );
      return { workspace: toWorkspaceBody(workspace) };
    },
  );
}
