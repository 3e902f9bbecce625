import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { migrations } from '../../src/migrations/index.js';
import { MODULES } from '../../src/modules.js';
import { openDeps, startLeadwerk } from '../../src/server.js';
import { openDatabase } from '../../src/shared/db/index.js';
import type { LeadwerkModule } from '../../src/shared/module.js';
import { createTestApp } from '../support/app.js';
import { testConfig } from '../support/deps.js';
import { postgresAvailable } from '../support/postgres.js';
import { spawnServer } from '../support/spawn-server.js';

const withPostgres = await postgresAvailable();
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function login(url: string, email: string, password: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  return res.status;
}

describe('the embedded server', () => {
  it('creates the first admin from ADMIN_EMAIL/ADMIN_PASSWORD, and keeps data across a restart', async () => {
    const config = testConfig({ adminEmail: 'owner@example.com', adminPassword: 'first-start-password' });
    dirs.push(config.dataDir);
    const first = await startLeadwerk({ config, api: true, worker: true });
    expect(first.initialAdmin).toMatchObject({
      created: true,
      email: 'owner@example.com',
      generatedPassword: false,
    });
    expect(await login(first.url!, 'owner@example.com', 'first-start-password')).toBe(200);
    await first.stop();

    const second = await startLeadwerk({ config, api: true, worker: true });
    expect(second.initialAdmin.created).toBe(false);
    expect(await login(second.url!, 'owner@example.com', 'first-start-password')).toBe(200);
    const users = await second.deps.db.selectFrom('users').select('email').execute();
    expect(users).toEqual([{ email: 'owner@example.com' }]);
    await second.stop();
  });

  it('refuses a second process on the same data directory, and takes over a stale lock', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lw-lock-'));
    dirs.push(dataDir);
    writeFileSync(join(dataDir, 'leadwerk.pid'), '1'); // pid 1 is alive: another process holds it
    await expect(openDatabase({ dataDir })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      details: { field: 'DATA_DIR' },
    });
    writeFileSync(join(dataDir, 'leadwerk.pid'), '2147483646'); // no such process
    const handle = await openDatabase({ dataDir });
    await handle.close();
  });

  it('drains requests in flight on shutdown and then stops listening', async () => {
    let arrived!: () => void;
    const requestArrived = new Promise<void>((r) => {
      arrived = r;
    });
    const slow: LeadwerkModule = {
      name: 'slow',
      routes(app) {
        app.get('/slow', { config: { auth: 'public' } }, async () => {
          arrived();
          await new Promise((r) => setTimeout(r, 400));
          return { done: true };
        });
      },
    };
    const config = testConfig();
    dirs.push(config.dataDir);
    const running = await startLeadwerk({
      config,
      api: true,
      worker: true,
      inMemory: true,
      modules: [...MODULES, slow],
    });
    const inFlight = fetch(`${running.url}/slow`).then(async (r) => ({
      status: r.status,
      body: await r.json(),
    }));
    // Shut down only once the request is being handled: it must then be allowed to finish.
    await requestArrived;
    await running.stop();
    expect(await inFlight).toEqual({ status: 200, body: { done: true } });
    await expect(fetch(`${running.url}/healthz`)).rejects.toThrow();
  });

  it('shuts down cleanly on SIGTERM when run as the leadwerk command', async () => {
    const config = testConfig();
    dirs.push(config.dataDir);
    const server = await spawnServer([process.execPath, '--import', 'tsx', 'src/main.ts'], {
      DATA_DIR: config.dataDir,
      ADMIN_PASSWORD: 'sigterm-password',
    });
    expect(server.output()).toContain('admin@leadwerk.local');
    expect(await login(server.url, 'admin@leadwerk.local', 'sigterm-password')).toBe(200);
    expect(await server.stop()).toBe(0);
    expect(server.output()).toContain('"event":"lifecycle.stopped"');
  });

  it('is not ready while migrations are pending', async () => {
    const config = testConfig();
    dirs.push(config.dataDir);
    const deps = await openDeps({ config, migrate: false, inMemory: true });
    const app = await buildApp(deps);
    const res = await app.inject('/readyz');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      status: 'migrations-pending',
      pending: Object.keys(migrations),
    });
    await app.close();
    await deps.handle.close();
  });
});

describe.skipIf(!withPostgres)('on PostgreSQL when connections drop', () => {
  it('answers 503 DATABASE_UNAVAILABLE or recovers, never a 500, and works again afterwards', async () => {
    const t = await createTestApp('postgres');
    try {
      const admin = await t.login();
      const ok = await t.app.inject({ method: 'GET', url: '/api/v1/members', headers: admin.headers() });
      expect(ok.statusCode).toBe(200);
      // Kill every server process of this database: what a database restart does to a pool.
      const url = new URL(t.deps.config.databaseUrl!);
      const killer = new pg.Client({ connectionString: t.deps.config.databaseUrl });
      await killer.connect();
      await killer.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
        [url.pathname.slice(1)],
      );
      await killer.end();
      // Until the pool has replaced its dead connections, requests get a clear 503, never a 500.
      const statuses: number[] = [];
      for (let i = 0; i < 50; i++) {
        const res = await t.app.inject({ method: 'GET', url: '/api/v1/members', headers: admin.headers() });
        statuses.push(res.statusCode);
        if (res.statusCode === 503) expect(res.json().error.code).toBe('DATABASE_UNAVAILABLE');
        if (res.statusCode === 200) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
      expect(statuses.at(-1)).toBe(200);
      await sql`select 1`.execute(t.deps.db);
    } finally {
      await t.close();
    }
  });
});
