import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSuppression } from '../../src/modules/suppression/index.js';
import { collectJobs } from '../../src/server.js';
import { JobWorker } from '../../src/shared/jobs/index.js';
import { type Caller, createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';

const kinds = await availableDbKinds();

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(kinds)('CSV import: dry run, confirm, stage history on %s', (kind) => {
  let t: TestApp;
  let admin: Caller;
  let worker: JobWorker;

  const call = async (method: string, url: string, payload?: unknown) =>
    t.app.inject({
      method: method as 'GET',
      url,
      headers: admin.headers(),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  async function startReviewed(csv: string, settings: Record<string, unknown>) {
    const up = await t.app.inject({
      method: 'POST',
      url: '/api/v1/imports?fileName=review.csv',
      headers: admin.headers({ 'content-type': 'text/csv' }),
      payload: csv,
    });
    expect(up.statusCode, up.body).toBe(201);
    const id = up.json().import.id as string;
    const start = await call('POST', `/api/v1/imports/${id}/start`, {
      mapping: up.json().suggestedMapping,
      existing: 'update',
      mode: 'all_or_nothing',
      review: true,
      ...settings,
    });
    expect(start.statusCode, start.body).toBe(200);
    worker.wake();
    return until(
      async () => (await call('GET', `/api/v1/imports/${id}`)).json().import,
      (i) => ['staged', 'done', 'failed', 'cancelled'].includes(i.status),
    );
  }

  const waitDone = (id: string) =>
    until(
      async () => (await call('GET', `/api/v1/imports/${id}`)).json().import,
      (i) => ['done', 'failed', 'cancelled'].includes(i.status),
    );

  const contact = (email: string) =>
    t.deps.db
      .selectFrom('contacts')
      .selectAll()
      .where('workspace_id', '=', t.workspaceId)
      .where('email_normalized', '=', email)
      .executeTakeFirst();

  beforeAll(async () => {
    t = await createTestApp(kind);
    admin = await t.login();
    worker = new JobWorker({
      handle: t.deps.handle,
      // Routing to sales is the sales module's business; its job stays queued here.
      definitions: collectJobs(t.deps).filter((d) => d.name !== 'sales.route-lead'),
      clock: t.deps.clock,
      log: t.deps.log,
      pollMs: 50,
    });
    await worker.start();
    for (const email of ['known@review.de', 'stage@review.de']) {
      const res = await call('POST', '/api/v1/contacts', { email, firstName: 'Alt' });
      expect(res.statusCode, res.body).toBe(201);
    }
    await addSuppression(t.deps.db, t.workspaceId, 'blocked@review.de', { reason: 'unsubscribed' });
  });
  afterAll(async () => {
    await worker?.stop(5000);
    await t?.close();
  });

  it('shows what would happen before anything is written, and applies only after confirmation', async () => {
    const csv = [
      'email,first_name',
      'new1@review.de,Neu',
      'new2@review.de,Neu',
      'known@review.de,Bekannt',
      'blocked@review.de,Gesperrt',
      'kein-adresse,Falsch',
    ].join('\n');
    const staged = await startReviewed(csv, {});
    expect(staged.status).toBe('staged');
    expect(staged.review).toMatchObject({
      rows: 5,
      create: 2,
      update: 1,
      skip: 0,
      suppressed: 1,
      rejected: 1,
      errors: [{ row: 5, email: 'kein-adresse' }],
    });
    expect(staged.review.errors[0].error).toMatch(/e-mail address/);
    // Nothing written yet.
    expect(await contact('new1@review.de')).toBeUndefined();
    expect((await contact('known@review.de'))!.first_name).toBe('Alt');

    // All or nothing with a rejected row is refused with a clear code; valid rows only goes ahead.
    const refused = await call('POST', `/api/v1/imports/${staged.id}/confirm`, {});
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe('IMPORT_HAS_ERRORS');
    const confirmed = await call('POST', `/api/v1/imports/${staged.id}/confirm`, {
      mode: 'valid_rows',
      existing: 'skip',
    });
    expect(confirmed.statusCode, confirmed.body).toBe(200);
    worker.wake();
    const done = await waitDone(staged.id);
    expect(done).toMatchObject({ status: 'done', created: 2, skipped: 1, suppressed: 1, errorRows: 1 });
    expect((await contact('known@review.de'))!.first_name).toBe('Alt');
    expect(await contact('blocked@review.de')).toBeUndefined();
    expect(await contact('new2@review.de')).toMatchObject({ first_name: 'Neu' });
    // A second confirm is a state error.
    expect((await call('POST', `/api/v1/imports/${staged.id}/confirm`, {})).statusCode).toBe(409);
  });

  it('a staged import can be cancelled: nothing is written', async () => {
    const staged = await startReviewed('email\ncancel-me@review.de\n', {});
    expect(staged.status).toBe('staged');
    const cancelled = await call('POST', `/api/v1/imports/${staged.id}/cancel`);
    expect(cancelled.statusCode, cancelled.body).toBe(200);
    expect(await contact('cancel-me@review.de')).toBeUndefined();
  });

  it('records a lifecycle stage set by an import in the stage history with cause "import"', async () => {
    const staged = await startReviewed(
      'email,lifecycle_stage\nstage@review.de,customer\nnew-mql@review.de,mql\nplain@review.de,subscriber\n',
      { mapping: { email: 'email', lifecycle_stage: 'lifecycle_stage' } },
    );
    expect(staged.review).toMatchObject({ create: 2, update: 1, rejected: 0 });
    expect((await call('POST', `/api/v1/imports/${staged.id}/confirm`, {})).statusCode).toBe(200);
    worker.wake();
    expect(await waitDone(staged.id)).toMatchObject({ status: 'done', created: 2, updated: 1 });
    const existing = (await contact('stage@review.de'))!;
    expect(existing.lifecycle_stage).toBe('customer');
    const history = await until(
      () =>
        t.deps.db
          .selectFrom('stage_history')
          .select(['contact_id', 'from_stage', 'to_stage', 'cause'])
          .where('workspace_id', '=', t.workspaceId)
          .where('cause', '=', 'import')
          .execute(),
      (rows) => rows.length >= 2,
    );
    const mql = (await contact('new-mql@review.de'))!;
    const plain = (await contact('plain@review.de'))!;
    expect(history).toEqual(
      expect.arrayContaining([
        { contact_id: existing.id, from_stage: 'subscriber', to_stage: 'customer', cause: 'import' },
        { contact_id: mql.id, from_stage: null, to_stage: 'mql', cause: 'import' },
      ]),
    );
    expect(history.some((h) => h.contact_id === plain.id)).toBe(false);
    const timeline = (await call('GET', `/api/v1/contacts/${existing.id}/timeline`)).json().items;
    expect(timeline.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['contacts.imported', 'contacts.stage-changed']),
    );
  });
});
