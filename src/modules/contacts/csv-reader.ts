/*
 * Reads the records of an uploaded CSV file as it streams in, in file order, each with the line it
 * starts on.
 *
 * Written here instead of using csv-parse, which the import used before, for safety: a line with
 * a broken quote must cost that line and no other.
 * - csv-parse, skipping a record it cannot read, carries on in the state the error left it in. It
 *   can swallow the valid lines after the error, or the rest of the file, into one unreadable
 *   record, and its report names one line.
 * - A stray opening quote that a later quote happens to close is valid CSV. Every line in between
 *   becomes part of one cell, and those rows vanish without an error.
 * This reader reports the line with the broken quote and starts again on the next line, so every
 * line of a file ends up in a record or in the report. It is also faster than a general parser: the
 * import's staging reads 1,000,000 rows, and a row here is a few character scans.
 *
 * The format is RFC 4180 as spreadsheets write it: one-character delimiter; records end at CRLF, LF
 * or a lone CR; a cell in double quotes may hold delimiters, line breaks and doubled quotes. Two
 * tolerances: a quote inside an unquoted cell is an ordinary character (`5" Monitor`), and empty
 * lines and records of empty cells only (`,,,`, as spreadsheets export empty rows) are skipped; they
 * still count as lines.
 */

const QUOTE = 34;
const LF = 10;
const CR = 13;

/** A record (its cells) or a line that could not be read, with the line the record starts on. */
export type CsvItem = { line: number; cells: string[] } | { line: number; unreadable: string };

export interface CsvReaderOptions {
  /** One character. */
  delimiter: string;
  /** A record longer than this is unreadable: it bounds what the reader keeps in memory. */
  maxRecordChars: number;
  /** Skip this many records at the start (the header). */
  skipRecords?: number;
  /**
   * Whether a line inside a quoted cell, split at the delimiter, reads like a record of its own.
   * If one does, the cell is taken to come from a stray quote, not from a cell that really spans
   * lines: the quote's line is reported and reading goes on at the next line.
   */
  looksLikeRecord?: (cells: string[]) => boolean;
  /** How many cells a record should have: a record spanning lines with another count is read line by line, as above. */
  columns?: number;
}

type Parsed =
  | { kind: 'more' }
  | { kind: 'record'; cells: string[]; end: number; multiline: boolean }
  | { kind: 'bad'; reason: string };

const MORE: Parsed = { kind: 'more' };

export class CsvReader {
  private buf = '';
  /** The line number of `buf[0]`. */
  private line = 1;
  /** Dropping the rest of an unreadable line longer than the buffer may hold. */
  private dropping = false;
  private skip: number;
  private readonly delimiter: number;

  constructor(private readonly options: CsvReaderOptions) {
    if (options.delimiter.length !== 1 || '"\r\n'.includes(options.delimiter))
      throw new Error('the delimiter must be one character other than a quote or a line break');
    this.delimiter = options.delimiter.charCodeAt(0);
    this.skip = options.skipRecords ?? 0;
  }

  /** Adds text and returns the records it completes. */
  push(text: string): CsvItem[] {
    this.buf = this.buf.length ? this.buf + text : text;
    return this.drain(false);
  }

  /** Returns the records left at the end of the file. */
  end(): CsvItem[] {
    return this.drain(true);
  }

  private drain(final: boolean): CsvItem[] {
    const out: CsvItem[] = [];
    const buf = this.buf;
    let pos = 0;
    let line = this.line;
    if (this.dropping) {
      const next = nextLine(buf, 0);
      if (next < 0 && !final) {
        this.buf = '';
        return out;
      }
      this.dropping = false;
      pos = next < 0 ? buf.length : next;
      line++;
    }
    while (pos < buf.length) {
      const c = buf.charCodeAt(pos);
      if (c === LF || c === CR) {
        // An empty line (or the LF of a CRLF split between two pushes, which counts no line).
        if (c === CR && pos + 1 >= buf.length && !final) break;
        const crlf = c === CR && buf.charCodeAt(pos + 1) === LF;
        pos += crlf ? 2 : 1;
        line++;
        continue;
      }
      const parsed = this.parse(buf, pos, final);
      if (parsed.kind === 'more') break;
      if (parsed.kind === 'bad' || this.swallowed(parsed)) {
        // Report the record's first line; read on from the next one.
        const next = nextLine(buf, pos);
        const reason = parsed.kind === 'bad' ? parsed.reason : SWALLOWED;
        if (next < 0 && !final) {
          // The line is not complete yet: wait for it, unless it is already longer than a record may be.
          if (buf.length - pos < this.options.maxRecordChars) break;
          this.dropping = true;
        }
        if (this.skip > 0) this.skip--;
        else out.push({ line, unreadable: reason });
        if (this.dropping) {
          pos = buf.length;
          break;
        }
        pos = next < 0 ? buf.length : next;
        line++;
        continue;
      }
      if (this.skip > 0) this.skip--;
      else if (parsed.cells.some((cell) => cell !== '')) out.push({ line, cells: parsed.cells });
      line += parsed.multiline ? countLines(buf, pos, parsed.end) : 1;
      pos = parsed.end;
    }
    this.buf = buf.slice(pos);
    this.line = line;
    return out;
  }

