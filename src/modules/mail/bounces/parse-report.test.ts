import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseReport } from './parse-report.js';

const MESSAGE_ID = '01966a2b-3c4d-7e5f-8a9b-0c1d2e3f4a5b@acme.example';
const VERP = 'bnc-01966a2b3c4d7e5f8a9b0c1d2e3f4a5b-0123456789ab@bounces.acme.example';
const RECIPIENT = 'anna.schmidt@kunde.example';

function sample(name: string, crlf = false): string {
  const text = readFileSync(
    new URL(`../../../../tests/fixtures/mail-reports/${name}`, import.meta.url),
    'utf8',
  )
    .replaceAll('{{MESSAGE_ID}}', MESSAGE_ID)
    .replaceAll('{{VERP}}', VERP)
    .replaceAll('{{RECIPIENT}}', RECIPIENT);
  return crlf ? text.replace(/\r?\n/g, '\r\n') : text;
}

describe.each([false, true])('parseReport (CRLF: %s)', (crlf) => {
  it('reads a Postfix DSN: hard bounce 5.1.1 with the diagnostic, the original Message-ID and the VERP address', () => {
    const r = parseReport(sample('postfix-hard.eml', crlf));
    expect(r.kind).toBe('bounce');
    expect(r.recipients).toEqual([
      expect.objectContaining({
        recipient: RECIPIENT,
        action: 'failed',
        status: '5.1.1',
        bounceType: 'hard',
      }),
    ]);
    expect(r.recipients[0]!.diagnostic).toContain('User unknown in virtual mailbox table');
    expect(r.originalMessageIds).toEqual([MESSAGE_ID]);
    expect(r.reportRecipients).toContain(VERP);
  });

  it('reads a Gmail DSN nested in multipart/related and alternative, with the returned message', () => {
    const r = parseReport(sample('gmail-hard.eml', crlf));
    expect(r.kind).toBe('bounce');
    expect(r.recipients[0]).toMatchObject({ recipient: RECIPIENT, status: '5.1.1', bounceType: 'hard' });
    expect(r.recipients[0]!.diagnostic).toContain('does not exist');
    expect(r.originalMessageIds).toEqual([MESSAGE_ID]);
  });

  it('treats a full mailbox (Outlook 5.2.2) as a soft bounce', () => {
    const r = parseReport(sample('outlook-soft.eml', crlf));
    expect(r.kind).toBe('bounce');
    expect(r.recipients[0]).toMatchObject({ recipient: RECIPIENT, status: '5.2.2', bounceType: 'soft' });
  });

  it('reads a delay warning (Exim, Action: delayed) as no bounce', () => {
    const r = parseReport(sample('exim-delayed.eml', crlf));
    expect(r.kind).toBe('delay');
    expect(r.recipients[0]).toMatchObject({ action: 'delayed', bounceType: null });
  });

  it('reads an ARF complaint from Yahoo with the original message', () => {
    const r = parseReport(sample('yahoo-arf.eml', crlf));
    expect(r.kind).toBe('complaint');
    expect(r.feedbackType).toBe('abuse');
    expect(r.recipients[0]!.recipient).toBe(RECIPIENT);
    expect(r.originalMessageIds).toEqual([MESSAGE_ID]);
  });

  it('reads an Outlook.com JMRP complaint (base64 original)', () => {
    const r = parseReport(sample('outlook-jmrp.eml', crlf));
    expect(r.kind).toBe('complaint');
    expect(r.originalMessageIds).toEqual([MESSAGE_ID]);
    expect(r.recipients[0]!.recipient).toBe(RECIPIENT);
  });

  it('reads a plain-text qmail bounce by its enhanced status code', () => {
    const r = parseReport(sample('qmail-plain.eml', crlf));
    expect(r.kind).toBe('bounce');
    expect(r.recipients[0]).toMatchObject({ recipient: RECIPIENT, status: '5.1.1', bounceType: 'hard' });
    expect(r.reportRecipients).toContain(VERP);
  });

  it('does not mistake an ordinary mail for a report', () => {
    const r = parseReport(
      'From: a@b.example\r\nTo: c@d.example\r\nSubject: Hallo\r\n\r\nStatus 5.1.1 of the project is done.',
    );
    expect(r.kind).toBe('unknown');
  });
});
