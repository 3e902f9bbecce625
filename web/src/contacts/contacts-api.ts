import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ApiClient, ApiError } from '../api/client.js';
import { useApi } from '../api/context.js';
import { useWorkspaceKey } from '../workspace/current-workspace.js';

/* Types and react-query hooks for contacts, custom fields and the raw CSV calls (upload, download). */

export const LIFECYCLE_STAGES = [
  'subscriber',
  'engaged',
  'mql',
  'sal',
  'sql',
  'opportunity',
  'customer',
  'recycled',
  'disqualified',
] as const;
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

export interface QualityReason {
  code: string;
  impact: number;
  field?: string;
}

export interface Contact {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  companyName: string | null;
  companyId: string | null;
  jobTitle: string | null;
  phone: string | null;
  city: string | null;
  country: string | null;
  locale: string | null;
  lifecycleStage: string;
  ownerUserId: string | null;
  sourceChannel: string | null;
  tags: string[];
  customFields: Record<string, unknown>;
  qualityScore: number | null;
  qualityReasons: QualityReason[];
  fieldMeta: Record<string, { at: string; source: string }>;
  reconfirmRequestedAt: string | null;
  mergedIntoContactId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ContactConsent {
  purpose: string;
  status: string;
  legalBasis: string;
  confirmedAt: string | null;
  withdrawnAt: string | null;
  updatedAt: string;
  fromContactId: string | null;
  fromEmail: string | null;
}

export interface ContactDetail {
  contact: Contact;
  company: { id: string; name: string } | null;
  consents: ContactConsent[];
  quality: { completeness: number; missing: string[]; stale: string[]; domainStatus: string | null };
  merges: {
    id: string;
    loserId: string;
    loserEmail: string;
    mergedAt: string;
    undoUntil: string;
    undone: boolean;
  }[];
}

export interface Activity {
  id: string;
  type: string;
  occurredAt: string;
  data: Record<string, unknown>;
  source: string | null;
  ref: string | null;
  mergedFrom: string | null;
}

export type CustomFieldType = 'text' | 'number' | 'date' | 'choice' | 'multi_choice' | 'boolean';
export const CUSTOM_FIELD_TYPES: CustomFieldType[] = [
  'text',
  'number',
  'date',
  'choice',
  'multi_choice',
  'boolean',
];
export interface CustomFieldDef {
  key: string;
  label: string;
  type: CustomFieldType;
  options: { value: string; label: string }[];
  required: boolean;
  qualification: boolean;
  position: number;
}
export type CustomFieldEntity = 'contact' | 'company';

export const SORT_FIELDS = [
  'email',
  'first_name',
  'last_name',
  'company_name',
  'job_title',
  'country',
  'city',
  'lifecycle_stage',
  'quality_score',
  'created_at',
  'updated_at',
] as const;
export type SortField = (typeof SORT_FIELDS)[number];

/** A selection of contacts as the API takes it (the list's search + filter, a segment, or ids). */
export interface Selection {
  ids?: string[];
  filter?: unknown;
  q?: string;
  segmentId?: string;
}

export interface ListParams {
  q: string;
  filter: unknown;
  segmentId: string | null;
  sort: SortField;
  dir: 'asc' | 'desc';
  cursor: string | null;
  limit: number;
}

export function selectionOf(p: Pick<ListParams, 'q' | 'filter' | 'segmentId'>): Selection {
  const s: Selection = {};
  if (p.q.trim()) s.q = p.q.trim();
  if (p.filter) s.filter = p.filter;
  if (p.segmentId) s.segmentId = p.segmentId;
  return s;
}

/** One keyset page of the contact list; the previous page stays on screen while the next loads. */
export function useContactsPage(p: ListParams) {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('contacts', 'list', p),
    queryFn: () =>
      api.get<{ items: Contact[]; nextCursor: string | null }>('/api/v1/contacts', {
        q: p.q.trim() || undefined,
        filter: p.filter ? JSON.stringify(p.filter) : undefined,
        segmentId: p.segmentId ?? undefined,
        sort: p.sort,
        dir: p.dir,
        cursor: p.cursor ?? undefined,
        limit: p.limit,
      }),
    placeholderData: keepPreviousData,
  });
}

/** How many contacts a selection holds (the list header, the segment builder's live count). */
export function useContactCount(selection: Selection | null) {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('contacts', 'count', selection),
    queryFn: async () => (await api.post<{ count: number }>('/api/v1/contacts/count', selection)).count,
    enabled: selection !== null,
    placeholderData: keepPreviousData,
    retry: false,
  });
}

export function useContact(id: string) {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('contacts', 'one', id),
    queryFn: () => api.get<ContactDetail>(`/api/v1/contacts/${encodeURIComponent(id)}`),
  });
}

export function useCustomFields(entity: CustomFieldEntity) {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('custom-fields', entity),
    queryFn: async () =>
      (await api.get<{ items: CustomFieldDef[] }>(`/api/v1/custom-fields/${entity}`)).items,
    staleTime: 60_000,
  });
}

export function useInvalidateContacts() {
  const queryClient = useQueryClient();
  const key = useWorkspaceKey();
  return () => queryClient.invalidateQueries({ queryKey: key });
}

export type ContactWrite = Partial<
  Omit<
    Contact,
    | 'id'
    | 'qualityScore'
    | 'qualityReasons'
    | 'fieldMeta'
    | 'reconfirmRequestedAt'
    | 'mergedIntoContactId'
    | 'createdAt'
    | 'updatedAt'
    | 'lifecycleStage'
  >
> & { lifecycleStage?: LifecycleStage; stageReason?: string };

