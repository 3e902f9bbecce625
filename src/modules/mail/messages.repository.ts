import { type Selectable, sql } from 'kysely';
import type { Executor } from '../../shared/db/index.js';
import type { MessageStatus, MessagesTable } from '../../shared/db/schema.js';

export type Message = Selectable<MessagesTable>;

/** Messages a worker may still send: never started, waiting for a retry, or started by a run that did not finish. */
export const SENDABLE_STATUSES: readonly MessageStatus[] = ['queued', 'deferred', 'sending'];

export async function findMessage(
  db: Executor,
  workspaceId: string,
  id: string,
): Promise<Message | undefined> {
  return db
    .selectFrom('messages')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function findMessageByIdempotencyKey(
  db: Executor,
  workspaceId: string,
  key: string,
): Promise<Message | undefined> {
  return db
    .selectFrom('messages')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('idempotency_key', '=', key)
    .executeTakeFirst();
}

/** The messages of a job, whatever their workspace (a job names its messages by id only). */
export async function findMessagesByIds(db: Executor, ids: readonly string[]): Promise<Message[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('messages')
    .selectAll()
    .where('id', 'in', ids as string[])
    .execute();
}

export interface MessageEventRow {
  workspace_id: string;
  message_id: string;
  type: string;
  occurred_at: Date;
  data: Record<string, unknown>;
}

export async function insertMessageEvents(db: Executor, events: MessageEventRow[]): Promise<void> {
  if (events.length === 0) return;
  await db
    .insertInto('message_events')
    .values(events.map((e) => ({ ...e, data: JSON.stringify(e.data) })))
    .execute();
}

/** Marks messages as being sent by this attempt (committed before the first SMTP command). */
export async function markSending(db: Executor, ids: readonly string[], now: Date): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .updateTable('messages')
    .set((eb) => ({ status: 'sending', attempts: eb('attempts', '+', 1), updated_at: now }))
    .where('id', 'in', ids as string[])
    .where('status', 'in', SENDABLE_STATUSES as MessageStatus[])
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

/*
 * Stored content of a final message keeps no usable link: every http(s) URL with a path, query or
 * fragment is cut to its origin plus "/…" (`https://leads.example/c/Xy…` → `https://leads.example/…`),
 * in `content` (subject, HTML, text) and in every string of `variables`. Confirm links, download
 * links, preference-center links and signed third-party URLs all carry their secret after the
 * origin. It runs over the JSON text: the pattern stops at quotes, angle brackets, whitespace and
 * backslashes (JSON escapes), so the result is valid JSON again. Used by recordOutcomes, by
 * enqueueMessage for a message skipped at once, and by the hourly sweep (mail.redact-content).
 */
const URL_PATTERN = String.raw`(https?://[^/\s"'<>\\?#]+)[/?#][^\s"'<>\\]*`;
const URL_REPLACEMENT = String.raw`\1/…`;

/** SQL: `column` (jsonb) with its links cut to their origin; null stays null. */
export function redactedJson(column: ReturnType<typeof sql.ref>) {
  return sql<unknown>`regexp_replace(${column}::text, ${URL_PATTERN}, ${URL_REPLACEMENT}, 'gi')::jsonb`;
}

/** Cuts the stored links of these messages (of one workspace) to their origin. */
export async function redactMessageContent(
  db: Executor,
  workspaceId: string,
  ids: readonly string[],
  now: Date,
): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('messages')
    .set({
      content: redactedJson(sql.ref('content')) as never,
      variables: redactedJson(sql.ref('variables')) as never,
      content_redacted_at: now,
    })
    .where('workspace_id', '=', workspaceId)
    .where('id', 'in', ids as string[])
    .where('content_redacted_at', 'is', null)
    .execute();
}

/**
 * Redacts final messages whose links are still stored (rows from before redaction existed, or a
 * crash between recording and redacting): at most `limit` per call, oldest first.
 */
