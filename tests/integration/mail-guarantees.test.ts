import { readFileSync } from 'node:fs';
import { simpleParser } from 'mailparser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { recordActivities } from '../../src/modules/contacts/index.js';
import { closeMailRuntime, enqueueMessage, processReport } from '../../src/modules/mail/index.js';
import { SEND_MESSAGE_JOB } from '../../src/modules/mail/mail.jobs.js';
import { upsertMailSettings } from '../../src/modules/mail/settings.repository.js';
import { insertTemplate, upsertVariant } from '../../src/modules/mail/templates.repository.js';
import { isSuppressed } from '../../src/modules/suppression/index.js';
import { collectJobs } from '../../src/server.js';
import { ManualClock } from '../../src/shared/clock.js';
import { newId } from '../../src/shared/ids.js';
import { JobWorker } from '../../src/shared/jobs/index.js';
import { availableDbKinds, createTestDeps, type TestDeps } from '../support/deps.js';
import { addTestSendingDomain, createConsentedContact, createMailWorkspace, until } from '../support/mail.js';
import { SmtpSink } from '../support/smtp-sink.js';

/*
 * The promises of docs/practices/mail.md that the other mail tests do not pin: a send job that
 * runs twice sends one mail; a run that died between the server's 250 and our record sends once
 * more with the same Message-ID (the documented "at most twice"); soft bounces suppress only after
 * the workspace's threshold, hard bounces at once.
 */

const kinds = await availableDbKinds();

function fixture(name: string, vars: Record<string, string>): string {
  let text = readFileSync(new URL(`../fixtures/mail-reports/${name}`, import.meta.url), 'utf8');
  for (const [k, v] of Object.entries(vars)) text = text.replaceAll(`{{${k}}}`, v);
  return text;
}

