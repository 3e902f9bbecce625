import type { Executor } from '../../shared/db/index.js';
import { normalizeEmail } from '../../shared/email.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import type { AppDeps } from '../../shared/module.js';
import { suppressionHash } from '../suppression/index.js';
import { SEND_BATCH_SIZE } from './bulk-send.service.js';
import type { EnqueueMessageInput, EnqueueMessageResult } from './enqueue-message.js';
import { SEND_BATCH_JOB } from './mail.jobs.js';
import { insertMessageEvents, redactMessageContent } from './messages.repository.js';
import { findTemplate } from './templates.repository.js';

/** One message of `enqueueMessages`: a template message with an idempotency key. */
export type EnqueueManyInput = Omit<EnqueueMessageInput, 'content' | 'headers' | 'isTest' | 'template'> & {
  template: NonNullable<EnqueueMessageInput['template']>;
  idempotencyKey: string;
};

/**
 * `enqueueMessage` for many template messages of one workspace at once (journeys run a step for a
 * whole batch of contacts): the same rules — marketing needs a purpose and a marketing template,
 * an already suppressed address is recorded as skipped, a repeated idempotency key returns the
 * first message, consent is checked at send time — in a fixed number of statements, and the send
 * jobs are batch jobs (`mail.send-batch`, SEND_BATCH_SIZE messages each) instead of one job per
 * message. Results are in the order of `inputs`.
 */
export async function enqueueMessages(
  trx: Executor,
  deps: Pick<AppDeps, 'clock' | 'queue'>,
  workspaceId: string,
  inputs: EnqueueManyInput[],
): Promise<EnqueueMessageResult[]> {
  if (inputs.length === 0) return [];
  for (const input of inputs) {
    if (input.workspaceId !== workspaceId) throw new Error('enqueueMessages: one workspace per call');
    if (input.kind === 'marketing' && !input.purpose) throw new AppError('MAIL_PURPOSE_REQUIRED');
    const to = input.to.trim();
    if (/[\r\n\s<>,;"]/.test(to) || !normalizeEmail(to))
      throw new AppError('MAIL_RECIPIENT_INVALID', { field: 'to' });
  }
  for (const templateId of new Set(inputs.map((i) => i.template.id))) {
    const template = await findTemplate(trx, workspaceId, templateId);
    if (!template || template.archived_at)
      throw new AppError('MAIL_TEMPLATE_NOT_FOUND', { field: 'template.id' });
    if (
      template.kind === 'marketing' &&
      inputs.some((i) => i.template.id === templateId && i.kind !== 'marketing')
    )
      throw new AppError('VALIDATION_FAILED', {
        fields: [{ field: 'kind', message: 'this template is a marketing template' }],
      });
  }
  const keys = [...new Set(inputs.map((i) => i.idempotencyKey))];
  const existingRows = async () =>
    new Map(
      (
        await trx
          .selectFrom('messages')
          .select(['id', 'idempotency_key', 'status', 'status_reason'])
          .where('workspace_id', '=', workspaceId)
          .where('idempotency_key', 'in', keys)
          .execute()
      ).map((r) => [r.idempotency_key!, r]),
    );
  const before = await existingRows();
  const now = deps.clock.now();
  const fresh = inputs.filter(
    (input, i) =>
      !before.has(input.idempotencyKey) &&
      inputs.findIndex((x) => x.idempotencyKey === input.idempotencyKey) === i,
  );
  const hashes = fresh.map((i) => suppressionHash(workspaceId, i.to.trim()));
  const suppressed =
    hashes.length === 0
      ? new Set<string>()
      : new Set(
          (
            await trx
              .selectFrom('suppressions')
              .select('email_hash')
              .where('workspace_id', '=', workspaceId)
              .where('email_hash', 'in', hashes)
              .execute()
          ).map((r) => r.email_hash),
        );
  const rows = fresh.map((input, i) => {
    const isSuppressed = suppressed.has(hashes[i]!);
    return {
      id: newId(),
      workspace_id: workspaceId,
      kind: input.kind,
      purpose: input.purpose ?? null,
      contact_id: input.contactId ?? null,
      to_email: input.to.trim(),
      locale: input.locale,
      template_id: input.template.id,
      variables: input.template.variables ? JSON.stringify(input.template.variables) : null,
      content: null,
      headers: JSON.stringify({}),
      lane: input.lane ?? (input.kind === 'marketing' ? ('bulk' as const) : ('default' as const)),
      idempotency_key: input.idempotencyKey,
      is_test: false,
      status: isSuppressed ? ('skipped' as const) : ('queued' as const),
      status_reason: isSuppressed ? 'suppressed' : null,
      queued_at: now,
      created_at: now,
      updated_at: now,
    };
  });
  const inserted =
    rows.length === 0
      ? []
      : await trx
          .insertInto('messages')
          .values(rows)
          .onConflict((oc) =>
            oc
              .columns(['workspace_id', 'idempotency_key'])
              .where('idempotency_key', 'is not', null)
              .doNothing(),
          )
          .returning('id')
          .execute();
  const insertedIds = new Set(inserted.map((r) => r.id));
  const mine = rows.filter((r) => insertedIds.has(r.id));
  // Like the bulk send, a queued message has no `queued` event (its queued_at says it); a skipped
  // one records why.
  await insertMessageEvents(
    trx,
    mine
      .filter((r) => r.status === 'skipped')
      .map((r) => ({
        workspace_id: workspaceId,
        message_id: r.id,
        type: 'skipped' as const,
        occurred_at: now,
        data: { reason: 'suppressed' },
      })),
  );
  // Never sent: its links need not be kept either.
  await redactMessageContent(
    trx,
    workspaceId,
    mine.filter((r) => r.status === 'skipped').map((r) => r.id),
    now,
  );
  for (const lane of ['critical', 'default', 'bulk'] as const) {
    const queued = mine.filter((r) => r.status === 'queued' && r.lane === lane).map((r) => r.id);
    const payloads = [];
    for (let i = 0; i < queued.length; i += SEND_BATCH_SIZE)
      payloads.push({ messageIds: queued.slice(i, i + SEND_BATCH_SIZE) });
    await deps.queue.enqueueMany(trx, { ...SEND_BATCH_JOB, lane }, payloads, { workspaceId });
  }
  // Keys taken by a concurrent caller between our check and our insert: read what they wrote.
  const byKey = new Map<string, { id: string; status: string; status_reason: string | null }>(before);
  for (const r of mine) byKey.set(r.idempotency_key, r);
  if (inputs.some((i) => !byKey.has(i.idempotencyKey)))
    for (const [k, r] of await existingRows()) byKey.set(k, r);
  return inputs.map((input) => {
    const m = byKey.get(input.idempotencyKey)!;
    return m.status === 'skipped'
      ? { messageId: m.id, skipped: m.status_reason ?? 'skipped' }
      : { messageId: m.id };
  });
}
