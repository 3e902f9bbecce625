import type { Locale } from '../../shared/errors.js';
import { html, type PublicPage, type SafeHtml, withLang } from '../../shared/http/public-page.js';
import type { OptInLink } from './confirm.service.js';
import type { PreferenceView } from './preferences.service.js';
import { purposeLabel } from './purposes.js';

/*
 * The consent module's public pages, in German and English. Every page is a plain HTML form or
 * text: no script, no cookie; state changes only through the POST buttons.
 */

const T = {
  de: {
    controller: 'Verantwortlich',
    confirmTitle: 'Bitte bestätigen Sie Ihre E-Mail-Adresse',
    confirmIntro: (ws: string) => `${ws} bittet um Ihre Bestätigung für:`,
    confirmButton: 'Jetzt bestätigen',
    confirmHint:
      'Erst mit Ihrem Klick auf „Jetzt bestätigen“ ist Ihre Einwilligung erteilt. Sie können sie jederzeit mit einem Klick widerrufen.',
    expiredTitle: 'Dieser Bestätigungslink ist abgelaufen',
    expiredText:
      'Aus Sicherheitsgründen gilt ein Bestätigungslink nur eine begrenzte Zeit. Sie können eine neue E-Mail mit einem neuen Link anfordern.',
    resendButton: 'Neue E-Mail anfordern',
    usedTitle: 'Ihre E-Mail-Adresse ist bereits bestätigt',
    usedText: 'Dieser Link wurde schon verwendet. Sie müssen nichts weiter tun.',
    invalidTitle: 'Dieser Link ist ungültig',
    invalidText:
      'Bitte prüfen Sie, ob der Link vollständig ist, oder verwenden Sie den Link aus der neuesten E-Mail.',
    thanksTitle: 'Vielen Dank! Ihre E-Mail-Adresse ist bestätigt.',
    thanksText: 'Sie haben eingewilligt in:',
    download: 'Ihr Download',
    downloadReady: (title: string) => `„${title}“ ist für Sie bereit:`,
    downloadLink: (title: string) => `${title} herunterladen`,
    manage: 'Einstellungen ändern oder Einwilligung widerrufen',
    resentTitle: 'Wir haben Ihnen eine neue E-Mail geschickt',
    resentText: 'Bitte öffnen Sie die neue E-Mail und klicken Sie auf den Link darin.',
    resendLimitedTitle: 'Bitte sehen Sie in Ihr Postfach',
    resendLimitedText:
      'Wir haben Ihnen vor Kurzem schon eine E-Mail geschickt. Um Missbrauch zu verhindern, senden wir nicht öfter. Bitte sehen Sie auch im Spam-Ordner nach.',
    unsubscribeTitle: 'Abmelden',
    unsubscribeQuestion: (purpose: string) => `Möchten Sie keine E-Mails mehr zu „${purpose}“ erhalten?`,
    unsubscribeAll: 'Möchten Sie keine Werbe-E-Mails mehr von uns erhalten?',
    unsubscribeButton: 'Abmelden',
    unsubscribedTitle: 'Sie sind abgemeldet',
    unsubscribedText: (purpose: string) => `Sie erhalten keine E-Mails mehr zu „${purpose}“.`,
    unsubscribedAll: 'Sie erhalten keine Werbe-E-Mails mehr von uns.',
    instead: 'Stattdessen Ihre Einstellungen ansehen',
    prefsTitle: 'Ihre E-Mail-Einstellungen',
    prefsFor: (masked: string) => `Für die Adresse ${masked}.`,
    prefsLegend: 'Was möchten Sie von uns erhalten?',
    prefsNone: 'Sie haben uns derzeit keine Einwilligung erteilt. Sie erhalten keine Werbe-E-Mails.',
    prefsSave: 'Auswahl speichern',
    prefsSaved: 'Ihre Auswahl ist gespeichert.',
    withdrawHeading: 'Alles widerrufen',
    withdrawText: 'Widerruft jede Einwilligung auf einmal. Sie erhalten dann keine Werbe-E-Mails mehr.',
    withdrawButton: 'Alle Einwilligungen widerrufen',
    withdrawn: 'Alle Einwilligungen sind widerrufen.',
    objectHeading: 'Widerspruch gegen Werbung',
    objectText:
      'Widerspruch nach Art. 21 DSGVO: Wir nehmen Ihre Adresse in unsere Sperrliste auf und senden Ihnen nie wieder Werbung, auch nicht nach einer neuen Anmeldung.',
    objectButton: 'Widersprechen',
    objected: 'Ihr Widerspruch ist eingetragen. Sie erhalten keine Werbung mehr von uns.',
    suppressed: 'Diese Adresse steht auf unserer Sperrliste: Sie erhält keine Werbe-E-Mails.',
    statusConfirmed: 'erteilt',
    statusWithdrawn: 'widerrufen',
    tooMany: 'Zu viele Anfragen',
    tooManyText: 'Bitte warten Sie einen Moment und versuchen Sie es dann erneut.',
  },
  en: {
    controller: 'Controller',
    confirmTitle: 'Please confirm your e-mail address',
    confirmIntro: (ws: string) => `${ws} asks you to confirm:`,
    confirmButton: 'Confirm now',
    confirmHint:
      'Your consent is given only when you click “Confirm now”. You can withdraw it at any time with one click.',
    expiredTitle: 'This confirmation link has expired',
    expiredText:
      'For your security a confirmation link is valid for a limited time only. You can request a new e-mail with a new link.',
    resendButton: 'Request a new e-mail',
    usedTitle: 'Your e-mail address is already confirmed',
    usedText: 'This link has already been used. There is nothing else you need to do.',
    invalidTitle: 'This link is not valid',
    invalidText: 'Please check that the link is complete, or use the link from the most recent e-mail.',
    thanksTitle: 'Thank you! Your e-mail address is confirmed.',
    thanksText: 'You have consented to:',
    download: 'Your download',
    downloadReady: (title: string) => `“${title}” is ready for you:`,
    downloadLink: (title: string) => `Download ${title}`,
    manage: 'Change your preferences or withdraw your consent',
    resentTitle: 'We have sent you a new e-mail',
    resentText: 'Please open the new e-mail and click the link in it.',
    resendLimitedTitle: 'Please check your inbox',
    resendLimitedText:
      'We sent you an e-mail a short while ago. To prevent abuse we do not send more often. Please also check your spam folder.',
    unsubscribeTitle: 'Unsubscribe',
    unsubscribeQuestion: (purpose: string) => `Do you no longer want to receive e-mails about “${purpose}”?`,
    unsubscribeAll: 'Do you no longer want to receive marketing e-mails from us?',
    unsubscribeButton: 'Unsubscribe',
    unsubscribedTitle: 'You are unsubscribed',
    unsubscribedText: (purpose: string) => `You will no longer receive e-mails about “${purpose}”.`,
    unsubscribedAll: 'You will no longer receive marketing e-mails from us.',
    instead: 'See your preferences instead',
    prefsTitle: 'Your e-mail preferences',
    prefsFor: (masked: string) => `For the address ${masked}.`,
    prefsLegend: 'What would you like to receive from us?',
    prefsNone: 'You have not given us any consent at the moment. You receive no marketing e-mails.',
    prefsSave: 'Save my choice',
    prefsSaved: 'Your choice has been saved.',
    withdrawHeading: 'Withdraw everything',
    withdrawText: 'Withdraws every consent at once. You will then receive no marketing e-mails.',
    withdrawButton: 'Withdraw all consent',
    withdrawn: 'All consent has been withdrawn.',
    objectHeading: 'Object to marketing',
    objectText:
      'Objection under Art. 21 GDPR: we put your address on our suppression list and never send you marketing again, not even after a new sign-up.',
    objectButton: 'Object',
    objected: 'Your objection is recorded. You will receive no more marketing from us.',
    suppressed: 'This address is on our suppression list: it receives no marketing e-mails.',
    statusConfirmed: 'given',
    statusWithdrawn: 'withdrawn',
    tooMany: 'Too many requests',
    tooManyText: 'Please wait a moment and try again.',
  },
} as const;

