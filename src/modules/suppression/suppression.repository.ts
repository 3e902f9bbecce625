import { type RawBuilder, sql } from 'kysely';
import { sha256 } from '../../shared/crypto.js';
import type { Executor } from '../../shared/db/index.js';
import type { SuppressionReason } from '../../shared/db/schema.js';
import { normalizeEmail } from '../../shared/email.js';

/**
 * The stored form of a suppressed address: SHA-256 over the workspace id and the normalised
 * address. It matches future sign-ups and imports without keeping the address itself.
 */
export function suppressionHash(workspaceId: string, email: string): string {
  return sha256(`${workspaceId}:${normalizeEmail(email) ?? email.trim().toLowerCase()}`);
}

/** Whether the address may not be mailed in this workspace. */
export async function isSuppressed(db: Executor, workspaceId: string, email: string): Promise<boolean> {
  const row = await db
    .selectFrom('suppressions')
    .select('reason')
    .where('workspace_id', '=', workspaceId)
    .where('email_hash', '=', suppressionHash(workspaceId, email))
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * The same question as `isSuppressed`, as an SQL expression another module's statement can embed
 * (so a hot path asks it without a round trip of its own).
 */
export function suppressedExpression(workspaceId: string, email: string): RawBuilder<boolean> {
  return sql<boolean>`EXISTS (SELECT 1 FROM suppressions WHERE workspace_id = ${workspaceId}
    AND email_hash = ${suppressionHash(workspaceId, email)})`;
}

/** Adds the address to the suppression list; an existing entry keeps its first reason. Returns true if new. */
export async function addSuppression(
  db: Executor,
  workspaceId: string,
  email: string,
  entry: { reason: SuppressionReason; source?: string; note?: string; createdBy?: string | null },
): Promise<boolean> {
  const result = await db
    .insertInto('suppressions')
    .values({
      workspace_id: workspaceId,
      email_hash: suppressionHash(workspaceId, email),
      reason: entry.reason,
      source: entry.source ?? null,
      note: entry.note ?? null,
      created_by: entry.createdBy ?? null,
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'email_hash']).doNothing())
    .returning('email_hash')
    .executeTakeFirst();
  return result !== undefined;
}
