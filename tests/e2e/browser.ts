import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** Whether browser tests can run. In CI Chromium must be there: a missing one fails the run. */
export function chromiumAvailable(): boolean {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.CI) throw new Error(`Chromium is required in CI but missing at ${CHROMIUM_PATH}`);
  console.warn(`\n[e2e] Chromium not found at ${CHROMIUM_PATH}: browser tests are SKIPPED.\n`);
  return false;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** Context defaults for the admin UI tests: a desktop window, English browser, fixed time zone. */
export const DESKTOP: BrowserContextOptions = {
  viewport: { width: 1280, height: 860 },
  locale: 'en-US',
  timezoneId: 'Europe/Berlin',
  // The server's CSP forbids inline scripts, and axe is injected as one; a separate test checks the CSP.
  bypassCSP: true,
};

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/** Runs axe-core (WCAG 2.1 A and AA) on the page and returns its violations as readable text. */
export async function axeViolations(page: Page): Promise<string[]> {
  // Colours measured in the middle of a transition (a drawer's overlay fading in over the page) are
  // neither the before nor the after state, so finite animations and transitions finish first.
  await page
    .waitForFunction(
      () =>
        document
          .getAnimations()
          .every(
            (a) => a.playState !== 'running' || a.effect?.getTiming().iterations === Number.POSITIVE_INFINITY,
          ),
      null,
      { timeout: 5_000, polling: 50 },
    )
    .catch(() => {});
  await page.addScriptTag({ path: AXE_PATH });
  const violations = await page.evaluate(async (tags) => {
    const axe = (
      window as unknown as {
        axe: { run: (ctx: Document, opts: unknown) => Promise<{ violations: unknown[] }> };
      }
    ).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags } });
    return result.violations as AxeViolation[];
  }, WCAG_TAGS);
  return violations.map((v) => {
    const nodes = v.nodes
      .map(
        (n) => `    at ${n.target.join(' ')}\n      ${(n.failureSummary ?? '').replaceAll('\n', '\n      ')}`,
      )
      .join('\n');
    return `[${v.impact ?? 'n/a'}] ${v.id}: ${v.help} (${v.helpUrl})\n${nodes}`;
  });
}
