import { chmodSync, createReadStream, createWriteStream, statSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { importJobs, startImport, uploadImport } from '../src/modules/contacts/imports.service.js';
import { contactsModule } from '../src/modules/contacts/index.js';
import { openDeps } from '../src/server.js';
import { systemActor } from '../src/shared/actor.js';
import { loadConfig } from '../src/shared/config.js';
import { uuidV7Sql } from '../src/shared/ids.js';
import { JobWorker } from '../src/shared/jobs/index.js';
import { createLogger } from '../src/shared/log.js';
import { type BenchResult, int, log, parseOptions, round, sleep, tempDir } from './lib/common.js';
import { createBenchDatabase } from './lib/db.js';
import { cpuSeconds } from './lib/procstat.js';

/*
 * CSV import on PostgreSQL, end to end: upload into the database, staging (CSV reader, mapping,
 * validation), and the chunked apply into contacts with companies and timeline entries. Baseline:
 * server-side COPY of the same file into a bare 15-column text table in the same database (the
 * physical limit). Peak RSS of this process is sampled to show that memory stays flat. index_floor:
 * a plain INSERT … SELECT of the same rows into contacts (all its indexes), the floor of any import.
 */

export const description = 'CSV import of 1,000,000 rows (15 columns) vs COPY of the same file (PostgreSQL)';

const HEADER = [
  'email',
  'first_name',
  'last_name',
  'company_name',
  'job_title',
  'phone',
  'city',
  'country',
  'locale',
  'lifecycle_stage',
  'tags',
  'source_channel',
  'website',
  'industry',
  'notes',
];

async function writeCsv(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  const write = (s: string) =>
    out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', r));
  await write(`${HEADER.join(',')}\n`);
  const first = ['Anna', 'Ben', 'Carla', 'Dirk', 'Eva', 'Jürgen', 'Greta', 'Hans'];
  let buf = '';
  for (let i = 1; i <= rows; i++) {
    buf += `person${i}@firma${i % 20000}.de,${first[i % 8]},Nachname${i % 5000},Firma ${i % 20000} GmbH,Leitung Marketing,+49 30 ${1000000 + i},Berlin,DE,de,subscriber,"messe;webinar",event,https://firma${i % 20000}.de,Maschinenbau,"Notiz, mit Komma"\n`;
    if (buf.length > 1 << 20) {
      await write(buf);
      buf = '';
    }
  }
  await write(buf);
  await new Promise<void>((r) => out.end(r));
}

export async function run(args: string[]): Promise<BenchResult> {
  const opts = parseOptions(args, {
    rows: { type: 'string', default: '1000000' },
    prefill: { type: 'string', default: '0' },
  });
  const rows = int(opts.rows, 'rows');
  // --prefill N: the workspace already holds N other contacts (written before the clock starts),
  // e.g. a small list imported into a large workspace.
  const prefill = int(opts.prefill, 'prefill', 0);
  const database = await createBenchDatabase();
  const dir = tempDir('import');
  const file = join(dir.dir, 'contacts.csv');
  const config = loadConfig({
    NODE_ENV: 'production',
    DATA_DIR: dir.dir,
    DATABASE_URL: database.url,
    SECRET_KEY: 'bench-secret-key-that-is-long-enough-0123456789',
    LOG_LEVEL: 'warn',
  });
  const deps = await openDeps({ config, log: createLogger('warn') });
  let peakRss = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 100);
  try {
    await writeCsv(file, rows);
    // The server reads the file for COPY: its (PostgreSQL) user must be able to enter the folder.
    chmodSync(dir.dir, 0o755);
    const size = statSync(file).size;
    log(`${rows} rows, ${(size / 1e6).toFixed(0)} MB`);
    await sql.raw(`CREATE TABLE bare (${HEADER.map((h) => `${h} text`).join(', ')})`).execute(deps.db);
    const c0 = performance.now();
    await sql.raw(`COPY bare FROM '${file}' WITH (FORMAT csv, HEADER true)`).execute(deps.db);
    const copyS = (performance.now() - c0) / 1000;
    log(`COPY: ${copyS.toFixed(1)} s`);

    const ws = '00000000-0000-4000-8000-00000000b001';
    await sql`INSERT INTO workspaces (id, name, slug) VALUES (${ws}, 'Bench', 'bench')`.execute(deps.db);
    if (prefill > 0) {
      await sql`INSERT INTO contacts (id, workspace_id, email, email_normalized, email_match_key, first_name, last_name,
          lifecycle_stage, created_at, updated_at)
        SELECT ${uuidV7Sql(new Date(), sql`i`)}, ${ws}, 'existing' || i || '@firma' || (i % 20000) || '.de',
          'existing' || i || '@firma' || (i % 20000) || '.de', 'existing' || i || '@firma' || (i % 20000) || '.de',
          'Vorname', 'Nachname' || (i % 5000), 'subscriber', now(), now()
        FROM generate_series(1, ${prefill}) i`.execute(deps.db);
      await sql`VACUUM ANALYZE contacts`.execute(deps.db);
      log(`prefilled ${prefill} contacts`);
    }
    const jobs = importJobs(() => deps.queue, deps.clock);
    const worker = new JobWorker({
      handle: deps.handle,
      definitions: contactsModule.jobs!(deps),
      clock: deps.clock,
      log: deps.log,
      pollMs: 100,
    });
    await worker.start();
    const rssBefore = process.memoryUsage().rss;
    const t0 = performance.now();
    const imp = await uploadImport(
      deps.db,
      deps.clock,
      systemActor('bench'),
      ws,
      'contacts.csv',
      createReadStream(file),
      2 ** 31,
    );
    const mapping = Object.fromEntries(
      HEADER.map((h) => [h, ['website', 'industry', 'notes'].includes(h) ? 'ignore' : h]),
    );
    await startImport(deps.db, deps.clock, deps.queue, jobs, systemActor('bench'), ws, imp.id, {
      mapping,
      existing: 'update',
      mode: 'all_or_nothing',
    });
    let status = '';
    // CPU seconds of the bench database's backends (from /proc), sampled with the status: the
    // database's share of each phase, hardly distorted by other load on the machine.
    const backendCpu = new Map<number, number>();
    const dbCpu = async () => {
      const pids = await sql<{
        pid: number;
      }>`SELECT pid FROM pg_stat_activity WHERE datname = current_database()`.execute(deps.db);
      for (const { pid } of pids.rows)
        backendCpu.set(pid, Math.max(backendCpu.get(pid) ?? 0, cpuSeconds(pid)));
      return [...backendCpu.values()].reduce((a, b) => a + b, 0);
    };
    const dbCpu0 = await dbCpu();
    let stageDbCpuS = 0;
    const cpu0 = process.cpuUsage();
    let stagedAt = 0;
    let stageCpuS = 0;
    for (;;) {
      const row = await deps.db
        .selectFrom('imports')
        .select(['status', 'applied_rows', 'failure'])
        .where('id', '=', imp.id)
        .executeTakeFirstOrThrow();
      status = row.status;
      const dbNow = await dbCpu();
      if (!stagedAt && status !== 'staging') {
        stageDbCpuS = dbNow - dbCpu0;
        stagedAt = performance.now();
        const u = process.cpuUsage(cpu0);
        stageCpuS = (u.user + u.system) / 1e6;
        log(
          `staged in ${((stagedAt - t0) / 1000).toFixed(1)} s (node CPU ${stageCpuS.toFixed(1)} s, database CPU ${stageDbCpuS.toFixed(1)} s)`,
        );
      }
      if (['done', 'failed', 'cancelled'].includes(status)) {
        if (row.failure) log(`failure: ${row.failure}`);
        break;
      }
      await sleep(250);
    }
    const oursS = (performance.now() - t0) / 1000;
    const applyCpu = process.cpuUsage(cpu0);
    const applyNodeCpuS = (applyCpu.user + applyCpu.system) / 1e6 - stageCpuS;
    const applyDbCpuS = (await dbCpu()) - dbCpu0 - stageDbCpuS;
    await worker.stop(10_000);
    const count = Number(
      (
        await sql<{ n: string }>`SELECT count(*) AS n FROM contacts WHERE workspace_id = ${ws}`.execute(
          deps.db,
        )
      ).rows[0]!.n,
    );
    // The floor of any import into this schema: the same rows (at most 100,000) written by one plain
    // INSERT … SELECT from the bare table into contacts of a second workspace — every index of the
    // contacts table, no parsing, validation, companies or timeline; time-ordered ids like the import's.
    const floorRows = Math.min(rows, 100_000);
    const ws2 = '00000000-0000-4000-8000-00000000b002';
    await sql`INSERT INTO workspaces (id, name, slug) VALUES (${ws2}, 'Floor', 'floor')`.execute(deps.db);
    const f0 = performance.now();
    await sql`INSERT INTO contacts (id, workspace_id, email, email_normalized, email_match_key, first_name, last_name,
        company_name, job_title, phone, city, country, locale, lifecycle_stage, tags, created_at, updated_at)
      SELECT ${uuidV7Sql(new Date(), sql`row_number() OVER ()`)}, ${ws2}, email, lower(email), lower(email), first_name, last_name, company_name, job_title,
        phone, city, country, locale, lifecycle_stage, string_to_array(tags, ';'), now(), now()
      FROM (SELECT * FROM bare LIMIT ${floorRows}) b`.execute(deps.db);
    const floorS = (performance.now() - f0) / 1000;
    log(
      `import: ${status}, ${count} contacts in ${oursS.toFixed(1)} s; peak RSS ${(peakRss / 1e6).toFixed(0)} MB (before ${(rssBefore / 1e6).toFixed(0)} MB)`,
    );
    return {
      bench: 'import',
      value: round(rows / oursS, 0),
      unit: 'rows/s',
      baseline: round(rows / copyS, 0),
      ratio: round(copyS / oursS, 3),
      seconds: round(oursS, 1),
      copy_seconds: round(copyS, 1),
      status,
      contacts: count,
      rows,
      prefill,
      file_mb: round(size / 1e6, 0),
      peak_rss_mb: round(peakRss / 1e6, 0),
      rss_before_mb: round(rssBefore / 1e6, 0),
      index_floor: round(floorRows / floorS, 0),
      ratio_to_floor: round(rows / oursS / (floorRows / floorS), 3),
      // Phases: upload + parse + validate + staging INSERTs, then the chunked apply; node CPU of this
      // process (parser, validation, job worker) per phase — less distorted by other load than seconds.
      staging_seconds: round((stagedAt - t0) / 1000, 1),
      apply_seconds: round(oursS - (stagedAt - t0) / 1000, 1),
      staging_node_cpu_s: round(stageCpuS, 1),
      apply_node_cpu_s: round(applyNodeCpuS, 1),
      staging_db_cpu_s: round(stageDbCpuS, 1),
      apply_db_cpu_s: round(applyDbCpuS, 1),
      date: new Date().toISOString(),
    };
  } finally {
    clearInterval(sampler);
    await deps.handle.close();
    dir.remove();
    await database.drop();
  }
}
