import { Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../shared/actor.js';
import type { Import } from '../../shared/db/schema.js';
import { AppError, type Locale, localeFromHeader } from '../../shared/errors.js';
import { actorOf, authOf, workspaceOf } from '../../shared/http/auth.js';
import type { AppDeps } from '../../shared/module.js';
import { recordAudit } from '../audit/index.js';
import { listCustomFields } from './custom-fields.js';
import { createDownloadToken, redeemDownloadToken } from './export.service.js';
import { localizeImportText } from './import-messages.js';
import {
  cancelImport,
  confirmImport,
  findImport,
  type ImportJobs,
  type ImportReview,
  ImportSettings,
  type ImportSettingsT,
  importReport,
  PRESETS,
  resumeImport,
  startImport,
  suggestMapping,
  uploadImport,
} from './imports.service.js';

export const MAX_IMPORT_BYTES = 512 * 1_048_576;

const ImportBody = Type.Object({
  id: Type.String(),
  fileName: Type.String(),
  fileSize: Type.Number(),
  status: Type.String(),
  encoding: Type.String(),
  delimiter: Type.String(),
  header: Type.Array(Type.String()),
  preview: Type.Array(Type.Array(Type.String())),
  settings: Type.Record(Type.String(), Type.Unknown()),
  totalRows: Type.Number(),
  errorRows: Type.Number(),
  appliedRows: Type.Number(),
  created: Type.Number(),
  updated: Type.Number(),
  skipped: Type.Number(),
  suppressed: Type.Number(),
  consents: Type.Number(),
  chunks: Type.Number(),
  failure: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  finishedAt: Type.Union([Type.String(), Type.Null()]),
  /** The dry run of an import started with `review: true` (status `staged` until confirmed). */
  review: Type.Union([
    Type.Object({
      rows: Type.Number(),
      create: Type.Number(),
      update: Type.Number(),
      skip: Type.Number(),
      suppressed: Type.Number(),
      rejected: Type.Number(),
      errors: Type.Array(
        Type.Object({
          row: Type.Number(),
          email: Type.Union([Type.String(), Type.Null()]),
          error: Type.String(),
        }),
      ),
    }),
    Type.Null(),
  ]),
});

/** The locale of the import's texts (failure, row errors) for this request: `lang`, else Accept-Language. */
const localeOf = (request: FastifyRequest): Locale => {
  const lang = (request.query as { lang?: unknown } | undefined)?.lang;
  return lang === 'de' || lang === 'en' ? lang : localeFromHeader(request.headers['accept-language']);
};

const toImportBody = (i: Import, locale: Locale) => ({
  id: i.id,
  fileName: i.file_name,
  fileSize: Number(i.file_size),
  status: i.status,
  encoding: i.encoding,
  delimiter: i.delimiter,
  header: i.header,
  preview: i.preview,
  settings: i.settings,
  totalRows: i.total_rows,
  errorRows: i.error_rows,
  appliedRows: i.applied_rows,
  created: i.created_count,
  updated: i.updated_count,
  skipped: i.skipped_count,
  suppressed: i.suppressed_count,
  consents: i.consent_count,
  chunks: i.chunk_count,
  failure: i.failure === null ? null : localizeImportText(i.failure, locale),
  createdAt: i.created_at.toISOString(),
  finishedAt: i.finished_at ? i.finished_at.toISOString() : null,
  review: localizeReview((i.review as unknown as ImportReview | null) ?? null, locale),
});

function localizeReview(review: ImportReview | null, locale: Locale): ImportReview | null {
  if (!review || locale === 'en') return review;
  return {
    ...review,
    errors: review.errors.map((e) => ({ ...e, error: localizeImportText(e.error, locale) })),
  };
}

export function registerImportRoutes(app: FastifyInstance, deps: AppDeps, jobs: ImportJobs): void {
  const tags = ['imports'];
  const idParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

  // Uploads are raw CSV bodies, streamed into the database; the parser lives only in this plugin.
  app.register(async (child) => {
    child.addContentTypeParser(
      [
        'text/csv',
        'application/octet-stream',
        'text/plain',
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      ],
      (_req, payload, done) => done(null, payload),
    );
    child.withTypeProvider<TypeBoxTypeProvider>().post(
      '/api/v1/imports',
      {
        config: { permission: 'contacts:write' },
        bodyLimit: MAX_IMPORT_BYTES,
        schema: {
          tags,
          summary:
            'Upload a CSV file (raw body, text/csv); answers with the guessed encoding, delimiter, header, preview and mapping',
          description:
            'CSV as spreadsheets write it (RFC 4180): a cell in double quotes may hold the delimiter, line breaks and doubled ' +
            'quotes; a quote inside an unquoted cell is kept as a character; empty lines and rows of empty cells are skipped. ' +
            'A line whose quotes are broken (a quoted cell followed by anything but the delimiter, a quote never closed, or a ' +
            'quote closed only lines later with rows in between) is reported in the row report as "unreadable row at line N", ' +
            'and reading goes on at the next line: no other row is lost to it.',
          querystring: Type.Object({
            fileName: Type.Optional(Type.String({ maxLength: 300 })),
            preset: Type.Optional(Type.Union([Type.Literal('hubspot'), Type.Literal('mautic')])),
          }),
          response: {
            201: Type.Object({
              import: ImportBody,
              suggestedMapping: Type.Record(Type.String(), Type.String()),
            }),
          },
        },
      },
      async (request, reply) => {
        const ws = workspaceOf(request);
        const imp = await uploadImport(
          deps.db,
          deps.clock,
          actorOf(request),
          ws,
          request.query.fileName ?? 'upload.csv',
          request.body as Readable,
          MAX_IMPORT_BYTES,
        );
        const defs = await listCustomFields(deps.db, ws, 'contact');
        return reply.code(201).send({
          import: toImportBody(imp, localeOf(request)),
          suggestedMapping: suggestMapping(imp.header, defs, request.query.preset),
        });
      },
    );
  });

  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/api/v1/imports',
    {
      config: { permission: 'contacts:read' },
      schema: {
        tags,
        summary: 'Recent imports',
        response: { 200: Type.Object({ items: Type.Array(ImportBody) }) },
      },
    },
    async (request) => ({
      items: (
        await deps.db
          .selectFrom('imports')
          .selectAll()
          .where('workspace_id', '=', workspaceOf(request))
          .orderBy('created_at', 'desc')
          .limit(50)
          .execute()
      ).map((i) => toImportBody(i, localeOf(request))),
    }),
  );

  r.get(
    '/api/v1/imports/presets',
    {
      config: { permission: 'contacts:read' },
      schema: {
        tags,
        summary: 'Column presets for HubSpot and Mautic exports',
        response: { 200: Type.Record(Type.String(), Type.Record(Type.String(), Type.String())) },
      },
    },
    async () => PRESETS,
  );

  r.get(
    '/api/v1/imports/:id',
    {
      config: { permission: 'contacts:read' },
      schema: {
        tags,
        summary: 'An import and its progress',
        params: idParams,
        response: { 200: Type.Object({ import: ImportBody }) },
      },
    },
    async (request) => {
      const imp = await findImport(deps.db, workspaceOf(request), request.params.id);
      if (!imp) throw new AppError('NOT_FOUND');
      return { import: toImportBody(imp, localeOf(request)) };
    },
  );

  r.post(
    '/api/v1/imports/:id/start',
    {
      config: { permission: 'contacts:write' },
      schema: {
        tags,
        summary: 'Start an uploaded import with a mapping and modes',
        params: idParams,
        body: ImportSettings,
        response: { 200: Type.Object({ import: ImportBody }) },
      },
    },
    async (request) => ({
      import: toImportBody(
        await startImport(
          deps.db,
          deps.clock,
          deps.queue,
          jobs,
          actorOf(request),
          workspaceOf(request),
          request.params.id,
          request.body as ImportSettingsT,
        ),
        localeOf(request),
      ),
    }),
  );

  r.post(
    '/api/v1/imports/:id/confirm',
    {
      config: { permission: 'contacts:write' },
      schema: {
        tags,
        summary: 'Apply a reviewed import (after its dry run), optionally with another mode',
        params: idParams,
        body: Type.Object(
          {
            existing: Type.Optional(
              Type.Union([Type.Literal('skip'), Type.Literal('update'), Type.Literal('fill_empty')]),
            ),
            mode: Type.Optional(Type.Union([Type.Literal('all_or_nothing'), Type.Literal('valid_rows')])),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ import: ImportBody }) },
      },
    },
    async (request) => ({
      import: toImportBody(
        await confirmImport(
          deps.db,
          deps.clock,
          deps.queue,
          jobs,
          actorOf(request),
          workspaceOf(request),
          request.params.id,
          request.body,
        ),
        localeOf(request),
      ),
    }),
  );

  r.post(
    '/api/v1/imports/:id/cancel',
    {
      config: { permission: 'contacts:write' },
      schema: {
        tags,
        summary: 'Cancel an import (stops between chunks)',
        params: idParams,
        response: { 200: Type.Object({ import: ImportBody }) },
      },
    },
    async (request) => ({
      import: toImportBody(
        await cancelImport(deps.db, deps.clock, actorOf(request), workspaceOf(request), request.params.id),
        localeOf(request),
      ),
    }),
  );

  r.post(
    '/api/v1/imports/:id/resume',
    {
      config: { permission: 'contacts:write' },
      schema: {
        tags,
        summary: 'Resume a cancelled import',
        params: idParams,
        response: { 200: Type.Object({ import: ImportBody }) },
      },
    },
    async (request) => ({
      import: toImportBody(
        await resumeImport(
          deps.db,
          deps.clock,
          deps.queue,
          jobs,
          actorOf(request),
          workspaceOf(request),
          request.params.id,
        ),
        localeOf(request),
      ),
    }),
  );

  /** The report names rows of the file (addresses): a whole download is audited like an export. */
  const sendReport = async (
    reply: FastifyReply,
    imp: Import,
    actor: Actor,
    locale: Locale,
    limit?: number,
  ) => {
    if (limit === undefined)
      await recordAudit(deps.db, actor, {
        workspaceId: imp.workspace_id,
        action: 'contacts.import-report-downloaded',
        details: { importId: imp.id },
      });
    return reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="import-${imp.id}-report.csv"`)
      .header('cache-control', 'no-store')
      .send(Readable.from(importReport(deps.db, imp.id, limit, locale)));
  };

  r.get(
    '/api/v1/imports/:id/report.csv',
    {
      config: { permission: 'contacts:read' },
      schema: {
        tags,
        summary:
          "Per-row error report (CSV) in the request's language (`lang`, else Accept-Language); `limit` keeps only the first rows (the admin UI shows 20)",
        params: idParams,
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
          lang: Type.Optional(Type.Union([Type.Literal('de'), Type.Literal('en')])),
        }),
      },
    },
    async (request, reply) => {
      const imp = await findImport(deps.db, workspaceOf(request), request.params.id);
      if (!imp) throw new AppError('NOT_FOUND');
      return sendReport(reply, imp, actorOf(request), localeOf(request), request.query.limit);
    },
  );

  // The admin UI downloads the whole report through a one-time link (the export tokens of
  // export.service.ts, kind `import_report`), so the browser's download manager streams it to disk.
  r.post(
    '/api/v1/imports/:id/report-tokens',
    {
      config: { permission: 'contacts:read' },
      schema: {
        tags,
        summary:
          'Prepare the download of the error report: a single-use URL (valid 2 minutes, for the same user) that streams the CSV as a file',
        params: idParams,
        response: {
          201: Type.Object({ url: Type.String(), expiresAt: Type.String({ format: 'date-time' }) }),
        },
      },
    },
    async (request, reply) => {
      const ws = workspaceOf(request);
      const imp = await findImport(deps.db, ws, request.params.id);
      if (!imp) throw new AppError('NOT_FOUND');
      const { token, expiresAt } = await createDownloadToken(deps.db, deps.clock.now(), {
        workspaceId: ws,
        userId: authOf(request).userId,
        kind: 'import_report',
        targetId: imp.id,
      });
      return reply.code(201).send({
        // The browser's own Accept-Language may differ from the admin UI's language.
        url: `/api/v1/imports/report?token=${encodeURIComponent(token)}&lang=${localeOf(request)}`,
        expiresAt: expiresAt.toISOString(),
      });
    },
  );

  r.get(
    '/api/v1/imports/report',
    {
      // A browser navigation carries the session cookie but not the workspace header: the token
      // names the workspace and the import, and the service checks the user's role there.
      config: { auth: 'user' },
      schema: {
        tags,
        summary:
          'Download the error report prepared by POST /imports/:id/report-tokens (once, by the same user)',
        querystring: Type.Object({
          token: Type.String({ minLength: 1, maxLength: 200 }),
          lang: Type.Optional(Type.Union([Type.Literal('de'), Type.Literal('en')])),
        }),
      },
    },
    async (request, reply) => {
      const auth = authOf(request);
      const header = request.headers['x-workspace-id'];
      const got = await redeemDownloadToken(deps.db, deps.clock.now(), {
        token: request.query.token,
        kind: 'import_report',
        userId: auth.userId!,
        isSuperadmin: auth.isSuperadmin,
        workspaceId: typeof header === 'string' && header !== '' ? header : undefined,
      });
      const imp = got.targetId ? await findImport(deps.db, got.workspaceId, got.targetId) : undefined;
      if (!imp) throw new AppError('NOT_FOUND');
      return sendReport(reply, imp, actorOf(request), localeOf(request));
    },
  );
}
