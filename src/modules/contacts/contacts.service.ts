import { sql } from 'kysely';
import type { Actor } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import type { Db, Executor } from '../../shared/db/index.js';
import type { Contact, FieldMeta } from '../../shared/db/schema.js';
import { normalizeEmail } from '../../shared/email.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { recordAudit } from '../audit/index.js';
import { findStaleAfterDays } from '../workspaces/index.js';
import { recordActivity } from './activities.repository.js';
import { findOrCreateCompanyForDomain } from './companies.repository.js';
import { findContactById } from './contacts.repository.js';
import { type ContactSelection, countContacts, selectionWhere } from './contacts-query.js';
import { listCustomFields, validateCustomFields } from './custom-fields.js';
import { findCachedDomains } from './domain-check.js';
import { domainOf, emailMatchKey, emailSyntaxProblem } from './email-rules.js';
import { computeQuality } from './quality.js';

export const LIFECYCLE_STAGES = [
  'subscriber',
  'engaged',
  'mql',
  'sal',
  'sql',
  'opportunity',
  'customer',
  'recycled',
  'disqualified',
] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

/** Profile fields an admin edits, in API (camelCase) form, and their columns. */
export const PROFILE_FIELDS = {
  firstName: 'first_name',
  lastName: 'last_name',
  companyName: 'company_name',
  jobTitle: 'job_title',
  phone: 'phone',
  city: 'city',
  country: 'country',
  locale: 'locale',
  sourceChannel: 'source_channel',
} as const;
type ProfileKey = keyof typeof PROFILE_FIELDS;

export interface ContactInput {
  email?: string | undefined;
  firstName?: string | null | undefined;
  lastName?: string | null | undefined;
  companyName?: string | null | undefined;
  jobTitle?: string | null | undefined;
  phone?: string | null | undefined;
  city?: string | null | undefined;
  country?: string | null | undefined;
  locale?: 'de' | 'en' | null | undefined;
  sourceChannel?: string | null | undefined;
  lifecycleStage?: LifecycleStage | undefined;
  /** Why the stage moved (recorded on the timeline). */
  stageReason?: string | undefined;
  ownerUserId?: string | null | undefined;
  companyId?: string | null | undefined;
  tags?: string[] | undefined;
  customFields?: Record<string, unknown> | undefined;
}

function sourceOf(actor: Actor): string {
  return actor.userId ? `user:${actor.userId}` : actor.apiKeyId ? `api:${actor.apiKeyId}` : 'system';
}

function cleanTags(tags: string[]): string[] {
  return [
    ...new Set(tags.map((t) => t.trim().toLowerCase()).filter((t) => t.length > 0 && t.length <= 60)),
  ].slice(0, 100);
}

async function checkOwner(
  db: Executor,
  workspaceId: string,
  userId: string | null | undefined,
): Promise<void> {
  if (!userId) return;
  const member = await db
    .selectFrom('memberships')
    .select('user_id')
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (!member)
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'ownerUserId', message: 'not a member of this workspace' }],
    });
}

async function checkCompany(
  db: Executor,
  workspaceId: string,
  companyId: string | null | undefined,
): Promise<void> {
  if (!companyId) return;
  const company = await db
    .selectFrom('companies')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', companyId)
    .executeTakeFirst();
  if (!company)
    throw new AppError('VALIDATION_FAILED', { fields: [{ field: 'companyId', message: 'no such company' }] });
}

