import { type Actor, userActor } from './actor.js';
import type { DemoContext } from './module.js';

/**
 * The demo workspace's admin as the actor of the demo data (what the modules' seedDemo write is
 * audited as), with the admin's e-mail address (some demos derive a sender domain from it).
 */
export async function demoAdminActor(ctx: DemoContext): Promise<{ actor: Actor; email: string }> {
  const admin = await ctx.deps.db
    .selectFrom('users')
    .select(['id', 'email'])
    .where('id', '=', ctx.adminUserId)
    .executeTakeFirstOrThrow();
  return { actor: userActor(admin), email: admin.email };
}
