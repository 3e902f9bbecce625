import { createPrivateKey } from 'node:crypto';
import type { Executor } from '../../shared/db/index.js';
import type { Contact } from '../../shared/db/schema.js';
import { normalizeEmail } from '../../shared/email.js';
import { newId } from '../../shared/ids.js';
import type { JobContext, Lane } from '../../shared/jobs/index.js';
import type { AppDeps } from '../../shared/module.js';
import { addSuppression, suppressionHash } from '../suppression/index.js';
import { findWorkspaceById } from '../workspaces/index.js';
import { isHardBounceStatus } from './delivery-status.js';
import { decryptSecret } from './key-encryption.js';
import { MAX_BATCH, SEND_BATCH_JOB, SEND_MESSAGE_JOB } from './mail.jobs.js';
import {
  findMessagesByIds,
  insertMessageEvents,
  type Message,
  type MessageEventRow,
  type MessageOutcome,
  markSending,
  recordOutcomes,
  SENDABLE_STATUSES,
} from './messages.repository.js';
import { type Address, type Attachment, buildMessage } from './mime/build-message.js';
import type { DkimKey } from './mime/dkim.js';
import { reserveSendQuota } from './rate-limits.js';
import { type CompiledMail, type RenderedMail, templateScope } from './render/renderer.js';
import { SAMPLE_CONTACT } from './render/sample-contact.js';
import { type MailRuntime, registeredMailRuntime } from './runtime.js';
import { batchSendPermissions, type PermissionAnswer, type SendPermissionCheck } from './send-permission.js';
import { findSendingDomainByName, type SendingDomain } from './sending-domains.repository.js';
import { findMailSettings, type MailSettings } from './settings.repository.js';
import { findTemplate, findTemplateVariants, type MailTemplate } from './templates.repository.js';
import { addTracking } from './tracking.js';
import type { SendResult } from './transport.js';
import { newUnsubscribeToken, storeUnsubscribeTokens } from './unsubscribe-tokens.js';
import { verpAddress } from './verp.js';

/*
 * The send path of every message, single or batch:
 *
 *   load → send-time check (the one place: imprint, consent, suppression) → rate limits
 *   → [SMTP: mark "sending" + store unsubscribe tokens, committed] → render, build, DKIM-sign
 *   → hand to the transport → record outcomes, events, timeline, outbox rows and the retry job
 *     in one transaction with the job's completion (ctx.completeWith).
 *
 * Idempotency (docs/practices/mail.md): a message leaves the sendable states only in that last
 * transaction, so a second run of a finished job sends nothing; a run that dies between the SMTP
 * server's 250 and that commit leaves the message "sending", and the retry sends it once more
 * with the same Message-ID.
 */

/** Temporary failures are retried until the message is this old (RFC 5321 §4.5.4.1 suggests 4–5 days). */
export const MAX_RETRY_AGE_MS = 3 * 24 * 3600 * 1000;
/** …or until it had this many attempts with a 4xx answer. */
export const MAX_SEND_ATTEMPTS = 15;
const RETRY_BASE_MS = 30_000;
const RETRY_MAX_MS = 3_600_000;

export function retryDelayMs(attempts: number, random: () => number = Math.random): number {
  const exp = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.max(0, attempts - 1));
  return Math.round(exp * (0.8 + 0.4 * random()));
}

/** `Name <address>` or a bare address. */
export function parseAddress(value: string): Address {
  const m = /^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/.exec(value);
  return m ? { name: m[1]?.trim() || undefined, address: m[2]!.trim() } : { address: value.trim() };
}

/** The From of a workspace's mail: its mail settings, else the configured MAIL_FROM (named after the workspace). */
export function senderAddress(
  settings: Pick<MailSettings, 'from_email' | 'from_name'>,
  workspaceName: string | undefined,
  mailFrom: string,
): Address {
  const fallback = parseAddress(mailFrom);
  const address = settings.from_email ?? fallback.address;
  const name = settings.from_name || (settings.from_email ? '' : fallback.name) || workspaceName || '';
  return { name: name || undefined, address };
}

/** The address a workspace's mail comes from (e.g. the organiser of an event's calendar entry). */
export async function findMailSender(
  db: Executor,
  config: Pick<AppDeps['config'], 'mailFrom'>,
  workspaceId: string,
): Promise<Address> {
  const [workspace, settings] = await Promise.all([
    findWorkspaceById(db, workspaceId),
    findMailSettings(db, workspaceId),
  ]);
  return senderAddress(settings, workspace?.name, config.mailFrom);
}

