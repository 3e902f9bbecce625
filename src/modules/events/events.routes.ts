import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, errorMessage } from '../../shared/errors.js';
import { actorOf, workspaceOf } from '../../shared/http/auth.js';
import { html, pickLocale, sendPublicPage, withLang } from '../../shared/http/public-page.js';
import type { AppDeps } from '../../shared/module.js';
import { hitRateLimit } from '../../shared/rate-limit.js';
import { findContactById } from '../contacts/index.js';
import {
  calendarFile,
  cancelByLink,
  cancelEvent,
  cancelRegistration,
  checkIn,
  createEvent,
  type EventRow,
  findEvent,
  importAttendanceCsv,
  listEvents,
  listRegistrations,
  markAttended,
  openRegistrationToken,
  type RegistrationLinkUse,
  registerForEvent,
  registrationToken,
  updateEvent,
} from './events.service.js';

/*
 * Events and webinars. Route table (permission per route):
 *   GET    /api/v1/events                                   journeys:read   list with registered / waiting / attended
 *   POST   /api/v1/events                                   journeys:write  create
 *   GET    /api/v1/events/:id                               journeys:read   the event and its registrations
 *   PATCH  /api/v1/events/:id                               journeys:write  change; the registered get the new calendar entry
 *   POST   /api/v1/events/:id/cancel                        journeys:write  call the event off; everyone registered gets a notice
 *   POST   /api/v1/events/:id/registrations                 journeys:write  register a contact (API / by hand)
 *   POST   /api/v1/events/:id/registrations/:rid/cancel     journeys:write  cancel; the waiting list moves up
 *   POST   /api/v1/events/:id/attendance                    journeys:write  mark contacts as attended
 *   POST   /api/v1/events/:id/attendance/csv                journeys:write  attendance from a webinar tool's CSV (emailColumn)
 *   GET    /e/ics?t=                                         public          calendar file of a registration
 *   GET|POST /e/checkin?t=                                   public          check-in page / check in
 *   GET|POST /e/cancel?t=                                    public          cancel-my-registration page / cancel
 * Registration through a capture form: an event names its form (`formId`); the activity handler
 * registers whoever submits it (see index.ts).
 */

const Id = Type.Object({ id: Type.String({ format: 'uuid' }) });
const EventBody = Type.Object({
  id: Type.String(),
  title: Type.String(),
  description: Type.String(),
  startsAt: Type.String(),
  endsAt: Type.String(),
  timeZone: Type.String(),
  location: Type.Union([Type.String(), Type.Null()]),
  onlineUrl: Type.Union([Type.String(), Type.Null()]),
  capacity: Type.Union([Type.Integer(), Type.Null()]),
  formId: Type.Union([Type.String(), Type.Null()]),
  reminderMinutes: Type.Array(Type.Integer()),
  sequence: Type.Integer(),
  status: Type.String(),
  registered: Type.Integer(),
  waitlisted: Type.Integer(),
  attended: Type.Integer(),
});

const EventFields = {
  title: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.Optional(Type.String({ maxLength: 5000 })),
  startsAt: Type.String({ format: 'date-time' }),
  endsAt: Type.String({ format: 'date-time' }),
  timeZone: Type.String({ minLength: 1, maxLength: 64 }),
  location: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
  onlineUrl: Type.Optional(
    Type.Union([Type.String({ pattern: '^https://[^\\s]+$', maxLength: 2000 }), Type.Null()]),
  ),
  capacity: Type.Optional(Type.Union([Type.Integer({ minimum: 1, maximum: 1_000_000 }), Type.Null()])),
  formId: Type.Optional(Type.Union([Type.String({ format: 'uuid' }), Type.Null()])),
  reminderMinutes: Type.Optional(Type.Array(Type.Integer({ minimum: 5, maximum: 43_200 }), { maxItems: 5 })),
};

