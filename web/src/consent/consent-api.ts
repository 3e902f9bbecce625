import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ApiClient, ApiError } from '../api/client.js';
import { useApi } from '../api/context.js';
import { useWorkspaceKey } from '../workspace/current-workspace.js';

/** The consent module's API as the Privacy page uses it (server: src/modules/consent/dpo.routes.ts). */

export interface ConsentState {
  purpose: string;
  status: 'pending' | 'confirmed' | 'withdrawn' | 'expired';
  legalBasis: 'consent' | 'existing_customer';
  requestedAt: string | null;
  confirmedAt: string | null;
  withdrawnAt: string | null;
  updatedAt: string;
}

export interface LedgerEvent {
  id: string;
  event: string;
  purpose: string;
  occurredAt: string;
  email: string;
  formId: string | null;
  formVersion: number | null;
  pageUrl: string | null;
  consentText: string | null;
  consentTextVersion: string | null;
  privacyNoticeVersion: string | null;
  checkedBoxes: string[] | null;
  ip: string | null;
  userAgent: string | null;
  messageId: string | null;
  templateId: string | null;
  tokenRef: string | null;
  actorUserId: string | null;
  details: Record<string, unknown>;
  prevHash: string | null;
  hash: string;
}

export interface Verification {
  checked: number;
  intact: boolean;
  breaks: { eventId: string; contactId: string | null; problem: string }[];
}

export interface ContactLedger {
  contactId: string;
  email: string;
  contactExists: boolean;
  consents: ConsentState[];
  events: LedgerEvent[];
  verification: Verification;
}

export interface ConsentSettings {
  optInTokenTtlHours: number;
  unconfirmedRetentionDays: number;
  proofRetentionDays: number;
}

export interface AdminChange {
  purpose: string;
  status: 'confirmed' | 'withdrawn';
  legalBasis?: 'consent' | 'existing_customer';
  note: string;
}

/** Finds the contact behind an address; null when the workspace has no ledger for it. */
export async function findLedgerContact(api: ApiClient, email: string): Promise<string | null> {
  try {
    return (await api.get<{ contactId: string }>('/api/v1/consent/contacts', { email })).contactId;
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

export function useContactLedger(contactId: string | null) {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('consent-ledger', contactId),
    queryFn: () => api.get<ContactLedger>(`/api/v1/consent/contacts/${contactId}/ledger`),
    enabled: contactId !== null,
  });
}

export function useAdminChange(contactId: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  const key = useWorkspaceKey('consent-ledger', contactId);
  return useMutation({
    mutationFn: (change: AdminChange) => api.post(`/api/v1/consent/contacts/${contactId}/changes`, change),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: key }),
  });
}

export function useObjection(contactId: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  const key = useWorkspaceKey('consent-ledger', contactId);
  return useMutation({
    mutationFn: (note: string) => api.post(`/api/v1/consent/contacts/${contactId}/objection`, { note }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: key }),
  });
}

export function useVerifyWorkspace() {
  const api = useApi();
  return useMutation({ mutationFn: () => api.get<Verification>('/api/v1/consent/ledger/verify') });
}

export function useConsentSettings() {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('consent-settings'),
    queryFn: () => api.get<ConsentSettings>('/api/v1/consent/settings'),
  });
}

export function useSaveConsentSettings() {
  const api = useApi();
  const queryClient = useQueryClient();
  const key = useWorkspaceKey('consent-settings');
  return useMutation({
    mutationFn: (settings: ConsentSettings) =>
      api.request<ConsentSettings>('PUT', '/api/v1/consent/settings', { body: settings }),
    onSuccess: (saved) => queryClient.setQueryData(key, saved),
  });
}

/**
 * The evidence as a file: fetched with the session and workspace header (a plain link cannot send
 * the header), then opened (HTML, to print) or saved (PDF, JSON).
 */
export async function fetchEvidence(
  api: ApiClient,
  contactId: string,
  format: 'html' | 'pdf' | 'json',
): Promise<{ blob: Blob; fileName: string }> {
  const headers: Record<string, string> = { 'accept-language': api.state.locale };
  if (api.state.workspaceId) headers['x-workspace-id'] = api.state.workspaceId;
  const lang = api.state.locale.startsWith('de') ? 'de' : 'en';
  const response = await fetch(
    `/api/v1/consent/contacts/${contactId}/evidence?format=${format}&lang=${lang}`,
    {
      headers,
      credentials: 'same-origin',
    },
  );
  if (!response.ok) throw new ApiError(response.status, `HTTP_${response.status}`, response.statusText);
  const disposition = response.headers.get('content-disposition') ?? '';
  const fileName = /filename="([^"]+)"/.exec(disposition)?.[1] ?? `consent-evidence.${format}`;
  return { blob: await response.blob(), fileName };
}
