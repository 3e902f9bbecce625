import type { Actor } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import type { Db } from '../../shared/db/index.js';
import type { MailKind } from '../../shared/db/schema.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import type { AppDeps } from '../../shared/module.js';
import { recordAudit } from '../audit/index.js';
import { enqueueMessage } from './enqueue-message.js';
import type { CompiledSource } from './render/compile.js';
import { type MailRenderer, templateScope } from './render/renderer.js';
import { SAMPLE_CONTACT } from './render/sample-contact.js';
import { findMailSettings } from './settings.repository.js';
import {
  deleteVariant,
  findTemplate,
  findTemplateVariants,
  insertTemplate,
  type MailTemplate,
  type MailTemplateVariant,
  updateTemplateRow,
  upsertVariant,
} from './templates.repository.js';

const PURPOSE_RE = /^[a-z0-9][a-z0-9_.:-]{0,62}$/;

function checkKindAndPurpose(kind: MailKind, purpose: string | null | undefined): string | null {
  if (kind === 'marketing') {
    if (!purpose) throw new AppError('MAIL_PURPOSE_REQUIRED', { field: 'purpose' });
    if (!PURPOSE_RE.test(purpose)) {
      throw new AppError('VALIDATION_FAILED', {
        fields: [{ field: 'purpose', message: 'a purpose like newsletter' }],
      });
    }
    return purpose;
  }
  return null;
}

export interface VariantInput {
  subject: string;
  preheader?: string | undefined;
  bodyMjml: string;
}

/**
 * Renders unsaved template text as the editor's preview: MJML inside the workspace layout,
 * personalised for a sample contact. Throws MAIL_TEMPLATE_INVALID for Liquid syntax errors;
 * MJML problems come back as warnings with line numbers.
 */
export async function previewTemplate(
  db: Db,
  renderer: MailRenderer,
  publicUrl: string,
  workspaceId: string,
  workspaceName: string,
  input: VariantInput & {
    kind: MailKind;
    locale: 'de' | 'en';
    variables?: Record<string, unknown> | undefined;
  },
): Promise<{ subject: string; html: string; text: string; warnings: CompiledSource['warnings'] }> {
  const settings = await findMailSettings(db, workspaceId);
  const compiled = await renderer.compile(
    { kind: input.kind },
    {
      locale: input.locale,
      subject: input.subject,
      preheader: input.preheader ?? '',
      body_mjml: input.bodyMjml,
    },
    settings,
  );
  const rendered = renderer.render(
    compiled,
    templateScope({
      contact: SAMPLE_CONTACT[input.locale],
      workspaceName,
      settings,
      unsubscribeUrl: input.kind === 'marketing' ? `${publicUrl}/u/preview` : null,
      variables: input.variables ?? null,
    }),
  );
  return { ...rendered, warnings: compiled.source.warnings };
}

async function validateVariant(
  renderer: MailRenderer,
  kind: MailKind,
  locale: 'de' | 'en',
  v: VariantInput,
): Promise<void> {
  if (!v.subject.trim())
    throw new AppError('VALIDATION_FAILED', { fields: [{ field: 'subject', message: 'required' }] });
  // Parses MJML and Liquid; a syntax error is refused with the part it is in.
  await renderer.compile(
    { kind },
    { locale, subject: v.subject, preheader: v.preheader ?? '', body_mjml: v.bodyMjml },
    { accent_color: '#1c7ed6', logo_url: null },
  );
}

/** Creates a template with its first variant(s). */
export async function createTemplate(
  db: Db,
  renderer: MailRenderer,
  clock: Clock,
  actor: Actor,
  workspaceId: string,
  input: {
    name: string;
    kind: MailKind;
    purpose?: string | null | undefined;
    variants: Partial<Record<'de' | 'en', VariantInput>>;
  },
): Promise<{ template: MailTemplate; variants: MailTemplateVariant[] }> {
  const purpose = checkKindAndPurpose(input.kind, input.purpose);
  const locales = (['de', 'en'] as const).filter((l) => input.variants[l]);
  if (locales.length === 0) {
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'variants', message: 'at least one language' }],
    });
  }
  for (const l of locales) await validateVariant(renderer, input.kind, l, input.variants[l]!);
  const now = clock.now();
  return db.transaction().execute(async (trx) => {
    const template = await insertTemplate(trx, {
      id: newId(),
      workspace_id: workspaceId,
      name: input.name.trim(),
      kind: input.kind,
      purpose,
      created_by: actor.userId,
      created_at: now,
    });
    for (const l of locales) {
      const v = input.variants[l]!;
      await upsertVariant(trx, {
        workspace_id: workspaceId,
        template_id: template.id,
        locale: l,
        subject: v.subject,
        preheader: v.preheader ?? '',
        body_mjml: v.bodyMjml,
        updated_at: now,
      });
    }
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'mail.template-created',
      targetType: 'mail_template',
      targetId: template.id,
      details: { name: template.name, kind: template.kind, purpose, locales },
    });
    return { template, variants: await findTemplateVariants(trx, workspaceId, template.id) };
  });
}

