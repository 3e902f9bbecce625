import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { AppError } from './errors.js';

const dirs: string[] = [];
function tempDir() {
  const d = mkdtempSync(join(tmpdir(), 'lw-config-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('loadConfig', () => {
  it('runs with no configuration at all: port 3000, embedded database in ./data', () => {
    const dir = tempDir();
    const config = loadConfig({ DATA_DIR: dir });
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      publicUrl: 'http://localhost:3000',
      dataDir: dir,
    });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.cookieSecure).toBe(false);
  });

  it('generates a secret once and keeps it in the data directory, so sessions survive a restart', () => {
    const dir = tempDir();
    const first = loadConfig({ DATA_DIR: dir }).secretKey;
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(join(dir, 'secret.key'), 'utf8').trim()).toBe(first);
    expect(loadConfig({ DATA_DIR: dir }).secretKey).toBe(first);
  });

  it('names the variable that is wrong', () => {
    const dir = tempDir();
    const attempt = (env: Record<string, string>) => {
      try {
        loadConfig({ DATA_DIR: dir, ...env });
      } catch (err) {
        return err as AppError;
      }
      throw new Error('expected an error');
    };
    expect(attempt({ PORT: 'eighty' })).toMatchObject({ code: 'CONFIG_INVALID', details: { field: 'PORT' } });
    expect(attempt({ DATABASE_URL: 'mysql://x' }).details?.field).toBe('DATABASE_URL');
    expect(attempt({ LOG_LEVEL: 'loud' }).details?.field).toBe('LOG_LEVEL');
    expect(attempt({ SECRET_KEY: 'short' }).details?.field).toBe('SECRET_KEY');
  });

  it('requires SECRET_KEY with PostgreSQL in production (several processes must share it)', () => {
    const dir = tempDir();
    expect(() =>
      loadConfig({ DATA_DIR: dir, NODE_ENV: 'production', DATABASE_URL: 'postgres://db/leadwerk' }),
    ).toThrow(AppError);
    expect(existsSync(join(dir, 'secret.key'))).toBe(false);
  });

  it('sets secure cookies behind HTTPS', () => {
    const config = loadConfig({ DATA_DIR: tempDir(), PUBLIC_URL: 'https://leads.example.com/' });
    expect(config.publicUrl).toBe('https://leads.example.com');
    expect(config.cookieSecure).toBe(true);
  });

  it('prepares the hottest statements unless DATABASE_PREPARED_STATEMENTS turns it off', () => {
    expect(loadConfig({ DATA_DIR: tempDir() }).databasePreparedStatements).toBe(true);
    const off = loadConfig({ DATA_DIR: tempDir(), DATABASE_PREPARED_STATEMENTS: 'false' });
    expect(off.databasePreparedStatements).toBe(false);
  });
});
