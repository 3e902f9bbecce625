import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactsModule } from '../../src/modules/contacts/index.js';
import { ManualClock } from '../../src/shared/clock.js';
import type { JobContext } from '../../src/shared/jobs/index.js';
import { createLogger } from '../../src/shared/log.js';
import { type Caller, createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';
import { type DnsServer, startDnsServer } from '../support/dns-server.js';

const kinds = await availableDbKinds();
const NOW = new Date('2026-03-01T10:00:00Z');
const DAY = 86_400_000;

describe.each(kinds)('data quality with MX checks on %s', (kind) => {
  let t: TestApp;
  let admin: Caller;
  let dns: DnsServer;
  const clock = new ManualClock(NOW);
  const ids: Record<string, string> = {};

  async function call(method: string, url: string, payload?: unknown) {
    return t.app.inject({
      method: method as 'GET',
      url,
      headers: admin.headers(),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  }
  async function runJob(name: string) {
    const job = contactsModule.recurring!(t.deps).find((r) => r.job.name === name)!.job;
    await job.handler({}, {
      db: t.deps.db,
      clock,
      log: createLogger('silent'),
    } as unknown as JobContext);
  }
  async function reasons(key: string): Promise<string[]> {
    const res = await call('GET', `/api/v1/contacts/${ids[key]}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json().contact.qualityReasons.map((r: { code: string }) => r.code);
  }

  beforeAll(async () => {
    dns = await startDnsServer({
      'mueller-maschinenbau.de': { mx: [{ priority: 10, exchange: 'mx1.mueller-maschinenbau.de' }] },
      'only-a-record.de': { a: ['192.0.2.10'] },
      'no-mail-server.de': {},
      'null-mx.de': { mx: [{ priority: 0, exchange: '.' }] },
      'dns-broken.de': 'servfail',
      'mailinator.com': { mx: [{ priority: 10, exchange: 'mail.mailinator.com' }] },
    });
    t = await createTestApp(kind, { clock, config: { dnsServers: [dns.address] } });
    admin = await t.login();
    const res = await call('POST', '/api/v1/custom-fields/contact', {
      key: 'budget',
      label: 'Budget',
      type: 'number',
      qualification: true,
    });
    expect(res.statusCode, res.body).toBe(201);
    const people: Record<string, Record<string, unknown>> = {
      full: {
        email: 'anna.schmidt@mueller-maschinenbau.de',
        firstName: 'Anna',
        lastName: 'Schmidt',
        jobTitle: 'Leiterin Marketing',
        phone: '+49 30 1',
        country: 'DE',
        customFields: { budget: 20000 },
      },
      role: { email: 'info@mueller-maschinenbau.de' },
      aRecord: { email: 'ben@only-a-record.de', firstName: 'Ben' },
      noMx: { email: 'carla@no-mail-server.de' },
      nullMx: { email: 'dan@null-mx.de' },
      missing: { email: 'eva@does-not-exist.de' },
      broken: { email: 'felix@dns-broken.de' },
      disposable: { email: 'test@mailinator.com' },
    };
    for (const [key, body] of Object.entries(people)) {
      const created = await call('POST', '/api/v1/contacts', body);
      expect(created.statusCode, created.body).toBe(201);
      ids[key] = created.json().contact.id;
    }
  });
  afterAll(async () => {
    await t?.close();
    await dns?.close();
  });

  it('never asks DNS while a contact is created; the background job does, through the cache', async () => {
    expect(dns.asked).toEqual([]);
    expect(await reasons('full')).toContain('domain_unchecked');
    await runJob('contacts.check-domains');
    expect(dns.asked.length).toBeGreaterThan(0);

    expect(await reasons('full')).not.toContain('domain_unchecked');
    expect(await reasons('aRecord')).not.toEqual(expect.arrayContaining(['domain_no_mx']));
    expect(await reasons('noMx')).toContain('domain_no_mx');
    expect(await reasons('nullMx')).toContain('domain_null_mx');
    expect(await reasons('missing')).toContain('domain_not_found');
    expect(await reasons('broken')).toContain('domain_unknown');
    expect(await reasons('role')).toContain('role_address');
    expect(await reasons('disposable')).toEqual(expect.arrayContaining(['disposable_domain']));

    const cache = await t.deps.db.selectFrom('email_domains').select(['domain', 'status']).execute();
    expect(Object.fromEntries(cache.map((c) => [c.domain, c.status]))).toMatchObject({
      'mueller-maschinenbau.de': 'ok',
      'only-a-record.de': 'ok',
      'no-mail-server.de': 'no_mx',
      'null-mx.de': 'null_mx',
      'does-not-exist.de': 'not_found',
      'dns-broken.de': 'unknown',
    });
    // A new contact of a known domain is scored from the cache: no new question.
    const asked = dns.asked.length;
    const res = await call('POST', '/api/v1/contacts', { email: 'gabi@mueller-maschinenbau.de' });
    expect(res.statusCode).toBe(201);
    ids.gabi = res.json().contact.id;
    await runJob('contacts.check-domains');
    expect(dns.asked.length).toBe(asked);
    expect(await reasons('gabi')).not.toContain('domain_unchecked');
  });

  it('scores completeness and freshness with reasons, flags stale fields, and aggregates per selection', async () => {
    const full = (await call('GET', `/api/v1/contacts/${ids.full}`)).json();
    expect(full.quality.completeness).toBe(1);
    expect(full.quality.stale).toEqual([]);
    expect(full.contact.fieldMeta.job_title.source).toMatch(/^user:/);
    const noMx = (await call('GET', `/api/v1/contacts/${ids.noMx}`)).json();
    expect(noMx.quality.missing).toEqual(
      expect.arrayContaining(['first_name', 'last_name', 'job_title', 'phone', 'custom.budget']),
    );
    expect(noMx.contact.qualityScore).toBeLessThan(full.contact.qualityScore);

    // A year and more later, nobody re-confirmed the fields: the refresh job flags them stale.
    clock.advance(400 * DAY);
    admin = await t.login(); // the session expired meanwhile
    await runJob('contacts.refresh-quality');
    const later = (await call('GET', `/api/v1/contacts/${ids.full}`)).json();
    expect(later.quality.stale).toEqual(expect.arrayContaining(['first_name', 'job_title', 'custom.budget']));
    expect(
      later.contact.qualityReasons.filter((r: { code: string }) => r.code === 'stale_field').length,
    ).toBeGreaterThan(0);
    expect(later.contact.qualityScore).toBeLessThan(full.contact.qualityScore);
    // The MX cache entries expired meanwhile: the contacts wait for a new check.
    expect(await reasons('full')).toContain('domain_unchecked');
    // Re-confirming a field makes it fresh again.
    await call('PATCH', `/api/v1/contacts/${ids.full}`, { jobTitle: 'Leiterin Marketing' });
    const confirmed = (await call('GET', `/api/v1/contacts/${ids.full}`)).json();
    expect(confirmed.quality.stale).not.toContain('job_title');

    const stale = await call('POST', '/api/v1/contacts/count', {
      filter: { kind: 'group', op: 'and', children: [{ kind: 'quality', reason: 'stale_field' }] },
    });
    expect(stale.statusCode, stale.body).toBe(200);
    expect(stale.json().count).toBeGreaterThan(0);
    const agg = await call('POST', '/api/v1/contacts/quality', {
      filter: { kind: 'group', op: 'and', children: [] },
    });
    expect(agg.statusCode, agg.body).toBe(200);
    const body = agg.json();
    expect(body.contacts).toBe(9);
    expect(body.averageScore).toBeGreaterThan(0);
    const codes = Object.fromEntries(
      body.reasons.map((r: { code: string; contacts: number }) => [r.code, r.contacts]),
    );
    expect(codes.role_address).toBe(1);
    expect(codes.disposable_domain).toBe(1);
    expect(codes.stale_field).toBeGreaterThan(0);
  });
});
