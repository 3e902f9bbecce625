import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server the PostgreSQL tests use; each test file gets its own throw-away database on it. */
export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let reachable: Promise<boolean> | undefined;

/** Whether PostgreSQL answers. In CI it must: a missing server fails the run instead of skipping. */
export function postgresAvailable(): Promise<boolean> {
  reachable ??= (async () => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 2000 });
    try {
      await client.connect();
      await client.query('select 1');
      return true;
    } catch (err) {
      if (process.env.CI)
        throw new Error(`PostgreSQL is required in CI but not reachable at ${PG_ADMIN_URL}: ${err}`);
      console.warn(
        `\n[tests] PostgreSQL not reachable at ${PG_ADMIN_URL}: PostgreSQL variants are SKIPPED.\n`,
      );
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  })();
  return reachable;
}

function urlFor(database: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * Makes sure a database `name` exists that `build` has filled (e.g. migrated), for use as a
 * template: copying it is much faster than migrating a new database for every test. Test
 * processes run in parallel, so one builds under an advisory lock while the others wait; it is
 * built under a temporary name and renamed when complete, so a crash never leaves a half-built one.
 */
export async function ensureTemplateDatabase(
  name: string,
  build: (url: string) => Promise<void>,
): Promise<string> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query('SELECT pg_advisory_lock(hashtext($1))', [name]);
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      const building = `${name}_b${randomBytes(4).toString('hex')}`;
      await admin.query(`CREATE DATABASE ${building}`);
      try {
        await build(urlFor(building));
        await admin.query(`ALTER DATABASE ${building} RENAME TO ${name}`);
      } catch (err) {
        await admin.query(`DROP DATABASE IF EXISTS ${building} WITH (FORCE)`).catch(() => {});
        throw err;
      }
    }
    return name;
  } finally {
    await admin.query('SELECT pg_advisory_unlock(hashtext($1))', [name]).catch(() => {});
    await admin.end();
  }
}

/**
 * Creates a database (empty, or a copy of `template`) and returns its URL and a function that
 * drops it.
 */
export async function createThrowawayDatabase(
  options: { template?: string } = {},
): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `leadwerk_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}${options.template ? ` TEMPLATE ${options.template}` : ''}`);
  } finally {
    await admin.end();
  }
  return {
    url: urlFor(name),
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