/** Recomputes and stores a contact's quality score from its current row and the MX cache. */
export async function refreshQuality(trx: Executor, contact: Contact, now: Date): Promise<Contact> {
  const defs = await listCustomFields(trx, contact.workspace_id, 'contact');
  const domain = domainOf(contact.email_normalized);
  const status = (await findCachedDomains(trx, [domain], now)).get(domain);
  const q = computeQuality({
    email: contact.email_normalized,
    fields: contact as unknown as Record<string, unknown>,
    customFields: contact.custom_fields,
    qualificationCustomKeys: defs.filter((d) => d.qualification).map((d) => d.key),
    fieldMeta: contact.field_meta,
    domainStatus: status,
    now,
    staleDays: (await findStaleAfterDays(trx, [contact.workspace_id])).get(contact.workspace_id),
  });
  return trx
    .updateTable('contacts')
    .set({ quality_score: q.score, quality_reasons: JSON.stringify(q.reasons), quality_checked_at: now })
    .where('workspace_id', '=', contact.workspace_id)
    .where('id', '=', contact.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Creates a contact by hand (admin UI or API); the address must be new in the workspace. */
export async function createContact(
  db: Db,
  clock: Clock,
  actor: Actor,
  workspaceId: string,
  input: ContactInput & { email: string },
): Promise<Contact> {
  const normalized = normalizeEmail(input.email);
  const syntax = emailSyntaxProblem(input.email);
  if (!normalized || syntax)
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'email', message: syntax ?? 'not an e-mail address' }],
    });
  const now = clock.now();
  return db.transaction().execute(async (trx) => {
    const defs = await listCustomFields(trx, workspaceId, 'contact');
    const custom = validateCustomFields(defs, input.customFields ?? {}, { requireAll: true });
    await checkOwner(trx, workspaceId, input.ownerUserId);
    await checkCompany(trx, workspaceId, input.companyId);
    const values: Record<string, unknown> = {};
    const meta: Record<string, FieldMeta> = { email: { at: now.toISOString(), source: sourceOf(actor) } };
    for (const [key, column] of Object.entries(PROFILE_FIELDS)) {
      const v = input[key as ProfileKey];
      if (v !== undefined && v !== null && v !== '') {
        values[column] = v;
        meta[column] = { at: now.toISOString(), source: sourceOf(actor) };
      }
    }
    for (const key of Object.keys(custom))
      meta[`custom_fields.${key}`] = { at: now.toISOString(), source: sourceOf(actor) };
    const id = newId();
    const inserted = await trx
      .insertInto('contacts')
      .values({
        id,
        workspace_id: workspaceId,
        email: input.email.trim(),
        email_normalized: normalized,
        email_match_key: emailMatchKey(normalized),
        lifecycle_stage: input.lifecycleStage ?? 'subscriber',
        owner_user_id: input.ownerUserId ?? null,
        company_id: input.companyId ?? null,
        tags: cleanTags(input.tags ?? []),
        custom_fields: JSON.stringify(
          Object.fromEntries(Object.entries(custom).filter(([, v]) => v !== null)),
        ),
        field_meta: JSON.stringify(meta),
        created_at: now,
        updated_at: now,
        ...values,
      })
      .onConflict((oc) => oc.columns(['workspace_id', 'email_normalized']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!inserted) throw new AppError('CONTACT_EXISTS', { field: 'email' });
    let contact = inserted;
    if (!input.companyId) {
      const linked = await findOrCreateCompanyForDomain(
        trx,
        workspaceId,
        domainOf(normalized),
        inserted.company_name,
        now,
      );
      if (linked)
        contact = await trx
          .updateTable('contacts')
          .set({
            company_id: linked.company.id,
            company_name: inserted.company_name ?? linked.company.name,
            // Known from the address's domain as of now.
            field_meta: JSON.stringify({
              ...meta,
              company_id: { at: now.toISOString(), source: 'email-domain' },
            }),
          })
          .where('workspace_id', '=', workspaceId)
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirstOrThrow();
    }
    contact = await refreshQuality(trx, contact, now);
    await recordActivity(trx, {
      workspaceId,
      contactId: id,
      type: 'contacts.created',
      occurredAt: now,
      data: { by: actor.label },
      source: sourceOf(actor),
    });
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'contacts.created',
      targetType: 'contact',
      targetId: id,
    });
    return contact;
  });
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * Changes a contact. Every changed field is recorded on the timeline (who changed what, from and
 * to) and its freshness is renewed; a stage or owner move gets its own timeline entry.
 */
