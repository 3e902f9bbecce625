import { sha256 } from '../../shared/crypto.js';
import type { Executor } from '../../shared/db/index.js';
import type { ConsentEvent, ConsentEventType } from '../../shared/db/schema.js';

/** Everything a court may ask for about one consent event (compliance.md, "Consent and double opt-in"). */
export interface ConsentEventInput {
  workspaceId: string;
  contactId: string;
  purpose: string;
  event: ConsentEventType;
  occurredAt: Date;
  email: string;
  formId?: string | null;
  formVersion?: number | null;
  pageUrl?: string | null;
  consentText?: string | null;
  consentTextVersion?: string | null;
  privacyNoticeVersion?: string | null;
  checkedBoxes?: string[] | null;
  ip?: string | null;
  userAgent?: string | null;
  messageId?: string | null;
  templateId?: string | null;
  tokenRef?: string | null;
  actorUserId?: string | null;
  details?: Record<string, unknown>;
}

type HashedFields = Omit<ConsentEvent, 'id' | 'hash'>;

/** JSON with sorted keys and ISO dates: the same content always gives the same bytes. */
function canonical(value: unknown): string {
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

/** The hash of an entry: over its content and the previous entry's hash. */
export function hashConsentEvent(fields: HashedFields): string {
  return sha256(canonical(fields));
}

/** The row of one ledger entry, hashed and chained to `prevHash`. */
export function chainConsentEvent(input: ConsentEventInput, prevHash: string | null) {
  const fields: HashedFields = {
    workspace_id: input.workspaceId,
    contact_id: input.contactId,
    purpose: input.purpose,
    event: input.event,
    occurred_at: input.occurredAt,
    email: input.email,
    form_id: input.formId ?? null,
    form_version: input.formVersion ?? null,
    page_url: input.pageUrl ?? null,
    consent_text: input.consentText ?? null,
    consent_text_version: input.consentTextVersion ?? null,
    privacy_notice_version: input.privacyNoticeVersion ?? null,
    checked_boxes: input.checkedBoxes ?? null,
    ip: input.ip ?? null,
    user_agent: input.userAgent ?? null,
    message_id: input.messageId ?? null,
    template_id: input.templateId ?? null,
    token_ref: input.tokenRef ?? null,
    actor_user_id: input.actorUserId ?? null,
    details: input.details ?? {},
    prev_hash: prevHash,
  };
  const hash = hashConsentEvent(fields);
  return {
    hash,
    row: {
      ...fields,
      checked_boxes: fields.checked_boxes === null ? null : JSON.stringify(fields.checked_boxes),
      details: JSON.stringify(fields.details),
      hash,
    },
  };
}

/**
 * The rows of several entries for one contact, each chained to the one before it (the first to
 * `prevHash`, the hash of the contact's last entry). Insert them in this order, in one statement,
 * while the contact row is locked: identity values follow the VALUES order, which the chain needs.
 */
export function chainConsentEvents(inputs: ConsentEventInput[], prevHash: string | null) {
  let prev = prevHash;
  return inputs.map((input) => {
    const { hash, row } = chainConsentEvent(input, prev);
    prev = hash;
    return row;
  });
}

/**
 * Appends an event to a contact's consent ledger, chained to the contact's previous event. Locks
 * the contact row so that two events for one contact never chain to the same predecessor.
 * Call it inside the transaction that changes the consent state.
 */
export async function appendConsentEvent(trx: Executor, input: ConsentEventInput): Promise<ConsentEvent> {
  await trx
    .selectFrom('contacts')
    .select('id')
    .where('workspace_id', '=', input.workspaceId)
    .where('id', '=', input.contactId)
    .forUpdate()
    .executeTakeFirst();
  const previous = await trx
    .selectFrom('consent_events')
    .select('hash')
    .where('workspace_id', '=', input.workspaceId)
    .where('contact_id', '=', input.contactId)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return trx
    .insertInto('consent_events')
    .values(chainConsentEvent(input, previous?.hash ?? null).row)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * `appendConsentEvent` for many entries of one workspace (a batch of opt-in mails) in three
 * statements however many contacts: lock the contacts (in id order, so two batches never wait for
 * each other crosswise), read each contact's last hash, insert every entry chained per contact in
 * input order. Call it inside the transaction that changes the consent state.
 */
export async function appendConsentEvents(
  trx: Executor,
  workspaceId: string,
  inputs: readonly ConsentEventInput[],
): Promise<void> {
  if (inputs.length === 0) return;
  const contactIds = [...new Set(inputs.map((i) => i.contactId))].sort();
  await trx
    .selectFrom('contacts')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('id', 'in', contactIds)
    .orderBy('id')
    .forUpdate()
    .execute();
  const last = await trx
    .selectFrom('consent_events')
    .select(['contact_id', 'hash'])
    .distinctOn('contact_id')
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', 'in', contactIds)
    .orderBy('contact_id')
    .orderBy('id', 'desc')
    .execute();
  const prev = new Map<string, string>(last.map((r) => [r.contact_id!, r.hash]));
  const rows = inputs.map((input) => {
    if (input.workspaceId !== workspaceId) throw new Error('appendConsentEvents: one workspace per call');
    const { hash, row } = chainConsentEvent(input, prev.get(input.contactId) ?? null);
    prev.set(input.contactId, hash);
    return row;
  });
  // One statement: identity values follow the VALUES order, which each contact's chain needs.
  await trx.insertInto('consent_events').values(rows).execute();
}

export interface LedgerBreak {
  eventId: string;
  contactId: string | null;
  problem: 'content_changed' | 'chain_broken';
}

/**
 * Recomputes every hash of a workspace's ledger (or one contact's) and reports each entry whose
 * content no longer matches its hash or whose link to the previous entry is broken.
 */
export async function verifyConsentLedger(
  db: Executor,
  workspaceId: string,
  contactId?: string,
): Promise<{ checked: number; breaks: LedgerBreak[] }> {
  let query = db.selectFrom('consent_events').selectAll().where('workspace_id', '=', workspaceId);
  if (contactId) query = query.where('contact_id', '=', contactId);
  const rows = await query.orderBy('contact_id').orderBy('id').execute();
  const breaks: LedgerBreak[] = [];
  const lastHash = new Map<string | null, string>();
  for (const row of rows) {
    const { id, hash, ...fields } = row;
    if (hashConsentEvent(fields) !== hash)
      breaks.push({ eventId: id, contactId: row.contact_id, problem: 'content_changed' });
    const expectedPrev = lastHash.get(row.contact_id) ?? null;
    if (row.prev_hash !== expectedPrev)
      breaks.push({ eventId: id, contactId: row.contact_id, problem: 'chain_broken' });
    lastHash.set(row.contact_id, hash);
  }
  return { checked: rows.length, breaks };
}
