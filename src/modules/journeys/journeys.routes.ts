import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../shared/errors.js';
import { actorOf, workspaceOf } from '../../shared/http/auth.js';
import type { AppDeps } from '../../shared/module.js';
import { findVersion, type JourneyRow, listJourneys, OPEN_STATUSES } from './journeys.repository.js';
import {
  activateJourney,
  addContactsToJourney,
  archiveJourney,
  createJourney,
  getJourneyStats,
  pauseJourney,
  publishJourney,
  resumeJourney,
  simulateForContact,
  updateJourneyDraft,
} from './journeys.service.js';

/*
 * The admin API of journeys. Route table (permission per route):
 *   GET    /api/v1/journeys                       journeys:read   list
 *   POST   /api/v1/journeys                       journeys:write  create a draft
 *   GET    /api/v1/journeys/:id                   journeys:read   journey, draft, live definition
 *   PATCH  /api/v1/journeys/:id                   journeys:write  save name / draft
 *   POST   /api/v1/journeys/:id/publish           journeys:write  draft → next version (moveContacts for removed steps)
 *   POST   /api/v1/journeys/:id/activate          journeys:write  start (publishes a first version)
 *   POST   /api/v1/journeys/:id/pause             journeys:write
 *   POST   /api/v1/journeys/:id/resume            journeys:write
 *   POST   /api/v1/journeys/:id/archive           journeys:write  stop for good, contacts inside exit
 *   POST   /api/v1/journeys/:id/contacts          journeys:write  add contacts by hand / API
 *   GET    /api/v1/journeys/:id/stats             journeys:read   per-step counters and conversion
 *   GET    /api/v1/journeys/:id/enrollments       journeys:read   where each contact is (newest first; ?stepId: who is at that step now)
 *   POST   /api/v1/journeys/:id/simulate          journeys:read   test contact + simulated clock
 */

