import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember } from '../../src/modules/identity/index.js';
import { upsertMailSettings } from '../../src/modules/mail/settings.repository.js';
import { insertTemplate, upsertVariant } from '../../src/modules/mail/templates.repository.js';
import { collectJobs } from '../../src/server.js';
import { systemActor } from '../../src/shared/actor.js';
import { ManualClock } from '../../src/shared/clock.js';
import { newId } from '../../src/shared/ids.js';
import { JobWorker } from '../../src/shared/jobs/index.js';
import { availableDbKinds } from '../support/deps.js';
import { TEST_IMPRINT, until } from '../support/mail.js';
import { decodeMail, SmtpSink } from '../support/smtp-sink.js';
import {
  type CaptureTestApp,
  createCaptureTestApp,
  createPublishedForm,
  formConfig,
} from './capture.helpers.js';

/*
 * The whole nurture path of issue 7, with every module real (capture, consent, mail over SMTP,
 * journeys on the job queue with two workers, events, scoring, sales) and a manual clock for the
 * wait: sign-up on a newsletter form → double opt-in confirmed → welcome mail → two days' wait →
 * white-paper offer → download (the mail's link) → webinar invitation → registration through the
 * event's form → attendance recorded → BANT question answered on the public page → MQL by the
 * scoring rules → the journey's hand-off step → a lead routed to the sales rep. Each mail arrives
 * exactly once and each step is on the contact's timeline.
 */

const DAY = 86_400_000;
const PUBLIC = 'https://leads.acme.example';

