import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Company } from '../../shared/db/schema.js';
import { AppError } from '../../shared/errors.js';
import { actorOf, workspaceOf } from '../../shared/http/auth.js';
import type { AppDeps } from '../../shared/module.js';
import {
  companyRollup,
  findCompanyById,
  listCompaniesPage,
  listCompanyDomains,
} from './companies.repository.js';
import {
  COMPANY_MERGE_FIELDS,
  createCompany,
  deleteCompany,
  mergeCompanies,
  previewCompanyMerge,
  updateCompany,
} from './companies.service.js';
import { ContactBody, toContactBody } from './contacts.routes.js';
import { decodeCursor, encodeCursor, listContactsPage, selectionWhere } from './contacts-query.js';

const CompanyBody = Type.Object({
  id: Type.String(),
  name: Type.String(),
  domains: Type.Array(Type.String()),
  website: Type.Union([Type.String(), Type.Null()]),
  industry: Type.Union([Type.String(), Type.Null()]),
  size: Type.Union([Type.String(), Type.Null()]),
  country: Type.Union([Type.String(), Type.Null()]),
  city: Type.Union([Type.String(), Type.Null()]),
  phone: Type.Union([Type.String(), Type.Null()]),
  description: Type.Union([Type.String(), Type.Null()]),
  customFields: Type.Record(Type.String(), Type.Unknown()),
  contactCount: Type.Optional(Type.Number()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

const toCompanyBody = (c: Company, domains: string[], contactCount?: number) => ({
  id: c.id,
  name: c.name,
  domains,
  website: c.website,
  industry: c.industry,
  size: c.size,
  country: c.country,
  city: c.city,
  phone: c.phone,
  description: c.description,
  customFields: c.custom_fields,
  ...(contactCount === undefined ? {} : { contactCount }),
  createdAt: c.created_at.toISOString(),
  updatedAt: c.updated_at.toISOString(),
});

const S = (max: number) => Type.Optional(Type.Union([Type.String({ maxLength: max }), Type.Null()]));
const CompanyWrite = {
  website: S(500),
  industry: S(200),
  size: S(50),
  country: Type.Optional(Type.Union([Type.String({ pattern: '^[A-Z]{2}$' }), Type.Null()])),
  city: S(200),
  phone: S(50),
  description: S(5000),
  customFields: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  domains: Type.Optional(Type.Array(Type.String({ maxLength: 253 }), { maxItems: 50 })),
};

export function registerCompanyRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['companies'];
  const idParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

  r.get(
    '/api/v1/companies',
    {
      config: { permission: 'contacts:read' },
      schema: {
        tags,
        summary: 'Companies, by name (keyset paging)',
        querystring: Type.Object({
          q: Type.Optional(Type.String({ maxLength: 200 })),
          cursor: Type.Optional(Type.String({ maxLength: 1000 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
        }),
        response: {
          200: Type.Object({
            items: Type.Array(CompanyBody),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const limit = request.query.limit ?? 50;
      const c = request.query.cursor ? decodeCursor(request.query.cursor) : undefined;
      const rows = await listCompaniesPage(deps.db, ws, {
        q: request.query.q,
        after: c ? { name: String(c.v), id: c.id } : undefined,
        limit: limit + 1,
      });
      let next: string | null = null;
      if (rows.length > limit) {
        rows.pop();
        const last = rows[rows.length - 1]!;
        next = encodeCursor({ v: last.name.toLowerCase(), id: last.id });
      }
      const domains = await listCompanyDomains(
        deps.db,
        ws,
        rows.map((x) => x.id),
      );
      return {
        items: rows.map((x) => toCompanyBody(x, domains.get(x.id) ?? [], Number(x.contact_count))),
        nextCursor: next,
      };
    },
  );

  r.post(
    '/api/v1/companies',
    {
      config: { permission: 'contacts:write' },
      schema: {
        tags,
        summary: 'Create a company',
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 300 }), ...CompanyWrite },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ company: CompanyBody }) },
      },
    },
    async (request, reply) => {
      const ws = workspaceOf(request);
      const company = await createCompany(deps.db, deps.clock, actorOf(request), ws, request.body);
      const domains = await listCompanyDomains(deps.db, ws, [company.id]);
      return reply.code(201).send({ company: toCompanyBody(company, domains.get(company.id) ?? []) });
    },
  );

  r.get(
    '/api/v1/companies/:id',
    {
      config: { permission: 'contacts:read' },
      schema: {
        tags,
        summary: 'A company with its contacts (first page) and the roll-up of their activity (90 days)',
        params: idParams,
        querystring: Type.Object({ cursor: Type.Optional(Type.String({ maxLength: 2000 })) }),
        response: {
          200: Type.Object({
            company: CompanyBody,
            contacts: Type.Array(ContactBody),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
            rollup: Type.Object({
              stages: Type.Record(Type.String(), Type.Number()),
              activityByType: Type.Record(Type.String(), Type.Number()),
              lastActivityAt: Type.Union([Type.String(), Type.Null()]),
            }),
          }),
        },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const company = await findCompanyById(deps.db, ws, request.params.id);
      if (!company) throw new AppError('NOT_FOUND');
      const now = deps.clock.now();
      const where = await selectionWhere(deps.db, ws, now, {
        filter: {
          kind: 'group',
          op: 'and',
          children: [{ kind: 'field', field: 'company_id', operator: 'eq', value: company.id }],
        },
      });
      const page = await listContactsPage(deps.db, where, {
        sort: 'last_name',
        dir: 'asc',
        after: request.query.cursor,
        limit: 50,
      });
      const rollup = await companyRollup(deps.db, ws, company.id, new Date(now.getTime() - 90 * 86_400_000));
      const domains = await listCompanyDomains(deps.db, ws, [company.id]);
      return {
        company: toCompanyBody(company, domains.get(company.id) ?? []),
        contacts: page.items.map(toContactBody),
        nextCursor: page.next,
        rollup: {
          ...rollup,
          lastActivityAt: rollup.lastActivityAt ? new Date(rollup.lastActivityAt).toISOString() : null,
        },
      };
    },
  );

  r.patch(
    '/api/v1/companies/:id',
    {
      config: { permission: 'contacts:write' },
      schema: {
        tags,
        summary: 'Change a company',
        params: idParams,
        body: Type.Object(
          { name: Type.Optional(Type.String({ minLength: 1, maxLength: 300 })), ...CompanyWrite },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ company: CompanyBody }) },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const company = await updateCompany(
        deps.db,
        deps.clock,
        actorOf(request),
        ws,
        request.params.id,
        request.body,
      );
      const domains = await listCompanyDomains(deps.db, ws, [company.id]);
      return { company: toCompanyBody(company, domains.get(company.id) ?? []) };
    },
  );

  r.delete(
    '/api/v1/companies/:id',
    {
      config: { permission: 'contacts:write' },
      schema: {
        tags,
        summary: 'Delete a company (its contacts stay, without company)',
        params: idParams,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await deleteCompany(deps.db, actorOf(request), workspaceOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/api/v1/companies/:id/merge/preview',
    {
      config: { permission: 'contacts:read' },
      schema: {
        tags,
        summary: 'Preview merging another company into this one, field by field',
        params: idParams,
        body: Type.Object({ otherId: Type.String({ format: 'uuid' }) }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            winner: CompanyBody,
            loser: CompanyBody,
            fields: Type.Array(
              Type.Object({
                field: Type.String(),
                winner: Type.Union([Type.String(), Type.Null()]),
                loser: Type.Union([Type.String(), Type.Null()]),
                proposed: Type.Union([Type.Literal('winner'), Type.Literal('loser')]),
                differs: Type.Boolean(),
              }),
            ),
            contacts: Type.Object({ winner: Type.Number(), loser: Type.Number() }),
          }),
        },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const p = await previewCompanyMerge(deps.db, ws, request.params.id, request.body.otherId);
      const domains = await listCompanyDomains(deps.db, ws, [p.winner.id, p.loser.id]);
      return {
        ...p,
        winner: toCompanyBody(p.winner, domains.get(p.winner.id) ?? []),
        loser: toCompanyBody(p.loser, domains.get(p.loser.id) ?? []),
      };
    },
  );

  r.post(
    '/api/v1/companies/:id/merge',
    {
      config: { permission: 'contacts:write' },
      schema: {
        tags,
        summary: 'Merge another company into this one (contacts and domains move over)',
        params: idParams,
        body: Type.Object(
          {
            otherId: Type.String({ format: 'uuid' }),
            choices: Type.Optional(
              Type.Partial(
                Type.Object(
                  Object.fromEntries(
                    COMPANY_MERGE_FIELDS.map((f) => [
                      f,
                      Type.Union([Type.Literal('winner'), Type.Literal('loser')]),
                    ]),
                  ),
                ),
              ),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ company: CompanyBody }) },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const company = await mergeCompanies(
        deps.db,
        deps.clock,
        actorOf(request),
        ws,
        request.params.id,
        request.body.otherId,
        (request.body.choices ?? {}) as Record<string, 'winner' | 'loser'>,
      );
      const domains = await listCompanyDomains(deps.db, ws, [company.id]);
      return { company: toCompanyBody(company, domains.get(company.id) ?? []) };
    },
  );
}
