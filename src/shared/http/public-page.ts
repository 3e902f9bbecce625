import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { Locale } from '../errors.js';

/*
 * Server-rendered pages for the public (confirm, unsubscribe, preference center, hosted forms):
 * one layout, German and English, no cookies, no scripts, no third-party resources, a strict CSP
 * and every value escaped. Modules build the <main> content with `html` and send it with
 * `sendPublicPage`.
 */

/** A piece of HTML that is already safe; everything else interpolated into `html` is escaped. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes text for HTML content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"'`]/g, (c) => ESCAPES[c] ?? c);
}

function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(value);
}

/** Tagged template: `html\`<p>${text}</p>\`` escapes `text`; nested `html` and arrays of it pass through. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) out += render(values[i]) + (strings[i + 1] ?? '');
  return new SafeHtml(out);
}

/** The language of a public page: `?lang=` wins, then the given default (workspace or form), then the browser. */
export function pickLocale(
  query: unknown,
  fallback: Locale | null | undefined,
  acceptLanguage?: string,
): Locale {
  const lang = (query as { lang?: unknown } | undefined)?.lang;
  if (lang === 'de' || lang === 'en') return lang;
  if (fallback) return fallback;
  return acceptLanguage?.toLowerCase().startsWith('de') ? 'de' : 'en';
}

export interface PublicPage {
  locale: Locale;
  title: string;
  /** The page's content (inside <main>); start it with the page's <h1>. */
  body: SafeHtml;
  /** The same page in the other language (path with query), for the language switch. */
  switchHref?: string;
  /** Small print under the content, e.g. the controller's name. */
  footer?: SafeHtml;
  status?: number;
}

const STYLE = `
:root{color-scheme:light;--fg:#1b1f24;--muted:#4a5360;--accent:#0b5cad;--bg:#f6f7f9;--card:#fff;--line:#d0d5dc}
*{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;font-size:100%;line-height:1.5;color:var(--fg);background:var(--bg)}
body{margin:0;padding:1rem}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem}
.skip:focus{left:1rem}
header,main,footer{max-width:40rem;margin:0 auto}
header{display:flex;justify-content:flex-end;padding:.25rem 0}
main{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1.5rem}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 1rem}
h2{font-size:1.125rem;margin:1.5rem 0 .5rem}
p,ul,fieldset{margin:0 0 1rem}
a{color:var(--accent)}
a:focus-visible,button:focus-visible,input:focus-visible{outline:3px solid #f5a623;outline-offset:2px}
button{font:inherit;font-weight:600;padding:.625rem 1.25rem;border-radius:6px;border:2px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer;min-height:44px}
button.secondary{background:#fff;color:var(--accent)}
button.danger{background:#fff;color:#a4000f;border-color:#a4000f}
fieldset{border:1px solid var(--line);border-radius:6px;padding:.75rem 1rem}
legend{font-weight:600;padding:0 .25rem}
label{display:flex;gap:.5rem;align-items:flex-start;padding:.25rem 0}
input[type=checkbox]{width:1.25rem;height:1.25rem;margin-top:.125rem;flex:none}
.muted{color:var(--muted);font-size:.9375rem}
.notice{border-left:4px solid var(--accent);padding:.5rem .75rem;background:#eef4fb}
footer{padding:1rem 0;color:var(--muted);font-size:.875rem}
form.inline{display:inline}
@media print{body{background:#fff;padding:0}main{border:0;padding:0}header,.skip,form{display:none}}
`;

const STYLE_HASH = createHash('sha256').update(STYLE).digest('base64');

/**
 * The Content-Security-Policy of public pages: no script at all, only the layout's own style
 * (by hash), images from here, forms posting here, never framed.
 */
export const PUBLIC_PAGE_CSP =
  `default-src 'none'; style-src 'sha256-${STYLE_HASH}'; img-src 'self' data:; form-action 'self'; ` +
  "frame-ancestors 'none'; base-uri 'none'";

const SWITCH_LABEL = { de: 'English', en: 'Deutsch' } as const;
const SWITCH_LANG = { de: 'en', en: 'de' } as const;
const SKIP_LABEL = { de: 'Zum Inhalt springen', en: 'Skip to content' } as const;

/** The whole document of a public page. */
export function renderPublicPage(page: PublicPage): string {
  const other = SWITCH_LANG[page.locale];
  const doc = html`<!doctype html>
<html lang="${page.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>${page.title}</title>
<style>${new SafeHtml(STYLE)}</style>
</head>
<body>
<a class="skip" href="#main">${SKIP_LABEL[page.locale]}</a>
${
  page.switchHref
    ? html`<header><a href="${page.switchHref}" hreflang="${other}" lang="${other}">${SWITCH_LABEL[page.locale]}</a></header>`
    : ''
}
<main id="main">
${page.body}
</main>
${page.footer ? html`<footer>${page.footer}</footer>` : ''}
</body>
</html>
`;
  return doc.value;
}

/** Sends a public page: HTML, no caching (it may show personal choices), strict CSP, never a cookie. */
export function sendPublicPage(reply: FastifyReply, page: PublicPage): FastifyReply {
  return reply
    .code(page.status ?? 200)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('content-security-policy', PUBLIC_PAGE_CSP)
    .header('x-robots-tag', 'noindex, nofollow')
    .header('referrer-policy', 'no-referrer')
    .send(renderPublicPage(page));
}

/** A path with `lang` set (or replaced) in its query, for the language switch. */
export function withLang(path: string, locale: Locale): string {
  const [base = path, query = ''] = path.split('?');
  const params = new URLSearchParams(query);
  params.set('lang', locale);
  return `${base}?${params.toString()}`;
}
