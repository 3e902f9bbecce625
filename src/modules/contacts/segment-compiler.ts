import { Value } from '@sinclair/typebox/value';
import { type RawBuilder, sql } from 'kysely';
import type { CustomFieldDefinition } from '../../shared/db/schema.js';
import { AppError } from '../../shared/errors.js';
import {
  COMPANY_FIELDS,
  CONTACT_FIELDS,
  type Condition,
  type Group,
  OPERATORS_BY_KIND,
  type Operator,
  SCORE_FIELDS,
  SCORE_OPERATORS,
  type ScoreField,
  SegmentGroup,
  type SegmentNode,
  type ValueKind,
} from './segment-definition.js';
import type { ScoreSource } from './segment-sources.js';

/*
 * Compiles a segment definition to one SQL boolean expression over `contacts c` (the alias every
 * caller uses). Conditions on other tables become EXISTS sub-queries keyed by workspace and
 * contact, so PostgreSQL turns them into semi-/anti-joins on the activity and consent indexes.
 * Values are always bound parameters; column names come from the fixed catalogues in
 * segment-definition.ts, never from the input. For counting, `compileIdSet` (at the end) turns a
 * definition answered by activities alone into a set of contact ids instead.
 */

type Bool = RawBuilder<unknown>;

export interface CompileContext {
  workspaceId: string;
  now: Date;
  customFields: Map<string, CustomFieldDefinition>;
  companyCustomFields: Map<string, CustomFieldDefinition>;
  /** Definitions of segments referenced by `segment` conditions (loaded beforehand). */
  segments: Map<string, Group>;
  /**
   * The workspace's activity types, loaded when a condition names a whole module (`mail.*`): the
   * compiler turns the wildcard into `type = ANY(…)` so the (workspace, type, time) index answers it.
   */
  activityTypes?: string[] | undefined;
  /** Where scores are (registered by the scoring module); loaded only when a score condition is used. */
  scores?: ScoreSource | undefined;
}

const MAX_DEPTH = 12;

/** Checks the shape of a definition; throws VALIDATION_FAILED naming the path. */
export function parseDefinition(input: unknown): Group {
  if (!Value.Check(SegmentGroup, input)) {
    const first = [...Value.Errors(SegmentGroup, input)][0];
    throw new AppError('VALIDATION_FAILED', {
      fields: [
        { field: `definition${first?.path ?? ''}`, message: first?.message ?? 'invalid segment definition' },
      ],
    });
  }
  return input as Group;
}

/** True when a definition (not counting referenced segments) has a condition of this kind. */
export function usesKind(node: SegmentNode, kind: Condition['kind']): boolean {
  if (node.kind === 'group') return node.children.some((c) => usesKind(c, kind));
  return node.kind === kind;
}

/** True when a definition names a whole module's activities (`mail.*`, not `*`). */
export function usesActivityWildcard(node: SegmentNode): boolean {
  if (node.kind === 'group') return node.children.some(usesActivityWildcard);
  return node.kind === 'activity' && node.type !== '*' && node.type.endsWith('.*');
}

/** Every segment id a definition refers to (for loading before compiling). */
export function referencedSegments(node: SegmentNode, into = new Set<string>()): Set<string> {
  if (node.kind === 'group') for (const child of node.children) referencedSegments(child, into);
  else if (node.kind === 'segment') into.add(node.segmentId);
  return into;
}

function invalid(message: string): never {
  throw new AppError('VALIDATION_FAILED', { fields: [{ field: 'definition', message }] });
}

function checkOperator(kind: ValueKind, op: Operator, what: string): void {
  if (!OPERATORS_BY_KIND[kind].includes(op)) invalid(`operator ${op} does not apply to ${what} (${kind})`);
}

function asString(v: unknown, what: string): string {
  if (typeof v === 'string' || typeof v === 'number') return String(v);
  invalid(`${what}: a text value is needed`);
}

function asStrings(v: unknown, what: string): string[] {
  if (Array.isArray(v) && v.length > 0) return v.map(String);
  if (typeof v === 'string' && v !== '') return [v];
  invalid(`${what}: a list of values is needed`);
}

