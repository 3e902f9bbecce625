import { domainToASCII } from 'node:url';

/*
 * What we accept as an address (RFC 5321 limits, RFC 5322 dot-atom local part): what mail servers
 * accept, nothing they reject. Quoted local parts, comments, IP literals and non-ASCII local parts
 * (SMTPUTF8) are refused: many servers refuse them and they are a favourite of abuse. Domains may
 * be internationalised (IDN): they are checked in their ASCII (punycode) form.
 */

const LOCAL_RE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL_RE = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
// Control characters (C0, DEL, C1) and the Unicode line/paragraph separators.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export const EMAIL_MAX_LENGTH = 254;
export const EMAIL_LOCAL_MAX_LENGTH = 64;
export const EMAIL_DOMAIN_MAX_LENGTH = 255;

export type EmailProblem =
  | 'empty'
  | 'control_characters'
  | 'too_long'
  | 'no_at_sign'
  | 'local_part_invalid'
  | 'local_part_too_long'
  | 'domain_invalid'
  | 'domain_too_long';

/** Checks an address; returns the problem, or undefined when the address is acceptable. */
export function emailProblem(input: string): EmailProblem | undefined {
  if (hasControlCharacters(input)) return 'control_characters';
  const email = input.trim();
  if (email === '') return 'empty';
  if (/\s/.test(email)) return 'local_part_invalid';
  const at = email.lastIndexOf('@');
  if (at < 0) return 'no_at_sign';
  const local = email.slice(0, at);
  const domainInput = email.slice(at + 1);
  if (local.length === 0 || !LOCAL_RE.test(local)) return 'local_part_invalid';
  if (local.length > EMAIL_LOCAL_MAX_LENGTH) return 'local_part_too_long';
  if (domainInput.length === 0 || domainInput.startsWith('[')) return 'domain_invalid';
  if (domainInput.length > EMAIL_DOMAIN_MAX_LENGTH) return 'domain_too_long';
  const domain = domainToASCII(domainInput.toLowerCase());
  if (!domain) return 'domain_invalid';
  if (domain.length > EMAIL_DOMAIN_MAX_LENGTH) return 'domain_too_long';
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL_RE.test(l))) return 'domain_invalid';
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return 'domain_invalid';
  // The limit applies to the address as it travels (ASCII domain): RFC 5321 path 256 minus <>.
  if (local.length + 1 + domain.length > EMAIL_MAX_LENGTH) return 'too_long';
  return undefined;
}

export function isAcceptableEmail(input: string): boolean {
  return emailProblem(input) === undefined;
}

/** Whether a text contains control characters (tabs and newlines included: single-line fields). */
export function hasControlCharacters(value: string, allowNewlines = false): boolean {
  const stripped = allowNewlines ? value.replace(/\r\n|\n/g, '') : value;
  return CONTROL_RE.test(stripped) || LONE_SURROGATE_RE.test(value);
}

// Half of a UTF-16 pair on its own: not text, and PostgreSQL refuses it in jsonb.
const LONE_SURROGATE_RE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
