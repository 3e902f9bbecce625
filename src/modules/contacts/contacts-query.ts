import { type RawBuilder, sql } from 'kysely';
import type { Executor } from '../../shared/db/index.js';
import type { Contact } from '../../shared/db/schema.js';
import { AppError } from '../../shared/errors.js';
import { listCustomFields } from './custom-fields.js';
import {
  type CompileContext,
  compileIdSet,
  compileNode,
  type IdSet,
  parseDefinition,
  referencedSegments,
  usesActivityWildcard,
  usesKind,
} from './segment-compiler.js';
import type { Group } from './segment-definition.js';
import { scoreSourceLoader } from './segment-sources.js';

/*
 * The one query behind the contact list, segment counts, exports and bulk actions: the contacts of
 * a workspace (never merged tombstones) matching a filter tree, a free-text search and/or a saved
 * segment, sorted by a user-chosen column with keyset paging (fast at any depth).
 */

export const SORTABLE = {
  email: { expr: sql`c.email_normalized`, kind: 'text' },
  first_name: { expr: sql`coalesce(lower(c.first_name), '')`, kind: 'text' },
  last_name: { expr: sql`coalesce(lower(c.last_name), '')`, kind: 'text' },
  company_name: { expr: sql`coalesce(lower(c.company_name), '')`, kind: 'text' },
  job_title: { expr: sql`coalesce(lower(c.job_title), '')`, kind: 'text' },
  country: { expr: sql`coalesce(c.country, '')`, kind: 'text' },
  city: { expr: sql`coalesce(lower(c.city), '')`, kind: 'text' },
  lifecycle_stage: { expr: sql`c.lifecycle_stage`, kind: 'text' },
  quality_score: { expr: sql`coalesce(c.quality_score, -1)`, kind: 'number' },
  created_at: { expr: sql`c.created_at`, kind: 'date' },
  updated_at: { expr: sql`c.updated_at`, kind: 'date' },
} as const;
export type SortField = keyof typeof SORTABLE;

export interface ContactSelection {
  filter?: unknown;
  q?: string | undefined;
  segmentId?: string | undefined;
  /** Exactly these contacts (bulk actions on a hand-picked selection). */
  ids?: string[] | undefined;
}

type Bool = RawBuilder<unknown>;

/** Loads what compiling needs (custom fields, referenced segments, transitively) and compiles. */
export async function buildCompileContext(
  db: Executor,
  workspaceId: string,
  now: Date,
  roots: Group[],
): Promise<CompileContext> {
  const [contactDefs, companyDefs] = await Promise.all([
    listCustomFields(db, workspaceId, 'contact'),
    listCustomFields(db, workspaceId, 'company'),
  ]);
  const segments = new Map<string, Group>();
  let pending = new Set<string>();
  for (const root of roots) referencedSegments(root, pending);
  for (let round = 0; pending.size > 0 && round < 12; round++) {
    const rows = await db
      .selectFrom('segments')
      .select(['id', 'definition'])
      .where('workspace_id', '=', workspaceId)
      .where('id', 'in', [...pending])
      .execute();
    const next = new Set<string>();
    for (const row of rows) {
      const def = parseDefinition(row.definition);
      segments.set(row.id, def);
      for (const id of referencedSegments(def)) if (!segments.has(id)) next.add(id);
    }
    pending = next;
  }
  const trees = [...roots, ...segments.values()];
  const activityTypes = trees.some(usesActivityWildcard)
    ? await listActivityTypes(db, workspaceId)
    : undefined;
  const needsScores = [...roots, ...segments.values()].some((g) => usesKind(g, 'score'));
  const loadScores = scoreSourceLoader();
  const scores = needsScores && loadScores ? await loadScores(db, workspaceId, now) : undefined;
  return {
    workspaceId,
    now,
    customFields: new Map(contactDefs.map((d) => [d.key, d])),
    companyCustomFields: new Map(companyDefs.map((d) => [d.key, d])),
    segments,
    activityTypes,
    scores,
  };
}

/**
 * The distinct activity types of a workspace by a loose index scan over activities_type_time_idx
 * (one index probe per type, a few dozen in all), not a scan of the activities.
 */
