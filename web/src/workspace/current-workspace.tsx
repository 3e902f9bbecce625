import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from 'react';
import { useApi } from '../api/context.js';
import type { Items, Role, WorkspaceMembership } from '../api/types.js';
import { useSignedInSession } from '../auth/session.js';

export const WORKSPACE_STORAGE_KEY = 'leadwerk.workspaceId';
export const WORKSPACES_KEY = ['workspaces'] as const;

interface CurrentWorkspace {
  /** The chosen workspace, or null when the user belongs to none. */
  workspace: WorkspaceMembership | null;
  workspaces: WorkspaceMembership[];
  role: Role | null;
  /** Admins of the workspace and superadmins manage members, keys and settings. */
  canManage: boolean;
  isSuperadmin: boolean;
  selectWorkspace: (id: string) => void;
}

const WorkspaceContext = createContext<CurrentWorkspace | null>(null);

function readStoredId(): string | null {
  try {
    return window.localStorage.getItem(WORKSPACE_STORAGE_KEY);
  } catch {
    return null;
  }
}

function storeId(id: string): void {
  try {
    window.localStorage.setItem(WORKSPACE_STORAGE_KEY, id);
  } catch {
    // The choice then lasts for this page only.
  }
}

/** The user's workspaces; the list from the session is shown at once and refreshed from the server. */
export function useWorkspaces() {
  const api = useApi();
  const session = useSignedInSession();
  return useQuery({
    queryKey: WORKSPACES_KEY,
    queryFn: async () =>
      (await api.request<Items<WorkspaceMembership>>('GET', '/api/v1/workspaces', { withoutWorkspace: true }))
        .items,
    initialData: session.workspaces,
    initialDataUpdatedAt: 0,
  });
}

export function WorkspaceProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  const session = useSignedInSession();
  const queryClient = useQueryClient();
  const { data: workspaces } = useWorkspaces();
  const [chosenId, setChosenId] = useState<string | null>(readStoredId);

  const workspace = workspaces.find((w) => w.id === chosenId) ?? workspaces[0] ?? null;
  // Set while rendering, not in an effect: the first queries of the children already need the header.
  api.state.workspaceId = workspace?.id ?? null;

  const selectWorkspace = useCallback(
    (id: string) => {
      storeId(id);
      setChosenId(id);
      // Queries are keyed by workspace id; dropping the old ones frees memory and stale permissions.
      queryClient.removeQueries({ predicate: (q) => q.queryKey[0] === 'ws' && q.queryKey[1] !== id });
    },
    [queryClient],
  );

  const value = useMemo<CurrentWorkspace>(() => {
    const role = workspace?.role ?? null;
    return {
      workspace,
      workspaces,
      role,
      canManage: role === 'admin' || session.user.isSuperadmin,
      isSuperadmin: session.user.isSuperadmin,
      selectWorkspace,
    };
  }, [workspace, workspaces, session.user.isSuperadmin, selectWorkspace]);

  return <WorkspaceContext.Provider value={value}>{children}</WorkspaceContext.Provider>;
}

export function useCurrentWorkspace(): CurrentWorkspace {
  const value = useContext(WorkspaceContext);
  if (!value) throw new Error('useCurrentWorkspace must be used inside <WorkspaceProvider>');
  return value;
}

/** Query key for data that belongs to the current workspace, so that switching refetches it. */
export function useWorkspaceKey(...parts: unknown[]): unknown[] {
  const { workspace } = useCurrentWorkspace();
  return ['ws', workspace?.id ?? 'none', ...parts];
}