function asNumber(v: unknown, what: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) invalid(`${what}: a number is needed`);
  return n;
}

function asPair(v: unknown, what: string): [unknown, unknown] {
  if (Array.isArray(v) && v.length === 2) return [v[0], v[1]];
  invalid(`${what}: two values are needed (from, to)`);
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (m) => `\\${m}`);
}

/** A date value: YYYY-MM-DD (start of that day, UTC) or an ISO instant. */
function asInstant(v: unknown, what: string): Date {
  const s = asString(v, what);
  const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : s);
  if (Number.isNaN(d.getTime())) invalid(`${what}: a date is needed`);
  return d;
}

const DAY = 86_400_000;

/** Whether a constant (the score of a contact without scores) meets a score condition. */
function constantMatches(
  kind: 'number' | 'choice',
  constant: number | string,
  op: Operator,
  value: unknown,
  what: string,
): boolean {
  if (kind === 'number') {
    const c = Number(constant);
    switch (op) {
      case 'eq':
        return c === asNumber(value, what);
      case 'neq':
        return c !== asNumber(value, what);
      case 'gt':
        return c > asNumber(value, what);
      case 'gte':
        return c >= asNumber(value, what);
      case 'lt':
        return c < asNumber(value, what);
      case 'lte':
        return c <= asNumber(value, what);
      case 'between': {
        const [a, b] = asPair(value, what);
        return c >= asNumber(a, what) && c <= asNumber(b, what);
      }
    }
  } else {
    const c = String(constant).toLowerCase();
    switch (op) {
      case 'eq':
        return c === asString(value, what).toLowerCase();
      case 'neq':
        return c !== asString(value, what).toLowerCase();
      case 'in':
        return asStrings(value, what).some((v) => v.toLowerCase() === c);
      case 'not_in':
        return !asStrings(value, what).some((v) => v.toLowerCase() === c);
    }
  }
  invalid(`operator ${op} does not apply to ${what}`);
}

/**
 * The comparison for one value expression. `expr` is a SQL expression of the right type: text,
 * numeric, timestamptz (date kind) or a text[]/jsonb list.
 */
