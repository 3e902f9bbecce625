import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { Child } from './lib/child.js';
import {
  type BenchResult,
  benchEnv,
  int,
  log,
  median,
  parseOptions,
  round,
  sleep,
  tempDir,
  wallMs,
} from './lib/common.js';
import { backendsCpu, cpuSince, createBenchDatabase, serverSettings } from './lib/db.js';
import { cpuSeconds } from './lib/procstat.js';
import type { QueryCounts } from './lib/query-counter.js';

/*
 * Journeys at scale, on PostgreSQL with worker processes as production runs them (`leadwerk
 * worker`, bench/send.ts's worker role): N contacts with consent enter a journey at once through
 * its segment-entry trigger (activation → journeys.enroll-segment pages the segment, 1,000 per job)
 * and pass a send-mail step (marketing template, consent checked at send time, SMTP to the local
 * sink of bench/send.ts) and a branch. Timed from activation until every contact has completed the
 * journey and every message has its final status.
 *
 * Baseline, in the same run, same database, same workers and sink: the mail module's own bulk send
 * (`startBulkSend`) of the same template to the same contacts, timed until every message is final.
 * value = contacts/s through the journey (largest size), ratio = ours / baseline (higher is better;
 * 0.77 means the journey adds 30 %). `--sizes` runs several sizes to show how the time grows.
 */

export const description =
  'Contacts/s through a journey (segment entry → mail → branch) vs the bulk send of the same mails';

export const usage = `Options:
  --sizes 500,2000   contact counts, in order; the last is the headline (default 500,2000)
  --workers N        worker processes (default 2)
  --no-mail          the journey without its send-mail step (entry and branch only: the runner's own cost)
  --no-baseline      the journey alone, without the bulk sends around it (ratio null)
  --random-ids       seed the contacts with gen_random_uuid() ids (until session 7) instead of
                     time-ordered ones as the app's newId() gives them
  --diagnose         per phase and contact: SQL statements of the workers by kind (a preload counts
                     them), rows written per table (pg_stat_user_tables), commits, CPU ms of the
                     workers and of their PostgreSQL backends (waits 11 s after each phase for the
                     statistics to be flushed)
Needs PostgreSQL on 127.0.0.1 (DATABASE_URL). The issue's sizes (10,000 / 100,000 / 1,000,000) are
passed with --sizes; on an idle two-core machine 100,000 takes about 4 minutes (two bulk sends, the
journey, seeding) and 1,000,000 about 30 minutes (3,000,000 messages; the bench drops its database
at the end). On a loaded machine several times as long.`;

/** The jobs that do a phase's work: while any is left, the bench polls only the queue. */
const MAIL_JOBS = ['mail.enqueue-send', 'mail.send-batch', 'mail.send-message'];
const ENTRY_JOBS = ['journeys.enroll-segment', 'journeys.run-steps', 'journeys.run-step'];

const PRELOAD = fileURLToPath(new URL('./lib/query-count-preload.ts', import.meta.url));

interface Snapshot {
  statements: QueryCounts;
  tables: Record<string, { ins: number; upd: number; del: number }>;
  commits: number;
  workerCpu: number;
  backendCpu: Map<number, number>;
}

interface PhaseCost {
  statements_per_100: number;
  commits_per_100: number;
  rows_written_per_contact: number;
  worker_cpu_ms_per_contact: number;
  backend_cpu_ms_per_contact: number;
  rows_by_table: Record<string, number>;
  statements_per_100_by_kind: Record<string, number>;
}

const TEMPLATE = `<mj-section><mj-column><mj-text>Hallo {{ contact.first_name | default: "liebe Leserin, lieber Leser" }},
  hier ist Ihr Whitepaper zur Instandhaltung.</mj-text></mj-column></mj-section>`;

