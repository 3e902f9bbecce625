import type { Db, Executor } from '../../shared/db/index.js';
import type { ConsentStatus } from '../../shared/db/schema.js';
import { AppError } from '../../shared/errors.js';
import type { AppDeps } from '../../shared/module.js';
import { resolveUnsubscribeToken } from '../mail/index.js';
import { isSuppressed } from '../suppression/index.js';
import { findWorkspaceById } from '../workspaces/index.js';
import type { ClientInfo } from './confirm.service.js';
import { findConsents } from './consent.repository.js';
import { resolveLinkToken } from './preference-tokens.js';
import type { ConsentWiring } from './wiring.js';
import {
  type ChangeChannel,
  objectToMarketing,
  regrantConsents,
  withdrawConsents,
} from './withdraw.service.js';

/**
 * Who a preference or unsubscribe link belongs to. Two kinds of links lead here: the consent
 * module's preference tokens (`<selector>.<verifier>`, from the confirmation page and notices) and
 * the mail module's unsubscribe tokens (List-Unsubscribe and the footer of every marketing mail).
 */
export interface LinkHolder {
  workspaceId: string;
  contactId: string;
  /** The purpose of the mail that carried an unsubscribe link; null for preference links. */
  purpose: string | null;
  messageId: string | null;
  tokenRef: string | null;
  locale: 'de' | 'en' | null;
}

/** Resolves a preference or unsubscribe link; undefined when it is not (or no longer) valid. */
export async function resolvePreferenceLink(
  db: Executor,
  token: string,
  now: Date,
): Promise<LinkHolder | undefined> {
  if (token.includes('.')) {
    const row = await resolveLinkToken(db, token, 'preferences');
    if (!row || (row.expires_at && row.expires_at <= now)) return undefined;
    return {
      workspaceId: row.workspace_id,
      contactId: row.contact_id,
      purpose: null,
      messageId: null,
      tokenRef: row.id,
      locale: row.locale,
    };
  }
  const target = await resolveUnsubscribeToken(db, token);
  if (!target) return undefined;
  return {
    workspaceId: target.workspaceId,
    contactId: target.contactId,
    purpose: target.purpose,
    messageId: target.messageId,
    tokenRef: target.messageId ? `message:${target.messageId}` : null,
    locale: null,
  };
}

export interface PreferenceItem {
  purpose: string;
  status: ConsentStatus;
  /** The text the person agreed to last for this purpose (shown again when re-granting). */
  consentText: string | null;
  consentTextVersion: string | null;
}

export interface PreferenceView {
  holder: LinkHolder;
  workspaceName: string;
  defaultLocale: 'de' | 'en';
  contactLocale: 'de' | 'en' | null;
  items: PreferenceItem[];
  suppressed: boolean;
}

/** What the preference center shows for a link; never changes anything. */
export async function loadPreferences(db: Db, token: string, now: Date): Promise<PreferenceView | undefined> {
  const holder = await resolvePreferenceLink(db, token, now);
  if (!holder) return undefined;
  const workspace = await findWorkspaceById(db, holder.workspaceId);
  const contact = await db
    .selectFrom('contacts')
    .select(['email', 'locale'])
    .where('workspace_id', '=', holder.workspaceId)
    .where('id', '=', holder.contactId)
    .executeTakeFirst();
  if (!workspace || !contact) return undefined;
  const consents = await findConsents(db, holder.workspaceId, holder.contactId);
  const texts = await db
    .selectFrom('consent_events')
    .select(['purpose', 'consent_text', 'consent_text_version', 'id'])
    .where('workspace_id', '=', holder.workspaceId)
    .where('contact_id', '=', holder.contactId)
    .where('consent_text', 'is not', null)
    .orderBy('id')
    .execute();
  const lastText = new Map(texts.map((t) => [t.purpose, t]));
  return {
    holder,
    workspaceName: workspace.name,
    defaultLocale: workspace.default_locale,
    contactLocale: contact.locale,
    items: consents
      // Requests that were never confirmed are not choices the person made; they expire on their own.
      .filter((c) => c.status === 'confirmed' || (c.status === 'withdrawn' && c.confirmed_at !== null))
      .map((c) => ({
        purpose: c.purpose,
        status: c.status,
        consentText: lastText.get(c.purpose)?.consent_text ?? null,
        consentTextVersion: lastText.get(c.purpose)?.consent_text_version ?? null,
      })),
    suppressed: await isSuppressed(db, holder.workspaceId, contact.email),
  };
}