function controllerFooter(locale: Locale, workspaceName: string): SafeHtml {
  return html`${T[locale].controller}: ${workspaceName}`;
}

function page(
  locale: Locale,
  path: string,
  title: string,
  body: SafeHtml,
  extra: Partial<PublicPage> = {},
): PublicPage {
  return { locale, title, body, switchHref: withLang(path, locale === 'de' ? 'en' : 'de'), ...extra };
}

export function confirmPage(locale: Locale, path: string, link: OptInLink): PublicPage {
  const t = T[locale];
  const footer = controllerFooter(locale, link.workspaceName);
  if (link.state === 'used') {
    return page(locale, path, t.usedTitle, html`<h1>${t.usedTitle}</h1><p>${t.usedText}</p>`, { footer });
  }
  if (link.state === 'expired') {
    return page(
      locale,
      path,
      t.expiredTitle,
      html`<h1>${t.expiredTitle}</h1>
<p>${t.expiredText}</p>
<form method="post" action="${withLang(`${path.split('?')[0]}/resend`, locale)}"><button type="submit">${t.resendButton}</button></form>`,
      { footer, status: 410 },
    );
  }
  const items = link.purposes.map(
    (p) =>
      html`<li><strong>${purposeLabel(p.purpose, locale)}</strong>${p.consentText ? html`<br><span class="muted">${p.consentText}</span>` : ''}</li>`,
  );
  return page(
    locale,
    path,
    t.confirmTitle,
    html`<h1>${t.confirmTitle}</h1>
<p>${t.confirmIntro(link.workspaceName)}</p>
<ul>${items}</ul>
<form method="post" action="${withLang(path.split('?')[0] ?? path, locale)}"><button type="submit">${t.confirmButton}</button></form>
<p class="muted">${t.confirmHint}</p>`,
    { footer },
  );
}

