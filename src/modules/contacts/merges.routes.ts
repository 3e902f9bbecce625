import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ContactMerge } from '../../shared/db/schema.js';
import { AppError } from '../../shared/errors.js';
import { actorOf, workspaceOf } from '../../shared/http/auth.js';
import type { AppDeps } from '../../shared/module.js';
import { findContactById } from './contacts.repository.js';
import { ContactBody, toContactBody } from './contacts.routes.js';
import {
  dismissDuplicate,
  listDuplicatePairs,
  listMerges,
  mergeContacts,
  previewMerge,
  undoMerge,
} from './merge.service.js';

/* Dedupe and merge of contacts: proposals, dismissals, preview, merge, undo (see merge.service.ts). */

const uuid = Type.String({ format: 'uuid' });
const Value = Type.Unknown();

const DuplicatePairBody = Type.Object({
  a: ContactBody,
  b: ContactBody,
  reasons: Type.Array(Type.Union([Type.Literal('same_match_key'), Type.Literal('same_name_company')])),
});

const MergeBody = Type.Object({
  id: Type.String(),
  winnerId: Type.String(),
  loserId: Type.String(),
  loserEmail: Type.String(),
  mergedAt: Type.String(),
  mergedBy: Type.Union([Type.String(), Type.Null()]),
  choices: Type.Record(Type.String(), Type.String()),
  movedActivities: Type.Number(),
  undoUntil: Type.String(),
  undoneAt: Type.Union([Type.String(), Type.Null()]),
  /** Whether undo is possible now (not undone, within 30 days). */
  undoable: Type.Boolean(),
});

function toMergeBody(m: ContactMerge, now: Date) {
  const undoUntil = new Date(m.undo_until);
  return {
    id: m.id,
    winnerId: m.winner_id,
    loserId: m.loser_id,
    loserEmail: String((m.loser_before as { email?: string }).email ?? ''),
    mergedAt: new Date(m.merged_at).toISOString(),
    mergedBy: m.merged_by,
    choices: m.choices ?? {},
    movedActivities: m.moved_activities,
    undoUntil: undoUntil.toISOString(),
    undoneAt: m.undone_at ? new Date(m.undone_at).toISOString() : null,
    undoable: !m.undone_at && undoUntil.getTime() >= now.getTime(),
  };
}

function encodePair(a: string, b: string): string {
  return Buffer.from(`${a}|${b}`).toString('base64url');
}
function decodePair(cursor: string): [string, string] {
  const [a, b] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const re = /^[0-9a-f-]{36}$/i;
  if (!a || !b || !re.test(a) || !re.test(b))
    throw new AppError('VALIDATION_FAILED', { fields: [{ field: 'cursor', message: 'invalid cursor' }] });
  return [a, b];
}

