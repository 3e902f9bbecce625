import { escapeHtml, html, type SafeHtml } from '../../shared/http/public-page.js';
import { BANT_FIELD_OF, type FieldDef, type FormDefinition } from './form-definition.js';
import { PUBLIC_TEXTS, type PublicLocale, problemText } from './public-texts.js';
import { HONEYPOT_FIELD } from './submission-input.js';

/*
 * The hosted form page (/f/<slug>): server-rendered, works without JavaScript when the form has no
 * proof-of-work (a plain urlencoded post that redirects to the thank-you page), accessible
 * (labels, hints and errors tied to their fields, an error summary), every value escaped.
 * JavaScript is only the ALTCHA widget, served by us.
 */

/** The CSP of hosted form pages: our own scripts (the ALTCHA widget and its workers) and nothing else. */
export const HOSTED_FORM_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; worker-src 'self' blob:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export interface HostedFormView {
  slug: string;
  locale: PublicLocale;
  def: FormDefinition;
  fields: FieldDef[];
  /** Hidden inputs to carry along (time trap, attribution, profiling token, language). */
  carry: Record<string, string>;
  pow: boolean;
  values?: Record<string, string>;
  ticked?: string[];
  problems?: { field: string; message: string }[];
}

function inputType(f: FieldDef): string {
  if (f.type === 'email') return 'email';
  if (f.type === 'phone') return 'tel';
  return 'text';
}

function autocomplete(f: FieldDef): string {
  return (
    (
      {
        email: 'email',
        first_name: 'given-name',
        last_name: 'family-name',
        company: 'organization',
        position: 'organization-title',
        phone: 'tel',
        country: 'country',
      } as Record<string, string>
    )[f.type] ?? 'off'
  );
}

function fieldHtml(v: HostedFormView, f: FieldDef): SafeHtml {
  const t = PUBLIC_TEXTS[v.locale];
  const id = `f-${f.key}`;
  const problem = v.problems?.find((p) => p.field === f.key);
  const describedBy = [f.purpose[v.locale] ? `${id}-hint` : '', problem ? `${id}-error` : '']
    .filter(Boolean)
    .join(' ');
  const value = v.values?.[f.key] ?? '';
  const common = html`id="${id}" name="${f.key}" ${f.required ? html`required aria-required="true"` : ''} ${
    describedBy ? html`aria-describedby="${describedBy}"` : ''
  } ${problem ? html`aria-invalid="true"` : ''}`;
  let control: SafeHtml;
  if (f.type === 'textarea') {
    control = html`<textarea ${common} rows="4" maxlength="${f.maxLength ?? 2000}">${value}</textarea>`;
  } else if (
    f.type === 'select' ||
    BANT_FIELD_OF[f.type] !== undefined ||
    (f.type === 'product_interest' && f.options?.length)
  ) {
    control = html`<select ${common}><option value=""></option>${(f.options ?? []).map(
      (o) =>
        html`<option value="${o.value}" ${o.value === value ? html`selected` : ''}>${o.label[v.locale]}</option>`,
    )}</select>`;
  } else {
    control = html`<input type="${inputType(f)}" ${common} value="${value}" autocomplete="${autocomplete(f)}" maxlength="${
      f.maxLength ?? (f.type === 'email' ? 254 : f.type === 'country' ? 2 : 300)
    }">`;
  }
  return html`<div class="field${problem ? ' has-error' : ''}">
<label for="${id}">${f.label[v.locale]} <span class="req">(${f.required ? t.required : t.optional})</span></label>
${f.purpose[v.locale] ? html`<p class="hint" id="${id}-hint">${f.purpose[v.locale]}</p>` : ''}
${problem ? html`<p class="error" id="${id}-error">${problemText(v.locale, problem.message)}</p>` : ''}
${control}
</div>`;
}

