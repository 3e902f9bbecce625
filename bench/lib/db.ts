import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import type { Executor } from '../../src/shared/db/index.js';
import { onInterrupt } from './common.js';
import { cpuSeconds } from './procstat.js';

/** The PostgreSQL server to use (handbook: DATABASE_URL, default the local one). Only 127.0.0.1. */
export const PG_ADMIN_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

function assertLocal(url: string): void {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) {
    throw new Error(`benchmarks only talk to 127.0.0.1; DATABASE_URL points at ${host}`);
  }
}

/** A throw-away database on PG_ADMIN_URL's server; drop() removes it (and only it). */
export async function createBenchDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  assertLocal(PG_ADMIN_URL);
  const name = `leadwerk_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    forget();
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    try {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await c.end();
    }
  };
  // An interrupted bench still drops its database.
  const forget = onInterrupt(drop);
  return { url: url.toString(), name, drop };
}

/** Connections still free on the server (max_connections minus those open now, minus the reserved ones). */
export async function connectionHeadroom(): Promise<number> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    const { rows } = await c.query<{ free: number }>(
      `SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int
              - (SELECT count(*) FROM pg_stat_activity)::int AS free`,
    );
    return rows[0]!.free;
  } finally {
    await c.end();
  }
}

/**
 * CPU seconds so far of each PostgreSQL backend of `db`'s database (the caller's own connection
 * too), by pid: two of these around a phase tell what the database spent on it (`cpuSince`).
 */
export async function backendsCpu(db: Executor): Promise<Map<number, number>> {
  const r = await sql<{
    pid: number;
  }>`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`.execute(db);
  return new Map(r.rows.map((x) => [x.pid, cpuSeconds(x.pid)]));
}

/** CPU seconds spent between two `backendsCpu` snapshots (a backend new since `before` counts from 0). */
export function cpuSince(before: ReadonlyMap<number, number>, after: ReadonlyMap<number, number>): number {
  let s = 0;
  for (const [pid, c] of after) s += c - (before.get(pid) ?? 0);
  return s;
}

/**
 * The server settings that change what the big-table benches measure (docs/operations.md,
 * "PostgreSQL settings for large workspaces"), for their JSON line: with autovacuum off, the dead
 * row versions of every updated message stay until the end of the run.
 */
export async function serverSettings(db: Executor): Promise<Record<string, string>> {
  const r = await sql<{ name: string; value: string }>`
    SELECT name, current_setting(name) AS value FROM unnest(ARRAY['autovacuum', 'shared_buffers', 'max_wal_size']) AS name`.execute(
    db,
  );
  return Object.fromEntries(r.rows.map((row) => [row.name, row.value]));
}
