import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { recordActivity } from '../src/modules/contacts/index.js';
import { ensureInitialAdmin } from '../src/modules/identity/index.js';
import { recomputeBatchJob, startRecompute } from '../src/modules/scoring/recompute.service.js';
import { saveRule } from '../src/modules/scoring/scoring.service.js';
import { DEFAULT_SETTINGS, saveSettings } from '../src/modules/scoring/settings.js';
import { openDeps } from '../src/server.js';
import { systemActor } from '../src/shared/actor.js';
import { loadConfig } from '../src/shared/config.js';
import type { Database } from '../src/shared/db/schema.js';
import { createLogger } from '../src/shared/log.js';
import { Child } from './lib/child.js';
import { type BenchResult, int, log, parseOptions, round, sleep, tempDir } from './lib/common.js';
import {
  backendsCpu as backendsCpuOf,
  cpuSince,
  createBenchDatabase,
  PG_ADMIN_URL,
  serverSettings,
} from './lib/db.js';
import { cpuSeconds, machineBusySeconds } from './lib/procstat.js';
import { installQueryCounter, type QueryCounts } from './lib/query-counter.js';

const PRELOAD = fileURLToPath(new URL('./lib/query-count-preload.ts', import.meta.url));

/*
 * Scoring on PostgreSQL with --contacts contacts and --activities activities (generated with
 * generate_series; the issue's figure is 1,000,000 / 20,000,000, the default here is smaller so the
 * bench fits a shared 2-core machine — pass the full sizes to measure them).
 *
 * (a) events/s applied end to end: two producer loops record --events `mail.clicked` activities
 *     (each `recordActivity` on its own: one statement, the entry and its delivery job, committed
 *     by itself as the baseline's UPDATE is; `--producer-tx` wraps each in BEGIN … COMMIT, as the
 *     bench did until session 7 — two more round trips per event for the producer) while 2 worker processes run the `contacts.deliver-activities`
 *     jobs (scoring's activity handler: contributions + rescore + history in one transaction per job);
 *     from the first record until every delivery job is done. Baseline in the same run: the same
 *     number of single-row UPDATEs of contact_scores from two connections.
 * (b) full recompute after a rule change: contacts/s until the recompute is done (8 key ranges,
 *     500 contacts per transaction, bulk lane of both workers).
 *
 * The workers are processes as production runs them (`leadwerk worker`: bench/send.ts's worker
 * role, production settings: 8 places per lane, 4 in the bulk lane); the producers run in the bench
 * process, as an API process records clicks. (Until session 5 the workers ran in the bench
 * process, sharing one event loop with the producers.) Statements per event count the producers
 * and, through a preload, the workers.
 */

export const description =
  'scoring: events/s applied to scores through the queue vs single-row UPDATEs; full recompute contacts/s';
export const usage = `--contacts N (100000)  --activities N (2000000)  --events N (2000)  --keep  --reuse leadwerk_bench_…  --no-recompute (with --reuse: events only)  --producer-tx (each event in BEGIN … COMMIT)`;

/** An existing bench database (`--reuse`): generation and the initial full rebuild are skipped. */
function reuseBenchDatabase(name: string) {
  if (!/^leadwerk_bench_[0-9a-f]+$/.test(name))
    throw new Error(`--reuse expects a leadwerk_bench_… database, got ${name}`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), name, drop: async () => {} };
}

const uuidOf = (expr: string) => `('00000000-0000-4000-8000-' || lpad(to_hex(${expr}), 12, '0'))::uuid`;

/**
 * Bulk generation (as the segments bench does it): drops the table's secondary indexes and foreign
 * keys, runs `fill`, builds the indexes once and adds the foreign keys back NOT VALID (the data is
 * consistent by construction). Row-by-row index maintenance made 20M activities take over an hour.
 */
async function withoutSecondaryIndexes(db: Kysely<Database>, table: string, fill: () => Promise<void>) {
  const indexes = (
    await sql<{ name: string; def: string }>`
      SELECT i.indexname AS name, i.indexdef AS def FROM pg_indexes i
      WHERE i.schemaname = 'public' AND i.tablename = ${table} AND i.indexdef NOT LIKE 'CREATE UNIQUE%'
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.indexname))::regclass)`.execute(
      db,
    )
  ).rows;
  const fks = (
    await sql<{ name: string; def: string }>`
      SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
      WHERE conrelid = ${table}::regclass AND contype = 'f'`.execute(db)
  ).rows;
  for (const fk of fks) await sql.raw(`ALTER TABLE ${table} DROP CONSTRAINT ${fk.name}`).execute(db);
  for (const ix of indexes) await sql.raw(`DROP INDEX ${ix.name}`).execute(db);
  await fill();
  const t = performance.now();
  // One connection with room to sort in memory (the server default of 64 MB spills to disk).
  await db.connection().execute(async (c) => {
    await sql`SET maintenance_work_mem = '1GB'`.execute(c);
    for (const ix of indexes) await sql.raw(ix.def).execute(c);
    await sql`RESET maintenance_work_mem`.execute(c);
  });
  for (const fk of fks)
    await sql.raw(`ALTER TABLE ${table} ADD CONSTRAINT ${fk.name} ${fk.def} NOT VALID`).execute(db);
  log(`${table}: ${indexes.length} indexes built in ${((performance.now() - t) / 1000).toFixed(0)} s`);
}

