import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Actor } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import type { Db, Executor, Trx } from '../../shared/db/index.js';
import type { Contact, ContactMerge, FieldMeta } from '../../shared/db/schema.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { recordAudit } from '../audit/index.js';
import { recordActivity } from './activities.repository.js';
import { refreshQuality } from './contacts.service.js';

/*
 * Dedupe and merge. Duplicates are only ever proposed (same match key, or same first and last
 * name at the same company); a person decides. A merge keeps one contact (the survivor, with its
 * id and address) and turns the other into a tombstone that points at it, so that every reference
 * to the other contact (consent ledger, consents, messages, tokens, form submissions) stays valid.
 * The survivor takes, field by field, the value the person chose; the other's timeline moves over
 * (each entry remembers its origin), its hand-added segment memberships too. Consents are proven
 * for an address: they stay with the address they were given for (the contact page shows them),
 * and never cover the survivor's address. Reversible for 30 days.
 */

export const UNDO_DAYS = 30;

/** Profile columns a merge chooses between, in API (camelCase) form. */
export const MERGE_FIELDS = {
  firstName: 'first_name',
  lastName: 'last_name',
  companyName: 'company_name',
  companyId: 'company_id',
  jobTitle: 'job_title',
  phone: 'phone',
  city: 'city',
  country: 'country',
  locale: 'locale',
  sourceChannel: 'source_channel',
  lifecycleStage: 'lifecycle_stage',
  ownerUserId: 'owner_user_id',
} as const;
type MergeColumn = (typeof MERGE_FIELDS)[keyof typeof MERGE_FIELDS];

export type Side = 'winner' | 'loser';
export type TagsChoice = Side | 'both';

export interface MergeFieldPreview {
  /** `firstName`, …, `tags`, or `customFields.<key>`. */
  field: string;
  winner: unknown;
  loser: unknown;
  /** What the survivor gets unless the person chooses otherwise. */
  proposed: Side | 'both';
  differs: boolean;
}

export interface MergePreview {
  winner: Contact;
  loser: Contact;
  fields: MergeFieldPreview[];
  consents: { purpose: string; winner: string | null; loser: string | null }[];
  activities: { winner: number; loser: number };
  segmentMemberships: number;
  /** Send back with the merge: refuses the merge if either contact changed since the preview. */
  token: string;
}

export interface MergeInput {
  winnerId: string;
  loserId: string;
  /** Per field (see MergeFieldPreview.field), whose value the survivor keeps; the proposal where missing. */
  choices?: Record<string, string> | undefined;
  token: string;
}

const empty = (v: unknown) =>
  v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

function previewToken(a: Contact, b: Contact): string {
  return createHash('sha256')
    .update(`${a.id}|${iso(a.updated_at)}|${b.id}|${iso(b.updated_at)}`)
    .digest('base64url')
    .slice(0, 22);
}

async function lockLive(trx: Executor, workspaceId: string, ids: string[]): Promise<Map<string, Contact>> {
  const rows = await trx
    .selectFrom('contacts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', 'in', ids)
    .where('merged_into_contact_id', 'is', null)
    .orderBy('id')
    .forUpdate()
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}

function fieldPreviews(winner: Contact, loser: Contact): MergeFieldPreview[] {
  const out: MergeFieldPreview[] = [];
  const olderIsLoser = new Date(loser.created_at).getTime() < new Date(winner.created_at).getTime();
  for (const [field, column] of Object.entries(MERGE_FIELDS)) {
    const w = winner[column];
    const l = loser[column];
    // First touch: the channel the person first came through is the older contact's.
    let proposed: Side = empty(w) && !empty(l) ? 'loser' : 'winner';
    if (column === 'source_channel' && olderIsLoser && !empty(l)) proposed = 'loser';
    out.push({ field, winner: w, loser: l, proposed, differs: !same(w, l) });
  }
  out.push({
    field: 'tags',
    winner: winner.tags,
    loser: loser.tags,
    proposed: 'both',
    differs: !same([...winner.tags].sort(), [...loser.tags].sort()),
  });
  const keys = new Set([
    ...Object.keys(winner.custom_fields ?? {}),
    ...Object.keys(loser.custom_fields ?? {}),
  ]);
  for (const key of [...keys].sort()) {
    const w = winner.custom_fields?.[key];
    const l = loser.custom_fields?.[key];
    out.push({
      field: `customFields.${key}`,
      winner: w ?? null,
      loser: l ?? null,
      proposed: empty(w) && !empty(l) ? 'loser' : 'winner',
      differs: !same(w, l),
    });
  }
  return out;
}

