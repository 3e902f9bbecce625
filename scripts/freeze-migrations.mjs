// Records the hash of every new migration in src/migrations/frozen.json. Never changes an existing
// entry: a landed migration is frozen, and tests/unit/migrations-frozen.test.ts fails if it changes.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const dir = new URL('../src/migrations/', import.meta.url);
const file = new URL('frozen.json', dir);
const frozen = JSON.parse(readFileSync(file, 'utf8'));
for (const name of readdirSync(dir)
  .filter((f) => /^\d{4}-.*\.ts$/.test(f))
  .sort()) {
  if (frozen[name]) continue;
  frozen[name] = createHash('sha256')
    .update(readFileSync(new URL(name, dir)))
    .digest('hex');
  console.log(`frozen ${name}`);
}
writeFileSync(file, `${JSON.stringify(frozen, null, 2)}\n`);
