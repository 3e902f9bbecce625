import { createReadStream, createWriteStream, renameSync, rmSync, statSync } from 'node:fs';
import { pipeline as pipelineCallback, Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip, createGzip } from 'node:zlib';
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import { CompiledQuery, type Kysely, type Migration, Migrator, sql } from 'kysely';
import { VERSION } from '../app.js';
import { migrations as knownMigrations } from '../migrations/index.js';
import { openDatabase } from '../shared/db/index.js';
import { AppError } from '../shared/errors.js';

/*
 * A logical backup that reads and writes the same on PGlite and PostgreSQL: gzip'd JSON lines,
 * one record per line. Every value travels as PostgreSQL's own text form (`col::text` out,
 * `text::type` in), so jsonb, timestamptz with microseconds, bigint beyond 2^53, numeric and
 * bytea round-trip exactly, and JavaScript never re-parses a value. The dump runs in one
 * REPEATABLE READ READ ONLY transaction (one snapshot); the restore in one transaction (all or
 * nothing). Both read through cursors and batches, so memory does not grow with the table size.
 *
 *   {"type":"header","format":"leadwerk-backup","formatVersion":1,"migrations":[…],…}
 *   {"type":"table","name":"workspaces","columns":[{"name":"id","type":"uuid"},…],"sequences":[]}
 *   {"type":"rows","table":"workspaces","rows":[["0199…","Acme GmbH",…],…]}
 *   {"type":"table-end","name":"workspaces","rows":1}
 *   …
 *   {"type":"end","tables":7,"rows":1234}
 */

export const BACKUP_FORMAT = 'leadwerk-backup';
export const BACKUP_FORMAT_VERSION = 1;

/** Written by the migrator, not data; the restore target gets its own by migrating. */
const BOOKKEEPING_TABLES = new Set(['schema_migrations', 'schema_migrations_lock']);
const SCHEMA = 'public';
const CURSOR = 'leadwerk_backup';
/** Rows per FETCH; a record is also cut when its text grows past RECORD_CHARS (wide rows). */
const FETCH_ROWS = 500;
const RECORD_CHARS = 4_000_000;
/** A line longer than this is not something we wrote: refuse instead of buffering without end. */
const MAX_LINE_CHARS = 256 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Records

const Column = Type.Object({ name: Type.String({ minLength: 1 }), type: Type.String() });
const HeaderRecord = Type.Object({
  type: Type.Literal('header'),
  format: Type.Literal(BACKUP_FORMAT),
  formatVersion: Type.Integer({ minimum: 1 }),
  leadwerkVersion: Type.String(),
  migrations: Type.Array(Type.String()),
  createdAt: Type.String(),
  source: Type.Union([Type.Literal('embedded'), Type.Literal('postgres')]),
});
const TableRecord = Type.Object({
  type: Type.Literal('table'),
  name: Type.String({ minLength: 1 }),
  columns: Type.Array(Column),
  sequences: Type.Array(
    Type.Object({ column: Type.String(), lastValue: Type.Union([Type.String(), Type.Null()]) }),
  ),
});
const RowsRecord = Type.Object({
  type: Type.Literal('rows'),
  table: Type.String(),
  rows: Type.Array(Type.Array(Type.Union([Type.String(), Type.Null()]))),
});
const TableEndRecord = Type.Object({
  type: Type.Literal('table-end'),
  name: Type.String(),
  rows: Type.Integer({ minimum: 0 }),
});
const EndRecord = Type.Object({
  type: Type.Literal('end'),
  tables: Type.Integer({ minimum: 0 }),
  rows: Type.Integer({ minimum: 0 }),
});

export type BackupHeader = Static<typeof HeaderRecord>;
export type BackupColumn = Static<typeof Column>;
export type BackupRecord =
  | BackupHeader
  | Static<typeof TableRecord>
  | Static<typeof RowsRecord>
  | Static<typeof TableEndRecord>
  | Static<typeof EndRecord>;

