import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { Child } from './lib/child.js';
import { type BenchResult, int, log, median, parseOptions, round, sleep, tempDir } from './lib/common.js';
import { createBenchDatabase } from './lib/db.js';
import { cpuSeconds } from './lib/procstat.js';
import { DEFAULT_SRC } from './lib/src-loader.js';

/*
 * Requests per second of our authenticated API against a bare Fastify route of the same Fastify
 * version. Ours: GET /api/v1/workspace with an API key, on the real server (startLeadwerk, API only,
 * production settings): request id, helmet headers, the auth hook (API key looked up by prefix,
 * SHA-256 compared, scope checked), one workspace SELECT, response schema and serialisation,
 * request metrics. On PostgreSQL (headline) and on the embedded PGlite (extra fields).
 *
 * Each server runs in its own child process; autocannon runs in this process (the load process).
 * After a warm-up, rounds alternate the servers, rotating the order; figures are medians. Besides
 * req/s and latency, each round records the CPU time per request of the server process (plus, for
 * PostgreSQL, of the database backends serving it), which suffers less from a noisy machine.
 * `--compare <dir>` adds "variant_pg": the same server from another checkout's src/, to measure a
 * proposed production change against the current code in the same run.
 */

export const description =
  'HTTP req/s: GET /api/v1/workspace with an API key (PostgreSQL; PGlite extra) vs a bare Fastify route';

interface Target {
  url: string;
  path: string;
  headers: Record<string, string>;
}

interface Sample {
  rps: number;
  p50: number;
  p99: number;
  /** CPU microseconds per request: server process (+ its database backends). */
  cpuUs: number;
}

