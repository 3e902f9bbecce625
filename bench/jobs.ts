import { closeSync, existsSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { Child } from './lib/child.js';
import {
  type BenchResult,
  int,
  log,
  median,
  parseOptions,
  quantile,
  round,
  sleep,
  tempDir,
} from './lib/common.js';
import { connectionHeadroom, createBenchDatabase } from './lib/db.js';
import { RAW_TABLE_DDL, type RunTimes } from './lib/jobs-shared.js';
import { cpuSeconds, machineBusySeconds } from './lib/procstat.js';
import type { QueryCounts } from './lib/query-counter.js';
import { DEFAULT_SRC, loadSrc } from './lib/src-loader.js';

/*
 * Job throughput on PostgreSQL, end to end: from the first enqueue until the last job row is
 * deleted by a worker.
 *
 * Ours: `--processes` producer processes (`--concurrency` connections each) enqueue N jobs with
 * JobQueue while `--workers` worker processes (a real JobWorker with startLeadwerk's settings and a
 * no-op handler) run them. Enqueue modes (`--mode`, a list; the first is the headline):
 *   tx       one transaction per job, as the application enqueues inside its own transactions:
 *            BEGIN; INSERT; SELECT pg_notify; COMMIT
 *   direct   queue.enqueue(db, …): the INSERT and the pg_notify, each its own autocommit statement
 *   batch:K  enqueueMany of K jobs per transaction
 * Baseline: the same number of processes and connections with raw node-postgres doing, per job, a
 * single-row INSERT transaction and a single-row DELETE transaction on a copy of the jobs table:
 * the least durable work any PostgreSQL queue does per job.
 *
 * Rounds alternate the contenders (rotating the order) after a warm-up; every round starts from a
 * VACUUMed table (autovacuum may be off on the bench server); figures are medians. Each round also
 * records the CPU time per job of the contender's processes and database backends, which a noisy
 * machine distorts less than throughput. `--compare <dir>` adds contenders "variant*": the same
 * producers and workers loaded from another checkout's src/ (own database, migrated with its own
 * migrations), to measure a proposed production change against the current code in the same run.
 * `--diagnose` counts the statements per job (round trips) in every process.
 */

export const description =
  'Jobs/s end to end on PostgreSQL (2 JobWorker processes) vs raw INSERT+DELETE transactions';

interface WorkerStats {
  completed: number;
  lastDoneAt: number;
  failures: number;
  latencies: number[];
  queries: QueryCounts;
}

/** --diagnose: where the CPU of a round went (seconds per 1000 jobs) and the statements per job. */
interface Diagnosis {
  cpu_s_per_1k_jobs: Record<string, number>;
  statements_per_job?: Record<string, { calls: number; rows: number }>;
}

interface QueueRound {
  jobsPerSec: number;
  enqueuePerSec: number;
  p50: number;
  p99: number;
  /** CPU time of this contender's processes and database backends per job (ms). */
  cpuMsPerJob: number;
  /** Failed job attempts (should be 0; a failure means the round measured something else). */
  failures: number;
  diagnosis?: Diagnosis;
}

interface Contender {
  name: string;
  srcDir: string;
  mode: string;
  /** A variant: the contender of the current code it is compared with. */
  sameAs?: string;
  url: string;
  admin: pg.Client;
  workers: Child[];
  producers: Child[];
  rounds: QueueRound[];
}

function addCounts(into: QueryCounts, from: QueryCounts | undefined): void {
  for (const [k, v] of Object.entries(from ?? {})) {
    const e = into[k] ?? { calls: 0, rows: 0 };
    e.calls += v.calls;
    e.rows += v.rows;
    into[k] = e;
  }
}

/** CPU seconds so far of the given children, of the database's backends, and of the machine. */
async function cpuSnapshot(admin: pg.Client, groups: Record<string, Child[]>) {
  const { rows } = await admin.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
  );
  const backends = new Map(rows.map((r) => [r.pid, cpuSeconds(r.pid)]));
  const byGroup = Object.fromEntries(
    Object.entries(groups).map(([k, cs]) => [k, cs.reduce((a, c) => a + cpuSeconds(c.pid), 0)]),
  );
  return { byGroup, backends, machine: machineBusySeconds() };
}
type Snapshot = Awaited<ReturnType<typeof cpuSnapshot>>;

