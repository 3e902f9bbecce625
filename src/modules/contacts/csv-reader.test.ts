import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AFTER_QUOTE,
  type CsvItem,
  CsvReader,
  type CsvReaderOptions,
  SWALLOWED,
  UNCLOSED,
} from './csv-reader.js';

/** Reads `text` fed in pieces cut at the given offsets. */
function read(text: string, options: Partial<CsvReaderOptions> = {}, cuts: number[] = []): CsvItem[] {
  const reader = new CsvReader({ delimiter: ',', maxRecordChars: 1_000_000, ...options });
  const items: CsvItem[] = [];
  let from = 0;
  for (const cut of [...new Set(cuts)].sort((a, b) => a - b)) {
    items.push(...reader.push(text.slice(from, cut)));
    from = cut;
  }
  items.push(...reader.push(text.slice(from)));
  items.push(...reader.end());
  return items;
}

const addressCheck = (cells: string[]) =>
  cells.length >= 2 && /^[^@\s",]+@[^@\s",]+\.[a-z]+$/.test(cells[0]!);

describe('CsvReader', () => {
  it('reads quoted cells with delimiters, doubled quotes and line breaks, and numbers records by their first line', () => {
    const text = 'email,name\r\na@x.de,"Müller, ""Hans"""\r\nb@x.de,"Zeile\r\nzwei"\r\nc@x.de,Carl\r\n';
    expect(read(text, { skipRecords: 1 })).toEqual([
      { line: 2, cells: ['a@x.de', 'Müller, "Hans"'] },
      { line: 3, cells: ['b@x.de', 'Zeile\r\nzwei'] },
      { line: 5, cells: ['c@x.de', 'Carl'] },
    ]);
  });

  it('accepts LF, CRLF and lone CR line ends, a last line without one, and skips empty lines and empty records', () => {
    expect(read('a,b\n\nc,d\r\n,,\re,f')).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 3, cells: ['c', 'd'] },
      { line: 5, cells: ['e', 'f'] },
    ]);
  });

  it('keeps a quote inside an unquoted cell as a character', () => {
    expect(read('a@x.de,5" Monitor,An"na\n')).toEqual([
      { line: 1, cells: ['a@x.de', '5" Monitor', 'An"na'] },
    ]);
  });

  it('reports a quote that is never closed on its own line and reads every later line', () => {
    const text = 'a@x.de,"Anna\nb@x.de,Bert\nc@x.de,Carl\n';
    expect(read(text)).toEqual([
      { line: 1, unreadable: UNCLOSED },
      { line: 2, cells: ['b@x.de', 'Bert'] },
      { line: 3, cells: ['c@x.de', 'Carl'] },
    ]);
  });

  it('reports a quoted cell followed by something other than the delimiter, and reads on at the next line', () => {
    // csv-parse lost the next line too here: it carried on in the middle of the broken quote.
    const text = 'u@x.de,"offen"x,,\nt@x.de,"Anna ""Q""",b\nv@x.de,Carl,c\n';
    expect(read(text)).toEqual([
      { line: 1, unreadable: `${AFTER_QUOTE} "x"` },
      { line: 2, cells: ['t@x.de', 'Anna "Q"', 'b'] },
      { line: 3, cells: ['v@x.de', 'Carl', 'c'] },
    ]);
  });

  it('takes a cell that swallows lines reading like records for a stray quote, and reads those lines', () => {
    // Valid CSV: the quote of line 1 closes in line 3. Read as such, Bert and Carl would vanish.
    const text = 'a@x.de,"Anna\nb@x.de,Bert\nc@x.de,Carl"\nd@x.de,Dora\n';
    expect(read(text, { looksLikeRecord: addressCheck })).toEqual([
      { line: 1, unreadable: SWALLOWED },
      { line: 2, cells: ['b@x.de', 'Bert'] },
      { line: 3, cells: ['c@x.de', 'Carl"'] },
      { line: 4, cells: ['d@x.de', 'Dora'] },
    ]);
    // A cell that really spans lines stays one cell.
    expect(
      read('a@x.de,"Musterstraße 1\n12345 Berlin",x\n', { looksLikeRecord: addressCheck, columns: 3 }),
    ).toEqual([{ line: 1, cells: ['a@x.de', 'Musterstraße 1\n12345 Berlin', 'x'] }]);
  });

  it('reads a record spanning lines with the wrong number of cells line by line', () => {
    const text = 'a@x.de,"Anna\nb@x.de,Bert",x,y\nc@x.de,Carl,z\n';
    expect(read(text, { columns: 3 })).toEqual([
      { line: 1, unreadable: SWALLOWED },
      { line: 2, cells: ['b@x.de', 'Bert"', 'x', 'y'] },
      { line: 3, cells: ['c@x.de', 'Carl', 'z'] },
    ]);
    // On one line the count is the caller's to report.
    expect(read('a,b\n', { columns: 3 })).toEqual([{ line: 1, cells: ['a', 'b'] }]);
  });

  it('bounds a record by maxRecordChars, reports it, and reads on', () => {
    const long = 'x'.repeat(500);
    expect(read(`a,"${long}\nb,c\nd,${long}\ne,f\n`, { maxRecordChars: 100 }, [50, 120, 300])).toEqual([
      { line: 1, unreadable: UNCLOSED },
      { line: 2, cells: ['b', 'c'] },
      { line: 3, unreadable: 'the record is too long' },
      { line: 4, cells: ['e', 'f'] },
    ]);
  });

  it('skips the header records it is told to', () => {
    expect(read('"a\nb",c\nd,e\n', { skipRecords: 1 })).toEqual([{ line: 3, cells: ['d', 'e'] }]);
  });

  it('loses no line of any text: each line with content is in exactly one record or reported', () => {
    const text = fc.string({
      unit: fc.constantFrom('a', '@', ',', '"', '""', '\n', '\r\n', '\r'),
      maxLength: 60,
    });
    fc.assert(
      fc.property(text, fc.array(fc.nat(), { maxLength: 4 }), fc.boolean(), (input, cutAt, probe) => {
        const items = read(
          input,
          { maxRecordChars: 12, columns: 2, ...(probe ? { looksLikeRecord: (c) => c.length === 2 } : {}) },
          cutAt.map((c) => (input.length ? c % input.length : 0)),
        );
        const lines = input.split(/\r\n|\n|\r/);
        const covered = new Map<number, number>();
        for (const item of items) {
          const span = 'cells' in item ? item.cells.join('').split(/\r\n|\n|\r/).length : 1;
          for (let l = item.line; l < item.line + span; l++) covered.set(l, (covered.get(l) ?? 0) + 1);
        }
        lines.forEach((content, i) => {
          if (/[a@]/.test(content))
            expect(covered.get(i + 1), `line ${i + 1} of ${JSON.stringify(input)}`).toBe(1);
        });
        expect(Math.max(0, ...covered.values())).toBeLessThanOrEqual(1);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads what a CSV writer wrote, cut into pieces anywhere, with any delimiter', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', 'ä', ' ', ',', ';', '"', '\n', '\r\n', 'x') });
    fc.assert(
      fc.property(
        fc.constantFrom(',', ';', '\t'),
        fc.array(fc.array(cell, { minLength: 1, maxLength: 5 }), { maxLength: 8 }),
        fc.constantFrom('\n', '\r\n'),
        fc.array(fc.nat(), { maxLength: 6 }),
        (delimiter, records, eol, cutAt) => {
          const quote = (s: string) =>
            /[",;\t\r\n]/.test(s) || s === '' ? `"${s.replaceAll('"', '""')}"` : s;
          const text = records.map((r) => r.map(quote).join(delimiter) + eol).join('');
          const cuts = cutAt.map((c) => (text.length ? c % text.length : 0));
          const items = read(text, { delimiter }, cuts);
          const expected = records.filter((r) => r.some((c) => c !== ''));
          expect(items.map((i) => ('cells' in i ? i.cells : i))).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
