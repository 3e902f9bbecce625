import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../shared/errors.js';
import { actorOf, authOf, workspaceOf } from '../../shared/http/auth.js';
import { ASSET_KINDS, listAssets } from './assets.repository.js';
import { createAsset, toAssetBody, updateAsset } from './assets.service.js';
import type { CaptureContext } from './capture-context.js';
import { getCaptureStatus, resumeConfirmationMails } from './circuit.service.js';
import {
  bantChoicesByFieldType,
  CHANNELS,
  defaultDefinition,
  FORM_KINDS,
  type FormDefinition,
} from './form-definition.js';
import {
  type FormRow,
  findFormVersion,
  formStats,
  listFormsWithStats,
  listFormVersions,
} from './forms.repository.js';
import { archiveForm, createForm, getForm, publishForm, updateForm } from './forms.service.js';
import { disableShortLink, listShortLinks } from './short-links.repository.js';
import { createShortLink, toShortLinkBody } from './short-links.service.js';
import { countSubmissions, listSubmissions } from './submissions.repository.js';
import { liveVersionOf, submitForm } from './submit.service.js';

/*
 * The admin API of capture. Route table (permission per route):
 *   GET    /api/v1/forms                         forms:read   list with views, submissions, confirmations
 *   POST   /api/v1/forms                         forms:write  create a draft (kind → default fields)
 *   GET    /api/v1/forms/:id                     forms:read   the form, its draft and versions
 *   PATCH  /api/v1/forms/:id                     forms:write  edit the draft, name, slug, origins
 *   POST   /api/v1/forms/:id/publish             forms:write  draft → next immutable version
 *   POST   /api/v1/forms/:id/archive             forms:write  take offline
 *   GET    /api/v1/forms/:id/versions/:version   forms:read   one published version
 *   GET    /api/v1/forms/:id/submissions         forms:read   newest first, keyset paging
 *   POST   /api/v1/forms/:id/submissions         contacts:write  server-to-server sign-up (API key)
 *   GET    /api/v1/form-kinds/:kind/default      forms:read   the starting definition of a kind
 *   GET|POST /api/v1/short-links, DELETE /api/v1/short-links/:id   forms:read / forms:write
 *   GET|POST /api/v1/assets                      forms:read / forms:write
 *   PATCH    /api/v1/assets/:id                  forms:write     rename, change the kind
 *   GET    /api/v1/capture/status                forms:read   breaker state, held sign-ups
 *   POST   /api/v1/capture/resume                forms:write  close the breaker; release or discard held
 */

const Localized = Type.Object({ de: Type.String(), en: Type.String() });
const Id = Type.Object({ id: Type.String({ format: 'uuid' }) });
const Slug = Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,62}$' });
const Kind = Type.Union(FORM_KINDS.map((k) => Type.Literal(k)));

