import { type RawBuilder, sql } from 'kysely';
import type { Executor } from '../../shared/db/index.js';

/*
 * Limits on confirmation mails, shared by every process (rows in rate_limits), and the circuit
 * breaker: when a form or a workspace (or the whole installation) suddenly sends far more
 * confirmation mails than usual, a bombing wave is starting — then confirmation mails pause,
 * sign-ups are held (not lost), and admins see it in the UI and the audit log.
 */

export interface Limit {
  limit: number;
  windowSeconds: number;
}

export interface CaptureLimits {
  /** Confirmation mails per client (IPv4 address, IPv6 /64). */
  perIp: Limit;
  perForm: Limit;
  perWorkspace: Limit;
  /** All workspaces together: the installation's mail reputation. */
  global: Limit;
  /** How long a tripped breaker pauses confirmation mails (an admin can close it earlier). */
  breakerMinutes: number;
}

export const DEFAULT_LIMITS: CaptureLimits = {
  perIp: { limit: 5, windowSeconds: 600 },
  perForm: { limit: 500, windowSeconds: 3600 },
  perWorkspace: { limit: 2000, windowSeconds: 3600 },
  global: { limit: 10_000, windowSeconds: 3600 },
  breakerMinutes: 60,
};

// The client key for per-IP limits (an IPv6 address counts by its /64) is shared with other public pages.
export { clientKey } from '../../shared/rate-limit.js';

export interface Bucket {
  key: string;
  limit: Limit;
}

/**
 * How many rows one counter is spread over. Every sign-up counts in the per-form, per-workspace
 * and installation-wide buckets; with one row per bucket, every sign-up of the installation would
 * wait for the previous one's commit (a row lock held until the WAL is flushed). A hit goes to one
 * shard row chosen at random and the count is the sum of the bucket's shards, read in the same
 * statement. The price: a count may miss the hits of transactions still in flight on other shards
 * (at most one per concurrent sign-up), which the generous per-form/workspace/global limits and the
 * per-IP limit of a few mails per ten minutes can afford.
 */
export const BUCKET_SHARDS = 8;

/**
 * Counts one hit in each bucket and reads the open circuit breakers of `scopes`, in a single
 * statement (one round trip, one commit, however many buckets). Returns the keys whose limit is
 * now exceeded, and the open breakers' scopes. Rows are written in a fixed order so two
 * concurrent statements never wait for each other's rows crosswise.
 */
export async function hitBuckets(
  db: Executor,
  now: Date,
  buckets: Bucket[],
  scopes: string[] = [],
  shard: () => number = () => Math.floor(Math.random() * BUCKET_SHARDS),
): Promise<{ over: Set<string>; openScopes: Set<string> }> {
  const parts = bucketParts(now, buckets, scopes, shard);
  const result = await sql<BucketRow>`WITH ${parts.ctes} SELECT * FROM limits`.execute(db);
  return parts.read(result.rows);
}

export interface BucketRow {
  kind: 'hit' | 'open';
  bucket: string;
  hits: number;
  lim: number;
}

/**
 * `hitBuckets` as parts of a larger statement: `ctes` (`hit`, the counting insert, and `limits`,
 * the rows `read` turns into the answer) go first in its WITH; `withinLimits` is true when no
 * bucket is over its limit and no breaker of `scopes` is open.
 */
