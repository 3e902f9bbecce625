import { sql } from 'kysely';
import type { Executor } from '../../shared/db/index.js';
import type { Job, JobState } from '../../shared/db/schema.js';

/** Which jobs a caller may see: their workspace's, and for superadmins also the system's own. */
export interface JobScope {
  workspaceId: string;
  includeSystem: boolean;
}

function scoped<T extends { where: (...args: never[]) => T }>(query: T, scope: JobScope): T {
  // biome-ignore lint/suspicious/noExplicitAny: Kysely's expression builder callback is generic over the query.
  return (query as any).where((eb: any) =>
    scope.includeSystem
      ? eb.or([eb('workspace_id', '=', scope.workspaceId), eb('workspace_id', 'is', null)])
      : eb('workspace_id', '=', scope.workspaceId),
  );
}

/** Queue depth per lane and state, for a caller's scope or (no scope) over every workspace. */
export async function countJobsByLaneAndState(
  db: Executor,
  scope?: JobScope,
): Promise<{ lane: string; state: JobState; count: number }[]> {
  const rows = await (scope ? scoped(db.selectFrom('jobs'), scope) : db.selectFrom('jobs'))
    .select(['lane', 'state', sql<string>`count(*)`.as('count')])
    .groupBy(['lane', 'state'])
    .orderBy('lane')
    .execute();
  return rows.map((r) => ({ lane: r.lane, state: r.state, count: Number(r.count) }));
}

export async function listJobs(
  db: Executor,
  scope: JobScope,
  state: JobState,
  limit: number,
): Promise<Job[]> {
  return scoped(db.selectFrom('jobs'), scope)
    .selectAll()
    .where('state', '=', state)
    .orderBy('updated_at', 'desc')
    .limit(limit)
    .execute();
}

export async function findJob(db: Executor, scope: JobScope, id: string): Promise<Job | undefined> {
  return scoped(db.selectFrom('jobs'), scope).selectAll().where('id', '=', id).executeTakeFirst();
}

/** Puts a dead job back in the queue with a fresh set of attempts. */
export async function requeueDeadJob(db: Executor, id: string, now: Date): Promise<boolean> {
  const result = await db
    .updateTable('jobs')
    .set({ state: 'queued', attempts: 0, run_at: now, updated_at: now, last_error: null })
    .where('id', '=', id)
    .where('state', '=', 'dead')
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

export async function deleteDeadJob(db: Executor, id: string): Promise<boolean> {
  const result = await db
    .deleteFrom('jobs')
    .where('id', '=', id)
    .where('state', '=', 'dead')
    .executeTakeFirst();
  return result.numDeletedRows > 0n;
}