function compare(
  kind: ValueKind,
  expr: Bool,
  op: Operator,
  value: unknown,
  what: string,
  ctx: CompileContext,
  listIsJsonb = false,
  canonical?: 'lower' | 'upper',
): Bool {
  checkOperator(kind, op, what);
  if (op === 'is_empty') {
    if (kind === 'list')
      return listIsJsonb
        ? sql`(${expr} IS NULL OR jsonb_array_length(${expr}) = 0)`
        : sql`cardinality(${expr}) = 0`;
    if (kind === 'text' || kind === 'choice') return sql`coalesce(${expr}, '') = ''`;
    return sql`${expr} IS NULL`;
  }
  if (op === 'is_not_empty') {
    if (kind === 'list')
      return listIsJsonb ? sql`coalesce(jsonb_array_length(${expr}), 0) > 0` : sql`cardinality(${expr}) > 0`;
    if (kind === 'text' || kind === 'choice') return sql`coalesce(${expr}, '') <> ''`;
    return sql`${expr} IS NOT NULL`;
  }
  switch (kind) {
    case 'text':
    case 'choice': {
      // Text matches ignore case; `neq` and `not_*` keep contacts without a value (SQL's NULL would drop them).
      // A column stored in one case (country codes, stages, addresses) is compared as it is, so that
      // PostgreSQL uses its statistics and indexes; any other text through lower().
      const lower = canonical ? expr : sql`lower(${expr})`;
      const norm = (s: string) => (canonical === 'upper' ? s.toUpperCase() : s.toLowerCase());
      switch (op) {
        case 'eq':
          return sql`${lower} = ${norm(asString(value, what))}`;
        case 'neq':
          return sql`${lower} IS DISTINCT FROM ${norm(asString(value, what))}`;
        case 'contains':
          return sql`${lower} LIKE ${`%${escapeLike(norm(asString(value, what)))}%`}`;
        case 'not_contains':
          return sql`coalesce(${lower}, '') NOT LIKE ${`%${escapeLike(norm(asString(value, what)))}%`}`;
        case 'starts_with':
          return sql`${lower} LIKE ${`${escapeLike(norm(asString(value, what)))}%`}`;
        case 'ends_with':
          return sql`${lower} LIKE ${`%${escapeLike(norm(asString(value, what)))}`}`;
        case 'in':
          return sql`${lower} = ANY(${asStrings(value, what).map(norm)}::text[])`;
        case 'not_in':
          return sql`NOT coalesce(${lower} = ANY(${asStrings(value, what).map(norm)}::text[]), false)`;
      }
      break;
    }
    case 'number': {
      const ops: Partial<Record<Operator, string>> = { eq: '=', gt: '>', gte: '>=', lt: '<', lte: '<=' };
      if (op === 'neq') return sql`${expr} IS DISTINCT FROM ${asNumber(value, what)}`;
      if (op === 'between') {
        const [a, b] = asPair(value, what);
        return sql`${expr} BETWEEN ${asNumber(a, what)} AND ${asNumber(b, what)}`;
      }
      const o = ops[op];
      if (o) return sql`${expr} ${sql.raw(o)} ${asNumber(value, what)}`;
      break;
    }
    case 'date': {
      switch (op) {
        case 'before':
          return sql`${expr} < ${asInstant(value, what)}`;
        case 'after': {
          const d = asInstant(value, what);
          // "after 2026-03-01" means from the next day on; an instant means strictly later.
          const bound = /^\d{4}-\d{2}-\d{2}$/.test(String(value)) ? new Date(d.getTime() + DAY) : d;
          return /^\d{4}-\d{2}-\d{2}$/.test(String(value))
            ? sql`${expr} >= ${bound}`
            : sql`${expr} > ${bound}`;
        }
        case 'on': {
          const d = asInstant(value, what);
          return sql`(${expr} >= ${d} AND ${expr} < ${new Date(d.getTime() + DAY)})`;
        }
        case 'between': {
          const [a, b] = asPair(value, what);
          const to = asInstant(b, what);
          const end = /^\d{4}-\d{2}-\d{2}$/.test(String(b)) ? new Date(to.getTime() + DAY) : to;
          return sql`(${expr} >= ${asInstant(a, what)} AND ${expr} < ${end})`;
        }
        case 'within_last_days':
          return sql`${expr} >= ${new Date(ctx.now.getTime() - asNumber(value, what) * DAY)}`;
        case 'more_than_days_ago':
          return sql`${expr} < ${new Date(ctx.now.getTime() - asNumber(value, what) * DAY)}`;
      }
      break;
    }
    case 'list': {
      const values = asStrings(value, what);
      if (listIsJsonb) {
        switch (op) {
          case 'contains_any':
            return sql`${expr} ?| ${values}::text[]`;
          case 'contains_all':
            return sql`${expr} ?& ${values}::text[]`;
          case 'contains_none':
            return sql`NOT coalesce(${expr} ?| ${values}::text[], false)`;
        }
      }
      switch (op) {
        case 'contains_any':
          return sql`${expr} && ${values}::text[]`;
        case 'contains_all':
          return sql`${expr} @> ${values}::text[]`;
        case 'contains_none':
          return sql`NOT (${expr} && ${values}::text[])`;
      }
      break;
    }
    case 'boolean':
      if (op === 'is_true') return sql`${expr} = true`;
      if (op === 'is_false') return sql`${expr} = false`;
      break;
  }
  invalid(`operator ${op} does not apply to ${what}`);
}

