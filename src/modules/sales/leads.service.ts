import type { Actor } from '../../shared/actor.js';
import type { Db, Trx } from '../../shared/db/index.js';
import type { RejectReason, SalesLeadStatus } from '../../shared/db/schema.js';
import { AppError } from '../../shared/errors.js';
import { recordAudit } from '../audit/index.js';
import { emitSalesEvent } from './events.js';
import { assignLead, type SalesDeps } from './hand-off.service.js';
import {
  countRejectReasons,
  findLead,
  insertLeadEvent,
  isManager,
  loadRepStates,
  lockWorkspaceRouting,
} from './sales.repository.js';
import type { SalesWiring } from './wiring.js';

export const REJECT_REASONS: RejectReason[] = [
  'not_a_fit',
  'no_budget',
  'no_project',
  'bad_data',
  'already_customer',
  'competitor',
  'other',
];

const causeOf = (actor: Actor) =>
  actor.userId ? `user:${actor.userId}` : actor.apiKeyId ? `api:${actor.apiKeyId}` : 'api';

/** Locks the lead and checks the caller may act on it: its rep, or a manager. */
async function lockLeadFor(trx: Trx, workspaceId: string, leadId: string, actor: Actor) {
  const lead = await findLead(trx, workspaceId, leadId, true);
  if (!lead) throw new AppError('NOT_FOUND', { field: 'leadId' });
  const manager = await isManager(trx, workspaceId, actor.userId);
  // API keys act for the workspace (integrations); users only on their own leads unless managers.
  if (actor.userId && !manager && lead.assigned_user_id !== actor.userId) {
    throw new AppError('SALES_NOT_YOUR_LEAD');
  }
  return lead;
}

/** The rep accepts the lead: status accepted, contact → SAL. */
export async function acceptLead(
  db: Db,
  deps: SalesDeps,
  wiring: SalesWiring,
  actor: Actor,
  workspaceId: string,
  leadId: string,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const settings = await lockWorkspaceRouting(trx, workspaceId);
    const lead = await lockLeadFor(trx, workspaceId, leadId, actor);
    if (lead.status !== 'assigned') throw new AppError('SALES_LEAD_NOT_OPEN', { status: lead.status });
    const now = deps.clock.now();
    await trx
      .updateTable('sales_leads')
      .set({ status: 'accepted', accepted_at: now, updated_at: now })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', leadId)
      .execute();
    await wiring.changeStage(trx, deps, {
      workspaceId,
      contactId: lead.contact_id,
      to: 'sal',
      cause: causeOf(actor),
    });
    await insertLeadEvent(trx, {
      workspaceId,
      leadId,
      kind: 'accepted',
      toUserId: lead.assigned_user_id,
      actorLabel: actor.label,
      at: now,
    });
    await emitSalesEvent(trx, deps, {
      workspaceId,
      type: 'lead.accepted',
      leadId,
      contactId: lead.contact_id,
      webhookUrl: settings.webhook_url,
      payload: { assignedUserId: lead.assigned_user_id, acceptedBy: actor.userId },
    });
  });
}

/**
 * The rep rejects the lead with a reason code (a note is required for `other`): back to
 * nurturing (`recycled`) or `disqualified`. The reason stays on the lead for reports.
 */
