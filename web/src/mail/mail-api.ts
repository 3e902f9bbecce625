import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '../api/context.js';
import { useWorkspaceKey } from '../workspace/current-workspace.js';

export type MailLocale = 'de' | 'en';
export type MailKind = 'transactional' | 'marketing';
export const MESSAGE_STATUSES = [
  'queued',
  'sending',
  'deferred',
  'sent',
  'delivered',
  'skipped',
  'failed',
  'bounced',
  'complained',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export interface MailTemplate {
  id: string;
  name: string;
  kind: MailKind;
  purpose: string | null;
  version: number;
  locales: MailLocale[];
  createdAt: string;
  updatedAt: string;
}

export interface TemplateVariant {
  locale: MailLocale;
  subject: string;
  preheader: string;
  bodyMjml: string;
  updatedAt: string;
}

export interface VariantInput {
  subject: string;
  preheader?: string;
  bodyMjml: string;
}

export interface Preview {
  subject: string;
  html: string;
  text: string;
  warnings: { line: number; message: string }[];
}

export interface Message {
  id: string;
  kind: MailKind;
  purpose: string | null;
  to: string;
  locale: MailLocale;
  contactId: string | null;
  templateId: string | null;
  templateName: string | null;
  sendId: string | null;
  subject: string | null;
  status: MessageStatus;
  statusReason: string | null;
  bounceType: string | null;
  attempts: number;
  nextAttemptAt: string | null;
  isTest: boolean;
  tracking: boolean;
  messageIdHeader: string | null;
  createdAt: string;
  sentAt: string | null;
  bouncedAt: string | null;
  complainedAt: string | null;
  openedAt: string | null;
  clickedAt: string | null;
  openCount: number;
  clickCount: number;
  /** When the stored copy's links were cut to their origin (the message was final). */
  contentRedactedAt: string | null;
}

export interface MessageDetail {
  message: Message;
  events: { type: string; occurredAt: string; data: Record<string, unknown> }[];
  outboxId: string | null;
}

export interface OutboxItem {
  id: string;
  messageId: string | null;
  from: string;
  to: string;
  subject: string;
  createdAt: string;
}

export interface OutboxMail {
  id: string;
  messageId: string | null;
  envelopeFrom: string;
  envelopeTo: string;
  subject: string;
  from: string;
  to: string;
  date: string | null;
  headers: { name: string; value: string }[];
  html: string | null;
  text: string | null;
  raw: string;
}

export interface MailSettings {
  fromName: string;
  fromEmail: string | null;
  defaultFrom: string;
  replyTo: string | null;
  imprint: string;
  logoUrl: string | null;
  accentColor: string;
  trackingEnabled: boolean;
  ratePerMinute: number | null;
  domainRatePerMinute: number | null;
  domainRates: Record<string, number>;
  softBounceLimit: number;
  transport: 'outbox' | 'smtp';
  canSendMarketing: boolean;
}

export interface SendingDomain {
  id: string;
  domain: string;
  selector: string;
  returnPathDomain: string;
  createdAt: string;
  lastCheckedAt: string | null;
}

export interface DnsRecord {
  purpose: 'dkim' | 'spf' | 'dmarc' | 'bounce-mx';
  type: string;
  name: string;
  value: string;
  found: string[];
  status: 'ok' | 'missing' | 'mismatch' | 'unchecked';
  note: string;
}

export interface Suppression {
  hash: string;
  reason: string;
  source: string | null;
  note: string | null;
  createdBy: string | null;
  createdAt: string;
  removable: boolean;
}

export interface MailSend {
  id: string;
  templateId: string;
  templateName: string | null;
  purpose: string;
  status: string;
  recipients: number;
  counts: Record<string, number>;
  createdAt: string;
}

// ---- templates ---------------------------------------------------------------------------

export function useTemplates() {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('mail', 'templates'),
    queryFn: () => api.get<{ items: MailTemplate[] }>('/api/v1/mail/templates').then((r) => r.items),
  });
}

