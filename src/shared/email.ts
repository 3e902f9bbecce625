import { domainToASCII } from 'node:url';

/**
 * The form of an address used for matching and hashing: trimmed, lower-cased, the domain in
 * ASCII (IDN → punycode), so "Max@Bücher.de" and "max@xn--bcher-kva.de" are one contact.
 * No provider-specific rewriting (dots, plus tags): that would merge different people.
 * Returns undefined for something that is not an address at all.
 */
export function normalizeEmail(email: string): string | undefined {
  const trimmed = email.trim();
  const at = trimmed.lastIndexOf('@');
  if (at < 1 || at === trimmed.length - 1) return undefined;
  const local = trimmed.slice(0, at).toLowerCase();
  const domain = domainToASCII(trimmed.slice(at + 1).toLowerCase());
  if (!domain) return undefined;
  return `${local}@${domain}`;
}
