import { SmtpPool } from './smtp-pool.js';

/*
 * Where built messages go. Without SMTP_URL: the built-in outbox (a table the admin UI shows like
 * a mail client), written in the same transaction that records the message as sent, so it is
 * exactly once. With SMTP_URL: a pool of SMTP connections (nodemailer) per process.
 */

export type SendResult =
  | { ok: true; response: string }
  | {
      ok: false;
      /** 4xx or a connection problem: try again later. */
      temporary: boolean;
      /** The SMTP reply code, if the server answered. */
      code: number | null;
      /** The enhanced status code (RFC 3463), e.g. 5.1.1. */
      enhanced: string | null;
      response: string;
    };

export interface MailTransport {
  kind: 'outbox' | 'smtp';
  send(envelope: { from: string; to: string }, raw: string): Promise<SendResult>;
  close(): Promise<void>;
}

/** The outbox "sends" by being written in the completing transaction (see delivery.service.ts). */
export function createOutboxTransport(): MailTransport {
  return {
    kind: 'outbox',
    send: async () => ({ ok: true, response: 'stored in the outbox' }),
    close: async () => {},
  };
}

const CONNECTION_ERRORS = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ETLS',
  'EPROTOCOL',
  'ECONNRESET',
]);

/** Sorts an SMTP failure into temporary (retry) and permanent, keeping the server's words. */
export function classifySmtpError(err: unknown): SendResult & { ok: false } {
  const e = err as { responseCode?: number; response?: string; code?: string; message?: string };
  const code = typeof e.responseCode === 'number' ? e.responseCode : null;
  const response = (e.response ?? e.message ?? String(err)).replace(/\s+/g, ' ').trim().slice(0, 500);
  const enhanced = /\b([245]\.\d{1,3}\.\d{1,3})\b/.exec(response)?.[1] ?? null;
  if (code !== null) return { ok: false, temporary: code < 500, code, enhanced, response };
  // No reply code: the connection failed or broke; the message may be retried.
  const temporary =
    CONNECTION_ERRORS.has(e.code ?? '') ||
    e.code === undefined ||
    /ECONN|socket|timeout|closed/i.test(response);
  return { ok: false, temporary, code: null, enhanced, response };
}

/** A pooled SMTP transport for SMTP_URL (`smtp://user:pass@host:587`, `smtps://…`, `?tls=off|required`). */
export function createSmtpTransport(options: {
  url: string;
  poolSize: number;
  name?: string;
}): MailTransport {
  const url = new URL(options.url);
  const secure = url.protocol === 'smtps:';
  const tls = url.searchParams.get('tls');
  const pool = new SmtpPool({
    connection: {
      host: url.hostname,
      port: Number(url.port) || (secure ? 465 : 587),
      secure,
      // Plain text only when the URL says so (`?tls=off`, e.g. a relay on localhost).
      ignoreTLS: tls === 'off',
      requireTLS: tls === 'required',
      ...(options.name ? { name: options.name } : {}),
      connectionTimeout: 15_000,
      greetingTimeout: 15_000,
      socketTimeout: 60_000,
      logger: false,
    },
    auth: url.username
      ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) }
      : undefined,
    size: options.poolSize,
    maxMessages: 1000,
  });
  return {
    kind: 'smtp',
    async send(envelope, raw) {
      try {
        const info = await pool.send({ from: envelope.from, to: [envelope.to] }, raw);
        if (info.rejected.length > 0) {
          return {
            ok: false,
            temporary: false,
            code: 550,
            enhanced: null,
            response: info.response || 'rejected',
          };
        }
        return { ok: true, response: info.response || '250' };
      } catch (err) {
        return classifySmtpError(err);
      }
    },
    async close() {
      pool.close();
    },
  };
}