export async function rejectLead(
  db: Db,
  deps: SalesDeps,
  wiring: SalesWiring,
  actor: Actor,
  workspaceId: string,
  leadId: string,
  input: { reason: RejectReason; note?: string | undefined; outcome: 'recycled' | 'disqualified' },
): Promise<void> {
  const note = input.note?.trim() || null;
  if (input.reason === 'other' && !note) throw new AppError('SALES_NOTE_REQUIRED', { field: 'note' });
  await db.transaction().execute(async (trx) => {
    const settings = await lockWorkspaceRouting(trx, workspaceId);
    const lead = await lockLeadFor(trx, workspaceId, leadId, actor);
    if (lead.status !== 'assigned' && lead.status !== 'accepted' && lead.status !== 'unassigned') {
      throw new AppError('SALES_LEAD_NOT_OPEN', { status: lead.status });
    }
    const now = deps.clock.now();
    await trx
      .updateTable('sales_leads')
      .set({
        status: 'rejected',
        rejected_at: now,
        reject_reason: input.reason,
        reject_note: note,
        reject_outcome: input.outcome,
        updated_at: now,
      })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', leadId)
      .execute();
    await wiring.changeStage(trx, deps, {
      workspaceId,
      contactId: lead.contact_id,
      to: input.outcome,
      cause: causeOf(actor),
      ...(note ? { note } : {}),
    });
    await insertLeadEvent(trx, {
      workspaceId,
      leadId,
      kind: 'rejected',
      fromUserId: lead.assigned_user_id,
      actorLabel: actor.label,
      data: { reason: input.reason, outcome: input.outcome, note },
      at: now,
    });
    await emitSalesEvent(trx, deps, {
      workspaceId,
      type: 'lead.rejected',
      leadId,
      contactId: lead.contact_id,
      webhookUrl: settings.webhook_url,
      payload: { reason: input.reason, outcome: input.outcome, rejectedBy: actor.userId },
    });
  });
}

/**
 * After qualification the rep converts the lead: contact → opportunity, lead `converted`, and the
 * outbox event `lead.converted` — the hand-over point for the deal pipeline (no deal record here).
 * A contact not yet SQL is qualified by hand first, which needs a note.
 */
export async function convertLead(
  db: Db,
  deps: SalesDeps,
  wiring: SalesWiring,
  actor: Actor,
  workspaceId: string,
  leadId: string,
  input: { note?: string | undefined },
): Promise<void> {
  const note = input.note?.trim() || undefined;
  await db.transaction().execute(async (trx) => {
    const settings = await lockWorkspaceRouting(trx, workspaceId);
    const lead = await lockLeadFor(trx, workspaceId, leadId, actor);
    if (lead.status !== 'accepted') throw new AppError('SALES_LEAD_NOT_OPEN', { status: lead.status });
    const contact = await trx
      .selectFrom('contacts')
      .select('lifecycle_stage')
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', lead.contact_id)
      .executeTakeFirstOrThrow();
    const cause = causeOf(actor);
    if (contact.lifecycle_stage !== 'sql') {
      if (!note)
        throw new AppError('SALES_NOTE_REQUIRED', { field: 'note', reason: 'qualify by hand with a note' });
      await wiring.changeStage(trx, deps, {
        workspaceId,
        contactId: lead.contact_id,
        to: 'sql',
        cause,
        note,
      });
    }
    await wiring.changeStage(trx, deps, {
      workspaceId,
      contactId: lead.contact_id,
      to: 'opportunity',
      cause,
    });
    const now = deps.clock.now();
    await trx
      .updateTable('sales_leads')
      .set({ status: 'converted', converted_at: now, updated_at: now })
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', leadId)
      .execute();
    await insertLeadEvent(trx, {
      workspaceId,
      leadId,
      kind: 'converted',
      toUserId: lead.assigned_user_id,
      actorLabel: actor.label,
      data: { note },
      at: now,
    });
    await emitSalesEvent(trx, deps, {
      workspaceId,
      type: 'lead.converted',
      leadId,
      contactId: lead.contact_id,
      webhookUrl: settings.webhook_url,
      payload: {
        ownerUserId: lead.assigned_user_id,
        convertedBy: actor.userId,
        qualificationNote: note ?? null,
      },
    });
  });
}

