import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { RejectReason, SalesLeadStatus, WorkingHours } from '../../shared/db/schema.js';
import { actorOf, authOf, workspaceOf } from '../../shared/http/auth.js';
import type { AppDeps } from '../../shared/module.js';
import { handOffToSales } from './hand-off.service.js';
import {
  acceptLead,
  convertLead,
  getLead,
  listLeads,
  REJECT_REASONS,
  reassignLead,
  rejectLead,
  rejectReasonReport,
} from './leads.service.js';
import { isManager } from './sales.repository.js';
import {
  addAbsence,
  deleteTerritory,
  getSettings,
  listNotifications,
  listReps,
  listTerritoriesFor,
  markNotificationsRead,
  removeAbsence,
  rotateWebhookSecret,
  saveTerritory,
  updateSettings,
  upsertRep,
} from './settings.service.js';
import type { SalesWiring } from './wiring.js';

const Id = Type.String({ format: 'uuid' });
const IdParams = Type.Object({ id: Id });
// Null first: with type coercion on, `[Integer, Null]` would turn a null into 0.
const Nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([Type.Null(), t]);
const Time = Type.String({ pattern: '^([01]\\d|2[0-4]):[0-5]\\d$' });
const WorkingHoursBody = Type.Record(
  Type.String({ pattern: '^[1-7]$' }),
  Type.Array(Type.Tuple([Time, Time])),
  {
    description: 'weekday (1 = Monday … 7 = Sunday) → local intervals; none at all means always',
  },
);
const STATUSES = ['unassigned', 'assigned', 'accepted', 'rejected', 'converted'];
const iso = (d: Date | null) => (d ? d.toISOString() : null);

const LeadBody = Type.Object({
  id: Type.String(),
  contactId: Type.String(),
  status: Type.String({ enum: STATUSES }),
  stage: Type.String(),
  assignedUserId: Nullable(Type.String()),
  assignedName: Nullable(Type.String()),
  routedBy: Nullable(Type.String()),
  slaDueAt: Nullable(Type.String()),
  remindedAt: Nullable(Type.String()),
  escalatedAt: Nullable(Type.String()),
  acceptedAt: Nullable(Type.String()),
  rejectedAt: Nullable(Type.String()),
  rejectReason: Nullable(Type.String()),
  rejectOutcome: Nullable(Type.String()),
  convertedAt: Nullable(Type.String()),
  createdAt: Type.String(),
  summary: Type.Record(Type.String(), Type.Unknown()),
});

type LeadRow = Awaited<ReturnType<typeof listLeads>>[number];
const toLead = (l: LeadRow) => ({
  id: l.id,
  contactId: l.contact_id,
  status: l.status,
  stage: l.lifecycle_stage,
  assignedUserId: l.assigned_user_id,
  assignedName: l.assigned_name,
  routedBy: l.routed_by,
  slaDueAt: iso(l.sla_due_at),
  remindedAt: iso(l.reminded_at),
  escalatedAt: iso(l.escalated_at),
  acceptedAt: iso(l.accepted_at),
  rejectedAt: iso(l.rejected_at),
  rejectReason: l.reject_reason,
  rejectOutcome: l.reject_outcome,
  convertedAt: iso(l.converted_at),
  createdAt: l.created_at.toISOString(),
  summary: l.summary,
});

const SettingsBody = Type.Object({
  slaMinutes: Type.Integer(),
  reminderMinutes: Type.Integer(),
  escalation: Type.String({ enum: ['reassign', 'notify_manager'] }),
  timezone: Type.String(),
  workingHours: WorkingHoursBody,
  webhookUrl: Nullable(Type.String()),
  webhookSecretSet: Type.Boolean(),
});

type SettingsRow = Awaited<ReturnType<typeof getSettings>>;
const toSettings = (s: SettingsRow) => ({
  slaMinutes: s.sla_minutes,
  reminderMinutes: s.reminder_minutes,
  escalation: s.escalation,
  timezone: s.timezone,
  workingHours: s.working_hours as Record<string, [string, string][]>,
  webhookUrl: s.webhook_url,
  webhookSecretSet: !!s.webhook_secret,
});

