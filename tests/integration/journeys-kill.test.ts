import { type ChildProcess, fork } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertMailSettings } from '../../src/modules/mail/settings.repository.js';
import { insertTemplate, upsertVariant } from '../../src/modules/mail/templates.repository.js';
import { newId } from '../../src/shared/ids.js';
import { type Caller, createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';
import { createConsentedContact, TEST_IMPRINT, until } from '../support/mail.js';
import { SmtpSink } from '../support/smtp-sink.js';
import type { JourneysWorkerConfig } from './journeys-worker-process.js';

/*
 * A journey worker in its own OS process is SIGKILLed in the middle of a step (a webhook call
 * that hangs), after the first mail step: a second worker process takes the step over when the
 * lease ends, and every mail of the journey arrives exactly once. PostgreSQL only: two processes
 * cannot share the embedded database.
 */

const SCRIPT = fileURLToPath(new URL('./journeys-worker-process.ts', import.meta.url));
const postgresUp = (await availableDbKinds()).includes('postgres');

describe.skipIf(!postgresUp)('a journey worker killed mid-step (postgres)', () => {
  const sink = new SmtpSink();
  const children: ChildProcess[] = [];
  let t: TestApp;
  let admin: Caller;
  let hook: Server;
  let hookUrl: string;
  const deliveries: string[] = [];
  let holdFirst = true;

  function startWorker(): Promise<ChildProcess> {
    const cfg: JourneysWorkerConfig = {
      databaseUrl: t.deps.config.databaseUrl!,
      dataDir: t.deps.config.dataDir,
      smtpUrl: sink.url,
      publicUrl: 'https://leads.acme.example',
      leaseMs: 2_000,
    };
    const child = fork(SCRIPT, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, JOURNEYS_WORKER_CONFIG: JSON.stringify(cfg) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    return new Promise((resolve, reject) => {
      child.on('message', (m: { type?: string }) => {
        if (m.type === 'ready') resolve(child);
      });
      child.on('exit', (code) => reject(new Error(`worker process exited (${code})`)));
    });
  }

  beforeAll(async () => {
    await sink.start();
    hook = createServer((req, res) => {
      deliveries.push(String(req.headers['x-leadwerk-delivery']));
      // The first call never answers: the worker process is killed while it waits.
      if (holdFirst) {
        holdFirst = false;
        return;
      }
      res.writeHead(204).end();
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    t = await createTestApp('postgres', {
      config: { smtpUrl: sink.url, publicUrl: 'https://leads.acme.example' },
    });
    admin = await t.login();
  }, 120_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    hook?.closeAllConnections();
    await new Promise((r) => hook?.close(r));
    await t?.close();
    await sink.stop();
  });

  it('resumes the step in another process without a second mail', { timeout: 180_000 }, async () => {
    const ws = admin.workspaceId;
    await upsertMailSettings(
      t.deps.db,
      ws,
      { imprint: TEST_IMPRINT, from_email: 'news@acme.example', from_name: 'Acme News' },
      new Date(),
    );
    const templates: string[] = [];
    for (const subject of ['Willkommen', 'Wie geht es weiter']) {
      const tpl = await insertTemplate(t.deps.db, {
        id: newId(),
        workspace_id: ws,
        name: subject,
        kind: 'marketing',
        purpose: 'newsletter',
        created_by: null,
        created_at: new Date(),
      });
      await upsertVariant(t.deps.db, {
        workspace_id: ws,
        template_id: tpl.id,
        locale: 'de',
        subject,
        preheader: '',
        body_mjml: `<mj-section><mj-column><mj-text>${subject}</mj-text></mj-column></mj-section>`,
        updated_at: new Date(),
      });
      templates.push(tpl.id);
    }
    const headers = admin.headers();
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/journeys',
      headers,
      payload: {
        name: 'Kill',
        definition: {
          trigger: { type: 'manual' },
          timeZone: 'Europe/Berlin',
          startStepId: 'welcome',
          steps: [
            {
              id: 'welcome',
              type: 'send-mail',
              templateId: templates[0],
              kind: 'marketing',
              purpose: 'newsletter',
              next: 'crm',
            },
            { id: 'crm', type: 'webhook', url: hookUrl, next: 'next' },
            {
              id: 'next',
              type: 'send-mail',
              templateId: templates[1],
              kind: 'marketing',
              purpose: 'newsletter',
              next: null,
            },
          ],
          goals: [],
          exitRules: [],
          reentry: { policy: 'never' },
        },
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().journey.id as string;
    expect(
      (await t.app.inject({ method: 'POST', url: `/api/v1/journeys/${id}/activate`, headers })).statusCode,
    ).toBe(200);
    const contactId = await createConsentedContact(t.deps.db, ws, 'kill@kunde.example', ['newsletter']);

    const first = await startWorker();
    const added = await t.app.inject({
      method: 'POST',
      url: `/api/v1/journeys/${id}/contacts`,
      headers,
      payload: { contactIds: [contactId] },
    });
    expect(added.statusCode).toBe(200);
    await until('the webhook call that hangs', () => deliveries.length >= 1, 90_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    await startWorker();
    await until(
      'the journey completed',
      async () =>
        (
          await t.deps.db
            .selectFrom('journey_enrollments')
            .select('status')
            .where('journey_id', '=', id)
            .executeTakeFirst()
        )?.status === 'completed',
      90_000,
    );
    await until(
      'both mails',
      () => sink.received.filter((m) => m.to.includes('kill@kunde.example')).length >= 2,
      90_000,
    );
    // Give a duplicate the chance to show up before counting.
    await new Promise((r) => setTimeout(r, 1_500));
    const subjects = sink.received
      .filter((m) => m.to.includes('kill@kunde.example'))
      .map((m) => /^Subject: (.*)$/m.exec(m.raw)?.[1])
      .sort();
    expect(subjects).toEqual(['Willkommen', 'Wie geht es weiter'].sort());
    // The step was called again by the second process, with the same delivery id.
    expect(deliveries.length).toBe(2);
    expect(deliveries[1]).toBe(deliveries[0]);
    const runs = await t.deps.db
      .selectFrom('journey_step_runs')
      .select(['step_id', 'outcome'])
      .where('journey_id', '=', id)
      .orderBy('seq')
      .execute();
    expect(runs).toEqual([
      { step_id: 'welcome', outcome: 'completed' },
      { step_id: 'crm', outcome: 'completed' },
      { step_id: 'next', outcome: 'completed' },
    ]);
  });
});
