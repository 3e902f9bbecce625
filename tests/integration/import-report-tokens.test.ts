import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactsModule } from '../../src/modules/contacts/index.js';
import { ManualClock } from '../../src/shared/clock.js';
import { JobWorker } from '../../src/shared/jobs/index.js';
import { type Caller, createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';
import { until } from '../support/mail.js';

/*
 * The import's error report streams to disk like the contact export: POST
 * /api/v1/imports/:id/report-tokens returns a single-use URL (the export tokens, kind
 * `import_report`); GET /api/v1/imports/report?token=… streams the CSV as an attachment to the
 * same user (session cookie only, as a browser navigation sends it). The direct route
 * GET /imports/:id/report.csv stays for API clients (and, with `limit`, for the page's preview).
 */

const kinds = await availableDbKinds();
const csvLines = (body: string) => body.replace('\uFEFF', '').trim().split('\r\n');

describe.each(kinds)('import report download links on %s', (kind) => {
  let t: TestApp;
  let admin: Caller;
  let colleague: Caller;
  let worker: JobWorker;
  let otherWs = '';
  let importId = '';
  const clock = new ManualClock('2026-06-01T08:00:00Z');

  const call = (caller: Caller, method: 'GET' | 'POST', url: string, payload?: unknown, extra = {}) =>
    t.app.inject({
      method,
      url,
      headers: caller.headers(extra),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });
  /** What a browser navigation sends: the session cookie, nothing else. */
  const navigate = (caller: Caller, url: string, extra: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url, headers: { cookie: caller.cookie, ...extra } });
  const issue = async (caller: Caller = admin, id = importId) => {
    const res = await call(caller, 'POST', `/api/v1/imports/${id}/report-tokens`, {});
    expect(res.statusCode, res.body).toBe(201);
    return res.json().url as string;
  };
  const code = (res: { statusCode: number; json(): { error?: { code?: string } } }) => [
    res.statusCode,
    res.json().error?.code,
  ];

  beforeAll(async () => {
    t = await createTestApp(kind, { clock });
    admin = await t.login();
    worker = new JobWorker({
      handle: t.deps.handle,
      definitions: contactsModule.jobs!(t.deps),
      clock,
      log: t.deps.log,
      pollMs: 50,
    });
    await worker.start();
    const up = await t.app.inject({
      method: 'POST',
      url: '/api/v1/imports?fileName=fair.csv',
      headers: admin.headers({ 'content-type': 'text/csv' }),
      payload: 'email,first_name\nnot-an-address,Bad\nok@valid.de,Ok\nalso-bad,Also\n',
    });
    expect(up.statusCode, up.body).toBe(201);
    importId = up.json().import.id;
    const start = await call(admin, 'POST', `/api/v1/imports/${importId}/start`, {
      mapping: up.json().suggestedMapping,
      existing: 'skip',
      mode: 'valid_rows',
    });
    expect(start.statusCode, start.body).toBe(200);
    worker.wake();
    await until('import done', async () => {
      const imp = (await call(admin, 'GET', `/api/v1/imports/${importId}`)).json().import;
      return imp.status === 'done' ? imp : null;
    });

    const member = await call(admin, 'POST', '/api/v1/members', {
      email: 'colleague@firma.de',
      role: 'marketing',
      password: 'colleague-password-123',
    });
    expect(member.statusCode, member.body).toBe(201);
    colleague = await t.login('colleague@firma.de', 'colleague-password-123');
    const ws = await call(admin, 'POST', '/api/v1/workspaces', {
      name: 'Other Import Co',
      slug: 'other-import',
    });
    expect(ws.statusCode, ws.body).toBe(201);
    otherWs = ws.json().workspace.id;
  });
  afterAll(async () => {
    await worker?.stop(5000);
    await t?.close();
  });

  it('streams the whole report as an attachment, once', async () => {
    const url = await issue();
    expect(url).toMatch(/^\/api\/v1\/imports\/report\?token=[A-Za-z0-9_-]{40,}&lang=en$/);
    const res = await navigate(admin, url);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="import-${importId}-report.csv"`);
    const lines = csvLines(res.body);
    expect(lines[0]).toBe('row,email,outcome,error');
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^1,not-an-address,error,/),
      expect.stringMatching(/^3,also-bad,error,/),
    ]);
    // Single use: the same link again is refused.
    expect(code(await navigate(admin, url))).toEqual([409, 'EXPORT_TOKEN_USED']);
    // Stored as a hashed token of its own kind, for this import.
    const rows = await t.deps.db
      .selectFrom('contact_export_tokens')
      .select(['kind', 'target_id', 'token_hash'])
      .where('kind', '=', 'import_report')
      .execute();
    expect(rows).toEqual([expect.objectContaining({ kind: 'import_report', target_id: importId })]);
    expect(rows[0]!.token_hash).not.toBe(new URL(url, 'http://x').searchParams.get('token'));
    // The download is in the audit log (the report names rows of the file), once.
    const audited = await t.deps.db
      .selectFrom('audit_log')
      .select(['details'])
      .where('action', '=', 'contacts.import-report-downloaded')
      .execute();
    expect(audited).toHaveLength(1);
    expect(audited[0]!.details).toMatchObject({ importId });
  });

  it('keeps the direct route for API clients, and its limit for the preview', async () => {
    const key = await call(admin, 'POST', '/api/v1/api-keys', { name: 'Reader', scopes: ['contacts:read'] });
    expect(key.statusCode, key.body).toBe(201);
    const bearer = { authorization: `Bearer ${key.json().key}` };
    const downloads = async () =>
      (
        await t.deps.db
          .selectFrom('audit_log')
          .select(['actor_api_key_id'])
          .where('action', '=', 'contacts.import-report-downloaded')
          .execute()
      ).length;
    const before = await downloads();
    const direct = await t.app.inject({
      method: 'GET',
      url: `/api/v1/imports/${importId}/report.csv`,
      headers: bearer,
    });
    expect(direct.statusCode, direct.body).toBe(200);
    expect(csvLines(direct.body)).toHaveLength(3);
    const preview = await call(admin, 'GET', `/api/v1/imports/${importId}/report.csv?limit=1`);
    expect(csvLines(preview.body)).toEqual(['row,email,outcome,error', expect.stringMatching(/^1,/)]);
    // The whole download is audited; the preview of a few rows on the imports page is not.
    expect(await downloads()).toBe(before + 1);
    // Tokens are for browser sessions, not API keys.
    const viaKey = await t.app.inject({
      method: 'POST',
      url: `/api/v1/imports/${importId}/report-tokens`,
      headers: bearer,
      payload: {},
    });
    expect(code(viaKey)).toEqual([403, 'FORBIDDEN']);
  });

  it('expires after two minutes', async () => {
    const url = await issue();
    clock.advance(121_000);
    expect(code(await navigate(admin, url))).toEqual([410, 'EXPORT_TOKEN_EXPIRED']);
  });

  it('answers a wrong token, a token of another kind, and no session with stable codes', async () => {
    admin = await t.login();
    expect(code(await navigate(admin, '/api/v1/imports/report?token=not-a-real-token'))).toEqual([
      404,
      'EXPORT_TOKEN_INVALID',
    ]);
    expect((await navigate(admin, '/api/v1/imports/report')).statusCode).toBe(400);
    // A contact export link does not download a report (and is not used up by trying) …
    const exportRes = await call(admin, 'POST', '/api/v1/contacts/export-tokens', {
      selection: {},
      columns: 'email',
    });
    expect(exportRes.statusCode, exportRes.body).toBe(201);
    const exportToken = new URL(exportRes.json().url, 'http://x').searchParams.get('token')!;
    expect(code(await navigate(admin, `/api/v1/imports/report?token=${exportToken}`))).toEqual([
      404,
      'EXPORT_TOKEN_INVALID',
    ]);
    expect((await navigate(admin, exportRes.json().url)).statusCode).toBe(200);
    // … nor a report link a contact export.
    const url = await issue();
    const reportToken = new URL(url, 'http://x').searchParams.get('token')!;
    expect(code(await navigate(admin, `/api/v1/contacts/export?token=${reportToken}`))).toEqual([
      404,
      'EXPORT_TOKEN_INVALID',
    ]);
    expect(code(await t.app.inject({ method: 'GET', url }))).toEqual([401, 'UNAUTHENTICATED']);
    expect((await navigate(admin, url)).statusCode).toBe(200);
    // An unknown import gets no link.
    const unknown = await call(
      admin,
      'POST',
      '/api/v1/imports/00000000-0000-7000-8000-000000000000/report-tokens',
      {},
    );
    expect(code(unknown)).toEqual([404, 'NOT_FOUND']);
  });

  it('belongs to the user who asked for it and to the workspace of the import', async () => {
    const url = await issue();
    // Another member of the same workspace cannot use it …
    expect(code(await navigate(colleague, url))).toEqual([404, 'EXPORT_TOKEN_INVALID']);
    // … nor can the owner while naming another workspace.
    expect(code(await navigate(admin, url, { 'x-workspace-id': otherWs }))).toEqual([
      404,
      'EXPORT_TOKEN_INVALID',
    ]);
    // The import is not found from another workspace, so no link is issued there.
    const foreign = await call(
      admin,
      'POST',
      `/api/v1/imports/${importId}/report-tokens`,
      {},
      { 'x-workspace-id': otherWs },
    );
    expect(code(foreign)).toEqual([404, 'NOT_FOUND']);
    // The colleague may ask for a link of their own.
    expect((await navigate(colleague, await issue(colleague))).statusCode).toBe(200);
  });

  it('is refused when the user lost access to the workspace after it was issued', async () => {
    const url = await issue(colleague);
    const user = await t.deps.db
      .selectFrom('users')
      .select('id')
      .where('email', '=', 'colleague@firma.de')
      .executeTakeFirstOrThrow();
    await t.deps.db
      .deleteFrom('memberships')
      .where('workspace_id', '=', t.workspaceId)
      .where('user_id', '=', user.id)
      .execute();
    expect(code(await navigate(colleague, url))).toEqual([403, 'FORBIDDEN']);
  });

  it("downloads the report in the admin UI's language, whatever the browser asks for", async () => {
    const res = await call(
      admin,
      'POST',
      `/api/v1/imports/${importId}/report-tokens`,
      {},
      { 'accept-language': 'de-DE' },
    );
    const url = res.json().url as string;
    expect(url).toMatch(/&lang=de$/);
    const lines = csvLines((await navigate(admin, url, { 'accept-language': 'en-US' })).body);
    expect(lines[0]).toBe('Zeile,E-Mail,Ergebnis,Fehler');
    expect(lines[1]).toMatch(/^1,not-an-address,Fehler,E-Mail-Adresse: /);
  });
});
