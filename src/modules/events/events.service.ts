import { Type } from '@sinclair/typebox';
import { parse } from 'csv-parse/sync';
import { createEvent as createIcs, type EventAttributes } from 'ics';
import { type Selectable, sql } from 'kysely';
import type { Actor } from '../../shared/actor.js';
import { hmac, safeEqual } from '../../shared/crypto.js';
import type { Executor } from '../../shared/db/index.js';
import type { EventRegistrationsTable, EventsTable } from '../../shared/db/schema.js';
import { normalizeEmail } from '../../shared/email.js';
import { AppError } from '../../shared/errors.js';
import { escapeHtml } from '../../shared/http/public-page.js';
import { newId } from '../../shared/ids.js';
import { defineJob, type JobContext, PermanentJobError } from '../../shared/jobs/index.js';
import type { AppDeps } from '../../shared/module.js';
import { recordAudit } from '../audit/index.js';
import { type ActivityInput, findContactById, recordActivities } from '../contacts/index.js';
import { type Address, enqueueMessage, findMailSender } from '../mail/index.js';

export type EventRow = Selectable<EventsTable>;
export type RegistrationRow = Selectable<EventRegistrationsTable>;
type Deps = Pick<AppDeps, 'db' | 'clock' | 'queue' | 'config'>;

/** The default reminder: a day before the start. */
export const REMINDER_BEFORE_MS = 24 * 3_600_000;
/** At most this many reminders per event, each 5 minutes to 30 days before the start. */
export const MAX_REMINDERS = 5;
export const REMINDER_MINUTES_RANGE = [5, 30 * 24 * 60] as const;

export const SEND_REMINDER_JOB = defineJob({
  name: 'events.send-reminder',
  lane: 'default',
  maxAttempts: 8,
  // startsAt/minutesBefore: the plan the job was made for; a rescheduled event's old jobs send nothing.
  schema: Type.Object({
    registrationId: Type.String(),
    startsAt: Type.Optional(Type.String()),
    minutesBefore: Type.Optional(Type.Integer()),
  }),
  async handler() {
    throw new PermanentJobError('events.send-reminder runs in the events module');
  },
});

export interface EventInput {
  title: string;
  description?: string | undefined;
  startsAt: string;
  endsAt: string;
  timeZone: string;
  location?: string | null | undefined;
  onlineUrl?: string | null | undefined;
  capacity?: number | null | undefined;
  formId?: string | null | undefined;
  /** Reminder schedule in minutes before the start (default: one day). */
  reminderMinutes?: number[] | undefined;
}

function checkReminders(minutes: number[], problems: { field: string; message: string }[]): number[] {
  const list = [...new Set(minutes)].sort((a, b) => b - a);
  if (
    list.length > MAX_REMINDERS ||
    list.some((m) => !Number.isInteger(m) || m < REMINDER_MINUTES_RANGE[0] || m > REMINDER_MINUTES_RANGE[1])
  )
    problems.push({ field: 'reminderMinutes', message: 'at most 5 reminders, 5 minutes to 30 days before' });
  return list;
}

function checkInput(input: EventInput): void {
  const problems: { field: string; message: string }[] = [];
  checkReminders(input.reminderMinutes ?? [], problems);
  if (!(Date.parse(input.endsAt) > Date.parse(input.startsAt)))
    problems.push({ field: 'endsAt', message: 'must be after startsAt' });
  if (!input.location && !input.onlineUrl)
    problems.push({ field: 'location', message: 'give a place or an online link' });
  try {
    new Intl.DateTimeFormat('en', { timeZone: input.timeZone });
  } catch {
    problems.push({ field: 'timeZone', message: 'not a known time zone' });
  }
  if (problems.length > 0) throw new AppError('VALIDATION_FAILED', { fields: problems });
}

export async function findEvent(
  db: Executor,
  workspaceId: string,
  id: string,
): Promise<EventRow | undefined> {
  return db
    .selectFrom('events')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
}

async function mustFindEvent(db: Executor, workspaceId: string, id: string, lock = false): Promise<EventRow> {
  let q = db.selectFrom('events').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id);
  if (lock) q = q.forUpdate();
  const e = await q.executeTakeFirst();
  if (!e) throw new AppError('EVENT_NOT_FOUND');
  return e;
}

/** Creates an event (webinar or on-site). */
export async function createEvent(
  deps: Deps,
  actor: Actor,
  workspaceId: string,
  input: EventInput,
): Promise<EventRow> {
  checkInput(input);
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto('events')
      .values({
        id: newId(),
        workspace_id: workspaceId,
        title: input.title.trim(),
        description: input.description ?? '',
        starts_at: new Date(input.startsAt),
        ends_at: new Date(input.endsAt),
        time_zone: input.timeZone,
        location: input.location ?? null,
        online_url: input.onlineUrl ?? null,
        capacity: input.capacity ?? null,
        form_id: input.formId ?? null,
        reminder_minutes: JSON.stringify(
          checkReminders(input.reminderMinutes ?? [REMINDER_BEFORE_MS / 60_000], []),
        ),
        created_by: actor.userId,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'events.created',
      targetType: 'event',
      targetId: row.id,
    });
    return row;
  });
}

