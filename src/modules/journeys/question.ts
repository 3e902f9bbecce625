import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import { hmac, safeEqual } from '../../shared/crypto.js';
import { AppError, type Locale } from '../../shared/errors.js';
import { html, pickLocale, type SafeHtml, sendPublicPage, withLang } from '../../shared/http/public-page.js';
import type { AppDeps } from '../../shared/module.js';
import { clientKey, hitRateLimit } from '../../shared/rate-limit.js';
import { recordActivity } from '../contacts/index.js';
import { BANT_CHOICES, type BantField, bantAnswerOf, recordBantAnswers } from '../scoring/index.js';
import type { Step } from './definition.js';
import { findVersion } from './journeys.repository.js';

/*
 * The progressive-profiling question of an `ask-question` step: the mail links to `/q?t=<token>`, a
 * public page that shows the one question (GET) and saves the answer (POST). The token is signed
 * (HMAC with SECRET_KEY under its own label), names workspace, contact, journey, version, step and
 * enrollment, and expires; it carries no address. The page is server-rendered (no script, strict
 * CSP, every value escaped), German or English by the contact's language, and rate-limited per
 * client (an IPv6 address by its /64) like the other public pages. A BANT answer goes through scoring's `recordBantAnswers`
 * (source `journey`, with its date); a field answer updates the contact. Either way the timeline
 * gets `journeys.question-answered` (ref `question:<journey>:<step>`), which branches, event waits
 * and scoring use.
 */

export type QuestionStep = Extract<Step, { type: 'ask-question' }>;

export interface QuestionLink {
  workspaceId: string;
  contactId: string;
  journeyId: string;
  version: number;
  stepId: string;
  enrollmentId: string;
  expiresAt: Date;
}

const KIND = 'journeys.question';
/** How long an answer link works by default. */
export const QUESTION_LINK_TTL_DAYS = 30;
/** Requests per client and minute on the answer page (like the other public pages). */
const LIMIT = { max: 60, windowSeconds: 60 } as const;

export function createQuestionToken(secret: string, link: QuestionLink): string {
  const payload = Buffer.from(
    JSON.stringify({
      w: link.workspaceId,
      c: link.contactId,
      j: link.journeyId,
      v: link.version,
      s: link.stepId,
      e: link.enrollmentId,
      x: link.expiresAt.getTime(),
    }),
  ).toString('base64url');
  return `${payload}.${hmac(secret, `${KIND}:${payload}`)}`;
}

/** The link a valid, unexpired token names, else undefined. */
export function openQuestionToken(secret: string, token: string, now: Date): QuestionLink | undefined {
  if (typeof token !== 'string' || token.length > 1000) return undefined;
  const dot = token.indexOf('.');
  if (dot < 1) return undefined;
  const payload = token.slice(0, dot);
  if (!safeEqual(token.slice(dot + 1), hmac(secret, `${KIND}:${payload}`))) return undefined;
  try {
    const b = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (
      typeof b.w !== 'string' ||
      typeof b.c !== 'string' ||
      typeof b.j !== 'string' ||
      typeof b.v !== 'number' ||
      typeof b.s !== 'string' ||
      typeof b.e !== 'string' ||
      typeof b.x !== 'number'
    )
      return undefined;
    if (b.x <= now.getTime()) return undefined;
    return {
      workspaceId: b.w,
      contactId: b.c,
      journeyId: b.j,
      version: b.v,
      stepId: b.s,
      enrollmentId: b.e,
      expiresAt: new Date(b.x),
    };
  } catch {
    return undefined;
  }
}

/** The answer page's address for one contact at one step. */
export function questionUrl(
  deps: Pick<AppDeps, 'config' | 'clock'>,
  link: Omit<QuestionLink, 'expiresAt'>,
  validDays = QUESTION_LINK_TTL_DAYS,
): string {
  const expiresAt = new Date(deps.clock.now().getTime() + validDays * 86_400_000);
  return `${deps.config.publicUrl}/q?t=${createQuestionToken(deps.config.secretKey, { ...link, expiresAt })}`;
}

type Choice = { value: string; label: Record<Locale, string> };

/** The choices the page offers (none: a text answer). */
export function choicesOf(step: QuestionStep): Choice[] {
  if (step.answer.kind === 'bant') return BANT_CHOICES[step.answer.field as BantField];
  return step.answer.options ?? [];
}

