import type { Executor } from '../../shared/db/index.js';
import type { AppDeps } from '../../shared/module.js';
import { DELIVER_EVENT_JOB } from './sales.jobs.js';

/** Event types in the sales outbox; `lead.converted` is the hand-over point to the deal pipeline. */
export type SalesEventType =
  | 'lead.assigned'
  | 'lead.unassigned'
  | 'lead.reassigned'
  | 'lead.escalated'
  | 'lead.accepted'
  | 'lead.rejected'
  | 'lead.converted';

/**
 * Appends an event to the outbox in the caller's transaction; when the workspace has a webhook
 * URL, a delivery job is enqueued with it. Other modules read `sales_events` (newest by id).
 */
export async function emitSalesEvent(
  trx: Executor,
  deps: Pick<AppDeps, 'clock' | 'queue'>,
  input: {
    workspaceId: string;
    type: SalesEventType;
    leadId: string;
    contactId: string;
    payload: Record<string, unknown>;
    webhookUrl: string | null;
  },
): Promise<string> {
  const now = deps.clock.now();
  const row = await trx
    .insertInto('sales_events')
    .values({
      workspace_id: input.workspaceId,
      type: input.type,
      lead_id: input.leadId,
      contact_id: input.contactId,
      payload: JSON.stringify({
        type: input.type,
        occurredAt: now.toISOString(),
        workspaceId: input.workspaceId,
        leadId: input.leadId,
        contactId: input.contactId,
        ...input.payload,
      }),
      created_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (input.webhookUrl) {
    await deps.queue.enqueue(
      trx,
      DELIVER_EVENT_JOB,
      { workspaceId: input.workspaceId, eventId: String(row.id) },
      { workspaceId: input.workspaceId, idempotencyKey: `sales-event:${row.id}` },
    );
  }
  return String(row.id);
}
