import type { Executor } from '../../shared/db/index.js';
import type { CustomFieldDefinition, CustomFieldType } from '../../shared/db/schema.js';
import { AppError } from '../../shared/errors.js';

export const CUSTOM_FIELD_TYPES: readonly CustomFieldType[] = [
  'text',
  'number',
  'date',
  'choice',
  'multi_choice',
  'boolean',
];

export type CustomFieldEntity = 'contact' | 'company';

export async function listCustomFields(
  db: Executor,
  workspaceId: string,
  entity: CustomFieldEntity = 'contact',
): Promise<CustomFieldDefinition[]> {
  return db
    .selectFrom('custom_field_definitions')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('entity', '=', entity)
    .orderBy('position')
    .orderBy('key')
    .execute();
}

export interface CustomFieldInput {
  key: string;
  label: string;
  type: CustomFieldType;
  options?: { value: string; label: string }[] | undefined;
  required?: boolean | undefined;
  qualification?: boolean | undefined;
  position?: number | undefined;
}

export async function insertCustomField(
  db: Executor,
  workspaceId: string,
  entity: CustomFieldEntity,
  input: CustomFieldInput,
): Promise<CustomFieldDefinition> {
  const row = await db
    .insertInto('custom_field_definitions')
    .values({
      workspace_id: workspaceId,
      entity,
      key: input.key,
      label: input.label,
      type: input.type,
      options: JSON.stringify(input.options ?? []),
      required: input.required ?? false,
      qualification: input.qualification ?? false,
      position: input.position ?? 0,
    })
    .onConflict((oc) => oc.columns(['workspace_id', 'entity', 'key']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) throw new AppError('CONFLICT', { field: 'key', reason: 'a field with this key exists' });
  return row;
}

export async function updateCustomFieldRow(
  db: Executor,
  workspaceId: string,
  entity: CustomFieldEntity,
  key: string,
  patch: Partial<Omit<CustomFieldInput, 'key' | 'type'>>,
  now: Date,
): Promise<CustomFieldDefinition | undefined> {
  const set: Record<string, unknown> = { updated_at: now };
  if (patch.label !== undefined) set.label = patch.label;
  if (patch.options !== undefined) set.options = JSON.stringify(patch.options);
  if (patch.required !== undefined) set.required = patch.required;
  if (patch.qualification !== undefined) set.qualification = patch.qualification;
  if (patch.position !== undefined) set.position = patch.position;
  return db
    .updateTable('custom_field_definitions')
    .set(set)
    .where('workspace_id', '=', workspaceId)
    .where('entity', '=', entity)
    .where('key', '=', key)
    .returningAll()
    .executeTakeFirst();
}

export async function deleteCustomFieldRow(
  db: Executor,
  workspaceId: string,
  entity: CustomFieldEntity,
  key: string,
): Promise<boolean> {
  const r = await db
    .deleteFrom('custom_field_definitions')
    .where('workspace_id', '=', workspaceId)
    .where('entity', '=', entity)
    .where('key', '=', key)
    .executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

function isValidDate(value: string): boolean {
  if (!DATE_RE.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/**
 * Checks and converts one value for a field: numbers from "1.234,5" or "1234.5", dates as
 * YYYY-MM-DD (or DD.MM.YYYY), booleans from yes/no/ja/nein/true/false/1/0, choices against the
 * option values (or labels), multi-choice from an array or a ";"/"," separated string.
 * Returns the typed value, null for "empty", or throws a message.
 */
export function coerceCustomValue(
  def: Pick<CustomFieldDefinition, 'type' | 'options'>,
  raw: unknown,
): unknown {
  if (raw === null || raw === undefined || raw === '') return null;
  switch (def.type) {
    case 'text': {
      const s = String(raw);
      if (s.length > 5000) throw new Error('at most 5000 characters');
      return s;
    }
    case 'number': {
      if (typeof raw === 'number') {
        if (!Number.isFinite(raw)) throw new Error('not a number');
        return raw;
      }
      let s = String(raw).trim().replace(/\s/g, '');
      // German notation: 1.234,5 → 1234.5
      if (/^-?\d{1,3}(\.\d{3})*(,\d+)?$/.test(s) || /^-?\d+,\d+$/.test(s))
        s = s.replaceAll('.', '').replace(',', '.');
      const n = Number(s);
      if (s === '' || !Number.isFinite(n)) throw new Error('not a number');
      return n;
    }
    case 'date': {
      let s = String(raw).trim();
      const german = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(s);
      if (german) s = `${german[3]}-${german[2]!.padStart(2, '0')}-${german[1]!.padStart(2, '0')}`;
      if (/^\d{4}-\d{2}-\d{2}T/.test(s)) s = s.slice(0, 10);
      if (!isValidDate(s)) throw new Error('not a date (YYYY-MM-DD)');
      return s;
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      const s = String(raw).trim().toLowerCase();
      if (['true', 'yes', 'ja', 'y', 'j', '1', 'x'].includes(s)) return true;
      if (['false', 'no', 'nein', 'n', '0'].includes(s)) return false;
      throw new Error('not yes/no');
    }
    case 'choice': {
      const s = String(raw).trim();
      const option = def.options.find((o) => o.value === s || o.label.toLowerCase() === s.toLowerCase());
      if (!option) throw new Error(`not one of ${def.options.map((o) => o.value).join(', ')}`);
      return option.value;
    }
    case 'multi_choice': {
      const items = Array.isArray(raw)
        ? raw.map(String)
        : String(raw)
            .split(/[;,|]/)
            .map((s) => s.trim())
            .filter(Boolean);
      const values: string[] = [];
      for (const item of items) {
        const option = def.options.find(
          (o) => o.value === item || o.label.toLowerCase() === item.toLowerCase(),
        );
        if (!option) throw new Error(`"${item}" is not one of ${def.options.map((o) => o.value).join(', ')}`);
        if (!values.includes(option.value)) values.push(option.value);
      }
      return values.length ? values : null;
    }
  }
}

/**
 * Validates a set of custom values against the workspace's definitions. Unknown keys and
 * wrong types are field errors named `customFields.<key>`; null removes a value.
 * With `requireAll`, required fields must end up with a value (`current` holds the stored ones).
 */
export function validateCustomFields(
  defs: CustomFieldDefinition[],
  values: Record<string, unknown>,
  options: { current?: Record<string, unknown>; requireAll?: boolean } = {},
): Record<string, unknown> {
  const byKey = new Map(defs.map((d) => [d.key, d]));
  const out: Record<string, unknown> = {};
  const problems: { field: string; message: string }[] = [];
  for (const [key, raw] of Object.entries(values)) {
    const def = byKey.get(key);
    if (!def) {
      problems.push({ field: `customFields.${key}`, message: 'no such custom field' });
      continue;
    }
    try {
      out[key] = coerceCustomValue(def, raw);
    } catch (err) {
      problems.push({ field: `customFields.${key}`, message: (err as Error).message });
    }
  }
  if (options.requireAll) {
    for (const def of defs) {
      if (!def.required) continue;
      const value = Object.hasOwn(out, def.key) ? out[def.key] : options.current?.[def.key];
      if (value === null || value === undefined)
        problems.push({ field: `customFields.${def.key}`, message: 'required' });
    }
  }
  if (problems.length > 0) throw new AppError('VALIDATION_FAILED', { fields: problems });
  return out;
}
