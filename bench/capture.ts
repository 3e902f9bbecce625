import { resolve } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
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
  wallMs,
} from './lib/common.js';
import { createBenchDatabase } from './lib/db.js';
import { cpuSeconds } from './lib/procstat.js';

/*
 * Form submissions per second, end to end: POST /f/<form>/submit with a JSON body (validated,
 * time trap checked, contact upserted, submission with attribution stored, consent requested with
 * its ledger proof, confirmation job enqueued, activity recorded — one committed transaction;
 * proof-of-work off, limits out of the way) against a bare Fastify route that does one INSERT of
 * the same payload, both on PostgreSQL in the same run; PGlite as an extra. Each server runs in its
 * own process; autocannon runs here with 50 connections and a new address per request.
 *
 * While the load runs on "ours", the server's own workers send the confirmation mails to a real
 * SMTP server (smtp-server) in this process: for every accepted submission the time from sending
 * the request to the SMTP server having the message is measured (p50/p99, and how many arrived).
 */

/**
 * Node flags every server here runs with: the ones `npm start` gives ours (package.json). A larger
 * young generation than V8's default 16 MB semi-space: a sign-up allocates enough that scavenges
 * cost ~15 % of the server's CPU per sign-up with the default (session 8, docs/benchmarks.md).
 */
const SERVER_NODE_FLAGS = ['--max-semi-space-size=32'];

export const description =
  'Form submissions/s end to end (PostgreSQL; PGlite extra) vs a bare Fastify INSERT; confirmation mail latency';

interface Target {
  url: string;
  path: string;
  timeToken: string;
}