export async function run(args: string[]): Promise<BenchResult> {
  const opts = parseOptions(args, {
    sizes: { type: 'string', default: '500,2000' },
    workers: { type: 'string', default: '2' },
    'no-mail': { type: 'boolean', default: false },
    // The journey alone, without the two bulk sends around it (ratio null): for how the journey's
    // own time grows with N, in a fraction of the run time.
    'no-baseline': { type: 'boolean', default: false },
    diagnose: { type: 'boolean', default: false },
    // Seed with random ids (gen_random_uuid(), as until session 7) instead of time-ordered ones.
    'random-ids': { type: 'boolean', default: false },
  });
  const withBaseline = !opts['no-baseline'];
  const diagnose = opts.diagnose;
  const withMail = !opts['no-mail'];
  const sizes = opts.sizes.split(',').map((s) => int(s, 'sizes'));
  const workerCount = int(opts.workers, 'workers');
  const dataDir = tempDir('journeys');
  const countsDir = tempDir('journeys-counts');
  const database = await createBenchDatabase();
  const children: Child[] = [];
  const { openDeps } = await import('../src/server.js');
  const { loadConfig } = await import('../src/shared/config.js');
  const { createLogger } = await import('../src/shared/log.js');
  const { systemActor } = await import('../src/shared/actor.js');
  const { newId, uuidV7Sql } = await import('../src/shared/ids.js');
  const { createWorkspaceIn } = await import('../src/modules/workspaces/index.js');
  const { startBulkSend } = await import('../src/modules/mail/index.js');
  const { activateJourney, createJourney } = await import('../src/modules/journeys/journeys.service.js');
  const config = loadConfig(benchEnv({ dataDir: dataDir.dir, databaseUrl: database.url }));
  const deps = await openDeps({ config, log: createLogger('warn') });
  const actor = systemActor('bench');
  try {
    const sink = new Child<{ port: number }>('sink', '../send.ts', [], {
      env: { ...process.env, BENCH_SEND_ROLE: 'sink' },
    });
    children.push(sink);
    const { port } = await sink.ready;
    const smtpUrl = `smtp://127.0.0.1:${port}?tls=off`;
    // One after the other: two processes starting at once race to create the bootstrap admin.
    for (let i = 0; i < workerCount; i++) {
      const w = new Child(`worker ${i + 1}`, '../send.ts', [database.url, dataDir.dir, smtpUrl], {
        env: {
          ...process.env,
          BENCH_SEND_ROLE: 'worker',
          DATABASE_POOL_SIZE: process.env.DATABASE_POOL_SIZE ?? '10',
          ...(diagnose ? { BENCH_QUERY_COUNTS_DIR: countsDir.dir } : {}),
        },
        // BENCH_WORKER_EXEC_ARGV: Node flags for the workers, e.g. "--cpu-prof --cpu-prof-dir=/tmp/p".
        execArgv: [
          ...(diagnose ? ['--import', PRELOAD] : []),
          ...(process.env.BENCH_WORKER_EXEC_ARGV?.split(' ').filter(Boolean) ?? []),
        ],
      });
      children.push(w);
      await w.ready;
    }

    /** Time spent in the polls' queries (logged per phase: what the measuring itself cost). */
    let pollQueryMs = 0;

    /** Due or running jobs of these kinds (a cheap index scan of the small jobs table). */
    const jobsOf = (names: string[]) => async (): Promise<number> => {
      const r = await sql<{ n: string }>`SELECT count(*) AS n FROM jobs
          WHERE name = ANY(${names}::text[]) AND state <> 'dead'`.execute(deps.db);
      return Number(r.rows[0]!.n);
    };

    /**
     * Waits until `count` reaches `total`. While `pending` (jobs still to run for the phase) is
     * above zero it polls only that, and counts once the queue has run dry: a count over 100,000
     * rows that are being written — a sequential scan of the enrollments, the messages' heap — cost
     * 80 ms and more per poll, a good part of a core at 5 polls/s, which slowed what it measured
     * (the journey's waits far more than the bulk send's). Every 200 ms, slower for large N (2 s at
     * 1,000,000). Counts first, then sleeps: a wait that follows another (the journey's mails after
     * its entry) ends at once when it is already done.
     */
    async function waitFor(
      what: string,
      total: number,
      count: () => Promise<number>,
      pending?: () => Promise<number>,
    ): Promise<void> {
      const pollMs = Math.min(2000, Math.max(200, Math.round(total / 500)));
      let progress = Number.NaN;
      let last = wallMs();
      for (;;) {
        const t0 = wallMs();
        const left = pending ? await pending() : 0;
        const now = left > 0 ? -left : await count();
        pollQueryMs += wallMs() - t0;
        if (now !== progress) last = wallMs();
        progress = now;
        if (now >= total) return;
        if (wallMs() - last > 120_000)
          throw new Error(`${what}: stalled at ${now >= 0 ? `${now} of ${total}` : `${left} jobs left`}`);
        await sleep(pollMs);
      }
    }

    /** Totals so far (diagnose): worker statements, rows written per table, commits, CPU seconds. */
    async function snapshot(): Promise<Snapshot> {
      const statements: QueryCounts = {};
      for (const f of readdirSync(countsDir.dir)) {
        const counts = JSON.parse(readFileSync(join(countsDir.dir, f), 'utf8')) as QueryCounts;
        for (const [k, v] of Object.entries(counts)) {
          const e = statements[k] ?? { calls: 0, rows: 0 };
          e.calls += v.calls;
          e.rows += v.rows;
          statements[k] = e;
        }
      }
      const tables = await sql<{ relname: string; ins: string; upd: string; del: string }>`
        SELECT relname, n_tup_ins AS ins, n_tup_upd AS upd, n_tup_del AS del FROM pg_stat_user_tables`.execute(
        deps.db,
      );
      const db = await sql<{ commits: string }>`
        SELECT xact_commit AS commits FROM pg_stat_database WHERE datname = current_database()`.execute(
        deps.db,
      );
      const workers = children.slice(1);
      return {
        statements,
        tables: Object.fromEntries(
          tables.rows.map((r) => [r.relname, { ins: Number(r.ins), upd: Number(r.upd), del: Number(r.del) }]),
        ),
        commits: Number(db.rows[0]!.commits),
        workerCpu: workers.reduce((a, w) => a + cpuSeconds(w.pid), 0),
        backendCpu: await snapshotBackends(),
      };
    }

    const snapshotBackends = () => backendsCpu(deps.db);

    /** What a phase cost per contact, from two snapshots (diagnose). */
    async function phase<T>(n: number, body: () => Promise<T>): Promise<{ result: T; cost?: PhaseCost }> {
      if (!diagnose) return { result: await body() };
      await sleep(11_000);
      const before = await snapshot();
      // Backends of the worker pools come and go (idle connections close): sample their CPU while
      // the phase runs and keep the last figure of each.
      const seen = new Map(before.backendCpu);
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          for (const [pid, s] of (await snapshotBackends()).entries()) if (s > 0) seen.set(pid, s);
          await sleep(300);
        }
      })();
      const result = await body().finally(() => {
        sampling = false;
      });
      await sampler;
      // Idle backends flush their table statistics within 10 s; the preload writes every 250 ms.
      await sleep(11_000);
      const after = await snapshot();
      for (const [pid, s] of after.backendCpu) if (s > 0) seen.set(pid, s);
      after.backendCpu = seen;
      const statements: Record<string, number> = {};
      let total = 0;
      for (const [k, v] of Object.entries(after.statements)) {
        const calls = v.calls - (before.statements[k]?.calls ?? 0);
        if (calls === 0) continue;
        total += calls;
        statements[k] = round((calls / n) * 100, 2);
      }
      const rows: Record<string, number> = {};
      let rowsTotal = 0;
      for (const [t, v] of Object.entries(after.tables)) {
        const b = before.tables[t] ?? { ins: 0, upd: 0, del: 0 };
        const written = v.ins - b.ins + (v.upd - b.upd) + (v.del - b.del);
        if (written === 0) continue;
        rowsTotal += written;
        rows[t] = round(written / n, 3);
      }
      const backendCpu = cpuSince(before.backendCpu, after.backendCpu);
      return {
        result,
        cost: {
          statements_per_100: round((total / n) * 100, 1),
          commits_per_100: round(((after.commits - before.commits) / n) * 100, 1),
          rows_written_per_contact: round(rowsTotal / n, 2),
          worker_cpu_ms_per_contact: round(((after.workerCpu - before.workerCpu) / n) * 1000, 3),
          backend_cpu_ms_per_contact: round((backendCpu / n) * 1000, 3),
          rows_by_table: rows,
          statements_per_100_by_kind: Object.fromEntries(
            Object.entries(statements).sort((a, b) => b[1] - a[1]),
          ),
        },
      };
    }

    const rows: Record<string, unknown>[] = [];
    const diagnostics: Record<string, unknown>[] = [];
    for (const n of sizes) {
      log(`size ${n}: seeding a workspace with ${n} consented contacts`);
      const ws = await createWorkspaceIn(deps.db, actor, { name: `Bench ${n}` });
      await sql`INSERT INTO contacts (id, workspace_id, email, email_normalized, first_name, country, locale)
        SELECT ${opts['random-ids'] ? sql`gen_random_uuid()` : uuidV7Sql(new Date(), sql`i`)}, ${ws.id}, 'leser' || i || '@kunde' || (i % 40) || '.example',
               'leser' || i || '@kunde' || (i % 40) || '.example', 'Anna', CASE WHEN i % 2 = 0 THEN 'DE' ELSE 'AT' END, 'de'
          FROM generate_series(1, ${n}) AS i`.execute(deps.db);
      await sql`INSERT INTO consents (workspace_id, contact_id, purpose, status, requested_at, confirmed_at)
        SELECT workspace_id, id, 'newsletter', 'confirmed', now(), now() FROM contacts WHERE workspace_id = ${ws.id}`.execute(
        deps.db,
      );
      await deps.db
        .insertInto('mail_settings')
        .values({
          workspace_id: ws.id,
          from_name: 'Nordlicht',
          from_email: 'news@nordlicht.example',
          imprint: 'Nordlicht GmbH\nHamburg',
          updated_at: new Date(),
        })
        .execute();
      const templateId = newId();
      await deps.db
        .insertInto('mail_templates')
        .values({
          id: templateId,
          workspace_id: ws.id,
          name: 'Whitepaper',
          kind: 'marketing',
          purpose: 'newsletter',
        })
        .execute();
      await deps.db
        .insertInto('mail_template_variants')
        .values({
          workspace_id: ws.id,
          template_id: templateId,
          locale: 'de',
          subject: 'Ihr Whitepaper',
          preheader: '',
          body_mjml: TEMPLATE,
        })
        .execute();
      const segmentId = newId();
      await deps.db
        .insertInto('segments')
        .values({
          id: segmentId,
          workspace_id: ws.id,
          name: 'Alle',
          description: null,
          definition: JSON.stringify({ kind: 'group', op: 'and', children: [] }),
          created_by: null,
        })
        .execute();
      // VACUUM, not only ANALYZE: the freshly seeded rows get their hint bits and visibility map
      // here, as a workspace's long-settled contacts have them. Before, the first round that read
      // them (the first bulk send) paid for that: ~20 % more CPU per contact than the second bulk
      // send, which flattered the journey's ratio against the median of the two.
      await sql`VACUUM ANALYZE`.execute(deps.db);

      async function baseline(): Promise<number> {
        pollQueryMs = 0;
        const started = wallMs();
        const send = await startBulkSend(deps.db, deps, actor, ws.id, { templateId });
        await waitFor(
          'bulk send',
          n,
          async () => {
            const r = await sql<{ n: string }>`SELECT count(*) AS n FROM messages WHERE send_id = ${send.id}
            AND status IN ('delivered', 'skipped', 'failed', 'bounced')`.execute(deps.db);
            return Number(r.rows[0]!.n);
          },
          jobsOf(MAIL_JOBS),
        );
        const seconds = (wallMs() - started) / 1000;
        // Messages stay (as they would in a workspace); each round counts only its own messages.
        log(
          `size ${n}: bulk send ${round(n / seconds)} contacts/s (${round(seconds, 1)} s; polls ${round(pollQueryMs)} ms)`,
        );
        return seconds;
      }

      async function ours(): Promise<{ seconds: number; enteredSeconds: number }> {
        const j = await createJourney(deps, actor, ws.id, {
          name: `Bench ${n}`,
          definition: {
            trigger: { type: 'segment-entered', segmentId },
            timeZone: 'Europe/Berlin',
            // --no-mail: the branch alone (the runner's own cost, no mail step).
            startStepId: withMail ? 'mail' : 'branch',
            steps: [
              ...(withMail
                ? [
                    {
                      id: 'mail',
                      type: 'send-mail' as const,
                      templateId,
                      kind: 'marketing' as const,
                      purpose: 'newsletter',
                      next: 'branch',
                    },
                  ]
                : []),
              {
                id: 'branch',
                type: 'branch',
                condition: { type: 'field', field: 'country', op: 'eq', value: 'DE' },
                yes: null,
                no: null,
              },
            ],
            goals: [],
            exitRules: [],
            reentry: { policy: 'never' },
          },
        });
        pollQueryMs = 0;
        const started = wallMs();
        const startedAt = new Date();
        await activateJourney(deps, actor, ws.id, j.id);
        let enteredSeconds = 0;
        await waitFor(
          'entry',
          n,
          async () => {
            const r = await sql<{
              n: string;
            }>`SELECT count(*) AS n FROM journey_enrollments WHERE journey_id = ${j.id}`.execute(deps.db);
            const x = Number(r.rows[0]!.n);
            if (x >= n && enteredSeconds === 0) enteredSeconds = (wallMs() - started) / 1000;
            return x;
          },
          jobsOf(ENTRY_JOBS),
        );
        // The mails last (they end after the enrollments complete, which the entry transaction does
        // for this journey), then a check that every contact has completed. The count of mails is
        // bounded by the phase's start, so it reads this phase's messages only, as the bulk send's
        // count reads its send's only (a count over all of the workspace's messages, the earlier
        // bulk sends' too, cost a good part of a core at 100,000 and slowed what it measured).
        await waitFor(
          'journey mails',
          withMail ? n : 0,
          async () => {
            const r = await sql<{
              n: string;
            }>`SELECT count(*) AS n FROM messages WHERE workspace_id = ${ws.id}
            AND status IN ('delivered', 'skipped', 'failed', 'bounced') AND created_at >= ${startedAt}
            AND send_id IS NULL`.execute(deps.db);
            return Number(r.rows[0]!.n);
          },
          jobsOf([...ENTRY_JOBS, ...MAIL_JOBS]),
        );
        await waitFor('journey', n, async () => {
          const r = await sql<{
            n: string;
          }>`SELECT count(*) AS n FROM journey_enrollments WHERE journey_id = ${j.id} AND status = 'completed'`.execute(
            deps.db,
          );
          return Number(r.rows[0]!.n);
        });
        const seconds = (wallMs() - started) / 1000;
        log(
          `size ${n}: journey ${round(n / seconds)} contacts/s (${round(seconds, 1)} s; all entered after ${round(enteredSeconds, 1)} s; polls ${round(pollQueryMs)} ms)`,
        );
        return { seconds, enteredSeconds };
      }

      const p1 = withBaseline ? await phase(n, baseline) : null;
      const po = await phase(n, ours);
      const p2 = withBaseline ? await phase(n, baseline) : null;
      const o = po.result;
      const base = p1 && p2 ? median([p1.result, p2.result]) : null;
      if (diagnose) {
        const costs = { bulk_send: p1?.cost ?? null, journey: po.cost, bulk_send_again: p2?.cost ?? null };
        log(`size ${n}: cost per phase ${JSON.stringify(costs, null, 1)}`);
        diagnostics.push({ contacts: n, ...costs });
      }
      rows.push({
        contacts: n,
        journey_seconds: round(o.seconds, 2),
        entry_seconds: round(o.enteredSeconds, 2),
        bulk_send_seconds: base === null ? null : round(base, 2),
        journey_contacts_per_s: round(n / o.seconds),
        bulk_send_contacts_per_s: base === null ? null : round(n / base),
        ratio: base === null ? null : round(base / o.seconds, 3),
      });
    }
    const last = rows[rows.length - 1]!;
    return {
      bench: 'journeys',
      value: last.journey_contacts_per_s as number,
      unit: 'contacts/s',
      baseline: last.bulk_send_contacts_per_s as number,
      ratio: last.ratio as number,
      workers: workerCount,
      server: await serverSettings(deps.db),
      sizes: rows,
      ...(diagnose ? { diagnostics } : {}),
    };
  } finally {
    await Promise.all(children.map((c) => c.stop().catch(() => {})));
    await deps.handle.close().catch(() => {});
    await database.drop();
    dataDir.remove();
    countsDir.remove();
  }
}
