import type { Executor } from '../../shared/db/index.js';
import type { ConsentToken, ConsentTokenKind } from '../../shared/db/schema.js';
import { newId } from '../../shared/ids.js';
import { findConsentTokenBySelector, insertConsentToken } from './consent.repository.js';
import { issueToken, parseToken, verifierMatches } from './tokens.js';

/** Preference-center links stay valid for a year: long enough for any mail in a mailbox to work. */
export const PREFERENCE_TOKEN_TTL_MS = 365 * 24 * 3_600_000;

/**
 * Creates a preference-center link token for a contact (`/p/<token>`): no login, no re-typing the
 * address. Returns the token; only its hash is stored.
 */
export async function issuePreferenceToken(
  trx: Executor,
  input: { workspaceId: string; contactId: string; locale: 'de' | 'en'; now: Date },
): Promise<string> {
  const issued = issueToken();
  await insertConsentToken(trx, {
    id: newId(),
    workspaceId: input.workspaceId,
    contactId: input.contactId,
    kind: 'preferences',
    selector: issued.selector,
    verifierHash: issued.verifierHash,
    purposes: [],
    locale: input.locale,
    createdAt: input.now,
    expiresAt: new Date(input.now.getTime() + PREFERENCE_TOKEN_TTL_MS),
  });
  return issued.token;
}

/**
 * The token row behind a link, if the link is genuine (selector found, verifier matching in
 * constant time) and of the expected kind. Expiry and use are for the caller to judge.
 */
export async function resolveLinkToken(
  db: Executor,
  token: string,
  kind: ConsentTokenKind,
  options: { forUpdate?: boolean } = {},
): Promise<ConsentToken | undefined> {
  const parsed = parseToken(token);
  if (!parsed) return undefined;
  const row = await findConsentTokenBySelector(db, parsed.selector, options);
  if (!row || row.kind !== kind || !row.verifier_hash) return undefined;
  return verifierMatches(parsed.verifier, row.verifier_hash) ? row : undefined;
}
