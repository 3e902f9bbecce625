import { createServer } from 'node:net';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { describe, expect, it } from 'vitest';
import { startLeadwerk } from '../../src/server.js';
import { testConfig } from '../support/deps.js';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('the bounce endpoint in `leadwerk serve`', () => {
  it('listens on BOUNCE_SMTP_PORT with the workers, answers every report with 250, and stops with the server', async () => {
    const port = await freePort();
    const config = testConfig({ bounceSmtpPort: port, bounceSmtpHost: '127.0.0.1' });
    const running = await startLeadwerk({ config, api: false, worker: true, inMemory: true });
    try {
      const conn = new SMTPConnection({ host: '127.0.0.1', port, ignoreTLS: true });
      const info = await new Promise<{ response: string }>((resolve, reject) => {
        conn.on('error', reject);
        conn.connect(() =>
          conn.send(
            { from: '', to: ['bnc-unknown@bounces.example'] },
            'From: MAILER-DAEMON@x.example\r\nSubject: failure notice\r\n\r\nnothing we know',
            (err, result) => (err ? reject(err) : resolve(result as { response: string })),
          ),
        );
      });
      conn.quit();
      expect(info.response).toMatch(/^250 /);
    } finally {
      await running.stop();
    }
    // Stopped with the server: the port is free again.
    const again = createServer();
    await new Promise<void>((resolve, reject) => {
      again.once('error', reject);
      again.listen(port, '127.0.0.1', () => resolve());
    });
    await new Promise<void>((r) => again.close(() => r()));
  });
});
