import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeMailRuntime, enqueueMessage } from '../../src/modules/mail/index.js';
import { dnsReport } from '../../src/modules/mail/sending-domains.service.js';
import { MODULES } from '../../src/modules.js';
import { collectJobs } from '../../src/server.js';
import { newId } from '../../src/shared/ids.js';
import { JobWorker } from '../../src/shared/jobs/index.js';
import { type Caller, createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';
import { createConsentedContact, TEST_IMPRINT, until } from '../support/mail.js';

const kinds = await availableDbKinds();

const BODY = `<mj-section><mj-column>
  <mj-text>Hallo {{ contact.first_name | default: "zusammen" }}, hier ist unser Angebot.</mj-text>
  <mj-button href="https://acme.example/angebot?x=1&amp;y=2">Ansehen</mj-button>
</mj-column></mj-section>`;

function fixture(name: string, vars: Record<string, string>): string {
  let text = readFileSync(new URL(`../fixtures/mail-reports/${name}`, import.meta.url), 'utf8');
  for (const [k, v] of Object.entries(vars)) text = text.replaceAll(`{{${k}}}`, v);
  return text;
}

describe.each(kinds)('mail API on %s', (kind) => {
  let t: TestApp;
  let admin: Caller;
  let worker: JobWorker;

  beforeAll(async () => {
    t = await createTestApp(kind);
    admin = await t.login();
    worker = new JobWorker({
      handle: t.deps.handle,
      definitions: collectJobs(t.deps),
      clock: t.deps.clock,
      log: t.deps.log,
      concurrency: { critical: 2, default: 2, bulk: 2 },
      pollMs: 50,
    });
    await worker.start();
  });
  afterAll(async () => {
    await worker?.stop(1000);
    if (t) await closeMailRuntime(t.deps);
    await t?.close();
  });

  const api = (
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    payload?: unknown,
    headers = {},
  ) =>
    t.app.inject({
      method,
      url,
      headers: admin.headers(headers),
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });

  async function auditActions(): Promise<string[]> {
    const rows = await t.deps.db
      .selectFrom('audit_log')
      .select('action')
      .where('workspace_id', '=', admin.workspaceId)
      .execute();
    return rows.map((r) => r.action);
  }

  it('refuses marketing sends without an imprint, then saves the settings with an audit entry', async () => {
    const created = await api('POST', '/api/v1/mail/templates', {
      name: 'Newsletter März',
      kind: 'marketing',
      purpose: 'newsletter',
      variants: { de: { subject: 'Hallo {{ contact.first_name }}', bodyMjml: BODY } },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().template.id;
    const refused = await api('POST', `/api/v1/mail/templates/${id}/send`);
    expect(refused.statusCode).toBe(422);
    expect(refused.json().error.code).toBe('MAIL_IMPRINT_MISSING');
    const de = await t.app.inject({
      method: 'POST',
      url: `/api/v1/mail/templates/${id}/test`,
      headers: admin.headers({ 'accept-language': 'de' }),
      payload: { locale: 'de' },
    });
    expect(de.json().error.message).toContain('Impressum');

    const saved = await api('PUT', '/api/v1/mail/settings', {
      fromName: 'Acme News',
      fromEmail: 'news@acme.example',
      imprint: TEST_IMPRINT,
      accentColor: '#0b5cad',
    });
    expect(saved.statusCode).toBe(200);
    expect(saved.json().settings).toMatchObject({
      canSendMarketing: true,
      transport: 'outbox',
      fromEmail: 'news@acme.example',
    });
    expect(await auditActions()).toEqual(
      expect.arrayContaining(['mail.template-created', 'mail.settings-updated']),
    );
  });

  it('refuses Liquid syntax errors and tags that reach files', async () => {
    const wrap = (s: string) => `<mj-section><mj-column><mj-text>${s}</mj-text></mj-column></mj-section>`;
    for (const bodyMjml of [
      wrap('{% if contact.first_name %}unclosed'),
      wrap('{{ contact.first_name | no_such_filter }}'),
      wrap("{% include '/etc/passwd' %}"),
      wrap("{% render 'secrets' %}"),
    ]) {
      const res = await api('POST', '/api/v1/mail/templates', {
        name: 'Kaputt',
        kind: 'transactional',
        variants: { en: { subject: 'x', bodyMjml } },
      });
      expect(res.statusCode).toBe(422);
      expect(res.json().error.code).toBe('MAIL_TEMPLATE_INVALID');
    }
  });

  it('previews unsaved MJML in the layout, with MJML warnings by line', async () => {
    const res = await api('POST', '/api/v1/mail/preview', {
      kind: 'marketing',
      locale: 'de',
      subject: 'Hallo {{ contact.first_name }}',
      bodyMjml: `${BODY}\n<mj-section><mj-column><mj-text foo="bar">x</mj-text></mj-column></mj-section>`,
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.subject).toBe('Hallo Anna');
    expect(body.html).toContain('Hallo Anna, hier ist unser Angebot.');
    expect(body.html).toContain('Musterstraße 1');
    expect(body.html).toContain('/u/preview');
    expect(body.text).toContain('Vom Empfang abmelden');
    expect(body.warnings[0]).toMatchObject({ line: 5 });
    expect(body.warnings[0].message).toContain('foo');
  });

  it('sends a test mail to the user into the outbox, shown with headers, HTML and text', async () => {
    const list = await api('GET', '/api/v1/mail/templates');
    const id = list.json().items.find((x: { name: string }) => x.name === 'Newsletter März').id;
    const res = await api('POST', `/api/v1/mail/templates/${id}/test`, { locale: 'de' });
    expect(res.statusCode).toBe(202);
    expect(res.json().to).toBe('admin@example.com');
    const item = await until('in the outbox', async () => {
      const out = await api('GET', '/api/v1/mail/outbox');
      return out.json().items.find((o: { messageId: string }) => o.messageId === res.json().messageId);
    });
    const mail = (await api('GET', `/api/v1/mail/outbox/${item.id}`)).json();
    expect(mail.subject).toBe('Hallo Anna');
    expect(mail.from).toContain('news@acme.example');
    expect(mail.html).toContain('Hallo Anna, hier ist unser Angebot.');
    expect(mail.text).toContain('Hallo Anna, hier ist unser Angebot.');
    expect(mail.headers.map((h: { name: string }) => h.name)).toEqual(
      expect.arrayContaining([
        'From',
        'To',
        'Subject',
        'Message-ID',
        'MIME-Version',
        'Content-Type',
        'X-Leadwerk-Test',
      ]),
    );
    const detail = (await api('GET', `/api/v1/mail/messages/${res.json().messageId}`)).json();
    expect(detail.message).toMatchObject({ status: 'sent', isTest: true });
    expect(detail.events.map((e: { type: string }) => e.type)).toEqual(['queued', 'sent']);
    expect(detail.outboxId).toBe(item.id);
  });

  it('delivers the double opt-in style transactional mail from enqueueMessage to the outbox', async () => {
    const { messageId } = await t.deps.db.transaction().execute((trx) =>
      enqueueMessage(trx, t.deps, {
        workspaceId: admin.workspaceId,
        kind: 'transactional',
        to: 'neu@kunde.example',
        locale: 'de',
        content: {
          subject: 'Bitte bestätigen Sie',
          html: '<p>Bitte <a href="https://x.example/c/1">bestätigen</a></p>',
          text: 'Bitte bestätigen',
        },
        lane: 'critical',
      }),
    );
    const row = await until('sent', async () => {
      const m = (await api('GET', `/api/v1/mail/messages/${messageId}`)).json().message;
      return m.status === 'sent' ? m : undefined;
    });
    expect(row.subject).toBe('Bitte bestätigen Sie');
    expect(row.contentRedactedAt).not.toBeNull();
    // Transactional mail has no unsubscribe headers.
    const out = await t.deps.db
      .selectFrom('outbox_messages')
      .select('raw')
      .where('message_id', '=', messageId)
      .executeTakeFirstOrThrow();
    expect(out.raw).not.toMatch(/^List-Unsubscribe/m);
    // The outbox stands in for the recipient's mailbox and keeps the working link (30 days); the
    // message log keeps only the link's origin.
    expect(out.raw).toContain('https://x.example/c/1');
    const stored = await t.deps.db
      .selectFrom('messages')
      .select('content')
      .where('id', '=', messageId)
      .executeTakeFirstOrThrow();
    expect(stored.content!.html).toBe('<p>Bitte <a href="https://x.example/…">bestätigen</a></p>');
  });

  it('sends to everyone with consent, tracks only those with tracking consent, and records opens and clicks', async () => {
    await api('PUT', '/api/v1/mail/settings', { trackingEnabled: true });
    const ws = admin.workspaceId;
    const tracked = await createConsentedContact(
      t.deps.db,
      ws,
      'tracked@kunde.example',
      ['newsletter', 'tracking'],
      { firstName: 'Tina' },
    );
    const plain = await createConsentedContact(t.deps.db, ws, 'plain@kunde.example', ['newsletter'], {
      firstName: 'Paul',
    });
    const list = await api('GET', '/api/v1/mail/templates');
    const id = list.json().items.find((x: { name: string }) => x.name === 'Newsletter März').id;
    const started = await api('POST', `/api/v1/mail/templates/${id}/send`);
    expect(started.statusCode).toBe(202);
    const sendId = started.json().send.id;
    const done = await until('both sent', async () => {
      const res = await api('GET', `/api/v1/mail/messages?sendId=${sendId}`);
      const items = res.json().items;
      return items.length === 2 && items.every((m: { status: string }) => m.status === 'sent')
        ? items
        : undefined;
    });
    const byContact = Object.fromEntries(done.map((m: { contactId: string }) => [m.contactId, m]));
    expect(byContact[tracked].tracking).toBe(true);
    expect(byContact[plain].tracking).toBe(false);

    const raw = async (messageId: string) =>
      (
        await t.deps.db
          .selectFrom('outbox_messages')
          .select('raw')
          .where('message_id', '=', messageId)
          .executeTakeFirstOrThrow()
      ).raw;
    const plainRaw = await raw(byContact[plain].id);
    expect(plainRaw).not.toContain('/t/c/');
    expect(plainRaw).not.toContain('/t/o/');
    const trackedMail = (
      await api(
        'GET',
        `/api/v1/mail/outbox/${(await t.deps.db.selectFrom('outbox_messages').select('id').where('message_id', '=', byContact[tracked].id).executeTakeFirstOrThrow()).id}`,
      )
    ).json();
    const click = /href="([^"]*\/t\/c\/[^"]+)"/.exec(trackedMail.html)![1]!.replace(/&amp;/g, '&');
    const pixel = /src="([^"]*\/t\/o\/[^"]+)"/.exec(trackedMail.html)![1]!;
    // The unsubscribe link is never rewritten.
    expect(trackedMail.html).toMatch(/href="http:\/\/localhost:0\/u\/[A-Za-z0-9_-]{24}"/);

    const go = await t.app.inject({ method: 'GET', url: click.replace(t.deps.config.publicUrl, '') });
    expect(go.statusCode).toBe(302);
    expect(go.headers.location).toBe('https://acme.example/angebot?x=1&y=2');
    const img = await t.app.inject({ method: 'GET', url: pixel.replace(t.deps.config.publicUrl, '') });
    expect(img.headers['content-type']).toBe('image/gif');
    const forged = await t.app.inject({
      method: 'GET',
      url: click.replace(/u=[^&]+/, 'u=https%3A%2F%2Fevil.example'),
    });
    expect(forged.statusCode).toBe(404);

    const detail = (await api('GET', `/api/v1/mail/messages/${byContact[tracked].id}`)).json();
    expect(detail.message).toMatchObject({ clickCount: 1, openCount: 1 });
    expect(detail.events.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['clicked']));
    const timeline = await t.deps.db
      .selectFrom('activities')
      .select('type')
      .where('contact_id', '=', tracked)
      .execute();
    expect(timeline.map((a) => a.type)).toEqual(expect.arrayContaining(['mail.sent', 'mail.clicked']));
  });

  it('manages the suppression list with audit entries; unsubscribes cannot be removed', async () => {
    const add = await api('POST', '/api/v1/suppressions', {
      email: 'Weg@Kunde.example',
      note: 'asked by phone',
    });
    expect(add.statusCode).toBe(201);
    expect(add.json()).toMatchObject({ created: true, suppression: { reason: 'manual', removable: true } });
    const found = await api('POST', '/api/v1/suppressions/lookup', { email: 'weg@kunde.example' });
    expect(found.json().suppression.hash).toBe(add.json().suppression.hash);
    const list = await api('GET', '/api/v1/suppressions?reason=manual');
    expect(list.json().items.map((i: { hash: string }) => i.hash)).toContain(add.json().suppression.hash);
    const removed = await api('DELETE', `/api/v1/suppressions/${add.json().suppression.hash}`);
    expect(removed.statusCode).toBe(204);
    expect(
      (await api('POST', '/api/v1/suppressions/lookup', { email: 'weg@kunde.example' })).json().suppression,
    ).toBeNull();

    const { addSuppression, suppressionHash } = await import('../../src/modules/suppression/index.js');
    await addSuppression(t.deps.db, admin.workspaceId, 'unsub@kunde.example', { reason: 'unsubscribed' });
    const locked = await api(
      'DELETE',
      `/api/v1/suppressions/${suppressionHash(admin.workspaceId, 'unsub@kunde.example')}`,
    );
    expect(locked.statusCode).toBe(409);
    expect(locked.json().error.code).toBe('SUPPRESSION_PROTECTED');
    expect(await auditActions()).toEqual(
      expect.arrayContaining(['suppression.added', 'suppression.removed']),
    );
  });

  it('adds a sending domain with an encrypted DKIM key and reports the DNS records it needs', async () => {
    const res = await api('POST', '/api/v1/mail/domains', { domain: 'Acme.Example', selector: 'lw1' });
    expect(res.statusCode).toBe(201);
    const domain = res.json().domain;
    expect(domain).toMatchObject({ domain: 'acme.example', returnPathDomain: 'bounces.acme.example' });
    const again = await api('POST', '/api/v1/mail/domains', { domain: 'acme.example' });
    expect(again.json().error.code).toBe('SENDING_DOMAIN_TAKEN');
    const stored = await t.deps.db
      .selectFrom('sending_domains')
      .selectAll()
      .where('id', '=', domain.id)
      .executeTakeFirstOrThrow();
    expect(stored.dkim_private_key).toMatch(/^v1\./);
    expect(stored.dkim_private_key).not.toContain('PRIVATE KEY');

    const report = (await api('GET', `/api/v1/mail/domains/${domain.id}/dns`)).json();
    const byPurpose = Object.fromEntries(report.records.map((r: { purpose: string }) => [r.purpose, r]));
    expect(byPurpose.dkim).toMatchObject({
      type: 'TXT',
      name: 'lw1._domainkey.acme.example',
      status: 'unchecked',
    });
    expect(byPurpose.dkim.value).toBe(`v=DKIM1; k=rsa; p=${stored.dkim_public_key}`);
    expect(byPurpose.spf).toMatchObject({ name: 'bounces.acme.example' });
    expect(byPurpose.dmarc.name).toBe('_dmarc.acme.example');

    const checked = await dnsReport(t.deps.db, t.deps.clock, admin.workspaceId, domain.id, {
      check: true,
      lookup: {
        txt: async (name) =>
          name.startsWith('lw1._domainkey')
            ? [`v=DKIM1; k=rsa; p=${stored.dkim_public_key}`]
            : name.startsWith('_dmarc')
              ? ['v=DMARC1; p=quarantine']
              : [],
        mx: async () => [],
      },
    });
    const status = Object.fromEntries(checked.records.map((r) => [r.purpose, r.status]));
    expect(status).toEqual({ dkim: 'ok', dmarc: 'ok', spf: 'missing' });
    // The stored check shows up without asking DNS again.
    const later = (await api('GET', `/api/v1/mail/domains/${domain.id}/dns`)).json();
    expect(later.checkedAt).not.toBeNull();
    expect(later.records.find((r: { purpose: string }) => r.purpose === 'dkim').status).toBe('ok');
  });

  it('processes an uploaded bounce and complaint: matched by Message-ID, suppressed, idempotent', async () => {
    const contactId = await createConsentedContact(t.deps.db, admin.workspaceId, 'kaputt@kunde.example', [
      'newsletter',
    ]);
    const { messageId } = await t.deps.db.transaction().execute((trx) =>
      enqueueMessage(trx, t.deps, {
        workspaceId: admin.workspaceId,
        kind: 'marketing',
        purpose: 'newsletter',
        contactId,
        to: 'kaputt@kunde.example',
        locale: 'de',
        content: { subject: 'News', html: '<p>News</p>', text: 'News' },
      }),
    );
    const sent = await until('sent', async () => {
      const m = await t.deps.db
        .selectFrom('messages')
        .selectAll()
        .where('id', '=', messageId)
        .executeTakeFirstOrThrow();
      return m.status === 'sent' ? m : undefined;
    });
    const dsn = fixture('gmail-hard.eml', {
      MESSAGE_ID: sent.message_id_header!,
      VERP: 'someone@elsewhere.example',
      RECIPIENT: 'kaputt@kunde.example',
    });
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/mail/reports',
      headers: admin.headers({ 'content-type': 'message/rfc822' }),
      payload: dsn,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      kind: 'bounce',
      messageId,
      actions: ['suppressed:hard_bounce'],
      duplicate: false,
    });
    const again = await api('POST', '/api/v1/mail/reports', { raw: dsn });
    expect(again.json()).toMatchObject({ duplicate: true, actions: [] });
    const m = (await api('GET', `/api/v1/mail/messages/${messageId}`)).json().message;
    expect(m).toMatchObject({ status: 'bounced', bounceType: 'hard' });
    expect(m.statusReason).toContain('5.1.1');
    const lookup = await api('POST', '/api/v1/suppressions/lookup', { email: 'kaputt@kunde.example' });
    expect(lookup.json().suppression).toMatchObject({ reason: 'hard_bounce', source: 'dsn:5.1.1' });

    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/v1/mail/reports',
      headers: admin.headers({ 'content-type': 'text/plain' }),
      payload: 'From: a@b.example\r\nSubject: hello\r\n\r\nnot a report',
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.code).toBe('MAIL_REPORT_UNREADABLE');
    const reports = (await api('GET', '/api/v1/mail/reports')).json().items;
    expect(reports[0]).toMatchObject({
      kind: 'bounce',
      bounceType: 'hard',
      statusCode: '5.1.1',
      source: 'upload',
    });
  });

  it('needs mail permissions: a viewer reads but cannot write', async () => {
    const res = await api('POST', '/api/v1/members', {
      email: 'viewer@example.com',
      role: 'viewer',
      password: 'viewer-password-123',
    });
    expect(res.statusCode).toBe(201);
    const viewer = await t.login('viewer@example.com', 'viewer-password-123');
    const read = await t.app.inject({
      method: 'GET',
      url: '/api/v1/mail/templates',
      headers: viewer.headers(),
    });
    expect(read.statusCode).toBe(200);
    const write = await t.app.inject({
      method: 'POST',
      url: '/api/v1/suppressions',
      headers: viewer.headers(),
      payload: { email: 'x@y.example' },
    });
    expect(write.statusCode).toBe(403);
  });

  it('deletes outbox mail after 30 days', async () => {
    const old = new Date(t.deps.clock.now().getTime() - 31 * 86_400_000);
    await t.deps.db
      .insertInto('outbox_messages')
      .values({
        id: newId(),
        workspace_id: admin.workspaceId,
        envelope_from: 'a@b.example',
        envelope_to: 'c@d.example',
        subject: 'old',
        raw: 'x',
        created_at: old,
      })
      .execute();
    const mail = MODULES.find((m) => m.name === 'mail')!;
    const purge = mail.recurring!(t.deps).find((r) => r.job.name === 'mail.purge-outbox')!;
    await purge.job.handler({}, { db: t.deps.db, log: t.deps.log, clock: t.deps.clock } as never);
    const left = await t.deps.db
      .selectFrom('outbox_messages')
      .select('subject')
      .where('workspace_id', '=', admin.workspaceId)
      .execute();
    expect(left.map((o) => o.subject)).not.toContain('old');
    expect(left.length).toBeGreaterThan(0);
  });
});
