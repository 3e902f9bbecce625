import { sql } from 'kysely';
import type { Actor } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import type { Db, Executor } from '../../shared/db/index.js';
import type { Company } from '../../shared/db/schema.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { recordAudit } from '../audit/index.js';
import { type CompanyFields, companyColumns, findCompanyById } from './companies.repository.js';
import { listCustomFields, validateCustomFields } from './custom-fields.js';
import { isFreemailDomain } from './email-rules.js';

const DOMAIN_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

function cleanDomains(domains: string[]): string[] {
  const out = [
    ...new Set(
      domains.map((d) =>
        d
          .trim()
          .toLowerCase()
          .replace(/^www\./, ''),
      ),
    ),
  ];
  const bad = out.filter((d) => !DOMAIN_RE.test(d));
  if (bad.length)
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'domains', message: `not a domain: ${bad.join(', ')}` }],
    });
  const free = out.filter((d) => isFreemailDomain(d));
  if (free.length)
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'domains', message: `free-mail domains belong to no company: ${free.join(', ')}` }],
    });
  return out;
}

async function validated(db: Db, workspaceId: string, input: CompanyFields): Promise<CompanyFields> {
  if (input.customFields === undefined) return input;
  const defs = await listCustomFields(db, workspaceId, 'company');
  const custom = validateCustomFields(defs, input.customFields);
  return { ...input, customFields: Object.fromEntries(Object.entries(custom).filter(([, v]) => v !== null)) };
}

export async function createCompany(
  db: Db,
  clock: Clock,
  actor: Actor,
  workspaceId: string,
  input: CompanyFields & { name: string; domains?: string[] | undefined },
): Promise<Company> {
  const domains = cleanDomains(input.domains ?? []);
  const fields = await validated(db, workspaceId, input);
  const now = clock.now();
  return db.transaction().execute(async (trx) => {
    const id = newId();
    const company = await trx
      .insertInto('companies')
      .values({
        id,
        workspace_id: workspaceId,
        name: input.name,
        created_at: now,
        updated_at: now,
        ...companyColumns(fields),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    for (const domain of domains) {
      const r = await trx
        .insertInto('company_domains')
        .values({ workspace_id: workspaceId, domain, company_id: id, created_at: now })
        .onConflict((oc) => oc.columns(['workspace_id', 'domain']).doNothing())
        .returning('domain')
        .executeTakeFirst();
      if (!r) throw new AppError('DOMAIN_TAKEN', { field: 'domains', domain });
    }
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'companies.created',
      targetType: 'company',
      targetId: id,
      details: { name: company.name },
    });
    return company;
  });
}

export async function updateCompany(
  db: Db,
  clock: Clock,
  actor: Actor,
  workspaceId: string,
  id: string,
  input: CompanyFields & { domains?: string[] | undefined },
): Promise<Company> {
  const fields = await validated(db, workspaceId, input);
  const now = clock.now();
  return db.transaction().execute(async (trx) => {
    const current = await findCompanyById(trx, workspaceId, id);
    if (!current) throw new AppError('NOT_FOUND');
    const columns = companyColumns(fields);
    if (fields.customFields !== undefined)
      columns.custom_fields = JSON.stringify({ ...current.custom_fields, ...fields.customFields });
    const company = await trx
      .updateTable('companies')
      .set({ ...columns, updated_at: now })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (input.domains !== undefined) {
      const domains = cleanDomains(input.domains);
      await trx
        .deleteFrom('company_domains')
        .where('workspace_id', '=', workspaceId)
        .where('company_id', '=', id)
        .execute();
      for (const domain of domains) {
        const r = await trx
          .insertInto('company_domains')
          .values({ workspace_id: workspaceId, domain, company_id: id, created_at: now })
          .onConflict((oc) => oc.columns(['workspace_id', 'domain']).doNothing())
          .returning('domain')
          .executeTakeFirst();
        if (!r) throw new AppError('DOMAIN_TAKEN', { field: 'domains', domain });
      }
    }
    if (input.name !== undefined && input.name !== current.name) {
      // Contacts that showed the old company name follow the rename.
      await trx
        .updateTable('contacts')
        .set({ company_name: input.name })
        .where('workspace_id', '=', workspaceId)
        .where('company_id', '=', id)
        .where('company_name', '=', current.name)
        .execute();
    }
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'companies.updated',
      targetType: 'company',
      targetId: id,
    });
    return company;
  });
}

