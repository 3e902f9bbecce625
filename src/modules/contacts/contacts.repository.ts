import { type RawBuilder, sql } from 'kysely';
import type { Executor } from '../../shared/db/index.js';
import { insertRowsIf } from '../../shared/db/insert-if.js';
import type { Contact } from '../../shared/db/schema.js';
import { normalizeEmail } from '../../shared/email.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { findOrCreateCompanyForDomain } from './companies.repository.js';
import { companyNameFromDomain, domainOf, emailMatchKey, isFreemailDomain } from './email-rules.js';
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
 * The sign-up fast path (capture): a new contact as parts of a larger statement — the same rows
 * `upsertContactByEmail` would write, including the company of the address's domain (linked when
 * it exists, created when it does not). `ctes(condition)` is `WITH` text defining `c` (the new
 * contact's id, or no row when the condition is false or the address is known). A new company
 * claims its domain first (`ON CONFLICT DO NOTHING`; the foreign key to the company is checked at
 * the end of the statement); when another transaction claimed the domain meanwhile, neither the
 * company nor the contact is written, and the caller takes `upsertContactByEmail`'s way.
 */
export function newContactParts(
  workspaceId: string,
  email: string,
  fields: ContactFields,
  now: Date,
): { id: string; ctes(condition: RawBuilder<boolean>): RawBuilder<unknown> } {
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
  const id = newId();
  const row = {
    id,
    workspace_id: workspaceId,
    email: email.trim(),
    email_normalized: normalized,
    email_match_key: emailMatchKey(normalized),
    created_at: now,
    updated_at: now,
    field_meta: meta,
    quality_score: quality.score,
    quality_reasons: quality.reasons,
    quality_checked_at: now,
    ...values,
  };
  const domain = domainOf(normalized);
  const linkable = !!domain && !isFreemailDomain(domain);
  if (!linkable)
    return {
      id,
      ctes: (condition) => sql`c AS (${insertRowsIf('contacts', [row], condition)}
        ON CONFLICT (workspace_id, email_normalized) DO NOTHING RETURNING id)`,
    };
  const companyId = newId();
  const nameHint = typeof values.company_name === 'string' ? values.company_name : '';
  const companyName = (nameHint.trim() || companyNameFromDomain(domain)).slice(0, 300);
  const companyMeta = { at: now.toISOString(), source: 'email-domain' };
  const columns = Object.keys(row).filter((c) => c !== 'company_name' && c !== 'field_meta');
  return {
    id,
    // As upsertContactByEmail links it: the company's id, its name unless one was given, and
    // where the link came from.
    ctes: (condition) => sql`known_co AS (
        SELECT co.id, co.name FROM company_domains d JOIN companies co ON co.id = d.company_id
        WHERE d.workspace_id = ${workspaceId} AND d.domain = ${domain}),
      c_go AS (SELECT ${condition} AS ok),
      new_cd AS (
        INSERT INTO company_domains (workspace_id, domain, company_id, created_at)
        SELECT ${workspaceId}::uuid, ${domain}, ${companyId}::uuid, ${now}::timestamptz
        WHERE (SELECT ok FROM c_go) AND NOT EXISTS (SELECT 1 FROM known_co)
          AND NOT EXISTS (SELECT 1 FROM contacts WHERE workspace_id = ${workspaceId} AND email_normalized = ${normalized})
        ON CONFLICT (workspace_id, domain) DO NOTHING RETURNING company_id),
      new_co AS (
        INSERT INTO companies (id, workspace_id, name, website, created_at, updated_at)
        SELECT company_id, ${workspaceId}::uuid, ${companyName}, ${`https://${domain}`}, ${now}::timestamptz, ${now}::timestamptz
        FROM new_cd RETURNING id, name),
      co AS (SELECT id, name FROM known_co UNION ALL SELECT id, name FROM new_co),
      c AS (
        INSERT INTO contacts (${sql.join(columns.map((c) => sql.ref(c)))}, company_id, company_name, field_meta)
        SELECT ${sql.join(columns.map((c) => sql.ref(`r.${c}`)))}, co.id, coalesce(r.company_name, co.name),
          r.field_meta || jsonb_build_object('company_id', ${JSON.stringify(companyMeta)}::jsonb)
        FROM jsonb_populate_record(NULL::contacts, ${JSON.stringify(row)}::jsonb) AS r, co
        WHERE (SELECT ok FROM c_go)
        ON CONFLICT (workspace_id, email_normalized) DO NOTHING RETURNING id)`,
  };
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