interface WorkspaceContext {
  workspaceId: string;
  workspaceName: string;
  settings: MailSettings;
  from: Address;
  replyTo: string | null;
  /** Domain of the From address: Message-IDs and the sending domain's DKIM key. */
  domain: string;
  sendingDomain: SendingDomain | undefined;
  dkim: DkimKey | undefined;
}

async function loadWorkspace(
  db: Executor,
  deps: AppDeps,
  rt: MailRuntime,
  workspaceId: string,
): Promise<WorkspaceContext> {
  const [workspace, settings] = await Promise.all([
    findWorkspaceById(db, workspaceId),
    findMailSettings(db, workspaceId),
  ]);
  const { address, name } = senderAddress(settings, workspace?.name, deps.config.mailFrom);
  const domain = (address.split('@')[1] ?? 'localhost').toLowerCase();
  const sendingDomain = await findSendingDomainByName(db, workspaceId, domain);
  let dkim: DkimKey | undefined;
  if (sendingDomain) {
    const cacheKey = `${sendingDomain.id}:${sendingDomain.updated_at.getTime()}`;
    dkim = rt.dkimKeys.get(cacheKey);
    if (!dkim) {
      const pem = decryptSecret(
        deps.config.secretKey,
        sendingDomain.dkim_private_key,
        `${workspaceId}:${sendingDomain.domain}`,
      );
      dkim = {
        domain: sendingDomain.domain,
        selector: sendingDomain.dkim_selector,
        privateKey: createPrivateKey(pem),
      };
      rt.dkimKeys.set(cacheKey, dkim);
    }
  }
  return {
    workspaceId,
    workspaceName: workspace?.name ?? '',
    settings,
    from: { name, address },
    replyTo: settings.reply_to,
    domain,
    sendingDomain,
    dkim,
  };
}

export type SendDecision =
  | { send: true; tracking: boolean }
  | { send: false; status: 'skipped' | 'failed'; reason: string };

/** Below this many contacts per purpose the consent module is asked contact by contact. */
const BATCH_PERMISSION_FROM = 5;

async function permissionsFor(
  getSendPermission: SendPermissionCheck,
  db: Executor,
  workspaceId: string,
  purpose: string,
  contactIds: string[],
): Promise<Map<string, PermissionAnswer>> {
  if (contactIds.length >= BATCH_PERMISSION_FROM) {
    return batchSendPermissions(db, { workspaceId, purpose, contactIds });
  }
  const out = new Map<string, PermissionAnswer>();
  for (const contactId of contactIds)
    out.set(contactId, await getSendPermission(db, { workspaceId, contactId, purpose }));
  return out;
}

/**
 * The send-time check every message goes through, at the moment of sending (for a batch of one
 * workspace at once). Marketing mail needs the workspace's imprint (§5 DDG), a contact, and that
 * contact's permission for the purpose — consent or the documented existing-customer basis, not
 * suppressed — asked now, not when the mail was planned (consent's getSendPermission; for larger
 * batches the same rules in one query, see send-permission.ts). No message goes to a suppressed
 * address. Tracking is on only for contacts with a tracking consent in a workspace that enabled it.
 */