function fastifyVersion(): string {
  const require = createRequire(import.meta.url);
  const pkg = JSON.parse(readFileSync(require.resolve('fastify/package.json'), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

async function load(target: Target, connections: number, seconds: number) {
  const r = await autocannon({
    url: `${target.url}${target.path}`,
    headers: target.headers,
    connections,
    duration: seconds,
    timeout: 10,
  });
  if (r.errors > 0 || r.timeouts > 0 || r.non2xx > 0) {
    throw new Error(
      `${target.path}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx responses`,
    );
  }
  return { requests: r['2xx'], rps: r['2xx'] / r.duration, p50: r.latency.p50, p99: r.latency.p99 };
}

export async function run(args: string[]): Promise<BenchResult> {
  const opts = parseOptions(args, {
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '10' },
    'log-level': { type: 'string', default: 'warn' },
    'no-pglite': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    compare: { type: 'string' },
  });
  const rounds = int(opts.rounds, 'rounds');
  const seconds = int(opts.duration, 'duration');
  const warmup = int(opts.warmup, 'warmup', 0);
  const connections = int(opts.connections, 'connections');
  const logLevel = opts['log-level'];
  // --cpu-prof <dir>: CPU profiles of the servers, written when they stop (thread 0 = main thread).
  const prof = (name: string) =>
    opts['cpu-prof'] ? { execArgv: ['--cpu-prof', `--cpu-prof-dir=${join(opts['cpu-prof'], name)}`] } : {};

  const compareSrc = opts.compare ? resolve(opts.compare) : undefined;
  if (compareSrc && !existsSync(join(compareSrc, 'server.ts'))) {
    throw new Error(`--compare: ${compareSrc} is not a src/ folder of Leadwerk`);
  }

  const database = await createBenchDatabase();
  const variantDatabase = compareSrc ? await createBenchDatabase() : undefined;
  const admin = new pg.Client({ connectionString: database.url });
  const variantAdmin = variantDatabase ? new pg.Client({ connectionString: variantDatabase.url }) : undefined;
  // Dropping a database at the end (WITH FORCE) ends these sessions: not a crash.
  for (const c of [admin, variantAdmin]) c?.on('error', () => {});
  const dirs = [tempDir('http-pg'), tempDir('http-pglite'), tempDir('http-variant')];
  const children: Child<Target>[] = [];
  try {
    const servers: Array<{ name: string; child: Child<Target>; db?: pg.Client }> = [
      {
        name: 'bare',
        child: new Child<Target>('bare fastify', 'http-server.ts', ['bare'], prof('bare')),
      },
      {
        name: 'ours_pg',
        child: new Child<Target>(
          'ours (PostgreSQL)',
          'http-server.ts',
          ['ours', DEFAULT_SRC, database.url, dirs[0]!.dir, logLevel],
          prof('ours_pg'),
        ),
        db: admin,
      },
    ];
    if (!opts['no-pglite']) {
      servers.push({
        name: 'ours_pglite',
        child: new Child<Target>(
          'ours (PGlite)',
          'http-server.ts',
          ['ours', DEFAULT_SRC, 'pglite', dirs[1]!.dir, logLevel],
          prof('ours_pglite'),
        ),
      });
    }
    if (compareSrc && variantDatabase && variantAdmin) {
      servers.push({
        name: 'variant_pg',
        child: new Child<Target>(
          'variant (PostgreSQL)',
          'http-server.ts',
          ['ours', compareSrc, variantDatabase.url, dirs[2]!.dir, logLevel],
          prof('variant_pg'),
        ),
        db: variantAdmin,
      });
    }
    children.push(...servers.map((s) => s.child));
    const targets = await Promise.all(servers.map((s) => s.child.ready));
    await admin.connect();
    await variantAdmin?.connect();
    for (const [i, t] of targets.entries()) {
      const res = await fetch(`${t.url}${t.path}`, { headers: t.headers });
      if (res.status !== 200) throw new Error(`${servers[i]!.name}: GET ${t.path} -> ${res.status}`);
    }
    log(
      `servers up (${servers.map((s) => s.name).join(', ')}); ${connections} connections, ` +
        `warm-up ${warmup}s each, ${rounds} rounds of ${seconds}s each`,
    );
    if (warmup > 0) for (const t of targets) await load(t, connections, warmup);

    /** CPU seconds so far of a server process and, for PostgreSQL, of the bench database's backends. */
    const cpuOf = async (server: (typeof servers)[number]) => {
      let total = cpuSeconds(server.child.pid);
      if (server.db) {
        const { rows } = await server.db.query<{ pid: number }>(
          'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
        );
        for (const r of rows) total += cpuSeconds(r.pid);
      }
      return total;
    };

    const samples = new Map<string, Sample[]>(servers.map((s) => [s.name, []]));
    for (let r = 0; r < rounds; r++) {
      // Rotate the order so that no server always runs first (or right after the heaviest one).
      for (let k = 0; k < servers.length; k++) {
        const server = servers[(k + r) % servers.length]!;
        const target = targets[(k + r) % servers.length]!;
        await sleep(300);
        const before = await cpuOf(server);
        const l = await load(target, connections, seconds);
        const cpuUs = (((await cpuOf(server)) - before) * 1e6) / l.requests;
        const s: Sample = { rps: l.rps, p50: l.p50, p99: l.p99, cpuUs };
        samples.get(server.name)!.push(s);
        log(
          `round ${r + 1}/${rounds} ${server.name.padEnd(11)} ${s.rps.toFixed(0).padStart(6)} req/s  ` +
            `p50 ${s.p50} ms  p99 ${s.p99} ms  cpu ${s.cpuUs.toFixed(0)} µs/req`,
        );
      }
    }

    const med = (name: string, field: keyof Sample) => median((samples.get(name) ?? []).map((s) => s[field]));
    const bare = med('bare', 'rps');
    const ours = med('ours_pg', 'rps');
    const perRound = (samples.get('ours_pg') ?? []).map((s, i) => s.rps / samples.get('bare')![i]!.rps);
    const result: BenchResult = {
      bench: 'http',
      value: round(ours, 0),
      unit: 'req/s',
      baseline: round(bare, 0),
      ratio: round(ours / bare, 3),
      ratio_per_round_median: round(median(perRound), 3),
      route: 'GET /api/v1/workspace (API key) vs GET /hello (bare Fastify)',
      p50_ms: med('ours_pg', 'p50'),
      p99_ms: med('ours_pg', 'p99'),
      baseline_p50_ms: med('bare', 'p50'),
      baseline_p99_ms: med('bare', 'p99'),
      cpu_us_per_req: round(med('ours_pg', 'cpuUs'), 0),
      baseline_cpu_us_per_req: round(med('bare', 'cpuUs'), 0),
      cpu_ratio: round(med('bare', 'cpuUs') / med('ours_pg', 'cpuUs'), 3),
    };
    if (!opts['no-pglite']) {
      const pglite = med('ours_pglite', 'rps');
      result.pglite_rps = round(pglite, 0);
      result.pglite_ratio = round(pglite / bare, 3);
      result.pglite_p50_ms = med('ours_pglite', 'p50');
      result.pglite_p99_ms = med('ours_pglite', 'p99');
      result.pglite_cpu_us_per_req = round(med('ours_pglite', 'cpuUs'), 0);
    }
    if (compareSrc) {
      const variant = med('variant_pg', 'rps');
      const perRoundVariant = (samples.get('variant_pg') ?? []).map(
        (s, i) => s.rps / samples.get('ours_pg')![i]!.rps,
      );
      Object.assign(result, {
        variant_src: compareSrc,
        variant_rps: round(variant, 0),
        variant_ratio: round(variant / bare, 3),
        variant_vs_ours: round(variant / ours, 3),
        variant_vs_ours_per_round_median: round(median(perRoundVariant), 3),
        variant_p50_ms: med('variant_pg', 'p50'),
        variant_p99_ms: med('variant_pg', 'p99'),
        variant_cpu_us_per_req: round(med('variant_pg', 'cpuUs'), 0),
      });
    }
    Object.assign(result, {
      per_round_rps: Object.fromEntries([...samples].map(([k, v]) => [k, v.map((s) => round(s.rps, 0))])),
      rounds,
      duration_s: seconds,
      connections,
      log_level: logLevel,
      fastify: fastifyVersion(),
      node: process.version,
      date: new Date().toISOString(),
    });
    return result;
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    await admin.end().catch(() => {});
    await variantAdmin?.end().catch(() => {});
    for (const d of dirs) d.remove();
    await database.drop();
    await variantDatabase?.drop();
  }
}
