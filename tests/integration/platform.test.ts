import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN_LIMITS } from '../../src/modules/identity/auth.service.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, type Caller, createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';

const kinds = await availableDbKinds();

describe.each(kinds)('platform on %s', (kind) => {
  let t: TestApp;
  let admin: Caller;

  beforeAll(async () => {
    t = await createTestApp(kind);
    admin = await t.login();
  });
  afterAll(async () => t?.close());

  describe('login and sessions', () => {
    it('logs in, returns user, workspaces and a CSRF token, and sets an http-only SameSite cookie', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: ADMIN_EMAIL.toUpperCase(), password: ADMIN_PASSWORD },
      });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.user).toMatchObject({ email: ADMIN_EMAIL, isSuperadmin: true });
      expect(body.workspaces).toEqual([expect.objectContaining({ name: 'Acme GmbH', role: 'admin' })]);
      expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{40,}$/);
      const cookie = res.cookies.find((c) => c.name === 'lw_session');
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
      // Only a hash of the token is stored.
      const stored = await t.deps.db.selectFrom('sessions').select('token_hash').execute();
      expect(stored.map((s) => s.token_hash)).not.toContain(cookie!.value);
    });

    it('answers a wrong password and an unknown address the same way', async () => {
      const wrong = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: ADMIN_EMAIL, password: 'wrong password!' },
      });
      const unknown = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'nobody@example.com', password: 'wrong password!' },
      });
      expect(wrong.statusCode).toBe(401);
      expect(unknown.statusCode).toBe(401);
      expect(wrong.json().error.code).toBe('INVALID_CREDENTIALS');
      expect(unknown.json().error).toMatchObject({
        code: 'INVALID_CREDENTIALS',
        message: wrong.json().error.message,
      });
    });

    it('limits login attempts per address and says when to retry', async () => {
      const email = 'target@example.com';
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof t.app.inject>> | undefined;
      for (let i = 0; i < LOGIN_LIMITS.perEmail + 1; i++) {
        last = await t.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { email, password: 'guess-guess' },
        });
        statuses.push(last.statusCode);
      }
      expect(statuses.slice(0, LOGIN_LIMITS.perEmail).every((s) => s === 401)).toBe(true);
      expect(last!.statusCode).toBe(429);
      expect(last!.json().error.code).toBe('RATE_LIMITED');
      expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('ends the session on logout', async () => {
      const caller = await t.login();
      const out = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/logout',
        headers: caller.headers(),
      });
      expect(out.statusCode).toBe(204);
      const after = await t.app.inject({
        method: 'GET',
        url: '/api/v1/auth/session',
        headers: { cookie: caller.cookie },
      });
      expect(after.statusCode).toBe(401);
      expect(after.json().error.code).toBe('UNAUTHENTICATED');
    });

    it('refuses a state change with the session cookie but without the CSRF token', async () => {
      const res = await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/workspace',
        headers: { cookie: admin.cookie, 'x-workspace-id': admin.workspaceId },
        payload: { name: 'Hacked' },
      });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe('CSRF_TOKEN_INVALID');
      const wrong = await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/workspace',
        headers: admin.headers({ 'x-csrf-token': 'x'.repeat(43) }),
        payload: { name: 'Hacked' },
      });
      expect(wrong.statusCode).toBe(403);
    });

    it('changes the language of the user', async () => {
      const res = await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/me',
        headers: admin.headers(),
        payload: { locale: 'de' },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().user.locale).toBe('de');
    });
  });

  describe('errors', () => {
    it('names the invalid field and uses the stable envelope', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/members',
        headers: admin.headers(),
        payload: { email: 'not-an-address', role: 'emperor' },
      });
      expect(res.statusCode).toBe(400);
      const { error } = res.json();
      expect(error.code).toBe('VALIDATION_FAILED');
      expect(error.requestId).toBe(res.headers['x-request-id']);
      const fields = error.details.fields.map((f: { field: string }) => f.field);
      expect(fields).toEqual(expect.arrayContaining(['email', 'role']));
    });

    it('speaks German when the client asks for it', async () => {
      const res = await t.app.inject({
        method: 'GET',
        url: '/api/v1/workspace',
        headers: { 'accept-language': 'de-DE,de;q=0.9' },
      });
      expect(res.statusCode).toBe(401);
      expect(res.json().error.message).toBe('Bitte melden Sie sich an.');
    });

    it('answers unknown routes with ROUTE_NOT_FOUND and keeps a given request id', async () => {
      const res = await t.app.inject({
        method: 'GET',
        url: '/api/v1/nothing-here',
        headers: { 'x-request-id': 'trace-12345678' },
      });
      expect(res.statusCode).toBe(404);
      expect(res.json().error).toMatchObject({ code: 'ROUTE_NOT_FOUND', requestId: 'trace-12345678' });
    });

    it('rejects malformed JSON with BAD_REQUEST, not a 500', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'content-type': 'application/json' },
        payload: '{"email": ',
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('BAD_REQUEST');
    });
  });

  describe('workspaces, members and roles', () => {
    let other: { id: string };
    let viewer: Caller;

    beforeAll(async () => {
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/workspaces',
        headers: admin.headers(),
        payload: { name: 'Beta Agentur', defaultLocale: 'en' },
      });
      expect(created.statusCode).toBe(201);
      other = created.json().workspace;
      expect(other).toMatchObject({ slug: 'beta-agentur', defaultLocale: 'en' });
      const added = await t.app.inject({
        method: 'POST',
        url: '/api/v1/members',
        headers: admin.headers(),
        payload: {
          email: 'viewer@example.com',
          name: 'Vera Viewer',
          role: 'viewer',
          password: 'viewer-password-1',
        },
      });
      expect(added.statusCode).toBe(201);
      viewer = await t.login('viewer@example.com', 'viewer-password-1');
    });

    it('refuses a duplicate slug', async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/api/v1/workspaces',
        headers: admin.headers(),
        payload: { name: 'Beta Agentur' },
      });
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('SLUG_TAKEN');
    });

    it('requires a workspace for workspace routes', async () => {
      const res = await t.app.inject({
        method: 'GET',
        url: '/api/v1/members',
        headers: { cookie: admin.cookie },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('WORKSPACE_REQUIRED');
    });

    it('lets a viewer read but not manage', async () => {
      const read = await t.app.inject({ method: 'GET', url: '/api/v1/members', headers: viewer.headers() });
      expect(read.statusCode).toBe(200);
      expect(
        read
          .json()
          .items.map((m: { email: string }) => m.email)
          .sort(),
      ).toEqual([ADMIN_EMAIL, 'viewer@example.com']);
      const write = await t.app.inject({
        method: 'POST',
        url: '/api/v1/members',
        headers: viewer.headers(),
        payload: { email: 'x@example.com', role: 'admin', password: 'long-enough-pw' },
      });
      expect(write.statusCode).toBe(403);
      expect(write.json().error.code).toBe('FORBIDDEN');
      const audit = await t.app.inject({
        method: 'GET',
        url: '/api/v1/audit-log',
        headers: viewer.headers(),
      });
      expect(audit.statusCode).toBe(403);
    });

    it('keeps workspaces apart: a member of A cannot open B', async () => {
      const res = await t.app.inject({
        method: 'GET',
        url: '/api/v1/members',
        headers: viewer.headers({ 'x-workspace-id': other.id }),
      });
      expect(res.statusCode).toBe(403);
      const mine = await t.app.inject({
        method: 'GET',
        url: '/api/v1/workspaces',
        headers: { cookie: viewer.cookie },
      });
      expect(mine.json().items.map((w: { id: string }) => w.id)).toEqual([admin.workspaceId]);
      // Only superadmins create workspaces.
      const create = await t.app.inject({
        method: 'POST',
        url: '/api/v1/workspaces',
        headers: viewer.headers(),
        payload: { name: 'Mine' },
      });
      expect(create.statusCode).toBe(403);
    });

    it('never removes or demotes the last admin', async () => {
      const demote = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/members/${t.adminUserId}`,
        headers: admin.headers(),
        payload: { role: 'viewer' },
      });
      expect(demote.statusCode).toBe(409);
      expect(demote.json().error.code).toBe('LAST_ADMIN');
      const remove = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/members/${t.adminUserId}`,
        headers: admin.headers(),
      });
      expect(remove.json().error.code).toBe('LAST_ADMIN');
    });

    it('changes a role and writes the audit trail with who, what and from where', async () => {
      const viewerId = (
        await t.deps.db
          .selectFrom('users')
          .select('id')
          .where('email', '=', 'viewer@example.com')
          .executeTakeFirstOrThrow()
      ).id;
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/api/v1/members/${viewerId}`,
        headers: admin.headers({ 'user-agent': 'vitest-agent' }),
        payload: { role: 'marketing' },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().member.role).toBe('marketing');
      const audit = await t.app.inject({
        method: 'GET',
        url: '/api/v1/audit-log?limit=5',
        headers: admin.headers(),
      });
      const entry = audit.json().items[0];
      expect(entry).toMatchObject({
        actorLabel: ADMIN_EMAIL,
        action: 'members.role-changed',
        targetType: 'user',
        targetId: viewerId,
        details: { from: 'viewer', to: 'marketing' },
        ip: '127.0.0.1',
      });
      const row = await t.deps.db
        .selectFrom('audit_log')
        .select('user_agent')
        .where('id', '=', entry.id)
        .executeTakeFirstOrThrow();
      expect(row.user_agent).toBe('vitest-agent');
    });

    it('keeps the audit trail append-only', async () => {
      await expect(sql`UPDATE audit_log SET action = 'tampered'`.execute(t.deps.db)).rejects.toThrow(
        /append-only/,
      );
      await expect(sql`DELETE FROM audit_log`.execute(t.deps.db)).rejects.toThrow(/append-only/);
    });
  });

  describe('API keys', () => {
    it('authenticates with a scoped key, enforces its scopes, and stops working once revoked', async () => {
      const created = await t.app.inject({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: admin.headers(),
        payload: { name: 'Website', scopes: ['workspace:read'] },
      });
      expect(created.statusCode).toBe(201);
      const { key, apiKey } = created.json();
      expect(key).toMatch(/^lw_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/);
      const stored = await t.deps.db
        .selectFrom('api_keys')
        .select('key_hash')
        .where('id', '=', apiKey.id)
        .executeTakeFirstOrThrow();
      expect(stored.key_hash).not.toContain(key);

      const bearer = { authorization: `Bearer ${key}` };
      const ok = await t.app.inject({ method: 'GET', url: '/api/v1/workspace', headers: bearer });
      expect(ok.statusCode).toBe(200);
      expect(ok.json().workspace.id).toBe(admin.workspaceId);
      const outOfScope = await t.app.inject({ method: 'GET', url: '/api/v1/audit-log', headers: bearer });
      expect(outOfScope.statusCode).toBe(403);
      // No CSRF token needed for API keys, but the scope still applies.
      const write = await t.app.inject({
        method: 'PATCH',
        url: '/api/v1/workspace',
        headers: bearer,
        payload: { name: 'x' },
      });
      expect(write.statusCode).toBe(403);

      const revoked = await t.app.inject({
        method: 'DELETE',
        url: `/api/v1/api-keys/${apiKey.id}`,
        headers: admin.headers(),
      });
      expect(revoked.statusCode).toBe(204);
      const after = await t.app.inject({ method: 'GET', url: '/api/v1/workspace', headers: bearer });
      expect(after.statusCode).toBe(401);
      expect(after.json().error.code).toBe('API_KEY_INVALID');
    });

    it('refuses unknown scopes and garbage keys', async () => {
      const bad = await t.app.inject({
        method: 'POST',
        url: '/api/v1/api-keys',
        headers: admin.headers(),
        payload: { name: 'x', scopes: ['everything'] },
      });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.details.fields[0].field).toBe('scopes');
      const garbage = await t.app.inject({
        method: 'GET',
        url: '/api/v1/workspace',
        headers: { authorization: 'Bearer nope' },
      });
      expect(garbage.statusCode).toBe(401);
    });
  });

  describe('operations', () => {
    it('reports liveness, readiness and metrics', async () => {
      expect((await t.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
      const ready = await t.app.inject('/readyz');
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toMatchObject({
        status: 'ready',
        database: kind === 'pglite' ? 'embedded' : 'postgres',
      });
      await t.deps.queue.enqueue(
        t.deps.db,
        { name: 'test.noop', lane: 'bulk', schema: Type.Object({}), handler: async () => {} },
        {},
      );
      const metrics = await t.app.inject('/metrics');
      expect(metrics.body).toContain('leadwerk_http_requests_total');
      expect(metrics.body).toMatch(/leadwerk_jobs\{lane="bulk",state="queued"\} 1/);
    });

    it('describes the API as OpenAPI 3.1 with a browsable reference', async () => {
      const doc = (await t.app.inject('/api/v1/openapi.json')).json();
      expect(doc.openapi).toBe('3.1.0');
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining(['/api/v1/auth/login', '/api/v1/members', '/api/v1/jobs']),
      );
      expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
      const page = await t.app.inject('/api/v1/docs/');
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toContain('text/html');
    });

    it('redirects / to the admin UI', async () => {
      const res = await t.app.inject('/');
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toBe('/app/');
    });
  });
});
