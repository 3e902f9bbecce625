import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { Type } from '@sinclair/typebox';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrations } from '../../src/migrations/index.js';
import { recordAudit } from '../../src/modules/audit/index.js';
import {
  addMember,
  createApiKey,
  createWorkspaceWithAdmin,
  ensureInitialAdmin,
} from '../../src/modules/identity/index.js';
import {
  copyDatabase,
  copyToPostgres,
  defaultBackupFileName,
  readBackupFile,
  restoreBackupFile,
  sortByForeignKeys,
  writeBackup,
} from '../../src/ops/backup.js';
import { createDemoWorkspace } from '../../src/ops/demo.js';
import { systemActor } from '../../src/shared/actor.js';
import { openDatabase } from '../../src/shared/db/index.js';
import { AppError } from '../../src/shared/errors.js';
import { defineJob } from '../../src/shared/jobs/index.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createTestApp } from '../support/app.js';
import { availableDbKinds, createTestDeps, type DbKind, type TestDeps } from '../support/deps.js';
import { createThrowawayDatabase, postgresAvailable } from '../support/postgres.js';

const kinds = await availableDbKinds();
const withPostgres = await postgresAvailable();
const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..', '..');
/** Every migration this Leadwerk knows, in order: what a freshly migrated database has applied. */
const ALL_MIGRATIONS = Object.keys(migrations).sort();

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'leadwerk-backup-test-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// biome-ignore lint/suspicious/noExplicitAny: the checks read every table, typed or not
type AnyDb = Kysely<any>;

const sourceOf = (kind: DbKind): 'embedded' | 'postgres' => (kind === 'pglite' ? 'embedded' : 'postgres');

const noopJob = defineJob({
  name: 'test.noop',
  schema: Type.Object({ contactId: Type.String() }),
  async handler() {},
});

