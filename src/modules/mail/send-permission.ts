import type { Executor } from '../../shared/db/index.js';
import { suppressionHash } from '../suppression/index.js';

/*
 * The consent module's `getSendPermission`, as the mail module sees it. The consent module sends
 * its double opt-in mail through `enqueueMessage`, and the mail module asks consent before every
 * marketing send: importing each other's index.ts would be an import cycle. So the mail module is
 * built with the function handed in (src/modules.ts wires them), and this type describes it
 * structurally, without importing the consent module.
 */
export type SendPermissionCheck = (
  db: Executor,
  input: { workspaceId: string; contactId: string; purpose: string },
) => Promise<{ allowed: true } | { allowed: false; reason: string }>;

/**
 * The contacts module's `recordActivities` (timeline entries), handed in for the same reason: the
 * contacts module reaches the consent module, which reaches mail.
 */
export type RecordActivities = (
  trx: Executor,
  inputs: {
    workspaceId: string;
    contactId: string;
    type: string;
    occurredAt: Date;
    data: Record<string, unknown>;
    source?: string | null;
    ref?: string | null;
  }[],
) => Promise<void>;

export type PermissionAnswer = Awaited<ReturnType<SendPermissionCheck>>;

/**
 * `getSendPermission` for many contacts of one workspace and purpose in two statements instead of
 * three per contact — the same rules in the same order (contact exists → address not suppressed
 * → consent confirmed, else its status). Used for batches of bulk sends; single messages ask the
 * consent module itself. tests/integration/mail-send-check.test.ts checks on every combination of
 * states that both give the same answer, so a change to the consent rules fails that test until
 * this follows.
 */
export async function batchSendPermissions(
  db: Executor,
  input: { workspaceId: string; purpose: string; contactIds: readonly string[] },
): Promise<Map<string, PermissionAnswer>> {
  const out = new Map<string, PermissionAnswer>();
  const ids = [...new Set(input.contactIds)];
  if (ids.length === 0) return out;
  const rows = await db
    .selectFrom('contacts as c')
    .leftJoin('consents as co', (j) =>
      j
        .onRef('co.workspace_id', '=', 'c.workspace_id')
        .onRef('co.contact_id', '=', 'c.id')
        .on('co.purpose', '=', input.purpose),
    )
    .select(['c.id', 'c.email', 'co.status'])
    .where('c.workspace_id', '=', input.workspaceId)
    .where('c.id', 'in', ids)
    .execute();
  const hashes = new Map(rows.map((r) => [r.id, suppressionHash(input.workspaceId, r.email)]));
  const suppressed = new Set(
    hashes.size === 0
      ? []
      : (
          await db
            .selectFrom('suppressions')
            .select('email_hash')
            .where('workspace_id', '=', input.workspaceId)
            .where('email_hash', 'in', [...hashes.values()])
            .execute()
        ).map((r) => r.email_hash),
  );
  for (const id of ids) out.set(id, { allowed: false, reason: 'contact_missing' });
  for (const r of rows) {
    if (suppressed.has(hashes.get(r.id)!)) out.set(r.id, { allowed: false, reason: 'suppressed' });
    else if (!r.status) out.set(r.id, { allowed: false, reason: 'no_consent' });
    else if (r.status === 'confirmed') out.set(r.id, { allowed: true });
    else out.set(r.id, { allowed: false, reason: r.status });
  }
  return out;
}
