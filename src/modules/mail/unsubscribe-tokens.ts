import { randomToken, sha256 } from '../../shared/crypto.js';
import type { Executor } from '../../shared/db/index.js';

/*
 * The token in List-Unsubscribe and in the footer link of every marketing mail: 144 random bits,
 * carrying no personal data; only its SHA-256 is stored, so a copy of the database cannot
 * unsubscribe anyone. The /u/<token> endpoints (page and one-click POST) are the consent module's.
 */

export interface UnsubscribeTarget {
  workspaceId: string;
  contactId: string;
  purpose: string;
  messageId: string | null;
}

/** A new random token for one contact and purpose (and the message that carries it). */
export function newUnsubscribeToken(): { token: string; hash: string } {
  const token = randomToken(18);
  return { token, hash: sha256(token) };
}

/** Stores the hashes of tokens made with newUnsubscribeToken (one statement for a whole batch). */
export async function storeUnsubscribeTokens(
  trx: Executor,
  rows: (UnsubscribeTarget & { hash: string; createdAt: Date })[],
): Promise<void> {
  if (rows.length === 0) return;
  await trx
    .insertInto('unsubscribe_tokens')
    .values(
      rows.map((r) => ({
        token_hash: r.hash,
        workspace_id: r.workspaceId,
        contact_id: r.contactId,
        purpose: r.purpose,
        message_id: r.messageId,
        created_at: r.createdAt,
      })),
    )
    .onConflict((oc) => oc.column('token_hash').doNothing())
    .execute();
}

/** Creates and stores a token; returns the token itself (put it only into the mail). */
export async function createUnsubscribeToken(
  trx: Executor,
  target: UnsubscribeTarget & { now?: Date },
): Promise<string> {
  const { token, hash } = newUnsubscribeToken();
  await storeUnsubscribeTokens(trx, [{ ...target, hash, createdAt: target.now ?? new Date() }]);
  return token;
}

/** What a token stands for, or undefined for an unknown (or malformed) token. Looked up by hash. */
export async function resolveUnsubscribeToken(
  db: Executor,
  token: string,
): Promise<UnsubscribeTarget | undefined> {
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(token)) return undefined;
  const row = await db
    .selectFrom('unsubscribe_tokens')
    .select(['workspace_id', 'contact_id', 'purpose', 'message_id'])
    .where('token_hash', '=', sha256(token))
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    workspaceId: row.workspace_id,
    contactId: row.contact_id,
    purpose: row.purpose,
    messageId: row.message_id,
  };
}
