import type { Executor } from '../../shared/db/index.js';
import type { Contact } from '../../shared/db/schema.js';
import { normalizeEmail } from '../../shared/email.js';
import { newId } from '../../shared/ids.js';
import type { DemoContext } from '../../shared/module.js';
import { addSuppression } from '../suppression/index.js';
import { setConsentStatus } from './consent.repository.js';
import { appendConsentEvent } from './ledger.js';
import { OPT_IN_TEMPLATE_ID } from './mail-content.js';

/*
 * Demo data: contacts whose consents went through the real life cycle — requested on a form,
 * confirmation mail sent, confirmed, withdrawn by one click, objected, or still pending — each
 * with a complete, hash-chained ledger, so the DPO view and the evidence show what a court sees.
 */

const DAY = 86_400_000;
const MINUTE = 60_000;
const FORM_ID = '0190a000-0000-7000-8000-00000000d001';
const TEXTS = {
  newsletter: {
    text: 'Ja, ich möchte den Newsletter von Nordlicht Maschinenbau mit Produktneuheiten und Fachartikeln per E-Mail erhalten. Die Einwilligung kann ich jederzeit widerrufen.',
    version: 'nl-2026-01',
  },
  events: {
    text: 'Ja, bitte laden Sie mich per E-Mail zu Webinaren und Messen ein. Widerruf jederzeit möglich.',
    version: 'ev-2026-01',
  },
  phone: {
    text: 'Ja, der Vertrieb darf mich zu meiner Anfrage telefonisch kontaktieren.',
    version: 'ph-2025-11',
  },
} as const;

type Purpose = keyof typeof TEXTS;
type Fate = 'confirmed' | 'pending' | 'withdrawn' | 'objected';

const PEOPLE: {
  email: string;
  firstName: string;
  lastName: string;
  purposes: Purpose[];
  fate: Fate;
  daysAgo: number;
}[] = [
  {
    email: 'anna.berger@kunde-stahlbau.example',
    firstName: 'Anna',
    lastName: 'Berger',
    purposes: ['newsletter', 'events'],
    fate: 'confirmed',
    daysAgo: 41,
  },
  {
    email: 'jonas.keller@kunde-logistik.example',
    firstName: 'Jonas',
    lastName: 'Keller',
    purposes: ['newsletter'],
    fate: 'confirmed',
    daysAgo: 33,
  },
  {
    email: 'mehmet.yilmaz@kunde-automation.example',
    firstName: 'Mehmet',
    lastName: 'Yılmaz',
    purposes: ['newsletter', 'phone'],
    fate: 'confirmed',
    daysAgo: 20,
  },
  {
    email: 'sophie.wagner@kunde-pharma.example',
    firstName: 'Sophie',
    lastName: 'Wagner',
    purposes: ['events'],
    fate: 'confirmed',
    daysAgo: 12,
  },
  {
    email: 'lukas.schmidt@kunde-energie.example',
    firstName: 'Lukas',
    lastName: 'Schmidt',
    purposes: ['newsletter'],
    fate: 'pending',
    daysAgo: 1,
  },
  {
    email: 'elena.fischer@kunde-medtech.example',
    firstName: 'Elena',
    lastName: 'Fischer',
    purposes: ['newsletter', 'events'],
    fate: 'pending',
    daysAgo: 0,
  },
  {
    email: 'thomas.braun@kunde-bau.example',
    firstName: 'Thomas',
    lastName: 'Braun',
    purposes: ['newsletter'],
    fate: 'withdrawn',
    daysAgo: 60,
  },
  {
    email: 'claudia.neumann@kunde-chemie.example',
    firstName: 'Claudia',
    lastName: 'Neumann',
    purposes: ['newsletter', 'events'],
    fate: 'objected',
    daysAgo: 75,
  },
];

/**
 * A demo contact, written directly: the consent module does not import the contacts module (which
 * imports consent's ledger), and demo addresses are new in a new workspace anyway.
 */
async function demoContact(
  trx: Executor,
  workspaceId: string,
  email: string,
  fields: { firstName: string; lastName: string; locale: 'de' | 'en'; sourceChannel: string },
  now: Date,
): Promise<{ contact: Contact }> {
  const normalized = normalizeEmail(email) ?? email;
  await trx
    .insertInto('contacts')
    .values({
      id: newId(),
      workspace_id: workspaceId,
      email,
      email_normalized: normalized,
      first_name: fields.firstName,
      last_name: fields.lastName,
      locale: fields.locale,
      source_channel: fields.sourceChannel,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'email_normalized']).doNothing())
    .execute();
  const contact = await trx
    .selectFrom('contacts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('email_normalized', '=', normalized)
    .executeTakeFirstOrThrow();
  return { contact };
}

