import type { Executor, Trx } from '../../shared/db/index.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import type { AppDeps } from '../../shared/module.js';
import { recordActivity } from '../contacts/index.js';
import { findWorkspaceById } from '../workspaces/index.js';
import { emitSalesEvent } from './events.js';
import { type NotificationKind, notifyUsers } from './notify.js';
import { chooseRep, type RoutingDecision } from './routing.js';
import { SLA_STEP_JOB } from './sales.jobs.js';
import {
  findAccountOwner,
  findOpenLead,
  insertLeadEvent,
  listManagerIds,
  listTerritories,
  loadLeadContact,
  loadRepStates,
  lockWorkspaceRouting,
  saveCredits,
  setContactOwner,
} from './sales.repository.js';
import { buildLeadSummary, type LeadSummary, postcodeOf } from './summary.js';
import type { SalesWiring } from './wiring.js';
import { addWorkingMinutes } from './working-hours.js';

export type SalesDeps = Pick<AppDeps, 'clock' | 'queue' | 'config'>;

/** Stages from which a contact can be handed to sales; later stages are already with sales. */
const HANDOFF_STAGES = new Set(['subscriber', 'engaged', 'mql', 'recycled', 'disqualified']);

type Settings = Awaited<ReturnType<typeof lockWorkspaceRouting>>;
type Lead = {
  id: string;
  workspace_id: string;
  contact_id: string;
  assignment_seq: number;
  assigned_user_id: string | null;
  summary: Record<string, unknown>;
};

async function localeOf(db: Executor, workspaceId: string): Promise<'de' | 'en'> {
  return (await findWorkspaceById(db, workspaceId))?.default_locale ?? 'de';
}

/**
 * Gives a lead to a rep (routing, by hand, or on escalation): a new assignment number, the SLA
 * deadline in the workspace's working hours, the reminder and escalation jobs for that deadline,
 * the rep as the contact's owner, and the notification. Call with the routing lock held.
 */
export async function assignLead(
  trx: Trx,
  deps: SalesDeps,
  settings: Settings,
  lead: Lead,
  input: {
    userId: string;
    routedBy: string;
    territoryId: string | null;
    actorLabel: string;
    eventKind: 'routed' | 'reassigned' | 'escalated';
    note?: string | undefined;
  },
): Promise<number> {
  const now = deps.clock.now();
  const seq = lead.assignment_seq + 1;
  const calendar = { timeZone: settings.timezone, hours: settings.working_hours };
  const due = addWorkingMinutes(now, settings.sla_minutes, calendar);
  await trx
    .updateTable('sales_leads')
    .set({
      status: 'assigned',
      assigned_user_id: input.userId,
      assignment_seq: seq,
      routed_by: input.routedBy,
      territory_id: input.territoryId,
      assigned_at: now,
      sla_due_at: due,
      reminded_at: null,
      escalated_at: null,
      updated_at: now,
    })
    .where('workspace_id', '=', lead.workspace_id)
    .where('id', '=', lead.id)
    .execute();
  await insertLeadEvent(trx, {
    workspaceId: lead.workspace_id,
    leadId: lead.id,
    kind: input.eventKind,
    fromUserId: lead.assigned_user_id,
    toUserId: input.userId,
    actorLabel: input.actorLabel,
    data: {
      routedBy: input.routedBy,
      territoryId: input.territoryId,
      slaDueAt: due.toISOString(),
      note: input.note,
    },
    at: now,
  });
  await setContactOwner(trx, lead.workspace_id, lead.contact_id, input.userId, now);
  await recordActivity(trx, {
    workspaceId: lead.workspace_id,
    contactId: lead.contact_id,
    type: 'sales.lead-assigned',
    occurredAt: now,
    data: { leadId: lead.id, userId: input.userId, routedBy: input.routedBy, slaDueAt: due.toISOString() },
    source: input.actorLabel.startsWith('user:') ? input.actorLabel : 'sales',
  });
  const base = { workspaceId: lead.workspace_id, leadId: lead.id, seq };
  const reminderAt =
    settings.reminder_minutes > 0 && settings.reminder_minutes < settings.sla_minutes
      ? addWorkingMinutes(now, settings.reminder_minutes, calendar)
      : null;
  if (reminderAt) {
    await deps.queue.enqueue(
      trx,
      SLA_STEP_JOB,
      { ...base, step: 'reminder' },
      {
        workspaceId: lead.workspace_id,
        runAt: reminderAt,
        idempotencyKey: `${lead.id}:${seq}:reminder`,
      },
    );
  }
  await deps.queue.enqueue(
    trx,
    SLA_STEP_JOB,
    { ...base, step: 'escalate' },
    {
      workspaceId: lead.workspace_id,
      runAt: due,
      idempotencyKey: `${lead.id}:${seq}:escalate`,
    },
  );
  const summary = lead.summary as unknown as LeadSummary;
  await notifyUsers(trx, deps, {
    workspaceId: lead.workspace_id,
    userIds: [input.userId],
    kind: 'lead.assigned',
    leadId: lead.id,
    contactId: lead.contact_id,
    seq,
    summary,
    defaultLocale: await localeOf(trx, lead.workspace_id),
  });
  await emitSalesEvent(trx, deps, {
    workspaceId: lead.workspace_id,
    type: input.eventKind === 'routed' ? 'lead.assigned' : 'lead.reassigned',
    leadId: lead.id,
    contactId: lead.contact_id,
    webhookUrl: settings.webhook_url,
    payload: {
      assignedUserId: input.userId,
      previousUserId: lead.assigned_user_id,
      routedBy: input.routedBy,
      slaDueAt: due.toISOString(),
      summary,
    },
  });
  return seq;
}

