import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { migrations } from '../../src/migrations/index.js';
import { openDeps } from '../../src/server.js';
import type { Clock } from '../../src/shared/clock.js';
import { type Config, loadConfig } from '../../src/shared/config.js';
import { createLogger } from '../../src/shared/log.js';
import type { AppDeps } from '../../src/shared/module.js';
import { createThrowawayDatabase, ensureTemplateDatabase, postgresAvailable } from './postgres.js';

export type DbKind = 'pglite' | 'postgres';

/** The databases every data-layer test runs on. PostgreSQL variants skip (outside CI) when it is down. */
export const DB_KINDS: DbKind[] = ['pglite', 'postgres'];

export interface TestDeps extends AppDeps {
  cleanup(): Promise<void>;
}

/** A config for tests: quiet logs, fixed secret, a temp data dir. */
export function testConfig(overrides: Partial<Config> & { env?: Record<string, string> } = {}): Config {
  const { env, ...rest } = overrides;
  const dataDir = mkdtempSync(join(tmpdir(), 'leadwerk-test-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    SECRET_KEY: 'test-secret-key-that-is-long-enough-0123456789',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PORT: '0',
    ...env,
  });
  return { ...config, ...rest };
}

let template: Promise<Blob> | undefined;

/**
 * A migrated embedded database as a dump, made once per test process: starting PGlite from it is
 * much faster than initialising and migrating a new cluster for every test.
 */
function pgliteTemplate(): Promise<Blob> {
  template ??= (async () => {
    const config = testConfig();
    const deps = await openDeps({ config, log: createLogger('silent'), inMemory: true });
    const blob = await deps.handle.pglite!.dumpDataDir('none');
    await deps.handle.close();
    rmSync(config.dataDir, { recursive: true, force: true });
    return blob;
  })();
  return template;
}

let pgTemplate: Promise<string> | undefined;

/**
 * A migrated PostgreSQL database to copy test databases from, made once per run and named after
 * the migrations this process runs (their names and source): a changed or added migration gives a
 * new template, and a file another engineer has added but not registered yet changes nothing.
 */
function postgresTemplate(): Promise<string> {
  pgTemplate ??= (async () => {
    const dir = fileURLToPath(new URL('../../src/migrations/', import.meta.url));
    const hash = createHash('sha256');
    for (const name of Object.keys(migrations)) {
      hash.update(name);
      const file = join(dir, `${name}.ts`);
      if (existsSync(file)) hash.update(readFileSync(file));
    }
    return ensureTemplateDatabase(`leadwerk_tpl_${hash.digest('hex').slice(0, 16)}`, async (url) => {
      const config = testConfig({ databaseUrl: url });
      const deps = await openDeps({ config, log: createLogger('silent') });
      await deps.handle.close();
      rmSync(config.dataDir, { recursive: true, force: true });
    });
  })();
  return pgTemplate;
}

/** Opens a fresh, migrated database of the given kind and the dependencies on top of it. */
export async function createTestDeps(
  kind: DbKind,
  options: { clock?: Clock; config?: Partial<Config> } = {},
): Promise<TestDeps> {
  let drop = async () => {};
  let databaseUrl: string | undefined;
  if (kind === 'postgres') {
    const created = await createThrowawayDatabase({ template: await postgresTemplate() });
    databaseUrl = created.url;
    drop = created.drop;
  }
  const config = testConfig({ ...options.config, databaseUrl });
  const deps = await openDeps({
    config,
    log: createLogger(config.logLevel),
    inMemory: kind === 'pglite',
    ...(kind === 'pglite' ? { loadDataDir: await pgliteTemplate() } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return {
    ...deps,
    async cleanup() {
      await deps.handle.close().catch(() => {});
      await drop().catch(() => {});
      rmSync(config.dataDir, { recursive: true, force: true });
    },
  };
}

/** `describe.each`-friendly: the kinds to run, with PostgreSQL dropped when unreachable outside CI. */
export async function availableDbKinds(): Promise<DbKind[]> {
  return (await postgresAvailable()) ? DB_KINDS : ['pglite'];
}
