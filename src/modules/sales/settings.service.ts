import type { Actor } from '../../shared/actor.js';
import { randomToken } from '../../shared/crypto.js';
import type { Db, Executor } from '../../shared/db/index.js';
import type { WorkingHours } from '../../shared/db/schema.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { recordAudit } from '../audit/index.js';
import { ensureSettings, isManager, listTerritories } from './sales.repository.js';
import { assertWebhookUrlAllowed } from './url-guard.js';
import { isValidTimeZone, validateWorkingHours } from './working-hours.js';

async function requireManager(db: Executor, workspaceId: string, actor: Actor) {
  // API keys with sales:write administer the workspace's sales setup (integrations, provisioning).
  if (actor.userId && !(await isManager(db, workspaceId, actor.userId)))
    throw new AppError('SALES_MANAGER_ONLY');
}

function checkCalendar(timezone: string | undefined, hours: unknown) {
  if (timezone !== undefined && !isValidTimeZone(timezone)) {
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'timezone', message: 'an IANA time zone' }],
    });
  }
  if (hours !== undefined && !validateWorkingHours(hours)) {
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'workingHours', message: 'weekday 1–7 → [["HH:MM","HH:MM"], …] with from < to' }],
    });
  }
}

export interface SettingsInput {
  slaMinutes?: number | undefined;
  reminderMinutes?: number | undefined;
  escalation?: 'reassign' | 'notify_manager' | undefined;
  timezone?: string | undefined;
  workingHours?: WorkingHours | undefined;
  webhookUrl?: string | null | undefined;
}

export async function getSettings(db: Db, workspaceId: string) {
  return ensureSettings(db, workspaceId);
}

/** Changes the SLA, the workspace's working hours and the webhook URL (managers). */
export async function updateSettings(
  db: Db,
  actor: Actor,
  workspaceId: string,
  input: SettingsInput,
  options: { allowPrivateWebhook: boolean } = { allowPrivateWebhook: false },
) {
  checkCalendar(input.timezone, input.workingHours);
  // SSRF guard: http(s) only, and no private, loopback or link-local host (checked again when sending).
  if (input.webhookUrl) await assertWebhookUrlAllowed(input.webhookUrl, options.allowPrivateWebhook);
  return db.transaction().execute(async (trx) => {
    await requireManager(trx, workspaceId, actor);
    const current = await ensureSettings(trx, workspaceId);
    const set: Record<string, unknown> = { updated_at: new Date() };
    if (input.slaMinutes !== undefined) set.sla_minutes = input.slaMinutes;
    if (input.reminderMinutes !== undefined) set.reminder_minutes = input.reminderMinutes;
    if (input.escalation !== undefined) set.escalation = input.escalation;
    if (input.timezone !== undefined) set.timezone = input.timezone;
    if (input.workingHours !== undefined) set.working_hours = JSON.stringify(input.workingHours);
    if (input.webhookUrl !== undefined) {
      set.webhook_url = input.webhookUrl || null;
      // A secret exists whenever a URL does: created with the first URL, kept until rotated.
      if (input.webhookUrl && !current.webhook_secret) set.webhook_secret = `whsec_${randomToken(24)}`;
    }
    await trx.updateTable('sales_settings').set(set).where('workspace_id', '=', workspaceId).execute();
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'sales.settings-changed',
      targetType: 'sales_settings',
      targetId: workspaceId,
      details: { ...input },
    });
    return ensureSettings(trx, workspaceId);
  });
}

/** A new webhook signing secret; the old one stops working at once. */
export async function rotateWebhookSecret(db: Db, actor: Actor, workspaceId: string): Promise<string> {
  return db.transaction().execute(async (trx) => {
    await requireManager(trx, workspaceId, actor);
    await ensureSettings(trx, workspaceId);
    const secret = `whsec_${randomToken(24)}`;
    await trx
      .updateTable('sales_settings')
      .set({ webhook_secret: secret, updated_at: new Date() })
      .where('workspace_id', '=', workspaceId)
      .execute();
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'sales.webhook-secret-rotated',
      targetType: 'sales_settings',
      targetId: workspaceId,
    });
    return secret;
  });
}

