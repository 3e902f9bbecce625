import { sql } from 'kysely';
import type { Clock } from '../../shared/clock.js';
import type { Executor } from '../../shared/db/index.js';
import type { MailSettings } from './settings.repository.js';

/*
 * Sending rates per workspace and per destination domain, shared by every worker process: the
 * counters are rows of `rate_limits` (one-minute windows), reserved for a whole batch in one
 * statement per bucket. A message over the limit is deferred to the next window, not failed.
 */

const WINDOW_MS = 60_000;

async function reserve(db: Executor, bucket: string, n: number, windowStart: Date): Promise<number> {
  const result = await sql<{ hits: number }>`
    INSERT INTO rate_limits (bucket, window_start, hits, expires_at)
    VALUES (${bucket}, ${windowStart}, ${n}, ${new Date(windowStart.getTime() + 2 * WINDOW_MS)})
    ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + ${n}
    RETURNING hits`.execute(db);
  return Number(result.rows[0]?.hits ?? n);
}

function domainOf(email: string): string {
  return (email.slice(email.lastIndexOf('@') + 1) || '').toLowerCase();
}

/** The per-minute limit for a destination domain: an override for the domain, else the default. */
export function domainLimit(
  settings: Pick<MailSettings, 'domain_rates' | 'domain_rate_per_minute'>,
  domain: string,
): number | null {
  const override = settings.domain_rates?.[domain];
  return typeof override === 'number' && override > 0 ? override : settings.domain_rate_per_minute;
}

/**
 * Reserves sending slots for the given recipients (in order) in the current minute. Returns which
 * may go now and when the others may try again. Without configured limits it asks nothing.
 */
export async function reserveSendQuota(
  db: Executor,
  clock: Clock,
  settings: Pick<
    MailSettings,
    'workspace_id' | 'rate_per_minute' | 'domain_rate_per_minute' | 'domain_rates'
  >,
  recipients: string[],
): Promise<{ allowed: boolean[]; retryAt: Date }> {
  const now = clock.now().getTime();
  const start = new Date(Math.floor(now / WINDOW_MS) * WINDOW_MS);
  const retryAt = new Date(start.getTime() + WINDOW_MS);
  const allowed = recipients.map(() => true);
  const hasDomainLimits =
    settings.domain_rate_per_minute !== null || Object.keys(settings.domain_rates ?? {}).length > 0;
  if (settings.rate_per_minute === null && !hasDomainLimits) return { allowed, retryAt };

  if (hasDomainLimits) {
    const byDomain = new Map<string, number[]>();
    recipients.forEach((r, i) => {
      const d = domainOf(r);
      byDomain.set(d, [...(byDomain.get(d) ?? []), i]);
    });
    for (const [domain, indexes] of byDomain) {
      const limit = domainLimit(settings, domain);
      if (limit === null) continue;
      const hits = await reserve(db, `mail:${settings.workspace_id}:domain:${domain}`, indexes.length, start);
      // hits counts this batch too: the first (limit - earlier hits) of it fit.
      const fit = Math.max(0, limit - (hits - indexes.length));
      indexes.forEach((i, k) => {
        if (k >= fit) allowed[i] = false;
      });
    }
  }
  if (settings.rate_per_minute !== null) {
    const wanted = allowed.filter(Boolean).length;
    if (wanted > 0) {
      const hits = await reserve(db, `mail:${settings.workspace_id}:all`, wanted, start);
      let fit = Math.max(0, settings.rate_per_minute - (hits - wanted));
      for (let i = 0; i < allowed.length; i++) {
        if (!allowed[i]) continue;
        if (fit > 0) fit--;
        else allowed[i] = false;
      }
    }
  }
  return { allowed, retryAt };
}
