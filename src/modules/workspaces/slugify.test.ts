import { describe, expect, it } from 'vitest';
import { slugify } from './workspaces.service.js';

describe('slugify', () => {
  it.each([
    ['Müller & Söhne GmbH', 'mueller-soehne-gmbh'],
    ['  Straße 7  ', 'strasse-7'],
    ['Crème Brûlée', 'creme-brulee'],
    ['!!!', 'workspace'],
    ['a'.repeat(80), 'a'.repeat(63)],
  ])('%s → %s', (name, slug) => {
    expect(slugify(name)).toBe(slug);
    expect(slugify(name)).toMatch(/^[a-z0-9][a-z0-9-]{0,62}$/);
  });
});
