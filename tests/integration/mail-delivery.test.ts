import { readFileSync } from 'node:fs';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { simpleParser } from 'mailparser';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { recordActivities } from '../../src/modules/contacts/index.js';
import { startBounceSmtpServer } from '../../src/modules/mail/bounces/bounce-smtp-server.js';
import {
  closeMailRuntime,
  enqueueMessage,
  resolveUnsubscribeToken,
  startBulkSend,
} from '../../src/modules/mail/index.js';
import { reserveSendQuota } from '../../src/modules/mail/rate-limits.js';
import { upsertMailSettings } from '../../src/modules/mail/settings.repository.js';
import { insertTemplate, upsertVariant } from '../../src/modules/mail/templates.repository.js';
import { parseVerpAddress } from '../../src/modules/mail/verp.js';
import { addSuppression, isSuppressed } from '../../src/modules/suppression/index.js';
import { collectJobs } from '../../src/server.js';
import { systemActor } from '../../src/shared/actor.js';
import { ManualClock } from '../../src/shared/clock.js';
import { newId } from '../../src/shared/ids.js';
import { JobWorker } from '../../src/shared/jobs/index.js';
import { availableDbKinds, createTestDeps, type TestDeps } from '../support/deps.js';
import {
  addTestSendingDomain,
  createConsentedContact,
  createMailWorkspace,
  dkimResolver,
  setConsentStatus,
  type TestDkim,
  until,
} from '../support/mail.js';
import { SmtpSink } from '../support/smtp-sink.js';

const kinds = await availableDbKinds();

const BODY = `<mj-section background-color="#ffffff"><mj-column>
  <mj-text><h1>Hallo {{ contact.first_name | default: "liebe Leserin, lieber Leser" }}</h1>
  <p>Unser neues Whitepaper zur Instandhaltung ist da. {{ intro }}</p></mj-text>
  <mj-button href="https://acme.example/whitepaper?utm_source=newsletter&amp;x=1">Jetzt lesen</mj-button>
</mj-column></mj-section>`;

async function createTemplate(
  deps: TestDeps,
  workspaceId: string,
  kind: 'marketing' | 'transactional' = 'marketing',
) {
  const now = deps.clock.now();
  const template = await insertTemplate(deps.db, {
    id: newId(),
    workspace_id: workspaceId,
    name: `Newsletter ${newId().slice(-4)}`,
    kind,
    purpose: kind === 'marketing' ? 'newsletter' : null,
    created_by: null,
    created_at: now,
  });
  await upsertVariant(deps.db, {
    workspace_id: workspaceId,
    template_id: template.id,
    locale: 'de',
    subject: 'Neu: Whitepaper für {{ contact.first_name | default: "Sie" }}',
    preheader: 'Instandhaltung 4.0',
    body_mjml: BODY,
    updated_at: now,
  });
  await upsertVariant(deps.db, {
    workspace_id: workspaceId,
    template_id: template.id,
    locale: 'en',
    subject: 'New: a white paper for {{ contact.first_name | default: "you" }}',
    preheader: 'Maintenance 4.0',
    body_mjml: BODY.replace('Hallo', 'Hello'),
    updated_at: now,
  });
  return template;
}

