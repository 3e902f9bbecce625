import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { type CaptureOptions, createCaptureModule } from '../../src/modules/capture/index.js';
import { ensureInitialAdmin } from '../../src/modules/identity/index.js';
import { MODULES } from '../../src/modules.js';
import { type Clock, ManualClock } from '../../src/shared/clock.js';
import type { Config } from '../../src/shared/config.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, type Caller, sessionCookie } from '../support/app.js';
import { createTestDeps, type DbKind, type TestDeps } from '../support/deps.js';

/** Capture options for tests: no proof-of-work unless a test turns it on, generous limits. */
export const TEST_CAPTURE: Partial<CaptureOptions> = {
  powEnabled: false,
  formCacheMs: 0,
  timeTrap: { minSeconds: 2, maxSeconds: 3600 },
  pow: { algorithm: 'SHA-256', cost: 1, counterMin: 5, counterMax: 50, ttlSeconds: 600 },
  limits: {
    perIp: { limit: 1000, windowSeconds: 600 },
    perForm: { limit: 1000, windowSeconds: 3600 },
    perWorkspace: { limit: 1000, windowSeconds: 3600 },
    global: { limit: 10_000, windowSeconds: 3600 },
    breakerMinutes: 60,
  },
};

/**
 * A test clock one second into the coming hour. Limits count in fixed windows aligned to the epoch
 * (10 min, 1 h, 1 day), so a test that starts here never sees a window open in its middle and a
 * fresh counter let a submission through (starting 28–32 s before a 10-minute boundary made the
 * per-IP test fail).
 */
export function limitAlignedClock(): ManualClock {
  return new ManualClock(new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 1000));
}

export interface CaptureTestApp {
  app: FastifyInstance;
  deps: TestDeps;
  workspaceId: string;
  admin: Caller;
  close(): Promise<void>;
}

/** A real app whose capture module runs with `options` (the other modules as in production). */
export async function createCaptureTestApp(
  kind: DbKind,
  clock: Clock,
  options: Partial<CaptureOptions> = {},
  config: Partial<Config> = {},
): Promise<CaptureTestApp> {
  const deps = await createTestDeps(kind, { clock, config });
  const first = await ensureInitialAdmin(deps.db, {
    email: ADMIN_EMAIL,
    password: ADMIN_PASSWORD,
    workspaceName: 'Acme GmbH',
  });
  const capture = createCaptureModule({ ...TEST_CAPTURE, ...options });
  const app = await buildApp(deps, { modules: MODULES.map((m) => (m.name === 'capture' ? capture : m)) });
  await app.ready();
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login',
    payload: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
  });
  const cookie = sessionCookie(res);
  const csrfToken = (res.json() as { csrfToken: string }).csrfToken;
  const workspaceId = first.workspace!.id;
  const admin: Caller = {
    cookie,
    csrfToken,
    workspaceId,
    headers: (extra = {}) => ({ cookie, 'x-csrf-token': csrfToken, 'x-workspace-id': workspaceId, ...extra }),
  };
  return {
    app,
    deps,
    workspaceId,
    admin,
    async close() {
      await app.close();
      await deps.cleanup();
    },
  };
}

/** A complete, publishable definition of a kind (controller, privacy link filled in). */
export async function publishableDefinition(
  t: CaptureTestApp,
  kind: string,
  patch: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
  const res = await t.app.inject({
    method: 'GET',
    url: `/api/v1/form-kinds/${kind}/default`,
    headers: t.admin.headers(),
  });
  const def = (res.json() as { definition: Record<string, unknown> }).definition;
  return {
    ...def,
    controller: { name: 'Acme GmbH', address: 'Hauptstraße 1, 10115 Berlin', email: 'privacy@acme.example' },
    privacyNoticeUrl: 'https://acme.example/privacy',
    ...patch,
  };
}

/** Creates and publishes a form; returns its id and slug. */
export async function createPublishedForm(
  t: CaptureTestApp,
  input: { slug: string; kind: string; definition?: Record<string, unknown>; allowedOrigins?: string[] },
): Promise<{ id: string; slug: string }> {
  const definition = input.definition ?? (await publishableDefinition(t, input.kind));
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/v1/forms',
    headers: t.admin.headers(),
    payload: {
      name: input.slug,
      slug: input.slug,
      kind: input.kind,
      definition,
      allowedOrigins: input.allowedOrigins ?? [],
    },
  });
  if (created.statusCode !== 201) throw new Error(`create form: ${created.statusCode} ${created.body}`);
  const id = (created.json() as { form: { id: string } }).form.id;
  const published = await t.app.inject({
    method: 'POST',
    url: `/api/v1/forms/${id}/publish`,
    headers: t.admin.headers(),
  });
  if (published.statusCode !== 200) throw new Error(`publish: ${published.statusCode} ${published.body}`);
  return { id, slug: input.slug };
}

/** The embed's view of a form: its config with a fresh time-trap token. */
export async function formConfig(
  t: CaptureTestApp,
  slug: string,
  query = '',
): Promise<{ timeToken: string; fields: { key: string }[] }> {
  const res = await t.app.inject({ method: 'GET', url: `/f/${slug}/config${query}` });
  if (res.statusCode !== 200) throw new Error(`config: ${res.statusCode} ${res.body}`);
  return res.json();
}
