import type { Db } from '../../shared/db/index.js';
import type { ConsentToken } from '../../shared/db/schema.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import type { AppDeps } from '../../shared/module.js';
import { findWorkspaceById } from '../workspaces/index.js';
import {
  countConsentMailsSince,
  findConsentSettings,
  findConsents,
  findRequestEvents,
  insertConsentToken,
  lockContact,
  logConsentMail,
  markConsentPending,
  markTokenUsed,
  setConsentStatus,
} from './consent.repository.js';
import { OPT_IN_MAIL_JOB } from './job-refs.js';
import { appendConsentEvent } from './ledger.js';
import { issuePreferenceToken, resolveLinkToken } from './preference-tokens.js';
import { OPT_IN_LIMITS } from './request-consents.service.js';
import type { ConsentWiring } from './wiring.js';

export type OptInLinkState = 'valid' | 'expired' | 'used';

export interface OptInLink {
  state: OptInLinkState;
  token: ConsentToken;
  workspaceName: string;
  /** What confirming means, per purpose: the text the person ticked. */
  purposes: { purpose: string; consentText: string | null }[];
}

export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

function stateOf(token: ConsentToken, now: Date): OptInLinkState {
  if (token.used_at) return 'used';
  if (token.expires_at && token.expires_at <= now) return 'expired';
  return 'valid';
}

/** What a confirm link stands for, without changing anything (the GET page: link scanners only look). */
export async function describeOptInLink(db: Db, token: string, now: Date): Promise<OptInLink | undefined> {
  const row = await resolveLinkToken(db, token, 'opt_in');
  if (!row) return undefined;
  const workspace = await findWorkspaceById(db, row.workspace_id);
  if (!workspace) return undefined;
  const requested = await findRequestEvents(db, row.workspace_id, row.contact_id, row.id);
  const texts = new Map(requested.map((e) => [e.purpose, e.consent_text]));
  return {
    state: stateOf(row, now),
    token: row,
    workspaceName: workspace.name,
    purposes: row.purposes.map((purpose) => ({ purpose, consentText: texts.get(purpose) ?? null })),
  };
}

export interface ConfirmResult {
  workspaceId: string;
  contactId: string;
  locale: 'de' | 'en';
  workspaceName: string;
  purposes: string[];
  asset: { id: string; title: string; url?: string } | null;
  /** A fresh preference-center token for the thank-you page. */
  preferenceToken: string;
}

/**
 * Confirms a double opt-in (the POST behind the confirm button): the link must be genuine (its
 * secret compared in constant time), unused and not expired. Every purpose of the request becomes
 * confirmed with a `confirmed` ledger event holding time, IP, user agent and the token reference;
 * the token is spent. A purpose that was confirmed meanwhile stays as it is.
 */
export async function confirmOptIn(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  wiring: ConsentWiring,
  input: { token: string } & ClientInfo,
): Promise<ConfirmResult> {
  return deps.db.transaction().execute(async (trx) => {
    const token = await resolveLinkToken(trx, input.token, 'opt_in', { forUpdate: true });
    if (!token) throw new AppError('OPT_IN_TOKEN_INVALID');
    const now = deps.clock.now();
    const state = stateOf(token, now);
    if (state === 'used') throw new AppError('OPT_IN_TOKEN_USED');
    if (state === 'expired') throw new AppError('OPT_IN_TOKEN_EXPIRED');
    const contact = await lockContact(trx, token.workspace_id, token.contact_id);
    const workspace = await findWorkspaceById(trx, token.workspace_id);
    if (!contact || !workspace) throw new AppError('OPT_IN_TOKEN_INVALID');
    if (!(await markTokenUsed(trx, token.workspace_id, token.id, now)))
      throw new AppError('OPT_IN_TOKEN_USED');
    const current = new Map(
      (await findConsents(trx, token.workspace_id, contact.id)).map((c) => [c.purpose, c]),
    );
    for (const purpose of token.purposes) {
      const consent = current.get(purpose);
      // Only a re-permission request asks a purpose that was confirmed when it was made (sign-ups
      // and resends ask open purposes only): confirming it renews the confirmation (`reconfirmed`).
      // A purpose confirmed after the request was made stays as it is.
      const renews =
        consent?.status === 'confirmed' &&
        consent.confirmed_at !== null &&
        consent.confirmed_at < token.created_at;
      if (consent?.status === 'confirmed' && !renews) continue;
      await setConsentStatus(trx, token.workspace_id, contact.id, purpose, 'confirmed', now, 'consent');
      await appendConsentEvent(trx, {
        workspaceId: token.workspace_id,
        contactId: contact.id,
        purpose,
        event: renews ? 'reconfirmed' : 'confirmed',
        occurredAt: now,
        email: contact.email,
        formId: token.form_id,
        formVersion: token.form_version,
        ip: input.ip,
        userAgent: input.userAgent,
        messageId: token.message_id,
        tokenRef: token.id,
        details: {
          requestedAt: token.created_at.toISOString(),
          previousStatus: consent?.status ?? null,
          ...(renews ? { previousConfirmedAt: consent.confirmed_at?.toISOString() ?? null } : {}),
        },
      });
    }
    await wiring.recordActivities(trx, [
      {
        workspaceId: token.workspace_id,
        contactId: contact.id,
        type: 'consent.confirmed',
        occurredAt: now,
        data: {
          purposes: token.purposes,
          formId: token.form_id,
          formVersion: token.form_version,
          assetId: token.asset?.id ?? null,
        },
        source: token.form_id ? `form:${token.form_id}` : 'consent',
        ref: token.form_id ? `form:${token.form_id}` : null,
      },
    ]);
    const preferenceToken = await issuePreferenceToken(trx, {
      workspaceId: token.workspace_id,
      contactId: contact.id,
      locale: token.locale,
      now,
    });
    return {
      workspaceId: token.workspace_id,
      contactId: contact.id,
      locale: token.locale,
      workspaceName: workspace.name,
      purposes: token.purposes,
      asset: token.asset,
      preferenceToken,
    };
  });
}

