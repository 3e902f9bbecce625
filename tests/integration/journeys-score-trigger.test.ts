import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordActivity } from '../../src/modules/contacts/index.js';
import { collectJobs } from '../../src/server.js';
import { ManualClock } from '../../src/shared/clock.js';
import { JobWorker } from '../../src/shared/jobs/index.js';
import { type Caller, createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';
import { createConsentedContact, until } from '../support/mail.js';

/*
 * The score-crossed trigger is strict: a contact enters when its score goes from below the
 * threshold to at or above it — not whenever something happens to a contact that is above it.
 * Real scoring (fit rules on the job title, rescored by the contacts.updated entry of a PATCH),
 * the real queue and worker; the journey lets contacts out again at once (re-entry after exit), so
 * only the trigger keeps a contact above the threshold from entering again.
 */

describe.each(await availableDbKinds())('score-crossed trigger on %s', (kind) => {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  let t: TestApp;
  let admin: Caller;
  let ws: string;
  let worker: JobWorker;
  let journeyId: string;

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
          .execute();
        return pending.length === 0;
      },
      30_000,
    );
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

  async function entries(contactId: string): Promise<number> {
    const rows = await t.deps.db
      .selectFrom('journey_enrollments')
      .select('id')
      .where('journey_id', '=', journeyId)
      .where('contact_id', '=', contactId)
      .execute();
    return rows.length;
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

    const created = await api('POST', '/api/v1/journeys', {
      name: 'Heiße Kontakte',
      definition: {
        trigger: { type: 'score-crossed', score: 'fit', threshold: 60 },
        timeZone: 'Europe/Berlin',
        startStepId: 'done',
        steps: [{ id: 'done', type: 'exit' }],
        goals: [],
        exitRules: [],
        reentry: { policy: 'after-exit' },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    journeyId = created.body.journey.id as string;
    expect((await api('POST', `/api/v1/journeys/${journeyId}/activate`)).status).toBe(200);

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
});
