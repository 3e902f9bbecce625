import { randomBytes } from 'node:crypto';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeMailRuntime, enqueueMessage } from '../../src/modules/mail/index.js';
import { collectJobs } from '../../src/server.js';
import { ManualClock } from '../../src/shared/clock.js';
import { JobWorker } from '../../src/shared/jobs/index.js';
import { availableDbKinds, createTestDeps, type TestDeps } from '../support/deps.js';
import {
  addTestSendingDomain,
  createMailWorkspace,
  dkimResolver,
  type TestDkim,
  until,
} from '../support/mail.js';
import { SmtpSink } from '../support/smtp-sink.js';

/*
 * Attachments: stored with the message when it is queued (the send job carries only the id), sent
 * as multipart/mixed with base64 parts that the real SMTP sink receives byte for byte, DKIM-signed,
 * and the same bytes again when the first attempt failed and the retry sends.
 */

describe.each(await availableDbKinds())('mail attachments on %s', (kind) => {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  const sink = new SmtpSink();
  let deps: TestDeps;
  let worker: JobWorker;
  let ws: string;
  let dkim: TestDkim;

  beforeAll(async () => {
    await sink.start();
    deps = await createTestDeps(kind, { clock, config: { smtpUrl: sink.url } });
    ws = await createMailWorkspace(deps);
    dkim = await addTestSendingDomain(deps, ws);
    worker = new JobWorker({
      handle: deps.handle,
      definitions: collectJobs(deps),
      clock,
      log: deps.log,
      concurrency: { critical: 1, default: 1, bulk: 1 },
      pollMs: 50,
    });
    await worker.start();
  });
  afterAll(async () => {
    await worker?.stop(1000);
    if (deps) await closeMailRuntime(deps);
    await sink.stop();
    await deps?.cleanup();
  });

  it('sends attachments as multipart/mixed that a mail client reads back, DKIM intact, and again on retry', async () => {
    const binary = randomBytes(3000);
    const ics = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n';
    // The first attempt meets a temporary failure; the retry (a new job run) sends the stored bytes.
    sink.rcpt = () => ({ code: 451, message: '4.3.0 try again later' });
    const { messageId } = await deps.db.transaction().execute((trx) =>
      enqueueMessage(trx, deps, {
        workspaceId: ws,
        kind: 'transactional',
        to: 'eva@kunde.example',
        locale: 'de',
        content: { subject: 'Ihre Unterlagen', html: '<p>Anbei.</p>', text: 'Anbei.' },
        attachments: [
          {
            filename: 'event.ics',
            contentType: 'text/calendar; charset=utf-8; method=REQUEST',
            content: ics,
          },
          { filename: 'Prüfliste Wartung.pdf', contentType: 'application/pdf', content: binary },
        ],
      }),
    );
    worker.wake();
    const job = await until('deferred', async () => {
      const m = await deps.db
        .selectFrom('messages')
        .select(['status', 'attachment_count'])
        .where('id', '=', messageId)
        .executeTakeFirstOrThrow();
      return m.status === 'deferred' ? m : undefined;
    });
    expect(job.attachment_count).toBe(2);
    // Only the id travels in the queue.
    const jobs = await deps.db
      .selectFrom('jobs')
      .select('payload')
      .where('name', '=', 'mail.send-message')
      .where('workspace_id', '=', ws)
      .execute();
    expect(jobs.map((j) => j.payload)).toContainEqual({ messageId });
    sink.rcpt = undefined;
    clock.advance(2 * 3600_000);
    worker.wake();
    const received = await until('received', () =>
      sink.received.find((m) => m.to.includes('eva@kunde.example')),
    );

    const parsed = await simpleParser(received.raw);
    expect(parsed.headers.get('content-type')).toMatchObject({ value: 'multipart/mixed' });
    expect(parsed.text?.trim()).toBe('Anbei.');
    expect(parsed.attachments.map((a) => [a.filename, a.contentType])).toEqual([
      ['event.ics', 'text/calendar'],
      ['Prüfliste Wartung.pdf', 'application/pdf'],
    ]);
    expect(parsed.attachments[0]!.content.toString('utf8')).toBe(ics);
    expect(parsed.attachments[1]!.content.equals(binary)).toBe(true);
    expect(parsed.attachments[0]!.contentDisposition).toBe('attachment');
    // RFC 5322 line length holds with base64 bodies.
    expect(received.raw.split('\r\n').every((l) => l.length <= 998)).toBe(true);
    // Sent: the stored files are gone (the message row still says how many there were).
    await until('files dropped', async () => {
      const left = await deps.db
        .selectFrom('message_attachments')
        .select('position')
        .where('message_id', '=', messageId)
        .execute();
      return left.length === 0;
    });
    const verified = await dkimVerify(Buffer.from(received.raw), { resolver: dkimResolver(dkim) });
    expect(verified.results[0]?.status.result).toBe('pass');
  });

  it('refuses attachment names and types that could break the MIME structure', async () => {
    const tries = [
      { filename: 'a"b.ics', contentType: 'text/calendar' },
      { filename: 'x.ics', contentType: 'text/calendar\r\nBcc: x@y.example' },
      { filename: '', contentType: 'text/plain' },
    ];
    for (const a of tries) {
      await expect(
        deps.db.transaction().execute((trx) =>
          enqueueMessage(trx, deps, {
            workspaceId: ws,
            kind: 'transactional',
            to: 'eva@kunde.example',
            locale: 'de',
            content: { subject: 'x', html: 'x', text: 'x' },
            attachments: [{ ...a, content: 'x' }],
          }),
        ),
      ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    }
  });
});
