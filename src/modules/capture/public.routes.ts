import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../shared/errors.js';
import { SafeHtml, withLang } from '../../shared/http/public-page.js';
import { createFormChallenge } from './altcha.js';
import { assetPath, downloadAsset } from './assets.service.js';
import type { CaptureContext, LiveForm } from './capture-context.js';
import { bumpDailyStat } from './forms.repository.js';
import { HOSTED_FORM_CSP, hostedFormBody, hostedFormDocument } from './hosted-page.js';
import { PUBLIC_TEXTS, type PublicLocale } from './public-texts.js';
import { resolveShortLink } from './short-links.service.js';
import { createTimeTrapToken } from './signed-tokens.js';
import {
  liveFormBySlug,
  originAllowed,
  type SubmissionVia,
  submitForm,
  visibleFields,
} from './submit.service.js';

/*
 * The public side of capture: hosted pages, the embed script and its JSON, the submit endpoint
 * (JSON with CORS for the embed, urlencoded for plain HTML posts), ALTCHA challenges, short links
 * and downloads. None of it sets a cookie. Every submission outcome gets the same answer.
 */

const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), 'public');
const requireFrom = createRequire(import.meta.url);

function publicDir(): string {
  // Compiled to dist/src/…: the static files stay in src/ (they are not TypeScript).
  if (existsSync(PUBLIC_DIR)) return PUBLIC_DIR;
  return PUBLIC_DIR.replace(`${join('dist', 'src')}`, 'src');
}

