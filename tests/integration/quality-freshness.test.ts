import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactsModule } from '../../src/modules/contacts/index.js';
import { rescoreWorkspaceJob } from '../../src/modules/contacts/quality.service.js';
import { collectJobs } from '../../src/server.js';
import { ManualClock } from '../../src/shared/clock.js';
import { type JobContext, JobWorker } from '../../src/shared/jobs/index.js';
import { createLogger } from '../../src/shared/log.js';
import { type Caller, createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';
import { until } from '../support/mail.js';

/*
 * The workspace's freshness period (PATCH /api/v1/workspace staleAfterDays): the data-quality
 * score and the default of re-permission follow it; bad values are refused with a stable code and
 * the change is audited. The change enqueues the re-scoring of the workspace's stored scores
 * (contacts.rescore-workspace, one pending per workspace), run here by the real worker.
 */

const kinds = await availableDbKinds();
const DAY = 86_400_000;

describe.each(kinds)('workspace freshness period on %s', (kind) => {
  let t: TestApp;
  let admin: Caller;
  const clock = new ManualClock('2026-02-01T09:00:00Z');
  let contactId = '';
  let secondId = '';

  const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url,
      headers: admin.headers(),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  const detail = async () => {
    const res = await call('GET', `/api/v1/contacts/${contactId}`);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as {
      contact: { qualityReasons: { code: string; field: string | null }[] };
      quality: { stale: string[] };
    };
  };
  const dryRun = async () => {
    const res = await call('POST', '/api/v1/consent/repermission', { contactIds: [contactId], dryRun: true });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { eligible: number; wouldQueue: number; skipped: Record<string, number> };
  };
  const storedCodes = async (id: string) =>
    (
      await t.deps.db
        .selectFrom('contacts')
        .select('quality_reasons')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).quality_reasons as { code: string; field?: string | null }[];
  const rescoreJobs = () =>
    t.deps.db
      .selectFrom('jobs')
      .select(['idempotency_key', 'payload', 'state'])
      .where('name', '=', 'contacts.rescore-workspace')
      .execute();
  async function refreshScores() {
    const job = contactsModule.recurring!(t.deps).find((r) => r.job.name === 'contacts.refresh-quality')!.job;
    await job.handler({}, {
      db: t.deps.db,
      clock,
      log: createLogger('silent'),
    } as unknown as JobContext);
  }

  beforeAll(async () => {
    t = await createTestApp(kind, { clock });
    admin = await t.login();
    const created = await call('POST', '/api/v1/contacts', {
      email: 'frieda.fresh@example.com',
      firstName: 'Frieda',
      lastName: 'Fresh',
    });
    expect(created.statusCode, created.body).toBe(201);
    contactId = created.json().contact.id;
    const second = await call('POST', '/api/v1/contacts', {
      email: 'fritz.fresh@example.com',
      firstName: 'Fritz',
      lastName: 'Fresh',
    });
    expect(second.statusCode, second.body).toBe(201);
    secondId = second.json().contact.id;
    const consent = await call('POST', `/api/v1/consent/contacts/${contactId}/changes`, {
      purpose: 'newsletter',
      status: 'confirmed',
      note: 'confirmed on paper at the trade fair (form on file)',
    });
    expect(consent.statusCode, consent.body).toBe(200);
    // 40 days later: fresh under the default of 365 days, stale under 30.
    clock.advance(40 * DAY);
    admin = await t.login();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('starts at 365 days: a field confirmed 40 days ago is fresh and the consent is not asked again', async () => {
    const ws = await call('GET', '/api/v1/workspace');
    expect(ws.json().workspace.staleAfterDays).toBe(365);
    expect((await detail()).quality.stale).toEqual([]);
    await refreshScores();
    expect((await detail()).contact.qualityReasons.map((r) => r.code)).not.toContain('stale_field');
    expect(await dryRun()).toMatchObject({ eligible: 0, wouldQueue: 0, skipped: { confirmed: 1 } });
  });

  it('set to 30 days: the field confirmed 40 days ago is stale, scored so, and re-permission asks by default', async () => {
    const res = await call('PATCH', '/api/v1/workspace', { staleAfterDays: 30 });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().workspace.staleAfterDays).toBe(30);

    const d = await detail();
    expect(d.quality.stale).toEqual(expect.arrayContaining(['first_name', 'last_name']));
    // The stored scores are not touched in the request: one re-scoring of the workspace is queued.
    expect((await storedCodes(contactId)).map((r) => r.code)).not.toContain('stale_field');
    expect(await rescoreJobs()).toEqual([
      expect.objectContaining({ idempotency_key: t.workspaceId, payload: { workspaceId: t.workspaceId } }),
    ]);
    // Idempotent per workspace: more changes while it is pending add no second run; a save
    // without a change of the period adds none either.
    expect((await call('PATCH', '/api/v1/workspace', { staleAfterDays: 31 })).statusCode).toBe(200);
    expect((await call('PATCH', '/api/v1/workspace', { staleAfterDays: 30 })).statusCode).toBe(200);
    expect((await call('PATCH', '/api/v1/workspace', { staleAfterDays: 30, name: 'Acme' })).statusCode).toBe(
      200,
    );
    expect(await rescoreJobs()).toHaveLength(1);

    // The real worker runs it, a page of one contact per run here (so the run continues itself),
    // without the daily refresh: the clock has not moved since the scores were stored.
    const worker = new JobWorker({
      handle: t.deps.handle,
      definitions: collectJobs(t.deps).map((def) =>
        def.name === 'contacts.rescore-workspace' ? rescoreWorkspaceJob(t.deps, 1) : def,
      ),
      clock,
      log: t.deps.log,
      concurrency: { critical: 1, default: 1, bulk: 1 },
      pollMs: 20,
    });
    await worker.start();
    try {
      worker.wake();
      await until('workspace re-scored', async () => (await rescoreJobs()).length === 0);
    } finally {
      await worker.stop(1000);
    }
    for (const id of [contactId, secondId])
      expect(await storedCodes(id)).toEqual(
        expect.arrayContaining([expect.objectContaining({ code: 'stale_field', field: 'first_name' })]),
      );
    const reasons = (await detail()).contact.qualityReasons;
    expect(reasons).toEqual(
      expect.arrayContaining([expect.objectContaining({ code: 'stale_field', field: 'first_name' })]),
    );
    expect(await dryRun()).toMatchObject({ eligible: 1, wouldQueue: 1 });
    // A period in the request still wins over the workspace's.
    const explicit = await call('POST', '/api/v1/consent/repermission', {
      contactIds: [contactId],
      freshnessDays: 60,
      dryRun: true,
    });
    expect(explicit.json()).toMatchObject({ eligible: 0, skipped: { confirmed: 1 } });

    const audit = await t.deps.db
      .selectFrom('audit_log')
      .select(['details'])
      .where('workspace_id', '=', t.workspaceId)
      .where('action', '=', 'workspaces.updated')
      .execute();
    expect(audit.map((a) => a.details)).toContainEqual(
      expect.objectContaining({
        before: expect.objectContaining({ staleAfterDays: 365 }),
        patch: { staleAfterDays: 30 },
      }),
    );
  });

  it('refuses values outside 30–3650 days with a stable code and keeps the setting', async () => {
    for (const bad of [29, 0, -5, 3651, 45.5]) {
      const res = await call('PATCH', '/api/v1/workspace', { staleAfterDays: bad });
      expect(res.statusCode, `${bad}: ${res.body}`).toBe(400);
      expect(res.json().error.code).toBe('STALE_DAYS_OUT_OF_RANGE');
    }
    const text = await call('PATCH', '/api/v1/workspace', { staleAfterDays: 'a year' });
    expect(text.statusCode).toBe(400);
    expect(text.json().error.code).toBe('VALIDATION_FAILED');
    expect((await call('GET', '/api/v1/workspace')).json().workspace.staleAfterDays).toBe(30);
    expect((await call('PATCH', '/api/v1/workspace', { staleAfterDays: 3650 })).statusCode).toBe(200);
  });

  it('is changed by admins only', async () => {
    const invite = await call('POST', '/api/v1/members', {
      email: 'mara.marketing@example.com',
      name: 'Mara Marketing',
      role: 'marketing',
      password: 'a-long-enough-password-1',
    });
    expect(invite.statusCode, invite.body).toBe(201);
    const marketing = await t.login('mara.marketing@example.com', 'a-long-enough-password-1');
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/api/v1/workspace',
      headers: marketing.headers(),
      payload: { staleAfterDays: 90 },
    });
    expect(res.statusCode).toBe(403);
  });
});
