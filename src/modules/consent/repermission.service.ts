import { sql } from 'kysely';
import type { Actor } from '../../shared/actor.js';
import type { Executor } from '../../shared/db/index.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import type { AppDeps } from '../../shared/module.js';
import { recordAudit } from '../audit/index.js';
import { suppressedExpression } from '../suppression/index.js';
import { findConsents, lockContact, readRequestState, writeConsentRequest } from './consent.repository.js';
import { REPERMISSION_MAIL_JOB } from './job-refs.js';
import { chainConsentEvents } from './ledger.js';
import { REPERMISSION_TEMPLATE_ID, repermissionConsentText } from './mail-content.js';
import { PURPOSE_RE } from './purposes.js';
import { OPT_IN_LIMITS } from './request-consents.service.js';
import type { ConsentWiring } from './wiring.js';

/*
 * Re-permission: a marketing manager asks a chosen set of contacts (a segment or a list of ids) to
 * confirm their e-mail consent — contacts without a confirmed consent (e.g. imported without
 * proof), or whose confirmation is older than the freshness period (given per request, else the
 * workspace's `stale_after_days`, default 365). Each one
 * gets an ad-free double-opt-in-style mail through the job queue; confirming records the consent
 * with full proof (`confirmed`, or `reconfirmed` for an older confirmation). A confirmed consent
 * is never downgraded by the request (it stays confirmed while the mail is open).
 */

/** At most this many contacts per request. */
export const REPERMISSION_MAX_CONTACTS = 5_000;
/** A contact asked for re-permission is not asked again within this period. */
export const REPERMISSION_RESEND_DAYS = 30;
const DAY = 86_400_000;
const CHUNK = 100;

export type RepermissionSkipReason =
  | 'not-found'
  | 'suppressed'
  | 'withdrawn'
  | 'confirmed'
  | 'recently-asked'
  | 'rate-limited';

export interface RepermissionInput {
  workspaceId: string;
  purposes: string[];
  segmentId?: string | undefined;
  contactIds?: string[] | undefined;
  /** Also ask contacts whose confirmation is older than this many days (default: the workspace's). */
  freshnessDays?: number | undefined;
  /** Only count (the confirmation the UI shows before sending). */
  dryRun?: boolean | undefined;
}

export interface RepermissionReport {
  selected: number;
  /** Not suppressed, not withdrawn, and without a (fresh enough) confirmed consent. */
  eligible: number;
  /** Mails queued (0 in a dry run). */
  queued: number;
  /** In a dry run: how many would be queued. */
  wouldQueue: number;
  skipped: Record<RepermissionSkipReason, number>;
}

function invalid(field: string, message: string): AppError {
  return new AppError('VALIDATION_FAILED', { fields: [{ field, message }] });
}

async function selectContacts(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  wiring: ConsentWiring,
  input: RepermissionInput,
): Promise<string[]> {
  if (input.segmentId && input.contactIds)
    throw invalid('segmentId', 'give a segment or contact ids, not both');
  if (input.contactIds) {
    const ids = [...new Set(input.contactIds)];
    if (ids.length === 0) throw new AppError('REPERMISSION_EMPTY');
    if (ids.length > REPERMISSION_MAX_CONTACTS)
      throw new AppError('REPERMISSION_TOO_MANY', { max: REPERMISSION_MAX_CONTACTS });
    return ids;
  }
  if (!input.segmentId) throw new AppError('REPERMISSION_EMPTY');
  let ids: string[];
  try {
    ids = await wiring.listSegmentMemberIds(deps.db, deps.clock, input.workspaceId, input.segmentId, {
      limit: REPERMISSION_MAX_CONTACTS + 1,
    });
  } catch (err) {
    if (err instanceof AppError && err.code === 'NOT_FOUND')
      throw new AppError('REPERMISSION_SEGMENT_UNKNOWN');
    throw err;
  }
  if (ids.length === 0) throw new AppError('REPERMISSION_EMPTY');
  if (ids.length > REPERMISSION_MAX_CONTACTS)
    throw new AppError('REPERMISSION_TOO_MANY', { max: REPERMISSION_MAX_CONTACTS });
  return ids;
}

/** Contacts of the workspace asked for re-permission since `since` (their `requested` events say so). */
async function recentlyAsked(trx: Executor, workspaceId: string, contactIds: string[], since: Date) {
  const r = await sql<{ contact_id: string }>`SELECT DISTINCT contact_id FROM consent_events
    WHERE workspace_id = ${workspaceId} AND contact_id IN (${sql.join(contactIds)})
      AND event = 'requested' AND occurred_at > ${since} AND details ->> 'repermission' = 'true'`.execute(
    trx,
  );
  return new Set(r.rows.map((x) => x.contact_id));
}

/**
 * Sends (or, as a dry run, counts) a re-permission request to a segment or a list of contacts.
 * Each contact is decided on while its row is locked, with the same per-address limits as a
 * sign-up; its request, pending purposes (a confirmed one stays confirmed) and `requested` ledger
 * entries are written and the mail job enqueued in the same transaction. Contacts are handled in
 * chunks of 100, one transaction each.
 */
