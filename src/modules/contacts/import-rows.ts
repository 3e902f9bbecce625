import type { CustomFieldDefinition } from '../../shared/db/schema.js';
import { normalizeEmail } from '../../shared/email.js';
import { suppressionHash } from '../suppression/index.js';
import { LIFECYCLE_STAGES } from './contacts.service.js';
import type { CsvItem } from './csv-reader.js';
import { coerceCustomValue } from './custom-fields.js';
import {
  companyNameFromDomain,
  domainOf,
  emailMatchKey,
  emailSyntaxProblem,
  isFreemailDomain,
} from './email-rules.js';
import { IMPORT_MESSAGES } from './import-messages.js';
import { computeQuality } from './quality.js';

/*
 * The import's row mapping and validation (staging, step 2 of imports.service.ts), free of
 * database access: a batch of parsed CSV records goes in, the parameters of one INSERT into
 * import_rows come out — PostgreSQL array literals, one per column, which both PostgreSQL and
 * PGlite read the same way.
 */

const MAX_FIELD_CHARS = 100_000;

export const PROFILE_TARGETS = [
  'email',
  'first_name',
  'last_name',
  'company_name',
  'job_title',
  'phone',
  'city',
  'country',
  'locale',
  'lifecycle_stage',
  'source_channel',
  'tags',
  'consent',
  'consent_date',
] as const;

export type ImportSettingsT = {
  mapping: Record<string, string>;
  existing: 'skip' | 'update' | 'fill_empty';
  mode: 'all_or_nothing' | 'valid_rows';
  review?: boolean | undefined;
  encoding?: 'utf-8' | 'windows-1252' | 'iso-8859-1' | undefined;
  delimiter?: string | undefined;
  tags?: string[] | undefined;
  consent?: { purpose: string; legalBasis: 'consent' | 'existing_customer'; proof: string } | undefined;
};

const COUNTRIES: Record<string, string> = {
  deutschland: 'DE',
  germany: 'DE',
  österreich: 'AT',
  austria: 'AT',
  schweiz: 'CH',
  switzerland: 'CH',
  'united kingdom': 'GB',
  uk: 'GB',
  'vereinigtes königreich': 'GB',
  frankreich: 'FR',
  france: 'FR',
  niederlande: 'NL',
  netherlands: 'NL',
  'united states': 'US',
  usa: 'US',
  italien: 'IT',
  italy: 'IT',
  spanien: 'ES',
  spain: 'ES',
  polen: 'PL',
  poland: 'PL',
  belgien: 'BE',
  belgium: 'BE',
  luxemburg: 'LU',
};
const STAGE_ALIASES: Record<string, string> = {
  lead: 'engaged',
  marketingqualifiedlead: 'mql',
  salesqualifiedlead: 'sql',
  opportunity: 'opportunity',
  customer: 'customer',
  subscriber: 'subscriber',
  evangelist: 'customer',
  kunde: 'customer',
  other: 'subscriber',
};

/** One row of the file after mapping and validation: the typed columns of import_rows. */
interface StagedRow {
  row_no: number;
  email: string | null;
  email_normalized: string | null;
  email_hash: string | null;
  company_domain: string | null;
  error: string | null;
  values: Record<(typeof TEXT_COLUMNS)[number], string | null>;
  tags: string[] | null;
  custom_fields: Record<string, unknown> | null;
  consent: boolean | null;
  consent_date: string | null;
  quality_score: number | null;
  quality_reasons: unknown[] | null;
}

/** The plain text columns of a staged row. */
const TEXT_COLUMNS = [
  'first_name',
  'last_name',
  'company_name',
  'job_title',
  'phone',
  'city',
  'country',
  'locale',
  'lifecycle_stage',
  'source_channel',
  'match_key',
  'company_hint',
] as const;

function emptyRow(rowNo: number, error: string): StagedRow {
  return {
    row_no: rowNo,
    email: null,
    email_normalized: null,
    email_hash: null,
    company_domain: null,
    error: error.slice(0, 2000),
    values: Object.fromEntries(TEXT_COLUMNS.map((c) => [c, null])) as StagedRow['values'],
    tags: null,
    custom_fields: null,
    consent: null,
    consent_date: null,
    quality_score: null,
    quality_reasons: null,
  };
}

/** A row error about one column's value. */
const field = (column: string, problem: string) => IMPORT_MESSAGES.field.format({ column, problem });

const TRUE = new Set(['1', 'true', 'yes', 'ja', 'y', 'j', 'x', 'opt-in', 'optin', 'subscribed', 'confirmed']);

