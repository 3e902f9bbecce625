import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { actorOf, workspaceOf } from '../../shared/http/auth.js';
import type { AppDeps } from '../../shared/module.js';
import { RoleSchema } from './auth.routes.js';
import { addMember, changeMemberRole, listMembers, removeMember } from './members.service.js';
import type { MemberRow } from './memberships.repository.js';
import type { Role } from './users.service.js';

const MemberBody = Type.Object({
  userId: Type.String(),
  email: Type.String(),
  name: Type.String(),
  role: RoleSchema,
  createdAt: Type.String({ format: 'date-time' }),
});

const toMemberBody = (m: MemberRow) => ({
  userId: m.user_id,
  email: m.email,
  name: m.name,
  role: m.role,
  createdAt: m.created_at.toISOString(),
});

export function registerMemberRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const params = Type.Object({ userId: Type.String({ format: 'uuid' }) });

  r.get(
    '/api/v1/members',
    {
      config: { permission: 'workspace:read' },
      schema: {
        tags: ['members'],
        summary: 'People in this workspace',
        response: { 200: Type.Object({ items: Type.Array(MemberBody) }) },
      },
    },
    async (request) => ({ items: (await listMembers(deps.db, workspaceOf(request))).map(toMemberBody) }),
  );

  r.post(
    '/api/v1/members',
    {
      config: { permission: 'members:manage' },
      schema: {
        tags: ['members'],
        summary: 'Add a person (a new e-mail address creates a user with the given initial password)',
        body: Type.Object(
          {
            email: Type.String({ format: 'email', maxLength: 254 }),
            name: Type.Optional(Type.String({ maxLength: 200 })),
            role: RoleSchema,
            password: Type.Optional(Type.String({ maxLength: 1024 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ member: MemberBody }) },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const member = await addMember(deps.db, actorOf(request), workspaceOf(request), {
        ...body,
        role: body.role as Role,
      });
      return reply.code(201).send({ member: toMemberBody(member) });
    },
  );

  r.patch(
    '/api/v1/members/:userId',
    {
      config: { permission: 'members:manage' },
      schema: {
        tags: ['members'],
        summary: "Change a member's role",
        params,
        body: Type.Object({ role: RoleSchema }, { additionalProperties: false }),
        response: { 200: Type.Object({ member: MemberBody }) },
      },
    },
    async (request) => {
      const member = await changeMemberRole(
        deps.db,
        actorOf(request),
        workspaceOf(request),
        request.params.userId,
        request.body.role as Role,
      );
      return { member: toMemberBody(member) };
    },
  );

  r.delete(
    '/api/v1/members/:userId',
    {
      config: { permission: 'members:manage' },
      schema: {
        tags: ['members'],
        summary: 'Remove a member from this workspace',
        params,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await removeMember(deps.db, actorOf(request), workspaceOf(request), request.params.userId);
      return reply.code(204).send(null);
    },
  );
}
