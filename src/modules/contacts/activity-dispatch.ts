import { Type } from '@sinclair/typebox';
import { type RawBuilder, sql } from 'kysely';
import type { Executor } from '../../shared/db/index.js';
import {
  defineJob,
  type JobContext,
  type JobDefinition,
  JobQueue,
  notifyIfIdleThrottled,
} from '../../shared/jobs/index.js';
import type { ActivityHandler, AppDeps } from '../../shared/module.js';

/*
 * Activity handlers (docs/contracts.md, "activity handlers"): modules react to timeline entries
 * through the job queue. recordActivity/recordActivities write, in the caller's transaction, ONE
 * `contacts.deliver-activities` job per workspace and batch (at most 500 entries) for all the
 * handlers subscribed to its types (one INSERT for the whole call, none when nobody subscribes).
 * The job runs the handlers in registration order; a handler's optional `select` drops entries it
 * would ignore (no call at all when none is left). Retries stay per handler: when some handlers
 * succeed and others fail, the job completes together with a new job for the failed ones only, so
 * a handler that succeeded never runs twice; when none succeeded, the job itself is retried. A
 * handler that runs `after` another (it reads what that one writes) is not called while that one
 * has failed for the delivery: it goes into the retry job with it and runs after it there.
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
/** At most this many due delivery jobs one worker runs together (see activityDeliveryJob). */
export const DELIVERY_JOBS_PER_BATCH = 50;
/**
 * A delivery waits this long for others to join its batch: clicks arrive one transaction at a time,
 * and a worker that took each on its own as it came paid a claim, a read, a scoring transaction
 * and a completion per click (1.5 ms of worker CPU per event in `bench scoring`, with a batch of
 * about one). Scores still follow within seconds.
 */
export const DELIVERY_LINGER_MS = 50;

const DeliveryPayload = Type.Object({
  /** The handlers to run, in order. */
  handlers: Type.Optional(
    Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 100 }),
  ),
  /** One handler: jobs enqueued before 2026-11-24 (session 4) still in the queue. */
  handler: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  workspaceId: Type.String({ minLength: 1, maxLength: 64 }),
  activityIds: Type.Array(Type.String({ pattern: '^[0-9]+$' }), { minItems: 1, maxItems: DELIVERY_BATCH }),
});

/** The first retry of the handlers that failed in a job whose other handlers succeeded. */
export const HANDLER_RETRY_DELAY_MS = 1000;

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
  const groups = new Map<string, { handlers: Set<string>; ids: string[] }>();
  let earliest = Number.POSITIVE_INFINITY;
  for (const row of rows) {
    const handlers = subscribersOf(row.type);
    if (handlers.length === 0) continue;
    let group = groups.get(row.workspace_id);
    if (!group) {
      group = { handlers: new Set(), ids: [] };
      groups.set(row.workspace_id, group);
    }
    for (const h of handlers) group.handlers.add(h);
    group.ids.push(String(row.id));
    earliest = Math.min(earliest, new Date(row.occurred_at).getTime());
  }
  if (groups.size === 0) return;
  const payloads: { handlers: string[]; workspaceId: string; activityIds: string[] }[] = [];
  for (const [workspaceId, g] of groups) {
    // Registration order, whatever the order of the rows.
    const handlers = [...subscriptions.keys()].filter((h) => g.handlers.has(h));
    for (let i = 0; i < g.ids.length; i += DELIVERY_BATCH)
      payloads.push({ handlers, workspaceId, activityIds: g.ids.slice(i, i + DELIVERY_BATCH) });
  }
  const due = new Date(earliest);
  // One statement for all workspaces; the workspace of a mixed batch is left open.
  await new JobQueue({ now: () => due }).enqueueMany(trx, deliveryDescriptor, payloads, {
    workspaceId: groups.size === 1 ? payloads[0]!.workspaceId : null,
  });
}

/** A timeline row as recordActivities inserts it (data: JSON text). */
export interface ActivityInsertRow {
  workspace_id: string;
  contact_id: string;
  type: string;
  occurred_at: Date;
  data: string;
  source: string | null;
  ref: string | null;
}

/**
 * Inserts timeline rows AND their delivery jobs in ONE statement (recordActivities when a handler
 * subscribes; what inserting, returning the ids and enqueueMany did in two): one job per workspace
 * and 500 subscribed entries, listing every handler subscribed to a type among them (registration
 * order), due at the earliest `occurred_at` among them; the workers are woken as enqueue does.
 */