/** The <main> content of a hosted form. */
export function hostedFormBody(v: HostedFormView): SafeHtml {
  const t = PUBLIC_TEXTS[v.locale];
  const def = v.def;
  const anyRequiredBox = def.consents.some((c) => c.required);
  const problems = v.problems ?? [];
  return html`<h1>${def.title[v.locale]}</h1>
${def.eventName ? html`<p><strong>${t.event}:</strong> ${def.eventName}</p>` : ''}
${def.intro[v.locale] ? html`<p>${def.intro[v.locale]}</p>` : ''}
${
  problems.length > 0
    ? html`<div class="error-summary" role="alert" tabindex="-1" id="error-summary"><p>${t.errorSummary}</p><ul>${problems.map(
        (p) =>
          html`<li><a href="#${p.field.startsWith('consent_') ? `c-${p.field.slice(8)}` : `f-${p.field}`}">${
            def.fields.find((f) => f.key === p.field)?.label[v.locale] ??
            def.consents.find((c) => `consent_${c.key}` === p.field)?.text[v.locale].slice(0, 80) ??
            p.field
          }: ${problemText(v.locale, p.message)}</a></li>`,
      )}</ul></div>`
    : ''
}
<form method="post" action="/f/${encodeURIComponent(v.slug)}/submit" class="lw-form" novalidate>
${Object.entries(v.carry).map(([k, val]) => html`<input type="hidden" name="${k}" value="${val}">`)}
<div class="hp"><label for="${HONEYPOT_FIELD}">Homepage</label><input type="text" id="${HONEYPOT_FIELD}" name="${HONEYPOT_FIELD}" tabindex="-1" autocomplete="off"></div>
${v.fields.map((f) => fieldHtml(v, f))}
${
  def.consents.length > 0
    ? html`<fieldset><legend>${anyRequiredBox ? t.consentsLegendRequired : t.consentsLegend}</legend>${def.consents.map(
        (c) => {
          const problem = problems.find((p) => p.field === `consent_${c.key}`);
          return html`<div class="consent"><input type="checkbox" id="c-${c.key}" name="consent_${c.key}" value="on" ${
            v.ticked?.includes(c.key) ? html`checked` : ''
          } ${c.required ? html`required aria-required="true"` : ''} ${problem ? html`aria-invalid="true" aria-describedby="c-${c.key}-error"` : ''}><label for="c-${c.key}">${
            c.text[v.locale]
          }${c.required ? html` <span class="req">(${t.required})</span>` : ''}</label>${
            problem
              ? html`<p class="error" id="c-${c.key}-error">${problemText(v.locale, problem.message)}</p>`
              : ''
          }</div>`;
        },
      )}</fieldset>`
    : ''
}
${def.contentForConsent && def.couplingNotice[v.locale] ? html`<p class="notice"><strong>${t.coupling}:</strong> ${def.couplingNotice[v.locale]}</p>` : ''}
${
  v.pow
    ? html`<altcha-widget challenge="/f/${encodeURIComponent(v.slug)}/challenge" name="altcha" language="${v.locale}" hidefooter></altcha-widget><noscript><p class="notice">${t.noscript}</p></noscript>`
    : ''
}
<button type="submit">${def.submitLabel[v.locale]}</button>
</form>
<div class="art13">
<p><strong>${t.purpose}:</strong> ${def.purposeStatement[v.locale]}</p>
<p><strong>${t.controller}:</strong> ${[def.controller.name, def.controller.address, def.controller.email].filter(Boolean).join(', ')}</p>
<p><a href="${def.privacyNoticeUrl}" rel="noopener">${t.privacy}</a></p>
</div>`;
}

/** A whole hosted-form document (the shared public layout plus our stylesheet and the widget). */
export function hostedFormDocument(input: {
  locale: PublicLocale;
  title: string;
  body: SafeHtml;
  switchHref?: string | undefined;
  pow: boolean;
}): string {
  const other = input.locale === 'de' ? 'en' : 'de';
  return html`<!doctype html>
<html lang="${input.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="strict-origin-when-cross-origin">
<title>${input.title}</title>
<link rel="stylesheet" href="/f/assets/form.css">
${input.pow ? html`<script type="module" src="/f/assets/altcha.js"></script>` : ''}
</head>
<body>
<a class="skip" href="#main">${input.locale === 'de' ? 'Zum Inhalt springen' : 'Skip to content'}</a>
${input.switchHref ? html`<header><a href="${input.switchHref}" hreflang="${other}" lang="${other}">${input.locale === 'de' ? 'English' : 'Deutsch'}</a></header>` : ''}
<main id="main">
${input.body}
</main>
</body>
</html>
`.value;
}

export { escapeHtml };
