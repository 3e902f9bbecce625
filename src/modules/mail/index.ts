import type { JobDefinition } from '../../shared/jobs/index.js';
import type { AppDeps, BackgroundService, LeadwerkModule } from '../../shared/module.js';
import { type BounceSmtpServer, startBounceSmtpServer } from './bounces/bounce-smtp-server.js';
import { enqueueBulkSend } from './bulk-send.service.js';
import { deliverMessages } from './delivery.service.js';
import { seedMailDemo } from './demo.js';
import {
  ENQUEUE_SEND_JOB,
  OUTBOX_RETENTION_DAYS,
  PURGE_OUTBOX_JOB,
  REDACT_CONTENT_JOB,
  SEND_BATCH_JOB,
  SEND_MESSAGE_JOB,
} from './mail.jobs.js';
import { registerMailRoutes } from './mail.routes.js';
import { redactFinishedMessages } from './messages.repository.js';
import { closeMailRuntime, type MailWiring, mailRuntime, registerMailWiring } from './runtime.js';
import { registerTrackingRoutes } from './tracking.routes.js';

export { processReport, type ReportOutcome } from './bounces/bounce.service.js';
export { type MailSend, startBulkSend } from './bulk-send.service.js';
export { type DirectSender, directSender, findMailSender, withoutSendJob } from './delivery.service.js';
export {
  type ContentMessageInput,
  type EnqueueMessageInput,
  type EnqueueMessageResult,
  enqueueMessage,
  enqueueSendJobs,
  type MessageAttachmentInput,
  recordContentMessages,
} from './enqueue-message.js';
export { type EnqueueManyInput, enqueueMessages } from './enqueue-messages.js';
export type { Address } from './mime/build-message.js';
export { closeMailRuntime, type MailWiring } from './runtime.js';
export type { RecordActivities, SendPermissionCheck } from './send-permission.js';
export {
  createUnsubscribeToken,
  resolveUnsubscribeToken,
  type UnsubscribeTarget,
} from './unsubscribe-tokens.js';

function sendJobs(deps: AppDeps, wiring: MailWiring): JobDefinition[] {
  registerMailWiring(deps, wiring);
  const runtime = () => mailRuntime(deps, wiring);
  return [
    {
      ...SEND_MESSAGE_JOB,
      async handler({ messageId }, ctx) {
        await deliverMessages(deps, runtime(), [messageId], ctx);
      },
    } satisfies typeof SEND_MESSAGE_JOB,
    {
      ...SEND_BATCH_JOB,
      async handler({ messageIds }, ctx) {
        await deliverMessages(deps, runtime(), messageIds, ctx);
      },
    } satisfies typeof SEND_BATCH_JOB,
    {
      ...ENQUEUE_SEND_JOB,
      async handler({ sendId }, ctx) {
        await enqueueBulkSend(deps, sendId, ctx);
      },
    } satisfies typeof ENQUEUE_SEND_JOB,
  ] as JobDefinition[];
}

function services(deps: AppDeps, wiring: MailWiring): BackgroundService[] {
  const list: BackgroundService[] = [
    // Nothing to start: the SMTP pool connects on first use. Stopping closes its connections.
    { name: 'mail.smtp-pool', start: async () => {}, stop: () => closeMailRuntime(deps) },
  ];
  const port = deps.config.bounceSmtpPort;
  if (port !== undefined) {
    let server: BounceSmtpServer | undefined;
    list.push({
      name: 'mail.bounce-smtp',
      async start() {
        server = await startBounceSmtpServer({
          port,
          host: deps.config.bounceSmtpHost,
          log: deps.log,
          context: () => ({
            db: deps.db,
            secretKey: deps.config.secretKey,
            now: deps.clock.now(),
            log: deps.log,
            recordActivities: wiring.recordActivities,
          }),
        });
      },
      async stop() {
        await server?.close();
      },
    });
  }
  return list;
}

/**
 * The mail module. It is built with the functions it needs from modules that depend on it
 * (consent's getSendPermission, contacts' recordActivities; see send-permission.ts).
 */
export function createMailModule(wiring: MailWiring): LeadwerkModule {
  return {
    name: 'mail',
    routes(app, deps) {
      const runtime = () => mailRuntime(deps, wiring);
      registerMailRoutes(app, deps, runtime);
      registerTrackingRoutes(app, deps, runtime);
    },
    jobs: (deps) => sendJobs(deps, wiring),
    recurring: (deps) => [
      {
        job: {
          ...PURGE_OUTBOX_JOB,
          async handler(_payload, ctx) {
            const before = new Date(deps.clock.now().getTime() - OUTBOX_RETENTION_DAYS * 86_400_000);
            const r = await ctx.db
              .deleteFrom('outbox_messages')
              .where('created_at', '<', before)
              .executeTakeFirst();
            const removed = Number(r.numDeletedRows);
            if (removed > 0)
              ctx.log.info({ event: 'mail.outbox-purged', removed }, 'old outbox mail deleted');
          },
        } satisfies typeof PURGE_OUTBOX_JOB,
        everyMs: 3_600_000,
      },
      {
        job: {
          ...REDACT_CONTENT_JOB,
          async handler(_payload, ctx) {
            let redacted = 0;
            // A bounded amount per run; a backlog (rows from before redaction existed) takes a few hours.
            for (let round = 0; round < 20; round++) {
              const n = await redactFinishedMessages(ctx.db, deps.clock.now(), 1_000);
              redacted += n;
              if (n < 1_000) break;
            }
            if (redacted > 0)
              ctx.log.info({ event: 'mail.content-redacted', redacted }, 'links of sent mail removed');
          },
        } satisfies typeof REDACT_CONTENT_JOB,
        everyMs: 3_600_000,
      },
    ],
    services: (deps) => services(deps, wiring),
    seedDemo: (ctx) => seedMailDemo(ctx, wiring),
  };
}
