import type { Executor } from '../../shared/db/index.js';
import type { ApiKey } from '../../shared/db/schema.js';

export async function insertApiKey(
  db: Executor,
  row: {
    id: string;
    workspace_id: string;
    name: string;
    prefix: string;
    key_hash: string;
    scopes: string[];
    created_by: string | null;
  },
): Promise<ApiKey> {
  return db
    .insertInto('api_keys')
    .values({ ...row, scopes: JSON.stringify(row.scopes) })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findApiKeyByPrefix(db: Executor, prefix: string): Promise<ApiKey | undefined> {
  return db.selectFrom('api_keys').selectAll().where('prefix', '=', prefix).executeTakeFirst();
}

export async function listApiKeys(db: Executor, workspaceId: string): Promise<ApiKey[]> {
  return db
    .selectFrom('api_keys')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at', 'desc')
    .execute();
}

export async function revokeApiKeyRow(
  db: Executor,
  workspaceId: string,
  id: string,
  now: Date,
): Promise<ApiKey | undefined> {
  return db
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

export async function markApiKeyUsed(db: Executor, id: string, now: Date): Promise<void> {
  await db.updateTable('api_keys').set({ last_used_at: now }).where('id', '=', id).execute();
}
