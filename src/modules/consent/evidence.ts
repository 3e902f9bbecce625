import type { Consent, ConsentEvent } from '../../shared/db/schema.js';
import type { Locale } from '../../shared/errors.js';
import { html } from '../../shared/http/public-page.js';
import type { ContactLedger } from './ledger.service.js';
import { purposeLabel } from './purposes.js';

/*
 * The evidence for one address, the way a court asks for it (BGH I ZR 164/09: printable at any
 * time): every ledger event with all its proof fields, the current state, and whether the hash
 * chain is intact. As JSON (machine-readable) and as a print-ready HTML page.
 */

export function consentBody(c: Consent) {
  return {
    purpose: c.purpose,
    status: c.status,
    legalBasis: c.legal_basis,
    requestedAt: c.requested_at?.toISOString() ?? null,
    confirmedAt: c.confirmed_at?.toISOString() ?? null,
    withdrawnAt: c.withdrawn_at?.toISOString() ?? null,
    updatedAt: c.updated_at.toISOString(),
  };
}

export function eventBody(e: ConsentEvent) {
  return {
    id: e.id,
    event: e.event,
    purpose: e.purpose,
    occurredAt: e.occurred_at.toISOString(),
    email: e.email,
    formId: e.form_id,
    formVersion: e.form_version,
    pageUrl: e.page_url,
    consentText: e.consent_text,
    consentTextVersion: e.consent_text_version,
    privacyNoticeVersion: e.privacy_notice_version,
    checkedBoxes: e.checked_boxes,
    ip: e.ip,
    userAgent: e.user_agent,
    messageId: e.message_id,
    templateId: e.template_id,
    tokenRef: e.token_ref,
    actorUserId: e.actor_user_id,
    details: e.details,
    prevHash: e.prev_hash,
    hash: e.hash,
  };
}

export function evidenceJson(ledger: ContactLedger, generatedAt: Date) {
  return {
    kind: 'leadwerk.consent-evidence',
    version: 1,
    generatedAt: generatedAt.toISOString(),
    controller: ledger.workspaceName,
    contactId: ledger.contactId,
    email: ledger.email,
    contactExists: ledger.contactExists,
    chain: {
      algorithm: 'SHA-256 over the canonical JSON of each entry and the previous entry’s hash, per contact',
      checked: ledger.verification.checked,
      intact: ledger.verification.breaks.length === 0,
      breaks: ledger.verification.breaks,
    },
    consents: ledger.consents.map(consentBody),
    events: ledger.events.map(eventBody),
  };
}

/** The evidence's texts (HTML and PDF). */
export const EVIDENCE_TEXTS = {
  de: {
    title: 'Einwilligungsnachweis',
    controller: 'Verantwortlicher',
    address: 'E-Mail-Adresse',
    contact: 'Kontakt-ID',
    erased: '(Kontakt gelöscht; Nachweis wird für die Verjährungsfrist aufbewahrt)',
    generated: 'Erstellt am (UTC)',
    chain: 'Integrität der Kette',
    intact: (n: number) =>
      `intakt – ${n} Einträge geprüft, jeder Hash stimmt und verweist auf seinen Vorgänger`,
    broken: (n: number) => `UNTERBROCHEN – ${n} Fehler gefunden`,
    current: 'Aktueller Stand',
    purpose: 'Zweck',
    status: 'Status',
    basis: 'Rechtsgrundlage',
    requested: 'Angefordert',
    confirmed: 'Bestätigt',
    withdrawn: 'Widerrufen',
    events: 'Ereignisse',
    none: 'Keine',
    print: 'Zum Drucken oder Speichern als PDF: Strg+P / ⌘P',
    page: (i: number, n: number) => `Seite ${i} von ${n}`,
    verbatim:
      'Zeichen, die die eingebettete Schrift nicht darstellt (z. B. chinesische Schriftzeichen), stehen als \\u{…}; die JSON-Fassung enthält sie unverändert.',
    fields: {
      occurredAt: 'Zeitpunkt (UTC)',
      event: 'Ereignis',
      purpose: 'Zweck',
      email: 'Adresse',
      formId: 'Formular-ID',
      formVersion: 'Formularversion',
      pageUrl: 'Seite',
      consentText: 'Einwilligungstext',
      consentTextVersion: 'Textversion',
      privacyNoticeVersion: 'Datenschutzhinweis (Version)',
      checkedBoxes: 'Angekreuzte Kästchen',
      ip: 'IP-Adresse',
      userAgent: 'User-Agent',
      messageId: 'Nachrichten-ID',
      templateId: 'Vorlage',
      tokenRef: 'Token-Referenz',
      actorUserId: 'Geändert von (Benutzer-ID)',
      details: 'Weitere Angaben',
      hash: 'Hash',
      prevHash: 'Vorheriger Hash',
    },
  },
  en: {
    title: 'Consent evidence',
    controller: 'Controller',
    address: 'E-mail address',
    contact: 'Contact id',
    erased: '(contact erased; the proof is kept for the limitation period)',
    generated: 'Generated at (UTC)',
    chain: 'Chain integrity',
    intact: (n: number) => `intact – ${n} entries checked, every hash matches and points to its predecessor`,
    broken: (n: number) => `BROKEN – ${n} problems found`,
    current: 'Current state',
    purpose: 'Purpose',
    status: 'Status',
    basis: 'Legal basis',
    requested: 'Requested',
    confirmed: 'Confirmed',
    withdrawn: 'Withdrawn',
    events: 'Events',
    none: 'None',
    print: 'To print or save as PDF: Ctrl+P / ⌘P',
    page: (i: number, n: number) => `Page ${i} of ${n}`,
    verbatim:
      'Characters the embedded font cannot show (e.g. Chinese characters) are written as \\u{…}; the JSON version holds them unchanged.',
    fields: {
      occurredAt: 'Time (UTC)',
      event: 'Event',
      purpose: 'Purpose',
      email: 'Address',
      formId: 'Form id',
      formVersion: 'Form version',
      pageUrl: 'Page',
      consentText: 'Consent text',
      consentTextVersion: 'Text version',
      privacyNoticeVersion: 'Privacy notice (version)',
      checkedBoxes: 'Ticked boxes',
      ip: 'IP address',
      userAgent: 'User agent',
      messageId: 'Message id',
      templateId: 'Template',
      tokenRef: 'Token reference',
      actorUserId: 'Changed by (user id)',
      details: 'Details',
      hash: 'Hash',
      prevHash: 'Previous hash',
    },
  },
} as const;

