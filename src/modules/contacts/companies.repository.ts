import { sql } from 'kysely';
import type { Executor } from '../../shared/db/index.js';
import type { Company } from '../../shared/db/schema.js';
import { newId } from '../../shared/ids.js';
import { companyNameFromDomain, isFreemailDomain } from './email-rules.js';

export interface CompanyFields {
  name?: string | undefined;
  website?: string | null | undefined;
  industry?: string | null | undefined;
  size?: string | null | undefined;
  country?: string | null | undefined;
  city?: string | null | undefined;
  phone?: string | null | undefined;
  description?: string | null | undefined;
  customFields?: Record<string, unknown> | undefined;
}

export function companyColumns(f: CompanyFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, column] of [
    ['name', 'name'],
    ['website', 'website'],
    ['industry', 'industry'],
    ['size', 'size'],
    ['country', 'country'],
    ['city', 'city'],
    ['phone', 'phone'],
    ['description', 'description'],
  ] as const) {
    const v = f[key];
    if (v !== undefined) out[column] = v === '' ? null : v;
  }
  if (f.customFields !== undefined) out.custom_fields = JSON.stringify(f.customFields);
  return out;
}

export async function findCompanyById(
  db: Executor,
  workspaceId: string,
  id: string,
): Promise<Company | undefined> {
  return db
    .selectFrom('companies')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function listCompanyDomains(
  db: Executor,
  workspaceId: string,
  companyIds: string[],
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (companyIds.length === 0) return out;
  const rows = await db
    .selectFrom('company_domains')
    .select(['company_id', 'domain'])
    .where('workspace_id', '=', workspaceId)
    .where('company_id', 'in', companyIds)
    .orderBy('domain')
    .execute();
  for (const r of rows) out.set(r.company_id, [...(out.get(r.company_id) ?? []), r.domain]);
  return out;
}

/**
 * The company of an e-mail domain: the one that owns the domain, or a new one named after the
 * domain (or the given name). Never for free-mail, ISP or disposable domains: returns undefined.
 * Concurrent calls for one domain end with one company (the domain row is the arbiter).
 */
export async function findOrCreateCompanyForDomain(
  trx: Executor,
  workspaceId: string,
  domain: string,
  nameHint: string | null | undefined,
  now: Date,
): Promise<{ company: Company; created: boolean } | undefined> {
  if (!domain || isFreemailDomain(domain)) return undefined;
  const existing = await trx
    .selectFrom('company_domains as d')
    .innerJoin('companies as co', 'co.id', 'd.company_id')
    .selectAll('co')
    .where('d.workspace_id', '=', workspaceId)
    .where('d.domain', '=', domain)
    .executeTakeFirst();
  if (existing) return { company: existing, created: false };
  const id = newId();
  const name = (nameHint?.trim() || companyNameFromDomain(domain)).slice(0, 300);
  const company = await trx
    .insertInto('companies')
    .values({
      id,
      workspace_id: workspaceId,
      name,
      website: `https://${domain}`,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const claimed = await trx
    .insertInto('company_domains')
    .values({ workspace_id: workspaceId, domain, company_id: id, created_at: now })
    .onConflict((oc) => oc.columns(['workspace_id', 'domain']).doNothing())
    .returning('company_id')
    .executeTakeFirst();
  if (claimed) return { company, created: true };
  // Someone else created the company for this domain meanwhile: use theirs, drop ours.
  await trx.deleteFrom('companies').where('id', '=', id).execute();
  const winner = await trx
    .selectFrom('company_domains as d')
    .innerJoin('companies as co', 'co.id', 'd.company_id')
    .selectAll('co')
    .where('d.workspace_id', '=', workspaceId)
    .where('d.domain', '=', domain)
    .executeTakeFirstOrThrow();
  return { company: winner, created: false };
}

export interface CompanyListRow extends Company {
  contact_count: string;
}

export async function listCompaniesPage(
  db: Executor,
  workspaceId: string,
  options: { q?: string | undefined; after?: { name: string; id: string } | undefined; limit: number },
): Promise<CompanyListRow[]> {
  let q = db
    .selectFrom('companies as co')
    .selectAll('co')
    .select(
      sql<string>`(SELECT count(*) FROM contacts c WHERE c.workspace_id = co.workspace_id AND c.company_id = co.id AND c.merged_into_contact_id IS NULL)`.as(
        'contact_count',
      ),
    )
    .where('co.workspace_id', '=', workspaceId);
  if (options.q) {
    const like = `%${options.q.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    q = q.where((eb) =>
      eb.or([
        eb(sql`lower(co.name)`, 'like', like),
        eb.exists(
          eb
            .selectFrom('company_domains as d')
            .select('d.domain')
            .whereRef('d.company_id', '=', 'co.id')
            .where('d.workspace_id', '=', workspaceId)
            .where('d.domain', 'like', like),
        ),
      ]),
    );
  }
  if (options.after) {
    const { name, id } = options.after;
    q = q.where(sql<boolean>`(lower(co.name), co.id) > (${name}, ${id})`);
  }
  return q.orderBy(sql`lower(co.name)`).orderBy('co.id').limit(options.limit).execute() as Promise<
    CompanyListRow[]
  >;
}

/** Roll-up of a company's contacts and their activity. */
export async function companyRollup(db: Executor, workspaceId: string, companyId: string, since: Date) {
  const [stages, activity, last] = await Promise.all([
    db
      .selectFrom('contacts')
      .select(['lifecycle_stage', sql<string>`count(*)`.as('n')])
      .where('workspace_id', '=', workspaceId)
      .where('company_id', '=', companyId)
      .where('merged_into_contact_id', 'is', null)
      .groupBy('lifecycle_stage')
      .execute(),
    db
      .selectFrom('activities as a')
      .innerJoin('contacts as c', (j) =>
        j.onRef('c.id', '=', 'a.contact_id').onRef('c.workspace_id', '=', 'a.workspace_id'),
      )
      .select(['a.type', sql<string>`count(*)`.as('n')])
      .where('c.workspace_id', '=', workspaceId)
      .where('c.company_id', '=', companyId)
      .where('a.occurred_at', '>=', since)
      .groupBy('a.type')
      .orderBy(sql`count(*)`, 'desc')
      .execute(),
    db
      .selectFrom('activities as a')
      .innerJoin('contacts as c', (j) =>
        j.onRef('c.id', '=', 'a.contact_id').onRef('c.workspace_id', '=', 'a.workspace_id'),
      )
      .select(sql<Date | null>`max(a.occurred_at)`.as('at'))
      .where('c.workspace_id', '=', workspaceId)
      .where('c.company_id', '=', companyId)
      .executeTakeFirst(),
  ]);
  return {
    stages: Object.fromEntries(stages.map((s) => [s.lifecycle_stage, Number(s.n)])),
    activityByType: Object.fromEntries(activity.map((a) => [a.type, Number(a.n)])),
    lastActivityAt: last?.at ?? null,
  };
}
