import type { JobDefinition } from '../../shared/jobs/index.js';
import type { ActivityRow, AppDeps, LeadwerkModule } from '../../shared/module.js';
import { registerEventRoutes } from './events.routes.js';
import { registerForEvent, SEND_REMINDER_JOB, sendReminder } from './events.service.js';

export {
  buildIcs,
  cancelByLink,
  cancelEvent,
  cancelRegistration,
  type EventRow,
  findEvent,
  markAttended,
  type RegistrationRow,
  registerForEvent,
  updateEvent,
} from './events.service.js';

/** Registration through a capture form: whoever submits an event's form is registered for it. */
async function registerFromForms(
  deps: AppDeps,
  workspaceId: string,
  activities: ActivityRow[],
): Promise<void> {
  const formIds = [
    ...new Set(activities.map((a) => a.ref?.replace(/^form:/, '')).filter((x): x is string => !!x)),
  ];
  if (formIds.length === 0) return;
  await deps.db.transaction().execute(async (trx) => {
    const events = await trx
      .selectFrom('events')
      .select(['id', 'form_id'])
      .where('workspace_id', '=', workspaceId)
      .where('form_id', 'in', formIds)
      .where('status', '=', 'scheduled')
      .execute();
    for (const a of activities) {
      for (const ev of events.filter((e) => `form:${e.form_id}` === a.ref)) {
        // At least once: registering twice returns the existing registration.
        await registerForEvent(trx, deps, {
          workspaceId,
          eventId: ev.id,
          contactId: a.contact_id,
          source: `form:${ev.form_id}`,
        });
      }
    }
  });
}

/** Events and webinars: registration, waiting list, confirmation and reminder mails, attendance. */
export const eventsModule: LeadwerkModule = {
  name: 'events',
  routes: registerEventRoutes,
  jobs: (deps) =>
    [
      {
        ...SEND_REMINDER_JOB,
        handler: (payload, ctx) => sendReminder(deps, payload, ctx),
      } satisfies typeof SEND_REMINDER_JOB,
    ] as JobDefinition[],
  activityHandlers: () => [
    {
      name: 'events.register-from-forms',
      types: ['capture.form-submitted'],
      handle: (deps, input) => registerFromForms(deps, input.workspaceId, input.activities),
    },
  ],
};