const STATIC_FILES: Record<string, { path: () => string; type: string }> = {
  'form.css': { path: () => join(publicDir(), 'form.css'), type: 'text/css; charset=utf-8' },
  'embed.css': { path: () => join(publicDir(), 'embed.css'), type: 'text/css; charset=utf-8' },
  // The ALTCHA widget with its translations, self-hosted (no third-party request from a form page).
  'altcha.js': {
    path: () => join(dirname(requireFrom.resolve('altcha')), 'altcha.i18n.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
};

const staticCache = new Map<string, Buffer>();
function staticFile(name: string): Buffer {
  let body = staticCache.get(name);
  if (!body) {
    body = readFileSync(STATIC_FILES[name]!.path());
    staticCache.set(name, body);
  }
  return body;
}

const NEUTRAL = (locale: PublicLocale) => ({
  status: 'received',
  message: `${PUBLIC_TEXTS[locale].checkInboxTitle}. ${PUBLIC_TEXTS[locale].checkInbox}`,
});

function localeOf(request: FastifyRequest, live: LiveForm | undefined, explicit?: unknown): PublicLocale {
  const q = (request.query as { lang?: unknown }).lang ?? explicit;
  if ((q === 'de' || q === 'en') && (!live || live.definition.locales.includes(q))) return q;
  if (live) {
    const accept = request.headers['accept-language']?.toLowerCase() ?? '';
    const preferred = accept.startsWith('de') ? 'de' : accept.startsWith('en') ? 'en' : undefined;
    if (preferred && live.definition.locales.includes(preferred)) return preferred;
    return live.definition.defaultLocale;
  }
  return request.headers['accept-language']?.toLowerCase().startsWith('de') ? 'de' : 'en';
}

function today(ctx: CaptureContext): string {
  return ctx.deps.clock.now().toISOString().slice(0, 10);
}

/** CORS for the embed: only the form's allowed origins (and our own) may read the answers. */
function cors(ctx: CaptureContext, reply: FastifyReply, request: FastifyRequest, live: LiveForm | undefined) {
  const origin = request.headers.origin;
  reply.header('vary', 'Origin');
  if (origin && live && originAllowed(ctx, live.form, origin)) {
    reply.header('access-control-allow-origin', origin);
    reply.header('access-control-allow-methods', 'GET, POST');
    reply.header('access-control-allow-headers', 'content-type, accept-language');
    reply.header('access-control-max-age', '600');
  }
  reply.header('cross-origin-resource-policy', 'cross-origin');
}

function sendHtml(reply: FastifyReply, status: number, document: string): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('content-security-policy', HOSTED_FORM_CSP)
    .header('x-robots-tag', 'noindex, nofollow')
    .send(document);
}

function notFoundPage(reply: FastifyReply, locale: PublicLocale): FastifyReply {
  const t = PUBLIC_TEXTS[locale];
  return sendHtml(
    reply,
    404,
    hostedFormDocument({
      locale,
      title: t.notFoundTitle,
      pow: false,
      body: htmlBlock(`<h1>${t.notFoundTitle}</h1><p>${t.notFound}</p>`),
    }),
  );
}

// Static texts of our own only (no outside input): safe to wrap directly.
function htmlBlock(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

const CARRY_QUERY = [
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'lw_src',
  'code',
  'lw',
];

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length <= 2000 ? v : undefined;
}

async function renderForm(
  ctx: CaptureContext,
  request: FastifyRequest,
  reply: FastifyReply,
  live: LiveForm,
  locale: PublicLocale,
  input: {
    carry: Record<string, string>;
    values?: Record<string, string>;
    ticked?: string[];
    problems?: { field: string; message: string }[];
  },
  status = 200,
): Promise<FastifyReply> {
  const shown = await visibleFields(ctx, live, input.carry.lw);
  const pow = ctx.options.powEnabled && live.definition.proofOfWork;
  const carry = {
    ...input.carry,
    lw_t: createTimeTrapToken(ctx.deps.config.secretKey, live.form.id, ctx.deps.clock.now()),
    lang: locale,
  };
  const other: PublicLocale = locale === 'de' ? 'en' : 'de';
  return sendHtml(
    reply,
    status,
    hostedFormDocument({
      locale,
      title: live.definition.title[locale],
      pow,
      switchHref: live.definition.locales.includes(other) ? withLang(request.url, other) : undefined,
      body: hostedFormBody({
        slug: live.form.slug,
        locale,
        def: live.definition,
        fields: shown.fields,
        carry,
        pow,
        ...(input.values ? { values: input.values } : {}),
        ...(input.ticked ? { ticked: input.ticked } : {}),
        ...(input.problems ? { problems: input.problems } : {}),
      }),
    }),
  );
}

export function registerPublicRoutes(app: FastifyInstance, ctx: CaptureContext): void {
  const { deps } = ctx;
  const publicRoute = { config: { auth: 'public' as const }, schema: { hide: true } };
  const ownOrigin = new URL(deps.config.publicUrl).origin;

  app.get<{ Params: { slug: string }; Querystring: Record<string, unknown> }>(
    '/f/:slug',
    publicRoute,
    async (request, reply) => {
      const live = await liveFormBySlug(ctx, request.params.slug);
      const locale = localeOf(request, live);
      if (!live) return notFoundPage(reply, locale);
      await bumpDailyStat(deps.db, live.form.workspace_id, live.form.id, today(ctx), 'views');
      const carry: Record<string, string> = {};
      for (const k of CARRY_QUERY) {
        const v = str(request.query[k]);
        if (v) carry[k] = v;
      }
      for (const h of live.definition.hiddenFields) {
        const v = h.fromQuery ? str(request.query[h.fromQuery]) : undefined;
        if (v) carry[h.key] = v;
      }
      const referrer = str(request.headers.referer);
      if (referrer && !referrer.startsWith(ownOrigin)) carry.referrer = referrer;
      carry.landing_url = `${deps.config.publicUrl}${request.url}`.slice(0, 2000);
      return renderForm(ctx, request, reply, live, locale, { carry });
    },
  );

  app.get<{ Params: { slug: string } }>('/f/:slug/thanks', publicRoute, async (request, reply) => {
    const live = await liveFormBySlug(ctx, request.params.slug);
    const locale = localeOf(request, live);
    const t = PUBLIC_TEXTS[locale];
    return sendHtml(
      reply,
      200,
      hostedFormDocument({
        locale,
        title: t.checkInboxTitle,
        pow: false,
        body: htmlBlock(
          `<h1>${t.checkInboxTitle}</h1><p role="status">${t.checkInbox}</p>${
            live
              ? `<p><a href="/f/${encodeURIComponent(live.form.slug)}?lang=${locale}">${t.back}</a></p>`
              : ''
          }`,
        ),
      }),
    );
  });

  for (const path of ['/f/:slug/submit', '/f/:slug/config', '/f/:slug/challenge']) {
    app.options<{ Params: { slug: string } }>(path, publicRoute, async (request, reply) => {
      const live = await liveFormBySlug(ctx, request.params.slug);
      cors(ctx, reply, request, live);
      return reply.code(204).send();
    });
  }

  app.get<{ Params: { slug: string }; Querystring: Record<string, unknown> }>(
    '/f/:slug/config',
    publicRoute,
    async (request, reply) => {
      const live = await liveFormBySlug(ctx, request.params.slug);
      cors(ctx, reply, request, live);
      if (!live) throw new AppError('FORM_NOT_FOUND');
      await bumpDailyStat(deps.db, live.form.workspace_id, live.form.id, today(ctx), 'views');
      const locale = localeOf(request, live);
      const def = live.definition;
      const shown = await visibleFields(ctx, live, str(request.query.lw));
      reply.header('cache-control', 'no-store');
      return {
        slug: live.form.slug,
        locale,
        title: def.title[locale],
        intro: def.intro[locale],
        eventName: def.eventName ?? null,
        submitLabel: def.submitLabel[locale],
        fields: shown.fields.map((f) => ({
          key: f.key,
          type: f.type,
          label: f.label[locale],
          purpose: f.purpose[locale],
          required: f.required,
          maxLength: f.maxLength ?? null,
          options: (f.options ?? []).map((o) => ({ value: o.value, label: o.label[locale] })),
        })),
        consents: def.consents.map((c) => ({ key: c.key, text: c.text[locale], required: c.required })),
        couplingNotice: def.contentForConsent ? def.couplingNotice[locale] : null,
        purposeStatement: def.purposeStatement[locale],
        controller: [def.controller.name, def.controller.address, def.controller.email]
          .filter(Boolean)
          .join(', '),
        privacyNoticeUrl: def.privacyNoticeUrl,
        proofOfWork: ctx.options.powEnabled && def.proofOfWork,
        // Paths, not URLs: the embed resolves them against the address it was loaded from.
        challengeUrl: `/f/${live.form.slug}/challenge`,
        submitUrl: `/f/${live.form.slug}/submit`,
        widgetUrl: '/f/assets/altcha.js',
        stylesheetUrl: '/f/assets/embed.css',
        timeToken: createTimeTrapToken(deps.config.secretKey, live.form.id, deps.clock.now()),
        texts: {
          required: PUBLIC_TEXTS[locale].required,
          optional: PUBLIC_TEXTS[locale].optional,
          consentsLegend: def.consents.some((c) => c.required)
            ? PUBLIC_TEXTS[locale].consentsLegendRequired
            : PUBLIC_TEXTS[locale].consentsLegend,
          controller: PUBLIC_TEXTS[locale].controller,
          purpose: PUBLIC_TEXTS[locale].purpose,
          privacy: PUBLIC_TEXTS[locale].privacy,
          coupling: PUBLIC_TEXTS[locale].coupling,
          event: PUBLIC_TEXTS[locale].event,
          errorSummary: PUBLIC_TEXTS[locale].errorSummary,
          checkInboxTitle: PUBLIC_TEXTS[locale].checkInboxTitle,
          checkInbox: PUBLIC_TEXTS[locale].checkInbox,
          sending: PUBLIC_TEXTS[locale].sending,
          failed: PUBLIC_TEXTS[locale].failed,
          problems: PUBLIC_TEXTS[locale].problems,
        },
      };
    },
  );

  app.get<{ Params: { slug: string } }>('/f/:slug/challenge', publicRoute, async (request, reply) => {
    const live = await liveFormBySlug(ctx, request.params.slug);
    cors(ctx, reply, request, live);
    if (!live) throw new AppError('FORM_NOT_FOUND');
    reply.header('cache-control', 'no-store');
    return createFormChallenge(deps.config.secretKey, ctx.options.pow, live.form.id, deps.clock.now());
  });

  app.post<{ Params: { slug: string } }>(
    '/f/:slug/submit',
    { ...publicRoute, bodyLimit: 65_536 },
    async (request, reply) => {
      const live = await liveFormBySlug(ctx, request.params.slug);
      cors(ctx, reply, request, live);
      const isForm = (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
      if (!live) throw new AppError('FORM_NOT_FOUND');
      const body = (request.body ?? {}) as Record<string, unknown>;
      const origin = request.headers.origin;
      const self = `${request.protocol}://${request.host}`;
      const via: SubmissionVia = isForm
        ? !origin || origin === ownOrigin || origin === self
          ? 'hosted'
          : 'html'
        : 'embed';
      const locale = localeOf(request, live, typeof body === 'object' && body ? body.lang : undefined);
      try {
        const result = await submitForm(ctx, live, {
          via,
          body,
          ip: request.ip,
          userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null,
          origin,
          selfOrigin: `${request.protocol}://${request.host}`,
        });
        request.log.info(
          { event: 'capture.submitted', form: live.form.id, outcome: result.outcome },
          'form submitted',
        );
      } catch (err) {
        if (isForm && err instanceof AppError && err.code === 'FORM_INPUT_INVALID') {
          const problems = (err.details?.fields ?? []) as { field: string; message: string }[];
          const values: Record<string, string> = {};
          for (const f of live.definition.fields)
            if (typeof body[f.key] === 'string') values[f.key] = String(body[f.key]).slice(0, 2000);
          const carry: Record<string, string> = {};
          for (const k of [
            ...CARRY_QUERY,
            'referrer',
            'landing_url',
            ...live.definition.hiddenFields.map((h) => h.key),
          ]) {
            const v = str(body[k]);
            if (v) carry[k] = v;
          }
          return renderForm(
            ctx,
            request,
            reply,
            live,
            locale,
            {
              carry,
              values,
              ticked: live.definition.consents
                .filter((c) => body[`consent_${c.key}`] === 'on')
                .map((c) => c.key),
              problems,
            },
            400,
          );
        }
        throw err;
      }
      if (isForm)
        return reply
          .code(303)
          .header('location', `/f/${encodeURIComponent(live.form.slug)}/thanks?lang=${locale}`)
          .send();
      return reply.code(200).header('cache-control', 'no-store').send(NEUTRAL(locale));
    },
  );

  app.get<{ Params: { file: string } }>('/f/assets/:file', publicRoute, async (request, reply) => {
    const file = STATIC_FILES[request.params.file];
    if (!file) throw new AppError('ROUTE_NOT_FOUND');
    return reply
      .header('content-type', file.type)
      .header('cache-control', 'public, max-age=3600')
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('access-control-allow-origin', '*')
      .send(staticFile(request.params.file));
  });

  app.get('/embed.js', publicRoute, async (_request, reply) =>
    reply
      .header('content-type', 'text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=300')
      .header('cross-origin-resource-policy', 'cross-origin')
      .header('access-control-allow-origin', '*')
      .send(readFileSync(join(publicDir(), 'embed.js'))),
  );

  app.get<{ Params: { code: string } }>('/r/:code', publicRoute, async (request, reply) => {
    const target = await resolveShortLink(deps, request.params.code);
    if (!target) throw new AppError('ROUTE_NOT_FOUND');
    return reply
      .code(302)
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer-when-downgrade')
      .header('location', target)
      .send();
  });

  app.get<{ Querystring: { t?: string } }>('/d', publicRoute, async (request, reply) => {
    const asset = await downloadAsset(deps, typeof request.query.t === 'string' ? request.query.t : '');
    reply.header('cache-control', 'private, no-store').header('x-robots-tag', 'noindex');
    if (asset.source === 'url') return reply.code(302).header('location', asset.url!).send();
    const path = assetPath(deps.config.dataDir, asset.workspace_id, asset.id);
    if (!existsSync(path)) throw new AppError('DOWNLOAD_LINK_INVALID');
    return reply
      .header('content-type', asset.content_type ?? 'application/octet-stream')
      .header(
        'content-disposition',
        `attachment; filename*=UTF-8''${encodeURIComponent(asset.file_name ?? 'download')}`,
      )
      .header('x-content-type-options', 'nosniff')
      .send(createReadStream(path));
  });
}