export async function checkSendTimes(
  getSendPermission: SendPermissionCheck,
  db: Executor,
  ws: Pick<WorkspaceContext, 'workspaceId' | 'settings'>,
  messages: Pick<Message, 'kind' | 'purpose' | 'contact_id' | 'to_email' | 'is_test'>[],
  contacts: Map<string, Pick<Contact, 'email_normalized'>>,
): Promise<SendDecision[]> {
  const decisions: (SendDecision | undefined)[] = messages.map(() => undefined);
  const needPermission = new Map<string, number[]>();
  messages.forEach((m, i) => {
    if (m.kind !== 'marketing') return;
    if (!ws.settings.imprint.trim()) decisions[i] = { send: false, status: 'skipped', reason: 'no_imprint' };
    else if (m.is_test) return;
    else if (!m.contact_id) decisions[i] = { send: false, status: 'skipped', reason: 'contact_missing' };
    else needPermission.set(m.purpose!, [...(needPermission.get(m.purpose!) ?? []), i]);
  });
  const tracked = new Set<number>();
  for (const [purpose, indexes] of needPermission) {
    const answers = await permissionsFor(
      getSendPermission,
      db,
      ws.workspaceId,
      purpose,
      indexes.map((i) => messages[i]!.contact_id!),
    );
    for (const i of indexes) {
      const answer = answers.get(messages[i]!.contact_id!)!;
      if (!answer.allowed) decisions[i] = { send: false, status: 'skipped', reason: answer.reason };
    }
  }
  if (ws.settings.tracking_enabled) {
    const candidates = [...needPermission.values()].flat().filter((i) => !decisions[i]);
    const answers = await permissionsFor(
      getSendPermission,
      db,
      ws.workspaceId,
      'tracking',
      candidates.map((i) => messages[i]!.contact_id!),
    );
    for (const i of candidates) if (answers.get(messages[i]!.contact_id!)?.allowed) tracked.add(i);
  }
  // The permission covered the contact's own address; any other recipient is checked here.
  const toCheck = messages
    .map((m, i) => ({ m, i }))
    .filter(({ m, i }) => {
      if (decisions[i]) return false;
      const covered =
        m.kind === 'marketing' &&
        !m.is_test &&
        m.contact_id !== null &&
        contacts.get(m.contact_id)?.email_normalized === normalizeEmail(m.to_email);
      return !covered;
    });
  if (toCheck.length > 0) {
    const hashes = toCheck.map(({ m }) => suppressionHash(ws.workspaceId, m.to_email));
    const suppressed = new Set(
      (
        await db
          .selectFrom('suppressions')
          .select('email_hash')
          .where('workspace_id', '=', ws.workspaceId)
          .where('email_hash', 'in', hashes)
          .execute()
      ).map((r) => r.email_hash),
    );
    toCheck.forEach(({ i }, k) => {
      if (suppressed.has(hashes[k]!)) decisions[i] = { send: false, status: 'skipped', reason: 'suppressed' };
    });
  }
  return decisions.map((d, i) => d ?? { send: true, tracking: tracked.has(i) });
}

interface Prepared {
  message: Message;
  ws: WorkspaceContext;
  contact: Contact | undefined;
  tracking: boolean;
  compiled?: CompiledMail | undefined;
  template?: MailTemplate | undefined;
  unsubscribe?: { token: string; hash: string } | undefined;
}

interface Result {
  prepared: Prepared;
  rendered?: RenderedMail;
  raw?: string;
  envelopeFrom?: string;
  result: SendResult;
}

/** The stored attachments of the messages that have any (one query, none when no message has one). */
async function loadAttachments(db: Executor, messages: Message[]): Promise<Map<string, Attachment[]>> {
  const ids = messages.filter((m) => m.attachment_count > 0).map((m) => m.id);
  const out = new Map<string, Attachment[]>();
  if (ids.length === 0) return out;
  const rows = await db
    .selectFrom('message_attachments')
    .select(['message_id', 'filename', 'content_type', 'content_base64'])
    .where('message_id', 'in', ids)
    .orderBy('message_id')
    .orderBy('position')
    .execute();
  for (const r of rows) {
    const list = out.get(r.message_id) ?? [];
    list.push({
      filename: r.filename,
      contentType: r.content_type,
      content: Buffer.from(r.content_base64, 'base64'),
    });
    out.set(r.message_id, list);
  }
  return out;
}

async function loadContacts(db: Executor, messages: Message[]): Promise<Map<string, Contact>> {
  const ids = [...new Set(messages.map((m) => m.contact_id).filter((id): id is string => !!id))];
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom('contacts').selectAll().where('id', 'in', ids).execute();
  return new Map(rows.map((c) => [c.id, c]));
}

/** Runs `fn` over items with at most `limit` at once. */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return out;
}

/** Repeats a short database write a few times before giving up (a 250 already happened). */
async function withRetries<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const name = (err as Error)?.name;
      if (attempt >= 5 || name === 'LeaseLostError' || name === 'AppError') throw err;
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }
}

/**
 * Sends the given messages (those still sendable) and records what became of each. Safe to run
 * twice: finished messages are left alone.
 */