export async function listEvents(
  db: Executor,
  workspaceId: string,
): Promise<(EventRow & { registered: number; waitlisted: number; attended: number })[]> {
  const r = await sql<EventRow & { registered: string; waitlisted: string; attended: string }>`
    SELECT e.*,
      (SELECT count(*) FROM event_registrations r WHERE r.event_id = e.id AND r.status = 'registered') AS registered,
      (SELECT count(*) FROM event_registrations r WHERE r.event_id = e.id AND r.status = 'waitlisted') AS waitlisted,
      (SELECT count(*) FROM event_registrations r WHERE r.event_id = e.id AND r.attended_at IS NOT NULL) AS attended
    FROM events e WHERE e.workspace_id = ${workspaceId} ORDER BY e.starts_at DESC LIMIT 500`.execute(db);
  return r.rows.map((x) => ({
    ...x,
    registered: Number(x.registered),
    waitlisted: Number(x.waitlisted),
    attended: Number(x.attended),
  }));
}

export async function listRegistrations(db: Executor, workspaceId: string, eventId: string) {
  return db
    .selectFrom('event_registrations as r')
    .innerJoin('contacts as c', (j) =>
      j.onRef('c.id', '=', 'r.contact_id').onRef('c.workspace_id', '=', 'r.workspace_id'),
    )
    .select([
      'r.id',
      'r.contact_id',
      'c.email',
      'r.status',
      'r.registered_at',
      'r.attended_at',
      'r.attended_via',
      'r.source',
      'c.first_name',
      'c.last_name',
    ])
    .where('r.workspace_id', '=', workspaceId)
    .where('r.event_id', '=', eventId)
    .orderBy('r.registered_at')
    .orderBy('r.id')
    .limit(5000)
    .execute();
}

/** What a registration link does: download the calendar file, check in, or cancel the registration. */
export type RegistrationLinkUse = 'ics' | 'checkin' | 'cancel';

/** A signed, per-registration link token (calendar file, check-in, cancel): no personal data in it. */
export function registrationToken(secret: string, registrationId: string, use: RegistrationLinkUse): string {
  return `${registrationId}.${hmac(`${secret}:events:${use}`, registrationId).slice(0, 32)}`;
}

export function openRegistrationToken(
  secret: string,
  token: string,
  use: RegistrationLinkUse,
): string | undefined {
  const [id, sig] = token.split('.');
  if (!id || !sig || !/^[0-9a-f-]{36}$/.test(id)) return undefined;
  return safeEqual(sig, hmac(`${secret}:events:${use}`, id).slice(0, 32)) ? id : undefined;
}

function activity(
  ev: EventRow,
  contactId: string,
  type: string,
  now: Date,
  data: Record<string, unknown> = {},
): ActivityInput {
  return {
    workspaceId: ev.workspace_id,
    contactId,
    type,
    occurredAt: now,
    data: { eventId: ev.id, title: ev.title, ...data },
    source: `event:${ev.id}`,
    ref: `event:${ev.id}`,
  };
}

function when(ev: EventRow, locale: 'de' | 'en'): string {
  return new Intl.DateTimeFormat(locale === 'de' ? 'de-DE' : 'en-GB', {
    weekday: 'long',
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone: ev.time_zone,
    timeZoneName: 'short',
  }).format(ev.starts_at);
}

