import type { Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../shared/errors.js';
import { actorOf, authOf, workspaceOf } from '../../shared/http/auth.js';
import type { AppDeps } from '../../shared/module.js';
import { SelectionBody, selectionOf } from './contacts.routes.js';
import type { ContactSelection } from './contacts-query.js';
import { createExportToken, prepareExport, redeemExportToken, streamExport } from './export.service.js';

/*
 *   GET  /api/v1/contacts/export.csv     contacts:read   a list or segment as CSV (API clients)
 *   POST /api/v1/contacts/bulk/export    contacts:read   a selection as CSV (API clients)
 *   POST /api/v1/contacts/export-tokens  contacts:read   a single-use token for the selection → download URL
 *   GET  /api/v1/contacts/export         user session    ?token=… streams the CSV as a download (admin UI)
 */

const tags = ['contacts'];
const Columns = Type.Optional(Type.String({ maxLength: 2000 }));

function sendCsv(reply: FastifyReply, stream: Readable) {
  reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', 'attachment; filename="contacts.csv"')
    .header('cache-control', 'no-store');
  return reply.send(stream);
}

/** The direct export of API clients: checked, audited and streamed in this request. */
async function exportNow(
  deps: AppDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  columns: string | undefined,
  selection: ContactSelection,
) {
  const ws = workspaceOf(request);
  const prepared = await prepareExport(deps.db, deps.clock.now(), ws, columns, selection);
  return sendCsv(reply, await streamExport(deps.db, actorOf(request), ws, prepared, selection, 'request'));
}

function parseFilter(raw: string | undefined): unknown {
  if (!raw) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    throw new AppError('VALIDATION_FAILED', { fields: [{ field: 'filter', message: 'not JSON' }] });
  }
}

export function registerExportRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/api/v1/contacts/export.csv',
    {
      config: { permission: 'contacts:read' },
      schema: {
        tags,
        summary: 'Export a list or segment as CSV with chosen columns (spreadsheet formulas escaped)',
        querystring: Type.Object({
          columns: Columns,
          q: Type.Optional(Type.String({ maxLength: 200 })),
          filter: Type.Optional(Type.String({ maxLength: 20000 })),
          segmentId: Type.Optional(Type.String({ format: 'uuid' })),
        }),
      },
    },
    async (request, reply) =>
      exportNow(deps, request, reply, request.query.columns, {
        q: request.query.q,
        filter: parseFilter(request.query.filter),
        segmentId: request.query.segmentId,
      }),
  );

  r.post(
    '/api/v1/contacts/bulk/export',
    {
      config: { permission: 'contacts:read' },
      schema: {
        tags,
        summary: 'Export a selection (hand-picked ids, filter, search or segment) as CSV with chosen columns',
        body: Type.Object({ selection: SelectionBody, columns: Columns }, { additionalProperties: false }),
      },
    },
    async (request, reply) =>
      exportNow(deps, request, reply, request.body.columns, selectionOf(request.body.selection)),
  );

  r.post(
    '/api/v1/contacts/export-tokens',
    {
      config: { permission: 'contacts:read' },
      schema: {
        tags,
        summary:
          'Prepare a download: checks the selection and columns and returns a single-use URL (valid 2 minutes, for the same user) that streams the CSV as a file',
        body: Type.Object({ selection: SelectionBody, columns: Columns }, { additionalProperties: false }),
        response: {
          201: Type.Object({
            url: Type.String(),
            expiresAt: Type.String({ format: 'date-time' }),
          }),
        },
      },
    },
    async (request, reply) => {
      const { token, expiresAt } = await createExportToken(deps.db, deps.clock, {
        workspaceId: workspaceOf(request),
        userId: authOf(request).userId,
        columns: request.body.columns,
        // Like GET export.csv, an empty selection means every contact of the workspace.
        selection: { ...request.body.selection },
      });
      return reply.code(201).send({
        url: `/api/v1/contacts/export?token=${encodeURIComponent(token)}`,
        expiresAt: expiresAt.toISOString(),
      });
    },
  );

  r.get(
    '/api/v1/contacts/export',
    {
      // A browser navigation carries the session cookie but not the workspace header: the token
      // names the workspace, and the service checks the user's role there.
      config: { auth: 'user' },
      schema: {
        tags,
        summary: 'Download the CSV prepared by POST /contacts/export-tokens (once, by the same user)',
        querystring: Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }) }),
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      const header = request.headers['x-workspace-id'];
      const stream = await redeemExportToken(deps.db, deps.clock, actorOf(request), {
        token: request.query.token,
        userId: auth.userId!,
        isSuperadmin: auth.isSuperadmin,
        workspaceId: typeof header === 'string' && header !== '' ? header : undefined,
      });
      return sendCsv(reply, stream);
    },
  );
}
