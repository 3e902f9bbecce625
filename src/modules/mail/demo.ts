import { demoAdminActor } from '../../shared/demo-actor.js';
import type { DemoContext } from '../../shared/module.js';
import { findWorkspaceById } from '../workspaces/index.js';
import { processReport } from './bounces/bounce.service.js';
import { enqueueBulkSend, startBulkSend } from './bulk-send.service.js';
import { deliverMessages } from './delivery.service.js';
import { enqueueMessage } from './enqueue-message.js';
import { createMailRuntime, type MailWiring } from './runtime.js';
import { addSendingDomain } from './sending-domains.service.js';
import { updateMailSettings } from './settings.service.js';
import { createTemplate } from './templates.service.js';
import { createOutboxTransport } from './transport.js';

/*
 * Demo data: a workspace layout with imprint and sender, a sending domain with its DKIM key, a
 * marketing newsletter and a transactional white-paper mail (de and en), and mail that really went
 * through the send path into the outbox: the newsletter to every demo contact with consent (those
 * who withdrew are skipped with the reason), one white paper, and a hard bounce that suppressed
 * its address.
 */

const NEWSLETTER = {
  de: {
    subject: '{{ contact.first_name | default: "Neu" }}: Instandhaltung 4.0 – Whitepaper und Webinar',
    preheader: 'Ergebnisse aus 40 Kundenprojekten',
    bodyMjml: `<mj-section background-color="#ffffff" padding="24px 0">
  <mj-column>
    <mj-text font-size="22px" font-weight="700">Hallo {{ contact.first_name | default: "liebe Leserin, lieber Leser" }},</mj-text>
    <mj-text>im November dreht sich bei uns alles um vorausschauende Instandhaltung. Für
      {% if contact.company_name %}{{ contact.company_name }}{% else %}Ihr Unternehmen{% endif %} haben wir die
      wichtigsten Ergebnisse aus 40 Kundenprojekten zusammengefasst.</mj-text>
    <mj-button href="https://nordlicht.example/whitepaper/instandhaltung?utm_source=newsletter">Whitepaper lesen</mj-button>
    <mj-text>Am 12. Dezember zeigen wir im Webinar, wie Sie Sensordaten Ihrer Anlagen in 30 Tagen nutzbar machen.</mj-text>
  </mj-column>
</mj-section>`,
  },
  en: {
    subject: '{{ contact.first_name | default: "New" }}: Maintenance 4.0 – white paper and webinar',
    preheader: 'Results from 40 customer projects',
    bodyMjml: `<mj-section background-color="#ffffff" padding="24px 0">
  <mj-column>
    <mj-text font-size="22px" font-weight="700">Hello {{ contact.first_name | default: "there" }},</mj-text>
    <mj-text>this November is all about predictive maintenance. For
      {% if contact.company_name %}{{ contact.company_name }}{% else %}your company{% endif %} we summarised the key
      results of 40 customer projects.</mj-text>
    <mj-button href="https://nordlicht.example/en/whitepaper/maintenance?utm_source=newsletter">Read the white paper</mj-button>
    <mj-text>On 12 December our webinar shows how to put your machines' sensor data to use within 30 days.</mj-text>
  </mj-column>
</mj-section>`,
  },
};

const WHITEPAPER = {
  de: {
    subject: 'Ihr Whitepaper: {{ asset_title }}',
    preheader: 'Der Download-Link ist 7 Tage gültig',
    bodyMjml: `<mj-section background-color="#ffffff" padding="24px 0">
  <mj-column>
    <mj-text>Guten Tag {{ contact.first_name }} {{ contact.last_name }},</mj-text>
    <mj-text>vielen Dank für Ihr Interesse. Hier ist das Whitepaper „{{ asset_title }}“:</mj-text>
    <mj-button href="{{ download_url }}">Jetzt herunterladen</mj-button>
  </mj-column>
</mj-section>`,
  },
  en: {
    subject: 'Your white paper: {{ asset_title }}',
    preheader: 'The download link is valid for 7 days',
    bodyMjml: `<mj-section background-color="#ffffff" padding="24px 0">
  <mj-column>
    <mj-text>Hello {{ contact.first_name }} {{ contact.last_name }},</mj-text>
    <mj-text>thank you for your interest. Here is the white paper "{{ asset_title }}":</mj-text>
    <mj-button href="{{ download_url }}">Download now</mj-button>
  </mj-column>
</mj-section>`,
  },
};

