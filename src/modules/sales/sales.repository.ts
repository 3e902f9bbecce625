import { sql } from 'kysely';
import type { Executor } from '../../shared/db/index.js';
import type { WorkingHours } from '../../shared/db/schema.js';
import { newId } from '../../shared/ids.js';
import type { RepState, Territory } from './routing.js';

/** Statuses in which a lead counts as open: against capacity and for "one open lead per contact". */
export const OPEN_STATUSES = ['unassigned', 'assigned', 'accepted'] as const;

/** The workspace's sales settings, created with defaults on first use. */
export async function ensureSettings(db: Executor, workspaceId: string) {
  await db
    .insertInto('sales_settings')
    .values({ workspace_id: workspaceId })
    .onConflict((oc) => oc.column('workspace_id').doNothing())
    .execute();
  return db
    .selectFrom('sales_settings')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .executeTakeFirstOrThrow();
}

/**
 * Takes the workspace's routing lock (the settings row, FOR UPDATE) and returns the settings.
 * Every change that routes, assigns or counts capacity holds it, so two workers never hand the
 * same rep more than their capacity or draw the same round-robin turn twice.
 */
export async function lockWorkspaceRouting(trx: Executor, workspaceId: string) {
  await ensureSettings(trx, workspaceId);
  return trx
    .selectFrom('sales_settings')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .forUpdate()
    .executeTakeFirstOrThrow();
}

/** Every rep of the workspace with open-lead counts and absences that have not ended, as routing input. */
export async function loadRepStates(db: Executor, workspaceId: string, now: Date): Promise<RepState[]> {
  const reps = await db
    .selectFrom('sales_reps as r')
    .innerJoin('memberships as m', (j) =>
      j.onRef('m.workspace_id', '=', 'r.workspace_id').onRef('m.user_id', '=', 'r.user_id'),
    )
    .innerJoin('users as u', 'u.id', 'r.user_id')
    .select([
      'r.user_id',
      'r.active',
      'r.weight',
      'r.capacity',
      'r.timezone',
      'r.working_hours',
      'r.rr_current',
      'u.disabled_at',
    ])
    .select((eb) =>
      eb
        .selectFrom('sales_leads as l')
        .select(eb.fn.countAll<string>().as('n'))
        .where('l.workspace_id', '=', workspaceId)
        .whereRef('l.assigned_user_id', '=', 'r.user_id')
        .where('l.status', 'in', ['assigned', 'accepted'])
        .as('open_leads'),
    )
    .where('r.workspace_id', '=', workspaceId)
    .orderBy('r.user_id')
    .execute();
  const absences = await db
    .selectFrom('sales_rep_absences')
    .select(['user_id', 'starts_at', 'ends_at'])
    .where('workspace_id', '=', workspaceId)
    .where('ends_at', '>', now)
    .execute();
  return reps.map((r) => ({
    userId: r.user_id,
    active: r.active && !r.disabled_at,
    weight: r.weight,
    capacity: r.capacity,
    openLeads: Number(r.open_leads ?? 0),
    timeZone: r.timezone,
    workingHours: r.working_hours as WorkingHours,
    rrCurrent: Number(r.rr_current),
    absences: absences
      .filter((a) => a.user_id === r.user_id)
      .map((a) => ({ startsAt: a.starts_at, endsAt: a.ends_at })),
  }));
}

/** Stores the new round-robin credits of a draw. */
export async function saveCredits(trx: Executor, workspaceId: string, credits: Map<string, number>) {
  for (const [userId, credit] of credits) {
    await trx
      .updateTable('sales_reps')
      .set({ rr_current: credit })
      .where('workspace_id', '=', workspaceId)
      .where('user_id', '=', userId)
      .execute();
  }
}

export async function listTerritories(db: Executor, workspaceId: string): Promise<Territory[]> {
  const rows = await db
    .selectFrom('sales_territories')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('priority')
    .orderBy('name')
    .execute();
  return rows.map((t) => ({
    id: t.id,
    name: t.name,
    priority: t.priority,
    countries: t.countries,
    postcodeRanges: t.postcode_ranges,
    industries: t.industries,
    companySizes: t.company_sizes,
    userIds: t.user_ids,
  }));
}

/** The open lead of a contact, if there is one. */
export async function findOpenLead(db: Executor, workspaceId: string, contactId: string) {
  return db
    .selectFrom('sales_leads')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .where('status', 'in', [...OPEN_STATUSES])
    .executeTakeFirst();
}

export async function findLead(db: Executor, workspaceId: string, leadId: string, lock = false) {
  let q = db
    .selectFrom('sales_leads')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', leadId);
  if (lock) q = q.forUpdate();
  return q.executeTakeFirst();
}

