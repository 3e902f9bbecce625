import type { Locale } from '../../shared/errors.js';
import { escapeHtml } from '../../shared/http/public-page.js';
import { purposeLabel } from './purposes.js';

/*
 * The confirmation mail and the "already confirmed" notice. Both are ad-free and contain nothing
 * the requester typed (BGH VI ZR 134/15): no name, no page URL, no free text — only the
 * workspace's name (the controller), the purposes' labels, the link and its expiry.
 */

export const OPT_IN_TEMPLATE_ID = 'consent.opt-in@1';
export const NOTICE_TEMPLATE_ID = 'consent.already-confirmed@1';

export interface MailContent {
  subject: string;
  html: string;
  text: string;
}

const DATE_FORMAT = {
  de: new Intl.DateTimeFormat('de-DE', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Berlin' }),
  en: new Intl.DateTimeFormat('en-GB', { dateStyle: 'long', timeStyle: 'short', timeZone: 'Europe/Berlin' }),
};

function formatDate(date: Date, locale: Locale): string {
  return `${DATE_FORMAT[locale].format(date)} (${locale === 'de' ? 'Berliner Zeit' : 'Berlin time'})`;
}

function layout(
  locale: Locale,
  title: string,
  paragraphs: string[],
  button?: { href: string; label: string },
  smallPrint?: string,
) {
  const body = paragraphs.map((p) => `<p style="margin:0 0 16px">${p}</p>`).join('\n');
  const cta = button
    ? `<p style="margin:24px 0"><a href="${escapeHtml(button.href)}" style="display:inline-block;padding:12px 20px;background:#0b5cad;color:#ffffff;text-decoration:none;border-radius:6px;font-weight:600">${escapeHtml(button.label)}</a></p>`
    : '';
  return `<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title)}</title></head>
<body style="margin:0;padding:24px;background:#f6f7f9;font-family:Arial,Helvetica,sans-serif;font-size:16px;line-height:1.5;color:#1b1f24">
<div style="max-width:560px;margin:0 auto;background:#ffffff;padding:24px;border-radius:8px">
<h1 style="font-size:20px;margin:0 0 16px">${escapeHtml(title)}</h1>
${body}
${cta}
${smallPrint ? `<p style="margin:0;color:#4a5360;font-size:14px">${escapeHtml(smallPrint)}</p>` : ''}
</div></body></html>`;
}

export interface OptInMailInput {
  locale: Locale;
  workspaceName: string;
  purposes: string[];
  confirmUrl: string;
  expiresAt: Date;
  retentionDays: number;
}

/** The double opt-in mail: what was requested, the confirm link, and what happens if nothing is done. */
export function renderOptInMail(input: OptInMailInput): MailContent {
  const { locale } = input;
  const labels = input.purposes.map((p) => purposeLabel(p, locale));
  const until = formatDate(input.expiresAt, locale);
  if (locale === 'de') {
    const subject = `Bitte bestätigen Sie Ihre E-Mail-Adresse – ${input.workspaceName}`;
    const intro = `Mit dieser E-Mail-Adresse wurde bei ${input.workspaceName} Folgendes angefordert:`;
    const confirm = 'Bitte bestätigen Sie, dass Sie das möchten. Erst danach erhalten Sie E-Mails von uns.';
    const expiry = `Der Link gilt bis ${until}.`;
    const ignore = `Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail einfach: Sie erhalten dann nichts weiter, und wir löschen die Anfrage nach ${input.retentionDays} Tagen.`;
    return {
      subject,
      html: layout(
        locale,
        'Bitte bestätigen Sie Ihre E-Mail-Adresse',
        [
          escapeHtml(intro),
          `<ul style="margin:0;padding-left:20px">${labels.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`,
          escapeHtml(confirm),
        ],
        { href: input.confirmUrl, label: 'E-Mail-Adresse bestätigen' },
        `${expiry} ${ignore}`,
      ),
      text: [
        intro,
        ...labels.map((l) => `- ${l}`),
        '',
        confirm,
        '',
        `Bestätigen: ${input.confirmUrl}`,
        '',
        expiry,
        ignore,
      ].join('\n'),
    };
  }
  const subject = `Please confirm your e-mail address – ${input.workspaceName}`;
  const intro = `This e-mail address was used to request the following from ${input.workspaceName}:`;
  const confirm = 'Please confirm that you want this. Only then will you receive e-mails from us.';
  const expiry = `The link is valid until ${until}.`;
  const ignore = `If you did not request this, simply ignore this e-mail: you will receive nothing else, and we delete the request after ${input.retentionDays} days.`;
  return {
    subject,
    html: layout(
      locale,
      'Please confirm your e-mail address',
      [
        escapeHtml(intro),
        `<ul style="margin:0;padding-left:20px">${labels.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`,
        escapeHtml(confirm),
      ],
      { href: input.confirmUrl, label: 'Confirm e-mail address' },
      `${expiry} ${ignore}`,
    ),
    text: [
      intro,
      ...labels.map((l) => `- ${l}`),
      '',
      confirm,
      '',
      `Confirm: ${input.confirmUrl}`,
      '',
      expiry,
      ignore,
    ].join('\n'),
  };
}

/** The notice for an address that signed up again while already confirmed: nothing to do. */
export function renderAlreadyConfirmedMail(input: {
  locale: Locale;
  workspaceName: string;
  preferencesUrl: string;
}): MailContent {
  if (input.locale === 'de') {
    const lines = [
      `Mit dieser E-Mail-Adresse wurde bei ${input.workspaceName} erneut eine Anmeldung abgeschickt.`,
      'Ihre Adresse ist bereits bestätigt – Sie müssen nichts tun.',
      'Wenn Sie das nicht waren, können Sie diese E-Mail ignorieren. Ihre Einstellungen ändern oder Ihre Einwilligung widerrufen können Sie jederzeit hier:',
    ];
    return {
      subject: `Ihre E-Mail-Adresse ist bereits bestätigt – ${input.workspaceName}`,
      html: layout(input.locale, 'Ihre E-Mail-Adresse ist bereits bestätigt', lines.map(escapeHtml), {
        href: input.preferencesUrl,
        label: 'Einstellungen öffnen',
      }),
      text: [...lines, input.preferencesUrl].join('\n\n'),
    };
  }
  const lines = [
    `Someone submitted a sign-up with this e-mail address to ${input.workspaceName} again.`,
    'Your address is already confirmed – there is nothing you need to do.',
    'If this was not you, you can ignore this e-mail. You can change your preferences or withdraw your consent at any time here:',
  ];
  return {
    subject: `Your e-mail address is already confirmed – ${input.workspaceName}`,
    html: layout(input.locale, 'Your e-mail address is already confirmed', lines.map(escapeHtml), {
      href: input.preferencesUrl,
      label: 'Open preferences',
    }),
    text: [...lines, input.preferencesUrl].join('\n\n'),
  };
}

export const REPERMISSION_TEMPLATE_ID = 'consent.repermission@1';

/**
 * The text a contact confirms with a re-permission request, per language: it is recorded as the
 * consent text of the `requested` ledger events and shown on the confirm page.
 */
export function repermissionConsentText(locale: Locale, workspaceName: string, purposes: string[]): string {
  const labels = purposes.map((p) => purposeLabel(p, locale)).join(', ');
  return locale === 'de'
    ? `Ja, ich möchte von ${workspaceName} weiterhin E-Mails erhalten: ${labels}. Ich kann diese Einwilligung jederzeit mit einem Klick widerrufen.`
    : `Yes, I want to keep receiving e-mails from ${workspaceName}: ${labels}. I can withdraw this consent at any time with one click.`;
}

/**
 * The re-permission mail: asks a known contact whether they want to keep hearing from us. Like the
 * double opt-in mail it is ad-free and holds nothing but the workspace's name, the purposes, the
 * confirm link and its expiry; doing nothing means no more marketing mail for these purposes.
 */
export function renderRepermissionMail(input: OptInMailInput): MailContent {
  const { locale } = input;
  const labels = input.purposes.map((p) => purposeLabel(p, locale));
  const until = formatDate(input.expiresAt, locale);
  const de = locale === 'de';
  const title = de ? 'Möchten Sie weiterhin von uns hören?' : 'Do you want to keep hearing from us?';
  const subject = `${title} – ${input.workspaceName}`;
  const intro = de
    ? `${input.workspaceName} möchte Ihnen weiterhin E-Mails zu folgenden Themen schicken, hat dafür aber keine aktuelle Bestätigung von Ihnen:`
    : `${input.workspaceName} would like to keep sending you e-mails about the following, but has no current confirmation from you:`;
  const confirm = de
    ? 'Wenn Sie das möchten, bestätigen Sie es bitte mit dem Link. Ohne Ihre Bestätigung schicken wir Ihnen dazu keine E-Mails.'
    : 'If you want this, please confirm with the link. Without your confirmation we will not send you these e-mails.';
  const expiry = de ? `Der Link gilt bis ${until}.` : `The link is valid until ${until}.`;
  const ignore = de
    ? 'Wenn Sie nichts tun, ändert sich für Sie nur, dass Sie diese E-Mails nicht erhalten.'
    : 'If you do nothing, the only change is that you will not receive these e-mails.';
  const button = de ? 'Ja, weiterhin erhalten' : 'Yes, keep receiving';
  return {
    subject,
    html: layout(
      locale,
      title,
      [
        escapeHtml(intro),
        `<ul style="margin:0;padding-left:20px">${labels.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`,
        escapeHtml(confirm),
      ],
      { href: input.confirmUrl, label: button },
      `${expiry} ${ignore}`,
    ),
    text: [
      intro,
      ...labels.map((l) => `- ${l}`),
      '',
      confirm,
      '',
      `${button}: ${input.confirmUrl}`,
      '',
      expiry,
      ignore,
    ].join('\n'),
  };
}
