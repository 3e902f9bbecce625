import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BenchModule, runCleanups } from './lib/common.js';

/*
 * `npm run bench -- <name> [options]` runs bench/<name>.ts and prints its result as one JSON line,
 * the last line on stdout (progress goes to stderr). Without a name it lists the benches.
 */

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

function benchNames(): string[] {
  return readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.endsWith('.d.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

async function load(name: string): Promise<BenchModule> {
  return (await import(pathToFileURL(join(BENCH_DIR, `${name}.ts`)).href)) as BenchModule;
}

async function main(): Promise<number> {
  const [name, ...args] = process.argv.slice(2);
  const names = benchNames();
  if (!name || name === '--help' || name === '-h' || name === 'list') {
    console.log('Usage: npm run bench -- <name> [options]   (options: npm run bench -- <name> --help)\n');
    for (const n of names) console.log(`  ${n.padEnd(10)} ${(await load(n)).description}`);
    return 0;
  }
  if (!names.includes(name)) {
    console.error(`Unknown bench "${name}". Available: ${names.join(', ')}`);
    return 2;
  }
  const bench = await load(name);
  if (args.includes('--help') || args.includes('-h')) {
    console.log(`${name}: ${bench.description}`);
    if (bench.usage) console.log(`\n${bench.usage}`);
    return 0;
  }
  const result = await bench.run(args);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  return 0;
}

// Interrupted: stop the children and drop the databases this run created, then exit.
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`\n[bench] ${signal}: cleaning up`);
    void runCleanups().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

main().then(
  (code) => process.exit(code),
  (err) => {
    if (interrupted) return; // the clean-up exits
    console.error(err);
    process.exit(1);
  },
);
