import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { type ApiSession, loginViaApi } from './api.js';
import { axeViolations, chromiumAvailable, DESKTOP, launchChromium } from './browser.js';
import { ensureUiBuilt } from './build-ui.js';

/*
 * The import wizard end to end in a real browser: upload, column mapping, the dry run (what would
 * be created / updated / rejected, with the first errors), the choice "valid rows only", the
 * progress and the row report — axe-clean (WCAG 2.1 AA) in English and German.
 */

async function expectAccessible(page: Page, where: string): Promise<void> {
  const violations = await axeViolations(page);
  expect(violations, `axe found WCAG 2.1 AA violations on ${where}:\n\n${violations.join('\n\n')}`).toEqual(
    [],
  );
}

/** Loads an app page and waits for its h1 (another test file may be rebuilding dist/web). */
async function openPage(page: Page, url: string, heading: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await page.goto(url);
    try {
      await page.getByRole('heading', { level: 1, name: heading }).waitFor({ timeout: 15_000 });
      return;
    } catch (error) {
      if (attempt >= 6) throw error;
      await page.waitForTimeout(10_000);
    }
  }
}

const poll = <T>(fn: () => Promise<T> | T, timeout = 60_000) => expect.poll(fn, { timeout });

describe.skipIf(!chromiumAvailable())('Import wizard', () => {
  let server: TestServer;
  let api: ApiSession;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    ensureUiBuilt();
    server = await startTestServer();
    api = await loginViaApi(server.url, server.adminEmail, server.adminPassword);
    const existing = await api.request(
      'POST',
      '/api/v1/contacts',
      { email: 'bekannt@beispiel.de', firstName: 'Bekannt' },
      server.workspaceId,
    );
    expect(existing.status, JSON.stringify(existing.body)).toBe(201);
    browser = await launchChromium();
    context = await browser.newContext(DESKTOP);
    page = await context.newPage();
    page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
    await openPage(page, `${server.url}/app/login`, 'Sign in to Leadwerk');
    await page.getByLabel(/^E-mail address/).fill(server.adminEmail);
    await page.getByLabel(/^Password/).fill(server.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor();
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
  });

  async function upload(name: string, csv: string, button: string): Promise<void> {
    await page.locator('input[type=file]').setInputFiles({
      name,
      mimeType: 'text/csv',
      buffer: Buffer.from(csv, 'utf8'),
    });
    await page.getByRole('button', { name: button }).click();
  }

  it('checks every row first, shows the dry run, and imports the valid rows after confirmation (English)', async () => {
    await openPage(page, `${server.url}/app/contacts/imports`, 'Import contacts');
    await upload(
      'fair.csv',
      ['email,first_name', 'neu@beispiel.de,Neu', 'bekannt@beispiel.de,Anders', 'kaputt,Falsch', ''].join(
        '\n',
      ),
      'Upload',
    );
    await page.getByRole('heading', { level: 2, name: 'Column mapping' }).waitFor();
    await page.getByRole('radio', { name: 'Skip them' }).check();
    await page.getByRole('button', { name: 'Check rows' }).click();
    const review = page.getByTestId('import-review');
    await review.waitFor({ timeout: 60_000 });
    await review.getByRole('table', { name: 'First rows with errors' }).getByText('kaputt').waitFor();
    expect(await review.textContent()).toMatch(/Would be created\s*1/);
    expect(await review.textContent()).toMatch(/Exist already, would be skipped\s*1/);
    expect(await review.textContent()).toMatch(/Rejected \(errors\)\s*1/);
    // "All or nothing" with a rejected row cannot go ahead.
    expect(await page.getByRole('button', { name: 'Import now' }).isDisabled()).toBe(true);
    await expectAccessible(page, 'the dry run (English)');
    // Nothing was written by the dry run.
    const before = await api.request<{ items: unknown[] }>(
      'GET',
      '/api/v1/contacts?q=neu%40beispiel.de',
      undefined,
      server.workspaceId,
    );
    expect(before.body.items).toEqual([]);

    await review.getByRole('radio', { name: 'Import the valid rows' }).check();
    await page.getByRole('button', { name: 'Import now' }).click();
    await poll(() => page.getByTestId('import-status').textContent()).toBe('Import finished.');
    await page.getByRole('progressbar', { name: 'Import progress' }).waitFor();
    await page.getByRole('table', { name: 'Rows with errors or skipped' }).getByText('kaputt').waitFor();
    await expectAccessible(page, 'the import result (English)');
    // The whole report: the browser follows a single-use download URL and streams the file itself.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download row report' }).click(),
    ]);
    expect(download.url()).toMatch(/\/api\/v1\/imports\/report\?token=/);
    expect(download.suggestedFilename()).toMatch(/report\.csv$/);
    const report = readFileSync((await download.path()) ?? '', 'utf8')
      .replace(/^\uFEFF/, '')
      .trim()
      .split(/\r?\n/);
    expect(report[0]).toBe('row,email,outcome,error');
    expect(report.slice(1)).toEqual([
      expect.stringMatching(/^2,bekannt@beispiel\.de,skipped,/),
      expect.stringMatching(/^3,kaputt,error,/),
    ]);
    // The link was for one download only.
    expect((await page.request.get(download.url())).status()).toBe(409);
    const after = await api.request<{ items: { email: string; firstName: string | null }[] }>(
      'GET',
      '/api/v1/contacts?q=beispiel.de',
      undefined,
      server.workspaceId,
    );
    expect(after.body.items.map((c) => [c.email, c.firstName]).sort()).toEqual([
      ['bekannt@beispiel.de', 'Bekannt'],
      ['neu@beispiel.de', 'Neu'],
    ]);
  });

  it('is the same wizard in German', async () => {
    await openPage(page, `${server.url}/app/contacts/imports`, 'Import contacts');
    await page.getByRole('button', { name: /^(Language|Sprache):/ }).click();
    await page.getByRole('menuitem', { name: 'Deutsch' }).click();
    await page.getByRole('heading', { level: 1, name: 'Kontakte importieren' }).waitFor();
    await page.getByRole('menu').waitFor({ state: 'detached' });
    await upload('messe.csv', 'E-Mail;Vorname\nzwei@beispiel.de;Zwei\nfalsch;Falsch\n', 'Hochladen');
    await page.getByRole('heading', { level: 2, name: 'Spaltenzuordnung' }).waitFor();
    await expectAccessible(page, 'the column mapping (German)');
    await page.getByRole('button', { name: 'Zeilen prüfen' }).click();
    const review = page.getByTestId('import-review');
    await review.waitFor({ timeout: 60_000 });
    expect(await review.textContent()).toMatch(/Würden angelegt\s*1/);
    // The server's row errors in the UI's language.
    await review
      .getByRole('table', { name: 'Erste fehlerhafte Zeilen' })
      .getByText('E-Mail-Adresse: keine E-Mail-Adresse')
      .waitFor();
    await expectAccessible(page, 'the dry run (German)');
    await review.getByRole('radio', { name: 'Die gültigen Zeilen importieren' }).check();
    await page.getByRole('button', { name: 'Jetzt importieren' }).click();
    await poll(() => page.getByTestId('import-status').textContent()).toBe('Import abgeschlossen.');
    const report = page.getByRole('table', { name: 'Fehlerhafte oder übersprungene Zeilen' });
    await report.getByText('E-Mail-Adresse: keine E-Mail-Adresse').waitFor();
    await expectAccessible(page, 'the import result (German)');
    // Switching the language fetches the server's texts again, in the new language.
    await page.getByRole('button', { name: /^(Language|Sprache):/ }).click();
    await page.getByRole('menuitem', { name: 'English' }).click();
    await page
      .getByRole('table', { name: 'Rows with errors or skipped' })
      .getByText('e-mail address: not an e-mail address')
      .waitFor();
  });
});
