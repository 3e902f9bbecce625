import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordActivity } from '../../src/modules/contacts/index.js';
import { ManualClock } from '../../src/shared/clock.js';
import { type Caller, createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';

/*
 * Segment conditions on scores (kept by the scoring module, read through its registered score
 * source) and activity wildcards (`mail.*`, turned into the workspace's existing types).
 */

const kinds = await availableDbKinds();
const NOW = new Date('2026-03-01T10:00:00Z');
const DAY = 86_400_000;

describe.each(kinds)('segment conditions on scores and activity wildcards on %s', (kind) => {
  let t: TestApp;
  let admin: Caller;
  const clock = new ManualClock(NOW);
  const ids: Record<string, string> = {};
  const group = (...children: unknown[]) => ({ kind: 'group', op: 'and', children });
  const score = (s: string, operator: string, value: unknown) => ({
    kind: 'score',
    score: s,
    operator,
    value,
  });

  async function call(method: string, url: string, payload?: unknown, caller = admin) {
    return t.app.inject({
      method: method as 'GET',
      url,
      headers: caller.headers(),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  }
  async function count(filter: unknown): Promise<number> {
    const res = await call('POST', '/api/v1/contacts/count', { filter });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().count;
  }

  beforeAll(async () => {
    t = await createTestApp(kind, { clock });
    admin = await t.login();
    for (const key of ['hot', 'warm', 'cold', 'unscored']) {
      const res = await call('POST', '/api/v1/contacts', { email: `${key}@firma-${key}.de`, firstName: key });
      expect(res.statusCode, res.body).toBe(201);
      ids[key] = res.json().contact.id;
    }
    const db = t.deps.db;
    // Scores as the scoring module stores them: engagement = static + decaying part as of computed_at
    // (half-life 30 days by default): 'warm' has 10 + 40 decaying from 30 days ago = 30 today.
    const row = (
      contact: string,
      fit: number,
      st: number,
      dec: number,
      daysAgo: number,
      temperature: 'cold' | 'warm' | 'hot',
    ) => ({
      workspace_id: t.workspaceId,
      contact_id: ids[contact]!,
      fit,
      engagement_static: st,
      engagement_decaying: dec,
      computed_at: new Date(NOW.getTime() - daysAgo * DAY),
      temperature,
      temperature_reason: '{}',
      explanation: '{}',
      rules_version: 1,
    });
    await db
      .insertInto('contact_scores')
      .values([
        row('hot', 80, 60, 0, 0, 'hot'),
        row('warm', 40, 10, 40, 30, 'warm'),
        row('cold', 5, 0, 0, 0, 'cold'),
      ])
      .execute();
    const act = (contactId: string, type: string, daysAgo: number) =>
      recordActivity(db, {
        workspaceId: t.workspaceId,
        contactId,
        type,
        occurredAt: new Date(NOW.getTime() - daysAgo * DAY),
        data: {},
      });
    await act(ids.hot!, 'mail.opened', 2);
    await act(ids.hot!, 'mail.clicked', 2);
    await act(ids.warm!, 'mail.sent', 50);
    await act(ids.cold!, 'mailing.imported', 1); // a type that starts like "mail" but is another module
  });
  afterAll(async () => t?.close());

  it('filters on fit, decayed engagement and temperature; a contact without scores is fit 0, engagement 0, cold', async () => {
    expect(await count(group(score('fit', 'gte', 40)))).toBe(2);
    expect(await count(group(score('fit', 'lt', 10)))).toBe(2); // cold (5) and unscored (0)
    expect(await count(group(score('fit', 'eq', 0)))).toBe(1);
    expect(await count(group(score('fit', 'between', [0, 40])))).toBe(3);
    expect(await count(group(score('engagement', 'eq', 30)))).toBe(1); // 10 + 40 × ½
    expect(await count(group(score('engagement', 'gt', 29)))).toBe(2);
    expect(await count(group(score('engagement', 'lte', 0)))).toBe(2);
    expect(await count(group(score('temperature', 'eq', 'hot')))).toBe(1);
    expect(await count(group(score('temperature', 'eq', 'cold')))).toBe(2);
    expect(await count(group(score('temperature', 'neq', 'cold')))).toBe(2);
    expect(await count(group(score('temperature', 'in', ['warm', 'hot'])))).toBe(2);
    expect(await count(group(score('temperature', 'not_in', ['hot'])))).toBe(3);
    // NOT over a score condition and a combination with a profile field.
    expect(await count({ kind: 'group', op: 'and', negate: true, children: [score('fit', 'gte', 40)] })).toBe(
      2,
    );
    expect(
      await count(
        group(score('fit', 'gte', 1), { kind: 'field', field: 'first_name', operator: 'eq', value: 'warm' }),
      ),
    ).toBe(1);
  });

  it('refuses operators that do not apply to a score', async () => {
    for (const bad of [
      score('fit', 'contains', 'x'),
      score('temperature', 'gt', 3),
      score('fit', 'is_empty', null),
    ]) {
      const res = await call('POST', '/api/v1/contacts/count', { filter: group(bad) });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
    }
  });

  it('saved segments with score conditions count live', async () => {
    const res = await call('POST', '/api/v1/segments', {
      name: 'Hot or fit',
      definition: {
        kind: 'group',
        op: 'or',
        children: [score('temperature', 'eq', 'hot'), score('fit', 'gte', 30)],
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    const id = res.json().segment?.id ?? res.json().id;
    expect(await count(group({ kind: 'segment', segmentId: id }))).toBe(2);
  });

  it('a module wildcard matches exactly the types of that module, with and without a minimum count', async () => {
    const a = (rest: Record<string, unknown>) => ({ kind: 'activity', ...rest });
    expect(await count(group(a({ type: 'mail.*' })))).toBe(2);
    expect(await count(group(a({ type: 'mail.*', withinDays: 30 })))).toBe(1);
    expect(await count(group(a({ type: 'mail.*', minCount: 2 })))).toBe(1);
    expect(await count(group(a({ type: 'mail.*', negate: true })))).toBe(2);
    expect(await count(group(a({ type: 'mailing.*' })))).toBe(1);
    expect(await count(group(a({ type: 'nothing.*' })))).toBe(0);
    expect(await count(group(a({ type: 'nothing.*', negate: true })))).toBe(4);
  });
});