/** Notifies the managers about a lead (in-app and mail). */
export async function notifyManagers(
  trx: Trx,
  deps: SalesDeps,
  lead: Lead,
  kind: NotificationKind,
  seq: number,
): Promise<void> {
  const managers = await listManagerIds(trx, lead.workspace_id);
  await notifyUsers(trx, deps, {
    workspaceId: lead.workspace_id,
    userIds: managers,
    kind,
    leadId: lead.id,
    contactId: lead.contact_id,
    seq,
    summary: lead.summary as unknown as LeadSummary,
    defaultLocale: await localeOf(trx, lead.workspace_id),
  });
}

/** Decides who gets a lead now (under the routing lock), from the facts in the database. */
export async function decideRoute(
  trx: Trx,
  deps: SalesDeps,
  workspaceId: string,
  contactId: string,
  exclude: string[] = [],
): Promise<{ decision: RoutingDecision; trace: string[] }> {
  const contact = await loadLeadContact(trx, workspaceId, contactId);
  if (!contact) throw new AppError('NOT_FOUND', { field: 'contactId' });
  const now = deps.clock.now();
  const accountOwnerId =
    contact.owner_user_id ??
    (contact.company_id ? await findAccountOwner(trx, workspaceId, contact.company_id, contact.id) : null);
  const result = chooseRep({
    now,
    lead: {
      country: contact.company_country ?? contact.country,
      postcode: postcodeOf(contact),
      industry: contact.industry,
      companySize: contact.company_size,
      accountOwnerId,
    },
    reps: await loadRepStates(trx, workspaceId, now),
    territories: await listTerritories(trx, workspaceId),
    exclude,
  });
  await saveCredits(trx, workspaceId, result.credits);
  return { decision: result.decision, trace: result.trace };
}

export interface HandOffResult {
  leadId: string;
  /** False when the contact already had an open lead (nothing changed). */
  created: boolean;
  status: 'unassigned' | 'assigned' | 'accepted';
  assignedUserId: string | null;
}

/**
 * Hands a contact to sales: routes it to a rep (account owner, territory, weighted round robin)
 * or, with nobody available, into the managers' unassigned queue; notifies in-app, by mail and
 * by outbox event. Runs in the caller's transaction and serialises per workspace; a contact with
 * an open lead is left as it is, so calling twice routes once. A contact before MQL is moved to
 * MQL first (`cause` is recorded with the stage change).
 */
export async function handOffToSales(
  trx: Trx,
  deps: SalesDeps,
  wiring: SalesWiring,
  input: { workspaceId: string; contactId: string; cause: string },
): Promise<HandOffResult> {
  const { workspaceId, contactId } = input;
  const settings = await lockWorkspaceRouting(trx, workspaceId);
  const existing = await findOpenLead(trx, workspaceId, contactId);
  if (existing) {
    return {
      leadId: existing.id,
      created: false,
      status: existing.status as HandOffResult['status'],
      assignedUserId: existing.assigned_user_id,
    };
  }
  const contact = await loadLeadContact(trx, workspaceId, contactId);
  if (!contact || contact.merged_into_contact_id) throw new AppError('NOT_FOUND', { field: 'contactId' });
  if (!HANDOFF_STAGES.has(contact.lifecycle_stage)) {
    throw new AppError('SALES_HANDOFF_NOT_POSSIBLE', { stage: contact.lifecycle_stage });
  }
  if (contact.lifecycle_stage !== 'mql') {
    await wiring.changeStage(trx, deps, { workspaceId, contactId, to: 'mql', cause: input.cause });
  }
  const now = deps.clock.now();
  const summary = await buildLeadSummary(trx, wiring, workspaceId, contact);
  const lead = {
    id: newId(),
    workspace_id: workspaceId,
    contact_id: contactId,
    assignment_seq: 0,
    assigned_user_id: null,
    summary: summary as unknown as Record<string, unknown>,
  };
  await trx
    .insertInto('sales_leads')
    .values({
      id: lead.id,
      workspace_id: workspaceId,
      contact_id: contactId,
      status: 'unassigned',
      cause: input.cause,
      summary: JSON.stringify(summary),
      created_at: now,
      updated_at: now,
    })
    .execute();
  const { decision, trace } = await decideRoute(trx, deps, workspaceId, contactId);
  await insertLeadEvent(trx, {
    workspaceId,
    leadId: lead.id,
    kind: 'created',
    actorLabel: input.cause,
    data: { trace },
    at: now,
  });
  if (decision.kind !== 'unassigned') {
    await assignLead(trx, deps, settings, lead, {
      userId: decision.userId,
      routedBy: decision.kind,
      territoryId: decision.territoryId,
      actorLabel: input.cause,
      eventKind: 'routed',
    });
    return { leadId: lead.id, created: true, status: 'assigned', assignedUserId: decision.userId };
  }
  await trx
    .updateTable('sales_leads')
    .set({ routed_by: decision.reason })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', lead.id)
    .execute();
  await notifyManagers(trx, deps, lead, 'lead.unassigned', 0);
  await emitSalesEvent(trx, deps, {
    workspaceId,
    type: 'lead.unassigned',
    leadId: lead.id,
    contactId,
    webhookUrl: settings.webhook_url,
    payload: { reason: decision.reason, summary },
  });
  return { leadId: lead.id, created: true, status: 'unassigned', assignedUserId: null };
}