const TerritoryInput = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    priority: Type.Integer({ minimum: 0, maximum: 10000, default: 100 }),
    countries: Type.Array(Type.String({ minLength: 2, maxLength: 2 }), { maxItems: 300, default: [] }),
    postcodeRanges: Type.Array(
      Type.Object({
        from: Type.String({ minLength: 1, maxLength: 12 }),
        to: Type.String({ minLength: 1, maxLength: 12 }),
      }),
      { maxItems: 200, default: [] },
    ),
    industries: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 200, default: [] }),
    companySizes: Type.Array(Type.String({ minLength: 1, maxLength: 50 }), { maxItems: 50, default: [] }),
    userIds: Type.Array(Id, { maxItems: 500, default: [] }),
  },
  { additionalProperties: false },
);

/** The sales hand-off: inbox, accept/reject/convert, reassignment, reps, territories, SLA settings, notifications. */
export function registerSalesRoutes(app: FastifyInstance, deps: AppDeps, wiring: SalesWiring): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['sales'];

  r.get(
    '/api/v1/sales/leads',
    {
      config: { permission: 'sales:read' },
      schema: {
        tags,
        summary: 'The sales inbox: my leads, the unassigned queue or all leads (managers)',
        querystring: Type.Object({
          view: Type.String({ enum: ['mine', 'unassigned', 'all'], default: 'mine' }),
          status: Type.Optional(Type.String({ enum: STATUSES })),
          limit: Type.Integer({ minimum: 1, maximum: 200, default: 100 }),
        }),
        response: { 200: Type.Object({ items: Type.Array(LeadBody), manager: Type.Boolean() }) },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const auth = authOf(request);
      const q = request.query;
      const rows = await listLeads(deps.db, ws, auth.userId, {
        view: q.view as 'mine' | 'unassigned' | 'all',
        status: q.status as SalesLeadStatus | undefined,
        limit: q.limit,
      });
      return {
        items: rows.map(toLead),
        manager: auth.userId ? await isManager(deps.db, ws, auth.userId) : true,
      };
    },
  );

  r.get(
    '/api/v1/sales/leads/:id',
    {
      config: { permission: 'sales:read' },
      schema: {
        tags,
        summary: 'One lead with its summary and history',
        params: IdParams,
        response: {
          200: Type.Object({
            lead: Type.Record(Type.String(), Type.Unknown()),
            events: Type.Array(
              Type.Object({
                kind: Type.String(),
                fromUserId: Nullable(Type.String()),
                toUserId: Nullable(Type.String()),
                actor: Type.String(),
                data: Type.Record(Type.String(), Type.Unknown()),
                at: Type.String(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const { lead, events } = await getLead(
        deps.db,
        workspaceOf(request),
        authOf(request).userId,
        request.params.id,
      );
      return {
        lead: { ...lead },
        events: events.map((e) => ({
          kind: e.kind,
          fromUserId: e.from_user_id,
          toUserId: e.to_user_id,
          actor: e.actor_label,
          data: e.data,
          at: e.created_at.toISOString(),
        })),
      };
    },
  );

  r.post(
    '/api/v1/sales/hand-off',
    {
      config: { permission: 'sales:write' },
      schema: {
        tags,
        summary: 'Hand a contact to sales now (routes it like an MQL)',
        body: Type.Object({ contactId: Id }, { additionalProperties: false }),
        response: {
          200: Type.Object({
            leadId: Type.String(),
            created: Type.Boolean(),
            status: Type.String(),
            assignedUserId: Nullable(Type.String()),
          }),
        },
      },
    },
    async (request) => {
      const actor = actorOf(request);
      const cause = actor.userId ? `user:${actor.userId}` : 'api';
      return deps.db.transaction().execute((trx) =>
        handOffToSales(trx, deps, wiring, {
          workspaceId: workspaceOf(request),
          contactId: request.body.contactId,
          cause,
        }),
      );
    },
  );

  const noContent = { 204: Type.Null() };

  r.post(
    '/api/v1/sales/leads/:id/accept',
    {
      config: { permission: 'sales:write' },
      schema: { tags, summary: 'Accept the lead (contact → SAL)', params: IdParams, response: noContent },
    },
    async (request, reply) => {
      await acceptLead(deps.db, deps, wiring, actorOf(request), workspaceOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/api/v1/sales/leads/:id/reject',
    {
      config: { permission: 'sales:write' },
      schema: {
        tags,
        summary: 'Reject the lead with a reason: back to nurturing (recycled) or disqualified',
        params: IdParams,
        body: Type.Object(
          {
            reason: Type.String({ enum: REJECT_REASONS }),
            note: Type.Optional(Type.String({ maxLength: 2000 })),
            outcome: Type.String({ enum: ['recycled', 'disqualified'] }),
          },
          { additionalProperties: false },
        ),
        response: noContent,
      },
    },
    async (request, reply) => {
      const b = request.body;
      await rejectLead(deps.db, deps, wiring, actorOf(request), workspaceOf(request), request.params.id, {
        reason: b.reason as RejectReason,
        note: b.note,
        outcome: b.outcome as 'recycled' | 'disqualified',
      });
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/api/v1/sales/leads/:id/convert',
    {
      config: { permission: 'sales:write' },
      schema: {
        tags,
        summary: 'Convert an accepted, qualified lead into an opportunity (note required if not yet SQL)',
        params: IdParams,
        body: Type.Object(
          { note: Type.Optional(Type.String({ maxLength: 2000 })) },
          { additionalProperties: false },
        ),
        response: noContent,
      },
    },
    async (request, reply) => {
      await convertLead(
        deps.db,
        deps,
        wiring,
        actorOf(request),
        workspaceOf(request),
        request.params.id,
        request.body,
      );
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/api/v1/sales/leads/:id/assign',
    {
      config: { permission: 'sales:write' },
      schema: {
        tags,
        summary: 'Assign or reassign the lead by hand (managers; audited)',
        params: IdParams,
        body: Type.Object(
          { userId: Id, note: Type.Optional(Type.String({ maxLength: 2000 })) },
          { additionalProperties: false },
        ),
        response: noContent,
      },
    },
    async (request, reply) => {
      await reassignLead(
        deps.db,
        deps,
        actorOf(request),
        workspaceOf(request),
        request.params.id,
        request.body,
      );
      return reply.code(204).send(null);
    },
  );

  r.get(
    '/api/v1/sales/reports/reject-reasons',
    {
      config: { permission: 'sales:read' },
      schema: {
        tags,
        summary: 'Rejected leads by reason and outcome',
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                reason: Nullable(Type.String()),
                outcome: Nullable(Type.String()),
                count: Type.Integer(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => ({ items: await rejectReasonReport(deps.db, workspaceOf(request)) }),
  );

  const RepBody = Type.Object({
    userId: Type.String(),
    name: Type.String(),
    email: Type.String(),
    role: Type.String(),
    rep: Type.Union([
      Type.Object({
        active: Type.Boolean(),
        isManager: Type.Boolean(),
        weight: Type.Integer(),
        capacity: Type.Union([Type.Integer(), Type.Null()]),
        timezone: Type.String(),
        workingHours: WorkingHoursBody,
        openLeads: Type.Integer(),
        absences: Type.Array(
          Type.Object({
            id: Type.String(),
            startsAt: Type.String(),
            endsAt: Type.String(),
            note: Nullable(Type.String()),
          }),
        ),
      }),
      Type.Null(),
    ]),
  });

  r.get(
    '/api/v1/sales/reps',
    {
      config: { permission: 'sales:read' },
      schema: {
        tags,
        summary: 'Members with their rep settings (capacity, weight, availability)',
        response: { 200: Type.Object({ items: Type.Array(RepBody), manager: Type.Boolean() }) },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const rows = await listReps(deps.db, ws, deps.clock.now());
      const userId = authOf(request).userId;
      return {
        manager: userId ? await isManager(deps.db, ws, userId) : true,
        items: rows.map((m) => ({
          userId: m.user_id,
          name: m.name,
          email: m.email,
          role: m.role,
          rep:
            m.active === null
              ? null
              : {
                  active: !!m.active,
                  isManager: !!m.is_manager,
                  weight: m.weight ?? 1,
                  capacity: m.capacity,
                  timezone: m.timezone ?? 'Europe/Berlin',
                  workingHours: (m.working_hours ?? {}) as Record<string, [string, string][]>,
                  openLeads: m.open_leads,
                  absences: m.absences.map((a) => ({
                    id: a.id,
                    startsAt: a.starts_at.toISOString(),
                    endsAt: a.ends_at.toISOString(),
                    note: a.note,
                  })),
                },
        })),
      };
    },
  );

  r.put(
    '/api/v1/sales/reps/:id',
    {
      config: { permission: 'sales:write' },
      schema: {
        tags,
        summary: 'Set up or change a sales rep (managers)',
        params: IdParams,
        body: Type.Object(
          {
            active: Type.Boolean(),
            isManager: Type.Boolean({ default: false }),
            weight: Type.Integer({ minimum: 1, maximum: 100 }),
            capacity: Type.Union([Type.Null(), Type.Integer({ minimum: 0, maximum: 100000 })]),
            timezone: Type.String({ minLength: 1, maxLength: 64 }),
            workingHours: WorkingHoursBody,
          },
          { additionalProperties: false },
        ),
        response: noContent,
      },
    },
    async (request, reply) => {
      const b = request.body;
      await upsertRep(deps.db, actorOf(request), workspaceOf(request), request.params.id, {
        ...b,
        workingHours: b.workingHours as WorkingHours,
      });
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/api/v1/sales/reps/:id/absences',
    {
      config: { permission: 'sales:write' },
      schema: {
        tags,
        summary: 'Add a vacation or other absence (own, or anyone as manager)',
        params: IdParams,
        body: Type.Object(
          {
            startsAt: Type.String({ format: 'date-time' }),
            endsAt: Type.String({ format: 'date-time' }),
            note: Type.Optional(Type.String({ maxLength: 500 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ id: Type.String() }) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const id = await addAbsence(deps.db, actorOf(request), workspaceOf(request), request.params.id, {
        startsAt: new Date(b.startsAt),
        endsAt: new Date(b.endsAt),
        note: b.note,
      });
      return reply.code(201).send({ id });
    },
  );

  r.delete(
    '/api/v1/sales/reps/:id/absences/:absenceId',
    {
      config: { permission: 'sales:write' },
      schema: {
        tags,
        summary: 'Remove an absence',
        params: Type.Object({ id: Id, absenceId: Id }),
        response: noContent,
      },
    },
    async (request, reply) => {
      await removeAbsence(
        deps.db,
        actorOf(request),
        workspaceOf(request),
        request.params.id,
        request.params.absenceId,
      );
      return reply.code(204).send(null);
    },
  );

  const TerritoryBody = Type.Object({
    id: Type.String(),
    name: Type.String(),
    priority: Type.Integer(),
    countries: Type.Array(Type.String()),
    postcodeRanges: Type.Array(Type.Object({ from: Type.String(), to: Type.String() })),
    industries: Type.Array(Type.String()),
    companySizes: Type.Array(Type.String()),
    userIds: Type.Array(Type.String()),
  });

  r.get(
    '/api/v1/sales/territories',
    {
      config: { permission: 'sales:read' },
      schema: {
        tags,
        summary: 'Territories in the order routing tries them',
        response: { 200: Type.Object({ items: Type.Array(TerritoryBody) }) },
      },
    },
    async (request) => ({ items: await listTerritoriesFor(deps.db, workspaceOf(request)) }),
  );

  r.post(
    '/api/v1/sales/territories',
    {
      config: { permission: 'sales:write' },
      schema: {
        tags,
        summary: 'Create a territory (managers)',
        body: TerritoryInput,
        response: { 201: Type.Object({ id: Type.String() }) },
      },
    },
    async (request, reply) => {
      const id = await saveTerritory(deps.db, actorOf(request), workspaceOf(request), null, request.body);
      return reply.code(201).send({ id });
    },
  );

  r.put(
    '/api/v1/sales/territories/:id',
    {
      config: { permission: 'sales:write' },
      schema: {
        tags,
        summary: 'Change a territory (managers)',
        params: IdParams,
        body: TerritoryInput,
        response: noContent,
      },
    },
    async (request, reply) => {
      await saveTerritory(deps.db, actorOf(request), workspaceOf(request), request.params.id, request.body);
      return reply.code(204).send(null);
    },
  );

  r.delete(
    '/api/v1/sales/territories/:id',
    {
      config: { permission: 'sales:write' },
      schema: { tags, summary: 'Delete a territory (managers)', params: IdParams, response: noContent },
    },
    async (request, reply) => {
      await deleteTerritory(deps.db, actorOf(request), workspaceOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  r.get(
    '/api/v1/sales/settings',
    {
      config: { permission: 'sales:read' },
      schema: {
        tags,
        summary: 'SLA, working hours and webhook of the workspace',
        response: { 200: SettingsBody },
      },
    },
    async (request) => toSettings(await getSettings(deps.db, workspaceOf(request))),
  );

  r.put(
    '/api/v1/sales/settings',
    {
      config: { permission: 'sales:write' },
      schema: {
        tags,
        summary: 'Change SLA, working hours and webhook (managers)',
        body: Type.Object(
          {
            slaMinutes: Type.Optional(Type.Integer({ minimum: 5, maximum: 100000 })),
            reminderMinutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000 })),
            escalation: Type.Optional(Type.String({ enum: ['reassign', 'notify_manager'] })),
            timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            workingHours: Type.Optional(WorkingHoursBody),
            webhookUrl: Type.Optional(Nullable(Type.String({ maxLength: 2000 }))),
          },
          { additionalProperties: false },
        ),
        response: { 200: SettingsBody },
      },
    },
    async (request) => {
      const b = request.body;
      const s = await updateSettings(
        deps.db,
        actorOf(request),
        workspaceOf(request),
        {
          ...b,
          escalation: b.escalation as 'reassign' | 'notify_manager' | undefined,
          workingHours: b.workingHours as WorkingHours | undefined,
        },
        { allowPrivateWebhook: deps.config.webhookAllowPrivate },
      );
      return toSettings(s);
    },
  );

  r.post(
    '/api/v1/sales/settings/webhook-secret',
    {
      config: { permission: 'sales:write' },
      schema: {
        tags,
        summary: 'Create a new webhook signing secret (shown once; managers)',
        response: { 200: Type.Object({ secret: Type.String() }) },
      },
    },
    async (request) => ({
      secret: await rotateWebhookSecret(deps.db, actorOf(request), workspaceOf(request)),
    }),
  );

  r.get(
    '/api/v1/notifications',
    {
      config: { permission: 'workspace:read' },
      schema: {
        tags: ['notifications'],
        summary: 'My in-app notifications, newest first',
        querystring: Type.Object({ limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }) }),
        response: {
          200: Type.Object({
            unread: Type.Integer(),
            items: Type.Array(
              Type.Object({
                id: Type.String(),
                kind: Type.String(),
                data: Type.Record(Type.String(), Type.Unknown()),
                readAt: Nullable(Type.String()),
                createdAt: Type.String(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const userId = authOf(request).userId;
      if (!userId) return { unread: 0, items: [] };
      const { items, unread } = await listNotifications(
        deps.db,
        workspaceOf(request),
        userId,
        request.query.limit,
      );
      return {
        unread,
        items: items.map((n) => ({
          id: n.id,
          kind: n.kind,
          data: n.data,
          readAt: iso(n.read_at),
          createdAt: n.created_at.toISOString(),
        })),
      };
    },
  );

  r.post(
    '/api/v1/notifications/read',
    {
      config: { permission: 'workspace:read' },
      schema: {
        tags: ['notifications'],
        summary: 'Mark one notification (or all, without id) as read',
        body: Type.Object({ id: Type.Optional(Id) }, { additionalProperties: false }),
        response: noContent,
      },
    },
    async (request, reply) => {
      const userId = authOf(request).userId;
      if (userId) {
        await markNotificationsRead(
          deps.db,
          workspaceOf(request),
          userId,
          request.body.id ?? null,
          deps.clock.now(),
        );
      }
      return reply.code(204).send(null);
    },
  );
}
