import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Executor } from '../../shared/db/index.js';
import type { Activity, Contact, CustomFieldDefinition } from '../../shared/db/schema.js';
import { AppError } from '../../shared/errors.js';
import { actorOf, workspaceOf } from '../../shared/http/auth.js';
import type { AppDeps } from '../../shared/module.js';
import { recordAudit } from '../audit/index.js';
import { findStaleAfterDays } from '../workspaces/index.js';
import { listTimeline } from './activities.repository.js';
import { findCompanyById } from './companies.repository.js';
import { findContactById } from './contacts.repository.js';
import {
  addNote,
  createContact,
  deleteContacts,
  LIFECYCLE_STAGES,
  type LifecycleStage,
  requestReconfirmation,
  tagContacts,
  updateContact,
} from './contacts.service.js';
import {
  type ContactSelection,
  listContactsPage,
  SORTABLE,
  type SortField,
  selectionWhere,
} from './contacts-query.js';
import {
  CUSTOM_FIELD_TYPES,
  type CustomFieldEntity,
  deleteCustomFieldRow,
  insertCustomField,
  listCustomFields,
  updateCustomFieldRow,
} from './custom-fields.js';
import { findCachedDomains } from './domain-check.js';
import { domainOf } from './email-rules.js';
import { computeQuality } from './quality.js';
import { countSelection, selectionQuality } from './segments.service.js';

const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) =>
  Type.Optional(Type.Union([t, Type.Null()]));

export const ContactBody = Type.Object({
  id: Type.String(),
  email: Type.String(),
  firstName: Type.Union([Type.String(), Type.Null()]),
  lastName: Type.Union([Type.String(), Type.Null()]),
  companyName: Type.Union([Type.String(), Type.Null()]),
  companyId: Type.Union([Type.String(), Type.Null()]),
  jobTitle: Type.Union([Type.String(), Type.Null()]),
  phone: Type.Union([Type.String(), Type.Null()]),
  city: Type.Union([Type.String(), Type.Null()]),
  country: Type.Union([Type.String(), Type.Null()]),
  locale: Type.Union([Type.String(), Type.Null()]),
  lifecycleStage: Type.String(),
  ownerUserId: Type.Union([Type.String(), Type.Null()]),
  sourceChannel: Type.Union([Type.String(), Type.Null()]),
  tags: Type.Array(Type.String()),
  customFields: Type.Record(Type.String(), Type.Unknown()),
  qualityScore: Type.Union([Type.Number(), Type.Null()]),
  qualityReasons: Type.Array(
    Type.Object({ code: Type.String(), impact: Type.Number(), field: Type.Optional(Type.String()) }),
  ),
  fieldMeta: Type.Record(Type.String(), Type.Object({ at: Type.String(), source: Type.String() })),
  reconfirmRequestedAt: Type.Union([Type.String(), Type.Null()]),
  mergedIntoContactId: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

const iso = (d: Date | string | null) =>
  d === null ? null : d instanceof Date ? d.toISOString() : new Date(d).toISOString();

export function toContactBody(c: Contact): Static<typeof ContactBody> {
  return {
    id: c.id,
    email: c.email,
    firstName: c.first_name,
    lastName: c.last_name,
    companyName: c.company_name,
    companyId: c.company_id,
    jobTitle: c.job_title,
    phone: c.phone,
    city: c.city,
    country: c.country,
    locale: c.locale,
    lifecycleStage: c.lifecycle_stage,
    ownerUserId: c.owner_user_id,
    sourceChannel: c.source_channel,
    tags: c.tags ?? [],
    customFields: c.custom_fields ?? {},
    qualityScore: c.quality_score,
    qualityReasons: c.quality_reasons ?? [],
    fieldMeta: c.field_meta ?? {},
    reconfirmRequestedAt: iso(c.reconfirm_requested_at),
    mergedIntoContactId: c.merged_into_contact_id,
    createdAt: iso(c.created_at)!,
    updatedAt: iso(c.updated_at)!,
  };
}

const ContactWrite = {
  firstName: Nullable(Type.String({ maxLength: 200 })),
  lastName: Nullable(Type.String({ maxLength: 200 })),
  companyName: Nullable(Type.String({ maxLength: 300 })),
  jobTitle: Nullable(Type.String({ maxLength: 200 })),
  phone: Nullable(Type.String({ maxLength: 50 })),
  city: Nullable(Type.String({ maxLength: 200 })),
  country: Nullable(Type.String({ pattern: '^[A-Z]{2}$' })),
  locale: Type.Optional(Type.Union([Type.Literal('de'), Type.Literal('en'), Type.Null()])),
  sourceChannel: Nullable(Type.String({ maxLength: 100 })),
  lifecycleStage: Type.Optional(Type.Union(LIFECYCLE_STAGES.map((s) => Type.Literal(s)))),
  stageReason: Type.Optional(Type.String({ maxLength: 500 })),
  ownerUserId: Nullable(Type.String({ format: 'uuid' })),
  companyId: Nullable(Type.String({ format: 'uuid' })),
  tags: Type.Optional(Type.Array(Type.String({ maxLength: 60 }), { maxItems: 100 })),
  customFields: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
};

/** How a request names a set of contacts: hand-picked ids, or everything matching a filter/search/segment. */
export const SelectionBody = Type.Object(
  {
    ids: Type.Optional(Type.Array(Type.String({ format: 'uuid' }), { maxItems: 10000 })),
    filter: Type.Optional(Type.Unknown()),
    q: Type.Optional(Type.String({ maxLength: 200 })),
    segmentId: Type.Optional(Type.String({ format: 'uuid' })),
  },
  { additionalProperties: false },
);

export function selectionOf(body: Static<typeof SelectionBody>): ContactSelection {
  if (!body.ids && body.filter === undefined && !body.q && !body.segmentId)
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'selection', message: 'choose contacts (ids, filter, q or segmentId)' }],
    });
  return { ids: body.ids, filter: body.filter, q: body.q, segmentId: body.segmentId };
}

const ListQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 200 })),
  filter: Type.Optional(Type.String({ maxLength: 20000, description: 'A segment definition as JSON' })),
  segmentId: Type.Optional(Type.String({ format: 'uuid' })),
  sort: Type.Optional(Type.Union(Object.keys(SORTABLE).map((s) => Type.Literal(s)))),
  dir: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')])),
  cursor: Type.Optional(Type.String({ maxLength: 2000 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  count: Type.Optional(Type.Boolean()),
});

function parseFilter(raw: string | undefined): unknown {
  if (raw === undefined || raw === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    throw new AppError('VALIDATION_FAILED', { fields: [{ field: 'filter', message: 'not JSON' }] });
  }
}

const ActivityBody = Type.Object({
  id: Type.String(),
  type: Type.String(),
  occurredAt: Type.String(),
  data: Type.Record(Type.String(), Type.Unknown()),
  source: Type.Union([Type.String(), Type.Null()]),
  ref: Type.Union([Type.String(), Type.Null()]),
  mergedFrom: Type.Union([Type.String(), Type.Null()]),
});

const toActivityBody = (a: Activity) => ({
  id: a.id,
  type: a.type,
  occurredAt: a.occurred_at.toISOString(),
  data: a.data,
  source: a.source,
  ref: a.ref,
  mergedFrom: a.origin_contact_id === a.contact_id ? null : a.origin_contact_id,
});

const FieldDefBody = Type.Object({
  key: Type.String(),
  label: Type.String(),
  type: Type.String(),
  options: Type.Array(Type.Object({ value: Type.String(), label: Type.String() })),
  required: Type.Boolean(),
  qualification: Type.Boolean(),
  position: Type.Number(),
});
const toFieldDefBody = (d: CustomFieldDefinition) => ({
  key: d.key,
  label: d.label,
  type: d.type,
  options: d.options,
  required: d.required,
  qualification: d.qualification,
  position: d.position,
});
const OptionsSchema = Type.Array(
  Type.Object({
    value: Type.String({ minLength: 1, maxLength: 100 }),
    label: Type.String({ minLength: 1, maxLength: 200 }),
  }),
  { maxItems: 200 },
);

async function consentsOf(db: Executor, workspaceId: string, contactIds: string[]) {
  if (contactIds.length === 0) return [];
  return db
    .selectFrom('consents')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', 'in', contactIds)
    .orderBy('purpose')
    .execute();
}

export function registerContactRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['contacts'];
  const idParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

  r.get(
    '/api/v1/contacts',
    {
      config: { permission: 'contacts:read' },
      schema: {
        tags,
        summary: 'Browse, search and filter contacts (keyset paging)',
        querystring: ListQuery,
        response: {
          200: Type.Object({
            items: Type.Array(ContactBody),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
            total: Type.Optional(Type.Number()),
          }),
        },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const q = request.query;
      const selection: ContactSelection = { q: q.q, filter: parseFilter(q.filter), segmentId: q.segmentId };
      const where = await selectionWhere(deps.db, ws, deps.clock.now(), selection);
      const page = await listContactsPage(deps.db, where, {
        sort: (q.sort ?? 'created_at') as SortField,
        dir:
          q.dir ??
          (q.sort && q.sort !== 'created_at' && q.sort !== 'updated_at' && q.sort !== 'quality_score'
            ? 'asc'
            : 'desc'),
        after: q.cursor,
        limit: q.limit ?? 50,
      });
      const total = q.count ? await countSelection(deps.db, deps.clock, ws, selection) : undefined;
      return {
        items: page.items.map(toContactBody),
        nextCursor: page.next,
        ...(total === undefined ? {} : { total }),
      };
    },
  );

  r.post(
    '/api/v1/contacts/count',
    {
      config: { permission: 'contacts:read' },
      schema: {
        tags,
        summary: 'Live count of a filter, search or segment (the segment builder asks this as you type)',
        body: Type.Object({
          filter: Type.Optional(Type.Unknown()),
          q: Type.Optional(Type.String({ maxLength: 200 })),
          segmentId: Type.Optional(Type.String({ format: 'uuid' })),
        }),
        response: { 200: Type.Object({ count: Type.Number() }) },
      },
    },
    async (request) => ({
      count: await countSelection(deps.db, deps.clock, workspaceOf(request), {
        filter: request.body.filter,
        q: request.body.q,
        segmentId: request.body.segmentId,
      }),
    }),
  );

  r.post(
    '/api/v1/contacts/quality',
    {
      config: { permission: 'contacts:read' },
      schema: {
        tags,
        summary: 'Data quality of a selection (segment, filter or search)',
        body: Type.Object({
          filter: Type.Optional(Type.Unknown()),
          q: Type.Optional(Type.String({ maxLength: 200 })),
          segmentId: Type.Optional(Type.String({ format: 'uuid' })),
        }),
        response: {
          200: Type.Object({
            contacts: Type.Number(),
            averageScore: Type.Union([Type.Number(), Type.Null()]),
            lowScore: Type.Number(),
            reconfirmationRequested: Type.Number(),
            reasons: Type.Array(Type.Object({ code: Type.String(), contacts: Type.Number() })),
          }),
        },
      },
    },
    async (request) =>
      selectionQuality(deps.db, deps.clock, workspaceOf(request), {
        filter: request.body.filter,
        q: request.body.q,
        segmentId: request.body.segmentId,
      }),
  );

  r.post(
    '/api/v1/contacts',
    {
      config: { permission: 'contacts:write' },
      schema: {
        tags,
        summary: 'Create a contact',
        body: Type.Object(
          { email: Type.String({ minLength: 3, maxLength: 320 }), ...ContactWrite },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ contact: ContactBody }) },
      },
    },
    async (request, reply) => {
      const contact = await createContact(deps.db, deps.clock, actorOf(request), workspaceOf(request), {
        ...request.body,
        lifecycleStage: request.body.lifecycleStage as LifecycleStage | undefined,
      });
      return reply.code(201).send({ contact: toContactBody(contact) });
    },
  );

  r.get(
    '/api/v1/contacts/:id',
    {
      config: { permission: 'contacts:read' },
      schema: {
        tags,
        summary: 'A contact with its company, consents, quality and merge history',
        params: idParams,
        response: {
          200: Type.Object({
            contact: ContactBody,
            company: Type.Union([Type.Object({ id: Type.String(), name: Type.String() }), Type.Null()]),
            consents: Type.Array(
              Type.Object({
                purpose: Type.String(),
                status: Type.String(),
                legalBasis: Type.String(),
                confirmedAt: Type.Union([Type.String(), Type.Null()]),
                withdrawnAt: Type.Union([Type.String(), Type.Null()]),
                updatedAt: Type.String(),
                fromContactId: Type.Union([Type.String(), Type.Null()]),
                fromEmail: Type.Union([Type.String(), Type.Null()]),
              }),
            ),
            quality: Type.Object({
              completeness: Type.Number(),
              missing: Type.Array(Type.String()),
              stale: Type.Array(Type.String()),
              domainStatus: Type.Union([Type.String(), Type.Null()]),
            }),
            merges: Type.Array(
              Type.Object({
                id: Type.String(),
                loserId: Type.String(),
                loserEmail: Type.String(),
                mergedAt: Type.String(),
                undoUntil: Type.String(),
                undone: Type.Boolean(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const contact = await findContactById(deps.db, ws, request.params.id);
      if (!contact) throw new AppError('NOT_FOUND');
      const company = contact.company_id ? await findCompanyById(deps.db, ws, contact.company_id) : undefined;
      const merges = await deps.db
        .selectFrom('contact_merges')
        .selectAll()
        .where('workspace_id', '=', ws)
        .where('winner_id', '=', contact.id)
        .orderBy('merged_at', 'desc')
        .execute();
      const tombstones = await deps.db
        .selectFrom('contacts')
        .select(['id', 'email'])
        .where('workspace_id', '=', ws)
        .where('merged_into_contact_id', '=', contact.id)
        .execute();
      const emails = new Map(tombstones.map((t) => [t.id, t.email]));
      const consents = await consentsOf(deps.db, ws, [contact.id, ...tombstones.map((t) => t.id)]);
      const defs = await listCustomFields(deps.db, ws, 'contact');
      const domain = domainOf(contact.email_normalized);
      const domainStatus = (await findCachedDomains(deps.db, [domain], deps.clock.now())).get(domain) ?? null;
      const q = computeQuality({
        email: contact.email_normalized,
        fields: contact as unknown as Record<string, unknown>,
        customFields: contact.custom_fields,
        qualificationCustomKeys: defs.filter((d) => d.qualification).map((d) => d.key),
        fieldMeta: contact.field_meta,
        domainStatus: domainStatus ?? undefined,
        now: deps.clock.now(),
        staleDays: (await findStaleAfterDays(deps.db, [ws])).get(ws),
      });
      return {
        contact: toContactBody(contact),
        company: company ? { id: company.id, name: company.name } : null,
        consents: consents.map((c) => ({
          purpose: c.purpose,
          status: c.status,
          legalBasis: c.legal_basis,
          confirmedAt: iso(c.confirmed_at),
          withdrawnAt: iso(c.withdrawn_at),
          updatedAt: iso(c.updated_at)!,
          fromContactId: c.contact_id === contact.id ? null : c.contact_id,
          fromEmail: c.contact_id === contact.id ? null : (emails.get(c.contact_id) ?? null),
        })),
        quality: { completeness: q.completeness, missing: q.missing, stale: q.stale, domainStatus },
        merges: merges.map((m) => ({
          id: m.id,
          loserId: m.loser_id,
          loserEmail: String((m.loser_before as { email?: string }).email ?? ''),
          mergedAt: m.merged_at.toISOString(),
          undoUntil: m.undo_until.toISOString(),
          undone: m.undone_at !== null,
        })),
      };
    },
  );

  r.patch(
    '/api/v1/contacts/:id',
    {
      config: { permission: 'contacts:write' },
      schema: {
        tags,
        summary: 'Change a contact (every change is recorded on its timeline)',
        params: idParams,
        body: Type.Object(
          { email: Type.Optional(Type.String({ minLength: 3, maxLength: 320 })), ...ContactWrite },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ contact: ContactBody }) },
      },
    },
    async (request) => {
      const contact = await updateContact(
        deps.db,
        deps.clock,
        actorOf(request),
        workspaceOf(request),
        request.params.id,
        {
          ...request.body,
          lifecycleStage: request.body.lifecycleStage as LifecycleStage | undefined,
        },
      );
      return { contact: toContactBody(contact) };
    },
  );

  r.delete(
    '/api/v1/contacts/:id',
    {
      config: { permission: 'contacts:write' },
      schema: { tags, summary: 'Delete one contact', params: idParams, response: { 204: Type.Null() } },
    },
    async (request, reply) => {
      const ws = workspaceOf(request);
      const contact = await findContactById(deps.db, ws, request.params.id);
      if (!contact || contact.merged_into_contact_id) throw new AppError('NOT_FOUND');
      await deleteContacts(deps.db, deps.clock, actorOf(request), ws, { ids: [contact.id] }, 1);
      return reply.code(204).send(null);
    },
  );

  r.get(
    '/api/v1/contacts/:id/timeline',
    {
      config: { permission: 'contacts:read' },
      schema: {
        tags,
        summary: "A page of the contact's timeline, newest first",
        params: idParams,
        querystring: Type.Object({
          types: Type.Optional(
            Type.String({
              maxLength: 1000,
              description: 'Comma-separated types; `mail.*` for a whole module',
            }),
          ),
          before: Type.Optional(Type.String({ maxLength: 200 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
        }),
        response: {
          200: Type.Object({
            items: Type.Array(ActivityBody),
            nextBefore: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const contact = await findContactById(deps.db, ws, request.params.id);
      if (!contact) throw new AppError('NOT_FOUND');
      const { types, before, limit = 50 } = request.query;
      let cursor: { occurredAt: Date; id: string } | undefined;
      if (before) {
        const [at, id] = before.split('_');
        const d = new Date(at ?? '');
        if (Number.isNaN(d.getTime()) || !id || !/^\d+$/.test(id))
          throw new AppError('VALIDATION_FAILED', {
            fields: [{ field: 'before', message: 'invalid cursor' }],
          });
        cursor = { occurredAt: d, id };
      }
      const items = await listTimeline(deps.db, ws, contact.id, {
        types: types
          ? types
              .split(',')
              .map((t) => t.trim())
              .filter(Boolean)
          : undefined,
        before: cursor,
        limit: limit + 1,
      });
      let nextBefore: string | null = null;
      if (items.length > limit) {
        items.pop();
        const last = items[items.length - 1]!;
        nextBefore = `${last.occurred_at.toISOString()}_${last.id}`;
      }
      return { items: items.map(toActivityBody), nextBefore };
    },
  );

  r.post(
    '/api/v1/contacts/:id/notes',
    {
      config: { permission: 'contacts:write' },
      schema: {
        tags,
        summary: 'Add a note or a logged call to the timeline',
        params: idParams,
        body: Type.Object(
          {
            kind: Type.Union([Type.Literal('note'), Type.Literal('call')]),
            text: Type.String({ minLength: 1, maxLength: 5000 }),
          },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await addNote(
        deps.db,
        deps.clock,
        actorOf(request),
        workspaceOf(request),
        request.params.id,
        request.body,
      );
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/api/v1/contacts/bulk/tag',
    {
      config: { permission: 'contacts:write' },
      schema: {
        tags,
        summary: 'Add or remove tags on a selection',
        body: Type.Object({
          selection: SelectionBody,
          add: Type.Optional(Type.Array(Type.String({ maxLength: 60 }), { maxItems: 50 })),
          remove: Type.Optional(Type.Array(Type.String({ maxLength: 60 }), { maxItems: 50 })),
        }),
        response: { 200: Type.Object({ count: Type.Number() }) },
      },
    },
    async (request) => ({
      count: await tagContacts(
        deps.db,
        deps.clock,
        actorOf(request),
        workspaceOf(request),
        selectionOf(request.body.selection),
        request.body,
      ),
    }),
  );

  r.post(
    '/api/v1/contacts/bulk/delete',
    {
      config: { permission: 'contacts:write' },
      schema: {
        tags,
        summary: 'Delete a selection; expectedCount must match what the user confirmed',
        body: Type.Object({ selection: SelectionBody, expectedCount: Type.Integer({ minimum: 0 }) }),
        response: { 200: Type.Object({ count: Type.Number() }) },
      },
    },
    async (request) => ({
      count: await deleteContacts(
        deps.db,
        deps.clock,
        actorOf(request),
        workspaceOf(request),
        selectionOf(request.body.selection),
        request.body.expectedCount,
      ),
    }),
  );

  r.post(
    '/api/v1/contacts/bulk/reconfirm',
    {
      config: { permission: 'contacts:write' },
      schema: {
        tags,
        summary: 'Flag the data of a selection for re-confirmation',
        body: Type.Object({ selection: SelectionBody }),
        response: { 200: Type.Object({ count: Type.Number() }) },
      },
    },
    async (request) => ({
      count: await requestReconfirmation(
        deps.db,
        deps.clock,
        actorOf(request),
        workspaceOf(request),
        selectionOf(request.body.selection),
      ),
    }),
  );

  // Custom field definitions, per workspace, for contacts and companies.
  const entityParams = Type.Object({
    entity: Type.Union([Type.Literal('contact'), Type.Literal('company')]),
  });
  r.get(
    '/api/v1/custom-fields/:entity',
    {
      config: { permission: 'contacts:read' },
      schema: {
        tags,
        summary: 'Custom field definitions',
        params: entityParams,
        response: { 200: Type.Object({ items: Type.Array(FieldDefBody) }) },
      },
    },
    async (request) => ({
      items: (
        await listCustomFields(deps.db, workspaceOf(request), request.params.entity as CustomFieldEntity)
      ).map(toFieldDefBody),
    }),
  );

  r.post(
    '/api/v1/custom-fields/:entity',
    {
      config: { permission: 'contacts:write' },
      schema: {
        tags,
        summary: 'Define a custom field',
        params: entityParams,
        body: Type.Object(
          {
            key: Type.String({ pattern: '^[a-z][a-z0-9_]{0,62}$' }),
            label: Type.String({ minLength: 1, maxLength: 200 }),
            type: Type.Union(CUSTOM_FIELD_TYPES.map((t) => Type.Literal(t))),
            options: Type.Optional(OptionsSchema),
            required: Type.Optional(Type.Boolean()),
            qualification: Type.Optional(Type.Boolean()),
            position: Type.Optional(Type.Integer()),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ field: FieldDefBody }) },
      },
    },
    async (request, reply) => {
      const ws = workspaceOf(request);
      const body = request.body;
      if (
        (body.type === 'choice' || body.type === 'multi_choice') &&
        !(body.options && body.options.length > 0)
      )
        throw new AppError('VALIDATION_FAILED', {
          fields: [{ field: 'options', message: 'a choice field needs options' }],
        });
      const field = await deps.db.transaction().execute(async (trx) => {
        const f = await insertCustomField(trx, ws, request.params.entity as CustomFieldEntity, {
          ...body,
          type: body.type as CustomFieldDefinition['type'],
        });
        await recordAudit(trx, actorOf(request), {
          workspaceId: ws,
          action: 'custom-fields.created',
          targetType: 'custom_field',
          targetId: f.key,
          details: { entity: f.entity, type: f.type },
        });
        return f;
      });
      return reply.code(201).send({ field: toFieldDefBody(field) });
    },
  );

  r.patch(
    '/api/v1/custom-fields/:entity/:key',
    {
      config: { permission: 'contacts:write' },
      schema: {
        tags,
        summary: 'Change a custom field (its key and type stay)',
        params: Type.Object({
          entity: Type.Union([Type.Literal('contact'), Type.Literal('company')]),
          key: Type.String({ maxLength: 63 }),
        }),
        body: Type.Object(
          {
            label: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            options: Type.Optional(OptionsSchema),
            required: Type.Optional(Type.Boolean()),
            qualification: Type.Optional(Type.Boolean()),
            position: Type.Optional(Type.Integer()),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ field: FieldDefBody }) },
      },
    },
    async (request) => {
      const f = await updateCustomFieldRow(
        deps.db,
        workspaceOf(request),
        request.params.entity as CustomFieldEntity,
        request.params.key,
        request.body,
        deps.clock.now(),
      );
      if (!f) throw new AppError('NOT_FOUND');
      return { field: toFieldDefBody(f) };
    },
  );

  r.delete(
    '/api/v1/custom-fields/:entity/:key',
    {
      config: { permission: 'contacts:write' },
      schema: {
        tags,
        summary: 'Remove a custom field definition (stored values stay until overwritten)',
        params: Type.Object({
          entity: Type.Union([Type.Literal('contact'), Type.Literal('company')]),
          key: Type.String({ maxLength: 63 }),
        }),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const ws = workspaceOf(request);
      const ok = await deleteCustomFieldRow(
        deps.db,
        ws,
        request.params.entity as CustomFieldEntity,
        request.params.key,
      );
      if (!ok) throw new AppError('NOT_FOUND');
      await recordAudit(deps.db, actorOf(request), {
        workspaceId: ws,
        action: 'custom-fields.deleted',
        targetType: 'custom_field',
        targetId: request.params.key,
      });
      return reply.code(204).send(null);
    },
  );
}