/** What a merge of `loserId` into `winnerId` would do; changes nothing. */
export async function previewMerge(
  db: Executor,
  workspaceId: string,
  winnerId: string,
  loserId: string,
): Promise<MergePreview> {
  if (winnerId === loserId) throw new AppError('MERGE_SAME_RECORD');
  const rows = await db
    .selectFrom('contacts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', 'in', [winnerId, loserId])
    .where('merged_into_contact_id', 'is', null)
    .execute();
  const winner = rows.find((r) => r.id === winnerId);
  const loser = rows.find((r) => r.id === loserId);
  if (!winner || !loser) throw new AppError('NOT_FOUND');
  const consents = await db
    .selectFrom('consents')
    .select(['contact_id', 'purpose', 'status'])
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', 'in', [winnerId, loserId])
    .execute();
  const purposes = [...new Set(consents.map((c) => c.purpose))].sort();
  const counts = await db
    .selectFrom('activities')
    .select(['contact_id', sql<string>`count(*)`.as('n')])
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', 'in', [winnerId, loserId])
    .groupBy('contact_id')
    .execute();
  const members = await db
    .selectFrom('segment_members')
    .select(sql<string>`count(*)`.as('n'))
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', loserId)
    .executeTakeFirst();
  const statusOf = (id: string, purpose: string) =>
    consents.find((c) => c.contact_id === id && c.purpose === purpose)?.status ?? null;
  return {
    winner,
    loser,
    fields: fieldPreviews(winner, loser),
    consents: purposes.map((purpose) => ({
      purpose,
      winner: statusOf(winnerId, purpose),
      loser: statusOf(loserId, purpose),
    })),
    activities: {
      winner: Number(counts.find((c) => c.contact_id === winnerId)?.n ?? 0),
      loser: Number(counts.find((c) => c.contact_id === loserId)?.n ?? 0),
    },
    segmentMemberships: Number(members?.n ?? 0),
    token: previewToken(winner, loser),
  };
}

function sourceOf(actor: Actor): string {
  return actor.userId ? `user:${actor.userId}` : actor.apiKeyId ? `api:${actor.apiKeyId}` : 'system';
}

