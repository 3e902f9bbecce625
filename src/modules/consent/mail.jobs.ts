import { defineJob, type JobContext } from '../../shared/jobs/index.js';
import type { AppDeps } from '../../shared/module.js';
import { enqueueMessage } from '../mail/index.js';
import { findWorkspaceById } from '../workspaces/index.js';
import { findContact, findOptInMailInput, setNoticeMailed, setTokenMailed } from './consent.repository.js';
import { CONFIRMED_NOTICE_JOB, OPT_IN_MAIL_JOB } from './job-refs.js';
import { appendConsentEvent } from './ledger.js';
import {
  type MailContent,
  NOTICE_TEMPLATE_ID,
  OPT_IN_TEMPLATE_ID,
  type OptInMailInput,
  renderAlreadyConfirmedMail,
  renderOptInMail,
} from './mail-content.js';
import { issuePreferenceToken } from './preference-tokens.js';
import { issueToken } from './tokens.js';

/**
 * Writes the double opt-in mail of one request and hands it to the mail module on the critical
 * lane. The link's secret is made here (only its hash is stored), so the job carries ids only.
 * Safe to run twice: the message, the token hash and the `confirmation_sent` events are written
 * in `completeWith`, and a request that already has a message is skipped.
 */
/** How one kind of opt-in request mail is written: the double opt-in mail or the re-permission mail. */
export interface RequestMailVariant {
  templateId: string;
  render: (input: OptInMailInput) => MailContent;
  /** Prefix of the message's idempotency key (one message per request). */
  keyPrefix: string;
  lane: 'critical' | 'bulk';
  event: string;
}

const OPT_IN_VARIANT: RequestMailVariant = {
  templateId: OPT_IN_TEMPLATE_ID,
  render: renderOptInMail,
  keyPrefix: 'consent.opt-in',
  lane: 'critical',
  event: 'consent.opt-in-mail',
};

/**
 * Writes the mail of one opt-in request (a `consent_tokens` row) and hands it to the mail module.
 * The link's secret is made here (only its hash is stored), so the job carries ids only. Safe to
 * run twice: the message, the token hash and the `confirmation_sent` events are written in
 * `completeWith`, and a request that already has a message is skipped.
 */
export async function sendRequestMail(
  deps: AppDeps,
  ctx: JobContext,
  { workspaceId, tokenId }: { workspaceId: string; tokenId: string },
  variant: RequestMailVariant,
): Promise<void> {
  // One read for the request, its address, the workspace's name and retention setting.
  const input = await findOptInMailInput(ctx.db, workspaceId, tokenId);
  const request = input?.request;
  // Purged or erased meanwhile, or done by an earlier run: nothing to send.
  if (!input || !request || request.message_id || request.used_at) return;
  const now = ctx.clock.now();
  if (request.expires_at && request.expires_at <= now) {
    ctx.log.warn({ event: `${variant.event}-skipped`, reason: 'expired', tokenId }, 'request expired');
    return;
  }
  const contact = input.contact;
  if (!contact || input.workspaceName === null) return;
  const issued = issueToken();
  const content = variant.render({
    locale: request.locale,
    workspaceName: input.workspaceName,
    purposes: request.purposes,
    confirmUrl: `${deps.config.publicUrl}/c/${issued.token}`,
    expiresAt: request.expires_at ?? now,
    retentionDays: input.unconfirmedRetentionDays,
  });
  await ctx.completeWith(async (trx) => {
    const { messageId, skipped } = await enqueueMessage(trx, deps, {
      workspaceId,
      kind: 'transactional',
      contactId: contact.id,
      to: contact.email,
      locale: request.locale,
      content,
      lane: variant.lane,
      idempotencyKey: `${variant.keyPrefix}:${tokenId}`,
    });
    if (skipped) {
      ctx.log.info({ event: `${variant.event}-skipped`, reason: skipped, tokenId }, 'mail skipped');
      return;
    }
    await setTokenMailed(trx, workspaceId, tokenId, {
      selector: issued.selector,
      verifierHash: issued.verifierHash,
      messageId,
      queuedAt: now,
    });
    for (const purpose of request.purposes) {
      await appendConsentEvent(trx, {
        workspaceId,
        contactId: contact.id,
        purpose,
        event: 'confirmation_sent',
        occurredAt: now,
        email: contact.email,
        formId: request.form_id,
        formVersion: request.form_version,
        messageId,
        templateId: variant.templateId,
        tokenRef: tokenId,
        details: { locale: request.locale, expiresAt: request.expires_at?.toISOString() ?? null },
      });
    }
  });
  ctx.log.info({ event: `${variant.event}-queued`, tokenId }, 'confirmation mail queued');
}

/** The double opt-in mail of one sign-up's request, on the critical lane. */
export const optInMailJob = (deps: AppDeps) =>
  defineJob({
    ...OPT_IN_MAIL_JOB,
    handler: (payload, ctx) => sendRequestMail(deps, ctx, payload, OPT_IN_VARIANT),
  });

/** The "already confirmed" notice for a repeated sign-up; carries a preference-center link. */
export const confirmedNoticeJob = (deps: AppDeps) =>
  defineJob({
    ...CONFIRMED_NOTICE_JOB,
    async handler({ workspaceId, noticeId }, ctx) {
      const notice = await ctx.db
        .selectFrom('consent_notices')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', noticeId)
        .executeTakeFirst();
      if (!notice || notice.message_id) return;
      const contact = await findContact(ctx.db, workspaceId, notice.contact_id);
      const workspace = await findWorkspaceById(ctx.db, workspaceId);
      if (!contact || !workspace) return;
      await ctx.completeWith(async (trx) => {
        const token = await issuePreferenceToken(trx, {
          workspaceId,
          contactId: contact.id,
          locale: notice.locale,
          now: ctx.clock.now(),
        });
        const content = renderAlreadyConfirmedMail({
          locale: notice.locale,
          workspaceName: workspace.name,
          preferencesUrl: `${deps.config.publicUrl}/p/${token}`,
        });
        const { messageId, skipped } = await enqueueMessage(trx, deps, {
          workspaceId,
          kind: 'transactional',
          contactId: contact.id,
          to: contact.email,
          locale: notice.locale,
          content,
          lane: 'critical',
          idempotencyKey: `consent.notice:${noticeId}`,
        });
        if (!skipped) await setNoticeMailed(trx, workspaceId, noticeId, messageId);
      });
      ctx.log.info(
        { event: 'consent.notice-mail-queued', noticeId, template: NOTICE_TEMPLATE_ID },
        'notice queued',
      );
    },
  });