const checkers: Record<BackupRecord['type'], TypeCheck<TSchema>> = {
  header: TypeCompiler.Compile(HeaderRecord),
  table: TypeCompiler.Compile(TableRecord),
  rows: TypeCompiler.Compile(RowsRecord),
  'table-end': TypeCompiler.Compile(TableEndRecord),
  end: TypeCompiler.Compile(EndRecord),
};

function invalid(reason: string, details: Record<string, unknown> = {}, cause?: unknown): AppError {
  return new AppError('BACKUP_INVALID', { reason, ...details }, cause === undefined ? undefined : { cause });
}

function parseRecord(line: string, lineNo: number): BackupRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw invalid(`line ${lineNo} is not JSON`, { line: lineNo }, err);
  }
  const type = (value as { type?: unknown } | null)?.type;
  const checker = typeof type === 'string' ? checkers[type as BackupRecord['type']] : undefined;
  if (!checker) throw invalid(`line ${lineNo} is not a backup record`, { line: lineNo });
  if (type === 'header' && typeof value === 'object' && value !== null) {
    const header = value as Partial<BackupHeader>;
    if (header.format !== BACKUP_FORMAT) throw invalid('this is not a Leadwerk backup', { line: lineNo });
    if (typeof header.formatVersion === 'number' && header.formatVersion > BACKUP_FORMAT_VERSION) {
      throw invalid(
        `the backup has format version ${header.formatVersion}; this Leadwerk reads up to ${BACKUP_FORMAT_VERSION} — restore it with a newer Leadwerk`,
        { line: lineNo },
      );
    }
  }
  if (!checker.Check(value)) {
    const first = checker.Errors(value).First();
    throw invalid(`line ${lineNo}: ${first?.path ?? ''} ${first?.message ?? 'malformed record'}`.trim(), {
      line: lineNo,
    });
  }
  return value as BackupRecord;
}

// ---------------------------------------------------------------------------------------------
// Catalog: what to back up, in which order

// biome-ignore lint/suspicious/noExplicitAny: the backup works on whatever tables the migrations made
type AnyDb = Kysely<any>;

interface CatalogColumn extends BackupColumn {
  /** The sequence behind an identity or serial column, schema-qualified. */
  sequence: string | null;
}

interface CatalogTable {
  name: string;
  columns: CatalogColumn[];
  primaryKey: string[];
  unlogged: boolean;
}

interface Catalog {
  /** Tables that a backup carries (logged, not bookkeeping), parents before children. */
  tables: CatalogTable[];
  /** UNLOGGED tables (rate-limit counters and the like): not backed up, emptied by a forced restore. */
  unlogged: CatalogTable[];
  /** Whether the migrator ever ran here (a Leadwerk database, possibly still empty). */
  hasMigrationTable: boolean;
}

const q = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;
const qualified = (table: string) => `${q(SCHEMA)}.${q(table)}`;

/** Orders tables so that every table comes after the tables its foreign keys point to. */
export function sortByForeignKeys(names: string[], edges: { child: string; parent: string }[]): string[] {
  const sorted = [...names].sort();
  const parents = new Map(sorted.map((n) => [n, new Set<string>()]));
  for (const { child, parent } of edges) {
    // A self-reference is no ordering constraint between tables (see docs/operations.md).
    if (child !== parent && parents.has(child) && parents.has(parent)) parents.get(child)!.add(parent);
  }
  const order: string[] = [];
  const done = new Set<string>();
  while (order.length < sorted.length) {
    const ready = sorted.filter((n) => !done.has(n) && [...parents.get(n)!].every((p) => done.has(p)));
    // A cycle can only be restored with DEFERRABLE constraints; name order is as good as any then.
    const next = ready.length > 0 ? ready : sorted.filter((n) => !done.has(n)).slice(0, 1);
    for (const n of next) {
      order.push(n);
      done.add(n);
    }
  }
  return order;
}

