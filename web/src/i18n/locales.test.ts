import { describe, expect, it } from 'vitest';
import de from './de.json' with { type: 'json' };
import en from './en.json' with { type: 'json' };
import { detectInitialLocale } from './index.js';

type Tree = { [key: string]: string | Tree };

function keysOf(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([key, value]) =>
    typeof value === 'string' ? [`${prefix}${key}`] : keysOf(value, `${prefix}${key}.`),
  );
}

function textAt(tree: Tree, key: string): string | undefined {
  const value = key.split('.').reduce<string | Tree | undefined>((node, part) => {
    return typeof node === 'object' ? node[part] : undefined;
  }, tree);
  return typeof value === 'string' ? value : undefined;
}

function placeholdersOf(tree: Tree, key: string): string[] {
  return [...(textAt(tree, key) ?? '').matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1] ?? '').sort();
}

describe('translations', () => {
  it('German and English have the same keys', () => {
    expect(keysOf(de).sort()).toEqual(keysOf(en).sort());
  });

  it('German and English use the same placeholders', () => {
    for (const key of keysOf(en)) {
      expect(placeholdersOf(de, key), key).toEqual(placeholdersOf(en, key));
    }
  });

  it('no text is empty', () => {
    for (const [name, tree] of [
      ['de', de],
      ['en', en],
    ] as const) {
      for (const key of keysOf(tree)) expect(textAt(tree, key)?.trim(), `${name}:${key}`).toBeTruthy();
    }
  });
});

describe('detectInitialLocale', () => {
  it('prefers the saved choice', () => {
    expect(detectInitialLocale('en', 'de-DE')).toBe('en');
    expect(detectInitialLocale('de', 'en-US')).toBe('de');
  });

  it('uses German for any German browser language, English otherwise', () => {
    expect(detectInitialLocale(null, 'de')).toBe('de');
    expect(detectInitialLocale(null, 'de-AT')).toBe('de');
    expect(detectInitialLocale(null, 'en-GB')).toBe('en');
    expect(detectInitialLocale(null, 'fr-FR')).toBe('en');
    expect(detectInitialLocale('xx', undefined)).toBe('en');
  });
});