const CONTACT_EXPR: Record<keyof typeof CONTACT_FIELDS, Bool> = {
  email: sql`c.email_normalized`,
  email_domain: sql`split_part(c.email_normalized, '@', 2)`,
  first_name: sql`c.first_name`,
  last_name: sql`c.last_name`,
  company_name: sql`c.company_name`,
  job_title: sql`c.job_title`,
  phone: sql`c.phone`,
  city: sql`c.city`,
  country: sql`c.country`,
  locale: sql`c.locale`,
  lifecycle_stage: sql`c.lifecycle_stage`,
  owner_user_id: sql`c.owner_user_id::text`,
  source_channel: sql`c.source_channel`,
  tags: sql`c.tags`,
  created_at: sql`c.created_at`,
  updated_at: sql`c.updated_at`,
  reconfirm_requested_at: sql`c.reconfirm_requested_at`,
  quality_score: sql`c.quality_score`,
  company_id: sql`c.company_id::text`,
};

/** Contact columns whose values are stored in one case (checked or normalised on write). */
const CANONICAL_CASE: Partial<Record<keyof typeof CONTACT_FIELDS, 'lower' | 'upper'>> = {
  email: 'lower',
  email_domain: 'lower',
  country: 'upper',
  locale: 'lower',
  lifecycle_stage: 'lower',
  owner_user_id: 'lower',
  company_id: 'lower',
};

/** A typed SQL expression for a custom value stored in a jsonb column. */
function customExpr(
  column: Bool,
  def: CustomFieldDefinition,
): { kind: ValueKind; expr: Bool; jsonb: boolean } {
  const key = def.key;
  switch (def.type) {
    case 'text':
      return { kind: 'text', expr: sql`(${column} ->> ${key})`, jsonb: false };
    case 'choice':
      return { kind: 'choice', expr: sql`(${column} ->> ${key})`, jsonb: false };
    case 'number':
      // Values are validated on write; the CASE keeps a hand-edited row from failing the whole query.
      return {
        kind: 'number',
        expr: sql`(CASE WHEN jsonb_typeof(${column} -> ${key}) = 'number' THEN (${column} ->> ${key})::numeric END)`,
        jsonb: false,
      };
    case 'date':
      return {
        kind: 'date',
        expr: sql`(CASE WHEN (${column} ->> ${key}) ~ '^\\d{4}-\\d{2}-\\d{2}$' THEN ((${column} ->> ${key}) || 'T00:00:00Z')::timestamptz END)`,
        jsonb: false,
      };
    case 'boolean':
      return {
        kind: 'boolean',
        expr: sql`(CASE WHEN jsonb_typeof(${column} -> ${key}) = 'boolean' THEN (${column} ->> ${key})::boolean END)`,
        jsonb: false,
      };
    case 'multi_choice':
      return {
        kind: 'list',
        expr: sql`(CASE WHEN jsonb_typeof(${column} -> ${key}) = 'array' THEN ${column} -> ${key} END)`,
        jsonb: true,
      };
  }
}

function activityTypeFilter(type: string, ctx: CompileContext): Bool {
  if (type === '*') return sql`true`;
  if (type.endsWith('.*')) {
    const prefix = type.slice(0, -1);
    // A LIKE on the type cannot use the btree index outside the C collation (a scan of every
    // activity); the types that exist are few, so the wildcard becomes an index-usable list.
    if (ctx.activityTypes) {
      const types = ctx.activityTypes.filter((t) => t.startsWith(prefix));
      return types.length === 0 ? sql`false` : sql`a.type = ANY(${types}::text[])`;
    }
    return sql`a.type LIKE ${`${escapeLike(prefix)}%`}`;
  }
  return sql`a.type = ${type}`;
}

/**
 * The conditions on `activities a` for an activity condition, scoped to the workspace by its id
 * (not by `c.workspace_id`): the same SQL then serves the contact query and the id sets below.
 */
function activityWhere(node: Extract<Condition, { kind: 'activity' }>, ctx: CompileContext): Bool[] {
  const parts: Bool[] = [sql`a.workspace_id = ${ctx.workspaceId}`, activityTypeFilter(node.type, ctx)];
  if (node.ref !== undefined) parts.push(sql`a.ref = ${node.ref}`);
  if (node.withinDays !== undefined)
    parts.push(sql`a.occurred_at >= ${new Date(ctx.now.getTime() - node.withinDays * DAY)}`);
  if (node.from !== undefined) parts.push(sql`a.occurred_at >= ${new Date(node.from)}`);
  if (node.to !== undefined) parts.push(sql`a.occurred_at < ${new Date(node.to)}`);
  return parts;
}