export async function seedMailDemo(ctx: DemoContext, wiring: MailWiring): Promise<void> {
  const { deps, workspaceId } = ctx;
  const { db, clock } = deps;
  const { actor, email: adminEmail } = await demoAdminActor(ctx);
  const workspace = await findWorkspaceById(db, workspaceId);
  const domain = adminEmail.slice(adminEmail.indexOf('@') + 1);

  await updateMailSettings(db, clock, actor, workspaceId, {
    fromName: workspace?.name ?? 'Nordlicht Maschinenbau',
    fromEmail: `news@${domain}`,
    replyTo: `marketing@${domain}`,
    imprint: [
      workspace?.name ?? 'Nordlicht Maschinenbau GmbH',
      'Hafenstraße 12, 20457 Hamburg',
      'Geschäftsführung: Katrin Vogel',
      'Registergericht: Amtsgericht Hamburg, HRB 123456',
      'USt-IdNr.: DE123456789',
      `Kontakt: info@${domain}, +49 40 123456-0`,
    ].join('\n'),
    accentColor: '#0b5cad',
    softBounceLimit: 3,
  });
  await addSendingDomain(db, clock, deps.config.secretKey, actor, workspaceId, {
    domain,
    selector: 'lw2026',
  });

  // The demo always fills the outbox, whatever SMTP_URL says: its addresses are not real.
  const runtime = createMailRuntime(wiring, createOutboxTransport());
  const newsletter = await createTemplate(db, runtime.renderer, clock, actor, workspaceId, {
    name: 'Newsletter November: Instandhaltung 4.0',
    kind: 'marketing',
    purpose: 'newsletter',
    variants: NEWSLETTER,
  });
  const whitepaper = await createTemplate(db, runtime.renderer, clock, actor, workspaceId, {
    name: 'Whitepaper-Versand',
    kind: 'transactional',
    variants: WHITEPAPER,
  });

  const jobCtx = {
    db,
    clock,
    log: deps.log,
    completeWith: <T>(fn: (trx: import('../../shared/db/index.js').Trx) => Promise<T>) =>
      db.transaction().execute(fn),
  };

  // The newsletter to everyone with a confirmed newsletter consent, through the real path.
  const send = await startBulkSend(db, deps, actor, workspaceId, { templateId: newsletter.template.id });
  await enqueueBulkSend(deps, send.id, jobCtx);
  const queued = await db.selectFrom('messages').select('id').where('send_id', '=', send.id).execute();
  for (let i = 0; i < queued.length; i += 100) {
    await deliverMessages(
      deps,
      runtime,
      queued.slice(i, i + 100).map((m) => m.id),
      jobCtx,
    );
  }

  // Marketing mail to contacts who withdrew or never confirmed: skipped at send time, with the reason.
  const others = await db
    .selectFrom('consents as co')
    .innerJoin('contacts as c', 'c.id', 'co.contact_id')
    .select(['c.id', 'c.email', 'c.locale', 'c.first_name', 'c.last_name', 'co.status'])
    .where('co.workspace_id', '=', workspaceId)
    .where('co.purpose', '=', 'newsletter')
    .where('co.status', '!=', 'confirmed')
    .limit(3)
    .execute();
  const extra: string[] = [];
  for (const c of others) {
    const { messageId, skipped } = await db.transaction().execute((trx) =>
      enqueueMessage(trx, deps, {
        workspaceId,
        kind: 'marketing',
        purpose: 'newsletter',
        contactId: c.id,
        to: c.email,
        locale: c.locale ?? 'de',
        template: { id: newsletter.template.id },
      }),
    );
    if (!skipped) extra.push(messageId);
  }

  // A white paper for one contact (transactional: no consent needed).
  const reader = await db
    .selectFrom('contacts')
    .select(['id', 'email', 'locale'])
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at')
    .limit(1)
    .executeTakeFirst();
  if (reader) {
    const { messageId } = await db.transaction().execute((trx) =>
      enqueueMessage(trx, deps, {
        workspaceId,
        kind: 'transactional',
        contactId: reader.id,
        to: reader.email,
        locale: reader.locale ?? 'de',
        template: {
          id: whitepaper.template.id,
          variables: {
            asset_title: 'Instandhaltung 4.0',
            download_url: `${deps.config.publicUrl}/d/demo-whitepaper`,
          },
        },
        lane: 'critical',
      }),
    );
    extra.push(messageId);
  }
  await deliverMessages(deps, runtime, extra, jobCtx);

  // One newsletter came back: the mailbox does not exist. The DSN suppresses the address.
  const bounced = await db
    .selectFrom('messages')
    .select(['id', 'to_email', 'message_id_header'])
    .where('send_id', '=', send.id)
    .where('status', '=', 'sent')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (bounced?.message_id_header) {
    const dsn = [
      'From: MAILER-DAEMON@mx.kunde.example (Mail Delivery System)',
      `To: news@${domain}`,
      'Subject: Undelivered Mail Returned to Sender',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="demo-dsn"',
      '',
      '--demo-dsn',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      'Your message could not be delivered.',
      '',
      '--demo-dsn',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.kunde.example',
      '',
      `Final-Recipient: rfc822; ${bounced.to_email}`,
      'Action: failed',
      'Status: 5.1.1',
      `Diagnostic-Code: smtp; 550 5.1.1 <${bounced.to_email}>: Recipient address rejected: User unknown`,
      '',
      '--demo-dsn',
      'Content-Type: text/rfc822-headers',
      '',
      `Message-ID: <${bounced.message_id_header}>`,
      '',
      '--demo-dsn--',
      '',
    ].join('\r\n');
    await processReport(
      {
        db,
        secretKey: deps.config.secretKey,
        now: clock.now(),
        log: deps.log,
        recordActivities: wiring.recordActivities,
      },
      dsn,
      { source: 'upload', workspaceId },
    );
  }
}
