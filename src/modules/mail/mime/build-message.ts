import { randomBytes } from 'node:crypto';
import { encodeWords, foldLines } from 'nodemailer/lib/mime-funcs';
import { type DkimKey, dkimSignature } from './dkim.js';
import { encodeQuotedPrintable } from './quoted-printable.js';

/*
 * Builds the raw RFC 5322 message: multipart/alternative with a text/plain and a text/html part
 * (UTF-8, quoted-printable) — inside a multipart/mixed with base64 attachment parts when there
 * are attachments —, the headers we set, and — with a key — a DKIM signature that covers
 * From, To, Subject, Date, Message-ID, the MIME headers and the List-Unsubscribe pair.
 */

export interface Address {
  name?: string | undefined;
  address: string;
}

export interface MessageInput {
  from: Address;
  to: string;
  replyTo?: string | null | undefined;
  subject: string;
  html: string;
  text: string;
  date: Date;
  /** Without angle brackets: `<uuid>@<domain>`. */
  messageId: string;
  /** Extra headers in order (List-Unsubscribe, Feedback-ID, …); names and values already checked. */
  headers?: readonly (readonly [string, string])[];
  dkim?: DkimKey | undefined;
  attachments?: readonly Attachment[] | undefined;
}

/** A file sent with the message (e.g. an event's calendar file). */
export interface Attachment {
  /** Shown to the recipient; checked by the caller (no line breaks or quotes). */
  filename: string;
  /** A MIME type with optional parameters, e.g. `text/calendar; charset=utf-8; method=REQUEST`. */
  contentType: string;
  content: Buffer;
}

export interface BuiltMessage {
  /** The whole message with CRLF line ends, ready for SMTP DATA. */
  raw: string;
  headers: [string, string][];
}

/** Headers the DKIM signature covers when present; the starred ones are over-signed. */
const SIGNED = [
  'from',
  'from*',
  'to',
  'subject',
  'subject*',
  'date',
  'message-id',
  'reply-to',
  'mime-version',
  'content-type',
  'list-unsubscribe',
  'list-unsubscribe*',
  'list-unsubscribe-post',
  'list-unsubscribe-post*',
  'list-id',
  'feedback-id',
] as const;

/** A display name as a header phrase: quoted when needed, RFC 2047-encoded when not ASCII. */
export function formatAddress(a: Address): string {
  const name = a.name?.replace(/[\r\n"\\]+/g, ' ').trim();
  if (!name) return a.address;
  if (/^[\x20-\x7e]*$/.test(name)) return `"${name}" <${a.address}>`;
  return `${encodeWords(name, 'Q', 52)} <${a.address}>`;
}

function encodeSubject(subject: string): string {
  return /^[\x20-\x7e]*$/.test(subject) ? subject : encodeWords(subject, 'Q', 52);
}

function rfc2822Date(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

function headerLine(name: string, value: string): string {
  const line = `${name}: ${value}`;
  return line.length <= 78 ? line : foldLines(line, 76, true);
}

/** RFC 2231 filename parameter: quoted when ASCII, percent-encoded UTF-8 otherwise. */
function filenameParam(name: string, param: 'filename' | 'name'): string {
  if (/^[\x20-\x7e]*$/.test(name) && !/["\\]/.test(name)) return `${param}="${name}"`;
  return `${param}*=utf-8''${encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}

function attachmentPart(boundary: string, a: Attachment): string {
  const base64 = a.content.toString('base64').replace(/.{1,76}/g, '$&\r\n');
  return (
    `--${boundary}\r\n${headerLine('Content-Type', `${a.contentType}; ${filenameParam(a.filename, 'name')}`)}\r\n` +
    `${headerLine('Content-Disposition', `attachment; ${filenameParam(a.filename, 'filename')}`)}\r\n` +
    `Content-Transfer-Encoding: base64\r\n\r\n${base64}`
  );
}

/** Builds (and signs) one message. */
export function buildMessage(input: MessageInput): BuiltMessage {
  const boundary = `--lw_${randomBytes(12).toString('hex')}`;
  const attachments = input.attachments ?? [];
  const mixed = attachments.length > 0 ? `--lw_${randomBytes(12).toString('hex')}` : undefined;
  const headers: [string, string][] = [
    ['From', formatAddress(input.from)],
    ['To', input.to],
    ...(input.replyTo ? ([['Reply-To', input.replyTo]] as [string, string][]) : []),
    ['Subject', encodeSubject(input.subject)],
    ['Date', rfc2822Date(input.date)],
    ['Message-ID', `<${input.messageId}>`],
    ...((input.headers ?? []) as [string, string][]),
    ['MIME-Version', '1.0'],
    [
      'Content-Type',
      mixed ? `multipart/mixed; boundary="${mixed}"` : `multipart/alternative; boundary="${boundary}"`,
    ],
  ];
  const alternative =
    `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n` +
    `${encodeQuotedPrintable(input.text)}\r\n` +
    `--${boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n` +
    `${encodeQuotedPrintable(input.html)}\r\n` +
    `--${boundary}--\r\n`;
  const body = mixed
    ? `--${mixed}\r\nContent-Type: multipart/alternative; boundary="${boundary}"\r\n\r\n${alternative}` +
      attachments.map((a) => attachmentPart(mixed, a)).join('') +
      `--${mixed}--\r\n`
    : alternative;
  // Headers as they go on the wire (folded); the signature is computed over exactly these.
  const wire: [string, string][] = headers.map(([n, v]) => [n, headerLine(n, v).slice(n.length + 2)]);
  if (input.dkim) {
    const present = new Set(wire.map(([n]) => n.toLowerCase()));
    const signed: string[] = [];
    for (const entry of SIGNED) {
      const name = entry.replace('*', '');
      if (present.has(name)) signed.push(name);
    }
    wire.unshift(['DKIM-Signature', dkimSignature(wire, body, input.dkim, signed, input.date)]);
  }
  const head = wire.map(([n, v]) => `${n}: ${v}`).join('\r\n');
  return { raw: `${head}\r\n\r\n${body}`, headers: wire };
}
