import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installQueryCounter } from './query-counter.js';

/*
 * `--import` preload for bench child processes (journeys --diagnose): counts every SQL statement of
 * the process (query-counter.ts) and writes the running totals to
 * `$BENCH_QUERY_COUNTS_DIR/<pid>.json` every 250 ms, so the parent can diff them per phase.
 */

const dir = process.env.BENCH_QUERY_COUNTS_DIR;
if (dir) {
  const counter = installQueryCounter();
  const file = join(dir, `${process.pid}.json`);
  const write = () => {
    try {
      writeFileSync(file, JSON.stringify(counter.counts()));
    } catch {
      // The directory is gone: the bench is over.
    }
  };
  setInterval(write, 250).unref();
}
