import { simpleParser } from 'mailparser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeMailRuntime, enqueueMessage } from '../../src/modules/mail/index.js';
import { redactFinishedMessages } from '../../src/modules/mail/messages.repository.js';
import { insertTemplate, upsertVariant } from '../../src/modules/mail/templates.repository.js';
import { addSuppression } from '../../src/modules/suppression/index.js';
import { collectJobs } from '../../src/server.js';
import { ManualClock } from '../../src/shared/clock.js';
import { newId } from '../../src/shared/ids.js';
import { JobWorker } from '../../src/shared/jobs/index.js';
import { availableDbKinds, createTestDeps, type TestDeps } from '../support/deps.js';
import { createMailWorkspace, until } from '../support/mail.js';
import { SmtpSink } from '../support/smtp-sink.js';

/*
 * Stored content keeps no usable link once a message is final: a double opt-in confirm link or a
 * download link goes to the recipient in full, but whoever reads `messages` afterwards (database,
 * backup, admin) finds only the link's origin. Until then (queued, deferred) the full content is
 * kept, so a retry still sends the working link.
 */

const kinds = await availableDbKinds();

const CONFIRM_TOKEN = 'Kx7pQ2vR9sT4wY8zA1bC3dE5fG6hJ0mN';
const DOWNLOAD_SIG = 'exp=1767225600&sig=9f86d081884c7d659a2feaa0c55ad015';

