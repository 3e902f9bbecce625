import { Type } from '@sinclair/typebox';
import { type RawBuilder, sql } from 'kysely';
import type { Executor } from '../../shared/db/index.js';
import { defineJob, type JobDefinition, JobQueue } from '../../shared/jobs/index.js';
import type { ActivityHandler, AppDeps } from '../../shared/module.js';

/*
 * Activity handlers (docs/contracts.md, "activity handlers"): modules react to timeline entries
 * through the job queue. recordActivity/recordActivities write, in the caller's transaction, one
 * `contacts.deliver-activities` job per subscribed handler and workspace (one INSERT for the whole
 * call, none when nobody subscribes to the batch's types), so each handler is retried on its own.
 *
 * Which handler subscribes to which type is known per process: server.ts registers the handlers of
 * MODULES when it opens the dependencies and again when it builds the worker's jobs. A registry is
 * the one place where a module-level value is right here: recordActivity has no dependencies (it
 * is called from every module's transactions), the subscriptions are a fact of the code, the same
 * for every app in the process, and importing MODULES from here would be an import cycle.
 */

/** Handler name → subscribed types (exact types, or `module.*`). Additive; see above. */
const subscriptions = new Map<string, readonly string[]>();

/** Makes recordActivity enqueue deliveries for these handlers. Safe to call more than once. */
export function registerActivitySubscriptions(
  handlers: readonly Pick<ActivityHandler, 'name' | 'types'>[],
): void {
  for (const h of handlers) subscriptions.set(h.name, [...h.types]);
}

function matches(types: readonly string[], type: string): boolean {
  for (const t of types) {
    if (t === type) return true;
    if (t.endsWith('.*') && type.startsWith(t.slice(0, -1))) return true;
  }
  return false;
}

/** True when some registered handler wants an entry of this type (the cheap check of the hot path). */
export function isActivityTypeSubscribed(type: string): boolean {
  for (const types of subscriptions.values()) if (matches(types, type)) return true;
  return false;
}

/** At most this many activity ids per delivery job (an import writes thousands in one call). */
export const DELIVERY_BATCH = 500;

const DeliveryPayload = Type.Object({
  handler: Type.String({ minLength: 1, maxLength: 200 }),
  workspaceId: Type.String({ minLength: 1, maxLength: 64 }),
  activityIds: Type.Array(Type.String({ pattern: '^[0-9]+$' }), { minItems: 1, maxItems: DELIVERY_BATCH }),
});

const DELIVERY = {
  name: 'contacts.deliver-activities',
  lane: 'default',
  priority: 5,
  maxAttempts: 10,
  schema: DeliveryPayload,
} as const;

/** The identity of the delivery job, for enqueueing without the handlers (see activityDeliveryJob). */
const deliveryDescriptor = defineJob({
  ...DELIVERY,
  async handler() {
    throw new Error('the worker runs the definition built by activityDeliveryJob');
  },
});

interface RecordedRow {
  id: string;
  workspace_id: string;
  type: string;
  occurred_at: Date;
}

/**
 * Enqueues the deliveries for freshly recorded rows in the caller's transaction. The jobs are due at
 * the earliest `occurred_at` of the batch: recordActivity has no clock, and the callers stamp
 * entries with their injected clock, so the job is due exactly when the worker's clock has seen them.
 */
export async function enqueueActivityDeliveries(trx: Executor, rows: readonly RecordedRow[]): Promise<void> {
  if (rows.length === 0 || subscriptions.size === 0) return;
  const groups = new Map<string, { handler: string; workspaceId: string; ids: string[] }>();
  let earliest = Number.POSITIVE_INFINITY;
  for (const row of rows) {
    for (const [handler, types] of subscriptions) {
      if (!matches(types, row.type)) continue;
      const key = `${handler}\u0000${row.workspace_id}`;
      let group = groups.get(key);
      if (!group) {
        group = { handler, workspaceId: row.workspace_id, ids: [] };
        groups.set(key, group);
      }
      group.ids.push(String(row.id));
      earliest = Math.min(earliest, new Date(row.occurred_at).getTime());
    }
  }
  if (groups.size === 0) return;
  const payloads: { handler: string; workspaceId: string; activityIds: string[] }[] = [];
  for (const g of groups.values())
    for (let i = 0; i < g.ids.length; i += DELIVERY_BATCH)
      payloads.push({
        handler: g.handler,
        workspaceId: g.workspaceId,
        activityIds: g.ids.slice(i, i + DELIVERY_BATCH),
      });
  const due = new Date(earliest);
  // One statement for all handlers and workspaces; the workspace of a mixed batch is left open.
  const workspaces = new Set(payloads.map((p) => p.workspaceId));
  await new JobQueue({ now: () => due }).enqueueMany(trx, deliveryDescriptor, payloads, {
    workspaceId: workspaces.size === 1 ? payloads[0]!.workspaceId : null,
  });
}

/**
 * The delivery jobs of one entry of `type`, as a part of a larger statement: one job per
 * subscribed handler for the row(s) returned by the CTE named `cte` (column `id`), due at
 * `occurredAt` — what `enqueueActivityDeliveries` writes for it. Null when nobody subscribes.
 */
export function deliveriesPart(
  type: string,
  workspaceId: string,
  occurredAt: Date,
): { sql(cte: string): RawBuilder<unknown>; lane: string } | null {
  const handlers = [...subscriptions].filter(([, types]) => matches(types, type)).map(([name]) => name);
  if (handlers.length === 0) return null;
  return {
    lane: DELIVERY.lane,
    sql: (
      cte,
    ) => sql`INSERT INTO jobs (workspace_id, name, lane, priority, payload, run_at, max_attempts, created_at, updated_at)
      SELECT ${workspaceId}::uuid, ${DELIVERY.name}, ${DELIVERY.lane}, ${DELIVERY.priority},
        jsonb_build_object('handler', h.name, 'workspaceId', ${workspaceId}::text, 'activityIds', jsonb_build_array(a.id::text)),
        ${occurredAt}::timestamptz, ${DELIVERY.maxAttempts}, ${occurredAt}::timestamptz, ${occurredAt}::timestamptz
      FROM ${sql.table(cte)} AS a CROSS JOIN unnest(${handlers}::text[]) AS h(name)`,
  };
}

/**
 * The worker's delivery job: loads the entries (those erased meanwhile are skipped; merged ones are
 * delivered under the contact they now belong to) and calls the named handler. A handler no longer
 * in the code (removed in a release) has its pending deliveries dropped with a warning.
 */
export function activityDeliveryJob(deps: AppDeps, handlers: readonly ActivityHandler[]): JobDefinition {
  const byName = new Map(handlers.map((h) => [h.name, h]));
  return defineJob({
    ...DELIVERY,
    async handler({ handler: name, workspaceId, activityIds }, ctx) {
      const handler = byName.get(name);
      if (!handler) {
        ctx.log.warn({ event: 'activities.handler-missing', handler: name }, 'no such activity handler');
        return;
      }
      const activities = await ctx.db
        .selectFrom('activities')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('id', 'in', activityIds)
        .orderBy('occurred_at')
        .orderBy('id')
        .execute();
      if (activities.length === 0) return;
      await handler.handle(deps, { workspaceId, activities });
    },
  });
}
