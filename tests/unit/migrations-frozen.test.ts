import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import frozen from '../../src/migrations/frozen.json' with { type: 'json' };
import { migrations } from '../../src/migrations/index.js';

const dir = new URL('../../src/migrations/', import.meta.url);
const files = readdirSync(dir)
  .filter((f) => /^\d{4}-.*\.ts$/.test(f))
  .sort();
const hashes = frozen as Record<string, string>;

describe('migrations', () => {
  it.each(Object.keys(hashes))('%s is unchanged since it was frozen', (name) => {
    const hash = createHash('sha256')
      .update(readFileSync(new URL(name, dir)))
      .digest('hex');
    expect(hash, `${name} changed after it landed: add a new migration instead`).toBe(hashes[name]);
  });

  it('are all registered, in file order, and frozen (npm run migrations:freeze)', () => {
    expect(Object.keys(migrations)).toEqual(files.map((f) => f.replace(/\.ts$/, '')));
    expect(files.filter((f) => !hashes[f])).toEqual([]);
  });
});