describe.each(kinds)('stored content of sent mail on %s', (kind) => {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  const sink = new SmtpSink();
  let deps: TestDeps;
  let worker: JobWorker;
  let ws: string;
  let confirmUrl: string;
  let downloadUrl: string;

  beforeAll(async () => {
    await sink.start();
    deps = await createTestDeps(kind, { clock, config: { smtpUrl: sink.url, smtpPoolSize: 2 } });
    ws = await createMailWorkspace(deps);
    confirmUrl = `${deps.config.publicUrl}/c/${CONFIRM_TOKEN}`;
    downloadUrl = `${deps.config.publicUrl}/d/4f1c2a?${DOWNLOAD_SIG}`;
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

  const rowOf = (id: string) =>
    deps.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  const optInContent = () => ({
    subject: 'Bitte bestätigen Sie Ihre Anmeldung',
    html: `<p>Hallo,</p><p><a href="${confirmUrl}" style="color:#1c7ed6">Anmeldung bestätigen</a></p>
<p>Ihr Whitepaper: <a href="${downloadUrl.replaceAll('&', '&amp;')}">herunterladen</a></p>
<p>Fragen? <a href="https://acme.example/kontakt">Kontakt</a> · "Zitat" \\ Backslash</p>`,
    text: `Hallo,\n\nbitte bestätigen Sie: ${confirmUrl}\n\nWhitepaper: ${downloadUrl}\n`,
  });

  it('sends the full confirm and download links, then keeps only their origin in the database', async () => {
    const { messageId } = await send({
      workspaceId: ws,
      kind: 'transactional',
      to: 'neu@kunde.example',
      locale: 'de',
      content: optInContent(),
      lane: 'critical',
    });
    const row = await until('delivered', async () => {
      const r = await rowOf(messageId);
      return r.status === 'delivered' ? r : undefined;
    });

    // The recipient got working links.
    const mail = await simpleParser(sink.received.find((m) => m.to.includes('neu@kunde.example'))!.raw);
    expect(mail.text).toContain(confirmUrl);
    expect(mail.text).toContain(downloadUrl);
    expect(mail.html).toContain(confirmUrl);

    // The database keeps what the log needs, and no secret.
    const stored = JSON.stringify(row.content);
    expect(stored).not.toContain(CONFIRM_TOKEN);
    expect(stored).not.toContain('sig=');
    expect(stored).not.toContain('/c/');
    expect(row.content!.subject).toBe('Bitte bestätigen Sie Ihre Anmeldung');
    expect(row.content!.text).toContain(`bitte bestätigen Sie: ${deps.config.publicUrl}/…`);
    expect(row.content!.html).toContain(`<a href="${deps.config.publicUrl}/…" style="color:#1c7ed6">`);
    expect(row.content!.html).toContain('<a href="https://acme.example/…">Kontakt</a>');
    expect(row.content!.html).toContain('"Zitat" \\ Backslash');
    expect(row.content_redacted_at).toEqual(clock.now());
    expect(row.subject).toBe('Bitte bestätigen Sie Ihre Anmeldung');
  });

  it('keeps the full content while a retry is pending, and sends the working link on the retry', async () => {
    let refusals = 0;
    sink.rcpt = (address) =>
      address === 'grau@kunde.example' && refusals++ < 1
        ? { code: 451, message: '4.7.1 Greylisted, try again later' }
        : undefined;
    const { messageId } = await send({
      workspaceId: ws,
      kind: 'transactional',
      to: 'grau@kunde.example',
      locale: 'de',
      content: optInContent(),
    });
    const deferred = await until('deferred', async () => {
      const r = await rowOf(messageId);
      return r.status === 'deferred' ? r : undefined;
    });
    expect(deferred.content!.text).toContain(confirmUrl);
    expect(deferred.content_redacted_at).toBeNull();

    clock.advance(2 * 3600_000);
    worker.wake();
    const delivered = await until('delivered', async () => {
      const r = await rowOf(messageId);
      return r.status === 'delivered' ? r : undefined;
    });
    const mail = await simpleParser(sink.received.find((m) => m.to.includes('grau@kunde.example'))!.raw);
    expect(mail.text).toContain(confirmUrl);
    expect(JSON.stringify(delivered.content)).not.toContain(CONFIRM_TOKEN);
  });

  it('cuts links in template variables too, after the mail went out with them', async () => {
    const now = clock.now();
    const template = await insertTemplate(deps.db, {
      id: newId(),
      workspace_id: ws,
      name: `Download ${newId().slice(-4)}`,
      kind: 'transactional',
      purpose: null,
      created_by: null,
      created_at: now,
    });
    await upsertVariant(deps.db, {
      workspace_id: ws,
      template_id: template.id,
      locale: 'de',
      subject: 'Ihr Download: {{ title }}',
      preheader: '',
      body_mjml: `<mj-section><mj-column><mj-button href="{{ download_url }}">Herunterladen</mj-button></mj-column></mj-section>`,
      updated_at: now,
    });
    const { messageId } = await send({
      workspaceId: ws,
      kind: 'transactional',
      to: 'download@kunde.example',
      locale: 'de',
      template: { id: template.id, variables: { download_url: downloadUrl, title: 'Instandhaltung 4.0' } },
    });
    const row = await until('delivered', async () => {
      const r = await rowOf(messageId);
      return r.status === 'delivered' ? r : undefined;
    });
    const mail = await simpleParser(sink.received.find((m) => m.to.includes('download@kunde.example'))!.raw);
    expect(mail.html).toContain(downloadUrl.replaceAll('&', '&amp;'));
    expect(row.variables).toEqual({
      download_url: `${deps.config.publicUrl}/…`,
      title: 'Instandhaltung 4.0',
    });
  });

  it('stores no usable link for a message that is skipped at once (suppressed address)', async () => {
    await addSuppression(deps.db, ws, 'weg@kunde.example', { reason: 'manual', source: 'admin' });
    const { messageId, skipped } = await send({
      workspaceId: ws,
      kind: 'transactional',
      to: 'weg@kunde.example',
      locale: 'de',
      content: optInContent(),
    });
    expect(skipped).toBe('suppressed');
    const row = await rowOf(messageId);
    expect(JSON.stringify(row.content)).not.toContain(CONFIRM_TOKEN);
    expect(row.content_redacted_at).not.toBeNull();
  });

  it('the hourly sweep redacts final messages written before redaction existed, and only those', async () => {
    const now = clock.now();
    const old = newId();
    const waiting = newId();
    const other = await createMailWorkspace(deps);
    for (const [id, status] of [
      [old, 'delivered'],
      [waiting, 'deferred'],
    ] as const) {
      await deps.db
        .insertInto('messages')
        .values({
          id,
          workspace_id: other,
          kind: 'transactional',
          to_email: `${status}@kunde.example`,
          locale: 'de',
          content: JSON.stringify(optInContent()),
          headers: '{}',
          status,
          queued_at: now,
          created_at: now,
          updated_at: now,
        })
        .execute();
    }
    expect(await redactFinishedMessages(deps.db, now, 1_000)).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify((await rowOf(old)).content)).not.toContain(CONFIRM_TOKEN);
    expect((await rowOf(old)).content!.html).toContain('"Zitat" \\ Backslash');
    expect((await rowOf(waiting)).content!.text).toContain(confirmUrl);
    expect(await redactFinishedMessages(deps.db, now, 1_000)).toBe(0);
  });
});