function mailContent(deps: Deps, ev: EventRow, reg: { id: string }, locale: 'de' | 'en', kind: MailKind) {
  const link = (use: RegistrationLinkUse) =>
    `${deps.config.publicUrl}/e/${use}?t=${registrationToken(deps.config.secretKey, reg.id, use)}`;
  const where = ev.online_url ?? ev.location ?? '';
  const de = locale === 'de';
  const subject = {
    confirmation: de ? `Anmeldung bestätigt: ${ev.title}` : `Registration confirmed: ${ev.title}`,
    waitlist: de ? `Warteliste: ${ev.title}` : `Waiting list: ${ev.title}`,
    reminder: de ? `Erinnerung: ${ev.title}` : `Reminder: ${ev.title}`,
    update: de ? `Geändert: ${ev.title}` : `Updated: ${ev.title}`,
    cancelled: de ? `Abmeldung bestätigt: ${ev.title}` : `Registration cancelled: ${ev.title}`,
    'event-cancelled': de ? `Abgesagt: ${ev.title}` : `Cancelled: ${ev.title}`,
  }[kind];
  const lead = {
    confirmation: de ? 'Sie sind angemeldet.' : 'You are registered.',
    waitlist: de
      ? 'Die Veranstaltung ist ausgebucht; Sie stehen auf der Warteliste. Wird ein Platz frei, erhalten Sie eine Bestätigung.'
      : 'The event is full; you are on the waiting list. If a place becomes free, you will get a confirmation.',
    reminder: de ? 'Wir erinnern Sie an Ihre Anmeldung.' : 'A reminder of your registration.',
    update: de
      ? 'Die Veranstaltung, zu der Sie angemeldet sind, wurde geändert. Der Kalendereintrag im Anhang ersetzt den bisherigen.'
      : 'The event you registered for has changed. The calendar entry attached replaces the earlier one.',
    cancelled: de
      ? 'Ihre Anmeldung ist storniert. Der Kalendereintrag im Anhang entfernt den Termin aus Ihrem Kalender.'
      : 'Your registration is cancelled. The calendar entry attached removes the event from your calendar.',
    'event-cancelled': de
      ? 'Die Veranstaltung, zu der Sie angemeldet waren, findet leider nicht statt. Der Kalendereintrag im Anhang entfernt den Termin aus Ihrem Kalender.'
      : 'We are sorry: the event you registered for has been cancelled. The calendar entry attached removes it from your calendar.',
  }[kind];
  const lines = [lead, `${ev.title}`, when(ev, locale), where];
  const cancelLabel =
    kind === 'waitlist'
      ? de
        ? 'Von der Warteliste abmelden'
        : 'Leave the waiting list'
      : de
        ? 'Anmeldung stornieren'
        : 'Cancel my registration';
  const links: [string, string][] =
    kind === 'cancelled' || kind === 'event-cancelled'
      ? []
      : [
          ...(kind === 'waitlist'
            ? []
            : ([
                [de ? 'In den Kalender eintragen (ICS)' : 'Add to your calendar (ICS)', link('ics')],
                [de ? 'Teilnahme bestätigen (Check-in)' : 'Confirm attendance (check-in)', link('checkin')],
              ] as [string, string][])),
          [cancelLabel, link('cancel')],
        ];
  return {
    subject,
    text: [...lines, '', ...links.map(([label, url]) => `${label}: ${url}`)].join('\n'),
    html: [
      ...lines.map((l) => `<p>${escapeHtml(l)}</p>`),
      ...links.map(([label, url]) => `<p><a href="${escapeHtml(url)}">${escapeHtml(label)}</a></p>`),
    ].join(''),
  };
}

type MailKind = 'confirmation' | 'waitlist' | 'reminder' | 'update' | 'cancelled' | 'event-cancelled';

async function sendMail(
  trx: Executor,
  deps: Deps,
  ev: EventRow,
  reg: RegistrationRow,
  kind: MailKind,
  key?: string,
  /** The workspace's sender, when the caller sends many mails of the event and read it once. */
  sender?: Address,
) {
  const contact = await findContactById(trx, reg.workspace_id, reg.contact_id);
  if (!contact) return;
  const locale = contact.locale ?? 'de';
  // Confirmation, reminder and update carry the calendar entry (same UID; SEQUENCE says which is
  // newer); a cancellation carries a CANCEL of it, so calendar programs remove the entry. A
  // waiting-list place has no entry (nothing was put in the calendar).
  const method = kind === 'cancelled' || kind === 'event-cancelled' ? 'CANCEL' : 'REQUEST';
  const attachments =
    kind === 'waitlist' || (kind === 'event-cancelled' && reg.status !== 'registered')
      ? undefined
      : [
          {
            filename: 'event.ics',
            contentType: `text/calendar; charset=utf-8; method=${method}`,
            content: buildIcs(ev, {
              organizer: sender ?? (await findMailSender(trx, deps.config, ev.workspace_id)),
              attendee: {
                email: contact.email,
                name: [contact.first_name, contact.last_name].filter(Boolean).join(' ') || undefined,
              },
              method,
              locale,
            }),
          },
        ];
  // The person asked for this registration: service mail, not marketing.
  await enqueueMessage(trx, deps, {
    workspaceId: reg.workspace_id,
    kind: 'transactional',
    contactId: reg.contact_id,
    to: contact.email,
    locale,
    content: mailContent(deps, ev, reg, locale, kind),
    idempotencyKey: `event:${reg.id}:${kind}:${key ?? reg.status}`,
    lane: kind === 'reminder' ? 'default' : 'critical',
    attachments,
  });
}

function reminderKey(regId: string, ev: Pick<EventRow, 'starts_at'>, minutes: number): string {
  return `${regId}:${ev.starts_at.getTime()}:${minutes}`;
}

