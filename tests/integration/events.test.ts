import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordActivity } from '../../src/modules/contacts/index.js';
import { upsertMailSettings } from '../../src/modules/mail/settings.repository.js';
import { collectJobs } from '../../src/server.js';
import { ManualClock } from '../../src/shared/clock.js';
import { newId } from '../../src/shared/ids.js';
import { JobWorker } from '../../src/shared/jobs/index.js';
import { type Caller, createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';
import { createConsentedContact, TEST_IMPRINT, until } from '../support/mail.js';
import { decodeMail, SmtpSink } from '../support/smtp-sink.js';

/*
 * Events and webinars with the real mail module and SMTP: registration through a capture form's
 * submission (the activity capture records), capacity and waiting list, confirmation with calendar
 * and check-in links, the reminder a day before, cancellation moving the waiting list up, and
 * attendance by hand, CSV and check-in — each on the timeline with ref event:<id>, where journeys
 * see it (a journey waiting for the registration moves on).
 */

describe.each(await availableDbKinds())('events on %s', (kind) => {
  const clock = new ManualClock('2026-05-04T08:00:00Z');
  const sink = new SmtpSink();
  let t: TestApp;
  let admin: Caller;
  let ws: string;
  let worker: JobWorker;

  const mailsTo = (address: string) =>
    sink.received.filter((m) => m.to.includes(address)).map((m) => decodeMail(m.raw));
  const parsedTo = (address: string) =>
    Promise.all(sink.received.filter((m) => m.to.includes(address)).map((m) => simpleParser(m.raw)));
  /** The calendar file attached to a mail (unfolded lines). */
  const calendarOf = (mail: Awaited<ReturnType<typeof simpleParser>>) => {
    const a = mail.attachments.find((x) => x.contentType === 'text/calendar');
    return a?.content.toString('utf8').replace(/\r\n[ \t]/g, '');
  };
  async function api(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) {
    const res = await t.app.inject({
      method,
      url,
      headers: admin.headers(),
      ...(payload ? { payload } : {}),
    });
    return { status: res.statusCode, body: res.json() as Record<string, unknown> };
  }

  /** The reminder jobs still planned in the workspace: the registration each is for, and when. */
  const plannedReminders = async () =>
    (
      await t.deps.db
        .selectFrom('jobs')
        .select(['payload', 'run_at'])
        .where('name', '=', 'events.send-reminder')
        .where('workspace_id', '=', ws)
        .where('state', '=', 'queued')
        .execute()
    ).map((j) => ({
      registrationId: (j.payload as { registrationId: string }).registrationId,
      runAt: j.run_at,
    }));

  /** Contacts with these addresses, and a way to register one of them for the event. */
  async function people(eventId: string, emails: string[]) {
    const ids: string[] = [];
    for (const email of emails) ids.push(await createConsentedContact(t.deps.db, ws, email, []));
    const reg = async (contactId: string) =>
      (await api('POST', `/api/v1/events/${eventId}/registrations`, { contactId })).body as {
        id: string;
        status: string;
      };
    return { ids, reg };
  }

  beforeAll(async () => {
    await sink.start();
    t = await createTestApp(kind, {
      clock,
      config: { smtpUrl: sink.url, publicUrl: 'https://leads.acme.example' },
    });
    admin = await t.login();
    ws = admin.workspaceId;
    await upsertMailSettings(
      t.deps.db,
      ws,
      { imprint: TEST_IMPRINT, from_email: 'events@acme.example', from_name: 'Acme Events' },
      clock.now(),
    );
    worker = new JobWorker({
      handle: t.deps.handle,
      definitions: collectJobs(t.deps),
      clock,
      log: t.deps.log,
      concurrency: { critical: 2, default: 2, bulk: 1 },
      pollMs: 50,
    });
    await worker.start();
  });
  afterAll(async () => {
    await worker?.stop(1000);
    await t?.close();
    await sink.stop();
  });

  it('registers through the form, fills up, keeps a waiting list, reminds, moves up and records attendance', async () => {
    const formId = newId();
    const created = await api('POST', '/api/v1/events', {
      title: 'Webinar Instandhaltung 4.0',
      description: 'Live-Demo und Fragen',
      startsAt: '2026-05-12T14:00:00Z',
      endsAt: '2026-05-12T15:00:00Z',
      timeZone: 'Europe/Berlin',
      onlineUrl: 'https://webinar.acme.example/r/4711',
      capacity: 2,
      formId,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const eventId = (created.body.event as { id: string }).id;
    const people = ['eva', 'fritz', 'gabi'];
    const ids: string[] = [];
    for (const p of people) ids.push(await createConsentedContact(t.deps.db, ws, `${p}@kunde.example`, []));

    // A journey that waits for the registration (what "invite → registered" looks like).
    const j = await api('POST', '/api/v1/journeys', {
      name: 'Invite',
      definition: {
        trigger: { type: 'manual' },
        timeZone: 'Europe/Berlin',
        startStepId: 'reg',
        steps: [
          {
            id: 'reg',
            type: 'wait',
            wait: {
              kind: 'event',
              activityType: 'events.registered',
              ref: `event:${eventId}`,
              timeout: { days: 14 },
            },
            next: 'tag',
            timeoutNext: null,
          },
          { id: 'tag', type: 'update-contact', addTags: ['webinar-registered'], next: null },
        ],
        goals: [],
        exitRules: [],
        reentry: { policy: 'never' },
      },
    });
    const journeyId = (j.body.journey as { id: string }).id;
    await api('POST', `/api/v1/journeys/${journeyId}/activate`);
    await api('POST', `/api/v1/journeys/${journeyId}/contacts`, { contactIds: [ids[0]] });
    worker.wake();

    // The capture form's submissions, as capture records them: one person after the other (seats
    // go first come, first served by the time a registration is handled; see events/CONTEXT.md).
    let detail: Record<string, unknown> = {};
    for (const [i, id] of ids.entries()) {
      clock.advance(1000);
      await recordActivity(t.deps.db, {
        workspaceId: ws,
        contactId: id,
        type: 'capture.form-submitted',
        occurredAt: clock.now(),
        data: { formId },
        source: `form:${formId}`,
        ref: `form:${formId}`,
      });
      worker.wake();
      detail = await until(`registration ${i + 1}`, async () => {
        const d = await api('GET', `/api/v1/events/${eventId}`);
        return (d.body.registrations as unknown[]).length === i + 1 ? d.body : undefined;
      });
    }
    const regs = detail.registrations as { id: string; email: string; status: string }[];
    expect(regs.map((r) => [r.email, r.status])).toEqual([
      ['eva@kunde.example', 'registered'],
      ['fritz@kunde.example', 'registered'],
      ['gabi@kunde.example', 'waitlisted'],
    ]);
    await until('mails', () => people.every((p) => mailsTo(`${p}@kunde.example`).length === 1));
    expect(mailsTo('gabi@kunde.example')[0]).toMatch(/Warteliste/);
    const confirmation = mailsTo('eva@kunde.example')[0]!;
    expect(confirmation).toMatch(/Sie sind angemeldet/);
    const icsUrl = /https:\/\/leads\.acme\.example(\/e\/ics\?t=[A-Za-z0-9._~-]+)/.exec(confirmation)?.[1];
    const checkinUrl = /https:\/\/leads\.acme\.example(\/e\/checkin\?t=[A-Za-z0-9._~-]+)/.exec(
      confirmation,
    )?.[1];
    expect(icsUrl && checkinUrl).toBeTruthy();
    // The confirmation carries the calendar entry: UTC times (16:00 in Berlin summer time is 14:00Z),
    // the event's UID, the workspace's sender as organiser, the registrant as attendee.
    const evaIcs = calendarOf((await parsedTo('eva@kunde.example'))[0]!)!;
    expect(evaIcs).toMatch(/^METHOD:REQUEST$/m);
    expect(evaIcs).toMatch(/^DTSTART:20260512T140000Z$/m);
    expect(evaIcs).toMatch(/^DTEND:20260512T150000Z$/m);
    expect(evaIcs).toContain(`UID:${eventId}@leadwerk`);
    expect(evaIcs).toMatch(/^SEQUENCE:0$/m);
    expect(evaIcs).toMatch(/^ORGANIZER;CN="?Acme Events"?:mailto:events@acme\.example$/im);
    expect(evaIcs).toMatch(/^ATTENDEE;.*RSVP=FALSE.*:mailto:eva@kunde\.example$/im);
    expect(evaIcs).toContain('16:00 MESZ');
    // The waiting-list mail has none (no place yet).
    expect(calendarOf((await parsedTo('gabi@kunde.example'))[0]!)).toBeUndefined();

    // The journey waiting for Eva's registration moved on within seconds.
    await until('journey moved on', async () => {
      const c = await t.deps.db
        .selectFrom('contacts')
        .select('tags')
        .where('id', '=', ids[0]!)
        .executeTakeFirstOrThrow();
      return c.tags.includes('webinar-registered');
    });

    const ics = await t.app.inject({ method: 'GET', url: icsUrl! });
    expect(ics.statusCode).toBe(200);
    expect(ics.headers['content-type']).toMatch(/text\/calendar/);
    expect(ics.body).toMatch(/BEGIN:VEVENT/);
    expect(ics.body).toMatch(/DTSTART:20260512T140000Z/);
    expect(ics.body).toMatch(/SUMMARY:Webinar Instandhaltung 4.0/);
    const forged = await t.app.inject({ method: 'GET', url: `${icsUrl!.slice(0, -3)}abc` });
    expect(forged.statusCode).toBe(404);

    // Fritz cancels: Gabi moves up and gets her confirmation.
    const fritz = regs.find((r) => r.email === 'fritz@kunde.example')!;
    const cancel = await api('POST', `/api/v1/events/${eventId}/registrations/${fritz.id}/cancel`);
    expect(cancel.body, JSON.stringify(cancel.body)).toMatchObject({ promoted: regs[2]!.id });
    worker.wake();
    await until('gabi confirmed', () => mailsTo('gabi@kunde.example').length === 2);
    expect(mailsTo('gabi@kunde.example')[1]).toMatch(/Sie sind angemeldet/);
    await until('fritz notified', () => mailsTo('fritz@kunde.example').length === 2);
    // The notice removes the entry from Fritz's calendar: a CANCEL of the same UID.
    const fritzCancel = calendarOf((await parsedTo('fritz@kunde.example'))[1]!)!;
    expect(fritzCancel).toMatch(/^METHOD:CANCEL$/m);
    expect(fritzCancel).toMatch(/^STATUS:CANCELLED$/m);
    expect(fritzCancel).toContain(`UID:${eventId}@leadwerk`);

    // A day before: the reminder, to those still registered only.
    clock.set('2026-05-11T14:00:00Z');
    worker.wake();
    await until(
      'reminders',
      () => mailsTo('eva@kunde.example').length === 2 && mailsTo('gabi@kunde.example').length === 3,
    );
    expect(mailsTo('eva@kunde.example')[1]).toMatch(/Wir erinnern Sie/);
    expect(calendarOf((await parsedTo('eva@kunde.example'))[1]!)).toContain(`UID:${eventId}@leadwerk`);
    await new Promise((r) => setTimeout(r, 200));
    // Fritz got the confirmation and the notice of his cancellation, no reminder.
    expect(mailsTo('fritz@kunde.example')).toHaveLength(2);
    expect(mailsTo('fritz@kunde.example')[1]).toMatch(/Ihre Anmeldung ist storniert/);

    // Attendance: Eva checks in by her link (a page with a button, then POST), Gabi from the CSV.
    clock.set('2026-05-12T14:05:00Z');
    const page = await t.app.inject({ method: 'GET', url: checkinUrl! });
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/<button type="submit">/);
    const checked = await t.app.inject({ method: 'POST', url: checkinUrl! });
    expect(checked.statusCode).toBe(200);
    const csv = await api('POST', `/api/v1/events/${eventId}/attendance/csv`, {
      csv: 'Name;E-Mail;Dauer\nGabi;GABI@kunde.example;55\nNiemand;nobody@elsewhere.example;3\n',
    });
    expect(csv.body).toEqual({ rows: 2, marked: 1, unknown: 1 });
    // Checking in twice records one attendance.
    await t.app.inject({ method: 'POST', url: checkinUrl! });
    const attended = await t.deps.db
      .selectFrom('activities')
      .select(['contact_id', 'ref', 'data'])
      .where('type', '=', 'events.attended')
      .where('workspace_id', '=', ws)
      .execute();
    expect(attended).toHaveLength(2);
    expect(attended.every((a) => a.ref === `event:${eventId}`)).toBe(true);
    const list = await api('GET', '/api/v1/events');
    expect((list.body.items as { id: string }[]).find((e) => e.id === eventId)).toMatchObject({
      registered: 2,
      waitlisted: 0,
      attended: 2,
    });
  });

  it('moves an event: update mail whose calendar entry replaces the old one, reminders re-planned; cancelling withdraws reminders; more places move the waiting list up', async () => {
    clock.set('2026-10-01T08:00:00Z');
    admin = await t.login(); // the session from May has expired
    const created = await api('POST', '/api/v1/events', {
      title: 'Anwendertreffen',
      startsAt: '2026-10-20T08:00:00Z',
      endsAt: '2026-10-20T12:00:00Z',
      timeZone: 'Europe/Berlin',
      location: 'Werk 2, Halle B',
      capacity: 1,
      reminderMinutes: [1440, 60],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const eventId = (created.body.event as { id: string }).id;
    const {
      ids: [ida, idb, idc],
      reg,
    } = await people(eventId, ['ida@kunde.example', 'ben@kunde.example', 'cem@kunde.example']);
    const ra = await reg(ida!);
    const rb = await reg(idb!);
    expect([ra.status, rb.status]).toEqual(['registered', 'waitlisted']);
    const mine = async () => (await plannedReminders()).filter((j) => j.registrationId === ra.id);
    expect((await mine()).map((j) => j.runAt.toISOString()).sort()).toEqual([
      '2026-10-19T08:00:00.000Z',
      '2026-10-20T07:00:00.000Z',
    ]);
    worker.wake();
    await until('confirmation', () => mailsTo('ida@kunde.example').length === 1);

    // Moved by two hours: the registered get an update whose entry has the same UID, a higher SEQUENCE.
    const moved = await api('PATCH', `/api/v1/events/${eventId}`, {
      startsAt: '2026-10-20T10:00:00Z',
      endsAt: '2026-10-20T14:00:00Z',
    });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.event).toMatchObject({ sequence: 1 });
    worker.wake();
    await until('update', () => mailsTo('ida@kunde.example').length === 2);
    expect(mailsTo('ida@kunde.example')[1]).toMatch(/wurde geändert/);
    const updateIcs = calendarOf((await parsedTo('ida@kunde.example'))[1]!)!;
    expect(updateIcs).toContain(`UID:${eventId}@leadwerk`);
    expect(updateIcs).toMatch(/^SEQUENCE:1$/m);
    expect(updateIcs).toMatch(/^DTSTART:20261020T100000Z$/m);
    expect(mailsTo('ben@kunde.example').some((m) => /geändert/.test(m))).toBe(false);
    expect((await mine()).map((j) => j.runAt.toISOString()).sort()).toEqual([
      '2026-10-19T10:00:00.000Z',
      '2026-10-20T09:00:00.000Z',
    ]);

    // A second place: Ben moves up from the waiting list, with a confirmation and his reminders.
    await api('PATCH', `/api/v1/events/${eventId}`, { capacity: 2 });
    worker.wake();
    await until('ben confirmed', () =>
      mailsTo('ben@kunde.example').some((m) => /Sie sind angemeldet/.test(m)),
    );
    expect((await plannedReminders()).filter((j) => j.registrationId === rb.id)).toHaveLength(2);

    // Ida cancels: her reminder jobs are withdrawn, not left to fire.
    await api('POST', `/api/v1/events/${eventId}/registrations/${ra.id}/cancel`);
    expect(await mine()).toEqual([]);
    const rc = await reg(idc!);
    expect(rc.status).toBe('registered');

    // The reminder an hour before goes to Ben and Cem only.
    clock.set('2026-10-20T09:00:00Z');
    worker.wake();
    await until('reminders', () =>
      ['ben', 'cem'].every(
        (p) => mailsTo(`${p}@kunde.example`).filter((m) => /Erinnerung/.test(m)).length === 2,
      ),
    );
    expect(mailsTo('ida@kunde.example').filter((m) => /Erinnerung/.test(m))).toHaveLength(0);
  });

  it('imports attendance from a CSV by a chosen e-mail column', async () => {
    admin = await t.login();
    const created = await api('POST', '/api/v1/events', {
      title: 'Webinar CSV',
      startsAt: '2026-11-02T10:00:00Z',
      endsAt: '2026-11-02T11:00:00Z',
      timeZone: 'Europe/Berlin',
      onlineUrl: 'https://webinar.acme.example/r/1',
    });
    const eventId = (created.body.event as { id: string }).id;
    const id = await createConsentedContact(t.deps.db, ws, 'csv-person@kunde.example', []);
    const res = await api('POST', `/api/v1/events/${eventId}/attendance/csv`, {
      csv: 'Teilnehmer,Kontakt,Minuten\nP,csv-person@kunde.example,40\n',
      emailColumn: 'Kontakt',
    });
    expect(res.body).toEqual({ rows: 1, marked: 1, unknown: 0 });
    const detail = await api('GET', `/api/v1/events/${eventId}`);
    const regs = detail.body.registrations as {
      contactId: string;
      attendedVia: string;
      checkinUrl: string;
    }[];
    expect(regs).toMatchObject([{ contactId: id, attendedVia: 'csv' }]);
    expect(regs[0]!.checkinUrl).toMatch(/^https:\/\/leads\.acme\.example\/e\/checkin\?t=/);
  });

  it('lets the person cancel by the link in their mail (a button, not the GET), and calls an event off for everyone', async () => {
    clock.set('2026-11-01T08:00:00Z');
    admin = await t.login();
    const created = await api('POST', '/api/v1/events', {
      title: 'Praxistag Wartung',
      startsAt: '2026-11-20T08:00:00Z',
      endsAt: '2026-11-20T12:00:00Z',
      timeZone: 'Europe/Berlin',
      location: 'Werk 1',
      capacity: 1,
    });
    const eventId = (created.body.event as { id: string }).id;
    const {
      ids: [kai, lea, max],
      reg,
    } = await people(eventId, ['kai@kunde.example', 'lea@kunde.example', 'max@kunde.example']);
    const rk = await reg(kai!);
    const rl = await reg(lea!);
    expect([rk.status, rl.status]).toEqual(['registered', 'waitlisted']);
    worker.wake();
    await until(
      'mails',
      () => mailsTo('kai@kunde.example').length === 1 && mailsTo('lea@kunde.example').length === 1,
    );
    const cancelUrl = (mail: string) =>
      /https:\/\/leads\.acme\.example(\/e\/cancel\?t=[A-Za-z0-9._~-]+)/.exec(mail)?.[1];
    const kaiCancel = cancelUrl(mailsTo('kai@kunde.example')[0]!);
    expect(kaiCancel, 'the confirmation has a cancel link').toBeTruthy();
    expect(mailsTo('lea@kunde.example')[0]).toMatch(/Von der Warteliste abmelden/);
    expect(cancelUrl(mailsTo('lea@kunde.example')[0]!)).toBeTruthy();

    // Opening the link (what a mail gateway's scanner does) cancels nothing: it shows a button.
    const page = await t.app.inject({ method: 'GET', url: kaiCancel! });
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/<button type="submit">Anmeldung stornieren<\/button>/);
    const status = async (id: string) =>
      (
        await t.deps.db
          .selectFrom('event_registrations')
          .select('status')
          .where('id', '=', id)
          .executeTakeFirstOrThrow()
      ).status;
    expect(await status(rk.id)).toBe('registered');
    // A check-in token does not cancel (each link does one thing), nor does a forged one.
    const checkinToken = /\/e\/checkin\?t=([A-Za-z0-9._~-]+)/.exec(mailsTo('kai@kunde.example')[0]!)?.[1];
    expect((await t.app.inject({ method: 'POST', url: `/e/cancel?t=${checkinToken}` })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'POST', url: `${kaiCancel!.slice(0, -3)}abc` })).statusCode).toBe(
      404,
    );
    expect(await status(rk.id)).toBe('registered');

    // The button: Kai is out, Lea moves up with her confirmation, Kai gets a notice with a CANCEL.
    const done = await t.app.inject({ method: 'POST', url: `${kaiCancel!}&lang=en` });
    expect(done.statusCode).toBe(200);
    expect(done.body).toContain('Your registration is cancelled');
    expect(await status(rk.id)).toBe('cancelled');
    expect(await status(rl.id)).toBe('registered');
    const again = await t.app.inject({ method: 'POST', url: `${kaiCancel!}&lang=en` });
    expect(again.statusCode).toBe(200);
    expect(again.body).toContain('already cancelled');
    worker.wake();
    await until(
      'notice and promotion',
      () => mailsTo('kai@kunde.example').length === 2 && mailsTo('lea@kunde.example').length === 2,
    );
    expect(mailsTo('kai@kunde.example')[1]).toMatch(/Ihre Anmeldung ist storniert/);
    expect(calendarOf((await parsedTo('kai@kunde.example'))[1]!)).toMatch(/^METHOD:CANCEL$/m);
    expect(mailsTo('lea@kunde.example')[1]).toMatch(/Sie sind angemeldet/);
    const timeline = await t.deps.db
      .selectFrom('activities')
      .select(['type', 'data'])
      .where('workspace_id', '=', ws)
      .where('contact_id', '=', kai!)
      .where('ref', '=', `event:${eventId}`)
      .orderBy('id')
      .execute();
    expect(timeline.map((a) => a.type)).toEqual(['events.registered', 'events.cancelled']);
    expect(timeline[1]!.data).toMatchObject({ by: 'self' });
    // Kai's reminder was withdrawn; Lea has hers.
    const planned = (await plannedReminders()).map((j) => j.registrationId);
    expect(planned).toContain(rl.id);
    expect(planned).not.toContain(rk.id);

    // Max joins the waiting list; then the event is called off.
    const rm = await reg(max!);
    expect(rm.status).toBe('waitlisted');
    worker.wake();
    await until('max waitlisted mail', () => mailsTo('max@kunde.example').length === 1);
    const off = await api('POST', `/api/v1/events/${eventId}/cancel`, {});
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    expect(off.body).toMatchObject({ notified: 2, event: { status: 'cancelled', sequence: 1 } });
    worker.wake();
    await until(
      'cancellation notices',
      () => mailsTo('lea@kunde.example').length === 3 && mailsTo('max@kunde.example').length === 2,
    );
    expect(mailsTo('lea@kunde.example')[2]).toMatch(/findet leider nicht statt/);
    const leaIcs = calendarOf((await parsedTo('lea@kunde.example'))[2]!)!;
    expect(leaIcs).toMatch(/^METHOD:CANCEL$/m);
    expect(leaIcs).toMatch(/^STATUS:CANCELLED$/m);
    expect(leaIcs).toMatch(/^SEQUENCE:1$/m);
    // The waiting list had no calendar entry: a notice without one.
    expect(calendarOf((await parsedTo('max@kunde.example'))[1]!)).toBeUndefined();
    // Every reminder is withdrawn; nobody can register, the event cannot be changed or called off again.
    expect((await plannedReminders()).map((j) => j.registrationId)).not.toContain(rl.id);
    const late = await createConsentedContact(t.deps.db, ws, 'late@kunde.example', []);
    const refused = await api('POST', `/api/v1/events/${eventId}/registrations`, { contactId: late });
    expect([refused.status, (refused.body.error as { code: string }).code]).toEqual([409, 'EVENT_CANCELLED']);
    const edit = await api('PATCH', `/api/v1/events/${eventId}`, { title: 'Neu' });
    expect([edit.status, (edit.body.error as { code: string }).code]).toEqual([409, 'EVENT_CANCELLED']);
    const twice = await api('POST', `/api/v1/events/${eventId}/cancel`, {});
    expect([twice.status, (twice.body.error as { code: string }).code]).toEqual([409, 'EVENT_CANCELLED']);
    // Lea's own cancel link now says the event was called off, and changes nothing.
    const leaCancel = cancelUrl(mailsTo('lea@kunde.example')[1]!)!;
    const afterOff = await t.app.inject({ method: 'POST', url: leaCancel });
    expect(afterOff.statusCode).toBe(409);
    expect(afterOff.body).toContain('abgesagt');
    expect(await status(rl.id)).toBe('registered');
    // The audit log names who called it off.
    const audit = await t.deps.db
      .selectFrom('audit_log')
      .select(['action', 'details'])
      .where('workspace_id', '=', ws)
      .where('action', '=', 'events.cancelled')
      .execute();
    expect(audit).toHaveLength(1);
  });

  it('refuses to cancel an event that is over, and a registration once the event has begun', async () => {
    clock.set('2026-12-01T08:00:00Z');
    admin = await t.login();
    const created = await api('POST', '/api/v1/events', {
      title: 'Kurz',
      startsAt: '2026-12-01T09:00:00Z',
      endsAt: '2026-12-01T10:00:00Z',
      timeZone: 'Europe/Berlin',
      location: 'Raum 3',
    });
    const eventId = (created.body.event as { id: string }).id;
    const id = await createConsentedContact(t.deps.db, ws, 'nora@kunde.example', []);
    const r = (await api('POST', `/api/v1/events/${eventId}/registrations`, { contactId: id })).body as {
      id: string;
    };
    worker.wake();
    await until('confirmation', () => mailsTo('nora@kunde.example').length === 1);
    const url = /https:\/\/leads\.acme\.example(\/e\/cancel\?t=[A-Za-z0-9._~-]+)/.exec(
      mailsTo('nora@kunde.example')[0]!,
    )?.[1];
    clock.set('2026-12-01T09:30:00Z');
    const begun = await t.app.inject({ method: 'POST', url: `${url!}&lang=en` });
    expect(begun.statusCode).toBe(409);
    expect(begun.body).toContain('already begun');
    clock.set('2026-12-01T11:00:00Z');
    const over = await api('POST', `/api/v1/events/${eventId}/cancel`, {});
    expect([over.status, (over.body.error as { code: string }).code]).toEqual([409, 'EVENT_OVER']);
    const reg = await t.deps.db
      .selectFrom('event_registrations')
      .select('status')
      .where('id', '=', r.id)
      .executeTakeFirstOrThrow();
    expect(reg.status).toBe('registered');
  });

  it('refuses an event without place or link, and unknown check-in links', async () => {
    admin = await t.login();
    const bad = await api('POST', '/api/v1/events', {
      title: 'Nowhere',
      startsAt: '2026-06-01T10:00:00Z',
      endsAt: '2026-06-01T09:00:00Z',
      timeZone: 'Europe/Berlin',
    });
    expect(bad.status).toBe(400);
    const res = await t.app.inject({ method: 'POST', url: `/e/checkin?t=${newId()}.deadbeef` });
    expect(res.statusCode).toBe(404);
  });
});