export function useTemplate(id: string) {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('mail', 'template', id),
    queryFn: () =>
      api.get<{ template: MailTemplate; variants: TemplateVariant[] }>(`/api/v1/mail/templates/${id}`),
  });
}

export function useCreateTemplate() {
  const api = useApi();
  const qc = useQueryClient();
  const key = useWorkspaceKey('mail');
  return useMutation({
    mutationFn: (input: {
      name: string;
      kind: MailKind;
      purpose?: string | null;
      variants: Partial<Record<MailLocale, VariantInput>>;
    }) => api.post<{ template: MailTemplate }>('/api/v1/mail/templates', input),
    onSuccess: () => qc.invalidateQueries({ queryKey: key }),
  });
}

export function useUpdateTemplate(id: string) {
  const api = useApi();
  const qc = useQueryClient();
  const key = useWorkspaceKey('mail');
  return useMutation({
    mutationFn: (input: {
      name?: string;
      kind?: MailKind;
      purpose?: string | null;
      variants?: Partial<Record<MailLocale, VariantInput | null>>;
    }) =>
      api.patch<{ template: MailTemplate; variants: TemplateVariant[] }>(
        `/api/v1/mail/templates/${id}`,
        input,
      ),
    // Not awaited: "saved" shows when the server confirmed, not after every mail list refetched.
    onSuccess: () => void qc.invalidateQueries({ queryKey: key }),
  });
}

export function useArchiveTemplate() {
  const api = useApi();
  const qc = useQueryClient();
  const key = useWorkspaceKey('mail');
  return useMutation({
    mutationFn: (id: string) => api.delete(`/api/v1/mail/templates/${id}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: key }),
  });
}

export function usePreview() {
  const api = useApi();
  return useMutation({
    mutationFn: (input: { kind: MailKind; locale: MailLocale } & VariantInput) =>
      api.post<Preview>('/api/v1/mail/preview', input),
  });
}

export function useSendTest(id: string) {
  const api = useApi();
  const qc = useQueryClient();
  const key = useWorkspaceKey('mail');
  return useMutation({
    mutationFn: (locale: MailLocale) =>
      api.post<{ messageId: string; to: string }>(`/api/v1/mail/templates/${id}/test`, { locale }),
    onSuccess: () => qc.invalidateQueries({ queryKey: key }),
  });
}

export function useStartSend(id: string) {
  const api = useApi();
  const qc = useQueryClient();
  const key = useWorkspaceKey('mail');
  return useMutation({
    mutationFn: () => api.post<{ send: MailSend }>(`/api/v1/mail/templates/${id}/send`),
    onSuccess: () => qc.invalidateQueries({ queryKey: key }),
  });
}

export function useSends() {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('mail', 'sends'),
    queryFn: () => api.get<{ items: MailSend[] }>('/api/v1/mail/sends').then((r) => r.items),
  });
}

// ---- messages and outbox -------------------------------------------------------------------

export function useMessages(filter: { status?: string | null; search?: string }) {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: useWorkspaceKey('mail', 'messages', filter),
    queryFn: ({ pageParam }) =>
      api.get<{ items: Message[]; counts: Record<string, number>; next: string | null }>(
        '/api/v1/mail/messages',
        {
          status: filter.status ?? undefined,
          search: filter.search || undefined,
          before: pageParam,
          limit: 50,
        },
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next ?? undefined,
  });
}

export function useMessage(id: string | null) {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('mail', 'message', id),
    queryFn: () => api.get<MessageDetail>(`/api/v1/mail/messages/${id}`),
    enabled: id !== null,
  });
}

export function useOutbox() {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: useWorkspaceKey('mail', 'outbox'),
    queryFn: ({ pageParam }) =>
      api.get<{ items: OutboxItem[]; next: string | null; transport: string }>('/api/v1/mail/outbox', {
        before: pageParam,
        limit: 50,
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next ?? undefined,
  });
}

export function useOutboxMail(id: string | null) {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('mail', 'outbox', id),
    queryFn: () => api.get<OutboxMail>(`/api/v1/mail/outbox/${id}`),
    enabled: id !== null,
  });
}

// ---- settings and domains --------------------------------------------------------------------

export function useMailSettings() {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('mail', 'settings'),
    queryFn: () => api.get<{ settings: MailSettings }>('/api/v1/mail/settings').then((r) => r.settings),
  });
}

export function useSaveMailSettings() {
  const api = useApi();
  const qc = useQueryClient();
  const key = useWorkspaceKey('mail');
  return useMutation({
    mutationFn: (input: Partial<Omit<MailSettings, 'transport' | 'canSendMarketing' | 'defaultFrom'>>) =>
      api.request<{ settings: MailSettings }>('PUT', '/api/v1/mail/settings', { body: input }),
    // Not awaited: "saved" shows when the server confirmed, not after every mail list refetched.
    onSuccess: () => void qc.invalidateQueries({ queryKey: key }),
  });
}

export function useDomains() {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('mail', 'domains'),
    queryFn: () => api.get<{ items: SendingDomain[] }>('/api/v1/mail/domains').then((r) => r.items),
  });
}

export function useAddDomain() {
  const api = useApi();
  const qc = useQueryClient();
  const key = useWorkspaceKey('mail');
  return useMutation({
    mutationFn: (input: { domain: string; selector?: string; returnPathDomain?: string }) =>
      api.post<{ domain: SendingDomain }>('/api/v1/mail/domains', input),
    onSuccess: () => qc.invalidateQueries({ queryKey: key }),
  });
}

export function useRemoveDomain() {
  const api = useApi();
  const qc = useQueryClient();
  const key = useWorkspaceKey('mail');
  return useMutation({
    mutationFn: (id: string) => api.delete(`/api/v1/mail/domains/${id}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: key }),
  });
}

