import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODULES } from '../../src/modules.js';
import { maintainTables, tablesDueForMaintenance } from '../../src/shared/db/maintenance.js';
import { availableDbKinds, createTestDeps, type TestDeps } from '../support/deps.js';

const kinds = await availableDbKinds();

describe.each(kinds)('table maintenance on %s', (kind) => {
  let deps: TestDeps;

  beforeAll(async () => {
    deps = await createTestDeps(kind);
  });
  afterAll(async () => {
    await deps?.cleanup();
  });

  /**
   * A table with 1,000 rows, each updated twice: 2,000 dead row versions, never vacuumed. (Tables
   * here are kept from a server's autovacuum, which would clean them up behind the test's back.)
   */
  async function churn(table: string): Promise<void> {
    await sql`CREATE TABLE ${sql.id(table)} (id int PRIMARY KEY, v int NOT NULL) WITH (autovacuum_enabled = false)`.execute(
      deps.db,
    );
    await sql`INSERT INTO ${sql.id(table)} SELECT i, 0 FROM generate_series(1, 1000) AS i`.execute(deps.db);
    await sql`UPDATE ${sql.id(table)} SET v = v + 1`.execute(deps.db);
    await sql`UPDATE ${sql.id(table)} SET v = v + 1`.execute(deps.db);
  }

  /** What the statistics say about a table (PostgreSQL publishes a backend's counts within a second or so). */
  async function stats(table: string) {
    const r = await sql<{ dead: string; vacuumed: boolean; analyzed: boolean }>`
      SELECT n_dead_tup::text AS dead, last_vacuum IS NOT NULL AS vacuumed, last_analyze IS NOT NULL AS analyzed
        FROM pg_stat_user_tables WHERE relname = ${table}`.execute(deps.db);
    return r.rows[0];
  }

  async function until(what: string, check: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('finds the tables autovacuum would vacuum, vacuums and analyzes them, and then has nothing to do', async () => {
    await churn('maint_churn');
    // A table that was only read (and one freshly analyzed) is not due.
    await sql`CREATE TABLE maint_quiet (id int PRIMARY KEY)`.execute(deps.db);
    await sql`INSERT INTO maint_quiet SELECT generate_series(1, 10)`.execute(deps.db);
    await sql`ANALYZE maint_quiet`.execute(deps.db);
    await until(
      'the updates are counted',
      async () => Number((await stats('maint_churn'))?.dead ?? 0) >= 2000,
    );

    const due = await tablesDueForMaintenance(deps.db);
    expect(due).toContainEqual({ table: 'maint_churn', action: 'vacuum' });
    expect(due.map((d) => d.table)).not.toContain('maint_quiet');

    const done = await maintainTables(deps.db);
    expect(done).toContainEqual({ table: 'maint_churn', action: 'vacuum' });
    await until('the vacuum is counted', async () => (await stats('maint_churn'))?.vacuumed === true);
    expect(await stats('maint_churn')).toEqual({ dead: '0', vacuumed: true, analyzed: true });
    expect((await tablesDueForMaintenance(deps.db)).map((d) => d.table)).not.toContain('maint_churn');
  });

  it('analyzes a table that only grew (inserts leave no dead rows, but stale estimates)', async () => {
    await sql`CREATE TABLE maint_grown (id int PRIMARY KEY) WITH (autovacuum_enabled = false)`.execute(
      deps.db,
    );
    await sql`INSERT INTO maint_grown SELECT generate_series(1, 500)`.execute(deps.db);
    await until('the inserts are counted', async () =>
      (await tablesDueForMaintenance(deps.db)).some((d) => d.table === 'maint_grown'),
    );
    expect(await tablesDueForMaintenance(deps.db)).toContainEqual({
      table: 'maint_grown',
      action: 'analyze',
    });
    await maintainTables(deps.db);
    await until('the analyze is counted', async () => (await stats('maint_grown'))?.analyzed === true);
    expect((await stats('maint_grown'))?.vacuumed).toBe(false);
  });

  it(`the hourly job ${kind === 'pglite' ? 'maintains the embedded database' : 'leaves PostgreSQL to its autovacuum'}`, async () => {
    await churn('maint_job');
    await until('the updates are counted', async () => Number((await stats('maint_job'))?.dead ?? 0) >= 2000);
    const system = MODULES.find((m) => m.name === 'system')!;
    const job = system.recurring!(deps).find((r) => r.job.name === 'system.maintain-tables')!;
    expect(job.everyMs).toBe(3_600_000);
    await job.job.handler({}, { db: deps.db, log: deps.log, clock: deps.clock } as never);
    if (kind === 'pglite') {
      await until('the vacuum is counted', async () => (await stats('maint_job'))?.vacuumed === true);
      expect((await stats('maint_job'))?.dead).toBe('0');
    } else {
      expect(await stats('maint_job')).toMatchObject({ vacuumed: false, analyzed: false });
    }
  });
});
