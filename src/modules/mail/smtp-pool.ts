import SMTPConnection, { type SMTPConnectionOptions } from 'nodemailer/lib/smtp-connection';

/*
 * A pool of SMTP connections built on nodemailer's SMTPConnection. We do not use nodemailer's
 * own pooled transport (`createTransport({ pool: true })`): its Mailer pipeline (MailMessage,
 * plugins, MIME streams) costs about 0.4 ms of CPU per message even for a finished raw message —
 * as much as building and DKIM-signing the message ourselves (measured in bench/send.ts). The
 * protocol work (EHLO, STARTTLS, AUTH, MAIL/RCPT/DATA, dot-stuffing) stays nodemailer's.
 *
 * Connections are opened on demand up to `size`, reused for up to `maxMessages` messages, reset
 * (RSET) after a refused message, dropped after a connection error, and closed after `idleMs`
 * without work.
 */

export interface SmtpPoolOptions {
  connection: SMTPConnectionOptions;
  auth?: { user: string; pass: string } | undefined;
  size: number;
  maxMessages?: number;
  idleMs?: number;
}

export interface SmtpSendInfo {
  response: string;
  accepted: string[];
  rejected: string[];
}

interface Slot {
  conn: SMTPConnection;
  sent: number;
  broken: boolean;
  idleTimer?: NodeJS.Timeout | undefined;
}

type SmtpError = Error & { code?: string; responseCode?: number; response?: string };

export class SmtpPool {
  private readonly idle: Slot[] = [];
  private readonly waiting: ((slot: Slot | Error) => void)[] = [];
  private open = 0;
  private closed = false;

  constructor(private readonly options: SmtpPoolOptions) {}

  /** Sends one message; rejects with nodemailer's error (code, responseCode, response) on failure. */
  async send(envelope: { from: string; to: string[] }, raw: string): Promise<SmtpSendInfo> {
    const slot = await this.acquire();
    try {
      const info = await new Promise<SmtpSendInfo>((resolve, reject) => {
        slot.conn.send(envelope, raw, (err, result) => {
          if (err) reject(err);
          else
            resolve({
              response: String(result?.response ?? ''),
              accepted: (result?.accepted ?? []).map(String),
              rejected: (result?.rejected ?? []).map(String),
            });
        });
      });
      slot.sent++;
      this.release(slot);
      return info;
    } catch (err) {
      const e = err as SmtpError;
      if (typeof e.responseCode === 'number' && !slot.broken) {
        // The server refused this message; the connection is fine once the transaction is reset.
        slot.conn.reset((resetErr) => {
          if (resetErr) slot.broken = true;
          this.release(slot);
        });
      } else {
        slot.broken = true;
        this.release(slot);
      }
      throw err;
    }
  }

  /** Quits every idle connection; sends still running finish first. */
  close(): void {
    this.closed = true;
    for (const slot of this.idle.splice(0)) this.discard(slot);
    for (const w of this.waiting.splice(0)) w(new Error('SMTP pool closed'));
  }

  private acquire(): Promise<Slot> {
    if (this.closed)
      return Promise.reject(Object.assign(new Error('SMTP pool closed'), { code: 'ECONNECTION' }));
    let slot = this.idle.pop();
    while (slot?.broken) {
      // Closed by the server while idle.
      this.discard(slot);
      slot = this.idle.pop();
    }
    if (slot) {
      clearTimeout(slot.idleTimer);
      return Promise.resolve(slot);
    }
    if (this.open < this.options.size) return this.connect();
    return new Promise<Slot>((resolve, reject) => {
      this.waiting.push((s) => (s instanceof Error ? reject(s) : resolve(s)));
    });
  }

  private connect(): Promise<Slot> {
    this.open++;
    return new Promise<Slot>((resolve, reject) => {
      const conn = new SMTPConnection(this.options.connection);
      const slot: Slot = { conn, sent: 0, broken: false };
      let settled = false;
      const fail = (err: unknown) => {
        slot.broken = true;
        if (settled) return;
        settled = true;
        this.open--;
        conn.close();
        // A waiter may take the freed place and try again.
        this.wakeWaiterToConnect();
        reject(err);
      };
      conn.on('error', fail);
      conn.once('end', () => {
        slot.broken = true;
        if (!settled) fail(Object.assign(new Error('connection closed'), { code: 'ECONNECTION' }));
      });
      conn.connect(() => {
        const ready = () => {
          if (settled) return;
          settled = true;
          resolve(slot);
        };
        if (this.options.auth) {
          conn.login(this.options.auth, (err) => (err ? fail(err) : ready()));
        } else ready();
      });
    });
  }

  private release(slot: Slot): void {
    const max = this.options.maxMessages ?? 1000;
    if (slot.broken || this.closed || slot.sent >= max) {
      this.discard(slot);
      this.wakeWaiterToConnect();
      return;
    }
    const waiter = this.waiting.shift();
    if (waiter) {
      waiter(slot);
      return;
    }
    slot.idleTimer = setTimeout(() => {
      const i = this.idle.indexOf(slot);
      if (i !== -1) {
        this.idle.splice(i, 1);
        this.discard(slot);
      }
    }, this.options.idleMs ?? 30_000);
    slot.idleTimer.unref();
    this.idle.push(slot);
  }

  private discard(slot: Slot): void {
    clearTimeout(slot.idleTimer);
    this.open = Math.max(0, this.open - 1);
    if (slot.broken) slot.conn.close();
    else slot.conn.quit();
  }

  /** A place became free: the first waiter gets a new connection (or the error of trying). */
  private wakeWaiterToConnect(): void {
    if (this.closed || this.waiting.length === 0 || this.open >= this.options.size) return;
    const waiter = this.waiting.shift()!;
    this.connect().then(waiter, (err: Error) => waiter(err));
  }
}
