import type { Role } from './db/schema.js';

/**
 * What a role may do. Routes name one permission each (see the route tables in the modules);
 * API keys carry a subset of these as scopes. The table is the single source of truth.
 */
export const PERMISSIONS = [
  'workspace:read',
  'workspace:manage',
  'members:manage',
  'apikeys:manage',
  'audit:read',
  'jobs:read',
  'jobs:manage',
  'contacts:read',
  'contacts:write',
  'forms:read',
  'forms:write',
  'mail:read',
  'mail:write',
  'journeys:read',
  'journeys:write',
  'consent:read',
  'privacy:manage',
  'sales:read',
  'sales:write',
  'scoring:read',
  'scoring:write',
  'reports:read',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLES: readonly Role[] = ['admin', 'marketing', 'sales', 'dpo', 'viewer'];

const READ: Permission[] = PERMISSIONS.filter((p) => p.endsWith(':read') && p !== 'audit:read');

export const ROLE_PERMISSIONS: Record<Role, ReadonlySet<Permission>> = {
  admin: new Set(PERMISSIONS),
  marketing: new Set<Permission>([
    ...READ,
    'contacts:write',
    'forms:write',
    'mail:write',
    'journeys:write',
    'scoring:write',
  ]),
  sales: new Set<Permission>([...READ, 'contacts:write', 'sales:write']),
  dpo: new Set<Permission>([...READ, 'audit:read', 'privacy:manage']),
  viewer: new Set<Permission>(READ),
};

export function isPermission(value: string): value is Permission {
  return (PERMISSIONS as readonly string[]).includes(value);
}