export async function insertActivitiesWithDeliveries(
  trx: Executor,
  rows: readonly ActivityInsertRow[],
): Promise<void> {
  const order = [...subscriptions.keys()];
  const subs: { type: string; handler: string; ord: number }[] = [];
  for (const type of new Set(rows.map((r) => r.type)))
    for (const handler of subscribersOf(type)) subs.push({ type, handler, ord: order.indexOf(handler) });
  const subscribed = rows.filter((r) => subs.some((x) => x.type === r.type));
  const due = new Date(Math.min(...subscribed.map((r) => new Date(r.occurred_at).getTime())));
  const data = rows.map((r) => ({ ...r, data: JSON.parse(r.data) as unknown }));
  await sql`
    WITH ins AS (
      INSERT INTO activities (workspace_id, contact_id, origin_contact_id, type, occurred_at, data, source, ref)
      SELECT x.workspace_id, x.contact_id, x.contact_id, x.type, x.occurred_at, x.data, x.source, x.ref
        FROM jsonb_to_recordset(${JSON.stringify(data)}::jsonb)
             AS x(workspace_id uuid, contact_id uuid, type text, occurred_at timestamptz, data jsonb, source text, ref text)
      RETURNING id, workspace_id, type, occurred_at
    ), subs AS (
      SELECT * FROM jsonb_to_recordset(${JSON.stringify(subs)}::jsonb) AS s(type text, handler text, ord int)
    ), grouped AS (
      SELECT i.workspace_id, i.id, i.type, i.occurred_at,
             (row_number() OVER (PARTITION BY i.workspace_id ORDER BY i.id) - 1) / ${DELIVERY_BATCH} AS chunk
        FROM ins i WHERE i.type IN (SELECT type FROM subs)
    ), batches AS (
      SELECT g.workspace_id, jsonb_agg(g.id::text ORDER BY g.id) AS ids, min(g.occurred_at) AS due,
             array_agg(DISTINCT g.type) AS types
        FROM grouped g GROUP BY g.workspace_id, g.chunk
    ), queued AS (
      INSERT INTO jobs (workspace_id, name, lane, priority, payload, run_at, max_attempts, created_at, updated_at)
      SELECT b.workspace_id, ${DELIVERY.name}, ${DELIVERY.lane}, ${DELIVERY.priority},
             jsonb_build_object(
               'handlers', (SELECT jsonb_agg(h.handler ORDER BY h.ord)
                              FROM (SELECT DISTINCT s.handler, s.ord FROM subs s WHERE s.type = ANY(b.types)) h),
               'workspaceId', b.workspace_id::text, 'activityIds', b.ids),
             b.due, ${DELIVERY.maxAttempts}, b.due, b.due
        FROM batches b
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM queued) AS n, ${notifyIfIdleThrottled(DELIVERY.lane, due)} AS notified`.execute(
    trx,
  );
}

/** The handlers subscribed to a type, in registration order. */
function subscribersOf(type: string): string[] {
  const out: string[] = [];
  for (const [name, types] of subscriptions) if (matches(types, type)) out.push(name);
  return out;
}

/**
 * The delivery job of one entry of `type`, as a part of a larger statement: one job for all
 * subscribed handlers for each row returned by the CTE named `cte` (column `id`), due at
 * `occurredAt` — what `enqueueActivityDeliveries` writes for it. Null when nobody subscribes.
 */
export function deliveriesPart(
  type: string,
  workspaceId: string,
  occurredAt: Date,
): { sql(cte: string): RawBuilder<unknown>; lane: string } | null {
  const handlers = subscribersOf(type);
  if (handlers.length === 0) return null;
  return {
    lane: DELIVERY.lane,
    sql: (
      cte,
    ) => sql`INSERT INTO jobs (workspace_id, name, lane, priority, payload, run_at, max_attempts, created_at, updated_at)
      SELECT ${workspaceId}::uuid, ${DELIVERY.name}, ${DELIVERY.lane}, ${DELIVERY.priority},
        jsonb_build_object('handlers', ${JSON.stringify(handlers)}::jsonb, 'workspaceId', ${workspaceId}::text, 'activityIds', jsonb_build_array(a.id::text)),
        ${occurredAt}::timestamptz, ${DELIVERY.maxAttempts}, ${occurredAt}::timestamptz, ${occurredAt}::timestamptz
      FROM ${sql.table(cte)} AS a`,
  };
}

/** One delivery: the handlers to run over some entries of one workspace. */
interface Delivery {
  workspaceId: string;
  handlers: string[];
  activityIds: string[];
}

/** A handler of a delivery that did not handle its entries: it threw, or it waits for one that did. */
interface Failed {
  delivery: Delivery;
  name: string;
  error: unknown;
  waiting?: true;
}

type DeliveryPayloadT = { handlers?: string[]; handler?: string; workspaceId: string; activityIds: string[] };

function deliveryOf(payload: DeliveryPayloadT): Delivery {
  return {
    workspaceId: payload.workspaceId,
    handlers: payload.handlers ?? (payload.handler ? [payload.handler] : []),
    activityIds: payload.activityIds,
  };
}

/**
 * Merges the payloads of a batch of delivery jobs: one delivery per workspace and list of handlers,
 * at most DELIVERY_BATCH entries each (what one job carries), so each handler is called once per
 * such group instead of once per job.
 */