export function useDnsReport(id: string | null) {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('mail', 'dns', id),
    queryFn: () =>
      api.get<{ domain: SendingDomain; checkedAt: string | null; records: DnsRecord[] }>(
        `/api/v1/mail/domains/${id}/dns`,
      ),
    enabled: id !== null,
  });
}

export function useCheckDns(id: string) {
  const api = useApi();
  const qc = useQueryClient();
  const key = useWorkspaceKey('mail', 'dns', id);
  return useMutation({
    mutationFn: () =>
      api.get<{ domain: SendingDomain; checkedAt: string | null; records: DnsRecord[] }>(
        `/api/v1/mail/domains/${id}/dns`,
        {
          check: 'true',
        },
      ),
    onSuccess: (data) => qc.setQueryData(key, data),
  });
}

// ---- suppression list ---------------------------------------------------------------------

export function useSuppressions(reason: string | null) {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: useWorkspaceKey('suppressions', reason),
    queryFn: ({ pageParam }) =>
      api.get<{ items: Suppression[]; counts: Record<string, number>; next: string | null }>(
        '/api/v1/suppressions',
        {
          reason: reason ?? undefined,
          before: pageParam,
          limit: 50,
        },
      ),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next ?? undefined,
  });
}

export function useSuppress() {
  const api = useApi();
  const qc = useQueryClient();
  const key = useWorkspaceKey('suppressions');
  return useMutation({
    mutationFn: (input: { email: string; note?: string }) =>
      api.post<{ suppression: Suppression; created: boolean }>('/api/v1/suppressions', input),
    onSuccess: () => qc.invalidateQueries({ queryKey: key }),
  });
}

export function useLookupSuppression() {
  const api = useApi();
  return useMutation({
    mutationFn: (email: string) =>
      api.post<{ suppression: Suppression | null }>('/api/v1/suppressions/lookup', { email }),
  });
}

export function useUnsuppress() {
  const api = useApi();
  const qc = useQueryClient();
  const key = useWorkspaceKey('suppressions');
  return useMutation({
    mutationFn: (hash: string) => api.delete(`/api/v1/suppressions/${hash}`),
    onSuccess: () => qc.invalidateQueries({ queryKey: key }),
  });
}
