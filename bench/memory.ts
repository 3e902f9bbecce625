import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Child } from './lib/child.js';
import { type BenchResult, int, log, median, parseOptions, round, sleep, tempDir } from './lib/common.js';
import { peakRssMb, rssMb } from './lib/procstat.js';

/*
 * Resident memory of the full server (startLeadwerk with API and worker, embedded database in a
 * temp DATA_DIR, production settings) right after start and after `--idle` seconds without
 * traffic, against a bare Fastify process. Both run as children under the same loader (tsx);
 * RSS is read from /proc/<pid>/status. value = idle RSS of ours; ratio = bare / ours (higher is
 * better). `--dist` runs the built server (dist/src/server.js) instead of src/.
 *
 * The headline is the first start on a fresh DATA_DIR, which creates the embedded database
 * (initdb). The server is then stopped and started again on the same DATA_DIR, as after every
 * restart in production, and measured the same way (restart_* fields). `--compare <dir>` runs a
 * third server from another checkout's src/ alongside (variant_* fields).
 */

export const description =
  'RSS (MB) of the full server (API + worker, embedded DB) idle vs a bare Fastify process';

interface Sample {
  startMb: number;
  idleMb: number;
  peakMb: number;
  /** process.memoryUsage() of the child after the idle period. */
  usage: NodeJS.MemoryUsage;
  startSeconds: number;
}

async function measure(child: Child, idleSeconds: number, t0: number): Promise<Sample> {
  await child.ready;
  const startSeconds = (performance.now() - t0) / 1000;
  const startMb = rssMb(child.pid);
  await sleep(idleSeconds * 1000);
  return {
    startMb,
    idleMb: rssMb(child.pid),
    peakMb: peakRssMb(child.pid),
    usage: await child.call<NodeJS.MemoryUsage>('memory'),
    startSeconds,
  };
}

