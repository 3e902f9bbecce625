import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { AppError } from './errors.js';

/** The whole configuration, read once from the environment at start (see README, "Configuration"). */
export const ConfigSchema = Type.Object({
  nodeEnv: Type.Union([Type.Literal('development'), Type.Literal('production'), Type.Literal('test')]),
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  host: Type.String({ minLength: 1 }),
  publicUrl: Type.String({ minLength: 1 }),
  dataDir: Type.String({ minLength: 1 }),
  databaseUrl: Type.Optional(Type.String({ pattern: '^postgres(ql)?://' })),
  databasePoolSize: Type.Integer({ minimum: 1, maximum: 500 }),
  /** Named prepared statements for the hottest statements (PostgreSQL); off behind old PgBouncers. */
  databasePreparedStatements: Type.Boolean(),
  logLevel: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
  ),
  secretKey: Type.String({ minLength: 32 }),
  cookieSecure: Type.Boolean(),
  sessionTtlHours: Type.Integer({ minimum: 1 }),
  trustProxy: Type.Boolean(),
  adminEmail: Type.Optional(Type.String()),
  adminPassword: Type.Optional(Type.String()),
  workerConcurrency: Type.Integer({ minimum: 1, maximum: 256 }),
  jobLeaseSeconds: Type.Integer({ minimum: 1 }),
  jobPollMs: Type.Integer({ minimum: 10 }),
  shutdownTimeoutMs: Type.Integer({ minimum: 0 }),
  // smtp:// or smtps://, user:password@ (percent-encoded) and port optional, `?tls=off|required`.
  smtpUrl: Type.Optional(Type.String({ pattern: '^smtps?://[^\\s/?#]+/?(\\?tls=(off|required))?$' })),
  /** Connections per process in the SMTP pool. */
  smtpPoolSize: Type.Integer({ minimum: 1, maximum: 100 }),
  /** Sender when a workspace has not set its own (`name <address>` or an address). */
  mailFrom: Type.String({ minLength: 3 }),
  /** Port of the inbound SMTP endpoint for bounces and complaints; off when not set. */
  bounceSmtpPort: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
  bounceSmtpHost: Type.String({ minLength: 1 }),
  /** DNS servers for the MX checks of contact data quality (`ip` or `ip:port`); the system's when empty. */
  dnsServers: Type.Array(Type.String({ pattern: '^[0-9a-fA-F.:\\[\\]]+$' }), { maxItems: 10 }),
  /** WEBHOOK_ALLOW_PRIVATE: webhooks may target private/loopback addresses (local testing only). */
  webhookAllowPrivate: Type.Boolean(),
});
export type Config = Static<typeof ConfigSchema>;

type Env = Record<string, string | undefined>;

function int(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  return Number.isInteger(n) ? n : Number.NaN;
}

function bool(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  return ['1', 'true', 'yes', 'on'].includes(value.toLowerCase());
}

/**
 * The secret used to derive CSRF tokens and encrypt stored keys. Taken from SECRET_KEY; in embedded
 * mode without one, generated once and kept in DATA_DIR so that sessions survive a restart.
 */
function resolveSecret(env: Env, dataDir: string, usesPostgres: boolean): string {
  if (env.SECRET_KEY) return env.SECRET_KEY;
  if (usesPostgres && env.NODE_ENV === 'production') {
    throw new AppError('CONFIG_INVALID', {
      field: 'SECRET_KEY',
      reason: 'required with DATABASE_URL in production',
    });
  }
  const file = join(dataDir, 'secret.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/** The host name of a URL, for default addresses (`noreply@<host>`). */
function hostOf(url: string): string {
  try {
    return new URL(url).hostname || 'localhost';
  } catch {
    return 'localhost';
  }
}

/** Reads and validates the configuration; a bad value stops the start with CONFIG_INVALID naming the variable. */
export function loadConfig(env: Env = process.env): Config {
  const nodeEnv = (env.NODE_ENV ?? 'development') as Config['nodeEnv'];
  const port = int(env.PORT, 3000);
  const host = env.HOST ?? '127.0.0.1';
  const dataDir = resolve(env.DATA_DIR ?? './data');
  const publicUrl = (env.PUBLIC_URL ?? `http://localhost:${port}`).replace(/\/$/, '');
  const databaseUrl = env.DATABASE_URL || undefined;
  const raw = {
    nodeEnv,
    port,
    host,
    publicUrl,
    dataDir,
    databaseUrl,
    databasePoolSize: int(env.DATABASE_POOL_SIZE, 10),
    databasePreparedStatements: bool(env.DATABASE_PREPARED_STATEMENTS, true),
    logLevel: env.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    secretKey: '',
    cookieSecure: bool(env.COOKIE_SECURE, publicUrl.startsWith('https://')),
    sessionTtlHours: int(env.SESSION_TTL_HOURS, 24 * 14),
    trustProxy: bool(env.TRUST_PROXY, false),
    adminEmail: env.ADMIN_EMAIL || undefined,
    adminPassword: env.ADMIN_PASSWORD || undefined,
    workerConcurrency: int(env.WORKER_CONCURRENCY, 8),
    jobLeaseSeconds: int(env.JOB_LEASE_SECONDS, 60),
    jobPollMs: int(env.JOB_POLL_MS, 1000),
    shutdownTimeoutMs: int(env.SHUTDOWN_TIMEOUT_MS, 25_000),
    smtpUrl: env.SMTP_URL || undefined,
    smtpPoolSize: int(env.SMTP_POOL_SIZE, 5),
    mailFrom: env.MAIL_FROM || `noreply@${hostOf(publicUrl)}`,
    bounceSmtpPort: env.BOUNCE_SMTP_PORT ? int(env.BOUNCE_SMTP_PORT, 0) : undefined,
    bounceSmtpHost: env.BOUNCE_SMTP_HOST ?? host,
    webhookAllowPrivate: bool(env.WEBHOOK_ALLOW_PRIVATE, false),
    dnsServers: (env.DNS_SERVERS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  };
  const firstError = [...Value.Errors(ConfigSchema, { ...raw, secretKey: 'x'.repeat(32) })][0];
  if (firstError) {
    // Name the environment variable the operator set (databaseUrl → DATABASE_URL): every key of
    // Config is its variable in camel case.
    const key = firstError.path.split('/')[1] ?? '';
    const field = key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();
    throw new AppError('CONFIG_INVALID', { field, reason: firstError.message });
  }
  raw.secretKey = resolveSecret(env, dataDir, databaseUrl !== undefined);
  if (raw.secretKey.length < 32) {
    throw new AppError('CONFIG_INVALID', { field: 'SECRET_KEY', reason: 'must be at least 32 characters' });
  }
  return raw as Config;
}