export async function deleteCompany(db: Db, actor: Actor, workspaceId: string, id: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const company = await findCompanyById(trx, workspaceId, id);
    if (!company) throw new AppError('NOT_FOUND');
    await trx.deleteFrom('companies').where('workspace_id', '=', workspaceId).where('id', '=', id).execute();
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'companies.deleted',
      targetType: 'company',
      targetId: id,
      details: { name: company.name },
    });
  });
}

/**
 * Merges company `loserId` into `winnerId`: its contacts and domains move over, empty fields of
 * the winner are filled from the loser, and the loser is deleted. Recorded in the audit log with
 * the loser as it was.
 */
export const COMPANY_MERGE_FIELDS = [
  'name',
  'website',
  'industry',
  'size',
  'country',
  'city',
  'phone',
  'description',
] as const;
type CompanyMergeField = (typeof COMPANY_MERGE_FIELDS)[number];

/** What merging company `loserId` into `winnerId` would do, field by field; changes nothing. */
export async function previewCompanyMerge(
  db: Executor,
  workspaceId: string,
  winnerId: string,
  loserId: string,
) {
  if (winnerId === loserId) throw new AppError('MERGE_SAME_RECORD');
  const winner = await findCompanyById(db, workspaceId, winnerId);
  const loser = await findCompanyById(db, workspaceId, loserId);
  if (!winner || !loser) throw new AppError('NOT_FOUND');
  const contacts = await db
    .selectFrom('contacts')
    .select(['company_id', sql<string>`count(*)`.as('n')])
    .where('workspace_id', '=', workspaceId)
    .where('company_id', 'in', [winnerId, loserId])
    .where('merged_into_contact_id', 'is', null)
    .groupBy('company_id')
    .execute();
  const fields = COMPANY_MERGE_FIELDS.map((field) => ({
    field,
    winner: winner[field],
    loser: loser[field],
    proposed: (winner[field] === null && loser[field] !== null ? 'loser' : 'winner') as 'winner' | 'loser',
    differs: winner[field] !== loser[field],
  }));
  return {
    winner,
    loser,
    fields,
    contacts: {
      winner: Number(contacts.find((c) => c.company_id === winnerId)?.n ?? 0),
      loser: Number(contacts.find((c) => c.company_id === loserId)?.n ?? 0),
    },
  };
}

export async function mergeCompanies(
  db: Db,
  clock: Clock,
  actor: Actor,
  workspaceId: string,
  winnerId: string,
  loserId: string,
  /** Per field, whose value the merged company keeps; by default the winner's, or the loser's where the winner has none. */
  choices: Partial<Record<CompanyMergeField, 'winner' | 'loser'>> = {},
): Promise<Company> {
  if (winnerId === loserId) throw new AppError('MERGE_SAME_RECORD');
  const now = clock.now();
  return db.transaction().execute(async (trx) => {
    const winner = await findCompanyById(trx, workspaceId, winnerId);
    const loser = await findCompanyById(trx, workspaceId, loserId);
    if (!winner || !loser) throw new AppError('NOT_FOUND');
    const moved = await trx
      .updateTable('contacts')
      .set({ company_id: winnerId })
      .where('workspace_id', '=', workspaceId)
      .where('company_id', '=', loserId)
      .executeTakeFirst();
    await trx
      .updateTable('company_domains')
      .set({ company_id: winnerId })
      .where('workspace_id', '=', workspaceId)
      .where('company_id', '=', loserId)
      .execute();
    const fill: Record<string, unknown> = {};
    for (const key of COMPANY_MERGE_FIELDS) {
      const choice = choices[key] ?? (winner[key] === null && loser[key] !== null ? 'loser' : 'winner');
      if (choice === 'loser' && loser[key] !== winner[key]) fill[key] = loser[key];
    }
    const merged = await trx
      .updateTable('companies')
      .set({
        ...fill,
        custom_fields: JSON.stringify({ ...loser.custom_fields, ...winner.custom_fields }),
        updated_at: now,
      })
      .where('id', '=', winnerId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx.deleteFrom('companies').where('id', '=', loserId).execute();
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'companies.merged',
      targetType: 'company',
      targetId: winnerId,
      details: { loser, choices, movedContacts: Number(moved.numUpdatedRows) },
    });
    return merged;
  });
}
