import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '../api/context.js';
import { useWorkspaceKey } from '../workspace/current-workspace.js';

export type LeadStatus = 'unassigned' | 'assigned' | 'accepted' | 'rejected' | 'converted';
export type InboxView = 'mine' | 'unassigned' | 'all';
export const REJECT_REASONS = [
  'not_a_fit',
  'no_budget',
  'no_project',
  'bad_data',
  'already_customer',
  'competitor',
  'other',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];
export type WorkingHours = Record<string, [string, string][]>;

export interface LeadSummary {
  who: { name: string | null; email: string; jobTitle: string | null; phone: string | null };
  company: { name: string | null; industry: string | null; size: string | null; country: string | null };
  scores: Record<string, unknown> | null;
  bant: Record<string, unknown> | null;
  lastInteractions: { type: string; occurredAt: string; ref: string | null }[];
  sourceChannel: string | null;
  consents: { purpose: string; given: boolean }[];
}

export interface Lead {
  id: string;
  contactId: string;
  status: LeadStatus;
  stage: string;
  assignedUserId: string | null;
  assignedName: string | null;
  routedBy: string | null;
  slaDueAt: string | null;
  remindedAt: string | null;
  escalatedAt: string | null;
  acceptedAt: string | null;
  rejectedAt: string | null;
  rejectReason: RejectReason | null;
  rejectOutcome: 'recycled' | 'disqualified' | null;
  convertedAt: string | null;
  createdAt: string;
  summary: LeadSummary;
}

export interface Rep {
  userId: string;
  name: string;
  email: string;
  role: string;
  rep: {
    active: boolean;
    isManager: boolean;
    weight: number;
    capacity: number | null;
    timezone: string;
    workingHours: WorkingHours;
    openLeads: number;
    absences: { id: string; startsAt: string; endsAt: string; note: string | null }[];
  } | null;
}

export interface Territory {
  id: string;
  name: string;
  priority: number;
  countries: string[];
  postcodeRanges: { from: string; to: string }[];
  industries: string[];
  companySizes: string[];
  userIds: string[];
}

export interface SalesSettings {
  slaMinutes: number;
  reminderMinutes: number;
  escalation: 'reassign' | 'notify_manager';
  timezone: string;
  workingHours: WorkingHours;
  webhookUrl: string | null;
  webhookSecretSet: boolean;
}

export interface AppNotification {
  id: string;
  kind: string;
  data: { leadId?: string; who?: string };
  readAt: string | null;
  createdAt: string;
}

function useInvalidateSales() {
  const queryClient = useQueryClient();
  const key = useWorkspaceKey('sales');
  return () => queryClient.invalidateQueries({ queryKey: key });
}

export function useLeads(view: InboxView) {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('sales', 'leads', view),
    queryFn: () => api.get<{ items: Lead[]; manager: boolean }>('/api/v1/sales/leads', { view }),
  });
}

export function useLeadAction() {
  const api = useApi();
  const invalidate = useInvalidateSales();
  return useMutation({
    mutationFn: ({
      leadId,
      action,
      body,
    }: {
      leadId: string;
      action: 'accept' | 'reject' | 'convert' | 'assign';
      body?: unknown;
    }) => api.post(`/api/v1/sales/leads/${encodeURIComponent(leadId)}/${action}`, body ?? {}),
    onSettled: invalidate,
  });
}

export function useReps() {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('sales', 'reps'),
    queryFn: () => api.get<{ items: Rep[]; manager: boolean }>('/api/v1/sales/reps'),
  });
}

export function useSaveRep() {
  const api = useApi();
  const invalidate = useInvalidateSales();
  return useMutation({
    mutationFn: ({
      userId,
      body,
    }: {
      userId: string;
      body: Omit<NonNullable<Rep['rep']>, 'openLeads' | 'absences'>;
    }) => api.request('PUT', `/api/v1/sales/reps/${encodeURIComponent(userId)}`, { body }),
    onSettled: invalidate,
  });
}

export function useAddAbsence() {
  const api = useApi();
  const invalidate = useInvalidateSales();
  return useMutation({
    mutationFn: ({
      userId,
      body,
    }: {
      userId: string;
      body: { startsAt: string; endsAt: string; note?: string };
    }) => api.post(`/api/v1/sales/reps/${encodeURIComponent(userId)}/absences`, body),
    onSettled: invalidate,
  });
}

export function useRemoveAbsence() {
  const api = useApi();
  const invalidate = useInvalidateSales();
  return useMutation({
    mutationFn: ({ userId, id }: { userId: string; id: string }) =>
      api.delete(`/api/v1/sales/reps/${encodeURIComponent(userId)}/absences/${encodeURIComponent(id)}`),
    onSettled: invalidate,
  });
}

export function useTerritories() {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('sales', 'territories'),
    queryFn: async () => (await api.get<{ items: Territory[] }>('/api/v1/sales/territories')).items,
  });
}

export function useSaveTerritory() {
  const api = useApi();
  const invalidate = useInvalidateSales();
  return useMutation({
    mutationFn: ({ id, body }: { id: string | null; body: Omit<Territory, 'id'> }) =>
      id
        ? api.request('PUT', `/api/v1/sales/territories/${encodeURIComponent(id)}`, { body })
        : api.post('/api/v1/sales/territories', body),
    onSettled: invalidate,
  });
}

export function useDeleteTerritory() {
  const api = useApi();
  const invalidate = useInvalidateSales();
  return useMutation({
    mutationFn: (id: string) => api.delete(`/api/v1/sales/territories/${encodeURIComponent(id)}`),
    onSettled: invalidate,
  });
}

export function useSalesSettings() {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('sales', 'settings'),
    queryFn: () => api.get<SalesSettings>('/api/v1/sales/settings'),
  });
}

export function useSaveSalesSettings() {
  const api = useApi();
  const invalidate = useInvalidateSales();
  return useMutation({
    mutationFn: (body: Partial<Omit<SalesSettings, 'webhookSecretSet'>>) =>
      api.request<SalesSettings>('PUT', '/api/v1/sales/settings', { body }),
    onSettled: invalidate,
  });
}

export function useRotateWebhookSecret() {
  const api = useApi();
  return useMutation({
    mutationFn: () => api.post<{ secret: string }>('/api/v1/sales/settings/webhook-secret'),
  });
}

/** My in-app notifications; `pollMs` refreshes them (the header's bell). */
export function useNotifications(pollMs?: number) {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('sales', 'notifications'),
    queryFn: () => api.get<{ unread: number; items: AppNotification[] }>('/api/v1/notifications'),
    ...(pollMs ? { refetchInterval: pollMs } : {}),
  });
}

export function useMarkRead() {
  const api = useApi();
  const invalidate = useInvalidateSales();
  return useMutation({
    mutationFn: (id?: string) => api.post('/api/v1/notifications/read', id ? { id } : {}),
    onSettled: invalidate,
  });
}

export interface RejectReasonRow {
  reason: string | null;
  outcome: string | null;
  count: number;
}

export function useRejectReasonReport() {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('sales', 'reports', 'reject-reasons'),
    queryFn: () => api.get<{ items: RejectReasonRow[] }>('/api/v1/sales/reports/reject-reasons'),
  });
}

export interface StageTimeRow {
  stage: string;
  stays: number;
  current: number;
  averageSeconds: number;
  medianSeconds: number;
}

/** How long contacts stay in each lifecycle stage (scoring's stage history). */
export function useStageTimeReport() {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('scoring', 'reports', 'stage-times'),
    queryFn: () => api.get<{ items: StageTimeRow[] }>('/api/v1/scoring/reports/stage-times'),
  });
}
