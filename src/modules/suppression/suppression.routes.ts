import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Suppression, SuppressionReason } from '../../shared/db/schema.js';
import { actorOf, workspaceOf } from '../../shared/http/auth.js';
import type { AppDeps } from '../../shared/module.js';
import {
  countSuppressions,
  listSuppressions,
  PROTECTED_REASONS,
  suppressAddress,
  unsuppress,
} from './suppression.service.js';

const REASONS = [
  'unsubscribed',
  'hard_bounce',
  'soft_bounce_limit',
  'complaint',
  'objection',
  'erasure',
  'manual',
];

const SuppressionBody = Type.Object({
  hash: Type.String({
    description: 'SHA-256 of workspace and normalised address; the address itself is not stored',
  }),
  reason: Type.String({ enum: REASONS }),
  source: Type.Union([Type.String(), Type.Null()]),
  note: Type.Union([Type.String(), Type.Null()]),
  createdBy: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String({ format: 'date-time' }),
  removable: Type.Boolean(),
});

const toBody = (s: Suppression) => ({
  hash: s.email_hash,
  reason: s.reason,
  source: s.source,
  note: s.note,
  createdBy: s.created_by,
  createdAt: s.created_at.toISOString(),
  removable: !PROTECTED_REASONS.includes(s.reason),
});

/** The suppression list: who may never be mailed again, with reason, date and source. */
export function registerSuppressionRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/api/v1/suppressions',
    {
      config: { permission: 'mail:read' },
      schema: {
        tags: ['suppressions'],
        summary: 'The suppression list, newest first (filter by reason)',
        querystring: Type.Object({
          reason: Type.Optional(Type.String({ enum: REASONS })),
          before: Type.Optional(Type.String({ description: 'cursor from the previous page' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
        }),
        response: {
          200: Type.Object({
            items: Type.Array(SuppressionBody),
            counts: Type.Record(Type.String(), Type.Integer()),
            next: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const q = request.query;
      const limit = q.limit ?? 50;
      const [at, hash] = q.before ? q.before.split('~') : [];
      const rows = await listSuppressions(deps.db, ws, {
        reason: q.reason as SuppressionReason | undefined,
        before: at && hash ? { createdAt: new Date(at), hash } : undefined,
        limit,
      });
      const last = rows[rows.length - 1];
      return {
        items: rows.map(toBody),
        counts: await countSuppressions(deps.db, ws),
        next: rows.length === limit && last ? `${last.created_at.toISOString()}~${last.email_hash}` : null,
      };
    },
  );

  r.post(
    '/api/v1/suppressions',
    {
      config: { permission: 'mail:write' },
      schema: {
        tags: ['suppressions'],
        summary: 'Add an address to the suppression list by hand',
        body: Type.Object(
          {
            email: Type.String({ minLength: 3, maxLength: 320 }),
            note: Type.Optional(Type.String({ maxLength: 2000 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ suppression: SuppressionBody, created: Type.Boolean() }) },
      },
    },
    async (request, reply) => {
      const { created, entry } = await suppressAddress(
        deps.db,
        actorOf(request),
        workspaceOf(request),
        request.body,
      );
      return reply.code(201).send({ suppression: toBody(entry), created });
    },
  );

  // POST, not GET: an address in a URL ends up in access logs.
  r.post(
    '/api/v1/suppressions/lookup',
    {
      config: { permission: 'mail:read' },
      schema: {
        tags: ['suppressions'],
        summary: 'Is this address suppressed? (matched by its hash)',
        body: Type.Object(
          { email: Type.String({ minLength: 3, maxLength: 320 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ suppression: Type.Union([SuppressionBody, Type.Null()]) }) },
      },
    },
    async (request) => {
      const rows = await listSuppressions(deps.db, workspaceOf(request), {
        email: request.body.email,
        limit: 1,
      });
      return { suppression: rows[0] ? toBody(rows[0]) : null };
    },
  );

  r.delete(
    '/api/v1/suppressions/:hash',
    {
      config: { permission: 'privacy:manage' },
      schema: {
        tags: ['suppressions'],
        summary: 'Remove an entry (not unsubscribes, objections or erasures)',
        params: Type.Object({ hash: Type.String({ pattern: '^[0-9a-f]{64}$' }) }),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await unsuppress(deps.db, actorOf(request), workspaceOf(request), { hash: request.params.hash });
      return reply.code(204).send(null);
    },
  );
}
