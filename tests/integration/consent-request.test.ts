import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  getSendPermission,
  type RequestConsentsInput,
  requestConsents,
  runConsentRetention,
  verifyConsentLedger,
} from '../../src/modules/consent/index.js';
import { upsertContactByEmail } from '../../src/modules/contacts/index.js';
import { addSuppression } from '../../src/modules/suppression/index.js';
import { createWorkspaceIn } from '../../src/modules/workspaces/index.js';
import { systemActor } from '../../src/shared/actor.js';
import { ManualClock } from '../../src/shared/clock.js';
import { availableDbKinds, createTestDeps, type TestDeps } from '../support/deps.js';

const kinds = await availableDbKinds();
const HOUR = 3_600_000;
const FORM_ID = '01a209aa-0000-7000-8000-000000000001';

describe.each(kinds)('requestConsents on %s', (kind) => {
  let deps: TestDeps;
  let ws: string;
  let other: string;
  const clock = new ManualClock('2026-03-01T10:00:00Z');

  beforeAll(async () => {
    deps = await createTestDeps(kind, { clock });
    ws = (await createWorkspaceIn(deps.db, systemActor(), { name: 'Acme' })).id;
    other = (await createWorkspaceIn(deps.db, systemActor(), { name: 'Other' })).id;
  });
  afterAll(async () => deps?.cleanup());

  async function signUp(
    email: string,
    purposes: string[] = ['newsletter'],
    workspaceId = ws,
    extra: Partial<RequestConsentsInput> = {},
  ) {
    return deps.db.transaction().execute(async (trx) => {
      const { contact } = await upsertContactByEmail(trx, workspaceId, email, {}, clock.now());
      const result = await requestConsents(trx, deps, {
        workspaceId,
        contactId: contact.id,
        email,
        locale: 'de',
        purposes: purposes.map((purpose) => ({
          purpose,
          consentText: `Ja, ich möchte ${purpose} erhalten.`,
          consentTextVersion: 'v3',
        })),
        form: {
          id: FORM_ID,
          version: 4,
          pageUrl: 'https://acme.example/newsletter',
          privacyNoticeVersion: '2026-01',
        },
        ip: '203.0.113.7',
        userAgent: 'Mozilla/5.0 (test)',
        ...extra,
      });
      return { ...result, contactId: contact.id };
    });
  }

  const events = (contactId: string) =>
    deps.db
      .selectFrom('consent_events')
      .selectAll()
      .where('workspace_id', '=', ws)
      .where('contact_id', '=', contactId)
      .orderBy('id')
      .execute();
  const optInJobs = (workspaceId = ws) =>
    deps.db
      .selectFrom('jobs')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('name', '=', 'consent.send-opt-in-mail')
      .execute();

  it('makes the purposes pending, records every proof field and queues the mail on the critical lane', async () => {
    const r = await signUp('anna@example.com', ['newsletter', 'events']);
    expect(r.outcome).toBe('doi-mail-queued');
    const consents = await deps.db
      .selectFrom('consents')
      .selectAll()
      .where('contact_id', '=', r.contactId)
      .orderBy('purpose')
      .execute();
    expect(consents.map((c) => [c.purpose, c.status])).toEqual([
      ['events', 'pending'],
      ['newsletter', 'pending'],
    ]);
    const ledger = await events(r.contactId);
    expect(ledger).toHaveLength(2);
    const token = await deps.db
      .selectFrom('consent_tokens')
      .selectAll()
      .where('contact_id', '=', r.contactId)
      .executeTakeFirstOrThrow();
    expect(ledger[0]).toMatchObject({
      event: 'requested',
      purpose: 'newsletter',
      email: 'anna@example.com',
      form_id: FORM_ID,
      form_version: 4,
      page_url: 'https://acme.example/newsletter',
      consent_text: 'Ja, ich möchte newsletter erhalten.',
      consent_text_version: 'v3',
      privacy_notice_version: '2026-01',
      checked_boxes: ['newsletter', 'events'],
      ip: '203.0.113.7',
      user_agent: 'Mozilla/5.0 (test)',
      token_ref: token.id,
    });
    expect(ledger[0]!.occurred_at.toISOString()).toBe('2026-03-01T10:00:00.000Z');
    expect(token).toMatchObject({ kind: 'opt_in', purposes: ['newsletter', 'events'], locale: 'de' });
    expect(token.expires_at!.getTime() - token.created_at.getTime()).toBe(72 * HOUR);
    // The link's secret is made when the mail is written; nothing that opens a link is stored yet.
    expect(token.selector).toBeNull();
    const jobs = await optInJobs();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ lane: 'critical', payload: { workspaceId: ws, tokenId: token.id } });
    expect(
      await getSendPermission(deps.db, { workspaceId: ws, contactId: r.contactId, purpose: 'newsletter' }),
    ).toEqual({
      allowed: false,
      reason: 'pending',
    });
    expect(await verifyConsentLedger(deps.db, ws, r.contactId)).toEqual({ checked: 2, breaks: [] });
  });

  it('limits confirmation mails per address: 1 per 24 h, 3 per 30 days; a limited request changes nothing', async () => {
    const first = await signUp('bomb@example.com');
    expect(first.outcome).toBe('doi-mail-queued');
    clock.advance(HOUR);
    expect((await signUp('bomb@example.com', ['newsletter', 'events'])).outcome).toBe('rate-limited');
    expect(await events(first.contactId)).toHaveLength(1);
    clock.advance(24 * HOUR);
    expect((await signUp('bomb@example.com')).outcome).toBe('doi-mail-queued');
    clock.advance(25 * HOUR);
    expect((await signUp('bomb@example.com')).outcome).toBe('doi-mail-queued');
    clock.advance(25 * HOUR);
    expect((await signUp('bomb@example.com')).outcome).toBe('rate-limited');
    clock.advance(30 * 24 * HOUR);
    expect((await signUp('bomb@example.com')).outcome).toBe('doi-mail-queued');
  });

  it('concurrent sign-ups of one address: one confirmation mail, one intact ledger chain', async () => {
    await upsertContactByEmail(deps.db, ws, 'race@example.com', {}, clock.now());
    const results = await Promise.all(
      ['newsletter', 'events', 'phone', 'newsletter:tech'].map((p) => signUp('race@example.com', [p])),
    );
    expect(results.map((r) => r.outcome).sort()).toEqual([
      'doi-mail-queued',
      'rate-limited',
      'rate-limited',
      'rate-limited',
    ]);
    const contactId = results[0]!.contactId;
    const chain = await events(contactId);
    expect(chain).toHaveLength(1);
    expect(await verifyConsentLedger(deps.db, ws, contactId)).toEqual({ checked: 1, breaks: [] });
    // A later request with several purposes chains its entries one after the other.
    clock.advance(25 * HOUR);
    expect((await signUp('race@example.com', ['events', 'phone', 'newsletter:tech'])).outcome).toBe(
      'doi-mail-queued',
    );
    const after = await events(contactId);
    expect(after.map((e) => e.purpose)).toEqual([chain[0]!.purpose, 'events', 'phone', 'newsletter:tech']);
    expect(await verifyConsentLedger(deps.db, ws, contactId)).toEqual({ checked: 4, breaks: [] });
  });

  it('never downgrades a confirmed consent; an all-confirmed address gets one notice per 24 h', async () => {
    const r = await signUp('conf@example.com', ['newsletter']);
    await deps.db
      .updateTable('consents')
      .set({ status: 'confirmed', confirmed_at: clock.now() })
      .where('contact_id', '=', r.contactId)
      .execute();
    clock.advance(48 * HOUR);
    const again = await signUp('conf@example.com', ['newsletter']);
    expect(again.outcome).toBe('already-confirmed');
    const notices = await deps.db
      .selectFrom('jobs')
      .select('lane')
      .where('name', '=', 'consent.send-confirmed-notice')
      .where('workspace_id', '=', ws)
      .execute();
    expect(notices).toEqual([{ lane: 'critical' }]);
    expect((await signUp('conf@example.com', ['newsletter'])).outcome).toBe('rate-limited');
    const status = await deps.db
      .selectFrom('consents')
      .select('status')
      .where('contact_id', '=', r.contactId)
      .executeTakeFirstOrThrow();
    expect(status.status).toBe('confirmed');
    // A new purpose next to a confirmed one asks only for the new one.
    clock.advance(25 * HOUR);
    const mixed = await signUp('conf@example.com', ['newsletter', 'events']);
    expect(mixed.outcome).toBe('doi-mail-queued');
    const consents = await deps.db
      .selectFrom('consents')
      .select(['purpose', 'status'])
      .where('contact_id', '=', r.contactId)
      .orderBy('purpose')
      .execute();
    expect(consents).toEqual([
      { purpose: 'events', status: 'pending' },
      { purpose: 'newsletter', status: 'confirmed' },
    ]);
    const tokens = await deps.db
      .selectFrom('consent_tokens')
      .select('purposes')
      .where('contact_id', '=', r.contactId)
      .orderBy('created_at', 'desc')
      .execute();
    expect(tokens[0]!.purposes).toEqual(['events']);
  });

  it('sends nothing to a suppressed address and records nothing', async () => {
    await addSuppression(deps.db, ws, 'gone@example.com', { reason: 'objection' });
    const r = await signUp('gone@example.com');
    expect(r.outcome).toBe('suppressed');
    expect(await events(r.contactId)).toHaveLength(0);
  });

  it('uses the workspace setting for the link lifetime and keeps workspaces apart', async () => {
    await deps.db
      .insertInto('consent_settings')
      .values({ workspace_id: other, opt_in_token_ttl_hours: 24 })
      .execute();
    const here = await signUp('both@example.com');
    const there = await signUp('both@example.com', ['newsletter'], other);
    expect(here.outcome).toBe('doi-mail-queued');
    expect(there.outcome).toBe('doi-mail-queued');
    expect(there.contactId).not.toBe(here.contactId);
    const token = await deps.db
      .selectFrom('consent_tokens')
      .selectAll()
      .where('workspace_id', '=', other)
      .executeTakeFirstOrThrow();
    expect(token.expires_at!.getTime() - token.created_at.getTime()).toBe(24 * HOUR);
    expect(await optInJobs(other)).toHaveLength(1);
  });

  it('keeps counting per address after a never-confirmed sign-up was purged', async () => {
    for (let i = 0; i < 3; i++) {
      expect((await signUp('purged@example.com')).outcome).toBe('doi-mail-queued');
      clock.advance(25 * HOUR);
    }
    clock.advance(15 * 24 * HOUR);
    await runConsentRetention(deps.db, clock.now());
    const left = await deps.db
      .selectFrom('contacts')
      .select('id')
      .where('workspace_id', '=', ws)
      .where('email_normalized', '=', 'purged@example.com')
      .execute();
    expect(left).toEqual([]);
    // The address itself is not kept, only a hash in the mail log, for 31 days.
    const log = await deps.db
      .selectFrom('consent_mail_log')
      .selectAll()
      .where('workspace_id', '=', ws)
      .execute();
    expect(JSON.stringify(log)).not.toContain('purged@');
    expect((await signUp('purged@example.com')).outcome).toBe('rate-limited');
    clock.advance(31 * 24 * HOUR);
    await runConsentRetention(deps.db, clock.now());
    expect((await signUp('purged@example.com')).outcome).toBe('doi-mail-queued');
  });

  it('refuses bad input and a contact of another workspace', async () => {
    const { contact } = await upsertContactByEmail(deps.db, ws, 'x@example.com', {}, clock.now());
    const base: RequestConsentsInput = {
      workspaceId: ws,
      contactId: contact.id,
      email: 'x@example.com',
      locale: 'en',
      purposes: [{ purpose: 'newsletter', consentText: 'Yes', consentTextVersion: '1' }],
      form: { id: null, version: null, pageUrl: null, privacyNoticeVersion: null },
      ip: null,
      userAgent: null,
    };
    const run = (input: RequestConsentsInput) =>
      deps.db.transaction().execute((trx) => requestConsents(trx, deps, input));
    await expect(run({ ...base, purposes: [] })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(
      run({ ...base, purposes: [{ purpose: 'Bad Purpose', consentText: 'x', consentTextVersion: '1' }] }),
    ).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(run({ ...base, email: 'y@example.com' })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
    });
    await expect(run({ ...base, workspaceId: other })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await run(base)).outcome).toBe('doi-mail-queued');
  });
});
