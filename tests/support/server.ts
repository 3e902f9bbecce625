import { rmSync } from 'node:fs';
import { startLeadwerk } from '../../src/server.js';
import type { Db } from '../../src/shared/db/index.js';
import { testConfig } from './deps.js';

export interface TestServer {
  url: string;
  adminEmail: string;
  adminPassword: string;
  workspaceId: string;
  /** The server's database, for arranging states a browser test cannot reach by clicking. */
  db: Db;
  close(): Promise<void>;
}

/**
 * The real server (API, admin UI from dist/web, workers) listening on a random local port, on an
 * in-memory embedded database. For browser tests.
 */
export async function startTestServer(options: { worker?: boolean } = {}): Promise<TestServer> {
  const adminEmail = 'admin@example.com';
  const adminPassword = 'correct horse battery staple';
  const config = testConfig({ adminEmail, adminPassword, host: '127.0.0.1', port: 0 });
  const running = await startLeadwerk({ config, api: true, worker: options.worker ?? true, inMemory: true });
  const url = running.url!.replace('[::1]', 'localhost');
  return {
    url,
    adminEmail,
    adminPassword,
    workspaceId: running.initialAdmin.workspace!.id,
    db: running.deps.db,
    async close() {
      await running.stop();
      rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}