/**
 * One SLA step of one assignment (a scheduled job, never a sweep): the reminder tells the rep;
 * the escalation reassigns to another available rep (or only tells the managers, as the workspace
 * chose; with nobody else available the managers are told and the lead stays). A step of an
 * earlier assignment, or of a lead that was accepted or rejected meanwhile, does nothing.
 */
export async function runSlaStep(
  trx: Trx,
  deps: SalesDeps,
  input: { workspaceId: string; leadId: string; seq: number; step: 'reminder' | 'escalate' },
): Promise<'stale' | 'reminded' | 'reassigned' | 'managers-notified'> {
  const settings = await lockWorkspaceRouting(trx, input.workspaceId);
  const lead = await trx
    .selectFrom('sales_leads')
    .selectAll()
    .where('workspace_id', '=', input.workspaceId)
    .where('id', '=', input.leadId)
    .forUpdate()
    .executeTakeFirst();
  if (lead?.status !== 'assigned' || lead.assignment_seq !== input.seq || !lead.assigned_user_id) {
    return 'stale';
  }
  const now = deps.clock.now();
  if (input.step === 'reminder') {
    if (lead.reminded_at) return 'stale';
    await trx
      .updateTable('sales_leads')
      .set({ reminded_at: now, updated_at: now })
      .where('workspace_id', '=', lead.workspace_id)
      .where('id', '=', lead.id)
      .execute();
    await insertLeadEvent(trx, {
      workspaceId: lead.workspace_id,
      leadId: lead.id,
      kind: 'reminded',
      toUserId: lead.assigned_user_id,
      actorLabel: 'sla',
      at: now,
    });
    await notifyUsers(trx, deps, {
      workspaceId: lead.workspace_id,
      userIds: [lead.assigned_user_id],
      kind: 'lead.reminder',
      leadId: lead.id,
      contactId: lead.contact_id,
      seq: lead.assignment_seq,
      summary: lead.summary as unknown as LeadSummary,
      defaultLocale: await localeOf(trx, lead.workspace_id),
    });
    return 'reminded';
  }
  if (lead.escalated_at) return 'stale';
  await trx
    .updateTable('sales_leads')
    .set({ escalated_at: now, updated_at: now })
    .where('workspace_id', '=', lead.workspace_id)
    .where('id', '=', lead.id)
    .execute();
  await emitSalesEvent(trx, deps, {
    workspaceId: lead.workspace_id,
    type: 'lead.escalated',
    leadId: lead.id,
    contactId: lead.contact_id,
    webhookUrl: settings.webhook_url,
    payload: { assignedUserId: lead.assigned_user_id, slaDueAt: lead.sla_due_at?.toISOString() ?? null },
  });
  let outcome: 'reassigned' | 'managers-notified' = 'managers-notified';
  if (settings.escalation === 'reassign') {
    const { decision } = await decideRoute(trx, deps, lead.workspace_id, lead.contact_id, [
      lead.assigned_user_id,
    ]);
    if (decision.userId) {
      await insertLeadEvent(trx, {
        workspaceId: lead.workspace_id,
        leadId: lead.id,
        kind: 'sla-missed',
        fromUserId: lead.assigned_user_id,
        actorLabel: 'sla',
        at: now,
      });
      await assignLead(trx, deps, settings, lead, {
        userId: decision.userId,
        routedBy: `escalation:${decision.kind}`,
        territoryId: decision.territoryId,
        actorLabel: 'sla',
        eventKind: 'escalated',
      });
      outcome = 'reassigned';
    }
  }
  if (outcome === 'managers-notified') {
    await insertLeadEvent(trx, {
      workspaceId: lead.workspace_id,
      leadId: lead.id,
      kind: 'sla-missed',
      fromUserId: lead.assigned_user_id,
      actorLabel: 'sla',
      at: now,
    });
  }
  await notifyManagers(trx, deps, lead, 'lead.escalated', lead.assignment_seq);
  return outcome;
}
