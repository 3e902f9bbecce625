import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCompileContext,
  countContacts,
  countMatching,
  selectionWhere,
} from '../../src/modules/contacts/contacts-query.js';
import { recordActivity } from '../../src/modules/contacts/index.js';
import { compileIdSet, parseDefinition } from '../../src/modules/contacts/segment-compiler.js';
import { ManualClock } from '../../src/shared/clock.js';
import { type Caller, createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';

/*
 * Counts answered from the activities alone (an id set minus the merged tombstones, see
 * contacts-query.ts countMatching) must equal the contact query (`FROM contacts c WHERE …`) for
 * the same definition: tombstones with activities and consents of their own are not counted,
 * another workspace's activities are not counted, hand-added segment members are.
 */

const kinds = await availableDbKinds();
const NOW = new Date('2026-03-01T10:00:00Z');
const DAY = 86_400_000;
const OTHER_WS = '00000000-0000-4000-8000-0000000000b2';

describe.each(kinds)('segment counts from activity id sets on %s', (kind) => {
  let t: TestApp;
  let admin: Caller;
  const clock = new ManualClock(NOW);
  const ids: Record<string, string> = {};
  const group = (...children: unknown[]) => ({ kind: 'group', op: 'and', children });
  const any = (...children: unknown[]) => ({ kind: 'group', op: 'or', children });
  const a = (rest: Record<string, unknown>) => ({ kind: 'activity', ...rest });
  const clicked30 = a({ type: 'mail.clicked', withinDays: 30 });

  async function call(method: string, url: string, payload?: unknown) {
    return t.app.inject({
      method: method as 'GET',
      url,
      headers: admin.headers(),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  }
  /**
   * The count over the id set (where there is one), the contact query's count and the API's
   * (which runs the one PostgreSQL estimates cheaper) for one selection; all three must agree.
   */
  async function counts(selection: { filter?: unknown; segmentId?: string }) {
    const res = await call('POST', '/api/v1/contacts/count', selection);
    expect(res.statusCode, res.body).toBe(200);
    const db = t.deps.db;
    const reference = await countContacts(db, await selectionWhere(db, t.workspaceId, NOW, selection));
    expect(await countMatching(db, t.workspaceId, NOW, selection, 'contacts')).toBe(reference);
    expect(res.json().count).toBe(reference);
    return { api: await countMatching(db, t.workspaceId, NOW, selection, 'ids'), reference };
  }
  async function hasIdSet(filter: unknown): Promise<boolean> {
    const def = parseDefinition(filter);
    const ctx = await buildCompileContext(t.deps.db, t.workspaceId, NOW, [def]);
    return compileIdSet(def, ctx) !== undefined;
  }
  async function act(contact: string, type: string, daysAgo: number, ref?: string, ws?: string) {
    await recordActivity(t.deps.db, {
      workspaceId: ws ?? t.workspaceId,
      contactId: contact,
      type,
      occurredAt: new Date(NOW.getTime() - daysAgo * DAY),
      data: {},
      ref,
    });
  }

  beforeAll(async () => {
    t = await createTestApp(kind, { clock });
    admin = await t.login();
    for (const key of ['anna', 'ben', 'carla', 'dirk', 'eva', 'anna2']) {
      const res = await call('POST', '/api/v1/contacts', {
        email: `${key}@firma-${key}.de`,
        firstName: key,
        lifecycleStage: key === 'ben' ? 'mql' : 'subscriber',
      });
      expect(res.statusCode, res.body).toBe(201);
      ids[key] = res.json().contact.id;
    }
    // anna: clicked twice recently, newsletter confirmed; ben: clicked long ago, registered and
    // attended; carla: opened recently, registered, did not attend; dirk: nothing; eva: sent mails.
    await act(ids.anna!, 'mail.clicked', 2, 'message:m1');
    await act(ids.anna!, 'mail.clicked', 5, 'message:m2');
    await act(ids.anna!, 'mail.opened', 5, 'message:m2');
    await act(ids.ben!, 'mail.clicked', 60, 'message:m0');
    await act(ids.ben!, 'capture.event-registered', 20, 'event:webinar');
    await act(ids.ben!, 'events.attended', 10, 'event:webinar');
    await act(ids.carla!, 'mail.opened', 3, 'message:m1');
    await act(ids.carla!, 'capture.event-registered', 20, 'event:webinar');
    await act(ids.eva!, 'mail.sent', 1, 'message:m1');
    await act(ids.eva!, 'mail.sent', 2, 'message:m2');
    const db = t.deps.db;
    await db
      .insertInto('consents')
      .values(
        ['anna', 'carla', 'anna2'].map((k) => ({
          workspace_id: t.workspaceId,
          contact_id: ids[k]!,
          purpose: 'newsletter',
          status: 'confirmed',
          confirmed_at: NOW,
        })),
      )
      .execute();
    // anna2 is merged into anna; afterwards a click on an old message of anna2's still lands on the
    // tombstone (as the mail module may record it) — it must not be counted.
    const preview = await call('POST', '/api/v1/contacts/merge/preview', {
      winnerId: ids.anna,
      loserId: ids.anna2,
    });
    expect(preview.statusCode, preview.body).toBe(200);
    const merged = await call('POST', '/api/v1/contacts/merge', {
      winnerId: ids.anna,
      loserId: ids.anna2,
      token: preview.json().token,
      choices: {},
    });
    expect(merged.statusCode, merged.body).toBe(200);
    await act(ids.anna2!, 'mail.clicked', 1, 'message:m9');
    await act(ids.anna2!, 'mail.opened', 1, 'message:m9');
    await act(ids.anna2!, 'capture.event-registered', 1, 'event:webinar');
    // Another workspace with a contact that clicked: never counted here.
    await db
      .insertInto('workspaces')
      .values({ id: OTHER_WS, name: 'Other', slug: 'other-ws', default_locale: 'de' })
      .execute();
    const other = '00000000-0000-4000-8000-0000000000c3';
    await db
      .insertInto('contacts')
      .values({
        id: other,
        workspace_id: OTHER_WS,
        email: 'x@other.de',
        email_normalized: 'x@other.de',
        email_match_key: 'x@other.de',
      })
      .execute();
    await act(other, 'mail.clicked', 1, 'message:m1', OTHER_WS);
    await act(other, 'capture.event-registered', 1, 'event:webinar', OTHER_WS);
    await act(other, 'mail.opened', 1, 'message:m1', OTHER_WS);
    // A consent row that names this workspace but the other workspace's contact (its foreign key
    // names only the contact): never a reason to count that contact here.
    await db
      .insertInto('consents')
      .values({
        workspace_id: t.workspaceId,
        contact_id: other,
        purpose: 'newsletter',
        status: 'confirmed',
        confirmed_at: NOW,
      })
      .execute();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('counts activity-only definitions from the activities, without tombstones or other workspaces', async () => {
    const cases: [string, unknown, number][] = [
      ['clicked in 30 days', group(clicked30), 1],
      ['clicked ever', group(a({ type: 'mail.clicked' })), 2],
      [
        'registered, did not attend',
        group(
          a({ type: 'capture.event-registered', ref: 'event:webinar' }),
          a({ type: 'events.attended', ref: 'event:webinar', negate: true }),
        ),
        1,
      ],
      [
        'newsletter confirmed and opened in 90 days',
        group(
          { kind: 'consent', purpose: 'newsletter', status: 'confirmed' },
          a({ type: 'mail.opened', withinDays: 90 }),
        ),
        2,
      ],
      [
        'mail activity at least twice in 30 days',
        group(a({ type: 'mail.*', withinDays: 30, minCount: 2 })),
        2,
      ],
      ['mail activity at least 3 times', group(a({ type: 'mail.*', minCount: 3 })), 1],
      ['clicked or attended', any(clicked30, a({ type: 'events.attended' })), 2],
      [
        'nested: (clicked or opened) and not sent',
        group(any(clicked30, a({ type: 'mail.opened' })), a({ type: 'mail.sent', negate: true })),
        2,
      ],
    ];
    for (const [name, filter, expected] of cases) {
      expect(await hasIdSet(filter), name).toBe(true);
      expect(await counts({ filter }), name).toEqual({ api: expected, reference: expected });
    }
  });

  it('falls back to the contact query when a condition needs a contact column or is only negative', async () => {
    const cases: [string, unknown, number][] = [
      [
        'MQL and clicked ever',
        group(
          { kind: 'field', field: 'lifecycle_stage', operator: 'eq', value: 'mql' },
          a({ type: 'mail.clicked' }),
        ),
        1,
      ],
      ['not clicked in 30 days', group(a({ type: 'mail.clicked', withinDays: 30, negate: true })), 4],
      ['negated group', { kind: 'group', op: 'and', negate: true, children: [clicked30] }, 4],
      [
        'newsletter confirmed only',
        group({ kind: 'consent', purpose: 'newsletter', status: 'confirmed' }),
        2,
      ],
      [
        'newsletter confirmed and not clicked',
        group(
          { kind: 'consent', purpose: 'newsletter', status: 'confirmed' },
          a({ type: 'mail.clicked', negate: true }),
        ),
        1,
      ],
    ];
    for (const [name, filter, expected] of cases) {
      expect(await hasIdSet(filter), name).toBe(false);
      expect(await counts({ filter }), name).toEqual({ api: expected, reference: expected });
    }
  });

  it('counts a saved segment as its matches plus its hand-added members', async () => {
    const saved = await call('POST', '/api/v1/segments', { name: 'Clickers', definition: group(clicked30) });
    expect(saved.statusCode, saved.body).toBe(201);
    const segmentId = saved.json().segment.id as string;
    expect(await counts({ segmentId })).toEqual({ api: 1, reference: 1 });
    const added = await call('POST', `/api/v1/segments/${segmentId}/members`, {
      selection: { ids: [ids.dirk, ids.anna] },
    });
    expect(added.statusCode, added.body).toBe(200);
    expect(await counts({ segmentId })).toEqual({ api: 2, reference: 2 });
    // A segment condition inside an activity-only definition, and a filter together with a segment.
    const filter = group({ kind: 'segment', segmentId }, a({ type: 'mail.sent', negate: true }));
    expect(await hasIdSet(filter)).toBe(true);
    expect(await counts({ filter })).toEqual({ api: 2, reference: 2 });
    expect(await counts({ filter: group(a({ type: 'mail.opened' })), segmentId })).toEqual({
      api: 1,
      reference: 1,
    });
    // The segment's definition changes to something without an id set: the count follows.
    const put = await call('PATCH', `/api/v1/segments/${segmentId}`, {
      definition: group({ kind: 'field', field: 'first_name', operator: 'eq', value: 'eva' }),
    });
    expect([200, 204], put.body).toContain(put.statusCode);
    expect(await counts({ segmentId })).toEqual({ api: 3, reference: 3 });
  });
});