/** One scheduled job per reminder of the event's schedule still ahead (no sweep over registrations). */
async function scheduleReminders(trx: Executor, deps: Deps, ev: EventRow, regs: RegistrationRow[]) {
  const now = deps.clock.now().getTime();
  for (const minutes of ev.reminder_minutes) {
    const at = new Date(ev.starts_at.getTime() - minutes * 60_000);
    if (at.getTime() <= now || regs.length === 0) continue;
    await deps.queue.enqueueMany(
      trx,
      SEND_REMINDER_JOB,
      regs.map((r) => ({
        registrationId: r.id,
        startsAt: ev.starts_at.toISOString(),
        minutesBefore: minutes,
      })),
      {
        workspaceId: ev.workspace_id,
        runAt: at,
        idempotencyKeys: regs.map((r) => reminderKey(r.id, ev, minutes)),
      },
    );
  }
}

/** Withdraws the reminder jobs of registrations (cancelled, or the event moved) that have not run yet. */
async function cancelReminders(trx: Executor, deps: Deps, ev: EventRow, regIds: string[]) {
  const keys = regIds.flatMap((id) => [
    ...ev.reminder_minutes.map((m) => reminderKey(id, ev, m)),
    `${id}:${ev.starts_at.getTime()}`, // jobs planned before reminder schedules existed
  ]);
  for (let i = 0; i < keys.length; i += 1000)
    await deps.queue.cancel(trx, SEND_REMINDER_JOB, keys.slice(i, i + 1000));
}

/**
 * Registers a contact (in the caller's transaction): a place while there is capacity, the waiting
 * list after; confirmation (or waiting-list) mail with calendar and check-in links, a reminder a day
 * before, a timeline entry `events.registered` / `events.waitlisted` (ref `event:<id>`). Registering
 * twice changes nothing.
 */
export async function registerForEvent(
  trx: Executor,
  deps: Deps,
  input: { workspaceId: string; eventId: string; contactId: string; source: string },
): Promise<RegistrationRow> {
  const ev = await mustFindEvent(trx, input.workspaceId, input.eventId, true);
  const existing = await trx
    .selectFrom('event_registrations')
    .selectAll()
    .where('event_id', '=', ev.id)
    .where('contact_id', '=', input.contactId)
    .executeTakeFirst();
  if (existing && existing.status !== 'cancelled') return existing;
  if (ev.status === 'cancelled') throw new AppError('EVENT_CANCELLED');
  const now = deps.clock.now();
  const taken = await trx
    .selectFrom('event_registrations')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('event_id', '=', ev.id)
    .where('status', '=', 'registered')
    .executeTakeFirstOrThrow();
  const status = ev.capacity !== null && Number(taken.n) >= ev.capacity ? 'waitlisted' : 'registered';
  const values = { status, registered_at: now, updated_at: now, source: input.source.slice(0, 200) } as const;
  const reg = existing
    ? await trx
        .updateTable('event_registrations')
        .set(values)
        .where('id', '=', existing.id)
        .returningAll()
        .executeTakeFirstOrThrow()
    : await trx
        .insertInto('event_registrations')
        .values({
          id: newId(),
          workspace_id: input.workspaceId,
          event_id: ev.id,
          contact_id: input.contactId,
          ...values,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
  await recordActivities(trx, [
    activity(ev, reg.contact_id, status === 'registered' ? 'events.registered' : 'events.waitlisted', now),
  ]);
  await sendMail(trx, deps, ev, reg, status === 'registered' ? 'confirmation' : 'waitlist');
  if (status === 'registered') await scheduleReminders(trx, deps, ev, [reg]);
  return reg;
}

/** Who cancelled a registration: the workspace (UI, API) or the person by the link in their mail. */
export type CancelledBy = 'workspace' | 'self';

/**
 * Cancels one registration (locked by the caller, after the event): its reminders are withdrawn, a
 * freed place goes to the first on the waiting list, `events.cancelled` goes on the timeline, and
 * the person gets a notice whose calendar entry (METHOD:CANCEL) removes the event from their
 * calendar. Returns undefined when it was cancelled already.
 */
async function cancelLockedRegistration(
  trx: Executor,
  deps: Deps,
  ev: EventRow,
  reg: RegistrationRow,
  by: CancelledBy,
  notify: boolean,
): Promise<{ cancelled: string; promoted: string | null } | undefined> {
  if (reg.status === 'cancelled') return undefined;
  const now = deps.clock.now();
  await trx
    .updateTable('event_registrations')
    .set({ status: 'cancelled', updated_at: now })
    .where('id', '=', reg.id)
    .execute();
  await cancelReminders(trx, deps, ev, [reg.id]);
  // Only a freed place moves the waiting list up.
  const promoted =
    reg.status === 'registered' && ev.status === 'scheduled'
      ? await promoteWaitingList(trx, deps, ev, 1)
      : [];
  await recordActivities(trx, [activity(ev, reg.contact_id, 'events.cancelled', now, { by })]);
  // `reg` still has the status it had: a waiting-list place had no calendar entry to remove.
  if (notify && ev.status === 'scheduled')
    await sendMail(trx, deps, ev, reg, 'cancelled', String(now.getTime()));
  return { cancelled: reg.id, promoted: promoted[0]?.id ?? null };
}

async function lockRegistration(trx: Executor, id: string): Promise<RegistrationRow | undefined> {
  return trx
    .selectFrom('event_registrations')
    .selectAll()
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst();
}

/** Cancels a registration for the workspace; the first on the waiting list gets the place (and a confirmation). */
export async function cancelRegistration(
  deps: Deps,
  actor: Actor,
  workspaceId: string,
  eventId: string,
  registrationId: string,
  options: { notify?: boolean | undefined } = {},
) {
  return deps.db.transaction().execute(async (trx) => {
    const ev = await mustFindEvent(trx, workspaceId, eventId, true);
    const reg = await lockRegistration(trx, registrationId);
    if (!reg || reg.workspace_id !== workspaceId || reg.event_id !== eventId) throw new AppError('NOT_FOUND');
    const done = await cancelLockedRegistration(trx, deps, ev, reg, 'workspace', options.notify ?? true);
    if (!done) throw new AppError('NOT_FOUND');
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'events.registration-cancelled',
      targetType: 'event',
      targetId: eventId,
    });
    return done;
  });
}

