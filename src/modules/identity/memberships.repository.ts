import type { Executor } from '../../shared/db/index.js';
import type { Role } from '../../shared/db/schema.js';

export interface MembershipRow {
  workspace_id: string;
  name: string;
  slug: string;
  default_locale: 'de' | 'en';
  role: Role;
}

/** The workspaces a user belongs to, with the role in each. */
export async function listMembershipsForUser(db: Executor, userId: string): Promise<MembershipRow[]> {
  return db
    .selectFrom('memberships as m')
    .innerJoin('workspaces as w', 'w.id', 'm.workspace_id')
    .select(['m.workspace_id', 'w.name', 'w.slug', 'w.default_locale', 'm.role'])
    .where('m.user_id', '=', userId)
    .orderBy('w.name')
    .execute();
}

/** Every workspace (for superadmins), as if they were admin in each. */
export async function listAllWorkspacesAsAdmin(db: Executor): Promise<MembershipRow[]> {
  const rows = await db
    .selectFrom('workspaces as w')
    .select(['w.id as workspace_id', 'w.name', 'w.slug', 'w.default_locale'])
    .orderBy('w.name')
    .execute();
  return rows.map((r) => ({ ...r, role: 'admin' as const }));
}

export async function findRole(db: Executor, workspaceId: string, userId: string): Promise<Role | undefined> {
  const row = await db
    .selectFrom('memberships')
    .select('role')
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row?.role;
}

export async function upsertMembership(
  db: Executor,
  workspaceId: string,
  userId: string,
  role: Role,
): Promise<void> {
  await db
    .insertInto('memberships')
    .values({ workspace_id: workspaceId, user_id: userId, role })
    .onConflict((oc) => oc.columns(['workspace_id', 'user_id']).doUpdateSet({ role }))
    .execute();
}

export async function deleteMembership(db: Executor, workspaceId: string, userId: string): Promise<boolean> {
  const result = await db
    .deleteFrom('memberships')
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export interface MemberRow {
  user_id: string;
  email: string;
  name: string;
  role: Role;
  created_at: Date;
}

export async function listMembers(db: Executor, workspaceId: string): Promise<MemberRow[]> {
  return db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['m.user_id', 'u.email', 'u.name', 'm.role', 'm.created_at'])
    .where('m.workspace_id', '=', workspaceId)
    .orderBy('u.email')
    .execute();
}

/** Locks the workspace's admin memberships and counts them (to keep at least one). */
export async function countAdminsForUpdate(db: Executor, workspaceId: string): Promise<number> {
  const rows = await db
    .selectFrom('memberships')
    .select('user_id')
    .where('workspace_id', '=', workspaceId)
    .where('role', '=', 'admin')
    .forUpdate()
    .execute();
  return rows.length;
}
