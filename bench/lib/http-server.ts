import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { failChild, serveParent } from './child.js';
import { benchEnv } from './common.js';

/*
 * A server for bench/http.ts, in its own process.
 *   bare                          a Fastify app with one route returning a small JSON object
 *   ours <srcDir> <postgres-url|pglite> <dataDir> <logLevel>
 *                                 the real server from <srcDir> (startLeadwerk, API only) plus an
 *                                 API key for GET /api/v1/workspace
 * Announces { url, path, headers } when listening.
 */

const [mode, ...rest] = process.argv.slice(2);

async function bare(): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const app = Fastify();
  app.get('/hello', async () => ({ hello: 'world', service: 'bare', ok: true }));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  serveParent({ url, path: '/hello', headers: {} }, {}, () => app.close());
}

function from<T>(srcDir: string, path: string): Promise<T> {
  return import(pathToFileURL(join(srcDir, path)).href) as Promise<T>;
}

async function ours(): Promise<void> {
  const [srcDir, db, dataDir, logLevel] = rest;
  if (!srcDir || !db || !dataDir)
    throw new Error('usage: http-server ours <srcDir> <db> <dataDir> [logLevel]');
  const { startLeadwerk } = await from<typeof import('../../src/server.js')>(srcDir, 'server.ts');
  const { createApiKey } = await from<typeof import('../../src/modules/identity/index.js')>(
    srcDir,
    'modules/identity/index.ts',
  );
  const { systemActor } = await from<typeof import('../../src/shared/actor.js')>(srcDir, 'shared/actor.ts');
  const { loadConfig } = await from<typeof import('../../src/shared/config.js')>(srcDir, 'shared/config.ts');
  const config = loadConfig(
    benchEnv({ dataDir, databaseUrl: db === 'pglite' ? undefined : db, logLevel: logLevel ?? 'warn' }),
  );
  const running = await startLeadwerk({ config, api: true, worker: false });
  const workspaceId = running.initialAdmin.workspace?.id;
  if (!workspaceId) throw new Error('expected a fresh database with a new initial workspace');
  const { key } = await createApiKey(running.deps.db, systemActor('bench'), workspaceId, {
    name: 'bench',
    scopes: ['workspace:read'],
  });
  serveParent(
    { url: running.url, path: '/api/v1/workspace', headers: { authorization: `Bearer ${key}` } },
    {},
    () => running.stop(),
  );
}

(mode === 'bare' ? bare() : mode === 'ours' ? ours() : Promise.reject(new Error(`mode ${mode}?`))).catch(
  failChild,
);
