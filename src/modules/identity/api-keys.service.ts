import type { Actor } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import { randomToken, sha256 } from '../../shared/crypto.js';
import type { Db } from '../../shared/db/index.js';
import type { ApiKey } from '../../shared/db/schema.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { isPermission, type Permission } from '../../shared/permissions.js';
import { recordAudit } from '../audit/index.js';
import { insertApiKey, revokeApiKeyRow } from './api-keys.repository.js';

const PREFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomPrefix(): string {
  const bytes = Buffer.from(randomToken(16), 'base64url');
  return Array.from(bytes.subarray(0, 12), (b) => PREFIX_ALPHABET[b % PREFIX_ALPHABET.length]).join('');
}

/**
 * Creates an API key for a workspace. The full key is returned once and only its SHA-256 is
 * stored; the 12-character prefix identifies it in lists and logs.
 */
export async function createApiKey(
  db: Db,
  actor: Actor,
  workspaceId: string,
  input: { name: string; scopes: string[] },
): Promise<{ apiKey: ApiKey; key: string }> {
  const bad = input.scopes.filter((s) => !isPermission(s));
  if (bad.length > 0 || input.scopes.length === 0) {
    throw new AppError('VALIDATION_FAILED', {
      fields: [
        { field: 'scopes', message: bad.length ? `unknown scopes: ${bad.join(', ')}` : 'at least one scope' },
      ],
    });
  }
  const prefix = randomPrefix();
  const key = `lw_${prefix}_${randomToken(32)}`;
  return db.transaction().execute(async (trx) => {
    const apiKey = await insertApiKey(trx, {
      id: newId(),
      workspace_id: workspaceId,
      name: input.name.trim(),
      prefix,
      key_hash: sha256(key),
      scopes: [...new Set(input.scopes as Permission[])],
      created_by: actor.userId,
    });
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'apikeys.created',
      targetType: 'api_key',
      targetId: apiKey.id,
      details: { name: apiKey.name, prefix, scopes: apiKey.scopes },
    });
    return { apiKey, key };
  });
}

/** Revokes a key at once; requests with it fail from then on. */
export async function revokeApiKey(
  db: Db,
  clock: Clock,
  actor: Actor,
  workspaceId: string,
  id: string,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const key = await revokeApiKeyRow(trx, workspaceId, id, clock.now());
    if (!key) throw new AppError('NOT_FOUND');
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'apikeys.revoked',
      targetType: 'api_key',
      targetId: id,
      details: { name: key.name },
    });
  });
}

export function toApiKeyBody(k: ApiKey) {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    scopes: k.scopes,
    createdAt: k.created_at.toISOString(),
    lastUsedAt: k.last_used_at?.toISOString() ?? null,
    revokedAt: k.revoked_at?.toISOString() ?? null,
  };
}