export async function updateContact(
  db: Db,
  clock: Clock,
  actor: Actor,
  workspaceId: string,
  id: string,
  input: ContactInput,
): Promise<Contact> {
  const now = clock.now();
  return db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom('contacts')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .where('merged_into_contact_id', 'is', null)
      .forUpdate()
      .executeTakeFirst();
    if (!current) throw new AppError('NOT_FOUND');
    const set: Record<string, unknown> = {};
    const changes: { field: string; from: unknown; to: unknown }[] = [];
    const meta = { ...current.field_meta };
    const stamp = { at: now.toISOString(), source: sourceOf(actor) };
    if (input.email !== undefined) {
      const normalized = normalizeEmail(input.email);
      const syntax = emailSyntaxProblem(input.email);
      if (!normalized || syntax)
        throw new AppError('VALIDATION_FAILED', {
          fields: [{ field: 'email', message: syntax ?? 'not an e-mail address' }],
        });
      if (normalized !== current.email_normalized) {
        const taken = await trx
          .selectFrom('contacts')
          .select('id')
          .where('workspace_id', '=', workspaceId)
          .where('email_normalized', '=', normalized)
          .executeTakeFirst();
        if (taken) throw new AppError('CONTACT_EXISTS', { field: 'email' });
        set.email = input.email.trim();
        set.email_normalized = normalized;
        set.email_match_key = emailMatchKey(normalized);
        changes.push({ field: 'email', from: current.email, to: input.email.trim() });
        meta.email = stamp;
      }
    }
    for (const [key, column] of Object.entries(PROFILE_FIELDS)) {
      const v = input[key as ProfileKey];
      if (v === undefined) continue;
      const value = v === '' ? null : v;
      meta[column] = stamp; // confirmed now, even when unchanged
      if (same(value, current[column as keyof Contact])) continue;
      set[column] = value;
      changes.push({ field: column, from: current[column as keyof Contact], to: value });
    }
    if (input.customFields !== undefined) {
      const defs = await listCustomFields(trx, workspaceId, 'contact');
      const custom = validateCustomFields(defs, input.customFields, {
        current: current.custom_fields,
        requireAll: true,
      });
      const merged: Record<string, unknown> = { ...current.custom_fields };
      for (const [key, value] of Object.entries(custom)) {
        meta[`custom_fields.${key}`] = stamp;
        if (same(value, merged[key])) continue;
        changes.push({ field: `custom_fields.${key}`, from: merged[key] ?? null, to: value });
        if (value === null) delete merged[key];
        else merged[key] = value;
      }
      set.custom_fields = JSON.stringify(merged);
    }
    if (input.tags !== undefined) {
      const tags = cleanTags(input.tags);
      if (!same(tags, current.tags)) {
        set.tags = tags;
        changes.push({ field: 'tags', from: current.tags, to: tags });
      }
    }
    if (input.companyId !== undefined && input.companyId !== current.company_id) {
      await checkCompany(trx, workspaceId, input.companyId);
      set.company_id = input.companyId;
      changes.push({ field: 'company_id', from: current.company_id, to: input.companyId });
    }
    if (input.ownerUserId !== undefined && input.ownerUserId !== current.owner_user_id) {
      await checkOwner(trx, workspaceId, input.ownerUserId);
      set.owner_user_id = input.ownerUserId;
      await recordActivity(trx, {
        workspaceId,
        contactId: id,
        type: 'contacts.owner-changed',
        occurredAt: now,
        data: { from: current.owner_user_id, to: input.ownerUserId, by: actor.label },
        source: sourceOf(actor),
      });
    }
    if (input.lifecycleStage !== undefined && input.lifecycleStage !== current.lifecycle_stage) {
      set.lifecycle_stage = input.lifecycleStage;
      await recordActivity(trx, {
        workspaceId,
        contactId: id,
        type: 'contacts.stage-changed',
        occurredAt: now,
        data: {
          from: current.lifecycle_stage,
          to: input.lifecycleStage,
          reason: input.stageReason ?? null,
          by: actor.label,
        },
        source: sourceOf(actor),
      });
    }
    set.field_meta = JSON.stringify(meta);
    set.updated_at = now;
    const updated = await trx
      .updateTable('contacts')
      .set(set)
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (changes.length > 0)
      await recordActivity(trx, {
        workspaceId,
        contactId: id,
        type: 'contacts.updated',
        occurredAt: now,
        data: { changes: changes.slice(0, 50), by: actor.label },
        source: sourceOf(actor),
      });
    return refreshQuality(trx, updated, now);
  });
}

