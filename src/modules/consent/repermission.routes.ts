import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { actorOf, workspaceOf } from '../../shared/http/auth.js';
import type { AppDeps } from '../../shared/module.js';
import { REPERMISSION_MAX_CONTACTS, requestRepermission } from './repermission.service.js';
import type { ConsentWiring } from './wiring.js';

/*
 *   POST /api/v1/consent/repermission   mail:write   ask a segment or contacts to confirm (dryRun: count only)
 */

const Count = Type.Integer({ minimum: 0 });

export function registerRepermissionRoutes(app: FastifyInstance, deps: AppDeps, wiring: ConsentWiring): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  r.post(
    '/api/v1/consent/repermission',
    {
      config: { permission: 'mail:write' },
      schema: {
        tags: ['consent'],
        summary:
          'Send an ad-free re-permission request to a segment or a list of contacts: those without a (fresh enough) confirmed consent, never suppressed or withdrawn ones; dryRun only counts',
        body: Type.Object(
          {
            segmentId: Type.Optional(Type.String({ format: 'uuid' })),
            contactIds: Type.Optional(
              Type.Array(Type.String({ format: 'uuid' }), { maxItems: REPERMISSION_MAX_CONTACTS + 1 }),
            ),
            purposes: Type.Optional(
              Type.Array(Type.String({ maxLength: 80 }), { minItems: 1, maxItems: 20 }),
            ),
            freshnessDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 36_500 })),
            dryRun: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            selected: Count,
            eligible: Count,
            queued: Count,
            wouldQueue: Count,
            skipped: Type.Object({
              'not-found': Count,
              suppressed: Count,
              withdrawn: Count,
              confirmed: Count,
              'recently-asked': Count,
              'rate-limited': Count,
            }),
          }),
        },
      },
    },
    async (request) => {
      const body = request.body;
      return requestRepermission(deps, wiring, actorOf(request), {
        workspaceId: workspaceOf(request),
        purposes: body.purposes ?? ['newsletter'],
        segmentId: body.segmentId,
        contactIds: body.contactIds,
        freshnessDays: body.freshnessDays,
        dryRun: body.dryRun,
      });
    },
  );
}