/** Every member of the workspace with their rep settings (null when not set up as a rep). */
export async function listReps(db: Db, workspaceId: string, now: Date) {
  const rows = await db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .leftJoin('sales_reps as r', (j) =>
      j.onRef('r.workspace_id', '=', 'm.workspace_id').onRef('r.user_id', '=', 'm.user_id'),
    )
    .select([
      'm.user_id',
      'm.role',
      'u.name',
      'u.email',
      'r.active',
      'r.is_manager',
      'r.weight',
      'r.capacity',
      'r.timezone',
      'r.working_hours',
    ])
    .select((eb) =>
      eb
        .selectFrom('sales_leads as l')
        .select(eb.fn.countAll<string>().as('n'))
        .where('l.workspace_id', '=', workspaceId)
        .whereRef('l.assigned_user_id', '=', 'm.user_id')
        .where('l.status', 'in', ['assigned', 'accepted'])
        .as('open_leads'),
    )
    .where('m.workspace_id', '=', workspaceId)
    .where('u.disabled_at', 'is', null)
    .orderBy('u.name')
    .execute();
  const absences = await db
    .selectFrom('sales_rep_absences')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('ends_at', '>', now)
    .orderBy('starts_at')
    .execute();
  return rows.map((r) => ({
    ...r,
    open_leads: Number(r.open_leads ?? 0),
    absences: absences.filter((a) => a.user_id === r.user_id),
  }));
}

export interface RepInput {
  active: boolean;
  isManager: boolean;
  weight: number;
  capacity: number | null;
  timezone: string;
  workingHours: WorkingHours;
}

/** Sets up or changes a member as a sales rep (managers). */
export async function upsertRep(db: Db, actor: Actor, workspaceId: string, userId: string, input: RepInput) {
  checkCalendar(input.timezone, input.workingHours);
  await db.transaction().execute(async (trx) => {
    await requireManager(trx, workspaceId, actor);
    const member = await trx
      .selectFrom('memberships')
      .select('user_id')
      .where('workspace_id', '=', workspaceId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (!member) throw new AppError('NOT_FOUND', { field: 'userId' });
    const values = {
      active: input.active,
      is_manager: input.isManager,
      weight: input.weight,
      capacity: input.capacity,
      timezone: input.timezone,
      working_hours: JSON.stringify(input.workingHours),
      updated_at: new Date(),
    };
    await trx
      .insertInto('sales_reps')
      .values({ workspace_id: workspaceId, user_id: userId, ...values })
      .onConflict((oc) => oc.columns(['workspace_id', 'user_id']).doUpdateSet(values))
      .execute();
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'sales.rep-changed',
      targetType: 'user',
      targetId: userId,
      details: { ...input },
    });
  });
}

/** Adds an absence (vacation) to a rep; routing skips them while it lasts. */
export async function addAbsence(
  db: Db,
  actor: Actor,
  workspaceId: string,
  userId: string,
  input: { startsAt: Date; endsAt: Date; note?: string | undefined },
) {
  if (!(input.endsAt > input.startsAt)) {
    throw new AppError('VALIDATION_FAILED', { fields: [{ field: 'endsAt', message: 'after startsAt' }] });
  }
  return db.transaction().execute(async (trx) => {
    // Reps may enter their own vacation; managers anyone's.
    if (actor.userId !== userId) await requireManager(trx, workspaceId, actor);
    const rep = await trx
      .selectFrom('sales_reps')
      .select('user_id')
      .where('workspace_id', '=', workspaceId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    if (!rep) throw new AppError('SALES_NOT_A_REP', { field: 'userId' });
    const id = newId();
    await trx
      .insertInto('sales_rep_absences')
      .values({
        id,
        workspace_id: workspaceId,
        user_id: userId,
        starts_at: input.startsAt,
        ends_at: input.endsAt,
        note: input.note?.trim() || null,
      })
      .execute();
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'sales.absence-added',
      targetType: 'user',
      targetId: userId,
      details: { startsAt: input.startsAt.toISOString(), endsAt: input.endsAt.toISOString() },
    });
    return id;
  });
}

