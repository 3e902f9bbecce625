import { Type } from '@sinclair/typebox';
import { defineJob, type JobContext } from '../../shared/jobs/index.js';

// A pattern, not `format: 'uuid'`: job payloads are checked with TypeBox's Value, which knows no formats.
const Uuid = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
});

/*
 * The job definitions of the mail module. Enqueueing needs only a definition's name, lane and
 * schema; the handlers are attached in index.ts (they need the process's SMTP pool). A message's
 * lane is chosen per message (`enqueueMessage({ lane })`): the job row carries the lane, the
 * worker finds the handler by name.
 */

const notHere = async (_payload: unknown, _ctx: JobContext) => {
  throw new Error('the mail module registers this handler');
};

/** One message: transactional mail, double opt-in mails, journeys' single sends. */
export const SEND_MESSAGE_JOB = defineJob({
  name: 'mail.send-message',
  lane: 'default',
  maxAttempts: 10,
  schema: Type.Object({ messageId: Uuid }),
  handler: notHere,
});

/** Up to 500 messages at once: bulk sends and the retries of a batch (one claim, one status write per batch). */
export const SEND_BATCH_JOB = defineJob({
  name: 'mail.send-batch',
  lane: 'bulk',
  maxAttempts: 10,
  schema: Type.Object({
    messageIds: Type.Array(Uuid, { minItems: 1, maxItems: 500 }),
  }),
  handler: notHere,
});

export const MAX_BATCH = 500;

/** Pages through a bulk send's audience and writes its messages and batch jobs. */
export const ENQUEUE_SEND_JOB = defineJob({
  name: 'mail.enqueue-send',
  lane: 'bulk',
  maxAttempts: 10,
  schema: Type.Object({ sendId: Uuid }),
  handler: notHere,
});

/** Hourly: outbox mail older than OUTBOX_RETENTION_DAYS is deleted (it holds personal data). */
export const PURGE_OUTBOX_JOB = defineJob({
  name: 'mail.purge-outbox',
  maxAttempts: 3,
  schema: Type.Object({}),
  handler: notHere,
});

export const OUTBOX_RETENTION_DAYS = 30;

/** Hourly: final messages whose stored links were not yet cut to their origin (see messages.repository.ts). */
export const REDACT_CONTENT_JOB = defineJob({
  name: 'mail.redact-content',
  maxAttempts: 3,
  schema: Type.Object({}),
  handler: notHere,
});