const Id = Type.Object({ id: Type.String({ format: 'uuid' }) });
const Status = Type.Union(['draft', 'active', 'paused', 'archived'].map((s) => Type.Literal(s)));
const JourneyBody = Type.Object({
  id: Type.String(),
  name: Type.String(),
  status: Status,
  liveVersion: Type.Union([Type.Integer(), Type.Null()]),
  triggerType: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

function toBody(j: JourneyRow) {
  return {
    id: j.id,
    name: j.name,
    status: j.status,
    liveVersion: j.live_version,
    triggerType: j.trigger_type,
    createdAt: j.created_at.toISOString(),
    updatedAt: j.updated_at.toISOString(),
  };
}

export function registerJourneyRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const one = { 200: Type.Object({ journey: JourneyBody }) };

  r.get(
    '/api/v1/journeys',
    {
      config: { permission: 'journeys:read' },
      schema: {
        tags: ['journeys'],
        summary: 'Journeys',
        response: { 200: Type.Object({ items: Type.Array(JourneyBody) }) },
      },
    },
    async (request) => ({ items: (await listJourneys(deps.db, workspaceOf(request))).map(toBody) }),
  );

  r.post(
    '/api/v1/journeys',
    {
      config: { permission: 'journeys:write' },
      schema: {
        tags: ['journeys'],
        summary: 'Create a draft journey',
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 200 }), definition: Type.Optional(Type.Unknown()) },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ journey: JourneyBody }) },
      },
    },
    async (request, reply) => {
      const j = await createJourney(deps, actorOf(request), workspaceOf(request), request.body);
      return reply.code(201).send({ journey: toBody(j) });
    },
  );

  r.get(
    '/api/v1/journeys/:id',
    {
      config: { permission: 'journeys:read' },
      schema: {
        tags: ['journeys'],
        summary: 'A journey with its draft and its live definition',
        params: Id,
        response: {
          200: Type.Object({
            journey: JourneyBody,
            draft: Type.Unknown(),
            live: Type.Union([Type.Unknown(), Type.Null()]),
          }),
        },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const j = (await listJourneys(deps.db, ws)).find((x) => x.id === request.params.id);
      if (!j) throw new AppError('JOURNEY_NOT_FOUND');
      const live =
        j.live_version === null ? null : ((await findVersion(deps.db, ws, j.id, j.live_version)) ?? null);
      return { journey: toBody(j), draft: j.draft, live };
    },
  );

  r.patch(
    '/api/v1/journeys/:id',
    {
      config: { permission: 'journeys:write' },
      schema: {
        tags: ['journeys'],
        summary: 'Save the draft (and the name)',
        params: Id,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            definition: Type.Optional(Type.Unknown()),
          },
          { additionalProperties: false },
        ),
        response: one,
      },
    },
    async (request) => ({
      journey: toBody(
        await updateJourneyDraft(
          deps,
          actorOf(request),
          workspaceOf(request),
          request.params.id,
          request.body,
        ),
      ),
    }),
  );

  r.post(
    '/api/v1/journeys/:id/publish',
    {
      config: { permission: 'journeys:write' },
      schema: {
        tags: ['journeys'],
        summary: 'Publish the draft as the next version; contacts in removed steps move as mapped',
        params: Id,
        body: Type.Optional(
          Type.Object(
            {
              moveContacts: Type.Optional(
                Type.Record(Type.String({ maxLength: 40 }), Type.String({ maxLength: 40 })),
              ),
            },
            { additionalProperties: false },
          ),
        ),
        response: one,
      },
    },
    async (request) => ({
      journey: toBody(
        await publishJourney(deps, actorOf(request), workspaceOf(request), request.params.id, {
          moveContacts: request.body?.moveContacts,
        }),
      ),
    }),
  );

  const transitions = {
    activate: activateJourney,
    pause: pauseJourney,
    resume: resumeJourney,
    archive: archiveJourney,
  };
  for (const [verb, fn] of Object.entries(transitions)) {
    r.post(
      `/api/v1/journeys/:id/${verb}`,
      {
        config: { permission: 'journeys:write' },
        schema: {
          tags: ['journeys'],
          summary: `${verb[0]!.toUpperCase()}${verb.slice(1)} the journey`,
          params: Id,
          response: one,
        },
      },
      async (request) => ({
        journey: toBody(await fn(deps, actorOf(request), workspaceOf(request), request.params.id)),
      }),
    );
  }

  r.post(
    '/api/v1/journeys/:id/contacts',
    {
      config: { permission: 'journeys:write' },
      schema: {
        tags: ['journeys'],
        summary: 'Add contacts to an active journey (re-entry policy applies)',
        params: Id,
        body: Type.Object(
          { contactIds: Type.Array(Type.String({ format: 'uuid' }), { minItems: 1, maxItems: 1000 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ entered: Type.Integer() }) },
      },
    },
    async (request) =>
      addContactsToJourney(
        deps,
        actorOf(request),
        workspaceOf(request),
        request.params.id,
        request.body.contactIds,
      ),
  );

  const Counter = Type.Object({
    stepId: Type.String(),
    entered: Type.Integer(),
    completed: Type.Integer(),
    waiting: Type.Integer(),
    active: Type.Integer(),
    exited: Type.Integer(),
    goal: Type.Integer(),
    conversion: Type.Union([Type.Number(), Type.Null()]),
  });
  r.get(
    '/api/v1/journeys/:id/stats',
    {
      config: { permission: 'journeys:read' },
      schema: {
        tags: ['journeys'],
        summary: 'Per-step numbers: entered, completed, waiting, exited, goal reached; conversion',
        params: Id,
        response: {
          200: Type.Object({
            totals: Type.Object({
              entered: Type.Integer(),
              inside: Type.Integer(),
              completed: Type.Integer(),
              exited: Type.Integer(),
              goal: Type.Integer(),
            }),
            steps: Type.Array(Counter),
          }),
        },
      },
    },
    async (request) => getJourneyStats(deps, workspaceOf(request), request.params.id),
  );

  r.get(
    '/api/v1/journeys/:id/enrollments',
    {
      config: { permission: 'journeys:read' },
      schema: {
        tags: ['journeys'],
        summary: 'Contacts in the journey and where they are',
        params: Id,
        querystring: Type.Object({
          status: Type.Optional(Type.String({ maxLength: 20 })),
          /** Who is at this step now (open enrollments, active or waiting; with `status`, that one). */
          stepId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
        }),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                id: Type.String(),
                contactId: Type.String(),
                email: Type.String(),
                status: Type.String(),
                stepId: Type.Union([Type.String(), Type.Null()]),
                version: Type.Integer(),
                enteredAt: Type.String(),
                waitUntil: Type.Union([Type.String(), Type.Null()]),
                exitReason: Type.Union([Type.String(), Type.Null()]),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      let q = deps.db
        .selectFrom('journey_enrollments as e')
        .innerJoin('contacts as c', (j) =>
          j.onRef('c.id', '=', 'e.contact_id').onRef('c.workspace_id', '=', 'e.workspace_id'),
        )
        .select([
          'e.id',
          'e.contact_id',
          'c.email',
          'e.status',
          'e.step_id',
          'e.version',
          'e.entered_at',
          'e.wait_until',
          'e.exit_reason',
        ])
        .where('e.workspace_id', '=', ws)
        .where('e.journey_id', '=', request.params.id);
      if (request.query.status) q = q.where('e.status', '=', request.query.status as 'active');
      if (request.query.stepId) {
        q = q.where('e.step_id', '=', request.query.stepId);
        if (!request.query.status) q = q.where('e.status', 'in', [...OPEN_STATUSES]);
      }
      const rows = await q.orderBy('e.entered_at', 'desc').limit(200).execute();
      return {
        items: rows.map((e) => ({
          id: e.id,
          contactId: e.contact_id,
          email: e.email,
          status: e.status,
          stepId: e.step_id,
          version: e.version,
          enteredAt: e.entered_at.toISOString(),
          waitUntil: e.wait_until?.toISOString() ?? null,
          exitReason: e.exit_reason,
        })),
      };
    },
  );

  r.post(
    '/api/v1/journeys/:id/simulate',
    {
      config: { permission: 'journeys:read' },
      schema: {
        tags: ['journeys'],
        summary: 'Test with a test contact and a simulated clock; nothing is sent',
        params: Id,
        body: Type.Object(
          {
            contactId: Type.String({ format: 'uuid' }),
            days: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })),
            version: Type.Optional(Type.Integer({ minimum: 1 })),
            activities: Type.Optional(
              Type.Array(
                Type.Object({
                  afterHours: Type.Number({ minimum: 0, maximum: 8760 }),
                  type: Type.String({ pattern: '^[a-z][a-z0-9-]*\\.[a-z][a-z0-9-]*$' }),
                  ref: Type.Optional(Type.String({ maxLength: 200 })),
                }),
                { maxItems: 50 },
              ),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            outcome: Type.String(),
            finalStepId: Type.Union([Type.String(), Type.Null()]),
            entries: Type.Array(
              Type.Object({
                at: Type.String(),
                stepId: Type.Union([Type.String(), Type.Null()]),
                kind: Type.String(),
                detail: Type.Record(Type.String(), Type.Unknown()),
              }),
            ),
          }),
        },
      },
    },
    async (request) =>
      simulateForContact(deps, workspaceOf(request), request.params.id, {
        contactId: request.body.contactId,
        days: request.body.days ?? 30,
        version: request.body.version,
        activities: request.body.activities,
      }),
  );
}
