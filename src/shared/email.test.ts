import { describe, expect, it } from 'vitest';
import { normalizeEmail } from './email.js';

describe('normalizeEmail', () => {
  it.each([
    ['  Max.Mustermann@Example.DE ', 'max.mustermann@example.de'],
    ['max@bücher.de', 'max@xn--bcher-kva.de'],
    ['MAX@XN--BCHER-KVA.DE', 'max@xn--bcher-kva.de'],
    ['first.last+news@gmail.com', 'first.last+news@gmail.com'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeEmail(input)).toBe(expected);
  });

  it.each(['', 'no-at-sign', '@example.com', 'max@', 'max@exa mple.com'])('%j is not an address', (input) => {
    expect(normalizeEmail(input)).toBeUndefined();
  });
});
