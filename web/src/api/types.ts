/** The shapes the server sends; kept in one place so that every page reads the same contract. */

export type Locale = 'de' | 'en';
export type Role = 'admin' | 'marketing' | 'sales' | 'dpo' | 'viewer';
export const ROLES: readonly Role[] = ['admin', 'marketing', 'sales', 'dpo', 'viewer'];

export interface User {
  id: string;
  email: string;
  name: string;
  /** null until the user picks a language. */
  locale: Locale | null;
  isSuperadmin: boolean;
}

export interface WorkspaceMembership {
  id: string;
  name: string;
  slug: string;
  role: Role;
  defaultLocale: Locale;
}

export interface Session {
  user: User;
  workspaces: WorkspaceMembership[];
  csrfToken: string;
}

export interface Workspace {
  id: string;
  name: string;
  slug: string;
  defaultLocale: Locale;
  createdAt?: string;
  /** Days after which a field or consent confirmation counts as stale (quality, re-permission). */
  staleAfterDays?: number;
}

export interface Member {
  userId: string;
  email: string;
  name: string;
  role: Role;
  createdAt: string;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface AuditEntry {
  id: string;
  actorLabel: string;
  action: string;
  targetType: string | null;
  targetId: string | null;
  details: Record<string, unknown>;
  ip: string | null;
  createdAt: string;
}

export interface JobCount {
  lane: string;
  state: string;
  count: number;
}

export interface Job {
  id: string;
  name: string;
  lane: string;
  state: string;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  runAt: string;
  updatedAt: string;
}

export interface Items<T> {
  items: T[];
}
