import { describe, expect, it } from 'vitest';
import { emailProblem, hasControlCharacters } from './email-address.js';

describe('emailProblem', () => {
  it('accepts ordinary and internationalised addresses', () => {
    for (const ok of [
      'max@example.com',
      'Max.Mustermann+news@example.co.uk',
      "o'brien@example.ie",
      'info@bücher.de',
      'x@xn--bcher-kva.de',
      `${'a'.repeat(64)}@example.com`,
      'user@sub.domain-with-dash.example',
    ]) {
      expect(emailProblem(ok), ok).toBeUndefined();
    }
  });

  it('refuses what mail servers refuse', () => {
    const cases: [string, string][] = [
      ['', 'empty'],
      ['plain', 'no_at_sign'],
      ['@example.com', 'local_part_invalid'],
      ['a..b@example.com', 'local_part_invalid'],
      ['.a@example.com', 'local_part_invalid'],
      ['"quoted"@example.com', 'local_part_invalid'],
      ['a b@example.com', 'local_part_invalid'],
      ['müller@example.com', 'local_part_invalid'],
      [`${'a'.repeat(65)}@example.com`, 'local_part_too_long'],
      ['a@localhost', 'domain_invalid'],
      ['a@[127.0.0.1]', 'domain_invalid'],
      ['a@-bad.com', 'domain_invalid'],
      ['a@exa_mple.com', 'domain_invalid'],
      ['a@example.123', 'domain_invalid'],
      [`a@${'b'.repeat(64)}.com`, 'domain_invalid'],
      [`a@${`${'b'.repeat(60)}.`.repeat(5)}com`, 'domain_too_long'],
      [`${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(60)}.com`, 'too_long'],
      ['a\u0000b@example.com', 'control_characters'],
      ['a@example.com\r\nBcc: x@y.z', 'control_characters'],
    ];
    for (const [input, problem] of cases) expect(emailProblem(input), JSON.stringify(input)).toBe(problem);
  });

  it('finds control characters', () => {
    expect(hasControlCharacters('fine text')).toBe(false);
    expect(hasControlCharacters('tab\there')).toBe(true);
    expect(hasControlCharacters('line\nbreak')).toBe(true);
    expect(hasControlCharacters('line\nbreak', true)).toBe(false);
    expect(hasControlCharacters('bell\u0007', true)).toBe(true);
    expect(hasControlCharacters('sep\u2028')).toBe(true);
  });
});