/**
 * The person cancels their own registration (or leaves the waiting list) by the signed link in
 * their mail — after pressing the button on the page the link opens, so link scanners cancel
 * nothing. Cancelling twice is not an error; once the event has begun the link no longer cancels.
 */
export async function cancelByLink(
  deps: Deps,
  token: string,
): Promise<{ event: EventRow; alreadyCancelled: boolean }> {
  const id = openRegistrationToken(deps.config.secretKey, token, 'cancel');
  if (!id) throw new AppError('EVENT_LINK_INVALID');
  return deps.db.transaction().execute(async (trx) => {
    const found = await trx
      .selectFrom('event_registrations')
      .select(['workspace_id', 'event_id'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!found) throw new AppError('EVENT_LINK_INVALID');
    // The event first, then the registration: the lock order of every other path.
    const ev = await mustFindEvent(trx, found.workspace_id, found.event_id, true);
    const reg = await lockRegistration(trx, id);
    if (!reg) throw new AppError('EVENT_LINK_INVALID');
    if (reg.status === 'cancelled') return { event: ev, alreadyCancelled: true };
    if (ev.status === 'cancelled') throw new AppError('EVENT_CANCELLED');
    if (ev.starts_at.getTime() <= deps.clock.now().getTime()) throw new AppError('EVENT_STARTED');
    await cancelLockedRegistration(trx, deps, ev, reg, 'self', true);
    return { event: ev, alreadyCancelled: false };
  });
}

/**
 * Calls an event off: it is marked cancelled (the calendar SEQUENCE raised), every reminder is
 * withdrawn, nobody can register any more, and — unless `notify` is false — everyone registered or
 * waiting gets a notice; the registered get a calendar CANCEL that removes the entry. Registrations
 * stay as they were (who had registered remains true); the journeys and segments see the event's
 * status.
 */
export async function cancelEvent(
  deps: Deps,
  actor: Actor,
  workspaceId: string,
  eventId: string,
  options: { notify?: boolean | undefined } = {},
): Promise<{ event: EventRow; notified: number }> {
  const now = deps.clock.now();
  const notify = options.notify ?? true;
  return deps.db.transaction().execute(async (trx) => {
    const ev = await mustFindEvent(trx, workspaceId, eventId, true);
    if (ev.status === 'cancelled') throw new AppError('EVENT_CANCELLED');
    if (ev.ends_at.getTime() <= now.getTime()) throw new AppError('EVENT_OVER');
    const updated = await trx
      .updateTable('events')
      .set({ status: 'cancelled', sequence: ev.sequence + 1, updated_at: now })
      .where('id', '=', ev.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const regs = await trx
      .selectFrom('event_registrations')
      .selectAll()
      .where('event_id', '=', ev.id)
      .where('status', 'in', ['registered', 'waitlisted'])
      .orderBy('registered_at')
      .orderBy('id')
      .execute();
    await cancelReminders(
      trx,
      deps,
      ev,
      regs.filter((r) => r.status === 'registered').map((r) => r.id),
    );
    if (notify && regs.length > 0) {
      const sender = await findMailSender(trx, deps.config, ev.workspace_id);
      for (const r of regs)
        await sendMail(trx, deps, updated, r, 'event-cancelled', String(updated.sequence), sender);
    }
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'events.cancelled',
      targetType: 'event',
      targetId: eventId,
      details: { notified: notify ? regs.length : 0 },
    });
    return { event: updated, notified: notify ? regs.length : 0 };
  });
}

