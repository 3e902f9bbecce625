import type { Actor } from '../../shared/actor.js';
import type { Db } from '../../shared/db/index.js';
import type { Role } from '../../shared/db/schema.js';
import { AppError } from '../../shared/errors.js';
import { recordAudit } from '../audit/index.js';
import {
  countAdminsForUpdate,
  deleteMembership,
  findRole,
  listMembers,
  type MemberRow,
  upsertMembership,
} from './memberships.repository.js';
import { findUserByEmail } from './users.repository.js';
import { createUserIn } from './users.service.js';

/**
 * Adds a person to the workspace with a role. A new address becomes a new user with the given
 * initial password; an existing user is added as they are (the password is ignored).
 */
export async function addMember(
  db: Db,
  actor: Actor,
  workspaceId: string,
  input: { email: string; name?: string | undefined; role: Role; password?: string | undefined },
): Promise<MemberRow> {
  return db.transaction().execute(async (trx) => {
    let user = await findUserByEmail(trx, input.email);
    if (!user) {
      if (!input.password) {
        throw new AppError('VALIDATION_FAILED', {
          fields: [{ field: 'password', message: 'required for a new user' }],
        });
      }
      user = await createUserIn(trx, actor, {
        email: input.email,
        name: input.name,
        password: input.password,
      });
    }
    if (await findRole(trx, workspaceId, user.id))
      throw new AppError('CONFLICT', { field: 'email', reason: 'already a member' });
    await upsertMembership(trx, workspaceId, user.id, input.role);
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'members.added',
      targetType: 'user',
      targetId: user.id,
      details: { email: user.email, role: input.role },
    });
    const members = await listMembers(trx, workspaceId);
    return members.find((m) => m.user_id === user.id)!;
  });
}

/** Changes a member's role; the last admin cannot be demoted. */
export async function changeMemberRole(
  db: Db,
  actor: Actor,
  workspaceId: string,
  userId: string,
  role: Role,
): Promise<MemberRow> {
  return db.transaction().execute(async (trx) => {
    const admins = await countAdminsForUpdate(trx, workspaceId);
    const current = await findRole(trx, workspaceId, userId);
    if (!current) throw new AppError('NOT_FOUND');
    if (current === 'admin' && role !== 'admin' && admins <= 1) throw new AppError('LAST_ADMIN');
    await upsertMembership(trx, workspaceId, userId, role);
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'members.role-changed',
      targetType: 'user',
      targetId: userId,
      details: { from: current, to: role },
    });
    const members = await listMembers(trx, workspaceId);
    return members.find((m) => m.user_id === userId)!;
  });
}

/** Removes a member from the workspace (the user account stays); the last admin cannot leave. */
export async function removeMember(db: Db, actor: Actor, workspaceId: string, userId: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const admins = await countAdminsForUpdate(trx, workspaceId);
    const current = await findRole(trx, workspaceId, userId);
    if (!current) throw new AppError('NOT_FOUND');
    if (current === 'admin' && admins <= 1) throw new AppError('LAST_ADMIN');
    await deleteMembership(trx, workspaceId, userId);
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'members.removed',
      targetType: 'user',
      targetId: userId,
      details: { role: current },
    });
  });
}

export { listMembers };