/** Merges contact `loserId` into `winnerId` with the chosen field values. Never runs by itself. */
export async function mergeContacts(
  db: Db,
  clock: Clock,
  actor: Actor,
  workspaceId: string,
  input: MergeInput,
): Promise<{ merge: ContactMerge; contact: Contact }> {
  const { winnerId, loserId } = input;
  if (winnerId === loserId) throw new AppError('MERGE_SAME_RECORD');
  const now = clock.now();
  return db.transaction().execute(async (trx) => {
    const locked = await lockLive(trx, workspaceId, [winnerId, loserId]);
    const winner = locked.get(winnerId);
    const loser = locked.get(loserId);
    if (!winner || !loser) throw new AppError('NOT_FOUND');
    if (previewToken(winner, loser) !== input.token)
      throw new AppError('CONFIRMATION_MISMATCH', { reason: 'a contact changed since the preview' });
    const previews = fieldPreviews(winner, loser);
    const known = new Set(previews.map((p) => p.field));
    const choices: Record<string, string> = {};
    for (const [field, choice] of Object.entries(input.choices ?? {})) {
      const allowed = field === 'tags' ? ['winner', 'loser', 'both'] : ['winner', 'loser'];
      if (!known.has(field) || !allowed.includes(choice))
        throw new AppError('VALIDATION_FAILED', {
          fields: [{ field: `choices.${field}`, message: `choose one of ${allowed.join(', ')}` }],
        });
    }
    for (const p of previews) choices[p.field] = input.choices?.[p.field] ?? p.proposed;

    const set: Record<string, unknown> = {};
    const meta: Record<string, FieldMeta> = { ...(winner.field_meta ?? {}) };
    const fromLoser: string[] = [];
    for (const [field, column] of Object.entries(MERGE_FIELDS) as [string, MergeColumn][]) {
      if (choices[field] !== 'loser' || same(winner[column], loser[column])) continue;
      set[column] = loser[column];
      fromLoser.push(field);
      const m = loser.field_meta?.[column];
      if (m) meta[column] = m;
      else delete meta[column];
    }
    if (set.company_id !== undefined && set.company_id !== null) {
      const company = await trx
        .selectFrom('companies')
        .select('id')
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', String(set.company_id))
        .executeTakeFirst();
      if (!company) set.company_id = null;
    }
    const tags =
      choices.tags === 'loser'
        ? loser.tags
        : choices.tags === 'both'
          ? [...new Set([...winner.tags, ...loser.tags])].sort()
          : winner.tags;
    if (!same(tags, winner.tags)) set.tags = tags;
    const custom: Record<string, unknown> = { ...(winner.custom_fields ?? {}) };
    let customChanged = false;
    for (const p of previews) {
      if (!p.field.startsWith('customFields.') || choices[p.field] !== 'loser' || !p.differs) continue;
      const key = p.field.slice('customFields.'.length);
      if (p.loser === null || p.loser === undefined) delete custom[key];
      else custom[key] = p.loser;
      customChanged = true;
      fromLoser.push(p.field);
      const m = loser.field_meta?.[`custom_fields.${key}`];
      if (m) meta[`custom_fields.${key}`] = m;
    }
    if (customChanged) set.custom_fields = JSON.stringify(custom);
    // The person has been known since the older of the two.
    if (new Date(loser.created_at).getTime() < new Date(winner.created_at).getTime())
      set.created_at = loser.created_at;
    set.field_meta = JSON.stringify(meta);
    set.updated_at = now;

    const updated = await trx
      .updateTable('contacts')
      .set(set)
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', winnerId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx
      .updateTable('contacts')
      .set({ merged_into_contact_id: winnerId, merged_at: now })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', loserId)
      .execute();
    const moved = await trx
      .updateTable('activities')
      .set({ contact_id: winnerId })
      .where('workspace_id', '=', workspaceId)
      .where('contact_id', '=', loserId)
      .executeTakeFirst();
    const added = await sql<{ segment_id: string }>`
      INSERT INTO segment_members (workspace_id, segment_id, contact_id, added_at)
      SELECT workspace_id, segment_id, ${winnerId}, ${now} FROM segment_members
      WHERE workspace_id = ${workspaceId} AND contact_id = ${loserId}
      ON CONFLICT DO NOTHING RETURNING segment_id`.execute(trx);
    const consents = await trx
      .selectFrom('consents')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('contact_id', 'in', [winnerId, loserId])
      .execute();
    const merge = await trx
      .insertInto('contact_merges')
      .values({
        id: newId(),
        workspace_id: workspaceId,
        winner_id: winnerId,
        loser_id: loserId,
        merged_at: now,
        merged_by: actor.userId,
        winner_before: JSON.stringify(winner),
        loser_before: JSON.stringify(loser),
        winner_after: JSON.stringify(updated),
        consents_before: JSON.stringify(consents),
        carried_consents: JSON.stringify([]),
        moved_activities: Number(moved.numUpdatedRows),
        undo_until: new Date(now.getTime() + UNDO_DAYS * 86_400_000),
        choices: JSON.stringify(choices),
        added_memberships: JSON.stringify(added.rows.map((r) => r.segment_id)),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordActivity(trx, {
      workspaceId,
      contactId: winnerId,
      type: 'contacts.merged',
      occurredAt: now,
      data: {
        mergeId: merge.id,
        other: loser.email,
        fromOther: fromLoser,
        movedActivities: merge.moved_activities,
        by: actor.label,
      },
      source: sourceOf(actor),
    });
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'contacts.merged',
      targetType: 'contact',
      targetId: winnerId,
      details: {
        mergeId: merge.id,
        loserId,
        loserEmail: loser.email,
        choices,
        movedActivities: merge.moved_activities,
        addedMemberships: added.rows.length,
      },
    });
    const contact = await refreshQuality(trx, updated, now);
    return { merge, contact };
  });
}

