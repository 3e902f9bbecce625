import type { Actor } from '../../shared/actor.js';
import type { Executor } from '../../shared/db/index.js';
import type { AuditEntry } from '../../shared/db/schema.js';

export interface AuditInput {
  workspaceId: string | null;
  action: string;
  targetType?: string;
  targetId?: string;
  details?: Record<string, unknown>;
}

/** Appends one entry; call it in the same transaction as the change it records. */
export async function insertAuditEntry(db: Executor, actor: Actor, input: AuditInput): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      workspace_id: input.workspaceId,
      actor_user_id: actor.userId,
      actor_api_key_id: actor.apiKeyId,
      actor_label: actor.label,
      action: input.action,
      target_type: input.targetType ?? null,
      target_id: input.targetId ?? null,
      details: JSON.stringify(input.details ?? {}),
      ip: actor.ip,
      user_agent: actor.userAgent,
      request_id: actor.requestId,
    })
    .execute();
}

/** A page of a workspace's audit trail, newest first, before the given id. */
export async function listAuditEntries(
  db: Executor,
  workspaceId: string,
  options: { before?: string | undefined; limit: number },
): Promise<AuditEntry[]> {
  let query = db
    .selectFrom('audit_log')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('id', 'desc')
    .limit(options.limit);
  if (options.before) query = query.where('id', '<', options.before);
  return query.execute();
}
