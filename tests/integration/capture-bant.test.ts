import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBant } from '../../src/modules/scoring/index.js';
import { ManualClock } from '../../src/shared/clock.js';
import { availableDbKinds } from '../support/deps.js';
import {
  type CaptureTestApp,
  createCaptureTestApp,
  createPublishedForm,
  formConfig,
  publishableDefinition,
} from './capture.helpers.js';

/*
 * Qualification questions on a form (issue 6: BANT answers "can come from forms"): a form may ask
 * need, budget, authority and timeline with fixed choices; the answers go to scoring's BANT with
 * source `form` and the form as origin, in the submission's transaction. A value that is not one
 * of the choices is refused like any invalid field, and nothing is written.
 */

const BANT_FIELDS = [
  { key: 'project', type: 'bant_need', label: { de: 'Konkretes Projekt?', en: 'A concrete project?' } },
  { key: 'budget', type: 'bant_budget', label: { de: 'Budget vorhanden?', en: 'Budget available?' } },
  { key: 'role', type: 'bant_authority', label: { de: 'Ihre Rolle', en: 'Your role' } },
  { key: 'when', type: 'bant_timeline', label: { de: 'Wann?', en: 'When?' } },
].map((f) => ({
  ...f,
  purpose: { de: 'Damit wir passend beraten', en: 'So that we can advise you well' },
  required: false,
  // Whatever a client sends as choices, the server keeps the fixed ones.
  options: [{ value: 'bogus', label: { de: 'x', en: 'x' } }],
}));

describe.each(await availableDbKinds())('BANT questions on forms (%s)', (kind) => {
  let t: CaptureTestApp;
  const clock = new ManualClock(new Date('2026-09-01T08:00:00Z'));

  beforeAll(async () => {
    t = await createCaptureTestApp(kind, clock);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('asks BANT with fixed choices and records the answers with the form as source', async () => {
    const base = await publishableDefinition(t, 'contact_request');
    const fields = [...(base.fields as Record<string, unknown>[]), ...BANT_FIELDS];

    // Asking one question twice is refused with the field named.
    const twice = await t.app.inject({
      method: 'POST',
      url: '/api/v1/forms',
      headers: t.admin.headers(),
      payload: {
        name: 'twice',
        slug: 'bant-twice',
        kind: 'contact_request',
        definition: { ...base, fields: [...fields, { ...BANT_FIELDS[0], key: 'project2' }] },
      },
    });
    expect(twice.statusCode).toBe(422);
    expect(twice.json().error.code).toBe('FORM_DEFINITION_INVALID');

    const form = await createPublishedForm(t, {
      slug: 'beratung',
      kind: 'contact_request',
      definition: { ...base, fields },
    });
    const config = await formConfig(t, form.slug, '?lang=en');
    const role = (config.fields as { key: string; options: { value: string; label: string }[] }[]).find(
      (f) => f.key === 'role',
    );
    expect(role?.options.map((o) => o.value)).toEqual(['decision_maker', 'influencer', 'user', 'unknown']);
    expect(role?.options[0]?.label).toBe('I decide');
    const page = await t.app.inject({ method: 'GET', url: `/f/${form.slug}?lang=de` });
    expect(page.body).toMatch(/<select id="f-when" name="when"[^>]*>.*In 3 bis 6 Monaten/s);

    const submit = async (email: string, answers: Record<string, string>) => {
      const c = await formConfig(t, form.slug);
      clock.advance(5000);
      return t.app.inject({
        method: 'POST',
        url: `/f/${form.slug}/submit`,
        remoteAddress: `203.0.113.${Math.floor(Math.random() * 200) + 1}`,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        payload: {
          lw_t: c.timeToken,
          email,
          first_name: 'Lea',
          last_name: 'Berg',
          company: 'Kunde AG',
          lang: 'de',
          ...answers,
        },
      });
    };

    // Not one of the choices: refused, nothing written.
    const bad = await submit('kai@kunde.example', { role: 'ceo' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.details.fields).toEqual([{ field: 'role', message: 'not_an_option' }]);
    const none = await t.deps.db
      .selectFrom('contacts')
      .select('id')
      .where('workspace_id', '=', t.workspaceId)
      .where('email', '=', 'kai@kunde.example')
      .execute();
    expect(none).toEqual([]);

    const ok = await submit('lea@kunde.example', {
      project: 'yes',
      budget: 'yes',
      role: 'decision_maker',
      when: '3-6-months',
    });
    expect(ok.statusCode, ok.body).toBe(200);
    const contact = await t.deps.db
      .selectFrom('contacts')
      .select('id')
      .where('workspace_id', '=', t.workspaceId)
      .where('email', '=', 'lea@kunde.example')
      .executeTakeFirstOrThrow();
    const bant = await getBant(t.deps.db, t.workspaceId, contact.id);
    expect(bant.answers).toMatchObject({
      need: { exists: true },
      budget: { exists: true },
      authority: { role: 'decision_maker' },
      timeline: { when: '3-6-months' },
    });
    expect(bant.qualified).toBe(true);
    for (const field of ['need', 'budget', 'authority', 'timeline'])
      expect(bant.meta[field]).toMatchObject({ source: 'form', sourceRef: `form:${form.id}` });

    // A later answer on the same form replaces the earlier one, still with its source and date.
    clock.advance(86_400_000);
    expect((await submit('lea@kunde.example', { budget: 'no' })).statusCode).toBe(200);
    const later = await getBant(t.deps.db, t.workspaceId, contact.id);
    expect(later.answers.budget).toEqual({ exists: false });
    expect(later.qualified).toBe(false);
    expect(later.meta.budget?.answeredAt).toBe(clock.now().toISOString());
  });
});