async function listActivityTypes(db: Executor, workspaceId: string): Promise<string[]> {
  const r = await sql<{ type: string | null }>`
    WITH RECURSIVE t(type) AS (
      (SELECT a.type FROM activities a WHERE a.workspace_id = ${workspaceId} ORDER BY a.type LIMIT 1)
      UNION ALL
      SELECT (SELECT a.type FROM activities a WHERE a.workspace_id = ${workspaceId} AND a.type > t.type
              ORDER BY a.type LIMIT 1)
      FROM t WHERE t.type IS NOT NULL
    )
    SELECT type FROM t WHERE type IS NOT NULL`.execute(db);
  return r.rows.map((row) => row.type as string);
}

/**
 * The searched text of a contact: address, names, company, job title, city, phone and the values
 * of its custom fields. Exactly the expression of the trigram index contacts_search_trgm_idx
 * (migration 2026-11-23-0522): change both or neither. Each word of a search is a `LIKE '%word%'`
 * on it, which the index answers for words of three or more characters.
 */
const SEARCH_TEXT = sql`lower(
    coalesce(c.email_normalized, '') || ' ' || coalesce(c.first_name, '') || ' ' || coalesce(c.last_name, '') || ' ' ||
    coalesce(c.company_name, '') || ' ' || coalesce(c.job_title, '') || ' ' || coalesce(c.city, '') || ' ' ||
    coalesce(c.phone, '') || ' ' || jsonb_path_query_array(c.custom_fields, '$.*')::text)`;

function searchCondition(q: string): Bool | undefined {
  const words = q
    .toLowerCase()
    .split(/\s+/)
    .map((w) => w.trim())
    .filter(Boolean)
    .slice(0, 8);
  if (words.length === 0) return undefined;
  const haystack = SEARCH_TEXT;
  return sql.join(
    words.map((w) => sql`${haystack} LIKE ${`%${w.replace(/[\\%_]/g, (m) => `\\${m}`)}%`}`),
    sql` AND `,
  );
}

/** The WHERE clause (over `contacts c`) for a selection; always scoped to the workspace. */
export async function selectionWhere(
  db: Executor,
  workspaceId: string,
  now: Date,
  selection: ContactSelection,
): Promise<Bool> {
  return (await compileSelection(db, workspaceId, now, selection)).where;
}

async function compileSelection(
  db: Executor,
  workspaceId: string,
  now: Date,
  selection: ContactSelection,
): Promise<{ where: Bool; idSet: IdSet | undefined }> {
  const parts: Bool[] = [sql`c.workspace_id = ${workspaceId}`, sql`c.merged_into_contact_id IS NULL`];
  const roots: Group[] = [];
  const filter =
    selection.filter !== undefined && selection.filter !== null
      ? parseDefinition(selection.filter)
      : undefined;
  if (filter) roots.push(filter);
  if (selection.segmentId) {
    const segment = await db
      .selectFrom('segments')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', selection.segmentId)
      .executeTakeFirst();
    if (!segment) throw new AppError('NOT_FOUND', { reason: 'segment not found' });
    roots.push({ kind: 'group', op: 'and', children: [{ kind: 'segment', segmentId: selection.segmentId }] });
  }
  let idSet: IdSet | undefined;
  if (roots.length > 0) {
    const ctx = await buildCompileContext(db, workspaceId, now, roots);
    for (const root of roots) parts.push(compileNode(root, ctx));
    if (!selection.q && !selection.ids)
      idSet = compileIdSet(
        roots.length === 1 ? roots[0]! : { kind: 'group', op: 'and', children: roots },
        ctx,
      );
  }
  if (selection.q) {
    const search = searchCondition(selection.q);
    if (search) parts.push(search);
  }
  if (selection.ids) {
    if (selection.ids.length === 0) parts.push(sql`false`);
    else parts.push(sql`c.id = ANY(${selection.ids}::uuid[])`);
  }
  return { where: sql.join(parts, sql` AND `), idSet };
}