  /** Whether a record that spans lines looks like the work of a stray quote (see the options). */
  private swallowed(parsed: Parsed & { kind: 'record' }): boolean {
    if (!parsed.multiline) return false;
    const { columns, looksLikeRecord } = this.options;
    if (columns !== undefined && parsed.cells.length !== columns) return true;
    if (!looksLikeRecord) return false;
    const delimiter = this.options.delimiter;
    for (const cell of parsed.cells) {
      const lines = cell.split(/\r\n|\n|\r/);
      for (let i = 1; i < lines.length; i++) if (looksLikeRecord(lines[i]!.split(delimiter))) return true;
    }
    return false;
  }

  /** Parses the record starting at `start`, if the buffer holds all of it. */
  private parse(buf: string, start: number, final: boolean): Parsed {
    const n = buf.length;
    const d = this.delimiter;
    const max = start + this.options.maxRecordChars;
    const cells: string[] = [];
    let multiline = false;
    let i = start;
    for (;;) {
      if (i < n && buf.charCodeAt(i) === QUOTE) {
        let value = '';
        let from = i + 1;
        for (;;) {
          const q = buf.indexOf('"', from);
          if (q < 0 || q >= max) {
            if (q < 0 && n < max && !final) return MORE;
            return { kind: 'bad', reason: UNCLOSED };
          }
          if (q + 1 >= n && !final) return MORE;
          const after = q + 1 < n ? buf.charCodeAt(q + 1) : -1;
          if (after === QUOTE) {
            value += buf.slice(from, q + 1);
            from = q + 2;
            continue;
          }
          if (after === d || after === LF || after === CR || after === -1) {
            value += buf.slice(from, q);
            i = q + 1;
            break;
          }
          return { kind: 'bad', reason: `${AFTER_QUOTE} "${buf[q + 1]}"` };
        }
        if (!multiline && (value.includes('\n') || value.includes('\r'))) multiline = true;
        cells.push(value);
      } else {
        let k = i;
        while (k < n) {
          const c = buf.charCodeAt(k);
          if (c === d || c === LF || c === CR) break;
          k++;
        }
        if (k >= max) return { kind: 'bad', reason: TOO_LONG };
        cells.push(buf.slice(i, k));
        i = k;
      }
      if (i >= n) return final ? { kind: 'record', cells, end: n, multiline } : MORE;
      const c = buf.charCodeAt(i);
      if (c === d) {
        i++;
        continue;
      }
      if (c === LF) return { kind: 'record', cells, end: i + 1, multiline };
      // CR: a CRLF may be split between two pushes.
      if (i + 1 >= n && !final) return MORE;
      return { kind: 'record', cells, end: buf.charCodeAt(i + 1) === LF ? i + 2 : i + 1, multiline };
    }
  }
}

export const UNCLOSED =
  'a quote opened in this line is not closed (not in the rest of the file, or not within the longest record allowed)';
export const TOO_LONG = 'the record is too long';
export const AFTER_QUOTE = 'a quoted cell ends, and the delimiter does not follow but';
export const SWALLOWED =
  'a quote opened in this line is closed only in a later line, and the lines between read like rows of their own';

/** The index after the first line break at or after `from`, or -1. */
function nextLine(buf: string, from: number): number {
  for (let i = from; i < buf.length; i++) {
    const c = buf.charCodeAt(i);
    if (c === LF) return i + 1;
    if (c === CR) {
      if (i + 1 >= buf.length) return -1; // the LF of a CRLF may follow in the next push
      return buf.charCodeAt(i + 1) === LF ? i + 2 : i + 1;
    }
  }
  return -1;
}

/** The lines a record from `from` to `to` (after its line break) takes. */
function countLines(buf: string, from: number, to: number): number {
  let lines = 0;
  for (let i = from; i < to; i++) {
    const c = buf.charCodeAt(i);
    if (c === LF || (c === CR && buf.charCodeAt(i + 1) !== LF)) lines++;
  }
  // The last line of a file without a final line break.
  const last = buf.charCodeAt(to - 1);
  return last === LF || last === CR ? lines : lines + 1;
}