function cpuPer1k(before: Snapshot, after: Snapshot, n: number): Record<string, number> {
  const per1k = (s: number) => round((s * 1000) / n, 3);
  const out: Record<string, number> = {};
  for (const k of Object.keys(after.byGroup)) out[k] = per1k(after.byGroup[k]! - before.byGroup[k]!);
  let pgSeconds = 0;
  for (const [pid, s] of after.backends) pgSeconds += s - (before.backends.get(pid) ?? 0);
  out.postgres_backends = per1k(pgSeconds);
  out.own_total = round(
    Object.values(out).reduce((a, b) => a + b, 0),
    3,
  );
  out.machine_total = per1k(after.machine - before.machine);
  return out;
}

export async function run(args: string[]): Promise<BenchResult> {
  const opts = parseOptions(args, {
    jobs: { type: 'string', default: '20000' },
    rounds: { type: 'string', default: '3' },
    processes: { type: 'string', default: '2' },
    workers: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '4' },
    mode: { type: 'string', default: 'tx,direct' },
    compare: { type: 'string' },
    diagnose: { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    logs: { type: 'string' },
  });
  const total = int(opts.jobs, 'jobs');
  const rounds = int(opts.rounds, 'rounds');
  const processes = int(opts.processes, 'processes');
  const workerCount = int(opts.workers, 'workers');
  const concurrency = int(opts.concurrency, 'concurrency');
  const modes = opts.mode.split(',');
  for (const m of modes) {
    if (!/^(tx|direct|batch:\d+)$/.test(m)) throw new Error('--mode: a list of tx, direct, batch:<size>');
  }
  const compareSrc = opts.compare ? resolve(opts.compare) : undefined;
  if (compareSrc && !existsSync(join(compareSrc, 'shared/jobs/index.ts'))) {
    throw new Error(`--compare: ${compareSrc} is not a src/ folder of Leadwerk`);
  }
  const diagnose = opts.diagnose;
  const childEnv = diagnose ? { ...process.env, BENCH_DIAGNOSE: '1' } : process.env;
  // --cpu-prof <dir>: CPU profiles of the worker and producer processes, written when they stop,
  // one file per thread (thread 0 is the main thread; another one is tsx's loader thread).
  const profArgs = (name: string) =>
    opts['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${join(opts['cpu-prof'], name)}`] : [];

  // --logs <file>: the worker and producer processes' logs (LOG_LEVEL, default warn), appended.
  const logFd = opts.logs ? openSync(opts.logs, 'a') : undefined;
  const logArgs = logFd === undefined ? {} : { stdout: logFd };

  // Every contender's pools stay open for the whole run (idle pools shrink after 10 s).
  const poolSize = Number(process.env.DATABASE_POOL_SIZE || 10);
  const contenderCount = modes.length * (compareSrc ? 2 : 1);
  const needed =
    contenderCount * (workerCount * (poolSize + 1) + processes * concurrency + 1) + processes * concurrency;
  const headroom = await connectionHeadroom();
  if (needed > headroom) {
    log(
      `WARNING: up to ${needed} connections needed, ${headroom} free on the server: expect ` +
        '"too many clients" failures (fewer --mode entries, or no --compare)',
    );
  }

  const dataDir = tempDir('jobs');
  const databases: Array<{ drop(): Promise<void> }> = [];
  const children: Child[] = [];
  const contenders: Contender[] = [];
  try {
    // One contender per (source tree, enqueue mode); the first mode of `ours` is the headline.
    const spec: Array<{ name: string; srcDir: string; mode: string; sameAs?: string }> = [];
    const suffix = (i: number, m: string) => (i === 0 ? '' : `_${m.replace(':', '')}`);
    for (const [i, m] of modes.entries())
      spec.push({ name: `ours${suffix(i, m)}`, srcDir: DEFAULT_SRC, mode: m });
    if (compareSrc) {
      for (const [i, m] of modes.entries()) {
        spec.push({
          name: `variant${suffix(i, m)}`,
          srcDir: compareSrc,
          mode: m,
          sameAs: `ours${suffix(i, m)}`,
        });
      }
    }
    for (const { name, srcDir, mode, sameAs } of spec) {
      const database = await createBenchDatabase();
      databases.push(database);
      // Schema: that source tree's own migrations.
      const src = await loadSrc(srcDir);
      const handle = await src.openDatabase({ databaseUrl: database.url, dataDir: dataDir.dir, poolSize: 1 });
      await src.migrateToLatest(handle.db, src.migrations);
      await handle.close();
      const admin = new pg.Client({ connectionString: database.url });
      // Dropping the database at the end (WITH FORCE) ends this session: not a crash.
      admin.on('error', () => {});
      await admin.connect();
      const workers = Array.from(
        { length: workerCount },
        (_, i) =>
          new Child(`${name} worker ${i + 1}`, 'jobs-worker.ts', [srcDir, database.url, dataDir.dir], {
            execArgv: profArgs(`${name}-worker${i + 1}`),
            env: childEnv,
            ...logArgs,
          }),
      );
      const producers = Array.from(
        { length: processes },
        (_, i) =>
          new Child(
            `${name} producer ${i + 1}`,
            'jobs-producer.ts',
            [srcDir, database.url, String(concurrency)],
            {
              execArgv: profArgs(`${name}-producer${i + 1}`),
              env: childEnv,
              ...logArgs,
            },
          ),
      );
      children.push(...workers, ...producers);
      contenders.push({
        name,
        srcDir,
        mode,
        ...(sameAs ? { sameAs } : {}),
        url: database.url,
        admin,
        workers,
        producers,
        rounds: [],
      });
    }
    const ours = contenders[0]!;
    // The baseline's table lives in ours' database.
    await ours.admin.query(RAW_TABLE_DDL);
    const raws = Array.from(
      { length: processes },
      (_, i) => new Child(`raw ${i + 1}`, 'jobs-raw.ts', [ours.url, String(concurrency)]),
    );
    children.push(...raws);
    const [workerInfo] = await Promise.all(ours.workers.map((w) => w.ready));
    await Promise.all(children.map((c) => c.ready));
    log(
      `${workerCount} worker processes ${JSON.stringify(workerInfo)}, ${processes} producer processes x ` +
        `${concurrency} connections, modes ${modes.join(', ')}; baseline ${processes} processes x ${concurrency} connections` +
        (compareSrc ? `; variant from ${compareSrc}` : ''),
    );

    const share = (n: number, i: number) => Math.floor(n / processes) + (i < n % processes ? 1 : 0);

    let baselineDiagnosis: Diagnosis | undefined;
    async function baselineRound(n: number): Promise<{ jobsPerSec: number; cpuMsPerJob: number }> {
      await ours.admin.query('VACUUM (ANALYZE) raw_jobs');
      const before = await cpuSnapshot(ours.admin, { baseline: raws });
      const times = await Promise.all(
        raws.map((r, i) => r.call<RunTimes>('run', { count: share(n, i), offset: i * n })),
      );
      const end = Math.max(...times.map((t) => t.lastAt));
      const seconds = (end - Math.min(...times.map((t) => t.firstAt))) / 1000;
      const cpu = cpuPer1k(before, await cpuSnapshot(ours.admin, { baseline: raws }), n);
      baselineDiagnosis = {
        cpu_s_per_1k_jobs: cpu,
        statements_per_job: { INSERT: { calls: 1, rows: 1 }, DELETE: { calls: 1, rows: 1 } },
      };
      const left = await ours.admin.query<{ n: string }>('SELECT count(*) AS n FROM raw_jobs');
      if (left.rows[0]!.n !== '0') throw new Error(`baseline left ${left.rows[0]!.n} rows`);
      return { jobsPerSec: n / seconds, cpuMsPerJob: cpu.own_total! };
    }

    async function queueRound(c: Contender, n: number): Promise<QueueRound> {
      await c.admin.query('VACUUM (ANALYZE) jobs');
      await Promise.all(c.workers.map((w) => w.call('reset')));
      const groups = { producers: c.producers, workers: c.workers };
      const before = await cpuSnapshot(c.admin, groups);
      const producing = Promise.all(
        c.producers.map((p, i) =>
          p.call<RunTimes>('run', { count: share(n, i), offset: i * n, mode: c.mode }),
        ),
      );
      let failed: unknown;
      producing.catch((err) => {
        failed = err;
      });
      const deadline = Date.now() + 600_000;
      for (;;) {
        if (failed) throw failed;
        const counts = await Promise.all(c.workers.map((w) => w.call<number>('count')));
        const done = counts.reduce((a, b) => a + b, 0);
        if (done >= n) break;
        if (Date.now() > deadline)
          throw new Error(`${c.name}: only ${done} of ${n} jobs done after 10 minutes`);
        await sleep(20);
      }
      const after = await cpuSnapshot(c.admin, groups);
      const times = await producing;
      const stats = await Promise.all(c.workers.map((w) => w.call<WorkerStats>('stats')));
      const firstAt = Math.min(...times.map((t) => t.firstAt));
      const seconds = (Math.max(...stats.map((s) => s.lastDoneAt)) - firstAt) / 1000;
      const enqueueSeconds = (Math.max(...times.map((t) => t.lastAt)) - firstAt) / 1000;
      const latencies = stats.flatMap((s) => s.latencies).sort((a, b) => a - b);
      const failures = stats.reduce((a, st) => a + st.failures, 0);
      if (failures > 0) log(`WARNING: ${c.name}: ${failures} failed job attempts in this round (see --logs)`);
      const left = await c.admin.query<{ n: string }>('SELECT count(*) AS n FROM jobs');
      if (left.rows[0]!.n !== '0') throw new Error(`${c.name} left ${left.rows[0]!.n} jobs`);
      const cpu = cpuPer1k(before, after, n);
      let diagnosis: Diagnosis | undefined;
      if (diagnose) {
        const counts: QueryCounts = {};
        for (const t of times) addCounts(counts, t.queries);
        for (const st of stats) addCounts(counts, st.queries);
        const perJob = Object.fromEntries(
          Object.entries(counts)
            .sort((a, b) => b[1].calls - a[1].calls)
            .map(([k, v]) => [k, { calls: round(v.calls / n, 3), rows: round(v.rows / n, 3) }]),
        );
        diagnosis = { cpu_s_per_1k_jobs: cpu, statements_per_job: perJob };
      }
      return {
        jobsPerSec: n / seconds,
        enqueuePerSec: n / enqueueSeconds,
        p50: quantile(latencies, 0.5),
        p99: quantile(latencies, 0.99),
        cpuMsPerJob: cpu.own_total!,
        failures,
        ...(diagnosis ? { diagnosis } : {}),
      };
    }

    const warm = Math.max(500, Math.floor(total / 10));
    log(`warm-up: ${warm} jobs each`);
    await baselineRound(warm);
    for (const c of contenders) await queueRound(c, warm);

    const base: number[] = [];
    const baseCpu: number[] = [];
    const names = ['baseline', ...contenders.map((c) => c.name)];
    for (let r = 0; r < rounds; r++) {
      // Rotate the order so that no contender always runs first.
      for (let k = 0; k < names.length; k++) {
        const name = names[(k + r) % names.length]!;
        await sleep(500);
        if (name === 'baseline') {
          const v = await baselineRound(total);
          base.push(v.jobsPerSec);
          baseCpu.push(v.cpuMsPerJob);
          log(
            `round ${r + 1}/${rounds} baseline   ${v.jobsPerSec.toFixed(0).padStart(6)} jobs/s ` +
              `(cpu ${v.cpuMsPerJob.toFixed(2)} ms/job)`,
          );
        } else {
          const c = contenders.find((x) => x.name === name)!;
          const o = await queueRound(c, total);
          c.rounds.push(o);
          log(
            `round ${r + 1}/${rounds} ${name.padEnd(10)} ${o.jobsPerSec.toFixed(0).padStart(6)} jobs/s ` +
              `(cpu ${o.cpuMsPerJob.toFixed(2)} ms/job, enqueue ${o.enqueuePerSec.toFixed(0)}/s, ` +
              `latency p50 ${o.p50.toFixed(1)} ms, p99 ${o.p99.toFixed(1)} ms)`,
          );
        }
      }
    }
    const baseMedian = median(base);
    const baseCpuMedian = median(baseCpu);
    const summary = (c: Contender) => {
      const value = median(c.rounds.map((o) => o.jobsPerSec));
      return {
        value,
        ratio: value / baseMedian,
        perRoundRatio: median(c.rounds.map((o, i) => o.jobsPerSec / base[i]!)),
        enqueue: median(c.rounds.map((o) => o.enqueuePerSec)),
        p50: median(c.rounds.map((o) => o.p50)),
        p99: median(c.rounds.map((o) => o.p99)),
        cpu: median(c.rounds.map((o) => o.cpuMsPerJob)),
        failures: c.rounds.reduce((a, o) => a + o.failures, 0),
      };
    };
    const o = summary(ours);
    const result: BenchResult = {
      bench: 'jobs',
      value: round(o.value, 0),
      unit: 'jobs/s',
      baseline: round(baseMedian, 0),
      ratio: round(o.ratio, 3),
      ratio_per_round_median: round(o.perRoundRatio, 3),
      enqueue_per_s: round(o.enqueue, 0),
      latency_p50_ms: round(o.p50, 1),
      latency_p99_ms: round(o.p99, 1),
      cpu_ms_per_job: round(o.cpu, 3),
      baseline_cpu_ms_per_job: round(baseCpuMedian, 3),
      cpu_ratio: round(baseCpuMedian / o.cpu, 3),
      failed_attempts: o.failures,
      jobs: total,
      rounds,
      worker_processes: workerCount,
      producer_processes: processes,
      connections_per_producer: concurrency,
      mode: ours.mode,
      ours_per_round: ours.rounds.map((x) => round(x.jobsPerSec, 0)),
      baseline_per_round: base.map((b) => round(b, 0)),
    };
    for (const c of contenders.slice(1)) {
      const v = summary(c);
      const fields: Record<string, unknown> = {
        mode: c.mode,
        jobs_per_s: round(v.value, 0),
        ratio: round(v.ratio, 3),
        ratio_per_round_median: round(v.perRoundRatio, 3),
        enqueue_per_s: round(v.enqueue, 0),
        latency_p50_ms: round(v.p50, 1),
        latency_p99_ms: round(v.p99, 1),
        cpu_ms_per_job: round(v.cpu, 3),
        cpu_ratio: round(baseCpuMedian / v.cpu, 3),
        failed_attempts: v.failures,
        per_round: c.rounds.map((x) => round(x.jobsPerSec, 0)),
      };
      if (c.sameAs) {
        const same = contenders.find((x) => x.name === c.sameAs)!;
        fields.src = c.srcDir;
        fields[`vs_${c.sameAs}`] = round(v.value / summary(same).value, 3);
        fields[`vs_${c.sameAs}_per_round_median`] = round(
          median(c.rounds.map((x, i) => x.jobsPerSec / same.rounds[i]!.jobsPerSec)),
          3,
        );
      }
      for (const [k, val] of Object.entries(fields)) result[`${c.name}_${k}`] = val;
    }
    if (diagnose) {
      result.diagnosis = {
        ...Object.fromEntries(contenders.map((c) => [`${c.name}_last_round`, c.rounds.at(-1)?.diagnosis])),
        baseline_last_round: baselineDiagnosis,
      };
    }
    result.node = process.version;
    result.date = new Date().toISOString();
    return result;
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    for (const c of contenders) await c.admin.end().catch(() => {});
    for (const d of databases) await d.drop().catch((err) => log(`could not drop a database: ${err}`));
    dataDir.remove();
    if (logFd !== undefined) closeSync(logFd);
  }
}