describe.each(kinds)('mail guarantees on %s', (kind) => {
  const clock = new ManualClock('2026-03-02T08:00:00Z');
  const sink = new SmtpSink();
  let deps: TestDeps;
  let worker: JobWorker;
  let ws: string;

  beforeAll(async () => {
    await sink.start();
    deps = await createTestDeps(kind, { clock, config: { smtpUrl: sink.url, smtpPoolSize: 2 } });
    ws = await createMailWorkspace(deps);
    await addTestSendingDomain(deps, ws);
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
  });
  afterAll(async () => {
    await worker?.stop(1000);
    if (deps) await closeMailRuntime(deps);
    await sink.stop();
    await deps?.cleanup();
  });

  const rowOf = (id: string) =>
    deps.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  async function sendAndWait(to: string): Promise<Awaited<ReturnType<typeof rowOf>>> {
    const { messageId } = await deps.db.transaction().execute((trx) =>
      enqueueMessage(trx, deps, {
        workspaceId: ws,
        kind: 'transactional',
        to,
        locale: 'de',
        content: { subject: 'Ihr Angebot', html: '<p>Anbei das Angebot.</p>', text: 'Anbei das Angebot.' },
      }),
    );
    worker.wake();
    return until('delivered', async () => {
      const r = await rowOf(messageId);
      return r.status === 'delivered' ? r : undefined;
    });
  }

  /** Runs the send job for a message once more and waits until it finished. */
  async function runSendJobAgain(messageId: string, key: string): Promise<void> {
    const jobId = await deps.queue.enqueue(
      deps.db,
      SEND_MESSAGE_JOB,
      { messageId },
      { workspaceId: ws, idempotencyKey: key },
    );
    worker.wake();
    await until('second job done', async () => {
      const job = await deps.db
        .selectFrom('jobs')
        .select('state')
        .where('id', '=', jobId!)
        .executeTakeFirst();
      return job === undefined || !['queued', 'running'].includes(job.state);
    });
  }

  const arrivedFor = (to: string) => sink.received.filter((m) => m.to.includes(to));

  it('sends one mail when the send job of a message runs twice', async () => {
    const row = await sendAndWait('einmal@kunde.example');
    await runSendJobAgain(row.id, `again:${row.id}`);
    await runSendJobAgain(row.id, `again2:${row.id}`);
    expect(arrivedFor('einmal@kunde.example')).toHaveLength(1);
    expect(await rowOf(row.id)).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('after a crash between the 250 and the record, sends once more with the same Message-ID', async () => {
    const row = await sendAndWait('crash@kunde.example');
    // What a worker that died after the server's 250 leaves behind: the message still "sending".
    await deps.db.updateTable('messages').set({ status: 'sending' }).where('id', '=', row.id).execute();
    await runSendJobAgain(row.id, `crash:${row.id}`);
    const copies = arrivedFor('crash@kunde.example');
    expect(copies).toHaveLength(2);
    const ids = copies.map((m) => /^Message-ID: <([^>]+)>/im.exec(m.raw)?.[1]);
    expect(ids[0]).toBe(row.message_id_header);
    expect(ids[1]).toBe(row.message_id_header);
    expect(await rowOf(row.id)).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it("renders the recipient's language variant inside the layout: logo, body, unsubscribe link, imprint", async () => {
    const own = await createMailWorkspace(deps, { name: 'Nordlicht' });
    await upsertMailSettings(
      deps.db,
      own,
      { logo_url: 'https://cdn.nordlicht.example/logo.png' },
      clock.now(),
    );
    const now = clock.now();
    const template = await insertTemplate(deps.db, {
      id: newId(),
      workspace_id: own,
      name: 'Herbst',
      kind: 'marketing',
      purpose: 'newsletter',
      created_by: null,
      created_at: now,
    });
    for (const [locale, hello] of [
      ['de', 'Hallo'],
      ['en', 'Hello'],
    ] as const) {
      await upsertVariant(deps.db, {
        workspace_id: own,
        template_id: template.id,
        locale,
        subject: `${hello} {{ contact.first_name | default: "…" }}`,
        preheader: '',
        body_mjml: `<mj-section><mj-column><mj-text>${hello} {{ contact.first_name }}</mj-text></mj-column></mj-section>`,
        updated_at: now,
      });
    }
    const sent = new Map<string, string>();
    for (const [email, locale, name] of [
      ['greta@kunde.example', 'de', 'Greta'],
      ['grace@client.example', 'en', 'Grace'],
    ] as const) {
      const contactId = await createConsentedContact(deps.db, own, email, ['newsletter'], {
        firstName: name,
      });
      const { messageId } = await deps.db.transaction().execute((trx) =>
        enqueueMessage(trx, deps, {
          workspaceId: own,
          kind: 'marketing',
          purpose: 'newsletter',
          contactId,
          to: email,
          locale,
          template: { id: template.id },
        }),
      );
      worker.wake();
      await until('delivered', async () => (await rowOf(messageId)).status === 'delivered');
      sent.set(email, arrivedFor(email)[0]!.raw);
    }
    const de = await simpleParser(sent.get('greta@kunde.example')!);
    const en = await simpleParser(sent.get('grace@client.example')!);
    expect(de.subject).toBe('Hallo Greta');
    expect(en.subject).toBe('Hello Grace');
    for (const [mail, unsubscribe] of [
      [de, 'Vom Empfang abmelden'],
      [en, 'Unsubscribe'],
    ] as const) {
      expect(mail.html).toContain('src="https://cdn.nordlicht.example/logo.png"');
      expect(mail.html).toContain('Musterstraße 1');
      expect(mail.text).toContain(unsubscribe);
    }
    for (const raw of sent.values()) expect(raw).toMatch(/^List-Unsubscribe: <http[^>]+\/u\/[^>]+>/m);
  });

  it('suppresses an address after the third soft bounce in 30 days, not before', async () => {
    const ctx = () => ({
      db: deps.db,
      secretKey: deps.config.secretKey,
      now: clock.now(),
      log: deps.log,
      recordActivities,
    });
    const address = 'voll@kunde.example';
    const outcomes = [];
    for (let i = 0; i < 3; i++) {
      const row = await sendAndWait(address);
      const dsn = fixture('outlook-soft.eml', {
        MESSAGE_ID: row.message_id_header!,
        VERP: 'postmaster-inbox@acme.example',
        RECIPIENT: address,
      });
      outcomes.push(await processReport(ctx(), dsn, { source: 'upload', workspaceId: ws }));
      expect(await rowOf(row.id)).toMatchObject({ status: 'bounced', bounce_type: 'soft' });
      if (i < 2) expect(await isSuppressed(deps.db, ws, address)).toBe(false);
      clock.advance(24 * 3600_000);
    }
    expect(outcomes.map((o) => o.actions)).toEqual([
      ['soft_bounce:1/3'],
      ['soft_bounce:2/3'],
      ['suppressed:soft_bounce_limit'],
    ]);
    expect(await isSuppressed(deps.db, ws, address)).toBe(true);
  });
});
