import pg from 'pg';
import { failChild, serveParent } from './child.js';
import { wallMs } from './common.js';
import type { RunTimes } from './jobs-shared.js';

/*
 * The baseline process of bench/jobs.ts, raw node-postgres: per job one single-row INSERT
 * transaction (the same columns the queue writes, RETURNING id) and one single-row DELETE
 * transaction by id, into a copy of the jobs table. That is the least durable work any
 * PostgreSQL queue does per job (the job must be committed when enqueued and removed when done).
 * `concurrency` loops, one connection each.
 */

const [databaseUrl, concurrencyArg] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);

const INSERT = `INSERT INTO raw_jobs (workspace_id, name, lane, priority, payload, run_at, max_attempts,
  idempotency_key, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`;
const DELETE = 'DELETE FROM raw_jobs WHERE id = $1';

async function main(): Promise<void> {
  if (!databaseUrl || !(concurrency > 0)) throw new Error('usage: jobs-raw <databaseUrl> <concurrency>');
  const clients = Array.from({ length: concurrency }, () => new pg.Client({ connectionString: databaseUrl }));
  await Promise.all(clients.map((c) => c.connect()));
  await Promise.all(clients.map((c) => c.query('SELECT 1')));

  async function produce(arg: { count: number; offset: number }): Promise<RunTimes> {
    let next = 0;
    const loop = async (client: pg.Client) => {
      while (next < arg.count) {
        const i = arg.offset + next++;
        const now = new Date();
        const payload = JSON.stringify({ t: wallMs(), i });
        const { rows } = await client.query<{ id: string }>(INSERT, [
          null,
          'bench.noop',
          'default',
          0,
          payload,
          now,
          10,
          null,
          now,
          now,
        ]);
        await client.query(DELETE, [rows[0]!.id]);
      }
    };
    const firstAt = wallMs();
    await Promise.all(clients.map(loop));
    return { firstAt, lastAt: wallMs(), count: arg.count };
  }

  serveParent({ pid: process.pid }, { run: produce }, async () => {
    await Promise.all(clients.map((c) => c.end()));
  });
}

main().catch(failChild);
