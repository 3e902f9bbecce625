import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { AppError } from '../errors.js';
import { PGliteDialect } from './pglite-dialect.js';
import { sendMarkedAsPrepared } from './prepared.js';
import type { Database } from './schema.js';

export { prepared } from './prepared.js';
export type { Database } from './schema.js';
export type Db = Kysely<Database>;
export type Trx = Transaction<Database>;
/** Either the database or an open transaction: repositories accept both. */
export type Executor = Kysely<Database> | Transaction<Database>;

export interface DatabaseHandle {
  kind: 'embedded' | 'postgres';
  db: Db;
  /** Subscribes to NOTIFY on a channel; returns the unsubscribe function. */
  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
  /** The embedded instance, for backup; undefined on PostgreSQL. */
  pglite?: PGlite;
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined;
  dataDir: string;
  poolSize?: number;
  /** Embedded only: keep the database in memory (tests). */
  inMemory?: boolean;
  /** Embedded only: start from this data-directory dump (PGlite `dumpDataDir`) instead of an empty cluster. */
  loadDataDir?: Blob;
  /**
   * PostgreSQL only: send the statements marked with `prepared()` as named prepared statements
   * (default true). Off for connection poolers that cannot keep them (PgBouncer before 1.21 in
   * transaction mode).
   */
  preparedStatements?: boolean;
}

const PID_FILE = 'leadwerk.pid';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// PGlite is single-process: two processes writing one data directory would corrupt it.
function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, PID_FILE);
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, 'utf8'));
    if (pid && pid !== process.pid && isAlive(pid)) {
      throw new AppError('CONFIG_INVALID', {
        field: 'DATA_DIR',
        reason: `the embedded database in ${dir} is in use by process ${pid}; stop it first or use DATABASE_URL`,
      });
    }
  }
  writeFileSync(file, String(process.pid));
  return () => {
    try {
      if (readFileSync(file, 'utf8') === String(process.pid)) rmSync(file);
    } catch {
      // already gone
    }
  };
}

async function openPostgres(
  url: string,
  poolSize: number,
  preparedStatements: boolean,
): Promise<DatabaseHandle> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, application_name: 'leadwerk' });
  // A client losing its connection (database restart) must not crash the process: idle clients
  // report to the pool, checked-out ones to their own listener; either way the pool drops them.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', () => {});
    if (preparedStatements)
      sendMarkedAsPrepared(client as unknown as Parameters<typeof sendMarkedAsPrepared>[0]);
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const listeners = new Set<pg.Client>();
  return {
    kind: 'postgres',
    db,
    async listen(channel, onNotify) {
      let client: pg.Client | undefined;
      let stopped = false;
      let retry: NodeJS.Timeout | undefined;
      const connect = async (): Promise<void> => {
        if (stopped) return;
        const c = new pg.Client({ connectionString: url, application_name: 'leadwerk-listen' });
        c.on('notification', (msg) => {
          if (msg.channel === channel) onNotify(msg.payload ?? '');
        });
        c.on('error', () => {
          listeners.delete(c);
          c.end().catch(() => {});
          if (!stopped) retry = setTimeout(() => void connect(), 1000);
        });
        try {
          await c.connect();
          await c.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
          client = c;
          listeners.add(c);
          onNotify(''); // wake up once after (re)connecting: notifications may have been missed
        } catch {
          c.end().catch(() => {});
          if (!stopped) retry = setTimeout(() => void connect(), 1000);
        }
      };
      await connect();
      return async () => {
        stopped = true;
        clearTimeout(retry);
        if (client) {
          listeners.delete(client);
          await client.end().catch(() => {});
        }
      };
    },
    async close() {
      await Promise.all([...listeners].map((c) => c.end().catch(() => {})));
      await db.destroy();
    },
  };
}

async function openEmbedded(dataDir: string, inMemory: boolean, loadDataDir?: Blob): Promise<DatabaseHandle> {
  const dir = join(dataDir, 'pg');
  const unlock = inMemory ? () => {} : lockDataDir(dataDir);
  let pglite: PGlite;
  try {
    // int8 stays a string, as node-postgres returns it, so both databases give the code one shape.
    const options = {
      ...(inMemory ? {} : { dataDir: dir }),
      ...(loadDataDir ? { loadDataDir } : {}),
      parsers: { 20: (v: string) => v },
      // The contact search's trigram index (migration 2026-11-23-0521).
      extensions: { pg_trgm },
    };
    const fresh = !inMemory && !existsSync(join(dir, 'PG_VERSION'));
    pglite = await PGlite.create(options);
    if (!inMemory && (fresh || loadDataDir)) {
      // Creating the cluster (initdb) or restoring one grows PGlite's WebAssembly memory to some
      // 600 MB, and WebAssembly memory never shrinks. Reopening costs about a second and gives it back.
      await pglite.close();
      const { loadDataDir: _, ...reopen } = options as typeof options & { loadDataDir?: Blob };
      pglite = await PGlite.create(reopen);
    }
  } catch (err) {
    unlock();
    throw err;
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect(pglite) });
  return {
    kind: 'embedded',
    db,
    pglite,
    async listen(channel, onNotify) {
      const unsubscribe = await pglite.listen(channel, onNotify);
      return async () => {
        if (!pglite.closed) await unsubscribe();
      };
    },
    async close() {
      await db.destroy();
      unlock();
    },
  };
}

/** Opens PostgreSQL when a URL is given, otherwise the embedded database in dataDir. */
export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl)
    return openPostgres(options.databaseUrl, options.poolSize ?? 10, options.preparedStatements ?? true);
  return openEmbedded(options.dataDir, options.inMemory ?? false, options.loadDataDir);
}
