import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordActivities, upsertContactByEmail } from '../../src/modules/contacts/index.js';
import { ensureInitialAdmin } from '../../src/modules/identity/index.js';
import { recomputeBatchJob, startRecompute } from '../../src/modules/scoring/recompute.service.js';
import { DEFAULT_SETTINGS, saveSettings } from '../../src/modules/scoring/settings.js';
import { collectJobs } from '../../src/server.js';
import { ManualClock } from '../../src/shared/clock.js';
import { JobWorker } from '../../src/shared/jobs/index.js';
import { availableDbKinds, createTestDeps, type TestDeps } from '../support/deps.js';

/*
 * The two ways a score is computed must agree: scores built event by event (the activity handler,
 * as activities arrive) and scores rebuilt from the whole timeline by the full recompute (what a
 * rule change or the manual "recompute" does). Same activities, same clock: every contribution and
 * every score row must be equal. Caps (rolling), decay, a non-decaying rule, a ref prefix, fit
 * rules and temperature are all in play.
 */

const kinds = await availableDbKinds();
const DAY = 86_400_000;

async function until<T>(
  what: string,
  check: () => Promise<T> | T,
  timeoutMs = 30_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe.each(kinds)('scores via events equal scores via recompute on %s', (kind) => {
  let deps: TestDeps;
  let ws: string;
  const clock = new ManualClock('2026-05-04T10:00:00Z');
  const workers: JobWorker[] = [];

  beforeAll(async () => {
    deps = await createTestDeps(kind, { clock });
    const admin = await ensureInitialAdmin(deps.db, {
      email: 'a@example.com',
      password: 'pw-long-enough-123',
    });
    ws = admin.workspace!.id;
    const rules = [
      ['fit', 'Head of', 40, { field: 'job_title', op: 'contains', value: 'head' }],
      [
        'engagement',
        'Click',
        5,
        { activityType: 'mail.clicked', cap: { points: 12, periodDays: 7 }, decays: true },
      ],
      [
        'engagement',
        'Open',
        1,
        { activityType: 'mail.opened', cap: { points: 3, periodDays: 2 }, decays: true },
      ],
      [
        'engagement',
        'Download',
        20,
        { activityType: 'capture.asset-downloaded', refPrefix: 'asset:w', decays: true, signal: 'warm' },
      ],
      ['engagement', 'Webinar', 30, { activityType: 'events.attended', decays: false, signal: 'warm' }],
    ] as const;
    for (const [kindOfRule, name, points, definition] of rules)
      await deps.db
        .insertInto('scoring_rules')
        .values({
          id: crypto.randomUUID(),
          workspace_id: ws,
          kind: kindOfRule,
          name,
          points,
          definition: JSON.stringify(definition),
        })
        .execute();
    // No MQL moves: routing belongs to the sales module; `engaged` moves stay in.
    await saveSettings(
      deps.db,
      ws,
      { ...DEFAULT_SETTINGS, mql: { ...DEFAULT_SETTINGS.mql, fitMin: 100000 } },
      clock.now(),
      true,
    );
    for (let i = 0; i < 2; i++) {
      const worker = new JobWorker({
        handle: deps.handle,
        definitions: collectJobs(deps).filter((d) => d.name !== 'sales.route-lead'),
        clock,
        log: deps.log,
        pollMs: 30,
        concurrency: { critical: 0, default: 3, bulk: 2 },
      });
      workers.push(worker);
      await worker.start();
    }
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop(0)));
    await deps?.cleanup();
  });

  const pending = async () =>
    (
      await deps.db
        .selectFrom('jobs')
        .select('id')
        .where('state', 'in', ['queued', 'running'])
        .where('name', '!=', 'sales.route-lead')
        .execute()
    ).length;

  const snapshot = async () => ({
    events: await deps.db
      .selectFrom('score_events')
      .select(['contact_id', 'rule_id', 'activity_id', 'occurred_at', 'points'])
      .where('workspace_id', '=', ws)
      .orderBy('contact_id')
      .orderBy('rule_id')
      .orderBy('activity_id')
      .execute(),
    scores: await deps.db
      .selectFrom('contact_scores')
      .select([
        'contact_id',
        'fit',
        'engagement_static',
        'engagement_decaying',
        'computed_at',
        'temperature',
        'temperature_reason',
        'explanation',
      ])
      .where('workspace_id', '=', ws)
      .orderBy('contact_id')
      .execute(),
    stages: await deps.db
      .selectFrom('contacts')
      .select(['id', 'lifecycle_stage'])
      .where('workspace_id', '=', ws)
      .orderBy('id')
      .execute(),
  });

  it('gives every contribution and every score the same value both ways', async () => {
    const titles = ['Head of IT', 'Developer', null, 'Head of Sales'];
    const types = [
      ['mail.clicked', null],
      ['mail.opened', null],
      ['mail.sent', null],
      ['capture.asset-downloaded', 'asset:whitepaper'],
      ['capture.asset-downloaded', 'asset:checklist'],
      ['events.attended', 'event:e1'],
    ] as const;
    const start = clock.now().getTime();
    const contactIds: string[] = [];
    for (let c = 0; c < 12; c++) {
      const { contact } = await upsertContactByEmail(
        deps.db,
        ws,
        `p${c}@example.com`,
        { jobTitle: titles[c % titles.length] ?? null },
        clock.now(),
      );
      contactIds.push(contact.id);
    }
    // Deterministic timelines over 60 days, with bursts that hit the caps; delivered in batches as
    // they would arrive (events path).
    for (let round = 0; round < 6; round++) {
      const batch: Parameters<typeof recordActivities>[1] = [];
      for (const [c, contactId] of contactIds.entries())
        for (let k = 0; k < 5; k++) {
          const n = round * 31 + c * 7 + k * 3;
          const [type, ref] = types[(n + c) % types.length]!;
          batch.push({
            workspaceId: ws,
            contactId,
            type,
            ref,
            data: {},
            occurredAt: new Date(start - ((n * 37) % 60) * DAY - (n % 5) * 3600_000),
          });
        }
      await deps.db.transaction().execute((trx) => recordActivities(trx, batch));
      await until('deliveries done', async () => (await pending()) === 0);
    }
    const viaEvents = await snapshot();
    expect(viaEvents.scores).toHaveLength(contactIds.length);
    expect(viaEvents.events.length).toBeGreaterThan(100);
    // Caps cut something and decay is in play: the comparison covers them.
    expect(viaEvents.scores.some((s) => Number(s.engagement_static) > 0)).toBe(true);
    expect(viaEvents.scores.some((s) => Number(s.engagement_decaying) > 0)).toBe(true);
    expect(viaEvents.scores.some((s) => JSON.stringify(s.explanation).includes('"engagementCount"'))).toBe(
      true,
    );

    // The same instant, everything rebuilt from the timeline.
    const version = (
      await deps.db
        .selectFrom('scoring_settings')
        .select('rules_version')
        .where('workspace_id', '=', ws)
        .executeTakeFirstOrThrow()
    ).rules_version;
    const job = recomputeBatchJob(deps);
    await deps.db.deleteFrom('score_events').where('workspace_id', '=', ws).execute();
    const recomputeId = await deps.db
      .transaction()
      .execute((trx) => startRecompute(trx, deps, job, ws, version, 'all'));
    await until('recompute done', async () => {
      const r = await deps.db
        .selectFrom('scoring_recomputes')
        .select('state')
        .where('id', '=', recomputeId)
        .executeTakeFirstOrThrow();
      return r.state === 'done' && (await pending()) === 0;
    });
    const viaRecompute = await snapshot();
    expect(viaRecompute.events).toEqual(viaEvents.events);
    expect(viaRecompute.scores).toEqual(viaEvents.scores);
    expect(viaRecompute.stages).toEqual(viaEvents.stages);
  });
});
