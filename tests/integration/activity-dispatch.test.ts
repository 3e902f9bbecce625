import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  isActivityTypeSubscribed,
  recordActivities,
  recordActivity,
  upsertContactByEmail,
} from '../../src/modules/contacts/index.js';
import { ensureInitialAdmin } from '../../src/modules/identity/index.js';
import { MODULES } from '../../src/modules.js';
import { collectActivityHandlers, collectJobs } from '../../src/server.js';
import { systemClock } from '../../src/shared/clock.js';
import { JobWorker } from '../../src/shared/jobs/index.js';
import type { ActivityHandler, LeadwerkModule } from '../../src/shared/module.js';
import { availableDbKinds, createTestDeps, type TestDeps } from '../support/deps.js';

const kinds = await availableDbKinds();

async function until<T>(
  what: string,
  check: () => Promise<T> | T,
  timeoutMs = 15_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(kinds)('activity handlers on %s', (kind) => {
  let deps: TestDeps;
  let workspaceId: string;
  let contactId: string;
  const workers: JobWorker[] = [];
  /** handler name → activity ids it was called with, one entry per call. */
  const calls = new Map<string, string[][]>();
  /** activity ids whose first delivery to `test.flaky` fails. */
  const failedOnce = new Set<string>();
  /** Every handler fails while set. */
  let failAlways = false;

  const handler = (name: string, types: string[], fail?: (ids: string[]) => boolean): ActivityHandler => ({
    name,
    types,
    async handle(handlerDeps, { workspaceId: ws, activities }) {
      const ids = activities.map((a) => String(a.id));
      calls.set(name, [...(calls.get(name) ?? []), ids]);
      if (failAlways || fail?.(ids)) throw new Error('failing on purpose');
      // Idempotent effect: one row per (handler, activity), whatever the number of deliveries.
      for (const a of activities)
        await sql`INSERT INTO handler_effects (handler, activity_id, workspace_id) VALUES (${name}, ${String(a.id)}, ${ws})
                  ON CONFLICT DO NOTHING`.execute(handlerDeps.db);
    },
  });

  const testModule: LeadwerkModule = {
    name: 'test-dispatch',
    activityHandlers: () => [
      handler('test.steady', ['test.happened', 'other.*']),
      handler('test.flaky', ['test.happened'], (ids) => {
        const fresh = ids.filter((id) => !failedOnce.has(id));
        for (const id of fresh) failedOnce.add(id);
        return fresh.length > 0;
      }),
      {
        ...handler('test.choosy', ['test.happened']),
        // A cheap filter that keeps nothing: the handler is never called.
        select: () => [],
      },
      // A handler that reads what another writes for the same entries (as journeys read scores).
      handler('test.prerequisite', ['dep.happened'], (ids) => {
        const fresh = ids.filter((id) => !failedOnce.has(id));
        for (const id of fresh) failedOnce.add(id);
        return fresh.length > 0;
      }),
      {
        ...handler('test.dependent', ['dep.happened']),
        after: ['test.prerequisite'],
        async handle(handlerDeps, input) {
          // What it saw of the prerequisite's effects when it was called.
          const ids = input.activities.map((a) => String(a.id));
          const seen = await handlerDeps.db
            .selectFrom(sql<{ handler: string; activity_id: string }>`handler_effects`.as('e'))
            .select('activity_id')
            .where('handler', '=', 'test.prerequisite')
            .where('activity_id', 'in', ids)
            .execute();
          dependentSaw.push(...seen.map((r) => r.activity_id));
          await handler('test.dependent', []).handle(handlerDeps, input);
        },
      },
    ],
  };
  /** The entries whose prerequisite effect test.dependent found when it ran. */
  const dependentSaw: string[] = [];

  beforeAll(async () => {
    deps = await createTestDeps(kind, { clock: systemClock });
    const admin = await ensureInitialAdmin(deps.db, {
      email: 'a@example.com',
      password: 'pw-long-enough-123',
    });
    workspaceId = admin.workspace!.id;
    const { contact } = await upsertContactByEmail(deps.db, workspaceId, 'anna@example.com', {}, new Date());
    contactId = contact.id;
    await sql`CREATE TABLE handler_effects (handler text, activity_id text, workspace_id uuid,
              PRIMARY KEY (handler, activity_id))`.execute(deps.db);
    // What a process does at start: builds the jobs of its modules, which registers the handlers.
    collectJobs(deps, [...MODULES, testModule]);
  });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.stop(0)));
    await deps.db.deleteFrom('jobs').execute();
    await sql`TRUNCATE handler_effects`.execute(deps.db);
    calls.clear();
    failedOnce.clear();
    dependentSaw.length = 0;
    failAlways = false;
  });
  afterAll(async () => deps?.cleanup());

  async function startWorker() {
    const worker = new JobWorker({
      handle: deps.handle,
      definitions: collectJobs(deps, [...MODULES, testModule]),
      clock: systemClock,
      log: deps.log,
      pollMs: 50,
      backoff: { baseMs: 20, maxMs: 100 },
      concurrency: { default: 3 },
    });
    workers.push(worker);
    await worker.start();
    return worker;
  }

  const deliveryJobs = () =>
    deps.db
      .selectFrom('jobs')
      .select(['payload'])
      .where('name', '=', 'contacts.deliver-activities')
      .execute();

  /** The id of the newest entry of this type. */
  async function newestActivityId(type: string): Promise<string> {
    const row = await deps.db
      .selectFrom('activities')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('type', '=', type)
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirstOrThrow();
    return String(row.id);
  }

  const record = (type: string) =>
    deps.db
      .transaction()
      .execute((trx) =>
        recordActivity(trx, { workspaceId, contactId, type, occurredAt: new Date(), data: {} }),
      );

  it('enqueues deliveries only for subscribed types, one job for all handlers', async () => {
    expect(isActivityTypeSubscribed('test.happened')).toBe(true);
    expect(isActivityTypeSubscribed('other.anything')).toBe(true);
    expect(isActivityTypeSubscribed('test.ignored')).toBe(false);

    await record('test.ignored');
    expect(await deliveryJobs()).toHaveLength(0);

    await deps.db.transaction().execute((trx) =>
      recordActivities(trx, [
        { workspaceId, contactId, type: 'test.ignored', occurredAt: new Date(), data: {} },
        { workspaceId, contactId, type: 'test.happened', occurredAt: new Date(), data: {} },
        { workspaceId, contactId, type: 'other.thing', occurredAt: new Date(), data: {} },
      ]),
    );
    // One job for the batch and all its handlers (registration order), not one per handler.
    const jobs = await deliveryJobs();
    expect(jobs).toHaveLength(1);
    const payload = jobs[0]!.payload as { handlers: string[]; activityIds: string[] };
    expect(payload.handlers).toEqual(['test.steady', 'test.flaky', 'test.choosy']);
    expect(payload.activityIds).toHaveLength(2);
  });

  it('runs each handler once; only the handler that failed is retried, in its own job', async () => {
    await record('test.happened');
    expect(await deliveryJobs()).toHaveLength(1);
    await startWorker();
    await until('both handlers took effect', async () => {
      const r = await sql<{ n: string }>`SELECT count(*) AS n FROM handler_effects`.execute(deps.db);
      return Number(r.rows[0]!.n) === 2 && (await deliveryJobs()).length === 0;
    });
    const aid = await newestActivityId('test.happened');
    // test.steady (A) ran once; test.flaky (B) failed once and then succeeded in its retry job.
    expect(calls.get('test.steady')).toEqual([[aid]]);
    expect(calls.get('test.flaky')).toEqual([[aid], [aid]]);
    // test.choosy's filter kept nothing: it was never called.
    expect(calls.get('test.choosy')).toBeUndefined();
  });

  it('runs a handler after the one it depends on, also when that one failed and is retried', async () => {
    // Scoring before journeys: a dependent handler never reads the state before its prerequisite
    // handled the same entries, whatever fails.
    await record('dep.happened');
    await record('test.happened');
    await startWorker();
    await until('both dependent handlers took effect', async () => {
      const r = await sql<{ n: string }>`SELECT count(*) AS n FROM handler_effects
        WHERE handler IN ('test.prerequisite', 'test.dependent')`.execute(deps.db);
      return Number(r.rows[0]!.n) === 2 && (await deliveryJobs()).length === 0;
    });
    const aid = await newestActivityId('dep.happened');
    // The prerequisite failed once; the dependent was not called with it, but once, after its retry.
    expect(calls.get('test.prerequisite')).toEqual([[aid], [aid]]);
    expect(calls.get('test.dependent')).toEqual([[aid]]);
    expect(dependentSaw).toEqual([aid]);
    // The other entry's handlers do not wait for an unrelated failure (test.flaky retries alone).
    expect(calls.get('test.steady')).toHaveLength(1);
    expect((await deps.db.selectFrom('jobs').select('id').where('state', '=', 'dead').execute()).length).toBe(
      0,
    );
  });

  it('refuses handlers registered before a handler they run after', () => {
    const wrongOrder: LeadwerkModule = {
      name: 'test-order',
      activityHandlers: () => [
        { ...handler('test.reader', ['x.y']), after: ['test.writer'] },
        handler('test.writer', ['x.y']),
      ],
    };
    expect(() => collectActivityHandlers(deps, [wrongOrder])).toThrow(
      'activity handler test.reader runs after test.writer, which is not registered before it',
    );
    // The product's own order passes.
    expect(() => collectActivityHandlers(deps, MODULES)).not.toThrow();
  });

  it('a job whose only handlers all fail is retried as a whole', async () => {
    failAlways = true;
    await record('test.happened');
    await startWorker();
    await until('flaky called twice', () => (calls.get('test.flaky') ?? []).length >= 2);
    // The steady handler also failed each time (failAlways), so it may run again; nothing is lost.
    expect((calls.get('test.steady') ?? []).length).toBeGreaterThanOrEqual(2);
    failAlways = false;
    await until('both took effect', async () => {
      const r = await sql<{ n: string }>`SELECT count(*) AS n FROM handler_effects`.execute(deps.db);
      return Number(r.rows[0]!.n) === 2;
    });
  });

  it('rolls the delivery back with the transaction that recorded the activity', async () => {
    await expect(
      deps.db.transaction().execute(async (trx) => {
        await recordActivity(trx, {
          workspaceId,
          contactId,
          type: 'test.happened',
          occurredAt: new Date(),
          data: {},
        });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect(await deliveryJobs()).toHaveLength(0);
  });

  it('runs many due deliveries as one batch: each handler once for all entries, the failed one retried alone', async () => {
    await deps.db.deleteFrom('activities').where('type', '=', 'test.happened').execute();
    // A burst: 20 entries, each recorded in its own transaction (20 jobs), due before a worker runs.
    for (let i = 0; i < 20; i++) await record('test.happened');
    expect(await deliveryJobs()).toHaveLength(20);
    await startWorker();
    await until('every entry handled by both handlers', async () => {
      const r = await sql<{ n: string }>`SELECT count(*) AS n FROM handler_effects`.execute(deps.db);
      return Number(r.rows[0]!.n) === 40 && (await deliveryJobs()).length === 0;
    });
    const steady = calls.get('test.steady') ?? [];
    // One worker claimed the due jobs together: far fewer handler calls than jobs (a claim takes at
    // most the lane's 3 free places, the batch fills up to 50 with one more claim).
    expect(steady.length).toBeLessThanOrEqual(2);
    expect(steady.flat()).toHaveLength(20);
    expect(new Set(steady.flat()).size).toBe(20);
    // test.flaky failed for each fresh entry once: its retry came as its own job (test.steady, which
    // succeeded, did not run again), and it then succeeded for every entry.
    const flaky = (calls.get('test.flaky') ?? []).flat();
    expect(flaky).toHaveLength(40);
    expect(new Set(flaky).size).toBe(20);
    const dead = await deps.db.selectFrom('jobs').select('id').where('state', '=', 'dead').execute();
    expect(dead).toHaveLength(0);
  });

  it('a batch in which every handler fails runs its jobs again one by one, and nothing is lost', async () => {
    await deps.db.deleteFrom('activities').where('type', '=', 'test.happened').execute();
    for (let i = 0; i < 5; i++) await record('test.happened');
    failAlways = true;
    await startWorker();
    // The batch call failed, then each job was run on its own (single calls of one entry each).
    await until('single runs after the failed batch', () =>
      (calls.get('test.steady') ?? []).some((ids) => ids.length === 1),
    );
    expect((calls.get('test.steady') ?? [])[0]!.length).toBeGreaterThan(1);
    failAlways = false;
    await until('every entry handled by both handlers', async () => {
      const r = await sql<{ n: string }>`SELECT count(*) AS n FROM handler_effects`.execute(deps.db);
      return Number(r.rows[0]!.n) === 10 && (await deliveryJobs()).length === 0;
    });
    const dead = await deps.db.selectFrom('jobs').select('id').where('state', '=', 'dead').execute();
    expect(dead).toHaveLength(0);
  });

  it('delivers every activity to each handler with two workers; a failing handler is retried alone', async () => {
    await startWorker();
    await startWorker();
    const n = 12;
    await deps.db.deleteFrom('activities').where('type', '=', 'test.happened').execute();
    for (let i = 0; i < n; i++) await record('test.happened');
    const expected = await deps.db
      .selectFrom('activities')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('type', '=', 'test.happened')
      .execute();
    expect(expected).toHaveLength(n);
    await until('every activity handled by both handlers', async () => {
      const r = await sql<{ n: string }>`SELECT count(*) AS n FROM handler_effects`.execute(deps.db);
      return Number(r.rows[0]!.n) === expected.length * 2 && (await deliveryJobs()).length === 0;
    });
    // The flaky handler failed once per job and was called again; the steady one was not.
    const steadyIds = (calls.get('test.steady') ?? []).flat();
    const flakyIds = (calls.get('test.flaky') ?? []).flat();
    expect(new Set(steadyIds).size).toBe(expected.length);
    expect(steadyIds).toHaveLength(expected.length);
    expect(flakyIds).toHaveLength(expected.length * 2);
    const dead = await deps.db.selectFrom('jobs').select('id').where('state', '=', 'dead').execute();
    expect(dead).toHaveLength(0);
  });
});