export async function redactFinishedMessages(db: Executor, now: Date, limit: number): Promise<number> {
  const result = await sql`
    UPDATE messages AS m
       SET content = ${redactedJson(sql.ref('m.content'))},
           variables = ${redactedJson(sql.ref('m.variables'))},
           content_redacted_at = ${now}
     WHERE m.id IN (
       SELECT id FROM messages
        WHERE content_redacted_at IS NULL AND (content IS NOT NULL OR variables IS NOT NULL)
          AND status IN ('sent', 'delivered', 'failed', 'bounced', 'skipped', 'complained')
        ORDER BY created_at
        LIMIT ${limit})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}

export interface MessageOutcome {
  id: string;
  status: MessageStatus;
  reason: string | null;
  bounce_type: 'hard' | 'soft' | null;
  subject: string | null;
  message_id_header: string | null;
  sending_domain: string | null;
  tracking: boolean;
  sent_at: Date | null;
  next_attempt_at: Date | null;
  template_version: number | null;
}

/**
 * Records the outcome of many messages in one statement. Only rows still in a sendable state
 * change, so a late second run can never overwrite a bounce or a complaint that came in meanwhile.
 */
export async function recordOutcomes(db: Executor, outcomes: MessageOutcome[], now: Date): Promise<void> {
  if (outcomes.length === 0) return;
  const data = JSON.stringify(
    outcomes.map((o) => ({
      ...o,
      sent_at: o.sent_at?.toISOString() ?? null,
      next_attempt_at: o.next_attempt_at?.toISOString() ?? null,
    })),
  );
  await sql`
    UPDATE messages AS m
       SET status = d.status,
           status_reason = d.reason,
           bounce_type = d.bounce_type,
           subject = coalesce(d.subject, m.subject),
           message_id_header = coalesce(d.message_id_header, m.message_id_header),
           sending_domain = coalesce(d.sending_domain, m.sending_domain),
           tracking = d.tracking,
           sent_at = coalesce(d.sent_at, m.sent_at),
           next_attempt_at = d.next_attempt_at,
           template_version = coalesce(d.template_version, m.template_version),
           bounced_at = CASE WHEN d.status = 'bounced' THEN ${now} ELSE m.bounced_at END,
           content = CASE WHEN d.status IN ('queued', 'deferred', 'sending') THEN m.content
                          ELSE ${redactedJson(sql.ref('m.content'))} END,
           variables = CASE WHEN d.status IN ('queued', 'deferred', 'sending') THEN m.variables
                            ELSE ${redactedJson(sql.ref('m.variables'))} END,
           content_redacted_at = CASE
             WHEN d.status IN ('queued', 'deferred', 'sending') THEN m.content_redacted_at
             WHEN m.content IS NULL AND m.variables IS NULL THEN m.content_redacted_at
             ELSE coalesce(m.content_redacted_at, ${now}) END,
           updated_at = ${now}
      FROM jsonb_to_recordset(${data}::jsonb) AS d(id uuid, status text, reason text, bounce_type text,
           subject text, message_id_header text, sending_domain text, tracking boolean,
           sent_at timestamptz, next_attempt_at timestamptz, template_version integer)
     WHERE m.id = d.id AND m.status IN ('queued', 'deferred', 'sending')`.execute(db);
}

export interface MessageListQuery {
  status?: MessageStatus | undefined;
  kind?: 'transactional' | 'marketing' | undefined;
  contactId?: string | undefined;
  sendId?: string | undefined;
  /** Part of the recipient address. */
  search?: string | undefined;
  /** Keyset cursor: messages created before this one. */
  before?: { createdAt: Date; id: string } | undefined;
  limit: number;
}

export interface MessageListRow extends Message {
  template_name: string | null;
}

/** The message log of a workspace, newest first. */
export async function listMessages(
  db: Executor,
  workspaceId: string,
  q: MessageListQuery,
): Promise<MessageListRow[]> {
  let query = db
    .selectFrom('messages as m')
    .leftJoin('mail_templates as t', 't.id', 'm.template_id')
    .selectAll('m')
    .select('t.name as template_name')
    .where('m.workspace_id', '=', workspaceId);
  if (q.status) query = query.where('m.status', '=', q.status);
  if (q.kind) query = query.where('m.kind', '=', q.kind);
  if (q.contactId) query = query.where('m.contact_id', '=', q.contactId);
  if (q.sendId) query = query.where('m.send_id', '=', q.sendId);
  if (q.search) query = query.where('m.to_email', 'ilike', `%${q.search.replace(/[%_\\]/g, '\\$&')}%`);
  if (q.before) {
    const b = q.before;
    query = query.where((eb) =>
      eb.or([
        eb('m.created_at', '<', b.createdAt),
        eb.and([eb('m.created_at', '=', b.createdAt), eb('m.id', '<', b.id)]),
      ]),
    );
  }
  return query.orderBy('m.created_at', 'desc').orderBy('m.id', 'desc').limit(q.limit).execute();
}

export async function listMessageEvents(db: Executor, workspaceId: string, messageId: string) {
  return db
    .selectFrom('message_events')
    .select(['type', 'occurred_at', 'data'])
    .where('workspace_id', '=', workspaceId)
    .where('message_id', '=', messageId)
    .orderBy('id')
    .execute();
}

/** Counts per status of a workspace's messages (or of one bulk send). */
export async function countMessagesByStatus(
  db: Executor,
  workspaceId: string,
  sendId?: string,
): Promise<Record<string, number>> {
  let query = db
    .selectFrom('messages')
    .select(['status', (eb) => eb.fn.countAll<string>().as('n')])
    .where('workspace_id', '=', workspaceId);
  if (sendId) query = query.where('send_id', '=', sendId);
  const rows = await query.groupBy('status').execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

export async function listOutbox(
  db: Executor,
  workspaceId: string,
  limit: number,
  before?: { createdAt: Date; id: string },
) {
  let query = db
    .selectFrom('outbox_messages')
    .select(['id', 'message_id', 'envelope_from', 'envelope_to', 'subject', 'created_at'])
    .where('workspace_id', '=', workspaceId);
  if (before) {
    query = query.where((eb) =>
      eb.or([
        eb('created_at', '<', before.createdAt),
        eb.and([eb('created_at', '=', before.createdAt), eb('id', '<', before.id)]),
      ]),
    );
  }
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

export async function findOutboxMessage(db: Executor, workspaceId: string, id: string) {
  return db
    .selectFrom('outbox_messages')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function clearOutbox(db: Executor, workspaceId: string): Promise<number> {
  const r = await db.deleteFrom('outbox_messages').where('workspace_id', '=', workspaceId).executeTakeFirst();
  return Number(r.numDeletedRows);
}
