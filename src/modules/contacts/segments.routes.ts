import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Segment } from '../../shared/db/schema.js';
import { AppError } from '../../shared/errors.js';
import { actorOf, workspaceOf } from '../../shared/http/auth.js';
import type { AppDeps } from '../../shared/module.js';
import { SelectionBody, selectionOf } from './contacts.routes.js';
import {
  addSegmentMembers,
  countSelection,
  createSegment,
  deleteSegment,
  findSegment,
  listSegments,
  removeSegmentMembers,
  updateSegment,
} from './segments.service.js';

const SegmentBody = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Union([Type.String(), Type.Null()]),
  definition: Type.Unknown(),
  count: Type.Optional(Type.Number()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

const toSegmentBody = (s: Segment, count?: number) => ({
  id: s.id,
  name: s.name,
  description: s.description,
  definition: s.definition,
  ...(count === undefined ? {} : { count }),
  createdAt: s.created_at.toISOString(),
  updatedAt: s.updated_at.toISOString(),
});

export function registerSegmentRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['segments'];
  const idParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

  r.get(
    '/api/v1/segments',
    {
      config: { permission: 'contacts:read' },
      schema: {
        tags,
        summary: 'Saved segments',
        response: { 200: Type.Object({ items: Type.Array(SegmentBody) }) },
      },
    },
    async (request) => ({
      items: (await listSegments(deps.db, workspaceOf(request))).map((s) => toSegmentBody(s)),
    }),
  );

  r.post(
    '/api/v1/segments',
    {
      config: { permission: 'contacts:write' },
      schema: {
        tags,
        summary: 'Save a segment (a filter tree; see the definition schema in the docs)',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            description: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
            definition: Type.Unknown(),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ segment: SegmentBody }) },
      },
    },
    async (request, reply) => {
      const s = await createSegment(
        deps.db,
        deps.clock,
        actorOf(request),
        workspaceOf(request),
        request.body,
      );
      return reply.code(201).send({ segment: toSegmentBody(s) });
    },
  );

  r.get(
    '/api/v1/segments/:id',
    {
      config: { permission: 'contacts:read' },
      schema: {
        tags,
        summary: 'A segment with its current count',
        params: idParams,
        response: { 200: Type.Object({ segment: SegmentBody }) },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const s = await findSegment(deps.db, ws, request.params.id);
      if (!s) throw new AppError('NOT_FOUND');
      return {
        segment: toSegmentBody(s, await countSelection(deps.db, deps.clock, ws, { segmentId: s.id })),
      };
    },
  );

  r.patch(
    '/api/v1/segments/:id',
    {
      config: { permission: 'contacts:write' },
      schema: {
        tags,
        summary: 'Change a segment',
        params: idParams,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            description: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
            definition: Type.Optional(Type.Unknown()),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ segment: SegmentBody }) },
      },
    },
    async (request) => ({
      segment: toSegmentBody(
        await updateSegment(
          deps.db,
          deps.clock,
          actorOf(request),
          workspaceOf(request),
          request.params.id,
          request.body,
        ),
      ),
    }),
  );

  r.delete(
    '/api/v1/segments/:id',
    {
      config: { permission: 'contacts:write' },
      schema: { tags, summary: 'Delete a segment', params: idParams, response: { 204: Type.Null() } },
    },
    async (request, reply) => {
      await deleteSegment(deps.db, actorOf(request), workspaceOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/api/v1/segments/:id/members',
    {
      config: { permission: 'contacts:write' },
      schema: {
        tags,
        summary: 'Add contacts to a segment by hand (bulk action "add to segment")',
        params: idParams,
        body: Type.Object({ selection: SelectionBody }),
        response: { 200: Type.Object({ count: Type.Number() }) },
      },
    },
    async (request) => ({
      count: await addSegmentMembers(
        deps.db,
        deps.clock,
        actorOf(request),
        workspaceOf(request),
        request.params.id,
        selectionOf(request.body.selection),
      ),
    }),
  );

  r.delete(
    '/api/v1/segments/:id/members',
    {
      config: { permission: 'contacts:write' },
      schema: {
        tags,
        summary: 'Remove hand-added contacts from a segment',
        params: idParams,
        body: Type.Object({
          ids: Type.Array(Type.String({ format: 'uuid' }), { minItems: 1, maxItems: 10000 }),
        }),
        response: { 200: Type.Object({ count: Type.Number() }) },
      },
    },
    async (request) => ({
      count: await removeSegmentMembers(
        deps.db,
        actorOf(request),
        workspaceOf(request),
        request.params.id,
        request.body.ids,
      ),
    }),
  );
}
