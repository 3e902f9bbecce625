import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeMailRuntime } from '../../src/modules/mail/index.js';
import { createDemoWorkspace, type DemoResult } from '../../src/ops/demo.js';
import { collectJobs } from '../../src/server.js';
import { JobWorker } from '../../src/shared/jobs/index.js';
import { type Caller, createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';
import { until } from '../support/mail.js';

const kinds = await availableDbKinds();

/** `leadwerk demo` sets up sales: reps, territories, SLA, and the MQL contacts waiting in the inbox. */
describe.each(kinds)('sales demo data on %s', (kind) => {
  let t: TestApp;
  let demo: DemoResult;

  const as = async (email: string): Promise<Caller> => {
    const login = await t.login(email, demo.password);
    return {
      ...login,
      headers: (extra = {}) => ({ ...login.headers(), 'x-workspace-id': demo.workspace.id, ...extra }),
    };
  };
  const get = async (caller: Caller, url: string) => {
    const res = await t.app.inject({ method: 'GET', url, headers: caller.headers() });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };

  beforeAll(async () => {
    t = await createTestApp(kind);
    demo = await createDemoWorkspace(t.deps);
  });
  afterAll(async () => {
    if (t) await closeMailRuntime(t.deps);
    await t?.close();
  });

  it('has reps with working hours, territories, an SLA and every MQL contact in the inbox', async () => {
    expect(demo.seeded).toContain('sales');
    const admin = await as(demo.users.find((u) => u.role === 'admin')!.email);
    const reps = (await get(admin, '/api/v1/sales/reps')).items as {
      name: string;
      rep: { active: boolean; isManager: boolean; absences: unknown[] } | null;
    }[];
    const active = reps.filter((r) => r.rep?.active);
    expect(active.map((r) => r.name).sort()).toEqual(['Emily Clarke', 'Jonas Weber', 'Katrin Vogel']);
    expect(reps.find((r) => r.name === 'Katrin Vogel')!.rep!.isManager).toBe(true);
    expect(reps.find((r) => r.name === 'Emily Clarke')!.rep!.absences).toHaveLength(1);
    const territories = (await get(admin, '/api/v1/sales/territories')).items as { name: string }[];
    expect(territories.map((x) => x.name)).toEqual(['DACH', 'UK & Ireland']);
    const settings = await get(admin, '/api/v1/sales/settings');
    expect(settings).toMatchObject({ slaMinutes: 240, reminderMinutes: 120, escalation: 'notify_manager' });

    const mqls = await t.deps.db
      .selectFrom('contacts')
      .select(['id', 'country'])
      .where('workspace_id', '=', demo.workspace.id)
      .where('lifecycle_stage', '=', 'mql')
      .execute();
    expect(mqls.length).toBeGreaterThanOrEqual(3);
    const leads = (await get(admin, '/api/v1/sales/leads?view=all')).items as {
      contactId: string;
      status: string;
      slaDueAt: string | null;
      assignedName: string | null;
    }[];
    expect(leads.map((l) => l.contactId).sort()).toEqual(mqls.map((m) => m.id).sort());
    for (const lead of leads) {
      expect(lead.status).toBe('assigned');
      expect(lead.slaDueAt).not.toBeNull();
    }
    // The British MQL lands in the UK territory, the German ones with the German rep (or their owner).
    const british = mqls.find((m) => m.country === 'GB')!;
    expect(leads.find((l) => l.contactId === british.id)!.assignedName).toBe('Emily Clarke');

    // The rep sees their leads in the inbox and a notification for each.
    const jonas = await as(demo.users.find((u) => u.name === 'Jonas Weber')!.email);
    const mine = (await get(jonas, '/api/v1/sales/leads')).items as { assignedName: string }[];
    const jonasLeads = leads.filter((l) => l.assignedName === 'Jonas Weber');
    expect(mine).toHaveLength(jonasLeads.length);
    const bell = (await get(jonas, '/api/v1/notifications')).items as unknown[];
    expect(bell.length).toBe(jonasLeads.length);
  });

  it('has scoring rules whose recompute scores the demo contacts with reasons', async () => {
    expect(demo.seeded).toContain('scoring');
    const rules = await t.deps.db
      .selectFrom('scoring_rules')
      .select(['kind', 'name'])
      .where('workspace_id', '=', demo.workspace.id)
      .execute();
    expect(rules.filter((r) => r.kind === 'fit').length).toBeGreaterThanOrEqual(3);
    expect(rules.filter((r) => r.kind === 'engagement').length).toBeGreaterThanOrEqual(3);
    const worker = new JobWorker({
      handle: t.deps.handle,
      definitions: collectJobs(t.deps),
      clock: t.deps.clock,
      log: t.deps.log,
      concurrency: { critical: 1, default: 2, bulk: 1 },
      pollMs: 50,
    });
    await worker.start();
    try {
      await until('the demo recompute', async () => {
        const open = await t.deps.db
          .selectFrom('scoring_recomputes')
          .select('state')
          .where('workspace_id', '=', demo.workspace.id)
          .where('state', 'not in', ['done', 'failed'])
          .execute();
        return open.length === 0;
      });
    } finally {
      await worker.stop(1000);
    }
    // The maintenance lead ("Leiterin Instandhaltung" in Germany) has fit from two rules, with reasons.
    const lead = await t.deps.db
      .selectFrom('contacts as c')
      .innerJoin('contact_scores as s', 's.contact_id', 'c.id')
      .select(['s.fit', 'c.job_title'])
      .where('c.workspace_id', '=', demo.workspace.id)
      .where('c.job_title', '=', 'Leiterin Instandhaltung')
      .executeTakeFirstOrThrow();
    expect(Number(lead.fit)).toBeGreaterThanOrEqual(20);
  });
});