export async function deliverMessages(
  deps: AppDeps,
  rt: MailRuntime,
  ids: readonly string[],
  ctx: Pick<JobContext, 'db' | 'clock' | 'log' | 'completeWith'>,
): Promise<void> {
  const db = ctx.db;
  const messages = (await findMessagesByIds(db, ids)).filter((m) => SENDABLE_STATUSES.includes(m.status));
  if (messages.length === 0) return;
  const now = ctx.clock.now();
  const contacts = await loadContacts(db, messages);
  const attachments = await loadAttachments(db, messages);
  const workspaces = new Map<string, WorkspaceContext>();
  const templates = new Map<
    string,
    { template: MailTemplate | undefined; compiled: Map<string, CompiledMail> }
  >();

  const outcomes: MessageOutcome[] = [];
  const events: MessageEventRow[] = [];
  const toSend: Prepared[] = [];

  const finish = (
    m: Message,
    status: MessageOutcome['status'],
    reason: string | null,
    extra: Partial<MessageOutcome> = {},
  ) => {
    outcomes.push({
      id: m.id,
      status,
      reason,
      bounce_type: null,
      subject: null,
      message_id_header: null,
      sending_domain: null,
      tracking: false,
      sent_at: null,
      next_attempt_at: null,
      template_version: null,
      ...extra,
    });
    events.push({
      workspace_id: m.workspace_id,
      message_id: m.id,
      type: status,
      occurred_at: now,
      data: reason ? { reason } : {},
    });
  };

  for (const m of messages) {
    if (!workspaces.has(m.workspace_id))
      workspaces.set(m.workspace_id, await loadWorkspace(db, deps, rt, m.workspace_id));
  }
  const decisions = new Map<Message, SendDecision>();
  for (const ws of workspaces.values()) {
    const group = messages.filter((m) => m.workspace_id === ws.workspaceId);
    const answers = await checkSendTimes(rt.getSendPermission, db, ws, group, contacts);
    group.forEach((m, i) => {
      decisions.set(m, answers[i]!);
    });
  }

  for (const m of messages) {
    const ws = workspaces.get(m.workspace_id)!;
    const contact = m.contact_id ? contacts.get(m.contact_id) : undefined;
    const decision = decisions.get(m)!;
    if (!decision.send) {
      finish(m, decision.status, decision.reason);
      continue;
    }
    const prepared: Prepared = { message: m, ws, contact, tracking: decision.tracking };
    if (m.template_id) {
      let entry = templates.get(m.template_id);
      if (!entry) {
        entry = { template: await findTemplate(db, m.workspace_id, m.template_id), compiled: new Map() };
        templates.set(m.template_id, entry);
      }
      if (!entry.template) {
        finish(m, 'failed', 'template_missing');
        continue;
      }
      let compiled = entry.compiled.get(m.locale);
      if (!compiled) {
        const variants = await findTemplateVariants(db, m.workspace_id, m.template_id);
        // The contact's language if the template has it, otherwise its first language.
        const variant = variants.find((v) => v.locale === m.locale) ?? variants[0];
        if (!variant) {
          finish(m, 'failed', 'template_has_no_variant');
          continue;
        }
        try {
          compiled = await rt.renderer.compiled(entry.template, variant, ws.settings);
        } catch (err) {
          finish(m, 'failed', `template_invalid: ${(err as Error).message}`.slice(0, 500));
          continue;
        }
        entry.compiled.set(m.locale, compiled);
      }
      prepared.compiled = compiled;
      prepared.template = entry.template;
    }
    if (m.kind === 'marketing' && m.contact_id && !m.is_test) prepared.unsubscribe = newUnsubscribeToken();
    toSend.push(prepared);
  }

  // Rate limits per workspace and per destination domain (only where the workspace set them).
  const allowed: Prepared[] = [];
  const limited = new Map<Prepared, Date>();
  const byWorkspace = new Map<string, Prepared[]>();
  for (const p of toSend)
    byWorkspace.set(p.ws.workspaceId, [...(byWorkspace.get(p.ws.workspaceId) ?? []), p]);
  for (const [, group] of byWorkspace) {
    const settings = group[0]!.ws.settings;
    const quota = await reserveSendQuota(
      db,
      ctx.clock,
      settings,
      group.map((p) => p.message.to_email),
    );
    group.forEach((p, i) => {
      if (quota.allowed[i]) allowed.push(p);
      else limited.set(p, quota.retryAt);
    });
  }
  for (const [p, retryAt] of limited) {
    finish(p.message, 'deferred', 'rate_limited', { next_attempt_at: retryAt });
  }

  const smtp = rt.transport.kind === 'smtp';
  const tokenRows = allowed
    .filter((p) => p.unsubscribe)
    .map((p) => ({
      workspaceId: p.message.workspace_id,
      contactId: p.message.contact_id!,
      purpose: p.message.purpose!,
      messageId: p.message.id,
      hash: p.unsubscribe!.hash,
      createdAt: now,
    }));
  let sendable = allowed;
  if (smtp && allowed.length > 0) {
    // Committed before the first SMTP command: a crash from here on leaves the message "sending"
    // (the retry sends it once more), and the unsubscribe link works the moment the mail arrives.
    const marked = await withRetries(() =>
      db.transaction().execute(async (trx) => {
        await storeUnsubscribeTokens(trx, tokenRows);
        return markSending(
          trx,
          allowed.map((p) => p.message.id),
          now,
        );
      }),
    );
    const markedSet = new Set(marked);
    sendable = allowed.filter((p) => markedSet.has(p.message.id));
  }

  const results = await mapLimit(
    sendable,
    Math.max(2, deps.config.smtpPoolSize * 2),
    async (p): Promise<Result> => {
      const m = p.message;
      let rendered: RenderedMail;
      try {
        rendered = renderMessage(deps, rt, p);
      } catch (err) {
        return {
          prepared: p,
          result: {
            ok: false,
            temporary: false,
            code: null,
            enhanced: null,
            response: `render_failed: ${(err as Error).message}`,
          },
        };
      }
      const envelopeFrom = p.ws.sendingDomain
        ? verpAddress(deps.config.secretKey, m.id, p.ws.sendingDomain.return_path_domain)
        : p.ws.from.address;
      const headers: [string, string][] = [];
      if (p.unsubscribe) {
        headers.push(['List-Unsubscribe', `<${deps.config.publicUrl}/u/${p.unsubscribe.token}>`]);
        headers.push(['List-Unsubscribe-Post', 'List-Unsubscribe=One-Click']);
      }
      if (m.kind === 'marketing')
        headers.push([
          'Feedback-ID',
          `${m.purpose}:${m.template_id ?? 'content'}:${m.workspace_id.slice(0, 8)}:leadwerk`,
        ]);
      if (m.is_test) headers.push(['X-Leadwerk-Test', 'yes']);
      for (const [name, value] of Object.entries(m.headers ?? {})) headers.push([name, value]);
      const built = buildMessage({
        from: p.ws.from,
        to: m.to_email,
        replyTo: p.ws.replyTo,
        subject: rendered.subject,
        html: rendered.html,
        text: rendered.text,
        date: now,
        messageId: `${m.id}@${p.ws.domain}`,
        headers,
        dkim: p.ws.dkim,
        attachments: attachments.get(m.id),
      });
      const result = await rt.transport.send({ from: envelopeFrom, to: m.to_email }, built.raw);
      return { prepared: p, rendered, raw: built.raw, envelopeFrom, result };
    },
  );

  const activities: Parameters<MailRuntime['recordActivities']>[1] = [];
  const suppress: { workspaceId: string; email: string; reason: string }[] = [];
  const retries: { message: Message; at: Date }[] = [];
  const outboxRows: {
    id: string;
    workspace_id: string;
    message_id: string;
    envelope_from: string;
    envelope_to: string;
    subject: string;
    raw: string;
    created_at: Date;
  }[] = [];
  for (const r of results) {
    const m = r.prepared.message;
    const attempts = m.attempts + (smtp ? 1 : 0);
    const common = {
      subject: r.rendered?.subject ?? null,
      message_id_header: `${m.id}@${r.prepared.ws.domain}`,
      sending_domain: r.prepared.ws.sendingDomain?.domain ?? null,
      tracking: r.prepared.tracking,
      template_version: r.prepared.template?.version ?? null,
    };
    if (r.result.ok) {
      finish(m, smtp ? 'delivered' : 'sent', r.result.response.slice(0, 500), { ...common, sent_at: now });
      if (!smtp) {
        outboxRows.push({
          id: newId(),
          workspace_id: m.workspace_id,
          message_id: m.id,
          envelope_from: r.envelopeFrom!,
          envelope_to: m.to_email,
          subject: r.rendered!.subject,
          raw: r.raw!,
          created_at: now,
        });
      }
      if (m.contact_id && !m.is_test) {
        activities.push({
          workspaceId: m.workspace_id,
          contactId: m.contact_id,
          type: 'mail.sent',
          occurredAt: now,
          data: { messageId: m.id, subject: r.rendered!.subject, kind: m.kind, purpose: m.purpose },
          source: m.template_id ? `template:${m.template_id}` : 'mail',
          ref: `message:${m.id}`,
        });
      }
      continue;
    }
    const failure = r.result;
    if (!failure.temporary) {
      if (isHardBounceStatus(failure.enhanced)) {
        finish(m, 'bounced', failure.response, { ...common, bounce_type: 'hard' });
        suppress.push({ workspaceId: m.workspace_id, email: m.to_email, reason: failure.response });
        if (m.contact_id && !m.is_test) {
          activities.push({
            workspaceId: m.workspace_id,
            contactId: m.contact_id,
            type: 'mail.bounced',
            occurredAt: now,
            data: { messageId: m.id, bounceType: 'hard', reason: failure.response },
            source: 'smtp',
            ref: `message:${m.id}`,
          });
        }
      } else {
        finish(m, 'failed', failure.response, common);
      }
      continue;
    }
    const tooOld = now.getTime() - m.queued_at.getTime() > MAX_RETRY_AGE_MS;
    if (tooOld || (failure.code !== null && attempts >= MAX_SEND_ATTEMPTS)) {
      finish(m, 'failed', `gave up after ${attempts} attempts: ${failure.response}`.slice(0, 1000), common);
      continue;
    }
    const at = new Date(now.getTime() + retryDelayMs(attempts));
    finish(m, 'deferred', failure.response, { ...common, next_attempt_at: at });
    retries.push({ message: m, at });
  }
  for (const [p, at] of limited) retries.push({ message: p.message, at });

  await withRetries(() =>
    ctx.completeWith(async (trx) => {
      if (!smtp) await storeUnsubscribeTokens(trx, tokenRows);
      if (outboxRows.length > 0) await trx.insertInto('outbox_messages').values(outboxRows).execute();
      await recordOutcomes(trx, outcomes, now);
      // Like the links in the content: a final message's files (a calendar entry names the
      // recipient) are not kept; the outbox keeps the sent message as a whole for its retention time.
      const finalWithFiles = outcomes
        .filter((o) => o.status !== 'deferred' && attachments.has(o.id))
        .map((o) => o.id);
      if (finalWithFiles.length > 0)
        await trx.deleteFrom('message_attachments').where('message_id', 'in', finalWithFiles).execute();
      await insertMessageEvents(trx, events);
      if (activities.length > 0) await rt.recordActivities(trx, activities);
      for (const s of suppress) {
        await addSuppression(trx, s.workspaceId, s.email, {
          reason: 'hard_bounce',
          source: 'smtp',
          note: s.reason.slice(0, 500),
        });
      }
      await scheduleRetries(trx, deps, retries);
    }),
  );
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o.status] = (counts[o.status] ?? 0) + 1;
  ctx.log.info({ event: 'mail.batch-delivered', counts }, 'messages handled');
}