/**
 * Gives free places to the waiting list, first come first served (at most `places`): each gets a
 * confirmation with the calendar entry, reminders and `events.registered` (fromWaitingList).
 */
async function promoteWaitingList(
  trx: Executor,
  deps: Deps,
  ev: EventRow,
  places: number,
): Promise<RegistrationRow[]> {
  if (places <= 0) return [];
  const now = deps.clock.now();
  const next = await trx
    .selectFrom('event_registrations')
    .select('id')
    .where('event_id', '=', ev.id)
    .where('status', '=', 'waitlisted')
    .orderBy('registered_at')
    .orderBy('id')
    .limit(places)
    .execute();
  if (next.length === 0) return [];
  const promoted = await trx
    .updateTable('event_registrations')
    .set({ status: 'registered', updated_at: now })
    .where(
      'id',
      'in',
      next.map((n) => n.id),
    )
    .returningAll()
    .execute();
  promoted.sort((a, b) => a.registered_at.getTime() - b.registered_at.getTime() || a.id.localeCompare(b.id));
  await recordActivities(
    trx,
    promoted.map((p) => activity(ev, p.contact_id, 'events.registered', now, { fromWaitingList: true })),
  );
  const sender = await findMailSender(trx, deps.config, ev.workspace_id);
  for (const p of promoted) await sendMail(trx, deps, ev, p, 'confirmation', undefined, sender);
  await scheduleReminders(trx, deps, ev, promoted);
  return promoted;
}

export interface EventChanges extends Partial<EventInput> {}

/**
 * Changes an event. A change people see (title, time, place, link, description) raises the
 * calendar SEQUENCE and sends the registered an update with the new calendar entry (same UID, so
 * it replaces the old one); a new time or reminder schedule re-plans the reminders; more capacity
 * moves the waiting list up.
 */
export async function updateEvent(
  deps: Deps,
  actor: Actor,
  workspaceId: string,
  eventId: string,
  changes: EventChanges,
): Promise<EventRow> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const ev = await mustFindEvent(trx, workspaceId, eventId, true);
    if (ev.status === 'cancelled') throw new AppError('EVENT_CANCELLED');
    const merged: EventInput = {
      title: changes.title ?? ev.title,
      description: changes.description ?? ev.description,
      startsAt: changes.startsAt ?? ev.starts_at.toISOString(),
      endsAt: changes.endsAt ?? ev.ends_at.toISOString(),
      timeZone: changes.timeZone ?? ev.time_zone,
      location: changes.location !== undefined ? changes.location : ev.location,
      onlineUrl: changes.onlineUrl !== undefined ? changes.onlineUrl : ev.online_url,
      capacity: changes.capacity !== undefined ? changes.capacity : ev.capacity,
      formId: changes.formId !== undefined ? changes.formId : ev.form_id,
      reminderMinutes: changes.reminderMinutes ?? ev.reminder_minutes,
    };
    checkInput(merged);
    const reminders = checkReminders(merged.reminderMinutes!, []);
    const startsAt = new Date(merged.startsAt);
    const endsAt = new Date(merged.endsAt);
    const visible =
      merged.title.trim() !== ev.title ||
      (merged.description ?? '') !== ev.description ||
      startsAt.getTime() !== ev.starts_at.getTime() ||
      endsAt.getTime() !== ev.ends_at.getTime() ||
      (merged.location ?? null) !== ev.location ||
      (merged.onlineUrl ?? null) !== ev.online_url;
    const replan =
      startsAt.getTime() !== ev.starts_at.getTime() ||
      JSON.stringify(reminders) !== JSON.stringify(ev.reminder_minutes);
    const updated = await trx
      .updateTable('events')
      .set({
        title: merged.title.trim(),
        description: merged.description ?? '',
        starts_at: startsAt,
        ends_at: endsAt,
        time_zone: merged.timeZone,
        location: merged.location ?? null,
        online_url: merged.onlineUrl ?? null,
        capacity: merged.capacity ?? null,
        form_id: merged.formId ?? null,
        reminder_minutes: JSON.stringify(reminders),
        sequence: visible ? ev.sequence + 1 : ev.sequence,
        updated_at: now,
      })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', eventId)
      .returningAll()
      .executeTakeFirstOrThrow();
    const registered = await trx
      .selectFrom('event_registrations')
      .selectAll()
      .where('event_id', '=', eventId)
      .where('status', '=', 'registered')
      .orderBy('registered_at')
      .execute();
    if (replan && updated.status === 'scheduled') {
      await cancelReminders(
        trx,
        deps,
        ev,
        registered.map((r) => r.id),
      );
      await scheduleReminders(trx, deps, updated, registered);
    }
    if (visible && updated.status === 'scheduled') {
      const sender =
        registered.length > 0 ? await findMailSender(trx, deps.config, ev.workspace_id) : undefined;
      for (const r of registered)
        await sendMail(trx, deps, updated, r, 'update', String(updated.sequence), sender);
    }
    if (updated.status === 'scheduled') {
      const free = updated.capacity === null ? Number.MAX_SAFE_INTEGER : updated.capacity - registered.length;
      await promoteWaitingList(trx, deps, updated, Math.min(free, 5000));
    }
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'events.updated',
      targetType: 'event',
      targetId: eventId,
      details: { sequence: updated.sequence, notified: visible ? registered.length : 0 },
    });
    return updated;
  });
}

