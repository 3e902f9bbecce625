import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ApiClient, ApiError } from '../api/client.js';
import { useApi } from '../api/context.js';
import type { Session } from '../api/types.js';

export const SESSION_KEY = ['session'] as const;

/** The signed-in user, their workspaces and the CSRF token; `null` when nobody is signed in. */
export function useSession() {
  const api = useApi();
  return useQuery({
    queryKey: SESSION_KEY,
    queryFn: () => fetchSession(api),
    staleTime: Number.POSITIVE_INFINITY,
    retry: false,
  });
}

/** The session of a page that is only shown to signed-in users. */
export function useSignedInSession(): Session {
  const { data } = useSession();
  if (!data) throw new Error('useSignedInSession used outside a signed-in page');
  return data;
}

async function fetchSession(api: ApiClient): Promise<Session | null> {
  try {
    const session = await api.get<Session>('/api/v1/auth/session');
    api.state.csrfToken = session.csrfToken;
    return session;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      api.state.csrfToken = null;
      return null;
    }
    throw error;
  }
}

export interface Credentials {
  email: string;
  password: string;
}

export function useLogin() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (credentials: Credentials) => api.post<Session>('/api/v1/auth/login', credentials),
    onSuccess: (session) => {
      // Nothing cached for a previous user may leak into this session.
      queryClient.clear();
      api.state.csrfToken = session.csrfToken;
      queryClient.setQueryData(SESSION_KEY, session);
    },
  });
}

export function useLogout() {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async () => {
      try {
        await api.post('/api/v1/auth/logout');
      } catch (error) {
        // An expired session is as good as a logged-out one.
        if (!(error instanceof ApiError && error.status === 401)) throw error;
      }
    },
    onSuccess: () => {
      api.state.csrfToken = null;
      queryClient.clear();
      queryClient.setQueryData(SESSION_KEY, null);
    },
  });
}
