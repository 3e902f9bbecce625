import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assetDownloadUrl } from '../../src/modules/capture/index.js';
import { ManualClock } from '../../src/shared/clock.js';
import { type Caller, createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';
import { createConsentedContact } from '../support/mail.js';

/*
 * Content offers as a journey's "offer content" step uses them (capture's index.ts): an uploaded
 * file and an external address, each behind a per-contact signed link whose lifetime the step
 * chooses; a download lands on the contact's timeline (ref asset:<id>) and the expired link stops.
 */

describe.each(await availableDbKinds())('content offers on %s', (kind) => {
  const clock = new ManualClock('2026-06-01T08:00:00Z');
  let t: TestApp;
  let admin: Caller;

  beforeAll(async () => {
    t = await createTestApp(kind, { clock, config: { publicUrl: 'https://leads.acme.example' } });
    admin = await t.login();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves a file and an external guide through expiring per-contact links, each download on the timeline', async () => {
    const ws = admin.workspaceId;
    const add = async (body: Record<string, unknown>) => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/assets',
        headers: admin.headers(),
        payload: body,
      });
      expect(res.statusCode, res.body).toBe(201);
      return (res.json() as { id: string }).id;
    };
    const pdf = Buffer.from('%PDF-1.4 checklist');
    const checklist = await add({
      title: 'Checkliste Wartung',
      fileName: 'checkliste.pdf',
      contentType: 'application/pdf',
      contentBase64: pdf.toString('base64'),
    });
    const guide = await add({ title: 'Leitfaden', url: 'https://docs.acme.example/leitfaden' });
    const contactId = await createConsentedContact(t.deps.db, ws, 'nora@kunde.example', []);

    const path = (url: string) => url.replace('https://leads.acme.example', '');
    const fileUrl = assetDownloadUrl(t.deps, {
      workspaceId: ws,
      contactId,
      assetId: checklist,
      validDays: 2,
    });
    const guideUrl = assetDownloadUrl(t.deps, { workspaceId: ws, contactId, assetId: guide });
    expect(fileUrl).not.toContain(contactId);

    const file = await t.app.inject({ method: 'GET', url: path(fileUrl) });
    expect(file.statusCode).toBe(200);
    expect(file.rawPayload.equals(pdf)).toBe(true);
    const redirect = await t.app.inject({ method: 'GET', url: path(guideUrl) });
    expect(redirect.statusCode).toBe(302);
    expect(redirect.headers.location).toBe('https://docs.acme.example/leitfaden');

    const downloads = await t.deps.db
      .selectFrom('activities')
      .select(['ref'])
      .where('workspace_id', '=', ws)
      .where('contact_id', '=', contactId)
      .where('type', '=', 'capture.asset-downloaded')
      .orderBy('occurred_at')
      .execute();
    expect(downloads.map((d) => d.ref).sort()).toEqual([`asset:${checklist}`, `asset:${guide}`].sort());

    // Three days later the two-day link has expired; the default (30 days) one still works.
    clock.advance(3 * 86_400_000);
    expect((await t.app.inject({ method: 'GET', url: path(fileUrl) })).statusCode).toBeGreaterThanOrEqual(
      400,
    );
    expect((await t.app.inject({ method: 'GET', url: path(guideUrl) })).statusCode).toBe(302);
  });
});
