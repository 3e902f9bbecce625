import { useCallback, useState } from 'react';
import type { Contact, CustomFieldDef, SortField } from './contacts-api.js';

/*
 * The columns a user may show in the contact list. The choice is kept per user and workspace in
 * localStorage (it is a display preference, not data, and must not cost a request per page view).
 */

export const BUILT_IN_COLUMNS = [
  'name',
  'email',
  'company_name',
  'job_title',
  'lifecycle_stage',
  'owner',
  'tags',
  'city',
  'country',
  'phone',
  'source_channel',
  'quality_score',
  'created_at',
  'updated_at',
] as const;
export type BuiltInColumn = (typeof BUILT_IN_COLUMNS)[number];
/** A built-in column or `custom:<key>`. */
export type ColumnId = BuiltInColumn | `custom:${string}`;

export const DEFAULT_COLUMNS: ColumnId[] = [
  'name',
  'email',
  'company_name',
  'lifecycle_stage',
  'quality_score',
  'created_at',
];

/** The sort key of a column, when the API can sort by it. */
export const SORT_OF: Partial<Record<BuiltInColumn, SortField>> = {
  name: 'last_name',
  email: 'email',
  company_name: 'company_name',
  job_title: 'job_title',
  lifecycle_stage: 'lifecycle_stage',
  city: 'city',
  country: 'country',
  quality_score: 'quality_score',
  created_at: 'created_at',
  updated_at: 'updated_at',
};

/** Which export column a list column becomes (CSV export takes the visible columns). */
export function exportColumnsOf(columns: ColumnId[], defs: CustomFieldDef[]): string[] {
  const out = new Set<string>(['email']);
  for (const c of columns) {
    if (c === 'name') {
      out.add('first_name');
      out.add('last_name');
    } else if (c.startsWith('custom:')) {
      if (defs.some((d) => `custom:${d.key}` === c)) out.add(c);
    } else if (c !== 'owner') out.add(c);
  }
  return [...out];
}

export function valueOfColumn(contact: Contact, column: ColumnId): unknown {
  if (column.startsWith('custom:')) return contact.customFields[column.slice(7)];
  switch (column as BuiltInColumn) {
    case 'email':
      return contact.email;
    case 'company_name':
      return contact.companyName;
    case 'job_title':
      return contact.jobTitle;
    case 'city':
      return contact.city;
    case 'country':
      return contact.country;
    case 'phone':
      return contact.phone;
    case 'source_channel':
      return contact.sourceChannel;
    default:
      return undefined;
  }
}

function storageKey(userId: string, workspaceId: string): string {
  return `leadwerk.contacts.columns.${userId}.${workspaceId}`;
}

export function useColumnChoice(userId: string, workspaceId: string) {
  const key = storageKey(userId, workspaceId);
  const [columns, setColumns] = useState<ColumnId[]>(() => {
    try {
      const raw = window.localStorage.getItem(key);
      const parsed = raw ? (JSON.parse(raw) as unknown) : null;
      if (Array.isArray(parsed) && parsed.every((c) => typeof c === 'string') && parsed.length > 0)
        return parsed as ColumnId[];
    } catch {
      // a broken value: fall back to the default
    }
    return DEFAULT_COLUMNS;
  });
  const choose = useCallback(
    (next: ColumnId[]) => {
      setColumns(next);
      try {
        window.localStorage.setItem(key, JSON.stringify(next));
      } catch {
        // private mode: the choice lasts for this page only
      }
    },
    [key],
  );
  return [columns, choose] as const;
}
