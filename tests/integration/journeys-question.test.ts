import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertMailSettings } from '../../src/modules/mail/settings.repository.js';
import { insertTemplate, upsertVariant } from '../../src/modules/mail/templates.repository.js';
import { collectJobs } from '../../src/server.js';
import { ManualClock } from '../../src/shared/clock.js';
import { PUBLIC_PAGE_CSP } from '../../src/shared/http/public-page.js';
import { newId } from '../../src/shared/ids.js';
import { JobWorker } from '../../src/shared/jobs/index.js';
import { type Caller, createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';
import { createConsentedContact, TEST_IMPRINT, until } from '../support/mail.js';
import { decodeMail, SmtpSink } from '../support/smtp-sink.js';

/*
 * The journey step "ask a progressive-profiling question" with the real mail module and SMTP: the
 * mail (consent checked when it is sent), the public answer page `/q?t=` (German or English by the
 * contact's language, escaped, strict CSP, no script, a plain form), a field filled by the answer,
 * the timeline entry a branch uses, signed and expiring links, and the rate limit.
 */

const DAY = 86_400_000;
const PUBLIC = 'https://leads.acme.example';

describe.each(await availableDbKinds())('journey question step on %s', (kind) => {
  const clock = new ManualClock('2026-06-01T08:00:00Z');
  const sink = new SmtpSink();
  let t: TestApp;
  let admin: Caller;
  let ws: string;
  let worker: JobWorker;
  let tpl: string;

  async function api(method: 'GET' | 'POST', url: string, payload?: object) {
    const res = await t.app.inject({
      method,
      url,
      headers: admin.headers(),
      ...(payload ? { payload } : {}),
    });
    // biome-ignore lint/suspicious/noExplicitAny: the tests read many response shapes
    return { status: res.statusCode, body: (res.body ? res.json() : {}) as Record<string, any> };
  }

  async function journey(steps: unknown[]): Promise<string> {
    const created = await api('POST', '/api/v1/journeys', {
      name: `Question ${newId().slice(0, 8)}`,
      definition: {
        trigger: { type: 'manual' },
        timeZone: 'Europe/Berlin',
        startStepId: 'ask',
        steps,
        goals: [],
        exitRules: [],
        reentry: { policy: 'never' },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.journey.id as string;
    expect((await api('POST', `/api/v1/journeys/${id}/activate`)).status).toBe(200);
    return id;
  }

  const mailsTo = (address: string) =>
    sink.received.filter((m) => m.to.includes(address)).map((m) => decodeMail(m.raw));
  const linkOf = (text: string) => {
    const m = /https:\/\/leads\.acme\.example\/q\?t=[A-Za-z0-9._-]+/.exec(text);
    expect(m, text).toBeTruthy();
    return m![0].slice(PUBLIC.length);
  };
  const enrollmentOf = (journeyId: string, contactId: string) =>
    t.deps.db
      .selectFrom('journey_enrollments')
      .selectAll()
      .where('journey_id', '=', journeyId)
      .where('contact_id', '=', contactId)
      .executeTakeFirst();

  beforeAll(async () => {
    await sink.start();
    t = await createTestApp(kind, { clock, config: { smtpUrl: sink.url, publicUrl: PUBLIC } });
    admin = await t.login();
    ws = admin.workspaceId;
    await upsertMailSettings(
      t.deps.db,
      ws,
      { imprint: TEST_IMPRINT, from_email: 'news@acme.example', from_name: 'Acme News' },
      clock.now(),
    );
    const row = await insertTemplate(t.deps.db, {
      id: newId(),
      workspace_id: ws,
      name: 'Question',
      kind: 'marketing',
      purpose: 'newsletter',
      created_by: null,
      created_at: clock.now(),
    });
    for (const locale of ['de', 'en'] as const)
      await upsertVariant(t.deps.db, {
        workspace_id: ws,
        template_id: row.id,
        locale,
        subject: locale === 'de' ? 'Eine Frage' : 'One question',
        preheader: '',
        body_mjml:
          '<mj-section><mj-column><mj-text>{{ question.text }} <a href="{{ question.url }}">Antworten</a></mj-text></mj-column></mj-section>',
        updated_at: clock.now(),
      });
    tpl = row.id;
    worker = new JobWorker({
      handle: t.deps.handle,
      definitions: collectJobs(t.deps),
      clock,
      log: t.deps.log,
      concurrency: { critical: 2, default: 2, bulk: 1 },
      leaseMs: 30_000,
      pollMs: 50,
    });
    await worker.start();
  });

  afterAll(async () => {
    await worker?.stop(1000);
    await t?.close();
    await sink.stop();
  });

  it('asks in German, fills a field from a choice, records the answer a branch uses; escaped, no script', async () => {
    const contactId = await createConsentedContact(t.deps.db, ws, 'greta@kunde.example', ['newsletter']);
    await t.deps.db.updateTable('contacts').set({ locale: 'de' }).where('id', '=', contactId).execute();
    const real = await journey([
      {
        id: 'ask',
        type: 'ask-question',
        templateId: tpl,
        purpose: 'newsletter',
        question: { de: 'In welcher Branche <b>arbeiten</b> Sie?', en: 'Which industry are you in?' },
        answer: {
          kind: 'field',
          field: 'custom.industry',
          options: [
            { value: 'manufacturing', label: { de: 'Fertigung', en: 'Manufacturing' } },
            { value: 'retail', label: { de: 'Handel & <Vertrieb>', en: 'Retail' } },
          ],
        },
        validDays: 3,
        next: 'answer',
      },
      {
        id: 'answer',
        type: 'wait',
        wait: { kind: 'event', activityType: 'journeys.question-answered', timeout: { days: 7 } },
        next: 'answered',
        timeoutNext: null,
      },
      {
        id: 'answered',
        type: 'branch',
        condition: { type: 'field', field: 'custom.industry', op: 'eq', value: 'retail' },
        yes: 'tag',
        no: null,
      },
      { id: 'tag', type: 'update-contact', addTags: ['retail'], next: null },
    ]);
    expect((await api('POST', `/api/v1/journeys/${real}/contacts`, { contactIds: [contactId] })).status).toBe(
      200,
    );
    worker.wake();
    const mail = await until('the question mail', () => mailsTo('greta@kunde.example')[0]);
    // The mail's HTML part escapes the text (the template engine); the page escapes it on its own.
    expect(mail).toContain('In welcher Branche &lt;b&gt;arbeiten&lt;/b&gt; Sie?');
    const path = linkOf(mail);

    const page = await t.app.inject({ method: 'GET', url: path, remoteAddress: '198.51.100.1' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toBe(PUBLIC_PAGE_CSP);
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.body).toContain('<html lang="de">');
    expect(page.body).toContain('<legend>In welcher Branche &lt;b&gt;arbeiten&lt;/b&gt; Sie?</legend>');
    expect(page.body).toContain('Handel &amp; &lt;Vertrieb&gt;');
    expect(page.body).toContain('<form method="post"');
    expect(page.body).not.toContain('<script');
    // The other language on request.
    const en = await t.app.inject({ method: 'GET', url: `${path}&lang=en`, remoteAddress: '198.51.100.1' });
    expect(en.body).toContain('<html lang="en">');
    expect(en.body).toContain('Which industry are you in?');

    // Not one of the choices: the page again with an error, nothing saved.
    const bad = await t.app.inject({
      method: 'POST',
      url: path,
      remoteAddress: '198.51.100.1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'answer=%3Cscript%3E',
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('role="alert"');
    expect(bad.body).not.toContain('<script>');
    const ok = await t.app.inject({
      method: 'POST',
      url: path,
      remoteAddress: '198.51.100.1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'answer=retail',
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toContain('Danke für Ihre Antwort');
    worker.wake();
    const done = await until('the journey completed', async () => {
      const e = await enrollmentOf(real, contactId);
      return e?.status === 'completed' ? e : undefined;
    });
    const contact = await t.deps.db
      .selectFrom('contacts')
      .select(['custom_fields', 'tags'])
      .where('id', '=', contactId)
      .executeTakeFirstOrThrow();
    expect(contact.custom_fields).toMatchObject({ industry: 'retail' });
    expect(contact.tags).toContain('retail');
    const answered = await t.deps.db
      .selectFrom('activities')
      .select(['type', 'ref', 'data', 'source'])
      .where('contact_id', '=', contactId)
      .where('type', '=', 'journeys.question-answered')
      .execute();
    expect(answered).toHaveLength(1);
    expect(answered[0]).toMatchObject({
      ref: `question:${real}:ask`,
      source: `journey:${real}`,
      data: {
        journeyId: real,
        stepId: 'ask',
        enrollmentId: done.id,
        field: 'custom.industry',
        answer: 'retail',
      },
    });
    const runs = await t.deps.db
      .selectFrom('journey_step_runs')
      .select(['step_id', 'path', 'detail'])
      .where('enrollment_id', '=', done.id)
      .orderBy('seq')
      .execute();
    expect(runs.map((r) => [r.step_id, r.path])).toEqual([
      ['ask', null],
      ['answer', 'event'],
      ['answered', 'yes'],
      ['tag', null],
    ]);
    expect(runs[0]!.detail).toMatchObject({ question: 'custom.industry' });
    expect(mailsTo('greta@kunde.example')).toHaveLength(1);

    // Tampered or expired links show the invalid-link page and save nothing.
    const tampered = path.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a'));
    const forged = await t.app.inject({ method: 'GET', url: tampered, remoteAddress: '198.51.100.1' });
    expect(forged.statusCode).toBe(404);
    expect(forged.body).not.toContain('<form');
    clock.advance(3 * DAY + 1000);
    const expired = await t.app.inject({
      method: 'POST',
      url: path,
      remoteAddress: '198.51.100.1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'answer=manufacturing',
    });
    expect(expired.statusCode).toBe(404);
    const still = await t.deps.db
      .selectFrom('contacts')
      .select('custom_fields')
      .where('id', '=', contactId)
      .executeTakeFirstOrThrow();
    expect(still.custom_fields).toMatchObject({ industry: 'retail' });
  });

  it('fills a BANT field with a text answer in English and keeps source and date', async () => {
    const contactId = await createConsentedContact(t.deps.db, ws, 'ed@kunde.example', ['newsletter']);
    await t.deps.db.updateTable('contacts').set({ locale: 'en' }).where('id', '=', contactId).execute();
    const id = await journey([
      {
        id: 'ask',
        type: 'ask-question',
        templateId: tpl,
        purpose: 'newsletter',
        question: { de: 'Wann wollen Sie starten?', en: 'When do you plan to start?' },
        answer: { kind: 'bant', field: 'timeline' },
        next: null,
      },
    ]);
    await api('POST', `/api/v1/journeys/${id}/contacts`, { contactIds: [contactId] });
    worker.wake();
    const mail = await until('the question mail', () => mailsTo('ed@kunde.example')[0]);
    expect(mail).toContain('When do you plan to start?');
    const path = linkOf(mail);
    const page = await t.app.inject({ method: 'GET', url: path, remoteAddress: '198.51.100.2' });
    expect(page.body).toContain('<html lang="en">');
    expect(page.body).toContain('value="within-3-months"');
    const ok = await t.app.inject({
      method: 'POST',
      url: path,
      remoteAddress: '198.51.100.2',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'answer=3-6-months',
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.body).toContain('Thank you for your answer');
    const bant = await t.deps.db
      .selectFrom('bant_answers')
      .selectAll()
      .where('contact_id', '=', contactId)
      .executeTakeFirstOrThrow();
    expect(bant).toMatchObject({
      field: 'timeline',
      value: { when: '3-6-months' },
      source: 'journey',
      source_ref: `journey:${id}`,
    });
    expect(new Date(bant.answered_at).toISOString()).toBe(clock.now().toISOString());
  });

  it('checks consent when the mail is sent: without it no question goes out', async () => {
    const contactId = await createConsentedContact(t.deps.db, ws, 'nobody@kunde.example', []);
    const id = await journey([
      {
        id: 'ask',
        type: 'ask-question',
        templateId: tpl,
        purpose: 'newsletter',
        question: { de: 'Frage?', en: 'Question?' },
        answer: { kind: 'field', field: 'job_title' },
        next: null,
      },
    ]);
    await api('POST', `/api/v1/journeys/${id}/contacts`, { contactIds: [contactId] });
    worker.wake();
    const e = await until('the journey went on', async () => {
      const row = await enrollmentOf(id, contactId);
      return row?.status === 'completed' ? row : undefined;
    });
    const message = await until('the message decided', async () => {
      const m = await t.deps.db
        .selectFrom('messages')
        .select(['status', 'status_reason'])
        .where('idempotency_key', '=', `journey:${e.id}:1`)
        .executeTakeFirst();
      return m && m.status !== 'queued' ? m : undefined;
    });
    expect(message.status).not.toBe('sent');
    expect(message.status_reason).toBe('no_consent');
    expect(mailsTo('nobody@kunde.example')).toHaveLength(0);
  });

  it('refuses a question that would set the address or the stage; limits requests per client', async () => {
    const refused = await api('POST', '/api/v1/journeys', {
      name: 'Bad question',
      definition: {
        trigger: { type: 'manual' },
        timeZone: 'Europe/Berlin',
        startStepId: 'ask',
        steps: [
          {
            id: 'ask',
            type: 'ask-question',
            templateId: tpl,
            purpose: 'newsletter',
            question: { de: 'E-Mail?', en: 'E-mail?' },
            answer: { kind: 'field', field: 'email' },
            next: null,
          },
        ],
        goals: [],
        exitRules: [],
        reentry: { policy: 'never' },
      },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('VALIDATION_FAILED');
    expect(JSON.stringify(refused.body)).toContain('definition.steps.0.answer.field');

    let last = 0;
    for (let i = 0; i < 61; i++) {
      const res = await t.app.inject({ method: 'GET', url: '/q?t=nonsense', remoteAddress: '198.51.100.99' });
      last = res.statusCode;
      if (i < 60) expect(res.statusCode).toBe(404);
    }
    expect(last).toBe(429);
  });

  it('limits an IPv6 client by its /64: rotating addresses inside it does not help', async () => {
    // 60 requests, each from another address of 2001:db8:aa:bb::/64, however they are written.
    for (let i = 0; i < 60; i++) {
      const address =
        i % 2 === 0 ? `2001:db8:aa:bb::${(i + 1).toString(16)}` : `2001:0db8:00aa:00bb:${i}:0:0:1`;
      const res = await t.app.inject({ method: 'GET', url: '/q?t=nonsense', remoteAddress: address });
      expect(res.statusCode, address).toBe(404);
    }
    const rotated = await t.app.inject({
      method: 'GET',
      url: '/q?t=nonsense',
      remoteAddress: '2001:db8:aa:bb:ffff:ffff:ffff:fffe',
    });
    expect(rotated.statusCode).toBe(429);
    expect(rotated.headers['retry-after']).toBeDefined();
    // The neighbouring /64 is another client.
    const neighbour = await t.app.inject({
      method: 'GET',
      url: '/q?t=nonsense',
      remoteAddress: '2001:db8:aa:bc::1',
    });
    expect(neighbour.statusCode).toBe(404);
  });
});