async function readCatalog(db: AnyDb): Promise<Catalog> {
  const tables = await sql<{ name: string; persistence: string }>`
    SELECT c.relname AS name, c.relpersistence AS persistence
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${SCHEMA} AND c.relkind IN ('r', 'p') AND NOT c.relispartition
    ORDER BY c.relname`.execute(db);
  const columns = await sql<{ table: string; name: string; type: string; sequence: string | null }>`
    SELECT c.relname AS table, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
      pg_get_serial_sequence(format('%I.%I', n.nspname, c.relname), a.attname) AS sequence
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${SCHEMA} AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
    ORDER BY c.relname, a.attnum`.execute(db);
  const keys = await sql<{ table: string; column: string }>`
    SELECT c.relname AS table, a.attname AS column
    FROM pg_constraint con
    JOIN pg_class c ON c.oid = con.conrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
    JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
    WHERE n.nspname = ${SCHEMA} AND con.contype = 'p'
    ORDER BY c.relname, k.ord`.execute(db);
  const foreignKeys = await sql<{ child: string; parent: string }>`
    SELECT c.relname AS child, p.relname AS parent
    FROM pg_constraint con
    JOIN pg_class c ON c.oid = con.conrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_class p ON p.oid = con.confrelid
    JOIN pg_namespace pn ON pn.oid = p.relnamespace
    WHERE n.nspname = ${SCHEMA} AND pn.nspname = ${SCHEMA} AND con.contype = 'f'`.execute(db);

  const byName = new Map<string, CatalogTable>();
  for (const t of tables.rows) {
    if (BOOKKEEPING_TABLES.has(t.name)) continue;
    byName.set(t.name, { name: t.name, columns: [], primaryKey: [], unlogged: t.persistence === 'u' });
  }
  for (const c of columns.rows) {
    byName.get(c.table)?.columns.push({ name: c.name, type: c.type, sequence: c.sequence });
  }
  for (const k of keys.rows) byName.get(k.table)?.primaryKey.push(k.column);
  const logged = [...byName.values()].filter((t) => !t.unlogged).map((t) => t.name);
  return {
    tables: sortByForeignKeys(logged, foreignKeys.rows).map((n) => byName.get(n)!),
    unlogged: [...byName.values()].filter((t) => t.unlogged),
    hasMigrationTable: tables.rows.some((t) => t.name === 'schema_migrations'),
  };
}

async function readAppliedMigrations(db: AnyDb): Promise<string[]> {
  const rows = await sql<{
    name: string;
  }>`SELECT name FROM ${sql.raw(qualified('schema_migrations'))} ORDER BY name`.execute(db);
  return rows.rows.map((r) => r.name);
}

/** Text forms that do not depend on the server's or the session's settings. */
async function setStableTextFormats(trx: AnyDb): Promise<void> {
  await sql`SELECT set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, YMD', true),
    set_config('IntervalStyle', 'postgres', true), set_config('extra_float_digits', '1', true),
    set_config('bytea_output', 'hex', true)`.execute(trx);
}

// ---------------------------------------------------------------------------------------------
// Dump

export interface DumpOptions {
  source: 'embedded' | 'postgres';
  now?: Date;
  /** Rows per FETCH (tests use small values to cross batch boundaries). */
  batchSize?: number;
}

/**
 * Reads the whole database as backup records from one consistent snapshot (REPEATABLE READ,
 * READ ONLY). A generator: the transaction stays open while the consumer pulls, and ends when the
 * consumer finishes or stops early.
 */
