import { userActor } from '../../shared/actor.js';
import { randomToken } from '../../shared/crypto.js';
import type { Role } from '../../shared/db/schema.js';
import { AppError } from '../../shared/errors.js';
import type { DemoContext } from '../../shared/module.js';
import type { Permission } from '../../shared/permissions.js';
import { createApiKey, revokeApiKey } from './api-keys.service.js';
import { addMember, changeMemberRole } from './members.service.js';
import { findUserById, updateUserRow } from './users.repository.js';

interface DemoPerson {
  /** The part before the @; the domain is the demo admin's. */
  mailbox: string;
  name: string;
  role: Role;
  locale: 'de' | 'en';
  /** Joins with this role first and is moved to `role` later, as teams do. */
  joinsAs?: Role;
}

/** The demo team: every role once or twice, German and English colleagues. */
export const DEMO_TEAM: readonly DemoPerson[] = [
  { mailbox: 'anna.schmidt', name: 'Anna Schmidt', role: 'marketing', locale: 'de' },
  { mailbox: 'lukas.becker', name: 'Lukas Becker', role: 'marketing', locale: 'de' },
  { mailbox: 'jonas.weber', name: 'Jonas Weber', role: 'sales', locale: 'de' },
  { mailbox: 'emily.clarke', name: 'Emily Clarke', role: 'sales', locale: 'en' },
  { mailbox: 'petra.hoffmann', name: 'Dr. Petra Hoffmann', role: 'dpo', locale: 'de' },
  { mailbox: 'james.miller', name: 'James Miller', role: 'viewer', locale: 'en', joinsAs: 'sales' },
];

const DEMO_API_KEYS: { name: string; scopes: Permission[]; revoke?: boolean }[] = [
  { name: 'Website-Formulare', scopes: ['forms:read', 'contacts:write'] },
  { name: 'CRM-Sync (alt)', scopes: ['contacts:read', 'sales:read'], revoke: true },
];

/**
 * Seeds the platform part of a demo workspace: a team with every role, API keys (one revoked),
 * and the audit entries these actions write on their way. The team shares the demo admin's
 * password (its hash is copied), so the one password `leadwerk demo` prints opens every account.
 */
export async function seedIdentityDemo(ctx: DemoContext): Promise<void> {
  const { db, clock } = ctx.deps;
  const admin = await findUserById(db, ctx.adminUserId);
  if (!admin) throw new AppError('NOT_FOUND', { reason: 'the demo admin does not exist' });
  const domain = admin.email.slice(admin.email.indexOf('@') + 1);
  const actor = userActor(admin);

  for (const person of DEMO_TEAM) {
    const member = await addMember(db, actor, ctx.workspaceId, {
      email: `${person.mailbox}@${domain}`,
      name: person.name,
      role: person.joinsAs ?? person.role,
      // Replaced by the admin's hash right below; addMember needs some initial password.
      password: randomToken(24),
    });
    await updateUserRow(db, member.user_id, { password_hash: admin.password_hash, locale: person.locale });
    if (person.joinsAs && person.joinsAs !== person.role) {
      await changeMemberRole(db, actor, ctx.workspaceId, member.user_id, person.role);
    }
  }

  for (const key of DEMO_API_KEYS) {
    const { apiKey } = await createApiKey(db, actor, ctx.workspaceId, { name: key.name, scopes: key.scopes });
    if (key.revoke) await revokeApiKey(db, clock, actor, ctx.workspaceId, apiKey.id);
  }
}