/** Contacts whose activities a contact holds by merges: itself and, transitively, what was merged into it. */
async function originsOf(trx: Executor, workspaceId: string, contactId: string): Promise<string[]> {
  const r = await sql<{ id: string }>`
    WITH RECURSIVE o(id) AS (
      SELECT ${contactId}::uuid
      UNION
      SELECT c.id FROM contacts c JOIN o ON c.merged_into_contact_id = o.id WHERE c.workspace_id = ${workspaceId}
    ) SELECT id FROM o`.execute(trx);
  return r.rows.map((x) => x.id);
}

const RESTORABLE: string[] = [...Object.values(MERGE_FIELDS), 'tags', 'created_at'];

function restoreWinner(
  current: Contact,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): { set: Record<string, unknown>; kept: string[] } {
  const set: Record<string, unknown> = {};
  const kept: string[] = [];
  const norm = (column: string, v: unknown) => (column === 'created_at' ? iso(v as string) : v);
  for (const column of RESTORABLE) {
    const b = norm(column, before[column]);
    const a = norm(column, after[column]);
    if (same(a, b)) continue;
    const now = norm(column, current[column as keyof Contact]);
    if (same(now, a)) set[column] = column === 'created_at' ? new Date(String(b)) : (b ?? null);
    else kept.push(column); // changed again after the merge: the later change stands
  }
  const cb = (before.custom_fields ?? {}) as Record<string, unknown>;
  const ca = (after.custom_fields ?? {}) as Record<string, unknown>;
  const custom = { ...(current.custom_fields ?? {}) };
  let customChanged = false;
  for (const key of new Set([...Object.keys(cb), ...Object.keys(ca)])) {
    if (same(cb[key], ca[key])) continue;
    if (!same(custom[key], ca[key])) {
      kept.push(`custom_fields.${key}`);
      continue;
    }
    if (cb[key] === undefined) delete custom[key];
    else custom[key] = cb[key];
    customChanged = true;
  }
  if (customChanged) set.custom_fields = JSON.stringify(custom);
  const mb = (before.field_meta ?? {}) as Record<string, FieldMeta>;
  const ma = (after.field_meta ?? {}) as Record<string, FieldMeta>;
  const meta = { ...(current.field_meta ?? {}) };
  for (const key of new Set([...Object.keys(mb), ...Object.keys(ma)])) {
    if (same(mb[key], ma[key]) || !same(meta[key], ma[key])) continue;
    if (mb[key] === undefined) delete meta[key];
    else meta[key] = mb[key]!;
  }
  set.field_meta = JSON.stringify(meta);
  return { set, kept };
}

/**
 * Undoes a merge within 30 days: the other contact is live again with its row as it was, its
 * timeline entries and segment memberships go back, and the survivor's fields return to their
 * values before the merge — except fields someone changed after the merge (listed in `kept`).
 */
