import { type RawBuilder, sql } from 'kysely';
import type { Executor } from '../../shared/db/index.js';
import { insertRowsIf } from '../../shared/db/insert-if.js';
import { normalizeEmail } from '../../shared/email.js';
import { AppError } from '../../shared/errors.js';
import { isUuid, newId } from '../../shared/ids.js';
import { jobRow } from '../../shared/jobs/index.js';
import type { AppDeps } from '../../shared/module.js';
import { suppressedExpression } from '../suppression/index.js';
import {
  DEFAULT_CONSENT_SETTINGS,
  insertNotice,
  lockContact,
  logConsentMail,
  mailLogHash,
  readRequestState,
  writeConsentRequest,
} from './consent.repository.js';
import { CONFIRMED_NOTICE_JOB, OPT_IN_MAIL_JOB } from './job-refs.js';
import { chainConsentEvents } from './ledger.js';
import { PURPOSE_RE } from './purposes.js';

export interface RequestedPurpose {
  purpose: string;
  /** The exact text of the box the person ticked, in the language they saw. */
  consentText: string;
  consentTextVersion: string;
}

export interface RequestConsentsInput {
  workspaceId: string;
  contactId: string;
  email: string;
  locale: 'de' | 'en';
  purposes: RequestedPurpose[];
  form: {
    id: string | null;
    version: number | null;
    pageUrl: string | null;
    privacyNoticeVersion: string | null;
  };
  ip: string | null;
  userAgent: string | null;
  /**
   * The contact as the caller inserted it in this very transaction (`upsertContactByEmail` said
   * `created`): nobody else can see or lock the row before the commit, so the lock is skipped.
   */
  createdContact?: { email: string; email_normalized: string } | undefined;
  /** Gated content: shown (as a download link, when `url` is given) on the page after confirming. */
  asset?: { id: string; title: string; url?: string } | undefined;
}

export type RequestConsentsOutcome = 'doi-mail-queued' | 'already-confirmed' | 'rate-limited' | 'suppressed';

/** Per-address limits on confirmation mails (compliance.md: subscription bombing). */
export const OPT_IN_LIMITS = [
  { max: 1, windowMs: 24 * 3_600_000 },
  { max: 3, windowMs: 30 * 24 * 3_600_000 },
] as const;
/** At most one "you are already confirmed" notice per address and day. */
export const NOTICE_LIMIT = { max: 1, windowMs: 24 * 3_600_000 } as const;

function invalid(field: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', { fields: [{ field, message }] });
}

function validate(input: RequestConsentsInput): void {
  if (input.purposes.length === 0) throw invalid('purposes', 'at least one purpose');
  const seen = new Set<string>();
  for (const [i, p] of input.purposes.entries()) {
    if (!PURPOSE_RE.test(p.purpose)) throw invalid(`purposes/${i}/purpose`, 'not a valid purpose');
    if (seen.has(p.purpose)) throw invalid(`purposes/${i}/purpose`, 'given twice');
    seen.add(p.purpose);
    if (!p.consentText.trim()) throw invalid(`purposes/${i}/consentText`, 'the consent text is required');
    if (!p.consentTextVersion.trim())
      throw invalid(`purposes/${i}/consentTextVersion`, 'the consent text version is required');
  }
  if (input.form.id !== null && !isUuid(input.form.id)) throw invalid('form/id', 'must be a UUID');
  if (input.locale !== 'de' && input.locale !== 'en') throw invalid('locale', 'de or en');
}

/**
 * Records a consent request (a ticked box on a form) and starts the double opt-in: the purposes
 * become pending — a confirmed consent is never downgraded —, a `requested` ledger event with
 * every proof field is appended per purpose, and the confirmation mail is queued on the critical
 * lane. An address whose purposes are all confirmed gets a notice mail instead; suppressed
 * addresses get nothing. Confirmation mails are limited per address (1 per 24 h, 3 per 30 days),
 * notices to 1 per 24 h; a limited request changes nothing. The caller answers the public the same
 * way for every outcome. Runs in the caller's transaction.
 *
 * This is on the hot path of every sign-up, so it costs four statements (three for a contact the
 * caller just created): lock the contact, read everything the decision needs, write token + mail
 * log + pending consents + chained ledger entries, enqueue the mail.
 */
