import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordActivity } from '../../src/modules/contacts/index.js';
import { DATE_TRIGGERS_JOB } from '../../src/modules/journeys/triggers.js';
import { collectJobs } from '../../src/server.js';
import { ManualClock } from '../../src/shared/clock.js';
import { JobWorker } from '../../src/shared/jobs/index.js';
import { type Caller, createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';
import { createConsentedContact, until } from '../support/mail.js';

/*
 * Triggers that must not let a contact in again although the re-entry policy would allow it. The
 * journeys let contacts out at once (an exit step, re-entry after exit), so only the trigger keeps
 * a contact from entering again:
 * - score-crossed is strict: a contact enters when its score goes from below the threshold to at
 *   or above it — not whenever something happens to a contact that is above it. Real scoring (fit
 *   rules on the job title, rescored by the contacts.updated entry of a PATCH). An engagement that
 *   sank below the threshold by decay alone counts as below (the injectable clock moves two
 *   half-lives on), and a score raised by the recompute after a rule change (no timeline entry)
 *   is checked too.
 * - date-field: once per date occurrence, whatever the runs of the hourly job (a retry, the next
 *   hour, the 25-hour day when the clocks go back).
 * The real queue and worker throughout.
 */

describe.each(await availableDbKinds())('journey trigger guards on %s', (kind) => {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  let t: TestApp;
  let admin: Caller;
  let ws: string;
  let worker: JobWorker;
  let journeyId: string;

  async function api(method: 'GET' | 'POST' | 'PATCH' | 'PUT', url: string, payload?: unknown) {
    const res = await t.app.inject({
      method,
      url,
      headers: admin.headers(),
      ...(payload ? { payload } : {}),
    });
    // biome-ignore lint/suspicious/noExplicitAny: the tests read many response shapes
    return { status: res.statusCode, body: res.json() as Record<string, any> };
  }

  /** Runs everything the last change caused: delivery, scoring, the delayed entry check, the steps. */
  async function settle() {
    await until(
      'the queue is idle',
      async () => {
        clock.advance(6_000);
        worker.wake();
        const pending = await t.deps.db
          .selectFrom('jobs')
          .select('name')
          .where('state', '<>', 'dead')
          // The hourly date job plans its next run itself.
          .where((eb) => eb.or([eb('name', '<>', DATE_TRIGGERS_JOB.name), eb('run_at', '<=', clock.now())]))
          .execute();
        return pending.length === 0;
      },
      30_000,
    );
    // Time passes before the next change. Without this, a worker that wrote a score just after the
    // last advance left it stamped with the very moment the next change happens; "the score before
    // that change" (history older than it) then skipped it (seen once under the full suite's load).
    clock.advance(1_000);
  }

  async function setJobTitle(contactId: string, jobTitle: string) {
    const res = await api('PATCH', `/api/v1/contacts/${contactId}`, { jobTitle });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await settle();
  }

  async function fitOf(contactId: string): Promise<number> {
    const row = await t.deps.db
      .selectFrom('contact_scores')
      .select('fit')
      .where('contact_id', '=', contactId)
      .executeTakeFirst();
    return row?.fit ?? 0;
  }

  /** The engagement as the contact page shows it now (decayed to the clock). */
  async function engagementNow(contactId: string): Promise<number> {
    const res = await api('GET', `/api/v1/scoring/contacts/${contactId}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.engagement.score as number;
  }

  /** A webinar attended, now (scored by the engagement rule of the decay test). */
  async function attend(contactId: string) {
    await recordActivity(t.deps.db, {
      workspaceId: ws,
      contactId,
      type: 'events.attended',
      occurredAt: clock.now(),
      data: {},
    });
    await settle();
  }

  async function entries(contactId: string, journey = journeyId): Promise<number> {
    const rows = await t.deps.db
      .selectFrom('journey_enrollments')
      .select('id')
      .where('journey_id', '=', journey)
      .where('contact_id', '=', contactId)
      .execute();
    return rows.length;
  }

  /** An active journey whose only step lets the contact out again (re-entry after exit). */
  async function exitingJourney(name: string, trigger: unknown): Promise<string> {
    const created = await api('POST', '/api/v1/journeys', {
      name,
      definition: {
        trigger,
        timeZone: 'Europe/Berlin',
        startStepId: 'done',
        steps: [{ id: 'done', type: 'exit' }],
        goals: [],
        exitRules: [],
        reentry: { policy: 'after-exit' },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.journey.id as string;
    expect((await api('POST', `/api/v1/journeys/${id}/activate`)).status).toBe(200);
    return id;
  }

  let dateRuns = 0;
  /** One run of the hourly date job at `at`, and whatever it caused. */
  async function runDateJob(at: string) {
    clock.set(at);
    await t.deps.queue.enqueue(t.deps.db, DATE_TRIGGERS_JOB, {}, { idempotencyKey: `run-${++dateRuns}` });
    await settle();
  }

  beforeAll(async () => {
    t = await createTestApp(kind, { clock });
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
    for (const [name, points, value] of [
      ['Leitung', 40, 'leiter'],
      ['Einkauf', 30, 'einkauf'],
      ['Nord', 10, 'nord'],
    ] as const) {
      const rule = await api('POST', '/api/v1/scoring/rules', {
        kind: 'fit',
        name,
        points,
        definition: { field: 'job_title', op: 'contains', value },
      });
      expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    }
    await settle();
  });

  afterAll(async () => {
    await worker?.stop(1000);
    await t?.close();
  });

  it('lets a contact in only when its score goes from below the threshold to at or above it', async () => {
    // Above the threshold before the journey exists: its next activity does not let it in.
    const early = await createConsentedContact(t.deps.db, ws, 'frueh@kunde.example', ['newsletter']);
    await setJobTitle(early, 'Leiter Einkauf');
    expect(await fitOf(early)).toBe(70);

    journeyId = await exitingJourney('Heiße Kontakte', {
      type: 'score-crossed',
      score: 'fit',
      threshold: 60,
    });

    await setJobTitle(early, 'Leiter Einkauf Nord');
    expect(await fitOf(early)).toBe(80);
    expect(await entries(early)).toBe(0);

    const c = await createConsentedContact(t.deps.db, ws, 'steigt@kunde.example', ['newsletter']);
    await setJobTitle(c, 'Leiter');
    expect(await fitOf(c)).toBe(40);
    expect(await entries(c)).toBe(0);

    // Below → above: enters (and leaves again at once).
    await setJobTitle(c, 'Leiter Einkauf');
    expect(await fitOf(c)).toBe(70);
    expect(await entries(c)).toBe(1);

    // Above → higher, and an activity that changes no score: it stays out.
    await setJobTitle(c, 'Leiter Einkauf Nord');
    expect(await fitOf(c)).toBe(80);
    await recordActivity(t.deps.db, {
      workspaceId: ws,
      contactId: c,
      type: 'sales.note-added',
      occurredAt: clock.now(),
      data: {},
    });
    await settle();
    expect(await entries(c)).toBe(1);

    // Drops below, then rises again: a new crossing, it enters again (re-entry after exit).
    await setJobTitle(c, 'Nord');
    expect(await fitOf(c)).toBe(10);
    expect(await entries(c)).toBe(1);
    await setJobTitle(c, 'Leiter Einkauf');
    expect(await fitOf(c)).toBe(70);
    expect(await entries(c)).toBe(2);
    const rows = await t.deps.db
      .selectFrom('journey_enrollments')
      .select(['status', 'source'])
      .where('journey_id', '=', journeyId)
      .execute();
    expect(rows.every((r) => r.status !== 'active' && r.status !== 'waiting')).toBe(true);
    expect(rows.every((r) => r.source === 'trigger:score-crossed')).toBe(true);
  });

  it('lets a contact in once per date occurrence, whatever the runs of the hourly job', async () => {
    const id = await exitingJourney('Verlängerung', {
      type: 'date-field',
      field: 'custom.renewal_date',
      offsetDays: 0,
      time: '00:00',
    });
    const d = await createConsentedContact(t.deps.db, ws, 'verlaengert@kunde.example', ['newsletter']);
    const next = await createConsentedContact(t.deps.db, ws, 'morgen@kunde.example', ['newsletter']);
    for (const [contact, date] of [
      [d, '2026-10-25'],
      [next, '2026-10-26'],
    ] as const)
      await sql`UPDATE contacts SET custom_fields = jsonb_build_object('renewal_date', ${date}::text)
                 WHERE id = ${contact}`.execute(t.deps.db);
    // 00:00 on 25 October in Berlin (summer time, UTC+2): due, it enters and leaves at once.
    await runDateJob('2026-10-24T22:00:00Z');
    expect(await entries(d, id)).toBe(1);
    // The same run again (a retry), a later hour, and 23:30 the same day — which, the clocks
    // having gone back at 03:00, is 24.5 hours after it entered.
    await runDateJob('2026-10-24T22:00:00Z');
    await runDateJob('2026-10-25T10:00:00Z');
    await runDateJob('2026-10-25T22:30:00Z');
    expect(await entries(d, id)).toBe(1);
    expect(await entries(next, id)).toBe(0);
    // Midnight: the next day's date is due, not this one again.
    await runDateJob('2026-10-25T23:00:00Z');
    expect(await entries(d, id)).toBe(1);
    expect(await entries(next, id)).toBe(1);
    const rows = await t.deps.db
      .selectFrom('journey_enrollments')
      .select(['contact_id', 'status', 'source'])
      .where('journey_id', '=', id)
      .execute();
    expect(rows.find((r) => r.contact_id === d)).toMatchObject({
      status: 'completed',
      source: 'trigger:date-field:custom.renewal_date:2026-10-25',
    });
  });

  it('counts an engagement that sank below the threshold by decay alone as below: rising again lets it in once', async () => {
    // The clock moved on in the tests before (and moves here): a fresh session.
    admin = await t.login();
    const settings = await api('GET', '/api/v1/scoring/settings');
    expect(settings.status).toBe(200);
    const put = await api('PUT', '/api/v1/scoring/settings', { ...settings.body, halfLifeDays: 7 });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const rule = await api('POST', '/api/v1/scoring/rules', {
      kind: 'engagement',
      name: 'Webinar besucht',
      points: 50,
      definition: { activityType: 'events.attended' },
    });
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    await settle();

    const c = await createConsentedContact(t.deps.db, ws, 'abklingend@kunde.example', ['newsletter']);
    await attend(c);
    expect(await engagementNow(c)).toBe(50);
    const id = await exitingJourney('Wieder aktiv', {
      type: 'score-crossed',
      score: 'engagement',
      threshold: 40,
    });
    // Above the threshold when the journey starts: something happens, it stays out.
    await recordActivity(t.deps.db, {
      workspaceId: ws,
      contactId: c,
      type: 'sales.note-added',
      occurredAt: clock.now(),
      data: {},
    });
    await settle();
    expect(await entries(c, id)).toBe(0);

    // Two half-lives later (and the seconds the queue took), with no rescore in between: 50 has
    // decayed to about 12.5, below 40.
    clock.advance(14 * 86_400_000);
    admin = await t.login();
    expect(await engagementNow(c)).toBeOneOf([12, 13]);
    expect(await entries(c, id)).toBe(0);
    // Another webinar: 12.5 + 50 — from below to above, it enters (and leaves again at once).
    await attend(c);
    expect(await engagementNow(c)).toBeOneOf([62, 63]);
    expect(await entries(c, id)).toBe(1);
    // Higher still, and a note: no new crossing, whatever the re-entry policy allows.
    await attend(c);
    await recordActivity(t.deps.db, {
      workspaceId: ws,
      contactId: c,
      type: 'sales.note-added',
      occurredAt: clock.now(),
      data: {},
    });
    await settle();
    expect(await engagementNow(c)).toBeOneOf([112, 113]);
    expect(await entries(c, id)).toBe(1);
  });

  it('checks the contacts whose score a recompute after a rule change raised across the threshold', async () => {
    admin = await t.login();
    const c = await createConsentedContact(t.deps.db, ws, 'regel@kunde.example', ['newsletter']);
    await setJobTitle(c, 'Einkauf');
    expect(await fitOf(c)).toBe(30);
    expect(await entries(c)).toBe(0);
    // A segment journey whose segment does not look at scores: everybody in it entered at
    // activation and left again; the recompute is nothing that happened to them, so nobody re-enters.
    const seg = await api('POST', '/api/v1/segments', {
      name: 'Einkäufer',
      definition: {
        kind: 'group',
        op: 'and',
        children: [{ kind: 'field', field: 'job_title', operator: 'contains', value: 'einkauf' }],
      },
    });
    expect(seg.status, JSON.stringify(seg.body)).toBe(201);
    const buyers = await exitingJourney('Einkauf', {
      type: 'segment-entered',
      segmentId: (seg.body.segment?.id ?? seg.body.id) as string,
    });
    await settle();
    expect(await entries(c, buyers)).toBe(1);
    const rules = await api('GET', '/api/v1/scoring/rules');
    const einkauf = (rules.body.items as { id: string; name: string }[]).find((r) => r.name === 'Einkauf')!;
    // No timeline entry for c: only the recompute moves its fit from 30 to 65 (threshold 60).
    const changed = await api('PUT', `/api/v1/scoring/rules/${einkauf.id}`, {
      kind: 'fit',
      name: 'Einkauf',
      points: 65,
      definition: { field: 'job_title', op: 'contains', value: 'einkauf' },
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    await settle();
    expect(await fitOf(c)).toBe(65);
    expect(await entries(c)).toBe(1);
    // Contacts the recompute left above the threshold, or raised from above, stay out.
    const early = await t.deps.db
      .selectFrom('contacts')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('email', '=', 'frueh@kunde.example')
      .executeTakeFirstOrThrow();
    expect(await fitOf(early.id)).toBe(115);
    expect(await entries(early.id)).toBe(0);
    expect(await entries(c, buyers)).toBe(1);
    expect(await entries(early.id, buyers)).toBe(1);
  });
});
