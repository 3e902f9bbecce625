import { promises as dns } from 'node:dns';
import type { Executor } from '../../shared/db/index.js';
import type { EmailDomainStatus } from '../../shared/db/schema.js';

/** The DNS questions a domain check asks; injected so that tests never need the internet. */
export interface DomainResolver {
  resolveMx(domain: string): Promise<{ exchange: string; priority: number }[]>;
  /** Any A or AAAA record (RFC 5321 §5.1: without MX, the address record is the implicit MX). */
  hasAddress(domain: string): Promise<boolean>;
}

export const systemResolver: DomainResolver = {
  resolveMx: (domain) => dns.resolveMx(domain),
  async hasAddress(domain) {
    const results = await Promise.allSettled([dns.resolve4(domain), dns.resolve6(domain)]);
    return results.some((r) => r.status === 'fulfilled' && r.value.length > 0);
  },
};

export const DOMAIN_CHECK_TIMEOUT_MS = 3000;
const OK_TTL_MS = 7 * 86_400_000;
const FAIL_TTL_MS = 86_400_000;
const UNKNOWN_TTL_MS = 3_600_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('DNS timeout'), { code: 'ETIMEOUT' })), ms);
    }),
  ]);
}

/**
 * Asks DNS whether a domain accepts mail: MX records (a single "." MX is RFC 7505's "no mail"),
 * else an address record; NXDOMAIN is `not_found`; a timeout or server failure is `unknown` and
 * is asked again soon. Never throws.
 */
export async function lookupDomain(
  resolver: DomainResolver,
  domain: string,
  timeoutMs = DOMAIN_CHECK_TIMEOUT_MS,
): Promise<{ status: EmailDomainStatus; mx: string[] }> {
  try {
    const records = await withTimeout(resolver.resolveMx(domain), timeoutMs);
    const sorted = [...records].sort((a, b) => a.priority - b.priority);
    if (sorted.length === 1 && (sorted[0]!.exchange === '' || sorted[0]!.exchange === '.'))
      return { status: 'null_mx', mx: [] };
    if (sorted.length > 0) return { status: 'ok', mx: sorted.map((r) => r.exchange).slice(0, 10) };
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOTFOUND') return { status: 'not_found', mx: [] };
    if (code !== 'ENODATA') return { status: 'unknown', mx: [] };
  }
  try {
    return (await withTimeout(resolver.hasAddress(domain), timeoutMs))
      ? { status: 'ok', mx: [] }
      : { status: 'no_mx', mx: [] };
  } catch {
    return { status: 'unknown', mx: [] };
  }
}

export async function findCachedDomains(
  db: Executor,
  domains: string[],
  now: Date,
): Promise<Map<string, EmailDomainStatus>> {
  if (domains.length === 0) return new Map();
  const rows = await db
    .selectFrom('email_domains')
    .select(['domain', 'status'])
    .where('domain', 'in', domains)
    .where('expires_at', '>', now)
    .execute();
  return new Map(rows.map((r) => [r.domain, r.status]));
}

/** The cached answer for a domain, asking DNS (with a timeout) when there is none or it expired. */
export async function checkDomain(
  db: Executor,
  resolver: DomainResolver,
  domain: string,
  now: Date,
): Promise<EmailDomainStatus> {
  const cached = (await findCachedDomains(db, [domain], now)).get(domain);
  if (cached) return cached;
  const { status, mx } = await lookupDomain(resolver, domain);
  const ttl = status === 'ok' ? OK_TTL_MS : status === 'unknown' ? UNKNOWN_TTL_MS : FAIL_TTL_MS;
  await db
    .insertInto('email_domains')
    .values({
      domain,
      status,
      mx: JSON.stringify(mx),
      checked_at: now,
      expires_at: new Date(now.getTime() + ttl),
    })
    .onConflict((oc) =>
      oc.column('domain').doUpdateSet({
        status,
        mx: JSON.stringify(mx),
        checked_at: now,
        expires_at: new Date(now.getTime() + ttl),
      }),
    )
    .execute();
  return status;
}
