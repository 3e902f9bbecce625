import type { Actor } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import { hashPassword, randomToken } from '../../shared/crypto.js';
import type { Db, Executor } from '../../shared/db/index.js';
import type { Role, User, Workspace } from '../../shared/db/schema.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { recordAudit } from '../audit/index.js';
import { createWorkspaceIn } from '../workspaces/index.js';
import { upsertMembership } from './memberships.repository.js';
import { deleteSessionsOfUser } from './sessions.repository.js';
import { countUsers, findUserByEmail, insertUser, updateUserRow } from './users.repository.js';

export const PASSWORD_MIN_LENGTH = 10;

export interface NewUserInput {
  email: string;
  name?: string | undefined;
  password: string;
  isSuperadmin?: boolean;
  locale?: 'de' | 'en' | null;
}

function checkPassword(password: string): void {
  if (password.length < PASSWORD_MIN_LENGTH || password.length > 1024) {
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'password', message: `must be ${PASSWORD_MIN_LENGTH} to 1024 characters` }],
    });
  }
}

/** Creates a user inside a transaction; the e-mail address must be new. */
export async function createUserIn(trx: Executor, actor: Actor, input: NewUserInput): Promise<User> {
  const email = input.email.trim().toLowerCase();
  checkPassword(input.password);
  if (await findUserByEmail(trx, email)) throw new AppError('EMAIL_TAKEN', { field: 'email' });
  const user = await insertUser(trx, {
    id: newId(),
    email,
    name: input.name?.trim() ?? '',
    password_hash: await hashPassword(input.password),
    locale: input.locale ?? null,
    is_superadmin: input.isSuperadmin ?? false,
  });
  await recordAudit(trx, actor, {
    workspaceId: null,
    action: 'users.created',
    targetType: 'user',
    targetId: user.id,
    details: { email },
  });
  return user;
}

/** Creates a workspace and makes `userId` its admin. */
export async function createWorkspaceWithAdmin(
  db: Db,
  actor: Actor,
  input: { name: string; slug?: string | undefined; defaultLocale?: 'de' | 'en' | undefined },
  adminUserId: string,
): Promise<Workspace> {
  return db.transaction().execute(async (trx) => {
    const workspace = await createWorkspaceIn(trx, actor, input);
    await upsertMembership(trx, workspace.id, adminUserId, 'admin');
    return workspace;
  });
}

export interface InitialAdmin {
  created: boolean;
  email?: string;
  password?: string;
  generatedPassword?: boolean;
  workspace?: Workspace;
}

/**
 * On the very first start (no users yet) creates the first workspace and a superadmin account,
 * from ADMIN_EMAIL / ADMIN_PASSWORD or with a generated password that is printed once.
 */
export async function ensureInitialAdmin(
  db: Db,
  options: { email?: string | undefined; password?: string | undefined; workspaceName?: string },
): Promise<InitialAdmin> {
  if ((await countUsers(db)) > 0) return { created: false };
  const email = options.email ?? 'admin@leadwerk.local';
  const password = options.password ?? randomToken(12);
  const actor: Actor = {
    userId: null,
    apiKeyId: null,
    label: 'setup',
    ip: null,
    userAgent: null,
    requestId: null,
  };
  return db.transaction().execute(async (trx) => {
    // Two processes starting at once against one PostgreSQL: only the first creates the admin.
    if ((await countUsers(trx)) > 0) return { created: false };
    const user = await createUserIn(trx, actor, { email, password, name: 'Admin', isSuperadmin: true });
    const workspace = await createWorkspaceIn(trx, actor, { name: options.workspaceName ?? 'My Company' });
    await upsertMembership(trx, workspace.id, user.id, 'admin');
    return { created: true, email, password, generatedPassword: options.password === undefined, workspace };
  });
}

/** Changes a user's own name, language or password. A new password ends all other sessions. */
export async function updateProfile(
  db: Db,
  clock: Clock,
  actor: Actor,
  userId: string,
  patch: { name?: string | undefined; locale?: 'de' | 'en' | undefined; password?: string | undefined },
): Promise<User> {
  if (patch.password !== undefined) checkPassword(patch.password);
  return db.transaction().execute(async (trx) => {
    const user = await updateUserRow(trx, userId, {
      ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
      ...(patch.locale !== undefined ? { locale: patch.locale } : {}),
      ...(patch.password !== undefined ? { password_hash: await hashPassword(patch.password) } : {}),
      updated_at: clock.now(),
    });
    if (!user) throw new AppError('NOT_FOUND');
    if (patch.password !== undefined) {
      await deleteSessionsOfUser(trx, userId);
      await recordAudit(trx, actor, {
        workspaceId: null,
        action: 'users.password-changed',
        targetType: 'user',
        targetId: userId,
      });
    }
    return user;
  });
}

export function toUserBody(u: User) {
  return { id: u.id, email: u.email, name: u.name, locale: u.locale, isSuperadmin: u.is_superadmin };
}

export type { Role };