function compileCondition(node: Condition, ctx: CompileContext, depth: number): Bool {
  switch (node.kind) {
    case 'field': {
      const kind = CONTACT_FIELDS[node.field as keyof typeof CONTACT_FIELDS];
      return compare(
        kind,
        CONTACT_EXPR[node.field as keyof typeof CONTACT_FIELDS],
        node.operator,
        node.value,
        node.field,
        ctx,
        false,
        CANONICAL_CASE[node.field as keyof typeof CONTACT_FIELDS],
      );
    }
    case 'custom': {
      const def = ctx.customFields.get(node.key);
      if (!def) invalid(`no custom field ${node.key}`);
      const { kind, expr, jsonb } = customExpr(sql`c.custom_fields`, def);
      return compare(kind, expr, node.operator, node.value, node.key, ctx, jsonb);
    }
    case 'company': {
      if (node.field === 'domain') {
        const inner = compare(
          'text',
          sql`d.domain`,
          node.operator === 'is_empty' ? 'is_not_empty' : node.operator,
          node.value,
          'company domain',
          ctx,
        );
        const exists = sql`EXISTS (SELECT 1 FROM company_domains d WHERE d.workspace_id = c.workspace_id AND d.company_id = c.company_id AND ${inner})`;
        return node.operator === 'is_empty' ? sql`NOT ${exists}` : exists;
      }
      let kind: ValueKind;
      let expr: Bool;
      let jsonb = false;
      if (node.field.startsWith('custom.')) {
        const def = ctx.companyCustomFields.get(node.field.slice(7));
        if (!def) invalid(`no company custom field ${node.field.slice(7)}`);
        ({ kind, expr, jsonb } = customExpr(sql`co.custom_fields`, def));
      } else {
        kind = COMPANY_FIELDS[node.field as keyof typeof COMPANY_FIELDS];
        expr = sql`co.${sql.ref(node.field)}`;
      }
      // "Company field is empty" also holds for contacts without a company.
      if (node.operator === 'is_empty') {
        const has = compare(kind, expr, 'is_not_empty', null, node.field, ctx, jsonb);
        return sql`NOT EXISTS (SELECT 1 FROM companies co WHERE co.workspace_id = c.workspace_id AND co.id = c.company_id AND ${has})`;
      }
      const cond = compare(kind, expr, node.operator, node.value, node.field, ctx, jsonb);
      return sql`EXISTS (SELECT 1 FROM companies co WHERE co.workspace_id = c.workspace_id AND co.id = c.company_id AND ${cond})`;
    }
    case 'consent': {
      const base = sql`SELECT 1 FROM consents s WHERE s.workspace_id = ${ctx.workspaceId} AND s.contact_id = c.id AND s.purpose = ${node.purpose}`;
      if (node.status === 'none') return sql`NOT EXISTS (${base})`;
      if (node.status === 'not_confirmed') return sql`NOT EXISTS (${base} AND s.status = 'confirmed')`;
      return sql`EXISTS (${base} AND s.status = ${node.status})`;
    }
    case 'activity': {
      const parts = activityWhere(node, ctx);
      const where = sql.join(parts, sql` AND `);
      const min = node.minCount ?? 1;
      // With a minimum count the subquery must not refer to the outer row (it would run once per
      // contact): it is one aggregate over the workspace's matching activities, joined by id.
      const exists =
        min <= 1
          ? sql`EXISTS (SELECT 1 FROM activities a WHERE a.contact_id = c.id AND ${where})`
          : sql`c.id IN (SELECT a.contact_id FROM activities a WHERE ${where} GROUP BY a.contact_id HAVING count(*) >= ${min})`;
      return node.negate ? sql`NOT ${exists}` : exists;
    }
    case 'quality': {
      const has = sql`c.quality_reasons @> ${JSON.stringify([{ code: node.reason }])}::jsonb`;
      return node.negate ? sql`NOT ${has}` : has;
    }
    case 'score': {
      const source = ctx.scores;
      if (!source) invalid('score conditions are not available (scoring is not installed)');
      const field = node.score as ScoreField;
      const kind = SCORE_FIELDS[field];
      if (!(SCORE_OPERATORS[kind] as readonly Operator[]).includes(node.operator))
        invalid(`operator ${node.operator} does not apply to ${node.score} (${kind})`);
      const cond = compare(
        kind,
        source.fields[field],
        node.operator,
        node.value,
        node.score,
        ctx,
        false,
        kind === 'choice' ? 'lower' : undefined,
      );
      // A contact without a score row has the source's `missing` value: when that matches too, the
      // condition is "no row that does not match" (an anti-join), otherwise "a row that matches".
      if (constantMatches(kind, source.missing[field], node.operator, node.value, node.score))
        return sql`NOT EXISTS (SELECT 1 FROM ${source.from} WHERE ${source.match} AND NOT coalesce(${cond}, false))`;
      return sql`EXISTS (SELECT 1 FROM ${source.from} WHERE ${source.match} AND ${cond})`;
    }
    case 'segment': {
      const def = ctx.segments.get(node.segmentId);
      if (!def) invalid(`segment ${node.segmentId} does not exist`);
      if (depth >= MAX_DEPTH) invalid('segments refer to each other too deeply (or in a circle)');
      const members = sql`(${compileNode(def, ctx, depth + 1)} OR EXISTS (SELECT 1 FROM segment_members m WHERE m.workspace_id = ${ctx.workspaceId} AND m.segment_id = ${node.segmentId} AND m.contact_id = c.id))`;
      return node.negate ? sql`NOT ${members}` : members;
    }
  }
}