export async function* readDatabaseRecords(db: AnyDb, options: DumpOptions): AsyncGenerator<BackupRecord> {
  const batchSize = Math.max(1, Math.floor(options.batchSize ?? FETCH_ROWS));
  const trx = await db.startTransaction().execute();
  let finished = false;
  try {
    // The first statement of the transaction, so that the snapshot is taken under these rules.
    await sql`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`.execute(trx);
    await setStableTextFormats(trx);
    const catalog = await readCatalog(trx);
    if (!catalog.hasMigrationTable) {
      throw new AppError('DATABASE_NOT_LEADWERK', {
        reason: 'the database has no schema_migrations table; it was never set up by Leadwerk',
      });
    }
    yield {
      type: 'header',
      format: BACKUP_FORMAT,
      formatVersion: BACKUP_FORMAT_VERSION,
      leadwerkVersion: VERSION,
      migrations: await readAppliedMigrations(trx),
      createdAt: (options.now ?? new Date()).toISOString(),
      source: options.source,
    };
    let total = 0;
    for (const table of catalog.tables) {
      const sequences: { column: string; lastValue: string | null }[] = [];
      for (const c of table.columns) {
        if (!c.sequence) continue;
        // Sequences are not transactional: this may be ahead of the snapshot, never behind it.
        const r = await sql<{
          v: string | null;
        }>`SELECT pg_sequence_last_value(${c.sequence}::regclass)::text AS v`.execute(trx);
        sequences.push({ column: c.name, lastValue: r.rows[0]?.v ?? null });
      }
      yield {
        type: 'table',
        name: table.name,
        columns: table.columns.map(({ name, type }) => ({ name, type })),
        sequences,
      };
      const select = table.columns.map((c, i) => `${q(c.name)}::text AS c${i}`).join(', ');
      const order = table.primaryKey.length ? ` ORDER BY ${table.primaryKey.map(q).join(', ')}` : '';
      await sql
        .raw(`DECLARE ${CURSOR} NO SCROLL CURSOR FOR SELECT ${select} FROM ${qualified(table.name)}${order}`)
        .execute(trx);
      let count = 0;
      for (;;) {
        const { rows } = await sql
          .raw<Record<string, string | null>>(`FETCH FORWARD ${batchSize} FROM ${CURSOR}`)
          .execute(trx);
        let batch: (string | null)[][] = [];
        let chars = 0;
        for (const row of rows) {
          const values = table.columns.map((_, i) => row[`c${i}`] ?? null);
          for (const v of values) chars += v?.length ?? 4;
          batch.push(values);
          if (chars >= RECORD_CHARS) {
            yield { type: 'rows', table: table.name, rows: batch };
            batch = [];
            chars = 0;
          }
        }
        if (batch.length > 0) yield { type: 'rows', table: table.name, rows: batch };
        count += rows.length;
        if (rows.length < batchSize) break;
      }
      await sql.raw(`CLOSE ${CURSOR}`).execute(trx);
      yield { type: 'table-end', name: table.name, rows: count };
      total += count;
    }
    yield { type: 'end', tables: catalog.tables.length, rows: total };
    await trx.commit().execute();
    finished = true;
  } finally {
    if (!finished)
      await trx
        .rollback()
        .execute()
        .catch(() => {});
  }
}

export interface TableCount {
  name: string;
  rows: number;
}

export interface BackupSummary {
  file: string;
  bytes: number;
  tables: TableCount[];
  rows: number;
  migrations: string[];
  ms: number;
}

/** The default file name: `leadwerk-backup-20261123-183319.jsonl.gz`. */
export function defaultBackupFileName(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replace(/[-:]/g, '')
    .replace('T', '-');
  return `leadwerk-backup-${stamp}.jsonl.gz`;
}

async function* toLines(
  records: AsyncIterable<BackupRecord>,
  seen: { tables: TableCount[]; migrations: string[] },
): AsyncGenerator<string> {
  for await (const record of records) {
    if (record.type === 'header') seen.migrations = record.migrations;
    if (record.type === 'table-end') seen.tables.push({ name: record.name, rows: record.rows });
    yield `${JSON.stringify(record)}\n`;
  }
}

/**
 * Writes a backup of the whole database, gzip'd, to `out`: a file path (written as `<file>.partial`
 * and renamed when complete, so a failed backup never looks like a good one) or a stream.
 */
export async function writeBackup(
  db: AnyDb,
  out: string | Writable,
  options: DumpOptions,
): Promise<BackupSummary> {
  const started = performance.now();
  const seen = { tables: [] as TableCount[], migrations: [] as string[] };
  const lines = Readable.from(toLines(readDatabaseRecords(db, options), seen));
  let bytes = 0;
  const gzip = createGzip();
  gzip.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  if (typeof out === 'string') {
    const partial = `${out}.partial`;
    try {
      await pipeline(lines, gzip, createWriteStream(partial, { mode: 0o600 }));
      renameSync(partial, out);
    } catch (err) {
      rmSync(partial, { force: true });
      throw err;
    }
  } else {
    await pipeline(lines, gzip, out, { end: out !== process.stdout });
  }
  return {
    file: typeof out === 'string' ? out : '-',
    bytes,
    tables: seen.tables,
    rows: seen.tables.reduce((sum, t) => sum + t.rows, 0),
    migrations: seen.migrations,
    ms: Math.round(performance.now() - started),
  };
}

