import { createHmac } from 'node:crypto';
import type { JobContext } from '../../shared/jobs/index.js';
import { PermanentJobError } from '../../shared/jobs/index.js';
import { postWebhook } from './url-guard.js';

/**
 * The signature a receiver checks: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` with
 * the workspace's webhook secret (the scheme Stripe made common: the timestamp in the signed
 * string lets receivers reject replays).
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${mac}`;
}

/** Delivers one outbox event; a non-2xx answer or a network error throws, so the queue retries. */
export async function deliverEvent(
  payload: { workspaceId: string; eventId: string },
  ctx: JobContext,
  options: { allowPrivate: boolean },
): Promise<void> {
  const event = await ctx.db
    .selectFrom('sales_events')
    .selectAll()
    .where('workspace_id', '=', payload.workspaceId)
    .where('id', '=', payload.eventId)
    .executeTakeFirst();
  if (!event || event.delivered_at) return;
  const settings = await ctx.db
    .selectFrom('sales_settings')
    .select(['webhook_url', 'webhook_secret'])
    .where('workspace_id', '=', payload.workspaceId)
    .executeTakeFirst();
  // The URL was removed after the event: nothing to deliver to.
  if (!settings?.webhook_url || !settings.webhook_secret) return;
  const body = JSON.stringify({ id: String(event.id), ...event.payload });
  const timestamp = Math.floor(ctx.clock.now().getTime() / 1000);
  let status: number | null = null;
  let error: string | null = null;
  let refused = false;
  try {
    status = await postWebhook(
      settings.webhook_url,
      {
        'content-type': 'application/json',
        'user-agent': 'Leadwerk-Webhook/1',
        'x-leadwerk-event': event.type,
        'x-leadwerk-delivery': String(event.id),
        'x-leadwerk-signature': signWebhook(settings.webhook_secret, timestamp, body),
      },
      body,
      { allowPrivate: options.allowPrivate, timeoutMs: 10_000 },
    );
    if (status < 200 || status >= 300) error = `HTTP ${status}`;
  } catch (err) {
    const code = (err as { code?: string }).code;
    refused = code === 'SALES_WEBHOOK_URL_NOT_ALLOWED';
    error = `${refused ? 'SALES_WEBHOOK_URL_NOT_ALLOWED: ' : ''}${(err as Error).message}`.slice(0, 500);
  }
  const now = ctx.clock.now();
  if (!error) {
    await ctx.completeWith(async (trx) => {
      await trx
        .updateTable('sales_events')
        .set((eb) => ({
          delivered_at: now,
          last_status: status,
          last_error: null,
          attempts: eb('attempts', '+', 1),
        }))
        .where('workspace_id', '=', payload.workspaceId)
        .where('id', '=', payload.eventId)
        .execute();
    });
    return;
  }
  await ctx.db
    .updateTable('sales_events')
    .set((eb) => ({ last_status: status, last_error: error, attempts: eb('attempts', '+', 1) }))
    .where('workspace_id', '=', payload.workspaceId)
    .where('id', '=', payload.eventId)
    .execute();
  // The host is (now) a private address: refused, and retrying will not change that soon.
  if (refused) throw new PermanentJobError(`webhook refused: ${error}`);
  // A 4xx other than 408/429 will not change by retrying.
  if (status !== null && status >= 400 && status < 500 && status !== 408 && status !== 429) {
    throw new PermanentJobError(`webhook answered ${status}`);
  }
  throw new Error(`webhook delivery failed: ${error}`);
}
