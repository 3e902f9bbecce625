import { ensureUiBuilt } from './build-ui.js';

/**
 * Vitest globalSetup for the browser tests: builds the UI once before any e2e file runs. The
 * e2e files also call ensureUiBuilt() themselves, so they work without this being registered.
 */
export default function setup(): void {
  ensureUiBuilt();
}
