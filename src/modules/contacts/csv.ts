/*
 * CSV helpers: writing cells that spreadsheets cannot execute, and guessing how an uploaded file
 * is written (encoding, delimiter). Reading records is csv-reader.ts's job.
 */

const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV cell. A value a spreadsheet would run as a formula (starting with =, +, -, @, tab or
 * CR; OWASP "CSV injection") gets a leading apostrophe; quotes, delimiters and line breaks are quoted.
 */
export function csvCell(value: unknown, delimiter = ','): string {
  if (value === null || value === undefined) return '';
  let s = Array.isArray(value)
    ? value.join(';')
    : value instanceof Date
      ? value.toISOString()
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value);
  if (FORMULA_START.test(s)) s = `'${s}`;
  if (s.includes('"') || s.includes(delimiter) || s.includes('\n') || s.includes('\r'))
    s = `"${s.replaceAll('"', '""')}"`;
  return s;
}

export function csvLine(values: unknown[], delimiter = ','): string {
  return `${values.map((v) => csvCell(v, delimiter)).join(delimiter)}\r\n`;
}

/** UTF-8 if the bytes are valid UTF-8, else windows-1252 (what Excel writes in Germany). */
export function guessEncoding(sample: Uint8Array): 'utf-8' | 'windows-1252' {
  // A sample cut in the middle of a multi-byte character is still UTF-8: ignore the last 3 bytes' errors.
  const body = sample.length > 4 ? sample.subarray(0, sample.length - 3) : sample;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(body);
    return 'utf-8';
  } catch {
    return 'windows-1252';
  }
}

/** The delimiter that splits the first lines most consistently: , ; tab or |. */
export function guessDelimiter(text: string): string {
  const lines = text
    .split(/\r?\n/)
    .slice(0, 10)
    .filter((l) => l.length > 0);
  let best = ',';
  let bestScore = -1;
  for (const d of [',', ';', '\t', '|']) {
    const counts = lines.map((l) => l.split(d).length - 1);
    const first = counts[0] ?? 0;
    if (first === 0) continue;
    const consistent = counts.filter((c) => c === first).length;
    const score = consistent * 100 + first;
    if (score > bestScore) {
      bestScore = score;
      best = d;
    }
  }
  return best;
}
