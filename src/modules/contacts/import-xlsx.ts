import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import { AppError } from '../../shared/errors.js';

/*
 * XLSX uploads: the first worksheet is streamed (exceljs' WorkbookReader, shared strings cached,
 * styles ignored) and turned into CSV text as it is read, so an Excel file takes the same path as
 * a CSV file (mapping, preview, staging, report). Values are written as they are — formula
 * escaping is for exports, not for what we read.
 */

export function isXlsxFileName(fileName: string): boolean {
  return /\.xlsx$/i.test(fileName.trim());
}

function plainCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** The text a cell shows: rich text joined, links by their text, formulas by their result, dates as ISO. */
function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) {
    const iso = value.toISOString();
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso;
  }
  if (typeof value === 'object') {
    const v = value as {
      richText?: { text: string }[];
      text?: unknown;
      result?: unknown;
      error?: string;
    };
    if (Array.isArray(v.richText)) return v.richText.map((r) => r.text).join('');
    if (v.text !== undefined) return cellText(v.text);
    if ('result' in v) return cellText(v.result);
    if (v.error) return '';
    return '';
  }
  return String(value);
}

/** CSV text of the first worksheet of an XLSX file; refuses more than maxBytes of input. */
export async function* xlsxToCsv(
  body: AsyncIterable<Buffer | Uint8Array | string>,
  maxBytes: number,
): AsyncGenerator<string> {
  let size = 0;
  async function* counted() {
    for await (const piece of body) {
      const buf = typeof piece === 'string' ? Buffer.from(piece) : Buffer.from(piece);
      size += buf.length;
      if (size > maxBytes) throw new AppError('PAYLOAD_TOO_LARGE', { maxBytes });
      yield buf;
    }
  }
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from(counted()), {
    sharedStrings: 'cache',
    hyperlinks: 'ignore',
    styles: 'cache', // needed to tell a date from a number
    worksheets: 'emit',
    entries: 'emit',
  });
  let first = true;
  let width = 0;
  try {
    for await (const sheet of reader) {
      let out = '';
      for await (const row of sheet) {
        if (!first) continue; // later sheets are read (the stream must be consumed), not imported
        const values = (row as ExcelJS.Row).values as unknown[];
        const cells: string[] = [];
        for (let i = 1; i < values.length; i++) cells.push(cellText(values[i]));
        if (width === 0) width = cells.length;
        while (cells.length < width) cells.push('');
        out += `${cells.map(plainCell).join(',')}\r\n`;
        if (out.length > 1 << 20) {
          yield out;
          out = '';
        }
      }
      if (first && out) yield out;
      first = false;
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('IMPORT_FILE_INVALID', {
      reason: `not a readable XLSX file: ${(err as Error).message}`,
    });
  }
}
