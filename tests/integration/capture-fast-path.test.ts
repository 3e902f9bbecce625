import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyConsentLedger } from '../../src/modules/consent/index.js';
import { ManualClock } from '../../src/shared/clock.js';
import { availableDbKinds } from '../support/deps.js';
import {
  type CaptureTestApp,
  createCaptureTestApp,
  createPublishedForm,
  formConfig,
} from './capture.helpers.js';

/*
 * The sign-up fast path (one statement for a new address, see docs/practices/capture.md,
 * "Performance") must leave exactly what the general way leaves. The first address of a domain
 * takes the general way (its company is created); the second address of that domain, and a
 * free-mail address, take the fast path. Their rows are compared column by column.
 */
describe.each(await availableDbKinds())('capture fast path (%s)', (kind) => {
  let t: CaptureTestApp;
  const clock = new ManualClock(new Date());
  let slug: string;
  let timeToken: string;

  beforeAll(async () => {
    t = await createCaptureTestApp(kind, clock);
    ({ slug } = await createPublishedForm(t, { slug: 'fast-news', kind: 'newsletter' }));
    timeToken = (await formConfig(t, slug)).timeToken;
    clock.advance(5000);
  });
  afterAll(async () => {
    await t?.close();
  });

  const submit = async (email: string, extra: Record<string, string> = {}) => {
    const res = await t.app.inject({
      method: 'POST',
      url: `/f/${slug}/submit`,
      payload: {
        email,
        consent_newsletter: 'on',
        lw_t: timeToken,
        lang: 'en',
        utm_source: 'fair',
        utm_campaign: 'spring',
        landing_url: 'https://www.acme.example/news',
        ...extra,
      },
    });
    return { status: res.statusCode, body: res.body };
  };

  /** Everything a sign-up wrote for one address, without ids and the address itself. */
  const stateOf = async (email: string) => {
    const db = t.deps.db;
    const contact = await db
      .selectFrom('contacts')
      .selectAll()
      .where('workspace_id', '=', t.workspaceId)
      .where('email_normalized', '=', email)
      .executeTakeFirstOrThrow();
    const id = contact.id;
    const { id: _i, email: _e, email_normalized: _n, email_match_key: _k, ...contactRest } = contact;
    const consents = await db.selectFrom('consents').selectAll().where('contact_id', '=', id).execute();
    const tokens = await db.selectFrom('consent_tokens').selectAll().where('contact_id', '=', id).execute();
    const events = await db.selectFrom('consent_events').selectAll().where('contact_id', '=', id).execute();
    const submissions = await db
      .selectFrom('form_submissions')
      .selectAll()
      .where('contact_id', '=', id)
      .execute();
    const activities = await db.selectFrom('activities').selectAll().where('contact_id', '=', id).execute();
    const optInJobs = await sql<{ n: number }>`SELECT count(*)::int AS n FROM jobs
      WHERE name = 'consent.send-opt-in-mail' AND payload->>'tokenId' = ${tokens[0]?.id ?? ''}`.execute(db);
    const deliveryJobs = await sql<{ handler: string }>`SELECT payload->>'handler' AS handler FROM jobs
      WHERE name = 'contacts.deliver-activities' AND payload->'activityIds' ? ${String(activities[0]?.id ?? '')}
      ORDER BY 1`.execute(db);
    const ledger = await verifyConsentLedger(db, t.workspaceId, id);
    return {
      contact: contactRest,
      consents: consents.map(({ contact_id: _c, ...r }) => r),
      tokens: tokens.map(({ id: _t, contact_id: _c, ...r }) => r),
      events: events.map(
        ({ id: _x, contact_id: _c, email: _m, token_ref: _r, hash: _h, prev_hash, ...r }) => ({
          ...r,
          first: prev_hash === null,
        }),
      ),
      submissions: submissions.map(({ id: _s, contact_id: _c, ...r }) => r),
      activities: activities.map(
        ({ id: _a, contact_id: _c, origin_contact_id: _o, created_at: _t, ...r }) => r,
      ),
      optInJobs: optInJobs.rows[0]?.n,
      deliveryHandlers: deliveryJobs.rows.map((r) => r.handler),
      ledgerBreaks: ledger.breaks.length,
      ledgerChecked: ledger.checked,
    };
  };

  it('writes a new address of a known company exactly as the general way does', async () => {
    const general = await submit('ada@lovelace-industries.example'); // creates the company: general way
    const fast = await submit('grace@lovelace-industries.example'); // company known: fast path
    expect(fast).toEqual(general);
    expect(fast.status).toBe(200);
    const a = await stateOf('ada@lovelace-industries.example');
    const b = await stateOf('grace@lovelace-industries.example');
    expect(a.contact.company_id).toBeTruthy();
    expect(b).toEqual(a);
    expect(b.tokens[0]).toMatchObject({ kind: 'opt_in', purposes: ['newsletter'], locale: 'en' });
    expect(b.consents[0]).toMatchObject({ purpose: 'newsletter', status: 'pending' });
    expect(b.events).toHaveLength(1);
    expect(b.ledgerBreaks).toBe(0);
    expect(b.optInJobs).toBe(1);
    expect(b.submissions[0]).toMatchObject({
      outcome: 'doi-mail-queued',
      utm_source: 'fair',
      utm_campaign: 'spring',
    });
  });

  it('falls back to the general way for a known address, without counting the limits twice', async () => {
    const again = await submit('grace@lovelace-industries.example');
    expect(again.status).toBe(200);
    const b = await stateOf('grace@lovelace-industries.example');
    expect(b.submissions.map((s) => s.outcome).sort()).toEqual(['doi-mail-queued', 'rate-limited']);
    expect(b.tokens).toHaveLength(1);
    const hits = await sql<{
      n: number;
    }>`SELECT sum(hits)::int AS n FROM rate_limits WHERE bucket LIKE 'capture:form:%'`.execute(t.deps.db);
    expect(hits.rows[0]?.n).toBe(3); // three submissions so far, each counted once
  });

  it('one address posted many times at once: one contact, one request, one mail', async () => {
    const email = 'burst@gmail.com'; // free mail: no company, fast path
    const answers = await Promise.all(Array.from({ length: 8 }, () => submit(email)));
    expect(new Set(answers.map((r) => r.body)).size).toBe(1);
    const s = await stateOf(email);
    expect(s.contact.company_id).toBeNull();
    expect(s.tokens).toHaveLength(1);
    expect(s.optInJobs).toBe(1);
    expect(s.submissions).toHaveLength(8);
    expect(s.submissions.filter((x) => x.outcome === 'doi-mail-queued')).toHaveLength(1);
    expect(s.ledgerBreaks).toBe(0);
  });

  it('a suppressed new address gets nothing but the same answer', async () => {
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/suppressions',
      headers: t.admin.headers(),
      payload: { email: 'gone@lovelace-industries.example' },
    });
    const r = await submit('gone@lovelace-industries.example');
    const ok = await submit('fresh@lovelace-industries.example');
    expect(r).toEqual(ok);
    const tokens = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM consent_tokens t JOIN contacts c ON c.id = t.contact_id
      WHERE c.email_normalized = 'gone@lovelace-industries.example'`.execute(t.deps.db);
    expect(tokens.rows[0]?.n).toBe(0);
  });
});
