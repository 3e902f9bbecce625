import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectJobs } from '../../src/server.js';
import { JobWorker } from '../../src/shared/jobs/index.js';
import { availableDbKinds } from '../support/deps.js';
import { decodeMail, SmtpSink } from '../support/smtp-sink.js';
import {
  type CaptureTestApp,
  createCaptureTestApp,
  createPublishedForm,
  formConfig,
  limitAlignedClock,
  publishableDefinition,
} from './capture.helpers.js';

/*
 * The whole path of a sign-up through a form, with the real consent and mail modules: public
 * submit → confirmation mail received by a real SMTP server → confirm by POST → the asset link on
 * the confirmation page → download recorded → the form's confirmation rate.
 */

async function until<T>(fn: () => Promise<T> | T, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(await availableDbKinds())('capture → consent → mail (%s)', (kind) => {
  let t: CaptureTestApp;
  let worker: JobWorker;
  const sink = new SmtpSink();
  const clock = limitAlignedClock();

  beforeAll(async () => {
    await sink.start();
    t = await createCaptureTestApp(
      kind,
      clock,
      {},
      { smtpUrl: sink.url, publicUrl: 'https://leads.acme.example' },
    );
    worker = new JobWorker({
      handle: t.deps.handle,
      definitions: collectJobs(t.deps),
      clock,
      log: t.deps.log,
      concurrency: { critical: 2, default: 2, bulk: 1 },
      leaseMs: 30_000,
      pollMs: 50,
    });
    await worker.start();
  });
  afterAll(async () => {
    await worker?.stop(1000);
    await t?.close();
    await sink.stop();
  });

  it('delivers the confirmation mail, confirms by POST, shows and records the download, counts the confirmation', async () => {
    const asset = await t.app.inject({
      method: 'POST',
      url: '/api/v1/assets',
      headers: t.admin.headers(),
      payload: {
        title: 'Whitepaper Lead-Management',
        fileName: 'whitepaper.pdf',
        contentType: 'application/pdf',
        contentBase64: Buffer.from('%PDF-1.4 whitepaper').toString('base64'),
      },
    });
    const def = await publishableDefinition(t, 'gated_content', { assetId: asset.json().id });
    const form = await createPublishedForm(t, { slug: 'whitepaper', kind: 'gated_content', definition: def });
    const config = await formConfig(t, form.slug);
    clock.advance(5000);
    const res = await t.app.inject({
      method: 'POST',
      url: `/f/${form.slug}/submit`,
      remoteAddress: '203.0.113.77',
      headers: { 'content-type': 'application/json', 'user-agent': 'Browser/1.0' },
      payload: {
        lw_t: config.timeToken,
        email: 'reader@example.com',
        first_name: 'Eve <a href="https://spam.example">WIN</a>',
        company: 'Reader AG',
        consent_newsletter: 'on',
        lang: 'de',
      },
    });
    expect(res.statusCode).toBe(200);

    const mail = await until(
      () => sink.received.find((m) => m.to.includes('reader@example.com')),
      (m) => m !== undefined,
    );
    const text = decodeMail(mail!.raw);
    // Ad-free and nothing the requester typed (BGH VI ZR 134/15; bombing hygiene).
    expect(text).not.toContain('spam.example');
    expect(text).not.toContain('Eve');
    const token = /https?:\/\/[^\s"<>]+\/c\/([A-Za-z0-9_.-]+)/.exec(text)?.[1];
    expect(token).toBeTruthy();

    const shown = await t.app.inject({ method: 'GET', url: `/c/${token}`, remoteAddress: '203.0.113.77' });
    expect(shown.statusCode).toBe(200);
    const confirmed = await t.app.inject({
      method: 'POST',
      url: `/c/${token}`,
      remoteAddress: '203.0.113.77',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Browser/1.0' },
      payload: '',
    });
    expect(confirmed.statusCode).toBe(200);
    const link = /href="(https:\/\/leads\.acme\.example\/d\?t=[^"]+)"/.exec(confirmed.body)?.[1];
    expect(link, confirmed.body).toBeTruthy();
    const download = await t.app.inject({
      method: 'GET',
      url: new URL(link!.replaceAll('&amp;', '&')).pathname + new URL(link!.replaceAll('&amp;', '&')).search,
    });
    expect(download.statusCode).toBe(200);
    expect(download.body).toBe('%PDF-1.4 whitepaper');

    const consent = await t.deps.db.selectFrom('consents').select(['purpose', 'status']).execute();
    expect(consent).toEqual([{ purpose: 'newsletter', status: 'confirmed' }]);
    const events = await t.deps.db
      .selectFrom('consent_events')
      .select(['event', 'form_id', 'form_version'])
      .orderBy('id')
      .execute();
    expect(events.map((e) => e.event)).toEqual(['requested', 'confirmation_sent', 'confirmed']);
    expect(events[0]).toMatchObject({ form_id: form.id, form_version: 1 });
    const activities = await t.deps.db.selectFrom('activities').select('type').orderBy('id').execute();
    expect(activities.map((a) => a.type)).toEqual(
      expect.arrayContaining(['capture.form-submitted', 'capture.asset-downloaded']),
    );

    const list = await t.app.inject({ method: 'GET', url: '/api/v1/forms', headers: t.admin.headers() });
    expect(list.json().items[0].stats).toMatchObject({
      submissions: 1,
      confirmations: 1,
      confirmationRate: 1,
    });
  });

  it('delivers gated content without a ticked box by mail (link only, ad-free), limited per address', async () => {
    const asset = await t.app.inject({
      method: 'POST',
      url: '/api/v1/assets',
      headers: t.admin.headers(),
      payload: { title: 'Checkliste DSGVO', url: 'https://cdn.acme.example/checkliste.pdf' },
    });
    const def = await publishableDefinition(t, 'gated_content', { assetId: asset.json().id });
    const form = await createPublishedForm(t, { slug: 'checkliste', kind: 'gated_content', definition: def });
    const before = sink.received.length;
    for (let i = 0; i < 4; i++) {
      const config = await formConfig(t, form.slug);
      clock.advance(5000);
      const res = await t.app.inject({
        method: 'POST',
        url: `/f/${form.slug}/submit`,
        remoteAddress: `203.0.113.${90 + i}`,
        headers: { 'content-type': 'application/json' },
        payload: {
          lw_t: config.timeToken,
          email: 'downloader@example.com',
          first_name: 'Mallory <b>',
          lang: 'en',
        },
      });
      expect(res.statusCode).toBe(200);
    }
    const mails = await until(
      () => sink.received.slice(before).filter((m) => m.to.includes('downloader@example.com')),
      (m) => m.length >= 3,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(sink.received.slice(before).filter((m) => m.to.includes('downloader@example.com'))).toHaveLength(
      3,
    );
    const text = decodeMail(mails[0]!.raw);
    expect(text).toContain('Checkliste DSGVO');
    expect(text).not.toContain('Mallory');
    const link = /https:\/\/leads\.acme\.example\/d\?t=[A-Za-z0-9_.-]+/.exec(text)?.[0];
    expect(link).toBeTruthy();
    const download = await t.app.inject({ method: 'GET', url: `/d${new URL(link!).search}` });
    expect(download.statusCode).toBe(302);
    expect(download.headers.location).toBe('https://cdn.acme.example/checkliste.pdf');
    const outcomes = await t.deps.db
      .selectFrom('form_submissions')
      .select('outcome')
      .where('form_id', '=', form.id)
      .orderBy('submitted_at')
      .execute();
    expect(outcomes.map((o) => o.outcome)).toEqual([
      'asset-mail-queued',
      'asset-mail-queued',
      'asset-mail-queued',
      'asset-mail-limited',
    ]);
  });
});
