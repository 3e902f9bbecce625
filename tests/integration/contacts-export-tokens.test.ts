import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { type Caller, createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';

/*
 * Large exports without the browser holding the file: POST /api/v1/contacts/export-tokens checks
 * the selection and columns and returns a single-use URL; GET /api/v1/contacts/export?token=…
 * streams the CSV as an attachment to the same user (session cookie only, no workspace header,
 * as a browser navigation sends it). Tokens are hashed, single-use, expire, and are bound to
 * the workspace, the user and the user's permission.
 */

const kinds = await availableDbKinds();
const csvLines = (body: string) => body.replace('\uFEFF', '').trim().split('\r\n');

describe.each(kinds)('contact export tokens on %s', (kind) => {
  let t: TestApp;
  let admin: Caller;
  let colleague: Caller;
  let otherWs = '';
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
  const issue = async (body: unknown, caller: Caller = admin) => {
    const res = await call(caller, 'POST', '/api/v1/contacts/export-tokens', body);
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
    for (const body of [
      { email: 'formula@firma.de', firstName: '=HYPERLINK("http://evil")', jobTitle: '@SUM(A1)' },
      { email: 'plain@firma.de', firstName: 'Paula', jobTitle: 'Einkauf' },
      { email: 'third@firma.de', firstName: 'Theo', jobTitle: 'Vertrieb' },
    ]) {
      const res = await call(admin, 'POST', '/api/v1/contacts', body);
      expect(res.statusCode, res.body).toBe(201);
    }
    const member = await call(admin, 'POST', '/api/v1/members', {
      email: 'colleague@firma.de',
      role: 'marketing',
      password: 'colleague-password-123',
    });
    expect(member.statusCode, member.body).toBe(201);
    colleague = await t.login('colleague@firma.de', 'colleague-password-123');
    const ws = await call(admin, 'POST', '/api/v1/workspaces', {
      name: 'Other Export Co',
      slug: 'other-export',
    });
    expect(ws.statusCode, ws.body).toBe(201);
    otherWs = ws.json().workspace.id;
    const foreign = await call(
      admin,
      'POST',
      '/api/v1/contacts',
      { email: 'foreign@other.de' },
      {
        'x-workspace-id': otherWs,
      },
    );
    expect(foreign.statusCode, foreign.body).toBe(201);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('streams the chosen columns as an attachment, formulas escaped, once', async () => {
    const url = await issue({ selection: {}, columns: 'email,first_name,job_title' });
    expect(url).toMatch(/^\/api\/v1\/contacts\/export\?token=[A-Za-z0-9_-]{40,}$/);
    const res = await navigate(admin, url);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-disposition']).toBe('attachment; filename="contacts.csv"');
    expect(csvLines(res.body)).toEqual([
      'email,first_name,job_title',
      // keyset order is by id (UUIDv7: creation order); only this workspace's contacts
      `formula@firma.de,"'=HYPERLINK(""http://evil"")",'@SUM(A1)`,
      'plain@firma.de,Paula,Einkauf',
      'third@firma.de,Theo,Vertrieb',
    ]);
    // Single use: the same link again is refused.
    expect(code(await navigate(admin, url))).toEqual([409, 'EXPORT_TOKEN_USED']);
    const audit = await t.deps.db
      .selectFrom('audit_log')
      .select('details')
      .where('workspace_id', '=', t.workspaceId)
      .where('action', '=', 'contacts.exported')
      .execute();
    expect(audit.map((a) => a.details)).toContainEqual(expect.objectContaining({ via: 'token' }));
  });

  it('keeps the selection: hand-picked ids and a filter', async () => {
    const list = (await call(admin, 'GET', '/api/v1/contacts?q=plain@firma.de')).json().items;
    const picked = await navigate(admin, await issue({ selection: { ids: [list[0].id] }, columns: 'email' }));
    expect(csvLines(picked.body)).toEqual(['email', 'plain@firma.de']);
    const filter = {
      kind: 'group',
      op: 'and',
      children: [{ kind: 'field', field: 'job_title', operator: 'eq', value: 'Vertrieb' }],
    };
    const filtered = await navigate(admin, await issue({ selection: { filter }, columns: 'email' }));
    expect(csvLines(filtered.body)).toEqual(['email', 'third@firma.de']);
  });

  it('stores only a hash of the token', async () => {
    const url = await issue({ selection: {}, columns: 'email' });
    const token = new URL(url, 'http://x').searchParams.get('token')!;
    const rows = await t.deps.db.selectFrom('contact_export_tokens').select('token_hash').execute();
    const hashes = rows.map((r) => r.token_hash);
    expect(hashes).not.toContain(token);
    expect(hashes).toContain(createHash('sha256').update(token).digest('hex'));
  });

  it('expires after two minutes', async () => {
    const url = await issue({ selection: {}, columns: 'email' });
    clock.advance(121_000);
    expect(code(await navigate(admin, url))).toEqual([410, 'EXPORT_TOKEN_EXPIRED']);
  });

  it('answers a wrong or missing token with stable codes, and needs a session', async () => {
    expect(code(await navigate(admin, '/api/v1/contacts/export?token=not-a-real-token'))).toEqual([
      404,
      'EXPORT_TOKEN_INVALID',
    ]);
    expect((await navigate(admin, '/api/v1/contacts/export')).statusCode).toBe(400);
    const url = await issue({ selection: {}, columns: 'email' });
    const anonymous = await t.app.inject({ method: 'GET', url });
    expect(code(anonymous)).toEqual([401, 'UNAUTHENTICATED']);
    // Still unused: the owner can fetch it.
    expect((await navigate(admin, url)).statusCode).toBe(200);
  });

  it('is checked when issued: unknown column or segment, no permission, API keys', async () => {
    const bad = await call(admin, 'POST', '/api/v1/contacts/export-tokens', {
      selection: {},
      columns: 'email,password',
    });
    expect(code(bad)).toEqual([400, 'VALIDATION_FAILED']);
    const key = await call(admin, 'POST', '/api/v1/api-keys', { name: 'Forms only', scopes: ['forms:read'] });
    expect(key.statusCode, key.body).toBe(201);
    const noScope = await t.app.inject({
      method: 'POST',
      url: '/api/v1/contacts/export-tokens',
      headers: { authorization: `Bearer ${key.json().key}` },
      payload: { selection: {} },
    });
    expect(code(noScope)).toEqual([403, 'FORBIDDEN']);
    const readKey = await call(admin, 'POST', '/api/v1/api-keys', {
      name: 'Reader',
      scopes: ['contacts:read'],
    });
    const viaKey = await t.app.inject({
      method: 'POST',
      url: '/api/v1/contacts/export-tokens',
      headers: { authorization: `Bearer ${readKey.json().key}` },
      payload: { selection: {} },
    });
    // API clients stream GET /contacts/export.csv directly; tokens are for browser sessions.
    expect(code(viaKey)).toEqual([403, 'FORBIDDEN']);
  });

  it('belongs to the user who asked for it and to the workspace it was issued in', async () => {
    const url = await issue({ selection: {}, columns: 'email' });
    // Another member of the same workspace cannot use it …
    expect(code(await navigate(colleague, url))).toEqual([404, 'EXPORT_TOKEN_INVALID']);
    // … nor can the owner while naming another workspace.
    expect(code(await navigate(admin, url, { 'x-workspace-id': otherWs }))).toEqual([
      404,
      'EXPORT_TOKEN_INVALID',
    ]);

    // Issued in the other workspace: that workspace's contacts only.
    const res = await call(
      admin,
      'POST',
      '/api/v1/contacts/export-tokens',
      { selection: {}, columns: 'email' },
      { 'x-workspace-id': otherWs },
    );
    expect(res.statusCode, res.body).toBe(201);
    expect(csvLines((await navigate(admin, res.json().url)).body)).toEqual(['email', 'foreign@other.de']);
  });

  it('is refused when the user lost access to the workspace after it was issued', async () => {
    const url = await issue({ selection: {}, columns: 'email' }, colleague);
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
});
