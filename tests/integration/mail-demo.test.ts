import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeMailRuntime } from '../../src/modules/mail/index.js';
import { createDemoWorkspace, type DemoResult } from '../../src/ops/demo.js';
import { createTestApp, type TestApp } from '../support/app.js';

describe('mail demo data', () => {
  let t: TestApp;
  let demo: DemoResult;

  beforeAll(async () => {
    t = await createTestApp('pglite');
    demo = await createDemoWorkspace(t.deps);
  });
  afterAll(async () => {
    if (t) await closeMailRuntime(t.deps);
    await t?.close();
  });

  it('has a layout with imprint, a sending domain, de/en templates and mail that went through the send path', async () => {
    const ws = demo.workspace.id;
    expect(demo.seeded).toContain('mail');
    const settings = await t.deps.db
      .selectFrom('mail_settings')
      .selectAll()
      .where('workspace_id', '=', ws)
      .executeTakeFirstOrThrow();
    expect(settings.imprint).toContain('HRB');
    const domains = await t.deps.db
      .selectFrom('sending_domains')
      .select('domain')
      .where('workspace_id', '=', ws)
      .execute();
    expect(domains).toHaveLength(1);
    const templates = await t.deps.db
      .selectFrom('mail_templates')
      .select(['kind'])
      .where('workspace_id', '=', ws)
      .execute();
    expect(templates.map((x) => x.kind).sort()).toEqual(['marketing', 'transactional']);
    const variants = await t.deps.db
      .selectFrom('mail_template_variants')
      .select('locale')
      .where('workspace_id', '=', ws)
      .execute();
    expect(variants).toHaveLength(4);
    const messages = await t.deps.db
      .selectFrom('messages')
      .select(['status', 'status_reason'])
      .where('workspace_id', '=', ws)
      .execute();
    const statuses = new Set(messages.map((m) => m.status));
    expect(statuses).toContain('sent');
    expect(statuses).toContain('bounced');
    expect(statuses).toContain('skipped');
    const outbox = await t.deps.db
      .selectFrom('outbox_messages')
      .select('raw')
      .where('workspace_id', '=', ws)
      .execute();
    expect(outbox.length).toBeGreaterThan(1);
    expect(outbox.some((o) => /^DKIM-Signature: /m.test(o.raw))).toBe(true);
    const suppressions = await t.deps.db
      .selectFrom('suppressions')
      .select('reason')
      .where('workspace_id', '=', ws)
      .execute();
    expect(suppressions.map((s) => s.reason)).toContain('hard_bounce');
  });
});
