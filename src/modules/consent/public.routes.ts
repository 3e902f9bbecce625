import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type Locale } from '../../shared/errors.js';
import { pickLocale, sendPublicPage } from '../../shared/http/public-page.js';
import type { AppDeps } from '../../shared/module.js';
import { clientKey, hitRateLimit } from '../../shared/rate-limit.js';
import { confirmOptIn, describeOptInLink, resendOptIn } from './confirm.service.js';
import { changePreferences, loadPreferences, type PreferenceAction } from './preferences.service.js';
import {
  confirmPage,
  invalidLinkPage,
  type PreferenceNotice,
  preferencesPage,
  resendPage,
  thanksPage,
  tooManyRequestsPage,
  unsubscribedPage,
  unsubscribePage,
} from './public-pages.js';
import type { ConsentWiring } from './wiring.js';
import type { ChangeChannel } from './withdraw.service.js';

/*
 * The public consent pages (no login, no cookies): confirm a double opt-in (/c), unsubscribe
 * (/u, RFC 8058 one-click), the preference center (/p). GET never changes anything — link
 * scanners in mail gateways open links — and every change is a POST.
 */

/** Requests per client and minute on these pages: plenty for a person, little for a scanner farm. */
export const PUBLIC_PAGE_LIMIT = { max: 60, windowSeconds: 60 } as const;
/**
 * One-click unsubscribes come from the mail providers' servers, many people's at once from one
 * address (compliance: they take effect at once), so their own, much higher limit: it only bounds
 * floods. Guessing a 144-bit token is not what a limit protects against.
 */
export const ONE_CLICK_LIMIT = { max: 2000, windowSeconds: 60 } as const;

/** The rate-limit key of a client: the IPv4 address, or the /64 network of an IPv6 address. */
export function clientBucket(ip: string | undefined): string {
  return ip ? clientKey(ip) : '-';
}

const TokenParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }) });
const LangQuery = Type.Object({
  lang: Type.Optional(Type.String({ maxLength: 5 })),
  done: Type.Optional(Type.String({ maxLength: 20 })),
});

interface TokenRequest {
  Params: { token: string };
  Querystring: { lang?: string; done?: string };
  Body: unknown;
}

function client(request: FastifyRequest) {
  const ua = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof ua === 'string' ? ua.slice(0, 500) : null };
}