export async function run(args: string[]): Promise<BenchResult> {
  const opts = parseOptions(args, {
    contacts: { type: 'string', default: '100000' },
    activities: { type: 'string', default: '2000000' },
    events: { type: 'string', default: '2000' },
    // Keep the database after the run (its name is logged) and measure it again with
    // `--reuse leadwerk_bench_…`: generation and the initial full rebuild are skipped, the rules are
    // put back as they were after the initial rebuild (the "Form" rule dropped, "Click" at 5).
    keep: { type: 'boolean', default: false },
    reuse: { type: 'string', default: '' },
    // With --reuse: skip (b), the recompute after a rule change (for measuring the events alone).
    'no-recompute': { type: 'boolean', default: false },
    // Each event in its own BEGIN … COMMIT (the bench's producer until session 7).
    'producer-tx': { type: 'boolean', default: false },
  });
  const N = int(String(opts.contacts), 'contacts');
  const M = int(String(opts.activities), 'activities');
  const E = int(String(opts.events), 'events');
  const database = opts.reuse ? reuseBenchDatabase(String(opts.reuse)) : await createBenchDatabase();
  if (opts.keep || opts.reuse) log(`database ${database.name} (kept)`);
  const dir = tempDir('scoring');
  const config = loadConfig({
    NODE_ENV: 'production',
    DATA_DIR: dir.dir,
    DATABASE_URL: database.url,
    DATABASE_POOL_SIZE: '20',
    SECRET_KEY: 'bench-secret-key-that-is-long-enough-0123456789',
    LOG_LEVEL: 'warn',
  });
  const deps = await openDeps({ config, log: createLogger('warn') });
  const workers: Child[] = [];
  const countsDir = tempDir('scoring-counts');
  try {
    const db = deps.db;
    let ws: string;
    let version: number;
    const now = deps.clock.now();
    if (opts.reuse) {
      ws = (await db.selectFrom('workspaces').select('id').executeTakeFirstOrThrow()).id;
      // Back to the state after the initial full rebuild (a previous run added "Form", Click → 8).
      const form = await db
        .selectFrom('scoring_rules')
        .select('id')
        .where('workspace_id', '=', ws)
        .where('name', '=', 'Form')
        .execute();
      if (form.length > 0) {
        await db
          .deleteFrom('score_events')
          .where('workspace_id', '=', ws)
          .where(
            'rule_id',
            'in',
            form.map((r) => r.id),
          )
          .execute();
        await db
          .deleteFrom('scoring_rules')
          .where('name', '=', 'Form')
          .where('workspace_id', '=', ws)
          .execute();
      }
      await db.updateTable('scoring_rules').set({ points: 5 }).where('name', '=', 'Click').execute();
      await db.deleteFrom('jobs').execute();
      await db
        .updateTable('scoring_recomputes')
        .set({ state: 'failed' })
        .where('state', '=', 'running')
        .execute();
      await sql`VACUUM ANALYZE`.execute(db);
      version = (
        await db
          .selectFrom('scoring_settings')
          .select('rules_version')
          .where('workspace_id', '=', ws)
          .executeTakeFirstOrThrow()
      ).rules_version;
    } else {
      const admin = await ensureInitialAdmin(db, {
        email: 'bench@example.com',
        password: 'bench-password-123',
      });
      ws = admin.workspace!.id;
      const t0 = performance.now();
      await withoutSecondaryIndexes(db, 'contacts', async () => {
        await sql
          .raw(`INSERT INTO contacts (id, workspace_id, email, email_normalized, email_match_key, job_title, country, lifecycle_stage, created_at, updated_at)
        SELECT ${uuidOf('i')}, '${ws}', 'user' || i || '@firma' || (i % 20000) || '.de', 'user' || i || '@firma' || (i % 20000) || '.de',
          'user' || i || '@firma' || (i % 20000) || '.de', (ARRAY['Head of IT','Developer','CEO','Einkauf'])[1 + i % 4],
          (ARRAY['DE','AT','CH','GB'])[1 + (i / 7) % 4], 'subscriber', now(), now()
        FROM generate_series(1, ${N}) i`)
          .execute(db);
      });
      await withoutSecondaryIndexes(db, 'activities', async () => {
        const batch = 1_000_000;
        for (let start = 1; start <= M; start += batch) {
          const end = Math.min(M, start + batch - 1);
          await sql
            .raw(`INSERT INTO activities (workspace_id, contact_id, origin_contact_id, type, occurred_at, data, ref)
          SELECT '${ws}', ${uuidOf(`1 + (g * 7919) % ${N}`)}, ${uuidOf(`1 + (g * 7919) % ${N}`)},
            (ARRAY['mail.sent','mail.sent','mail.opened','mail.clicked','capture.asset-downloaded','events.attended','capture.form-submitted','mail.sent'])[1 + g % 8],
            timestamptz '${now.toISOString()}' - ((g * 104729) % (365 * 24)) * interval '1 hour', '{}',
            CASE WHEN g % 8 = 4 THEN 'asset:a' || (g % 50) WHEN g % 8 = 5 THEN 'event:e' || (g % 20) END
          FROM generate_series(${start}::bigint, ${end}::bigint) g`)
            .execute(db);
          log(`activities ${end}/${M}`);
        }
      });
      await sql`VACUUM ANALYZE`.execute(db);
      log(`generated ${N} contacts / ${M} activities in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

      const rules = [
        ['fit', 'Head of', 40, { field: 'job_title', op: 'contains', value: 'head' }],
        ['fit', 'DACH', 10, { field: 'country', op: 'in', value: ['DE', 'AT', 'CH'] }],
        [
          'engagement',
          'Click',
          5,
          { activityType: 'mail.clicked', cap: { points: 20, periodDays: 30 }, decays: true },
        ],
        [
          'engagement',
          'Open',
          1,
          { activityType: 'mail.opened', cap: { points: 5, periodDays: 7 }, decays: true },
        ],
        [
          'engagement',
          'Download',
          20,
          { activityType: 'capture.asset-downloaded', decays: true, signal: 'warm' },
        ],
        ['engagement', 'Webinar', 30, { activityType: 'events.attended', decays: false, signal: 'warm' }],
      ] as const;
      for (const [kind, name, points, definition] of rules)
        await db
          .insertInto('scoring_rules')
          .values({
            id: crypto.randomUUID(),
            workspace_id: ws,
            kind,
            name,
            points,
            definition: JSON.stringify(definition),
          })
          .execute();
      // No MQL moves in the bench: routing belongs to the sales module.
      version = await saveSettings(
        db,
        ws,
        { ...DEFAULT_SETTINGS, mql: { ...DEFAULT_SETTINGS.mql, fitMin: 100000 } },
        now,
        true,
      );
    }
    // One after the other: two processes starting at once race to create the bootstrap admin.
    for (let i = 0; i < 2; i++) {
      const w = new Child(
        `worker ${i + 1}`,
        '../send.ts',
        [database.url, dir.dir, 'smtp://127.0.0.1:9?tls=off'],
        {
          env: {
            ...process.env,
            BENCH_SEND_ROLE: 'worker',
            DATABASE_POOL_SIZE: '10',
            BENCH_QUERY_COUNTS_DIR: countsDir.dir,
          },
          execArgv: ['--import', PRELOAD],
        },
      );
      workers.push(w);
      await w.ready;
    }
    /** The workers' statements so far (the preload writes them every 250 ms). */
    const workerCounts = (): QueryCounts => {
      const out: QueryCounts = {};
      for (const f of readdirSync(countsDir.dir)) {
        for (const [k, v] of Object.entries(
          JSON.parse(readFileSync(join(countsDir.dir, f), 'utf8')) as QueryCounts,
        )) {
          const e = out[k] ?? { calls: 0, rows: 0 };
          e.calls += v.calls;
          e.rows += v.rows;
          out[k] = e;
        }
      }
      return out;
    };
    const workersCpu = () => workers.reduce((a, w) => a + cpuSeconds(w.pid), 0);

    const job = recomputeBatchJob(deps);
    const waitFor = async (recomputeId: string, what: string) => {
      const t = performance.now();
      const c0 = workersCpu();
      let lastLog = t;
      for (;;) {
        const r = await db
          .selectFrom('scoring_recomputes')
          .select(['state', 'done', 'total'])
          .where('id', '=', recomputeId)
          .executeTakeFirstOrThrow();
        if (r.state !== 'running') break;
        await sleep(250);
        if (performance.now() - lastLog > 10_000) {
          lastLog = performance.now();
          log(`${what} ${r.done}/${r.total}`);
        }
      }
      const s = (performance.now() - t) / 1000;
      const c = workersCpu() - c0;
      log(
        `${what}: ${N} contacts in ${s.toFixed(1)} s (${(N / s).toFixed(0)}/s), workers' CPU ${c.toFixed(1)} s`,
      );
      return s;
    };
    // Setup, measured as an extra: the first scoring of the workspace, every contribution built from
    // the timeline (the manual "recompute everything": rematch 'all').
    const initialS = opts.reuse
      ? null
      : await waitFor(
          await db.transaction().execute((trx) => startRecompute(trx, deps, job, ws, version, 'all')),
          'initial full rebuild',
        );
    if (!opts.reuse) await sql`VACUUM ANALYZE`.execute(db);

    // (b) full recompute after a rule change, through the rule service as the UI does it: the click
    // rule's points change (5 → 8, no rebuild needed) and a new rule scores form submissions (its
    // contributions are built from the timeline).
    const skipRecompute = Boolean(opts['no-recompute'] && opts.reuse);
    let recomputeS = Number.NaN;
    if (!skipRecompute) {
      await db
        .updateTable('scoring_rules')
        .set({ points: 8 })
        .where('workspace_id', '=', ws)
        .where('name', '=', 'Click')
        .execute();
      const changed = await saveRule(db, deps, job, systemActor('bench'), ws, null, {
        kind: 'engagement',
        name: 'Form',
        points: 15,
        definition: { activityType: 'capture.form-submitted', decays: true, signal: 'warm' },
      });
      recomputeS = await waitFor(changed.recomputeId, 'recompute after a rule change');
    }
    const recomputeRate = N / recomputeS;
    const scoreEvents = await sql<{ n: string }>`SELECT count(*)::text AS n FROM score_events`.execute(db);

    // (a) events end to end through the queue.
    // The database's PostgreSQL backends (producers', workers' and the baseline's connections) show
    // where an event's CPU goes beside the node processes.
    const backendsCpu = () => backendsCpuOf(db);
    const pick = (i: number) =>
      `00000000-0000-4000-8000-${(1 + ((i * 104723) % N)).toString(16).padStart(12, '0')}`;
    const counter = installQueryCounter();
    counter.reset();
    await sleep(300); // the workers' counts of the recompute are written
    const workers0 = workerCounts();
    const workersCpu0 = workersCpu();
    const backends0 = await backendsCpu();
    const busy0 = machineBusySeconds();
    const cpu0 = process.cpuUsage();
    const tE = performance.now();
    let next = 0;
    const producer = async () => {
      for (;;) {
        const i = next++;
        if (i >= E) return;
        const input = {
          workspaceId: ws,
          contactId: pick(i),
          type: 'mail.clicked',
          occurredAt: deps.clock.now(),
          data: {},
        };
        // One entry of a subscribed type is one statement (recordActivities): atomic without a
        // transaction around it.
        if (opts['producer-tx']) await db.transaction().execute((trx) => recordActivity(trx, input));
        else await recordActivity(db, input);
      }
    };
    await Promise.all([producer(), producer()]);
    // When the producers were done: the rest of the phase is the workers catching up.
    const producersS = (performance.now() - tE) / 1000;
    for (;;) {
      const left = await db
        .selectFrom('jobs')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('name', '=', 'contacts.deliver-activities')
        .where('state', '!=', 'dead')
        .executeTakeFirstOrThrow();
      if (Number(left.n) === 0) break;
      await sleep(50);
    }
    const eventsS = (performance.now() - tE) / 1000;
    const eventsRate = E / eventsS;
    const cpu = process.cpuUsage(cpu0);
    const workersCpuS = workersCpu() - workersCpu0;
    const backends1 = await backendsCpu();
    const backendsCpuS = cpuSince(backends0, backends1);
    {
      // Which connections spent it (the producers' last statement is their insert or COMMIT).
      const r = await sql<{ pid: number; app: string; q: string }>`
        SELECT pid, application_name AS app, left(regexp_replace(query, '[[:space:]]+', ' ', 'g'), 50) AS q
          FROM pg_stat_activity WHERE datname = current_database()`.execute(db);
      const lines = r.rows
        .map((x) => ({ ...x, ms: ((backends1.get(x.pid) ?? 0) - (backends0.get(x.pid) ?? 0)) * 1000 }))
        .filter((x) => x.ms > 0)
        .sort((a, b) => b.ms - a.ms)
        .map((x) => `${(x.ms / E).toFixed(3)} ms/event  pid ${x.pid} ${x.app}: ${x.q}`);
      log(`backend CPU by connection:\n  ${lines.join('\n  ')}`);
    }
    const busyS = machineBusySeconds() - busy0;
    await sleep(300);
    const counts = counter.counts();
    for (const [k, v] of Object.entries(workerCounts())) {
      const calls = v.calls - (workers0[k]?.calls ?? 0);
      if (calls <= 0) continue;
      const e = counts[k] ?? { calls: 0, rows: 0 };
      e.calls += calls;
      counts[k] = e;
    }
    const statements = Object.values(counts).reduce((sum, c) => sum + c.calls, 0);
    const top = Object.entries(counts)
      .sort((a, b) => b[1].calls - a[1].calls)
      .slice(0, 14)
      .map(([k, v]) => `${(v.calls / E).toFixed(2)}  ${k}`);
    log(`statements per event (producers + worker processes + polling):\n  ${top.join('\n  ')}`);
    const dead = await db.selectFrom('jobs').select('id').where('state', '=', 'dead').execute();
    log(`events: ${E} in ${eventsS.toFixed(1)} s (${eventsRate.toFixed(0)}/s), dead jobs ${dead.length}`);

    // Baseline: single-row UPDATEs from two connections.
    const pool = new pg.Pool({ connectionString: database.url, max: 2 });
    await Promise.all([pool.query('SELECT 1'), pool.query('SELECT 1')]);
    const baselineBackends0 = await backendsCpu();
    const baselineBusy0 = machineBusySeconds();
    const baselineCpu0 = process.cpuUsage();
    const tB = performance.now();
    let nb = 0;
    const updater = async () => {
      for (;;) {
        const i = nb++;
        if (i >= E) return;
        await pool.query(
          'UPDATE contact_scores SET engagement_static = engagement_static + 5 WHERE workspace_id = $1 AND contact_id = $2',
          [ws, pick(i)],
        );
      }
    };
    await Promise.all([updater(), updater()]);
    const baselineRate = E / ((performance.now() - tB) / 1000);
    const baselineClientCpu = process.cpuUsage(baselineCpu0);
    const baselineBackendsS = cpuSince(baselineBackends0, await backendsCpu());
    const baselineBusyS = machineBusySeconds() - baselineBusy0;
    await pool.end();
    log(`baseline: ${baselineRate.toFixed(0)} UPDATEs/s`);

    return {
      bench: 'scoring',
      value: round(eventsRate, 1),
      unit: 'events/s applied to scores (2 workers, PostgreSQL)',
      baseline: round(baselineRate, 1),
      ratio: round(eventsRate / baselineRate, 3),
      target_ratio: 0.3,
      recompute_contacts_per_s: round(recomputeRate, 0),
      recompute_seconds: round(recomputeS, 1),
      recompute_projected_1m_s: round(1_000_000 / recomputeRate, 0),
      initial_full_rebuild_seconds: initialS === null ? null : round(initialS, 1),
      initial_full_rebuild_contacts_per_s: initialS === null ? null : round(N / initialS, 0),
      reused: opts.reuse ? String(opts.reuse) : null,
      score_events: Number(scoreEvents.rows[0]?.n ?? 0),
      producers_seconds: round(producersS, 1),
      events_seconds: round(eventsS, 1),
      statements_per_event: round(statements / E, 2),
      node_cpu_ms_per_event: round((cpu.user + cpu.system) / 1000 / E + (workersCpuS * 1000) / E, 3),
      producer_cpu_ms_per_event: round((cpu.user + cpu.system) / 1000 / E, 3),
      workers_cpu_ms_per_event: round((workersCpuS * 1000) / E, 3),
      backends_cpu_ms_per_event: round((backendsCpuS * 1000) / E, 3),
      machine_busy_ms_per_event: round((busyS * 1000) / E, 3),
      baseline_client_cpu_ms_per_update: round(
        (baselineClientCpu.user + baselineClientCpu.system) / 1000 / E,
        3,
      ),
      baseline_backends_cpu_ms_per_update: round((baselineBackendsS * 1000) / E, 3),
      baseline_machine_busy_ms_per_update: round((baselineBusyS * 1000) / E, 3),
      contacts: N,
      activities: M,
      events: E,
      dead_jobs: dead.length,
      workers_in_process: false,
      producer_transactions: opts['producer-tx'],
      server: await serverSettings(db),
      date: new Date().toISOString(),
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop().catch(() => {})));
    await deps.handle.close();
    dir.remove();
    countsDir.remove();
    if (!opts.keep && !opts.reuse) await database.drop();
  }
}
