import type { Selectable } from 'kysely';
import type { Executor } from '../../shared/db/index.js';
import type { MailKind, MailTemplatesTable, MailTemplateVariantsTable } from '../../shared/db/schema.js';

export type MailTemplate = Selectable<MailTemplatesTable>;
export type MailTemplateVariant = Selectable<MailTemplateVariantsTable>;

export async function findTemplate(
  db: Executor,
  workspaceId: string,
  id: string,
): Promise<MailTemplate | undefined> {
  return db
    .selectFrom('mail_templates')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function findTemplateVariants(
  db: Executor,
  workspaceId: string,
  templateId: string,
): Promise<MailTemplateVariant[]> {
  return db
    .selectFrom('mail_template_variants')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('template_id', '=', templateId)
    .orderBy('locale')
    .execute();
}

export interface TemplateListRow extends MailTemplate {
  locales: string[];
}

export async function listTemplates(
  db: Executor,
  workspaceId: string,
  options: { includeArchived?: boolean } = {},
): Promise<TemplateListRow[]> {
  let query = db
    .selectFrom('mail_templates as t')
    .selectAll('t')
    .select((eb) =>
      eb
        .selectFrom('mail_template_variants as v')
        .select((e) => e.fn.agg<string[]>('array_agg', ['v.locale']).as('locales'))
        .whereRef('v.template_id', '=', 't.id')
        .where('v.workspace_id', '=', workspaceId)
        .as('locales'),
    )
    .where('t.workspace_id', '=', workspaceId);
  if (!options.includeArchived) query = query.where('t.archived_at', 'is', null);
  const rows = await query.orderBy('t.name').orderBy('t.id').execute();
  return rows.map((r) => ({ ...r, locales: (r.locales ?? []).slice().sort() }));
}

export async function insertTemplate(
  db: Executor,
  row: {
    id: string;
    workspace_id: string;
    name: string;
    kind: MailKind;
    purpose: string | null;
    created_by: string | null;
    created_at: Date;
  },
): Promise<MailTemplate> {
  return db
    .insertInto('mail_templates')
    .values({ ...row, updated_at: row.created_at })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Changes the template row and bumps its version (compiled forms are cached per version). */
export async function updateTemplateRow(
  db: Executor,
  workspaceId: string,
  id: string,
  patch: Partial<Pick<MailTemplate, 'name' | 'kind' | 'purpose' | 'archived_at'>>,
  now: Date,
): Promise<MailTemplate | undefined> {
  return db
    .updateTable('mail_templates')
    .set((eb) => ({ ...patch, version: eb('version', '+', 1), updated_at: now }))
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function upsertVariant(
  db: Executor,
  row: {
    workspace_id: string;
    template_id: string;
    locale: 'de' | 'en';
    subject: string;
    preheader: string;
    body_mjml: string;
    updated_at: Date;
  },
): Promise<void> {
  await db
    .insertInto('mail_template_variants')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['workspace_id', 'template_id', 'locale']).doUpdateSet({
        subject: row.subject,
        preheader: row.preheader,
        body_mjml: row.body_mjml,
        updated_at: row.updated_at,
      }),
    )
    .execute();
}

export async function deleteVariant(
  db: Executor,
  workspaceId: string,
  templateId: string,
  locale: 'de' | 'en',
): Promise<boolean> {
  const r = await db
    .deleteFrom('mail_template_variants')
    .where('workspace_id', '=', workspaceId)
    .where('template_id', '=', templateId)
    .where('locale', '=', locale)
    .executeTakeFirst();
  return r.numDeletedRows > 0n;
}
