import { describe, expect, it } from 'vitest';
import { PERMISSIONS, ROLE_PERMISSIONS } from './permissions.js';

describe('roles', () => {
  it('gives admins everything and viewers only reading (not the audit trail)', () => {
    expect([...ROLE_PERMISSIONS.admin].sort()).toEqual([...PERMISSIONS].sort());
    expect([...ROLE_PERMISSIONS.viewer].every((p) => p.endsWith(':read'))).toBe(true);
    expect(ROLE_PERMISSIONS.viewer.has('audit:read')).toBe(false);
  });

  it('lets marketing build campaigns, sales work leads, and the DPO manage privacy', () => {
    expect(ROLE_PERMISSIONS.marketing.has('forms:write')).toBe(true);
    expect(ROLE_PERMISSIONS.marketing.has('members:manage')).toBe(false);
    expect(ROLE_PERMISSIONS.sales.has('sales:write')).toBe(true);
    expect(ROLE_PERMISSIONS.sales.has('mail:write')).toBe(false);
    expect(ROLE_PERMISSIONS.dpo.has('privacy:manage')).toBe(true);
    expect(ROLE_PERMISSIONS.dpo.has('audit:read')).toBe(true);
    expect(ROLE_PERMISSIONS.dpo.has('contacts:write')).toBe(false);
  });
});
