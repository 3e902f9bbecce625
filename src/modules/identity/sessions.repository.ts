import type { Executor } from '../../shared/db/index.js';

export interface SessionWithUser {
  session_id: string;
  user_id: string;
  email: string;
  name: string;
  locale: 'de' | 'en' | null;
  is_superadmin: boolean;
  disabled_at: Date | null;
  expires_at: Date;
  last_seen_at: Date;
}

export async function insertSession(
  db: Executor,
  row: {
    id: string;
    token_hash: string;
    user_id: string;
    ip: string | null;
    user_agent: string | null;
    expires_at: Date;
  },
): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

export async function findSessionByTokenHash(
  db: Executor,
  tokenHash: string,
): Promise<SessionWithUser | undefined> {
  return db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select([
      's.id as session_id',
      'u.id as user_id',
      'u.email',
      'u.name',
      'u.locale',
      'u.is_superadmin',
      'u.disabled_at',
      's.expires_at',
      's.last_seen_at',
    ])
    .where('s.token_hash', '=', tokenHash)
    .executeTakeFirst();
}

export async function touchSession(db: Executor, id: string, now: Date, expiresAt: Date): Promise<void> {
  await db
    .updateTable('sessions')
    .set({ last_seen_at: now, expires_at: expiresAt })
    .where('id', '=', id)
    .execute();
}

export async function deleteSessionByTokenHash(db: Executor, tokenHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute();
}

export async function deleteSessionsOfUser(db: Executor, userId: string): Promise<void> {
  await db.deleteFrom('sessions').where('user_id', '=', userId).execute();
}

export async function purgeExpiredSessions(db: Executor, now: Date): Promise<number> {
  const result = await db.deleteFrom('sessions').where('expires_at', '<', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