export async function insertLeadEvent(
  trx: Executor,
  input: {
    workspaceId: string;
    leadId: string;
    kind: string;
    fromUserId?: string | null;
    toUserId?: string | null;
    actorLabel: string;
    data?: Record<string, unknown>;
    at: Date;
  },
) {
  await trx
    .insertInto('sales_lead_events')
    .values({
      workspace_id: input.workspaceId,
      lead_id: input.leadId,
      kind: input.kind,
      from_user_id: input.fromUserId ?? null,
      to_user_id: input.toUserId ?? null,
      actor_label: input.actorLabel,
      data: JSON.stringify(input.data ?? {}),
      created_at: input.at,
    })
    .execute();
}

/** Managers of a workspace: reps marked as manager, and the workspace's admins. */
export async function listManagerIds(db: Executor, workspaceId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .leftJoin('sales_reps as r', (j) =>
      j.onRef('r.workspace_id', '=', 'm.workspace_id').onRef('r.user_id', '=', 'm.user_id'),
    )
    .select('m.user_id')
    .where('m.workspace_id', '=', workspaceId)
    .where('u.disabled_at', 'is', null)
    .where((eb) => eb.or([eb('m.role', '=', 'admin'), eb('r.is_manager', '=', true)]))
    .orderBy('m.user_id')
    .execute();
  return rows.map((r) => r.user_id);
}

/** True when the user is an admin of the workspace or a rep marked as manager. */
export async function isManager(db: Executor, workspaceId: string, userId: string | null): Promise<boolean> {
  if (!userId) return false;
  return (await listManagerIds(db, workspaceId)).includes(userId);
}

export async function findUser(db: Executor, userId: string) {
  return db
    .selectFrom('users')
    .select(['id', 'email', 'name', 'locale', 'disabled_at'])
    .where('id', '=', userId)
    .executeTakeFirst();
}

/** What routing and the summary need to know about the contact and its company. */
export async function loadLeadContact(db: Executor, workspaceId: string, contactId: string) {
  return db
    .selectFrom('contacts as c')
    .leftJoin('companies as co', (j) =>
      j.onRef('co.id', '=', 'c.company_id').onRef('co.workspace_id', '=', 'c.workspace_id'),
    )
    .select([
      'c.id',
      'c.email',
      'c.first_name',
      'c.last_name',
      'c.job_title',
      'c.phone',
      'c.country',
      'c.city',
      'c.locale',
      'c.lifecycle_stage',
      'c.owner_user_id',
      'c.company_id',
      'c.company_name',
      'c.source_channel',
      'c.custom_fields',
      'c.merged_into_contact_id',
      'co.name as company',
      'co.industry',
      'co.size as company_size',
      'co.country as company_country',
      'co.custom_fields as company_fields',
    ])
    .where('c.workspace_id', '=', workspaceId)
    .where('c.id', '=', contactId)
    .executeTakeFirst();
}

/** The owner of another contact of the same company (most recently changed): the account owner. */
export async function findAccountOwner(
  db: Executor,
  workspaceId: string,
  companyId: string,
  exceptContactId: string,
): Promise<string | null> {
  const row = await db
    .selectFrom('contacts')
    .select('owner_user_id')
    .where('workspace_id', '=', workspaceId)
    .where('company_id', '=', companyId)
    .where('id', '!=', exceptContactId)
    .where('owner_user_id', 'is not', null)
    .where('merged_into_contact_id', 'is', null)
    .orderBy('updated_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.owner_user_id ?? null;
}

export async function setContactOwner(
  trx: Executor,
  workspaceId: string,
  contactId: string,
  userId: string,
  now: Date,
) {
  await trx
    .updateTable('contacts')
    .set({ owner_user_id: userId, updated_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', contactId)
    .execute();
}

export async function insertNotifications(
  trx: Executor,
  rows: { workspaceId: string; userId: string; kind: string; data: Record<string, unknown>; at: Date }[],
) {
  if (rows.length === 0) return;
  await trx
    .insertInto('notifications')
    .values(
      rows.map((r) => ({
        id: newId(),
        workspace_id: r.workspaceId,
        user_id: r.userId,
        kind: r.kind,
        data: JSON.stringify(r.data),
        created_at: r.at,
      })),
    )
    .execute();
}

export async function countRejectReasons(db: Executor, workspaceId: string) {
  const rows = await db
    .selectFrom('sales_leads')
    .select(['reject_reason', 'reject_outcome', sql<string>`count(*)`.as('n')])
    .where('workspace_id', '=', workspaceId)
    .where('reject_reason', 'is not', null)
    .groupBy(['reject_reason', 'reject_outcome'])
    .execute();
  return rows.map((r) => ({ reason: r.reject_reason, outcome: r.reject_outcome, count: Number(r.n) }));
}
