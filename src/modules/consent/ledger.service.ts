import type { Actor } from '../../shared/actor.js';
import type { Db } from '../../shared/db/index.js';
import type { Consent, ConsentEvent } from '../../shared/db/schema.js';
import { normalizeEmail } from '../../shared/email.js';
import { AppError } from '../../shared/errors.js';
import type { AppDeps } from '../../shared/module.js';
import { recordAudit } from '../audit/index.js';
import { findWorkspaceById } from '../workspaces/index.js';
import {
  type ConsentSettingsValues,
  findConsentSettings,
  findConsents,
  lockContact,
  setConsentStatus,
  upsertConsentSettings,
} from './consent.repository.js';
import { appendConsentEvent, type LedgerBreak, verifyConsentLedger } from './ledger.js';
import type { ConsentWiring } from './wiring.js';
import { objectToMarketing } from './withdraw.service.js';

export interface ContactLedger {
  contactId: string;
  /** The address as the ledger knows it (the contact may have been erased meanwhile). */
  email: string;
  contactExists: boolean;
  workspaceName: string;
  consents: Consent[];
  events: ConsentEvent[];
  verification: { checked: number; breaks: LedgerBreak[] };
}

/**
 * Finds the contact behind an address for the DPO: the live contact, or — after an erasure —
 * the ledger entries that still prove consent for the limitation period.
 */
export async function findLedgerContact(
  db: Db,
  workspaceId: string,
  email: string,
): Promise<string | undefined> {
  const normalized = normalizeEmail(email);
  if (!normalized)
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'email', message: 'not an e-mail address' }],
    });
  const contact = await db
    .selectFrom('contacts')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('email_normalized', '=', normalized)
    .executeTakeFirst();
  if (contact) return contact.id;
  const event = await db
    .selectFrom('consent_events')
    .select('contact_id')
    .where('workspace_id', '=', workspaceId)
    .where((eb) => eb.fn('lower', ['email']), '=', normalized)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return event?.contact_id ?? undefined;
}

/** A contact's whole consent ledger, its current consents and the verification of its chain. */
export async function getContactLedger(
  db: Db,
  workspaceId: string,
  contactId: string,
): Promise<ContactLedger> {
  const contact = await db
    .selectFrom('contacts')
    .select(['id', 'email'])
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', contactId)
    .executeTakeFirst();
  const events = await db
    .selectFrom('consent_events')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .orderBy('id')
    .execute();
  if (!contact && events.length === 0) throw new AppError('NOT_FOUND');
  const workspace = await findWorkspaceById(db, workspaceId);
  return {
    contactId,
    email: contact?.email ?? events.at(-1)?.email ?? '',
    contactExists: contact !== undefined,
    workspaceName: workspace?.name ?? '',
    consents: contact ? await findConsents(db, workspaceId, contactId) : [],
    events,
    verification: await verifyConsentLedger(db, workspaceId, contactId),
  };
}

/** Records that the evidence for a contact was exported (an audit entry: exports of personal data are logged). */
export async function recordEvidenceExport(
  db: Db,
  actor: Actor,
  workspaceId: string,
  contactId: string,
  format: 'html' | 'pdf' | 'json',
): Promise<void> {
  await recordAudit(db, actor, {
    workspaceId,
    action: 'consent.evidence-exported',
    targetType: 'contact',
    targetId: contactId,
    details: { format },
  });
}

export interface AdminConsentChange {
  purpose: string;
  status: 'confirmed' | 'withdrawn';
  legalBasis?: 'consent' | 'existing_customer' | undefined;
  /** Why: e.g. "written consent on the trade-fair form of 2026-03-04, scanned in the CRM". */
  note: string;
}

/**
 * An admin changes a consent by hand (a paper form, a phone call, the documented existing-customer
 * basis of UWG §7(3)): a `changed_by_admin` ledger event with the user and the reason, and an
 * audit entry, in one transaction.
 */
export async function changeConsentByAdmin(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  wiring: ConsentWiring,
  actor: Actor,
  workspaceId: string,
  contactId: string,
  change: AdminConsentChange,
): Promise<Consent[]> {
  return deps.db.transaction().execute(async (trx) => {
    const contact = await lockContact(trx, workspaceId, contactId);
    if (!contact) throw new AppError('NOT_FOUND');
    const now = deps.clock.now();
    const before = (await findConsents(trx, workspaceId, contactId)).find(
      (c) => c.purpose === change.purpose,
    );
    if (change.status === 'withdrawn' && !before) throw new AppError('CONSENT_NOT_FOUND');
    const legalBasis = change.status === 'confirmed' ? (change.legalBasis ?? 'consent') : undefined;
    await setConsentStatus(trx, workspaceId, contactId, change.purpose, change.status, now, legalBasis);
    await appendConsentEvent(trx, {
      workspaceId,
      contactId,
      purpose: change.purpose,
      event: 'changed_by_admin',
      occurredAt: now,
      email: contact.email,
      ip: actor.ip,
      userAgent: actor.userAgent,
      actorUserId: actor.userId,
      details: {
        from: before?.status ?? null,
        to: change.status,
        ...(legalBasis ? { legalBasis } : {}),
        note: change.note,
        actor: actor.label,
      },
    });
    await wiring.recordActivities(trx, [
      {
        workspaceId,
        contactId,
        type: 'consent.changed-by-admin',
        occurredAt: now,
        data: { purpose: change.purpose, from: before?.status ?? null, to: change.status },
        source: actor.userId ? `user:${actor.userId}` : 'api',
      },
    ]);
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'consent.changed',
      targetType: 'contact',
      targetId: contactId,
      details: {
        purpose: change.purpose,
        from: before?.status ?? null,
        to: change.status,
        legalBasis,
        note: change.note,
      },
    });
    return findConsents(trx, workspaceId, contactId);
  });
}

/** An objection received another way (letter, phone, e-mail to the DPO), recorded by an admin. */
export async function recordObjectionByAdmin(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  wiring: ConsentWiring,
  actor: Actor,
  workspaceId: string,
  contactId: string,
  note: string,
): Promise<void> {
  await deps.db.transaction().execute(async (trx) => {
    const result = await objectToMarketing(trx, {
      workspaceId,
      contactId,
      via: 'admin',
      ip: actor.ip,
      userAgent: actor.userAgent,
      now: deps.clock.now(),
      wiring,
    });
    if (!result) throw new AppError('NOT_FOUND');
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'consent.objection-recorded',
      targetType: 'contact',
      targetId: contactId,
      details: { withdrawn: result.withdrawn, note },
    });
  });
}

export async function getConsentSettings(db: Db, workspaceId: string): Promise<ConsentSettingsValues> {
  return findConsentSettings(db, workspaceId);
}

/** Changes the workspace's link lifetime and retention periods (with an audit entry). */
export async function updateConsentSettings(
  deps: Pick<AppDeps, 'db' | 'clock'>,
  actor: Actor,
  workspaceId: string,
  values: ConsentSettingsValues,
): Promise<ConsentSettingsValues> {
  return deps.db.transaction().execute(async (trx) => {
    const before = await findConsentSettings(trx, workspaceId);
    await upsertConsentSettings(trx, workspaceId, values, deps.clock.now());
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'consent.settings-changed',
      targetType: 'workspace',
      targetId: workspaceId,
      details: { before, after: values },
    });
    return findConsentSettings(trx, workspaceId);
  });
}
