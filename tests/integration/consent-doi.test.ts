import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { getSendPermission, requestConsents, verifyConsentLedger } from '../../src/modules/consent/index.js';
import { upsertContactByEmail } from '../../src/modules/contacts/index.js';
import { createUnsubscribeToken, enqueueMessage } from '../../src/modules/mail/index.js';
import { upsertMailSettings } from '../../src/modules/mail/settings.repository.js';
import { isSuppressed } from '../../src/modules/suppression/index.js';
import { collectJobs } from '../../src/server.js';
import { ManualClock } from '../../src/shared/clock.js';
import { JobWorker } from '../../src/shared/jobs/index.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';
import { until } from '../support/mail.js';
import { decodeMail, SmtpSink } from '../support/smtp-sink.js';

const kinds = await availableDbKinds();
const HOUR = 3_600_000;
const FORM_ID = '01a209aa-0000-7000-8000-0000000000f1';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) confirm-test';

function linkIn(raw: string, path: 'c' | 'p'): string {
  const match = new RegExp(`https?://[^\\s"<>]+/${path}/([A-Za-z0-9_.-]+)`).exec(decodeMail(raw));
  if (!match) throw new Error(`no /${path}/ link in the mail:\n${raw}`);
  return match[1]!;
}

describe.each(kinds)('double opt-in, withdrawal and preference center on %s', (kind) => {
  let t: TestApp;
  let worker: JobWorker;
  const sink = new SmtpSink();
  const clock = new ManualClock('2026-03-02T08:00:00Z');

  beforeAll(async () => {
    await sink.start();
    t = await createTestApp(kind, {
      clock,
      config: { smtpUrl: sink.url, publicUrl: 'https://leads.acme.example' },
    });
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
  // Each test is its own client, so the per-client page limit never couples tests.
  let client = 0;
  beforeEach(() => {
    sink.received.length = 0;
    client++;
  });

  const ws = () => t.workspaceId;

  async function signUp(
    email: string,
    purposes = ['newsletter'],
    asset?: { id: string; title: string; url?: string },
  ) {
    return t.deps.db.transaction().execute(async (trx) => {
      // The requester typed a name; it must never appear in the confirmation mail.
      const { contact } = await upsertContactByEmail(
        trx,
        ws(),
        email,
        { firstName: 'Buy <b>CHEAP</b> pills' },
        clock.now(),
      );
      const { outcome } = await requestConsents(trx, t.deps, {
        workspaceId: ws(),
        contactId: contact.id,
        email,
        locale: 'de',
        purposes: purposes.map((purpose) => ({
          purpose,
          consentText: `Ja, ich möchte ${purpose} per E-Mail erhalten. Widerruf jederzeit möglich.`,
          consentTextVersion: 'v7',
        })),
        form: {
          id: FORM_ID,
          version: 2,
          pageUrl: 'https://acme.example/whitepaper',
          privacyNoticeVersion: '2026-02',
        },
        ip: '198.51.100.20',
        userAgent: 'Mozilla/5.0 signup',
        asset,
      });
      return { outcome, contactId: contact.id };
    });
  }

  async function mailTo(email: string) {
    return until(`a mail to ${email}`, () => sink.received.find((m) => m.to.includes(email)));
  }

  const consentsOf = (contactId: string) =>
    t.deps.db
      .selectFrom('consents')
      .select(['purpose', 'status'])
      .where('workspace_id', '=', ws())
      .where('contact_id', '=', contactId)
      .orderBy('purpose')
      .execute();
  const ledgerOf = (contactId: string) =>
    t.deps.db
      .selectFrom('consent_events')
      .selectAll()
      .where('workspace_id', '=', ws())
      .where('contact_id', '=', contactId)
      .orderBy('id')
      .execute();
  const page = (
    method: 'GET' | 'POST',
    url: string,
    payload?: string,
    headers: Record<string, string> = {},
  ) =>
    t.app.inject({
      method,
      url,
      remoteAddress: `203.0.113.${client}`,
      headers: {
        'user-agent': UA,
        ...(payload !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...headers,
      },
      ...(payload !== undefined ? { payload } : {}),
    });

  it('sends an ad-free mail at once, shows a confirm button on GET, confirms on POST with every proof field', async () => {
    const { outcome, contactId } = await signUp('anna@example.com', ['newsletter', 'events'], {
      id: 'asset-1',
      title: 'Whitepaper Industrie 4.0',
      url: 'https://leads.acme.example/d/abc',
    });
    expect(outcome).toBe('doi-mail-queued');
    const mail = await mailTo('anna@example.com');
    const text = decodeMail(mail.raw);
    expect(text).toMatch(/Subject: .*(Bitte|=\?UTF-8)/);
    expect(text).toContain('Newsletter');
    expect(text).not.toContain('CHEAP');
    expect(text).not.toContain('acme.example/whitepaper');
    const token = linkIn(mail.raw, 'c');

    const sent = (await ledgerOf(contactId)).filter((e) => e.event === 'confirmation_sent');
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatchObject({ template_id: 'consent.opt-in@1', form_id: FORM_ID });
    expect(sent[0]!.message_id).toBeTruthy();

    // A link scanner opens the link: nothing changes.
    const get = await page('GET', `/c/${token}`);
    expect(get.statusCode).toBe(200);
    expect(get.headers['content-type']).toContain('text/html');
    expect(get.headers['set-cookie']).toBeUndefined();
    expect(get.headers['content-security-policy']).toContain("default-src 'none'");
    expect(get.body).toContain('<html lang="de">');
    expect(get.body).toContain('method="post"');
    expect(get.body).toContain('Ja, ich möchte newsletter per E-Mail erhalten.');
    expect(await consentsOf(contactId)).toEqual([
      { purpose: 'events', status: 'pending' },
      { purpose: 'newsletter', status: 'pending' },
    ]);
    const head = await page('GET', `/c/${token}?lang=en`);
    expect(head.body).toContain('<html lang="en">');
    expect(head.body).toContain('Confirm now');

    clock.advance(HOUR);
    const post = await page('POST', `/c/${token}`, '');
    expect(post.statusCode).toBe(200);
    expect(post.body).toContain('Vielen Dank');
    expect(post.body).toContain('href="https://leads.acme.example/d/abc"');
    expect(post.body).toMatch(/href="\/p\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\?lang=de"/);
    expect(await consentsOf(contactId)).toEqual([
      { purpose: 'events', status: 'confirmed' },
      { purpose: 'newsletter', status: 'confirmed' },
    ]);
    const confirmed = (await ledgerOf(contactId)).filter((e) => e.event === 'confirmed');
    expect(confirmed).toHaveLength(2);
    const requestRow = await t.deps.db
      .selectFrom('consent_tokens')
      .select('id')
      .where('contact_id', '=', contactId)
      .where('kind', '=', 'opt_in')
      .executeTakeFirstOrThrow();
    expect(confirmed[0]).toMatchObject({
      ip: expect.any(String),
      user_agent: UA,
      token_ref: requestRow.id,
      form_id: FORM_ID,
      form_version: 2,
      message_id: sent[0]!.message_id,
    });
    expect(confirmed[0]!.occurred_at.toISOString()).toBe('2026-03-02T09:00:00.000Z');
    // The request event holds the rest of the proof.
    expect((await ledgerOf(contactId))[0]).toMatchObject({
      event: 'requested',
      page_url: 'https://acme.example/whitepaper',
      consent_text_version: 'v7',
      privacy_notice_version: '2026-02',
      checked_boxes: ['newsletter', 'events'],
      ip: '198.51.100.20',
      user_agent: 'Mozilla/5.0 signup',
    });
    expect(await verifyConsentLedger(t.deps.db, ws(), contactId)).toEqual({ checked: 6, breaks: [] });
    expect(
      await getSendPermission(t.deps.db, { workspaceId: ws(), contactId, purpose: 'newsletter' }),
    ).toEqual({
      allowed: true,
      basis: 'consent',
    });
    // Per purpose: phone was never asked for.
    expect(await getSendPermission(t.deps.db, { workspaceId: ws(), contactId, purpose: 'phone' })).toEqual({
      allowed: false,
      reason: 'no_consent',
    });

    // The contact's timeline shows it.
    const timeline = await t.deps.db
      .selectFrom('activities')
      .select(['type', 'data'])
      .where('contact_id', '=', contactId)
      .execute();
    expect(timeline).toContainEqual({
      type: 'consent.confirmed',
      data: expect.objectContaining({
        purposes: ['newsletter', 'events'],
        formId: FORM_ID,
        assetId: 'asset-1',
      }),
    });

    // Single use.
    const again = await page('POST', `/c/${token}`, '');
    expect(again.statusCode).toBe(409);
    expect(again.body).toContain('bereits bestätigt');
    expect((await ledgerOf(contactId)).filter((e) => e.event === 'confirmed')).toHaveLength(2);
  });

  it('shows an invalid-link page for a made-up or tampered token', async () => {
    for (const token of [
      'nope',
      'AAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB',
      '<script>',
    ]) {
      const res = await page('GET', `/c/${encodeURIComponent(token)}`);
      expect(res.statusCode).toBe(404);
      expect(res.body).not.toContain('<script>');
      const post = await page('POST', `/c/${encodeURIComponent(token)}`, '');
      expect(post.statusCode).toBe(404);
    }
  });

  it('limits requests per client (an IPv6 /64 counts as one) and answers with a page', async () => {
    clock.advance(60_000);
    const hit = (remoteAddress: string) =>
      t.app.inject({ method: 'GET', url: '/c/made-up-token', remoteAddress });
    for (let i = 0; i < 60; i++) expect((await hit(`2001:db8:7:7::${(i % 9) + 1}`)).statusCode).toBe(404);
    const limited = await hit('2001:db8:7:7::ffff');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBeTruthy();
    expect(limited.body).toContain('<h1>');
    // Another network is not affected.
    expect((await hit('2001:db8:7:8::1')).statusCode).toBe(404);
    // One-click unsubscribes from the same network (a mail provider's servers) still go through.
    const oneClick = await t.app.inject({
      method: 'POST',
      url: '/u/unknown-token-aaaaaaaaaaaa',
      remoteAddress: '2001:db8:7:7::1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(oneClick.statusCode).toBe(404);
    clock.advance(60_000);
  });

  it('lets a link expire, offers a new mail, and the new link confirms', async () => {
    const { contactId } = await signUp('bernd@example.com');
    const token = linkIn((await mailTo('bernd@example.com')).raw, 'c');
    clock.advance(73 * HOUR);
    const get = await page('GET', `/c/${token}`);
    expect(get.statusCode).toBe(410);
    expect(get.body).toContain('abgelaufen');
    expect(get.body).toContain(`action="/c/${token}/resend?lang=de"`);
    const post = await page('POST', `/c/${token}`, '');
    expect(post.statusCode).toBe(410);
    expect(await consentsOf(contactId)).toEqual([{ purpose: 'newsletter', status: 'pending' }]);

    sink.received.length = 0;
    const resend = await page('POST', `/c/${token}/resend`, '');
    expect(resend.statusCode).toBe(200);
    expect(resend.body).toContain('neue E-Mail');
    const fresh = linkIn((await mailTo('bernd@example.com')).raw, 'c');
    expect(fresh).not.toBe(token);
    // A second resend within 24 h is refused, politely.
    const twice = await page('POST', `/c/${token}/resend`, '');
    expect(twice.body).toContain('Postfach');
    expect((await page('POST', `/c/${fresh}`, '')).statusCode).toBe(200);
    expect(await consentsOf(contactId)).toEqual([{ purpose: 'newsletter', status: 'confirmed' }]);
    const events = await ledgerOf(contactId);
    expect(events.map((e) => e.event)).toEqual([
      'requested',
      'confirmation_sent',
      'requested',
      'confirmation_sent',
      'confirmed',
    ]);
    // The resend's request points back to what the person originally ticked.
    expect(events[2]).toMatchObject({
      consent_text_version: 'v7',
      details: expect.objectContaining({ resendOf: expect.any(String) }),
    });
  });

  it('keeps a confirmed consent on re-sign-up and sends a notice with a preference link instead', async () => {
    const { contactId } = await signUp('carla@example.com');
    const token = linkIn((await mailTo('carla@example.com')).raw, 'c');
    expect((await page('POST', `/c/${token}`, '')).statusCode).toBe(200);
    sink.received.length = 0;
    clock.advance(25 * HOUR);
    expect((await signUp('carla@example.com')).outcome).toBe('already-confirmed');
    const notice = await mailTo('carla@example.com');
    expect(decodeMail(notice.raw)).toContain('bereits bestätigt');
    const prefs = linkIn(notice.raw, 'p');
    expect((await page('GET', `/p/${prefs}`)).statusCode).toBe(200);
    expect(await consentsOf(contactId)).toEqual([{ purpose: 'newsletter', status: 'confirmed' }]);
  });

  async function confirmedContact(email: string, purposes = ['newsletter']) {
    const { contactId } = await signUp(email, purposes);
    const token = linkIn((await mailTo(email)).raw, 'c');
    const res = await page('POST', `/c/${token}`, '');
    expect(res.statusCode).toBe(200);
    const prefs = /href="\/p\/([^"?]+)\?/.exec(res.body)![1]!;
    return { contactId, prefs };
  }

  it('unsubscribes with one click (RFC 8058) at once; GET only shows a page', async () => {
    const { contactId } = await confirmedContact('dora@example.com', ['newsletter', 'events']);
    const token = await t.deps.db.transaction().execute((trx) =>
      createUnsubscribeToken(trx, {
        workspaceId: ws(),
        contactId,
        purpose: 'newsletter',
        messageId: null,
        now: clock.now(),
      }),
    );
    const get = await page('GET', `/u/${token}`);
    expect(get.statusCode).toBe(200);
    expect(get.body).toContain('Newsletter');
    expect(get.body).toContain('method="post"');
    expect(await consentsOf(contactId)).toEqual([
      { purpose: 'events', status: 'confirmed' },
      { purpose: 'newsletter', status: 'confirmed' },
    ]);

    const post = await page('POST', `/u/${token}`, 'List-Unsubscribe=One-Click');
    expect(post.statusCode).toBe(200);
    expect(await consentsOf(contactId)).toEqual([
      { purpose: 'events', status: 'confirmed' },
      { purpose: 'newsletter', status: 'withdrawn' },
    ]);
    const withdrawn = (await ledgerOf(contactId)).filter((e) => e.event === 'withdrawn');
    expect(withdrawn).toHaveLength(1);
    expect(withdrawn[0]).toMatchObject({
      purpose: 'newsletter',
      user_agent: UA,
      details: { via: 'one-click', previousStatus: 'confirmed' },
    });
    // Mail providers may repeat the POST, also as multipart: same answer, nothing new recorded.
    const multipart = await t.app.inject({
      method: 'POST',
      url: `/u/${token}`,
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
      payload: '--x\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--x--\r\n',
    });
    expect(multipart.statusCode).toBe(200);
    expect((await ledgerOf(contactId)).filter((e) => e.event === 'withdrawn')).toHaveLength(1);
    const withdrawals = await t.deps.db
      .selectFrom('activities')
      .select('data')
      .where('contact_id', '=', contactId)
      .where('type', '=', 'consent.withdrawn')
      .execute();
    expect(withdrawals).toEqual([{ data: { purposes: ['newsletter'], via: 'one-click' } }]);
    expect(
      await getSendPermission(t.deps.db, { workspaceId: ws(), contactId, purpose: 'newsletter' }),
    ).toEqual({
      allowed: false,
      reason: 'withdrawn',
    });
    expect(
      (await page('POST', '/u/unknown-token-aaaaaaaaaaaa', 'List-Unsubscribe=One-Click')).statusCode,
    ).toBe(404);
  });

  it('a real marketing mail carries List-Unsubscribe; its one-click POST withdraws, and the next send is blocked', async () => {
    await upsertMailSettings(
      t.deps.db,
      ws(),
      {
        imprint: 'Acme GmbH, Musterstraße 1, 10115 Berlin',
        from_email: 'news@acme.example',
        from_name: 'Acme',
      },
      clock.now(),
    );
    const { contactId } = await confirmedContact('frida@example.com');
    sink.received.length = 0;
    const send = () =>
      t.deps.db.transaction().execute((trx) =>
        enqueueMessage(trx, t.deps, {
          workspaceId: ws(),
          kind: 'marketing',
          purpose: 'newsletter',
          contactId,
          to: 'frida@example.com',
          locale: 'de',
          content: { subject: 'Neuigkeiten', html: '<p>Hallo</p>', text: 'Hallo' },
        }),
      );
    await send();
    const mail = await mailTo('frida@example.com');
    const headers = decodeMail(mail.raw)
      .split(/\r?\n\r?\n/)[0]!
      .replace(/\r?\n[ \t]+/g, ' ');
    expect(headers).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click$/m);
    const url = /^List-Unsubscribe: .*<(https?:\/\/[^>]+\/u\/[^>]+)>/m.exec(headers)![1]!;
    const res = await t.app.inject({
      method: 'POST',
      url: new URL(url).pathname,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(res.statusCode).toBe(200);
    expect(await consentsOf(contactId)).toEqual([{ purpose: 'newsletter', status: 'withdrawn' }]);
    const withdrawn = (await ledgerOf(contactId)).at(-1)!;
    expect(withdrawn).toMatchObject({
      event: 'withdrawn',
      details: { via: 'one-click', previousStatus: 'confirmed' },
    });
    expect(withdrawn.message_id).toBeTruthy();
    // The send-time check now refuses the next marketing mail for this purpose.
    sink.received.length = 0;
    const next = await send();
    await until('the second message to be settled', async () => {
      const row = await t.deps.db
        .selectFrom('messages')
        .select('status')
        .where('id', '=', next.messageId)
        .executeTakeFirst();
      return row && row.status !== 'queued' && row.status !== 'sending' ? row : undefined;
    });
    expect(sink.received.filter((m) => m.to.includes('frida@example.com'))).toHaveLength(0);
  });

  it('preference center: change topics, withdraw all in one click, object → suppression', async () => {
    const { contactId, prefs } = await confirmedContact('emil@example.com', [
      'newsletter',
      'newsletter:produkte',
      'events',
    ]);
    const view = await page('GET', `/p/${prefs}`);
    expect(view.statusCode).toBe(200);
    expect(view.body).toContain('e***@example.com');
    expect(view.body).not.toContain('emil@example.com');
    expect((view.body.match(/type="checkbox"/g) ?? []).length).toBe(3);

    const save = await page('POST', `/p/${prefs}`, 'keep=newsletter&keep=events');
    expect(save.statusCode).toBe(303);
    expect(save.headers.location).toBe(`/p/${prefs}?done=saved`);
    expect(await consentsOf(contactId)).toEqual([
      { purpose: 'events', status: 'confirmed' },
      { purpose: 'newsletter', status: 'confirmed' },
      { purpose: 'newsletter:produkte', status: 'withdrawn' },
    ]);
    // Ticking it again re-grants it, with the text shown recorded.
    await page('POST', `/p/${prefs}`, 'keep=newsletter&keep=events&keep=newsletter%3Aprodukte');
    expect((await consentsOf(contactId)).every((c) => c.status === 'confirmed')).toBe(true);
    const regrant = (await ledgerOf(contactId)).at(-1)!;
    expect(regrant).toMatchObject({
      event: 'reconfirmed',
      purpose: 'newsletter:produkte',
      consent_text_version: 'v7',
    });

    const all = await page('POST', `/p/${prefs}/withdraw`, '');
    expect(all.statusCode).toBe(303);
    expect((await consentsOf(contactId)).every((c) => c.status === 'withdrawn')).toBe(true);
    const shown = await page('GET', `/p/${prefs}?done=withdrawn&lang=en`);
    expect(shown.body).toContain('All consent has been withdrawn.');

    expect(await isSuppressed(t.deps.db, ws(), 'emil@example.com')).toBe(false);
    expect((await page('POST', `/p/${prefs}/object`, '')).statusCode).toBe(303);
    expect(await isSuppressed(t.deps.db, ws(), 'emil@example.com')).toBe(true);
    expect((await ledgerOf(contactId)).at(-1)).toMatchObject({ event: 'objected', purpose: '*' });
    // An objection is absolute: a new sign-up sends nothing.
    expect((await signUp('emil@example.com')).outcome).toBe('suppressed');
    expect(await verifyConsentLedger(t.deps.db, ws(), contactId)).toMatchObject({ breaks: [] });
  });
});