const TEXTS = {
  de: {
    title: 'Eine kurze Frage',
    answer: 'Ihre Antwort',
    send: 'Antwort senden',
    thanks: 'Danke für Ihre Antwort',
    thanksText: 'Wir haben Ihre Antwort gespeichert.',
    invalid: 'Dieser Link ist ungültig oder abgelaufen.',
    invalidTitle: 'Link ungültig',
    missing: 'Bitte wählen Sie eine Antwort oder geben Sie eine ein.',
    tooMany: 'Zu viele Anfragen. Bitte versuchen Sie es in einer Minute erneut.',
    tooManyTitle: 'Zu viele Anfragen',
    error: 'Fehler',
  },
  en: {
    title: 'A short question',
    answer: 'Your answer',
    send: 'Send answer',
    thanks: 'Thank you for your answer',
    thanksText: 'We have saved your answer.',
    invalid: 'This link is invalid or has expired.',
    invalidTitle: 'Invalid link',
    missing: 'Please choose or enter an answer.',
    tooMany: 'Too many requests. Please try again in a minute.',
    tooManyTitle: 'Too many requests',
    error: 'Error',
  },
} as const;

function page(
  reply: FastifyReply,
  locale: Locale,
  path: string,
  title: string,
  body: SafeHtml,
  status = 200,
) {
  return sendPublicPage(reply, {
    locale,
    title,
    body,
    status,
    switchHref: withLang(path, locale === 'de' ? 'en' : 'de'),
  });
}

function questionBody(step: QuestionStep, locale: Locale, action: string, problem?: string): SafeHtml {
  const t = TEXTS[locale];
  const choices = choicesOf(step);
  const error = problem
    ? html`<p class="notice" role="alert" id="answer-error"><strong>${t.error}:</strong> ${problem}</p>`
    : '';
  const described = problem ? html` aria-describedby="answer-error"` : '';
  const input =
    choices.length > 0
      ? html`<fieldset${described}><legend>${step.question[locale]}</legend>${choices.map(
          (c, i) =>
            html`<label for="answer-${i}"><input type="radio" id="answer-${i}" name="answer" value="${c.value}" required> ${c.label[locale]}</label>`,
        )}</fieldset>`
      : html`<p><label for="answer">${step.question[locale]}</label>
<input type="text" id="answer" name="answer" maxlength="200" required autocomplete="off"${described}></p>`;
  return html`<h1>${t.title}</h1>${error}<form method="post" action="${action}">${input}<p><button type="submit">${t.send}</button></p></form>`;
}

/** The step a link names, in the version the contact followed, or undefined. */
async function stepOf(deps: AppDeps, link: QuestionLink): Promise<QuestionStep | undefined> {
  const def = await findVersion(deps.db, link.workspaceId, link.journeyId, link.version);
  const step = def?.steps.find((s) => s.id === link.stepId);
  return step?.type === 'ask-question' ? step : undefined;
}

async function contactOf(deps: AppDeps, link: QuestionLink) {
  return deps.db
    .selectFrom('contacts')
    .select(['id', 'locale'])
    .where('workspace_id', '=', link.workspaceId)
    .where('id', '=', link.contactId)
    .where('merged_into_contact_id', 'is', null)
    .executeTakeFirst();
}

const COLUMN_FIELDS = new Set([
  'first_name',
  'last_name',
  'company_name',
  'job_title',
  'phone',
  'country',
  'city',
  'locale',
]);

