import type { Static } from '@sinclair/typebox';
import type { Trx } from '../../shared/db/index.js';
import { type BatchJobContext, defineJob, type JobContext } from '../../shared/jobs/index.js';
import type { AppDeps } from '../../shared/module.js';
import {
  type ContentMessageInput,
  directSender,
  enqueueMessage,
  enqueueSendJobs,
  recordContentMessages,
  withoutSendJob,
} from '../mail/index.js';
import { findWorkspaceById } from '../workspaces/index.js';
import {
  findContact,
  findOptInMailInput,
  findOptInMailInputs,
  setNoticeMailed,
  setTokenMailed,
  setTokensMailed,
} from './consent.repository.js';
import { CONFIRMED_NOTICE_JOB, OPT_IN_MAIL_JOB, type OptInMailPayload } from './job-refs.js';
import { appendConsentEvent, appendConsentEvents, type ConsentEventInput } from './ledger.js';
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

type RequestMailInput = NonNullable<Awaited<ReturnType<typeof findOptInMailInput>>>;

/**
 * The content of a request's mail with a fresh link secret, or undefined when there is nothing to
 * send (the request expired, the contact or the workspace is gone).
 */
function prepareRequestMail(
  deps: AppDeps,
  ctx: Pick<JobContext, 'log'>,
  input: RequestMailInput,
  tokenId: string,
  variant: RequestMailVariant,
  now: Date,
) {
  const request = input.request;
  if (!request) return undefined;
  if (request.expires_at && request.expires_at <= now) {
    ctx.log.warn({ event: `${variant.event}-skipped`, reason: 'expired', tokenId }, 'request expired');
    return undefined;
  }
  const contact = input.contact;
  if (!contact || input.workspaceName === null) return undefined;
  const issued = issueToken();
  const content = variant.render({
    locale: request.locale,
    workspaceName: input.workspaceName,
    purposes: request.purposes,
    confirmUrl: `${deps.config.publicUrl}/c/${issued.token}`,
    expiresAt: request.expires_at ?? now,
    retentionDays: input.unconfirmedRetentionDays,
  });
  return { contact, issued, content };
}

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
  const prepared = prepareRequestMail(deps, ctx, input, tokenId, variant, now);
  if (!prepared) return;
  const { contact, issued, content } = prepared;
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

/** How many opt-in mail jobs one worker place takes at once (one claim, one read, one send round). */
export const OPT_IN_BATCH = 50;

interface FreshMail {
  tokenId: string;
  workspaceId: string;
  contact: { id: string; email: string };
  request: NonNullable<Awaited<ReturnType<typeof findOptInMailInput>>>['request'];
  issued: ReturnType<typeof issueToken>;
  content: MailContent;
}

/**
 * The opt-in mails of a batch of requests (`sendRequestMail` for many): one read of every
 * request, then per workspace one transaction that records the messages, the link secrets and the
 * `confirmation_sent` events, and then the mail module sends them in this job (directSender):
 * their outcomes, retry jobs and this batch's completion commit together. The jobs stay claimed
 * until then, so a crash after the first commit re-runs them, and the re-run sends the recorded
 * messages still unsent (a message the SMTP server took whose outcome was not committed is sent
 * once more with the same Message-ID — the mail module's rule). Where this process runs no mail
 * jobs, the messages get send jobs instead, committed with the batch's completion.
 */
