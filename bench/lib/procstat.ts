import { readFileSync } from 'node:fs';

/*
 * CPU accounting for --diagnose: CPU seconds of given processes (user+system, from /proc) and of
 * the whole machine, so that a round can say where its CPU went and how much other load there was.
 */

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** user+system CPU seconds of a process, 0 if it is gone or /proc is unavailable. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Busy CPU seconds of the whole machine (all cores, excluding idle and iowait). */
export function machineBusySeconds(): number {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const [, ...values] = line.trim().split(/\s+/);
    const n = values.map(Number);
    const total = n.reduce((a, b) => a + b, 0);
    const idle = (n[3] ?? 0) + (n[4] ?? 0);
    return (total - idle) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

function statusMb(pid: number, field: string): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1];
    return kb ? Number(kb) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Resident set size of a process in MB (VmRSS), NaN if unavailable. */
export function rssMb(pid: number): number {
  return statusMb(pid, 'VmRSS');
}

/** Peak resident set size of a process in MB (VmHWM), NaN if unavailable. */
export function peakRssMb(pid: number): number {
  return statusMb(pid, 'VmHWM');
}