export async function seedConsentDemo({ deps, workspaceId, adminUserId }: DemoContext): Promise<void> {
  const now = deps.clock.now().getTime();
  await deps.db.transaction().execute(async (trx) => {
    for (const [i, person] of PEOPLE.entries()) {
      const start = new Date(now - person.daysAgo * DAY - (i + 1) * 37 * MINUTE);
      const { contact } = await demoContact(
        trx,
        workspaceId,
        person.email,
        {
          firstName: person.firstName,
          lastName: person.lastName,
          locale: 'de',
          sourceChannel: 'content_download',
        },
        start,
      );
      const base = { workspaceId, contactId: contact.id, email: contact.email };
      const tokenRef = newId();
      const messageId = newId();
      const ip = `203.0.113.${20 + i}`;
      for (const purpose of person.purposes) {
        await setConsentStatus(trx, workspaceId, contact.id, purpose, 'pending', start);
        await appendConsentEvent(trx, {
          ...base,
          purpose,
          event: 'requested',
          occurredAt: start,
          formId: FORM_ID,
          formVersion: 3,
          pageUrl: 'https://www.nordlicht-maschinenbau.example/whitepaper/industrie-4-0',
          consentText: TEXTS[purpose].text,
          consentTextVersion: TEXTS[purpose].version,
          privacyNoticeVersion: '2026-01',
          checkedBoxes: person.purposes,
          ip,
          userAgent:
            'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
          tokenRef,
          details: { locale: 'de', demo: true },
        });
        await appendConsentEvent(trx, {
          ...base,
          purpose,
          event: 'confirmation_sent',
          occurredAt: new Date(start.getTime() + 2_000),
          formId: FORM_ID,
          formVersion: 3,
          messageId,
          templateId: OPT_IN_TEMPLATE_ID,
          tokenRef,
          details: { locale: 'de', demo: true },
        });
      }
      if (person.fate === 'pending') continue;
      const confirmedAt = new Date(start.getTime() + (7 + i) * MINUTE);
      for (const purpose of person.purposes) {
        await setConsentStatus(trx, workspaceId, contact.id, purpose, 'confirmed', confirmedAt, 'consent');
        await appendConsentEvent(trx, {
          ...base,
          purpose,
          event: 'confirmed',
          occurredAt: confirmedAt,
          formId: FORM_ID,
          formVersion: 3,
          ip,
          userAgent:
            'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148',
          messageId,
          tokenRef,
          details: { demo: true },
        });
      }
      const endedAt = new Date(confirmedAt.getTime() + 20 * DAY);
      if (person.fate === 'withdrawn') {
        for (const purpose of person.purposes) {
          await setConsentStatus(trx, workspaceId, contact.id, purpose, 'withdrawn', endedAt);
          await appendConsentEvent(trx, {
            ...base,
            purpose,
            event: 'withdrawn',
            occurredAt: endedAt,
            ip: '198.51.100.77',
            userAgent: 'Mozilla/5.0 (compatible; GoogleMail one-click)',
            messageId: newId(),
            details: { via: 'one-click', previousStatus: 'confirmed', demo: true },
          });
        }
      }
      if (person.fate === 'objected') {
        for (const purpose of person.purposes) {
          await setConsentStatus(trx, workspaceId, contact.id, purpose, 'withdrawn', endedAt);
          await appendConsentEvent(trx, {
            ...base,
            purpose,
            event: 'withdrawn',
            occurredAt: endedAt,
            ip: '198.51.100.80',
            userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) Safari/605.1.15',
            details: { via: 'preference-center', previousStatus: 'confirmed', demo: true },
          });
        }
        await addSuppression(trx, workspaceId, contact.email, {
          reason: 'objection',
          source: 'consent:preference-center',
        });
        await appendConsentEvent(trx, {
          ...base,
          purpose: '*',
          event: 'objected',
          occurredAt: endedAt,
          ip: '198.51.100.80',
          userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) Safari/605.1.15',
          details: { via: 'preference-center', withdrawn: person.purposes, demo: true },
        });
      }
    }
    // An existing customer (UWG §7(3)), recorded by hand with the reason.
    const customerSince = new Date(now - 120 * DAY);
    const { contact } = await demoContact(
      trx,
      workspaceId,
      'frank.hoffmann@kunde-werkzeug.example',
      { firstName: 'Frank', lastName: 'Hoffmann', locale: 'de', sourceChannel: 'offline' },
      customerSince,
    );
    await setConsentStatus(
      trx,
      workspaceId,
      contact.id,
      'newsletter',
      'confirmed',
      customerSince,
      'existing_customer',
    );
    await appendConsentEvent(trx, {
      workspaceId,
      contactId: contact.id,
      email: contact.email,
      purpose: 'newsletter',
      event: 'changed_by_admin',
      occurredAt: customerSince,
      actorUserId: adminUserId,
      details: {
        from: null,
        to: 'confirmed',
        legalBasis: 'existing_customer',
        note: 'Kunde seit Auftrag 2025-118 (Fräsmaschine FM-400); Hinweis auf Widerspruchsrecht bei Vertragsschluss und in jeder Mail (§7 Abs. 3 UWG).',
        demo: true,
      },
    });
  });
}