export async function countContacts(db: Executor, where: Bool): Promise<number> {
  const r = await sql<{ n: string }>`SELECT count(*) AS n FROM contacts c WHERE ${where}`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

/**
 * How many live contacts a selection matches. When the definition has an id set (it is answered
 * by activities alone, e.g. "clicked a mail in the last 30 days", see `compileIdSet`), it can be
 * counted over that set minus the workspace's merged tombstones — an anti-join against the few
 * tombstones (partial index contacts_tombstones_idx) instead of a semi-join of every live contact.
 * That wins for narrow sets and loses for broad ones ("was ever sent a mail": millions of
 * activities to de-duplicate), so both queries are planned and the one PostgreSQL estimates
 * cheaper runs (two EXPLAINs, about a millisecond each; the estimates matched the measured order on
 * the 1M/20M bench data, docs/benchmarks.md). Otherwise it counts `contacts c WHERE selectionWhere(…)`.
 */
export async function countMatching(
  db: Executor,
  workspaceId: string,
  now: Date,
  selection: ContactSelection,
  /** `ids`/`contacts` force one query where both apply (tests hold them equal). */
  strategy: 'cheaper' | 'ids' | 'contacts' = 'cheaper',
): Promise<number> {
  const { where, idSet } = await compileSelection(db, workspaceId, now, selection);
  const byContacts = sql`SELECT count(*) AS n FROM contacts c WHERE ${where}`;
  let query = byContacts;
  if (idSet) {
    const ids = idSet.distinct ? sql`(${idSet.sql}) m` : sql`(SELECT DISTINCT x.id FROM (${idSet.sql}) x) m`;
    const byIds = sql`SELECT count(*) AS n FROM ${ids}
      WHERE NOT EXISTS (SELECT 1 FROM contacts t WHERE t.workspace_id = ${workspaceId} AND t.id = m.id
                          AND t.merged_into_contact_id IS NOT NULL)`;
    if (
      strategy === 'ids' ||
      (strategy === 'cheaper' && (await estimatedCost(db, byIds)) <= (await estimatedCost(db, byContacts)))
    )
      query = byIds;
  }
  const r = await sql<{ n: string }>`${query}`.execute(db);
  return Number(r.rows[0]?.n ?? 0);
}

/** The planner's total cost estimate for a query (EXPLAIN without running it). */
async function estimatedCost(db: Executor, query: Bool): Promise<number> {
  const r = await sql<Record<string, unknown>>`EXPLAIN (FORMAT JSON) ${query}`.execute(db);
  const cell = Object.values(r.rows[0] ?? {})[0];
  const plan = (typeof cell === 'string' ? JSON.parse(cell) : cell) as { Plan?: { 'Total Cost'?: number } }[];
  const cost = plan?.[0]?.Plan?.['Total Cost'];
  return typeof cost === 'number' ? cost : Number.POSITIVE_INFINITY;
}

export interface Cursor {
  v: string | number;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export function decodeCursor(s: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Cursor;
    if (typeof c.id === 'string' && (typeof c.v === 'string' || typeof c.v === 'number')) return c;
  } catch {
    // falls through
  }
  throw new AppError('VALIDATION_FAILED', { fields: [{ field: 'cursor', message: 'invalid cursor' }] });
}

export interface PageQuery {
  sort: SortField;
  dir: 'asc' | 'desc';
  after?: string | undefined;
  limit: number;
}

/**
 * One page of contacts. Keyset paging on (sort value, id): the next page starts after the last
 * row, so page 10,000 costs what page 1 costs when the sort column is indexed.
 */
export async function listContactsPage(
  db: Executor,
  where: Bool,
  page: PageQuery,
): Promise<{ items: (Contact & { sort_value: unknown })[]; next: string | null }> {
  const { expr, kind } = SORTABLE[page.sort];
  const parts: Bool[] = [where];
  if (page.after) {
    const cursor = decodeCursor(page.after);
    // Dates travel as text with microseconds (a JS Date would cut them and skip rows).
    const v =
      kind === 'date'
        ? sql`${String(cursor.v)}::timestamptz`
        : kind === 'number'
          ? Number(cursor.v)
          : String(cursor.v);
    // expr <= v AND (expr < v OR id > last): the first part is an index range, the second the tie-break.
    parts.push(
      page.dir === 'desc'
        ? sql`${expr} <= ${v} AND (${expr} < ${v} OR c.id > ${cursor.id})`
        : sql`${expr} >= ${v} AND (${expr} > ${v} OR c.id > ${cursor.id})`,
    );
  }
  const dir = sql.raw(page.dir === 'desc' ? 'DESC' : 'ASC');
  const shown =
    kind === 'date' ? sql`to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')` : expr;
  const r = await sql<Contact & { sort_value: unknown }>`
    SELECT c.*, ${shown} AS sort_value FROM contacts c
    WHERE ${sql.join(parts, sql` AND `)}
    ORDER BY ${expr} ${dir}, c.id ASC
    LIMIT ${page.limit + 1}`.execute(db);
  const rows = r.rows;
  let next: string | null = null;
  if (rows.length > page.limit) {
    rows.pop();
    const last = rows[rows.length - 1]!;
    next = encodeCursor({ v: last.sort_value as string | number, id: last.id });
  }
  return { items: rows, next };
}
