import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { type Executor, prepared } from '../../src/shared/db/index.js';
import { MAX_PREPARED_PER_CONNECTION } from '../../src/shared/db/prepared.js';
import { availableDbKinds, createTestDeps, type TestDeps } from '../support/deps.js';
import { createCaptureTestApp, createPublishedForm, formConfig } from './capture.helpers.js';

/*
 * Statements marked with prepared() run as named prepared statements (one parse and plan per
 * connection instead of one per call; src/shared/db/prepared.ts): on PostgreSQL through the pool's
 * clients, on PGlite through the dialect. With one connection in the pool (PGlite has only one),
 * pg_prepared_statements of that connection shows what was prepared.
 */

const kinds = await availableDbKinds();

/** The named statements this connection keeps (ours start with lw_). */
async function preparedOnConnection(db: Executor): Promise<string[]> {
  const r = await sql<{ statement: string }>`
    SELECT statement FROM pg_prepared_statements WHERE name LIKE 'lw\\_%' ORDER BY prepare_time`.execute(db);
  return r.rows.map((row) => row.statement);
}

describe.each(kinds)('prepared statements on %s', (kind) => {
  let deps: TestDeps;
  beforeAll(async () => {
    deps = await createTestDeps(kind, { config: { databasePoolSize: 1 } });
    await sql`CREATE TABLE prep_items (id serial PRIMARY KEY, label text NOT NULL)`.execute(deps.db);
  });
  afterAll(async () => {
    await deps?.cleanup();
  });

  const insertItem = (db: Executor, label: string) =>
    prepared(
      sql<{
        id: number;
        label: string;
      }>`INSERT INTO prep_items (label) VALUES (${label}) RETURNING id, label`,
    )
      .execute(db)
      .then((r) => r.rows[0]!);

  it('gives the same results as the unmarked statement, in and outside a transaction', async () => {
    const a = await insertItem(deps.db, 'first');
    const b = await deps.db.transaction().execute((trx) => insertItem(trx, 'second'));
    const c = await insertItem(deps.db, 'third');
    expect([a.label, b.label, c.label]).toEqual(['first', 'second', 'third']);
    expect(b.id).toBe(a.id + 1);
    const rolledBack = deps.db.transaction().execute(async (trx) => {
      await insertItem(trx, 'gone');
      throw new Error('roll back');
    });
    await expect(rolledBack).rejects.toThrow('roll back');
    const labels = await sql<{ label: string }>`SELECT label FROM prep_items ORDER BY id`.execute(deps.db);
    expect(labels.rows.map((r) => r.label)).toEqual(['first', 'second', 'third']);
  });

  it('reports a failing marked statement with its error code and stays usable', async () => {
    const insertWithId = (id: unknown) =>
      prepared(
        sql<{ id: number }>`INSERT INTO prep_items (id, label) VALUES (${id}::int, 'fixed') RETURNING id`,
      ).execute(deps.db);
    await insertWithId(1000);
    await expect(insertWithId(1000)).rejects.toMatchObject({ code: '23505' });
    await expect(insertWithId('not a number')).rejects.toMatchObject({ code: '22P02' });
    const inTrx = deps.db.transaction().execute(async (trx) => {
      await insertItem(trx, 'in a failed transaction');
      await prepared(sql`INSERT INTO prep_items (id, label) VALUES (${1000}::int, 'dup')`).execute(trx);
    });
    await expect(inTrx).rejects.toMatchObject({ code: '23505' });
    expect((await insertWithId(1001)).rows[0]?.id).toBe(1001);
    const left = await sql<{
      n: string;
    }>`SELECT count(*)::text AS n FROM prep_items WHERE label = 'in a failed transaction'`.execute(deps.db);
    expect(left.rows[0]?.n).toBe('0');
    await sql`DELETE FROM prep_items WHERE id >= 1000`.execute(deps.db);
  });

  it('prepares a marked statement once per connection, and nothing else', async () => {
    await insertItem(deps.db, 'again');
    await sql`SELECT label FROM prep_items WHERE id = ${1}`.execute(deps.db);
    const statements = await preparedOnConnection(deps.db);
    // The insert of the tests before, the two of the failing test, no other.
    expect(statements).toHaveLength(3);
    expect(statements.filter((t) => t.includes("'fixed'"))).toHaveLength(1);
    expect(statements[0]).toContain('INSERT INTO prep_items');
    expect(statements[0]).toMatch(/^\/\* lw:prepared \*\//);
  });

  it('keeps working when a migration changes the table under it', async () => {
    await insertItem(deps.db, 'before');
    await sql`ALTER TABLE prep_items ADD COLUMN note text NOT NULL DEFAULT 'none'`.execute(deps.db);
    await sql`CREATE INDEX prep_items_label ON prep_items (label)`.execute(deps.db);
    expect((await insertItem(deps.db, 'after')).label).toBe('after');
    const note = await sql<{ note: string }>`SELECT note FROM prep_items WHERE label = 'after'`.execute(
      deps.db,
    );
    expect(note.rows[0]?.note).toBe('none');
  });

  it.runIf(kind === 'postgres')('prepares again on a new connection after the old one was lost', async () => {
    await insertItem(deps.db, 'on the first connection');
    const pid = (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(deps.db)).rows[0]!.pid;
    const admin = new pg.Client({ connectionString: deps.config.databaseUrl });
    await admin.connect();
    try {
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    } finally {
      await admin.end();
    }
    // The pool drops the dead connection (the first call may still meet it) and opens a new one.
    let row: { label: string } | undefined;
    for (let attempt = 0; attempt < 20 && !row; attempt++) {
      row = await insertItem(deps.db, 'on the second connection').catch(async () => {
        await new Promise((r) => setTimeout(r, 50));
        return undefined;
      });
    }
    expect(row?.label).toBe('on the second connection');
    const newPid = (await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(deps.db)).rows[0]!.pid;
    expect(newPid).not.toBe(pid);
    expect(await preparedOnConnection(deps.db)).toHaveLength(1);
  });

  it(`keeps at most ${MAX_PREPARED_PER_CONNECTION} statements per connection and runs the rest unnamed`, async () => {
    const extra = 10;
    for (let i = 0; i < MAX_PREPARED_PER_CONNECTION + extra; i++) {
      const r = await prepared(sql<{ n: number }>`SELECT ${i}::int + ${sql.lit(i)} AS n`).execute(deps.db);
      expect(r.rows[0]?.n).toBe(2 * i);
    }
    // The insert of the tests before is one of them.
    expect(await preparedOnConnection(deps.db)).toHaveLength(MAX_PREPARED_PER_CONNECTION);
  });
});

describe.runIf(kinds.includes('postgres'))('prepared statements switched off (postgres)', () => {
  let deps: TestDeps;
  afterEach(async () => {
    await deps?.cleanup();
  });

  it('DATABASE_PREPARED_STATEMENTS=false runs marked statements unnamed', async () => {
    deps = await createTestDeps('postgres', {
      config: { databasePoolSize: 1, databasePreparedStatements: false },
    });
    const r = await prepared(sql<{ n: number }>`SELECT ${41}::int + 1 AS n`).execute(deps.db);
    expect(r.rows[0]?.n).toBe(42);
    expect(await preparedOnConnection(deps.db)).toEqual([]);
  });
});

describe.each(kinds)('the sign-up runs prepared (%s)', (kind) => {
  it('a new address is written by the one prepared sign-up statement', async () => {
    const clock = new ManualClock(new Date());
    const t = await createCaptureTestApp(kind, clock, {}, { databasePoolSize: 1 });
    try {
      await createPublishedForm(t, { slug: 'prep-news', kind: 'newsletter' });
      const { timeToken } = await formConfig(t, 'prep-news');
      clock.advance(5000);
      for (const email of ['ada@prep.example', 'bob@prep.example']) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/f/prep-news/submit',
          payload: { email, consent_newsletter: 'on', lw_t: timeToken, lang: 'en' },
        });
        expect(res.statusCode).toBe(200);
      }
      const contacts = await t.deps.db
        .selectFrom('contacts')
        .select('email')
        .where('workspace_id', '=', t.workspaceId)
        .where('email', 'like', '%@prep.example')
        .execute();
      expect(contacts).toHaveLength(2);
      const statements = await preparedOnConnection(t.deps.db);
      expect(statements.filter((s) => s.includes('INSERT INTO contacts'))).toHaveLength(1);
    } finally {
      await t.close();
    }
  });
});
