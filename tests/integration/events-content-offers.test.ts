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
      kind: 'checklist',
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

  it('keeps what kind of content an asset is, lets it be renamed, and refuses unknown kinds', async () => {
    const call = async (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) => {
      const res = await t.app.inject({
        method,
        url,
        headers: admin.headers(),
        ...(payload ? { payload } : {}),
      });
      return { status: res.statusCode, body: res.json() as Record<string, unknown> };
    };
    const created = await call('POST', '/api/v1/assets', {
      title: 'Whitepaper Predictive Maintenance',
      kind: 'white-paper',
      url: 'https://docs.acme.example/wp.pdf',
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ kind: 'white-paper', source: 'url' });
    const id = created.body.id as string;
    // Without a kind: other.
    const plain = await call('POST', '/api/v1/assets', { title: 'Link', url: 'https://docs.acme.example/x' });
    expect(plain.body).toMatchObject({ kind: 'other' });
    const bad = await call('POST', '/api/v1/assets', {
      title: 'X',
      kind: 'brochure',
      url: 'https://docs.acme.example/y',
    });
    expect([bad.status, (bad.body.error as { code: string }).code]).toEqual([400, 'VALIDATION_FAILED']);

    const renamed = await call('PATCH', `/api/v1/assets/${id}`, { title: '  Leitfaden PdM ', kind: 'guide' });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    expect(renamed.body).toMatchObject({
      title: 'Leitfaden PdM',
      kind: 'guide',
      url: 'https://docs.acme.example/wp.pdf',
    });
    const list = await call('GET', '/api/v1/assets');
    expect((list.body.items as { id: string; kind: string }[]).find((a) => a.id === id)?.kind).toBe('guide');
    expect((await call('PATCH', `/api/v1/assets/${id}`, { title: '   ' })).status).toBe(400);

    // Another workspace cannot see or change it.
    const other = await call('POST', '/api/v1/workspaces', {
      name: 'Other Agency',
      slug: 'other-agency-assets',
    });
    const foreign = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/assets/${id}`,
      headers: admin.headers({ 'x-workspace-id': (other.body.workspace as { id: string }).id }),
      payload: { title: 'taken over' },
    });
    expect(foreign.statusCode).toBe(404);
    const audit = await t.deps.db
      .selectFrom('audit_log')
      .select('action')
      .where('workspace_id', '=', admin.workspaceId)
      .where('target_id', '=', id)
      .execute();
    expect(audit.map((a) => a.action).sort()).toEqual(['assets.created', 'assets.updated']);
  });
});
