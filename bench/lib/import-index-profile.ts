import { readFileSync } from 'node:fs';
import pg from 'pg';
import { openDeps } from '../../src/server.js';
import { loadConfig } from '../../src/shared/config.js';
import { createLogger } from '../../src/shared/log.js';
import { createBenchDatabase } from './db.js';

/*
 * Profile (not a bench with a JSON line): the cost of the indexes of `contacts` for one plain
 * INSERT … SELECT of N generated rows, on a fresh copy of the table with only the chosen indexes,
 * with random (gen_random_uuid) and with time-ordered (UUIDv7, as the import writes) ids. Prints
 * one JSON line per variant: wall seconds, CPU seconds of the database backend (from /proc —
 * much less distorted by other load than seconds), shared buffers hit/read/dirtied/written and
 * WAL bytes and full-page images (EXPLAIN (ANALYZE, BUFFERS, WAL)).
 *
 *   npx tsx bench/lib/import-index-profile.ts [rows=100000] [preload=0] [variant label] [each]
 *
 * preload: rows already in the table (indexes built after them) — 900000 shows the 1M case,
 * where the indexes no longer fit shared_buffers. `each`: every index alone on top of the three
 * required ones. Env: V7ONLY=1, GPL=<gin_pending_list_limit>, WM=<work_mem>, CLEAN=1 (merge the
 * trigram index's pending list inside the measured time).
 */
const rows = Number(process.argv[2] ?? 100000);
const preload = Number(process.argv[3] ?? 0);
const database = await createBenchDatabase();
const config = loadConfig({
  NODE_ENV: 'production',
  DATA_DIR: '/tmp/lw-prof',
  DATABASE_URL: database.url,
  SECRET_KEY: 'bench-secret-key-that-is-long-enough-0123456789',
  LOG_LEVEL: 'warn',
});
const deps = await openDeps({ config, log: createLogger('warn') });
await deps.handle.close();
const c = new pg.Client({ connectionString: database.url });
await c.connect();
try {
  const idx = (
    await c.query<{ indexname: string; indexdef: string }>(
      `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'contacts' ORDER BY indexname`,
    )
  ).rows;
  await c.query(
    `INSERT INTO workspaces (id, name, slug) VALUES ('00000000-0000-4000-8000-00000000b001', 'B', 'b')`,
  );
  const V7 = `(lpad(to_hex((extract(epoch FROM now()) * 1000)::bigint), 12, '0') || '7' || lpad(to_hex((i >> 20) & 4095), 3, '0')
    || lpad(to_hex(x'8000000000000000'::bigint | ((i::bigint & 1048575) << 42) | floor(random() * 4398046511104)::bigint), 16, '0'))::uuid`;
  let idExpr = 'gen_random_uuid()';
  const gen = (
    n: number,
    off: number,
  ) => `INSERT INTO t (id, workspace_id, email, email_normalized, email_match_key, first_name, last_name,
      company_name, job_title, phone, city, country, locale, lifecycle_stage, tags, quality_score, created_at, updated_at)
    SELECT ${idExpr}, '00000000-0000-4000-8000-00000000b001', e, e, e, (ARRAY['Anna','Ben','Carla','Dirk','Eva','Jürgen','Greta','Hans'])[i % 8 + 1],
      'Nachname' || (i % 5000), 'Firma ' || (i % 20000) || ' GmbH', 'Leitung Marketing', '+49 30 ' || (1000000 + i), 'Berlin', 'DE', 'de',
      'subscriber', ARRAY['messe','webinar'], 80, now(), now()
    FROM generate_series(${off + 1}, ${off + n}) i, LATERAL (SELECT 'person' || i || '@firma' || (i % 20000) || '.de' AS e) x`;
  const run = async (label: string, keep: (name: string) => boolean) => {
    await c.query('DROP TABLE IF EXISTS t');
    await c.query('CREATE TABLE t (LIKE contacts INCLUDING DEFAULTS INCLUDING CONSTRAINTS)');
    if (preload) await c.query(gen(preload, 0));
    for (const i of idx.filter((x) => keep(x.indexname)))
      await c.query(
        i.indexdef.replace(/INDEX \S+ ON public\.contacts/, `INDEX ${i.indexname}_t ON public.t`),
      );
    await c.query('CHECKPOINT');
    const pid = (await c.query('SELECT pg_backend_pid() AS p')).rows[0].p;
    const cpu = () => {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(f[11]) + Number(f[12])) / 100;
    };
    const lsn0 = (await c.query('SELECT pg_current_wal_lsn() AS l')).rows[0].l;
    const cpu0 = cpu();
    const t0 = performance.now();
    await c.query('BEGIN');
    if (process.env.GPL) await c.query(`SET LOCAL gin_pending_list_limit = '${process.env.GPL}'`);
    if (process.env.WM) await c.query(`SET LOCAL work_mem = '${process.env.WM}'`);
    const plan = (await c.query(`EXPLAIN (ANALYZE, BUFFERS, WAL, FORMAT JSON) ${gen(rows, preload)}`))
      .rows[0]['QUERY PLAN'][0].Plan;
    if (process.env.CLEAN) await c.query(`SELECT gin_clean_pending_list('contacts_search_trgm_idx_t')`);
    await c.query('COMMIT');
    const s = (performance.now() - t0) / 1000;
    const cpuS = cpu() - cpu0;
    const walAll = (await c.query('SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1) AS b', [lsn0])).rows[0].b;
    const size = (await c.query(`SELECT pg_total_relation_size('t') AS b`)).rows[0].b;
    console.log(
      JSON.stringify({
        label,
        gpl: process.env.GPL,
        wm: process.env.WM,
        clean: process.env.CLEAN,
        id: idExpr.slice(0, 8),
        rows,
        preload,
        s: Math.round(s * 100) / 100,
        cpu_s: Math.round(cpuS * 100) / 100,
        hit: plan['Shared Hit Blocks'],
        read: plan['Shared Read Blocks'],
        dirtied: plan['Shared Dirtied Blocks'],
        written: plan['Shared Written Blocks'],
        wal_mb: Math.round(plan['WAL Bytes'] / 1e6),
        wal_all_mb: Math.round(walAll / 1e6),
        fpi: plan['WAL FPI'],
        rows_s: Math.round(rows / s),
        total_mb: Math.round(size / 1e6),
      }),
    );
    return s;
  };
  const required = (n: string) =>
    ['contacts_pkey', 'contacts_email_key', 'contacts_workspace_id_key'].includes(n);
  const only = process.argv[4];
  const variants: [string, (n: string) => boolean][] = [
    ['required only (pkey, email, ws+id)', required],
    ['all', () => true],
    ['all but trgm', (n) => n !== 'contacts_search_trgm_idx'],
    ['all but sort_*', (n) => !n.startsWith('contacts_sort_')],
    ['all but sort_* and trgm', (n) => !n.startsWith('contacts_sort_') && n !== 'contacts_search_trgm_idx'],
    ['none', () => false],
    ['required + trgm', (n) => required(n) || n === 'contacts_search_trgm_idx'],
    ['all + trgm clean', () => true],
  ];
  for (const ids of process.env.V7ONLY ? [V7] : ['gen_random_uuid()', V7]) {
    idExpr = ids;
    for (const [label, keep] of variants) if (!only || label === only) await run(label, keep);
  }
  if (process.argv[5] === 'each') {
    idExpr = V7;
    for (const i of idx.filter((x) => !required(x.indexname)))
      await run(`required + ${i.indexname}`, (n) => required(n) || n === i.indexname);
  }
} finally {
  await c.end();
  await database.drop();
}
