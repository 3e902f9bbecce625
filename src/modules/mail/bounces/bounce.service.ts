import { sha256 } from '../../../shared/crypto.js';
import type { Db, Executor } from '../../../shared/db/index.js';
import { AppError } from '../../../shared/errors.js';
import { isUuid, newId } from '../../../shared/ids.js';
import type { Logger } from '../../../shared/log.js';
import { addSuppression, suppressionHash } from '../../suppression/index.js';
import { insertMessageEvents, type Message } from '../messages.repository.js';
import type { RecordActivities } from '../send-permission.js';
import { findMailSettings } from '../settings.repository.js';
import { parseVerpAddress } from '../verp.js';
import { type ParsedReport, parseReport } from './parse-report.js';

/*
 * What a bounce or complaint does: the report is matched to the message it is about (VERP return
 * path first, then the original Message-ID), recorded once (a report seen twice changes nothing),
 * and the address is suppressed at once for a hard bounce or a complaint, or once it bounced
 * softly `soft_bounce_limit` times within 30 days.
 */

export const SOFT_BOUNCE_WINDOW_DAYS = 30;

export interface ReportOutcome {
  kind: ParsedReport['kind'] | 'unmatched';
  messageId: string | null;
  /** What happened per recipient: `suppressed:hard_bounce`, `soft_bounce:2/3`, `complaint`, … */
  actions: string[];
  duplicate: boolean;
}

export interface ReportContext {
  db: Db;
  secretKey: string;
  now: Date;
  log: Logger;
  recordActivities: RecordActivities;
}