export async function run(args: string[]): Promise<BenchResult> {
  const opts = parseOptions(args, {
    idle: { type: 'string', default: '30' },
    rounds: { type: 'string', default: '1' },
    dist: { type: 'boolean', default: false },
    compare: { type: 'string' },
  });
  const idleSeconds = int(opts.idle, 'idle', 0);
  const rounds = int(opts.rounds, 'rounds');
  const serverModule = resolve(import.meta.dirname, opts.dist ? '../dist/src/server.js' : '../src/server.ts');
  if (!existsSync(serverModule)) throw new Error(`${serverModule} not found (npm run build:server?)`);
  const variantModule = opts.compare ? resolve(opts.compare, 'server.ts') : undefined;
  if (variantModule && !existsSync(variantModule)) throw new Error(`--compare: ${variantModule} not found`);

  const bare: Sample[] = [];
  const first: Sample[] = [];
  const restart: Sample[] = [];
  const variantFirst: Sample[] = [];
  const variantRestart: Sample[] = [];
  for (let r = 0; r < rounds; r++) {
    const dir = tempDir('memory');
    const variantDir = tempDir('memory-variant');
    const children: Child[] = [];
    try {
      // Bare and ours side by side: memory does not suffer from sharing the CPU as throughput does.
      const t0 = performance.now();
      const b = new Child('bare fastify', 'memory-child.ts', ['bare']);
      const o = new Child('ours', 'memory-child.ts', ['ours', serverModule, dir.dir]);
      const v = variantModule
        ? new Child('variant', 'memory-child.ts', ['ours', variantModule, variantDir.dir])
        : undefined;
      children.push(b, o, ...(v ? [v] : []));
      const [bs, os, vs] = await Promise.all([
        measure(b, idleSeconds, t0),
        measure(o, idleSeconds, t0),
        v ? measure(v, idleSeconds, t0) : undefined,
      ]);
      bare.push(bs);
      first.push(os);
      if (vs) {
        variantFirst.push(vs);
        log(
          `round ${r + 1}/${rounds} first start: variant ${vs.startMb.toFixed(0)} → ${vs.idleMb.toFixed(0)} MB`,
        );
      }
      log(
        `round ${r + 1}/${rounds} first start: bare ${bs.startMb.toFixed(0)} → ${bs.idleMb.toFixed(0)} MB, ` +
          `ours ${os.startMb.toFixed(0)} → ${os.idleMb.toFixed(0)} MB (peak ${os.peakMb.toFixed(0)} MB, ` +
          `ready after ${os.startSeconds.toFixed(1)} s)`,
      );
      await Promise.all([o.stop(), v?.stop()]);
      const t1 = performance.now();
      const o2 = new Child('ours (restart)', 'memory-child.ts', ['ours', serverModule, dir.dir]);
      const v2 = variantModule
        ? new Child('variant (restart)', 'memory-child.ts', ['ours', variantModule, variantDir.dir])
        : undefined;
      children.push(o2, ...(v2 ? [v2] : []));
      const [rs, vrs] = await Promise.all([
        measure(o2, idleSeconds, t1),
        v2 ? measure(v2, idleSeconds, t1) : undefined,
      ]);
      restart.push(rs);
      if (vrs) {
        variantRestart.push(vrs);
        log(
          `round ${r + 1}/${rounds} restart: variant ${vrs.startMb.toFixed(0)} → ${vrs.idleMb.toFixed(0)} MB`,
        );
      }
      log(
        `round ${r + 1}/${rounds} restart: ours ${rs.startMb.toFixed(0)} → ${rs.idleMb.toFixed(0)} MB ` +
          `(peak ${rs.peakMb.toFixed(0)} MB, ready after ${rs.startSeconds.toFixed(1)} s)`,
      );
    } finally {
      await Promise.all(children.map((c) => c.stop()));
      dir.remove();
      variantDir.remove();
    }
  }

  const med = (xs: Sample[], f: (s: Sample) => number, digits = 1) => round(median(xs.map(f)), digits);
  const mb = (bytes: number) => bytes / 1048576;
  const value = med(first, (s) => s.idleMb);
  const baseline = med(bare, (s) => s.idleMb);
  const variant = variantModule
    ? {
        variant_src: opts.compare,
        variant_idle_mb: med(variantFirst, (s) => s.idleMb),
        variant_start_mb: med(variantFirst, (s) => s.startMb),
        variant_peak_mb: med(variantFirst, (s) => s.peakMb),
        variant_ready_s: med(variantFirst, (s) => s.startSeconds),
        variant_restart_idle_mb: med(variantRestart, (s) => s.idleMb),
        variant_restart_peak_mb: med(variantRestart, (s) => s.peakMb),
      }
    : {};
  return {
    bench: 'memory',
    value,
    unit: 'MB',
    baseline,
    ratio: round(baseline / value, 3),
    start_mb: med(first, (s) => s.startMb),
    peak_mb: med(first, (s) => s.peakMb),
    ready_s: med(first, (s) => s.startSeconds),
    heap_used_mb: med(first, (s) => mb(s.usage.heapUsed)),
    external_mb: med(first, (s) => mb(s.usage.external)),
    array_buffers_mb: med(first, (s) => mb(s.usage.arrayBuffers)),
    restart_idle_mb: med(restart, (s) => s.idleMb),
    restart_ratio: round(baseline / median(restart.map((s) => s.idleMb)), 3),
    restart_start_mb: med(restart, (s) => s.startMb),
    restart_peak_mb: med(restart, (s) => s.peakMb),
    restart_ready_s: med(restart, (s) => s.startSeconds),
    restart_heap_used_mb: med(restart, (s) => mb(s.usage.heapUsed)),
    restart_external_mb: med(restart, (s) => mb(s.usage.external)),
    baseline_start_mb: med(bare, (s) => s.startMb),
    baseline_heap_used_mb: med(bare, (s) => mb(s.usage.heapUsed)),
    ...variant,
    idle_s: idleSeconds,
    rounds,
    server: opts.dist ? 'dist/src/server.js' : 'src/server.ts (tsx)',
    node: process.version,
    date: new Date().toISOString(),
  };
}
