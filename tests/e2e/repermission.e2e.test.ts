import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { loginViaApi } from './api.js';
import { axeViolations, chromiumAvailable, DESKTOP, launchChromium } from './browser.js';
import { ensureUiBuilt } from './build-ui.js';

/*
 * "Ask for re-permission" on the segments page (web/src/consent/repermission-dialog.tsx): the
 * dialog counts first, sends after the confirmation, reports queued and skipped — axe-clean in
 * English and German.
 */

async function expectAccessible(page: Page, where: string): Promise<void> {
  const violations = await axeViolations(page);
  expect(violations, `axe found WCAG 2.1 AA violations on ${where}:\n\n${violations.join('\n\n')}`).toEqual(
    [],
  );
}

describe.skipIf(!chromiumAvailable())('Re-permission from the segments page', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    ensureUiBuilt();
    server = await startTestServer({ worker: false });
    const api = await loginViaApi(server.url, server.adminEmail, server.adminPassword);
    const call = (method: string, url: string, body: unknown) =>
      api.request(method as 'POST', url, body, server.workspaceId);
    for (const email of ['imported-a@example.com', 'imported-b@example.com', 'blocked@example.com']) {
      const r = await call('POST', '/api/v1/contacts', { email, lastName: 'Messe2025' });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    const s = await call('POST', '/api/v1/suppressions', { email: 'blocked@example.com' });
    expect(s.status, JSON.stringify(s.body)).toBeLessThan(300);
    const seg = await call('POST', '/api/v1/segments', {
      name: 'Trade fair 2025',
      definition: {
        kind: 'group',
        op: 'and',
        children: [{ kind: 'field', field: 'last_name', operator: 'eq', value: 'Messe2025' }],
      },
    });
    expect(seg.status, JSON.stringify(seg.body)).toBe(201);
    browser = await launchChromium();
    context = await browser.newContext(DESKTOP);
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('counts, asks for confirmation, sends and reports the skipped ones', async () => {
    await page.goto(`${server.url}/app/login`);
    await page.getByLabel(/^E-mail address/).fill(server.adminEmail);
    await page.getByLabel(/^Password/).fill(server.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor();
    await page.goto(`${server.url}/app/contacts/segments`);
    await page.getByRole('heading', { level: 1, name: 'Segments' }).waitFor();
    await page.getByRole('button', { name: 'Ask for re-permission' }).click();
    const dialog = page.getByRole('dialog', { name: 'Re-permission: Trade fair 2025' });
    await dialog.getByText('2 of 3 contacts need a confirmation.').waitFor();
    await dialog.getByText('1 suppressed address').waitFor();
    await expectAccessible(page, 'the re-permission dialog (English)');
    await dialog.getByRole('button', { name: 'Send to 2 contacts' }).click();
    await dialog.getByText('2 mails queued.').waitFor();
    await expectAccessible(page, 'the re-permission result (English)');
    await page.keyboard.press('Escape');

    // Asked again: nobody is asked twice within 30 days.
    await page.getByRole('button', { name: 'Ask for re-permission' }).click();
    await dialog.getByText('2 asked within the last 30 days').waitFor();
    expect(await dialog.getByRole('button', { name: 'Send to 0 contacts' }).isDisabled()).toBe(true);
    await page.keyboard.press('Escape');
  });

  it('is accessible in German too', async () => {
    await page.getByRole('button', { name: /^(Language|Sprache):/ }).click();
    await page.getByRole('menuitem', { name: 'Deutsch' }).click();
    await page.getByRole('heading', { level: 1, name: 'Segmente' }).waitFor();
    await page.getByRole('button', { name: 'Re-Permission anfragen' }).click();
    const dialog = page.getByRole('dialog', { name: 'Re-Permission: Trade fair 2025' });
    await dialog.getByText('2 von 3 Kontakten brauchen eine Bestätigung.').waitFor();
    await expectAccessible(page, 'the re-permission dialog (German)');
  });
});
