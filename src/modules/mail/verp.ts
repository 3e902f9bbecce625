import { createHmac } from 'node:crypto';
import { safeEqual } from '../../shared/crypto.js';

/*
 * VERP return paths: every message gets its own envelope sender, `bnc-<message id>-<tag>@<bounce
 * domain>`, so a bounce names the message it belongs to even when the DSN is mangled. The tag
 * (48 bits of an HMAC under SECRET_KEY) keeps anyone from forging bounces for other messages.
 */

function tag(secret: string, messageId: string): string {
  return createHmac('sha256', secret).update(`verp:${messageId}`).digest('hex').slice(0, 12);
}

/** The envelope sender (Return-Path) of a message. */
export function verpAddress(secret: string, messageId: string, bounceDomain: string): string {
  return `bnc-${messageId.replace(/-/g, '')}-${tag(secret, messageId)}@${bounceDomain}`;
}

const VERP_RE = /^bnc-([0-9a-f]{32})-([0-9a-f]{12})@/i;

/** The message id in a VERP address, if the address is one of ours and its tag is right. */
export function parseVerpAddress(secret: string, address: string): string | undefined {
  const m = VERP_RE.exec(address.trim().replace(/^<|>$/g, ''));
  if (!m) return undefined;
  const hex = m[1]!.toLowerCase();
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return safeEqual(tag(secret, id), m[2]!.toLowerCase()) ? id : undefined;
}
