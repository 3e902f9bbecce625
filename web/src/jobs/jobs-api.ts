import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '../api/context.js';
import type { Items, Job, JobCount } from '../api/types.js';
import { useWorkspaceKey } from '../workspace/current-workspace.js';

export function useJobsSummary() {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('jobs', 'summary'),
    queryFn: async () => (await api.get<{ counts: JobCount[] }>('/api/v1/jobs/summary')).counts,
    refetchInterval: 15_000,
  });
}

export function useDeadJobs() {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('jobs', 'dead'),
    queryFn: async () => (await api.get<Items<Job>>('/api/v1/jobs', { state: 'dead', limit: 50 })).items,
    refetchInterval: 15_000,
  });
}

/** Retry or delete a dead job; both refresh the counts and the dead-letter list. */
export function useJobAction(action: 'retry' | 'delete') {
  const api = useApi();
  const queryClient = useQueryClient();
  const jobsKey = useWorkspaceKey('jobs');
  return useMutation({
    mutationFn: (id: string) =>
      action === 'retry'
        ? api.post(`/api/v1/jobs/${encodeURIComponent(id)}/retry`)
        : api.delete(`/api/v1/jobs/${encodeURIComponent(id)}`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: jobsKey }),
  });
}

/** Sums the counts of one state over all lanes. */
export function countInState(counts: JobCount[] | undefined, state: string): number {
  return (counts ?? []).filter((c) => c.state === state).reduce((sum, c) => sum + c.count, 0);
}