function mapRow(
  rowNo: number,
  record: string[],
  header: string[],
  columns: { index: number; target: string }[],
  defs: Map<string, CustomFieldDefinition>,
  workspaceId: string,
  importId: string,
  settings: ImportSettingsT,
  now: Date,
): StagedRow {
  const errors: string[] = [];
  if (record.length !== header.length)
    errors.push(IMPORT_MESSAGES.columns.format({ count: record.length, header: header.length }));
  const data: Record<string, unknown> = {};
  const custom: Record<string, unknown> = {};
  let email: string | null = null;
  for (const { index, target } of columns) {
    const raw = (record[index] ?? '').trim();
    if (raw.length > MAX_FIELD_CHARS) {
      errors.push(field(header[index]!, `longer than ${MAX_FIELD_CHARS} characters`));
      continue;
    }
    if (raw === '') continue;
    if (target === 'email') email = raw;
    else if (target.startsWith('custom:')) {
      const def = defs.get(target.slice(7))!;
      try {
        const v = coerceCustomValue(def, raw);
        if (v !== null) custom[def.key] = v;
      } catch (err) {
        errors.push(field(header[index]!, (err as Error).message));
      }
    } else if (target === 'country') {
      const c = COUNTRIES[raw.toLowerCase()] ?? raw.toUpperCase();
      if (/^[A-Z]{2}$/.test(c)) data.country = c;
      else errors.push(field(header[index]!, 'not a country code'));
    } else if (target === 'locale') {
      const l = raw.slice(0, 2).toLowerCase();
      if (l === 'de' || l === 'en') data.locale = l;
    } else if (target === 'lifecycle_stage') {
      const key = raw.toLowerCase().replace(/[\s_-]/g, '');
      const s = (LIFECYCLE_STAGES as readonly string[]).includes(key) ? key : STAGE_ALIASES[key];
      if (s) data.lifecycle_stage = s;
      else errors.push(field(header[index]!, `unknown lifecycle stage "${raw.slice(0, 50)}"`));
    } else if (target === 'tags') {
      data.tags = raw
        .split(/[;,|]/)
        .map((t) => t.trim().toLowerCase())
        .filter(Boolean)
        .slice(0, 50);
    } else if (target === 'consent') data.consent = TRUE.has(raw.toLowerCase());
    else if (target === 'consent_date') {
      const d = new Date(
        /^\d{1,2}\.\d{1,2}\.\d{4}/.test(raw)
          ? raw.replace(/^(\d{1,2})\.(\d{1,2})\.(\d{4})/, '$3-$2-$1')
          : raw,
      );
      if (Number.isNaN(d.getTime())) errors.push(field(header[index]!, 'not a date'));
      else data.consent_date = d.toISOString();
    } else {
      const max = target === 'phone' ? 50 : target === 'company_name' ? 300 : 200;
      if (raw.length > max) errors.push(field(header[index]!, `longer than ${max} characters`));
      else if (data[target] === undefined) data[target] = raw;
    }
  }
  let normalized: string | null = null;
  let hash: string | null = null;
  let companyDomain: string | null = null;
  if (!email) errors.push(IMPORT_MESSAGES.noEmail.en);
  else {
    const problem = emailSyntaxProblem(email);
    normalized = normalizeEmail(email) ?? null;
    if (problem || !normalized) errors.push(IMPORT_MESSAGES.email.format({ problem: problem ?? 'invalid' }));
    else {
      hash = suppressionHash(workspaceId, email);
      const domain = domainOf(normalized);
      if (!isFreemailDomain(domain)) {
        companyDomain = domain;
        data.company_hint = (data.company_name as string | undefined) ?? companyNameFromDomain(domain);
      }
      data.match_key = emailMatchKey(normalized);
    }
  }
  const tags = [
    ...new Set([...((data.tags as string[]) ?? []), ...(settings.tags ?? []).map((t) => t.toLowerCase())]),
  ];
  // Consent wanted by the file but no proof given: no consent, and a tag for the re-permission mail.
  if (data.consent === true && !settings.consent) tags.push('re-permission');
  if (tags.length) data.tags = [...new Set(tags)];
  const meta: Record<string, { at: string; source: string }> = {};
  const at = now.toISOString();
  const source = `import:${importId}`;
  for (const key of Object.keys(data)) if (PROFILE_TARGETS.includes(key as never)) meta[key] = { at, source };
  for (const key of Object.keys(custom)) meta[`custom_fields.${key}`] = { at, source };
  let quality: { score: number; reasons: unknown[] } | null = null;
  if (normalized && errors.length === 0) {
    quality = computeQuality({
      email: normalized,
      fields: data,
      customFields: custom,
      qualificationCustomKeys: [],
      fieldMeta: meta,
      domainStatus: undefined,
      now,
    });
  }
  const text = (k: string) => (typeof data[k] === 'string' ? (data[k] as string) : null);
  return {
    row_no: rowNo,
    email: email?.slice(0, 320) ?? null,
    email_normalized: errors.length ? null : normalized,
    email_hash: hash,
    company_domain: companyDomain,
    error: errors.length ? errors.join('; ').slice(0, 2000) : null,
    values: Object.fromEntries(TEXT_COLUMNS.map((c) => [c, text(c)])) as StagedRow['values'],
    tags: (data.tags as string[] | undefined) ?? null,
    custom_fields: Object.keys(custom).length ? custom : null,
    consent: typeof data.consent === 'boolean' ? data.consent : null,
    consent_date: text('consent_date'),
    quality_score: quality?.score ?? null,
    quality_reasons: quality?.reasons ?? null,
  };
}