async function findMessageById(db: Executor, id: string): Promise<Message | undefined> {
  if (!isUuid(id)) return undefined;
  return db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The message a report is about: by VERP address (signed), then by the original Message-ID. */
async function matchMessage(
  db: Executor,
  secretKey: string,
  report: ParsedReport,
  envelopeRecipients: string[],
): Promise<Message | undefined> {
  for (const address of [...envelopeRecipients, ...report.reportRecipients]) {
    const id = parseVerpAddress(secretKey, address);
    if (id) {
      const m = await findMessageById(db, id);
      if (m) return m;
    }
  }
  for (const mid of report.originalMessageIds) {
    const local = mid.slice(0, mid.lastIndexOf('@'));
    const m = await findMessageById(db, local);
    // The Message-ID we gave it, exactly: a forged or foreign ID with a guessed UUID does not match.
    if (m && m.message_id_header === mid) return m;
  }
  return undefined;
}

/**
 * Processes one report (raw RFC 5322 message). `workspaceId` limits matching to one workspace
 * (the mailbox-upload API); the SMTP endpoint passes none and trusts only VERP and Message-IDs.
 */
export async function processReport(
  ctx: ReportContext,
  raw: string,
  options: { source: 'smtp' | 'upload'; workspaceId?: string; envelopeRecipients?: string[] },
): Promise<ReportOutcome> {
  const report = parseReport(raw);
  if (report.kind === 'unknown') {
    if (options.source === 'upload') throw new AppError('MAIL_REPORT_UNREADABLE');
    return { kind: 'unknown', messageId: null, actions: [], duplicate: false };
  }
  const rawHash = sha256(raw);
  return ctx.db.transaction().execute(async (trx) => {
    let message = await matchMessage(trx, ctx.secretKey, report, options.envelopeRecipients ?? []);
    if (message && options.workspaceId && message.workspace_id !== options.workspaceId) message = undefined;
    const workspaceId = message?.workspace_id ?? options.workspaceId ?? null;
    const actions: string[] = [];
    let duplicate = false;
    const recipients =
      report.recipients.length > 0
        ? report.recipients
        : [{ recipient: null, action: null, status: null, diagnostic: null, bounceType: null }];
    for (const [index, r] of recipients.entries()) {
      // The message's own address when matched: a DSN may name a forwarding target instead.
      const address = message?.to_email ?? r.recipient;
      const kind = !workspaceId ? 'unmatched' : report.kind;
      const inserted = await trx
        .insertInto('mail_reports')
        .values({
          id: newId(),
          workspace_id: workspaceId,
          message_id: message?.id ?? null,
          kind: kind === 'unknown' ? 'unmatched' : kind,
          bounce_type: r.bounceType,
          recipient_hash: workspaceId && address ? suppressionHash(workspaceId, address) : null,
          status_code: r.status,
          diagnostic: r.diagnostic,
          feedback_type: report.feedbackType,
          source: options.source,
          dedupe_key: `${rawHash}:${index}`,
          received_at: ctx.now,
        })
        .onConflict((oc) => oc.column('dedupe_key').doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!inserted) {
        duplicate = true;
        continue;
      }
      if (!workspaceId || !address) continue;
      if (report.kind === 'complaint') {
        await addSuppression(trx, workspaceId, address, {
          reason: 'complaint',
          source: `arf:${report.feedbackType ?? 'abuse'}`,
          note: message ? `message ${message.id}` : undefined,
        });
        actions.push('suppressed:complaint');
      } else if (report.kind === 'bounce' && r.bounceType === 'hard') {
        await addSuppression(trx, workspaceId, address, {
          reason: 'hard_bounce',
          source: `dsn:${r.status ?? 'unknown'}`,
          note: (r.diagnostic ?? '').slice(0, 500) || undefined,
        });
        actions.push('suppressed:hard_bounce');
      } else if (report.kind === 'bounce' && r.bounceType === 'soft') {
        const settings = await findMailSettings(trx, workspaceId);
        const since = new Date(ctx.now.getTime() - SOFT_BOUNCE_WINDOW_DAYS * 86_400_000);
        const count = await trx
          .selectFrom('mail_reports')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('workspace_id', '=', workspaceId)
          .where('recipient_hash', '=', suppressionHash(workspaceId, address))
          .where('bounce_type', '=', 'soft')
          .where('received_at', '>=', since)
          .executeTakeFirstOrThrow();
        const n = Number(count.n);
        if (n >= settings.soft_bounce_limit) {
          await addSuppression(trx, workspaceId, address, {
            reason: 'soft_bounce_limit',
            source: `dsn:${r.status ?? 'unknown'}`,
            note: `${n} soft bounces in ${SOFT_BOUNCE_WINDOW_DAYS} days`,
          });
          actions.push('suppressed:soft_bounce_limit');
        } else actions.push(`soft_bounce:${n}/${settings.soft_bounce_limit}`);
      }
    }
    if (message && !duplicate && (report.kind === 'bounce' || report.kind === 'complaint')) {
      await recordOnMessage(trx, ctx, message, report);
    }
    const outcome: ReportOutcome = {
      kind: workspaceId ? report.kind : 'unmatched',
      messageId: message?.id ?? null,
      actions,
      duplicate,
    };
    ctx.log.info(
      { event: `mail.report-${outcome.kind}`, messageId: outcome.messageId, actions, duplicate },
      'report processed',
    );
    return outcome;
  });
}

async function recordOnMessage(
  trx: Executor,
  ctx: ReportContext,
  message: Message,
  report: ParsedReport,
): Promise<void> {
  const r = report.recipients.find((x) => x.bounceType) ?? report.recipients[0];
  if (report.kind === 'complaint') {
    await trx
      .updateTable('messages')
      .set({
        status: 'complained',
        complained_at: ctx.now,
        status_reason: `complaint: ${report.feedbackType ?? 'abuse'}`,
        updated_at: ctx.now,
      })
      .where('id', '=', message.id)
      .execute();
  } else {
    // A complaint stays a complaint; a bounce after "delivered" (accepted by the relay) replaces it.
    await trx
      .updateTable('messages')
      .set({
        status: 'bounced',
        bounce_type: r?.bounceType ?? 'soft',
        bounced_at: ctx.now,
        status_reason: [r?.status, r?.diagnostic].filter(Boolean).join(' ').slice(0, 2000) || 'bounced',
        updated_at: ctx.now,
      })
      .where('id', '=', message.id)
      .where('status', '!=', 'complained')
      .execute();
  }
  const type = report.kind === 'complaint' ? 'complained' : 'bounced';
  const data =
    report.kind === 'complaint'
      ? { feedbackType: report.feedbackType }
      : { bounceType: r?.bounceType ?? null, status: r?.status ?? null, diagnostic: r?.diagnostic ?? null };
  await insertMessageEvents(trx, [
    { workspace_id: message.workspace_id, message_id: message.id, type, occurred_at: ctx.now, data },
  ]);
  if (message.contact_id && !message.is_test) {
    const exists = await trx
      .selectFrom('contacts')
      .select('id')
      .where('workspace_id', '=', message.workspace_id)
      .where('id', '=', message.contact_id)
      .executeTakeFirst();
    if (exists) {
      await ctx.recordActivities(trx, [
        {
          workspaceId: message.workspace_id,
          contactId: message.contact_id,
          type: `mail.${type}`,
          occurredAt: ctx.now,
          data: { messageId: message.id, subject: message.subject, ...data },
          source: 'mail',
          ref: `message:${message.id}`,
        },
      ]);
    }
  }
}

/** Recent reports of a workspace, for the admin UI. */
export async function listReports(db: Executor, workspaceId: string, limit = 100) {
  return db
    .selectFrom('mail_reports')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('received_at', 'desc')
    .limit(limit)
    .execute();
}
