import { type RawBuilder, sql } from 'kysely';
import type { Executor } from '../../shared/db/index.js';
import { insertRows } from '../../shared/db/insert-if.js';
import type { Activity } from '../../shared/db/schema.js';
import { AppError } from '../../shared/errors.js';
import { type Lane, notifyIfIdleThrottled } from '../../shared/jobs/index.js';
import {
  deliveriesPart,
  insertActivitiesWithDeliveries,
  isActivityTypeSubscribed,
} from './activity-dispatch.js';

/** `module.past-tense`, e.g. `mail.clicked`, `capture.form-submitted`, `contacts.merged`. */
export const ACTIVITY_TYPE_RE = /^[a-z][a-z0-9-]{0,40}\.[a-z][a-z0-9-]{0,60}$/;

/** The timeline shows data, it is not a store for documents: larger payloads are refused. */
export const ACTIVITY_DATA_MAX_BYTES = 16_384;

export interface ActivityInput {
  workspaceId: string;
  contactId: string;
  /** `module.past-tense`, e.g. `mail.clicked`. */
  type: string;
  occurredAt: Date;
  /** JSON shown on the timeline; never secrets. */
  data: Record<string, unknown>;
  /** Who or what caused it: `form:<id>`, `import:<id>`, `user:<id>`, `api`, `journey:<id>`. */
  source?: string | null | undefined;
  /**
   * What the activity is about, for segment conditions like "downloaded asset X":
   * `asset:<id>`, `form:<id>`, `message:<id>`, `campaign:<id>`, `event:<id>`.
   */
  ref?: string | null | undefined;
}

function validate(input: ActivityInput): string {
  const problems: { field: string; message: string }[] = [];
  if (!ACTIVITY_TYPE_RE.test(input.type))
    problems.push({ field: 'type', message: 'must be module.past-tense, e.g. mail.clicked' });
  if (!(input.occurredAt instanceof Date) || Number.isNaN(input.occurredAt.getTime()))
    problems.push({ field: 'occurredAt', message: 'must be a valid date' });
  if (input.source && input.source.length > 200)
    problems.push({ field: 'source', message: 'at most 200 characters' });
  if (input.ref && input.ref.length > 200) problems.push({ field: 'ref', message: 'at most 200 characters' });
  const json = JSON.stringify(input.data ?? {});
  if (Buffer.byteLength(json) > ACTIVITY_DATA_MAX_BYTES)
    problems.push({ field: 'data', message: `at most ${ACTIVITY_DATA_MAX_BYTES} bytes of JSON` });
  if (problems.length > 0) throw new AppError('VALIDATION_FAILED', { fields: problems });
  return json;
}

/**
 * Records one timeline entry for a contact. Call it inside the transaction that makes the change
 * it records. The contact must exist in the workspace (a foreign key over both enforces it).
 */
export async function recordActivity(trx: Executor, input: ActivityInput): Promise<void> {
  await recordActivities(trx, [input]);
}

/**
 * One entry as parts of a larger statement (the sign-up fast path, see shared/db/insert-if.ts):
 * `insert(condition)` returns the new row's id; `deliveries(cte)`, given the name the caller gave
 * that insert, enqueues its subscribed handlers' delivery jobs (null when nobody subscribes), as
 * `recordActivity` does. `lanes`: the lanes to wake (`notifyIfIdle`).
 */
export function activityParts(input: ActivityInput): {
  insert(condition: RawBuilder<boolean>): RawBuilder<unknown>;
  deliveries(cte: string): RawBuilder<unknown> | null;
  lanes: string[];
} {
  const data = validate(input);
  const part = deliveriesPart(input.type, input.workspaceId, input.occurredAt);
  return {
    // Plain typed parameters, not a JSON recordset: for one row this is the cheaper statement
    // (pgbench on the timeline, with its delivery job: 0.27–0.30 against 0.31–0.32 ms).
    insert: (condition) => sql`
      INSERT INTO activities (workspace_id, contact_id, origin_contact_id, type, occurred_at, data, source, ref)
      SELECT ${input.workspaceId}::uuid, ${input.contactId}::uuid, ${input.contactId}::uuid, ${input.type}::text,
             ${input.occurredAt}::timestamptz, ${data}::jsonb, ${input.source ?? null}::text, ${input.ref ?? null}::text
       WHERE ${condition}
      RETURNING id`,
    deliveries: (cte) => part?.sql(cte) ?? null,
    lanes: part ? [part.lane] : [],
  };
}