export type PreferenceAction =
  | { kind: 'unsubscribe' }
  | { kind: 'save'; keep: string[] }
  | { kind: 'withdraw-all' }
  | { kind: 'object' };

export interface PreferenceChange {
  holder: LinkHolder;
  withdrawn: string[];
  granted: string[];
  objected: boolean;
}

/**
 * Applies a change from a public link, at once and in one transaction: `unsubscribe` withdraws
 * the purpose of the mail that carried the link (RFC 8058 one-click, or the button on its page),
 * `save` keeps exactly the ticked purposes, `withdraw-all` withdraws every consent, `object` adds
 * the objection (suppression). Every change is a ledger event with IP, user agent and the link.
 */
export async function changePreferences(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  wiring: ConsentWiring,
  input: { token: string; action: PreferenceAction; via: ChangeChannel } & ClientInfo,
): Promise<PreferenceChange> {
  const now = deps.clock.now();
  return deps.db.transaction().execute(async (trx) => {
    const holder = await resolvePreferenceLink(trx, input.token, now);
    if (!holder) throw new AppError('CONSENT_LINK_INVALID');
    const ctx = {
      workspaceId: holder.workspaceId,
      contactId: holder.contactId,
      via: input.via,
      ip: input.ip,
      userAgent: input.userAgent,
      tokenRef: holder.tokenRef,
      messageId: holder.messageId,
      now,
      wiring,
    };
    const result: PreferenceChange = { holder, withdrawn: [], granted: [], objected: false };
    const { action } = input;
    if (action.kind === 'unsubscribe') {
      const purposes = holder.purpose ? [holder.purpose] : 'all';
      result.withdrawn = (await withdrawConsents(trx, ctx, purposes))?.withdrawn ?? [];
    } else if (action.kind === 'withdraw-all') {
      result.withdrawn = (await withdrawConsents(trx, ctx, 'all'))?.withdrawn ?? [];
    } else if (action.kind === 'object') {
      result.withdrawn = (await objectToMarketing(trx, ctx))?.withdrawn ?? [];
      result.objected = true;
    } else {
      const current = await findConsents(trx, holder.workspaceId, holder.contactId);
      const keep = new Set(action.keep);
      const drop = current
        .filter((c) => c.status === 'confirmed' && !keep.has(c.purpose))
        .map((c) => c.purpose);
      result.withdrawn = (await withdrawConsents(trx, ctx, drop))?.withdrawn ?? [];
      const texts = await trx
        .selectFrom('consent_events')
        .select(['purpose', 'consent_text', 'consent_text_version'])
        .where('workspace_id', '=', holder.workspaceId)
        .where('contact_id', '=', holder.contactId)
        .where('consent_text', 'is not', null)
        .orderBy('id')
        .execute();
      const lastText = new Map(texts.map((t) => [t.purpose, t]));
      const regrant = current
        .filter((c) => c.status === 'withdrawn' && keep.has(c.purpose))
        .map((c) => ({
          purpose: c.purpose,
          consentText: lastText.get(c.purpose)?.consent_text ?? null,
          consentTextVersion: lastText.get(c.purpose)?.consent_text_version ?? null,
        }));
      result.granted = await regrantConsents(trx, ctx, regrant);
    }
    return result;
  });
}
