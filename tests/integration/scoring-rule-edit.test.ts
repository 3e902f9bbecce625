import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordActivity } from '../../src/modules/contacts/index.js';
import { createWorkspaceIn } from '../../src/modules/workspaces/index.js';
import { collectJobs } from '../../src/server.js';
import { systemActor } from '../../src/shared/actor.js';
import { ManualClock } from '../../src/shared/clock.js';
import { JobWorker } from '../../src/shared/jobs/index.js';
import { type Caller, createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';
import { until } from '../support/mail.js';

/*
 * Changing a rule (PUT /api/v1/scoring/rules/:id) as the admin UI's rule editor does: a fit rule on a
 * contact custom field (`custom:<key>`) and an engagement rule's ref prefix (one asset). The recompute
 * that follows rescores every contact, and "Why?" names the changed rule.
 */

const kinds = await availableDbKinds();

describe.each(kinds)('changing scoring rules on %s', (kind) => {
  let t: TestApp;
  let caller: Caller;
  let worker: JobWorker;
  const clock = new ManualClock('2026-05-04T10:00:00Z');

  const api = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url,
      headers: caller.headers(),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  /** Waits for the latest recompute to finish and the queue to be empty, then returns "Why?". */
  const settled = async (contactId: string) => {
    await until(
      'recompute done',
      async () => (await api('GET', '/api/v1/scoring/recompute')).json().state === 'done',
    );
    await until('queue idle', async () => {
      const open = await t.deps.db
        .selectFrom('jobs')
        .select('id')
        .where('state', 'in', ['queued', 'running'])
        .where('lane', '!=', 'critical')
        .execute();
      return open.length === 0;
    });
    return (await api('GET', `/api/v1/scoring/contacts/${contactId}`)).json() as {
      fit: { score: number; contributions: { rule: string; points: number }[] };
      engagement: { score: number; contributions: { rule: string; points: number }[] };
    };
  };

  beforeAll(async () => {
    t = await createTestApp(kind, { clock });
    caller = await t.login();
    worker = new JobWorker({
      handle: t.deps.handle,
      definitions: collectJobs(t.deps).filter((d) => d.name !== 'sales.route-lead'),
      clock,
      log: t.deps.log,
      pollMs: 50,
      concurrency: { critical: 0, default: 4, bulk: 2 },
    });
    await worker.start();
  });
  afterAll(async () => {
    await worker?.stop(0);
    await t?.close();
  });

  it('changes a fit rule on a custom field; the recompute scores it and "Why?" names it', async () => {
    const field = await api('POST', '/api/v1/custom-fields/contact', {
      key: 'segment',
      label: 'Segment',
      type: 'choice',
      options: [
        { value: 'energy', label: 'Energy' },
        { value: 'automotive', label: 'Automotive' },
      ],
    });
    expect(field.statusCode, field.body).toBe(201);
    const contact = await api('POST', '/api/v1/contacts', {
      email: 'segment@example.com',
      customFields: { segment: 'automotive' },
    });
    expect(contact.statusCode, contact.body).toBe(201);
    const contactId = contact.json().contact.id as string;

    const created = await api('POST', '/api/v1/scoring/rules', {
      kind: 'fit',
      name: 'Energy segment',
      points: 20,
      definition: { field: 'custom:segment', op: 'equals', value: 'energy' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const ruleId = created.json().rule.id as string;
    expect((await settled(contactId)).fit.score).toBe(0);

    const changed = await api('PUT', `/api/v1/scoring/rules/${ruleId}`, {
      kind: 'fit',
      name: 'Energy or automotive',
      points: 25,
      definition: { field: 'custom:segment', op: 'in', value: ['energy', 'automotive'] },
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json().rule.definition).toEqual({
      field: 'custom:segment',
      op: 'in',
      value: ['energy', 'automotive'],
    });
    expect(changed.json().recomputeId).toEqual(expect.any(String));
    const why = await settled(contactId);
    expect(why.fit.score).toBe(25);
    expect(why.fit.contributions).toEqual([
      expect.objectContaining({ rule: 'Energy or automotive', points: 25 }),
    ]);

    // A field that cannot be a custom field key is refused with a stable code.
    const bad = await api('PUT', `/api/v1/scoring/rules/${ruleId}`, {
      kind: 'fit',
      name: 'Bad',
      points: 5,
      definition: { field: 'custom:Bad Key', op: 'equals', value: 'x' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('SCORING_RULE_INVALID');
  });

  it('changes an engagement rule to one asset by its ref prefix; the contributions are rebuilt', async () => {
    const contact = await api('POST', '/api/v1/contacts', { email: 'assets@example.com' });
    expect(contact.statusCode, contact.body).toBe(201);
    const contactId = contact.json().contact.id as string;
    for (const ref of ['asset:one', 'asset:two', 'asset:two'])
      await t.deps.db.transaction().execute((trx) =>
        recordActivity(trx, {
          workspaceId: t.workspaceId,
          contactId,
          type: 'capture.asset-downloaded',
          occurredAt: clock.now(),
          data: {},
          ref,
        }),
      );
    const created = await api('POST', '/api/v1/scoring/rules', {
      kind: 'engagement',
      name: 'Asset one',
      points: 10,
      definition: { activityType: 'capture.asset-downloaded', refPrefix: 'asset:one', decays: false },
    });
    expect(created.statusCode, created.body).toBe(201);
    const ruleId = created.json().rule.id as string;
    expect((await settled(contactId)).engagement.score).toBe(10);

    const changed = await api('PUT', `/api/v1/scoring/rules/${ruleId}`, {
      kind: 'engagement',
      name: 'Asset two',
      points: 7,
      definition: { activityType: 'capture.asset-downloaded', refPrefix: 'asset:two', decays: false },
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json().rule.definition).toMatchObject({ refPrefix: 'asset:two' });
    const why = await settled(contactId);
    expect(why.engagement.score).toBe(14);
    expect(why.engagement.contributions.map((c) => [c.rule, c.points])).toEqual([
      ['Asset two', 7],
      ['Asset two', 7],
    ]);

    // No prefix: every download counts.
    const any = await api('PUT', `/api/v1/scoring/rules/${ruleId}`, {
      kind: 'engagement',
      name: 'Any asset',
      points: 7,
      definition: { activityType: 'capture.asset-downloaded', refPrefix: null, decays: false },
    });
    expect(any.statusCode, any.body).toBe(200);
    expect((await settled(contactId)).engagement.score).toBe(21);
  });

  it('does not change a rule of another workspace', async () => {
    const other = await createWorkspaceIn(t.deps.db, systemActor(), { name: 'Other rules' });
    const foreignId = crypto.randomUUID();
    await t.deps.db
      .insertInto('scoring_rules')
      .values({
        id: foreignId,
        workspace_id: other.id,
        kind: 'fit',
        name: 'Foreign',
        points: 1,
        enabled: true,
        definition: JSON.stringify({ field: 'country', op: 'equals', value: 'DE' }),
        created_at: clock.now(),
        updated_at: clock.now(),
      })
      .execute();
    const res = await api('PUT', `/api/v1/scoring/rules/${foreignId}`, {
      kind: 'fit',
      name: 'Taken over',
      points: 100,
      definition: { field: 'custom:segment', op: 'exists' },
    });
    expect(res.statusCode).toBe(404);
    const row = await t.deps.db
      .selectFrom('scoring_rules')
      .select('name')
      .where('id', '=', foreignId)
      .executeTakeFirstOrThrow();
    expect(row.name).toBe('Foreign');
  });
});
