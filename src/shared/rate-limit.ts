import { isIP } from 'node:net';
import { sql } from 'kysely';
import type { Clock } from './clock.js';
import type { Executor } from './db/index.js';

export interface RateLimitResult {
  allowed: boolean;
  hits: number;
  retryAfterSeconds: number;
}

/**
 * Counts one hit in a fixed window shared by every process (a row in rate_limits) and says whether
 * the caller is still within `limit`. The database does the counting so several API processes
 * enforce one limit.
 */
export async function hitRateLimit(
  db: Executor,
  clock: Clock,
  bucket: string,
  limit: number,
  windowSeconds: number,
): Promise<RateLimitResult> {
  const now = clock.now().getTime();
  const windowMs = windowSeconds * 1000;
  const start = Math.floor(now / windowMs) * windowMs;
  const expires = new Date(start + windowMs);
  const result = await sql<{ hits: number }>`
    INSERT INTO rate_limits (bucket, window_start, hits, expires_at)
    VALUES (${bucket}, ${new Date(start)}, 1, ${expires})
    ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1
    RETURNING hits`.execute(db);
  const hits = Number(result.rows[0]?.hits ?? 1);
  return { allowed: hits <= limit, hits, retryAfterSeconds: Math.ceil((start + windowMs - now) / 1000) };
}

/** Deletes counters of windows that have ended. */
export async function purgeRateLimits(db: Executor, clock: Clock): Promise<number> {
  const result = await db.deleteFrom('rate_limits').where('expires_at', '<', clock.now()).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/**
 * The client key for per-IP limits: an IPv4 address as it is, an IPv6 address cut to its /64
 * (one customer line gets a whole /64, so counting single addresses would let it rotate freely).
 */
export function clientKey(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIP(ip) !== 6) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => (Number.parseInt(g || '0', 16) || 0).toString(16))
    .join(':')}::/64`;
}
