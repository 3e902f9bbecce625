import type { Executor, Trx } from '../../shared/db/index.js';
import { AppError } from '../../shared/errors.js';
import type { AppDeps } from '../../shared/module.js';
import { recordActivity } from '../contacts/index.js';
import { type Bant, isBantQualified } from './rules.js';
import { loadScoringContext, rescoreContacts } from './scores.service.js';
import { changeStage } from './stages.service.js';

export const BANT_FIELDS = ['need', 'budget', 'authority', 'timeline'] as const;
export type BantField = (typeof BANT_FIELDS)[number];
export const BANT_SOURCES = ['form', 'journey', 'sales_call', 'import', 'api'] as const;
export type BantSource = (typeof BANT_SOURCES)[number];

export interface BantAnswerInput {
  workspaceId: string;
  contactId: string;
  answers: Bant;
  source: BantSource;
  /** What asked: `form:<id>`, `journey:<id>`, `user:<id>`, `import:<id>`. */
  sourceRef?: string | null | undefined;
  /** The user who entered it (sales call, API key's creator), if any. */
  userId?: string | null | undefined;
}

function validateAnswers(answers: Bant): void {
  const problems: { field: string; message: string }[] = [];
  const keys = Object.keys(answers);
  if (keys.length === 0) problems.push({ field: 'answers', message: 'at least one answer' });
  for (const k of keys)
    if (!(BANT_FIELDS as readonly string[]).includes(k))
      problems.push({ field: k, message: 'unknown BANT field' });
  if (
    answers.authority &&
    !['decision_maker', 'influencer', 'user', 'unknown'].includes(answers.authority.role)
  )
    problems.push({ field: 'authority.role', message: 'decision_maker, influencer, user or unknown' });
  if (answers.need && typeof answers.need.exists !== 'boolean')
    problems.push({ field: 'need.exists', message: 'true or false' });
  if (answers.budget && typeof answers.budget.exists !== 'boolean')
    problems.push({ field: 'budget.exists', message: 'true or false' });
  if (answers.timeline && (typeof answers.timeline.when !== 'string' || answers.timeline.when.length > 200))
    problems.push({ field: 'timeline.when', message: 'text, at most 200 characters' });
  if (problems.length > 0) throw new AppError('VALIDATION_FAILED', { fields: problems });
}

/**
 * Records BANT answers (from a form, a journey question, a sales call, an import or the API) in the
 * caller's transaction: each answer keeps its source and date, the timeline gets one entry, and the
 * contact's scores and temperature are recomputed. For capture and journeys (docs/contracts.md).
 */
export async function recordBantAnswers(
  trx: Trx,
  deps: Pick<AppDeps, 'clock' | 'queue'>,
  input: BantAnswerInput,
): Promise<Bant> {
  validateAnswers(input.answers);
  const now = deps.clock.now();
  const contact = await trx
    .selectFrom('contacts')
    .select('id')
    .where('workspace_id', '=', input.workspaceId)
    .where('id', '=', input.contactId)
    .where('merged_into_contact_id', 'is', null)
    .forUpdate()
    .executeTakeFirst();
  if (!contact) throw new AppError('NOT_FOUND');
  const rows = Object.entries(input.answers).map(([field, value]) => ({
    workspace_id: input.workspaceId,
    contact_id: input.contactId,
    field: field as BantField,
    value: JSON.stringify(value),
    source: input.source,
    source_ref: input.sourceRef ?? null,
    answered_at: now,
    answered_by: input.userId ?? null,
  }));
  await trx
    .insertInto('bant_answers')
    .values(rows)
    .onConflict((oc) =>
      oc.columns(['workspace_id', 'contact_id', 'field']).doUpdateSet((eb) => ({
        value: eb.ref('excluded.value'),
        source: eb.ref('excluded.source'),
        source_ref: eb.ref('excluded.source_ref'),
        answered_at: eb.ref('excluded.answered_at'),
        answered_by: eb.ref('excluded.answered_by'),
      })),
    )
    .execute();
  await recordActivity(trx, {
    workspaceId: input.workspaceId,
    contactId: input.contactId,
    type: 'scoring.bant-answered',
    occurredAt: now,
    data: { fields: Object.keys(input.answers), source: input.source },
    source: input.sourceRef ?? input.source,
  });
  const ctx = await loadScoringContext(trx, input.workspaceId);
  await rescoreContacts(trx, deps, ctx, input.workspaceId, [input.contactId]);
  return getBant(trx, input.workspaceId, input.contactId).then((b) => b.answers);
}

/** A contact's BANT answers with source and date, and whether they qualify it as SQL. */
export async function getBant(db: Executor, workspaceId: string, contactId: string) {
  const rows = await db
    .selectFrom('bant_answers')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .execute();
  const answers: Record<string, unknown> = {};
  const meta: Record<
    string,
    { source: string; sourceRef: string | null; answeredAt: string; answeredBy: string | null }
  > = {};
  for (const r of rows) {
    answers[r.field] = r.value;
    meta[r.field] = {
      source: r.source,
      sourceRef: r.source_ref,
      answeredAt: new Date(r.answered_at).toISOString(),
      answeredBy: r.answered_by,
    };
  }
  return { answers: answers as Bant, meta, qualified: isBantQualified(answers as Bant) };
}

/**
 * Moves a contact to SQL: allowed when BANT qualifies it, or by a sales rep by hand with a note
 * (`byHand`). Otherwise SQL_NOT_QUALIFIED.
 */
export async function qualifyAsSql(
  trx: Trx,
  deps: Pick<AppDeps, 'clock' | 'queue'>,
  input: { workspaceId: string; contactId: string; cause: string; byHand?: { note: string } | undefined },
) {
  const { qualified } = await getBant(trx, input.workspaceId, input.contactId);
  if (!qualified && !(input.byHand && input.byHand.note.trim().length > 0))
    throw new AppError('SQL_NOT_QUALIFIED');
  return changeStage(trx, deps, {
    workspaceId: input.workspaceId,
    contactId: input.contactId,
    to: 'sql',
    cause: input.cause,
    note: input.byHand?.note ?? 'BANT: need, budget and authority confirmed',
  });
}