export function registerPublicRoutes(app: FastifyInstance, deps: AppDeps, wiring: ConsentWiring): void {
  const hide = { hide: true };

  /** Checks the per-client limit; answers 429 with a page when it is exceeded. */
  async function limited(
    request: FastifyRequest<TokenRequest>,
    reply: FastifyReply,
    limit: { max: number; windowSeconds: number } = PUBLIC_PAGE_LIMIT,
    scope = 'public',
  ): Promise<boolean> {
    const result = await hitRateLimit(
      deps.db,
      deps.clock,
      `consent:${scope}:${clientBucket(request.ip)}`,
      limit.max,
      limit.windowSeconds,
    );
    if (result.allowed) return false;
    reply.header('retry-after', String(result.retryAfterSeconds));
    const locale = pickLocale(request.query, null, request.headers['accept-language']);
    sendPublicPage(reply, tooManyRequestsPage(locale, request.url));
    return true;
  }

  const localeFor = (request: FastifyRequest<TokenRequest>, fallback: Locale | null): Locale =>
    pickLocale(request.query, fallback, request.headers['accept-language']);

  const routeOptions = {
    config: { auth: 'public' as const },
    schema: { ...hide, params: TokenParams, querystring: LangQuery },
  };

  // --- double opt-in -----------------------------------------------------------------------------

  app.get<TokenRequest>('/c/:token', routeOptions, async (request, reply) => {
    if (await limited(request, reply)) return reply;
    const link = await describeOptInLink(deps.db, request.params.token, deps.clock.now());
    const path = request.url;
    if (!link) return sendPublicPage(reply, invalidLinkPage(localeFor(request, null), path));
    return sendPublicPage(reply, confirmPage(localeFor(request, link.token.locale), path, link));
  });

  app.post<TokenRequest>('/c/:token', routeOptions, async (request, reply) => {
    if (await limited(request, reply)) return reply;
    const { token } = request.params;
    try {
      const result = await confirmOptIn(deps, wiring, { token, ...client(request) });
      request.log.info({ event: 'consent.confirmed', purposes: result.purposes }, 'double opt-in confirmed');
      return sendPublicPage(
        reply,
        thanksPage(localeFor(request, result.locale), request.url, {
          workspaceName: result.workspaceName,
          purposes: result.purposes,
          asset: result.asset,
          preferencesPath: `/p/${result.preferenceToken}`,
        }),
      );
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      // Used or expired: show what the link now stands for (with the resend button when expired).
      const link = await describeOptInLink(deps.db, token, deps.clock.now());
      if (!link) return sendPublicPage(reply, invalidLinkPage(localeFor(request, null), request.url));
      const page = confirmPage(localeFor(request, link.token.locale), request.url, link);
      return sendPublicPage(reply, { ...page, status: err.status });
    }
  });

  app.post<TokenRequest>('/c/:token/resend', routeOptions, async (request, reply) => {
    if (await limited(request, reply)) return reply;
    const { token } = request.params;
    const link = await describeOptInLink(deps.db, token, deps.clock.now());
    if (!link) return sendPublicPage(reply, invalidLinkPage(localeFor(request, null), request.url));
    const outcome = await resendOptIn(deps, { token, ...client(request) });
    request.log.info({ event: 'consent.opt-in-resent', outcome }, 'confirmation mail requested again');
    return sendPublicPage(
      reply,
      resendPage(localeFor(request, link.token.locale), request.url, outcome, link.workspaceName),
    );
  });

  // --- unsubscribe and preference center ---------------------------------------------------------

  // RFC 8058: mail providers POST "List-Unsubscribe=One-Click", as form data or multipart.
  app.register(async (scope) => {
    scope.addContentTypeParser(
      'multipart/form-data',
      { parseAs: 'string', bodyLimit: 16_384 },
      (_req, body, done) => done(null, { raw: body }),
    );

    scope.get<TokenRequest>('/u/:token', routeOptions, async (request, reply) => {
      if (await limited(request, reply)) return reply;
      const { token } = request.params;
      const view = await loadPreferences(deps.db, token, deps.clock.now());
      if (!view) return sendPublicPage(reply, invalidLinkPage(localeFor(request, null), request.url));
      const locale = localeFor(request, view.holder.locale ?? view.contactLocale ?? view.defaultLocale);
      return sendPublicPage(
        reply,
        unsubscribePage(locale, request.url, {
          workspaceName: view.workspaceName,
          purpose: view.holder.purpose,
          preferencesPath: `/p/${token}`,
        }),
      );
    });

    scope.post<TokenRequest>('/u/:token', routeOptions, async (request, reply) => {
      if (await limited(request, reply, ONE_CLICK_LIMIT, 'one-click')) return reply;
      const { token } = request.params;
      const body = request.body as Record<string, unknown> | undefined;
      const oneClick =
        body?.['List-Unsubscribe'] === 'One-Click' ||
        (typeof body?.raw === 'string' && body.raw.includes('One-Click'));
      const via: ChangeChannel = oneClick ? 'one-click' : 'unsubscribe-page';
      let change: Awaited<ReturnType<typeof changePreferences>>;
      try {
        change = await changePreferences(deps, wiring, {
          token,
          action: { kind: 'unsubscribe' },
          via,
          ...client(request),
        });
      } catch (err) {
        if (err instanceof AppError && err.code === 'CONSENT_LINK_INVALID')
          return sendPublicPage(reply, invalidLinkPage(localeFor(request, null), request.url));
        throw err;
      }
      request.log.info({ event: 'consent.withdrawn', via, purposes: change.withdrawn }, 'unsubscribed');
      const view = await loadPreferences(deps.db, token, deps.clock.now());
      const locale = localeFor(
        request,
        view?.holder.locale ?? view?.contactLocale ?? view?.defaultLocale ?? null,
      );
      return sendPublicPage(
        reply,
        unsubscribedPage(locale, request.url, {
          workspaceName: view?.workspaceName ?? '',
          purpose: change.holder.purpose,
          preferencesPath: `/p/${token}`,
        }),
      );
    });
  });

  app.get<TokenRequest>('/p/:token', routeOptions, async (request, reply) => {
    if (await limited(request, reply)) return reply;
    const view = await loadPreferences(deps.db, request.params.token, deps.clock.now());
    if (!view) return sendPublicPage(reply, invalidLinkPage(localeFor(request, null), request.url));
    const contact = await deps.db
      .selectFrom('contacts')
      .select('email')
      .where('workspace_id', '=', view.holder.workspaceId)
      .where('id', '=', view.holder.contactId)
      .executeTakeFirst();
    const locale = localeFor(request, view.holder.locale ?? view.contactLocale ?? view.defaultLocale);
    const done = request.query.done;
    const notice: PreferenceNotice =
      done === 'saved' || done === 'withdrawn' || done === 'objected' ? done : undefined;
    return sendPublicPage(
      reply,
      preferencesPage(locale, request.url, view, { email: contact?.email ?? '', notice }),
    );
  });

  const preferenceAction = (
    path: string,
    action: (body: Record<string, unknown>) => PreferenceAction,
    done: Exclude<PreferenceNotice, undefined>,
  ) =>
    app.post<TokenRequest>(path, routeOptions, async (request, reply) => {
      if (await limited(request, reply)) return reply;
      const { token } = request.params;
      try {
        const change = await changePreferences(deps, wiring, {
          token,
          action: action((request.body ?? {}) as Record<string, unknown>),
          via: 'preference-center',
          ...client(request),
        });
        request.log.info(
          {
            event: 'consent.preferences-changed',
            withdrawn: change.withdrawn,
            granted: change.granted,
            objected: change.objected,
          },
          'preferences changed',
        );
      } catch (err) {
        if (err instanceof AppError && err.code === 'CONSENT_LINK_INVALID')
          return sendPublicPage(reply, invalidLinkPage(localeFor(request, null), request.url));
        throw err;
      }
      // Post/redirect/get: reloading the result page never repeats the change.
      const params = new URLSearchParams({ done });
      if (request.query.lang === 'de' || request.query.lang === 'en') params.set('lang', request.query.lang);
      return reply.header('cache-control', 'no-store').redirect(`/p/${token}?${params.toString()}`, 303);
    });

  preferenceAction(
    '/p/:token',
    (body) => {
      const keep = body.keep;
      return {
        kind: 'save',
        keep: Array.isArray(keep) ? keep.map(String) : typeof keep === 'string' ? [keep] : [],
      };
    },
    'saved',
  );
  preferenceAction('/p/:token/withdraw', () => ({ kind: 'withdraw-all' }), 'withdrawn');
  preferenceAction('/p/:token/object', () => ({ kind: 'object' }), 'objected');
}