/** A manager assigns or reassigns a lead by hand (also from the unassigned queue), with audit. */
export async function reassignLead(
  db: Db,
  deps: SalesDeps,
  actor: Actor,
  workspaceId: string,
  leadId: string,
  input: { userId: string; note?: string | undefined },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (actor.userId && !(await isManager(trx, workspaceId, actor.userId))) {
      throw new AppError('SALES_MANAGER_ONLY');
    }
    const settings = await lockWorkspaceRouting(trx, workspaceId);
    const lead = await findLead(trx, workspaceId, leadId, true);
    if (!lead) throw new AppError('NOT_FOUND', { field: 'leadId' });
    if (lead.status !== 'assigned' && lead.status !== 'unassigned') {
      throw new AppError('SALES_LEAD_NOT_OPEN', { status: lead.status });
    }
    const reps = await loadRepStates(trx, workspaceId, deps.clock.now());
    if (!reps.some((r) => r.userId === input.userId && r.active)) {
      throw new AppError('SALES_NOT_A_REP', { field: 'userId' });
    }
    if (lead.assigned_user_id === input.userId) return;
    await assignLead(trx, deps, settings, lead, {
      userId: input.userId,
      routedBy: 'manual',
      territoryId: null,
      actorLabel: actor.label,
      eventKind: 'reassigned',
      note: input.note?.trim() || undefined,
    });
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'sales.lead-reassigned',
      targetType: 'sales_lead',
      targetId: leadId,
      details: { from: lead.assigned_user_id, to: input.userId, note: input.note?.trim() || null },
    });
  });
}

export interface LeadListQuery {
  view: 'mine' | 'unassigned' | 'all';
  status?: SalesLeadStatus | undefined;
  limit: number;
}

/** The sales inbox: the caller's leads, the unassigned queue (managers) or every lead (managers). */
export async function listLeads(db: Db, workspaceId: string, userId: string | null, q: LeadListQuery) {
  if (q.view !== 'mine' && userId && !(await isManager(db, workspaceId, userId))) {
    throw new AppError('SALES_MANAGER_ONLY');
  }
  let query = db
    .selectFrom('sales_leads as l')
    .innerJoin('contacts as c', (j) =>
      j.onRef('c.id', '=', 'l.contact_id').onRef('c.workspace_id', '=', 'l.workspace_id'),
    )
    .leftJoin('users as u', 'u.id', 'l.assigned_user_id')
    .select([
      'l.id',
      'l.contact_id',
      'l.status',
      'l.assigned_user_id',
      'u.name as assigned_name',
      'l.routed_by',
      'l.sla_due_at',
      'l.reminded_at',
      'l.escalated_at',
      'l.accepted_at',
      'l.rejected_at',
      'l.reject_reason',
      'l.reject_outcome',
      'l.converted_at',
      'l.created_at',
      'l.summary',
      'c.lifecycle_stage',
    ])
    .where('l.workspace_id', '=', workspaceId);
  if (q.view === 'mine')
    query = query.where('l.assigned_user_id', '=', userId ?? '00000000-0000-0000-0000-000000000000');
  if (q.view === 'unassigned') query = query.where('l.status', '=', 'unassigned');
  if (q.status) query = query.where('l.status', '=', q.status);
  return query.orderBy('l.created_at', 'desc').orderBy('l.id', 'desc').limit(q.limit).execute();
}

/** One lead with its history; reps see their own leads, managers every lead. */
export async function getLead(db: Db, workspaceId: string, userId: string | null, leadId: string) {
  const lead = await findLead(db, workspaceId, leadId);
  if (!lead) throw new AppError('NOT_FOUND', { field: 'leadId' });
  if (userId && lead.assigned_user_id !== userId && !(await isManager(db, workspaceId, userId))) {
    throw new AppError('SALES_NOT_YOUR_LEAD');
  }
  const events = await db
    .selectFrom('sales_lead_events')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('lead_id', '=', leadId)
    .orderBy('id')
    .execute();
  return { lead, events };
}

/** Rejections by reason and outcome, for reports. */
export async function rejectReasonReport(db: Db, workspaceId: string) {
  return countRejectReasons(db, workspaceId);
}
