import {
  keepPreviousData,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
} from '@tanstack/react-query';
import { useApi } from '../api/context.js';
import type { Contact } from '../contacts/contacts-api.js';
import { useWorkspaceKey } from '../workspace/current-workspace.js';

export interface Company {
  id: string;
  name: string;
  domains: string[];
  website: string | null;
  industry: string | null;
  size: string | null;
  country: string | null;
  city: string | null;
  phone: string | null;
  description: string | null;
  customFields: Record<string, unknown>;
  contactCount?: number;
  createdAt: string;
  updatedAt: string;
}

export interface CompanyDetail {
  company: Company;
  contacts: Contact[];
  nextCursor: string | null;
  rollup: {
    stages: Record<string, number>;
    activityByType: Record<string, number>;
    lastActivityAt: string | null;
  };
}

export type CompanyWrite = Partial<Omit<Company, 'id' | 'contactCount' | 'createdAt' | 'updatedAt'>>;

/** Companies by name, 50 at a time (keyset paging); "load more" appends the next page. */
export function useCompanies(q: string) {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: useWorkspaceKey('companies', 'list', q),
    initialPageParam: null as string | null,
    queryFn: ({ pageParam }) =>
      api.get<{ items: Company[]; nextCursor: string | null }>('/api/v1/companies', {
        q: q.trim() || undefined,
        cursor: pageParam ?? undefined,
        limit: 50,
      }),
    getNextPageParam: (last) => last.nextCursor,
    placeholderData: keepPreviousData,
  });
}

export function useCompany(id: string) {
  const api = useApi();
  return useQuery({
    queryKey: useWorkspaceKey('companies', 'one', id),
    queryFn: () => api.get<CompanyDetail>(`/api/v1/companies/${encodeURIComponent(id)}`),
  });
}

/** Further pages of a company's contacts (the first page comes with the company). */
export function useCompanyContacts(id: string, first: CompanyDetail | undefined) {
  const api = useApi();
  return useInfiniteQuery({
    queryKey: useWorkspaceKey('companies', 'contacts', id, first?.nextCursor ?? null),
    initialPageParam: first?.nextCursor ?? null,
    queryFn: async ({ pageParam }) => {
      const r = await api.get<CompanyDetail>(`/api/v1/companies/${encodeURIComponent(id)}`, {
        cursor: pageParam ?? undefined,
      });
      return { items: r.contacts, nextCursor: r.nextCursor };
    },
    getNextPageParam: (last) => last.nextCursor,
    enabled: false,
  });
}

function useInvalidate() {
  const queryClient = useQueryClient();
  const key = useWorkspaceKey();
  return () => queryClient.invalidateQueries({ queryKey: key });
}

export function useSaveCompany(id: string | undefined) {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: async (body: CompanyWrite) =>
      id
        ? (await api.patch<{ company: Company }>(`/api/v1/companies/${encodeURIComponent(id)}`, body)).company
        : (await api.post<{ company: Company }>('/api/v1/companies', body)).company,
    onSuccess: invalidate,
  });
}

export function useDeleteCompany() {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (id: string) => api.delete(`/api/v1/companies/${encodeURIComponent(id)}`),
    onSuccess: invalidate,
  });
}

export function useMergeCompany(id: string) {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: async (otherId: string) =>
      (await api.post<{ company: Company }>(`/api/v1/companies/${encodeURIComponent(id)}/merge`, { otherId }))
        .company,
    onSuccess: invalidate,
  });
}
