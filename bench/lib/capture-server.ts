import { failChild, serveParent } from './child.js';
import { benchEnv } from './common.js';

/*
 * A server for bench/capture.ts, in its own process.
 *   bare <postgres-url> <poolSize>
 *       a Fastify app with POST /submit doing one INSERT of the submitted payload
 *   ours <postgres-url|pglite> <dataDir> <logLevel> <poolSize> [smtpUrl]
 *       the real server (startLeadwerk; with workers and SMTP when smtpUrl is given), proof-of-work
 *       off and limits out of the way, one published newsletter form; loaded from the src/ folder
 *       in LW_BENCH_SRC when set (bench/capture.ts --compare), else this repository's
 * Announces { url, path, timeToken } when listening.
 */

const [mode, db, ...rest] = process.argv.slice(2);

async function bare(): Promise<void> {
  const [poolSize = '20'] = rest;
  const { default: Fastify } = await import('fastify');
  const { default: pg } = await import('pg');
  const { randomUUID } = await import('node:crypto');
  const pool = new pg.Pool({ connectionString: db, max: Number(poolSize) });
  await pool.query(
    'CREATE TABLE IF NOT EXISTS bare_submissions (id uuid PRIMARY KEY, email text NOT NULL, payload jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())',
  );
  const app = Fastify();
  app.post('/submit', async (request) => {
    const body = request.body as Record<string, unknown>;
    await pool.query('INSERT INTO bare_submissions (id, email, payload) VALUES ($1, $2, $3)', [
      randomUUID(),
      String(body.email ?? ''),
      JSON.stringify(body),
    ]);
    return { status: 'received' };
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  serveParent({ url, path: '/submit', timeToken: '' }, {}, async () => {
    await app.close();
    await pool.end();
  });
}

async function ours(): Promise<void> {
  const [dataDir, logLevel = 'warn', poolSize = '20', smtpUrl] = rest;
  if (!dataDir) throw new Error('dataDir missing');
  const { pathToFileURL } = await import('node:url');
  const { join } = await import('node:path');
  const srcDir = process.env.LW_BENCH_SRC;
  const load = <T>(path: string, fallback: () => Promise<T>): Promise<T> =>
    srcDir ? (import(pathToFileURL(join(srcDir, path)).href) as Promise<T>) : fallback();
  const { startLeadwerk } = await load('server.ts', () => import('../../src/server.js'));
  const { MODULES } = await load('modules.ts', () => import('../../src/modules.js'));
  const { createCaptureModule } = await load(
    'modules/capture/index.ts',
    () => import('../../src/modules/capture/index.js'),
  );
  const { createApiKey } = await load(
    'modules/identity/index.ts',
    () => import('../../src/modules/identity/index.js'),
  );
  const { systemActor } = await load('shared/actor.ts', () => import('../../src/shared/actor.js'));
  const { loadConfig } = await load('shared/config.ts', () => import('../../src/shared/config.js'));
  const huge = { limit: 100_000_000, windowSeconds: 3600 };
  const capture = createCaptureModule({
    powEnabled: false,
    limits: { perIp: huge, perForm: huge, perWorkspace: huge, global: huge, breakerMinutes: 1 },
  });
  const config = loadConfig(
    benchEnv({
      dataDir,
      databaseUrl: db === 'pglite' ? undefined : db,
      logLevel,
      extra: {
        DATABASE_POOL_SIZE: poolSize,
        JOB_POLL_MS: '200',
        SMTP_POOL_SIZE: process.env.BENCH_SMTP_POOL ?? '5',
        ...(smtpUrl ? { SMTP_URL: smtpUrl } : {}),
      },
    }),
  );
  const running = await startLeadwerk({
    config,
    api: true,
    worker: smtpUrl !== undefined,
    modules: MODULES.map((m) => (m.name === 'capture' ? capture : m)),
  });
  const workspaceId = running.initialAdmin.workspace?.id;
  if (!workspaceId) throw new Error('expected a fresh database with a new initial workspace');
  const { key } = await createApiKey(running.deps.db, systemActor('bench'), workspaceId, {
    name: 'bench',
    scopes: ['forms:read', 'forms:write'],
  });
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${running.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const { definition } = (await api('GET', '/api/v1/form-kinds/newsletter/default')) as {
    definition: object;
  };
  const created = (await api('POST', '/api/v1/forms', {
    name: 'Bench newsletter',
    slug: 'bench-newsletter',
    kind: 'newsletter',
    definition: {
      ...definition,
      controller: { name: 'Bench GmbH', address: 'Berlin', email: 'privacy@bench.example' },
      privacyNoticeUrl: 'https://bench.example/privacy',
    },
  })) as { form: { id: string } };
  await api('POST', `/api/v1/forms/${created.form.id}/publish`, {});
  const cfg = (await (await fetch(`${running.url}/f/bench-newsletter/config`)).json()) as {
    timeToken: string;
  };
  serveParent({ url: running.url, path: '/f/bench-newsletter/submit', timeToken: cfg.timeToken }, {}, () =>
    running.stop(),
  );
}

(mode === 'bare' ? bare() : mode === 'ours' ? ours() : Promise.reject(new Error(`mode ${mode}?`))).catch(
  failChild,
);
