import { type Kysely, sql } from 'kysely';

// Frozen once landed: never edit this file; add a new migration instead (see docs/practices/migrations.md).
// Indexes that keep the contact list fast at 1,000,000 contacts: the free-text search (a trigram
// GIN index over the searched text: substring matches of names, addresses, companies, custom
// field values), keyset paging for every sortable column (the expressions of contacts-query.ts
// SORTABLE, over live contacts only), duplicate proposals by name, and the data-quality jobs
// (contacts whose domain is unchecked, contacts whose score is due). The expressions must stay
// identical to the ones the queries use, or PostgreSQL will not use the index.

const live = 'WHERE merged_into_contact_id IS NULL';
const statements = [
  `CREATE INDEX contacts_search_trgm_idx ON contacts USING gin ((lower(
    coalesce(email_normalized, '') || ' ' || coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' ||
    coalesce(company_name, '') || ' ' || coalesce(job_title, '') || ' ' || coalesce(city, '') || ' ' ||
    coalesce(phone, '') || ' ' || jsonb_path_query_array(custom_fields, '$.*')::text)) gin_trgm_ops)`,
  `CREATE INDEX contacts_sort_first_name_idx ON contacts (workspace_id, (coalesce(lower(first_name), '')), id) ${live}`,
  `CREATE INDEX contacts_sort_last_name_idx ON contacts (workspace_id, (coalesce(lower(last_name), '')), id) ${live}`,
  `CREATE INDEX contacts_sort_company_name_idx ON contacts (workspace_id, (coalesce(lower(company_name), '')), id) ${live}`,
  `CREATE INDEX contacts_sort_job_title_idx ON contacts (workspace_id, (coalesce(lower(job_title), '')), id) ${live}`,
  `CREATE INDEX contacts_sort_city_idx ON contacts (workspace_id, (coalesce(lower(city), '')), id) ${live}`,
  `CREATE INDEX contacts_sort_country_idx ON contacts (workspace_id, (coalesce(country, '')), id) ${live}`,
  `CREATE INDEX contacts_sort_stage_idx ON contacts (workspace_id, lifecycle_stage, id) ${live}`,
  `CREATE INDEX contacts_sort_quality_idx ON contacts (workspace_id, (coalesce(quality_score, -1)), id) ${live}`,
  `CREATE INDEX contacts_name_dupe_idx ON contacts (workspace_id, (lower(last_name)), (lower(first_name)))
    ${live} AND first_name IS NOT NULL AND last_name IS NOT NULL`,
  `CREATE INDEX contacts_domain_unchecked_idx ON contacts ((split_part(email_normalized, '@', 2)))
    WHERE quality_reasons @> '[{"code": "domain_unchecked"}]'`,
  `CREATE INDEX contacts_quality_due_idx ON contacts (quality_checked_at NULLS FIRST) ${live}`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}