interface Sample {
  rps: number;
  /** CPU microseconds per accepted submission: server process, plus its PostgreSQL backends. */
  cpuUs: number;
  /** The part of cpuUs spent in the PostgreSQL backends (0 on PGlite, which runs in the server). */
  dbCpuUs: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

type Req = { method: string; path: string; headers: Record<string, string>; body?: string };

let seq = 0;

async function load(
  target: Target,
  connections: number,
  seconds: number,
  sentAt?: Map<string, number>,
  /** Requests per second for all connections together (open loop); as fast as answered when unset. */
  rate?: number,
): Promise<Omit<Sample, 'cpuUs' | 'dbCpuUs'> & { ok: number }> {
  const prefix = `b${Date.now().toString(36)}`;
  const options = {
    url: target.url,
    connections,
    duration: seconds,
    ...(rate ? { overallRate: rate } : {}),
    timeout: 10,
    requests: [
      {
        method: 'POST',
        path: target.path,
        headers: { 'content-type': 'application/json' },
        setupRequest(req: Req) {
          // B2B sign-ups come from many companies: 1,000 domains (contacts match a company by domain).
          const n = seq++;
          const email = `${prefix}-${n}@firma${n % 1000}.bench.example`;
          sentAt?.set(email, wallMs());
          req.body = JSON.stringify({
            email,
            consent_newsletter: 'on',
            lw_t: target.timeToken,
            lang: 'de',
            utm_source: 'bench',
            utm_medium: 'banner',
            utm_campaign: 'capture-bench',
            landing_url: 'https://www.bench.example/newsletter',
          });
          return req;
        },
      },
    ],
  };
  const r = await autocannon(options as unknown as Parameters<typeof autocannon>[0]);
  return {
    ok: r['2xx'],
    rps: r['2xx'] / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}

/** A real SMTP server that notes when each recipient's message arrived. */
async function startSink(): Promise<{ url: string; received: Map<string, number>; stop(): Promise<void> }> {
  const received = new Map<string, number>();
  const server = new SMTPServer({
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    disableReverseLookup: true,
    onData(stream, session, callback) {
      stream.on('data', () => {});
      stream.on('end', () => {
        const at = wallMs();
        for (const r of session.envelope.rcptTo) received.set(r.address, at);
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return {
    url: `smtp://127.0.0.1:${port}?tls=off`,
    received,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function run(args: string[]): Promise<BenchResult> {
  const opts = parseOptions(args, {
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    pool: { type: 'string', default: '20' },
    'log-level': { type: 'string', default: 'warn' },
    'no-pglite': { type: 'boolean', default: false },
    'mail-wait': { type: 'string', default: '20' },
    'no-mail': { type: 'boolean', default: false },
    compare: { type: 'string', default: '' },
    // After the rounds, ours on PostgreSQL once more at this fraction of its median rate (0: off):
    // latency and confirmation-mail latency when the machine is not saturated.
    sustained: { type: 'string', default: '0.5' },
  });
  const sustained = Number(opts.sustained);
  if (!(sustained >= 0 && sustained < 1)) throw new Error('--sustained must be a fraction in [0, 1)');
  const rounds = int(opts.rounds, 'rounds');
  const seconds = int(opts.duration, 'duration');
  const warmup = int(opts.warmup, 'warmup', 0);
  const connections = int(opts.connections, 'connections');
  const mailWait = int(opts['mail-wait'], 'mail-wait');

  const compare = opts.compare ? resolve(opts.compare) : '';
  const baseDb = await createBenchDatabase();
  const oursDb = await createBenchDatabase();
  const variantDb = compare ? await createBenchDatabase() : undefined;
  const dirs = [tempDir('capture-pg'), tempDir('capture-pglite'), tempDir('capture-variant')];
  const sink = await startSink();
  const children: Child<Target>[] = [];
  const poolsToClose = new Set<pg.Pool>();
  /** Our server on a database (a PostgreSQL URL, or `pglite`); the variant runs another checkout's src/. */
  const oursOn = (
    label: string,
    dbUrl: string,
    dir: string,
    options: ConstructorParameters<typeof Child>[3] = {},
  ) =>
    new Child<Target>(
      label,
      'capture-server.ts',
      ['ours', dbUrl, dir, opts['log-level'], opts.pool, ...(opts['no-mail'] ? [] : [sink.url])],
      { ...options, execArgv: [...SERVER_NODE_FLAGS, ...(options.execArgv ?? [])] },
    );
  try {
    const servers: Array<{ name: string; child: Child<Target>; mail: boolean; dbUrl?: string }> = [
      {
        name: 'bare',
        child: new Child<Target>('bare fastify', 'capture-server.ts', ['bare', baseDb.url, opts.pool], {
          execArgv: SERVER_NODE_FLAGS,
        }),
        mail: false,
        dbUrl: baseDb.url,
      },
      {
        name: 'ours_pg',
        // BENCH_SERVER_EXEC_ARGV: Node flags for our PostgreSQL server, e.g. a CPU profile.
        child: oursOn('ours (PostgreSQL)', oursDb.url, dirs[0]!.dir, {
          execArgv: process.env.BENCH_SERVER_EXEC_ARGV?.split(' ').filter(Boolean) ?? [],
        }),
        mail: !opts['no-mail'],
        dbUrl: oursDb.url,
      },
    ];
    if (variantDb) {
      // The same contender from another checkout's src/ (e.g. the code before a change), on
      // PostgreSQL, measured in the same rounds: the A/B of a production change.
      servers.push({
        name: 'variant',
        child: oursOn('variant (PostgreSQL)', variantDb.url, dirs[2]!.dir, {
          env: { ...process.env, LW_BENCH_SRC: compare },
        }),
        mail: !opts['no-mail'],
        dbUrl: variantDb.url,
      });
    }
    if (!opts['no-pglite']) {
      servers.push({
        name: 'ours_pglite',
        child: oursOn('ours (PGlite)', 'pglite', dirs[1]!.dir),
        mail: !opts['no-mail'],
      });
    }
    children.push(...servers.map((s) => s.child));
    const targets = await Promise.all(servers.map((s) => s.child.ready));
    await sleep(2500); // the time-trap token must be older than the minimum
    log(
      `servers up (${servers.map((s) => s.name).join(', ')}); ${connections} connections, ${rounds} rounds of ${seconds}s`,
    );
    if (warmup > 0) for (const t of targets) await load(t, connections, warmup);

    // CPU seconds so far of a server process and, on PostgreSQL, of its database's backends: less
    // distorted by other load on the machine than throughput.
    const pools = new Map(
      servers
        .filter((s) => s.dbUrl)
        .map((s) => [s.name, new pg.Pool({ connectionString: s.dbUrl, max: 1 })] as const),
    );
    const cpuOf = async (server: (typeof servers)[number]) => {
      let db = 0;
      const pool = pools.get(server.name);
      if (pool) {
        const { rows } = await pool.query<{ pid: number }>(
          'SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
        );
        for (const r of rows) db += cpuSeconds(r.pid);
      }
      return { total: cpuSeconds(server.child.pid) + db, db };
    };
    for (const p of pools.values()) poolsToClose.add(p);
    /** Waits for the queue to drain (bounded), then matches every address to its mail. */
    const collectMails = async (
      sentAt: Map<string, number>,
      lat: number[],
      counts: { sent: number; arrived: number },
    ) => {
      const until = wallMs() + mailWait * 1000;
      while (wallMs() < until && [...sentAt.keys()].some((e) => !sink.received.has(e))) await sleep(250);
      for (const [email, t0] of sentAt) {
        counts.sent++;
        const t1 = sink.received.get(email);
        if (t1 !== undefined) {
          counts.arrived++;
          lat.push(t1 - t0);
        }
      }
    };
    const samples = new Map<string, Sample[]>(servers.map((s) => [s.name, []]));
    const mailLatencies = new Map<string, number[]>(servers.map((s) => [s.name, []]));
    const mailCounts = new Map<string, { sent: number; arrived: number }>(
      servers.map((s) => [s.name, { sent: 0, arrived: 0 }]),
    );
    for (let r = 0; r < rounds; r++) {
      for (let k = 0; k < servers.length; k++) {
        const i = (k + r) % servers.length;
        const server = servers[i]!;
        await sleep(300);
        const sentAt = server.mail ? new Map<string, number>() : undefined;
        const cpuBefore = await cpuOf(server);
        const l = await load(targets[i]!, connections, seconds, sentAt);
        const cpuAfter = await cpuOf(server);
        const perOk = (seconds: number) => (seconds * 1e6) / Math.max(1, l.ok);
        const s: Sample = {
          ...l,
          cpuUs: perOk(cpuAfter.total - cpuBefore.total),
          dbCpuUs: perOk(cpuAfter.db - cpuBefore.db),
        };
        samples.get(server.name)!.push(s);
        let mailNote = '';
        if (sentAt) {
          const lat = mailLatencies.get(server.name)!;
          const counts = mailCounts.get(server.name)!;
          await collectMails(sentAt, lat, counts);
          const sorted = [...lat].sort((a, b) => a - b);
          mailNote = `  mail p50 ${round(quantile(sorted, 0.5), 0)} ms p99 ${round(quantile(sorted, 0.99), 0)} ms (${counts.arrived}/${counts.sent})`;
        }
        log(
          `round ${r + 1}/${rounds} ${server.name.padEnd(11)} ${s.rps.toFixed(0).padStart(6)} req/s  p50 ${s.p50} ms  p99 ${s.p99} ms  cpu ${s.cpuUs.toFixed(0)} µs/ok (db ${s.dbCpuUs.toFixed(0)})` +
            `${s.non2xx || s.errors ? `  non2xx ${s.non2xx} errors ${s.errors}` : ''}${mailNote}`,
        );
      }
    }

    const med = (name: string, field: keyof Sample) => median((samples.get(name) ?? []).map((s) => s[field]));
    const mailStats = (name: string) => {
      const sorted = [...(mailLatencies.get(name) ?? [])].sort((a, b) => a - b);
      const c = mailCounts.get(name)!;
      return {
        p50: round(quantile(sorted, 0.5), 0),
        p99: round(quantile(sorted, 0.99), 0),
        arrived: c.arrived,
        sent: c.sent,
      };
    };
    const bare = med('bare', 'rps');
    const ours = med('ours_pg', 'rps');
    const perRound = (samples.get('ours_pg') ?? []).map((s, i) => s.rps / samples.get('bare')![i]!.rps);
    const pgMail = mailStats('ours_pg');

    // The same server at a rate it can sustain: what a sign-up and its mail take when the machine
    // is not saturated (the rounds above run as fast as answered, so requests and mails queue).
    let sustainedResult: Record<string, number | null> = {};
    const pgIndex = servers.findIndex((s) => s.name === 'ours_pg');
    if (sustained > 0 && pgIndex >= 0) {
      const rate = Math.max(1, Math.round(ours * sustained));
      await sleep(300);
      const sentAt = servers[pgIndex]!.mail ? new Map<string, number>() : undefined;
      const l = await load(targets[pgIndex]!, connections, seconds, sentAt, rate);
      const lat: number[] = [];
      const counts = { sent: 0, arrived: 0 };
      if (sentAt) await collectMails(sentAt, lat, counts);
      const sorted = lat.sort((a, b) => a - b);
      sustainedResult = {
        sustained_rate: rate,
        sustained_rps: round(l.rps, 0),
        sustained_p50_ms: l.p50,
        sustained_p99_ms: l.p99,
        sustained_mail_p50_ms: sentAt ? round(quantile(sorted, 0.5), 0) : null,
        sustained_mail_p99_ms: sentAt ? round(quantile(sorted, 0.99), 0) : null,
        sustained_mails_arrived: counts.arrived,
        sustained_mails_expected: counts.sent,
      };
      log(
        `sustained ours_pg at ${rate}/s: ${l.rps.toFixed(0)} req/s  p50 ${l.p50} ms  p99 ${l.p99} ms` +
          (sentAt
            ? `  mail p50 ${sustainedResult.sustained_mail_p50_ms} ms p99 ${sustainedResult.sustained_mail_p99_ms} ms (${counts.arrived}/${counts.sent})`
            : ''),
      );
    }
    const result: BenchResult = {
      bench: 'capture',
      value: round(ours, 0),
      unit: 'submissions/s',
      baseline: round(bare, 0),
      ratio: round(ours / bare, 3),
      ratio_per_round_median: round(median(perRound), 3),
      route: 'POST /f/<form>/submit (JSON, whole sign-up) vs POST /submit (bare Fastify, one INSERT)',
      p50_ms: med('ours_pg', 'p50'),
      p99_ms: med('ours_pg', 'p99'),
      baseline_p50_ms: med('bare', 'p50'),
      baseline_p99_ms: med('bare', 'p99'),
      cpu_us_per_submission: round(med('ours_pg', 'cpuUs'), 0),
      db_cpu_us_per_submission: round(med('ours_pg', 'dbCpuUs'), 0),
      baseline_cpu_us: round(med('bare', 'cpuUs'), 0),
      baseline_db_cpu_us: round(med('bare', 'dbCpuUs'), 0),
      cpu_ratio: round(med('bare', 'cpuUs') / med('ours_pg', 'cpuUs'), 3),
      non2xx: (samples.get('ours_pg') ?? []).reduce((a, s) => a + s.non2xx + s.errors, 0),
      mail_p50_ms: pgMail.p50,
      mail_p99_ms: pgMail.p99,
      mails_arrived: pgMail.arrived,
      mails_expected: pgMail.sent,
      ...sustainedResult,
    };
    if (variantDb) {
      const variant = med('variant', 'rps');
      const m = mailStats('variant');
      const perRoundVariant = (samples.get('variant') ?? []).map(
        (s, i) => s.rps / samples.get('bare')![i]!.rps,
      );
      Object.assign(result, {
        variant_src: compare,
        variant_rps: round(variant, 0),
        variant_ratio: round(variant / bare, 3),
        variant_ratio_per_round_median: round(median(perRoundVariant), 3),
        ours_vs_variant: round(ours / variant, 2),
        variant_cpu_us_per_submission: round(med('variant', 'cpuUs'), 0),
        ours_vs_variant_cpu: round(med('variant', 'cpuUs') / med('ours_pg', 'cpuUs'), 2),
        variant_p50_ms: med('variant', 'p50'),
        variant_p99_ms: med('variant', 'p99'),
        variant_mail_p50_ms: m.p50,
        variant_mail_p99_ms: m.p99,
        variant_mails_arrived: m.arrived,
        variant_mails_expected: m.sent,
      });
    }
    if (!opts['no-pglite']) {
      const pglite = med('ours_pglite', 'rps');
      const m = mailStats('ours_pglite');
      Object.assign(result, {
        pglite_rps: round(pglite, 0),
        pglite_ratio: round(pglite / bare, 3),
        pglite_p50_ms: med('ours_pglite', 'p50'),
        pglite_p99_ms: med('ours_pglite', 'p99'),
        pglite_mail_p50_ms: m.p50,
        pglite_mail_p99_ms: m.p99,
        pglite_mails_arrived: m.arrived,
        pglite_mails_expected: m.sent,
      });
    }
    Object.assign(result, {
      rounds,
      duration_s: seconds,
      connections,
      pool: Number(opts.pool),
      node: process.version,
      date: new Date().toISOString(),
    });
    return result;
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    await Promise.all([...poolsToClose].map((p) => p.end().catch(() => {})));
    for (const d of dirs) d.remove();
    await sink.stop();
    await baseDb.drop();
    await oursDb.drop();
    await variantDb?.drop();
  }
}
