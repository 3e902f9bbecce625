import { Resolver } from 'node:dns/promises';
import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import type { Executor } from '../../shared/db/index.js';
import type { Contact } from '../../shared/db/schema.js';
import { defineJob, type JobDefinition } from '../../shared/jobs/index.js';
import type { AppDeps } from '../../shared/module.js';
import { findStaleAfterDays, RESCORE_WORKSPACE_JOB } from '../workspaces/index.js';
import { listCustomFields } from './custom-fields.js';
import {
  checkDomain,
  DOMAIN_CHECK_TIMEOUT_MS,
  type DomainResolver,
  findCachedDomains,
} from './domain-check.js';
import { domainOf } from './email-rules.js';
import { computeQuality } from './quality.js';

/*
 * Data quality in the background: nothing here runs in a request. A sign-up or import stores the
 * contact with the finding `domain_unchecked`; the recurring `contacts.check-domains` job asks DNS
 * for those domains (through the MX cache, so each domain once per TTL for the whole
 * installation) and re-scores their contacts. `contacts.refresh-quality` re-scores the contacts
 * whose score is oldest, so that freshness (stale fields) and expired cache entries are seen.
 * `contacts.rescore-workspace` re-scores one whole workspace in pages after its freshness period
 * changed (enqueued with the change, see the workspaces module).
 */

/** A resolver for the domain checks: the given DNS servers (`ip` or `ip:port`), else the system's. */
export function createDomainResolver(servers: string[] = []): DomainResolver {
  const resolver = new Resolver({ timeout: DOMAIN_CHECK_TIMEOUT_MS, tries: 2 });
  if (servers.length > 0) resolver.setServers(servers);
  return {
    resolveMx: (domain) => resolver.resolveMx(domain),
    async hasAddress(domain) {
      const results = await Promise.allSettled([resolver.resolve4(domain), resolver.resolve6(domain)]);
      return results.some((r) => r.status === 'fulfilled' && r.value.length > 0);
    },
  };
}

/** Domains per run of the check job, and how many are asked at once. */
export const DOMAINS_PER_RUN = 100;
const DNS_PARALLEL = 8;
/** Contacts re-scored per statement and per run of the refresh job. */
const BATCH = 500;
export const REFRESH_PER_RUN = 5000;
/** A score older than this is recomputed by the refresh job. */
export const QUALITY_MAX_AGE_MS = 86_400_000;

// Must stay the predicate of the partial index contacts_domain_unchecked_idx (migration 0522).
const UNCHECKED = sql.raw(`quality_reasons @> '[{"code": "domain_unchecked"}]'`);
const DOMAIN = sql.raw(`split_part(email_normalized, '@', 2)`);

/** Recomputes and stores the score of these contacts (any workspaces) from their rows and the MX cache. */
export async function rescoreContacts(db: Executor, contacts: Contact[], now: Date): Promise<number> {
  if (contacts.length === 0) return 0;
  const statuses = await findCachedDomains(
    db,
    [...new Set(contacts.map((c) => domainOf(c.email_normalized)))],
    now,
  );
  const keysByWorkspace = new Map<string, string[]>();
  const workspaceIds = [...new Set(contacts.map((c) => c.workspace_id))];
  const staleDays = await findStaleAfterDays(db, workspaceIds);
  for (const ws of workspaceIds) {
    const defs = await listCustomFields(db, ws, 'contact');
    keysByWorkspace.set(
      ws,
      defs.filter((d) => d.qualification).map((d) => d.key),
    );
  }
  const rows = contacts.map((c) => {
    const q = computeQuality({
      email: c.email_normalized,
      fields: c as unknown as Record<string, unknown>,
      customFields: c.custom_fields ?? {},
      qualificationCustomKeys: keysByWorkspace.get(c.workspace_id) ?? [],
      fieldMeta: c.field_meta ?? {},
      domainStatus: statuses.get(domainOf(c.email_normalized)),
      now,
      staleDays: staleDays.get(c.workspace_id),
    });
    return { id: c.id, ws: c.workspace_id, score: q.score, reasons: q.reasons };
  });
  const r = await sql`
    UPDATE contacts c SET quality_score = x.score, quality_reasons = x.reasons, quality_checked_at = ${now}
    FROM jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS x(id uuid, ws uuid, score smallint, reasons jsonb)
    WHERE c.workspace_id = x.ws AND c.id = x.id`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}

