import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import { migrations } from '../../migrations/index.js';
import { migrationStatus } from '../../shared/db/migrate.js';
import { actorOf, authOf, workspaceOf } from '../../shared/http/auth.js';
import type { AppDeps } from '../../shared/module.js';
import { countJobsByLaneAndState, type JobScope, listJobs } from './jobs.repository.js';
import { discardDeadJob, retryDeadJob } from './jobs.service.js';

const JobState = Type.Union([Type.Literal('queued'), Type.Literal('running'), Type.Literal('dead')]);

const JobBody = Type.Object({
  id: Type.String(),
  name: Type.String(),
  lane: Type.String(),
  state: JobState,
  attempts: Type.Integer(),
  maxAttempts: Type.Integer(),
  lastError: Type.Union([Type.String(), Type.Null()]),
  runAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

function scopeOf(request: FastifyRequest): JobScope {
  return { workspaceId: workspaceOf(request), includeSystem: authOf(request).isSuperadmin };
}

export function registerSystemRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/healthz',
    {
      config: { auth: 'public' },
      schema: { tags: ['operations'], summary: 'Liveness: the process answers', security: [] },
    },
    async () => ({ status: 'ok' }),
  );

  r.get(
    '/readyz',
    {
      config: { auth: 'public' },
      schema: {
        tags: ['operations'],
        summary: 'Readiness: database reachable and migrations current',
        security: [],
      },
    },
    async (_request, reply) => {
      if (deps.lifecycle.shuttingDown) return reply.code(503).send({ status: 'shutting-down' });
      try {
        await sql`select 1`.execute(deps.db);
        const status = await migrationStatus(deps.db, migrations);
        if (status.pending.length > 0) {
          return reply.code(503).send({ status: 'migrations-pending', pending: status.pending });
        }
        return { status: 'ready', database: deps.handle.kind, migrations: status.applied.length };
      } catch {
        return reply.code(503).send({ status: 'database-unavailable' });
      }
    },
  );

  r.get(
    '/metrics',
    {
      config: { auth: 'public' },
      schema: { tags: ['operations'], summary: 'Prometheus metrics', hide: true },
    },
    async (_request, reply) => {
      // Queue depth is shared by all processes, so it is read from the database, not counted here.
      const counts = await countJobsByLaneAndState(deps.db).catch(() => []);
      deps.metrics.jobsInQueue.reset();
      for (const c of counts) deps.metrics.jobsInQueue.set({ lane: c.lane, state: c.state }, c.count);
      reply.header('content-type', deps.metrics.registry.contentType);
      return deps.metrics.registry.metrics();
    },
  );

  r.get(
    '/api/v1/jobs/summary',
    {
      config: { permission: 'jobs:read' },
      schema: {
        tags: ['jobs'],
        summary: 'How many jobs are queued, running and dead, per lane',
        response: {
          200: Type.Object({
            counts: Type.Array(Type.Object({ lane: Type.String(), state: JobState, count: Type.Integer() })),
          }),
        },
      },
    },
    async (request) => ({ counts: await countJobsByLaneAndState(deps.db, scopeOf(request)) }),
  );

  r.get(
    '/api/v1/jobs',
    {
      config: { permission: 'jobs:read' },
      schema: {
        tags: ['jobs'],
        summary: 'Jobs in one state (dead letters: state=dead)',
        querystring: Type.Object({
          state: JobState,
          limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
        }),
        response: { 200: Type.Object({ items: Type.Array(JobBody) }) },
      },
    },
    async (request) => {
      const rows = await listJobs(deps.db, scopeOf(request), request.query.state, request.query.limit);
      return {
        items: rows.map((j) => ({
          id: j.id,
          name: j.name,
          lane: j.lane,
          state: j.state,
          attempts: j.attempts,
          maxAttempts: j.max_attempts,
          lastError: j.last_error,
          runAt: j.run_at.toISOString(),
          updatedAt: j.updated_at.toISOString(),
        })),
      };
    },
  );

  const idParams = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,19}$' }) });

  r.post(
    '/api/v1/jobs/:id/retry',
    {
      config: { permission: 'jobs:manage' },
      schema: {
        tags: ['jobs'],
        summary: 'Retry a dead job now',
        params: idParams,
        response: { 200: Type.Object({ status: Type.String() }) },
      },
    },
    async (request) => {
      await retryDeadJob(deps.db, deps.clock, actorOf(request), scopeOf(request), request.params.id);
      return { status: 'queued' };
    },
  );

  r.delete(
    '/api/v1/jobs/:id',
    {
      config: { permission: 'jobs:manage' },
      schema: {
        tags: ['jobs'],
        summary: 'Discard a dead job',
        params: idParams,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await discardDeadJob(deps.db, actorOf(request), scopeOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
}
