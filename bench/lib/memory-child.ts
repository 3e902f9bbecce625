import { pathToFileURL } from 'node:url';
import { failChild, serveParent } from './child.js';

/*
 * A server for bench/memory.ts, in its own process.
 *   bare                       a Fastify app with one route, listening
 *   ours <serverModule> <dir>  the full server: startLeadwerk with API and worker on the embedded
 *                              database in <dir> (src/server.ts, or dist/src/server.js with --dist)
 * Answers `memory` with process.memoryUsage().
 */

const [mode, serverModule, dataDir] = process.argv.slice(2);

const handlers = { memory: () => process.memoryUsage() };

async function bare(): Promise<void> {
  const { default: Fastify } = await import('fastify');
  const app = Fastify();
  app.get('/hello', async () => ({ hello: 'world' }));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  serveParent({ url }, handlers, () => app.close());
}

async function ours(): Promise<void> {
  if (!serverModule || !dataDir) throw new Error('usage: memory-child ours <serverModule> <dataDir>');
  const server = (await import(pathToFileURL(serverModule).href)) as typeof import('../../src/server.js');
  // The config module sits next to server.js in src/ and in dist/src/.
  const configModule = serverModule.replace(/server\.(ts|js)$/, 'shared/config.$1');
  const { loadConfig } = (await import(
    pathToFileURL(configModule).href
  )) as typeof import('../../src/shared/config.js');
  const config = loadConfig({
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    ADMIN_EMAIL: 'admin@example.com',
    ADMIN_PASSWORD: 'correct horse battery staple',
  });
  const running = await server.startLeadwerk({ config, api: true, worker: true });
  serveParent({ url: running.url }, handlers, () => running.stop());
}

(mode === 'bare' ? bare() : mode === 'ours' ? ours() : Promise.reject(new Error(`mode ${mode}?`))).catch(
  failChild,
);
