import { generateKeyPairSync } from 'node:crypto';
import { sql } from 'kysely';
import { upsertContactByEmail } from '../../src/modules/contacts/index.js';
import { encryptSecret } from '../../src/modules/mail/key-encryption.js';
import { upsertMailSettings } from '../../src/modules/mail/settings.repository.js';
import { createWorkspaceIn } from '../../src/modules/workspaces/index.js';
import { systemActor } from '../../src/shared/actor.js';
import type { Executor } from '../../src/shared/db/index.js';
import { newId } from '../../src/shared/ids.js';
import type { AppDeps } from '../../src/shared/module.js';

/** Polls until `check` returns something truthy; fails with `what` after the timeout. */
export async function until<T>(
  what: string,
  check: () => Promise<T> | T,
  timeoutMs = 15_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const TEST_IMPRINT =
  'Acme GmbH\nMusterstraße 1, 10115 Berlin\nGeschäftsführer: Max Muster\nHRB 12345, Amtsgericht Berlin';

/** A workspace with mail settings (imprint, sender) ready for marketing mail. */
export async function createMailWorkspace(
  deps: AppDeps,
  options: { name?: string; imprint?: string; fromEmail?: string } = {},
): Promise<string> {
  const ws = await createWorkspaceIn(deps.db, systemActor(), {
    name: options.name ?? `Acme ${newId().slice(-6)}`,
  });
  await upsertMailSettings(
    deps.db,
    ws.id,
    {
      imprint: options.imprint ?? TEST_IMPRINT,
      from_email: options.fromEmail ?? 'news@acme.example',
      from_name: 'Acme News',
    },
    deps.clock.now(),
  );
  return ws.id;
}

/** A contact with a confirmed consent for each purpose. */
export async function createConsentedContact(
  db: Executor,
  workspaceId: string,
  email: string,
  purposes: string[],
  fields: { firstName?: string } = {},
): Promise<string> {
  const now = new Date('2026-01-01T00:00:00Z');
  const { contact } = await upsertContactByEmail(db, workspaceId, email, fields, now);
  for (const purpose of purposes) {
    await sql`INSERT INTO consents (workspace_id, contact_id, purpose, status, requested_at, confirmed_at)
      VALUES (${workspaceId}, ${contact.id}, ${purpose}, 'confirmed', ${now}, ${now})
      ON CONFLICT (workspace_id, contact_id, purpose) DO UPDATE SET status = 'confirmed'`.execute(db);
  }
  return contact.id;
}

export async function setConsentStatus(
  db: Executor,
  workspaceId: string,
  contactId: string,
  purpose: string,
  status: 'confirmed' | 'withdrawn' | 'pending',
): Promise<void> {
  await sql`UPDATE consents SET status = ${status} WHERE workspace_id = ${workspaceId}
    AND contact_id = ${contactId} AND purpose = ${purpose}`.execute(db);
}

export interface TestDkim {
  selector: string;
  domain: string;
  publicKeyBase64: string;
  privateKeyPem: string;
}

/** Adds a sending domain with a fresh RSA key directly (the route is tested elsewhere). */
export async function addTestSendingDomain(
  deps: AppDeps,
  workspaceId: string,
  domain = 'acme.example',
): Promise<TestDkim> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicKeyBase64 = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
  const now = deps.clock.now();
  await deps.db
    .insertInto('sending_domains')
    .values({
      id: newId(),
      workspace_id: workspaceId,
      domain,
      dkim_selector: 'lw1',
      dkim_private_key: encryptSecret(deps.config.secretKey, privateKeyPem, `${workspaceId}:${domain}`),
      dkim_public_key: publicKeyBase64,
      return_path_domain: `bounces.${domain}`,
      created_by: null,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return { selector: 'lw1', domain, publicKeyBase64, privateKeyPem };
}

/** A DNS resolver for mailauth that knows only the test domain's DKIM key. */
export function dkimResolver(dkim: TestDkim) {
  return async (name: string, rr: string) => {
    if (rr === 'TXT' && name === `${dkim.selector}._domainkey.${dkim.domain}`) {
      return [[`v=DKIM1; k=rsa; p=${dkim.publicKeyBase64}`]];
    }
    const err = new Error(`no ${rr} record for ${name}`) as Error & { code: string };
    err.code = 'ENOTFOUND';
    throw err;
  };
}