export function invalidLinkPage(locale: Locale, path: string, status = 404): PublicPage {
  const t = T[locale];
  return page(locale, path, t.invalidTitle, html`<h1>${t.invalidTitle}</h1><p>${t.invalidText}</p>`, {
    status,
  });
}

export function tooManyRequestsPage(locale: Locale, path: string): PublicPage {
  const t = T[locale];
  return page(locale, path, t.tooMany, html`<h1>${t.tooMany}</h1><p>${t.tooManyText}</p>`, { status: 429 });
}

export function thanksPage(
  locale: Locale,
  path: string,
  input: {
    workspaceName: string;
    purposes: string[];
    asset: { id: string; title: string; url?: string } | null;
    preferencesPath: string;
  },
): PublicPage {
  const t = T[locale];
  const asset = input.asset
    ? html`<h2>${t.download}</h2>${
        input.asset.url
          ? html`<p>${t.downloadReady(input.asset.title)} <a href="${input.asset.url}">${t.downloadLink(input.asset.title)}</a></p>`
          : html`<p>${input.asset.title}</p>`
      }`
    : '';
  return page(
    locale,
    path,
    t.thanksTitle,
    html`<h1>${t.thanksTitle}</h1>
<p>${t.thanksText}</p>
<ul>${input.purposes.map((p) => html`<li>${purposeLabel(p, locale)}</li>`)}</ul>
${asset}
<p><a href="${withLang(input.preferencesPath, locale)}">${t.manage}</a></p>`,
    { footer: controllerFooter(locale, input.workspaceName), switchHref: undefined },
  );
}

export function resendPage(locale: Locale, path: string, outcome: string, workspaceName: string): PublicPage {
  const t = T[locale];
  const footer = controllerFooter(locale, workspaceName);
  if (outcome === 'doi-mail-queued')
    return page(locale, path, t.resentTitle, html`<h1>${t.resentTitle}</h1><p>${t.resentText}</p>`, {
      footer,
      switchHref: undefined,
    });
  if (outcome === 'already-confirmed')
    return page(locale, path, t.usedTitle, html`<h1>${t.usedTitle}</h1><p>${t.usedText}</p>`, {
      footer,
      switchHref: undefined,
    });
  return page(
    locale,
    path,
    t.resendLimitedTitle,
    html`<h1>${t.resendLimitedTitle}</h1><p>${t.resendLimitedText}</p>`,
    {
      footer,
      switchHref: undefined,
    },
  );
}