// ---------------------------------------------------------------------------------------------
// Reading a backup file

/** Reads backup records from a gzip'd stream; a damaged or cut-off stream ends in BACKUP_INVALID. */
export async function* readBackupStream(input: Readable): AsyncGenerator<BackupRecord> {
  // pipeline, not pipe: an error of the file stream must end the iteration too.
  const unzipped = pipelineCallback(input, createGunzip(), () => {});
  const decoder = new StringDecoder('utf8');
  let pending: string[] = [];
  let pendingChars = 0;
  let lineNo = 0;
  try {
    for await (const chunk of unzipped as AsyncIterable<Buffer>) {
      const text = decoder.write(chunk);
      let start = 0;
      let nl = text.indexOf('\n');
      while (nl >= 0) {
        pending.push(text.slice(start, nl));
        const line = pending.join('');
        pending = [];
        pendingChars = 0;
        lineNo += 1;
        if (line.length > 0) yield parseRecord(line, lineNo);
        start = nl + 1;
        nl = text.indexOf('\n', start);
      }
      if (start < text.length) {
        pending.push(text.slice(start));
        pendingChars += text.length - start;
        if (pendingChars > MAX_LINE_CHARS) throw invalid(`line ${lineNo + 1} is too long`);
      }
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR') {
      throw new AppError('NOT_FOUND', { reason: `cannot read the backup file: ${(err as Error).message}` });
    }
    throw invalid(`cannot unpack the backup: ${(err as Error).message}`, { line: lineNo + 1 }, err);
  }
  const rest = pending.join('') + decoder.end();
  if (rest.trim().length > 0) yield parseRecord(rest, lineNo + 1);
}

/** Reads backup records from a file, or from stdin for `-`. */
export function readBackupFile(file: string): AsyncGenerator<BackupRecord> {
  if (file === '-') return readBackupStream(process.stdin);
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
  } catch {
    // reported below
  }
  if (!isFile) throw new AppError('NOT_FOUND', { reason: `no backup file at ${file}` });
  return readBackupStream(createReadStream(file));
}

// ---------------------------------------------------------------------------------------------
// Restore

export interface RestoreOptions {
  /** Empty a database that already has data first (in the same transaction as the restore). */
  force?: boolean;
  /** The migrations this Leadwerk knows; a fresh target is migrated to the backup's state with them. */
  migrations?: Record<string, Migration>;
  /** How long to wait for locks held by running servers before giving up with DATABASE_BUSY. */
  lockTimeoutMs?: number;
  onTable?(table: TableCount): void;
}

export interface RestoreSummary {
  header: BackupHeader;
  tables: TableCount[];
  rows: number;
  /** Migrations applied to the target before restoring (a fresh or older database). */
  migrated: string[];
  ms: number;
}

function migratorFor(db: AnyDb, migrations: Record<string, Migration>): Migrator {
  // The same bookkeeping tables as src/shared/db/migrate.ts.
  return new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  });
}

async function tablesWithRows(db: AnyDb, tables: CatalogTable[]): Promise<string[]> {
  const found: string[] = [];
  for (const t of tables) {
    const r = await sql<{
      any: boolean;
    }>`SELECT EXISTS (SELECT 1 FROM ${sql.raw(qualified(t.name))}) AS any`.execute(db);
    if (r.rows[0]?.any) found.push(t.name);
  }
  return found;
}

function notEmpty(tables: string[]): AppError {
  return new AppError('RESTORE_TARGET_NOT_EMPTY', {
    reason: `the target database has data in ${tables.join(', ')}; restore into an empty database or pass --force to replace it`,
    tables,
  });
}