export async function requestConsents(
  trx: Executor,
  deps: Pick<AppDeps, 'clock' | 'queue'>,
  input: RequestConsentsInput,
): Promise<{ outcome: RequestConsentsOutcome }> {
  validate(input);
  const now = deps.clock.now();
  const contact = input.createdContact
    ? { id: input.contactId, ...input.createdContact }
    : await lockContact(trx, input.workspaceId, input.contactId);
  if (!contact) throw new AppError('NOT_FOUND', { reason: 'contact not found in this workspace' });
  if (normalizeEmail(input.email) !== contact.email_normalized)
    throw invalid('email', 'is not the address of this contact');
  const state = await readRequestState(trx, {
    workspaceId: input.workspaceId,
    contactId: contact.id,
    email: contact.email,
    suppressed: suppressedExpression(input.workspaceId, contact.email),
    optInSince: OPT_IN_LIMITS.map((l) => new Date(now.getTime() - l.windowMs)),
    noticeSince: new Date(now.getTime() - NOTICE_LIMIT.windowMs),
  });
  if (state.suppressed) return { outcome: 'suppressed' };

  const current = state.statuses;
  const open = input.purposes.filter((p) => current.get(p.purpose) !== 'confirmed');

  if (open.length === 0) {
    if (state.noticeMails >= NOTICE_LIMIT.max) return { outcome: 'rate-limited' };
    await logConsentMail(trx, input.workspaceId, contact.email, 'notice', now);
    const noticeId = newId();
    await insertNotice(trx, {
      id: noticeId,
      workspaceId: input.workspaceId,
      contactId: contact.id,
      locale: input.locale,
      createdAt: now,
    });
    await deps.queue.enqueue(
      trx,
      CONFIRMED_NOTICE_JOB,
      { workspaceId: input.workspaceId, noticeId },
      { workspaceId: input.workspaceId, idempotencyKey: noticeId },
    );
    return { outcome: 'already-confirmed' };
  }

  if (OPT_IN_LIMITS.some((limit, i) => (state.optInMails[i] ?? 0) >= limit.max))
    return { outcome: 'rate-limited' };

  const tokenId = newId();
  const checkedBoxes = input.purposes.map((p) => p.purpose);
  const events = chainConsentEvents(
    open.map((p) => ({
      workspaceId: input.workspaceId,
      contactId: contact.id,
      purpose: p.purpose,
      event: 'requested' as const,
      occurredAt: now,
      email: contact.email,
      formId: input.form.id,
      formVersion: input.form.version,
      pageUrl: input.form.pageUrl,
      consentText: p.consentText,
      consentTextVersion: p.consentTextVersion,
      privacyNoticeVersion: input.form.privacyNoticeVersion,
      checkedBoxes,
      ip: input.ip,
      userAgent: input.userAgent,
      tokenRef: tokenId,
      details: {
        locale: input.locale,
        previousStatus: current.get(p.purpose) ?? null,
        ...(input.asset ? { assetId: input.asset.id } : {}),
      },
    })),
    state.lastHash,
  );
  await writeConsentRequest(trx, {
    workspaceId: input.workspaceId,
    contactId: contact.id,
    email: contact.email,
    token: {
      id: tokenId,
      workspaceId: input.workspaceId,
      contactId: contact.id,
      kind: 'opt_in',
      purposes: open.map((p) => p.purpose),
      locale: input.locale,
      formId: input.form.id,
      formVersion: input.form.version,
      asset: input.asset ?? null,
      createdAt: now,
      expiresAt: new Date(now.getTime() + state.optInTokenTtlHours * 3_600_000),
    },
    purposes: open.map((p) => p.purpose),
    events,
    now,
  });
  // No idempotency key: the token is new, so there is nothing to deduplicate against (a key
  // would cost a statement per sign-up); the mail job itself sends at most once per token.
  await deps.queue.enqueue(
    trx,
    OPT_IN_MAIL_JOB,
    { workspaceId: input.workspaceId, tokenId },
    {
      workspaceId: input.workspaceId,
    },
  );
  return { outcome: 'doi-mail-queued' };
}

