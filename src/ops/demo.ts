import { createUserIn } from '../modules/identity/index.js';
import { createWorkspaceIn, slugify } from '../modules/workspaces/index.js';
import { MODULES } from '../modules.js';
import { type Actor, systemActor } from '../shared/actor.js';
import { randomToken } from '../shared/crypto.js';
import type { Role, Workspace } from '../shared/db/schema.js';
import { AppError } from '../shared/errors.js';
import type { AppDeps, LeadwerkModule } from '../shared/module.js';

export const DEFAULT_DEMO_WORKSPACE_NAME = 'Nordlicht Maschinenbau GmbH';
const DEMO_ADMIN = { mailbox: 'katrin.vogel', name: 'Katrin Vogel' };
const ROLE_ORDER: Role[] = ['admin', 'marketing', 'sales', 'dpo', 'viewer'];
const MAX_SLUG = 63;

export interface DemoUser {
  email: string;
  name: string;
  role: Role;
}

export interface DemoResult {
  workspace: Workspace;
  /** The password of every demo user. */
  password: string;
  users: DemoUser[];
  /** Modules that added sample data. */
  seeded: string[];
}

/** `name`, `name-2`, `name-3`, … within the 63 characters a slug may have. */
function slugCandidate(base: string, n: number): string {
  if (n === 1) return base;
  const suffix = `-${n}`;
  return `${base.slice(0, MAX_SLUG - suffix.length).replace(/-+$/, '')}${suffix}`;
}

/** The first slug that no workspace and no demo mail domain (`<slug>.example`) uses yet. */
async function findFreeSlug(deps: AppDeps, base: string, from: number): Promise<{ slug: string; n: number }> {
  for (let n = from; ; n++) {
    const slug = slugCandidate(base, n);
    const workspace = await deps.db
      .selectFrom('workspaces')
      .select('id')
      .where('slug', '=', slug)
      .executeTakeFirst();
    const user = await deps.db
      .selectFrom('users')
      .select('id')
      .where('email', 'like', `%@${slug}.example`)
      .executeTakeFirst();
    if (!workspace && !user) return { slug, n };
  }
}

/**
 * Creates a demo workspace with realistic sample data: an admin, then whatever each module's
 * `seedDemo` adds. Each run makes a new workspace (`…-2`, `…-3`) with its own users, so running
 * it again never fails and never touches earlier data. Users get addresses under the reserved
 * `.example` domain, which no mail can reach.
 */
export async function createDemoWorkspace(
  deps: AppDeps,
  options: { workspaceName?: string | undefined; modules?: LeadwerkModule[] } = {},
): Promise<DemoResult> {
  const name = (options.workspaceName ?? DEFAULT_DEMO_WORKSPACE_NAME).trim();
  if (name.length < 1 || name.length > 200) {
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'workspace-name', message: 'must be 1 to 200 characters' }],
    });
  }
  const base = slugify(name);
  const password = randomToken(12);
  let attempt = 1;
  let created: { workspace: Workspace; adminUserId: string } | undefined;
  while (!created) {
    const { slug, n } = await findFreeSlug(deps, base, attempt);
    try {
      created = await deps.db.transaction().execute(async (trx) => {
        const admin = await createUserIn(trx, systemActor('demo'), {
          email: `${DEMO_ADMIN.mailbox}@${slug}.example`,
          name: DEMO_ADMIN.name,
          password,
          locale: 'de',
        });
        const actor: Actor = { ...systemActor(admin.email), userId: admin.id };
        const workspace = await createWorkspaceIn(trx, actor, { name, slug, defaultLocale: 'de' });
        await trx
          .insertInto('memberships')
          .values({ workspace_id: workspace.id, user_id: admin.id, role: 'admin' })
          .execute();
        return { workspace, adminUserId: admin.id };
      });
    } catch (err) {
      // Another `leadwerk demo` took the same name a moment ago: take the next one.
      const code = err instanceof AppError ? err.code : undefined;
      if ((code !== 'SLUG_TAKEN' && code !== 'EMAIL_TAKEN') || n > 1000) throw err;
      attempt = n + 1;
    }
  }

  const seeded: string[] = [];
  for (const module of options.modules ?? MODULES) {
    if (!module.seedDemo) continue;
    try {
      await module.seedDemo({ deps, workspaceId: created.workspace.id, adminUserId: created.adminUserId });
    } catch (err) {
      // A broken seed is a bug in that module: say which one, keep its code.
      if (err instanceof AppError) {
        throw new AppError(err.code, { ...err.details, seed: module.name }, { cause: err });
      }
      throw new Error(`the demo seed of module "${module.name}" failed: ${(err as Error).message}`, {
        cause: err,
      });
    }
    seeded.push(module.name);
  }

  const members = await deps.db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['u.email', 'u.name', 'm.role'])
    .where('m.workspace_id', '=', created.workspace.id)
    .orderBy('u.name')
    .execute();
  const users = members.sort((a, b) => ROLE_ORDER.indexOf(a.role) - ROLE_ORDER.indexOf(b.role));
  return { workspace: created.workspace, password, users, seeded };
}