const samePrefix = (list: string[], prefix: string[]) => prefix.every((name, i) => list[i] === name);

/**
 * Brings the target to exactly the backup's migrations: a fresh (or older) database is migrated
 * forward to them; a database with other or newer migrations is refused.
 */
async function prepareTarget(
  db: AnyDb,
  wanted: string[],
  options: RestoreOptions,
): Promise<{ migrated: string[] }> {
  const catalog = await readCatalog(db);
  if (!catalog.hasMigrationTable && catalog.tables.length + catalog.unlogged.length > 0) {
    throw new AppError('DATABASE_NOT_LEADWERK', {
      reason: `the target has tables but no schema_migrations (${[...catalog.tables, ...catalog.unlogged]
        .map((t) => t.name)
        .join(', ')}); use an empty database`,
    });
  }
  if (!options.force) {
    const filled = await tablesWithRows(db, catalog.tables);
    if (filled.length > 0) throw notEmpty(filled);
  }
  const applied = catalog.hasMigrationTable ? await readAppliedMigrations(db) : [];
  if (applied.length === wanted.length && samePrefix(wanted, applied)) return { migrated: [] };
  const known = Object.keys(options.migrations ?? knownMigrations).sort();
  const mismatch = (reason: string) =>
    new AppError('BACKUP_SCHEMA_MISMATCH', { reason, backup: wanted, database: applied });
  if (!samePrefix(wanted, applied) || applied.length > wanted.length) {
    throw mismatch(
      'the target database has other or newer migrations than the backup; restore into an empty database (a new DATA_DIR or a new PostgreSQL database)',
    );
  }
  const unknown = wanted.filter((name) => !known.includes(name));
  if (unknown.length > 0 || !samePrefix(known, wanted)) {
    throw mismatch(
      `the backup was made by a Leadwerk with migrations this version does not know (${unknown.join(', ') || 'other order'}); restore it with that version or a newer one`,
    );
  }
  const last = wanted[wanted.length - 1];
  if (last === undefined) return { migrated: [] };
  const { error, results } = await migratorFor(db, options.migrations ?? knownMigrations).migrateTo(last);
  if (error) throw error;
  return { migrated: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}

function insertStatement(table: CatalogTable, columnNames: string[]): string {
  const types = new Map(table.columns.map((c) => [c.name, c.type]));
  // Types come from the target's catalog, never from the file: the file only supplies values.
  const values = columnNames.map((name, i) => `(r->>${i})::${types.get(name)}`).join(', ');
  return `INSERT INTO ${qualified(table.name)} (${columnNames.map(q).join(', ')}) OVERRIDING SYSTEM VALUE
    SELECT ${values} FROM json_array_elements($1::text::json) AS e(r)`;
}

function databaseErrorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Restores backup records into `db` in one transaction: a restore that fails at any point — a
 * damaged or cut-off file, a value the schema refuses, a lost connection — leaves nothing behind.
 * The target must be empty (or `force`) and is brought to the backup's migrations first.
 */
export async function restoreRecords(
  db: AnyDb,
  records: AsyncIterable<BackupRecord>,
  options: RestoreOptions = {},
): Promise<RestoreSummary> {
  const started = performance.now();
  const iterator = records[Symbol.asyncIterator]();
  try {
    const first = await iterator.next();
    if (first.done || first.value.type !== 'header') throw invalid('the backup does not start with a header');
    const header = first.value;
    const { migrated } = await prepareTarget(db, header.migrations, options);

    const tables = await db.transaction().execute(async (trx) => {
      await sql`SET CONSTRAINTS ALL DEFERRED`.execute(trx);
      await setStableTextFormats(trx);
      await sql`SELECT set_config('lock_timeout', ${`${options.lockTimeoutMs ?? 10_000}ms`}, true)`.execute(
        trx,
      );
      const catalog = await readCatalog(trx);
      const all = [...catalog.tables, ...catalog.unlogged].map((t) => qualified(t.name));
      try {
        // No server may write while we replace everything; readers may look on until the commit.
        if (all.length > 0)
          await sql
            .raw(`LOCK TABLE ${all.join(', ')} IN ${options.force ? 'ACCESS EXCLUSIVE' : 'EXCLUSIVE'} MODE`)
            .execute(trx);
      } catch (err) {
        if (databaseErrorCode(err) === '55P03') {
          throw new AppError('DATABASE_BUSY', {
            reason: 'timed out waiting for other sessions to release the tables',
          });
        }
        throw err;
      }
      if (options.force && all.length > 0) {
        // TRUNCATE fires no row triggers, so audit_log's append-only guard (UPDATE/DELETE) stays intact.
        await sql.raw(`TRUNCATE ${all.join(', ')} RESTART IDENTITY`).execute(trx);
      } else if (!options.force) {
        const filled = await tablesWithRows(trx, catalog.tables);
        if (filled.length > 0) throw notEmpty(filled);
      }

      const targetTables = new Map(catalog.tables.map((t) => [t.name, t]));
      const restored: (TableCount & { sequences: { column: string; lastValue: string | null }[] })[] = [];
      let current:
        | {
            table: CatalogTable;
            width: number;
            insert: string;
            rows: number;
            sequences: { column: string; lastValue: string | null }[];
          }
        | undefined;
      let ended = false;
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        const record = next.value;
        if (ended) throw invalid('there is data after the end of the backup');
        switch (record.type) {
          case 'header':
            throw invalid('the backup has a second header');
          case 'table': {
            if (current) throw invalid(`table ${current.table.name} is not finished before ${record.name}`);
            const table = targetTables.get(record.name);
            if (!table || restored.some((t) => t.name === record.name)) {
              throw table
                ? invalid(`table ${record.name} appears twice`)
                : new AppError('BACKUP_SCHEMA_MISMATCH', {
                    reason: `the backup has a table ${record.name} that this database does not have`,
                  });
            }
            const names = record.columns.map((c) => c.name);
            const expected = table.columns.map((c) => c.name);
            if (names.length !== expected.length || !expected.every((n) => names.includes(n))) {
              throw new AppError('BACKUP_SCHEMA_MISMATCH', {
                reason: `table ${record.name} has other columns in the backup than in this database`,
                backup: names,
                database: expected,
              });
            }
            current = {
              table,
              width: names.length,
              insert: insertStatement(table, names),
              rows: 0,
              sequences: record.sequences,
            };
            break;
          }
          case 'rows': {
            if (!current || record.table !== current.table.name) {
              throw invalid(`rows for ${record.table} outside that table's section`);
            }
            const width = current.width;
            if (record.rows.some((row) => row.length !== width)) {
              throw invalid(`a row of ${record.table} does not have ${width} values`);
            }
            if (record.rows.length === 0) break;
            try {
              await trx.executeQuery(CompiledQuery.raw(current.insert, [JSON.stringify(record.rows)]));
            } catch (err) {
              const code = databaseErrorCode(err) ?? '';
              // Class 22 (data exception) and 23 (integrity violation): the file, not the database, is wrong.
              if (code.startsWith('22') || code.startsWith('23')) {
                throw invalid(
                  `table ${record.table}: ${(err as Error).message}`,
                  { table: record.table, sqlstate: code },
                  err,
                );
              }
              throw err;
            }
            current.rows += record.rows.length;
            break;
          }
          case 'table-end': {
            if (!current || record.name !== current.table.name)
              throw invalid(`unexpected end of table ${record.name}`);
            if (record.rows !== current.rows) {
              throw invalid(
                `table ${record.name} should have ${record.rows} rows, the backup holds ${current.rows}`,
              );
            }
            restored.push({ name: record.name, rows: current.rows, sequences: current.sequences });
            options.onTable?.({ name: record.name, rows: current.rows });
            current = undefined;
            break;
          }
          case 'end': {
            const total = restored.reduce((sum, t) => sum + t.rows, 0);
            if (current) throw invalid(`table ${current.table.name} is not finished`);
            if (record.tables !== restored.length || record.rows !== total) {
              throw invalid(
                `the backup announces ${record.tables} tables and ${record.rows} rows, it holds ${restored.length} and ${total}`,
              );
            }
            ended = true;
            break;
          }
        }
      }
      if (!ended) throw invalid('the backup ends early: it was cut off or is still being written');
      const missing = catalog.tables
        .filter((t) => !restored.some((r) => r.name === t.name))
        .map((t) => t.name);
      if (missing.length > 0) throw invalid(`the backup lacks the tables ${missing.join(', ')}`);

      // New rows must not collide with restored ids: sequences continue after the larger of the
      // highest restored id and the source's own counter (rows deleted at the source stay unused).
      for (const t of restored) {
        const table = targetTables.get(t.name)!;
        for (const column of table.columns) {
          if (!column.sequence) continue;
          const lastValue = t.sequences.find((s) => s.column === column.name)?.lastValue ?? null;
          await sql`SELECT setval(${column.sequence}::regclass, v) FROM (
              SELECT GREATEST((SELECT max(${sql.raw(q(column.name))}) FROM ${sql.raw(qualified(t.name))})::int8,
                ${lastValue}::int8) AS v) s
            WHERE v IS NOT NULL`.execute(trx);
        }
      }
      return restored.map(({ name, rows }) => ({ name, rows }));
    });
    return {
      header,
      tables,
      rows: tables.reduce((sum, t) => sum + t.rows, 0),
      migrated,
      ms: Math.round(performance.now() - started),
    };
  } finally {
    // Ends the source's snapshot transaction (db copy) or closes the file when we stopped early.
    await iterator.return?.(undefined);
  }
}