/**
 * The sign-up fast path (capture): `requestConsents` for a contact that the same statement
 * creates (see shared/db/insert-if.ts), for the case that needs no decision: the address is not
 * suppressed and had no confirmation mail or notice in the longest limit window, so the request
 * is written and its mail queued exactly as `requestConsents` would (`doi-mail-queued`). `ready`
 * is that condition; `writes(contactCte)` are the statement's inserts, each only when the CTE
 * `contactCte` returned the new contact. Anything else takes `requestConsents`'s way.
 */
export function newContactConsentParts(
  input: RequestConsentsInput,
  now: Date,
): { ready: RawBuilder<boolean>; writes(contactCte: string): RawBuilder<unknown>[]; lane: string } {
  validate(input);
  const ws = input.workspaceId;
  const hash = mailLogHash(ws, input.email);
  const longest = Math.max(...OPT_IN_LIMITS.map((l) => l.windowMs), NOTICE_LIMIT.windowMs);
  const tokenId = newId();
  const checkedBoxes = input.purposes.map((p) => p.purpose);
  const events = chainConsentEvents(
    input.purposes.map((p) => ({
      workspaceId: ws,
      contactId: input.contactId,
      purpose: p.purpose,
      event: 'requested' as const,
      occurredAt: now,
      email: input.email.trim(),
      formId: input.form.id,
      formVersion: input.form.version,
      pageUrl: input.form.pageUrl,
      consentText: p.consentText,
      consentTextVersion: p.consentTextVersion,
      privacyNoticeVersion: input.form.privacyNoticeVersion,
      checkedBoxes,
      ip: input.ip,
      userAgent: input.userAgent,
      tokenRef: tokenId,
      details: {
        locale: input.locale,
        previousStatus: null,
        ...(input.asset ? { assetId: input.asset.id } : {}),
      },
    })),
    null,
  ).map((row) => ({
    ...row,
    checked_boxes: row.checked_boxes === null ? null : (JSON.parse(row.checked_boxes) as unknown),
    details: JSON.parse(row.details) as unknown,
  }));
  const ready = sql<boolean>`NOT ${suppressedExpression(ws, input.email)} AND NOT EXISTS (
    SELECT 1 FROM consent_mail_log WHERE workspace_id = ${ws} AND address_hash = ${hash}
      AND created_at > ${new Date(now.getTime() - longest)})`;
  const ttlHours = sql`coalesce((SELECT opt_in_token_ttl_hours FROM consent_settings WHERE workspace_id = ${ws}), ${DEFAULT_CONSENT_SETTINGS.optInTokenTtlHours})`;
  return {
    ready,
    lane: OPT_IN_MAIL_JOB.lane ?? 'default',
    writes: (cte) => {
      const created = sql<boolean>`EXISTS (SELECT 1 FROM ${sql.table(cte)})`;
      return [
        insertRowsIf(
          'consent_mail_log',
          [{ workspace_id: ws, address_hash: hash, kind: 'opt_in', created_at: now }],
          created,
        ),
        sql`INSERT INTO consent_tokens (id, workspace_id, contact_id, kind, purposes, locale, form_id, form_version, asset, created_at, expires_at)
          SELECT ${tokenId}::uuid, ${ws}::uuid, ${input.contactId}::uuid, 'opt_in', ${JSON.stringify(checkedBoxes)}::jsonb,
            ${input.locale}, ${input.form.id}::uuid, ${input.form.version}::int,
            ${input.asset ? JSON.stringify(input.asset) : null}::jsonb, ${now}::timestamptz,
            ${now}::timestamptz + ${ttlHours} * interval '1 hour'
          WHERE ${created}`,
        insertRowsIf(
          'consents',
          checkedBoxes.map((purpose) => ({
            workspace_id: ws,
            contact_id: input.contactId,
            purpose,
            status: 'pending',
            requested_at: now,
            updated_at: now,
          })),
          created,
        ),
        insertRowsIf('consent_events', events, created),
        insertRowsIf(
          'jobs',
          [jobRow(OPT_IN_MAIL_JOB, { workspaceId: ws, tokenId }, { workspaceId: ws, now })],
          created,
        ),
      ];
    },
  };
}
