import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs as nodeParseArgs } from 'node:util';

/** What every bench returns; run.ts prints it as the last line of stdout. */
export interface BenchResult {
  bench: string;
  value: number;
  unit: string;
  baseline: number;
  /** Ours divided by the baseline of the same run, oriented so that higher is better. */
  ratio: number;
  [extra: string]: unknown;
}

export interface BenchModule {
  description: string;
  /** Options and defaults, printed by `npm run bench -- <name> --help`. */
  usage?: string;
  run(args: string[]): Promise<BenchResult>;
}

const cleanups = new Set<() => Promise<void> | void>();

/**
 * Registers something to undo if the bench is interrupted (SIGINT, SIGTERM, SIGHUP: run.ts calls
 * runCleanups); returns the function that unregisters it once it was undone normally.
 */
export function onInterrupt(fn: () => Promise<void> | void): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** Runs every registered clean-up once, at most `timeoutMs` in all. */
export async function runCleanups(timeoutMs = 15_000): Promise<void> {
  const all = [...cleanups];
  cleanups.clear();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(all.map(async (fn) => fn())),
    new Promise((r) => {
      timer = setTimeout(r, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
}

/** Progress goes to stderr so that stdout carries only the result line. */
export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

export type OptionSpec = Record<string, { type: 'string' | 'boolean'; default?: string | boolean }>;

/** `--name value` options; unknown ones are an error (a typo must not silently change a run). */
export function parseOptions<T extends OptionSpec>(args: string[], spec: T) {
  return nodeParseArgs({ args, options: spec, strict: true, allowPositionals: false }).values as unknown as {
    [K in keyof T]: T[K]['type'] extends 'boolean' ? boolean : string;
  };
}

export function int(value: string, name: string, min = 1): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min)
    throw new Error(`--${name} must be an integer >= ${min}, got ${value}`);
  return n;
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Nearest-rank quantile of an ascending array. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Wall-clock milliseconds, comparable across processes on one host (performance.timeOrigin can be off by the clock drift since a process started). */
export function wallMs(): number {
  return Date.now();
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function tempDir(label: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `leadwerk-bench-${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Environment for loadConfig() in a bench child: production defaults, quiet logs, no global env leaking in. */
export function benchEnv(options: {
  dataDir: string;
  databaseUrl?: string | undefined;
  logLevel?: string;
  extra?: Record<string, string>;
}): Record<string, string> {
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: options.dataDir,
    SECRET_KEY: 'bench-secret-key-that-is-long-enough-0123456789',
    LOG_LEVEL: options.logLevel ?? 'warn',
    ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
    ...options.extra,
  };
}