export function registerMergeRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['contacts'];

  r.get(
    '/api/v1/contacts/duplicates',
    {
      config: { permission: 'contacts:read' },
      schema: {
        tags,
        summary:
          'Proposed duplicates: same match key, or same name at the same company (never merged by itself)',
        querystring: Type.Object({
          cursor: Type.Optional(Type.String({ maxLength: 200 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
        }),
        response: {
          200: Type.Object({
            items: Type.Array(DuplicatePairBody),
            nextCursor: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const pairs = await listDuplicatePairs(deps.db, workspaceOf(request), {
        after: request.query.cursor ? decodePair(request.query.cursor) : undefined,
        limit: limit + 1,
      });
      const more = pairs.length > limit;
      if (more) pairs.pop();
      const last = pairs[pairs.length - 1];
      return {
        items: pairs.map((p) => ({ a: toContactBody(p.a), b: toContactBody(p.b), reasons: p.reasons })),
        nextCursor: more && last ? encodePair(last.a.id, last.b.id) : null,
      };
    },
  );

  r.get(
    '/api/v1/contacts/:id/duplicates',
    {
      config: { permission: 'contacts:read' },
      schema: {
        tags,
        summary: 'Proposed duplicates of one contact',
        params: Type.Object({ id: uuid }),
        response: { 200: Type.Object({ items: Type.Array(DuplicatePairBody) }) },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const contact = await findContactById(deps.db, ws, request.params.id);
      if (!contact) throw new AppError('NOT_FOUND');
      const pairs = await listDuplicatePairs(deps.db, ws, { contactId: contact.id, limit: 50 });
      return {
        items: pairs.map((p) => ({ a: toContactBody(p.a), b: toContactBody(p.b), reasons: p.reasons })),
      };
    },
  );

  r.post(
    '/api/v1/contacts/duplicates/dismiss',
    {
      config: { permission: 'contacts:write' },
      schema: {
        tags,
        summary: 'These two are different people: stop proposing the pair',
        body: Type.Object({ contactIds: Type.Tuple([uuid, uuid]) }, { additionalProperties: false }),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      await dismissDuplicate(deps.db, actorOf(request), workspaceOf(request), request.body.contactIds);
      return reply.code(204).send(null);
    },
  );

  const Pair = { winnerId: uuid, loserId: uuid };

  r.post(
    '/api/v1/contacts/merge/preview',
    {
      config: { permission: 'contacts:read' },
      schema: {
        tags,
        summary:
          'Preview a merge field by field: both values and the proposal; consents stay with their address',
        body: Type.Object(Pair, { additionalProperties: false }),
        response: {
          200: Type.Object({
            winner: ContactBody,
            loser: ContactBody,
            fields: Type.Array(
              Type.Object({
                field: Type.String({ description: '`firstName` …, `tags`, or `customFields.<key>`' }),
                winner: Value,
                loser: Value,
                proposed: Type.Union([Type.Literal('winner'), Type.Literal('loser'), Type.Literal('both')]),
                differs: Type.Boolean(),
              }),
            ),
            consents: Type.Array(
              Type.Object({
                purpose: Type.String(),
                winner: Type.Union([Type.String(), Type.Null()]),
                loser: Type.Union([Type.String(), Type.Null()]),
              }),
            ),
            activities: Type.Object({ winner: Type.Number(), loser: Type.Number() }),
            segmentMemberships: Type.Number(),
            token: Type.String({ description: 'Send it with the merge' }),
          }),
        },
      },
    },
    async (request) => {
      const p = await previewMerge(
        deps.db,
        workspaceOf(request),
        request.body.winnerId,
        request.body.loserId,
      );
      return { ...p, winner: toContactBody(p.winner), loser: toContactBody(p.loser) };
    },
  );

  r.post(
    '/api/v1/contacts/merge',
    {
      config: { permission: 'contacts:write' },
      schema: {
        tags,
        summary: 'Merge loserId into winnerId with the chosen values (reversible for 30 days; audited)',
        body: Type.Object(
          {
            ...Pair,
            token: Type.String({ maxLength: 100, description: 'From the preview' }),
            choices: Type.Optional(
              Type.Record(
                Type.String({ maxLength: 100 }),
                Type.Union([Type.Literal('winner'), Type.Literal('loser'), Type.Literal('both')]),
              ),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ contact: ContactBody, merge: MergeBody }) },
      },
    },
    async (request) => {
      const { merge, contact } = await mergeContacts(
        deps.db,
        deps.clock,
        actorOf(request),
        workspaceOf(request),
        request.body,
      );
      return { contact: toContactBody(contact), merge: toMergeBody(merge, deps.clock.now()) };
    },
  );

  r.get(
    '/api/v1/contacts/merges',
    {
      config: { permission: 'contacts:read' },
      schema: {
        tags,
        summary: 'Recent merges (newest first), optionally of one contact',
        querystring: Type.Object({
          contactId: Type.Optional(uuid),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
        }),
        response: { 200: Type.Object({ items: Type.Array(MergeBody) }) },
      },
    },
    async (request) => {
      const merges = await listMerges(deps.db, workspaceOf(request), {
        contactId: request.query.contactId,
        limit: request.query.limit ?? 50,
      });
      const now = deps.clock.now();
      return { items: merges.map((m) => toMergeBody(m, now)) };
    },
  );

  r.post(
    '/api/v1/contacts/merges/:id/undo',
    {
      config: { permission: 'contacts:write' },
      schema: {
        tags,
        summary: 'Undo a merge (within 30 days): both contacts as they were, with what moved',
        params: Type.Object({ id: uuid }),
        response: {
          200: Type.Object({
            winner: ContactBody,
            loser: ContactBody,
            kept: Type.Array(Type.String(), {
              description: 'Fields changed after the merge, which keep their later value',
            }),
          }),
        },
      },
    },
    async (request) => {
      const r2 = await undoMerge(
        deps.db,
        deps.clock,
        actorOf(request),
        workspaceOf(request),
        request.params.id,
      );
      return { winner: toContactBody(r2.winner), loser: toContactBody(r2.loser), kept: r2.kept };
    },
  );
}
