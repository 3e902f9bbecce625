import { spawn } from 'node:child_process';
import { sql } from 'kysely';
import { PDFParse } from 'pdf-parse';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pdfSafe } from '../../src/modules/consent/evidence-pdf.js';
import { requestConsents, runConsentRetention } from '../../src/modules/consent/index.js';
import { upsertContactByEmail } from '../../src/modules/contacts/index.js';
import { addMember, createApiKey } from '../../src/modules/identity/index.js';
import { isSuppressed } from '../../src/modules/suppression/index.js';
import { createWorkspaceIn } from '../../src/modules/workspaces/index.js';
import { collectJobs } from '../../src/server.js';
import { systemActor } from '../../src/shared/actor.js';
import { ManualClock } from '../../src/shared/clock.js';
import { type Caller, createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';

const kinds = await availableDbKinds();

/** The text of a PDF, as a reader (or a court's clerk copying from it) gets it. */
async function pdfText(data: Buffer): Promise<string> {
  const parser = new PDFParse({ data: new Uint8Array(data) });
  try {
    // Lines joined: a long value wraps in its column.
    return (await parser.getText()).text.replace(/\s*\n\s*/g, ' ');
  } finally {
    await parser.destroy();
  }
}
const DAY = 86_400_000;

describe.each(kinds)('consent ledger for the DPO, and retention, on %s', (kind) => {
  let t: TestApp;
  let admin: Caller;
  const clock = new ManualClock('2026-04-01T12:00:00Z');

  beforeAll(async () => {
    t = await createTestApp(kind, { clock });
    admin = await t.login();
  });
  afterAll(async () => t?.close());

  const ws = () => t.workspaceId;

  async function signUp(email: string, purposes = ['newsletter'], workspaceId = ws()) {
    return t.deps.db.transaction().execute(async (trx) => {
      const { contact } = await upsertContactByEmail(trx, workspaceId, email, {}, clock.now());
      await requestConsents(trx, t.deps, {
        workspaceId,
        contactId: contact.id,
        email,
        locale: 'en',
        purposes: purposes.map((purpose) => ({
          purpose,
          consentText: `Yes, ${purpose} <please>`,
          consentTextVersion: 'v1',
        })),
        form: { id: null, version: null, pageUrl: 'https://acme.example/p', privacyNoticeVersion: '1' },
        ip: '192.0.2.1',
        userAgent: 'UA-test',
      });
      return contact.id;
    });
  }

  const api = (method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown, headers = admin.headers()) =>
    t.app.inject({ method, url, headers, ...(payload !== undefined ? { payload: payload as object } : {}) });

  it('finds the ledger by address and shows every event with all proof fields; the chain verifies', async () => {
    const contactId = await signUp('proof@example.com', ['newsletter', 'events']);
    const found = await api('GET', '/api/v1/consent/contacts?email=PROOF@example.com');
    expect(found.statusCode).toBe(200);
    expect(found.json()).toEqual({ contactId });
    const ledger = await api('GET', `/api/v1/consent/contacts/${contactId}/ledger`);
    expect(ledger.statusCode).toBe(200);
    const body = ledger.json();
    expect(body.consents.map((c: { status: string }) => c.status)).toEqual(['pending', 'pending']);
    expect(body.events[0]).toMatchObject({
      event: 'requested',
      email: 'proof@example.com',
      pageUrl: 'https://acme.example/p',
      consentText: 'Yes, newsletter <please>',
      consentTextVersion: 'v1',
      privacyNoticeVersion: '1',
      checkedBoxes: ['newsletter', 'events'],
      ip: '192.0.2.1',
      userAgent: 'UA-test',
      tokenRef: expect.any(String),
      hash: expect.stringMatching(/^[0-9a-f]{64}$/),
      prevHash: null,
    });
    expect(body.verification).toEqual({ checked: 2, intact: true, breaks: [] });
    expect((await api('GET', '/api/v1/consent/contacts?email=nobody@example.com')).statusCode).toBe(404);
  });

  it('reports tampering through the API, per contact and for the workspace', async () => {
    const contactId = await signUp('tamper@example.com');
    const other = await signUp('untouched@example.com');
    const [event] = await t.deps.db
      .selectFrom('consent_events')
      .select('id')
      .where('contact_id', '=', contactId)
      .execute();
    await sql`ALTER TABLE consent_events DISABLE TRIGGER consent_events_append_only`.execute(t.deps.db);
    await sql`UPDATE consent_events SET ip = '10.0.0.1' WHERE id = ${event!.id}`.execute(t.deps.db);
    await sql`ALTER TABLE consent_events ENABLE TRIGGER consent_events_append_only`.execute(t.deps.db);
    const one = await api('GET', `/api/v1/consent/ledger/verify?contactId=${contactId}`);
    expect(one.json()).toEqual({
      checked: 1,
      intact: false,
      breaks: [{ eventId: event!.id, contactId, problem: 'content_changed' }],
    });
    const all = (await api('GET', '/api/v1/consent/ledger/verify')).json();
    expect(all.intact).toBe(false);
    expect(all.breaks).toEqual([{ eventId: event!.id, contactId, problem: 'content_changed' }]);
    expect((await api('GET', `/api/v1/consent/ledger/verify?contactId=${other}`)).json().intact).toBe(true);
    const html = await api('GET', `/api/v1/consent/contacts/${contactId}/evidence?lang=en`);
    expect(html.body).toContain('BROKEN');
    // Repair the test data for the following tests (the workspace check).
    await sql`ALTER TABLE consent_events DISABLE TRIGGER consent_events_append_only`.execute(t.deps.db);
    await sql`UPDATE consent_events SET ip = '192.0.2.1' WHERE id = ${event!.id}`.execute(t.deps.db);
    await sql`ALTER TABLE consent_events ENABLE TRIGGER consent_events_append_only`.execute(t.deps.db);
    expect((await api('GET', '/api/v1/consent/ledger/verify')).json().intact).toBe(true);
  });

  it('prints the evidence as HTML and JSON, escaped, and audits each export', async () => {
    const contactId = await signUp('evidence@example.com');
    const html = await api('GET', `/api/v1/consent/contacts/${contactId}/evidence?format=html&lang=de`);
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toContain('text/html');
    expect(html.headers['content-security-policy']).toContain("default-src 'none'");
    expect(html.body).toContain('Einwilligungsnachweis');
    expect(html.body).toContain('evidence@example.com');
    expect(html.body).toContain('Yes, newsletter &lt;please&gt;');
    expect(html.body).not.toContain('<please>');
    expect(html.body).toContain('intakt');
    expect(html.body).toContain('@media print');
    const json = await api('GET', `/api/v1/consent/contacts/${contactId}/evidence?format=json`);
    expect(json.headers['content-disposition']).toMatch(/attachment; filename="consent-evidence-.*\.json"/);
    const doc = JSON.parse(json.body);
    expect(doc).toMatchObject({
      kind: 'leadwerk.consent-evidence',
      email: 'evidence@example.com',
      chain: { intact: true },
    });
    expect(doc.events[0].consentText).toBe('Yes, newsletter <please>');
    const audits = await t.deps.db
      .selectFrom('audit_log')
      .select(['action', 'details'])
      .where('workspace_id', '=', ws())
      .where('target_id', '=', contactId)
      .orderBy('id')
      .execute();
    expect(audits).toEqual([
      { action: 'consent.evidence-exported', details: { format: 'html' } },
      { action: 'consent.evidence-exported', details: { format: 'json' } },
    ]);
  });

  it('downloads the evidence as a PDF document whose text carries every proof field, in de and en', async () => {
    const contactId = await signUp('pdf-evidence@example.com', ['newsletter', 'phone']);
    const de = await api('GET', `/api/v1/consent/contacts/${contactId}/evidence?format=pdf&lang=de`);
    expect(de.statusCode).toBe(200);
    expect(de.headers['content-type']).toBe('application/pdf');
    expect(de.headers['content-disposition']).toMatch(/attachment; filename="consent-evidence-.*\.pdf"/);
    expect(de.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    const deText = await pdfText(de.rawPayload);
    for (const expected of [
      'Einwilligungsnachweis',
      'pdf-evidence@example.com',
      'Yes, newsletter <please>',
      'Yes, phone <please>',
      'https://acme.example/p',
      '192.0.2.1',
      'UA-test',
      'Angekreuzte Kästchen',
      'newsletter, phone',
      'Datenschutzhinweis (Version)',
      'intakt – 2 Einträge geprüft',
      'Seite 1 von',
    ])
      expect(deText).toContain(expected);
    const ledger = (await api('GET', `/api/v1/consent/contacts/${contactId}/ledger`)).json();
    for (const e of ledger.events) {
      expect(deText).toContain(e.hash);
      expect(deText).toContain(e.tokenRef);
    }
    const enText = await pdfText(
      (await api('GET', `/api/v1/consent/contacts/${contactId}/evidence?format=pdf&lang=en`)).rawPayload,
    );
    expect(enText).toContain('Consent evidence');
    expect(enText).toContain('Ticked boxes');
    expect(enText).toContain('Page 1 of');
    const audits = await t.deps.db
      .selectFrom('audit_log')
      .select(['details'])
      .where('workspace_id', '=', ws())
      .where('target_id', '=', contactId)
      .execute();
    expect(audits.map((a) => a.details)).toEqual([{ format: 'pdf' }, { format: 'pdf' }]);
  });

  it('prints European names as they are and writes only what its font lacks as \\u{…} escapes', async () => {
    expect(pdfSafe('Grüße „Müller“ – 5 € · Yılmaz Łódź Ελένη Дмитрий Nguyễn')).toBe(
      'Grüße „Müller“ – 5 € · Yılmaz Łódź Ελένη Дмитрий Nguyễn',
    );
    expect(pdfSafe('東京 🙂\n')).toBe('\\u{6771}\\u{4EAC} \\u{1F642} ');
    const contactId = await signUp('yılmaz@bücher.example');
    const text = await pdfText(
      (await api('GET', `/api/v1/consent/contacts/${contactId}/evidence?format=pdf&lang=de`)).rawPayload,
    );
    expect(text).toContain('yılmaz@bücher.example');
  });

  it.runIf(kind === 'postgres')(
    'leadwerk consent verify: exit code 0 when intact, 1 with the broken entry',
    async () => {
      const contactId = await signUp('cli@example.com');
      const run = () =>
        new Promise<{ code: number | null; out: string }>((resolve) => {
          const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'consent', 'verify'], {
            env: {
              ...process.env,
              DATABASE_URL: t.deps.config.databaseUrl,
              LOG_LEVEL: 'silent',
              NODE_ENV: 'test',
            },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let out = '';
          child.stdout.on('data', (d: Buffer) => {
            out += d.toString();
          });
          child.stderr.on('data', (d: Buffer) => {
            out += d.toString();
          });
          child.on('exit', (code) => resolve({ code, out }));
        });
      const ok = await run();
      expect(ok.code).toBe(0);
      expect(ok.out).toMatch(/acme-gmbh: \d+ entries checked, intact/);
      const [event] = await t.deps.db
        .selectFrom('consent_events')
        .select('id')
        .where('contact_id', '=', contactId)
        .execute();
      await sql`ALTER TABLE consent_events DISABLE TRIGGER consent_events_append_only`.execute(t.deps.db);
      await sql`UPDATE consent_events SET consent_text = 'forged' WHERE id = ${event!.id}`.execute(t.deps.db);
      await sql`ALTER TABLE consent_events ENABLE TRIGGER consent_events_append_only`.execute(t.deps.db);
      const bad = await run();
      expect(bad.code).toBe(1);
      expect(bad.out).toContain(`event ${event!.id} (contact ${contactId}): content_changed`);
      await sql`ALTER TABLE consent_events DISABLE TRIGGER consent_events_append_only`.execute(t.deps.db);
      await sql`UPDATE consent_events SET consent_text = 'Yes, newsletter <please>' WHERE id = ${event!.id}`.execute(
        t.deps.db,
      );
      await sql`ALTER TABLE consent_events ENABLE TRIGGER consent_events_append_only`.execute(t.deps.db);
    },
  );

  it('records admin changes with the user and the reason, audited; needs privacy:manage', async () => {
    const { contact } = await upsertContactByEmail(t.deps.db, ws(), 'paper@example.com', {}, clock.now());
    const res = await api('POST', `/api/v1/consent/contacts/${contact.id}/changes`, {
      purpose: 'phone',
      status: 'confirmed',
      note: 'Signed consent form at the trade fair, 2026-03-30',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().consents).toEqual([
      expect.objectContaining({ purpose: 'phone', status: 'confirmed', legalBasis: 'consent' }),
    ]);
    const [event] = await t.deps.db
      .selectFrom('consent_events')
      .selectAll()
      .where('contact_id', '=', contact.id)
      .execute();
    expect(event).toMatchObject({
      event: 'changed_by_admin',
      purpose: 'phone',
      actor_user_id: t.adminUserId,
      details: expect.objectContaining({
        from: null,
        to: 'confirmed',
        note: 'Signed consent form at the trade fair, 2026-03-30',
      }),
    });
    const audit = await t.deps.db
      .selectFrom('audit_log')
      .select('action')
      .where('target_id', '=', contact.id)
      .where('action', '=', 'consent.changed')
      .execute();
    expect(audit).toHaveLength(1);
    expect(
      (
        await api('POST', `/api/v1/consent/contacts/${contact.id}/changes`, {
          purpose: 'x',
          status: 'withdrawn',
          note: 'n',
        })
      ).statusCode,
    ).toBe(400);

    // A key that may only read the ledger cannot change it.
    const { key } = await createApiKey(t.deps.db, systemActor(), ws(), {
      name: 'dpo-read',
      scopes: ['consent:read'],
    });
    const bearer = { authorization: `Bearer ${key}` };
    expect(
      (await api('GET', `/api/v1/consent/contacts/${contact.id}/ledger`, undefined, bearer)).statusCode,
    ).toBe(200);
    const denied = await api(
      'POST',
      `/api/v1/consent/contacts/${contact.id}/changes`,
      { purpose: 'phone', status: 'withdrawn', note: 'try' },
      bearer,
    );
    expect(denied.statusCode).toBe(403);
    // A marketing user reads consents but does not manage privacy.
    await addMember(t.deps.db, systemActor(), ws(), {
      email: 'mkt@example.com',
      role: 'marketing',
      password: 'long enough password',
    });
    const mkt = await t.login('mkt@example.com', 'long enough password');
    expect(
      (
        await api(
          'PUT',
          '/api/v1/consent/settings',
          { optInTokenTtlHours: 1, unconfirmedRetentionDays: 1, proofRetentionDays: 30 },
          mkt.headers(),
        )
      ).statusCode,
    ).toBe(403);
  });

  it('records an objection received by letter: suppression at once, consents withdrawn', async () => {
    const contactId = await signUp('letter@example.com');
    const res = await api('POST', `/api/v1/consent/contacts/${contactId}/objection`, {
      note: 'Letter of 2026-03-31',
    });
    expect(res.statusCode).toBe(204);
    expect(await isSuppressed(t.deps.db, ws(), 'letter@example.com')).toBe(true);
    const ledger = (await api('GET', `/api/v1/consent/contacts/${contactId}/ledger`)).json();
    expect(ledger.consents).toEqual([expect.objectContaining({ status: 'withdrawn' })]);
    expect(ledger.events.at(-1)).toMatchObject({ event: 'objected', purpose: '*' });
  });

  it('keeps workspaces apart', async () => {
    const otherWs = (await createWorkspaceIn(t.deps.db, systemActor(), { name: 'Elsewhere' })).id;
    const foreign = await signUp('foreign@example.com', ['newsletter'], otherWs);
    expect((await api('GET', `/api/v1/consent/contacts/${foreign}/ledger`)).statusCode).toBe(404);
    expect((await api('GET', '/api/v1/consent/contacts?email=foreign@example.com')).statusCode).toBe(404);
    expect((await api('GET', `/api/v1/consent/contacts/${foreign}/evidence`)).statusCode).toBe(404);
    expect(
      (await api('POST', `/api/v1/consent/contacts/${foreign}/objection`, { note: 'not mine' })).statusCode,
    ).toBe(404);
    expect(await isSuppressed(t.deps.db, otherWs, 'foreign@example.com')).toBe(false);
    const { key } = await createApiKey(t.deps.db, systemActor(), otherWs, {
      name: 'other',
      scopes: ['consent:read'],
    });
    const theirs = await api('GET', '/api/v1/consent/ledger/verify', undefined, {
      authorization: `Bearer ${key}`,
    });
    expect(theirs.json()).toMatchObject({ checked: 1, intact: true });
  });

  it('settings: defaults, change with audit, validation', async () => {
    expect((await api('GET', '/api/v1/consent/settings')).json()).toEqual({
      optInTokenTtlHours: 72,
      unconfirmedRetentionDays: 14,
      proofRetentionDays: 1095,
    });
    const bad = await api('PUT', '/api/v1/consent/settings', {
      optInTokenTtlHours: 0,
      unconfirmedRetentionDays: 14,
      proofRetentionDays: 1095,
    });
    expect(bad.statusCode).toBe(400);
    const ok = await api('PUT', '/api/v1/consent/settings', {
      optInTokenTtlHours: 48,
      unconfirmedRetentionDays: 14,
      proofRetentionDays: 1095,
    });
    expect(ok.json()).toMatchObject({ optInTokenTtlHours: 48 });
    await api('PUT', '/api/v1/consent/settings', {
      optInTokenTtlHours: 72,
      unconfirmedRetentionDays: 14,
      proofRetentionDays: 1095,
    });
  });

  describe('retention', () => {
    // Years pass in these tests: an API key (which does not expire) instead of the session.
    let keyHeaders: Record<string, string>;
    beforeAll(async () => {
      const { key } = await createApiKey(t.deps.db, systemActor(), ws(), {
        name: 'dpo',
        scopes: ['consent:read', 'privacy:manage'],
      });
      keyHeaders = { authorization: `Bearer ${key}` };
    });
    const dpo = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
      api(method, url, payload, keyHeaders);

    it('is a recurring job', () => {
      expect(collectJobs(t.deps).map((j) => j.name)).toContain('consent.apply-retention');
    });

    it('expires unconfirmed requests with their link and purges them after the retention period', async () => {
      const start = clock.now();
      const lonely = await signUp('never@example.com');
      // A contact with a confirmed consent that asks for one more purpose and never confirms it.
      const { contact: mixed } = await upsertContactByEmail(
        t.deps.db,
        ws(),
        'mixed@example.com',
        {},
        clock.now(),
      );
      await dpo('POST', `/api/v1/consent/contacts/${mixed.id}/changes`, {
        purpose: 'newsletter',
        status: 'confirmed',
        legalBasis: 'existing_customer',
        note: 'Customer since 2024, opt-out notice given at purchase (UWG §7(3))',
      });
      await signUp('mixed@example.com', ['events']);

      clock.advance(3 * DAY + 60_000);
      const first = await runConsentRetention(t.deps.db, clock.now());
      expect(first.expired).toBeGreaterThanOrEqual(2);
      const statusOf = async (contactId: string) =>
        t.deps.db
          .selectFrom('consents')
          .select(['purpose', 'status'])
          .where('contact_id', '=', contactId)
          .orderBy('purpose')
          .execute();
      expect(await statusOf(lonely)).toEqual([{ purpose: 'newsletter', status: 'expired' }]);
      const events = await t.deps.db
        .selectFrom('consent_events')
        .select('event')
        .where('contact_id', '=', lonely)
        .execute();
      expect(events.map((e) => e.event)).toEqual(['requested', 'expired']);

      clock.set(new Date(start.getTime() + 14 * DAY + 120_000));
      await runConsentRetention(t.deps.db, clock.now());
      expect(await statusOf(lonely)).toEqual([]);
      expect(
        await t.deps.db.selectFrom('consent_events').select('id').where('contact_id', '=', lonely).execute(),
      ).toEqual([]);
      expect(await t.deps.db.selectFrom('contacts').select('id').where('id', '=', lonely).execute()).toEqual(
        [],
      );
      // The mixed contact keeps its confirmed consent and its whole, intact ledger.
      expect(await statusOf(mixed.id)).toEqual([{ purpose: 'newsletter', status: 'confirmed' }]);
      expect((await dpo('GET', `/api/v1/consent/ledger/verify?contactId=${mixed.id}`)).json()).toMatchObject({
        checked: 3,
        intact: true,
      });
    });

    it('keeps the proof of a withdrawn consent for 3 years, then deletes it; the suppression entry stays', async () => {
      const { contact } = await upsertContactByEmail(t.deps.db, ws(), 'former@example.com', {}, clock.now());
      await dpo('POST', `/api/v1/consent/contacts/${contact.id}/changes`, {
        purpose: 'newsletter',
        status: 'confirmed',
        note: 'paper',
      });
      await dpo('POST', `/api/v1/consent/contacts/${contact.id}/objection`, { note: 'phone call' });
      const count = async () =>
        (
          await t.deps.db
            .selectFrom('consent_events')
            .select('id')
            .where('contact_id', '=', contact.id)
            .execute()
        ).length;
      expect(await count()).toBe(3);
      clock.advance(1094 * DAY);
      await runConsentRetention(t.deps.db, clock.now());
      expect(await count()).toBe(3);
      clock.advance(2 * DAY);
      const result = await runConsentRetention(t.deps.db, clock.now());
      expect(result.proofEvents).toBeGreaterThanOrEqual(3);
      expect(await count()).toBe(0);
      expect(await isSuppressed(t.deps.db, ws(), 'former@example.com')).toBe(true);
      // Whatever was purged, what is left still verifies.
      expect((await dpo('GET', '/api/v1/consent/ledger/verify')).json().intact).toBe(true);
    });
  });
});
