import type { Executor } from '../../shared/db/index.js';
import type { LegalBasis } from '../../shared/db/schema.js';
import { isSuppressed } from '../suppression/index.js';

export type SendPermission =
  | { allowed: true; basis: LegalBasis }
  | {
      allowed: false;
      reason: 'contact_missing' | 'suppressed' | 'no_consent' | 'pending' | 'withdrawn' | 'expired';
    };

/**
 * The one check every marketing send goes through, at the moment of sending: the contact exists,
 * the address is not suppressed, and a confirmed consent for the purpose exists (or the
 * documented existing-customer basis of UWG §7(3), which is never a default).
 */
export async function getSendPermission(
  db: Executor,
  input: { workspaceId: string; contactId: string; purpose: string },
): Promise<SendPermission> {
  const contact = await db
    .selectFrom('contacts')
    .select('email')
    .where('workspace_id', '=', input.workspaceId)
    .where('id', '=', input.contactId)
    .executeTakeFirst();
  if (!contact) return { allowed: false, reason: 'contact_missing' };
  if (await isSuppressed(db, input.workspaceId, contact.email))
    return { allowed: false, reason: 'suppressed' };
  const consent = await db
    .selectFrom('consents')
    .select(['status', 'legal_basis'])
    .where('workspace_id', '=', input.workspaceId)
    .where('contact_id', '=', input.contactId)
    .where('purpose', '=', input.purpose)
    .executeTakeFirst();
  if (!consent) return { allowed: false, reason: 'no_consent' };
  if (consent.status === 'confirmed') return { allowed: true, basis: consent.legal_basis };
  return { allowed: false, reason: consent.status };
}
