import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import type { Actor } from '../../shared/actor.js';
import type { Db, Executor } from '../../shared/db/index.js';
import type { MailSendsTable } from '../../shared/db/schema.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import type { JobContext } from '../../shared/jobs/index.js';
import type { AppDeps } from '../../shared/module.js';
import { recordAudit } from '../audit/index.js';
import { suppressionHash } from '../suppression/index.js';
import { findWorkspaceById } from '../workspaces/index.js';
import { ENQUEUE_SEND_JOB, SEND_BATCH_JOB } from './mail.jobs.js';
import { findMailSettings } from './settings.repository.js';
import { findTemplate } from './templates.repository.js';

/*
 * A bulk send: one marketing template to everyone who has a confirmed consent for its purpose.
 * The audience is read in pages of PAGE_SIZE contacts (memory does not grow with the list); each
 * page is one transaction that writes its messages and their batch jobs, and moves the cursor.
 * A run that dies continues from the cursor; message idempotency keys (`send:<send>:<contact>`)
 * make a repeated page harmless. Consent is checked again for every message when it goes out.
 */

export type MailSend = Selectable<MailSendsTable>;

export const PAGE_SIZE = 1000;
/** Messages per send job: one claim, one status write, one SMTP pipeline per batch. */
export const SEND_BATCH_SIZE = 100;

/** Starts a bulk send of a marketing template; the audience is enqueued by a job. */
export async function startBulkSend(
  db: Db,
  deps: Pick<AppDeps, 'clock' | 'queue'>,
  actor: Actor,
  workspaceId: string,
  input: { templateId: string },
): Promise<MailSend> {
  return db.transaction().execute(async (trx) => {
    const template = await findTemplate(trx, workspaceId, input.templateId);
    if (!template || template.archived_at) throw new AppError('MAIL_TEMPLATE_NOT_FOUND');
    if (template.kind !== 'marketing' || !template.purpose) {
      throw new AppError('VALIDATION_FAILED', {
        fields: [{ field: 'templateId', message: 'only marketing templates are sent to an audience' }],
      });
    }
    const settings = await findMailSettings(trx, workspaceId);
    if (!settings.imprint.trim()) throw new AppError('MAIL_IMPRINT_MISSING');
    const now = deps.clock.now();
    const send = await trx
      .insertInto('mail_sends')
      .values({
        id: newId(),
        workspace_id: workspaceId,
        template_id: template.id,
        purpose: template.purpose,
        created_by: actor.userId,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'mail.send-started',
      targetType: 'mail_send',
      targetId: send.id,
      details: { templateId: template.id, templateName: template.name, purpose: template.purpose },
    });
    await deps.queue.enqueue(
      trx,
      ENQUEUE_SEND_JOB,
      { sendId: send.id },
      { workspaceId, idempotencyKey: send.id },
    );
    return send;
  });
}

interface AudienceRow {
  contact_id: string;
  email: string;
  locale: 'de' | 'en' | null;
}

async function audiencePage(db: Executor, send: MailSend, after: string | null): Promise<AudienceRow[]> {
  let query = db
    .selectFrom('consents as co')
    .innerJoin('contacts as c', (j) =>
      j.onRef('c.id', '=', 'co.contact_id').onRef('c.workspace_id', '=', 'co.workspace_id'),
    )
    .select(['co.contact_id', 'c.email', 'c.locale'])
    .where('co.workspace_id', '=', send.workspace_id)
    .where('co.purpose', '=', send.purpose)
    .where('co.status', '=', 'confirmed');
  if (after) query = query.where('co.contact_id', '>', after);
  return query.orderBy('co.contact_id').limit(PAGE_SIZE).execute();
}

/** Writes the messages and send jobs for one page of recipients; returns how many were new. */
async function enqueuePage(
  trx: Executor,
  deps: Pick<AppDeps, 'clock' | 'queue'>,
  send: MailSend,
  rows: AudienceRow[],
  defaultLocale: 'de' | 'en',
): Promise<number> {
  const now = deps.clock.now();
  const hashes = rows.map((r) => suppressionHash(send.workspace_id, r.email));
  const suppressed = new Set(
    (
      await trx
        .selectFrom('suppressions')
        .select('email_hash')
        .where('workspace_id', '=', send.workspace_id)
        .where('email_hash', 'in', hashes)
        .execute()
    ).map((r) => r.email_hash),
  );
  const values = rows.map((r, i) => {
    const isSuppressed = suppressed.has(hashes[i]!);
    return {
      id: newId(),
      workspace_id: send.workspace_id,
      kind: 'marketing' as const,
      purpose: send.purpose,
      contact_id: r.contact_id,
      to_email: r.email,
      locale: r.locale ?? defaultLocale,
      template_id: send.template_id,
      lane: 'bulk' as const,
      idempotency_key: `send:${send.id}:${r.contact_id}`,
      send_id: send.id,
      status: isSuppressed ? ('skipped' as const) : ('queued' as const),
      status_reason: isSuppressed ? 'suppressed' : null,
      queued_at: now,
      created_at: now,
      updated_at: now,
    };
  });
  const inserted = await trx
    .insertInto('messages')
    .values(values)
    .onConflict((oc) =>
      oc.columns(['workspace_id', 'idempotency_key']).where('idempotency_key', 'is not', null).doNothing(),
    )
    .returning(['id', 'status'])
    .execute();
  const queued = inserted.filter((r) => r.status === 'queued').map((r) => r.id);
  const payloads = [];
  for (let i = 0; i < queued.length; i += SEND_BATCH_SIZE) {
    payloads.push({ messageIds: queued.slice(i, i + SEND_BATCH_SIZE) });
  }
  await deps.queue.enqueueMany(trx, SEND_BATCH_JOB, payloads, { workspaceId: send.workspace_id });
  return inserted.length;
}

/** The job: pages through the audience from the stored cursor until it is exhausted. */
export async function enqueueBulkSend(
  deps: Pick<AppDeps, 'clock' | 'queue'>,
  sendId: string,
  ctx: Pick<JobContext, 'db' | 'log' | 'completeWith'>,
): Promise<void> {
  const first = await ctx.db.selectFrom('mail_sends').selectAll().where('id', '=', sendId).executeTakeFirst();
  if (!first || first.status === 'enqueued' || first.status === 'cancelled') return;
  const workspace = await findWorkspaceById(ctx.db, first.workspace_id);
  const defaultLocale = workspace?.default_locale ?? 'de';
  let send = first;
  for (;;) {
    const rows = await audiencePage(ctx.db, send, send.cursor_contact_id);
    if (rows.length === 0) break;
    const cursor = rows[rows.length - 1]!.contact_id;
    send = await ctx.db.transaction().execute(async (trx) => {
      const added = await enqueuePage(trx, deps, send, rows, defaultLocale);
      return trx
        .updateTable('mail_sends')
        .set({
          status: 'enqueuing',
          cursor_contact_id: cursor,
          recipients: sql`recipients + ${added}`,
          updated_at: deps.clock.now(),
        })
        .where('id', '=', send.id)
        .returningAll()
        .executeTakeFirstOrThrow();
    });
    if (rows.length < PAGE_SIZE) break;
  }
  await ctx.completeWith(async (trx) => {
    await trx
      .updateTable('mail_sends')
      .set({ status: 'enqueued', updated_at: deps.clock.now() })
      .where('id', '=', sendId)
      .execute();
  });
  ctx.log.info({ event: 'mail.send-enqueued', sendId, recipients: send.recipients }, 'bulk send enqueued');
}
