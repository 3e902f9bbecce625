import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const WEB = join(ROOT, 'web');
const DIST = join(ROOT, 'dist', 'web');
const BUILT_INDEX = join(DIST, 'index.html');

function newestChange(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestChange(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Builds the admin UI when dist/web is missing or older than a file in web/, so that browser tests
 * never run against a stale bundle. Takes ~10 s when it builds, nothing otherwise.
 *
 * Vite empties its output folder first, so building straight into dist/web would leave another
 * test run on the same checkout (or a server started from it) without a UI for those seconds. The
 * build goes into a private folder instead, which then replaces dist/web by two renames.
 */
export function ensureUiBuilt(): void {
  if (existsSync(BUILT_INDEX) && statSync(BUILT_INDEX).mtimeMs >= newestChange(WEB)) return;
  console.log('[e2e] building the admin UI (npm run build:web)…');
  const fresh = `${DIST}.build-${process.pid}`;
  const old = `${DIST}.old-${process.pid}`;
  try {
    execFileSync('npm', ['run', 'build:web', '--', '--outDir', fresh, '--emptyOutDir'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (existsSync(DIST)) renameSync(DIST, old);
    renameSync(fresh, DIST);
  } finally {
    rmSync(fresh, { recursive: true, force: true });
    rmSync(old, { recursive: true, force: true });
  }
}