/**
 * Many entries in one statement (imports, demo data, merges). When an activity handler subscribes
 * to a type in the batch, its delivery job is enqueued in the same transaction (see activity-dispatch.ts).
 * One subscribed entry (a click, a visit: the commonest call) is `activityParts` in one statement
 * instead of the batch form, whose recordset, window function and aggregates cost PostgreSQL
 * ~0.25 ms more per call (0.46 against 0.72 ms with pgbench on the 20M-row timeline); its wake-up
 * is throttled (`notifyIfIdleThrottled`), as the batch form's is.
 */
export async function recordActivities(trx: Executor, inputs: ActivityInput[]): Promise<void> {
  if (inputs.length === 0) return;
  if (inputs.length === 1 && isActivityTypeSubscribed(inputs[0]!.type)) {
    const input = inputs[0]!;
    const parts = activityParts(input);
    const deliveries = parts.deliveries('ins');
    if (!deliveries) throw new Error(`recordActivities: nobody subscribes to ${input.type}`);
    await sql`WITH ins AS (${parts.insert(sql`true`)}), queued AS (${deliveries})
      SELECT ${sql.join(parts.lanes.map((lane) => notifyIfIdleThrottled(lane as Lane, input.occurredAt)))}`.execute(
      trx,
    );
    return;
  }
  const rows = inputs.map((input) => ({
    workspace_id: input.workspaceId,
    contact_id: input.contactId,
    origin_contact_id: input.contactId,
    type: input.type,
    occurred_at: input.occurredAt,
    data: validate(input),
    source: input.source ?? null,
    ref: input.ref ?? null,
  }));
  if (!inputs.some((input) => isActivityTypeSubscribed(input.type))) {
    // data: the validated object itself (insertRows sends the rows as one JSON value).
    await insertRows(
      'activities',
      rows.map((row, i) => ({ ...row, data: inputs[i]!.data ?? {} })),
    ).execute(trx);
    return;
  }
  // The rows and their delivery jobs in one statement.
  await insertActivitiesWithDeliveries(
    trx,
    rows.map(({ origin_contact_id: _, ...row }) => row),
  );
}

export interface TimelineCursor {
  occurredAt: Date;
  id: string;
}

export interface TimelineQuery {
  /** Only these types; an entry ending in `.*` matches a whole module (`mail.*`). */
  types?: string[] | undefined;
  before?: TimelineCursor | undefined;
  limit: number;
}

/** A page of a contact's timeline, newest first (keyset paging on occurred_at, id). */
export async function listTimeline(
  db: Executor,
  workspaceId: string,
  contactId: string,
  query: TimelineQuery,
): Promise<Activity[]> {
  let q = db
    .selectFrom('activities')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId);
  if (query.types && query.types.length > 0) {
    const exact = query.types.filter((t) => !t.endsWith('.*'));
    const prefixes = query.types.filter((t) => t.endsWith('.*')).map((t) => `${t.slice(0, -1)}%`);
    q = q.where((eb) =>
      eb.or([
        ...(exact.length > 0 ? [eb('type', 'in', exact)] : []),
        ...prefixes.map((p) => eb('type', 'like', p)),
      ]),
    );
  }
  if (query.before) {
    const { occurredAt, id } = query.before;
    // A row comparison, so the index (…, occurred_at DESC, id DESC) seeks straight to the cursor.
    q = q.where((eb) => eb(eb.refTuple('occurred_at', 'id'), '<', eb.tuple(occurredAt, id)));
  }
  return q.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(query.limit).execute();
}
