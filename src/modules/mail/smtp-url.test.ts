import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config.js';

const base = { SECRET_KEY: 'x'.repeat(32), DATA_DIR: '/tmp/leadwerk-config-test' };

describe('SMTP_URL', () => {
  it('takes smtp:// and smtps:// with credentials, port and the tls option', () => {
    for (const url of [
      'smtp://127.0.0.1:2525?tls=off',
      'smtp://user%40acme.example:p%2Fss@mail.acme.example:587',
      'smtps://user:pass@mail.acme.example:465/',
      'smtp://relay.internal?tls=required',
    ]) {
      expect(loadConfig({ ...base, SMTP_URL: url }).smtpUrl).toBe(url);
    }
  });

  it('stops the start with CONFIG_INVALID for anything else', () => {
    for (const url of [
      'mail.acme.example:587',
      'http://mail.acme.example',
      'smtp://host?tls=maybe',
      'smtp://host/path',
    ]) {
      expect(() => loadConfig({ ...base, SMTP_URL: url }), url).toThrow(
        expect.objectContaining({ code: 'CONFIG_INVALID' }),
      );
    }
  });
});
