import { type Challenge, createChallenge, randomInt, verifySolution } from 'altcha-lib';
import { deriveKey as pbkdf2 } from 'altcha-lib/algorithms/pbkdf2';
import { deriveKey as sha } from 'altcha-lib/algorithms/sha';
import { hmac } from '../../shared/crypto.js';
import type { Executor } from '../../shared/db/index.js';

/*
 * Proof-of-work with ALTCHA (altcha-lib, v2 challenges): the browser spends a second or two of
 * CPU before it may submit, which makes mass sign-ups expensive without a US captcha service.
 * Challenges are signed with keys derived from SECRET_KEY, bound to one form, expire, and a
 * solved challenge is accepted once (its signature is kept in capture_pow_used until it expires).
 */

export interface PowOptions {
  algorithm: 'PBKDF2/SHA-256' | 'SHA-256';
  cost: number;
  counterMin: number;
  counterMax: number;
  ttlSeconds: number;
}

export const DEFAULT_POW: PowOptions = {
  algorithm: 'PBKDF2/SHA-256',
  cost: 1000,
  counterMin: 1000,
  counterMax: 5000,
  ttlSeconds: 1200,
};

const DERIVE = { 'PBKDF2/SHA-256': pbkdf2, 'SHA-256': sha } as const;

function secrets(secretKey: string) {
  return {
    hmacSignatureSecret: hmac(secretKey, 'capture.altcha.challenge'),
    hmacKeySignatureSecret: hmac(secretKey, 'capture.altcha.key'),
  };
}

/** A new challenge for one form. */
export async function createFormChallenge(
  secretKey: string,
  pow: PowOptions,
  formId: string,
  now: Date,
): Promise<Challenge> {
  return createChallenge({
    algorithm: pow.algorithm,
    cost: pow.cost,
    counter: randomInt(pow.counterMax, pow.counterMin),
    deriveKey: DERIVE[pow.algorithm],
    data: { f: formId },
    expiresAt: Math.floor(now.getTime() / 1000) + pow.ttlSeconds,
    ...secrets(secretKey),
  });
}

export type PowResult = 'ok' | 'missing' | 'invalid' | 'expired' | 'replayed';

/**
 * Verifies the widget's payload (base64 JSON `{ challenge, solution }`) for this form, and spends
 * it: the same solution a second time is `replayed`. Call inside the submission's transaction
 * only if a failed submission should give the challenge back; we spend it before, on purpose.
 */
export async function verifyFormSolution(
  db: Executor,
  secretKey: string,
  pow: PowOptions,
  formId: string,
  payload: string | undefined,
  now: Date,
): Promise<PowResult> {
  if (!payload) return 'missing';
  if (payload.length > 4000) return 'invalid';
  let parsed: { challenge?: Challenge; solution?: { counter?: unknown; derivedKey?: unknown } };
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64').toString('utf8'));
  } catch {
    return 'invalid';
  }
  const challenge = parsed?.challenge;
  const solution = parsed?.solution;
  if (
    !challenge ||
    typeof challenge !== 'object' ||
    !challenge.parameters ||
    typeof challenge.signature !== 'string' ||
    !solution ||
    typeof solution.counter !== 'number' ||
    typeof solution.derivedKey !== 'string'
  )
    return 'invalid';
  const derive = DERIVE[challenge.parameters.algorithm as PowOptions['algorithm']];
  if (!derive || challenge.parameters.algorithm !== pow.algorithm) return 'invalid';
  if (challenge.parameters.data?.f !== formId) return 'invalid';
  const expiresAt = challenge.parameters.expiresAt;
  if (typeof expiresAt !== 'number' || expiresAt * 1000 < now.getTime()) return 'expired';
  let verified = false;
  try {
    const result = await verifySolution({
      challenge,
      solution: { counter: solution.counter, derivedKey: solution.derivedKey },
      deriveKey: derive,
      ...secrets(secretKey),
    });
    verified = result.verified;
  } catch {
    return 'invalid';
  }
  if (!verified) return 'invalid';
  const spent = await db
    .insertInto('capture_pow_used')
    .values({ signature: challenge.signature, expires_at: new Date(expiresAt * 1000) })
    .onConflict((oc) => oc.column('signature').doNothing())
    .returning('signature')
    .executeTakeFirst();
  return spent ? 'ok' : 'replayed';
}

/** Forgets spent challenges that have expired (they can no longer be replayed anyway). */
export async function purgeSpentChallenges(db: Executor, now: Date): Promise<number> {
  const r = await db.deleteFrom('capture_pow_used').where('expires_at', '<', now).executeTakeFirst();
  return Number(r.numDeletedRows);
}
