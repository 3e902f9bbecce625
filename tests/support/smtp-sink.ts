import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

/** A message as the SMTP server received it. */
export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}

export interface SmtpSinkOptions {
  port?: number;
  /** Answer RCPT TO for an address with an error (e.g. 550 5.1.1, 451 4.7.1), or accept (undefined). */
  rcpt?: (address: string) => { code: number; message: string } | undefined;
}

/**
 * A real SMTP server (smtp-server) on 127.0.0.1 for tests: no AUTH, no STARTTLS; it keeps every
 * message it accepts. `stop()` closes it (and drops open connections); `start()` again on the
 * same port brings it back.
 */
export class SmtpSink {
  readonly received: ReceivedMail[] = [];
  private server: SMTPServer | undefined;
  port = 0;
  /** Per-test answers to RCPT TO (overrides the constructor's). */
  rcpt: SmtpSinkOptions['rcpt'];
  /** Called after each accepted message (e.g. to stop the server mid-batch). */
  onMessage: ((count: number) => void) | undefined;

  constructor(options: SmtpSinkOptions = {}) {
    this.port = options.port ?? 0;
    this.rcpt = options.rcpt;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}?tls=off`;
  }

  async start(): Promise<void> {
    const options: SMTPServerOptions = {
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      disableReverseLookup: true,
      onRcptTo: (address, _session, callback) => {
        const answer = this.rcpt?.(address.address);
        if (!answer) return callback();
        const err = new Error(answer.message) as Error & { responseCode: number };
        err.responseCode = answer.code;
        return callback(err);
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          this.received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback(null, 'Message queued as test');
          this.onMessage?.(this.received.length);
        });
      },
    } as SMTPServerOptions;
    const server = new SMTPServer(options);
    server.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      // Open pooled connections would keep close() waiting: end them now, as a crash would.
      for (const conn of (server as unknown as { connections: Set<{ close(): void }> }).connections ?? []) {
        conn.close();
      }
    });
  }
}

/** A received message as text: quoted-printable soft breaks and escapes undone, read as UTF-8. */
export function decodeMail(raw: string): string {
  const soft = raw.replace(/=\r?\n/g, '');
  const bytes = soft.replace(/=([0-9A-F]{2})/g, (_m, hex: string) =>
    String.fromCharCode(Number.parseInt(hex, 16)),
  );
  return Buffer.from(bytes, 'latin1').toString('utf8');
}
