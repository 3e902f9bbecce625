import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordActivity } from '../../src/modules/contacts/index.js';
import { enrollContacts } from '../../src/modules/journeys/journey-runner.js';
import { DATE_TRIGGERS_JOB } from '../../src/modules/journeys/triggers.js';
import { upsertMailSettings } from '../../src/modules/mail/settings.repository.js';
import { insertTemplate, upsertVariant } from '../../src/modules/mail/templates.repository.js';
import { collectJobs } from '../../src/server.js';
import { ManualClock } from '../../src/shared/clock.js';
import { newId } from '../../src/shared/ids.js';
import { JobWorker } from '../../src/shared/jobs/index.js';
import { type Caller, createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';
import { createConsentedContact, TEST_IMPRINT, until } from '../support/mail.js';
import { decodeMail, SmtpSink } from '../support/smtp-sink.js';

/*
 * Journey triggers beyond one timeline entry, on the real queue and worker: stage changed, a
 * segment entered after the journey was activated (checked for the contacts something happened
 * to), a score that reached a threshold, a date field ("7 days before, 09:00"), and enrollments
 * following a contact merge.
 */

describe.each(await availableDbKinds())('journey triggers on %s', (kind) => {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  const sink = new SmtpSink();
  let t: TestApp;
  let admin: Caller;
  let ws: string;
  let worker: JobWorker;

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

  /** A journey that holds whoever enters at a long wait, so the enrollment can be looked at. */
  async function journey(name: string, trigger: unknown): Promise<string> {
    const created = await api('POST', '/api/v1/journeys', {
      name,
      definition: {
        trigger,
        timeZone: 'Europe/Berlin',
        startStepId: 'hold',
        steps: [{ id: 'hold', type: 'wait', wait: { kind: 'duration', duration: { days: 30 } }, next: null }],
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

  async function enrollments(journeyId: string) {
    return t.deps.db
      .selectFrom('journey_enrollments')
      .select(['contact_id', 'status', 'exit_reason', 'source'])
      .where('journey_id', '=', journeyId)
      .orderBy('entered_at')
      .execute();
  }

  /** Moves the clock past the entry-check delay and lets the worker run what is due. */
  async function settle(journeyId: string, expected: number) {
    // The entry check is scheduled by the activity delivery, a job of its own: keep moving the clock.
    await until('contacts entered', async () => {
      clock.advance(6_000);
      worker.wake();
      return (await enrollments(journeyId)).length >= expected;
    });
  }

  beforeAll(async () => {
    await sink.start();
    t = await createTestApp(kind, {
      clock,
      config: { smtpUrl: sink.url, publicUrl: 'https://leads.acme.example' },
    });
    admin = await t.login();
    ws = admin.workspaceId;
    worker = new JobWorker({
      handle: t.deps.handle,
      definitions: collectJobs(t.deps),
      clock,
      log: t.deps.log,
      concurrency: { critical: 1, default: 2, bulk: 1 },
      pollMs: 50,
    });
    await worker.start();
  });

  afterAll(async () => {
    await worker?.stop(1000);
    await t?.close();
    await sink.stop();
  });

  it('lets a contact in when its stage changes to a named stage, not for other stages', async () => {
    const id = await journey('Stage', { type: 'stage-changed', stages: ['mql'] });
    const a = await createConsentedContact(t.deps.db, ws, 'stage-a@kunde.example', ['newsletter']);
    const b = await createConsentedContact(t.deps.db, ws, 'stage-b@kunde.example', ['newsletter']);
    expect((await api('PATCH', `/api/v1/contacts/${b}`, { lifecycleStage: 'customer' })).status).toBe(200);
    expect((await api('PATCH', `/api/v1/contacts/${a}`, { lifecycleStage: 'mql' })).status).toBe(200);
    worker.wake();
    await until('journey state', async () => (await enrollments(id)).length >= 1, 15_000);
    const rows = await enrollments(id);
    expect(rows.map((r) => r.contact_id)).toEqual([a]);
    expect(rows[0]!.source).toBe('trigger:stage-changed');
  });

  it('lets a whole segment in at activation in pages side by side, each contact once, its first step taken', async () => {
    const seg = await api('POST', '/api/v1/segments', {
      name: 'Kiel',
      definition: {
        kind: 'group',
        op: 'and',
        children: [{ kind: 'field', field: 'city', operator: 'eq', value: 'Kiel' }],
      },
    });
    expect(seg.status, JSON.stringify(seg.body)).toBe(201);
    const segmentId = (seg.body.segment?.id ?? seg.body.id) as string;
    // 2,500 members: the plan cuts them into three pages (1,000, 1,000, 500).
    await sql`INSERT INTO contacts (id, workspace_id, email, email_normalized, city)
      SELECT gen_random_uuid(), ${ws}, 'kiel' || i || '@kunde.example', 'kiel' || i || '@kunde.example', 'Kiel'
        FROM generate_series(1, 2500) AS i`.execute(t.deps.db);
    const id = await journey('Kiel', { type: 'segment-entered', segmentId });
    await until(
      'the segment entered',
      async () => {
        worker.wake();
        return (await enrollments(id)).length >= 2500;
      },
      60_000,
    );
    const rows = await t.deps.db
      .selectFrom('journey_enrollments')
      .select(['id', 'contact_id', 'status', 'step_id', 'seq'])
      .where('journey_id', '=', id)
      .execute();
    expect(rows).toHaveLength(2500);
    expect(new Set(rows.map((r) => r.contact_id)).size).toBe(2500);
    // The page ran the first step (the wait) itself: everybody waits there, at seq 1.
    expect(rows.every((r) => r.status === 'waiting' && r.step_id === 'hold' && r.seq === 1)).toBe(true);
    const runs = await sql<{ n: string; enrollments: string }>`
      SELECT count(*) AS n, count(DISTINCT enrollment_id) AS enrollments FROM journey_step_runs
       WHERE journey_id = ${id}`.execute(t.deps.db);
    expect(Number(runs.rows[0]!.n)).toBe(2500);
    expect(Number(runs.rows[0]!.enrollments)).toBe(2500);
    const entered = await sql<{ n: string }>`SELECT count(*) AS n FROM activities
       WHERE workspace_id = ${ws} AND type = 'journeys.entered' AND ref = ${`journey:${id}`}`.execute(
      t.deps.db,
    );
    expect(Number(entered.rows[0]!.n)).toBe(2500);
    // Nothing of the entry is left over (no run-steps jobs: the pages took the first steps).
    const left = await t.deps.db
      .selectFrom('jobs')
      .select('name')
      .where('name', 'in', ['journeys.enroll-segment', 'journeys.run-steps'])
      .execute();
    expect(left).toEqual([]);
  });

  it.runIf(kind === 'postgres')(
    'a page that lets in a contact another transaction let in at the same moment rolls back and runs again',
    async () => {
      const id = await journey('Race', { type: 'manual' });
      const x = await createConsentedContact(t.deps.db, ws, 'race@kunde.example', ['newsletter']);
      let release!: () => void;
      const held = new Promise<void>((r) => {
        release = r;
      });
      let aEntered!: () => void;
      const aIn = new Promise<void>((r) => {
        aEntered = r;
      });
      // A: lets the contact in (it waits at the first step) and holds its transaction open.
      const a = t.deps.db.transaction().execute(async (trx) => {
        const ids = await enrollContacts(trx, t.deps, {
          workspaceId: ws,
          journeyId: id,
          contactIds: [x],
          source: 'api',
        });
        expect(ids).toHaveLength(1);
        aEntered();
        await held;
      });
      await aIn;
      // B: a segment-entry page with the same contact: its re-entry check cannot see A's row yet;
      // its insert waits for A and, once A commits, finds the contact inside.
      const page = () =>
        t.deps.db.transaction().execute((trx) =>
          enrollContacts(trx, t.deps, {
            workspaceId: ws,
            journeyId: id,
            contactIds: [x],
            source: 'segment',
            runFirstSteps: { wiring: {} },
          }),
        );
      // The outcome is caught at once: B fails while the test still waits for A to commit.
      const b = page().then(
        () => null,
        (err: unknown) => err,
      );
      await new Promise((r) => setTimeout(r, 300));
      release();
      await a;
      expect(String(await b)).toMatch(/at the same moment/);
      expect(await enrollments(id)).toEqual([expect.objectContaining({ contact_id: x, source: 'api' })]);
      // Run again (the job's retry): the page sees the contact inside and lets nobody in twice.
      expect(await page()).toEqual([]);
      expect(await enrollments(id)).toHaveLength(1);
    },
  );

  it('branches on segment membership for a whole batch, on entry pages and in run-steps jobs alike', async () => {
    const segment = async (name: string, field: string, value: string) => {
      const r = await api('POST', '/api/v1/segments', {
        name,
        definition: { kind: 'group', op: 'and', children: [{ kind: 'field', field, operator: 'eq', value }] },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return (r.body.segment?.id ?? r.body.id) as string;
    };
    const town = await segment('Lübeck', 'city', 'Lübeck');
    const ceos = await segment('CEOs', 'job_title', 'CEO');
    // 30 contacts in Lübeck, the first 10 of them CEOs.
    await sql`INSERT INTO contacts (id, workspace_id, email, email_normalized, city, job_title)
      SELECT gen_random_uuid(), ${ws}, 'hl' || i || '@kunde.example', 'hl' || i || '@kunde.example', 'Lübeck',
             CASE WHEN i <= 10 THEN 'CEO' ELSE 'Einkauf' END
        FROM generate_series(1, 30) AS i`.execute(t.deps.db);
    const hold = (id: string) => ({
      id,
      type: 'wait',
      wait: { kind: 'duration', duration: { days: 30 } },
      next: null,
    });
    const create = async (name: string, trigger: unknown) => {
      const r = await api('POST', '/api/v1/journeys', {
        name,
        definition: {
          trigger,
          timeZone: 'Europe/Berlin',
          startStepId: 'who',
          steps: [
            {
              id: 'who',
              type: 'branch',
              condition: { type: 'segment', segmentId: ceos },
              yes: 'ceo',
              no: 'other',
            },
            hold('ceo'),
            hold('other'),
          ],
          goals: [],
          exitRules: [],
          reentry: { policy: 'never' },
        },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      const id = r.body.journey.id as string;
      expect((await api('POST', `/api/v1/journeys/${id}/activate`)).status).toBe(200);
      return id;
    };
    const steps = async (journeyId: string) => {
      const rows = await t.deps.db
        .selectFrom('journey_enrollments')
        .select(['step_id'])
        .where('journey_id', '=', journeyId)
        .where('status', '=', 'waiting')
        .execute();
      return {
        ceo: rows.filter((r) => r.step_id === 'ceo').length,
        other: rows.filter((r) => r.step_id === 'other').length,
      };
    };
    // The entry pages decide the branch for the page's contacts together.
    const bySegment = await create('Lübeck by segment', { type: 'segment-entered', segmentId: town });
    await until(
      'the segment entered and branched',
      async () => {
        worker.wake();
        const s = await steps(bySegment);
        return s.ceo + s.other === 30;
      },
      30_000,
    );
    expect(await steps(bySegment)).toEqual({ ceo: 10, other: 20 });
    // Added by hand: the run-steps jobs decide it for their batch together.
    const byHand = await create('Lübeck by hand', { type: 'manual' });
    const ids = (
      await t.deps.db
        .selectFrom('contacts')
        .select('id')
        .where('workspace_id', '=', ws)
        .where('city', '=', 'Lübeck')
        .execute()
    ).map((c) => c.id);
    await t.deps.db
      .transaction()
      .execute((trx) =>
        enrollContacts(trx, t.deps, { workspaceId: ws, journeyId: byHand, contactIds: ids, source: 'api' }),
      );
    await until(
      'the added contacts branched',
      async () => {
        worker.wake();
        const s = await steps(byHand);
        return s.ceo + s.other === 30;
      },
      30_000,
    );
    expect(await steps(byHand)).toEqual({ ceo: 10, other: 20 });
  });

  it('lets in contacts that enter the trigger segment after activation, checking only them', async () => {
    const seg = await api('POST', '/api/v1/segments', {
      name: 'Hamburg',
      definition: {
        kind: 'group',
        op: 'and',
        children: [{ kind: 'field', field: 'city', operator: 'eq', value: 'Hamburg' }],
      },
    });
    expect(seg.status, JSON.stringify(seg.body)).toBe(201);
    const segmentId = (seg.body.segment?.id ?? seg.body.id) as string;
    const early = await createConsentedContact(t.deps.db, ws, 'early@kunde.example', ['newsletter']);
    await api('PATCH', `/api/v1/contacts/${early}`, { city: 'Hamburg' });
    const id = await journey('Segment', { type: 'segment-entered', segmentId });
    worker.wake();
    await until('journey state', async () => (await enrollments(id)).length >= 1, 15_000);
    const late = await createConsentedContact(t.deps.db, ws, 'late@kunde.example', ['newsletter']);
    const other = await createConsentedContact(t.deps.db, ws, 'munich@kunde.example', ['newsletter']);
    expect((await api('PATCH', `/api/v1/contacts/${other}`, { city: 'München' })).status).toBe(200);
    expect((await api('PATCH', `/api/v1/contacts/${late}`, { city: 'Hamburg' })).status).toBe(200);
    await settle(id, 2);
    const rows = await enrollments(id);
    expect(rows.map((r) => r.contact_id).sort()).toEqual([early, late].sort());
    // A change of the same contact again does not let it in twice (re-entry: never).
    await api('PATCH', `/api/v1/contacts/${late}`, { jobTitle: 'Einkauf' });
    // Its delivery and the entry check it schedules both run (and find it inside already).
    await until('the check ran', async () => {
      clock.advance(6_000);
      worker.wake();
      const pending = await t.deps.db
        .selectFrom('jobs')
        .select('id')
        .where('name', 'in', ['journeys.check-entry', 'contacts.deliver-activities'])
        .execute();
      return pending.length === 0;
    });
    expect(await enrollments(id)).toHaveLength(2);
  });

  it('lets a contact in when its score reached the threshold and something happened to it', async () => {
    const id = await journey('Hot', { type: 'score-crossed', score: 'fit', threshold: 60 });
    const hot = await createConsentedContact(t.deps.db, ws, 'hot@kunde.example', ['newsletter']);
    const cold = await createConsentedContact(t.deps.db, ws, 'cold@kunde.example', ['newsletter']);
    for (const [contact, fit] of [
      [hot, 75],
      [cold, 20],
    ] as const) {
      await sql`INSERT INTO contact_scores (workspace_id, contact_id, fit, engagement_static, engagement_decaying,
          computed_at, temperature, temperature_reason, explanation, rules_version)
        VALUES (${ws}, ${contact}, ${fit}, 0, 0, ${clock.now()}, 'warm', '{}', '{}', 1)
        ON CONFLICT (workspace_id, contact_id) DO UPDATE SET fit = EXCLUDED.fit`.execute(t.deps.db);
      // Something that scoring does not rescore (the test's fit stays): a sales note.
      await recordActivity(t.deps.db, {
        workspaceId: ws,
        contactId: contact,
        type: 'sales.note-added',
        occurredAt: clock.now(),
        data: {},
      });
    }
    await settle(id, 1);
    expect((await enrollments(id)).map((r) => r.contact_id)).toEqual([hot]);
  });

  it('lets contacts in 7 days before the date in their field, at 09:00 local time', async () => {
    const id = await journey('Before the event', {
      type: 'date-field',
      field: 'custom.event_date',
      offsetDays: -7,
      time: '09:00',
    });
    const due = await createConsentedContact(t.deps.db, ws, 'due@kunde.example', ['newsletter']);
    const later = await createConsentedContact(t.deps.db, ws, 'later@kunde.example', ['newsletter']);
    // 2026-03-02 08:00Z is 09:00 in Berlin: a week before 2026-03-09.
    await sql`UPDATE contacts SET custom_fields = jsonb_build_object('event_date', '2026-03-09') WHERE id = ${due}`.execute(
      t.deps.db,
    );
    await sql`UPDATE contacts SET custom_fields = jsonb_build_object('event_date', '2026-03-20') WHERE id = ${later}`.execute(
      t.deps.db,
    );
    for (let run = 0; run < 2; run++) {
      await t.deps.queue.enqueue(t.deps.db, DATE_TRIGGERS_JOB, {}, { idempotencyKey: `test-${run}` });
      worker.wake();
      await until(
        'date job done',
        async () =>
          (
            await t.deps.db
              .selectFrom('jobs')
              .select('id')
              .where('idempotency_key', '=', `test-${run}`)
              .execute()
          ).length === 0,
        15_000,
      );
    }
    const rows = await enrollments(id);
    expect(rows.map((r) => r.contact_id)).toEqual([due]);
    expect(rows[0]!.source).toBe('trigger:date-field:custom.event_date:2026-03-09');
  });

  it('moves enrollments of a merged-away contact to the survivor, or ends them where it is already inside', async () => {
    const onlyLoser = await journey('Only the loser', { type: 'manual' });
    const both = await journey('Both', { type: 'manual' });
    const winner = await createConsentedContact(t.deps.db, ws, 'jana@kunde.example', ['newsletter']);
    const loser = await createConsentedContact(t.deps.db, ws, 'jana.privat@kunde.example', ['newsletter']);
    expect(
      (await api('POST', `/api/v1/journeys/${onlyLoser}/contacts`, { contactIds: [loser] })).status,
    ).toBe(200);
    expect(
      (await api('POST', `/api/v1/journeys/${both}/contacts`, { contactIds: [loser, winner] })).status,
    ).toBe(200);
    const preview = await api('POST', '/api/v1/contacts/merge/preview', { winnerId: winner, loserId: loser });
    expect(preview.status, JSON.stringify(preview.body)).toBe(200);
    const merged = await api('POST', '/api/v1/contacts/merge', {
      winnerId: winner,
      loserId: loser,
      token: preview.body.token,
    });
    expect(merged.status, JSON.stringify(merged.body)).toBe(200);
    worker.wake();
    await until(
      'journey state',
      async () => (await enrollments(onlyLoser))[0]?.contact_id === winner,
      15_000,
    );
    expect(await enrollments(onlyLoser)).toMatchObject([{ contact_id: winner, status: 'waiting' }]);
    await until(
      'journey state',
      async () => (await enrollments(both)).some((r) => r.status === 'exited'),
      15_000,
    );
    const rows = await enrollments(both);
    expect(rows.find((r) => r.contact_id === loser)).toMatchObject({
      status: 'exited',
      exit_reason: 'merged',
    });
    expect(rows.find((r) => r.contact_id === winner)).toMatchObject({ status: 'waiting' });
  });

  it('invites to an event: a mail with the event and its registration link', async () => {
    await upsertMailSettings(
      t.deps.db,
      ws,
      { imprint: TEST_IMPRINT, from_email: 'news@acme.example', from_name: 'Acme News' },
      clock.now(),
    );
    const formId = newId();
    await t.deps.db
      .insertInto('forms')
      .values({
        id: formId,
        workspace_id: ws,
        slug: 'webinar-anmeldung',
        name: 'Webinar',
        kind: 'event',
        draft: '{}',
      })
      .execute();
    const created = await api('POST', '/api/v1/events', {
      title: 'Webinar Instandhaltung 4.0',
      startsAt: '2026-05-12T14:00:00Z',
      endsAt: '2026-05-12T15:00:00Z',
      timeZone: 'Europe/Berlin',
      onlineUrl: 'https://webinar.acme.example/r/4711',
      formId,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const eventId = created.body.event.id as string;
    const tpl = await insertTemplate(t.deps.db, {
      id: newId(),
      workspace_id: ws,
      name: 'Einladung',
      kind: 'marketing',
      purpose: 'newsletter',
      created_by: null,
      created_at: clock.now(),
    });
    for (const locale of ['de', 'en'] as const)
      await upsertVariant(t.deps.db, {
        workspace_id: ws,
        template_id: tpl.id,
        locale,
        subject: 'Einladung: {{ event.title }}',
        preheader: '',
        body_mjml:
          '<mj-section><mj-column><mj-text><a href="{{ event.registrationUrl }}">Jetzt anmelden</a></mj-text></mj-column></mj-section>',
        updated_at: clock.now(),
      });
    const created2 = await api('POST', '/api/v1/journeys', {
      name: 'Webinar-Einladung',
      definition: {
        trigger: { type: 'manual' },
        timeZone: 'Europe/Berlin',
        startStepId: 'invite',
        steps: [
          {
            id: 'invite',
            type: 'invite-to-event',
            eventId,
            templateId: tpl.id,
            purpose: 'newsletter',
            next: null,
          },
        ],
        goals: [],
        exitRules: [],
        reentry: { policy: 'never' },
      },
    });
    expect(created2.status, JSON.stringify(created2.body)).toBe(201);
    const id = created2.body.journey.id as string;
    expect((await api('POST', `/api/v1/journeys/${id}/activate`)).status).toBe(200);
    const contact = await createConsentedContact(t.deps.db, ws, 'invite@kunde.example', ['newsletter']);
    expect((await api('POST', `/api/v1/journeys/${id}/contacts`, { contactIds: [contact] })).status).toBe(
      200,
    );
    worker.wake();
    const mail = await until('the invitation', () =>
      sink.received.find((m) => m.to.includes('invite@kunde.example')),
    );
    const text = decodeMail(mail.raw);
    expect(text).toContain('Einladung: Webinar Instandhaltung 4.0');
    expect(text).toContain('https://leads.acme.example/f/webinar-anmeldung');
    const run = await t.deps.db
      .selectFrom('journey_step_runs')
      .select(['outcome', 'detail'])
      .where('journey_id', '=', id)
      .where('step_id', '=', 'invite')
      .executeTakeFirstOrThrow();
    expect(run.outcome).toBe('completed');
    expect(run.detail).toMatchObject({ eventId });
  });
});
