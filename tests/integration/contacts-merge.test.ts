import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordActivity } from '../../src/modules/contacts/index.js';
import { ManualClock } from '../../src/shared/clock.js';
import { type Caller, createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';

const kinds = await availableDbKinds();
const NOW = new Date('2026-03-01T10:00:00Z');
const DAY = 86_400_000;

describe.each(kinds)('duplicates and merging contacts on %s', (kind) => {
  let t: TestApp;
  let admin: Caller;
  const clock = new ManualClock(NOW);
  const ids: Record<string, string> = {};

  async function call(method: string, url: string, payload?: unknown, caller = admin) {
    return t.app.inject({
      method: method as 'GET',
      url,
      headers: caller.headers(),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  }
  async function contact(id: string) {
    const res = await call('GET', `/api/v1/contacts/${id}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  }
  async function timeline(id: string): Promise<string[]> {
    const res = await call('GET', `/api/v1/contacts/${id}/timeline?limit=200`);
    return res
      .json()
      .items.map((a: { type: string; ref: string | null }) => `${a.type}:${a.ref ?? ''}`)
      .sort();
  }
  async function snapshot(id: string) {
    const row = await t.deps.db
      .selectFrom('contacts')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    const { updated_at: _u, quality_checked_at: _q, quality_score: _s, quality_reasons: _r, ...rest } = row;
    const members = await t.deps.db
      .selectFrom('segment_members')
      .select('segment_id')
      .where('contact_id', '=', id)
      .execute();
    const consents = await t.deps.db
      .selectFrom('consents')
      .select(['purpose', 'status'])
      .where('contact_id', '=', id)
      .orderBy('purpose')
      .execute();
    const acts = await t.deps.db
      .selectFrom('activities')
      .select(['id'])
      .where('contact_id', '=', id)
      .where('type', 'not like', 'contacts.merge%')
      .orderBy('id')
      .execute();
    return {
      rest,
      members: members.map((m) => m.segment_id).sort(),
      consents,
      activities: acts.map((a) => a.id),
    };
  }

  beforeAll(async () => {
    t = await createTestApp(kind, { clock });
    admin = await t.login();
    await call('POST', '/api/v1/custom-fields/contact', { key: 'budget', label: 'Budget', type: 'number' });
    const people = {
      // The same Gmail mailbox twice (dots do not matter there): proposed by match key.
      jana1: { email: 'jana.koch@gmail.com', firstName: 'Jana', city: 'Köln', tags: ['messe'] },
      jana2: {
        email: 'janakoch@googlemail.com',
        lastName: 'Koch',
        jobTitle: 'Einkauf',
        tags: ['webinar'],
        customFields: { budget: 40000 },
      },
      // The same name at the same company: proposed by name and company.
      tim1: { email: 'tim.berg@nord-stahl.de', firstName: 'Tim', lastName: 'Berg', phone: '+49 40 1' },
      tim2: { email: 't.berg@nord-stahl.de', firstName: 'tim', lastName: 'BERG', jobTitle: 'CTO' },
      // Same name, other company: not proposed.
      tim3: { email: 'tim.berg@sued-holz.de', firstName: 'Tim', lastName: 'Berg' },
    } as const;
    for (const [key, body] of Object.entries(people)) {
      clock.advance(DAY);
      const res = await call('POST', '/api/v1/contacts', body);
      expect(res.statusCode, res.body).toBe(201);
      ids[key] = res.json().contact.id;
    }
    const db = t.deps.db;
    await recordActivity(db, {
      workspaceId: t.workspaceId,
      contactId: ids.jana2!,
      type: 'capture.form-submitted',
      occurredAt: new Date(NOW.getTime() + DAY),
      data: { utm_source: 'linkedin', utm_campaign: 'messe-2026' },
      ref: 'form:f1',
    });
    await recordActivity(db, {
      workspaceId: t.workspaceId,
      contactId: ids.jana2!,
      type: 'mail.clicked',
      occurredAt: new Date(NOW.getTime() + 2 * DAY),
      data: {},
      ref: 'message:m1',
    });
    await db
      .insertInto('consents')
      .values([
        {
          workspace_id: t.workspaceId,
          contact_id: ids.jana2!,
          purpose: 'newsletter',
          status: 'confirmed',
          confirmed_at: NOW,
        },
        {
          workspace_id: t.workspaceId,
          contact_id: ids.jana1!,
          purpose: 'events',
          status: 'pending',
        },
      ])
      .execute();
    const seg = await call('POST', '/api/v1/segments', {
      name: 'VIP',
      definition: {
        kind: 'group',
        op: 'and',
        children: [{ kind: 'field', field: 'country', operator: 'eq', value: 'XX' }],
      },
    });
    expect(seg.statusCode, seg.body).toBe(201);
    ids.vip = seg.json().segment.id;
    await call('POST', `/api/v1/segments/${ids.vip}/members`, { selection: { ids: [ids.jana2] } });
  });
  afterAll(async () => t?.close());

  it('proposes duplicates by match key and by name at the same company, and forgets dismissed pairs', async () => {
    const res = await call('GET', '/api/v1/contacts/duplicates');
    expect(res.statusCode, res.body).toBe(200);
    const pairs = res
      .json()
      .items.map((p: { a: { email: string }; b: { email: string }; reasons: string[] }) => ({
        emails: [p.a.email, p.b.email].sort(),
        reasons: p.reasons,
      }));
    expect(pairs).toHaveLength(2);
    expect(pairs).toContainEqual({
      emails: ['jana.koch@gmail.com', 'janakoch@googlemail.com'],
      reasons: ['same_match_key'],
    });
    expect(pairs).toContainEqual({
      emails: ['t.berg@nord-stahl.de', 'tim.berg@nord-stahl.de'],
      reasons: ['same_name_company'],
    });
    // Paging: one at a time, the cursor leads to the second.
    const first = (await call('GET', '/api/v1/contacts/duplicates?limit=1')).json();
    expect(first.items).toHaveLength(1);
    const second = (
      await call('GET', `/api/v1/contacts/duplicates?limit=1&cursor=${first.nextCursor}`)
    ).json();
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    expect((await call('GET', `/api/v1/contacts/${ids.tim1}/duplicates`)).json().items).toHaveLength(1);

    const dismissed = await call('POST', '/api/v1/contacts/duplicates/dismiss', {
      contactIds: [ids.tim2, ids.tim1],
    });
    expect(dismissed.statusCode, dismissed.body).toBe(204);
    expect((await call('GET', '/api/v1/contacts/duplicates')).json().items).toHaveLength(1);
    expect((await call('GET', `/api/v1/contacts/${ids.tim1}/duplicates`)).json().items).toHaveLength(0);
    expect(
      (await call('POST', '/api/v1/contacts/duplicates/dismiss', { contactIds: [ids.tim1, ids.tim1] }))
        .statusCode,
    ).toBe(400);
    // Nothing was merged by itself.
    const live = await t.deps.db
      .selectFrom('contacts')
      .select('id')
      .where('merged_into_contact_id', 'is not', null)
      .execute();
    expect(live).toHaveLength(0);
  });

  it('previews a merge field by field, merges with the chosen values, keeps everything, and undoes it exactly', async () => {
    const before = { winner: await snapshot(ids.jana1!), loser: await snapshot(ids.jana2!) };
    const preview = await call('POST', '/api/v1/contacts/merge/preview', {
      winnerId: ids.jana1,
      loserId: ids.jana2,
    });
    expect(preview.statusCode, preview.body).toBe(200);
    const p = preview.json();
    const field = (name: string) => p.fields.find((f: { field: string }) => f.field === name);
    expect(field('firstName')).toMatchObject({ winner: 'Jana', loser: null, proposed: 'winner' });
    expect(field('lastName')).toMatchObject({ winner: null, loser: 'Koch', proposed: 'loser' });
    expect(field('tags')).toMatchObject({ proposed: 'both', differs: true });
    expect(field('customFields.budget')).toMatchObject({ winner: null, loser: 40000, proposed: 'loser' });
    expect(p.consents).toEqual([
      { purpose: 'events', winner: 'pending', loser: null },
      { purpose: 'newsletter', winner: null, loser: 'confirmed' },
    ]);
    expect(p.activities.loser).toBeGreaterThanOrEqual(2);
    expect(p.segmentMemberships).toBe(1);

    // A stale preview is refused.
    expect(
      (
        await call('POST', '/api/v1/contacts/merge', {
          winnerId: ids.jana1,
          loserId: ids.jana2,
          token: 'stale-token',
        })
      ).statusCode,
    ).toBe(409);
    expect(
      (
        await call('POST', '/api/v1/contacts/merge', {
          winnerId: ids.jana1,
          loserId: ids.jana2,
          token: p.token,
          choices: { email: 'loser' },
        })
      ).statusCode,
    ).toBe(400);

    clock.advance(DAY);
    const merged = await call('POST', '/api/v1/contacts/merge', {
      winnerId: ids.jana1,
      loserId: ids.jana2,
      token: p.token,
      choices: { jobTitle: 'winner', city: 'winner', 'customFields.budget': 'loser' },
    });
    expect(merged.statusCode, merged.body).toBe(200);
    const survivor = merged.json().contact;
    expect(survivor).toMatchObject({
      email: 'jana.koch@gmail.com',
      firstName: 'Jana',
      lastName: 'Koch',
      jobTitle: null,
      city: 'Köln',
      tags: ['messe', 'webinar'],
      customFields: { budget: 40000 },
    });
    const mergeId = merged.json().merge.id;
    expect(merged.json().merge.undoable).toBe(true);

    // The other contact is a tombstone: gone from the list, its timeline and memberships moved,
    // its consent kept with its own address and shown on the survivor.
    expect((await call('GET', '/api/v1/contacts?q=googlemail')).json().items).toHaveLength(0);
    const page = await contact(ids.jana1!);
    expect(page.consents).toContainEqual(
      expect.objectContaining({
        purpose: 'newsletter',
        status: 'confirmed',
        fromEmail: 'janakoch@googlemail.com',
      }),
    );
    expect(page.merges).toHaveLength(1);
    const tl = await timeline(ids.jana1!);
    expect(tl).toContain('capture.form-submitted:form:f1');
    expect(tl).toContain('mail.clicked:message:m1');
    expect(tl).toContain('contacts.merged:');
    const submitted = (await call('GET', `/api/v1/contacts/${ids.jana1}/timeline?types=capture.*`)).json()
      .items[0];
    expect(submitted.data).toMatchObject({ utm_source: 'linkedin', utm_campaign: 'messe-2026' });
    expect(submitted.mergedFrom).toBe(ids.jana2);
    const members = (await call('POST', '/api/v1/contacts/count', { segmentId: ids.vip })).json().count;
    expect(members).toBe(1);
    expect((await call('GET', `/api/v1/contacts/${ids.jana2}/duplicates`)).json().items).toHaveLength(0);
    const audit = await t.deps.db
      .selectFrom('audit_log')
      .select(['action', 'details'])
      .where('action', '=', 'contacts.merged')
      .execute();
    expect(audit).toHaveLength(1);
    // A tombstone cannot be merged again.
    expect(
      (await call('POST', '/api/v1/contacts/merge/preview', { winnerId: ids.jana2, loserId: ids.tim3 }))
        .statusCode,
    ).toBe(404);

    // After the merge someone edits a field the merge did not touch; undo keeps that edit.
    await call('PATCH', `/api/v1/contacts/${ids.jana1}`, { phone: '+49 221 5' });
    clock.advance(DAY);
    const undone = await call('POST', `/api/v1/contacts/merges/${mergeId}/undo`);
    expect(undone.statusCode, undone.body).toBe(200);
    expect(undone.json().kept).toEqual([]);
    const after = { winner: await snapshot(ids.jana1!), loser: await snapshot(ids.jana2!) };
    expect(after.loser).toEqual(before.loser);
    const { field_meta: fmAfter, phone, ...winnerAfter } = after.winner.rest;
    const { field_meta: fmBefore, phone: phoneBefore, ...winnerBefore } = before.winner.rest;
    expect(phone).toBe('+49 221 5');
    expect(phoneBefore).toBeNull();
    expect(winnerAfter).toEqual(winnerBefore);
    expect({ ...fmAfter, phone: undefined }).toEqual({ ...fmBefore, phone: undefined });
    expect(after.winner.members).toEqual(before.winner.members);
    expect(after.winner.consents).toEqual(before.winner.consents);
    expect(after.winner.activities).toEqual(
      before.winner.activities.concat(
        // the PATCH recorded a change on the survivor after the merge; it stays there
        after.winner.activities.filter((id) => !before.winner.activities.includes(id)),
      ),
    );
    expect(await timeline(ids.jana2!)).toEqual(
      expect.arrayContaining(['capture.form-submitted:form:f1', 'mail.clicked:message:m1']),
    );
    expect((await call('GET', '/api/v1/contacts?q=googlemail')).json().items).toHaveLength(1);
    expect((await call('POST', `/api/v1/contacts/merges/${mergeId}/undo`)).statusCode).toBe(409);
    const undoAudit = await t.deps.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', 'contacts.merge-undone')
      .execute();
    expect(undoAudit).toHaveLength(1);
  });

  it('refuses to undo after 30 days, and keeps later edits of merged fields', async () => {
    const p = (
      await call('POST', '/api/v1/contacts/merge/preview', { winnerId: ids.tim1, loserId: ids.tim2 })
    ).json();
    const merged = await call('POST', '/api/v1/contacts/merge', {
      winnerId: ids.tim1,
      loserId: ids.tim2,
      token: p.token,
    });
    expect(merged.statusCode, merged.body).toBe(200);
    expect(merged.json().contact.jobTitle).toBe('CTO');
    await call('PATCH', `/api/v1/contacts/${ids.tim1}`, { jobTitle: 'CEO' });
    const undone = await call('POST', `/api/v1/contacts/merges/${merged.json().merge.id}/undo`);
    expect(undone.statusCode, undone.body).toBe(200);
    expect(undone.json().kept).toEqual(['job_title']);
    expect(undone.json().winner.jobTitle).toBe('CEO');
    expect(undone.json().loser.mergedIntoContactId).toBeNull();

    const p2 = (
      await call('POST', '/api/v1/contacts/merge/preview', { winnerId: ids.tim1, loserId: ids.tim2 })
    ).json();
    const again = await call('POST', '/api/v1/contacts/merge', {
      winnerId: ids.tim1,
      loserId: ids.tim2,
      token: p2.token,
    });
    expect(again.statusCode, again.body).toBe(200);
    clock.advance(31 * DAY);
    admin = await t.login(); // the session expired meanwhile
    const late = await call('POST', `/api/v1/contacts/merges/${again.json().merge.id}/undo`);
    expect(late.statusCode).toBe(409);
    expect(late.json().error.code).toBe('MERGE_NOT_REVERSIBLE');
    const list = (await call('GET', `/api/v1/contacts/merges?contactId=${ids.tim1}`)).json().items;
    expect(list.map((m: { undoable: boolean }) => m.undoable)).toEqual([false, false]);
  });

  it('keeps workspaces apart', async () => {
    const created = await call('POST', '/api/v1/workspaces', { name: 'Other', slug: 'other-merge' });
    expect(created.statusCode, created.body).toBe(201);
    const otherWs = created.json().workspace.id;
    const b: Caller = {
      ...admin,
      headers: (extra = {}) => ({ ...admin.headers(), 'x-workspace-id': otherWs, ...extra }),
    };
    const merges = (await call('GET', '/api/v1/contacts/merges')).json().items;
    expect(merges.length).toBeGreaterThan(0);
    for (const [method, url, body] of [
      ['GET', `/api/v1/contacts/${ids.tim3}/duplicates`],
      ['POST', '/api/v1/contacts/merge/preview', { winnerId: ids.tim3, loserId: ids.jana1 }],
      ['POST', '/api/v1/contacts/merge', { winnerId: ids.tim3, loserId: ids.jana1, token: 'x' }],
      ['POST', `/api/v1/contacts/merges/${merges[0].id}/undo`],
      ['POST', '/api/v1/contacts/duplicates/dismiss', { contactIds: [ids.tim3, ids.jana1] }],
    ] as const) {
      const res = await call(method, url, body, b);
      expect([400, 404], `${method} ${url}: ${res.body}`).toContain(res.statusCode);
    }
    expect((await call('GET', '/api/v1/contacts/duplicates', undefined, b)).json().items).toEqual([]);
    expect((await call('GET', '/api/v1/contacts/merges', undefined, b)).json().items).toEqual([]);
  });
});
