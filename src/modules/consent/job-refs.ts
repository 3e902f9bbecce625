import { Type } from '@sinclair/typebox';
import { defineJob, PermanentJobError } from '../../shared/jobs/index.js';

/*
 * The consent module's jobs as services enqueue them: name, lane, attempts and payload schema.
 * The handlers live in mail.jobs.ts and are registered by the module (index.ts); these references
 * only describe the job to the queue, so enqueueing code does not depend on the mail module.
 */

/** TypeBox's value checker knows no formats: UUIDs by pattern. */
const Uuid = Type.String({ pattern: '^[0-9a-fA-F-]{36}$' });

export const OptInMailPayload = Type.Object({ workspaceId: Uuid, tokenId: Uuid });
export const NoticeMailPayload = Type.Object({ workspaceId: Uuid, noticeId: Uuid });

async function enqueueOnly(): Promise<never> {
  throw new PermanentJobError('enqueue-only reference: the consent module registers the real handler');
}

export const OPT_IN_MAIL_JOB = defineJob({
  name: 'consent.send-opt-in-mail',
  lane: 'critical',
  maxAttempts: 12,
  schema: OptInMailPayload,
  handler: enqueueOnly,
});

export const CONFIRMED_NOTICE_JOB = defineJob({
  name: 'consent.send-confirmed-notice',
  lane: 'critical',
  maxAttempts: 12,
  schema: NoticeMailPayload,
  handler: enqueueOnly,
});

/** The re-permission mail of one request (repermission.service.ts); bulk lane, sign-ups go first. */
export const REPERMISSION_MAIL_JOB = defineJob({
  name: 'consent.send-repermission-mail',
  lane: 'bulk',
  maxAttempts: 12,
  schema: OptInMailPayload,
  handler: enqueueOnly,
});
