import { sql } from 'kysely';
import type { Actor } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import type { Db } from '../../shared/db/index.js';
import { AppError } from '../../shared/errors.js';
import { JOBS_CHANNEL } from '../../shared/jobs/index.js';
import { recordAudit } from '../audit/index.js';
import { deleteDeadJob, findJob, type JobScope, requeueDeadJob } from './jobs.repository.js';

/** Retries a dead-lettered job now (audited). */
export async function retryDeadJob(
  db: Db,
  clock: Clock,
  actor: Actor,
  scope: JobScope,
  id: string,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const job = await findJob(trx, scope, id);
    if (!job) throw new AppError('NOT_FOUND');
    if (!(await requeueDeadJob(trx, id, clock.now()))) throw new AppError('JOB_NOT_DEAD');
    await recordAudit(trx, actor, {
      workspaceId: scope.workspaceId,
      action: 'jobs.retried',
      targetType: 'job',
      targetId: id,
      details: { name: job.name },
    });
    await sql`select pg_notify(${JOBS_CHANNEL}, ${job.lane})`.execute(trx);
  });
}

/** Discards a dead-lettered job (audited). */
export async function discardDeadJob(db: Db, actor: Actor, scope: JobScope, id: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const job = await findJob(trx, scope, id);
    if (!job) throw new AppError('NOT_FOUND');
    if (!(await deleteDeadJob(trx, id))) throw new AppError('JOB_NOT_DEAD');
    await recordAudit(trx, actor, {
      workspaceId: scope.workspaceId,
      action: 'jobs.discarded',
      targetType: 'job',
      targetId: id,
      details: { name: job.name, lastError: job.last_error },
    });
  });
}
