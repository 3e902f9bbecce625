import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '../api/context.js';
import { useWorkspaceKey } from '../workspace/current-workspace.js';

/* The segment definition (the same tree the server checks in segment-definition.ts) and its hooks. */

export type ValueKind = 'text' | 'number' | 'date' | 'choice' | 'list' | 'boolean';
export type SegmentValue = string | number | boolean | (string | number)[] | null | undefined;

export const OPERATORS_BY_KIND: Record<ValueKind, readonly string[]> = {
  text: [
    'eq',
    'neq',
    'contains',
    'not_contains',
    'starts_with',
    'ends_with',
    'in',
    'not_in',
    'is_empty',
    'is_not_empty',
  ],
  number: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between', 'is_empty', 'is_not_empty'],
  date: [
    'before',
    'after',
    'on',
    'between',
    'within_last_days',
    'more_than_days_ago',
    'is_empty',
    'is_not_empty',
  ],
  choice: ['eq', 'neq', 'in', 'not_in', 'is_empty', 'is_not_empty'],
  list: ['contains_any', 'contains_all', 'contains_none', 'is_empty', 'is_not_empty'],
  boolean: ['is_true', 'is_false', 'is_empty', 'is_not_empty'],
};

export const CONTACT_FIELDS: Record<string, ValueKind> = {
  email: 'text',
  email_domain: 'text',
  first_name: 'text',
  last_name: 'text',
  company_name: 'text',
  job_title: 'text',
  phone: 'text',
  city: 'text',
  country: 'choice',
  locale: 'choice',
  lifecycle_stage: 'choice',
  owner_user_id: 'choice',
  source_channel: 'choice',
  tags: 'list',
  created_at: 'date',
  updated_at: 'date',
  reconfirm_requested_at: 'date',
  quality_score: 'number',
};

export const COMPANY_FIELDS: Record<string, ValueKind> = {
  name: 'text',
  domain: 'text',
  industry: 'text',
  size: 'choice',
  country: 'choice',
  city: 'text',
  website: 'text',
};

export const CONSENT_STATES = [
  'confirmed',
  'pending',
  'withdrawn',
  'expired',
  'none',
  'not_confirmed',
] as const;

export const QUALITY_REASONS = [
  'email_syntax_invalid',
  'domain_no_mx',
  'domain_null_mx',
  'domain_not_found',
  'disposable_domain',
  'freemail_domain',
  'role_address',
  'missing_field',
  'stale_field',
] as const;

export interface FieldCondition {
  kind: 'field';
  field: string;
  operator: string;
  value?: SegmentValue;
}
export interface CustomCondition {
  kind: 'custom';
  key: string;
  operator: string;
  value?: SegmentValue;
}
export interface CompanyCondition {
  kind: 'company';
  field: string;
  operator: string;
  value?: SegmentValue;
}
export interface ConsentCondition {
  kind: 'consent';
  purpose: string;
  status: (typeof CONSENT_STATES)[number];
}
export interface ActivityCondition {
  kind: 'activity';
  type: string;
  ref?: string;
  withinDays?: number;
  from?: string;
  to?: string;
  minCount?: number;
  negate?: boolean;
}
export interface QualityCondition {
  kind: 'quality';
  reason: string;
  negate?: boolean;
}
/** Scores kept by the scoring module; a contact without scores counts as fit 0, engagement 0, cold. */
export const SCORE_FIELDS = { fit: 'number', engagement: 'number', temperature: 'choice' } as const;
export type ScoreField = keyof typeof SCORE_FIELDS;
export const SCORE_OPERATORS: Record<'number' | 'choice', readonly string[]> = {
  number: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'between'],
  choice: ['eq', 'neq', 'in', 'not_in'],
};
export const TEMPERATURES = ['cold', 'warm', 'hot'] as const;
export interface ScoreCondition {
  kind: 'score';
  score: ScoreField;
  operator: string;
  value?: SegmentValue;
}
export interface SegmentRefCondition {
  kind: 'segment';
  segmentId: string;
  negate?: boolean;
}
export type Condition =
  | FieldCondition
  | CustomCondition
  | CompanyCondition
  | ConsentCondition
  | ActivityCondition
  | QualityCondition
  | ScoreCondition
  | SegmentRefCondition;
export interface Group {
  kind: 'group';
  op: 'and' | 'or';
  negate?: boolean;
  children: (Group | Condition)[];
}
export type SegmentNode = Group | Condition;

export const emptyGroup = (): Group => ({ kind: 'group', op: 'and', children: [] });

export interface Segment {
  id: string;
  name: string;
  description: string | null;
  definition: Group;
  count?: number;
  createdAt: string;
  updatedAt: string;
}

export function useSegments() {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('segments'),
    queryFn: async () => (await api.get<{ items: Segment[] }>('/api/v1/segments')).items,
  });
}

export function useSegment(id: string | undefined) {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('segments', id),
    queryFn: async () =>
      (await api.get<{ segment: Segment }>(`/api/v1/segments/${encodeURIComponent(id ?? '')}`)).segment,
    enabled: Boolean(id),
  });
}

function useInvalidate() {
  const queryClient = useQueryClient();
  const key = useWorkspaceKey();
  return () => queryClient.invalidateQueries({ queryKey: key });
}

export function useSaveSegment(id: string | undefined) {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: async (body: { name: string; description: string | null; definition: Group }) =>
      id
        ? (await api.patch<{ segment: Segment }>(`/api/v1/segments/${encodeURIComponent(id)}`, body)).segment
        : (await api.post<{ segment: Segment }>('/api/v1/segments', body)).segment,
    onSuccess: invalidate,
  });
}

export function useDeleteSegment() {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (id: string) => api.delete(`/api/v1/segments/${encodeURIComponent(id)}`),
    onSuccess: invalidate,
  });
}
