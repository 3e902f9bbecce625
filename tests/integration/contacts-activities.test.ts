import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  listTimeline,
  recordActivities,
  recordActivity,
  upsertContactByEmail,
} from '../../src/modules/contacts/index.js';
import { createWorkspaceIn } from '../../src/modules/workspaces/index.js';
import { systemActor } from '../../src/shared/actor.js';
import { availableDbKinds, createTestDeps, type TestDeps } from '../support/deps.js';

const kinds = await availableDbKinds();
const NOW = new Date('2026-03-01T10:00:00Z');
const minutes = (n: number) => new Date(NOW.getTime() + n * 60_000);

describe.each(kinds)('activities (timeline store) on %s', (kind) => {
  let deps: TestDeps;
  let ws: string;
  let other: string;
  let contactId: string;

  beforeAll(async () => {
    deps = await createTestDeps(kind);
    ws = (await createWorkspaceIn(deps.db, systemActor(), { name: 'Acme' })).id;
    other = (await createWorkspaceIn(deps.db, systemActor(), { name: 'Other' })).id;
    contactId = (await upsertContactByEmail(deps.db, ws, 'tim@example.com', {}, NOW)).contact.id;
  });
  afterAll(async () => deps?.cleanup());

  it('records entries in the caller transaction and pages them newest first', async () => {
    await deps.db.transaction().execute(async (trx) => {
      for (let i = 0; i < 5; i++) {
        await recordActivity(trx, {
          workspaceId: ws,
          contactId,
          type: i % 2 ? 'mail.clicked' : 'capture.form-submitted',
          occurredAt: minutes(i),
          data: { n: i },
          source: 'form:1',
          ref: i % 2 ? 'message:m1' : null,
        });
      }
      // Same instant twice: the id breaks the tie, so no entry is skipped or repeated across pages.
      await recordActivities(trx, [
        { workspaceId: ws, contactId, type: 'mail.sent', occurredAt: minutes(2), data: { tie: 1 } },
        { workspaceId: ws, contactId, type: 'mail.sent', occurredAt: minutes(2), data: { tie: 2 } },
      ]);
    });
    const seen: string[] = [];
    let before: { occurredAt: Date; id: string } | undefined;
    for (;;) {
      const page = await listTimeline(deps.db, ws, contactId, { before, limit: 3 });
      if (page.length === 0) break;
      seen.push(...page.map((a) => a.id));
      const last = page[page.length - 1]!;
      before = { occurredAt: last.occurred_at, id: last.id };
    }
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
    const all = await listTimeline(deps.db, ws, contactId, { limit: 100 });
    expect(all.map((a) => a.occurred_at.getTime())).toEqual(
      [...all.map((a) => a.occurred_at.getTime())].sort((a, b) => b - a),
    );
    expect(all[0]).toMatchObject({ type: 'capture.form-submitted', data: { n: 4 }, source: 'form:1' });
  });

  it('filters by exact type and by module', async () => {
    const clicks = await listTimeline(deps.db, ws, contactId, { types: ['mail.clicked'], limit: 100 });
    expect(clicks.map((a) => a.type)).toEqual(['mail.clicked', 'mail.clicked']);
    const mail = await listTimeline(deps.db, ws, contactId, { types: ['mail.*'], limit: 100 });
    expect(mail).toHaveLength(4);
  });

  it('refuses a malformed type, a huge payload, and a contact of another workspace', async () => {
    await expect(
      recordActivity(deps.db, { workspaceId: ws, contactId, type: 'Clicked', occurredAt: NOW, data: {} }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(
      recordActivity(deps.db, {
        workspaceId: ws,
        contactId,
        type: 'mail.clicked',
        occurredAt: NOW,
        data: { blob: 'x'.repeat(20_000) },
      }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(
      recordActivity(deps.db, {
        workspaceId: other,
        contactId,
        type: 'mail.sent',
        occurredAt: NOW,
        data: {},
      }),
    ).rejects.toThrow();
    expect(await listTimeline(deps.db, other, contactId, { limit: 10 })).toEqual([]);
  });

  it('goes with the contact when the contact is deleted', async () => {
    const c = (await upsertContactByEmail(deps.db, ws, 'gone@example.com', {}, NOW)).contact;
    await recordActivity(deps.db, {
      workspaceId: ws,
      contactId: c.id,
      type: 'mail.sent',
      occurredAt: NOW,
      data: {},
    });
    await deps.db.deleteFrom('contacts').where('id', '=', c.id).execute();
    const left = await deps.db.selectFrom('activities').select('id').where('contact_id', '=', c.id).execute();
    expect(left).toEqual([]);
  });
});