describe.each(await availableDbKinds())('nurture path on %s', (kind) => {
  const clock = new ManualClock('2026-04-13T07:00:00Z');
  const sink = new SmtpSink();
  let t: CaptureTestApp;
  const workers: JobWorker[] = [];
  const wake = () => {
    for (const w of workers) w.wake();
  };

  async function api(method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, payload?: object) {
    const res = await t.app.inject({
      method,
      url,
      headers: t.admin.headers(),
      ...(payload !== undefined ? { payload } : {}),
    });
    // biome-ignore lint/suspicious/noExplicitAny: the test reads many response shapes
    return { status: res.statusCode, body: (res.body ? res.json() : {}) as Record<string, any> };
  }

  async function template(name: string, subject: string, body: string): Promise<string> {
    const tpl = await insertTemplate(t.deps.db, {
      id: newId(),
      workspace_id: t.workspaceId,
      name,
      kind: 'marketing',
      purpose: 'newsletter',
      created_by: null,
      created_at: clock.now(),
    });
    for (const locale of ['de', 'en'] as const)
      await upsertVariant(t.deps.db, {
        workspace_id: t.workspaceId,
        template_id: tpl.id,
        locale,
        subject,
        preheader: '',
        body_mjml: `<mj-section><mj-column><mj-text>${body}</mj-text></mj-column></mj-section>`,
        updated_at: clock.now(),
      });
    return tpl.id;
  }

  /** The path (with query) of the first link in a mail that starts with `prefix`. */
  function linkIn(text: string, prefix: string): string {
    const m = new RegExp(`${prefix.replace(/[.?/]/g, '\\$&')}[A-Za-z0-9._~%=&;-]*`).exec(text);
    expect(m, `a link ${prefix} in:\n${text}`).toBeTruthy();
    const url = new URL(m![0].replaceAll('&amp;', '&'));
    return url.pathname + url.search;
  }

  beforeAll(async () => {
    await sink.start();
    t = await createCaptureTestApp(kind, clock, {}, { smtpUrl: sink.url, publicUrl: PUBLIC });
    await upsertMailSettings(
      t.deps.db,
      t.workspaceId,
      { imprint: TEST_IMPRINT, from_email: 'news@acme.example', from_name: 'Acme News' },
      clock.now(),
    );
    for (let i = 0; i < 2; i++) {
      const w = new JobWorker({
        handle: t.deps.handle,
        definitions: collectJobs(t.deps),
        clock,
        log: t.deps.log,
        concurrency: { critical: 2, default: 3, bulk: 1 },
        leaseMs: 30_000,
        pollMs: 50,
      });
      workers.push(w);
      await w.start();
    }
  });

  afterAll(async () => {
    for (const w of workers) await w.stop(1000);
    await t?.close();
    await sink.stop();
  });

  it('signs up, confirms, is nurtured, registers, attends, answers, becomes MQL and is handed to a rep', async () => {
    // --- setup: a sales rep, scoring rules, templates, forms, the white paper, the webinar ---------
    const rep = await addMember(t.deps.db, systemActor(), t.workspaceId, {
      email: 'rita@acme.example',
      name: 'Rita',
      role: 'sales',
      password: 'a long enough password 123',
    });
    const repSet = await api('PUT', `/api/v1/sales/reps/${rep.user_id}`, {
      active: true,
      isManager: false,
      weight: 1,
      capacity: null,
      timezone: 'Europe/Berlin',
      workingHours: {},
    });
    expect(repSet.status).toBe(204);
    // MQL only through the answer: the other steps score, but not enough; no "engaged" stage on the way.
    for (const [name, activityType, points] of [
      ['White paper', 'capture.asset-downloaded', 20],
      ['Webinar registration', 'events.registered', 20],
      ['Webinar attended', 'events.attended', 30],
      ['Question answered', 'journeys.question-answered', 1000],
    ] as const) {
      const rule = await api('POST', '/api/v1/scoring/rules', {
        kind: 'engagement',
        name,
        points,
        definition: { activityType },
      });
      expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    }
    const settings = (await api('GET', '/api/v1/scoring/settings')).body;
    const put = await api('PUT', '/api/v1/scoring/settings', {
      ...settings,
      engagedMin: null,
      mql: { ...settings.mql, fitMin: null, engagementMin: 1000, handRaiser: false },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);

    const welcomeTpl = await template('Welcome', 'Welcome', 'Welcome aboard, nice to have you.');
    const offerTpl = await template(
      'Offer',
      'Your white paper',
      'Here it is: <a href="{{ asset.url }}">{{ asset.title }}</a>',
    );
    const inviteTpl = await template(
      'Invite',
      'Invitation: {{ event.title }}',
      'Join us: <a href="{{ event.registrationUrl }}">Register now</a>',
    );
    const questionTpl = await template(
      'Question',
      'One question',
      '{{ question.text }} <a href="{{ question.url }}">Answer</a>',
    );

    const asset = await api('POST', '/api/v1/assets', {
      title: 'White paper maintenance',
      fileName: 'wp.pdf',
      contentType: 'application/pdf',
      contentBase64: Buffer.from('%PDF-1.4 white paper').toString('base64'),
    });
    expect(asset.status).toBe(201);
    const assetId = (asset.body.asset?.id ?? asset.body.id) as string;
    const signup = await createPublishedForm(t, { slug: 'newsletter', kind: 'newsletter' });
    const webinarForm = await createPublishedForm(t, { slug: 'webinar', kind: 'event' });
    const event = await api('POST', '/api/v1/events', {
      title: 'Webinar Maintenance 4.0',
      startsAt: '2026-04-28T14:00:00Z',
      endsAt: '2026-04-28T15:00:00Z',
      timeZone: 'Europe/Berlin',
      onlineUrl: 'https://webinar.acme.example/r/4711',
      formId: webinarForm.id,
    });
    expect(event.status, JSON.stringify(event.body)).toBe(201);
    const eventId = event.body.event.id as string;

    const created = await api('POST', '/api/v1/journeys', {
      name: 'Nurture',
      definition: {
        trigger: { type: 'consent-confirmed', purpose: 'newsletter' },
        timeZone: 'Europe/Berlin',
        startStepId: 'welcome',
        steps: [
          {
            id: 'welcome',
            type: 'send-mail',
            templateId: welcomeTpl,
            kind: 'marketing',
            purpose: 'newsletter',
            next: 'pause',
          },
          { id: 'pause', type: 'wait', wait: { kind: 'duration', duration: { days: 2 } }, next: 'offer' },
          {
            id: 'offer',
            type: 'offer-content',
            assetId,
            templateId: offerTpl,
            purpose: 'newsletter',
            next: 'downloaded',
          },
          {
            id: 'downloaded',
            type: 'wait',
            wait: {
              kind: 'event',
              activityType: 'capture.asset-downloaded',
              ref: `asset:${assetId}`,
              timeout: { days: 7 },
            },
            next: 'invite',
            timeoutNext: null,
          },
          {
            id: 'invite',
            type: 'invite-to-event',
            eventId,
            templateId: inviteTpl,
            purpose: 'newsletter',
            next: 'registered',
          },
          {
            id: 'registered',
            type: 'wait',
            wait: {
              kind: 'event',
              activityType: 'events.registered',
              ref: `event:${eventId}`,
              timeout: { days: 14 },
            },
            next: 'attended',
            timeoutNext: null,
          },
          {
            id: 'attended',
            type: 'wait',
            wait: {
              kind: 'event',
              activityType: 'events.attended',
              ref: `event:${eventId}`,
              timeout: { days: 30 },
            },
            next: 'ask',
            timeoutNext: null,
          },
          {
            id: 'ask',
            type: 'ask-question',
            templateId: questionTpl,
            purpose: 'newsletter',
            question: { de: 'Wer entscheidet über die Anschaffung?', en: 'Who decides on the purchase?' },
            answer: { kind: 'bant', field: 'authority' },
            next: 'mql',
          },
          // The stage can only change to MQL now (the answer's points are what it needs).
          {
            id: 'mql',
            type: 'wait',
            wait: { kind: 'event', activityType: 'contacts.stage-changed', timeout: { days: 14 } },
            next: 'answered',
            timeoutNext: null,
          },
          {
            id: 'answered',
            type: 'branch',
            condition: { type: 'activity', activityType: 'journeys.question-answered' },
            yes: 'handoff',
            no: null,
          },
          { id: 'handoff', type: 'hand-off', next: null },
        ],
        goals: [],
        exitRules: [
          {
            id: 'withdrawn',
            name: 'Consent withdrawn',
            condition: { type: 'activity', activityType: 'consent.withdrawn' },
          },
        ],
        reentry: { policy: 'never' },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const journeyId = created.body.journey.id as string;
    expect((await api('POST', `/api/v1/journeys/${journeyId}/activate`)).status).toBe(200);

    const email = 'nora@kunde.example';
    const mails = () => sink.received.filter((m) => m.to.includes(email)).map((m) => decodeMail(m.raw));
    const mailWith = (needle: string) => mails().filter((m) => m.includes(needle));

    // --- sign-up on the form, double opt-in ---------------------------------------------------------
    let config = await formConfig(t, signup.slug);
    clock.advance(5000);
    const submitted = await t.app.inject({
      method: 'POST',
      url: `/f/${signup.slug}/submit`,
      remoteAddress: '203.0.113.10',
      headers: { 'content-type': 'application/json', 'user-agent': 'Browser/1.0' },
      payload: { lw_t: config.timeToken, email, first_name: 'Nora', consent_newsletter: 'on', lang: 'en' },
    });
    expect(submitted.statusCode, submitted.body).toBe(200);
    wake();
    const doi = await until('the confirmation mail', () =>
      mails().find((m) => /\/c\/[A-Za-z0-9_.-]+/.test(m)),
    );
    const confirmPath = linkIn(doi, `${PUBLIC}/c/`);
    const confirmed = await t.app.inject({
      method: 'POST',
      url: confirmPath,
      remoteAddress: '203.0.113.10',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Browser/1.0' },
      payload: '',
    });
    expect(confirmed.statusCode).toBe(200);
    const contact = await t.deps.db
      .selectFrom('contacts')
      .select(['id', 'lifecycle_stage'])
      .where('workspace_id', '=', t.workspaceId)
      .where('email', '=', email)
      .executeTakeFirstOrThrow();
    const contactId = contact.id;
    const enrollment = () =>
      t.deps.db
        .selectFrom('journey_enrollments')
        .selectAll()
        .where('journey_id', '=', journeyId)
        .where('contact_id', '=', contactId)
        .executeTakeFirst();

    // --- the confirmation starts the journey: welcome mail, then the two days' wait ---------------
    wake();
    await until('the welcome mail', () => mailWith('Welcome aboard').length === 1);
    await until('waiting two days', async () => (await enrollment())?.step_id === 'pause');
    clock.advance(2 * DAY);
    wake();
    await until('the white-paper offer', () => mailWith('White paper maintenance').length === 1);

    // --- the download (the mail's link) ends the wait; the invitation follows ---------------------
    clock.advance(3_600_000);
    const download = await t.app.inject({
      method: 'GET',
      url: linkIn(mailWith('White paper maintenance')[0]!, `${PUBLIC}/d?t=`),
    });
    expect(download.statusCode).toBe(200);
    expect(download.body).toBe('%PDF-1.4 white paper');
    wake();
    await until('the invitation', () => mailWith('Webinar Maintenance 4.0').length >= 1);
    const invitation = mailWith('Register now')[0]!;
    const registrationPath = linkIn(invitation, `${PUBLIC}/f/`);
    expect(registrationPath).toBe(`/f/${webinarForm.slug}`);

    // --- registration through the event's form ----------------------------------------------------
    clock.advance(3_600_000);
    config = await formConfig(t, webinarForm.slug);
    clock.advance(5000);
    const registered = await t.app.inject({
      method: 'POST',
      url: `/f/${webinarForm.slug}/submit`,
      remoteAddress: '203.0.113.10',
      headers: { 'content-type': 'application/json', 'user-agent': 'Browser/1.0' },
      payload: { lw_t: config.timeToken, email, first_name: 'Nora', last_name: 'Nurture', lang: 'en' },
    });
    expect(registered.statusCode, registered.body).toBe(200);
    wake();
    await until('waiting for the attendance', async () => (await enrollment())?.step_id === 'attended');

    // --- attendance recorded by the check-in link of the registration confirmation -------------------
    const confirmation = await until('the registration confirmation', () =>
      mails().find((m) => m.includes('/e/checkin?t=')),
    );
    const checkinPath = linkIn(confirmation, `${PUBLIC}/e/checkin?t=`);
    clock.set('2026-04-28T14:02:00Z');
    const checkinPage = await t.app.inject({
      method: 'GET',
      url: checkinPath,
      remoteAddress: '203.0.113.10',
    });
    expect(checkinPage.statusCode).toBe(200);
    const checkedIn = await t.app.inject({
      method: 'POST',
      url: checkinPath,
      remoteAddress: '203.0.113.10',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
    expect(checkedIn.statusCode, checkedIn.body).toBe(200);
    wake();
    await until('the question mail', () => mailWith('Who decides on the purchase?').length === 1);
    const questionPath = linkIn(mailWith('Who decides on the purchase?')[0]!, `${PUBLIC}/q?t=`);
    // Not MQL yet: everything before the answer scores below the threshold.
    expect(
      (
        await t.deps.db
          .selectFrom('contacts')
          .select('lifecycle_stage')
          .where('id', '=', contactId)
          .executeTakeFirstOrThrow()
      ).lifecycle_stage,
    ).not.toBe('mql');

    // --- the public answer page (English: the contact's language), answered without JavaScript ----
    const page = await t.app.inject({ method: 'GET', url: questionPath, remoteAddress: '203.0.113.10' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<html lang="en">');
    expect(page.body).toContain('Who decides on the purchase?');
    expect(page.body).toContain('value="decision_maker"');
    const answered = await t.app.inject({
      method: 'POST',
      url: questionPath,
      remoteAddress: '203.0.113.10',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'answer=decision_maker',
    });
    expect(answered.statusCode, answered.body).toBe(200);
    expect(answered.body).toContain('Thank you for your answer');
    wake();

    // --- MQL by the rules, the journey's hand-off, a lead routed to the rep ------------------------
    const done = await until(
      'the journey completed',
      async () => {
        const e = await enrollment();
        return e?.status === 'completed' ? e : undefined;
      },
      30_000,
    );
    expect(done.exit_reason).toBeNull();
    const final = await t.deps.db
      .selectFrom('contacts')
      .select(['lifecycle_stage', 'owner_user_id'])
      .where('id', '=', contactId)
      .executeTakeFirstOrThrow();
    expect(final.lifecycle_stage).toBe('mql');
    const leads = await until('the lead routed', async () => {
      const rows = await t.deps.db
        .selectFrom('sales_leads')
        .selectAll()
        .where('workspace_id', '=', t.workspaceId)
        .where('contact_id', '=', contactId)
        .execute();
      return rows.length === 1 && rows[0]!.assigned_user_id ? rows : undefined;
    });
    expect(leads[0]!.assigned_user_id).toBe(rep.user_id);
    // The journey's hand-off names the one lead (made by it, or by the MQL rule's routing just before).
    const handoff = await t.deps.db
      .selectFrom('journey_step_runs')
      .select('detail')
      .where('journey_id', '=', journeyId)
      .where('step_id', '=', 'handoff')
      .executeTakeFirstOrThrow();
    expect(handoff.detail).toMatchObject({ leadId: leads[0]!.id });
    // MQL came from the scoring rule, not from the hand-off.
    const mqlMove = await t.deps.db
      .selectFrom('stage_history')
      .select('cause')
      .where('contact_id', '=', contactId)
      .where('to_stage', '=', 'mql')
      .execute();
    expect(mqlMove.map((m) => m.cause)).toEqual(['rule:mql']);
    const bant = await t.deps.db
      .selectFrom('bant_answers')
      .select(['field', 'value', 'source', 'source_ref', 'answered_at'])
      .where('contact_id', '=', contactId)
      .execute();
    expect(bant).toHaveLength(1);
    expect(bant[0]).toMatchObject({
      field: 'authority',
      value: { role: 'decision_maker' },
      source: 'journey',
      source_ref: `journey:${journeyId}`,
    });
    expect(new Date(bant[0]!.answered_at).toISOString()).toBe(clock.now().toISOString());

    // --- each step once: the runs, the timeline, the mails ----------------------------------------
    const runs = await t.deps.db
      .selectFrom('journey_step_runs')
      .select(['step_id', 'outcome', 'path'])
      .where('journey_id', '=', journeyId)
      .orderBy('seq')
      .execute();
    expect(runs.map((r) => [r.step_id, r.outcome])).toEqual([
      ['welcome', 'completed'],
      ['pause', 'completed'],
      ['offer', 'completed'],
      ['downloaded', 'completed'],
      ['invite', 'completed'],
      ['registered', 'completed'],
      ['attended', 'completed'],
      ['ask', 'completed'],
      ['mql', 'completed'],
      ['answered', 'completed'],
      ['handoff', 'completed'],
    ]);
    expect(runs.map((r) => r.path)).toEqual([
      null,
      'elapsed',
      null,
      'event',
      null,
      'event',
      'event',
      null,
      'event',
      'yes',
      null,
    ]);
    const timeline = (
      await t.deps.db
        .selectFrom('activities')
        .select(['type', 'ref'])
        .where('contact_id', '=', contactId)
        .orderBy('occurred_at')
        .orderBy('id')
        .execute()
    ).map((a) => a.type);
    for (const type of [
      'capture.form-submitted',
      'consent.confirmed',
      'journeys.entered',
      'capture.asset-downloaded',
      'events.registered',
      'events.attended',
      'journeys.question-answered',
      'scoring.bant-answered',
      'contacts.stage-changed',
      'journeys.completed',
    ])
      expect(timeline, type).toContain(type);
    expect(timeline.indexOf('journeys.question-answered')).toBeLessThan(
      timeline.lastIndexOf('contacts.stage-changed'),
    );

    // Settle, then count: every mail exactly once (none sent twice by the two workers or retries).
    await until('all jobs done', async () => {
      const open = await t.deps.db
        .selectFrom('jobs')
        .select('id')
        .where('state', 'in', ['queued', 'running'])
        .where('run_at', '<=', clock.now())
        .execute();
      return open.length === 0;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(mails().filter((m) => /\/c\/[A-Za-z0-9_.-]+/.test(m))).toHaveLength(1);
    expect(mailWith('Welcome aboard')).toHaveLength(1);
    expect(mailWith('White paper maintenance')).toHaveLength(1);
    expect(mailWith('Register now')).toHaveLength(1);
    expect(mails().filter((m) => m.includes('/e/checkin?t='))).toHaveLength(1);
    expect(mailWith('Who decides on the purchase?')).toHaveLength(1);
    const messages = await t.deps.db
      .selectFrom('messages')
      .select(['idempotency_key'])
      .where('workspace_id', '=', t.workspaceId)
      .where('idempotency_key', 'like', `journey:${done.id}:%`)
      .execute();
    expect(messages).toHaveLength(4);
  });
});