/**
 * A new confirmation mail for an expired (or lost) request, asked for from the expired-link page:
 * the same purposes, form and asset, a new link, the same per-address limits as a sign-up. The
 * proof of what was ticked stays with the original request; the new `requested` events point to
 * it. Returns the outcome as requestConsents does.
 */
export async function resendOptIn(
  deps: Pick<AppDeps, 'db' | 'clock' | 'queue'>,
  input: { token: string } & ClientInfo,
): Promise<'doi-mail-queued' | 'already-confirmed' | 'rate-limited'> {
  return deps.db.transaction().execute(async (trx) => {
    const old = await resolveLinkToken(trx, input.token, 'opt_in');
    if (!old) throw new AppError('OPT_IN_TOKEN_INVALID');
    const now = deps.clock.now();
    const contact = await lockContact(trx, old.workspace_id, old.contact_id);
    if (!contact) throw new AppError('OPT_IN_TOKEN_INVALID');
    const current = new Map(
      (await findConsents(trx, old.workspace_id, contact.id)).map((c) => [c.purpose, c.status]),
    );
    const open = old.purposes.filter((p) => current.get(p) !== 'confirmed');
    if (open.length === 0) return 'already-confirmed';
    for (const limit of OPT_IN_LIMITS) {
      const sent = await countConsentMailsSince(
        trx,
        old.workspace_id,
        contact.email,
        'opt_in',
        new Date(now.getTime() - limit.windowMs),
      );
      if (sent >= limit.max) return 'rate-limited';
    }
    await logConsentMail(trx, old.workspace_id, contact.email, 'opt_in', now);
    const settings = await findConsentSettings(trx, old.workspace_id);
    const original = new Map(
      (await findRequestEvents(trx, old.workspace_id, contact.id, old.id)).map((e) => [e.purpose, e]),
    );
    const tokenId = newId();
    await insertConsentToken(trx, {
      id: tokenId,
      workspaceId: old.workspace_id,
      contactId: contact.id,
      kind: 'opt_in',
      purposes: open,
      locale: old.locale,
      formId: old.form_id,
      formVersion: old.form_version,
      asset: old.asset,
      createdAt: now,
      expiresAt: new Date(now.getTime() + settings.optInTokenTtlHours * 3_600_000),
    });
    for (const purpose of open) {
      const first = original.get(purpose);
      await markConsentPending(trx, old.workspace_id, contact.id, purpose, now);
      await appendConsentEvent(trx, {
        workspaceId: old.workspace_id,
        contactId: contact.id,
        purpose,
        event: 'requested',
        occurredAt: now,
        email: contact.email,
        formId: old.form_id,
        formVersion: old.form_version,
        pageUrl: first?.page_url ?? null,
        consentText: first?.consent_text ?? null,
        consentTextVersion: first?.consent_text_version ?? null,
        privacyNoticeVersion: first?.privacy_notice_version ?? null,
        checkedBoxes: first?.checked_boxes ?? null,
        ip: input.ip,
        userAgent: input.userAgent,
        tokenRef: tokenId,
        details: { resendOf: old.id, originalRequestEventId: first?.id ?? null, locale: old.locale },
      });
    }
    await deps.queue.enqueue(
      trx,
      OPT_IN_MAIL_JOB,
      { workspaceId: old.workspace_id, tokenId },
      { workspaceId: old.workspace_id, idempotencyKey: tokenId },
    );
    return 'doi-mail-queued';
  });
}