/** Restores a backup file (or stdin for `-`) into `db`; see restoreRecords. */
export async function restoreBackupFile(
  db: AnyDb,
  file: string,
  options: RestoreOptions = {},
): Promise<RestoreSummary> {
  return restoreRecords(db, readBackupFile(file), options);
}

// ---------------------------------------------------------------------------------------------
// Copy: embedded → PostgreSQL

async function databaseIdentity(db: AnyDb): Promise<string> {
  const r = await sql<{ id: string }>`SELECT concat_ws('/', current_database(), inet_server_port(),
      pg_postmaster_start_time()) AS id`.execute(db);
  return r.rows[0]?.id ?? '';
}

export interface CopyOptions extends Omit<RestoreOptions, 'migrations'> {
  source: 'embedded' | 'postgres';
  migrations?: Record<string, Migration>;
}

/**
 * Copies `source` into `target` through the same record stream as backup and restore, without a
 * file in between: one snapshot read on the source, one transaction on the target.
 */
export async function copyDatabase(
  source: AnyDb,
  target: AnyDb,
  options: CopyOptions,
): Promise<RestoreSummary> {
  if ((await databaseIdentity(source)) === (await databaseIdentity(target))) {
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'to', message: 'is the database Leadwerk uses now; copy into another database' }],
    });
  }
  return restoreRecords(target, readDatabaseRecords(source, { source: options.source }), options);
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(invalid URL)';
  }
}

/** Opens the PostgreSQL database at `url`, copies `source` into it, and closes it again. */
export async function copyToPostgres(
  source: AnyDb,
  url: string,
  options: CopyOptions,
): Promise<RestoreSummary> {
  if (!/^postgres(ql)?:\/\/.+/.test(url)) {
    throw new AppError('VALIDATION_FAILED', {
      fields: [
        {
          field: 'to',
          message: 'must be a postgres:// URL, e.g. postgres://leadwerk:secret@db:5432/leadwerk',
        },
      ],
    });
  }
  const target = await openDatabase({ databaseUrl: url, dataDir: '.', poolSize: 2 });
  try {
    try {
      await sql`SELECT 1`.execute(target.db);
    } catch (err) {
      throw new AppError(
        'DATABASE_UNAVAILABLE',
        { reason: `cannot connect to ${redactUrl(url)}: ${(err as Error).message}` },
        { cause: err },
      );
    }
    return await copyDatabase(source, target.db, options);
  } finally {
    await target.close();
  }
}
