import type { WorkingHours } from '../../shared/db/schema.js';
import { demoAdminActor } from '../../shared/demo-actor.js';
import type { DemoContext } from '../../shared/module.js';
import { handOffToSales } from './hand-off.service.js';
import { addAbsence, saveTerritory, updateSettings, upsertRep } from './settings.service.js';
import type { SalesWiring } from './wiring.js';

const DAY = 86_400_000;

/** Monday to Friday, `from`–`to` local time. */
function weekdays(from: string, to: string): WorkingHours {
  return Object.fromEntries(['1', '2', '3', '4', '5'].map((d) => [d, [[from, to]]])) as WorkingHours;
}

/**
 * The sales part of a demo workspace (runs after the team and the contacts are seeded): the two
 * sales members as reps with working hours and capacity (one with an upcoming vacation), two
 * territories (DACH, UK & Ireland), an SLA of four working hours, and every MQL contact handed
 * off, so the inbox has fresh leads with an SLA countdown and the bell has notifications.
 * Everything goes through the services the UI uses (validation, audit, routing lock).
 */
export async function seedSalesDemo(ctx: DemoContext, wiring: SalesWiring): Promise<void> {
  const { deps, workspaceId } = ctx;
  const { db, clock } = deps;
  const { actor } = await demoAdminActor(ctx);

  await updateSettings(db, actor, workspaceId, {
    slaMinutes: 240,
    reminderMinutes: 120,
    escalation: 'notify_manager',
    timezone: 'Europe/Berlin',
    workingHours: weekdays('08:00', '18:00'),
  });

  const members = await db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select(['u.id', 'u.locale'])
    .where('m.workspace_id', '=', workspaceId)
    .where('m.role', '=', 'sales')
    .orderBy('u.email')
    .execute();
  const german = members.filter((m) => m.locale !== 'en').map((m) => m.id);
  const english = members.filter((m) => m.locale === 'en').map((m) => m.id);
  for (const id of german) {
    await upsertRep(db, actor, workspaceId, id, {
      active: true,
      isManager: false,
      weight: 2,
      capacity: 15,
      timezone: 'Europe/Berlin',
      workingHours: weekdays('08:00', '17:00'),
    });
  }
  for (const id of english) {
    await upsertRep(db, actor, workspaceId, id, {
      active: true,
      isManager: false,
      weight: 1,
      capacity: 10,
      timezone: 'Europe/London',
      workingHours: weekdays('09:00', '17:30'),
    });
  }
  // The admin leads the team: a manager who takes leads only when the others cannot.
  await upsertRep(db, actor, workspaceId, ctx.adminUserId, {
    active: true,
    isManager: true,
    weight: 1,
    capacity: 3,
    timezone: 'Europe/Berlin',
    workingHours: weekdays('09:00', '16:00'),
  });
  const now = clock.now();
  const vacationStart = new Date(now.getTime() + 14 * DAY);
  for (const id of english.slice(0, 1)) {
    await addAbsence(db, actor, workspaceId, id, {
      startsAt: vacationStart,
      endsAt: new Date(vacationStart.getTime() + 7 * DAY),
      note: 'Urlaub',
    });
  }

  if (german.length > 0) {
    await saveTerritory(db, actor, workspaceId, null, {
      name: 'DACH',
      priority: 10,
      countries: ['DE', 'AT', 'CH'],
      postcodeRanges: [],
      industries: [],
      companySizes: [],
      userIds: german,
    });
  }
  if (english.length > 0) {
    await saveTerritory(db, actor, workspaceId, null, {
      name: 'UK & Ireland',
      priority: 20,
      countries: ['GB', 'IE'],
      postcodeRanges: [],
      industries: [],
      companySizes: [],
      userIds: english,
    });
  }

  // Every MQL contact goes to sales now, as the route-lead job would do it.
  const mqls = await db
    .selectFrom('contacts')
    .select('id')
    .where('workspace_id', '=', workspaceId)
    .where('lifecycle_stage', '=', 'mql')
    .where('merged_into_contact_id', 'is', null)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  for (const { id } of mqls) {
    await db
      .transaction()
      .execute((trx) => handOffToSales(trx, deps, wiring, { workspaceId, contactId: id, cause: 'rule:mql' }));
  }
}