/** Records attendance of contacts (by hand, CSV or check-in), once each; `events.attended` on the timeline. */
export async function markAttended(
  trx: Executor,
  deps: Deps,
  input: { workspaceId: string; eventId: string; contactIds: string[]; via: 'manual' | 'csv' | 'check-in' },
): Promise<number> {
  const ev = await mustFindEvent(trx, input.workspaceId, input.eventId);
  if (input.contactIds.length === 0) return 0;
  const now = deps.clock.now();
  // A contact who attended without registering (e.g. joined the webinar by link) gets a registration.
  await trx
    .insertInto('event_registrations')
    .values(
      input.contactIds.map((contactId) => ({
        id: newId(),
        workspace_id: input.workspaceId,
        event_id: ev.id,
        contact_id: contactId,
        status: 'registered' as const,
        registered_at: now,
        source: `attendance:${input.via}`,
        updated_at: now,
      })),
    )
    .onConflict((oc) => oc.columns(['event_id', 'contact_id']).doNothing())
    .execute();
  const marked = await trx
    .updateTable('event_registrations')
    .set({ attended_at: now, attended_via: input.via, updated_at: now })
    .where('workspace_id', '=', input.workspaceId)
    .where('event_id', '=', ev.id)
    .where('contact_id', 'in', input.contactIds)
    .where('attended_at', 'is', null)
    .returning('contact_id')
    .execute();
  await recordActivities(
    trx,
    marked.map((m) => activity(ev, m.contact_id, 'events.attended', now, { via: input.via })),
  );
  return marked.length;
}

/** The e-mail of a CSV row: the chosen column, else a column named like an e-mail address column. */
function emailOf(row: Record<string, string>, column: string | undefined): string {
  if (column) return row[column] ?? '';
  const key = Object.keys(row).find((k) =>
    ['email', 'e-mail', 'e-mail-adresse', 'email address', 'e-mail address', 'attendee email'].includes(k),
  );
  return key ? (row[key] ?? '') : '';
}

/** Attendance from a webinar tool's CSV export: a column `email` (or `e-mail`); unknown addresses are reported. */
export async function importAttendanceCsv(
  deps: Deps,
  actor: Actor,
  workspaceId: string,
  eventId: string,
  csv: string,
  emailColumn?: string,
) {
  let records: Record<string, string>[];
  try {
    records = parse(csv, {
      columns: (h: string[]) => h.map((x) => x.trim().toLowerCase()),
      skip_empty_lines: true,
      bom: true,
      delimiter: [',', ';', '\t'],
    });
  } catch {
    throw new AppError('VALIDATION_FAILED', { fields: [{ field: 'csv', message: 'not readable as CSV' }] });
  }
  const emails = [
    ...new Set(
      records
        .map((r) => normalizeEmail(emailOf(r, emailColumn?.trim().toLowerCase())))
        .filter((e): e is string => !!e),
    ),
  ];
  return deps.db.transaction().execute(async (trx) => {
    await mustFindEvent(trx, workspaceId, eventId);
    const contacts =
      emails.length === 0
        ? []
        : await trx
            .selectFrom('contacts')
            .select(['id', 'email_normalized'])
            .where('workspace_id', '=', workspaceId)
            .where('email_normalized', 'in', emails)
            .where('merged_into_contact_id', 'is', null)
            .execute();
    const found = new Set(contacts.map((c) => c.email_normalized));
    const marked = await markAttended(trx, deps, {
      workspaceId,
      eventId,
      contactIds: contacts.map((c) => c.id),
      via: 'csv',
    });
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'events.attendance-imported',
      targetType: 'event',
      targetId: eventId,
      details: { rows: records.length, marked },
    });
    return { rows: records.length, marked, unknown: emails.filter((e) => !found.has(e)).length };
  });
}

/** Check-in by the signed link from the confirmation mail. */
export async function checkIn(deps: Deps, token: string): Promise<EventRow> {
  const id = openRegistrationToken(deps.config.secretKey, token, 'checkin');
  if (!id) throw new AppError('EVENT_LINK_INVALID');
  return deps.db.transaction().execute(async (trx) => {
    const reg = await trx
      .selectFrom('event_registrations')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (!reg || reg.status === 'cancelled') throw new AppError('EVENT_LINK_INVALID');
    const ev = await mustFindEvent(trx, reg.workspace_id, reg.event_id);
    await markAttended(trx, deps, {
      workspaceId: reg.workspace_id,
      eventId: reg.event_id,
      contactIds: [reg.contact_id],
      via: 'check-in',
    });
    return ev;
  });
}

