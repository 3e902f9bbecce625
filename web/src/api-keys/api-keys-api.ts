import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '../api/context.js';
import type { ApiKey, Items } from '../api/types.js';
import { useWorkspaceKey } from '../workspace/current-workspace.js';

export function useApiKeys() {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('api-keys'),
    queryFn: async () => (await api.get<Items<ApiKey>>('/api/v1/api-keys')).items,
  });
}

/** The scopes the current user may grant to a key. */
export function usePermissions(enabled: boolean) {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('permissions'),
    queryFn: async () => (await api.get<Items<string>>('/api/v1/permissions')).items,
    enabled,
    staleTime: 5 * 60_000,
  });
}

export function useCreateApiKey() {
  const api = useApi();
  const queryClient = useQueryClient();
  const key = useWorkspaceKey('api-keys');
  return useMutation({
    mutationFn: (body: { name: string; scopes: string[] }) =>
      api.post<{ apiKey: ApiKey; key: string }>('/api/v1/api-keys', body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: key }),
  });
}

export function useRevokeApiKey() {
  const api = useApi();
  const queryClient = useQueryClient();
  const key = useWorkspaceKey('api-keys');
  return useMutation({
    mutationFn: (id: string) => api.delete(`/api/v1/api-keys/${encodeURIComponent(id)}`),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: key }),
  });
}