export async function removeAbsence(
  db: Db,
  actor: Actor,
  workspaceId: string,
  userId: string,
  absenceId: string,
) {
  await db.transaction().execute(async (trx) => {
    if (actor.userId !== userId) await requireManager(trx, workspaceId, actor);
    const removed = await trx
      .deleteFrom('sales_rep_absences')
      .where('workspace_id', '=', workspaceId)
      .where('user_id', '=', userId)
      .where('id', '=', absenceId)
      .executeTakeFirst();
    if (Number(removed.numDeletedRows) === 0) throw new AppError('NOT_FOUND', { field: 'absenceId' });
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'sales.absence-removed',
      targetType: 'user',
      targetId: userId,
      details: { absenceId },
    });
  });
}

export interface TerritoryInput {
  name: string;
  priority: number;
  countries: string[];
  postcodeRanges: { from: string; to: string }[];
  industries: string[];
  companySizes: string[];
  userIds: string[];
}

async function checkTerritoryReps(trx: Executor, workspaceId: string, userIds: string[]) {
  if (userIds.length === 0) return;
  const reps = await trx
    .selectFrom('sales_reps')
    .select('user_id')
    .where('workspace_id', '=', workspaceId)
    .where('user_id', 'in', userIds)
    .execute();
  if (reps.length !== new Set(userIds).size) throw new AppError('SALES_NOT_A_REP', { field: 'userIds' });
}

/** Creates (id null) or changes a territory (managers). */
export async function saveTerritory(
  db: Db,
  actor: Actor,
  workspaceId: string,
  id: string | null,
  input: TerritoryInput,
): Promise<string> {
  return db.transaction().execute(async (trx) => {
    await requireManager(trx, workspaceId, actor);
    await checkTerritoryReps(trx, workspaceId, input.userIds);
    const values = {
      name: input.name.trim(),
      priority: input.priority,
      countries: JSON.stringify(input.countries.map((c) => c.trim().toUpperCase()).filter(Boolean)),
      postcode_ranges: JSON.stringify(input.postcodeRanges),
      industries: JSON.stringify(input.industries.map((i) => i.trim()).filter(Boolean)),
      company_sizes: JSON.stringify(input.companySizes.map((s) => s.trim()).filter(Boolean)),
      user_ids: JSON.stringify([...new Set(input.userIds)]),
      updated_at: new Date(),
    };
    let territoryId = id;
    if (territoryId) {
      const r = await trx
        .updateTable('sales_territories')
        .set(values)
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', territoryId)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) throw new AppError('NOT_FOUND', { field: 'territoryId' });
    } else {
      territoryId = newId();
      await trx
        .insertInto('sales_territories')
        .values({ id: territoryId, workspace_id: workspaceId, ...values })
        .execute();
    }
    await recordAudit(trx, actor, {
      workspaceId,
      action: id ? 'sales.territory-changed' : 'sales.territory-created',
      targetType: 'sales_territory',
      targetId: territoryId,
      details: { ...input },
    });
    return territoryId;
  });
}

export async function deleteTerritory(db: Db, actor: Actor, workspaceId: string, id: string) {
  await db.transaction().execute(async (trx) => {
    await requireManager(trx, workspaceId, actor);
    const r = await trx
      .deleteFrom('sales_territories')
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw new AppError('NOT_FOUND', { field: 'territoryId' });
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'sales.territory-deleted',
      targetType: 'sales_territory',
      targetId: id,
    });
  });
}

/** The caller's notifications, newest first. */
export async function listNotifications(db: Db, workspaceId: string, userId: string, limit: number) {
  const items = await db
    .selectFrom('notifications')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  const unread = await db
    .selectFrom('notifications')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .where('read_at', 'is', null)
    .executeTakeFirstOrThrow();
  return { items, unread: Number(unread.n) };
}

/** Marks one (or, with id null, every) notification of the caller as read. */
export async function markNotificationsRead(
  db: Db,
  workspaceId: string,
  userId: string,
  id: string | null,
  now: Date,
) {
  let q = db
    .updateTable('notifications')
    .set({ read_at: now })
    .where('workspace_id', '=', workspaceId)
    .where('user_id', '=', userId)
    .where('read_at', 'is', null);
  if (id) q = q.where('id', '=', id);
  await q.execute();
}

/** Territories in the order routing tries them. */
export async function listTerritoriesFor(db: Db, workspaceId: string) {
  return listTerritories(db, workspaceId);
}
