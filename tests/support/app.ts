import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/app.js';
import { ensureInitialAdmin } from '../../src/modules/identity/index.js';
import type { Clock } from '../../src/shared/clock.js';
import type { Config } from '../../src/shared/config.js';
import type { LeadwerkModule } from '../../src/shared/module.js';
import { createTestDeps, type DbKind, type TestDeps } from './deps.js';

export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_PASSWORD = 'correct horse battery staple';

export interface Caller {
  cookie: string;
  csrfToken: string;
  workspaceId: string;
  /** Headers for a session request to the caller's workspace (with CSRF token). */
  headers(extra?: Record<string, string>): Record<string, string>;
}

export interface TestApp {
  app: FastifyInstance;
  deps: TestDeps;
  workspaceId: string;
  adminUserId: string;
  login(email?: string, password?: string): Promise<Caller>;
  close(): Promise<void>;
}

/** A real app (routes, auth, database) on a fresh database, with an admin user; used via app.inject(). */
export async function createTestApp(
  kind: DbKind,
  options: { clock?: Clock; config?: Partial<Config>; modules?: LeadwerkModule[] } = {},
): Promise<TestApp> {
  const deps = await createTestDeps(kind, options);
  const admin = await ensureInitialAdmin(deps.db, {
    email: ADMIN_EMAIL,
    password: ADMIN_PASSWORD,
    workspaceName: 'Acme GmbH',
  });
  const app = await buildApp(deps, options.modules ? { modules: options.modules } : {});
  await app.ready();
  const user = await deps.db
    .selectFrom('users')
    .select('id')
    .where('email', '=', ADMIN_EMAIL)
    .executeTakeFirstOrThrow();
  return {
    app,
    deps,
    workspaceId: admin.workspace!.id,
    adminUserId: user.id,
    async login(email = ADMIN_EMAIL, password = ADMIN_PASSWORD) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email, password },
      });
      if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
      const cookie = sessionCookie(res);
      const body = res.json() as { csrfToken: string; workspaces: { id: string }[] };
      const workspaceId = body.workspaces[0]?.id ?? '';
      return {
        cookie,
        csrfToken: body.csrfToken,
        workspaceId,
        headers(extra = {}) {
          return { cookie, 'x-csrf-token': body.csrfToken, 'x-workspace-id': workspaceId, ...extra };
        },
      };
    },
    async close() {
      await app.close();
      await deps.cleanup();
    },
  };
}

export function sessionCookie(res: LightMyRequestResponse): string {
  const c = res.cookies.find((x) => x.name === 'lw_session');
  if (!c) throw new Error('no session cookie');
  return `lw_session=${c.value}`;
}
