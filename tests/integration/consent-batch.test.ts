import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { requestConsents, verifyConsentLedger } from '../../src/modules/consent/index.js';
import { OPT_IN_MAIL_JOB } from '../../src/modules/consent/job-refs.js';
import { optInMailJob } from '../../src/modules/consent/mail.jobs.js';
import { upsertContactByEmail } from '../../src/modules/contacts/index.js';
import { collectJobs } from '../../src/server.js';
import { ManualClock } from '../../src/shared/clock.js';
import { type BatchJobContext, JobWorker } from '../../src/shared/jobs/index.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';
import { until } from '../support/mail.js';
import { decodeMail, SmtpSink } from '../support/smtp-sink.js';

/*
 * The double opt-in mails of a batch of sign-ups (consent/mail.jobs.ts, sendRequestMails): the
 * confirmation job records and sends them itself, in batches. One refused address must not hold
 * up or repeat the others, and a crash between the SMTP server's 250 and the commit sends the mail
 * once more (same Message-ID, same link), never a second request or a second ledger entry.
 */

const kinds = await availableDbKinds();

describe.each(kinds)('opt-in mails in batches on %s', (kind) => {
  let t: TestApp;
  const sink = new SmtpSink();
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  let seq = 0;

  beforeAll(async () => {
    await sink.start();
    t = await createTestApp(kind, {
      clock,
      config: { smtpUrl: sink.url, publicUrl: 'https://leads.acme.example' },
    });
  });
  afterAll(async () => {
    await t?.close();
    await sink.stop();
  });
  beforeEach(() => {
    sink.received.length = 0;
    sink.rcpt = undefined;
  });

  const ws = () => t.workspaceId;

  async function signUp(email: string) {
    return t.deps.db.transaction().execute(async (trx) => {
      const { contact } = await upsertContactByEmail(trx, ws(), email, {}, clock.now());
      await requestConsents(trx, t.deps, {
        workspaceId: ws(),
        contactId: contact.id,
        email,
        locale: 'de',
        purposes: [{ purpose: 'newsletter', consentText: 'Ja, Newsletter.', consentTextVersion: 'v1' }],
        form: { id: null, version: null, pageUrl: 'https://acme.example/nl', privacyNoticeVersion: '1' },
        ip: '198.51.100.20',
        userAgent: 'Mozilla/5.0 batch',
      });
      return contact.id;
    });
  }

  const mailsTo = (email: string) => sink.received.filter((m) => m.to.includes(email));
  const messageOf = async (email: string) =>
    t.deps.db
      .selectFrom('messages')
      .selectAll()
      .where('workspace_id', '=', ws())
      .where('to_email', '=', email)
      .executeTakeFirstOrThrow();
  const sentEvents = async (contactId: string) =>
    t.deps.db
      .selectFrom('consent_events')
      .select(['message_id'])
      .where('workspace_id', '=', ws())
      .where('contact_id', '=', contactId)
      .where('event', '=', 'confirmation_sent')
      .execute();
  const optInJobs = () =>
    t.deps.db.selectFrom('jobs').select(['id', 'payload']).where('name', '=', OPT_IN_MAIL_JOB.name).execute();

  it('sends the others of a batch when one address is refused for now, retries that one, sends none twice', async () => {
    const emails = ['b1', 'b2', 'b3', 'b4'].map((n) => `${n}-${++seq}@example.com`);
    const contacts = [];
    for (const email of emails) contacts.push(await signUp(email));
    expect(await optInJobs()).toHaveLength(4);
    sink.rcpt = (address) =>
      address === emails[1] ? { code: 451, message: '4.7.1 greylisted, try later' } : undefined;
    // One place on the critical lane: the first claim takes one job and fills the batch with the rest.
    const worker = new JobWorker({
      handle: t.deps.handle,
      definitions: collectJobs(t.deps),
      clock,
      log: t.deps.log,
      concurrency: { critical: 1, default: 1, bulk: 1 },
      leaseMs: 30_000,
      pollMs: 50,
    });
    await worker.start();
    try {
      await until('the three accepted mails', () => emails.every((e, i) => i === 1 || mailsTo(e).length > 0));
      await until('the batch completed', async () => (await optInJobs()).length === 0);
      const refused = await messageOf(emails[1]!);
      expect(refused.status).toBe('deferred');
      // Its retry is the mail module's own job; the link in it stays the one already recorded.
      const retry = await t.deps.db
        .selectFrom('jobs')
        .select(['name', 'lane', 'payload', 'run_at'])
        .where('name', '=', 'mail.send-message')
        .executeTakeFirstOrThrow();
      expect(retry).toMatchObject({
        name: 'mail.send-message',
        lane: 'critical',
        payload: { messageId: refused.id },
      });
      for (const i of [0, 2, 3]) expect((await messageOf(emails[i]!)).status).toBe('delivered');
      sink.rcpt = undefined;
      clock.advance(10 * 60_000);
      worker.wake();
      await until('the retried mail', () => mailsTo(emails[1]!).length > 0);
      await until('the retry completed', async () => (await messageOf(emails[1]!)).status === 'delivered');
    } finally {
      await worker.stop(1000);
    }
    for (const email of emails) expect(mailsTo(email)).toHaveLength(1);
    for (const contactId of contacts) expect(await sentEvents(contactId)).toHaveLength(1);
    expect((await verifyConsentLedger(t.deps.db, ws())).breaks).toEqual([]);
  });

  it('after a crash between the SMTP answer and the commit, the re-run sends the same mail once more', async () => {
    const email = `crash-${++seq}@example.com`;
    const contactId = await signUp(email);
    const [job] = await optInJobs();
    const payload = job!.payload as { workspaceId: string; tokenId: string };
    // collectJobs registers the mail jobs for these deps: the opt-in job sends directly.
    const def = optInMailJob(t.deps);
    collectJobs(t.deps);
    const ctx = (completeWith: BatchJobContext['completeWith']): BatchJobContext => ({
      db: t.deps.db,
      jobs: [],
      log: t.deps.log,
      clock,
      completeWith,
    });
    // First run: the mail leaves, then the process dies before the outcome commits.
    class LeaseLostError extends Error {
      override name = 'LeaseLostError';
    }
    await expect(
      def.batch!.handler(
        [payload],
        ctx(async () => {
          throw new LeaseLostError('process died');
        }),
      ),
    ).rejects.toThrow('process died');
    expect(mailsTo(email)).toHaveLength(1);
    expect((await messageOf(email)).status).toBe('sending');
    // The re-run (the job came back after its lease) sends the recorded message, not a new request.
    await def.batch!.handler(
      [payload],
      ctx((fn) => t.deps.db.transaction().execute(fn)),
    );
    const [first, second] = mailsTo(email);
    expect(second).toBeDefined();
    expect(mailsTo(email)).toHaveLength(2);
    const header = (raw: string) => /^Message-ID: (.+)$/im.exec(raw)?.[1];
    const link = (raw: string) => /\/c\/([A-Za-z0-9_.-]+)/.exec(decodeMail(raw))?.[1];
    expect(header(second!.raw)).toBe(header(first!.raw));
    expect(link(second!.raw)).toBe(link(first!.raw));
    expect((await messageOf(email)).status).toBe('delivered');
    expect(await sentEvents(contactId)).toHaveLength(1);
    // A third run finds nothing to send.
    await def.batch!.handler(
      [payload],
      ctx((fn) => t.deps.db.transaction().execute(fn)),
    );
    expect(mailsTo(email)).toHaveLength(2);
    await t.deps.db.deleteFrom('jobs').where('id', '=', job!.id).execute();
  });

  it('a re-run in a process without mail jobs hands the recorded mail to the queue, so it is never lost', async () => {
    const email = `handover-${++seq}@example.com`;
    const contactId = await signUp(email);
    const [job] = await optInJobs();
    const payload = job!.payload as { workspaceId: string; tokenId: string };
    collectJobs(t.deps);
    const ctx = (completeWith: BatchJobContext['completeWith']): BatchJobContext => ({
      db: t.deps.db,
      jobs: [],
      log: t.deps.log,
      clock,
      completeWith,
    });
    // First run (a process with the mail jobs): recorded and handed to SMTP, then the process dies.
    await expect(
      optInMailJob(t.deps).batch!.handler(
        [payload],
        ctx(async () => {
          throw new Error('process died');
        }),
      ),
    ).rejects.toThrow('process died');
    const message = await messageOf(email);
    expect(message.status).toBe('sending');
    // The re-run lands on a process that runs no mail jobs (other deps: no mail runtime there).
    await optInMailJob({ ...t.deps }).batch!.handler(
      [payload],
      ctx((fn) => t.deps.db.transaction().execute(fn)),
    );
    const sendJobs = await t.deps.db
      .selectFrom('jobs')
      .select(['name', 'idempotency_key'])
      .where('name', '=', 'mail.send-message')
      .where('idempotency_key', '=', message.id)
      .execute();
    expect(sendJobs).toHaveLength(1);
    // A worker with the mail jobs sends it (once more, same message), and it is delivered.
    const worker = new JobWorker({
      handle: t.deps.handle,
      definitions: collectJobs(t.deps),
      clock,
      log: t.deps.log,
      concurrency: { critical: 1, default: 1, bulk: 1 },
      pollMs: 50,
    });
    await worker.start();
    try {
      worker.wake();
      await until('delivered', async () => (await messageOf(email)).status === 'delivered');
    } finally {
      await worker.stop(1000);
    }
    expect(mailsTo(email)).toHaveLength(2);
    expect(await sentEvents(contactId)).toHaveLength(1);
    await t.deps.db.deleteFrom('jobs').where('id', '=', job!.id).execute();
  });
});
