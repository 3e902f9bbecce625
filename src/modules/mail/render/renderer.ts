import type { Contact } from '../../../shared/db/schema.js';
import type { MailSettings } from '../settings.repository.js';
import type { MailTemplate, MailTemplateVariant } from '../templates.repository.js';
import { type CompiledSource, compileTemplate } from './compile.js';
import { LiquidSandbox, type ParsedMail } from './liquid-sandbox.js';

/*
 * Compiles each template variant once per version (MJML and Liquid parsing) and keeps the result
 * in a small per-process cache; rendering for a recipient is then only Liquid over the parsed
 * templates. The key holds the template's version and the settings' version, so an edit is
 * picked up by the next message in every process without any invalidation message.
 */

export interface CompiledMail {
  source: CompiledSource;
  parsed: ParsedMail;
}

export interface RenderedMail {
  subject: string;
  html: string;
  text: string;
}

/** Keys a template may not set through its variables: they are the sandbox's own data. */
const RESERVED_KEYS = new Set(['contact', 'workspace', 'layout', 'unsubscribe_url']);

export interface TemplateData {
  contact: Pick<
    Contact,
    | 'email'
    | 'first_name'
    | 'last_name'
    | 'company_name'
    | 'job_title'
    | 'country'
    | 'locale'
    | 'custom_fields'
  > | null;
  workspaceName: string;
  settings: Pick<MailSettings, 'logo_url' | 'imprint'>;
  unsubscribeUrl: string | null;
  variables: Record<string, unknown> | null;
}

/** The only data a template sees: this contact, this workspace's name and layout, the message's variables. */
export function templateScope(data: TemplateData): Record<string, unknown> {
  const scope: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data.variables ?? {})) {
    if (!RESERVED_KEYS.has(key)) scope[key] = value;
  }
  const c = data.contact;
  scope.contact = c
    ? {
        email: c.email,
        first_name: c.first_name,
        last_name: c.last_name,
        company_name: c.company_name,
        job_title: c.job_title,
        country: c.country,
        locale: c.locale,
        custom_fields: c.custom_fields,
      }
    : {};
  scope.workspace = { name: data.workspaceName };
  scope.layout = {
    logo_url: data.settings.logo_url,
    imprint_lines: data.settings.imprint
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter(Boolean),
  };
  scope.unsubscribe_url = data.unsubscribeUrl ?? '';
  return scope;
}

export class MailRenderer {
  readonly sandbox = new LiquidSandbox();
  private readonly cache = new Map<string, Promise<CompiledMail>>();

  constructor(private readonly maxEntries = 200) {}

  /** The compiled form of a variant inside the workspace layout, from the cache when it is there. */
  compiled(
    template: Pick<MailTemplate, 'id' | 'version' | 'kind'>,
    variant: Pick<MailTemplateVariant, 'locale' | 'subject' | 'preheader' | 'body_mjml'>,
    settings: Pick<MailSettings, 'version' | 'accent_color' | 'logo_url'>,
  ): Promise<CompiledMail> {
    const key = `${template.id}:${template.version}:${variant.locale}:${settings.version}`;
    let entry = this.cache.get(key);
    if (entry) {
      // Most recently used last: the Map's order is the eviction order.
      this.cache.delete(key);
      this.cache.set(key, entry);
      return entry;
    }
    entry = this.compile(template, variant, settings);
    this.cache.set(key, entry);
    entry.catch(() => this.cache.delete(key));
    while (this.cache.size > this.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
    return entry;
  }

  /** Compiles without the cache (the editor's preview of unsaved text). */
  async compile(
    template: Pick<MailTemplate, 'kind'>,
    variant: Pick<MailTemplateVariant, 'locale' | 'subject' | 'preheader' | 'body_mjml'>,
    settings: Pick<MailSettings, 'accent_color' | 'logo_url'>,
  ): Promise<CompiledMail> {
    const source = await compileTemplate({
      locale: variant.locale,
      kind: template.kind,
      subject: variant.subject,
      preheader: variant.preheader,
      bodyMjml: variant.body_mjml,
      layout: { accentColor: settings.accent_color, hasLogo: Boolean(settings.logo_url) },
    });
    return { source, parsed: this.sandbox.parse(source) };
  }

  render(compiled: CompiledMail, scope: Record<string, unknown>): RenderedMail {
    return this.sandbox.render(compiled.parsed, scope);
  }
}
