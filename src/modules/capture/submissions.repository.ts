import type { RawBuilder, Selectable } from 'kysely';
import type { Executor } from '../../shared/db/index.js';
import { insertRowsIf } from '../../shared/db/insert-if.js';
import type { FormSubmissionsTable } from '../../shared/db/schema.js';

export type SubmissionRow = Selectable<FormSubmissionsTable>;

export async function insertSubmission(
  db: Executor,
  row: Omit<SubmissionRow, 'answers' | 'purposes'> & { answers: Record<string, unknown>; purposes: string[] },
): Promise<void> {
  await db
    .insertInto('form_submissions')
    .values({ ...row, answers: JSON.stringify(row.answers), purposes: JSON.stringify(row.purposes) })
    .execute();
}

/** The submission row as a part of the sign-up fast path's statement (see shared/db/insert-if.ts). */
export function submissionInsertPart(
  row: Omit<SubmissionRow, 'answers' | 'purposes'> & { answers: Record<string, unknown>; purposes: string[] },
  condition: RawBuilder<boolean>,
): RawBuilder<unknown> {
  return insertRowsIf('form_submissions', [row], condition);
}

export async function listSubmissions(
  db: Executor,
  workspaceId: string,
  formId: string,
  options: { limit: number; before?: string | undefined },
): Promise<SubmissionRow[]> {
  let q = db
    .selectFrom('form_submissions')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('form_id', '=', formId)
    .orderBy('id', 'desc')
    .limit(options.limit);
  if (options.before) q = q.where('id', '<', options.before);
  return q.execute();
}

export async function countSubmissions(
  db: Executor,
  workspaceId: string,
  formId?: string,
): Promise<Map<string, number>> {
  let q = db
    .selectFrom('form_submissions')
    .select(['form_id', (eb) => eb.fn.countAll<string>().as('n')])
    .where('workspace_id', '=', workspaceId)
    .groupBy('form_id');
  if (formId) q = q.where('form_id', '=', formId);
  return new Map((await q.execute()).map((r) => [r.form_id, Number(r.n)]));
}

/** Keys a contact has answered on any earlier submission (for progressive profiling). */
export async function answeredKeys(
  db: Executor,
  workspaceId: string,
  contactId: string,
): Promise<Set<string>> {
  const rows = await db
    .selectFrom('form_submissions')
    .select('answers')
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .orderBy('submitted_at', 'desc')
    .limit(50)
    .execute();
  const keys = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r.answers ?? {})) keys.add(k);
  return keys;
}

export async function listHeldSubmissions(
  db: Executor,
  workspaceId: string,
  limit: number,
): Promise<SubmissionRow[]> {
  return db
    .selectFrom('form_submissions')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('held_at', 'is not', null)
    .where('released_at', 'is', null)
    .orderBy('id')
    .limit(limit)
    .execute();
}

export async function countHeldSubmissions(db: Executor, workspaceId: string): Promise<number> {
  const r = await db
    .selectFrom('form_submissions')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('workspace_id', '=', workspaceId)
    .where('held_at', 'is not', null)
    .where('released_at', 'is', null)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

export async function markReleased(
  db: Executor,
  workspaceId: string,
  id: string,
  now: Date,
  outcome: string,
): Promise<void> {
  await db
    .updateTable('form_submissions')
    .set({ released_at: now, outcome })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .execute();
}