/** `{ notify: false }` cancels silently; no body (or null) means notify. */
const NotifyBody = Type.Optional(
  Type.Union([
    Type.Object({ notify: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
    Type.Null(),
  ]),
);

function toBody(e: EventRow, counts = { registered: 0, waitlisted: 0, attended: 0 }) {
  return {
    id: e.id,
    title: e.title,
    description: e.description,
    startsAt: e.starts_at.toISOString(),
    endsAt: e.ends_at.toISOString(),
    timeZone: e.time_zone,
    location: e.location,
    onlineUrl: e.online_url,
    capacity: e.capacity,
    formId: e.form_id,
    reminderMinutes: e.reminder_minutes,
    sequence: e.sequence,
    status: e.status,
    ...counts,
  };
}

const TEXTS = {
  de: {
    checkinTitle: 'Check-in',
    checkinButton: 'Teilnahme bestätigen',
    checkedIn: 'Danke – Ihre Teilnahme ist bestätigt.',
    cancelTitle: 'Anmeldung stornieren',
    cancelQuestion: 'Möchten Sie Ihre Anmeldung (oder Ihren Platz auf der Warteliste) stornieren?',
    cancelButton: 'Anmeldung stornieren',
    cancelled: 'Ihre Anmeldung ist storniert. Sie erhalten eine Bestätigung per E-Mail.',
    alreadyCancelled: 'Diese Anmeldung war bereits storniert.',
    invalid: 'Dieser Link ist ungültig oder abgelaufen.',
    tooMany: 'Zu viele Anfragen. Bitte versuchen Sie es später erneut.',
  },
  en: {
    checkinTitle: 'Check-in',
    checkinButton: 'Confirm attendance',
    checkedIn: 'Thank you – your attendance is confirmed.',
    cancelTitle: 'Cancel registration',
    cancelQuestion: 'Do you want to cancel your registration (or your place on the waiting list)?',
    cancelButton: 'Cancel my registration',
    cancelled: 'Your registration is cancelled. You will get a confirmation by e-mail.',
    alreadyCancelled: 'This registration was already cancelled.',
    invalid: 'This link is invalid or has expired.',
    tooMany: 'Too many requests. Please try again later.',
  },
};

export function registerEventRoutes(app: FastifyInstance, deps: AppDeps): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/api/v1/events',
    {
      config: { permission: 'journeys:read' },
      schema: {
        tags: ['events'],
        summary: 'Events and webinars',
        response: { 200: Type.Object({ items: Type.Array(EventBody) }) },
      },
    },
    async (request) => ({
      items: (await listEvents(deps.db, workspaceOf(request))).map((e) =>
        toBody(e, { registered: e.registered, waitlisted: e.waitlisted, attended: e.attended }),
      ),
    }),
  );

  r.post(
    '/api/v1/events',
    {
      config: { permission: 'journeys:write' },
      schema: {
        tags: ['events'],
        summary: 'Create an event or webinar',
        body: Type.Object(EventFields, { additionalProperties: false }),
        response: { 201: Type.Object({ event: EventBody }) },
      },
    },
    async (request, reply) => {
      const e = await createEvent(deps, actorOf(request), workspaceOf(request), request.body);
      return reply.code(201).send({ event: toBody(e) });
    },
  );

  r.get(
    '/api/v1/events/:id',
    {
      config: { permission: 'journeys:read' },
      schema: {
        tags: ['events'],
        summary: 'An event with its registrations',
        params: Id,
        response: {
          200: Type.Object({
            event: EventBody,
            registrations: Type.Array(
              Type.Object({
                id: Type.String(),
                contactId: Type.String(),
                email: Type.String(),
                status: Type.String(),
                registeredAt: Type.String(),
                attendedAt: Type.Union([Type.String(), Type.Null()]),
                attendedVia: Type.Union([Type.String(), Type.Null()]),
                name: Type.String(),
                source: Type.Union([Type.String(), Type.Null()]),
                checkinUrl: Type.String(),
              }),
            ),
          }),
        },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const e = await findEvent(deps.db, ws, request.params.id);
      if (!e) throw new AppError('EVENT_NOT_FOUND');
      const regs = await listRegistrations(deps.db, ws, e.id);
      return {
        event: toBody(e, {
          registered: regs.filter((x) => x.status === 'registered').length,
          waitlisted: regs.filter((x) => x.status === 'waitlisted').length,
          attended: regs.filter((x) => x.attended_at).length,
        }),
        registrations: regs.map((x) => ({
          id: x.id,
          contactId: x.contact_id,
          email: x.email,
          status: x.status,
          registeredAt: x.registered_at.toISOString(),
          attendedAt: x.attended_at?.toISOString() ?? null,
          attendedVia: x.attended_via,
          name: [x.first_name, x.last_name].filter(Boolean).join(' '),
          source: x.source,
          checkinUrl: `${deps.config.publicUrl}/e/checkin?t=${registrationToken(deps.config.secretKey, x.id, 'checkin')}`,
        })),
      };
    },
  );

  r.patch(
    '/api/v1/events/:id',
    {
      config: { permission: 'journeys:write' },
      schema: {
        tags: ['events'],
        summary: 'Change an event; the registered get the new calendar entry',
        params: Id,
        body: Type.Partial(Type.Object(EventFields), { additionalProperties: false }),
        response: { 200: Type.Object({ event: EventBody }) },
      },
    },
    async (request) => {
      const e = await updateEvent(
        deps,
        actorOf(request),
        workspaceOf(request),
        request.params.id,
        request.body,
      );
      return { event: toBody(e) };
    },
  );

  r.post(
    '/api/v1/events/:id/cancel',
    {
      config: { permission: 'journeys:write' },
      schema: {
        tags: ['events'],
        summary: 'Call an event off; everyone registered or waiting gets a notice (unless notify is false)',
        params: Id,
        body: NotifyBody,
        response: { 200: Type.Object({ event: EventBody, notified: Type.Integer() }) },
      },
    },
    async (request) => {
      const { event, notified } = await cancelEvent(
        deps,
        actorOf(request),
        workspaceOf(request),
        request.params.id,
        { notify: request.body?.notify },
      );
      return { event: toBody(event), notified };
    },
  );

  r.post(
    '/api/v1/events/:id/registrations',
    {
      config: { permission: 'journeys:write' },
      schema: {
        tags: ['events'],
        summary: 'Register a contact (waiting list when full)',
        params: Id,
        body: Type.Object({ contactId: Type.String({ format: 'uuid' }) }, { additionalProperties: false }),
        response: { 200: Type.Object({ id: Type.String(), status: Type.String() }) },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const actor = actorOf(request);
      const reg = await deps.db.transaction().execute(async (trx) => {
        if (!(await findContactById(trx, ws, request.body.contactId)))
          throw new AppError('NOT_FOUND', { field: 'contactId' });
        return registerForEvent(trx, deps, {
          workspaceId: ws,
          eventId: request.params.id,
          contactId: request.body.contactId,
          source: actor.userId ? `user:${actor.userId}` : 'api',
        });
      });
      return { id: reg.id, status: reg.status };
    },
  );

  r.post(
    '/api/v1/events/:id/registrations/:rid/cancel',
    {
      config: { permission: 'journeys:write' },
      schema: {
        tags: ['events'],
        summary:
          'Cancel a registration; the first on the waiting list moves up; the person gets a notice unless notify is false',
        params: Type.Object({ id: Type.String({ format: 'uuid' }), rid: Type.String({ format: 'uuid' }) }),
        body: NotifyBody,
        response: {
          200: Type.Object({ cancelled: Type.String(), promoted: Type.Union([Type.String(), Type.Null()]) }),
        },
      },
    },
    async (request) =>
      cancelRegistration(
        deps,
        actorOf(request),
        workspaceOf(request),
        request.params.id,
        request.params.rid,
        {
          notify: request.body?.notify,
        },
      ),
  );

  r.post(
    '/api/v1/events/:id/attendance',
    {
      config: { permission: 'journeys:write' },
      schema: {
        tags: ['events'],
        summary: 'Mark contacts as attended (by hand)',
        params: Id,
        body: Type.Object(
          { contactIds: Type.Array(Type.String({ format: 'uuid' }), { minItems: 1, maxItems: 5000 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ marked: Type.Integer() }) },
      },
    },
    async (request) => {
      const ws = workspaceOf(request);
      const marked = await deps.db.transaction().execute(async (trx) => {
        const known = await trx
          .selectFrom('contacts')
          .select('id')
          .where('workspace_id', '=', ws)
          .where('id', 'in', request.body.contactIds)
          .execute();
        return markAttended(trx, deps, {
          workspaceId: ws,
          eventId: request.params.id,
          contactIds: known.map((k) => k.id),
          via: 'manual',
        });
      });
      return { marked };
    },
  );

  r.post(
    '/api/v1/events/:id/attendance/csv',
    {
      config: { permission: 'journeys:write' },
      bodyLimit: 5 * 1024 * 1024,
      schema: {
        tags: ['events'],
        summary: "Attendance from a webinar tool's CSV export (column email)",
        params: Id,
        body: Type.Object(
          {
            csv: Type.String({ maxLength: 4_000_000 }),
            // The column with the e-mail address (header as in the file); default: email / e-mail.
            emailColumn: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ rows: Type.Integer(), marked: Type.Integer(), unknown: Type.Integer() }),
        },
      },
    },
    async (request) =>
      importAttendanceCsv(
        deps,
        actorOf(request),
        workspaceOf(request),
        request.params.id,
        request.body.csv,
        request.body.emailColumn,
      ),
  );

  // Public: calendar file and check-in. Signed per-registration links; rate-limited per client.
  const publicRoute = { config: { auth: 'public' as const }, schema: { hide: true } };
  async function limited(
    request: FastifyRequest,
    reply: FastifyReply,
    locale: 'de' | 'en',
  ): Promise<boolean> {
    const hit = await hitRateLimit(deps.db, deps.clock, `events:public:${request.ip}`, 60, 60);
    if (hit.allowed) return false;
    sendPublicPage(reply.header('retry-after', String(hit.retryAfterSeconds)), {
      locale,
      title: TEXTS[locale].checkinTitle,
      status: 429,
      body: html`<h1>${TEXTS[locale].checkinTitle}</h1><p>${TEXTS[locale].tooMany}</p>`,
    });
    return true;
  }
  const localeOf = (request: FastifyRequest<{ Querystring: { lang?: string } }>) =>
    pickLocale(request.query, 'de', request.headers['accept-language']);

  app.get<{ Querystring: { t?: string; lang?: string } }>('/e/ics', publicRoute, async (request, reply) => {
    const locale = localeOf(request);
    if (await limited(request, reply, locale)) return reply;
    try {
      const { ics } = await calendarFile(deps, request.query.t ?? '');
      return reply
        .header('content-type', 'text/calendar; charset=utf-8')
        .header('content-disposition', 'attachment; filename="event.ics"')
        .header('cache-control', 'no-store')
        .send(ics);
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      return sendPublicPage(reply, {
        locale,
        title: TEXTS[locale].checkinTitle,
        status: 404,
        body: html`<h1>${TEXTS[locale].checkinTitle}</h1><p>${TEXTS[locale].invalid}</p>`,
      });
    }
  });

  /*
   * Pages behind a signed registration link that change something (check in, cancel): the GET shows
   * a button, only the POST acts — link scanners in mail gateways open every link in a mail.
   */
  function buttonPage(
    use: Exclude<RegistrationLinkUse, 'ics'>,
    texts: (locale: 'de' | 'en') => { title: string; question?: string; button: string },
    act: (token: string, locale: 'de' | 'en') => Promise<{ heading: string; message: string }>,
  ): void {
    const path = (t: string) => `/e/${use}?t=${encodeURIComponent(t)}`;
    const invalid = (
      reply: FastifyReply,
      locale: 'de' | 'en',
      message = TEXTS[locale].invalid,
      status = 404,
    ) =>
      sendPublicPage(reply, {
        locale,
        title: texts(locale).title,
        status,
        body: html`<h1>${texts(locale).title}</h1><p>${message}</p>`,
      });
    app.get<{ Querystring: { t?: string; lang?: string } }>(
      `/e/${use}`,
      publicRoute,
      async (request, reply) => {
        const locale = localeOf(request);
        if (await limited(request, reply, locale)) return reply;
        const t = request.query.t ?? '';
        if (!openRegistrationToken(deps.config.secretKey, t, use)) return invalid(reply, locale);
        const tx = texts(locale);
        return sendPublicPage(reply, {
          locale,
          title: tx.title,
          switchHref: withLang(path(t), locale === 'de' ? 'en' : 'de'),
          body: html`<h1>${tx.title}</h1>${tx.question ? html`<p>${tx.question}</p>` : ''}
        <form method="post" action="${path(t)}&lang=${locale}"><button type="submit">${tx.button}</button></form>`,
        });
      },
    );
    app.post<{ Querystring: { t?: string; lang?: string } }>(
      `/e/${use}`,
      publicRoute,
      async (request, reply) => {
        const locale = localeOf(request);
        if (await limited(request, reply, locale)) return reply;
        try {
          const done = await act(request.query.t ?? '', locale);
          return sendPublicPage(reply, {
            locale,
            title: texts(locale).title,
            body: html`<h1>${done.heading}</h1><p>${done.message}</p>`,
          });
        } catch (e) {
          if (!(e instanceof AppError)) throw e;
          if (e.code === 'EVENT_LINK_INVALID') return invalid(reply, locale);
          return invalid(reply, locale, errorMessage(e.code, locale), e.status);
        }
      },
    );
  }

  buttonPage(
    'checkin',
    (locale) => ({ title: TEXTS[locale].checkinTitle, button: TEXTS[locale].checkinButton }),
    async (token, locale) => {
      const ev = await checkIn(deps, token);
      return { heading: ev.title, message: TEXTS[locale].checkedIn };
    },
  );
  buttonPage(
    'cancel',
    (locale) => ({
      title: TEXTS[locale].cancelTitle,
      question: TEXTS[locale].cancelQuestion,
      button: TEXTS[locale].cancelButton,
    }),
    async (token, locale) => {
      const { event, alreadyCancelled } = await cancelByLink(deps, token);
      return {
        heading: event.title,
        message: alreadyCancelled ? TEXTS[locale].alreadyCancelled : TEXTS[locale].cancelled,
      };
    },
  );
}
