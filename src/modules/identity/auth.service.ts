import type { Actor } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import type { Config } from '../../shared/config.js';
import {
  hmac,
  randomToken,
  safeEqual,
  sha256,
  verifyDummyPassword,
  verifyPassword,
} from '../../shared/crypto.js';
import type { Db } from '../../shared/db/index.js';
import type { User } from '../../shared/db/schema.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { hitRateLimit } from '../../shared/rate-limit.js';
import { recordAudit } from '../audit/index.js';
import { findApiKeyByPrefix, markApiKeyUsed } from './api-keys.repository.js';
import {
  deleteSessionByTokenHash,
  findSessionByTokenHash,
  insertSession,
  type SessionWithUser,
  touchSession,
} from './sessions.repository.js';
import { findUserByEmail } from './users.repository.js';

export interface AuthDeps {
  db: Db;
  clock: Clock;
  config: Pick<Config, 'secretKey' | 'sessionTtlHours'>;
}

/** Login attempts allowed per 15 minutes, per IP address and per e-mail address. */
export const LOGIN_LIMITS = { perIp: 30, perEmail: 10, windowSeconds: 900 };

/** The CSRF token belonging to a session: derived, so no process needs to remember it. */
export function csrfTokenFor(secretKey: string, sessionToken: string): string {
  return hmac(secretKey, `csrf:${sessionToken}`);
}

export function verifyCsrfToken(secretKey: string, sessionToken: string, given: string | undefined): boolean {
  return typeof given === 'string' && safeEqual(csrfTokenFor(secretKey, sessionToken), given);
}

/**
 * Checks e-mail and password and opens a session. Limited per IP and per address; an unknown
 * address costs the same time as a wrong password, so timing reveals nothing.
 */
export async function login(
  deps: AuthDeps,
  input: { email: string; password: string },
  actor: Actor,
): Promise<{ user: User; token: string; expiresAt: Date }> {
  const email = input.email.trim().toLowerCase();
  const windows = [
    await hitRateLimit(
      deps.db,
      deps.clock,
      `login:ip:${actor.ip ?? '-'}`,
      LOGIN_LIMITS.perIp,
      LOGIN_LIMITS.windowSeconds,
    ),
    await hitRateLimit(
      deps.db,
      deps.clock,
      `login:email:${sha256(email)}`,
      LOGIN_LIMITS.perEmail,
      LOGIN_LIMITS.windowSeconds,
    ),
  ];
  const blocked = windows.find((w) => !w.allowed);
  if (blocked) throw new AppError('RATE_LIMITED', { retryAfterSeconds: blocked.retryAfterSeconds });

  const user = await findUserByEmail(deps.db, email);
  const ok = user
    ? await verifyPassword(user.password_hash, input.password)
    : await verifyDummyPassword(input.password);
  if (!user || !ok || user.disabled_at) {
    await recordAudit(
      deps.db,
      { ...actor, label: email },
      { workspaceId: null, action: 'auth.login-failed', details: {} },
    );
    throw new AppError('INVALID_CREDENTIALS');
  }
  const token = randomToken();
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + deps.config.sessionTtlHours * 3_600_000);
  await deps.db.transaction().execute(async (trx) => {
    await insertSession(trx, {
      id: newId(),
      token_hash: sha256(token),
      user_id: user.id,
      ip: actor.ip,
      user_agent: actor.userAgent,
      expires_at: expiresAt,
    });
    await recordAudit(
      trx,
      { ...actor, userId: user.id, label: user.email },
      {
        workspaceId: null,
        action: 'auth.logged-in',
        targetType: 'user',
        targetId: user.id,
      },
    );
  });
  return { user, token, expiresAt };
}

/** Ends a session. */
export async function logout(deps: AuthDeps, token: string): Promise<void> {
  await deleteSessionByTokenHash(deps.db, sha256(token));
}

const TOUCH_AFTER_MS = 10 * 60_000;

/** The user behind a session token, or undefined if unknown, expired or disabled. Slides the expiry. */
export async function authenticateSession(
  deps: AuthDeps,
  token: string,
): Promise<SessionWithUser | undefined> {
  const session = await findSessionByTokenHash(deps.db, sha256(token));
  const now = deps.clock.now();
  if (!session || session.expires_at <= now || session.disabled_at) return undefined;
  // Write at most every ten minutes per session, not on every request.
  if (now.getTime() - session.last_seen_at.getTime() > TOUCH_AFTER_MS) {
    await touchSession(
      deps.db,
      session.session_id,
      now,
      new Date(now.getTime() + deps.config.sessionTtlHours * 3_600_000),
    );
  }
  return session;
}

export interface ApiKeyIdentity {
  id: string;
  workspaceId: string;
  name: string;
  scopes: string[];
}

/** Parses `lw_<prefix>_<secret>`; returns the key if it exists, matches and is not revoked. */
export async function authenticateApiKey(
  deps: AuthDeps,
  presented: string,
): Promise<ApiKeyIdentity | undefined> {
  const match = /^lw_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/.exec(presented);
  if (!match) return undefined;
  const key = await findApiKeyByPrefix(deps.db, match[1]!);
  if (!key || key.revoked_at || !safeEqual(key.key_hash, sha256(presented))) return undefined;
  const now = deps.clock.now();
  if (!key.last_used_at || now.getTime() - key.last_used_at.getTime() > TOUCH_AFTER_MS) {
    await markApiKeyUsed(deps.db, key.id, now);
  }
  return { id: key.id, workspaceId: key.workspace_id, name: key.name, scopes: key.scopes };
}
