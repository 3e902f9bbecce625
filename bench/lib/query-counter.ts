import pg from 'pg';

/*
 * Round-trip counting for --diagnose (pg_stat_statements is not available): wraps
 * pg.Client.prototype.query in this process and counts statements, and the rows they returned or
 * changed, by the start of their SQL text.
 */

export type QueryCounts = Record<string, { calls: number; rows: number }>;

function keyOf(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (/^update jobs set state = 'running'/i.test(flat)) return 'claim (UPDATE … SKIP LOCKED)';
  if (/^update jobs set state = case/i.test(flat)) return 'reclaimExpired';
  return flat.slice(0, 48);
}

export function installQueryCounter(): { counts(): QueryCounts; reset(): void } {
  let counts: QueryCounts = {};
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    const first = args[0];
    const text = typeof first === 'string' ? first : (first as { text?: string } | undefined)?.text;
    let entry: { calls: number; rows: number } | undefined;
    if (text !== undefined) {
      const key = keyOf(text);
      entry = counts[key] ?? { calls: 0, rows: 0 };
      counts[key] = entry;
      entry.calls++;
    }
    const result = original.apply(this, args);
    if (entry && result instanceof Promise) {
      result.then(
        (r: { rowCount?: number | null }) => {
          entry.rows += r?.rowCount ?? 0;
        },
        () => {},
      );
    }
    return result;
  };
  return {
    counts: () => counts,
    reset: () => {
      counts = {};
    },
  };
}