function mergeDeliveries(payloads: readonly DeliveryPayloadT[]): Delivery[] {
  const open = new Map<string, Delivery>();
  const out: Delivery[] = [];
  for (const p of payloads) {
    const d = deliveryOf(p);
    const key = `${d.workspaceId}|${d.handlers.join(',')}`;
    let group = open.get(key);
    for (const id of d.activityIds) {
      if (!group || group.activityIds.length >= DELIVERY_BATCH) {
        group = { workspaceId: d.workspaceId, handlers: d.handlers, activityIds: [] };
        open.set(key, group);
        out.push(group);
      }
      group.activityIds.push(id);
    }
  }
  return out;
}

/**
 * The worker's delivery job: loads the entries (those erased meanwhile are skipped; merged ones are
 * delivered under the contact they now belong to) and runs the named handlers in order, each with
 * the entries of its types that its `select` keeps. A handler no longer in the code (removed in a
 * release) is skipped with a warning. Retries per handler: see the comment at the top.
 *
 * Delivery jobs run in batches (JobDefinition.batch): a worker gathers the delivery jobs of a burst
 * of clicks, each recorded in its own transaction, for DELIVERY_LINGER_MS (or until it has
 * DELIVERY_JOBS_PER_BATCH) and calls each handler once per workspace with all their entries (one scoring transaction
 * for fifty clicks instead of fifty), then completes them with one statement. The retry rules stay
 * those of one job: when no handler succeeded for any entry, the batch fails and the queue runs each
 * job again on its own; when some did, the failed handlers get a new job for their entries only.
 */
export function activityDeliveryJob(deps: AppDeps, handlers: readonly ActivityHandler[]): JobDefinition {
  const byName = new Map(handlers.map((h) => [h.name, h]));

  /**
   * Runs the deliveries; returns the handlers that failed or wait for one that failed (per
   * delivery; `waiting`: it runs `after` a failed one and was not called) and how many succeeded.
   */
  async function deliver(
    db: Executor,
    log: JobContext['log'],
    deliveries: readonly Delivery[],
  ): Promise<{ failed: Failed[]; succeeded: number }> {
    const failed: Failed[] = [];
    let succeeded = 0;
    for (const delivery of deliveries) {
      /** Handlers of this delivery that have not handled its entries (failed or waiting). */
      const notDone = new Set<string>();
      const { workspaceId, activityIds } = delivery;
      const activities = await db
        .selectFrom('activities')
        .selectAll()
        .where('workspace_id', '=', workspaceId)
        .where('id', 'in', activityIds)
        .orderBy('occurred_at')
        .orderBy('id')
        .execute();
      if (activities.length === 0) continue;
      for (const name of delivery.handlers) {
        const handler = byName.get(name);
        if (!handler) {
          log.warn({ event: 'activities.handler-missing', handler: name }, 'no such activity handler');
          continue;
        }
        if (handler.after?.some((n) => notDone.has(n))) {
          notDone.add(name);
          failed.push({ delivery, name, error: undefined, waiting: true });
          continue;
        }
        try {
          let rows = activities.filter((a) => matches(handler.types, a.type));
          if (rows.length > 0 && handler.select)
            rows = await handler.select(deps, { workspaceId, activities: rows });
          if (rows.length === 0) continue;
          await handler.handle(deps, { workspaceId, activities: rows });
          succeeded++;
        } catch (error) {
          notDone.add(name);
          failed.push({ delivery, name, error });
        }
      }
    }
    return { failed, succeeded };
  }

  /**
   * After a run in which some handlers failed: nothing took effect → throw (the queue retries);
   * else the failed handlers get a new job each, committed with the completion of the job(s).
   */
  async function settle(
    ctx: Pick<JobContext, 'log' | 'completeWith'>,
    out: Awaited<ReturnType<typeof deliver>>,
  ): Promise<void> {
    const { failed, succeeded } = out;
    if (failed.length === 0) return;
    if (succeeded === 0) throw failed.find((f) => !f.waiting)!.error;
    const retries = new Map<Delivery, string[]>();
    for (const f of failed) {
      if (!f.waiting)
        ctx.log.warn(
          { event: 'activities.handler-failed', handler: f.name, err: f.error },
          'activity handler failed; retried in its own job',
        );
      // In registration order: a waiting handler runs after the failed one it waits for.
      retries.set(f.delivery, [...(retries.get(f.delivery) ?? []), f.name]);
    }
    await ctx.completeWith(async (trx) => {
      for (const [d, names] of retries)
        await deps.queue.enqueue(
          trx,
          deliveryDescriptor,
          { handlers: names, workspaceId: d.workspaceId, activityIds: d.activityIds },
          { workspaceId: d.workspaceId, delayMs: HANDLER_RETRY_DELAY_MS },
        );
    });
  }

  return defineJob({
    ...DELIVERY,
    async handler(payload, ctx) {
      await settle(ctx, await deliver(ctx.db, ctx.log, [deliveryOf(payload)]));
    },
    batch: {
      max: DELIVERY_JOBS_PER_BATCH,
      lingerMs: DELIVERY_LINGER_MS,
      async handler(payloads, ctx) {
        await settle(ctx, await deliver(ctx.db, ctx.log, mergeDeliveries(payloads)));
      },
    },
  });
}
