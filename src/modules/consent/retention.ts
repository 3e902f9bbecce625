import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import type { Db, Executor } from '../../shared/db/index.js';
import { defineJob } from '../../shared/jobs/index.js';
import type { Logger } from '../../shared/log.js';
import { DEFAULT_CONSENT_SETTINGS, lockContact } from './consent.repository.js';
import { appendConsentEvent } from './ledger.js';

/*
 * Retention (compliance.md): requests never confirmed expire with their link and are deleted after
 * the workspace's retention period (default 14 days); the proof of a consent that ended
 * (withdrawn, expired, objected) is kept for the limitation period (default 3 years after the last
 * event) and then deleted. Suppression entries are never touched here. The ledger's chain is per
 * contact, so proof is deleted per contact, all at once: a contact that still has a confirmed
 * consent keeps its whole ledger, including old unconfirmed requests, until the end.
 */

const BATCH = 500;

/** Lets this transaction delete from the append-only ledger (the trigger checks this setting). */
async function allowLedgerPurge(trx: Executor): Promise<void> {
  await sql`select set_config('leadwerk.consent_purge', 'on', true)`.execute(trx);
}

/** Pending consents whose every link has expired become `expired`, with a ledger event. */
export async function expireStaleRequests(db: Db, now: Date): Promise<number> {
  const stale = await sql<{ workspace_id: string; contact_id: string; purpose: string }>`
    SELECT c.workspace_id, c.contact_id, c.purpose FROM consents c
    WHERE c.status = 'pending' AND NOT EXISTS (
      SELECT 1 FROM consent_tokens t
      WHERE t.workspace_id = c.workspace_id AND t.contact_id = c.contact_id AND t.kind = 'opt_in'
        AND t.used_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ${now})
        AND t.purposes @> jsonb_build_array(c.purpose))
    ORDER BY c.workspace_id, c.contact_id LIMIT ${BATCH}`.execute(db);
  let expired = 0;
  for (const row of stale.rows) {
    await db.transaction().execute(async (trx) => {
      const contact = await lockContact(trx, row.workspace_id, row.contact_id);
      if (!contact) return;
      const result = await trx
        .updateTable('consents')
        .set({ status: 'expired', updated_at: now })
        .where('workspace_id', '=', row.workspace_id)
        .where('contact_id', '=', row.contact_id)
        .where('purpose', '=', row.purpose)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return;
      await appendConsentEvent(trx, {
        workspaceId: row.workspace_id,
        contactId: row.contact_id,
        purpose: row.purpose,
        event: 'expired',
        occurredAt: now,
        email: contact.email,
        details: { reason: 'confirmation link expired' },
      });
      expired++;
    });
  }
  return expired;
}

/**
 * Deletes requests that were never confirmed, once the workspace's retention period has passed
 * since the (last) request: consent rows, and — when the contact has no other consent at all —
 * its ledger, its links and the contact itself if it is nothing but that sign-up.
 */
export async function purgeUnconfirmedRequests(
  db: Db,
  now: Date,
): Promise<{ consents: number; contacts: number }> {
  const due = await sql<{ workspace_id: string; contact_id: string }>`
    SELECT DISTINCT c.workspace_id, c.contact_id FROM consents c
    LEFT JOIN consent_settings s ON s.workspace_id = c.workspace_id
    WHERE c.status IN ('pending', 'expired')
      AND c.requested_at < ${now}::timestamptz
        - make_interval(days => coalesce(s.unconfirmed_retention_days, ${DEFAULT_CONSENT_SETTINGS.unconfirmedRetentionDays}))
    LIMIT ${BATCH}`.execute(db);
  const counts = { consents: 0, contacts: 0 };
  for (const { workspace_id: ws, contact_id: contactId } of due.rows) {
    await db.transaction().execute(async (trx) => {
      const contact = await lockContact(trx, ws, contactId);
      if (!contact) return;
      const settings = await trx
        .selectFrom('consent_settings')
        .select('unconfirmed_retention_days')
        .where('workspace_id', '=', ws)
        .executeTakeFirst();
      const days = settings?.unconfirmed_retention_days ?? DEFAULT_CONSENT_SETTINGS.unconfirmedRetentionDays;
      const cutoff = new Date(now.getTime() - days * 86_400_000);
      const consents = await trx
        .selectFrom('consents')
        .selectAll()
        .where('workspace_id', '=', ws)
        .where('contact_id', '=', contactId)
        .execute();
      const stale = consents.filter(
        (c) =>
          (c.status === 'pending' || c.status === 'expired') &&
          c.requested_at !== null &&
          c.requested_at < cutoff,
      );
      if (stale.length === 0) return;
      await trx
        .deleteFrom('consents')
        .where('workspace_id', '=', ws)
        .where('contact_id', '=', contactId)
        .where(
          'purpose',
          'in',
          stale.map((c) => c.purpose),
        )
        .execute();
      counts.consents += stale.length;
      if (stale.length < consents.length) return; // other consents: the ledger stays whole
      await allowLedgerPurge(trx);
      await trx
        .deleteFrom('consent_events')
        .where('workspace_id', '=', ws)
        .where('contact_id', '=', contactId)
        .execute();
      await trx
        .deleteFrom('consent_tokens')
        .where('workspace_id', '=', ws)
        .where('contact_id', '=', contactId)
        .execute();
      await trx
        .deleteFrom('consent_notices')
        .where('workspace_id', '=', ws)
        .where('contact_id', '=', contactId)
        .execute();
      // The contact was only this sign-up: it goes too. If another module still refers to it,
      // the savepoint keeps the purge of the request and leaves the contact to its owner.
      if (contact.lifecycle_stage === 'subscriber' && contact.owner_user_id === null) {
        await sql`SAVEPOINT consent_purge_contact`.execute(trx);
        try {
          await trx
            .deleteFrom('contacts')
            .where('workspace_id', '=', ws)
            .where('id', '=', contactId)
            .execute();
          await sql`RELEASE SAVEPOINT consent_purge_contact`.execute(trx);
          counts.contacts++;
        } catch {
          await sql`ROLLBACK TO SAVEPOINT consent_purge_contact`.execute(trx);
        }
      }
    });
  }
  return counts;
}