const STYLE = `
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;font-size:11pt;line-height:1.4;color:#111;margin:2rem auto;max-width:60rem;padding:0 1rem}
h1{font-size:18pt;margin:0 0 .5rem}h2{font-size:13pt;margin:1.5rem 0 .5rem;border-bottom:1px solid #999}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #bbb;padding:.25rem .4rem;text-align:left;vertical-align:top}
th{background:#eee}dl{display:grid;grid-template-columns:13rem 1fr;gap:.15rem .75rem;margin:0}dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
section.event{border:1px solid #bbb;border-radius:4px;padding:.5rem .75rem;margin:.75rem 0;page-break-inside:avoid;break-inside:avoid}
.ok{color:#0a5c1f;font-weight:600}.bad{color:#a4000f;font-weight:600}.muted{color:#555;font-size:9pt}code{font-size:9pt}
@media print{body{margin:0;max-width:none}.noprint{display:none}}
`;

/** A field's value as text ('–' when empty). */
export function fmt(value: unknown): string {
  if (value === null || value === undefined || value === '') return '–';
  if (Array.isArray(value)) return value.join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The evidence as a standalone, print-ready HTML document (no scripts, no external resources). */
export function renderEvidenceHtml(ledger: ContactLedger, locale: Locale, generatedAt: Date): string {
  const t = EVIDENCE_TEXTS[locale];
  const json = evidenceJson(ledger, generatedAt);
  const fieldKeys = Object.keys(t.fields) as (keyof typeof t.fields)[];
  const events = json.events.map(
    (e) =>
      html`<section class="event"><h3>#${e.id} · ${e.event} · ${e.purpose === '*' ? '*' : purposeLabel(e.purpose, locale)} (${e.purpose})</h3><dl>${fieldKeys
        .filter((k) => k !== 'event' && k !== 'purpose')
        .map(
          (k) =>
            html`<dt>${t.fields[k]}</dt><dd>${k === 'hash' || k === 'prevHash' ? html`<code>${fmt(e[k])}</code>` : fmt(e[k])}</dd>`,
        )}</dl></section>`,
  );
  const consents = json.consents.map(
    (c) =>
      html`<tr><td>${purposeLabel(c.purpose, locale)} (${c.purpose})</td><td>${c.status}</td><td>${c.legalBasis}</td><td>${fmt(c.requestedAt)}</td><td>${fmt(c.confirmedAt)}</td><td>${fmt(c.withdrawnAt)}</td></tr>`,
  );
  const doc = html`<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t.title} – ${json.email}</title><style>${STYLE}</style></head>
<body><main>
<h1>${t.title}</h1>
<p class="muted noprint">${t.print}</p>
<dl>
<dt>${t.controller}</dt><dd>${json.controller}</dd>
<dt>${t.address}</dt><dd>${json.email}</dd>
<dt>${t.contact}</dt><dd>${json.contactId} ${json.contactExists ? '' : t.erased}</dd>
<dt>${t.generated}</dt><dd>${json.generatedAt}</dd>
<dt>${t.chain}</dt><dd>${
    json.chain.intact
      ? html`<span class="ok">${t.intact(json.chain.checked)}</span>`
      : html`<span class="bad">${t.broken(json.chain.breaks.length)}</span><ul>${json.chain.breaks.map((b) => html`<li>#${b.eventId}: ${b.problem}</li>`)}</ul>`
  }</dd>
</dl>
<h2>${t.current}</h2>
${
  consents.length > 0
    ? html`<table><thead><tr><th>${t.purpose}</th><th>${t.status}</th><th>${t.basis}</th><th>${t.requested}</th><th>${t.confirmed}</th><th>${t.withdrawn}</th></tr></thead><tbody>${consents}</tbody></table>`
    : html`<p>${t.none}</p>`
}
<h2>${t.events} (${json.events.length})</h2>
${events}
<p class="muted">${json.chain.algorithm}</p>
</main></body></html>`;
  return doc.value;
}
