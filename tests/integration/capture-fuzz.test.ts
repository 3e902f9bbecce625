import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/shared/clock.js';
import { availableDbKinds } from '../support/deps.js';
import {
  type CaptureTestApp,
  createCaptureTestApp,
  createPublishedForm,
  formConfig,
  limitAlignedClock,
} from './capture.helpers.js';

/*
 * The public submit endpoint under generated bad input: whatever arrives, the answer is never a
 * 5xx, and a contact is never written without its submission (one transaction or nothing).
 */

const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 400 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.constantFrom(
    '\u0000',
    '\ud800',
    'a\udfffb',
    '\u2028',
    '<script>alert(1)</script>',
    "'; DROP TABLE contacts; --",
    'x'.repeat(5000),
    '__proto__',
    '{"$gt":""}',
    '=cmd|/C calc!A0',
    'ok@example.com',
    'Üser@bücher.de',
    `${'a'.repeat(64)}@${'b'.repeat(63)}.de`,
  ),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
);

const keys = fc.constantFrom(
  'email',
  'first_name',
  'last_name',
  'company',
  'phone',
  'message',
  'consent_newsletter',
  'consent_phone',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'referrer',
  'landing_url',
  'code',
  'lw_src',
  'lw',
  'lang',
  'altcha',
  'lw_homepage',
  'constructor',
  '__proto__',
);

// Mostly valid sign-ups with hostile extras: these reach the transaction.
const almostValid = fc.record({
  email: fc.oneof(fc.emailAddress(), fc.constant('fuzz@example.com')),
  consent_newsletter: fc.constant('on'),
  first_name: nasty,
  utm_source: nasty,
  utm_campaign: nasty,
  referrer: nasty,
  landing_url: nasty,
  code: nasty,
  lw_src: nasty,
  lang: nasty,
  lw: nasty,
});

const body = fc.oneof(
  { arbitrary: almostValid, weight: 3 },
  fc.dictionary(keys, nasty, { maxKeys: 14 }),
  fc.dictionary(fc.string({ maxLength: 20 }), nasty, { maxKeys: 20 }),
  nasty,
);

describe.each(await availableDbKinds())('capture submit fuzz (%s)', (kind) => {
  let t: CaptureTestApp;
  let clock: ManualClock;
  let slug: string;

  beforeAll(async () => {
    clock = limitAlignedClock();
    t = await createCaptureTestApp(kind, clock);
    slug = (await createPublishedForm(t, { slug: 'fuzz', kind: 'newsletter' })).slug;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('never answers 5xx and never leaves a contact without its submission', async () => {
    const token = (await formConfig(t, slug)).timeToken;
    let accepted = 0;
    clock.advance(5000);
    await fc.assert(
      fc.asyncProperty(body, fc.boolean(), fc.boolean(), async (payload, urlencoded, withToken) => {
        const withTrap =
          withToken && payload && typeof payload === 'object' && !Array.isArray(payload)
            ? {
                ...payload,
                lw_t: token,
                email: (payload as Record<string, unknown>).email ?? 'fuzz@example.com',
              }
            : payload;
        let res: { statusCode: number; body: string };
        if (urlencoded) {
          const params = new URLSearchParams();
          if (withTrap && typeof withTrap === 'object')
            for (const [k, v] of Object.entries(withTrap))
              params.append(k, typeof v === 'string' ? v : JSON.stringify(v));
          res = await t.app.inject({
            method: 'POST',
            url: `/f/${slug}/submit`,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            payload: params.toString(),
          });
        } else {
          res = await t.app.inject({
            method: 'POST',
            url: `/f/${slug}/submit`,
            headers: { 'content-type': 'application/json' },
            payload: JSON.stringify(withTrap),
          });
        }
        expect(res.statusCode, res.body).toBeLessThan(500);
        if (res.statusCode === 200 || res.statusCode === 303) accepted++;
      }),
      { numRuns: 250 },
    );
    // Raw bytes that are not JSON at all.
    for (const raw of ['{', '[1,2', '\u0000', '{"email":"\\ud800@x.de"}', '{"__proto__":{"x":1}}']) {
      const res = await t.app.inject({
        method: 'POST',
        url: `/f/${slug}/submit`,
        headers: { 'content-type': 'application/json' },
        payload: raw,
      });
      expect(res.statusCode, raw).toBeLessThan(500);
    }
    const orphans = await t.deps.db
      .selectFrom('contacts')
      .select('id')
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('form_submissions')
              .select('id')
              .whereRef('form_submissions.contact_id', '=', 'contacts.id'),
          ),
        ),
      )
      .execute();
    expect(orphans).toEqual([]);
    // The run reached the database, not only the validator.
    expect(accepted).toBeGreaterThan(10);
    const contacts = await t.deps.db.selectFrom('contacts').select('id').execute();
    expect(contacts.length).toBeGreaterThan(0);
  });
});