/**
 * Deletes the proof of consents that ended, per contact, when no consent of the contact is pending
 * or confirmed and its last ledger event is older than the workspace's proof retention period
 * (default 3 years, §§195, 199 BGB). Erased contacts (ledger without contact) are included.
 */
export async function purgeEndedProof(db: Db, now: Date): Promise<number> {
  const due = await sql<{ workspace_id: string; contact_id: string }>`
    SELECT e.workspace_id, e.contact_id FROM consent_events e
    LEFT JOIN consent_settings s ON s.workspace_id = e.workspace_id
    WHERE e.contact_id IS NOT NULL
    GROUP BY e.workspace_id, e.contact_id, s.proof_retention_days
    HAVING max(e.occurred_at) < ${now}::timestamptz
      - make_interval(days => coalesce(s.proof_retention_days, ${DEFAULT_CONSENT_SETTINGS.proofRetentionDays}))
      AND NOT EXISTS (
        SELECT 1 FROM consents c WHERE c.workspace_id = e.workspace_id AND c.contact_id = e.contact_id
          AND c.status IN ('pending', 'confirmed'))
    LIMIT ${BATCH}`.execute(db);
  let purged = 0;
  for (const { workspace_id: ws, contact_id: contactId } of due.rows) {
    await db.transaction().execute(async (trx) => {
      await lockContact(trx, ws, contactId);
      const active = await trx
        .selectFrom('consents')
        .select('purpose')
        .where('workspace_id', '=', ws)
        .where('contact_id', '=', contactId)
        .where('status', 'in', ['pending', 'confirmed'])
        .executeTakeFirst();
      if (active) return; // consented again meanwhile
      await allowLedgerPurge(trx);
      const result = await trx
        .deleteFrom('consent_events')
        .where('workspace_id', '=', ws)
        .where('contact_id', '=', contactId)
        .executeTakeFirst();
      await trx
        .deleteFrom('consents')
        .where('workspace_id', '=', ws)
        .where('contact_id', '=', contactId)
        .execute();
      purged += Number(result.numDeletedRows);
    });
  }
  return purged;
}

/** Link rows nobody can use any more, kept 31 days for the per-address limits. */
export async function purgeOldLinks(db: Db, now: Date): Promise<number> {
  const monthAgo = new Date(now.getTime() - 31 * 86_400_000);
  const tokens = await db
    .deleteFrom('consent_tokens')
    .where((eb) =>
      eb.or([
        eb.and([eb('kind', '=', 'opt_in'), eb('created_at', '<', monthAgo), eb('expires_at', '<', now)]),
        eb.and([eb('kind', '=', 'opt_in'), eb('created_at', '<', monthAgo), eb('used_at', 'is not', null)]),
        eb.and([eb('kind', '=', 'preferences'), eb('expires_at', '<', now)]),
      ]),
    )
    .executeTakeFirst();
  await db.deleteFrom('consent_notices').where('created_at', '<', monthAgo).execute();
  await db.deleteFrom('consent_mail_log').where('created_at', '<', monthAgo).execute();
  return Number(tokens.numDeletedRows);
}

/** One retention pass; safe to run twice and concurrently (each step re-checks under the contact's lock). */
export async function runConsentRetention(db: Db, now: Date, log?: Logger) {
  const expired = await expireStaleRequests(db, now);
  const unconfirmed = await purgeUnconfirmedRequests(db, now);
  const proofEvents = await purgeEndedProof(db, now);
  const links = await purgeOldLinks(db, now);
  const result = {
    expired,
    unconfirmedConsents: unconfirmed.consents,
    contacts: unconfirmed.contacts,
    proofEvents,
    links,
  };
  if (expired + unconfirmed.consents + proofEvents + links > 0)
    log?.info({ event: 'consent.retention-purged', ...result }, 'consent retention applied');
  return result;
}

export const retentionJob = () =>
  defineJob({
    name: 'consent.apply-retention',
    schema: Type.Object({}),
    maxAttempts: 3,
    async handler(_payload, ctx) {
      await runConsentRetention(ctx.db, ctx.clock.now(), ctx.log);
    },
  });