export function compileNode(node: SegmentNode, ctx: CompileContext, depth = 0): Bool {
  if (depth > MAX_DEPTH) invalid('nested too deeply');
  if (node.kind !== 'group') return compileCondition(node, ctx, depth);
  const parts = node.children.map((child) => compileNode(child, ctx, depth + 1));
  let expr: Bool;
  if (parts.length === 0) expr = sql`true`;
  else if (parts.length === 1) expr = parts[0]!;
  else expr = sql`(${sql.join(parts, node.op === 'and' ? sql` AND ` : sql` OR `)})`;
  // NOT over SQL's three-valued logic: a contact without a value is "not matching", so NOT keeps it.
  return node.negate ? sql`NOT coalesce(${expr}, false)` : expr;
}

/**
 * A set of contact ids (the column `id`, rows may repeat unless `distinct`) that holds exactly the
 * contacts of the workspace matching a definition — live contacts and merged tombstones alike; the
 * caller removes the tombstones. Counting such a set never reads the contacts table, where the
 * contact query (`FROM contacts c WHERE …`) must probe every live contact of the workspace
 * against the matching activities (docs/benchmarks.md, "segments again").
 */
export interface IdSet {
  sql: Bool;
  distinct: boolean;
  /**
   * Every id is proven a contact of this workspace: it comes from a table whose foreign key names
   * the contact together with its workspace (activities, segment members) or passed a condition
   * on one. A consent row's foreign key names only the contact, so consents alone are not anchored.
   */
  anchored: boolean;
}

/**
 * True when a definition reads nothing of the contact but its id: activity and consent conditions
 * and groups and segments of them. Such conditions can be evaluated over an id set (`c.id`).
 */
function idOnly(node: SegmentNode, ctx: CompileContext, depth: number): boolean {
  if (depth > MAX_DEPTH) return false;
  switch (node.kind) {
    case 'group':
      return node.children.every((child) => idOnly(child, ctx, depth + 1));
    case 'activity':
    case 'consent':
      return true;
    case 'segment': {
      const def = ctx.segments.get(node.segmentId);
      return def !== undefined && idOnly(def, ctx, depth + 1);
    }
    default:
      return false;
  }
}