export async function undoMerge(
  db: Db,
  clock: Clock,
  actor: Actor,
  workspaceId: string,
  mergeId: string,
): Promise<{ winner: Contact; loser: Contact; kept: string[] }> {
  const now = clock.now();
  return db.transaction().execute(async (trx: Trx) => {
    const merge = await trx
      .selectFrom('contact_merges')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', mergeId)
      .forUpdate()
      .executeTakeFirst();
    if (!merge) throw new AppError('NOT_FOUND');
    if (merge.undone_at) throw new AppError('MERGE_NOT_REVERSIBLE', { reason: 'already undone' });
    if (new Date(merge.undo_until).getTime() < now.getTime())
      throw new AppError('MERGE_NOT_REVERSIBLE', { reason: 'older than 30 days' });
    const rows = await trx
      .selectFrom('contacts')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', 'in', [merge.winner_id, merge.loser_id])
      .orderBy('id')
      .forUpdate()
      .execute();
    const winner = rows.find((r) => r.id === merge.winner_id);
    const loser = rows.find((r) => r.id === merge.loser_id);
    if (!winner || !loser) throw new AppError('MERGE_NOT_REVERSIBLE', { reason: 'a contact was deleted' });
    if (winner.merged_into_contact_id)
      throw new AppError('MERGE_NOT_REVERSIBLE', {
        reason: 'the surviving contact was merged again: undo that merge first',
      });
    if (loser.merged_into_contact_id !== winner.id)
      throw new AppError('MERGE_NOT_REVERSIBLE', { reason: 'the other contact is no longer merged' });

    const origins = await originsOf(trx, workspaceId, loser.id);
    const movedBack = await trx
      .updateTable('activities')
      .set({ contact_id: loser.id })
      .where('workspace_id', '=', workspaceId)
      .where('contact_id', '=', winner.id)
      .where('origin_contact_id', 'in', origins)
      .executeTakeFirst();
    const added = merge.added_memberships ?? [];
    if (added.length > 0)
      await trx
        .deleteFrom('segment_members')
        .where('workspace_id', '=', workspaceId)
        .where('contact_id', '=', winner.id)
        .where('segment_id', 'in', added)
        .execute();
    const { set, kept } = restoreWinner(winner, merge.winner_before, merge.winner_after);
    const restored = await trx
      .updateTable('contacts')
      .set({ ...set, updated_at: now })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', winner.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    const revived = await trx
      .updateTable('contacts')
      .set({ merged_into_contact_id: null, merged_at: null })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', loser.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx
      .updateTable('contact_merges')
      .set({ undone_at: now, undone_by: actor.userId })
      .where('id', '=', merge.id)
      .execute();
    await recordActivity(trx, {
      workspaceId,
      contactId: winner.id,
      type: 'contacts.merge-undone',
      occurredAt: now,
      data: { mergeId: merge.id, other: loser.email, kept, by: actor.label },
      source: sourceOf(actor),
    });
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'contacts.merge-undone',
      targetType: 'contact',
      targetId: winner.id,
      details: {
        mergeId: merge.id,
        loserId: loser.id,
        movedBack: Number(movedBack.numUpdatedRows),
        removedMemberships: added.length,
        kept,
      },
    });
    return {
      winner: await refreshQuality(trx, restored, now),
      loser: await refreshQuality(trx, revived, now),
      kept,
    };
  });
}

export async function listMerges(
  db: Executor,
  workspaceId: string,
  options: { contactId?: string | undefined; limit: number },
): Promise<ContactMerge[]> {
  let q = db
    .selectFrom('contact_merges')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('merged_at', 'desc')
    .orderBy('id')
    .limit(options.limit);
  if (options.contactId)
    q = q.where((eb) =>
      eb.or([eb('winner_id', '=', options.contactId!), eb('loser_id', '=', options.contactId!)]),
    );
  return q.execute();
}

export type DuplicateReason = 'same_match_key' | 'same_name_company';

export interface DuplicatePair {
  a: Contact;
  b: Contact;
  reasons: DuplicateReason[];
}

/**
 * Proposed duplicates: live contacts with the same match key (the address under documented
 * provider rules), or the same first and last name at the same company (by company or company
 * name). Pairs someone dismissed are left out. Ordered by the pair's ids, paged after `after`.
 */