/** An item of a staging batch: a record of the file, or a line the CSV reader could not read. */
export type StageItem = CsvItem;

/**
 * Whether a line found inside a quoted cell reads like a row of the file: it has the delimiter and
 * an address where the e-mail column is. The CSV reader then takes the cell for a stray quote
 * (csv-reader.ts) and reads those lines as rows.
 */
export function looksLikeRow(emailColumn: number): (cells: string[]) => boolean {
  return (cells) => {
    if (cells.length < 2 || cells.length <= emailColumn) return false;
    const email = cells[emailColumn]!.trim().replace(/^"|"$/g, '');
    return email.includes('@') && emailSyntaxProblem(email) === undefined;
  };
}

/** What mapping needs to know about the import. */
export interface StageContext {
  header: string[];
  columns: { index: number; target: string }[];
  defs: CustomFieldDefinition[];
  workspaceId: string;
  importId: string;
  settings: ImportSettingsT;
  now: Date;
}

/** The parameters of one INSERT into import_rows: an array literal per STAGED_COLUMNS entry, in order. */
export interface StagedBatch {
  rows: number;
  columns: string[];
}

/**
 * The columns of import_rows that staging writes, in parameter order: `array` is the element type
 * its literal is cast to, `cast` what the unnested value is cast to on insert (tags are literals
 * within the literal, JSON travels as text). The INSERT (imports.service.ts, insertStaged) and
 * the literals both come from this one list.
 */
export const STAGED_COLUMNS: readonly {
  name: string;
  array: 'int' | 'text' | 'boolean' | 'smallint';
  cast?: string;
  value(r: StagedRow): string | number | boolean | null;
}[] = [
  { name: 'row_no', array: 'int', value: (r) => r.row_no },
  { name: 'email', array: 'text', value: (r) => r.email },
  { name: 'email_normalized', array: 'text', value: (r) => r.email_normalized },
  { name: 'email_hash', array: 'text', value: (r) => r.email_hash },
  { name: 'company_domain', array: 'text', value: (r) => r.company_domain },
  { name: 'error', array: 'text', value: (r) => r.error },
  ...TEXT_COLUMNS.map((c) => ({ name: c, array: 'text' as const, value: (r: StagedRow) => r.values[c] })),
  { name: 'tags', array: 'text', cast: 'text[]', value: (r) => (r.tags ? textArrayLiteral(r.tags) : null) },
  {
    name: 'custom_fields',
    array: 'text',
    cast: 'jsonb',
    value: (r) => (r.custom_fields ? JSON.stringify(r.custom_fields) : null),
  },
  { name: 'consent', array: 'boolean', value: (r) => r.consent },
  { name: 'consent_date', array: 'text', cast: 'timestamptz', value: (r) => r.consent_date },
  { name: 'quality_score', array: 'smallint', value: (r) => r.quality_score },
  {
    name: 'quality_reasons',
    array: 'text',
    cast: 'jsonb',
    value: (r) => (r.quality_reasons ? JSON.stringify(r.quality_reasons) : null),
  },
];

const NEEDS_ESCAPE = /[\\"]/;

/** An element of an array literal: always quoted (a tag may be "NULL" or contain a comma). */
function element(v: string | null): string {
  if (v === null) return 'NULL';
  return NEEDS_ESCAPE.test(v) ? `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : `"${v}"`;
}

/** A PostgreSQL text[] literal (elements quoted; backslash and double quote escaped). */
function textArrayLiteral(values: readonly (string | null)[]): string {
  return `{${values.map(element).join(',')}}`;
}

/** A PostgreSQL array literal of int, smallint or boolean. */
function scalarArrayLiteral(values: readonly (string | number | boolean | null)[]): string {
  return `{${values.map((v) => (v === null ? 'NULL' : v === true ? 't' : v === false ? 'f' : String(v))).join(',')}}`;
}

/** Maps and validates one batch of records, numbered from firstRowNo, into INSERT parameters. */
export function prepareStage(ctx: StageContext): (firstRowNo: number, items: StageItem[]) => StagedBatch {
  const defs = new Map(ctx.defs.map((d) => [d.key, d]));
  return (firstRowNo, items) => {
    const rows = items.map((item, i) =>
      'cells' in item
        ? mapRow(
            firstRowNo + i,
            item.cells,
            ctx.header,
            ctx.columns,
            defs,
            ctx.workspaceId,
            ctx.importId,
            ctx.settings,
            ctx.now,
          )
        : emptyRow(
            firstRowNo + i,
            IMPORT_MESSAGES.unreadable.format({ line: item.line, reason: item.unreadable }),
          ),
    );
    return {
      rows: rows.length,
      columns: STAGED_COLUMNS.map((c) =>
        c.array === 'text'
          ? textArrayLiteral(rows.map((r) => c.value(r) as string | null))
          : scalarArrayLiteral(rows.map(c.value)),
      ),
    };
  };
}