export async function sendRequestMails(
  deps: AppDeps,
  ctx: BatchJobContext,
  payloads: readonly Static<typeof OptInMailPayload>[],
  variant: RequestMailVariant,
): Promise<void> {
  const inputs = await findOptInMailInputs(ctx.db, payloads);
  const now = ctx.clock.now();
  const resume: string[] = [];
  const fresh = new Map<string, FreshMail[]>();
  const seen = new Set<string>();
  for (const { workspaceId, tokenId } of payloads) {
    if (seen.has(tokenId)) continue;
    seen.add(tokenId);
    const input = inputs.get(tokenId);
    const request = input?.request;
    // Purged or erased meanwhile, or confirmed: nothing to send.
    if (!input || !request || request.used_at) continue;
    if (request.message_id) {
      // Recorded by an earlier run of this job that did not finish.
      resume.push(request.message_id);
      continue;
    }
    const prepared = prepareRequestMail(deps, ctx, input, tokenId, variant, now);
    if (!prepared) continue;
    const list = fresh.get(workspaceId) ?? [];
    list.push({ tokenId, workspaceId, request, ...prepared });
    fresh.set(workspaceId, list);
  }
  const send = directSender(deps);
  if (!send) {
    await ctx.completeWith(async (trx) => {
      // Recorded by an earlier run that meant to send them itself: the queue sends them now.
      await enqueueSendJobs(trx, deps, resume);
      for (const [workspaceId, mails] of fresh)
        await recordRequestMails(trx, deps, ctx, workspaceId, mails, variant, now, true);
    });
    return;
  }
  const toSend = resume.length > 0 ? await withoutSendJob(ctx.db, resume) : [];
  for (const [workspaceId, mails] of fresh) {
    const ids = await ctx.db
      .transaction()
      .execute((trx) => recordRequestMails(trx, deps, ctx, workspaceId, mails, variant, now, false));
    toSend.push(...ids);
  }
  // Completes the batch with the outcomes; with nothing to send the worker completes it.
  await send(toSend, ctx);
  if (fresh.size > 0)
    ctx.log.info({ event: `${variant.event}-sent`, count: toSend.length }, 'confirmation mails handled');
}

/** Records the mails of one workspace (messages, link secrets, ledger); returns the ids to send. */
async function recordRequestMails(
  trx: Trx,
  deps: AppDeps,
  ctx: Pick<JobContext, 'log'>,
  workspaceId: string,
  mails: FreshMail[],
  variant: RequestMailVariant,
  now: Date,
  sendJobs: boolean,
): Promise<string[]> {
  const results = await recordContentMessages(
    trx,
    deps,
    workspaceId,
    mails.map(
      (m): ContentMessageInput => ({
        kind: 'transactional',
        contactId: m.contact.id,
        to: m.contact.email,
        locale: m.request.locale,
        content: m.content,
        lane: variant.lane,
        idempotencyKey: `${variant.keyPrefix}:${m.tokenId}`,
      }),
    ),
    { sendJobs },
  );
  const mailed: { mail: FreshMail; messageId: string }[] = [];
  results.forEach((r, i) => {
    const mail = mails[i]!;
    if (r.skipped)
      ctx.log.info(
        { event: `${variant.event}-skipped`, reason: r.skipped, tokenId: mail.tokenId },
        'mail skipped',
      );
    else mailed.push({ mail, messageId: r.messageId });
  });
  await setTokensMailed(
    trx,
    workspaceId,
    mailed.map(({ mail, messageId }) => ({
      id: mail.tokenId,
      selector: mail.issued.selector,
      verifierHash: mail.issued.verifierHash,
      messageId,
    })),
    now,
  );
  const events: ConsentEventInput[] = [];
  for (const { mail, messageId } of mailed) {
    for (const purpose of mail.request.purposes) {
      events.push({
        workspaceId,
        contactId: mail.contact.id,
        purpose,
        event: 'confirmation_sent',
        occurredAt: now,
        email: mail.contact.email,
        formId: mail.request.form_id,
        formVersion: mail.request.form_version,
        messageId,
        templateId: variant.templateId,
        tokenRef: mail.tokenId,
        details: { locale: mail.request.locale, expiresAt: mail.request.expires_at?.toISOString() ?? null },
      });
    }
  }
  await appendConsentEvents(trx, workspaceId, events);
  return mailed.map((m) => m.messageId);
}

/**
 * The double opt-in mail of one sign-up's request, on the critical lane; the worker runs up to
 * OPT_IN_BATCH of them at once (sendRequestMails).
 */
export const optInMailJob = (deps: AppDeps) =>
  defineJob({
    ...OPT_IN_MAIL_JOB,
    // Run on its own (a batch that failed is retried job by job): the same path, a batch of one.
    handler: (payload, ctx) =>
      sendRequestMails(
        deps,
        { db: ctx.db, log: ctx.log, clock: ctx.clock, completeWith: ctx.completeWith, jobs: [ctx.job] },
        [payload],
        OPT_IN_VARIANT,
      ),
    batch: {
      max: OPT_IN_BATCH,
      handler: (payloads, ctx) => sendRequestMails(deps, ctx, payloads, OPT_IN_VARIANT),
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
