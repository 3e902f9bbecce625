import { Type } from '@sinclair/typebox';

/** The job both the producers and the workers of bench/jobs.ts know; `t` is the enqueue time (wallMs). */
export const BENCH_JOB = 'bench.noop';
export const BenchPayload = Type.Object({ t: Type.Number(), i: Type.Integer() });

/** The baseline's table: the jobs table's columns, defaults and indexes, without the queue on top. */
export const RAW_TABLE_DDL = 'CREATE TABLE raw_jobs (LIKE jobs INCLUDING ALL) WITH (fillfactor = 70)';

export interface RunTimes {
  /** wallMs just before the first statement, and after the last one returned. */
  firstAt: number;
  lastAt: number;
  count: number;
  /** --diagnose: statements sent, by kind. */
  queries?: Record<string, { calls: number; rows: number }>;
}
