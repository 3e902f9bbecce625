import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import type { Logger } from '../../../shared/log.js';
import type { ReportContext } from './bounce.service.js';
import { processReport } from './bounce.service.js';

/*
 * The inbound SMTP endpoint for bounces and complaints (BOUNCE_SMTP_PORT): point the MX of the
 * return-path (bounce) domain and the feedback-loop address here. It accepts every message (up to
 * 2 MB; no AUTH, no STARTTLS: it only ever receives machine-written reports), answers 250 at once
 * whatever the report says (a refusal would only make the sender's MTA bounce the bounce), and
 * hands it to processReport with the envelope recipients, which carry the VERP address.
 */

export interface BounceSmtpServer {
  port: number;
  close(): Promise<void>;
}

export async function startBounceSmtpServer(options: {
  port: number;
  host: string;
  log: Logger;
  context: () => ReportContext;
}): Promise<BounceSmtpServer> {
  const server = new SMTPServer({
    name: 'leadwerk-bounces',
    banner: 'Leadwerk bounce and complaint processing',
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    size: 2 * 1024 * 1024,
    maxClients: 50,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= 2 * 1024 * 1024) chunks.push(c);
      });
      stream.on('end', () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
          const err = new Error('Message too large') as Error & { responseCode: number };
          err.responseCode = 552;
          return callback(err);
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        const envelopeRecipients = session.envelope.rcptTo.map((r) => r.address);
        processReport(options.context(), raw, { source: 'smtp', envelopeRecipients }).then(
          (outcome) => callback(null, `accepted (${outcome.kind})`),
          (err: unknown) => {
            // A database problem: ask the sender to try again later instead of losing the report.
            options.log.error({ event: 'mail.report-failed', err }, 'processing a report failed');
            const e = new Error('Temporary failure, try again later') as Error & { responseCode: number };
            e.responseCode = 451;
            callback(e);
          },
        );
      });
    },
  });
  server.on('error', (err) =>
    options.log.warn({ event: 'mail.bounce-smtp-error', err }, 'bounce SMTP error'),
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  options.log.info({ event: 'mail.bounce-smtp-listening', port }, `bounce SMTP endpoint on port ${port}`);
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
      }),
  };
}