export async function requestRepermission(
  deps: Pick<AppDeps, 'db' | 'clock' | 'queue'>,
  wiring: ConsentWiring,
  actor: Actor,
  input: RepermissionInput,
): Promise<RepermissionReport> {
  if (input.purposes.length === 0) throw invalid('purposes', 'at least one purpose');
  for (const [i, p] of input.purposes.entries())
    if (!PURPOSE_RE.test(p) || p === 'tracking' || p === 'phone')
      throw invalid(`purposes/${i}`, 'an e-mail purpose (newsletter, newsletter:<topic>, events)');
  const purposes = [...new Set(input.purposes)];
  if (
    input.freshnessDays !== undefined &&
    (!Number.isInteger(input.freshnessDays) || input.freshnessDays < 1)
  )
    throw invalid('freshnessDays', 'a whole number of days, at least 1');
  const ids = await selectContacts(deps, wiring, input);
  const now = deps.clock.now();
  const workspace = await deps.db
    .selectFrom('workspaces')
    .select(['name', 'default_locale', 'stale_after_days'])
    .where('id', '=', input.workspaceId)
    .executeTakeFirstOrThrow();
  // Without a period in the request, the workspace's freshness period decides (default 365 days).
  const freshnessDays = input.freshnessDays ?? workspace.stale_after_days;
  const staleBefore = new Date(now.getTime() - freshnessDays * DAY);
  const report: RepermissionReport = {
    selected: ids.length,
    eligible: 0,
    queued: 0,
    wouldQueue: 0,
    skipped: {
      'not-found': 0,
      suppressed: 0,
      withdrawn: 0,
      confirmed: 0,
      'recently-asked': 0,
      'rate-limited': 0,
    },
  };
  const batchId = newId();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    await deps.db.transaction().execute(async (trx) => {
      const recent = await recentlyAsked(
        trx,
        input.workspaceId,
        chunk,
        new Date(now.getTime() - REPERMISSION_RESEND_DAYS * DAY),
      );
      for (const contactId of chunk) {
        const contact = input.dryRun
          ? await trx
              .selectFrom('contacts')
              .selectAll()
              .where('workspace_id', '=', input.workspaceId)
              .where('id', '=', contactId)
              .executeTakeFirst()
          : await lockContact(trx, input.workspaceId, contactId);
        if (!contact) {
          report.skipped['not-found']++;
          continue;
        }
        const state = await readRequestState(trx, {
          workspaceId: input.workspaceId,
          contactId,
          email: contact.email,
          suppressed: suppressedExpression(input.workspaceId, contact.email),
          optInSince: OPT_IN_LIMITS.map((l) => new Date(now.getTime() - l.windowMs)),
          noticeSince: now,
        });
        if (state.suppressed) {
          report.skipped.suppressed++;
          continue;
        }
        const consents = new Map(
          (await findConsents(trx, input.workspaceId, contactId)).map((c) => [c.purpose, c]),
        );
        const withdrawn = purposes.filter((p) => consents.get(p)?.status === 'withdrawn');
        const ask = purposes.filter((p) => {
          const c = consents.get(p);
          if (c?.status === 'withdrawn') return false;
          if (c?.status !== 'confirmed') return true;
          return c.confirmed_at === null || c.confirmed_at < staleBefore;
        });
        if (ask.length === 0) {
          report.skipped[withdrawn.length > 0 ? 'withdrawn' : 'confirmed']++;
          continue;
        }
        report.eligible++;
        if (recent.has(contactId)) {
          report.skipped['recently-asked']++;
          continue;
        }
        if (OPT_IN_LIMITS.some((limit, j) => (state.optInMails[j] ?? 0) >= limit.max)) {
          report.skipped['rate-limited']++;
          continue;
        }
        report.wouldQueue++;
        if (input.dryRun) continue;
        const locale = contact.locale ?? workspace.default_locale;
        const consentText = repermissionConsentText(locale, workspace.name, ask);
        const tokenId = newId();
        const events = chainConsentEvents(
          ask.map((purpose) => ({
            workspaceId: input.workspaceId,
            contactId,
            purpose,
            event: 'requested' as const,
            occurredAt: now,
            email: contact.email,
            consentText,
            consentTextVersion: REPERMISSION_TEMPLATE_ID,
            checkedBoxes: ask,
            actorUserId: actor.userId ?? null,
            tokenRef: tokenId,
            details: {
              locale,
              repermission: true,
              batchId,
              previousStatus: consents.get(purpose)?.status ?? null,
              previousConfirmedAt: consents.get(purpose)?.confirmed_at?.toISOString() ?? null,
            },
          })),
          state.lastHash,
        );
        await writeConsentRequest(trx, {
          workspaceId: input.workspaceId,
          contactId,
          email: contact.email,
          token: {
            id: tokenId,
            workspaceId: input.workspaceId,
            contactId,
            kind: 'opt_in',
            purposes: ask,
            locale,
            formId: null,
            formVersion: null,
            asset: null,
            createdAt: now,
            expiresAt: new Date(now.getTime() + state.optInTokenTtlHours * 3_600_000),
          },
          purposes: ask,
          events,
          now,
        });
        await deps.queue.enqueue(
          trx,
          REPERMISSION_MAIL_JOB,
          { workspaceId: input.workspaceId, tokenId },
          { workspaceId: input.workspaceId, idempotencyKey: tokenId },
        );
        report.queued++;
      }
    });
  }
  if (!input.dryRun)
    await recordAudit(deps.db, actor, {
      workspaceId: input.workspaceId,
      action: 'consent.repermission-requested',
      targetType: input.segmentId ? 'segment' : 'contacts',
      targetId: input.segmentId ?? batchId,
      details: {
        batchId,
        purposes,
        freshnessDays,
        freshnessFrom: input.freshnessDays === undefined ? 'workspace' : 'request',
        ...report,
      },
    });
  return report;
}