describe.each(kinds)('mail delivery on %s', (kind) => {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  const sink = new SmtpSink();
  let deps: TestDeps;
  let worker: JobWorker;
  let ws: string;
  let dkim: TestDkim;

  beforeAll(async () => {
    await sink.start();
    deps = await createTestDeps(kind, { clock, config: { smtpUrl: sink.url, smtpPoolSize: 3 } });
    ws = await createMailWorkspace(deps);
    dkim = await addTestSendingDomain(deps, ws);
    worker = new JobWorker({
      handle: deps.handle,
      definitions: collectJobs(deps),
      clock,
      log: deps.log,
      concurrency: { critical: 2, default: 2, bulk: 2 },
      pollMs: 50,
    });
    await worker.start();
  });
  afterEach(() => {
    sink.received.length = 0;
    sink.rcpt = undefined;
    sink.onMessage = undefined;
  });
  afterAll(async () => {
    await worker?.stop(1000);
    if (deps) await closeMailRuntime(deps);
    await sink.stop();
    await deps?.cleanup();
  });

  async function send(input: Parameters<typeof enqueueMessage>[2]) {
    const result = await deps.db.transaction().execute((trx) => enqueueMessage(trx, deps, input));
    worker.wake();
    return result;
  }

  async function statusOf(id: string) {
    return deps.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  }

  it('sends a marketing mail over SMTP: multipart, one-click headers, DKIM that verifies and covers them', async () => {
    const template = await createTemplate(deps, ws);
    const contactId = await createConsentedContact(deps.db, ws, 'anna@kunde.example', ['newsletter'], {
      firstName: 'Anna',
    });
    const { messageId } = await send({
      workspaceId: ws,
      kind: 'marketing',
      purpose: 'newsletter',
      contactId,
      to: 'anna@kunde.example',
      locale: 'de',
      template: { id: template.id, variables: { intro: 'Kostenlos <b>für Sie</b>.' } },
    });
    const row = await until('delivered', async () => {
      const r = await statusOf(messageId);
      return r.status === 'delivered' ? r : undefined;
    });
    const mail = sink.received.find((m) => m.to.includes('anna@kunde.example'))!;
    expect(mail).toBeDefined();
    expect(row.subject).toBe('Neu: Whitepaper für Anna');
    expect(row.message_id_header).toBe(`${messageId}@acme.example`);

    // Envelope: a VERP return path that names this message.
    expect(parseVerpAddress(deps.config.secretKey, mail.from)).toBe(messageId);

    const parsed = await simpleParser(mail.raw);
    expect(parsed.subject).toBe('Neu: Whitepaper für Anna');
    expect(parsed.from?.value[0]).toMatchObject({ address: 'news@acme.example', name: 'Acme News' });
    expect(parsed.messageId).toBe(`<${messageId}@acme.example>`);
    expect(parsed.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
    expect(parsed.text).toContain('Hallo Anna');
    expect(parsed.text).toContain('Musterstraße 1, 10115 Berlin');
    expect(parsed.html).toContain('Hallo Anna');
    // Variables are escaped in HTML.
    expect(parsed.html).toContain('Kostenlos &lt;b&gt;für Sie&lt;/b&gt;.');
    expect(parsed.html).toContain('https://acme.example/whitepaper?utm_source=newsletter&amp;x=1');
    const unsubscribeLine = mail.raw.match(/^List-Unsubscribe: <([^>]+)>/m)?.[1];
    expect(unsubscribeLine).toMatch(new RegExp(`^${deps.config.publicUrl}/u/[A-Za-z0-9_-]{24}$`));
    expect(mail.raw).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);
    // The visible link in the body is the same token.
    expect(parsed.html).toContain(unsubscribeLine);
    const token = unsubscribeLine!.split('/u/')[1]!;
    expect(await resolveUnsubscribeToken(deps.db, token)).toEqual({
      workspaceId: ws,
      contactId,
      purpose: 'newsletter',
      messageId,
    });

    // MIME structure: exactly a text/plain and a text/html part.
    const parts = [...mail.raw.matchAll(/^Content-Type: (text\/[a-z]+); charset=utf-8\r$/gm)].map(
      (m) => m[1],
    );
    expect(parts).toEqual(['text/plain', 'text/html']);

    const verified = await dkimVerify(Buffer.from(mail.raw), { resolver: dkimResolver(dkim) });
    expect(verified.results).toHaveLength(1);
    const result = verified.results[0]!;
    expect(result.status.result).toBe('pass');
    expect(result.signingDomain).toBe('acme.example');
    const signed = String(
      (result as unknown as { signingHeaders?: { keys?: string } }).signingHeaders?.keys ?? '',
    )
      .toLowerCase()
      .split(':')
      .map((s: string) => s.trim());
    expect(signed).toEqual(
      expect.arrayContaining([
        'from',
        'to',
        'subject',
        'message-id',
        'list-unsubscribe',
        'list-unsubscribe-post',
      ]),
    );

    // Tampering with a signed header breaks the signature.
    const tampered = mail.raw.replace(
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
      'List-Unsubscribe-Post: x',
    );
    const bad = await dkimVerify(Buffer.from(tampered), { resolver: dkimResolver(dkim) });
    expect(bad.results[0]!.status.result).toBe('fail');
  });

  it('does not send a marketing mail whose consent was withdrawn after it was enqueued', async () => {
    const template = await createTemplate(deps, ws);
    const contactId = await createConsentedContact(deps.db, ws, 'bernd@kunde.example', ['newsletter']);
    await worker.stop(1000);
    const { messageId } = await deps.db.transaction().execute((trx) =>
      enqueueMessage(trx, deps, {
        workspaceId: ws,
        kind: 'marketing',
        purpose: 'newsletter',
        contactId,
        to: 'bernd@kunde.example',
        locale: 'de',
        template: { id: template.id },
      }),
    );
    await setConsentStatus(deps.db, ws, contactId, 'newsletter', 'withdrawn');
    await worker.start();
    const row = await until('skipped', async () => {
      const r = await statusOf(messageId);
      return r.status === 'skipped' ? r : undefined;
    });
    expect(row.status_reason).toBe('withdrawn');
    expect(sink.received).toHaveLength(0);
  });

  it('skips a suppressed address, at enqueue and at send time, with the reason', async () => {
    await addSuppression(deps.db, ws, 'gone@kunde.example', { reason: 'complaint' });
    const early = await send({
      workspaceId: ws,
      kind: 'transactional',
      to: 'Gone@Kunde.example',
      locale: 'de',
      content: { subject: 'Ihr Download', html: '<p>Hier</p>', text: 'Hier' },
    });
    expect(early.skipped).toBe('suppressed');

    const contactId = await createConsentedContact(deps.db, ws, 'late@kunde.example', ['newsletter']);
    const template = await createTemplate(deps, ws);
    await worker.stop(1000);
    const { messageId } = await deps.db.transaction().execute((trx) =>
      enqueueMessage(trx, deps, {
        workspaceId: ws,
        kind: 'marketing',
        purpose: 'newsletter',
        contactId,
        to: 'late@kunde.example',
        locale: 'en',
        template: { id: template.id },
      }),
    );
    await addSuppression(deps.db, ws, 'late@kunde.example', { reason: 'hard_bounce' });
    await worker.start();
    const row = await until('skipped', async () => {
      const r = await statusOf(messageId);
      return r.status === 'skipped' ? r : undefined;
    });
    expect(row.status_reason).toBe('suppressed');
    expect(sink.received).toHaveLength(0);
  });

  it('refuses marketing mail from a workspace without an imprint', async () => {
    const bare = await createMailWorkspace(deps, { imprint: '' });
    const template = await createTemplate(deps, bare);
    const contactId = await createConsentedContact(deps.db, bare, 'carla@kunde.example', ['newsletter']);
    const { messageId } = await send({
      workspaceId: bare,
      kind: 'marketing',
      purpose: 'newsletter',
      contactId,
      to: 'carla@kunde.example',
      locale: 'de',
      template: { id: template.id },
    });
    const row = await until('skipped', async () => {
      const r = await statusOf(messageId);
      return r.status === 'skipped' ? r : undefined;
    });
    expect(row.status_reason).toBe('no_imprint');
    expect(sink.received).toHaveLength(0);
  });

  it('returns the first message for a repeated idempotency key', async () => {
    const input = {
      workspaceId: ws,
      kind: 'transactional' as const,
      to: 'dora@kunde.example',
      locale: 'de' as const,
      content: { subject: 'Bestätigen', html: '<p>x</p>', text: 'x' },
      idempotencyKey: 'doi:123',
    };
    const a = await send(input);
    const b = await send(input);
    expect(b.messageId).toBe(a.messageId);
    await until('received', () => sink.received.find((m) => m.to.includes('dora@kunde.example')));
    await new Promise((r) => setTimeout(r, 200));
    expect(sink.received.filter((m) => m.to.includes('dora@kunde.example'))).toHaveLength(1);
  });

  /** Moves the clock past every scheduled retry and wakes the worker. */
  function nextRetry() {
    clock.advance(2 * 3600_000);
    worker.wake();
  }

  /** A bulk send in a workspace of its own, to exactly these addresses. */
  async function bulkSend(emails: string[]) {
    const own = await createMailWorkspace(deps);
    const template = await createTemplate(deps, own);
    for (const email of emails) {
      await createConsentedContact(deps.db, own, email, ['newsletter'], { firstName: email.split('@')[0] });
    }
    const send = await startBulkSend(deps.db, deps, systemActor('test'), own, { templateId: template.id });
    worker.wake();
    await until('messages written', async () => {
      const r = await deps.db.selectFrom('messages').select('id').where('send_id', '=', send.id).execute();
      return r.length === emails.length;
    });
    return send.id;
  }

  async function statusesOf(sendId: string): Promise<Map<string, Awaited<ReturnType<typeof statusOf>>>> {
    const rows = await deps.db.selectFrom('messages').selectAll().where('send_id', '=', sendId).execute();
    return new Map(rows.map((r) => [r.to_email, r]));
  }

  it('retries 4xx answers with backoff until the server accepts', async () => {
    let refusals = 0;
    sink.rcpt = (address) =>
      address === 'grey@kunde.example' && refusals++ < 2
        ? { code: 451, message: '4.7.1 Greylisted, try again later' }
        : undefined;
    const { messageId } = await send({
      workspaceId: ws,
      kind: 'transactional',
      to: 'grey@kunde.example',
      locale: 'de',
      content: { subject: 'Ihr Download', html: '<p>Hier</p>', text: 'Hier' },
    });
    const deferred = await until('deferred', async () => {
      const r = await statusOf(messageId);
      return r.status === 'deferred' ? r : undefined;
    });
    expect(deferred.status_reason).toContain('451');
    expect(deferred.next_attempt_at!.getTime()).toBeGreaterThan(clock.now().getTime());
    for (let i = 0; i < 5 && (await statusOf(messageId)).status !== 'delivered'; i++) {
      nextRetry();
      await until(
        'attempt done',
        async () =>
          (await statusOf(messageId)).status !== 'sending' &&
          (await statusOf(messageId)).attempts >= 2 + i - 1,
      );
      await new Promise((r) => setTimeout(r, 100));
    }
    const row = await until('delivered', async () => {
      const r = await statusOf(messageId);
      return r.status === 'delivered' ? r : undefined;
    });
    expect(row.attempts).toBe(3);
    expect(sink.received.filter((m) => m.to.includes('grey@kunde.example'))).toHaveLength(1);
    const events = await deps.db
      .selectFrom('message_events')
      .select('type')
      .where('message_id', '=', messageId)
      .orderBy('id')
      .execute();
    expect(events.map((e) => e.type)).toEqual(['queued', 'deferred', 'deferred', 'delivered']);
  });

  it('records 5xx answers per recipient: unknown address bounces (and is suppressed), a policy refusal fails', async () => {
    sink.rcpt = (address) =>
      address === 'nobody@kunde.example'
        ? { code: 550, message: '5.1.1 <nobody@kunde.example>: Recipient address rejected: User unknown' }
        : address === 'blocked@kunde.example'
          ? { code: 554, message: '5.7.1 Message rejected due to local policy' }
          : undefined;
    const sendId = await bulkSend(['nobody@kunde.example', 'blocked@kunde.example', 'fine@kunde.example']);
    const rows = await until('all done', async () => {
      const s = await statusesOf(sendId);
      return [...s.values()].every((m) => ['delivered', 'bounced', 'failed'].includes(m.status))
        ? s
        : undefined;
    });
    expect(rows.get('nobody@kunde.example')).toMatchObject({ status: 'bounced', bounce_type: 'hard' });
    expect(rows.get('nobody@kunde.example')!.status_reason).toContain('5.1.1');
    expect(rows.get('blocked@kunde.example')).toMatchObject({ status: 'failed' });
    expect(rows.get('blocked@kunde.example')!.status_reason).toContain('5.7.1');
    expect(rows.get('fine@kunde.example')).toMatchObject({ status: 'delivered' });
    const own = rows.get('fine@kunde.example')!.workspace_id;
    expect(await isSuppressed(deps.db, own, 'nobody@kunde.example')).toBe(true);
    expect(await isSuppressed(deps.db, own, 'blocked@kunde.example')).toBe(false);
  });

  it('loses nothing when the SMTP server stops in the middle of a batch and comes back', async () => {
    const emails = Array.from({ length: 30 }, (_, i) => `reader${i}@batch.example`);
    const port = sink.port;
    sink.onMessage = (count) => {
      if (count === 8) void sink.stop();
    };
    const sendId = await bulkSend(emails);
    await until('some deferred while the server is down', async () => {
      const s = await statusesOf(sendId);
      return (
        [...s.values()].some((m) => m.status === 'deferred') &&
        ![...s.values()].some((m) => ['queued', 'sending'].includes(m.status))
      );
    });
    const down = await statusesOf(sendId);
    expect([...down.values()].filter((m) => m.status === 'delivered').length).toBeLessThan(30);
    sink.onMessage = undefined;
    sink.port = port;
    await sink.start();
    for (let i = 0; i < 5; i++) {
      const s = await statusesOf(sendId);
      if ([...s.values()].every((m) => m.status === 'delivered')) break;
      nextRetry();
      await until('retry ran', async () => {
        const now = await statusesOf(sendId);
        return ![...now.values()].some(
          (m) =>
            ['queued', 'sending'].includes(m.status) ||
            (m.status === 'deferred' && m.next_attempt_at! <= clock.now()),
        );
      });
    }
    const done = await statusesOf(sendId);
    expect([...done.values()].map((m) => m.status)).toEqual(emails.map(() => 'delivered'));
    // Every message arrived; one arriving twice is possible only if the server stopped between its 250 and our record.
    const arrived = new Set(sink.received.map((m) => /^Message-ID: <([^>]+)>/im.exec(m.raw)?.[1]));
    for (const m of done.values()) expect(arrived.has(m.message_id_header!)).toBe(true);
    expect(sink.received.length).toBeLessThanOrEqual(31);
  });

  it('renders each recipient of a batch with only their own data', async () => {
    const sendId = await bulkSend(['maria@own.example', 'lars@own.example']);
    await until('delivered', async () =>
      [...(await statusesOf(sendId)).values()].every((m) => m.status === 'delivered'),
    );
    const maria = sink.received.find((m) => m.to.includes('maria@own.example'))!;
    const lars = sink.received.find((m) => m.to.includes('lars@own.example'))!;
    expect(maria.raw).toContain('Hallo maria');
    expect(maria.raw).not.toContain('lars');
    expect(lars.raw).toContain('Hallo lars');
    expect(lars.raw).not.toContain('maria');
  });

  it('takes bounces and complaints over SMTP on the bounce endpoint, matched by the VERP address', async () => {
    const contactId = await createConsentedContact(deps.db, ws, 'soon-gone@kunde.example', ['newsletter']);
    const { messageId } = await send({
      workspaceId: ws,
      kind: 'marketing',
      purpose: 'newsletter',
      contactId,
      to: 'soon-gone@kunde.example',
      locale: 'de',
      content: { subject: 'News', html: '<p>News</p>', text: 'News' },
    });
    const sent = await until('delivered', async () => {
      const r = await statusOf(messageId);
      return r.status === 'delivered' ? r : undefined;
    });
    const verp = sink.received.find((m) => m.to.includes('soon-gone@kunde.example'))!.from;
    const endpoint = await startBounceSmtpServer({
      port: 0,
      host: '127.0.0.1',
      log: deps.log,
      context: () => ({
        db: deps.db,
        secretKey: deps.config.secretKey,
        now: clock.now(),
        log: deps.log,
        recordActivities,
      }),
    });
    try {
      // The DSN names no Message-ID we know: only the VERP envelope recipient can match it.
      const dsn = readFileSync(new URL('../fixtures/mail-reports/postfix-hard.eml', import.meta.url), 'utf8')
        .replaceAll('{{MESSAGE_ID}}', 'unknown@elsewhere.example')
        .replaceAll('{{VERP}}', 'someone@elsewhere.example')
        .replaceAll('{{RECIPIENT}}', 'soon-gone@kunde.example');
      const conn = new SMTPConnection({ host: '127.0.0.1', port: endpoint.port, ignoreTLS: true });
      await new Promise<void>((resolve, reject) => {
        conn.on('error', reject);
        conn.connect(() =>
          conn.send({ from: '', to: [verp] }, dsn, (err) => (err ? reject(err) : resolve())),
        );
      });
      conn.quit();
      const row = await until('bounced', async () => {
        const r = await statusOf(messageId);
        return r.status === 'bounced' ? r : undefined;
      });
      expect(row).toMatchObject({ bounce_type: 'hard' });
      expect(sent.message_id_header).toBeTruthy();
      expect(await isSuppressed(deps.db, ws, 'soon-gone@kunde.example')).toBe(true);
      const timeline = await deps.db
        .selectFrom('activities')
        .select('type')
        .where('contact_id', '=', contactId)
        .execute();
      expect(timeline.map((a) => a.type)).toEqual(expect.arrayContaining(['mail.sent', 'mail.bounced']));
    } finally {
      await endpoint.close();
    }
  });

  it('keeps to the per-destination-domain and per-workspace rates, deferring the rest to the next minute', async () => {
    const emails = Array.from({ length: 5 }, (_, i) => `slow${i}@ratelimited.example`);
    const own = await createMailWorkspace(deps);
    await upsertMailSettings(deps.db, own, { domain_rates: { 'ratelimited.example': 2 } }, clock.now());
    const template = await createTemplate(deps, own);
    for (const email of emails) await createConsentedContact(deps.db, own, email, ['newsletter']);
    const send = await startBulkSend(deps.db, deps, systemActor('test'), own, { templateId: template.id });
    worker.wake();
    const first = await until('first minute done', async () => {
      const s = await statusesOf(send.id);
      const list = [...s.values()];
      return list.length === 5 && list.every((m) => ['delivered', 'deferred'].includes(m.status))
        ? list
        : undefined;
    });
    expect(first.filter((m) => m.status === 'delivered')).toHaveLength(2);
    const deferred = first.filter((m) => m.status === 'deferred');
    expect(deferred.map((m) => m.status_reason)).toEqual(['rate_limited', 'rate_limited', 'rate_limited']);
    // Not an attempt: nothing was sent for them.
    expect(deferred.every((m) => m.attempts === 0)).toBe(true);
    for (let minute = 0; minute < 3; minute++) {
      clock.advance(61_000);
      worker.wake();
      await until('next minute done', async () => {
        const list = [...(await statusesOf(send.id)).values()];
        return list.every(
          (m) =>
            ['delivered', 'deferred'].includes(m.status) &&
            !(m.status === 'deferred' && m.next_attempt_at! <= clock.now()),
        );
      });
    }
    const done = [...(await statusesOf(send.id)).values()];
    expect(done.every((m) => m.status === 'delivered')).toBe(true);

    // The workspace-wide rate counts across domains and across calls within the minute.
    const settings = {
      workspace_id: own,
      rate_per_minute: 3,
      domain_rate_per_minute: null,
      domain_rates: {},
    };
    const a = await reserveSendQuota(deps.db, clock, settings, ['x@a.example', 'y@b.example']);
    const b = await reserveSendQuota(deps.db, clock, settings, ['z@c.example', 'w@d.example']);
    expect([...a.allowed, ...b.allowed]).toEqual([true, true, true, false]);
    expect(b.retryAt.getTime()).toBeGreaterThan(clock.now().getTime());
  });
});
