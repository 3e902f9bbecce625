import { type Selectable, sql } from 'kysely';
import type { Executor } from '../../shared/db/index.js';
import type { ShortLinksTable } from '../../shared/db/schema.js';

export type ShortLinkRow = Selectable<ShortLinksTable>;

export async function insertShortLink(
  db: Executor,
  row: {
    id: string;
    workspace_id: string;
    code: string;
    name: string;
    form_id: string | null;
    target_url: string | null;
    channel: string;
    utm: Record<string, string>;
    created_by: string | null;
  },
): Promise<ShortLinkRow> {
  return db
    .insertInto('short_links')
    .values({ ...row, utm: JSON.stringify(row.utm) })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function findShortLinkByCode(db: Executor, code: string): Promise<ShortLinkRow | undefined> {
  return db.selectFrom('short_links').selectAll().where('code', '=', code).executeTakeFirst();
}

export async function findWorkspaceShortLink(
  db: Executor,
  workspaceId: string,
  code: string,
): Promise<ShortLinkRow | undefined> {
  return db
    .selectFrom('short_links')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('code', '=', code)
    .executeTakeFirst();
}

export async function listShortLinks(db: Executor, workspaceId: string): Promise<ShortLinkRow[]> {
  return db
    .selectFrom('short_links')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at', 'desc')
    .execute();
}

export async function countClick(db: Executor, id: string): Promise<void> {
  await db.updateTable('short_links').set({ clicks: sql`clicks + 1` }).where('id', '=', id).execute();
}

export async function disableShortLink(
  db: Executor,
  workspaceId: string,
  id: string,
  now: Date,
): Promise<ShortLinkRow | undefined> {
  return db
    .updateTable('short_links')
    .set({ disabled_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}