/** Sends recorded messages now, in the caller's job (see directSender). */
export type DirectSender = (
  ids: readonly string[],
  ctx: Pick<JobContext, 'db' | 'clock' | 'log' | 'completeWith'>,
) => Promise<void>;

/**
 * For a job that records messages without send jobs (`recordContentMessages({ sendJobs: false })`)
 * and sends them itself: `deliverMessages` with this process's mail runtime, so the caller's job
 * is completed in the same transaction as the messages' outcomes (and their retry jobs). Undefined
 * in a process that does not run the mail module's jobs: the caller writes send jobs instead.
 */
export function directSender(deps: AppDeps): DirectSender | undefined {
  const rt = registeredMailRuntime(deps);
  if (!rt) return undefined;
  return (ids, ctx) => deliverMessages(deps, rt, ids, ctx);
}

/**
 * Of these messages, those that have no pending send job of their own: a job that records
 * messages and sends them itself (directSender) sends again after a crash only these — a message
 * written with a send job (an older version, or a process without mail jobs) is that job's.
 */
export async function withoutSendJob(db: Executor, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const owned = new Set(
    (
      await db
        .selectFrom('jobs')
        .select('idempotency_key')
        .where('name', '=', SEND_MESSAGE_JOB.name)
        .where('idempotency_key', 'in', ids as string[])
        .where('state', '!=', 'dead')
        .execute()
    ).map((r) => r.idempotency_key),
  );
  return ids.filter((id) => !owned.has(id));
}