/** Saves an answer: BANT through scoring, a field on the contact; the timeline gets the answer. */
export async function saveAnswer(
  deps: AppDeps,
  link: QuestionLink,
  step: QuestionStep,
  answer: string,
): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    if (step.answer.kind === 'bant') {
      const answers = bantAnswerOf(step.answer.field as BantField, answer);
      if (!answers)
        throw new AppError('VALIDATION_FAILED', { fields: [{ field: 'answer', message: 'not a choice' }] });
      await recordBantAnswers(trx, deps, {
        workspaceId: link.workspaceId,
        contactId: link.contactId,
        answers,
        source: 'journey',
        sourceRef: `journey:${link.journeyId}`,
      });
    } else {
      const field = step.answer.field;
      if (field.startsWith('custom.')) {
        await sql`UPDATE contacts SET custom_fields = custom_fields || ${JSON.stringify({ [field.slice(7)]: answer })}::jsonb,
            updated_at = ${now}
          WHERE workspace_id = ${link.workspaceId} AND id = ${link.contactId}`.execute(trx);
      } else if (COLUMN_FIELDS.has(field) && (field !== 'locale' || answer === 'de' || answer === 'en')) {
        await trx
          .updateTable('contacts')
          .set({ [field]: answer, updated_at: now })
          .where('workspace_id', '=', link.workspaceId)
          .where('id', '=', link.contactId)
          .execute();
      }
    }
    await recordActivity(trx, {
      workspaceId: link.workspaceId,
      contactId: link.contactId,
      type: 'journeys.question-answered',
      occurredAt: now,
      data: {
        journeyId: link.journeyId,
        stepId: link.stepId,
        enrollmentId: link.enrollmentId,
        field: step.answer.kind === 'bant' ? `bant.${step.answer.field}` : step.answer.field,
        answer,
      },
      source: `journey:${link.journeyId}`,
      ref: `question:${link.journeyId}:${link.stepId}`,
    });
  });
}

interface QuestionRequest {
  Querystring: { t?: string; lang?: string };
  Body: unknown;
}

/** GET and POST `/q?t=<token>`: the public answer page. */
export function registerQuestionRoutes(app: FastifyInstance, deps: AppDeps): void {
  const options = {
    config: { auth: 'public' as const },
    schema: { hide: true },
  };

  async function open(request: FastifyRequest<QuestionRequest>, reply: FastifyReply) {
    const fallback = pickLocale(request.query, null, request.headers['accept-language']);
    const limit = await hitRateLimit(
      deps.db,
      deps.clock,
      `journeys:question:${clientKey(request.ip ?? '-')}`,
      LIMIT.max,
      LIMIT.windowSeconds,
    );
    if (!limit.allowed) {
      reply.header('retry-after', String(limit.retryAfterSeconds));
      const t = TEXTS[fallback];
      page(
        reply,
        fallback,
        request.url,
        t.tooManyTitle,
        html`<h1>${t.tooManyTitle}</h1><p>${t.tooMany}</p>`,
        429,
      );
      return undefined;
    }
    const link = openQuestionToken(deps.config.secretKey, request.query.t ?? '', deps.clock.now());
    const step = link ? await stepOf(deps, link) : undefined;
    const contact = link && step ? await contactOf(deps, link) : undefined;
    if (!link || !step || !contact) {
      const t = TEXTS[fallback];
      page(
        reply,
        fallback,
        request.url,
        t.invalidTitle,
        html`<h1>${t.invalidTitle}</h1><p>${t.invalid}</p>`,
        404,
      );
      return undefined;
    }
    const contactLocale = contact.locale === 'en' || contact.locale === 'de' ? contact.locale : 'de';
    const locale = pickLocale(request.query, contactLocale as Locale);
    return { link, step, locale };
  }

  app.get<QuestionRequest>('/q', options, async (request, reply) => {
    const found = await open(request, reply);
    if (!found) return reply;
    const action = `/q?t=${encodeURIComponent(request.query.t ?? '')}&lang=${found.locale}`;
    return page(
      reply,
      found.locale,
      request.url,
      TEXTS[found.locale].title,
      questionBody(found.step, found.locale, action),
    );
  });

  app.post<QuestionRequest>('/q', options, async (request, reply) => {
    const found = await open(request, reply);
    if (!found) return reply;
    const { step, locale, link } = found;
    const t = TEXTS[locale];
    const body = (request.body ?? {}) as Record<string, unknown>;
    const raw = typeof body.answer === 'string' ? body.answer.trim().slice(0, 200) : '';
    const choices = choicesOf(step);
    const valid = choices.length > 0 ? choices.some((c) => c.value === raw) : raw.length > 0;
    const action = `/q?t=${encodeURIComponent(request.query.t ?? '')}&lang=${locale}`;
    if (!valid)
      return page(reply, locale, request.url, t.title, questionBody(step, locale, action, t.missing), 422);
    await saveAnswer(deps, link, step, raw);
    return page(
      reply,
      locale,
      request.url,
      t.thanks,
      html`<h1>${t.thanks}</h1><p role="status">${t.thanksText}</p>`,
    );
  });
}