export function useCreateContact() {
  const api = useApi();
  const invalidate = useInvalidateContacts();
  return useMutation({
    mutationFn: (body: ContactWrite & { email: string }) =>
      api.post<{ contact: Contact }>('/api/v1/contacts', body),
    onSuccess: invalidate,
  });
}

export function useUpdateContact(id: string) {
  const api = useApi();
  const invalidate = useInvalidateContacts();
  return useMutation({
    mutationFn: (body: ContactWrite) =>
      api.patch<{ contact: Contact }>(`/api/v1/contacts/${encodeURIComponent(id)}`, body),
    onSuccess: invalidate,
  });
}

export function useAddNote(id: string) {
  const api = useApi();
  const invalidate = useInvalidateContacts();
  return useMutation({
    mutationFn: (body: { kind: 'note' | 'call'; text: string }) =>
      api.post<void>(`/api/v1/contacts/${encodeURIComponent(id)}/notes`, body),
    onSuccess: invalidate,
  });
}

export function useBulkTag() {
  const api = useApi();
  const invalidate = useInvalidateContacts();
  return useMutation({
    mutationFn: (body: { selection: Selection; add?: string[]; remove?: string[] }) =>
      api.post<{ count: number }>('/api/v1/contacts/bulk/tag', body),
    onSuccess: invalidate,
  });
}

export function useBulkDelete() {
  const api = useApi();
  const invalidate = useInvalidateContacts();
  return useMutation({
    mutationFn: (body: { selection: Selection; expectedCount: number }) =>
      api.post<{ count: number }>('/api/v1/contacts/bulk/delete', body),
    onSuccess: invalidate,
  });
}

export function useAddToSegment() {
  const api = useApi();
  const invalidate = useInvalidateContacts();
  return useMutation({
    mutationFn: ({ segmentId, selection }: { segmentId: string; selection: Selection }) =>
      api.post<{ count: number }>(`/api/v1/segments/${encodeURIComponent(segmentId)}/members`, {
        selection,
      }),
    onSuccess: invalidate,
  });
}

export function useSaveCustomField(entity: CustomFieldEntity) {
  const api = useApi();
  const invalidate = useInvalidateContacts();
  return useMutation({
    mutationFn: ({ isNew, field }: { isNew: boolean; field: Partial<CustomFieldDef> & { key: string } }) => {
      const { key, type, ...rest } = field;
      return isNew
        ? api.post<{ field: CustomFieldDef }>(`/api/v1/custom-fields/${entity}`, { key, type, ...rest })
        : api.patch<{ field: CustomFieldDef }>(
            `/api/v1/custom-fields/${entity}/${encodeURIComponent(key)}`,
            rest,
          );
    },
    onSuccess: invalidate,
  });
}

export function useDeleteCustomField(entity: CustomFieldEntity) {
  const api = useApi();
  const invalidate = useInvalidateContacts();
  return useMutation({
    mutationFn: (key: string) => api.delete(`/api/v1/custom-fields/${entity}/${encodeURIComponent(key)}`),
    onSuccess: invalidate,
  });
}

function rawHeaders(api: ApiClient, extra: Record<string, string> = {}): Record<string, string> {
  const headers: Record<string, string> = { 'accept-language': api.state.locale, ...extra };
  if (api.state.workspaceId) headers['x-workspace-id'] = api.state.workspaceId;
  return headers;
}

async function rawError(response: Response): Promise<ApiError> {
  try {
    const body = (await response.json()) as {
      error?: { code?: string; message?: string; details?: unknown };
    };
    if (body.error?.code)
      return new ApiError(response.status, body.error.code, body.error.message ?? '', body.error.details);
  } catch {
    // not JSON
  }
  return new ApiError(response.status, `HTTP_${response.status}`, response.statusText);
}

/**
 * Exports contacts without holding the file in the tab: the server checks the selection and
 * columns and answers with a single-use download URL (valid for two minutes, for this user);
 * following it lets the browser's download manager stream the CSV to disk, at any size.
 */
export async function downloadContactsCsv(
  api: ApiClient,
  selection: Selection,
  columns: string[],
): Promise<void> {
  const { url } = await api.post<{ url: string; expiresAt: string }>('/api/v1/contacts/export-tokens', {
    selection,
    columns: columns.join(','),
  });
  followDownload(url, 'contacts.csv');
}

/** Lets the browser's download manager fetch a one-time download URL (the file never enters the tab). */
export function followDownload(url: string, fileName: string): void {
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
}

/** Reads a CSV as text (the import wizard shows the first rows of the error report). */
export async function fetchText(api: ApiClient, path: string): Promise<string> {
  const response = await fetch(path, { headers: rawHeaders(api), credentials: 'same-origin' });
  if (!response.ok) throw await rawError(response);
  return response.text();
}

/** Sends a file as the raw body (the import upload takes text/csv, streamed on the server). */
export async function uploadRaw<T>(api: ApiClient, path: string, file: Blob): Promise<T> {
  const headers = rawHeaders(api, { 'content-type': 'text/csv', accept: 'application/json' });
  if (api.state.csrfToken) headers['x-csrf-token'] = api.state.csrfToken;
  const response = await fetch(path, { method: 'POST', headers, credentials: 'same-origin', body: file });
  if (!response.ok) throw await rawError(response);
  return (await response.json()) as T;
}

/** The name to show for a contact: "First Last", else the address. */
export function displayName(c: Pick<Contact, 'firstName' | 'lastName' | 'email'>): string {
  const name = [c.firstName, c.lastName].filter(Boolean).join(' ').trim();
  return name || c.email;
}
