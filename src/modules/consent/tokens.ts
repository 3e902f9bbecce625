import { randomBytes } from 'node:crypto';
import { safeEqual, sha256 } from '../../shared/crypto.js';

/**
 * Link tokens (confirm and preference links) are `<selector>.<verifier>`: 96 random bits that find
 * the row, and 256 random bits whose SHA-256 is stored and compared in constant time. A database
 * leak therefore opens no link, and a lookup by index reveals nothing about the secret part.
 */
export interface IssuedToken {
  token: string;
  selector: string;
  verifierHash: string;
}

const SELECTOR_RE = /^[A-Za-z0-9_-]{16}$/;
const VERIFIER_RE = /^[A-Za-z0-9_-]{43}$/;

export function issueToken(): IssuedToken {
  const selector = randomBytes(12).toString('base64url');
  const verifier = randomBytes(32).toString('base64url');
  return { token: `${selector}.${verifier}`, selector, verifierHash: sha256(verifier) };
}

/** Splits a token from a URL; undefined when it cannot be one of ours (no database lookup then). */
export function parseToken(token: string): { selector: string; verifier: string } | undefined {
  const [selector, verifier, extra] = token.split('.');
  if (extra !== undefined || !selector || !verifier) return undefined;
  if (!SELECTOR_RE.test(selector) || !VERIFIER_RE.test(verifier)) return undefined;
  return { selector, verifier };
}

/** Whether the verifier matches the stored hash, in time that does not depend on the content. */
export function verifierMatches(verifier: string, storedHash: string): boolean {
  return safeEqual(sha256(verifier), storedHash);
}