/** One run of the domain check: up to `limit` unchecked domains asked, their contacts re-scored. */
export async function checkPendingDomains(
  db: Executor,
  resolver: DomainResolver,
  now: Date,
  limit = DOMAINS_PER_RUN,
): Promise<{ domains: number; contacts: number }> {
  const pending = await sql<{ domain: string }>`
    SELECT DISTINCT ${DOMAIN} AS domain FROM contacts WHERE ${UNCHECKED} LIMIT ${limit}`.execute(db);
  const domains = pending.rows.map((r) => r.domain).filter((d) => d.length > 0 && d.length <= 253);
  for (let i = 0; i < domains.length; i += DNS_PARALLEL)
    await Promise.all(domains.slice(i, i + DNS_PARALLEL).map((d) => checkDomain(db, resolver, d, now)));
  let contacts = 0;
  for (const domain of domains) {
    for (;;) {
      const batch = await db
        .selectFrom('contacts')
        .selectAll()
        .where(sql<boolean>`${DOMAIN} = ${domain} AND ${UNCHECKED}`)
        .limit(BATCH)
        .execute();
      if (batch.length === 0) break;
      contacts += await rescoreContacts(db, batch, now);
      // The cache has an answer now, so re-scored contacts leave the unchecked set; stop if not.
      if (batch.length < BATCH) break;
    }
  }
  return { domains: domains.length, contacts };
}

/** One run of the refresh: the contacts with the oldest scores, re-scored. */
export async function refreshOldestScores(db: Executor, now: Date, limit = REFRESH_PER_RUN): Promise<number> {
  let done = 0;
  const due = new Date(now.getTime() - QUALITY_MAX_AGE_MS);
  while (done < limit) {
    const batch = await db
      .selectFrom('contacts')
      .selectAll()
      .where('merged_into_contact_id', 'is', null)
      .where((eb) => eb.or([eb('quality_checked_at', 'is', null), eb('quality_checked_at', '<', due)]))
      .orderBy(sql`quality_checked_at NULLS FIRST`)
      .limit(Math.min(BATCH, limit - done))
      .execute();
    if (batch.length === 0) break;
    done += await rescoreContacts(db, batch, now);
    if (batch.length < BATCH) break;
  }
  return done;
}

/**
 * One run of a workspace's re-scoring: up to `limit` contacts after `afterId` (by id), in
 * statements of BATCH. Returns the last id when more may follow, else null.
 */
export async function rescoreWorkspacePage(
  db: Executor,
  workspaceId: string,
  afterId: string | undefined,
  now: Date,
  limit = REFRESH_PER_RUN,
): Promise<{ contacts: number; nextAfterId: string | null }> {
  let done = 0;
  let after = afterId ?? null;
  while (done < limit) {
    const size = Math.min(BATCH, limit - done);
    const batch = await db
      .selectFrom('contacts')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('merged_into_contact_id', 'is', null)
      .$if(after !== null, (q) => q.where('id', '>', after!))
      .orderBy('id')
      .limit(size)
      .execute();
    if (batch.length === 0) return { contacts: done, nextAfterId: null };
    await rescoreContacts(db, batch, now);
    done += batch.length;
    after = batch[batch.length - 1]!.id;
    if (batch.length < size) return { contacts: done, nextAfterId: null };
  }
  return { contacts: done, nextAfterId: after };
}

/** The runner of RESCORE_WORKSPACE_JOB: one page per run, the next page enqueued as it completes. */
export function rescoreWorkspaceJob(deps: Pick<AppDeps, 'queue'>, limit = REFRESH_PER_RUN): JobDefinition {
  return defineJob({
    ...RESCORE_WORKSPACE_JOB,
    async handler(payload, ctx) {
      const r = await rescoreWorkspacePage(
        ctx.db,
        payload.workspaceId,
        payload.afterId,
        ctx.clock.now(),
        limit,
      );
      await ctx.completeWith(async (trx) => {
        // Keyed by its page, so a rerun of this job does not enqueue the next page twice.
        if (r.nextAfterId)
          await deps.queue.enqueue(
            trx,
            RESCORE_WORKSPACE_JOB,
            { workspaceId: payload.workspaceId, afterId: r.nextAfterId },
            { workspaceId: payload.workspaceId, idempotencyKey: `${payload.workspaceId}:${r.nextAfterId}` },
          );
      });
      if (r.contacts > 0)
        ctx.log.info(
          { event: 'contacts.workspace-rescored', workspaceId: payload.workspaceId, contacts: r.contacts },
          'quality scores of a workspace re-scored',
        );
    },
  }) as JobDefinition;
}

export function qualityJobs(deps: AppDeps): { job: JobDefinition; everyMs: number }[] {
  const resolver = createDomainResolver(deps.config.dnsServers);
  return [
    {
      job: defineJob({
        name: 'contacts.check-domains',
        lane: 'bulk',
        schema: Type.Object({}),
        maxAttempts: 3,
        async handler(_payload, ctx) {
          const r = await checkPendingDomains(ctx.db, resolver, ctx.clock.now());
          if (r.domains > 0)
            ctx.log.info({ event: 'contacts.domains-checked', ...r }, 'mail domains checked');
        },
      }),
      everyMs: 60_000,
    },
    {
      job: defineJob({
        name: 'contacts.refresh-quality',
        lane: 'bulk',
        schema: Type.Object({}),
        maxAttempts: 3,
        async handler(_payload, ctx) {
          const n = await refreshOldestScores(ctx.db, ctx.clock.now());
          if (n > 0)
            ctx.log.info({ event: 'contacts.quality-refreshed', contacts: n }, 'quality scores refreshed');
        },
      }),
      everyMs: 600_000,
    },
  ];
}
