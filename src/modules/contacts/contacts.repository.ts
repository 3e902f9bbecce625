import type { Executor } from '../../shared/db/index.js';
import type { Contact } from '../../shared/db/schema.js';
import { normalizeEmail } from '../../shared/email.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { findOrCreateCompanyForDomain } from './companies.repository.js';
import { domainOf, emailMatchKey } from './email-rules.js';
import { computeQuality } from './quality.js';

export interface ContactFields {
  firstName?: string | null | undefined;
  lastName?: string | null | undefined;
  companyName?: string | null | undefined;
  jobTitle?: string | null | undefined;
  phone?: string | null | undefined;
  country?: string | null | undefined;
  locale?: 'de' | 'en' | null | undefined;
  sourceChannel?: string | null | undefined;
}

const COLUMNS = {
  firstName: 'first_name',
  lastName: 'last_name',
  companyName: 'company_name',
  jobTitle: 'job_title',
  phone: 'phone',
  country: 'country',
  locale: 'locale',
  sourceChannel: 'source_channel',
} as const;

export async function findContactById(
  db: Executor,
  workspaceId: string,
  id: string,
): Promise<Contact | undefined> {
  return db
    .selectFrom('contacts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function findContactByEmail(
  db: Executor,
  workspaceId: string,
  email: string,
): Promise<Contact | undefined> {
  const normalized = normalizeEmail(email);
  if (!normalized) return undefined;
  return db
    .selectFrom('contacts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('email_normalized', '=', normalized)
    .executeTakeFirst();
}

/**
 * Creates the contact for an address, or returns the existing one, filling only fields that are
 * still empty (a sign-up never overwrites what the contact or sales entered before). Locks the
 * row, so concurrent sign-ups of one address produce one contact. Returns whether it was created.
 */
export async function upsertContactByEmail(
  trx: Executor,
  workspaceId: string,
  email: string,
  fields: ContactFields,
  now: Date,
): Promise<{ contact: Contact; created: boolean }> {
  const normalized = normalizeEmail(email);
  if (!normalized)
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'email', message: 'not an e-mail address' }],
    });
  const values: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(COLUMNS)) {
    const value = fields[key as keyof ContactFields];
    if (value !== undefined && value !== null && value !== '') values[column] = value;
  }
  const meta: Record<string, { at: string; source: string }> = {};
  for (const column of Object.keys(values)) meta[column] = { at: now.toISOString(), source: 'signup' };
  const quality = computeQuality({
    email: normalized,
    fields: values,
    customFields: {},
    qualificationCustomKeys: [],
    fieldMeta: meta,
    domainStatus: undefined,
    now,
  });
  const inserted = await trx
    .insertInto('contacts')
    .values({
      id: newId(),
      workspace_id: workspaceId,
      email: email.trim(),
      email_normalized: normalized,
      email_match_key: emailMatchKey(normalized),
      created_at: now,
      updated_at: now,
      field_meta: JSON.stringify(meta),
      quality_score: quality.score,
      quality_reasons: JSON.stringify(quality.reasons),
      quality_checked_at: now,
      ...values,
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'email_normalized']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (inserted) {
    // Link the company of the address's domain (never for free-mail domains).
    const linked = await findOrCreateCompanyForDomain(
      trx,
      workspaceId,
      domainOf(normalized),
      inserted.company_name,
      now,
    );
    if (!linked) return { contact: inserted, created: true };
    const withCompany = await trx
      .updateTable('contacts')
      .set({
        company_id: linked.company.id,
        company_name: inserted.company_name ?? linked.company.name,
        field_meta: JSON.stringify({
          ...meta,
          company_id: { at: now.toISOString(), source: 'email-domain' },
        }),
      })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', inserted.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return { contact: withCompany, created: true };
  }
  let existing = await trx
    .selectFrom('contacts')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('email_normalized', '=', normalized)
    .forUpdate()
    .executeTakeFirstOrThrow();
  // A merged address belongs to the contact it was merged into.
  if (existing.merged_into_contact_id) {
    const winner = await resolveMergedContact(trx, workspaceId, existing.merged_into_contact_id);
    if (winner) existing = winner;
  }
  const fill: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(values)) {
    if (existing[column as keyof Contact] === null) fill[column] = value;
  }
  if (Object.keys(fill).length === 0) return { contact: existing, created: false };
  const filledMeta = { ...(existing.field_meta ?? {}) };
  for (const column of Object.keys(fill)) filledMeta[column] = { at: now.toISOString(), source: 'signup' };
  const updated = await trx
    .updateTable('contacts')
    .set({ ...fill, field_meta: JSON.stringify(filledMeta), updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', existing.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return { contact: updated, created: false };
}

/** Follows merge tombstones to the contact that is live now (at most a few hops). */
export async function resolveMergedContact(
  db: Executor,
  workspaceId: string,
  id: string,
): Promise<Contact | undefined> {
  let current = await findContactById(db, workspaceId, id);
  for (let hops = 0; current?.merged_into_contact_id && hops < 10; hops++) {
    current = await findContactById(db, workspaceId, current.merged_into_contact_id);
  }
  return current;
}