export function unsubscribePage(
  locale: Locale,
  path: string,
  input: { workspaceName: string; purpose: string | null; preferencesPath: string },
): PublicPage {
  const t = T[locale];
  const question = input.purpose
    ? t.unsubscribeQuestion(purposeLabel(input.purpose, locale))
    : t.unsubscribeAll;
  return page(
    locale,
    path,
    t.unsubscribeTitle,
    html`<h1>${t.unsubscribeTitle}</h1>
<p>${question}</p>
<form method="post" action="${withLang(path.split('?')[0] ?? path, locale)}"><button type="submit">${t.unsubscribeButton}</button></form>
<p><a href="${withLang(input.preferencesPath, locale)}">${t.instead}</a></p>`,
    { footer: controllerFooter(locale, input.workspaceName) },
  );
}

export function unsubscribedPage(
  locale: Locale,
  path: string,
  input: { workspaceName: string; purpose: string | null; preferencesPath: string },
): PublicPage {
  const t = T[locale];
  const text = input.purpose ? t.unsubscribedText(purposeLabel(input.purpose, locale)) : t.unsubscribedAll;
  return page(
    locale,
    path,
    t.unsubscribedTitle,
    html`<h1>${t.unsubscribedTitle}</h1>
<p>${text}</p>
<p><a href="${withLang(input.preferencesPath, locale)}">${t.manage}</a></p>`,
    { footer: controllerFooter(locale, input.workspaceName), switchHref: undefined },
  );
}

/** "anna@example.com" → "a***@example.com": enough to recognise, little to leak from a forwarded link. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return '***';
  return `${email[0]}***${email.slice(at)}`;
}

export type PreferenceNotice = 'saved' | 'withdrawn' | 'objected' | undefined;

export function preferencesPage(
  locale: Locale,
  path: string,
  view: PreferenceView,
  input: { email: string; notice: PreferenceNotice },
): PublicPage {
  const t = T[locale];
  const base = path.split('?')[0] ?? path;
  const notice =
    input.notice === 'saved'
      ? t.prefsSaved
      : input.notice === 'withdrawn'
        ? t.withdrawn
        : input.notice === 'objected'
          ? t.objected
          : null;
  const items = view.items.map((item, i) => {
    const id = `purpose-${i}`;
    const status = item.status === 'confirmed' ? t.statusConfirmed : t.statusWithdrawn;
    return html`<label for="${id}"><input type="checkbox" id="${id}" name="keep" value="${item.purpose}"${
      item.status === 'confirmed' ? html` checked` : ''
    }><span><strong>${purposeLabel(item.purpose, locale)}</strong> <span class="muted">(${status})</span>${
      item.consentText ? html`<br><span class="muted">${item.consentText}</span>` : ''
    }</span></label>`;
  });
  return page(
    locale,
    path,
    t.prefsTitle,
    html`<h1>${t.prefsTitle}</h1>
<p>${t.prefsFor(maskEmail(input.email))}</p>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
${view.suppressed ? html`<p class="notice">${t.suppressed}</p>` : ''}
${
  view.items.length > 0
    ? html`<form method="post" action="${withLang(base, locale)}">
<fieldset><legend>${t.prefsLegend}</legend>
${items}
</fieldset>
<button type="submit">${t.prefsSave}</button>
</form>`
    : html`<p>${t.prefsNone}</p>`
}
<h2>${t.withdrawHeading}</h2>
<p>${t.withdrawText}</p>
<form method="post" action="${withLang(`${base}/withdraw`, locale)}"><button type="submit" class="secondary">${t.withdrawButton}</button></form>
<h2>${t.objectHeading}</h2>
<p>${t.objectText}</p>
<form method="post" action="${withLang(`${base}/object`, locale)}"><button type="submit" class="danger">${t.objectButton}</button></form>`,
    { footer: controllerFooter(locale, view.workspaceName) },
  );
}