/**
 * The id set of a definition, or undefined when it has none (it needs a contact column, it is
 * only negative — "did not click" is defined against all contacts — or its ids are not proven to
 * be this workspace's contacts). An AND group is driven by one child with an id set (preferably
 * one whose ids are distinct already: a consent, an activity with a minimum count); the other
 * children must be id-only and are evaluated on that set. Invalid definitions (unknown segment,
 * too deep) return undefined: the contact query reports them.
 */
export function compileIdSet(node: SegmentNode, ctx: CompileContext): IdSet | undefined {
  const set = idSetOf(node, ctx, 0);
  return set?.anchored ? set : undefined;
}

function idSetOf(node: SegmentNode, ctx: CompileContext, depth: number): IdSet | undefined {
  if (depth > MAX_DEPTH) return undefined;
  switch (node.kind) {
    case 'activity': {
      if (node.negate) return undefined;
      const where = sql.join(activityWhere(node, ctx), sql` AND `);
      const min = node.minCount ?? 1;
      return min <= 1
        ? {
            sql: sql`SELECT a.contact_id AS id FROM activities a WHERE ${where}`,
            distinct: false,
            anchored: true,
          }
        : {
            sql: sql`SELECT a.contact_id AS id FROM activities a WHERE ${where} GROUP BY a.contact_id HAVING count(*) >= ${min}`,
            distinct: true,
            anchored: true,
          };
    }
    case 'consent':
      if (node.status === 'none' || node.status === 'not_confirmed') return undefined;
      // One row per contact and purpose (the primary key), so the ids are distinct.
      return {
        sql: sql`SELECT s.contact_id AS id FROM consents s WHERE s.workspace_id = ${ctx.workspaceId} AND s.purpose = ${node.purpose} AND s.status = ${node.status}`,
        distinct: true,
        anchored: false,
      };
    case 'segment': {
      const def = ctx.segments.get(node.segmentId);
      if (node.negate || !def) return undefined;
      const inner = idSetOf(def, ctx, depth + 1);
      if (!inner) return undefined;
      return {
        sql: sql`(${inner.sql}) UNION ALL (SELECT m.contact_id AS id FROM segment_members m WHERE m.workspace_id = ${ctx.workspaceId} AND m.segment_id = ${node.segmentId})`,
        distinct: false,
        anchored: inner.anchored,
      };
    }
    case 'group': {
      if (node.negate || node.children.length === 0) return undefined;
      const sets = node.children.map((child) => idSetOf(child, ctx, depth + 1));
      if (node.op === 'or') {
        if (sets.some((set) => set === undefined)) return undefined;
        if (sets.length === 1) return sets[0];
        return {
          sql: sql.join(
            sets.map((set) => sql`(${set!.sql})`),
            sql` UNION ALL `,
          ),
          distinct: false,
          anchored: sets.every((set) => set!.anchored),
        };
      }
      let driverIndex = sets.findIndex((set) => set?.distinct);
      if (driverIndex < 0) driverIndex = sets.findIndex((set) => set !== undefined);
      const driver = sets[driverIndex];
      if (!driver) return undefined;
      const others = node.children.filter((_, i) => i !== driverIndex);
      if (others.length === 0) return driver;
      if (!others.every((child) => idOnly(child, ctx, depth + 1))) return undefined;
      // A positive child with an anchored id set, evaluated as a condition on the driver's ids,
      // proves them contacts of this workspace.
      const anchored = driver.anchored || sets.some((set, i) => i !== driverIndex && set?.anchored);
      const conditions = others.map((child) => compileNode(child, ctx, depth + 1));
      const from = driver.distinct
        ? sql`(${driver.sql}) c`
        : sql`(SELECT DISTINCT d.id FROM (${driver.sql}) d) c`;
      return {
        sql: sql`SELECT c.id FROM ${from} WHERE ${sql.join(conditions, sql` AND `)}`,
        distinct: true,
        anchored,
      };
    }
    default:
      return undefined;
  }
}
