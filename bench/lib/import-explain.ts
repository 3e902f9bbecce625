import { Readable } from 'node:stream';
import { sql } from 'kysely';
import {
  applyChunk,
  importJobs,
  stageImport,
  startImport,
  uploadImport,
} from '../../src/modules/contacts/imports.service.js';
import { openDeps } from '../../src/server.js';
import { systemActor } from '../../src/shared/actor.js';
import { loadConfig } from '../../src/shared/config.js';
import { createLogger } from '../../src/shared/log.js';
import { createBenchDatabase } from './db.js';

/*
 * EXPLAIN (ANALYZE, BUFFERS, WAL) of every statement of the first apply chunk of an import of N
 * generated rows (existing = update), through auto_explain into the PostgreSQL server log (read it
 * there; nested statements — foreign-key checks — are logged too and inflate the times).
 *   npx tsx bench/lib/import-explain.ts [rows=20000]
 */
const rows = Number(process.argv[2] ?? 20000);
const database = await createBenchDatabase();
console.log(database.name);
const config = loadConfig({
  NODE_ENV: 'production',
  DATA_DIR: '/tmp/lw-explain',
  DATABASE_URL: database.url,
  SECRET_KEY: 'bench-secret-key-that-is-long-enough-0123456789',
  LOG_LEVEL: 'warn',
});
const deps = await openDeps({ config, log: createLogger('warn') });
try {
  const ws = '00000000-0000-4000-8000-00000000b001';
  await sql`INSERT INTO workspaces (id, name, slug) VALUES (${ws}, 'Bench', 'bench')`.execute(deps.db);
  let csv = 'email,first_name,last_name,company_name,job_title,phone,city,country,lifecycle_stage,tags\n';
  for (let i = 1; i <= rows; i++)
    csv += `person${i}@firma${i % 2000}.de,Anna,Nachname${i % 5000},Firma ${i % 2000} GmbH,Leitung,+49 30 ${1000000 + i},Berlin,DE,subscriber,"messe;webinar"\n`;
  const imp = await uploadImport(
    deps.db,
    deps.clock,
    systemActor('x'),
    ws,
    'c.csv',
    Readable.from([Buffer.from(csv)]),
    2 ** 31,
  );
  const jobs = importJobs(() => deps.queue, deps.clock);
  const mapping = Object.fromEntries(imp.header.map((h) => [h, h]));
  await startImport(deps.db, deps.clock, deps.queue, jobs, systemActor('x'), ws, imp.id, {
    mapping,
    existing: 'update',
    mode: 'all_or_nothing',
  });
  await stageImport(deps.db, deps.clock, deps.queue, jobs, imp.id);
  await deps.db.connection().execute(async (conn) => {
    await sql`LOAD 'auto_explain'`.execute(conn);
    for (const s of [
      'log_min_duration = 0',
      'log_analyze = on',
      'log_buffers = on',
      'log_wal = on',
      'log_nested_statements = on',
      'log_timing = on',
    ])
      await sql.raw(`SET auto_explain.${s}`).execute(conn);
    await conn.transaction().execute(async (trx) => {
      const i = await trx
        .selectFrom('imports')
        .selectAll()
        .where('id', '=', imp.id)
        .executeTakeFirstOrThrow();
      console.log(await applyChunk(trx, deps.clock, i, 0));
    });
    await sql.raw('SET auto_explain.log_min_duration = -1').execute(conn);
  });
} finally {
  await deps.handle.close();
  await database.drop();
}
