import { describe, expect, it } from 'vitest';
import { AppError, ERRORS, errorMessage, localeFromHeader } from './errors.js';

describe('error codes', () => {
  it.each(Object.entries(ERRORS))('%s has a status and a message in German and English', (_code, entry) => {
    expect(entry.status).toBeGreaterThanOrEqual(400);
    expect(entry.en.length).toBeGreaterThan(3);
    expect(entry.de.length).toBeGreaterThan(3);
    expect(entry.de).not.toBe(entry.en);
  });

  it('maps a code to its status through the one table', () => {
    expect(new AppError('RATE_LIMITED').status).toBe(429);
    expect(new AppError('NOT_FOUND').status).toBe(404);
    expect(errorMessage('UNAUTHENTICATED', 'de')).toBe('Bitte melden Sie sich an.');
  });
});

describe('localeFromHeader', () => {
  it.each([
    [undefined, 'en'],
    ['', 'en'],
    ['de', 'de'],
    ['de-AT,de;q=0.9,en;q=0.8', 'de'],
    ['en-US,en;q=0.9,de;q=0.8', 'en'],
    ['fr-FR,fr;q=0.9,de;q=0.5', 'de'],
    ['fr-FR,en;q=0.4,de;q=0.7', 'de'],
    ['ja', 'en'],
  ] as const)('%s → %s', (header, expected) => {
    expect(localeFromHeader(header)).toBe(expected);
  });
});
