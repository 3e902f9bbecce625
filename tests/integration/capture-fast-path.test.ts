import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyConsentLedger } from '../../src/modules/consent/index.js';
import { availableDbKinds } from '../support/deps.js';
import {
  type CaptureTestApp,
  createCaptureTestApp,
  createPublishedForm,
  formConfig,
  limitAlignedClock,
} from './capture.helpers.js';

/*
 * The sign-up fast path (one statement for a new address, see docs/practices/capture.md,
 * "Performance") must leave exactly what the general way leaves: the same sign-ups go to an app
 * with the fast path and to one without it (same clock), and their rows are compared column by
 * column (ids aside) — a new company, a known company, a free-mail address.
 */
describe.each(await availableDbKinds())('capture fast path (%s)', (kind) => {
  let t: CaptureTestApp;
  let general: CaptureTestApp;
  const clock = limitAlignedClock();
  const slug = 'fast-news';
  const tokens = new Map<CaptureTestApp, string>();

  beforeAll(async () => {
    [t, general] = await Promise.all([
      createCaptureTestApp(kind, clock),
      createCaptureTestApp(kind, clock, { fastPath: false }),
    ]);
    for (const app of [t, general]) {
      await createPublishedForm(app, { slug, kind: 'newsletter' });
      tokens.set(app, (await formConfig(app, slug)).timeToken);
    }
    clock.advance(5000);
  });
  afterAll(async () => {
    await t?.close();
    await general?.close();
  });

  const submit = async (email: string, extra: Record<string, string> = {}, app = t) => {
    const timeToken = tokens.get(app);
    const res = await app.app.inject({
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
  const stateOf = async (email: string, app = t) => {
    const db = app.deps.db;
    const contact = await db
      .selectFrom('contacts')
      .selectAll()
      .where('workspace_id', '=', app.workspaceId)
      .where('email_normalized', '=', email)
      .executeTakeFirstOrThrow();
    const id = contact.id;
    const {
      id: _i,
      workspace_id: _w,
      company_id,
      email: _e,
      email_normalized: _n,
      email_match_key: _k,
      ...contactRest
    } = contact;
    const company = company_id
      ? await db
          .selectFrom('companies')
          .select(['name', 'website'])
          .where('id', '=', company_id)
          .executeTakeFirst()
      : null;
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
    const ledger = await verifyConsentLedger(db, app.workspaceId, id);
    const strip = <T extends Record<string, unknown>>(r: T) => {
      const { workspace_id: _w2, form_id: _f, ...rest } = r;
      return rest;
    };
    return {
      contact: contactRest,
      company,
      consents: consents.map(({ contact_id: _c, ...r }) => strip(r)),
      tokens: tokens.map(({ id: _t, contact_id: _c, ...r }) => strip(r)),
      events: events.map(
        ({ id: _x, contact_id: _c, email: _m, token_ref: _r, hash: _h, prev_hash, ...r }) => ({
          ...strip(r),
          first: prev_hash === null,
        }),
      ),
      submissions: submissions.map(({ id: _s, contact_id: _c, ...r }) => strip(r)),
      activities: activities.map(
        ({ id: _a, contact_id: _c, origin_contact_id: _o, created_at: _t, source: _s, ref: _r, ...r }) => {
          const { formId: _f, ...data } = r.data as Record<string, unknown>;
          return { ...strip(r), data };
        },
      ),
      optInJobs: optInJobs.rows[0]?.n,
      deliveryHandlers: deliveryJobs.rows.map((r) => r.handler),
      ledgerBreaks: ledger.breaks.length,
      ledgerChecked: ledger.checked,
    };
  };

  it('writes a new address (new company, known company, free mail) exactly as the general way does', async () => {
    for (const email of [
      'ada@lovelace-industries.example', // creates the company
      'grace@lovelace-industries.example', // links it
      'hedy@gmail.com', // no company
    ]) {
      const fast = await submit(email);
      const slow = await submit(email, {}, general);
      expect(fast).toEqual(slow);
      expect(fast.status).toBe(200);
      const a = await stateOf(email);
      const b = await stateOf(email, general);
      expect(a).toEqual(b);
      expect(a.tokens[0]).toMatchObject({ kind: 'opt_in', purposes: ['newsletter'], locale: 'en' });
      expect(a.consents[0]).toMatchObject({ purpose: 'newsletter', status: 'pending' });
      expect(a.events).toHaveLength(1);
      expect(a.ledgerBreaks).toBe(0);
      expect(a.optInJobs).toBe(1);
      expect(a.submissions[0]).toMatchObject({
        outcome: 'doi-mail-queued',
        utm_source: 'fair',
        utm_campaign: 'spring',
      });
      expect(a.company === null).toBe(email.endsWith('gmail.com'));
    }
    const companies = await t.deps.db
      .selectFrom('companies')
      .select('name')
      .where('workspace_id', '=', t.workspaceId)
      .execute();
    expect(companies).toHaveLength(1);
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
    expect(hits.rows[0]?.n).toBe(4); // four submissions to this app so far, each counted once
  });

  it('one address posted many times at once: one contact, one request, one mail', async () => {
    const email = 'burst@gmail.com'; // free mail: no company, fast path
    const answers = await Promise.all(Array.from({ length: 8 }, () => submit(email)));
    expect(new Set(answers.map((r) => r.body)).size).toBe(1);
    const s = await stateOf(email);
    expect(s.company).toBeNull();
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
