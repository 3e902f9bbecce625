import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordActivity } from '../../src/modules/contacts/index.js';
import { upsertMailSettings } from '../../src/modules/mail/settings.repository.js';
import { insertTemplate, upsertVariant } from '../../src/modules/mail/templates.repository.js';
import { collectJobs } from '../../src/server.js';
import { ManualClock } from '../../src/shared/clock.js';
import { newId } from '../../src/shared/ids.js';
import { JobWorker } from '../../src/shared/jobs/index.js';
import { type Caller, createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';
import { createConsentedContact, setConsentStatus, TEST_IMPRINT, until } from '../support/mail.js';
import { decodeMail, SmtpSink } from '../support/smtp-sink.js';

/*
 * Journeys on the real job queue with the real mail module and a real SMTP server: a nurture path
 * end to end, waits as scheduled jobs under a manual clock, exactly one step execution per contact
 * with two workers, a worker stopped in the middle of a step, consent withdrawn mid-journey, edits
 * to a running journey, pause/resume, per-step numbers and the simulation.
 */

const DAY = 86_400_000;

describe.each(await availableDbKinds())('journeys on %s', (kind) => {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  const sink = new SmtpSink();
  let t: TestApp;
  let admin: Caller;
  let ws: string;
  let workers: JobWorker[] = [];
  let welcomeTpl: string;
  let offerTpl: string;
  let hook: Server;
  let hookUrl: string;
  const hookRequests: { delivery: string }[] = [];
  let hookHang: (() => void) | undefined;
  let hookHolding = false;

  function startWorker(name: string) {
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
    void name;
    return w;
  }
  const wake = () => {
    for (const w of workers) w.wake();
  };

  async function template(name: string, subject: string, body: string) {
    const now = clock.now();
    const tpl = await insertTemplate(t.deps.db, {
      id: newId(),
      workspace_id: ws,
      name,
      kind: 'marketing',
      purpose: 'newsletter',
      created_by: null,
      created_at: now,
    });
    for (const locale of ['de', 'en'] as const) {
      await upsertVariant(t.deps.db, {
        workspace_id: ws,
        template_id: tpl.id,
        locale,
        subject,
        preheader: '',
        body_mjml: `<mj-section><mj-column><mj-text>${body}</mj-text></mj-column></mj-section>`,
        updated_at: now,
      });
    }
    return tpl.id;
  }

  async function api(method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) {
    const res = await t.app.inject({
      method,
      url,
      headers: admin.headers(),
      ...(payload ? { payload } : {}),
    });
    // biome-ignore lint/suspicious/noExplicitAny: the tests read many response shapes
    return { status: res.statusCode, body: res.json() as Record<string, any> };
  }

  async function journey(name: string, definition: unknown): Promise<string> {
    const created = await api('POST', '/api/v1/journeys', { name, definition });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.journey.id as string;
    const act = await api('POST', `/api/v1/journeys/${id}/activate`);
    expect(act.status, JSON.stringify(act.body)).toBe(200);
    return id;
  }

  async function enrollment(journeyId: string, contactId: string) {
    return t.deps.db
      .selectFrom('journey_enrollments')
      .selectAll()
      .where('journey_id', '=', journeyId)
      .where('contact_id', '=', contactId)
      .orderBy('entered_at', 'desc')
      .executeTakeFirstOrThrow();
  }

  const mailsTo = (address: string) => sink.received.filter((m) => m.to.includes(address));

  beforeAll(async () => {
    await sink.start();
    hook = createServer((req, res) => {
      hookRequests.push({ delivery: String(req.headers['x-leadwerk-delivery']) });
      if (hookHolding) {
        // The first call hangs: the worker is stopped while the step is in the middle of it.
        hookHolding = false;
        hookHang = () => res.destroy();
        return;
      }
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    t = await createTestApp(kind, {
      clock,
      config: { smtpUrl: sink.url, publicUrl: 'https://leads.acme.example' },
    });
    admin = await t.login();
    ws = admin.workspaceId;
    await upsertMailSettings(
      t.deps.db,
      ws,
      { imprint: TEST_IMPRINT, from_email: 'news@acme.example', from_name: 'Acme News' },
      clock.now(),
    );
    welcomeTpl = await template('Welcome', 'Willkommen', 'Schön, dass Sie da sind.');
    offerTpl = await template(
      'Offer',
      'Ihr Whitepaper',
      'Hier: <a href="{{ asset.url }}">{{ asset.title }}</a>',
    );
    startWorker('a');
    startWorker('b');
    for (const w of workers) await w.start();
  });

  afterAll(async () => {
    for (const w of workers) await w.stop(1000);
    hookHang?.();
    await new Promise((r) => hook.close(r));
    await t?.close();
    await sink.stop();
  });

  it('runs a nurture path: welcome mail, wait, white-paper offer, download, tag, branch', async () => {
    const asset = await api('POST', '/api/v1/assets', {
      title: 'Whitepaper Instandhaltung',
      fileName: 'wp.pdf',
      contentType: 'application/pdf',
      contentBase64: Buffer.from('%PDF-1.4 wp').toString('base64'),
    });
    expect(asset.status).toBe(201);
    const assetId = asset.body.asset?.id ?? asset.body.id;
    const contactId = await createConsentedContact(t.deps.db, ws, 'nina@kunde.example', ['newsletter'], {
      firstName: 'Nina',
    });
    const id = await journey('Nurture', {
      trigger: { type: 'manual' },
      timeZone: 'Europe/Berlin',
      startStepId: 'welcome',
      steps: [
        {
          id: 'welcome',
          type: 'send-mail',
          templateId: welcomeTpl,
          kind: 'marketing',
          purpose: 'newsletter',
          next: 'wait',
        },
        { id: 'wait', type: 'wait', wait: { kind: 'duration', duration: { days: 2 } }, next: 'offer' },
        {
          id: 'offer',
          type: 'offer-content',
          assetId,
          templateId: offerTpl,
          purpose: 'newsletter',
          next: 'dl',
        },
        {
          id: 'dl',
          type: 'wait',
          wait: {
            kind: 'event',
            activityType: 'capture.asset-downloaded',
            ref: `asset:${assetId}`,
            timeout: { days: 7 },
          },
          next: 'tag',
          timeoutNext: null,
        },
        {
          id: 'tag',
          type: 'update-contact',
          addTags: ['whitepaper'],
          set: { 'custom.interest': 'maintenance' },
          next: 'hot',
        },
        { id: 'hot', type: 'branch', condition: { type: 'tag', tag: 'whitepaper' }, yes: 'done', no: null },
        { id: 'done', type: 'exit' },
      ],
      goals: [],
      exitRules: [],
      reentry: { policy: 'never' },
    });
    const added = await api('POST', `/api/v1/journeys/${id}/contacts`, { contactIds: [contactId] });
    expect(added.body).toEqual({ entered: 1 });
    // Added twice: the contact is inside already, nothing happens.
    expect((await api('POST', `/api/v1/journeys/${id}/contacts`, { contactIds: [contactId] })).body).toEqual({
      entered: 0,
    });
    wake();
    await until('welcome mail', () => mailsTo('nina@kunde.example').length === 1);
    const waiting = await until('waiting', async () => {
      const e = await enrollment(id, contactId);
      return e.status === 'waiting' ? e : undefined;
    });
    expect(waiting.step_id).toBe('wait');
    expect(waiting.wait_until?.toISOString()).toBe('2026-03-04T08:00:00.000Z');
    // Who is where (the journey page's list per step): the contact waits at "wait", not at "welcome".
    const atWait = await api('GET', `/api/v1/journeys/${id}/enrollments?stepId=wait`);
    expect(atWait.status).toBe(200);
    expect(atWait.body.items).toMatchObject([
      {
        contactId,
        email: 'nina@kunde.example',
        status: 'waiting',
        stepId: 'wait',
        waitUntil: '2026-03-04T08:00:00.000Z',
      },
    ]);
    expect((await api('GET', `/api/v1/journeys/${id}/enrollments?stepId=welcome`)).body.items).toEqual([]);

    // The wait is a job scheduled at its end: nothing happens before, the offer right after.
    clock.advance(2 * DAY - 60_000);
    wake();
    await new Promise((r) => setTimeout(r, 300));
    expect(mailsTo('nina@kunde.example')).toHaveLength(1);
    clock.advance(60_000);
    wake();
    await until('offer mail', () => mailsTo('nina@kunde.example').length === 2);
    const offer = decodeMail(mailsTo('nina@kunde.example')[1]!.raw);
    const link = /https:\/\/leads\.acme\.example\/d\?t=[A-Za-z0-9._~%-]+/.exec(offer)?.[0];
    expect(link).toBeTruthy();

    // The download (a tracked, per-contact link) ends the wait within seconds, not at its timeout.
    clock.advance(3_600_000);
    const dl = await t.app.inject({ method: 'GET', url: link!.replace('https://leads.acme.example', '') });
    expect(dl.statusCode).toBe(200);
    wake();
    const done = await until('journey completed', async () => {
      const e = await enrollment(id, contactId);
      return e.status === 'completed' ? e : undefined;
    });
    expect(done.ended_at?.toISOString()).toBe(clock.now().toISOString());
    const contact = await t.deps.db
      .selectFrom('contacts')
      .selectAll()
      .where('id', '=', contactId)
      .executeTakeFirstOrThrow();
    expect(contact.tags).toContain('whitepaper');
    expect(contact.custom_fields).toMatchObject({ interest: 'maintenance' });

    const stats = await api('GET', `/api/v1/journeys/${id}/stats`);
    const byStep = Object.fromEntries((stats.body.steps as { stepId: string }[]).map((s) => [s.stepId, s]));
    expect(byStep.welcome).toMatchObject({ entered: 1, completed: 1, waiting: 0 });
    expect(byStep.dl).toMatchObject({ entered: 1, completed: 1 });
    expect(byStep.done).toMatchObject({ entered: 1, completed: 1 });
    expect(stats.body.totals).toMatchObject({ entered: 1, completed: 1, inside: 0 });
    // A finished contact is at no step any more; the full list still has it.
    expect(
      (await api('GET', `/api/v1/journeys/${id}/enrollments?stepId=${done.step_id}`)).body.items,
    ).toEqual([]);
    expect((await api('GET', `/api/v1/journeys/${id}/enrollments`)).body.items).toMatchObject([
      { contactId, status: 'completed' },
    ]);
    const timeline = await t.deps.db
      .selectFrom('activities')
      .select('type')
      .where('contact_id', '=', contactId)
      .where('type', 'like', 'journeys.%')
      .execute();
    expect(timeline.map((a) => a.type).sort()).toEqual([
      'journeys.completed',
      'journeys.contact-updated',
      'journeys.entered',
    ]);
  });

  it('sends each step exactly once per contact with two workers', async () => {
    const contacts: string[] = [];
    for (let i = 0; i < 30; i++)
      contacts.push(await createConsentedContact(t.deps.db, ws, `many${i}@kunde.example`, ['newsletter']));
    const id = await journey('Two mails', {
      trigger: { type: 'manual' },
      timeZone: 'Europe/Berlin',
      startStepId: 'm1',
      steps: [
        {
          id: 'm1',
          type: 'send-mail',
          templateId: welcomeTpl,
          kind: 'marketing',
          purpose: 'newsletter',
          next: 'w',
        },
        { id: 'w', type: 'wait', wait: { kind: 'duration', duration: { hours: 1 } }, next: 'm2' },
        {
          id: 'm2',
          type: 'send-mail',
          templateId: welcomeTpl,
          kind: 'marketing',
          purpose: 'newsletter',
          next: null,
        },
      ],
      goals: [],
      exitRules: [],
      reentry: { policy: 'never' },
    });
    expect((await api('POST', `/api/v1/journeys/${id}/contacts`, { contactIds: contacts })).body).toEqual({
      entered: 30,
    });
    // Wake-ups that race with the step jobs (as activity deliveries do) must not run a step twice.
    const rows = await t.deps.db
      .selectFrom('journey_enrollments')
      .select(['id', 'seq'])
      .where('journey_id', '=', id)
      .execute();
    const { wakeEnrollments } = await import('../../src/modules/journeys/journey-runner.js');
    await wakeEnrollments(t.deps.db, t.deps, ws, rows, 'race');
    wake();
    await until('all waiting', async () => {
      const n = await t.deps.db
        .selectFrom('journey_enrollments')
        .select('id')
        .where('journey_id', '=', id)
        .where('status', '=', 'waiting')
        .execute();
      return n.length === 30;
    });
    clock.advance(3_600_000);
    wake();
    await until('all completed', async () => {
      const n = await t.deps.db
        .selectFrom('journey_enrollments')
        .select('id')
        .where('journey_id', '=', id)
        .where('status', '=', 'completed')
        .execute();
      return n.length === 30;
    });
    await until('60 mails', () => contacts.every((_, i) => mailsTo(`many${i}@kunde.example`).length === 2));
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 30; i++) expect(mailsTo(`many${i}@kunde.example`)).toHaveLength(2);
    const stats = await api('GET', `/api/v1/journeys/${id}/stats`);
    const m2 = (stats.body.steps as { stepId: string; entered: number }[]).find((s) => s.stepId === 'm2');
    expect(m2?.entered).toBe(30);
  });

  it('stops the mails when consent is withdrawn mid-journey, and exits on the exit rule', async () => {
    const kept = await createConsentedContact(t.deps.db, ws, 'kept@kunde.example', ['newsletter']);
    const gone = await createConsentedContact(t.deps.db, ws, 'gone@kunde.example', ['newsletter']);
    const noRule = await journey('No exit rule', {
      trigger: { type: 'manual' },
      timeZone: 'Europe/Berlin',
      startStepId: 'm1',
      steps: [
        {
          id: 'm1',
          type: 'send-mail',
          templateId: welcomeTpl,
          kind: 'marketing',
          purpose: 'newsletter',
          next: 'w',
        },
        { id: 'w', type: 'wait', wait: { kind: 'duration', duration: { days: 1 } }, next: 'm2' },
        {
          id: 'm2',
          type: 'send-mail',
          templateId: welcomeTpl,
          kind: 'marketing',
          purpose: 'newsletter',
          next: null,
        },
      ],
      goals: [],
      exitRules: [],
      reentry: { policy: 'never' },
    });
    const withRule = await journey('With exit rule', {
      trigger: { type: 'manual' },
      timeZone: 'Europe/Berlin',
      startStepId: 'w',
      steps: [
        { id: 'w', type: 'wait', wait: { kind: 'duration', duration: { days: 3 } }, next: 'm2' },
        {
          id: 'm2',
          type: 'send-mail',
          templateId: welcomeTpl,
          kind: 'marketing',
          purpose: 'newsletter',
          next: null,
        },
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
    });
    await api('POST', `/api/v1/journeys/${noRule}/contacts`, { contactIds: [kept, gone] });
    await api('POST', `/api/v1/journeys/${withRule}/contacts`, { contactIds: [gone] });
    wake();
    await until(
      'first mails',
      () => mailsTo('kept@kunde.example').length === 1 && mailsTo('gone@kunde.example').length === 1,
    );
    await until('both waiting', async () => (await enrollment(withRule, gone)).status === 'waiting');

    // The contact withdraws: the ledger's state and its timeline entry.
    await setConsentStatus(t.deps.db, ws, gone, 'newsletter', 'withdrawn');
    await recordActivity(t.deps.db, {
      workspaceId: ws,
      contactId: gone,
      type: 'consent.withdrawn',
      occurredAt: clock.now(),
      data: { purposes: ['newsletter'] },
    });
    wake();
    // The exit rule reacts to the timeline at once, without waiting for the 3-day timer.
    const exited = await until('exited', async () => {
      const e = await enrollment(withRule, gone);
      return e.status === 'exited' ? e : undefined;
    });
    expect(exited.exit_reason).toBe('rule:withdrawn');

    clock.advance(DAY);
    wake();
    await until('second mail to the one who stayed', () => mailsTo('kept@kunde.example').length === 2);
    await until('journey done for both', async () => (await enrollment(noRule, gone)).status === 'completed');
    // The journey still ran the step, but the send-time check refused the mail.
    await until('second mail to the one who left refused at send time', async () => {
      const rows = await t.deps.db
        .selectFrom('messages')
        .select(['status'])
        .where('contact_id', '=', gone)
        .execute();
      return rows.some((m) => m.status === 'skipped');
    });
    expect(mailsTo('gone@kunde.example')).toHaveLength(1);
  });

  it('resumes a step whose worker stopped in the middle of it, without doing it twice', async () => {
    const contactId = await createConsentedContact(t.deps.db, ws, 'hook@kunde.example', ['newsletter']);
    const id = await journey('Webhook', {
      trigger: { type: 'manual' },
      timeZone: 'Europe/Berlin',
      startStepId: 'hook',
      steps: [
        { id: 'hook', type: 'webhook', url: hookUrl, next: 'm' },
        {
          id: 'm',
          type: 'send-mail',
          templateId: welcomeTpl,
          kind: 'marketing',
          purpose: 'newsletter',
          next: null,
        },
      ],
      goals: [],
      exitRules: [],
      reentry: { policy: 'never' },
    });
    for (const w of workers) await w.stop(1000);
    workers = [];
    const first = startWorker('first');
    await first.start();
    hookHolding = true;
    hookRequests.length = 0;
    await api('POST', `/api/v1/journeys/${id}/contacts`, { contactIds: [contactId] });
    first.wake();
    await until('webhook called', () => hookRequests.length === 1);
    // Stopped mid-step (the call is still open): the job is released, not completed.
    await first.stop(0);
    workers = [];
    hookHang?.();
    expect((await enrollment(id, contactId)).status).toBe('active');
    const second = startWorker('second');
    await second.start();
    second.wake();
    await until(
      'completed after the restart',
      async () => (await enrollment(id, contactId)).status === 'completed',
    );
    await until('one mail', () => mailsTo('hook@kunde.example').length === 1);
    // The webhook was called again with the same delivery id (the receiver can drop the repeat).
    expect(new Set(hookRequests.map((r) => r.delivery)).size).toBe(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(mailsTo('hook@kunde.example')).toHaveLength(1);
    const runs = await t.deps.db
      .selectFrom('journey_step_runs')
      .selectAll()
      .where('journey_id', '=', id)
      .orderBy('seq')
      .execute();
    expect(runs.map((r) => [r.step_id, r.outcome])).toEqual([
      ['hook', 'completed'],
      ['m', 'completed'],
    ]);
    startWorker('b');
    await workers[1]!.start();
  });

  it('changes a running journey: contacts keep their step or move to the mapped one; pause and resume', async () => {
    const a = await createConsentedContact(t.deps.db, ws, 'edit-a@kunde.example', ['newsletter']);
    const def = (waitDays: number, last: string) => ({
      trigger: { type: 'manual' },
      timeZone: 'Europe/Berlin',
      startStepId: 'w',
      steps: [
        { id: 'w', type: 'wait', wait: { kind: 'duration', duration: { days: waitDays } }, next: last },
        {
          id: last,
          type: 'send-mail',
          templateId: welcomeTpl,
          kind: 'marketing',
          purpose: 'newsletter',
          next: 'w2',
        },
        { id: 'w2', type: 'wait', wait: { kind: 'duration', duration: { days: 30 } }, next: null },
      ],
      goals: [],
      exitRules: [],
      reentry: { policy: 'never' },
    });
    const id = await journey('Editable', def(5, 'old'));
    await api('POST', `/api/v1/journeys/${id}/contacts`, { contactIds: [a] });
    wake();
    await until('waiting', async () => (await enrollment(id, a)).status === 'waiting');

    // Shorter wait in v2: the contact waits from when it got there, under the new rule.
    expect((await api('PATCH', `/api/v1/journeys/${id}`, { definition: def(1, 'old') })).status).toBe(200);
    expect((await api('POST', `/api/v1/journeys/${id}/publish`, {})).status).toBe(200);
    clock.advance(DAY);
    wake();
    await until('mail after the shorter wait', () => mailsTo('edit-a@kunde.example').length === 1);
    await until('in w2', async () => (await enrollment(id, a)).step_id === 'w2');

    // v3 drops w2 where the contact waits: refused without a target, moved with one.
    const v3 = def(1, 'old');
    v3.steps = v3.steps
      .filter((s) => s.id !== 'w2')
      .map((s) => (s.id === 'old' ? { ...s, next: 'last' } : s));
    v3.steps.push({
      id: 'last',
      type: 'send-mail',
      templateId: welcomeTpl,
      kind: 'marketing',
      purpose: 'newsletter',
      next: null,
    } as never);
    await api('PATCH', `/api/v1/journeys/${id}`, { definition: v3 });
    const refused = await api('POST', `/api/v1/journeys/${id}/publish`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'JOURNEY_STEP_MAPPING_REQUIRED',
      details: { steps: ['w2'] },
    });

    // Paused, the move waits; resumed, the contact goes on from the mapped step.
    expect((await api('POST', `/api/v1/journeys/${id}/pause`)).body.journey.status).toBe('paused');
    expect(
      (await api('POST', `/api/v1/journeys/${id}/publish`, { moveContacts: { w2: 'last' } })).status,
    ).toBe(200);
    wake();
    await new Promise((r) => setTimeout(r, 300));
    expect(mailsTo('edit-a@kunde.example')).toHaveLength(1);
    expect((await enrollment(id, a)).step_id).toBe('last');
    expect((await api('POST', `/api/v1/journeys/${id}/resume`)).body.journey.status).toBe('active');
    wake();
    await until('mail from the mapped step', () => mailsTo('edit-a@kunde.example').length === 2);
    const e = await until('completed', async () => {
      const x = await enrollment(id, a);
      return x.status === 'completed' ? x : undefined;
    });
    expect(e.version).toBe(3);
  });

  it('hands a contact off to sales from a journey step (wired to the sales module)', async () => {
    const contactId = await createConsentedContact(t.deps.db, ws, 'handoff@kunde.example', ['newsletter']);
    const id = await journey('Hand-off', {
      trigger: { type: 'manual' },
      timeZone: 'Europe/Berlin',
      startStepId: 'sales',
      steps: [
        { id: 'sales', type: 'hand-off', next: 'again' },
        // A second hand-off finds an open lead and creates none.
        { id: 'again', type: 'hand-off', next: null },
      ],
      goals: [],
      exitRules: [],
      reentry: { policy: 'never' },
    });
    await api('POST', `/api/v1/journeys/${id}/contacts`, { contactIds: [contactId] });
    wake();
    await until('completed', async () => (await enrollment(id, contactId)).status === 'completed');
    const leads = await t.deps.db
      .selectFrom('sales_leads')
      .selectAll()
      .where('contact_id', '=', contactId)
      .execute();
    expect(leads).toHaveLength(1);
    const contact = await t.deps.db
      .selectFrom('contacts')
      .select('lifecycle_stage')
      .where('id', '=', contactId)
      .executeTakeFirstOrThrow();
    expect(contact.lifecycle_stage).toBe('mql');
    const runs = await t.deps.db
      .selectFrom('journey_step_runs')
      .select(['step_id', 'detail'])
      .where('journey_id', '=', id)
      .orderBy('seq')
      .execute();
    expect(runs[0]!.detail).toMatchObject({ created: true });
    expect(runs[1]!.detail).toMatchObject({ created: false });
  });

  it('simulates a journey for a test contact over 30 days without sending anything', async () => {
    const contactId = await createConsentedContact(t.deps.db, ws, 'sim@kunde.example', ['newsletter']);
    const created = await api('POST', '/api/v1/journeys', {
      name: 'Simulated',
      definition: {
        trigger: { type: 'manual' },
        timeZone: 'Europe/Berlin',
        startStepId: 'm',
        steps: [
          {
            id: 'm',
            type: 'send-mail',
            templateId: welcomeTpl,
            kind: 'marketing',
            purpose: 'newsletter',
            next: 'w',
          },
          { id: 'w', type: 'wait', wait: { kind: 'weekday-time', weekdays: [4], time: '10:00' }, next: 'm2' },
          {
            id: 'm2',
            type: 'send-mail',
            templateId: welcomeTpl,
            kind: 'marketing',
            purpose: 'newsletter',
            next: null,
          },
        ],
        goals: [],
        exitRules: [],
        reentry: { policy: 'never' },
      },
    });
    const before = sink.received.length;
    const sim = await api('POST', `/api/v1/journeys/${created.body.journey.id}/simulate`, {
      contactId,
      days: 30,
    });
    expect(sim.status).toBe(200);
    expect(sim.body.outcome).toBe('completed');
    const actions = (sim.body.entries as { kind: string; stepId: string }[]).filter(
      (e) => e.kind === 'action',
    );
    expect(actions.map((a) => a.stepId)).toEqual(['m', 'm2']);
    expect(sink.received.length).toBe(before);
    const none = await t.deps.db
      .selectFrom('journey_enrollments')
      .select('id')
      .where('journey_id', '=', created.body.journey.id)
      .execute();
    expect(none).toHaveLength(0);
  });

  it('refuses invalid definitions with the field named, and other workspaces cannot see a journey', async () => {
    const bad = await api('POST', '/api/v1/journeys', {
      name: 'Bad',
      definition: {
        trigger: { type: 'manual' },
        timeZone: 'Europe/Berlin',
        startStepId: 'x',
        steps: [],
        goals: [],
        exitRules: [],
        reentry: { policy: 'never' },
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
    const list = await api('GET', '/api/v1/journeys');
    const someId = (list.body.items as { id: string }[])[0]!.id;
    const other = await t.app.inject({
      method: 'GET',
      url: `/api/v1/journeys/${someId}/stats`,
      headers: admin.headers({ 'x-workspace-id': newId() }),
    });
    expect([403, 404]).toContain(other.statusCode);
    const otherList = await t.app.inject({
      method: 'GET',
      url: `/api/v1/journeys/${someId}/enrollments?stepId=welcome`,
      headers: admin.headers({ 'x-workspace-id': newId() }),
    });
    expect([403, 404]).toContain(otherList.statusCode);
  });
});
