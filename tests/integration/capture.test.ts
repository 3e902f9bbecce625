import { solveChallenge } from 'altcha-lib';
import { deriveKey as sha } from 'altcha-lib/algorithms/sha';
import { afterEach, describe, expect, it } from 'vitest';
import { captureModule, createProfileToken } from '../../src/modules/capture/index.js';
import { addSuppression } from '../../src/modules/suppression/index.js';
import type { ManualClock } from '../../src/shared/clock.js';
import { availableDbKinds } from '../support/deps.js';
import {
  type CaptureTestApp,
  createCaptureTestApp,
  createPublishedForm,
  formConfig,
  limitAlignedClock,
  publishableDefinition,
} from './capture.helpers.js';

describe.each(await availableDbKinds())('capture (%s)', (kind) => {
  let t: CaptureTestApp;
  let clock: ManualClock;

  afterEach(async () => {
    await t?.close();
  });

  async function setup(options: Parameters<typeof createCaptureTestApp>[2] = {}) {
    clock = limitAlignedClock();
    t = await createCaptureTestApp(kind, clock, options);
  }

  /** Submits like the embed does: config (time token) → wait → JSON post. */
  async function submit(
    slug: string,
    body: Record<string, unknown>,
    opts: { ip?: string; origin?: string } = {},
  ) {
    const config = await formConfig(t, slug);
    clock.advance(5000);
    return t.app.inject({
      method: 'POST',
      url: `/f/${slug}/submit`,
      remoteAddress: opts.ip ?? '203.0.113.10',
      headers: { 'content-type': 'application/json', ...(opts.origin ? { origin: opts.origin } : {}) },
      payload: { lw_t: config.timeToken, ...body },
    });
  }

  async function contactCount(): Promise<number> {
    const r = await t.deps.db
      .selectFrom('contacts')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .executeTakeFirst();
    return Number(r?.n);
  }

  it('refuses a newsletter form that requires more than the address, with a stable code', async () => {
    await setup();
    const def = await publishableDefinition(t, 'newsletter');
    const fields = [
      ...(def.fields as object[]),
      {
        key: 'company',
        type: 'company',
        label: { de: 'Firma', en: 'Company' },
        purpose: { de: 'x', en: 'x' },
        required: true,
      },
    ];
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/forms',
      headers: t.admin.headers(),
      payload: { name: 'NL', slug: 'nl-strict', kind: 'newsletter', definition: { ...def, fields } },
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().error.code).toBe('FORM_NEWSLETTER_REQUIRES_ONLY_EMAIL');
    const optional = fields.map((f) => ({ ...f, required: (f as { type: string }).type === 'email' }));
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/v1/forms',
      headers: t.admin.headers(),
      payload: { name: 'NL', slug: 'nl-ok', kind: 'newsletter', definition: { ...def, fields: optional } },
    });
    expect(ok.statusCode).toBe(201);
  });

  it('keeps published versions immutable: edits publish a new version, submissions record theirs', async () => {
    await setup();
    const form = await createPublishedForm(t, { slug: 'versions', kind: 'newsletter' });
    const detail = await t.app.inject({
      method: 'GET',
      url: `/api/v1/forms/${form.id}`,
      headers: t.admin.headers(),
    });
    const draft = detail.json().draft as Record<string, unknown>;
    await submit(form.slug, { email: 'v1@example.com', consent_newsletter: 'on' });

    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/forms/${form.id}`,
      headers: t.admin.headers(),
      payload: { definition: { ...draft, title: { de: 'Neu', en: 'New' } } },
    });
    expect(patched.statusCode).toBe(200);
    const v1 = await t.app.inject({
      method: 'GET',
      url: `/api/v1/forms/${form.id}/versions/1`,
      headers: t.admin.headers(),
    });
    expect(v1.json().definition.title.en).toBe('Subscribe to the newsletter');
    await expect(
      t.deps.db
        .updateTable('form_versions')
        .set({ definition: JSON.stringify({}) })
        .where('form_id', '=', form.id)
        .execute(),
    ).rejects.toThrow(/immutable/);

    const published = await t.app.inject({
      method: 'POST',
      url: `/api/v1/forms/${form.id}/publish`,
      headers: t.admin.headers(),
    });
    expect(published.json().form.publishedVersion).toBe(2);
    await submit(form.slug, { email: 'v2@example.com', consent_newsletter: 'on' });
    const rows = await t.deps.db
      .selectFrom('form_submissions')
      .select(['form_version'])
      .orderBy('submitted_at')
      .execute();
    expect(rows.map((r) => r.form_version)).toEqual([1, 2]);
    const events = await t.deps.db
      .selectFrom('consent_events')
      .select(['form_version', 'form_id'])
      .orderBy('id')
      .execute();
    expect(events.map((e) => e.form_version)).toEqual([1, 2]);
    expect(events.every((e) => e.form_id === form.id)).toBe(true);
  });

  it('submit → contact, submission with attribution, consents pending, confirmation job, activity', async () => {
    await setup();
    const form = await createPublishedForm(t, { slug: 'whole-path', kind: 'newsletter' });
    const res = await submit(form.slug, {
      email: 'Max.Mustermann@Bücher.de',
      consent_newsletter: 'on',
      utm_source: 'linkedin',
      utm_medium: 'social',
      utm_campaign: 'herbst',
      utm_term: 'lead',
      utm_content: 'post-1',
      referrer: 'https://www.linkedin.com/feed/',
      landing_url: 'https://www.acme.example/newsletter?utm_source=linkedin',
      code: 'HERBST10',
      lang: 'de',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('received');
    expect(res.headers['set-cookie']).toBeUndefined();

    const contact = await t.deps.db.selectFrom('contacts').selectAll().executeTakeFirstOrThrow();
    expect(contact.email_normalized).toBe('max.mustermann@xn--bcher-kva.de');
    expect(contact.source_channel).toBe('social_media');
    expect(contact.locale).toBe('de');
    const s = await t.deps.db.selectFrom('form_submissions').selectAll().executeTakeFirstOrThrow();
    expect(s).toMatchObject({
      form_id: form.id,
      form_version: 1,
      contact_id: contact.id,
      via: 'embed',
      channel: 'social_media',
      utm_source: 'linkedin',
      utm_medium: 'social',
      utm_campaign: 'herbst',
      utm_term: 'lead',
      utm_content: 'post-1',
      referrer: 'https://www.linkedin.com/feed/',
      landing_url: 'https://www.acme.example/newsletter?utm_source=linkedin',
      coupon_code: 'HERBST10',
      outcome: 'doi-mail-queued',
      ip: '203.0.113.10',
    });
    expect(s.purposes).toEqual(['newsletter']);
    const consent = await t.deps.db.selectFrom('consents').selectAll().executeTakeFirstOrThrow();
    expect(consent).toMatchObject({ contact_id: contact.id, purpose: 'newsletter', status: 'pending' });
    const ledger = await t.deps.db.selectFrom('consent_events').selectAll().executeTakeFirstOrThrow();
    expect(ledger).toMatchObject({
      event: 'requested',
      form_id: form.id,
      form_version: 1,
      ip: '203.0.113.10',
    });
    expect(ledger.consent_text).toContain('Newsletter');
    expect(ledger.page_url).toBe('https://www.acme.example/newsletter?utm_source=linkedin');
    const jobs = await t.deps.db
      .selectFrom('jobs')
      .select(['name', 'lane'])
      .where('name', 'like', 'consent.%')
      .execute();
    expect(jobs).toEqual([{ name: 'consent.send-opt-in-mail', lane: 'critical' }]);
    const activity = await t.deps.db.selectFrom('activities').selectAll().executeTakeFirstOrThrow();
    expect(activity).toMatchObject({
      contact_id: contact.id,
      type: 'capture.form-submitted',
      ref: `form:${form.id}`,
    });

    const list = await t.app.inject({ method: 'GET', url: '/api/v1/forms', headers: t.admin.headers() });
    expect(list.json().items[0].stats).toMatchObject({ views: 1, submissions: 1, confirmations: 0 });
  });

  it('answers identically for new, pending, confirmed and suppressed addresses', async () => {
    await setup();
    const form = await createPublishedForm(t, { slug: 'enum', kind: 'newsletter' });
    await submit(
      form.slug,
      { email: 'pending@example.com', consent_newsletter: 'on' },
      { ip: '198.51.100.1' },
    );
    await submit(
      form.slug,
      { email: 'confirmed@example.com', consent_newsletter: 'on' },
      { ip: '198.51.100.2' },
    );
    await t.deps.db
      .updateTable('consents')
      .set({ status: 'confirmed', confirmed_at: clock.now() })
      .where(
        'contact_id',
        'in',
        t.deps.db.selectFrom('contacts').select('id').where('email_normalized', '=', 'confirmed@example.com'),
      )
      .execute();
    await addSuppression(t.deps.db, t.workspaceId, 'suppressed@example.com', { reason: 'unsubscribed' });

    const answers = [];
    for (const [i, email] of [
      'new@example.com',
      'pending@example.com',
      'confirmed@example.com',
      'suppressed@example.com',
    ].entries()) {
      const res = await submit(form.slug, { email, consent_newsletter: 'on' }, { ip: `192.0.2.${i + 1}` });
      answers.push({ status: res.statusCode, body: res.body, type: res.headers['content-type'] });
    }
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]!.status).toBe(200);
    const outcomes = await t.deps.db
      .selectFrom('form_submissions')
      .select('outcome')
      .orderBy('submitted_at')
      .execute();
    expect(outcomes.slice(2).map((o) => o.outcome)).toEqual([
      'doi-mail-queued',
      'rate-limited',
      'already-confirmed',
      'suppressed',
    ]);
  });

  it('drops honeypot and time-trap hits with the same answer, and writes nothing', async () => {
    await setup();
    const form = await createPublishedForm(t, { slug: 'traps', kind: 'newsletter' });
    const good = await submit(form.slug, { email: 'real@example.com', consent_newsletter: 'on' });
    const honeypot = await submit(form.slug, {
      email: 'bot1@example.com',
      consent_newsletter: 'on',
      lw_homepage: 'http://spam',
    });
    const config = await formConfig(t, form.slug);
    const tooFast = await t.app.inject({
      method: 'POST',
      url: `/f/${form.slug}/submit`,
      payload: { lw_t: config.timeToken, email: 'bot2@example.com', consent_newsletter: 'on' },
    });
    const noToken = await t.app.inject({
      method: 'POST',
      url: `/f/${form.slug}/submit`,
      payload: { email: 'bot3@example.com', consent_newsletter: 'on' },
    });
    const forged = await t.app.inject({
      method: 'POST',
      url: `/f/${form.slug}/submit`,
      payload: { lw_t: 'eyJmIjoxfQ.forged', email: 'bot4@example.com', consent_newsletter: 'on' },
    });
    for (const r of [honeypot, tooFast, noToken, forged]) {
      expect(r.statusCode).toBe(good.statusCode);
      expect(r.body).toBe(good.body);
    }
    expect(await contactCount()).toBe(1);
  });

  it('validates input strictly and names the fields', async () => {
    await setup();
    const form = await createPublishedForm(t, { slug: 'strict', kind: 'contact_request' });
    const res = await submit(form.slug, {
      email: 'a..b@example.com',
      first_name: 'X\u0000',
      last_name: 'y'.repeat(201),
      company: 'C',
      phone: 'call me',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('FORM_INPUT_INVALID');
    const fields = (res.json().error.details.fields as { field: string; message: string }[]).map(
      (f) => `${f.field}:${f.message}`,
    );
    expect(fields).toEqual([
      'email:local_part_invalid',
      'first_name:control_characters',
      'last_name:too_long',
      'phone:phone',
    ]);
    expect(await contactCount()).toBe(0);
  });

  it('limits confirmation mails per IP, counting a whole IPv6 /64 as one client', async () => {
    await setup({
      limits: {
        perIp: { limit: 2, windowSeconds: 600 },
        perForm: { limit: 100, windowSeconds: 3600 },
        perWorkspace: { limit: 100, windowSeconds: 3600 },
        global: { limit: 1000, windowSeconds: 3600 },
        breakerMinutes: 60,
      },
    });
    const form = await createPublishedForm(t, { slug: 'per-ip', kind: 'newsletter' });
    const answers = new Set<string>();
    for (const [i, ip] of [
      '2001:db8:1:2::1',
      '2001:db8:1:2:ffff::2',
      '2001:db8:1:2:abcd:1:2:3',
      '2001:db8:1:3::1',
    ].entries()) {
      const res = await submit(form.slug, { email: `p${i}@example.com`, consent_newsletter: 'on' }, { ip });
      answers.add(`${res.statusCode} ${res.body}`);
    }
    expect(answers.size).toBe(1);
    const emails = await t.deps.db.selectFrom('contacts').select('email').orderBy('email').execute();
    expect(emails.map((e) => e.email)).toEqual(['p0@example.com', 'p1@example.com', 'p3@example.com']);
    for (const [i, ip] of ['192.0.2.7', '192.0.2.7', '192.0.2.7'].entries()) {
      await submit(form.slug, { email: `v4-${i}@example.com`, consent_newsletter: 'on' }, { ip });
    }
    expect(await contactCount()).toBe(5);
  });

  it('trips the circuit breaker per form and workspace, holds sign-ups, alerts admins, resumes', async () => {
    await setup({
      limits: {
        perIp: { limit: 100, windowSeconds: 600 },
        perForm: { limit: 3, windowSeconds: 3600 },
        perWorkspace: { limit: 100, windowSeconds: 3600 },
        global: { limit: 1000, windowSeconds: 3600 },
        breakerMinutes: 30,
      },
    });
    const form = await createPublishedForm(t, { slug: 'wave', kind: 'newsletter' });
    const other = await createPublishedForm(t, { slug: 'wave-other', kind: 'newsletter' });
    const bodies = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const res = await submit(
        form.slug,
        { email: `w${i}@example.com`, consent_newsletter: 'on' },
        { ip: `198.51.100.${i}` },
      );
      bodies.add(`${res.statusCode} ${res.body}`);
    }
    // The pause covers the whole workspace while it lasts.
    await submit(
      other.slug,
      { email: 'other@example.com', consent_newsletter: 'on' },
      { ip: '198.51.100.99' },
    );
    expect(bodies.size).toBe(1);
    const outcomes = await t.deps.db
      .selectFrom('form_submissions')
      .select('outcome')
      .orderBy('submitted_at')
      .execute();
    expect(outcomes.map((o) => o.outcome)).toEqual([
      'doi-mail-queued',
      'doi-mail-queued',
      'doi-mail-queued',
      'held',
      'held',
      'held',
      'held',
    ]);
    const jobs = await t.deps.db
      .selectFrom('jobs')
      .select('name')
      .where('name', '=', 'consent.send-opt-in-mail')
      .execute();
    expect(jobs).toHaveLength(3);

    const status = await t.app.inject({
      method: 'GET',
      url: '/api/v1/capture/status',
      headers: t.admin.headers(),
    });
    expect(status.json()).toMatchObject({
      paused: true,
      heldSubmissions: 4,
      breakers: [{ scope: 'workspace', reason: 'form-limit:wave' }],
    });
    const audit = await t.deps.db
      .selectFrom('audit_log')
      .select(['action', 'details'])
      .where('action', '=', 'capture.circuit-opened')
      .execute();
    expect(audit).toHaveLength(1);

    const resumed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/capture/resume',
      headers: t.admin.headers(),
      payload: { held: 'release' },
    });
    expect(resumed.statusCode).toBe(200);
    expect(resumed.json().paused).toBe(false);
    const release = await t.deps.db
      .selectFrom('jobs')
      .select('name')
      .where('name', '=', 'capture.release-held-submissions')
      .execute();
    expect(release).toHaveLength(1);
  });

  it('trips on the workspace limit and the global limit too', async () => {
    await setup({
      limits: {
        perIp: { limit: 100, windowSeconds: 600 },
        perForm: { limit: 100, windowSeconds: 3600 },
        perWorkspace: { limit: 2, windowSeconds: 3600 },
        global: { limit: 1000, windowSeconds: 3600 },
        breakerMinutes: 30,
      },
    });
    const a = await createPublishedForm(t, { slug: 'ws-a', kind: 'newsletter' });
    const b = await createPublishedForm(t, { slug: 'ws-b', kind: 'newsletter' });
    await submit(a.slug, { email: 'a1@example.com', consent_newsletter: 'on' }, { ip: '198.51.100.1' });
    await submit(b.slug, { email: 'b1@example.com', consent_newsletter: 'on' }, { ip: '198.51.100.2' });
    await submit(b.slug, { email: 'b2@example.com', consent_newsletter: 'on' }, { ip: '198.51.100.3' });
    const status = await t.app.inject({
      method: 'GET',
      url: '/api/v1/capture/status',
      headers: t.admin.headers(),
    });
    expect(status.json().breakers[0].reason).toBe('workspace-limit');
  });

  it('verifies ALTCHA proof-of-work: valid once, invalid and replayed dropped', async () => {
    await setup({ powEnabled: true });
    const form = await createPublishedForm(t, { slug: 'pow', kind: 'newsletter' });
    const solve = async () => {
      const challenge = (await t.app.inject({ method: 'GET', url: `/f/${form.slug}/challenge` })).json();
      const solution = await solveChallenge({ challenge, deriveKey: sha });
      return Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
    };
    const payload = await solve();
    const ok = await submit(form.slug, {
      email: 'human@example.com',
      consent_newsletter: 'on',
      altcha: payload,
    });
    const replay = await submit(form.slug, {
      email: 'replay@example.com',
      consent_newsletter: 'on',
      altcha: payload,
    });
    const bad = await submit(form.slug, {
      email: 'bad@example.com',
      consent_newsletter: 'on',
      altcha: Buffer.from('{"x":1}').toString('base64'),
    });
    const missing = await submit(form.slug, { email: 'missing@example.com', consent_newsletter: 'on' });
    const tampered = JSON.parse(Buffer.from(await solve(), 'base64').toString());
    tampered.solution.derivedKey = `${tampered.solution.derivedKey.slice(0, -2)}${tampered.solution.derivedKey.endsWith('00') ? '11' : '00'}`;
    const wrong = await submit(form.slug, {
      email: 'wrong@example.com',
      consent_newsletter: 'on',
      altcha: Buffer.from(JSON.stringify(tampered)).toString('base64'),
    });
    for (const r of [replay, bad, missing, wrong])
      expect(`${r.statusCode} ${r.body}`).toBe(`${ok.statusCode} ${ok.body}`);
    const emails = await t.deps.db.selectFrom('contacts').select('email').execute();
    expect(emails.map((e) => e.email)).toEqual(['human@example.com']);
  });

  it('also requires proof-of-work on the API path', async () => {
    await setup({ powEnabled: true });
    const form = await createPublishedForm(t, { slug: 'api-pow', kind: 'newsletter' });
    const key = await t.app.inject({
      method: 'POST',
      url: '/api/v1/api-keys',
      headers: t.admin.headers(),
      payload: { name: 'site', scopes: ['contacts:write'] },
    });
    const auth = { authorization: `Bearer ${key.json().key}` };
    const without = await t.app.inject({
      method: 'POST',
      url: `/api/v1/forms/${form.id}/submissions`,
      headers: auth,
      payload: { email: 'api@example.com', consent_newsletter: 'on', ip: '203.0.113.50' },
    });
    expect(without.statusCode).toBe(202);
    expect(await contactCount()).toBe(0);
    const challenge = (await t.app.inject({ method: 'GET', url: `/f/${form.slug}/challenge` })).json();
    const solution = await solveChallenge({ challenge, deriveKey: sha });
    const altcha = Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
    const withPow = await t.app.inject({
      method: 'POST',
      url: `/api/v1/forms/${form.id}/submissions`,
      headers: auth,
      payload: {
        email: 'api@example.com',
        consent_newsletter: 'on',
        ip: '203.0.113.50',
        user_agent: 'Browser/1',
        altcha,
      },
    });
    expect(withPow.statusCode).toBe(202);
    const s = await t.deps.db
      .selectFrom('form_submissions')
      .select(['via', 'ip', 'user_agent'])
      .executeTakeFirstOrThrow();
    expect(s).toEqual({ via: 'api', ip: '203.0.113.50', user_agent: 'Browser/1' });
  });

  it('short links carry their campaign into the form and the submission', async () => {
    await setup();
    const form = await createPublishedForm(t, { slug: 'banner-target', kind: 'newsletter' });
    const link = await t.app.inject({
      method: 'POST',
      url: '/api/v1/short-links',
      headers: t.admin.headers(),
      payload: {
        name: 'Banner Fachportal',
        code: 'fp-banner',
        formId: form.id,
        channel: 'banner',
        utm: { utm_source: 'fachportal', utm_campaign: 'q4' },
      },
    });
    expect(link.statusCode).toBe(201);
    const redirect = await t.app.inject({ method: 'GET', url: '/r/fp-banner' });
    expect(redirect.statusCode).toBe(302);
    const target = new URL(redirect.headers.location as string);
    expect(target.pathname).toBe(`/f/${form.slug}`);
    expect(Object.fromEntries(target.searchParams)).toEqual({
      utm_source: 'fachportal',
      utm_campaign: 'q4',
      utm_medium: 'banner',
      lw_src: 'fp-banner',
    });
    expect(redirect.headers['set-cookie']).toBeUndefined();
    // The hosted page carries the query into hidden fields.
    const page = await t.app.inject({ method: 'GET', url: `${target.pathname}${target.search}` });
    expect(page.body).toContain('name="lw_src" value="fp-banner"');
    expect(page.body).toContain('name="utm_campaign" value="q4"');
    const res = await submit(form.slug, {
      email: 'banner@example.com',
      consent_newsletter: 'on',
      ...Object.fromEntries(target.searchParams),
    });
    expect(res.statusCode).toBe(200);
    const s = await t.deps.db.selectFrom('form_submissions').selectAll().executeTakeFirstOrThrow();
    expect(s).toMatchObject({
      channel: 'banner',
      utm_source: 'fachportal',
      utm_campaign: 'q4',
      short_link_id: link.json().id,
    });
    const links = await t.app.inject({
      method: 'GET',
      url: '/api/v1/short-links',
      headers: t.admin.headers(),
    });
    expect(links.json().items[0].clicks).toBe(1);
    expect((await t.app.inject({ method: 'GET', url: '/r/nope-nope' })).statusCode).toBe(404);
  });

  it('progressive profiling asks a recognised contact only the next unanswered questions', async () => {
    await setup();
    const base = await publishableDefinition(t, 'contact_request');
    const fields = (base.fields as { key: string; required: boolean }[]).map((f) => ({
      ...f,
      required: f.key === 'email',
    }));
    const extra = [
      {
        key: 'budget',
        type: 'text',
        label: { de: 'Budget', en: 'Budget' },
        purpose: { de: 'Planung', en: 'Planning' },
        required: false,
      },
      {
        key: 'timeline',
        type: 'text',
        label: { de: 'Zeitraum', en: 'Timeline' },
        purpose: { de: 'Planung', en: 'Planning' },
        required: false,
      },
      {
        key: 'team_size',
        type: 'text',
        label: { de: 'Teamgröße', en: 'Team size' },
        purpose: { de: 'Planung', en: 'Planning' },
        required: false,
      },
    ];
    const form = await createPublishedForm(t, {
      slug: 'progressive',
      kind: 'contact_request',
      definition: {
        ...base,
        fields: [...fields, ...extra],
        progressive: { enabled: true, queue: ['budget', 'timeline', 'team_size'], perVisit: 1 },
      },
    });
    const anonymous = await formConfig(t, form.slug);
    expect(anonymous.fields.map((f) => f.key)).toEqual([
      'email',
      'first_name',
      'last_name',
      'company',
      'phone',
      'message',
    ]);
    await submit(form.slug, { email: 'known@example.com', first_name: 'Kim', company: 'Kim AG' });
    const contact = await t.deps.db.selectFrom('contacts').select('id').executeTakeFirstOrThrow();
    const token = createProfileToken(t.deps.config.secretKey, {
      workspaceId: t.workspaceId,
      contactId: contact.id,
      expiresAt: new Date(clock.now().getTime() + 86_400_000),
    });
    const known = await formConfig(t, form.slug, `?lw=${encodeURIComponent(token)}`);
    expect(known.fields.map((f) => f.key)).toEqual(['email', 'last_name', 'phone', 'message', 'budget']);
    await submit(form.slug, { email: 'known@example.com', budget: '50k', lw: token });
    const next = await formConfig(t, form.slug, `?lw=${encodeURIComponent(token)}`);
    expect(next.fields.map((f) => f.key)).toEqual(['email', 'last_name', 'phone', 'message', 'timeline']);
    // A guess is not enough: a forged or foreign token is ignored.
    const forged = await formConfig(t, form.slug, `?lw=${encodeURIComponent(`${token.split('.')[0]}.x`)}`);
    expect(forged.fields.map((f) => f.key)).toEqual(anonymous.fields.map((f) => f.key));
  });

  it('posts plain HTML forms: redirect to the thank-you page, errors re-rendered with the values escaped', async () => {
    await setup();
    const form = await createPublishedForm(t, { slug: 'plain', kind: 'contact_request' });
    const page = await t.app.inject({ method: 'GET', url: `/f/${form.slug}?lang=en` });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['set-cookie']).toBeUndefined();
    const token = /name="lw_t" value="([^"]+)"/.exec(page.body)![1]!;
    clock.advance(4000);
    const bad = await t.app.inject({
      method: 'POST',
      url: `/f/${form.slug}/submit`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        lw_t: token,
        lang: 'en',
        email: 'x',
        first_name: '<script>alert(1)</script>',
      }).toString(),
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(bad.body).not.toContain('<script>alert(1)');
    expect(bad.body).toContain('aria-invalid="true"');
    const ok = await t.app.inject({
      method: 'POST',
      url: `/f/${form.slug}/submit`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        lw_t: token,
        lang: 'en',
        email: 'plain@example.com',
        first_name: 'P',
        last_name: 'Q',
        company: 'R',
      }).toString(),
    });
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe(`/f/${form.slug}/thanks?lang=en`);
    const s = await t.deps.db
      .selectFrom('form_submissions')
      .select(['via', 'outcome'])
      .executeTakeFirstOrThrow();
    expect(s).toEqual({ via: 'hosted', outcome: 'no-consent-requested' });
  });

  it('requires a consent box only on a newsletter form or with an explicit, stated "content in exchange for consent"', async () => {
    await setup();
    const create = (slug: string, kind: string, definition: Record<string, unknown>) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/forms',
        headers: t.admin.headers(),
        payload: { name: slug, slug, kind, definition },
      });
    const base = await publishableDefinition(t, 'contact_request');
    const requiredBoxes: Array<Record<string, unknown>> = (
      base.consents as Array<Record<string, unknown>>
    ).map((c) => ({
      ...c,
      required: true,
    }));
    // Coupling by default is refused, also for a newsletter box on another kind of form (Art. 7(4)).
    const coupled = await create('coupled', 'contact_request', { ...base, consents: requiredBoxes });
    expect(coupled.statusCode).toBe(422);
    expect(coupled.json().error.code).toBe('FORM_DEFINITION_INVALID');
    expect(coupled.json().error.details.fields).toContainEqual({
      field: 'consents.0.required',
      message: 'a required consent box needs "content in exchange for consent"',
    });
    const nl = await publishableDefinition(t, 'newsletter');
    const phoneBox = {
      key: 'phone',
      purpose: 'phone',
      text: { de: 'Anruf ok', en: 'Calls ok' },
      textVersion: '1',
      required: true,
    };
    const nlPhone = await create('nl-phone', 'newsletter', {
      ...nl,
      consents: [...(nl.consents as object[]), phoneBox],
    });
    expect(nlPhone.statusCode).toBe(422);

    // Chosen explicitly, the form must say so before it can go live, and then it shows it.
    const chosen = await create('chosen', 'contact_request', {
      ...base,
      consents: requiredBoxes,
      contentForConsent: true,
    });
    expect(chosen.statusCode).toBe(201);
    const id = chosen.json().form.id;
    const publish = () =>
      t.app.inject({ method: 'POST', url: `/api/v1/forms/${id}/publish`, headers: t.admin.headers() });
    const refused = await publish();
    expect(refused.statusCode).toBe(422);
    expect(JSON.stringify(refused.json().error.details)).toContain('couplingNotice');
    const notice = {
      de: 'Das Beratungsgespräch erhalten Sie im Austausch für Ihre Einwilligung in den Newsletter.',
      en: 'You get the consultation in exchange for your consent to the newsletter.',
    };
    const draft = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/forms/${id}`,
      headers: t.admin.headers(),
      payload: {
        definition: { ...base, consents: requiredBoxes, contentForConsent: true, couplingNotice: notice },
      },
    });
    expect(draft.statusCode).toBe(200);
    expect((await publish()).statusCode).toBe(200);
    const page = await t.app.inject({ method: 'GET', url: '/f/chosen?lang=en' });
    expect(page.body).toContain(notice.en);
    const boxKey = String(requiredBoxes[0]?.key);
    const without = await submit('chosen', {
      email: 'coupled@example.com',
      first_name: 'C',
      last_name: 'D',
      company: 'E',
      lang: 'en',
    });
    expect(without.statusCode).toBe(400);
    expect(without.json().error.details.fields).toContainEqual({
      field: `consent_${boxKey}`,
      message: 'required',
    });
  });

  it('allows only the form’s origins (CORS) and isolates workspaces', async () => {
    await setup();
    const form = await createPublishedForm(t, {
      slug: 'origins',
      kind: 'newsletter',
      allowedOrigins: ['https://www.acme.example'],
    });
    const pre = await t.app.inject({
      method: 'OPTIONS',
      url: `/f/${form.slug}/submit`,
      headers: { origin: 'https://www.acme.example' },
    });
    expect(pre.headers['access-control-allow-origin']).toBe('https://www.acme.example');
    const foreignPre = await t.app.inject({
      method: 'OPTIONS',
      url: `/f/${form.slug}/submit`,
      headers: { origin: 'https://evil.example' },
    });
    expect(foreignPre.headers['access-control-allow-origin']).toBeUndefined();
    const foreign = await submit(
      form.slug,
      { email: 'x@example.com', consent_newsletter: 'on' },
      { origin: 'https://evil.example' },
    );
    expect(foreign.statusCode).toBe(403);
    expect(foreign.json().error.code).toBe('FORM_ORIGIN_NOT_ALLOWED');
    const allowed = await submit(
      form.slug,
      { email: 'y@example.com', consent_newsletter: 'on' },
      { origin: 'https://www.acme.example' },
    );
    expect(allowed.headers['access-control-allow-origin']).toBe('https://www.acme.example');

    const other = await t.app.inject({
      method: 'POST',
      url: '/api/v1/workspaces',
      headers: t.admin.headers(),
      payload: { name: 'Other Agency', slug: 'other-agency', defaultLocale: 'en' },
    });
    const otherId = other.json().workspace.id as string;
    const headers = t.admin.headers({ 'x-workspace-id': otherId });
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/forms/${form.id}`, headers })).statusCode).toBe(
      404,
    );
    expect(
      (await t.app.inject({ method: 'GET', url: `/api/v1/forms/${form.id}/submissions`, headers }))
        .statusCode,
    ).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/forms', headers })).json().items).toEqual([]);
    const patch = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/forms/${form.id}`,
      headers,
      payload: { name: 'x' },
    });
    expect(patch.statusCode).toBe(404);
  });

  it('stores gated content and records downloads through signed links', async () => {
    await setup();
    const asset = await t.app.inject({
      method: 'POST',
      url: '/api/v1/assets',
      headers: t.admin.headers(),
      payload: {
        title: 'Checkliste',
        fileName: 'checkliste.pdf',
        contentType: 'application/pdf',
        contentBase64: Buffer.from('%PDF-1.4 demo').toString('base64'),
      },
    });
    expect(asset.statusCode).toBe(201);
    const def = await publishableDefinition(t, 'gated_content', { assetId: asset.json().id });
    const form = await createPublishedForm(t, { slug: 'checklist', kind: 'gated_content', definition: def });
    await submit(form.slug, { email: 'reader@example.com', consent_newsletter: 'on' });
    const token = await t.deps.db.selectFrom('consent_tokens').select('asset').executeTakeFirstOrThrow();
    const url = (token.asset as { url: string }).url;
    expect(url).toMatch(/\/d\?t=/);
    const download = await t.app.inject({
      method: 'GET',
      url: `${new URL(url).pathname}${new URL(url).search}`,
    });
    expect(download.statusCode).toBe(200);
    expect(download.body).toBe('%PDF-1.4 demo');
    expect(download.headers['content-disposition']).toContain('checkliste.pdf');
    const activity = await t.deps.db
      .selectFrom('activities')
      .select(['type', 'ref'])
      .where('type', '=', 'capture.asset-downloaded')
      .execute();
    expect(activity).toEqual([{ type: 'capture.asset-downloaded', ref: `asset:${asset.json().id}` }]);
    expect((await t.app.inject({ method: 'GET', url: '/d?t=forged.token' })).statusCode).toBe(404);
  });

  it('seeds demo data: a newsletter, a white-paper and a webinar form with submissions', async () => {
    await setup();
    const admin = await t.deps.db.selectFrom('users').select('id').executeTakeFirstOrThrow();
    await captureModule.seedDemo!({ deps: t.deps, workspaceId: t.workspaceId, adminUserId: admin.id });
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/forms', headers: t.admin.headers() });
    const forms = list.json().items as { kind: string; status: string; stats: { submissions: number } }[];
    expect(forms.map((f) => f.kind).sort()).toEqual(['event', 'gated_content', 'newsletter']);
    expect(forms.every((f) => f.status === 'published' && f.stats.submissions > 0)).toBe(true);
    const channels = await t.deps.db.selectFrom('form_submissions').select('channel').distinct().execute();
    expect(channels.length).toBeGreaterThan(2);
  });
});