function renderMessage(deps: AppDeps, rt: MailRuntime, p: Prepared): RenderedMail {
  const m = p.message;
  const unsubscribeUrl = p.unsubscribe
    ? `${deps.config.publicUrl}/u/${p.unsubscribe.token}`
    : m.is_test && m.kind === 'marketing'
      ? `${deps.config.publicUrl}/u/test`
      : null;
  let rendered: RenderedMail;
  if (p.compiled) {
    rendered = rt.renderer.render(
      p.compiled,
      templateScope({
        // A test send to a user is rendered for the editor's sample contact.
        contact: p.contact ?? (m.is_test ? SAMPLE_CONTACT[m.locale] : null),
        workspaceName: p.ws.workspaceName,
        settings: p.ws.settings,
        unsubscribeUrl,
        variables: m.variables,
      }),
    );
  } else {
    const content = m.content!;
    rendered = {
      subject: content.subject.replace(/[\r\n]+/g, ' ').trim(),
      html: content.html,
      text: content.text,
    };
    if (m.kind === 'marketing') rendered = appendMarketingFooter(rendered, p.ws, m.locale, unsubscribeUrl);
  }
  if (p.tracking)
    rendered.html = addTracking(rendered.html, deps.config.publicUrl, deps.config.secretKey, m.id);
  return rendered;
}

