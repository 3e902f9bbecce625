import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordActivity } from '../../src/modules/contacts/index.js';
import { ManualClock } from '../../src/shared/clock.js';
import { type Caller, createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';

const kinds = await availableDbKinds();
const NOW = new Date('2026-03-01T10:00:00Z');
const DAY = 86_400_000;

describe.each(kinds)('contacts, companies and segments API on %s', (kind) => {
  let t: TestApp;
  let admin: Caller;
  const clock = new ManualClock(NOW);
  const ids: Record<string, string> = {};

  async function call(method: string, url: string, payload?: unknown, caller = admin) {
    return t.app.inject({
      method: method as 'GET',
      url,
      headers: caller.headers(),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  }
  async function count(filter: unknown): Promise<number> {
    const res = await call('POST', '/api/v1/contacts/count', { filter });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().count;
  }
  const group = (...children: unknown[]) => ({ kind: 'group', op: 'and', children });

  beforeAll(async () => {
    t = await createTestApp(kind, { clock });
    admin = await t.login();
    for (const [key, type, options] of [
      ['budget', 'number', undefined],
      ['decision_date', 'date', undefined],
      [
        'interest',
        'choice',
        [
          { value: 'crm', label: 'CRM' },
          { value: 'erp', label: 'ERP' },
        ],
      ],
      [
        'topics',
        'multi_choice',
        [
          { value: 'ai', label: 'AI' },
          { value: 'cloud', label: 'Cloud' },
          { value: 'security', label: 'Security' },
        ],
      ],
      ['newsletter_b2b', 'boolean', undefined],
      ['note', 'text', undefined],
    ] as const) {
      const res = await call('POST', '/api/v1/custom-fields/contact', {
        key,
        label: key,
        type,
        options,
        qualification: key === 'budget',
      });
      expect(res.statusCode, res.body).toBe(201);
    }
    const people = [
      {
        key: 'anna',
        email: 'anna.schmidt@mueller-maschinenbau.de',
        firstName: 'Anna',
        lastName: 'Schmidt',
        jobTitle: 'Leiterin Marketing',
        country: 'DE',
        lifecycleStage: 'mql',
        tags: ['messe'],
        customFields: {
          budget: '25.000',
          interest: 'CRM',
          topics: 'ai;cloud',
          newsletter_b2b: 'ja',
          decision_date: '15.06.2026',
        },
      },
      {
        key: 'ben',
        email: 'ben@mueller-maschinenbau.de',
        firstName: 'Ben',
        lastName: 'Wagner',
        country: 'DE',
        lifecycleStage: 'subscriber',
        customFields: { budget: 5000, topics: ['security'], newsletter_b2b: false },
      },
      {
        key: 'carla',
        email: 'carla.meier@gmx.de',
        firstName: 'Carla',
        lastName: 'Meier',
        country: 'AT',
        lifecycleStage: 'customer',
        customFields: { interest: 'erp' },
      },
      {
        key: 'dan',
        email: 'dan@example.org',
        firstName: 'Dan',
        lastName: 'Brown',
        country: 'GB',
        lifecycleStage: 'sql',
      },
      { key: 'info', email: 'info@acme-software.com', lifecycleStage: 'subscriber' },
    ];
    for (const { key, ...body } of people) {
      const res = await call('POST', '/api/v1/contacts', body);
      expect(res.statusCode, res.body).toBe(201);
      ids[key] = res.json().contact.id;
    }
    // Activity: Anna clicked 10 days ago and downloaded the white paper; Ben clicked 40 days ago.
    const db = t.deps.db;
    const act = (contactId: string, type: string, daysAgo: number, ref?: string) =>
      recordActivity(db, {
        workspaceId: t.workspaceId,
        contactId,
        type,
        occurredAt: new Date(NOW.getTime() - daysAgo * DAY),
        data: {},
        ref,
      });
    await act(ids.anna!, 'mail.clicked', 10, 'message:m1');
    await act(ids.anna!, 'mail.clicked', 12, 'message:m2');
    await act(ids.anna!, 'capture.asset-downloaded', 3, 'asset:whitepaper');
    await act(ids.ben!, 'mail.clicked', 40, 'message:m0');
    await act(ids.ben!, 'capture.event-registered', 5, 'event:webinar');
    await act(ids.carla!, 'capture.event-registered', 5, 'event:webinar');
    await act(ids.carla!, 'events.attended', 1, 'event:webinar');
    await db
      .insertInto('consents')
      .values([
        {
          workspace_id: t.workspaceId,
          contact_id: ids.anna!,
          purpose: 'newsletter',
          status: 'confirmed',
          confirmed_at: NOW,
        },
        {
          workspace_id: t.workspaceId,
          contact_id: ids.ben!,
          purpose: 'newsletter',
          status: 'withdrawn',
          withdrawn_at: NOW,
        },
      ])
      .execute();
  });
  afterAll(async () => t?.close());

  it('links companies by e-mail domain, never for free-mail domains', async () => {
    const anna = (await call('GET', `/api/v1/contacts/${ids.anna}`)).json();
    const ben = (await call('GET', `/api/v1/contacts/${ids.ben}`)).json();
    const carla = (await call('GET', `/api/v1/contacts/${ids.carla}`)).json();
    expect(anna.company).toMatchObject({ name: 'Mueller Maschinenbau' });
    expect(ben.company.id).toBe(anna.company.id);
    expect(carla.company).toBeNull();
    expect(carla.contact.qualityReasons.map((r: { code: string }) => r.code)).toContain('freemail_domain');
    const list = (await call('GET', '/api/v1/companies')).json();
    expect(list.items.map((c: { name: string }) => c.name)).not.toContain('Gmx');
    const company = (await call('GET', `/api/v1/companies/${anna.company.id}`)).json();
    expect(company.contacts).toHaveLength(2);
    expect(company.company.domains).toEqual(['mueller-maschinenbau.de']);
    expect(company.rollup.activityByType['mail.clicked']).toBe(3);
  });

  it('validates and converts typed custom fields', async () => {
    const anna = (await call('GET', `/api/v1/contacts/${ids.anna}`)).json().contact;
    expect(anna.customFields).toEqual({
      budget: 25000,
      interest: 'crm',
      topics: ['ai', 'cloud'],
      newsletter_b2b: true,
      decision_date: '2026-06-15',
    });
    const bad = await call('PATCH', `/api/v1/contacts/${ids.anna}`, {
      customFields: { budget: 'viel', interest: 'nope', unknown_field: 1, decision_date: '2026-02-30' },
    });
    expect(bad.statusCode).toBe(400);
    const fields = bad
      .json()
      .error.details.fields.map((f: { field: string }) => f.field)
      .sort();
    expect(fields).toEqual([
      'customFields.budget',
      'customFields.decision_date',
      'customFields.interest',
      'customFields.unknown_field',
    ]);
  });

  it('records who changed what on the timeline, newest first, filterable and paged', async () => {
    clock.advance(1000);
    const res = await call('PATCH', `/api/v1/contacts/${ids.dan}`, {
      jobTitle: 'CTO',
      lifecycleStage: 'opportunity',
      stageReason: 'demo booked',
    });
    expect(res.statusCode, res.body).toBe(200);
    const timeline = (await call('GET', `/api/v1/contacts/${ids.dan}/timeline?limit=1`)).json();
    expect(timeline.items).toHaveLength(1);
    expect(timeline.nextBefore).not.toBeNull();
    const all = (await call('GET', `/api/v1/contacts/${ids.dan}/timeline?types=contacts.*`)).json();
    const types = all.items.map((a: { type: string }) => a.type);
    expect(types).toEqual(
      expect.arrayContaining(['contacts.updated', 'contacts.stage-changed', 'contacts.created']),
    );
    const updated = all.items.find((a: { type: string }) => a.type === 'contacts.updated');
    expect(updated.data.changes).toEqual([{ field: 'job_title', from: null, to: 'CTO' }]);
    expect(updated.data.by).toBe('admin@example.com');
    const stage = all.items.find((a: { type: string }) => a.type === 'contacts.stage-changed');
    expect(stage.data).toMatchObject({ from: 'sql', to: 'opportunity', reason: 'demo booked' });
  });

  it('pages the list with a user-chosen sort and keyset cursors, and searches free text', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await call(
        'GET',
        `/api/v1/contacts?sort=last_name&dir=asc&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.statusCode, res.body).toBe(200);
      seen.push(...res.json().items.map((c: { email: string }) => c.email));
      cursor = res.json().nextCursor;
    } while (cursor);
    expect(seen).toEqual([
      'info@acme-software.com',
      'dan@example.org',
      'carla.meier@gmx.de',
      'anna.schmidt@mueller-maschinenbau.de',
      'ben@mueller-maschinenbau.de',
    ]);
    const search = (await call('GET', '/api/v1/contacts?q=maschinenbau%20anna')).json();
    expect(search.items.map((c: { email: string }) => c.email)).toEqual([
      'anna.schmidt@mueller-maschinenbau.de',
    ]);
    const filtered = (
      await call(
        'GET',
        `/api/v1/contacts?count=true&filter=${encodeURIComponent(JSON.stringify(group({ kind: 'field', field: 'country', operator: 'eq', value: 'DE' })))}`,
      )
    ).json();
    expect(filtered.total).toBe(2);
  });

  it('segments: every operator family, nested AND/OR/NOT, activity windows, consents, companies, custom fields', async () => {
    const f = (field: string, operator: string, value?: unknown) => ({
      kind: 'field',
      field,
      operator,
      value,
    });
    expect(await count(group(f('lifecycle_stage', 'in', ['mql', 'sql', 'opportunity'])))).toBe(2);
    expect(await count(group(f('lifecycle_stage', 'neq', 'subscriber')))).toBe(3);
    expect(await count(group(f('first_name', 'is_empty')))).toBe(1);
    expect(await count(group(f('email', 'ends_with', '@mueller-maschinenbau.de')))).toBe(2);
    expect(await count(group(f('last_name', 'starts_with', 'sch')))).toBe(1);
    expect(await count(group(f('last_name', 'not_contains', 'e')))).toBe(3); // Schmidt, Brown, (none)
    expect(await count(group(f('tags', 'contains_any', ['messe'])))).toBe(1);
    expect(await count(group(f('tags', 'is_empty')))).toBe(4);
    expect(await count(group(f('created_at', 'within_last_days', 1)))).toBe(5);
    expect(await count(group(f('created_at', 'before', '2026-03-01')))).toBe(0);
    expect(await count(group(f('quality_score', 'lt', 101)))).toBe(5);
    // custom fields
    const c = (key: string, operator: string, value?: unknown) => ({ kind: 'custom', key, operator, value });
    expect(await count(group(c('budget', 'gte', 10000)))).toBe(1);
    expect(await count(group(c('budget', 'between', [1000, 30000])))).toBe(2);
    expect(await count(group(c('interest', 'eq', 'erp')))).toBe(1);
    expect(await count(group(c('topics', 'contains_all', ['ai', 'cloud'])))).toBe(1);
    expect(await count(group(c('topics', 'contains_none', ['security'])))).toBe(4);
    expect(await count(group(c('newsletter_b2b', 'is_false')))).toBe(1);
    expect(await count(group(c('decision_date', 'after', '2026-06-01')))).toBe(1);
    expect(await count(group(c('note', 'is_empty')))).toBe(5);
    // consents
    expect(await count(group({ kind: 'consent', purpose: 'newsletter', status: 'confirmed' }))).toBe(1);
    expect(await count(group({ kind: 'consent', purpose: 'newsletter', status: 'none' }))).toBe(3);
    expect(await count(group({ kind: 'consent', purpose: 'newsletter', status: 'not_confirmed' }))).toBe(4);
    // companies
    expect(
      await count(
        group({ kind: 'company', field: 'domain', operator: 'eq', value: 'mueller-maschinenbau.de' }),
      ),
    ).toBe(2);
    expect(await count(group({ kind: 'company', field: 'name', operator: 'is_empty' }))).toBe(1); // only the gmx.de address
    // activity with time windows
    const a = (rest: Record<string, unknown>) => ({ kind: 'activity', ...rest });
    expect(await count(group(a({ type: 'mail.clicked', withinDays: 30 })))).toBe(1);
    expect(await count(group(a({ type: 'mail.clicked' })))).toBe(2);
    expect(await count(group(a({ type: 'mail.*', withinDays: 30, minCount: 2 })))).toBe(1);
    expect(await count(group(a({ type: 'capture.asset-downloaded', ref: 'asset:whitepaper' })))).toBe(1);
    expect(await count(group(a({ type: 'mail.clicked', withinDays: 30, negate: true })))).toBe(4);
    // registered but did not attend
    expect(
      await count(
        group(
          a({ type: 'capture.event-registered', ref: 'event:webinar' }),
          a({ type: 'events.attended', ref: 'event:webinar', negate: true }),
        ),
      ),
    ).toBe(1);
    // nested: (DE AND clicked in 30 days) OR customer; and its negation
    const nested = {
      kind: 'group',
      op: 'or',
      children: [
        group(f('country', 'eq', 'DE'), a({ type: 'mail.clicked', withinDays: 30 })),
        f('lifecycle_stage', 'eq', 'customer'),
      ],
    };
    expect(await count(nested)).toBe(2);
    expect(await count({ ...nested, negate: true })).toBe(3);
    // NOT keeps contacts without a value
    expect(
      await count({ kind: 'group', op: 'and', negate: true, children: [f('first_name', 'eq', 'anna')] }),
    ).toBe(4);
    // quality findings
    expect(await count(group({ kind: 'quality', reason: 'role_address' }))).toBe(1);
  });

  it('saves segments, refers to them, adds members by hand, and refuses a circle', async () => {
    const clicked = (
      await call('POST', '/api/v1/segments', {
        name: 'Clicked 30d',
        definition: group({ kind: 'activity', type: 'mail.clicked', withinDays: 30 }),
      })
    ).json().segment;
    const ref = await call('POST', '/api/v1/segments', {
      name: 'German clickers',
      definition: group(
        { kind: 'segment', segmentId: clicked.id },
        { kind: 'field', field: 'country', operator: 'eq', value: 'DE' },
      ),
    });
    expect(ref.statusCode, ref.body).toBe(201);
    expect((await call('GET', `/api/v1/segments/${ref.json().segment.id}`)).json().segment.count).toBe(1);
    const added = await call('POST', `/api/v1/segments/${clicked.id}/members`, {
      selection: { ids: [ids.ben] },
    });
    expect(added.json().count).toBe(1);
    expect((await call('GET', `/api/v1/segments/${clicked.id}`)).json().segment.count).toBe(2);
    expect((await call('GET', `/api/v1/segments/${ref.json().segment.id}`)).json().segment.count).toBe(2);
    const circle = await call('PATCH', `/api/v1/segments/${clicked.id}`, {
      definition: group({ kind: 'segment', segmentId: ref.json().segment.id }),
    });
    expect(circle.statusCode).toBe(400);
    const inUse = await call('DELETE', `/api/v1/segments/${clicked.id}`);
    expect(inUse.json().error.code).toBe('SEGMENT_IN_USE');
    const bad = await call('POST', '/api/v1/contacts/count', {
      filter: group({ kind: 'field', field: 'tags', operator: 'gt', value: 1 }),
    });
    expect(bad.statusCode).toBe(400);
  });

  it('tags in bulk and deletes only after the confirmed count matches', async () => {
    const tag = await call('POST', '/api/v1/contacts/bulk/tag', {
      selection: { filter: group({ kind: 'field', field: 'country', operator: 'eq', value: 'DE' }) },
      add: ['VIP'],
    });
    expect(tag.json().count).toBe(2);
    expect(
      await count(group({ kind: 'field', field: 'tags', operator: 'contains_any', value: ['vip'] })),
    ).toBe(2);
    const wrong = await call('POST', '/api/v1/contacts/bulk/delete', {
      selection: { ids: [ids.info] },
      expectedCount: 2,
    });
    expect(wrong.json().error.code).toBe('CONFIRMATION_MISMATCH');
    const ok = await call('POST', '/api/v1/contacts/bulk/delete', {
      selection: { ids: [ids.info] },
      expectedCount: 1,
    });
    expect(ok.json().count).toBe(1);
    const audit = await t.deps.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', 'contacts.deleted')
      .execute();
    expect(audit).toHaveLength(1);
  });

  it('merges two companies', async () => {
    const other = (
      await call('POST', '/api/v1/companies', {
        name: 'Müller Maschinenbau AG',
        domains: ['mueller-mb.com'],
        industry: 'Maschinenbau',
      })
    ).json().company;
    const anna = (await call('GET', `/api/v1/contacts/${ids.anna}`)).json();
    const preview = await call('POST', `/api/v1/companies/${anna.company.id}/merge/preview`, {
      otherId: other.id,
    });
    expect(preview.statusCode, preview.body).toBe(200);
    expect(preview.json().contacts).toEqual({ winner: 2, loser: 0 });
    expect(preview.json().fields.find((f: { field: string }) => f.field === 'industry')).toMatchObject({
      winner: null,
      loser: 'Maschinenbau',
      proposed: 'loser',
    });
    expect(preview.json().fields.find((f: { field: string }) => f.field === 'name')).toMatchObject({
      loser: 'Müller Maschinenbau AG',
      proposed: 'winner',
    });
    const merged = await call('POST', `/api/v1/companies/${anna.company.id}/merge`, {
      otherId: other.id,
      choices: { name: 'loser' },
    });
    expect(merged.statusCode, merged.body).toBe(200);
    expect(merged.json().company.name).toBe('Müller Maschinenbau AG');
    expect(merged.json().company.domains.sort()).toEqual(['mueller-maschinenbau.de', 'mueller-mb.com']);
    expect(merged.json().company.industry).toBe('Maschinenbau');
    expect((await call('GET', `/api/v1/companies/${other.id}`)).statusCode).toBe(404);
    expect((await call('POST', '/api/v1/companies', { name: 'X', domains: ['gmail.com'] })).statusCode).toBe(
      400,
    );
  });

  it('keeps workspaces apart on every route', async () => {
    const created = await call('POST', '/api/v1/workspaces', { name: 'Other Agency', slug: 'other-agency' });
    expect(created.statusCode, created.body).toBe(201);
    const otherWs = created.json().workspace.id;
    const b: Caller = {
      ...admin,
      headers: (extra = {}) => ({ ...admin.headers(), 'x-workspace-id': otherWs, ...extra }),
    };
    const anna = (await call('GET', `/api/v1/contacts/${ids.anna}`)).json();
    const segs = (await call('GET', '/api/v1/segments')).json().items;
    const companyId = anna.company.id;
    const notFound = [
      ['GET', `/api/v1/contacts/${ids.anna}`],
      ['PATCH', `/api/v1/contacts/${ids.anna}`, { firstName: 'X' }],
      ['DELETE', `/api/v1/contacts/${ids.anna}`],
      ['GET', `/api/v1/contacts/${ids.anna}/timeline`],
      ['POST', `/api/v1/contacts/${ids.anna}/notes`, { kind: 'note', text: 'x' }],
      ['GET', `/api/v1/companies/${companyId}`],
      ['PATCH', `/api/v1/companies/${companyId}`, { name: 'X' }],
      ['DELETE', `/api/v1/companies/${companyId}`],
      ['POST', `/api/v1/companies/${companyId}/merge`, { otherId: companyId }],
      ['POST', `/api/v1/companies/${companyId}/merge/preview`, { otherId: companyId }],
      ['GET', `/api/v1/segments/${segs[0].id}`],
      ['PATCH', `/api/v1/segments/${segs[0].id}`, { name: 'X' }],
      ['DELETE', `/api/v1/segments/${segs[0].id}`],
      ['POST', `/api/v1/segments/${segs[0].id}/members`, { selection: { ids: [ids.anna] } }],
    ] as const;
    for (const [method, url, body] of notFound) {
      const res = await call(method, url, body, b);
      expect([400, 404], `${method} ${url}: ${res.body}`).toContain(res.statusCode);
    }
    const empty = [
      (await call('GET', '/api/v1/contacts', undefined, b)).json().items,
      (await call('GET', '/api/v1/companies', undefined, b)).json().items,
      (await call('GET', '/api/v1/segments', undefined, b)).json().items,
    ];
    expect(empty).toEqual([[], [], []]);
    expect((await call('POST', '/api/v1/contacts/count', { filter: group() }, b)).json().count).toBe(0);
    expect(
      (
        await call('POST', '/api/v1/contacts/bulk/tag', { selection: { ids: [ids.anna] }, add: ['x'] }, b)
      ).json().count,
    ).toBe(0);
    expect(
      (
        await call(
          'POST',
          '/api/v1/contacts/bulk/delete',
          { selection: { ids: [ids.anna] }, expectedCount: 0 },
          b,
        )
      ).json().count,
    ).toBe(0);
    expect((await call('GET', `/api/v1/contacts/${ids.anna}`)).statusCode).toBe(200);
  });
});
