import { Type } from '@sinclair/typebox';
import type { Actor } from '../../shared/actor.js';
import { AppError } from '../../shared/errors.js';
import { defineJob } from '../../shared/jobs/index.js';
import type { AppDeps } from '../../shared/module.js';
import { recordAudit } from '../audit/index.js';
import { requestConsents } from '../consent/index.js';
import { findContactById } from '../contacts/index.js';
import { closeBreaker, globalScope, openBreakers, workspaceScope } from './abuse.js';
import type { FormDefinition } from './form-definition.js';
import { findFormById, findFormVersion } from './forms.repository.js';
import { countHeldSubmissions, listHeldSubmissions, markReleased } from './submissions.repository.js';

/** What the admin UI shows as a banner: open breakers and sign-ups waiting for a decision. */
export async function getCaptureStatus(deps: Pick<AppDeps, 'db' | 'clock'>, workspaceId: string) {
  const open = await openBreakers(deps.db, workspaceId, deps.clock.now());
  return {
    paused: open.length > 0,
    breakers: open.map((b) => ({
      scope: b.scope === globalScope ? ('global' as const) : ('workspace' as const),
      reason: b.reason,
      openedAt: b.openedAt.toISOString(),
      closesAt: b.closesAt.toISOString(),
    })),
    heldSubmissions: await countHeldSubmissions(deps.db, workspaceId),
  };
}

const BATCH = 100;

/** Sends the confirmation mails of held sign-ups (after an admin decided the wave was real people). */
export const releaseHeldJob = (deps: AppDeps) =>
  defineJob({
    name: 'capture.release-held-submissions',
    lane: 'default',
    maxAttempts: 5,
    schema: Type.Object({
      workspaceId: Type.String({ pattern: '^[0-9a-fA-F-]{36}$' }),
      discard: Type.Boolean(),
    }),
    async handler({ workspaceId, discard }, ctx) {
      for (;;) {
        const done = await ctx.db.transaction().execute(async (trx) => {
          const rows = await listHeldSubmissions(trx, workspaceId, BATCH);
          for (const s of rows) {
            const now = deps.clock.now();
            if (discard || !s.contact_id || (s.purposes as string[]).length === 0) {
              await markReleased(trx, workspaceId, s.id, now, discard ? 'discarded' : 'no-consent-requested');
              continue;
            }
            const form = await findFormById(trx, workspaceId, s.form_id);
            const version = form && (await findFormVersion(trx, workspaceId, s.form_id, s.form_version));
            const contact = await findContactById(trx, workspaceId, s.contact_id);
            if (!form || !version || !contact) {
              await markReleased(trx, workspaceId, s.id, now, 'discarded');
              continue;
            }
            const def = version.definition as FormDefinition;
            const purposes = def.consents
              .filter((b) => (s.purposes as string[]).includes(b.purpose))
              .map((b) => ({
                purpose: b.purpose,
                consentText: b.text[s.locale],
                consentTextVersion: b.textVersion,
              }));
            const result = await requestConsents(trx, deps, {
              workspaceId,
              contactId: contact.id,
              email: contact.email,
              locale: s.locale,
              purposes,
              form: {
                id: form.id,
                version: s.form_version,
                pageUrl: s.landing_url,
                privacyNoticeVersion: def.privacyNoticeVersion,
              },
              ip: s.ip,
              userAgent: s.user_agent,
            });
            await markReleased(trx, workspaceId, s.id, now, result.outcome);
          }
          return rows.length < BATCH;
        });
        if (done) return;
      }
    },
  });

/**
 * An admin ends the pause of confirmation mails for the workspace: held sign-ups are either
 * released (their confirmation mails go out) or discarded. The global breaker is the operator's.
 */
export async function resumeConfirmationMails(
  deps: AppDeps,
  actor: Actor & { isSuperadmin?: boolean },
  workspaceId: string,
  input: { held: 'release' | 'discard'; includeGlobal: boolean },
): Promise<void> {
  const now = deps.clock.now();
  if (input.includeGlobal && !actor.isSuperadmin)
    throw new AppError('FORBIDDEN', { reason: 'only the operator can close the global breaker' });
  await deps.db.transaction().execute(async (trx) => {
    const closed = await closeBreaker(trx, workspaceScope(workspaceId), now);
    const closedGlobal = input.includeGlobal ? await closeBreaker(trx, globalScope, now) : false;
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'capture.circuit-closed',
      targetType: 'workspace',
      targetId: workspaceId,
      details: { held: input.held, closed, closedGlobal },
    });
    await deps.queue.enqueue(
      trx,
      releaseHeldJob(deps),
      { workspaceId, discard: input.held === 'discard' },
      {
        workspaceId,
        idempotencyKey: `release-held:${workspaceId}`,
      },
    );
  });
}