/** The tables a backup must carry: everything in public except migration bookkeeping and UNLOGGED tables. */
async function dataTables(db: AnyDb): Promise<string[]> {
  const r = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relpersistence = 'p'
      AND c.relname NOT IN ('schema_migrations', 'schema_migrations_lock')
    ORDER BY 1`.execute(db);
  return r.rows.map((x) => x.name);
}

/** Every row of every data table in PostgreSQL's record text form (UTC), sorted: comparable across databases. */
async function snapshot(db: AnyDb): Promise<Record<string, string[]>> {
  return db.transaction().execute(async (trx) => {
    await sql`SET LOCAL TimeZone = 'UTC'`.execute(trx);
    const out: Record<string, string[]> = {};
    for (const table of await dataTables(trx)) {
      const r = await sql<{ row: string }>`SELECT t::text AS row FROM ${sql.table(table)} AS t`.execute(trx);
      out[table] = r.rows.map((x) => x.row).sort();
    }
    return out;
  });
}

async function rowCounts(db: AnyDb): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of await dataTables(db)) {
    const r = await sql<{ n: string }>`SELECT count(*)::text AS n FROM ${sql.table(table)}`.execute(db);
    out[table] = Number(r.rows[0]!.n);
  }
  return out;
}

/**
 * Fills a database the way Leadwerk does (services with their audit entries), plus the values that
 * break naive dumps: bigint ids beyond 2^53, jsonb with huge numbers and odd strings, timestamps with
 * microseconds, NULLs, a dead job, and more audit rows than one batch holds.
 */
async function fill(deps: TestDeps): Promise<void> {
  const { db } = deps;
  const admin = await ensureInitialAdmin(db, {
    email: ADMIN_EMAIL,
    password: ADMIN_PASSWORD,
    workspaceName: 'Acme GmbH',
  });
  const adminUser = await db
    .selectFrom('users')
    .select('id')
    .where('email', '=', ADMIN_EMAIL)
    .executeTakeFirstOrThrow();
  const actor = { ...systemActor(ADMIN_EMAIL), userId: adminUser.id };
  const agency = await createWorkspaceWithAdmin(
    db,
    actor,
    { name: 'Müller & Söhne Agentur', defaultLocale: 'en' },
    adminUser.id,
  );
  await addMember(db, actor, admin.workspace!.id, {
    email: 'anna@example.com',
    name: 'Anna Schmidt',
    role: 'marketing',
    password: 'anna-password-1',
  });
  await addMember(db, actor, admin.workspace!.id, {
    email: 'jonas@example.com',
    name: 'Jonas Weber',
    role: 'sales',
    password: 'jonas-password-1',
  });
  await addMember(db, actor, agency.id, { email: 'anna@example.com', role: 'viewer' });
  await createApiKey(db, actor, admin.workspace!.id, {
    name: 'Website',
    scopes: ['forms:read', 'contacts:write'],
  });
  const old = await createApiKey(db, actor, agency.id, { name: 'Alt', scopes: ['contacts:read'] });
  await db
    .updateTable('api_keys')
    .set({ revoked_at: new Date('2026-01-02T03:04:05.678Z') })
    .where('id', '=', old.apiKey.id)
    .execute();
  await db
    .insertInto('sessions')
    .values({
      id: '01890a5d-ac96-774b-bcce-b302099a8057',
      token_hash: 'f'.repeat(64),
      user_id: adminUser.id,
      ip: null,
      user_agent: 'Mozilla/5.0 "quoted" \\ backslash',
      expires_at: '2099-12-31T23:59:59.999999Z',
    })
    .execute();
  await deps.queue.enqueue(
    db,
    noopJob,
    { contactId: 'c-1' },
    { workspaceId: admin.workspace!.id, idempotencyKey: 'k-1' },
  );
  const deadId = await deps.queue.enqueue(db, noopJob, { contactId: 'c-2' }, { workspaceId: agency.id });
  await db
    .updateTable('jobs')
    .set({ state: 'dead', attempts: 10, last_error: 'SMTP 550 mailbox unavailable\nat line 2' })
    .where('id', '=', deadId!)
    .execute();
  await recordAudit(db, actor, {
    workspaceId: admin.workspace!.id,
    action: 'contacts.exported',
    details: {
      note: 'Grüße „Zitat“ \'single\' "double" \\ \n\t 😀 \u2028',
      nested: { list: [1, 2.5, null, true] },
    },
  });
  await sql`INSERT INTO audit_log (id, actor_label, action, details, created_at)
    VALUES (9007199254740993, 'system', 'test.big-id',
      '{"huge": 123456789012345678901234567890, "float": 0.1, "neg": -1e-7}'::jsonb,
      '2026-03-29 01:59:59.123456+01')`.execute(db);
  await sql`INSERT INTO audit_log (actor_label, action, workspace_id, details)
    SELECT 'bulk', 'test.bulk', ${agency.id}::uuid, jsonb_build_object('n', g) FROM generate_series(1, 1234) AS g`.execute(
    db,
  );
  // Rate-limit counters are UNLOGGED and disposable: never part of a backup.
  await sql`INSERT INTO rate_limits (bucket, window_start, hits, expires_at)
    VALUES ('login:ip:127.0.0.1', now(), 3, now() + interval '1 minute')`.execute(db);
}

async function gunzipLines(file: string): Promise<string[]> {
  return gunzipSync(readFileSync(file)).toString('utf8').trimEnd().split('\n');
}

function writeLines(file: string, lines: string[]): void {
  writeFileSync(file, gzipSync(`${lines.join('\n')}\n`));
}

async function expectAppError(promise: Promise<unknown>, code: string): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  return err as AppError;
}

describe('sortByForeignKeys', () => {
  it('puts parents before children, keeps name order otherwise, and survives cycles and self-references', () => {
    expect(
      sortByForeignKeys(
        ['memberships', 'users', 'workspaces', 'audit_log'],
        [
          { child: 'memberships', parent: 'users' },
          { child: 'memberships', parent: 'workspaces' },
          { child: 'users', parent: 'users' },
        ],
      ),
    ).toEqual(['audit_log', 'users', 'workspaces', 'memberships']);
    expect(
      sortByForeignKeys(
        ['a', 'b', 'c'],
        [
          { child: 'a', parent: 'b' },
          { child: 'b', parent: 'a' },
        ],
      ),
    ).toEqual(['c', 'a', 'b']);
  });

  it('names backups by their time', () => {
    expect(defaultBackupFileName(new Date('2026-11-23T18:33:19.975Z'))).toBe(
      'leadwerk-backup-20261123-183319.jsonl.gz',
    );
  });
});

describe.each(kinds)('backup and restore on %s', (kind) => {
  let source: TestDeps;
  let file: string;
  let before: Record<string, string[]>;
  const open: TestDeps[] = [];
  async function fresh(k: DbKind = kind): Promise<TestDeps> {
    const deps = await createTestDeps(k);
    open.push(deps);
    return deps;
  }

  beforeAll(async () => {
    source = await fresh();
    await fill(source);
    before = await snapshot(source.db);
    file = join(tempDir(), 'backup.jsonl.gz');
    // Small batches, so that tables cross several FETCHes and records.
    await writeBackup(source.db, file, { source: sourceOf(kind), batchSize: 100 });
  });
  afterAll(async () => {
    for (const d of open) await d.cleanup();
  });

  it('writes a header, every data table in foreign-key order, and a closing count', async () => {
    const lines = (await gunzipLines(file)).map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({
      type: 'header',
      format: 'leadwerk-backup',
      formatVersion: 1,
      leadwerkVersion: expect.any(String),
      migrations: ALL_MIGRATIONS,
      source: sourceOf(kind),
    });
    const tables = lines.filter((l) => l.type === 'table').map((l) => l.name);
    expect([...tables].sort()).toEqual(await dataTables(source.db));
    expect(tables).not.toContain('rate_limits');
    for (const [child, parent] of [
      ['memberships', 'users'],
      ['memberships', 'workspaces'],
      ['api_keys', 'workspaces'],
      ['sessions', 'users'],
    ]) {
      expect(tables.indexOf(child!)).toBeGreaterThan(tables.indexOf(parent!));
    }
    const audit = lines.filter((l) => l.type === 'rows' && l.table === 'audit_log');
    expect(audit.length).toBeGreaterThan(10);
    expect(lines.at(-1)).toEqual({ type: 'end', tables: tables.length, rows: expect.any(Number) });
    expect(lines.at(-1).rows).toBe(Object.values(await rowCounts(source.db)).reduce((a, b) => a + b, 0));
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('restores into a fresh database with every table equal row by row', async () => {
    const target = await fresh();
    const summary = await restoreBackupFile(target.db, file);
    expect(summary.rows).toBeGreaterThan(1240);
    expect(await snapshot(target.db)).toEqual(before);
    // Not carried: the rate-limit counters.
    const limits = await sql<{ n: string }>`SELECT count(*)::text AS n FROM rate_limits`.execute(target.db);
    expect(limits.rows[0]!.n).toBe('0');
    // Exact values: bigint beyond 2^53, jsonb with a 30-digit number, microseconds.
    const big = await target.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'test.big-id')
      .executeTakeFirstOrThrow();
    expect(big.id).toBe('9007199254740993');
    const text = await sql<{
      d: string;
      t: string;
    }>`SELECT details::text AS d, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS t
      FROM audit_log WHERE action = 'test.big-id'`.execute(target.db);
    expect(text.rows[0]).toEqual({
      // jsonb keeps numbers as numeric: -1e-7 reads back as -0.0000001 on the source too
      d: '{"neg": -0.0000001, "huge": 123456789012345678901234567890, "float": 0.1}',
      t: '2026-03-29 00:59:59.123456',
    });
    const dead = await target.db
      .selectFrom('jobs')
      .selectAll()
      .where('state', '=', 'dead')
      .executeTakeFirstOrThrow();
    expect(dead).toMatchObject({ attempts: 10, last_error: 'SMTP 550 mailbox unavailable\nat line 2' });
    // Sequences continue after the restored ids, and the audit trail is still append-only.
    await recordAudit(target.db, systemActor(), { workspaceId: null, action: 'test.after-restore' });
    const after = await target.db
      .selectFrom('audit_log')
      .select('id')
      .where('action', '=', 'test.after-restore')
      .executeTakeFirstOrThrow();
    expect(BigInt(after.id)).toBeGreaterThan(9007199254740993n);
    await expect(sql`UPDATE audit_log SET action = 'x' WHERE id = 1`.execute(target.db)).rejects.toThrow(
      /append-only/,
    );
    // A restored database works as Leadwerk: the job queue takes new work with fresh ids.
    const jobId = await target.queue.enqueue(target.db, noopJob, { contactId: 'c-3' });
    expect(Number(jobId)).toBeGreaterThan(2);
  });

  it('restores across engines: a backup of one database restores into the other', async () => {
    const other: DbKind = kind === 'pglite' ? 'postgres' : 'pglite';
    if (!kinds.includes(other)) return;
    const target = await fresh(other);
    await restoreBackupFile(target.db, file);
    expect(await snapshot(target.db)).toEqual(before);
  });

  it('refuses a database with data, and replaces it with --force in one transaction', async () => {
    const target = await fresh();
    await ensureInitialAdmin(target.db, { email: 'other@example.com', password: 'other-password' });
    const mine = await snapshot(target.db);
    const err = await expectAppError(restoreBackupFile(target.db, file), 'RESTORE_TARGET_NOT_EMPTY');
    expect(err.details?.tables).toEqual(expect.arrayContaining(['users', 'workspaces', 'audit_log']));
    expect(await snapshot(target.db)).toEqual(mine);

    // A forced restore of a damaged file leaves the old data in place.
    const lines = await gunzipLines(file);
    const cut = join(tempDir(), 'cut.jsonl.gz');
    writeLines(cut, lines.slice(0, lines.length - 3));
    await expectAppError(restoreBackupFile(target.db, cut, { force: true }), 'BACKUP_INVALID');
    expect(await snapshot(target.db)).toEqual(mine);

    await restoreBackupFile(target.db, file, { force: true });
    expect(await snapshot(target.db)).toEqual(before);
    await recordAudit(target.db, systemActor(), { workspaceId: null, action: 'test.after-force' });
  });

  it('refuses a backup made with other migrations, and changes nothing', async () => {
    const lines = await gunzipLines(file);
    const header = JSON.parse(lines[0]!);
    for (const migrations of [
      [...header.migrations, '2099-01-01-0001-from-the-future'],
      ['2020-01-01-0001-something-else'],
    ]) {
      const other = join(tempDir(), 'other-migrations.jsonl.gz');
      writeLines(other, [JSON.stringify({ ...header, migrations }), ...lines.slice(1)]);
      const target = await fresh();
      await expectAppError(restoreBackupFile(target.db, other), 'BACKUP_SCHEMA_MISMATCH');
      expect(Object.values(await rowCounts(target.db)).every((n) => n === 0)).toBe(true);
    }
  });

  it('migrates a database that was never set up to the backup’s migrations, then restores', async () => {
    let url: string | undefined;
    let drop = async () => {};
    if (kind === 'postgres') ({ url, drop } = await createThrowawayDatabase());
    const handle = await openDatabase({ databaseUrl: url, dataDir: tempDir(), inMemory: kind === 'pglite' });
    try {
      const summary = await restoreBackupFile(handle.db, file);
      expect(summary.migrated).toEqual(ALL_MIGRATIONS);
      expect(await snapshot(handle.db)).toEqual(before);
    } finally {
      await handle.close();
      await drop();
    }
  });

  it('restores an older backup with a newer Leadwerk: the target gets the backup’s migrations, not more', async () => {
    const newer = {
      ...migrations,
      '2999-01-01-0001-later': {
        up: async (db: AnyDb) => {
          await sql`CREATE TABLE later_things (id int PRIMARY KEY)`.execute(db);
        },
      },
    };
    let url: string | undefined;
    let drop = async () => {};
    if (kind === 'postgres') ({ url, drop } = await createThrowawayDatabase());
    const handle = await openDatabase({ databaseUrl: url, dataDir: tempDir(), inMemory: kind === 'pglite' });
    try {
      const summary = await restoreBackupFile(handle.db, file, { migrations: newer });
      expect(summary.migrated).toEqual(ALL_MIGRATIONS);
      const later = await sql<{ t: string | null }>`SELECT to_regclass('later_things')::text AS t`.execute(
        handle.db,
      );
      expect(later.rows[0]!.t).toBeNull();
      expect(await snapshot(handle.db)).toEqual(before);
    } finally {
      await handle.close();
      await drop();
    }
  });

  it('gives up with DATABASE_BUSY while another session writes', async () => {
    if (kind === 'pglite') return; // one process, one session: the data-dir lock keeps others out
    const target = await fresh();
    const other = new pg.Client({ connectionString: target.config.databaseUrl });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(
        "INSERT INTO rate_limits (bucket, window_start, hits, expires_at) VALUES ('x', now(), 1, now())",
      );
      await expectAppError(restoreBackupFile(target.db, file, { lockTimeoutMs: 200 }), 'DATABASE_BUSY');
      await other.query('ROLLBACK');
      expect(Object.values(await rowCounts(target.db)).every((n) => n === 0)).toBe(true);
    } finally {
      await other.end();
    }
  });

  it('leaves the target empty when the backup is cut off or damaged', async () => {
    const bytes = readFileSync(file);
    const lines = await gunzipLines(file);
    const cases: [string, Buffer][] = [
      // cut inside the gzip stream: unpacking fails part-way, after rows were inserted
      ['truncated gzip', bytes.subarray(0, Math.floor(bytes.length * 0.7))],
      // a well-formed gzip of the first lines: no end record
      ['missing end', gzipSync(`${lines.slice(0, Math.floor(lines.length * 0.8)).join('\n')}\n`)],
      // a row count that does not add up
      [
        'wrong count',
        gzipSync(
          `${lines.map((l) => l.replace(/"type":"table-end","name":"users","rows":\d+/, '"type":"table-end","name":"users","rows":99')).join('\n')}\n`,
        ),
      ],
      // a value the column type refuses
      [
        'bad value',
        gzipSync(
          `${lines.map((l) => (l.includes('"table":"workspaces"') ? l.replace(/"de"|"en"/, '"xx"') : l)).join('\n')}\n`,
        ),
      ],
      ['not gzip', Buffer.from('this is not a backup\n')],
      ['not a backup', gzipSync('{"hello":"world"}\n')],
    ];
    const target = await fresh();
    for (const [name, content] of cases) {
      const damaged = join(tempDir(), `${name.replace(/ /g, '-')}.jsonl.gz`);
      writeFileSync(damaged, content);
      const err = await expectAppError(restoreBackupFile(target.db, damaged), 'BACKUP_INVALID');
      expect(err.message, name).toMatch(/BACKUP_INVALID: /);
      expect(await rowCounts(target.db), name).toEqual(
        Object.fromEntries((await dataTables(target.db)).map((t) => [t, 0])),
      );
    }
    await expectAppError(restoreBackupFile(target.db, join(tempDir(), 'missing.jsonl.gz')), 'NOT_FOUND');
    // After all that, the same target still takes the good backup.
    await restoreBackupFile(target.db, file);
    expect(await snapshot(target.db)).toEqual(before);
  });

  it('reads a consistent snapshot while others keep writing', async () => {
    // The dump reads from one snapshot: rows committed after it started are not in it.
    if (kind === 'pglite') return; // one session: nobody else can write meanwhile
    const records = readBackupRecordsWhileWriting(source);
    const counts = await records;
    expect(counts.inBackup).toBe(counts.atStart);
    expect(counts.afterwards).toBeGreaterThan(counts.atStart);
  });
});

/** Starts a dump, writes 50 audit rows from another connection half-way, and counts what the dump saw. */
async function readBackupRecordsWhileWriting(deps: TestDeps) {
  const { readDatabaseRecords } = await import('../../src/ops/backup.js');
  const countAudit = async () =>
    Number((await sql<{ n: string }>`SELECT count(*)::text AS n FROM audit_log`.execute(deps.db)).rows[0]!.n);
  const atStart = await countAudit();
  let inBackup = 0;
  let wrote = false;
  for await (const record of readDatabaseRecords(deps.db, { source: 'postgres', batchSize: 100 })) {
    if (record.type === 'table' && !wrote) {
      wrote = true;
      await sql`INSERT INTO audit_log (actor_label, action, details) SELECT 'later', 'test.later', '{}' FROM generate_series(1, 50)`.execute(
        deps.db,
      );
    }
    if (record.type === 'table-end' && record.name === 'audit_log') inBackup = record.rows;
  }
  return { atStart, inBackup, afterwards: await countAudit() };
}

describe.skipIf(!withPostgres)('db copy: embedded → PostgreSQL', () => {
  it('copies everything into an empty PostgreSQL database, migrating it first, and refuses a second copy', async () => {
    const source = await createTestDeps('pglite');
    const target = await createThrowawayDatabase();
    try {
      await fill(source);
      const before = await snapshot(source.db);
      const summary = await copyToPostgres(source.db, target.url, { source: 'embedded' });
      expect(summary.migrated).toEqual(ALL_MIGRATIONS);
      expect(summary.tables.map((t) => t.name).sort()).toEqual(await dataTables(source.db));
      expect(summary.rows).toBe(Object.values(await rowCounts(source.db)).reduce((a, b) => a + b, 0));

      const handle = await openDatabase({ databaseUrl: target.url, dataDir: tempDir() });
      try {
        expect(await snapshot(handle.db)).toEqual(before);
        await expectAppError(
          copyToPostgres(source.db, target.url, { source: 'embedded' }),
          'RESTORE_TARGET_NOT_EMPTY',
        );
        await recordAudit(source.db, systemActor(), { workspaceId: null, action: 'test.changed-since' });
        await copyToPostgres(source.db, target.url, { source: 'embedded', force: true });
        expect(await snapshot(handle.db)).toEqual(await snapshot(source.db));
        // Copying a database onto itself is refused before anything happens.
        await expectAppError(copyDatabase(handle.db, handle.db, { source: 'postgres' }), 'VALIDATION_FAILED');
      } finally {
        await handle.close();
      }
      await expectAppError(
        copyToPostgres(source.db, 'mysql://nope', { source: 'embedded' }),
        'VALIDATION_FAILED',
      );
      await expectAppError(
        copyToPostgres(source.db, 'postgres://postgres@127.0.0.1:1/none', { source: 'embedded' }),
        'DATABASE_UNAVAILABLE',
      );
    } finally {
      await source.cleanup();
      await target.drop();
    }
  });

  it('refuses a target with tables Leadwerk did not make', async () => {
    const source = await createTestDeps('pglite');
    const target = await createThrowawayDatabase();
    const client = new pg.Client({ connectionString: target.url });
    try {
      await client.connect();
      await client.query('CREATE TABLE invoices (id int)');
      await expectAppError(
        copyToPostgres(source.db, target.url, { source: 'embedded' }),
        'DATABASE_NOT_LEADWERK',
      );
    } finally {
      await client.end();
      await source.cleanup();
      await target.drop();
    }
  });
});

describe('leadwerk demo', () => {
  it('seeds a workspace with a team of every role, API keys and audit entries, and runs again', async () => {
    const t = await createTestApp(kinds.includes('postgres') ? 'postgres' : 'pglite');
    try {
      const first = await createDemoWorkspace(t.deps);
      const second = await createDemoWorkspace(t.deps);
      expect(first.workspace.slug).toBe('nordlicht-maschinenbau-gmbh');
      expect(second.workspace.slug).toBe('nordlicht-maschinenbau-gmbh-2');
      expect(first.seeded).toContain('identity');
      expect(new Set(first.users.map((u) => u.role))).toEqual(
        new Set(['admin', 'marketing', 'sales', 'dpo', 'viewer']),
      );
      expect(first.users.map((u) => u.name)).toEqual(
        expect.arrayContaining(['Anna Schmidt', 'Emily Clarke', 'Dr. Petra Hoffmann']),
      );
      expect(second.users).toHaveLength(first.users.length);
      expect(second.users.every((u) => u.email.endsWith('@nordlicht-maschinenbau-gmbh-2.example'))).toBe(
        true,
      );

      // Every demo user logs in with the printed password and lands in the demo workspace.
      for (const user of [first.users[0]!, first.users.find((u) => u.role === 'viewer')!]) {
        const caller = await t.login(user.email, first.password);
        expect(caller.workspaceId).toBe(first.workspace.id);
      }
      const keys = await t.deps.db
        .selectFrom('api_keys')
        .selectAll()
        .where('workspace_id', '=', first.workspace.id)
        .execute();
      expect(keys).toHaveLength(2);
      expect(keys.filter((k) => k.revoked_at !== null)).toHaveLength(1);
      const actions = await t.deps.db
        .selectFrom('audit_log')
        .select('action')
        .where('workspace_id', '=', first.workspace.id)
        .execute();
      // The platform's part; other modules' seeds add their own entries.
      expect([...new Set(actions.map((a) => a.action))]).toEqual(
        expect.arrayContaining([
          'workspaces.created',
          'members.added',
          'members.role-changed',
          'apikeys.created',
          'apikeys.revoked',
        ]),
      );

      const named = await createDemoWorkspace(t.deps, { workspaceName: 'Müller & Söhne GmbH' });
      expect(named.workspace).toMatchObject({ name: 'Müller & Söhne GmbH', slug: 'mueller-soehne-gmbh' });
      await expectAppError(createDemoWorkspace(t.deps, { workspaceName: '   ' }), 'VALIDATION_FAILED');
    } finally {
      await t.close();
    }
  });
});

describe('the leadwerk binary', () => {
  const cli = (args: string[], env: Record<string, string>) =>
    run(process.execPath, [join(ROOT, 'bin', 'leadwerk.js'), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'silent', ...env },
    });
  const fails = (args: string[], env: Record<string, string>) =>
    cli(args, env).then(
      (r) => ({ code: 0, stderr: r.stderr }),
      (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
    );

  beforeAll(async () => {
    await run('npm', ['run', 'build:server'], { cwd: ROOT });
  }, 180_000);

  it('runs demo, backup, restore and db copy end to end', async () => {
    const dir = tempDir();
    const first = { DATA_DIR: join(dir, 'first') };
    const second = { DATA_DIR: join(dir, 'second') };
    const file = join(dir, 'leadwerk.jsonl.gz');

    const demo = await cli(['demo', '--workspace-name', 'Beispiel AG'], first);
    expect(demo.stdout).toContain('Demo workspace "Beispiel AG" (beispiel-ag) is ready.');
    const password = /password \(all of them\): (\S+)/.exec(demo.stdout)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{16}$/);

    const backup = await cli(['backup', '--out', file], first);
    expect(backup.stdout).toMatch(/Backed up \d+ tables, \d+ rows to .*leadwerk\.jsonl\.gz/);
    const records = [];
    for await (const r of readBackupFile(file)) records.push(r);
    expect(records[0]).toMatchObject({ type: 'header', source: 'embedded' });

    const restore = await cli(['restore', file], second);
    expect(restore.stdout).toMatch(/Restored \d+ tables, \d+ rows/);
    const again = await fails(['restore', file], second);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('error RESTORE_TARGET_NOT_EMPTY');
    expect((await cli(['restore', file, '--force'], second)).stdout).toMatch(/Restored \d+ tables/);

    if (withPostgres) {
      const target = await createThrowawayDatabase();
      try {
        const copy = await cli(['db', 'copy', '--to', target.url], second);
        expect(copy.stdout).toMatch(/Copied \d+ tables, \d+ rows/);
        expect(copy.stdout).toContain('DATABASE_URL=');
        const client = new pg.Client({ connectionString: target.url });
        await client.connect();
        try {
          const applied = await client.query<{ name: string }>(
            'SELECT name FROM schema_migrations ORDER BY name',
          );
          expect(applied.rows.map((r) => r.name)).toEqual(ALL_MIGRATIONS);
          const users = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM users');
          const backedUp = records.find((r) => r.type === 'table-end' && r.name === 'users');
          expect(backedUp).toMatchObject({ rows: Number(users.rows[0]!.n) });
          expect(Number(users.rows[0]!.n)).toBe(7); // the demo admin and a team of six
        } finally {
          await client.end();
        }
        const refused = await fails(['db', 'copy', '--to', target.url], second);
        expect(refused.stderr).toContain('error RESTORE_TARGET_NOT_EMPTY');
      } finally {
        await target.drop();
      }
    }
    // Seven processes, each starting PGlite from disk (the first also creates it), and the demo runs
    // every module's seed: minutes on a busy machine.
  }, 420_000);
});
