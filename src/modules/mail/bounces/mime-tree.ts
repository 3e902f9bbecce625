/*
 * A small MIME reader for bounce and complaint reports: headers (unfolded), content type and
 * parameters, the decoded body, and the parts of multipart/* and message/rfc822 bodies. Reports
 * are machine-written and small; what matters is that nothing in them can make us misread which
 * message they are about, so this reader is strict and simple instead of forgiving and clever.
 */

export interface MimeNode {
  headers: Map<string, string[]>;
  /** Lower-case `type/subtype`, `text/plain` when absent. */
  contentType: string;
  params: Record<string, string>;
  /** The body after transfer decoding (for leaves), as text. */
  body: string;
  parts: MimeNode[];
}

const MAX_DEPTH = 8;
const MAX_PARTS = 100;

/** Headers of a header block: names lower-cased, folded lines joined. */
export function parseHeaderBlock(block: string): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  const unfolded = block.replace(/\r?\n[ \t]+/g, ' ');
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) continue;
    const list = headers.get(name) ?? [];
    list.push(line.slice(colon + 1).trim());
    headers.set(name, list);
  }
  return headers;
}

function parseContentType(value: string | undefined): { type: string; params: Record<string, string> } {
  if (!value) return { type: 'text/plain', params: {} };
  const [type = '', ...rest] = value.split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq === -1) continue;
    const key = p.slice(0, eq).trim().toLowerCase();
    params[key] = p
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
  }
  return { type: type.trim().toLowerCase() || 'text/plain', params };
}

function decodeBody(body: string, encoding: string | undefined, charset: string | undefined): string {
  const enc = (encoding ?? '').trim().toLowerCase();
  let bytes: Buffer;
  if (enc === 'base64') bytes = Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
  else if (enc === 'quoted-printable') {
    const soft = body.replace(/=\r?\n/g, '');
    const out: number[] = [];
    for (let i = 0; i < soft.length; i++) {
      const c = soft[i]!;
      if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
        out.push(Number.parseInt(soft.slice(i + 1, i + 3), 16));
        i += 2;
      } else out.push(...Buffer.from(c, 'utf8'));
    }
    bytes = Buffer.from(out);
  } else return body;
  const cs = (charset ?? 'utf-8').toLowerCase();
  return bytes.toString(cs === 'iso-8859-1' || cs === 'latin1' || cs === 'us-ascii' ? 'latin1' : 'utf8');
}

/** Parses a whole message (or a part) into a tree. */
export function parseMime(raw: string, depth = 0): MimeNode {
  const m = /\r?\n\r?\n/.exec(raw);
  const headerBlock = m ? raw.slice(0, m.index) : raw;
  const body = m ? raw.slice(m.index + m[0].length) : '';
  const headers = parseHeaderBlock(headerBlock);
  const { type, params } = parseContentType(headers.get('content-type')?.[0]);
  const node: MimeNode = { headers, contentType: type, params, body: '', parts: [] };
  if (depth >= MAX_DEPTH) return node;
  if (type.startsWith('multipart/') && params.boundary) {
    const delimiter = `--${params.boundary}`;
    const lines = body.split(/\r?\n/);
    let current: string[] | undefined;
    for (const line of lines) {
      if (line === `${delimiter}--` || line.trimEnd() === `${delimiter}--`) {
        if (current) node.parts.push(parseMime(current.join('\r\n'), depth + 1));
        current = undefined;
        break;
      }
      if (line === delimiter || line.trimEnd() === delimiter) {
        if (current) node.parts.push(parseMime(current.join('\r\n'), depth + 1));
        if (node.parts.length >= MAX_PARTS) break;
        current = [];
        continue;
      }
      current?.push(line);
    }
    if (current && current.length > 0) node.parts.push(parseMime(current.join('\r\n'), depth + 1));
    return node;
  }
  const decoded = decodeBody(body, headers.get('content-transfer-encoding')?.[0], params.charset);
  if (type === 'message/rfc822' || type === 'message/global') {
    node.parts.push(parseMime(decoded, depth + 1));
  }
  node.body = decoded;
  return node;
}

/** Every node of the tree, depth first. */
export function walk(node: MimeNode): MimeNode[] {
  return [node, ...node.parts.flatMap(walk)];
}

/**
 * The field groups of a message/delivery-status or message/feedback-report body: blocks of
 * `Name: value` lines separated by blank lines (RFC 3464 §2.1, RFC 5965 §3.1).
 */
export function parseFieldGroups(body: string): Map<string, string[]>[] {
  return body
    .split(/\r?\n\s*\r?\n/)
    .map((g) => g.trim())
    .filter(Boolean)
    .map(parseHeaderBlock)
    .filter((h) => h.size > 0);
}