export function bucketParts(
  now: Date,
  buckets: Bucket[],
  scopes: string[] = [],
  shard: () => number = () => Math.floor(Math.random() * BUCKET_SHARDS),
): {
  ctes: RawBuilder<unknown>;
  withinLimits: RawBuilder<boolean>;
  read(rows: BucketRow[]): { over: Set<string>; openScopes: Set<string> };
} {
  const keyed = buckets.map((b) => {
    const ms = b.limit.windowSeconds * 1000;
    const start = Math.floor(now.getTime() / ms) * ms;
    return { ...b, row: `${b.key}#${shard()}`, start: new Date(start), end: new Date(start + ms) };
  });
  keyed.sort((a, b) => (a.row < b.row ? -1 : a.row > b.row ? 1 : 0));
  const rows = keyed.map((b) => sql`(${b.row}, ${b.start}::timestamptz, 1, ${b.end}::timestamptz)`);
  // The other shards as this statement's snapshot sees them, plus this statement's own hit (the
  // CTE's update is invisible to the sibling SELECT, so its own shard is read before the hit).
  const totals = keyed.map(
    (b) => sql`SELECT 'hit'::text AS kind, ${b.key}::text AS bucket, (1 + coalesce((
      SELECT sum(hits) FROM rate_limits
      WHERE bucket IN (${sql.join(Array.from({ length: BUCKET_SHARDS }, (_, i) => `${b.key}#${i}`))})
        AND window_start = ${b.start}::timestamptz), 0))::int AS hits, ${b.limit.limit}::int AS lim FROM hit LIMIT 1`,
  );
  const ctes = sql`hit AS (
      INSERT INTO rate_limits (bucket, window_start, hits, expires_at)
      VALUES ${sql.join(rows)}
      ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1
      RETURNING bucket
    ), limits AS (
    ${sql.join(
      totals.map((t) => sql`(${t})`),
      sql` UNION ALL `,
    )}
    UNION ALL
    SELECT 'open'::text AS kind, scope AS bucket, 0 AS hits, 0 AS lim FROM capture_circuit_breakers
    WHERE scope IN (${sql.join(scopes.length > 0 ? scopes : [''])}) AND closes_at > ${now})`;
  return {
    ctes,
    withinLimits: sql<boolean>`NOT EXISTS (SELECT 1 FROM limits WHERE kind = 'open' OR hits > lim)`,
    read(result) {
      const over = new Set<string>();
      const openScopes = new Set<string>();
      for (const r of result) {
        if (r.kind === 'open') {
          openScopes.add(r.bucket);
          continue;
        }
        const b = keyed.find((x) => x.key === r.bucket);
        if (b && Number(r.hits) > b.limit.limit) over.add(r.bucket);
      }
      return { over, openScopes };
    },
  };
}

export interface BreakerState {
  scope: string;
  workspaceId: string | null;
  openedAt: Date;
  closesAt: Date;
  reason: string;
  trips: number;
}

export const globalScope = 'global';
export const workspaceScope = (workspaceId: string) => `workspace:${workspaceId}`;

/** The open breakers that stop this workspace's confirmation mails (its own and the global one). */
export async function openBreakers(db: Executor, workspaceId: string, now: Date): Promise<BreakerState[]> {
  const rows = await db
    .selectFrom('capture_circuit_breakers')
    .selectAll()
    .where('scope', 'in', [globalScope, workspaceScope(workspaceId)])
    .where('closes_at', '>', now)
    .execute();
  return rows.map((r) => ({
    scope: r.scope,
    workspaceId: r.workspace_id,
    openedAt: r.opened_at,
    closesAt: r.closes_at,
    reason: r.reason,
    trips: r.trips,
  }));
}

/**
 * Opens (or keeps open) a breaker. Returns true when it was closed before, i.e. this call starts
 * a new pause and admins must be told.
 */
export async function tripBreaker(
  db: Executor,
  input: { scope: string; workspaceId: string | null; reason: string; now: Date; minutes: number },
): Promise<boolean> {
  const closesAt = new Date(input.now.getTime() + input.minutes * 60_000);
  const row = await sql<{ opened_at: Date; fresh: boolean }>`
    INSERT INTO capture_circuit_breakers AS b (scope, workspace_id, opened_at, closes_at, reason, trips)
    VALUES (${input.scope}, ${input.workspaceId}, ${input.now}, ${closesAt}, ${input.reason}, 1)
    ON CONFLICT (scope) DO UPDATE SET
      opened_at = CASE WHEN b.closes_at <= ${input.now} THEN excluded.opened_at ELSE b.opened_at END,
      reason = CASE WHEN b.closes_at <= ${input.now} THEN excluded.reason ELSE b.reason END,
      trips = CASE WHEN b.closes_at <= ${input.now} THEN b.trips + 1 ELSE b.trips END,
      closes_at = greatest(b.closes_at, excluded.closes_at)
    RETURNING opened_at, (opened_at = ${input.now}) AS fresh`.execute(db);
  return row.rows[0]?.fresh === true;
}

/** Closes a breaker now (admin action). Returns whether it was open. */
export async function closeBreaker(db: Executor, scope: string, now: Date): Promise<boolean> {
  const r = await db
    .updateTable('capture_circuit_breakers')
    .set({ closes_at: now })
    .where('scope', '=', scope)
    .where('closes_at', '>', now)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
