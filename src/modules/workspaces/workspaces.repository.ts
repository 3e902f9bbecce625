import type { Executor } from '../../shared/db/index.js';
import type { Workspace } from '../../shared/db/schema.js';

export async function insertWorkspace(
  db: Executor,
  row: { id: string; name: string; slug: string; default_locale: 'de' | 'en' },
): Promise<Workspace> {
  return db.insertInto('workspaces').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findWorkspaceById(db: Executor, id: string): Promise<Workspace | undefined> {
  return db.selectFrom('workspaces').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findWorkspaceBySlug(db: Executor, slug: string): Promise<Workspace | undefined> {
  return db.selectFrom('workspaces').selectAll().where('slug', '=', slug).executeTakeFirst();
}

export async function updateWorkspaceRow(
  db: Executor,
  id: string,
  patch: { name?: string; default_locale?: 'de' | 'en'; stale_after_days?: number; updated_at: Date },
): Promise<Workspace | undefined> {
  return db.updateTable('workspaces').set(patch).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function countWorkspaces(db: Executor): Promise<number> {
  const row = await db
    .selectFrom('workspaces')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** The freshness period (days) of each given workspace; unknown ids are missing from the map. */
export async function findStaleAfterDays(db: Executor, ids: readonly string[]): Promise<Map<string, number>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('workspaces')
    .select(['id', 'stale_after_days'])
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return new Map(rows.map((r) => [r.id, r.stale_after_days]));
}
