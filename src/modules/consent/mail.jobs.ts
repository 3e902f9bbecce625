import { defineJob } from '../../shared/jobs/index.js';
import type { AppDeps } from '../../shared/module.js';
import { enqueueMessage } from '../mail/index.js';
import { findWorkspaceById } from '../workspaces/index.js';
import { findContact, findOptInMailInput, setNoticeMailed, setTokenMailed } from './consent.repository.js';
import { CONFIRMED_NOTICE_JOB, OPT_IN_MAIL_JOB } from './job-refs.js';
import { appendConsentEvent } from './ledger.js';
import {
  NOTICE_TEMPLATE_ID,
  OPT_IN_TEMPLATE_ID,
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
export const optInMailJob = (deps: AppDeps) =>
  defineJob({
    ...OPT_IN_MAIL_JOB,
    async handler({ workspaceId, tokenId }, ctx) {
      // One read for the request, its address, the workspace's name and retention setting.
      const input = await findOptInMailInput(ctx.db, workspaceId, tokenId);
      const request = input?.request;
      // Purged or erased meanwhile, or done by an earlier run: nothing to send.
      if (!input || !request || request.message_id || request.used_at) return;
      const now = ctx.clock.now();
      if (request.expires_at && request.expires_at <= now) {
        ctx.log.warn({ event: 'consent.opt-in-mail-skipped', reason: 'expired', tokenId }, 'request expired');
        return;
      }
      const contact = input.contact;
      if (!contact || input.workspaceName === null) return;
      const workspace = { name: input.workspaceName };
      const settings = { unconfirmedRetentionDays: input.unconfirmedRetentionDays };
      const issued = issueToken();
      const content = renderOptInMail({
        locale: request.locale,
        workspaceName: workspace.name,
        purposes: request.purposes,
        confirmUrl: `${deps.config.publicUrl}/c/${issued.token}`,
        expiresAt: request.expires_at ?? now,
        retentionDays: settings.unconfirmedRetentionDays,
      });
      await ctx.completeWith(async (trx) => {
        const { messageId, skipped } = await enqueueMessage(trx, deps, {
          workspaceId,
          kind: 'transactional',
          contactId: contact.id,
          to: contact.email,
          locale: request.locale,
          content,
          lane: 'critical',
          idempotencyKey: `consent.opt-in:${tokenId}`,
        });
        if (skipped) {
          ctx.log.info({ event: 'consent.opt-in-mail-skipped', reason: skipped, tokenId }, 'mail skipped');
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
            templateId: OPT_IN_TEMPLATE_ID,
            tokenRef: tokenId,
            details: { locale: request.locale, expiresAt: request.expires_at?.toISOString() ?? null },
          });
        }
      });
      ctx.log.info({ event: 'consent.opt-in-mail-queued', tokenId }, 'confirmation mail queued');
    },
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