const FormBody = Type.Object({
  id: Type.String(),
  name: Type.String(),
  slug: Type.String(),
  kind: Kind,
  status: Type.Union([Type.Literal('draft'), Type.Literal('published'), Type.Literal('archived')]),
  publishedVersion: Type.Union([Type.Integer(), Type.Null()]),
  allowedOrigins: Type.Array(Type.String()),
  hostedUrl: Type.String(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  stats: Type.Object({
    views: Type.Integer(),
    submissions: Type.Integer(),
    confirmations: Type.Integer(),
    confirmationRate: Type.Union([Type.Number(), Type.Null()]),
  }),
});

function statusOf(f: FormRow): 'draft' | 'published' | 'archived' {
  if (f.archived_at) return 'archived';
  return f.published_version ? 'published' : 'draft';
}

function toFormBody(
  f: FormRow,
  publicUrl: string,
  stats: { views: number; submissions: number; confirmations: number },
) {
  return {
    id: f.id,
    name: f.name,
    slug: f.slug,
    kind: f.kind,
    status: statusOf(f),
    publishedVersion: f.published_version,
    allowedOrigins: f.allowed_origins,
    hostedUrl: `${publicUrl}/f/${f.slug}`,
    createdAt: f.created_at.toISOString(),
    updatedAt: f.updated_at.toISOString(),
    stats: {
      ...stats,
      confirmationRate:
        stats.submissions > 0 ? Math.round((stats.confirmations / stats.submissions) * 1000) / 1000 : null,
    },
  };
}

export function registerFormRoutes(app: FastifyInstance, ctx: CaptureContext): void {
  const { deps } = ctx;
  const r = app.withTypeProvider<TypeBoxTypeProvider>();
  const publicUrl = deps.config.publicUrl;

  async function statsFor(workspaceId: string, formId: string) {
    const s = (await formStats(deps.db, workspaceId, formId)).get(formId) ?? {
      views: 0,
      submissions: 0,
      confirmations: 0,
    };
    const n = (await countSubmissions(deps.db, workspaceId, formId)).get(formId) ?? 0;
    return { ...s, submissions: n };
  }

  r.get(
    '/api/v1/forms',
    {
      config: { permission: 'forms:read' },
      schema: {
        tags: ['forms'],
        summary: 'Forms with their figures',
        response: { 200: Type.Object({ items: Type.Array(FormBody) }) },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const rows = await listFormsWithStats(deps.db, ws);
      const counts = await countSubmissions(deps.db, ws);
      return {
        items: rows.map((f) =>
          toFormBody(f, publicUrl, {
            views: f.views,
            submissions: counts.get(f.id) ?? 0,
            confirmations: f.confirmations,
          }),
        ),
      };
    },
  );

  r.post(
    '/api/v1/forms',
    {
      config: { permission: 'forms:write' },
      schema: {
        tags: ['forms'],
        summary: 'Create a draft form',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            slug: Slug,
            kind: Kind,
            definition: Type.Optional(Type.Unknown()),
            allowedOrigins: Type.Optional(Type.Array(Type.String({ maxLength: 300 }), { maxItems: 50 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ form: FormBody, draft: Type.Unknown() }) },
      },
    },
    async (request, reply) => {
      const ws = workspaceOf(request);
      const form = await createForm(deps.db, deps.clock, actorOf(request), ws, request.body);
      return reply.code(201).send({
        form: toFormBody(form, publicUrl, { views: 0, submissions: 0, confirmations: 0 }),
        draft: form.draft,
      });
    },
  );

  r.get(
    '/api/v1/form-kinds/:kind/default',
    {
      config: { permission: 'forms:read' },
      schema: {
        tags: ['forms'],
        summary: 'The starting definition of a kind of form',
        params: Type.Object({ kind: Kind }),
        response: { 200: Type.Object({ definition: Type.Unknown() }) },
      },
    },
    async (request) => ({ definition: defaultDefinition(request.params.kind) }),
  );

  const FormDetail = Type.Object({
    form: FormBody,
    draft: Type.Unknown(),
    published: Type.Union([Type.Unknown(), Type.Null()]),
    versions: Type.Array(Type.Object({ version: Type.Integer(), publishedAt: Type.String() })),
    snippets: Type.Object({ hosted: Type.String(), embed: Type.String(), html: Type.String() }),
    /** The fixed choices of the BANT field types, so the builder previews them before a save. */
    bantChoices: Type.Record(
      Type.String(),
      Type.Array(
        Type.Object({ value: Type.String(), label: Type.Object({ de: Type.String(), en: Type.String() }) }),
      ),
    ),
  });

  async function detail(ws: string, form: FormRow) {
    const versions = await listFormVersions(deps.db, ws, form.id);
    const live = form.published_version
      ? await findFormVersion(deps.db, ws, form.id, form.published_version)
      : undefined;
    return {
      form: toFormBody(form, publicUrl, await statsFor(ws, form.id)),
      draft: form.draft,
      published: live?.definition ?? null,
      versions: versions.map((v) => ({ version: v.version, publishedAt: v.published_at.toISOString() })),
      snippets: {
        hosted: `${publicUrl}/f/${form.slug}`,
        embed: `<script src="${publicUrl}/embed.js" data-form="${form.slug}" async></script>`,
        html: `<form method="post" action="${publicUrl}/f/${form.slug}/submit">…</form>`,
      },
      bantChoices: bantChoicesByFieldType(),
    };
  }

  r.get(
    '/api/v1/forms/:id',
    {
      config: { permission: 'forms:read' },
      schema: {
        tags: ['forms'],
        summary: 'A form with its draft and versions',
        params: Id,
        response: { 200: FormDetail },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      return detail(ws, await getForm(deps.db, ws, request.params.id));
    },
  );

  r.patch(
    '/api/v1/forms/:id',
    {
      config: { permission: 'forms:write' },
      schema: {
        tags: ['forms'],
        summary: "Edit a form's draft (published versions never change)",
        params: Id,
        body: Type.Object(
          {
            name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            slug: Type.Optional(Slug),
            definition: Type.Optional(Type.Unknown()),
            allowedOrigins: Type.Optional(Type.Array(Type.String({ maxLength: 300 }), { maxItems: 50 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: FormDetail },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const form = await updateForm(
        deps.db,
        deps.clock,
        actorOf(request),
        ws,
        request.params.id,
        request.body,
      );
      ctx.formCache.clear();
      return detail(ws, form);
    },
  );

  r.post(
    '/api/v1/forms/:id/publish',
    {
      config: { permission: 'forms:write' },
      schema: {
        tags: ['forms'],
        summary: 'Publish the draft as a new version',
        params: Id,
        response: { 200: FormDetail },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const { form } = await publishForm(deps.db, deps.clock, actorOf(request), ws, request.params.id);
      ctx.formCache.clear();
      return detail(ws, form);
    },
  );

  r.post(
    '/api/v1/forms/:id/archive',
    {
      config: { permission: 'forms:write' },
      schema: { tags: ['forms'], summary: 'Take a form offline', params: Id, response: { 200: FormDetail } },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const form = await archiveForm(deps.db, deps.clock, actorOf(request), ws, request.params.id);
      ctx.formCache.clear();
      return detail(ws, form);
    },
  );

  r.get(
    '/api/v1/forms/:id/versions/:version',
    {
      config: { permission: 'forms:read' },
      schema: {
        tags: ['forms'],
        summary: 'One published version, exactly as people saw it',
        params: Type.Object({ id: Type.String({ format: 'uuid' }), version: Type.Integer({ minimum: 1 }) }),
        response: {
          200: Type.Object({
            version: Type.Integer(),
            publishedAt: Type.String(),
            definition: Type.Unknown(),
          }),
        },
      },
    },
    async (request) => {
      const v = await findFormVersion(
        deps.db,
        workspaceOf(request),
        request.params.id,
        request.params.version,
      );
      if (!v) throw new AppError('NOT_FOUND');
      return { version: v.version, publishedAt: v.published_at.toISOString(), definition: v.definition };
    },
  );

  const SubmissionBody = Type.Object({
    id: Type.String(),
    formVersion: Type.Integer(),
    contactId: Type.Union([Type.String(), Type.Null()]),
    submittedAt: Type.String(),
    via: Type.String(),
    answers: Type.Unknown(),
    purposes: Type.Array(Type.String()),
    channel: Type.String(),
    utm: Type.Record(Type.String(), Type.Union([Type.String(), Type.Null()])),
    referrer: Type.Union([Type.String(), Type.Null()]),
    landingUrl: Type.Union([Type.String(), Type.Null()]),
    couponCode: Type.Union([Type.String(), Type.Null()]),
    contestCode: Type.Union([Type.String(), Type.Null()]),
    shortLinkId: Type.Union([Type.String(), Type.Null()]),
    locale: Type.String(),
    outcome: Type.String(),
  });

  r.get(
    '/api/v1/forms/:id/submissions',
    {
      config: { permission: 'forms:read' },
      schema: {
        tags: ['forms'],
        summary: "A form's submissions with attribution, newest first",
        params: Id,
        querystring: Type.Object({
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
          before: Type.Optional(Type.String({ format: 'uuid' })),
        }),
        response: {
          200: Type.Object({
            items: Type.Array(SubmissionBody),
            next: Type.Union([Type.String(), Type.Null()]),
          }),
        },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      await getForm(deps.db, ws, request.params.id);
      const limit = request.query.limit ?? 50;
      const rows = await listSubmissions(deps.db, ws, request.params.id, {
        limit,
        before: request.query.before,
      });
      return {
        items: rows.map((s) => ({
          id: s.id,
          formVersion: s.form_version,
          contactId: s.contact_id,
          submittedAt: s.submitted_at.toISOString(),
          via: s.via,
          answers: s.answers,
          purposes: s.purposes,
          channel: s.channel,
          utm: {
            source: s.utm_source,
            medium: s.utm_medium,
            campaign: s.utm_campaign,
            term: s.utm_term,
            content: s.utm_content,
          },
          referrer: s.referrer,
          landingUrl: s.landing_url,
          couponCode: s.coupon_code,
          contestCode: s.contest_code,
          shortLinkId: s.short_link_id,
          locale: s.locale,
          outcome: s.outcome,
        })),
        next: rows.length === limit ? rows[rows.length - 1]!.id : null,
      };
    },
  );

  r.post(
    '/api/v1/forms/:id/submissions',
    {
      config: { permission: 'contacts:write' },
      bodyLimit: 65_536,
      schema: {
        tags: ['forms'],
        summary: 'Submit a form from your own server (relay the visitor’s IP, user agent and ALTCHA payload)',
        description:
          'The body uses the names of the hosted form: field keys, consent_<box> ("on"), utm_*, referrer, ' +
          'landing_url, code, lang, altcha; plus ip and user_agent of the person. The answer is the same for every outcome.',
        params: Id,
        body: Type.Record(Type.String(), Type.Unknown()),
        response: { 202: Type.Object({ status: Type.Literal('received') }) },
      },
    },
    async (request, reply) => {
      const ws = workspaceOf(request);
      const live = await liveVersionOf(ctx, await getForm(deps.db, ws, request.params.id));
      if (!live) throw new AppError('FORM_NOT_FOUND');
      const body = request.body;
      const ip = typeof body.ip === 'string' && body.ip.length <= 64 ? body.ip : request.ip;
      const ua = typeof body.user_agent === 'string' ? body.user_agent.slice(0, 500) : null;
      await submitForm(ctx, live, { via: 'api', body, ip, userAgent: ua, origin: undefined });
      return reply.code(202).send({ status: 'received' as const });
    },
  );

  // Short links
  const ShortLinkBody = Type.Object({
    id: Type.String(),
    code: Type.String(),
    name: Type.String(),
    url: Type.String(),
    formId: Type.Union([Type.String(), Type.Null()]),
    targetUrl: Type.Union([Type.String(), Type.Null()]),
    channel: Type.String(),
    utm: Type.Record(Type.String(), Type.String()),
    clicks: Type.Integer(),
    disabledAt: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(),
  });

  r.get(
    '/api/v1/short-links',
    {
      config: { permission: 'forms:read' },
      schema: {
        tags: ['forms'],
        summary: 'Tracked short links',
        response: { 200: Type.Object({ items: Type.Array(ShortLinkBody) }) },
      },
    },
    async (request) => ({
      items: (await listShortLinks(deps.db, workspaceOf(request))).map((l) => toShortLinkBody(l, publicUrl)),
    }),
  );

  r.post(
    '/api/v1/short-links',
    {
      config: { permission: 'forms:write' },
      schema: {
        tags: ['forms'],
        summary: 'Create a tracked short link (/r/<code>) for a banner, text link, video ad …',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            code: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{3,64}$' })),
            formId: Type.Optional(Type.Union([Type.String({ format: 'uuid' }), Type.Null()])),
            targetUrl: Type.Optional(Type.Union([Type.String({ maxLength: 2000 }), Type.Null()])),
            channel: Type.Union(CHANNELS.map((c) => Type.Literal(c))),
            utm: Type.Optional(
              Type.Object(
                {
                  utm_source: Type.Optional(Type.String({ maxLength: 200 })),
                  utm_medium: Type.Optional(Type.String({ maxLength: 200 })),
                  utm_campaign: Type.Optional(Type.String({ maxLength: 200 })),
                  utm_term: Type.Optional(Type.String({ maxLength: 200 })),
                  utm_content: Type.Optional(Type.String({ maxLength: 200 })),
                },
                { additionalProperties: false },
              ),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 201: ShortLinkBody },
      },
    },
    async (request, reply) => {
      const link = await createShortLink(deps.db, actorOf(request), workspaceOf(request), request.body);
      return reply.code(201).send(toShortLinkBody(link, publicUrl));
    },
  );

  r.delete(
    '/api/v1/short-links/:id',
    {
      config: { permission: 'forms:write' },
      schema: {
        tags: ['forms'],
        summary: 'Disable a short link',
        params: Id,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const link = await disableShortLink(deps.db, workspaceOf(request), request.params.id, deps.clock.now());
      if (!link) throw new AppError('NOT_FOUND');
      return reply.code(204).send(null);
    },
  );

  // Assets (gated content)
  const AssetKindSchema = Type.Union(ASSET_KINDS.map((k) => Type.Literal(k)));
  const AssetBody = Type.Object({
    id: Type.String(),
    title: Type.String(),
    kind: AssetKindSchema,
    source: Type.String(),
    url: Type.Union([Type.String(), Type.Null()]),
    fileName: Type.Union([Type.String(), Type.Null()]),
    contentType: Type.Union([Type.String(), Type.Null()]),
    sizeBytes: Type.Union([Type.Integer(), Type.Null()]),
    createdAt: Type.String(),
  });

  r.get(
    '/api/v1/assets',
    {
      config: { permission: 'forms:read' },
      schema: {
        tags: ['forms'],
        summary: 'Gated content',
        response: { 200: Type.Object({ items: Type.Array(AssetBody) }) },
      },
    },
    async (request) => ({ items: (await listAssets(deps.db, workspaceOf(request))).map(toAssetBody) }),
  );

  r.post(
    '/api/v1/assets',
    {
      config: { permission: 'forms:write' },
      bodyLimit: 36 * 1024 * 1024,
      schema: {
        tags: ['forms'],
        summary: 'Add gated content: upload a file (base64) or give an https:// address',
        body: Type.Object(
          {
            title: Type.String({ minLength: 1, maxLength: 200 }),
            kind: Type.Optional(AssetKindSchema),
            url: Type.Optional(Type.String({ maxLength: 2000 })),
            fileName: Type.Optional(Type.String({ maxLength: 200 })),
            contentType: Type.Optional(Type.String({ maxLength: 100 })),
            contentBase64: Type.Optional(Type.String()),
          },
          { additionalProperties: false },
        ),
        response: { 201: AssetBody },
      },
    },
    async (request, reply) => {
      const asset = await createAsset(deps, actorOf(request), workspaceOf(request), request.body);
      return reply.code(201).send(toAssetBody(asset));
    },
  );

  r.patch(
    '/api/v1/assets/:id',
    {
      config: { permission: 'forms:write' },
      schema: {
        tags: ['forms'],
        summary: 'Rename gated content or change its kind',
        params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
        body: Type.Object(
          {
            title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
            kind: Type.Optional(AssetKindSchema),
          },
          { additionalProperties: false },
        ),
        response: { 200: AssetBody },
      },
    },
    async (request) =>
      toAssetBody(
        await updateAsset(deps, actorOf(request), workspaceOf(request), request.params.id, request.body),
      ),
  );

  // The circuit breaker
  const StatusBody = Type.Object({
    paused: Type.Boolean(),
    breakers: Type.Array(
      Type.Object({
        scope: Type.String(),
        reason: Type.String(),
        openedAt: Type.String(),
        closesAt: Type.String(),
      }),
    ),
    heldSubmissions: Type.Integer(),
  });

  r.get(
    '/api/v1/capture/status',
    {
      config: { permission: 'forms:read' },
      schema: {
        tags: ['forms'],
        summary: 'Are confirmation mails paused (subscription bombing)?',
        response: { 200: StatusBody },
      },
    },
    async (request) => getCaptureStatus(deps, workspaceOf(request)),
  );

  r.post(
    '/api/v1/capture/resume',
    {
      config: { permission: 'forms:write' },
      schema: {
        tags: ['forms'],
        summary: 'Resume confirmation mails; release or discard the held sign-ups',
        body: Type.Object(
          {
            held: Type.Union([Type.Literal('release'), Type.Literal('discard')]),
            includeGlobal: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
        response: { 200: StatusBody },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      await resumeConfirmationMails(
        deps,
        { ...actorOf(request), isSuperadmin: authOf(request).isSuperadmin },
        ws,
        {
          held: request.body.held,
          includeGlobal: request.body.includeGlobal ?? false,
        },
      );
      return getCaptureStatus(deps, ws);
    },
  );
}

export type { FormDefinition, Localized };