function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Marketing mail given as ready content still gets the visible unsubscribe link and the imprint. */
function appendMarketingFooter(
  mail: RenderedMail,
  ws: WorkspaceContext,
  locale: 'de' | 'en',
  unsubscribeUrl: string | null,
): RenderedMail {
  const label = locale === 'de' ? 'Vom Empfang abmelden' : 'Unsubscribe';
  const imprintLabel = locale === 'de' ? 'Impressum' : 'Imprint';
  const lines = ws.settings.imprint
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  const footerHtml =
    `<div style="font-family:Arial,Helvetica,sans-serif;font-size:12px;color:#4a5360;padding:16px">` +
    (unsubscribeUrl ? `<p><a href="${escapeHtml(unsubscribeUrl)}">${label}</a></p>` : '') +
    `<p><strong>${imprintLabel}:</strong> ${lines.map(escapeHtml).join('<br />')}</p></div>`;
  const at = mail.html.lastIndexOf('</body>');
  const html =
    at === -1 ? `${mail.html}${footerHtml}` : `${mail.html.slice(0, at)}${footerHtml}${mail.html.slice(at)}`;
  const text = `${mail.text}\n\n--\n${unsubscribeUrl ? `${label}: ${unsubscribeUrl}\n` : ''}${imprintLabel}:\n${lines.join('\n')}\n`;
  return { ...mail, html, text };
}

/** Schedules the next attempt of deferred messages: one batch job per lane and time. */
async function scheduleRetries(
  trx: Executor,
  deps: AppDeps,
  retries: { message: Message; at: Date }[],
): Promise<void> {
  if (retries.length === 0) return;
  if (retries.length === 1) {
    const { message, at } = retries[0]!;
    await deps.queue.enqueue(
      trx,
      { ...SEND_MESSAGE_JOB, lane: message.lane as Lane },
      { messageId: message.id },
      {
        workspaceId: message.workspace_id,
        runAt: at,
        idempotencyKey: `${message.id}:${message.attempts}:${at.getTime()}`,
      },
    );
    return;
  }
  const groups = new Map<string, { lane: Lane; at: Date; ids: string[] }>();
  for (const { message, at } of retries) {
    const key = message.lane;
    const g = groups.get(key) ?? { lane: message.lane as Lane, at, ids: [] };
    // One job per lane waits for the latest of its messages' times.
    if (at > g.at) g.at = at;
    g.ids.push(message.id);
    groups.set(key, g);
  }
  for (const g of groups.values()) {
    for (let i = 0; i < g.ids.length; i += MAX_BATCH) {
      await deps.queue.enqueue(
        trx,
        { ...SEND_BATCH_JOB, lane: g.lane },
        { messageIds: g.ids.slice(i, i + MAX_BATCH) },
        { runAt: g.at },
      );
    }
  }
}
