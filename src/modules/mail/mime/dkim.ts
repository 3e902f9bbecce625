import { createHash, type KeyObject, sign } from 'node:crypto';

/*
 * DKIM signatures (RFC 6376), rsa-sha256 with relaxed/relaxed canonicalisation, over a message we
 * built ourselves (headers as name/value pairs, body with CRLF line ends). Signing in one step over
 * strings is several times cheaper than a streaming signer, which matters at hundreds of mails per
 * second. Verified against an independent implementation (mailauth) in the tests.
 */

export interface DkimKey {
  domain: string;
  selector: string;
  privateKey: KeyObject;
}

/** Relaxed header canonicalisation (RFC 6376 §3.4.2) of one header. */
export function relaxedHeader(name: string, value: string): string {
  return `${name.toLowerCase().trim()}:${value
    .replace(/\r\n(?=[ \t])/g, '')
    .replace(/[ \t]+/g, ' ')
    .trim()}`;
}

/** Relaxed body canonicalisation (RFC 6376 §3.4.4). */
export function relaxedBody(body: string): string {
  // Whitespace runs become one space, whitespace at line ends goes, empty lines at the end go.
  const s = body
    .replace(/[ \t]+/g, ' ')
    .replace(/ \r\n/g, '\r\n')
    .replace(/(\r\n)+$/, '')
    .replace(/ $/, '');
  return s === '' ? '' : `${s}\r\n`;
}

function fold(value: string): string {
  // Base64 may be broken anywhere; whitespace in b= and bh= is ignored by verifiers.
  return value.replace(/(.{72})/g, '$1\r\n\t').replace(/\r\n\t$/, '');
}

/**
 * The value of the DKIM-Signature header for a message. `signed` lists the header names to
 * cover, in order; a name listed once more than it occurs ("over-signing") stops anyone from
 * adding that header later without breaking the signature.
 */
export function dkimSignature(
  headers: readonly (readonly [string, string])[],
  body: string,
  key: DkimKey,
  signed: readonly string[],
  time: Date,
): string {
  const bh = createHash('sha256').update(relaxedBody(body)).digest('base64');
  // Headers are taken from the bottom up, each instance once (RFC 6376 §5.4.2).
  const used = new Map<string, number>();
  const canonical: string[] = [];
  for (const name of signed) {
    const lower = name.toLowerCase();
    const skip = used.get(lower) ?? 0;
    let seen = 0;
    for (let i = headers.length - 1; i >= 0; i--) {
      const [n, v] = headers[i]!;
      if (n.toLowerCase() !== lower) continue;
      if (seen++ === skip) {
        canonical.push(relaxedHeader(n, v));
        break;
      }
    }
    used.set(lower, skip + 1);
  }
  const tags =
    `v=1; a=rsa-sha256; c=relaxed/relaxed; d=${key.domain}; s=${key.selector}; ` +
    `t=${Math.floor(time.getTime() / 1000)}; h=${signed.map((n) => n.toLowerCase()).join(':')}; ` +
    `bh=${bh}; b=`;
  const data = `${canonical.join('\r\n')}\r\n${relaxedHeader('DKIM-Signature', tags)}`;
  const b = sign('sha256', Buffer.from(data), key.privateKey).toString('base64');
  return `${tags.replace(/; h=/, ';\r\n\th=').replace(/; bh=/, ';\r\n\tbh=')}${fold(b)}`;
}