/** The calendar file (RFC 5545, made by the `ics` package) for a registration's signed link. */
export async function calendarFile(deps: Deps, token: string): Promise<{ ics: string; event: EventRow }> {
  const id = openRegistrationToken(deps.config.secretKey, token, 'ics');
  if (!id) throw new AppError('EVENT_LINK_INVALID');
  const reg = await deps.db
    .selectFrom('event_registrations')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirst();
  if (reg?.status !== 'registered') throw new AppError('EVENT_LINK_INVALID');
  const ev = await mustFindEvent(deps.db, reg.workspace_id, reg.event_id);
  const organizer = await findMailSender(deps.db, deps.config, ev.workspace_id);
  return { ics: buildIcs(ev, { organizer, method: 'PUBLISH' }), event: ev };
}

/**
 * The event's calendar entry. The UID is the event's, so every file for it (confirmation,
 * reminder, update, download) names the same entry and the one with the higher SEQUENCE replaces
 * it. Times are written in UTC (unambiguous across DST and clients); the description names the
 * time in the event's own zone. A REQUEST (mail attachment) names the organiser (the workspace's
 * From) and the registrant, who need not answer (RSVP=FALSE).
 */
export function buildIcs(
  ev: EventRow,
  options: {
    organizer?: Address | undefined;
    attendee?: { email: string; name?: string | undefined } | undefined;
    method?: 'PUBLISH' | 'REQUEST' | 'CANCEL' | undefined;
    locale?: 'de' | 'en' | undefined;
  } = {},
): string {
  const description = [ev.description, when(ev, options.locale ?? 'de'), ev.online_url ?? '']
    .filter((x) => x.trim())
    .join('\n\n');
  const attrs: EventAttributes = {
    uid: `${ev.id}@leadwerk`,
    sequence: ev.sequence,
    method: options.method ?? 'PUBLISH',
    title: ev.title,
    description: description || undefined,
    ...(options.organizer
      ? {
          organizer: {
            email: options.organizer.address,
            name: options.organizer.name ?? options.organizer.address,
          },
        }
      : {}),
    ...(options.attendee
      ? {
          attendees: [
            {
              email: options.attendee.email,
              name: options.attendee.name ?? options.attendee.email,
              rsvp: false,
              partstat: 'ACCEPTED',
              role: 'REQ-PARTICIPANT',
            },
          ],
        }
      : {}),
    start: ev.starts_at.getTime(),
    startInputType: 'utc',
    startOutputType: 'utc',
    end: ev.ends_at.getTime(),
    endInputType: 'utc',
    endOutputType: 'utc',
    ...(ev.location ? { location: ev.location } : {}),
    ...(ev.online_url ? { url: ev.online_url } : {}),
    status: ev.status === 'cancelled' || options.method === 'CANCEL' ? 'CANCELLED' : 'CONFIRMED',
    productId: 'leadwerk/events',
  };
  const { error, value } = createIcs(attrs);
  if (error || !value) throw new Error(`calendar file: ${String(error)}`);
  // The package stamps DTSTAMP with the wall clock; the entry's own last change is what it means.
  return value.replace(/^DTSTAMP:.*$/m, `DTSTAMP:${icsUtc(ev.updated_at)}`);
}

function icsUtc(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/** The reminder job: only for a registration that still stands, for the event time it was planned for. */
export async function sendReminder(
  deps: Deps,
  payload: { registrationId: string; startsAt?: string | undefined; minutesBefore?: number | undefined },
  ctx: JobContext,
): Promise<void> {
  await ctx.completeWith(async (trx) => {
    const reg = await trx
      .selectFrom('event_registrations')
      .selectAll()
      .where('id', '=', payload.registrationId)
      .executeTakeFirst();
    if (reg?.status !== 'registered') return;
    const ev = await mustFindEvent(trx, reg.workspace_id, reg.event_id).catch(() => undefined);
    if (!ev || ev.status === 'cancelled' || ev.starts_at.getTime() <= deps.clock.now().getTime()) return;
    // Planned for another start time or a reminder no longer in the schedule: nothing to send.
    if (payload.startsAt && Date.parse(payload.startsAt) !== ev.starts_at.getTime()) return;
    const minutes = payload.minutesBefore ?? REMINDER_BEFORE_MS / 60_000;
    if (payload.minutesBefore !== undefined && !ev.reminder_minutes.includes(minutes)) return;
    await sendMail(trx, deps, ev, reg, 'reminder', `${ev.starts_at.getTime()}:${minutes}`);
  });
}
