import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '../api/context.js';
import type { Items, Member, Role } from '../api/types.js';
import { useWorkspaceKey } from '../workspace/current-workspace.js';

export interface NewMember {
  email: string;
  name: string;
  role: Role;
  password: string;
}

export function useMembers() {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('members'),
    queryFn: async () => (await api.get<Items<Member>>('/api/v1/members')).items,
  });
}

function useInvalidateMembers() {
  const queryClient = useQueryClient();
  const key = useWorkspaceKey('members');
  return () => queryClient.invalidateQueries({ queryKey: key });
}

export function useAddMember() {
  const api = useApi();
  const invalidate = useInvalidateMembers();
  return useMutation({
    mutationFn: async (body: NewMember) =>
      (await api.post<{ member: Member }>('/api/v1/members', body)).member,
    onSuccess: invalidate,
  });
}

export function useChangeRole() {
  const api = useApi();
  const invalidate = useInvalidateMembers();
  return useMutation({
    mutationFn: async ({ userId, role }: { userId: string; role: Role }) =>
      (await api.patch<{ member: Member }>(`/api/v1/members/${encodeURIComponent(userId)}`, { role })).member,
    onSettled: invalidate,
  });
}

export function useRemoveMember() {
  const api = useApi();
  const invalidate = useInvalidateMembers();
  return useMutation({
    mutationFn: (userId: string) => api.delete(`/api/v1/members/${encodeURIComponent(userId)}`),
    onSuccess: invalidate,
  });
}
