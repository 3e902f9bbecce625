import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { actorOf, workspaceOf } from '../../shared/http/auth.js';
import type { AppDeps } from '../../shared/module.js';
import { listApiKeys } from './api-keys.repository.js';
import { createApiKey, revokeApiKey, toApiKeyBody } from './api-keys.service.js';

const ApiKeyBody = Type.Object({
  id: Type.String(),
  name: Type.String(),
  prefix: Type.String(),
  scopes: Type.Array(Type.String()),
  createdAt: Type.String({ format: 'date-time' }),
  lastUsedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export function registerApiKeyRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/api/v1/api-keys',
    {
      config: { permission: 'apikeys:manage' },
      schema: {
        tags: ['api-keys'],
        summary: "This workspace's API keys",
        response: { 200: Type.Object({ items: Type.Array(ApiKeyBody) }) },
      },
    },
    async (request) => ({ items: (await listApiKeys(deps.db, workspaceOf(request))).map(toApiKeyBody) }),
  );

  r.post(
    '/api/v1/api-keys',
    {
      config: { permission: 'apikeys:manage' },
      schema: {
        tags: ['api-keys'],
        summary: 'Create an API key; the key is in this response only',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            scopes: Type.Array(Type.String(), { minItems: 1, maxItems: 64 }),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ apiKey: ApiKeyBody, key: Type.String() }) },
      },
    },
    async (request, reply) => {
      const { apiKey, key } = await createApiKey(
        deps.db,
        actorOf(request),
        workspaceOf(request),
        request.body,
      );
      return reply.code(201).send({ apiKey: toApiKeyBody(apiKey), key });
    },
  );

  r.delete(
    '/api/v1/api-keys/:id',
    {
      config: { permission: 'apikeys:manage' },
      schema: {
        tags: ['api-keys'],
        summary: 'Revoke an API key',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await revokeApiKey(deps.db, deps.clock, actorOf(request), workspaceOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
}
