import type { Actor } from '../../shared/actor.js';
import type { Db, Executor } from '../../shared/db/index.js';
import type { Suppression, SuppressionReason } from '../../shared/db/schema.js';
import { normalizeEmail } from '../../shared/email.js';
import { AppError } from '../../shared/errors.js';
import { recordAudit } from '../audit/index.js';
import { addSuppression, suppressionHash } from './suppression.repository.js';

/** Entries that record a person's own decision or a legal duty: never removed by hand. */
export const PROTECTED_REASONS: readonly SuppressionReason[] = ['unsubscribed', 'objection', 'erasure'];

export interface SuppressionQuery {
  reason?: SuppressionReason | undefined;
  /** An address to look for (matched by its hash). */
  email?: string | undefined;
  before?: { createdAt: Date; hash: string } | undefined;
  limit: number;
}

/** The suppression list of a workspace, newest first. Addresses are only ever stored as hashes. */
export async function listSuppressions(
  db: Executor,
  workspaceId: string,
  q: SuppressionQuery,
): Promise<Suppression[]> {
  let query = db.selectFrom('suppressions').selectAll().where('workspace_id', '=', workspaceId);
  if (q.reason) query = query.where('reason', '=', q.reason);
  if (q.email) query = query.where('email_hash', '=', suppressionHash(workspaceId, q.email));
  if (q.before) {
    const b = q.before;
    query = query.where((eb) =>
      eb.or([
        eb('created_at', '<', b.createdAt),
        eb.and([eb('created_at', '=', b.createdAt), eb('email_hash', '<', b.hash)]),
      ]),
    );
  }
  return query.orderBy('created_at', 'desc').orderBy('email_hash', 'desc').limit(q.limit).execute();
}

export async function countSuppressions(db: Executor, workspaceId: string): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('suppressions')
    .select(['reason', (eb) => eb.fn.countAll<string>().as('n')])
    .where('workspace_id', '=', workspaceId)
    .groupBy('reason')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.reason, Number(r.n)]));
}

function checkedAddress(email: string): string {
  const normalized = normalizeEmail(email);
  if (!normalized || /[\s<>,;"]/.test(email.trim())) {
    throw new AppError('VALIDATION_FAILED', { fields: [{ field: 'email', message: 'an e-mail address' }] });
  }
  return normalized;
}

/** Adds an address by hand (reason `manual`), with an audit entry; an existing entry is kept as it is. */
export async function suppressAddress(
  db: Db,
  actor: Actor,
  workspaceId: string,
  input: { email: string; note?: string | undefined },
): Promise<{ created: boolean; entry: Suppression }> {
  const email = checkedAddress(input.email);
  return db.transaction().execute(async (trx) => {
    const created = await addSuppression(trx, workspaceId, email, {
      reason: 'manual',
      source: 'admin',
      note: input.note?.trim() || undefined,
      createdBy: actor.userId,
    });
    const hash = suppressionHash(workspaceId, email);
    if (created) {
      await recordAudit(trx, actor, {
        workspaceId,
        action: 'suppression.added',
        targetType: 'suppression',
        targetId: hash,
        details: { reason: 'manual', note: input.note?.trim() || null },
      });
    }
    const entry = await trx
      .selectFrom('suppressions')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('email_hash', '=', hash)
      .executeTakeFirstOrThrow();
    return { created, entry };
  });
}

/**
 * Removes an entry (e.g. a bounce after the address was fixed), with an audit entry. Unsubscribes,
 * objections and erasures stay: only a new consent may lift those, never an admin.
 */
export async function unsuppress(
  db: Db,
  actor: Actor,
  workspaceId: string,
  target: { email?: string | undefined; hash?: string | undefined },
): Promise<void> {
  const hash = target.email ? suppressionHash(workspaceId, checkedAddress(target.email)) : target.hash;
  if (!hash || !/^[0-9a-f]{64}$/.test(hash)) {
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'email', message: 'an address or an entry hash' }],
    });
  }
  await db.transaction().execute(async (trx) => {
    const entry = await trx
      .selectFrom('suppressions')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('email_hash', '=', hash)
      .forUpdate()
      .executeTakeFirst();
    if (!entry) throw new AppError('NOT_FOUND');
    if (PROTECTED_REASONS.includes(entry.reason))
      throw new AppError('SUPPRESSION_PROTECTED', { reason: entry.reason });
    await trx
      .deleteFrom('suppressions')
      .where('workspace_id', '=', workspaceId)
      .where('email_hash', '=', hash)
      .execute();
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'suppression.removed',
      targetType: 'suppression',
      targetId: hash,
      details: { reason: entry.reason, source: entry.source, since: entry.created_at.toISOString() },
    });
  });
}
