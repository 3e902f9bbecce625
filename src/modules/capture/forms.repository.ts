import { sql } from 'kysely';
import type { Db, Executor } from '../../shared/db/index.js';
import type { FormKind } from '../../shared/db/schema.js';

export interface FormRow {
  id: string;
  workspace_id: string;
  slug: string;
  name: string;
  kind: FormKind;
  draft: Record<string, unknown>;
  allowed_origins: string[];
  published_version: number | null;
  archived_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export async function insertForm(
  db: Executor,
  row: {
    id: string;
    workspace_id: string;
    slug: string;
    name: string;
    kind: FormKind;
    draft: Record<string, unknown>;
    allowed_origins: string[];
    created_by: string | null;
    now: Date;
  },
): Promise<FormRow> {
  const { now, ...values } = row;
  return (await db
    .insertInto('forms')
    .values({
      ...values,
      draft: JSON.stringify(values.draft),
      allowed_origins: JSON.stringify(values.allowed_origins),
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow()) as FormRow;
}

export async function findFormById(
  db: Executor,
  workspaceId: string,
  id: string,
): Promise<FormRow | undefined> {
  return (await db
    .selectFrom('forms')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst()) as FormRow | undefined;
}

export async function findFormForUpdate(
  db: Executor,
  workspaceId: string,
  id: string,
): Promise<FormRow | undefined> {
  return (await db
    .selectFrom('forms')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .forUpdate()
    .executeTakeFirst()) as FormRow | undefined;
}

/** The public side finds a form by its slug alone: /f/<slug> names no workspace. */
export async function findFormBySlug(db: Executor, slug: string): Promise<FormRow | undefined> {
  return (await db.selectFrom('forms').selectAll().where('slug', '=', slug).executeTakeFirst()) as
    | FormRow
    | undefined;
}

export async function slugTaken(db: Executor, slug: string, exceptId?: string): Promise<boolean> {
  let q = db.selectFrom('forms').select('id').where('slug', '=', slug);
  if (exceptId) q = q.where('id', '<>', exceptId);
  return (await q.executeTakeFirst()) !== undefined;
}

export async function updateFormRow(
  db: Executor,
  workspaceId: string,
  id: string,
  patch: {
    name?: string;
    slug?: string;
    draft?: Record<string, unknown>;
    allowed_origins?: string[];
    published_version?: number;
    archived_at?: Date | null;
    updated_at: Date;
  },
): Promise<FormRow | undefined> {
  const set: Record<string, unknown> = { ...patch };
  if (patch.draft) set.draft = JSON.stringify(patch.draft);
  if (patch.allowed_origins) set.allowed_origins = JSON.stringify(patch.allowed_origins);
  return (await db
    .updateTable('forms')
    .set(set)
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst()) as FormRow | undefined;
}

export interface FormListRow extends FormRow {
  views: number;
  submissions: number;
  confirmations: number;
}

/** The workspace's forms with their figures: views and submissions counted per day, confirmations from consents. */
export async function listFormsWithStats(db: Executor, workspaceId: string): Promise<FormListRow[]> {
  const forms = (await db
    .selectFrom('forms')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at', 'desc')
    .execute()) as FormRow[];
  const stats = await formStats(db, workspaceId);
  return forms.map((f) => ({ ...f, ...(stats.get(f.id) ?? { views: 0, submissions: 0, confirmations: 0 }) }));
}

/**
 * Views and submissions per form (daily counters), and confirmations: submissions whose contact
 * has confirmed one of the purposes the submission asked for, after it was submitted.
 */
export async function formStats(
  db: Executor,
  workspaceId: string,
  formId?: string,
): Promise<Map<string, { views: number; submissions: number; confirmations: number }>> {
  let counters = db
    .selectFrom('form_daily_stats')
    .select([
      'form_id',
      (eb) => eb.fn.sum<string>('views').as('views'),
      (eb) => eb.fn.sum<string>('submissions').as('submissions'),
    ])
    .where('workspace_id', '=', workspaceId)
    .groupBy('form_id');
  if (formId) counters = counters.where('form_id', '=', formId);
  const confirmed = await sql<{ form_id: string; n: string }>`
    SELECT s.form_id, count(DISTINCT s.id) AS n
    FROM form_submissions s
    JOIN consents c ON c.workspace_id = s.workspace_id AND c.contact_id = s.contact_id
      AND s.purposes ? c.purpose
    WHERE s.workspace_id = ${workspaceId}
      ${formId ? sql`AND s.form_id = ${formId}` : sql``}
      AND c.status = 'confirmed' AND c.confirmed_at >= s.submitted_at
    GROUP BY s.form_id`.execute(db);
  const out = new Map<string, { views: number; submissions: number; confirmations: number }>();
  for (const r of await counters.execute()) {
    out.set(r.form_id, {
      views: Number(r.views ?? 0),
      submissions: Number(r.submissions ?? 0),
      confirmations: 0,
    });
  }
  for (const r of confirmed.rows) {
    const e = out.get(r.form_id) ?? { views: 0, submissions: 0, confirmations: 0 };
    e.confirmations = Number(r.n);
    out.set(r.form_id, e);
  }
  return out;
}

export async function insertFormVersion(
  db: Executor,
  row: {
    workspace_id: string;
    form_id: string;
    version: number;
    definition: Record<string, unknown>;
    published_at: Date;
    published_by: string | null;
  },
): Promise<void> {
  await db
    .insertInto('form_versions')
    .values({ ...row, definition: JSON.stringify(row.definition) })
    .execute();
}

export async function findFormVersion(
  db: Executor,
  workspaceId: string,
  formId: string,
  version: number,
): Promise<{ version: number; definition: Record<string, unknown>; published_at: Date } | undefined> {
  return db
    .selectFrom('form_versions')
    .select(['version', 'definition', 'published_at'])
    .where('workspace_id', '=', workspaceId)
    .where('form_id', '=', formId)
    .where('version', '=', version)
    .executeTakeFirst();
}

export async function listFormVersions(
  db: Executor,
  workspaceId: string,
  formId: string,
): Promise<{ version: number; published_at: Date; published_by: string | null }[]> {
  return db
    .selectFrom('form_versions')
    .select(['version', 'published_at', 'published_by'])
    .where('workspace_id', '=', workspaceId)
    .where('form_id', '=', formId)
    .orderBy('version', 'desc')
    .execute();
}

/**
 * Counts a view or a submission on today's row (one upsert). A counter is soft state: its commit
 * does not wait for the disk, so a popular form's hot row is not held locked through an fsync.
 */
export async function bumpDailyStat(
  db: Db,
  workspaceId: string,
  formId: string,
  day: string,
  what: 'views' | 'submissions',
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await sql`SET LOCAL synchronous_commit TO OFF`.execute(trx);
    await trx
      .insertInto('form_daily_stats')
      .values({ workspace_id: workspaceId, form_id: formId, day, [what]: 1 })
      .onConflict((oc) =>
        oc
          .columns(['workspace_id', 'form_id', 'day'])
          .doUpdateSet((eb) => ({ [what]: eb(`form_daily_stats.${what}`, '+', 1) })),
      )
      .execute();
  });
}
