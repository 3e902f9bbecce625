import type { Selectable } from 'kysely';
import type { Executor } from '../../shared/db/index.js';
import type { SendingDomainsTable } from '../../shared/db/schema.js';

export type SendingDomain = Selectable<SendingDomainsTable>;

export async function findSendingDomainByName(
  db: Executor,
  workspaceId: string,
  domain: string,
): Promise<SendingDomain | undefined> {
  return db
    .selectFrom('sending_domains')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('domain', '=', domain.toLowerCase())
    .executeTakeFirst();
}

export async function findSendingDomain(
  db: Executor,
  workspaceId: string,
  id: string,
): Promise<SendingDomain | undefined> {
  return db
    .selectFrom('sending_domains')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function listSendingDomains(db: Executor, workspaceId: string): Promise<SendingDomain[]> {
  return db
    .selectFrom('sending_domains')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('domain')
    .execute();
}

export async function insertSendingDomain(
  db: Executor,
  row: Omit<SendingDomain, 'updated_at' | 'last_checked_at' | 'last_check'>,
): Promise<SendingDomain> {
  return db
    .insertInto('sending_domains')
    .values({ ...row, updated_at: row.created_at })
    .onConflict((oc) => oc.columns(['workspace_id', 'domain']).doNothing())
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteSendingDomain(
  db: Executor,
  workspaceId: string,
  id: string,
): Promise<SendingDomain | undefined> {
  return db
    .deleteFrom('sending_domains')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}

export async function saveDomainCheck(
  db: Executor,
  workspaceId: string,
  id: string,
  check: unknown,
  now: Date,
): Promise<void> {
  await db
    .updateTable('sending_domains')
    .set({ last_check: JSON.stringify(check), last_checked_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .execute();
}
