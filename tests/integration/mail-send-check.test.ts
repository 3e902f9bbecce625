import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSendPermission } from '../../src/modules/consent/index.js';
import { upsertContactByEmail } from '../../src/modules/contacts/index.js';
import { checkSendTimes } from '../../src/modules/mail/delivery.service.js';
import { batchSendPermissions } from '../../src/modules/mail/send-permission.js';
import { findMailSettings } from '../../src/modules/mail/settings.repository.js';
import { addSuppression } from '../../src/modules/suppression/index.js';
import { newId } from '../../src/shared/ids.js';
import { availableDbKinds, createTestDeps, type TestDeps } from '../support/deps.js';
import { createMailWorkspace } from '../support/mail.js';

const kinds = await availableDbKinds();
const STATUSES = ['none', 'pending', 'confirmed', 'withdrawn', 'expired'] as const;
const BASES = ['consent', 'existing_customer'] as const;

describe.each(kinds)('send-time check on %s', (kind) => {
  let deps: TestDeps;
  let ws: string;
  const contactIds: string[] = [];

  beforeAll(async () => {
    deps = await createTestDeps(kind);
    ws = await createMailWorkspace(deps);
    const now = new Date('2026-01-01T00:00:00Z');
    let n = 0;
    // Every combination of consent state, legal basis and suppression.
    for (const status of STATUSES) {
      for (const basis of BASES) {
        for (const suppressed of [false, true]) {
          const email = `c${n++}@combo.example`;
          const { contact } = await upsertContactByEmail(deps.db, ws, email, {}, now);
          contactIds.push(contact.id);
          if (status !== 'none') {
            await sql`INSERT INTO consents (workspace_id, contact_id, purpose, status, legal_basis)
              VALUES (${ws}, ${contact.id}, 'newsletter', ${status}, ${basis})`.execute(deps.db);
          }
          if (suppressed) await addSuppression(deps.db, ws, email.toUpperCase(), { reason: 'manual' });
        }
      }
    }
    contactIds.push(newId(), newId()); // contacts that do not exist
  });
  afterAll(async () => deps?.cleanup());

  it("answers exactly as consent's getSendPermission for every combination of states", async () => {
    const batch = await batchSendPermissions(deps.db, { workspaceId: ws, purpose: 'newsletter', contactIds });
    for (const contactId of contactIds) {
      const single = await getSendPermission(deps.db, { workspaceId: ws, contactId, purpose: 'newsletter' });
      const expected = single.allowed ? { allowed: true } : { allowed: false, reason: single.reason };
      expect(batch.get(contactId), contactId).toEqual(expected);
    }
  });

  it('gives the same decisions for a batch as for the messages one by one', async () => {
    const settings = await findMailSettings(deps.db, ws);
    const messages = contactIds.map((id, i) => ({
      kind: 'marketing' as const,
      purpose: 'newsletter',
      contact_id: id,
      to_email: `c${i}@combo.example`,
      is_test: false,
    }));
    const contacts = new Map(
      (
        await deps.db
          .selectFrom('contacts')
          .select(['id', 'email_normalized'])
          .where('workspace_id', '=', ws)
          .execute()
      ).map((c) => [c.id, c]),
    );
    const batch = await checkSendTimes(
      getSendPermission,
      deps.db,
      { workspaceId: ws, settings },
      messages,
      contacts,
    );
    for (const [i, m] of messages.entries()) {
      const [one] = await checkSendTimes(
        getSendPermission,
        deps.db,
        { workspaceId: ws, settings },
        [m],
        contacts,
      );
      expect(batch[i]).toEqual(one);
    }
    expect(batch.filter((d) => d.send)).toHaveLength(2); // confirmed × 2 bases, not suppressed
  });
});
