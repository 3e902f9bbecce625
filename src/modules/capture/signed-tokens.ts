import { hmac, safeEqual } from '../../shared/crypto.js';

/*
 * Small signed tokens (HMAC-SHA-256 with SECRET_KEY): `<payload>.<signature>`, payload base64url
 * JSON. Each kind signs under its own label, so a token of one kind never passes as another.
 * They carry ids and times only, never an address.
 */

type Kind = 'capture.time-trap' | 'capture.profile' | 'capture.asset';

function sign(secret: string, kind: Kind, body: Record<string, unknown>): string {
  const payload = Buffer.from(JSON.stringify(body)).toString('base64url');
  return `${payload}.${hmac(secret, `${kind}:${payload}`)}`;
}

function open(secret: string, kind: Kind, token: string | undefined): Record<string, unknown> | undefined {
  if (typeof token !== 'string' || token.length > 1000) return undefined;
  const dot = token.indexOf('.');
  if (dot < 1) return undefined;
  const payload = token.slice(0, dot);
  if (!safeEqual(token.slice(dot + 1), hmac(secret, `${kind}:${payload}`))) return undefined;
  try {
    const body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    return body && typeof body === 'object' ? (body as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The time trap: when the form was rendered, for this form. Bots submit faster than people. */
export function createTimeTrapToken(secret: string, formId: string, issuedAt: Date): string {
  return sign(secret, 'capture.time-trap', { f: formId, t: issuedAt.getTime() });
}

export type TimeTrapResult = 'ok' | 'missing' | 'invalid' | 'too_fast' | 'too_old';

export function checkTimeTrapToken(
  secret: string,
  token: string | undefined,
  formId: string,
  now: Date,
  limits: { minSeconds: number; maxSeconds: number },
): TimeTrapResult {
  if (!token) return 'missing';
  const body = open(secret, 'capture.time-trap', token);
  if (!body || body.f !== formId || typeof body.t !== 'number') return 'invalid';
  const age = (now.getTime() - body.t) / 1000;
  if (age < limits.minSeconds) return 'too_fast';
  if (age > limits.maxSeconds) return 'too_old';
  return 'ok';
}

/**
 * The progressive-profiling token our own mails put into form links (`?lw=`): it names the
 * contact so the form can skip what we already know. Recognising a person by anything else
 * (cookies, fingerprints, a typed address) is a guess, and a guess is never enough.
 */
export function createProfileToken(
  secret: string,
  input: { workspaceId: string; contactId: string; expiresAt: Date },
): string {
  return sign(secret, 'capture.profile', {
    w: input.workspaceId,
    c: input.contactId,
    e: Math.floor(input.expiresAt.getTime() / 1000),
  });
}

export function openProfileToken(
  secret: string,
  token: string | undefined,
  now: Date,
): { workspaceId: string; contactId: string } | undefined {
  const body = open(secret, 'capture.profile', token);
  if (!body || typeof body.w !== 'string' || typeof body.c !== 'string' || typeof body.e !== 'number')
    return undefined;
  if (body.e * 1000 < now.getTime()) return undefined;
  return { workspaceId: body.w, contactId: body.c };
}

/** A download link for gated content: this contact, this asset, until then. */
export function createAssetToken(
  secret: string,
  input: { workspaceId: string; contactId: string; assetId: string; expiresAt: Date },
): string {
  return sign(secret, 'capture.asset', {
    w: input.workspaceId,
    c: input.contactId,
    a: input.assetId,
    e: Math.floor(input.expiresAt.getTime() / 1000),
  });
}

export function openAssetToken(
  secret: string,
  token: string | undefined,
  now: Date,
): { workspaceId: string; contactId: string; assetId: string } | undefined {
  const body = open(secret, 'capture.asset', token);
  if (
    !body ||
    typeof body.w !== 'string' ||
    typeof body.c !== 'string' ||
    typeof body.a !== 'string' ||
    typeof body.e !== 'number'
  )
    return undefined;
  if (body.e * 1000 < now.getTime()) return undefined;
  return { workspaceId: body.w, contactId: body.c, assetId: body.a };
}
