import { Type } from '@sinclair/typebox';
import { defineJob, type JobContext } from '../../shared/jobs/index.js';

// A pattern, not `format: 'uuid'`: job payloads are checked with TypeBox's Value, which knows no formats.
const Uuid = Type.String({
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
});

/*
 * The sales module's job definitions. Enqueueing needs only name, lane and schema, so other
 * modules (scoring enqueues `sales.route-lead`) import these shapes from the sales index without
 * pulling in the handlers; index.ts attaches the handlers.
 */

const notHere = async (_payload: unknown, _ctx: JobContext) => {
  throw new Error('the sales module registers this handler');
};

/**
 * Route a contact that became MQL to a rep. Enqueued by scoring with the idempotency key
 * `sales.route-lead:<contactId>:<MQL entry>`; safe to run twice (an open lead is never routed again).
 */
export const ROUTE_LEAD_JOB = defineJob({
  name: 'sales.route-lead',
  lane: 'critical',
  maxAttempts: 10,
  schema: Type.Object({ workspaceId: Uuid, contactId: Uuid }),
  handler: notHere,
});

/** One SLA step of one assignment of a lead; stale once the lead moved on or was reassigned. */
export const SLA_STEP_JOB = defineJob({
  name: 'sales.sla-step',
  lane: 'default',
  maxAttempts: 10,
  schema: Type.Object({
    workspaceId: Uuid,
    leadId: Uuid,
    seq: Type.Integer({ minimum: 1 }),
    step: Type.Union([Type.Literal('reminder'), Type.Literal('escalate')]),
  }),
  handler: notHere,
});

/** POST one outbox event to the workspace's webhook URL, signed (HMAC-SHA256). */
export const DELIVER_EVENT_JOB = defineJob({
  name: 'sales.deliver-event',
  lane: 'default',
  maxAttempts: 8,
  schema: Type.Object({ workspaceId: Uuid, eventId: Type.String({ pattern: '^[0-9]+$' }) }),
  handler: notHere,
});
