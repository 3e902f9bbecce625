import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeMailRuntime } from '../../src/modules/mail/index.js';
import { createDemoWorkspace, type DemoResult } from '../../src/ops/demo.js';
import { type Caller, createTestApp, type TestApp } from '../support/app.js';

describe('contacts demo data', () => {
  let t: TestApp;
  let demo: DemoResult;
  let admin: Caller;

  beforeAll(async () => {
    t = await createTestApp('pglite');
    demo = await createDemoWorkspace(t.deps);
    const login = await t.login(demo.users.find((u) => u.role === 'admin')!.email, demo.password);
    admin = {
      ...login,
      headers: (extra = {}) => ({ ...login.headers(), 'x-workspace-id': demo.workspace.id, ...extra }),
    };
  });
  afterAll(async () => {
    if (t) await closeMailRuntime(t.deps);
    await t?.close();
  });

  const get = async (url: string) => {
    const res = await t.app.inject({ method: 'GET', url, headers: admin.headers() });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };

  it('shows a living system: companies, contacts with timelines, segments, duplicates and quality findings', async () => {
    expect(demo.seeded).toContain('contacts');
    const companies = (await get('/api/v1/companies')).items;
    expect(companies.length).toBeGreaterThanOrEqual(8);
    expect(companies.flatMap((c: { domains: string[] }) => c.domains)).not.toContain('gmail.com');
    const contacts = await get('/api/v1/contacts?limit=200&count=true');
    expect(contacts.total).toBeGreaterThanOrEqual(20);
    const katrin = contacts.items.find(
      (c: { email: string }) => c.email === 'katrin.vogt@nordwind-anlagenbau.example',
    );
    const timeline = (await get(`/api/v1/contacts/${katrin.id}/timeline?limit=200`)).items;
    const types = new Set(timeline.map((a: { type: string }) => a.type));
    for (const type of [
      'capture.form-submitted',
      'capture.asset-downloaded',
      'mail.clicked',
      'events.attended',
      'contacts.call-logged',
    ])
      expect(types).toContain(type);
    const segments = (await get('/api/v1/segments')).items;
    expect(segments.length).toBeGreaterThanOrEqual(5);
    for (const s of segments) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/contacts/count',
        headers: admin.headers(),
        payload: { segmentId: s.id },
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().count, s.name).toBeGreaterThan(0);
    }
    const dupes = (await get('/api/v1/contacts/duplicates')).items;
    expect(dupes.map((d: { reasons: string[] }) => d.reasons[0]).sort()).toEqual([
      'same_match_key',
      'same_name_company',
    ]);
    const codes = new Set(
      contacts.items.flatMap((c: { qualityReasons: { code: string }[] }) =>
        c.qualityReasons.map((r) => r.code),
      ),
    );
    for (const code of ['role_address', 'disposable_domain', 'domain_no_mx', 'stale_field', 'missing_field'])
      expect(codes).toContain(code);
  });
});
