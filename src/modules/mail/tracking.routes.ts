import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { isUuid } from '../../shared/ids.js';
import type { AppDeps } from '../../shared/module.js';
import { insertMessageEvents } from './messages.repository.js';
import type { MailRuntime } from './runtime.js';
import { verifyClick, verifyOpen } from './tracking.js';

/*
 * The public ends of tracking: the open pixel and the click redirect. They record something only
 * for a message that was sent with tracking (the contact had a tracking consent then) and whose
 * contact still has it now; otherwise they answer the same way and record nothing. A click link
 * with a wrong signature is a 404, so the redirect can never send anyone elsewhere.
 */

const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

async function record(
  deps: AppDeps,
  runtime: () => MailRuntime,
  messageId: string,
  kind: 'opened' | 'clicked',
  url?: string,
): Promise<void> {
  const now = deps.clock.now();
  await deps.db.transaction().execute(async (trx) => {
    const m = await trx
      .selectFrom('messages')
      .select(['id', 'workspace_id', 'contact_id', 'tracking', 'opened_at', 'subject'])
      .where('id', '=', messageId)
      .forUpdate()
      .executeTakeFirst();
    if (!m?.tracking || !m.contact_id) return;
    const permission = await runtime().getSendPermission(trx, {
      workspaceId: m.workspace_id,
      contactId: m.contact_id,
      purpose: 'tracking',
    });
    if (!permission.allowed) return; // consent withdrawn since the mail was sent
    if (kind === 'opened') {
      await sql`UPDATE messages SET opened_at = coalesce(opened_at, ${now}), open_count = open_count + 1, updated_at = ${now}
        WHERE id = ${m.id}`.execute(trx);
    } else {
      await sql`UPDATE messages SET clicked_at = coalesce(clicked_at, ${now}), click_count = click_count + 1,
        opened_at = coalesce(opened_at, ${now}), updated_at = ${now} WHERE id = ${m.id}`.execute(trx);
    }
    // The first open and every click go to the log and the contact's timeline.
    if (kind === 'clicked' || !m.opened_at) {
      const data = kind === 'clicked' ? { url } : {};
      await insertMessageEvents(trx, [
        { workspace_id: m.workspace_id, message_id: m.id, type: kind, occurred_at: now, data },
      ]);
      await runtime().recordActivities(trx, [
        {
          workspaceId: m.workspace_id,
          contactId: m.contact_id,
          type: `mail.${kind}`,
          occurredAt: now,
          data: { messageId: m.id, subject: m.subject, ...data },
          source: 'mail',
          ref: `message:${m.id}`,
        },
      ]);
    }
  });
}

export function registerTrackingRoutes(
  app: FastifyInstance,
  deps: AppDeps,
  runtime: () => MailRuntime,
): void {
  const r = app.withTypeProvider<TypeBoxTypeProvider>();

  r.get(
    '/t/o/:messageId/:file',
    {
      config: { auth: 'public' },
      schema: { hide: true, params: Type.Object({ messageId: Type.String(), file: Type.String() }) },
    },
    async (request, reply) => {
      const { messageId, file } = request.params;
      const signature = file.replace(/\.gif$/, '');
      if (isUuid(messageId) && verifyOpen(deps.config.secretKey, messageId, signature)) {
        await record(deps, runtime, messageId, 'opened').catch((err: unknown) =>
          request.log.warn({ event: 'mail.open-not-recorded', err }, 'open not recorded'),
        );
      }
      return reply
        .header('cache-control', 'no-store, private')
        .header('referrer-policy', 'no-referrer')
        .type('image/gif')
        .send(PIXEL);
    },
  );

  r.get(
    '/t/c/:messageId',
    {
      config: { auth: 'public' },
      schema: {
        hide: true,
        params: Type.Object({ messageId: Type.String() }),
        querystring: Type.Object({ u: Type.String({ maxLength: 4000 }), s: Type.String({ maxLength: 100 }) }),
      },
    },
    async (request, reply) => {
      const { messageId } = request.params;
      const { u, s } = request.query;
      if (
        !isUuid(messageId) ||
        !/^https?:\/\//i.test(u) ||
        !verifyClick(deps.config.secretKey, messageId, u, s)
      ) {
        return reply.code(404).type('text/plain; charset=utf-8').send('Not found');
      }
      await record(deps, runtime, messageId, 'clicked', u).catch((err: unknown) =>
        request.log.warn({ event: 'mail.click-not-recorded', err }, 'click not recorded'),
      );
      return reply
        .header('cache-control', 'no-store, private')
        .header('referrer-policy', 'no-referrer')
        .redirect(u, 302);
    },
  );
}
