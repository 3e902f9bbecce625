import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '../api/context.js';
import { useCurrentWorkspace, useWorkspaceKey } from '../workspace/current-workspace.js';

/* Types and react-query hooks for /api/v1/scoring. */

/**
 * Whether the user may change rules and settings (`scoring:write`: the admin and marketing roles,
 * src/shared/permissions.ts); everybody else sees the Scoring page read-only.
 */
export function useCanWriteScoring(): boolean {
  const { role, canManage } = useCurrentWorkspace();
  return canManage || role === 'marketing';
}

export interface Contribution {
  ruleId: string;
  rule: string;
  activityId?: string;
  points: number;
  at?: string;
  decayed?: number;
  capped?: number;
}

export interface TemperatureReason {
  code: 'warm-signal' | 'returning' | 'incentive-only' | 'no-interest' | 'hot-bant' | 'hot-fit';
  rule?: string;
  at?: string;
  days?: number;
  windowDays?: number;
  fit?: number;
  min?: number;
}

export interface BantAnswers {
  need?: { exists: boolean; project?: string; when?: string };
  budget?: { exists: boolean; range?: string };
  authority?: { role: 'decision_maker' | 'influencer' | 'user' | 'unknown' };
  timeline?: { when: string };
}

export interface BantState {
  answers: BantAnswers;
  meta: Record<
    string,
    { source: string; sourceRef: string | null; answeredAt: string; answeredBy: string | null }
  >;
  qualified: boolean;
}

export interface ScoreExplanation {
  contactId: string;
  stage: string;
  halfLifeDays: number;
  fit: { score: number; contributions: Contribution[] };
  engagement: { score: number; contributions: Contribution[] };
  temperature: { temperature: 'cold' | 'warm' | 'hot'; reasons: TemperatureReason[] };
  history: { at: string; fit: number; engagement: number }[];
  bant: BantState;
  stages: {
    moves: {
      from: string | null;
      to: string;
      at: string;
      /** `rule:mql`, `user:<id>`, `api`, `import`, `journey:<id>` … (shown through stageCauseLabel). */
      cause: string;
      /** The name behind the cause's id (user, API key, journey), when the server knows it. */
      by: string | null;
      note: string | null;
    }[];
    timeInStageMs: Record<string, number>;
  };
}

export interface ScoringRule {
  id: string;
  kind: 'fit' | 'engagement';
  name: string;
  points: number;
  enabled: boolean;
  definition: Record<string, unknown>;
  updatedAt: string;
}

export interface MqlRule {
  fitMin: number | null;
  engagementMin: number | null;
  handRaiser: boolean;
  fromStages: string[];
}

export interface ScoringSettings {
  stageLabels: Record<string, { de?: string; en?: string }>;
  transitions: Record<string, string[]> | null;
  halfLifeDays: number;
  engagedMin: number | null;
  mql: MqlRule;
  temperature: { returnDays: number; returnWindowDays: number; hotFitMin: number | null };
}

export interface RecomputeProgress {
  id: string | null;
  state: string;
  total: number;
  done: number;
}

export function useScoreExplanation(contactId: string) {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('scoring', 'contact', contactId),
    queryFn: () => api.get<ScoreExplanation>(`/api/v1/scoring/contacts/${encodeURIComponent(contactId)}`),
  });
}

export function useSaveBant(contactId: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (answers: BantAnswers) =>
      api.request<BantState>('PUT', `/api/v1/scoring/contacts/${encodeURIComponent(contactId)}/bant`, {
        body: { answers, source: 'sales_call' },
      }),
    // Query keys start with the workspace (useWorkspaceKey): match on the 'scoring' part.
    onSuccess: () => qc.invalidateQueries({ predicate: (q) => q.queryKey.includes('scoring') }),
  });
}

export function useScoringRules() {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('scoring', 'rules'),
    queryFn: () => api.get<{ items: ScoringRule[] }>('/api/v1/scoring/rules'),
  });
}

export function useScoringSettings() {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('scoring', 'settings'),
    queryFn: () => api.get<ScoringSettings>('/api/v1/scoring/settings'),
  });
}

export function useRecomputeProgress() {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('scoring', 'recompute'),
    queryFn: () => api.get<RecomputeProgress>('/api/v1/scoring/recompute'),
    refetchInterval: (q) => (q.state.data?.state === 'running' ? 1000 : false),
  });
}

/** Invalidates everything of scoring after a change (rules, settings, progress). */
export function useInvalidateScoring() {
  const qc = useQueryClient();
  return () => qc.invalidateQueries({ predicate: (q) => q.queryKey.includes('scoring') });
}

export interface CompanyScore {
  companyId: string;
  contacts: number;
  fitMax: number;
  engagementSum: number;
  engagementMax: number;
  temperature: 'cold' | 'warm' | 'hot';
  top: { id: string; email: string; fit: number; engagement: number; temperature: string | null }[];
}

export function useCompanyScore(companyId: string) {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('scoring', 'company', companyId),
    queryFn: () => api.get<CompanyScore>(`/api/v1/scoring/companies/${encodeURIComponent(companyId)}`),
  });
}
