/*
 * Quoted-printable (RFC 2045 §6.7) for the text and HTML parts, tuned for MJML output (mostly
 * ASCII, an `=` in nearly every line): the escapes are done by whole-string replacements (native
 * and fast), only characters outside printable ASCII go through a callback, and lines are cut at
 * 76 characters without splitting an `=XX` escape. Lines end in CRLF; whitespace before a line
 * break is encoded, so no line ends in whitespace (the DKIM body canonicalisation relies on it).
 */

// Anything outside printable ASCII, tab and line breaks; and a CR that does not start a CRLF.
const NEEDS_CALLBACK = /[^\t\r\n\x20-\x7e]|\r(?!\n)/u;
const UNSAFE_CHAR = /[^\t\r\n\x20-\x7e]|\r(?!\n)/gu;
const escapes = new Map<string, string>();

function escapeChar(ch: string): string {
  let e = escapes.get(ch);
  if (e === undefined) {
    e = Buffer.from(ch, 'utf8').toString('hex').toUpperCase().replace(/../g, '=$&');
    if (escapes.size < 10_000) escapes.set(ch, e);
  }
  return e;
}

function pushWrapped(line: string, out: string[]): void {
  let rest = line;
  while (rest.length > 76) {
    let cut = 75;
    const esc = rest.lastIndexOf('=', cut - 1);
    if (esc > cut - 3) cut = esc;
    out.push(`${rest.slice(0, cut)}=`);
    rest = rest.slice(cut);
  }
  out.push(rest);
}

/** Encodes text (any line endings) as quoted-printable with CRLF line breaks. */
export function encodeQuotedPrintable(input: string): string {
  let s = input.replaceAll('=', '=3D');
  if (NEEDS_CALLBACK.test(s)) s = s.replace(UNSAFE_CHAR, escapeChar);
  const out: string[] = [];
  for (let line of s.split(/\r?\n/)) {
    const last = line.charCodeAt(line.length - 1);
    if (last === 0x20 || last === 0x09) line = `${line.slice(0, -1)}=${last === 0x20 ? '20' : '09'}`;
    if (line.length <= 76) out.push(line);
    else pushWrapped(line, out);
  }
  return out.join('\r\n');
}