/** Adds a note or a logged call to the timeline. */
export async function addNote(
  db: Db,
  clock: Clock,
  actor: Actor,
  workspaceId: string,
  contactId: string,
  input: { kind: 'note' | 'call'; text: string },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const contact = await findContactById(trx, workspaceId, contactId);
    if (!contact || contact.merged_into_contact_id) throw new AppError('NOT_FOUND');
    await recordActivity(trx, {
      workspaceId,
      contactId,
      type: input.kind === 'call' ? 'contacts.call-logged' : 'contacts.note-added',
      occurredAt: clock.now(),
      data: { text: input.text, by: actor.label },
      source: sourceOf(actor),
    });
  });
}

/** Marks the contact's data for re-confirmation (a journey or the next form asks again). */
export async function requestReconfirmation(
  db: Db,
  clock: Clock,
  actor: Actor,
  workspaceId: string,
  selection: ContactSelection,
): Promise<number> {
  const now = clock.now();
  return db.transaction().execute(async (trx) => {
    const where = await selectionWhere(trx, workspaceId, now, selection);
    const r = await sql<{
      id: string;
    }>`UPDATE contacts c SET reconfirm_requested_at = ${now} WHERE ${where} RETURNING c.id`.execute(trx);
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'contacts.reconfirmation-requested',
      details: { count: r.rows.length },
    });
    return r.rows.length;
  });
}

/** Adds or removes tags on every selected contact, in one statement. */
export async function tagContacts(
  db: Db,
  clock: Clock,
  actor: Actor,
  workspaceId: string,
  selection: ContactSelection,
  change: { add?: string[] | undefined; remove?: string[] | undefined },
): Promise<number> {
  const add = cleanTags(change.add ?? []);
  const remove = cleanTags(change.remove ?? []);
  const now = clock.now();
  return db.transaction().execute(async (trx) => {
    const where = await selectionWhere(trx, workspaceId, now, selection);
    const r = await sql<{ id: string }>`
      UPDATE contacts c SET
        tags = ARRAY(SELECT DISTINCT t FROM unnest(c.tags || ${add}::text[]) t WHERE t <> ALL(${remove}::text[]) ORDER BY t),
        updated_at = ${now}
      WHERE ${where} RETURNING c.id`.execute(trx);
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'contacts.tagged',
      details: { count: r.rows.length, add, remove },
    });
    return r.rows.length;
  });
}

/**
 * Deletes the selected contacts. The caller states how many it expects (what the user confirmed);
 * if the selection matches another number now, nothing is deleted.
 */
export async function deleteContacts(
  db: Db,
  clock: Clock,
  actor: Actor,
  workspaceId: string,
  selection: ContactSelection,
  expectedCount: number,
): Promise<number> {
  const now = clock.now();
  return db.transaction().execute(async (trx) => {
    const where = await selectionWhere(trx, workspaceId, now, selection);
    const count = await countContacts(trx, where);
    if (count !== expectedCount)
      throw new AppError('CONFIRMATION_MISMATCH', { expected: expectedCount, actual: count });
    const r = await sql<{ id: string }>`DELETE FROM contacts c WHERE ${where} RETURNING c.id`.execute(trx);
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'contacts.deleted',
      targetType: 'contact',
      details: { count: r.rows.length, ids: r.rows.slice(0, 100).map((x) => x.id) },
    });
    return r.rows.length;
  });
}
