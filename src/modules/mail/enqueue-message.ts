import type { Executor } from '../../shared/db/index.js';
import type { MailKind } from '../../shared/db/schema.js';
import { normalizeEmail } from '../../shared/email.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import type { Lane } from '../../shared/jobs/index.js';
import type { AppDeps } from '../../shared/module.js';
import { isSuppressed, suppressionHash } from '../suppression/index.js';
import { SEND_MESSAGE_JOB } from './mail.jobs.js';
import {
  findMessageByIdempotencyKey,
  insertMessageEvents,
  redactMessageContent,
} from './messages.repository.js';
import { findTemplate } from './templates.repository.js';

export interface EnqueueMessageInput {
  workspaceId: string;
  kind: MailKind;
  /** The consent purpose the mail is sent for; required for marketing mail. */
  purpose?: string | undefined;
  contactId?: string | null | undefined;
  to: string;
  locale: 'de' | 'en';
  /** Ready content (e.g. the double opt-in mail), or a template rendered at send time. */
  content?: { subject: string; html: string; text: string } | undefined;
  template?: { id: string; variables?: Record<string, unknown> | undefined } | undefined;
  lane?: Lane | undefined;
  /** A second call with the same key in the same workspace returns the first message. */
  idempotencyKey?: string | undefined;
  headers?: Record<string, string> | undefined;
  /** A test send from the admin UI (to the user, not a contact): no consent check, marked as test. */
  isTest?: boolean | undefined;
  /**
   * Files sent with the message (e.g. a calendar file): stored with it now, so the send job still
   * carries only the message id and every attempt sends the same bytes.
   */
  attachments?: readonly MessageAttachmentInput[] | undefined;
}

export interface MessageAttachmentInput {
  filename: string;
  /** A MIME type, optionally with parameters: `text/calendar; charset=utf-8; method=REQUEST`. */
  contentType: string;
  content: string | Buffer;
}

/** At most this many attachments per message, together at most this many bytes. */
export const MAX_ATTACHMENTS = 10;
export const MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;
const CONTENT_TYPE =
  /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*(?:;\s*[a-z0-9-]+=(?:[a-z0-9!#$&^_.+-]+|"[^"\r\n\\]*"))*$/i;

function checkAttachments(list: readonly MessageAttachmentInput[] | undefined) {
  const out: { filename: string; contentType: string; content: Buffer }[] = [];
  let total = 0;
  for (const [i, a] of (list ?? []).entries()) {
    const filename = a.filename.trim();
    if (!filename || filename.length > 200 || /[\r\n\0"\\/]/.test(filename))
      throw new AppError('VALIDATION_FAILED', {
        fields: [{ field: `attachments.${i}.filename`, message: 'a file name of 1–200 characters' }],
      });
    if (!CONTENT_TYPE.test(a.contentType) || a.contentType.length > 200)
      throw new AppError('VALIDATION_FAILED', {
        fields: [{ field: `attachments.${i}.contentType`, message: 'not a MIME type' }],
      });
    const content = typeof a.content === 'string' ? Buffer.from(a.content, 'utf8') : a.content;
    total += content.length;
    out.push({ filename, contentType: a.contentType, content });
  }
  if (out.length > MAX_ATTACHMENTS || total > MAX_ATTACHMENT_BYTES)
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'attachments', message: `at most ${MAX_ATTACHMENTS} files, 5 MB together` }],
    });
  return out;
}

export interface EnqueueMessageResult {
  messageId: string;
  /** Set when the message was recorded but will not be sent (e.g. `suppressed`). */
  skipped?: string;
}

/** Headers the mail module sets itself; a caller cannot set or override them. */
const RESERVED_HEADERS = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'reply-to',
  'sender',
  'subject',
  'date',
  'message-id',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'dkim-signature',
  'list-unsubscribe',
  'list-unsubscribe-post',
  'return-path',
  'received',
]);

const HEADER_NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/;

function checkHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!HEADER_NAME.test(name) || RESERVED_HEADERS.has(name.toLowerCase())) {
      throw new AppError('VALIDATION_FAILED', {
        fields: [{ field: `headers.${name}`, message: 'not allowed' }],
      });
    }
    if (typeof value !== 'string' || /[\r\n\0]/.test(value) || value.length > 900) {
      throw new AppError('VALIDATION_FAILED', {
        fields: [{ field: `headers.${name}`, message: 'one line of at most 900 characters' }],
      });
    }
    out[name] = value;
  }
  return out;
}

/**
 * Records a message and enqueues its send job, in the caller's transaction: the message exists
 * exactly when the caller's change does. Marketing mail is checked (consent, suppression,
 * imprint) at send time, not here; an address that is already suppressed is recorded as skipped
 * at once. A repeated idempotency key returns the first message (and its skip reason).
 */
export async function enqueueMessage(
  trx: Executor,
  deps: Pick<AppDeps, 'clock' | 'queue'>,
  input: EnqueueMessageInput,
): Promise<EnqueueMessageResult> {
  if (input.kind === 'marketing' && !input.purpose) throw new AppError('MAIL_PURPOSE_REQUIRED');
  if ((input.content === undefined) === (input.template === undefined)) {
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'content', message: 'give either content or template' }],
    });
  }
  const to = input.to.trim();
  if (/[\r\n\s<>,;"]/.test(to) || !normalizeEmail(to))
    throw new AppError('MAIL_RECIPIENT_INVALID', { field: 'to' });
  const headers = checkHeaders(input.headers);
  const attachments = checkAttachments(input.attachments);
  if (input.content && !input.content.subject.trim()) {
    throw new AppError('VALIDATION_FAILED', { fields: [{ field: 'content.subject', message: 'required' }] });
  }

  if (input.idempotencyKey) {
    const existing = await findMessageByIdempotencyKey(trx, input.workspaceId, input.idempotencyKey);
    if (existing) {
      return existing.status === 'skipped'
        ? { messageId: existing.id, skipped: existing.status_reason ?? 'skipped' }
        : { messageId: existing.id };
    }
  }
  if (input.template) {
    const template = await findTemplate(trx, input.workspaceId, input.template.id);
    if (!template || template.archived_at)
      throw new AppError('MAIL_TEMPLATE_NOT_FOUND', { field: 'template.id' });
    // A marketing template never goes out as "transactional": that would bypass the consent check.
    if (template.kind === 'marketing' && input.kind !== 'marketing') {
      throw new AppError('VALIDATION_FAILED', {
        fields: [{ field: 'kind', message: 'this template is a marketing template' }],
      });
    }
  }

  const now = deps.clock.now();
  const suppressed = await isSuppressed(trx, input.workspaceId, to);
  const id = newId();
  const lane = input.lane ?? (input.kind === 'marketing' ? 'bulk' : 'default');
  const inserted = await trx
    .insertInto('messages')
    .values({
      id,
      workspace_id: input.workspaceId,
      kind: input.kind,
      purpose: input.purpose ?? null,
      contact_id: input.contactId ?? null,
      to_email: to,
      locale: input.locale,
      template_id: input.template?.id ?? null,
      variables: input.template?.variables ? JSON.stringify(input.template.variables) : null,
      content: input.content ? JSON.stringify(input.content) : null,
      headers: JSON.stringify(headers),
      lane,
      idempotency_key: input.idempotencyKey ?? null,
      is_test: input.isTest ?? false,
      attachment_count: attachments.length,
      status: suppressed ? 'skipped' : 'queued',
      status_reason: suppressed ? 'suppressed' : null,
      queued_at: now,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) =>
      oc.columns(['workspace_id', 'idempotency_key']).where('idempotency_key', 'is not', null).doNothing(),
    )
    .returning('id')
    .executeTakeFirst();
  if (!inserted) {
    // The same key committed by a concurrent caller between our check and our insert.
    const existing = await findMessageByIdempotencyKey(trx, input.workspaceId, input.idempotencyKey!);
    return {
      messageId: existing!.id,
      ...(existing!.status === 'skipped' ? { skipped: existing!.status_reason ?? 'skipped' } : {}),
    };
  }
  if (attachments.length > 0) {
    await trx
      .insertInto('message_attachments')
      .values(
        attachments.map((a, position) => ({
          message_id: id,
          workspace_id: input.workspaceId,
          position,
          filename: a.filename,
          content_type: a.contentType,
          content_base64: a.content.toString('base64'),
        })),
      )
      .execute();
  }
  await insertMessageEvents(trx, [
    {
      workspace_id: input.workspaceId,
      message_id: id,
      type: suppressed ? 'skipped' : 'queued',
      occurred_at: now,
      data: suppressed ? { reason: 'suppressed' } : {},
    },
  ]);
  if (suppressed) {
    // Never sent: its links (a download link, a confirm link) need not be kept either.
    await redactMessageContent(trx, input.workspaceId, [id], now);
    return { messageId: id, skipped: 'suppressed' };
  }
  await deps.queue.enqueue(
    trx,
    { ...SEND_MESSAGE_JOB, lane },
    { messageId: id },
    { workspaceId: input.workspaceId, idempotencyKey: id },
  );
  return { messageId: id };
}

/** One message of `recordContentMessages`: ready content, one workspace, an idempotency key. */
export interface ContentMessageInput {
  kind: 'transactional';
  contactId: string | null;
  to: string;
  locale: 'de' | 'en';
  content: { subject: string; html: string; text: string };
  lane: Lane;
  idempotencyKey: string;
}

/**
 * `enqueueMessage` for many messages with ready content of one workspace (the double opt-in mails
 * of a batch of sign-ups), in a fixed number of statements: the same rules — a repeated
 * idempotency key returns the first message, an already suppressed address is recorded as skipped
 * (its content redacted) — in the caller's transaction. With `sendJobs: false` no send job is
 * written: the caller sends the messages itself right after its transaction commits
 * (`directSender`, delivery.service.ts) and its own job stays until they are handled, so a crash
 * in between re-runs the caller, which sends the recorded messages then. Results are in input order.
 */
export async function recordContentMessages(
  trx: Executor,
  deps: Pick<AppDeps, 'clock' | 'queue'>,
  workspaceId: string,
  inputs: readonly ContentMessageInput[],
  options: { sendJobs: boolean },
): Promise<EnqueueMessageResult[]> {
  if (inputs.length === 0) return [];
  for (const input of inputs) {
    const to = input.to.trim();
    if (/[\r\n\s<>,;"]/.test(to) || !normalizeEmail(to))
      throw new AppError('MAIL_RECIPIENT_INVALID', { field: 'to' });
    if (!input.content.subject.trim())
      throw new AppError('VALIDATION_FAILED', {
        fields: [{ field: 'content.subject', message: 'required' }],
      });
  }
  const now = deps.clock.now();
  const hashes = inputs.map((i) => suppressionHash(workspaceId, i.to.trim()));
  const suppressed = new Set(
    (
      await trx
        .selectFrom('suppressions')
        .select('email_hash')
        .where('workspace_id', '=', workspaceId)
        .where('email_hash', 'in', [...new Set(hashes)])
        .execute()
    ).map((r) => r.email_hash),
  );
  const seen = new Set<string>();
  const rows = [];
  for (const [i, input] of inputs.entries()) {
    // A key twice in one call: the first wins, as if they had been recorded one after the other.
    if (seen.has(input.idempotencyKey)) continue;
    seen.add(input.idempotencyKey);
    const skipped = suppressed.has(hashes[i]!);
    rows.push({
      id: newId(),
      workspace_id: workspaceId,
      kind: input.kind,
      purpose: null,
      contact_id: input.contactId,
      to_email: input.to.trim(),
      locale: input.locale,
      template_id: null,
      variables: null,
      content: JSON.stringify(input.content),
      headers: JSON.stringify({}),
      lane: input.lane,
      idempotency_key: input.idempotencyKey,
      is_test: false,
      attachment_count: 0,
      status: skipped ? ('skipped' as const) : ('queued' as const),
      status_reason: skipped ? 'suppressed' : null,
      queued_at: now,
      created_at: now,
      updated_at: now,
    });
  }
  const inserted = await trx
    .insertInto('messages')
    .values(rows)
    .onConflict((oc) =>
      oc.columns(['workspace_id', 'idempotency_key']).where('idempotency_key', 'is not', null).doNothing(),
    )
    .returning('id')
    .execute();
  const insertedIds = new Set(inserted.map((r) => r.id));
  const mine = rows.filter((r) => insertedIds.has(r.id));
  await insertMessageEvents(
    trx,
    mine.map((r) => ({
      workspace_id: workspaceId,
      message_id: r.id,
      type: r.status,
      occurred_at: now,
      data: r.status === 'skipped' ? { reason: 'suppressed' } : {},
    })),
  );
  const skippedIds = mine.filter((r) => r.status === 'skipped').map((r) => r.id);
  // Never sent: its links (a confirm link) need not be kept either.
  if (skippedIds.length > 0) await redactMessageContent(trx, workspaceId, skippedIds, now);
  if (options.sendJobs)
    await enqueueSendJobsFor(
      trx,
      deps,
      workspaceId,
      mine.filter((r) => r.status === 'queued'),
    );
  const byKey = new Map<string, { id: string; status: string; status_reason: string | null }>();
  for (const r of mine) byKey.set(r.idempotency_key, r);
  const missing = [...seen].filter((k) => !byKey.has(k));
  if (missing.length > 0) {
    // Keys recorded before (a repeated call) or by a concurrent caller: read what is there.
    const existing = await trx
      .selectFrom('messages')
      .select(['id', 'idempotency_key', 'status', 'status_reason'])
      .where('workspace_id', '=', workspaceId)
      .where('idempotency_key', 'in', missing)
      .execute();
    for (const r of existing) byKey.set(r.idempotency_key!, r);
  }
  return inputs.map((input) => {
    const m = byKey.get(input.idempotencyKey)!;
    return m.status === 'skipped'
      ? { messageId: m.id, skipped: m.status_reason ?? 'skipped' }
      : { messageId: m.id };
  });
}

/** One `mail.send-message` job per message of a workspace, per lane (idempotency key: the message id). */
async function enqueueSendJobsFor(
  trx: Executor,
  deps: Pick<AppDeps, 'queue'>,
  workspaceId: string,
  rows: readonly { id: string; lane: 'critical' | 'default' | 'bulk' }[],
): Promise<void> {
  for (const lane of ['critical', 'default', 'bulk'] as const) {
    const ids = rows.filter((r) => r.lane === lane).map((r) => r.id);
    if (ids.length === 0) continue;
    await deps.queue.enqueueMany(
      trx,
      { ...SEND_MESSAGE_JOB, lane },
      ids.map((messageId) => ({ messageId })),
      { workspaceId, idempotencyKeys: ids },
    );
  }
}

/**
 * Send jobs for recorded messages not sent yet (queued, or "sending" when a crash came between the
 * SMTP answer and its commit — sent once more, the mail module's rule): a job that recorded
 * messages to send them itself (directSender) and is re-run in a process without mail jobs hands
 * them to the queue, so none is left unsent. A message with a send job keeps it (same key).
 */
export async function enqueueSendJobs(
  trx: Executor,
  deps: Pick<AppDeps, 'queue'>,
  messageIds: readonly string[],
): Promise<void> {
  if (messageIds.length === 0) return;
  const rows = await trx
    .selectFrom('messages')
    .select(['id', 'workspace_id', 'lane'])
    .where('id', 'in', messageIds as string[])
    .where('status', 'in', ['queued', 'sending'])
    .execute();
  for (const workspaceId of new Set(rows.map((r) => r.workspace_id)))
    await enqueueSendJobsFor(
      trx,
      deps,
      workspaceId,
      rows.filter((r) => r.workspace_id === workspaceId),
    );
}
