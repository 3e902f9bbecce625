import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  appendConsentEvent,
  getSendPermission,
  verifyConsentLedger,
} from '../../src/modules/consent/index.js';
import { upsertContactByEmail } from '../../src/modules/contacts/index.js';
import { addSuppression, isSuppressed } from '../../src/modules/suppression/index.js';
import { createWorkspaceIn } from '../../src/modules/workspaces/index.js';
import { systemActor } from '../../src/shared/actor.js';
import { availableDbKinds, createTestDeps, type TestDeps } from '../support/deps.js';

const kinds = await availableDbKinds();
const NOW = new Date('2026-03-01T10:00:00Z');

describe.each(kinds)('contacts, consent ledger and suppression on %s', (kind) => {
  let deps: TestDeps;
  let ws: string;
  let other: string;

  beforeAll(async () => {
    deps = await createTestDeps(kind);
    ws = (await createWorkspaceIn(deps.db, systemActor(), { name: 'Acme' })).id;
    other = (await createWorkspaceIn(deps.db, systemActor(), { name: 'Other' })).id;
  });
  afterAll(async () => deps?.cleanup());

  describe('upsertContactByEmail', () => {
    it('makes one contact per normalised address and fills only empty fields', async () => {
      const first = await upsertContactByEmail(deps.db, ws, 'Anna@Bücher.de', { firstName: 'Anna' }, NOW);
      expect(first.created).toBe(true);
      expect(first.contact.email_normalized).toBe('anna@xn--bcher-kva.de');
      const again = await upsertContactByEmail(
        deps.db,
        ws,
        ' anna@xn--bcher-kva.DE ',
        { firstName: 'Hacker', lastName: 'Schmidt' },
        NOW,
      );
      expect(again.created).toBe(false);
      expect(again.contact.id).toBe(first.contact.id);
      expect(again.contact).toMatchObject({ first_name: 'Anna', last_name: 'Schmidt' });
    });

    it('keeps workspaces apart: the same address is another contact elsewhere', async () => {
      const a = await upsertContactByEmail(deps.db, ws, 'same@example.com', {}, NOW);
      const b = await upsertContactByEmail(deps.db, other, 'same@example.com', {}, NOW);
      expect(b.created).toBe(true);
      expect(b.contact.id).not.toBe(a.contact.id);
    });

    it('creates exactly one contact when the same address signs up many times at once', async () => {
      const results = await Promise.all(
        Array.from({ length: 8 }, () =>
          deps.db.transaction().execute((trx) => upsertContactByEmail(trx, ws, 'race@example.com', {}, NOW)),
        ),
      );
      expect(new Set(results.map((r) => r.contact.id)).size).toBe(1);
      expect(results.filter((r) => r.created)).toHaveLength(1);
    });

    it('refuses something that is not an address', async () => {
      await expect(upsertContactByEmail(deps.db, ws, 'nope', {}, NOW)).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
      });
    });
  });

  describe('suppression', () => {
    it('matches an address however it is written, and stores no address', async () => {
      expect(
        await addSuppression(deps.db, ws, 'Gone@Example.com', { reason: 'complaint', source: 'arf' }),
      ).toBe(true);
      expect(await addSuppression(deps.db, ws, 'gone@example.com', { reason: 'manual' })).toBe(false);
      expect(await isSuppressed(deps.db, ws, ' GONE@example.COM')).toBe(true);
      expect(await isSuppressed(deps.db, other, 'gone@example.com')).toBe(false);
      const rows = await deps.db
        .selectFrom('suppressions')
        .selectAll()
        .where('workspace_id', '=', ws)
        .execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]!.reason).toBe('complaint');
      expect(JSON.stringify(rows)).not.toContain('gone@');
    });
  });

  describe('send permission', () => {
    it('allows marketing mail only with a confirmed consent for the purpose and no suppression', async () => {
      const { contact } = await upsertContactByEmail(deps.db, ws, 'perm@example.com', {}, NOW);
      const ask = (purpose = 'newsletter') =>
        getSendPermission(deps.db, { workspaceId: ws, contactId: contact.id, purpose });
      expect(await ask()).toEqual({ allowed: false, reason: 'no_consent' });
      await deps.db
        .insertInto('consents')
        .values({
          workspace_id: ws,
          contact_id: contact.id,
          purpose: 'newsletter',
          status: 'pending',
          requested_at: NOW,
        })
        .execute();
      expect(await ask()).toEqual({ allowed: false, reason: 'pending' });
      await deps.db
        .updateTable('consents')
        .set({ status: 'confirmed', confirmed_at: NOW })
        .where('contact_id', '=', contact.id)
        .execute();
      expect(await ask()).toEqual({ allowed: true, basis: 'consent' });
      expect(await ask('phone')).toEqual({ allowed: false, reason: 'no_consent' });
      expect(
        await getSendPermission(deps.db, {
          workspaceId: other,
          contactId: contact.id,
          purpose: 'newsletter',
        }),
      ).toEqual({
        allowed: false,
        reason: 'contact_missing',
      });
      await addSuppression(deps.db, ws, 'perm@example.com', { reason: 'objection' });
      expect(await ask()).toEqual({ allowed: false, reason: 'suppressed' });
    });
  });

  describe('consent ledger', () => {
    it('chains events per contact and detects changed content and removed entries', async () => {
      const { contact } = await upsertContactByEmail(deps.db, ws, 'ledger@example.com', {}, NOW);
      const base = { workspaceId: ws, contactId: contact.id, purpose: 'newsletter', email: contact.email };
      const e1 = await appendConsentEvent(deps.db, {
        ...base,
        event: 'requested',
        occurredAt: NOW,
        formId: '01a209aa-0000-7000-8000-000000000001',
        formVersion: 3,
        pageUrl: 'https://acme.example/newsletter',
        consentText: 'Ja, ich möchte den Newsletter erhalten.',
        consentTextVersion: 'v3',
        privacyNoticeVersion: '2026-01',
        checkedBoxes: ['newsletter'],
        ip: '203.0.113.7',
        userAgent: 'Mozilla/5.0',
      });
      const e2 = await appendConsentEvent(deps.db, {
        ...base,
        event: 'confirmation_sent',
        occurredAt: NOW,
        messageId: '<m1@acme>',
      });
      const e3 = await appendConsentEvent(deps.db, {
        ...base,
        event: 'confirmed',
        occurredAt: NOW,
        ip: '203.0.113.8',
        tokenRef: 'tok-1',
      });
      expect(e1.prev_hash).toBeNull();
      expect(e2.prev_hash).toBe(e1.hash);
      expect(e3.prev_hash).toBe(e2.hash);
      expect(await verifyConsentLedger(deps.db, ws, contact.id)).toEqual({ checked: 3, breaks: [] });

      // The ledger refuses changes...
      await expect(
        sql`UPDATE consent_events SET ip = '1.1.1.1' WHERE id = ${e1.id}`.execute(deps.db),
      ).rejects.toThrow(/append-only/);
      // ...and whoever gets around the trigger is found out.
      await sql`ALTER TABLE consent_events DISABLE TRIGGER consent_events_append_only`.execute(deps.db);
      await sql`UPDATE consent_events SET ip = '1.1.1.1' WHERE id = ${e1.id}`.execute(deps.db);
      await sql`DELETE FROM consent_events WHERE id = ${e2.id}`.execute(deps.db);
      await sql`ALTER TABLE consent_events ENABLE TRIGGER consent_events_append_only`.execute(deps.db);
      const report = await verifyConsentLedger(deps.db, ws, contact.id);
      expect(report.checked).toBe(2);
      expect(report.breaks).toEqual([
        { eventId: e1.id, contactId: contact.id, problem: 'content_changed' },
        { eventId: e3.id, contactId: contact.id, problem: 'chain_broken' },
      ]);
    });
  });
});
