import { convert } from 'html-to-text';
import mjml2html from 'mjml';
import type { MailKind } from '../../../shared/db/schema.js';
import { AppError } from '../../../shared/errors.js';

/*
 * MJML → HTML happens once per template version (it takes 15–150 ms); the Liquid placeholders
 * pass through MJML untouched and are rendered per recipient. The workspace layout (logo, body,
 * unsubscribe footer, imprint) is MJML around the template's sections; its values are Liquid
 * variables too (`layout.*`), so nothing a settings field holds is ever parsed as MJML or Liquid.
 */

export interface LayoutOptions {
  accentColor: string;
  hasLogo: boolean;
}

export interface CompileInput {
  locale: 'de' | 'en';
  kind: MailKind;
  subject: string;
  preheader: string;
  bodyMjml: string;
  layout: LayoutOptions;
}

export interface CompiledSource {
  subject: string;
  html: string;
  text: string;
  /** MJML validation warnings (the mail is still rendered). */
  warnings: { line: number; message: string }[];
}

const FOOTER = {
  de: {
    reason:
      'Sie erhalten diese E-Mail, weil Sie eingewilligt haben, von uns Informationen per E-Mail zu bekommen.',
    unsubscribe: 'Vom Empfang abmelden',
    imprint: 'Impressum',
  },
  en: {
    reason: 'You receive this e-mail because you agreed to receive information from us by e-mail.',
    unsubscribe: 'Unsubscribe',
    imprint: 'Imprint',
  },
} as const;

/** `<`, `>` and `&` escaped: for text from a form field placed into MJML markup. */
export function escapeMarkup(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The whole MJML document: the layout around the template's body sections. */
export function layoutMjml(input: CompileInput): string {
  const t = FOOTER[input.locale];
  const accent = /^#[0-9a-fA-F]{6}$/.test(input.layout.accentColor) ? input.layout.accentColor : '#1c7ed6';
  const logo = input.layout.hasLogo
    ? `<mj-section padding="16px 0"><mj-column><mj-image src="{{ layout.logo_url }}" alt="{{ workspace.name }}" width="160px" align="left" padding="0 24px" /></mj-column></mj-section>`
    : '';
  const unsubscribe =
    input.kind === 'marketing'
      ? `<p style="margin:0 0 8px">${t.reason} <a href="{{ unsubscribe_url }}" style="color:#4a5360">${t.unsubscribe}</a></p>`
      : '';
  return `<mjml lang="${input.locale}">
  <mj-head>
    <mj-title>{{ workspace.name }}</mj-title>
    <mj-preview>${escapeMarkup(input.preheader)}</mj-preview>
    <mj-attributes>
      <mj-all font-family="Arial, Helvetica, sans-serif" />
      <mj-text font-size="16px" line-height="1.5" color="#1b1f24" />
      <mj-button background-color="${accent}" color="#ffffff" font-weight="600" border-radius="6px" />
    </mj-attributes>
  </mj-head>
  <mj-body background-color="#f4f5f7" width="600px">
    ${logo}
    ${input.bodyMjml}
    <mj-section padding="16px 0">
      <mj-column>
        <mj-text font-size="12px" line-height="1.5" color="#4a5360">
          ${unsubscribe}
          <p style="margin:0"><strong>${t.imprint}:</strong> {% for line in layout.imprint_lines %}{{ line }}{% unless forloop.last %}<br />{% endunless %}{% endfor %}</p>
        </mj-text>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>`;
}

/** The plain-text part, derived from the compiled HTML (Liquid placeholders pass through as text). */
export function htmlToText(html: string): string {
  // The hidden preheader is for the inbox preview only.
  const visible = html.replace(/<div style="display:none;[^"]*">[\s\S]*?<\/div>/, '');
  return convert(visible, {
    wordwrap: false,
    selectors: [
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'h2', options: { uppercase: false } },
      { selector: 'h3', options: { uppercase: false } },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
      { selector: 'img', format: 'skip' },
      { selector: 'table', format: 'block' },
      { selector: 'tr', format: 'block' },
      { selector: 'td', format: 'block' },
    ],
  })
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * Compiles a template variant inside the workspace layout: MJML → responsive HTML (no includes
 * from the file system, no web fonts loaded from third parties), plus the text part.
 */
export async function compileTemplate(input: CompileInput): Promise<CompiledSource> {
  const doc = layoutMjml(input);
  // Warnings name lines of the template body, not of the layout around it.
  const offset = input.bodyMjml ? doc.slice(0, doc.indexOf(input.bodyMjml)).split('\n').length - 1 : 0;
  let result: Awaited<ReturnType<typeof mjml2html>>;
  try {
    result = await mjml2html(doc, {
      fonts: {},
      keepComments: false,
      validationLevel: 'soft',
      ignoreIncludes: true,
      useMjmlConfigOptions: false,
    });
  } catch (err) {
    throw new AppError('MAIL_TEMPLATE_INVALID', {
      field: 'bodyMjml',
      reason: err instanceof Error ? err.message.split('\n')[0] : String(err),
    });
  }
  return {
    subject: input.subject,
    html: result.html,
    text: htmlToText(result.html),
    warnings: (result.errors ?? []).map((e) => ({
      line: Math.max(1, e.line - offset),
      message: e.message,
    })),
  };
}