export async function listDuplicatePairs(
  db: Executor,
  workspaceId: string,
  options: { contactId?: string | undefined; after?: [string, string] | undefined; limit: number },
): Promise<DuplicatePair[]> {
  const only = options.contactId
    ? sql`AND (a.id = ${options.contactId} OR b.id = ${options.contactId})`
    : sql``;
  const after = options.after
    ? sql`WHERE (p.a_id, p.b_id) > (${options.after[0]}::uuid, ${options.after[1]}::uuid)`
    : sql``;
  const r = await sql<{ a_id: string; b_id: string; reasons: DuplicateReason[] }>`
    WITH pairs AS (
      SELECT a.id AS a_id, b.id AS b_id, 'same_match_key' AS reason
      FROM contacts a JOIN contacts b
        ON b.workspace_id = a.workspace_id AND b.email_match_key = a.email_match_key AND b.id > a.id
      WHERE a.workspace_id = ${workspaceId} AND a.merged_into_contact_id IS NULL
        AND b.merged_into_contact_id IS NULL AND a.email_match_key IS NOT NULL ${only}
      UNION ALL
      SELECT a.id, b.id, 'same_name_company'
      FROM contacts a JOIN contacts b
        ON b.workspace_id = a.workspace_id AND lower(b.last_name) = lower(a.last_name)
        AND lower(b.first_name) = lower(a.first_name) AND b.id > a.id
        AND b.merged_into_contact_id IS NULL AND b.first_name IS NOT NULL AND b.last_name IS NOT NULL
      WHERE a.workspace_id = ${workspaceId} AND a.merged_into_contact_id IS NULL
        AND a.first_name IS NOT NULL AND a.last_name IS NOT NULL
        AND (a.company_id = b.company_id OR lower(a.company_name) = lower(b.company_name)) ${only}
    )
    SELECT p.a_id, p.b_id, array_agg(DISTINCT p.reason ORDER BY p.reason) AS reasons
    FROM pairs p ${after}
    ${options.after ? sql`AND` : sql`WHERE`} NOT EXISTS (
      SELECT 1 FROM duplicate_dismissals d
      WHERE d.workspace_id = ${workspaceId} AND d.contact_a = p.a_id AND d.contact_b = p.b_id)
    GROUP BY p.a_id, p.b_id ORDER BY p.a_id, p.b_id LIMIT ${options.limit}`.execute(db);
  if (r.rows.length === 0) return [];
  const ids = [...new Set(r.rows.flatMap((x) => [x.a_id, x.b_id]))];
  const contacts = await db
    .selectFrom('contacts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', 'in', ids)
    .execute();
  const byId = new Map(contacts.map((c) => [c.id, c]));
  return r.rows.map((x) => ({
    a: byId.get(x.a_id)!,
    b: byId.get(x.b_id)!,
    reasons: parseArray(x.reasons) as DuplicateReason[],
  }));
}

// node-postgres returns text[] as an array; PGlite may return the literal '{a,b}'.
function parseArray(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  if (typeof v === 'string')
    return v
      .replace(/^\{|\}$/g, '')
      .split(',')
      .filter(Boolean);
  return [];
}

/** Says "these two are different people": the pair is no longer proposed. */
export async function dismissDuplicate(
  db: Db,
  actor: Actor,
  workspaceId: string,
  ids: [string, string],
): Promise<void> {
  const [a, b] = [...ids].sort() as [string, string];
  if (a === b) throw new AppError('MERGE_SAME_RECORD');
  await db.transaction().execute(async (trx) => {
    const found = await trx
      .selectFrom('contacts')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('id', 'in', [a, b])
      .execute();
    if (found.length !== 2) throw new AppError('NOT_FOUND');
    await trx
      .insertInto('duplicate_dismissals')
      .values({ workspace_id: workspaceId, contact_a: a, contact_b: b, dismissed_by: actor.userId })
      .onConflict((oc) => oc.doNothing())
      .execute();
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'contacts.duplicate-dismissed',
      targetType: 'contact',
      targetId: a,
      details: { other: b },
    });
  });
}
