import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '../api/context.js';
import { useWorkspaceKey } from '../workspace/current-workspace.js';

/* Types and react-query hooks for /api/v1/journeys. */

export interface JourneySummary {
  id: string;
  name: string;
  status: 'draft' | 'active' | 'paused' | 'archived';
  liveVersion: number | null;
  triggerType: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface JourneyStep {
  id: string;
  type: string;
  label?: string;
  position?: { x: number; y: number };
  next?: string | null;
  yes?: string | null;
  no?: string | null;
  timeoutNext?: string | null;
}

export interface JourneyDefinition {
  trigger: { type: string };
  startStepId: string;
  steps: JourneyStep[];
}

export interface StepCounter {
  stepId: string;
  entered: number;
  completed: number;
  waiting: number;
  active: number;
  exited: number;
  goal: number;
  conversion: number | null;
}

export interface JourneyStats {
  totals: { entered: number; inside: number; completed: number; exited: number; goal: number };
  steps: StepCounter[];
}

export interface SimulationEntry {
  at: string;
  stepId: string | null;
  kind: string;
  detail: Record<string, unknown>;
}

export function useJourneys() {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('journeys'),
    queryFn: async () => (await api.get<{ items: JourneySummary[] }>('/api/v1/journeys')).items,
  });
}

export function useJourney(id: string) {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('journeys', id),
    queryFn: () =>
      api.get<{ journey: JourneySummary; draft: JourneyDefinition; live: JourneyDefinition | null }>(
        `/api/v1/journeys/${encodeURIComponent(id)}`,
      ),
  });
}

/** Per-step numbers, refreshed every few seconds while the page is open (live). */
export function useJourneyStats(id: string) {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('journeys', id, 'stats'),
    queryFn: () => api.get<JourneyStats>(`/api/v1/journeys/${encodeURIComponent(id)}/stats`),
    refetchInterval: 5000,
  });
}

export function useJourneyAction(id: string) {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (action: 'activate' | 'pause' | 'resume') =>
      api.post<{ journey: JourneySummary }>(`/api/v1/journeys/${encodeURIComponent(id)}/${action}`),
    onSuccess: () => qc.invalidateQueries(),
  });
}

export function useCreateJourney() {
  const api = useApi();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => api.post<{ journey: JourneySummary }>('/api/v1/journeys', { name }),
    onSuccess: () => qc.invalidateQueries(),
  });
}

export function useSimulation(id: string) {
  const api = useApi();
  return useMutation({
    mutationFn: (input: {
      contactId: string;
      days: number;
      activities?: { afterHours: number; type: string }[];
    }) =>
      api.post<{ outcome: string; finalStepId: string | null; entries: SimulationEntry[] }>(
        `/api/v1/journeys/${encodeURIComponent(id)}/simulate`,
        input,
      ),
  });
}

/** A contact inside the journey, at a step (`GET /api/v1/journeys/:id/enrollments?stepId=`). */
export interface StepContact {
  id: string;
  contactId: string;
  email: string;
  status: string;
  stepId: string | null;
  enteredAt: string;
  waitUntil: string | null;
}

/** Who is at a step now (the newest 200 first), refreshed with the numbers (live). */
export function useStepContacts(id: string, stepId: string | null) {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('journeys', id, 'at-step', stepId ?? ''),
    queryFn: async () =>
      (
        await api.get<{ items: StepContact[] }>(
          `/api/v1/journeys/${encodeURIComponent(id)}/enrollments?stepId=${encodeURIComponent(stepId ?? '')}`,
        )
      ).items,
    enabled: stepId !== null,
    refetchInterval: 5000,
  });
}
