import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { loginViaApi } from './api.js';
import { axeViolations, chromiumAvailable, DESKTOP, launchChromium } from './browser.js';
import { ensureUiBuilt } from './build-ui.js';

/*
 * The Privacy page of the admin UI (web/src/consent/): find an address, read its ledger with every
 * proof field, check the chain, record a change by hand — axe-clean in English and German.
 */

async function expectAccessible(page: Page, where: string): Promise<void> {
  const violations = await axeViolations(page);
  expect(violations, `axe found WCAG 2.1 AA violations on ${where}:\n\n${violations.join('\n\n')}`).toEqual(
    [],
  );
}

describe.skipIf(!chromiumAvailable())('Privacy page', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    ensureUiBuilt();
    server = await startTestServer({ worker: false });
    const api = await loginViaApi(server.url, server.adminEmail, server.adminPassword);
    // A contact with a consent recorded by hand (the API path of the DPO).
    const contact = await api.request<{ contactId?: string }>(
      'GET',
      '/api/v1/consent/contacts?email=nobody@example.com',
      undefined,
      server.workspaceId,
    );
    expect(contact.status).toBe(404);
    const created = await api.request<{ contact: { id: string } }>(
      'POST',
      '/api/v1/contacts',
      { email: 'ledger@example.com' },
      server.workspaceId,
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const change = await api.request(
      'POST',
      `/api/v1/consent/contacts/${created.body.contact.id}/changes`,
      { purpose: 'newsletter', status: 'confirmed', note: 'Signed paper form, trade fair 2026' },
      server.workspaceId,
    );
    expect(change.status, JSON.stringify(change.body)).toBe(200);
    browser = await launchChromium();
    context = await browser.newContext(DESKTOP);
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the ledger of an address with every proof field and the chain check', async () => {
    await page.goto(`${server.url}/app/login`);
    await page.getByLabel(/^E-mail address/).fill(server.adminEmail);
    await page.getByLabel(/^Password/).fill(server.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor();

    await page
      .getByRole('navigation', { name: 'Main navigation' })
      .getByRole('link', { name: 'Privacy', exact: true })
      .click();
    await page.getByRole('heading', { level: 1, name: 'Privacy' }).waitFor();
    await expectAccessible(page, 'the Privacy page (English)');

    await page.getByLabel('E-mail address').fill('LEDGER@example.com');
    await page.getByRole('button', { name: 'Show evidence' }).click();
    await page.getByRole('heading', { level: 2, name: 'Consent ledger of ledger@example.com' }).waitFor();
    await page.getByText(/Chain intact: 1 entries checked/).waitFor();
    const table = page.getByRole('table', { name: 'Current consents' });
    expect(await table.getByRole('row').count()).toBe(2);
    await table.getByText('confirmed', { exact: true }).first().waitFor();
    await page.getByRole('button', { name: /Changed by an admin/ }).click();
    await page.getByText('Signed paper form, trade fair 2026', { exact: false }).waitFor();
    await expectAccessible(page, 'the ledger view (English)');

    // Record a withdrawal received by letter: a second ledger entry appears.
    await page.getByLabel(/^Reason and source/).fill('Withdrawal by letter of 2026-04-02');
    await page.getByRole('button', { name: 'Record change' }).click();
    await page.getByText(/Chain intact: 2 entries checked/).waitFor();

    await page.getByRole('button', { name: 'Verify the whole ledger' }).click();
    await page
      .getByText(/Chain intact: 2 entries checked/)
      .nth(1)
      .waitFor();

    // One click gives the evidence as a PDF document.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download PDF' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^consent-evidence-.*\.pdf$/);
    const stream = await download.createReadStream();
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('opens a ledger directly from a link with ?contact=<id>', async () => {
    const contactId = new URL(page.url()).searchParams.get('contact') ?? '';
    expect(contactId).toBe('');
    const api = await loginViaApi(server.url, server.adminEmail, server.adminPassword);
    const found = await api.request<{ contactId: string }>(
      'GET',
      '/api/v1/consent/contacts?email=ledger@example.com',
      undefined,
      server.workspaceId,
    );
    await page.goto(`${server.url}/app/privacy?contact=${found.body.contactId}`);
    await page.getByRole('heading', { level: 2, name: 'Consent ledger of ledger@example.com' }).waitFor();
  });

  it('is accessible in German too', async () => {
    await page.getByRole('button', { name: /^(Language|Sprache):/ }).click();
    await page.getByRole('menuitem', { name: 'Deutsch' }).click();
    await page.getByRole('heading', { level: 1, name: 'Datenschutz' }).waitFor();
    await page.getByRole('button', { name: 'Nachweis anzeigen' }).click();
    await page
      .getByText(/Kette intakt: 2 Einträge geprüft/)
      .first()
      .waitFor();
    await expectAccessible(page, 'the Privacy page (German)');
  });
});
