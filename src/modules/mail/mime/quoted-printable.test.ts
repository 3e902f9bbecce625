import fc from 'fast-check';
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { relaxedBody } from './dkim.js';
import { encodeQuotedPrintable } from './quoted-printable.js';

async function decode(encoded: string): Promise<string> {
  const parsed = await simpleParser(
    `Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${encoded}`,
  );
  return parsed.text ?? '';
}

describe('encodeQuotedPrintable', () => {
  it('round-trips any text (line ends as LF), with lines of at most 76 characters and no trailing whitespace', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 400 }), async (text) => {
        const clean = text.replace(/\r/g, '');
        const encoded = encodeQuotedPrintable(clean);
        for (const line of encoded.split('\r\n')) {
          expect(line.length).toBeLessThanOrEqual(76);
          expect(line).not.toMatch(/[ \t]$/);
        }
        // mailparser drops one final line break; compare without it.
        expect((await decode(encoded)).replace(/\n$/, '')).toBe(clean.replace(/\n$/, ''));
      }),
      { numRuns: 200 },
    );
  });

  it('escapes = and non-ASCII, keeps printable ASCII readable', () => {
    expect(encodeQuotedPrintable('a=b Grüße')).toBe('a=3Db Gr=C3=BC=C3=9Fe');
    expect(encodeQuotedPrintable('x \r\ny\t')).toBe('x=20\r\ny=09');
    expect(encodeQuotedPrintable('lone\rcr')).toBe('lone=0Dcr');
  });

  it('never splits an escape when it cuts a long line', () => {
    const encoded = encodeQuotedPrintable('ü'.repeat(100));
    for (const line of encoded.split('\r\n')) expect(line).toMatch(/^(=[0-9A-F]{2})*=?$/);
  });
});

describe('relaxedBody (RFC 6376 §3.4.4)', () => {
  it('collapses whitespace, strips it at line ends and drops empty lines at the end', () => {
    expect(relaxedBody('a  b \t\r\n\r\n')).toBe('a b\r\n');
    expect(relaxedBody(' x\r\n \r\n\r\n')).toBe(' x\r\n');
    expect(relaxedBody('')).toBe('');
    expect(relaxedBody('\r\n\r\n')).toBe('');
    expect(relaxedBody('abc')).toBe('abc\r\n');
  });
});
