import { failChild, serveParent } from './child.js';
import { wallMs } from './common.js';
import { BENCH_JOB, BenchPayload, type RunTimes } from './jobs-shared.js';
import { installQueryCounter } from './query-counter.js';
import { loadSrc } from './src-loader.js';

/*
 * A producer process for bench/jobs.ts: enqueues jobs with JobQueue from `concurrency` concurrent
 * loops (one pooled connection each).
 *   tx       one transaction per job: BEGIN; INSERT; pg_notify; COMMIT (enqueue in the caller's
 *            transaction, as the application does)
 *   direct   queue.enqueue(db, …) outside a transaction (INSERT and pg_notify each autocommit)
 *   batch:K  one transaction per K jobs with enqueueMany
 */

const [srcDir, databaseUrl, concurrencyArg] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);

async function main(): Promise<void> {
  const counter = process.env.BENCH_DIAGNOSE === '1' ? installQueryCounter() : undefined;
  if (!srcDir || !databaseUrl || !(concurrency > 0)) {
    throw new Error('usage: jobs-producer <srcDir> <databaseUrl> <concurrency>');
  }
  const src = await loadSrc(srcDir);
  const job = src.defineJob({ name: BENCH_JOB, schema: BenchPayload, async handler() {} });
  const handle = await src.openDatabase({ databaseUrl, dataDir: '/nonexistent', poolSize: concurrency });
  const db = handle.db;
  const queue = new src.JobQueue(src.systemClock);

  async function produce(arg: { count: number; offset: number; mode: string }): Promise<RunTimes> {
    const batch = arg.mode.startsWith('batch:') ? Number(arg.mode.slice(6)) : 1;
    if (!(batch >= 1)) throw new Error(`bad mode ${arg.mode}`);
    let next = 0;
    const loop = async () => {
      while (next < arg.count) {
        const start = next;
        next = Math.min(arg.count, next + batch);
        if (arg.mode === 'direct') {
          await queue.enqueue(db, job, { t: wallMs(), i: arg.offset + start });
        } else if (arg.mode === 'tx') {
          const payload = { t: wallMs(), i: arg.offset + start };
          await db.transaction().execute((trx) => queue.enqueue(trx, job, payload));
        } else {
          const t = wallMs();
          const payloads = Array.from({ length: next - start }, (_, k) => ({ t, i: arg.offset + start + k }));
          await db.transaction().execute((trx) => queue.enqueueMany(trx, job, payloads));
        }
      }
    };
    counter?.reset();
    const firstAt = wallMs();
    await Promise.all(Array.from({ length: concurrency }, loop));
    return { firstAt, lastAt: wallMs(), count: arg.count, queries: counter?.counts() ?? {} };
  }

  // One transaction on every pooled connection so that connecting is not part of the first run.
  await Promise.all(
    Array.from({ length: concurrency }, () =>
      db.transaction().execute(async (trx) => {
        await trx.selectFrom('jobs').select('id').limit(1).execute();
      }),
    ),
  );
  serveParent({ pid: process.pid }, { run: produce }, () => handle.close());
}

main().catch(failChild);
