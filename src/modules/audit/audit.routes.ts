import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { workspaceOf } from '../../shared/http/auth.js';
import type { AppDeps } from '../../shared/module.js';
import { listAuditEntries } from './audit.repository.js';

const AuditEntryBody = Type.Object({
  id: Type.String(),
  actorLabel: Type.String(),
  action: Type.String(),
  targetType: Type.Union([Type.String(), Type.Null()]),
  targetId: Type.Union([Type.String(), Type.Null()]),
  details: Type.Record(Type.String(), Type.Unknown()),
  ip: Type.Union([Type.String(), Type.Null()]),
  requestId: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
});

export function registerAuditRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/api/v1/audit-log',
    {
      config: { permission: 'audit:read' },
      schema: {
        tags: ['audit'],
        summary: 'The workspace audit trail, newest first',
        querystring: Type.Object({
          before: Type.Optional(Type.String({ pattern: '^[0-9]{1,19}$' })),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
        }),
        response: {
          200: Type.Object({
            items: Type.Array(AuditEntryBody),
            nextBefore: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (request) => {
      const { before, limit } = request.query;
      const rows = await listAuditEntries(deps.db, workspaceOf(request), { before, limit });
      return {
        items: rows.map((r) => ({
          id: r.id,
          actorLabel: r.actor_label,
          action: r.action,
          targetType: r.target_type,
          targetId: r.target_id,
          details: r.details,
          ip: r.ip,
          requestId: r.request_id,
          createdAt: r.created_at.toISOString(),
        })),
        nextBefore: rows.length === limit ? (rows.at(-1)?.id ?? null) : null,
      };
    },
  );
}
