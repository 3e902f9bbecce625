import type { Executor } from '../../shared/db/index.js';
import type { Consent, Contact } from '../../shared/db/schema.js';
import { addSuppression } from '../suppression/index.js';
import { findConsents, lockContact, setConsentStatus } from './consent.repository.js';
import { appendConsentEvent } from './ledger.js';
import type { ConsentWiring } from './wiring.js';

/** How a change reached us, kept in the ledger entry's details. */
export type ChangeChannel = 'one-click' | 'unsubscribe-page' | 'preference-center' | 'admin' | 'api';

export interface ChangeContext {
  workspaceId: string;
  contactId: string;
  via: ChangeChannel;
  ip: string | null;
  userAgent: string | null;
  /** The link token's id (preference token) or the mail's id (unsubscribe link). */
  tokenRef?: string | null;
  messageId?: string | null;
  now: Date;
  wiring: ConsentWiring;
}

export interface WithdrawResult {
  contact: Contact;
  withdrawn: string[];
}

async function withdrawLocked(
  trx: Executor,
  contact: Contact,
  consents: Consent[],
  purposes: string[] | 'all',
  ctx: ChangeContext,
): Promise<string[]> {
  const withdrawn: string[] = [];
  for (const consent of consents) {
    if (purposes !== 'all' && !purposes.includes(consent.purpose)) continue;
    // Withdrawing twice (a mail provider repeating the one-click POST) records nothing new.
    if (consent.status !== 'confirmed' && consent.status !== 'pending') continue;
    await setConsentStatus(trx, ctx.workspaceId, contact.id, consent.purpose, 'withdrawn', ctx.now);
    await appendConsentEvent(trx, {
      workspaceId: ctx.workspaceId,
      contactId: contact.id,
      purpose: consent.purpose,
      event: 'withdrawn',
      occurredAt: ctx.now,
      email: contact.email,
      ip: ctx.ip,
      userAgent: ctx.userAgent,
      tokenRef: ctx.tokenRef ?? null,
      messageId: ctx.messageId ?? null,
      details: { via: ctx.via, previousStatus: consent.status },
    });
    withdrawn.push(consent.purpose);
  }
  if (withdrawn.length > 0)
    await ctx.wiring.recordActivities(trx, [
      {
        workspaceId: ctx.workspaceId,
        contactId: contact.id,
        type: 'consent.withdrawn',
        occurredAt: ctx.now,
        data: { purposes: withdrawn, via: ctx.via },
        source: `consent:${ctx.via}`,
        ref: ctx.messageId ? `message:${ctx.messageId}` : null,
      },
    ]);
  return withdrawn;
}

/**
 * Withdraws consent for the given purposes (or all) at once (Art. 7(3) GDPR): each confirmed or
 * pending consent becomes withdrawn with a `withdrawn` ledger event. Idempotent. Runs in the
 * caller's transaction; returns undefined when the contact no longer exists.
 */
export async function withdrawConsents(
  trx: Executor,
  ctx: ChangeContext,
  purposes: string[] | 'all',
): Promise<WithdrawResult | undefined> {
  const contact = await lockContact(trx, ctx.workspaceId, ctx.contactId);
  if (!contact) return undefined;
  const consents = await findConsents(trx, ctx.workspaceId, contact.id);
  return { contact, withdrawn: await withdrawLocked(trx, contact, consents, purposes, ctx) };
}

/**
 * Objection to direct marketing (Art. 21(2) GDPR, absolute): the address goes on the suppression
 * list at once, every consent is withdrawn, and an `objected` event (purpose `*`: all marketing)
 * is appended. Runs in the caller's transaction.
 */
export async function objectToMarketing(
  trx: Executor,
  ctx: ChangeContext,
): Promise<WithdrawResult | undefined> {
  const contact = await lockContact(trx, ctx.workspaceId, ctx.contactId);
  if (!contact) return undefined;
  const consents = await findConsents(trx, ctx.workspaceId, contact.id);
  const withdrawn = await withdrawLocked(trx, contact, consents, 'all', ctx);
  await addSuppression(trx, ctx.workspaceId, contact.email, {
    reason: 'objection',
    source: `consent:${ctx.via}`,
  });
  await appendConsentEvent(trx, {
    workspaceId: ctx.workspaceId,
    contactId: contact.id,
    purpose: '*',
    event: 'objected',
    occurredAt: ctx.now,
    email: contact.email,
    ip: ctx.ip,
    userAgent: ctx.userAgent,
    tokenRef: ctx.tokenRef ?? null,
    messageId: ctx.messageId ?? null,
    details: { via: ctx.via, withdrawn },
  });
  await ctx.wiring.recordActivities(trx, [
    {
      workspaceId: ctx.workspaceId,
      contactId: contact.id,
      type: 'consent.objected',
      occurredAt: ctx.now,
      data: { via: ctx.via },
      source: `consent:${ctx.via}`,
    },
  ]);
  return { contact, withdrawn };
}

/**
 * Grants a purpose again from the preference center, where the person came through a link sent
 * to the address (so the mailbox is proven as with a confirm link): `confirmed` event with the
 * text shown on the page. Only purposes the contact had consented to before can be granted here.
 */
export async function regrantConsents(
  trx: Executor,
  ctx: ChangeContext,
  grants: { purpose: string; consentText: string | null; consentTextVersion: string | null }[],
): Promise<string[]> {
  const contact = await lockContact(trx, ctx.workspaceId, ctx.contactId);
  if (!contact) return [];
  const consents = new Map((await findConsents(trx, ctx.workspaceId, contact.id)).map((c) => [c.purpose, c]));
  const granted: string[] = [];
  for (const grant of grants) {
    const consent = consents.get(grant.purpose);
    if (consent?.status !== 'withdrawn' || !consent.confirmed_at) continue;
    await setConsentStatus(trx, ctx.workspaceId, contact.id, grant.purpose, 'confirmed', ctx.now, 'consent');
    await appendConsentEvent(trx, {
      workspaceId: ctx.workspaceId,
      contactId: contact.id,
      purpose: grant.purpose,
      event: 'reconfirmed',
      occurredAt: ctx.now,
      email: contact.email,
      consentText: grant.consentText,
      consentTextVersion: grant.consentTextVersion,
      checkedBoxes: [grant.purpose],
      ip: ctx.ip,
      userAgent: ctx.userAgent,
      tokenRef: ctx.tokenRef ?? null,
      messageId: ctx.messageId ?? null,
      details: { via: ctx.via },
    });
    granted.push(grant.purpose);
  }
  if (granted.length > 0)
    await ctx.wiring.recordActivities(trx, [
      {
        workspaceId: ctx.workspaceId,
        contactId: contact.id,
        type: 'consent.reconfirmed',
        occurredAt: ctx.now,
        data: { purposes: granted, via: ctx.via },
        source: `consent:${ctx.via}`,
      },
    ]);
  return granted;
}