/** Changes name, kind or purpose, and/or writes or removes variants; bumps the version. */
export async function updateTemplate(
  db: Db,
  renderer: MailRenderer,
  clock: Clock,
  actor: Actor,
  workspaceId: string,
  id: string,
  input: {
    name?: string | undefined;
    kind?: MailKind | undefined;
    purpose?: string | null | undefined;
    variants?: Partial<Record<'de' | 'en', VariantInput | null>> | undefined;
  },
): Promise<{ template: MailTemplate; variants: MailTemplateVariant[] }> {
  const current = await findTemplate(db, workspaceId, id);
  if (!current || current.archived_at) throw new AppError('MAIL_TEMPLATE_NOT_FOUND');
  const kind = input.kind ?? current.kind;
  const purpose = checkKindAndPurpose(kind, input.purpose === undefined ? current.purpose : input.purpose);
  for (const l of ['de', 'en'] as const) {
    const v = input.variants?.[l];
    if (v) await validateVariant(renderer, kind, l, v);
  }
  const now = clock.now();
  return db.transaction().execute(async (trx) => {
    for (const l of ['de', 'en'] as const) {
      const v = input.variants?.[l];
      if (v === null) await deleteVariant(trx, workspaceId, id, l);
      else if (v) {
        await upsertVariant(trx, {
          workspace_id: workspaceId,
          template_id: id,
          locale: l,
          subject: v.subject,
          preheader: v.preheader ?? '',
          body_mjml: v.bodyMjml,
          updated_at: now,
        });
      }
    }
    const variants = await findTemplateVariants(trx, workspaceId, id);
    if (variants.length === 0) {
      throw new AppError('VALIDATION_FAILED', {
        fields: [{ field: 'variants', message: 'at least one language' }],
      });
    }
    const template = (await updateTemplateRow(
      trx,
      workspaceId,
      id,
      { ...(input.name !== undefined ? { name: input.name.trim() } : {}), kind, purpose },
      now,
    ))!;
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'mail.template-updated',
      targetType: 'mail_template',
      targetId: id,
      details: {
        name: template.name,
        version: template.version,
        changed: [
          ...(input.name !== undefined ? ['name'] : []),
          ...(input.kind !== undefined ? ['kind'] : []),
          ...(input.purpose !== undefined ? ['purpose'] : []),
          ...Object.keys(input.variants ?? {}).map((l) => `variant:${l}`),
        ],
      },
    });
    return { template, variants };
  });
}

/** Archives a template: it disappears from lists, messages already queued with it still go out. */
export async function archiveTemplate(
  db: Db,
  clock: Clock,
  actor: Actor,
  workspaceId: string,
  id: string,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const t = await updateTemplateRow(trx, workspaceId, id, { archived_at: clock.now() }, clock.now());
    if (!t) throw new AppError('MAIL_TEMPLATE_NOT_FOUND');
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'mail.template-archived',
      targetType: 'mail_template',
      targetId: id,
      details: { name: t.name },
    });
  });
}

/**
 * Sends a template to the user themself, rendered for the sample contact and marked as a test.
 * A marketing template still needs the imprint (the test shows the real footer).
 */
export async function sendTestMail(
  db: Db,
  deps: Pick<AppDeps, 'clock' | 'queue'>,
  actor: Actor,
  workspaceId: string,
  input: { templateId: string; locale: 'de' | 'en'; to: string },
): Promise<{ messageId: string }> {
  const template = await findTemplate(db, workspaceId, input.templateId);
  if (!template || template.archived_at) throw new AppError('MAIL_TEMPLATE_NOT_FOUND');
  const variants = await findTemplateVariants(db, workspaceId, template.id);
  if (!variants.some((v) => v.locale === input.locale)) throw new AppError('MAIL_TEMPLATE_VARIANT_MISSING');
  if (template.kind === 'marketing') {
    const settings = await findMailSettings(db, workspaceId);
    if (!settings.imprint.trim()) throw new AppError('MAIL_IMPRINT_MISSING');
  }
  return db.transaction().execute(async (trx) => {
    const { messageId } = await enqueueMessage(trx, deps, {
      workspaceId,
      kind: template.kind,
      purpose: template.purpose ?? undefined,
      to: input.to,
      locale: input.locale,
      template: { id: template.id, variables: { sample: true } },
      lane: 'critical',
      isTest: true,
    });
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'mail.test-sent',
      targetType: 'mail_template',
      targetId: template.id,
      details: { locale: input.locale, messageId },
    });
    return { messageId };
  });
}
