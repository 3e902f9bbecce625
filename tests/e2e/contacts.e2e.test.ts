import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { type ApiSession, loginViaApi } from './api.js';
import { axeViolations, chromiumAvailable, DESKTOP, launchChromium } from './browser.js';
import { ensureUiBuilt } from './build-ui.js';

/*
 * The contact pages of the admin UI (web/src/contacts, companies, segments, imports): the list with
 * search, sort and keyset paging, a contact with its timeline, the segment builder's live count,
 * the CSV import wizard — each page axe-clean (WCAG 2.1 AA) in English and German.
 */

async function expectAccessible(page: Page, where: string): Promise<void> {
  const violations = await axeViolations(page);
  expect(violations, `axe found WCAG 2.1 AA violations on ${where}:\n\n${violations.join('\n\n')}`).toEqual(
    [],
  );
}

/**
 * Loads an app page and waits for its h1. Other test files rebuild the shared dist/web when web/
 * changed (Vite empties it first); a page loaded in that window is blank, so this tries again.
 */
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

const PEOPLE = 55;
/** The machine is shared and slow; a debounced search plus a request can take seconds. */
const poll = <T>(fn: () => Promise<T> | T, timeout = 20_000) => expect.poll(fn, { timeout });

describe.skipIf(!chromiumAvailable())('Contact pages', () => {
  let server: TestServer;
  let api: ApiSession;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let zoeId = '';
  let companyId = '';

  beforeAll(async () => {
    ensureUiBuilt();
    server = await startTestServer();
    api = await loginViaApi(server.url, server.adminEmail, server.adminPassword);
    const ws = server.workspaceId;
    for (let i = 0; i < PEOPLE; i++) {
      const n = String(i).padStart(2, '0');
      const r = await api.request(
        'POST',
        '/api/v1/contacts',
        { email: `person${n}@example.org`, firstName: 'Person', lastName: `Number ${n}` },
        ws,
      );
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    const company = await api.request<{ company: { id: string } }>(
      'POST',
      '/api/v1/companies',
      { name: 'Zimmer Maschinenbau GmbH', domains: ['zimmer-maschinen.de'] },
      ws,
    );
    expect(company.status, JSON.stringify(company.body)).toBe(201);
    companyId = company.body.company.id;
    const zoe = await api.request<{ contact: { id: string } }>(
      'POST',
      '/api/v1/contacts',
      {
        email: 'zoe.zimmer@zimmer-maschinen.de',
        firstName: 'Zoe',
        lastName: 'Zimmer',
        companyName: 'Zimmer Maschinenbau',
        companyId,
        lifecycleStage: 'mql',
        tags: ['fair-2026'],
      },
      ws,
    );
    expect(zoe.status, JSON.stringify(zoe.body)).toBe(201);
    zoeId = zoe.body.contact.id;
    const note = await api.request(
      'POST',
      `/api/v1/contacts/${zoeId}/notes`,
      { kind: 'call', text: 'Asked for a quote for two milling machines' },
      ws,
    );
    expect(note.status).toBe(204);

    browser = await launchChromium();
    context = await browser.newContext(DESKTOP);
    page = await context.newPage();
    // Script errors in the page end up in the test output (a blank page is otherwise a mystery).
    page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
    await openPage(page, `${server.url}/app/login`, 'Sign in to Leadwerk');
    await page.getByLabel(/^E-mail address/).fill(server.adminEmail);
    await page.getByLabel(/^Password/).fill(server.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const count = () => page.getByTestId('contacts-count').textContent();
  const firstCell = (col: number) =>
    page
      .getByRole('table', { name: 'Contacts' })
      .locator('tbody tr')
      .first()
      .locator('td')
      .nth(col)
      .textContent();

  it('lists, searches, sorts and pages through contacts', async () => {
    await page
      .getByRole('navigation', { name: 'Main navigation' })
      .getByRole('link', { name: 'Contacts', exact: true })
      .click();
    await page.getByRole('heading', { level: 1, name: 'Contacts' }).waitFor();
    await poll(count).toBe(`${PEOPLE + 1} contacts`);
    // Newest first by default: Zoe was created last.
    await poll(() => firstCell(1)).toBe('Zoe Zimmer');
    expect(await page.getByRole('table', { name: 'Contacts' }).locator('tbody tr').count()).toBe(50);
    await expectAccessible(page, 'the contact list (English)');

    // Search by company name (free text), debounced.
    await page.getByLabel('Search').fill('maschinenbau');
    await poll(count).toBe('1 contact');
    await poll(() => firstCell(2)).toBe('zoe.zimmer@zimmer-maschinen.de');
    await page.getByLabel('Search').fill('');
    await poll(count).toBe(`${PEOPLE + 1} contacts`);

    // Sort by e-mail, ascending, then descending.
    const header = page.getByRole('table', { name: 'Contacts' }).locator('thead');
    await header.getByRole('button', { name: /^E-mail/ }).click();
    await poll(() => firstCell(2)).toBe('person00@example.org');
    await header.getByRole('button', { name: /^E-mail/ }).click();
    await poll(() => firstCell(2)).toBe('zoe.zimmer@zimmer-maschinen.de');
    await header.getByRole('button', { name: /^E-mail/ }).click();
    await poll(() => firstCell(2)).toBe('person00@example.org');

    // Keyset paging: page 2 continues where page 1 ended, and back again.
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('Page 2', { exact: true }).waitFor();
    await poll(() => firstCell(2)).toBe('person50@example.org');
    expect(await page.getByRole('table', { name: 'Contacts' }).locator('tbody tr').count()).toBe(
      PEOPLE + 1 - 50,
    );
    expect(await page.getByRole('button', { name: 'Next page' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Previous page' }).click();
    await poll(() => firstCell(2)).toBe('person00@example.org');

    // Filter by stage.
    await page.getByRole('combobox', { name: 'Lifecycle stage' }).click({ force: true });
    await page.getByRole('option', { name: 'MQL' }).click();
    await page.keyboard.press('Escape');
    await poll(count).toBe('1 contact');
    await page.getByRole('combobox', { name: 'Lifecycle stage' }).click({ force: true });
    await page.getByRole('option', { name: 'MQL' }).click();
    await page.keyboard.press('Escape');
    await poll(count).toBe(`${PEOPLE + 1} contacts`);

    // Export the ticked rows only, with the visible columns.
    await page.getByRole('checkbox', { name: 'Select Person Number 00' }).check();
    await page.getByRole('region', { name: 'Bulk actions' }).getByText('1 contact selected').waitFor();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export selected' }).click(),
    ]);
    const csv = readFileSync((await download.path()) ?? '', 'utf8').replace(/^\uFEFF/, '');
    expect(csv.trim().split(/\r?\n/)).toEqual([
      'email,first_name,last_name,company_name,lifecycle_stage,quality_score,created_at',
      expect.stringMatching(/^person00@example\.org,Person,Number 00,[^,]*,subscriber,/),
    ]);
    await page.getByRole('checkbox', { name: 'Select Person Number 00' }).uncheck();

    // The whole list: the browser follows a single-use download URL and streams the file itself.
    const [all] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    expect(all.url()).toMatch(/\/api\/v1\/contacts\/export\?token=/);
    expect(all.suggestedFilename()).toBe('contacts.csv');
    const rows = readFileSync((await all.path()) ?? '', 'utf8')
      .trim()
      .split(/\r?\n/);
    expect(rows).toHaveLength(PEOPLE + 2);
    // The link was for one download only.
    const again = await page.request.get(all.url());
    expect(again.status()).toBe(409);
  });

  it('keeps the chosen columns for the next visit', async () => {
    await page.getByRole('button', { name: 'Columns' }).click();
    await page.getByRole('checkbox', { name: 'Tags' }).check();
    // A new column comes last; move it one place to the left (before "Created").
    await page.getByRole('button', { name: 'Move Tags left' }).click();
    await expectAccessible(page, 'the column chooser (English)');
    await page.keyboard.press('Escape');
    const headers = () => page.getByRole('table', { name: 'Contacts' }).locator('thead th').allTextContents();
    await page.getByRole('table', { name: 'Contacts' }).getByRole('columnheader', { name: 'Tags' }).waitFor();
    const order = (h: string[]) => [
      h.findIndex((x) => x.startsWith('Tags')),
      h.findIndex((x) => x.startsWith('Created')),
    ];
    await poll(async () => {
      const [tags = -1, created = -1] = order(await headers());
      return tags >= 0 && tags < created;
    }).toBe(true);
    await page.reload();
    await page.getByRole('table', { name: 'Contacts' }).getByRole('columnheader', { name: 'Tags' }).waitFor();
    await page.getByText('fair-2026', { exact: true }).waitFor();
    const [tags = -1, created = -1] = order(await headers());
    expect(tags).toBeGreaterThanOrEqual(0);
    expect(tags).toBeLessThan(created);
  });

  it('opens a contact and shows its timeline, newest first', async () => {
    await page.getByRole('link', { name: 'Zoe Zimmer' }).click();
    await page.getByRole('heading', { level: 1, name: 'Zoe Zimmer' }).waitFor();
    await page.getByRole('link', { name: 'Zimmer Maschinenbau GmbH' }).waitFor();
    await expectAccessible(page, 'a contact profile (English)');

    await page.getByRole('tab', { name: 'Timeline' }).click();
    const timeline = page.getByTestId('timeline');
    await timeline.getByText('Asked for a quote for two milling machines').waitFor();
    const titles = await timeline.locator('.mantine-Timeline-itemTitle').allTextContents();
    expect(titles).toEqual(['Call', 'Contact created']);
    await expectAccessible(page, 'a contact timeline (English)');

    // A note added here appears on top.
    await page.getByRole('textbox', { name: 'Note' }).fill('Sent the brochure by post');
    await page.getByRole('button', { name: 'Add to timeline' }).click();
    await timeline.getByText('Sent the brochure by post').waitFor();
    expect((await timeline.locator('.mantine-Timeline-itemTitle').allTextContents())[0]).toBe('Note');

    await page.getByRole('tab', { name: 'Data quality' }).click();
    await page.getByTestId('quality-score').waitFor();
    // Re-confirmation: the flag says plainly that it sends no mail (nothing stale here: no mail button).
    const reconfirm = page.getByRole('region', { name: 'Re-confirmation' });
    await reconfirm.getByRole('button', { name: 'Flag for a data check' }).waitFor();
    await reconfirm
      .getByText(/^No mail is sent\. The contact is only marked “Re-confirmation requested”/)
      .waitFor();
    expect(await reconfirm.getByRole('button', { name: 'Send consent re-confirmation mail' }).count()).toBe(
      0,
    );
    await expectAccessible(page, 'the data quality of a contact (English)');
    await page.getByRole('tab', { name: 'Consents' }).click();
    expect(await page.getByRole('link', { name: 'Open the consent ledger' }).getAttribute('href')).toBe(
      `/app/privacy?contact=${zoeId}`,
    );

    // Re-permission for this one contact: the dialog says what would happen, then what did.
    await page.getByRole('button', { name: 'Send consent re-confirmation mail' }).click();
    const dialog = page.getByRole('dialog', { name: 'Ask Zoe Zimmer to re-confirm consent' });
    await dialog.getByText('The contact would get a confirmation mail.').waitFor();
    await expectAccessible(page, 'the re-permission dialog of a contact (English)');
    await dialog.getByRole('button', { name: 'Send the confirmation mail' }).click();
    await dialog.getByText('The confirmation mail is queued.').waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    // Asked again at once: the dialog tells why not.
    await page.getByRole('button', { name: 'Send consent re-confirmation mail' }).click();
    await dialog.getByText('Not asked: the contact was asked within the last 30 days.').waitFor();
    expect(await dialog.getByRole('button', { name: 'Send the confirmation mail' }).isDisabled()).toBe(true);
    await page.keyboard.press('Escape');
  });

  it('builds a segment and shows a live count', async () => {
    await openPage(page, `${server.url}/app/contacts/segments`, 'Segments');
    await page.getByRole('link', { name: 'New segment' }).click();
    await page.getByRole('heading', { level: 1, name: 'New segment' }).waitFor();
    const live = () => page.getByTestId('segment-count').textContent();
    await poll(live).toBe(`${PEOPLE + 1} contacts match`);

    // The first condition offered is "lifecycle stage is MQL".
    await page.getByRole('button', { name: 'Add condition' }).click();
    await poll(live).toBe('1 contact matches');

    // OR a nested group: e-mail ends with example.org → everybody.
    await page.locator('label', { hasText: 'Any of (OR)' }).first().click();
    await page.getByRole('button', { name: 'Add condition' }).click();
    await page.getByRole('combobox', { name: 'Condition 2: field' }).click();
    await page.getByRole('option', { name: 'E-mail', exact: true }).click();
    await page.getByRole('combobox', { name: 'Condition 2: operator' }).click();
    await page.getByRole('option', { name: 'ends with' }).click();
    await page.getByRole('textbox', { name: 'Condition 2: value' }).fill('@example.org');
    await poll(live).toBe(`${PEOPLE + 1} contacts match`);
    // NOT the whole group → nobody.
    await page.getByRole('checkbox', { name: 'NOT (exclude these)' }).first().check();
    await poll(live).toBe('0 contacts match');
    await page.getByRole('checkbox', { name: 'NOT (exclude these)' }).first().uncheck();
    await page.getByRole('button', { name: 'Remove condition 2' }).click();
    await poll(live).toBe('1 contact matches');
    // A score condition: fit of at least 0 holds for everybody (no scores yet counts as fit 0).
    await page.getByRole('button', { name: 'Add condition' }).click();
    await page.getByRole('combobox', { name: 'Condition 2: kind' }).click();
    await page.getByRole('option', { name: 'Score', exact: true }).click();
    await page.getByRole('combobox', { name: 'Condition 2: score' }).waitFor();
    await page.getByRole('textbox', { name: 'Condition 2: value' }).fill('0');
    await poll(live).toBe(`${PEOPLE + 1} contacts match`);
    await expectAccessible(page, 'the segment builder with a score condition (English)');
    await page.getByRole('button', { name: 'Remove condition 2' }).click();
    await poll(live).toBe('1 contact matches');
    await expectAccessible(page, 'the segment builder (English)');

    await page.getByLabel(/^Name/).fill('Hot MQLs');
    await page.getByRole('button', { name: 'Save segment' }).click();
    await page.getByRole('heading', { level: 1, name: 'Hot MQLs' }).waitFor();
    const saved = await api.request<{ items: { name: string; definition: unknown }[] }>(
      'GET',
      '/api/v1/segments',
      undefined,
      server.workspaceId,
    );
    expect(saved.body.items.map((s) => s.name)).toEqual(['Hot MQLs']);
    expect(saved.body.items[0]?.definition).toEqual({
      kind: 'group',
      op: 'or',
      children: [{ kind: 'field', field: 'lifecycle_stage', operator: 'eq', value: 'mql' }],
    });

    // The list filtered by the segment.
    await page.getByRole('link', { name: 'Show contacts' }).click();
    await page.getByRole('heading', { level: 1, name: 'Contacts' }).waitFor();
    await poll(count).toBe('1 contact');
  });

  it('imports a small CSV with a column mapping and shows progress and the row report', async () => {
    await openPage(page, `${server.url}/app/contacts/imports`, 'Import contacts');
    await expectAccessible(page, 'the import page (English)');
    const csv = [
      'E-Mail;Vorname;Nachname;Firma',
      'anna.alt@example.net;Anna;Alt;Alt & Co',
      'bernd.bau@example.net;Bernd;Bau;',
      'not-an-address;Kein;Mensch;',
      '',
    ].join('\r\n');
    await page.locator('input[type=file]').setInputFiles({
      name: 'messe.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(csv, 'utf8'),
    });
    await page.getByRole('button', { name: 'Upload' }).click();
    await page.getByRole('heading', { level: 2, name: 'Column mapping' }).waitFor();
    // German headers are recognised.
    expect(await page.getByRole('combobox', { name: 'Target field for E-Mail' }).inputValue()).toBe(
      'E-mail address',
    );
    expect(await page.getByRole('combobox', { name: 'Target field for Nachname' }).inputValue()).toBe(
      'Last name',
    );
    await page.getByRole('radio', { name: 'Import the valid rows' }).check();
    await expectAccessible(page, 'the column mapping (English)');
    await page.getByRole('button', { name: 'Check rows' }).click();
    // The dry run comes first; nothing is imported before "Import now".
    await page.getByTestId('import-review').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Import now' }).click();
    await poll(() => page.getByTestId('import-status').textContent(), 60_000).toBe('Import finished.');
    await page
      .getByRole('table', { name: 'Rows with errors or skipped' })
      .getByText('not-an-address')
      .waitFor();
    await expectAccessible(page, 'the import result (English)');
    const list = await api.request<{ items: { email: string }[] }>(
      'GET',
      '/api/v1/contacts?q=example.net',
      undefined,
      server.workspaceId,
    );
    expect(list.body.items.map((c) => c.email).sort()).toEqual([
      'anna.alt@example.net',
      'bernd.bau@example.net',
    ]);
  });

  it('shows companies with their contacts', async () => {
    await page
      .getByRole('navigation', { name: 'Main navigation' })
      .getByRole('link', { name: 'Companies' })
      .click();
    await page.getByRole('heading', { level: 1, name: 'Companies' }).waitFor();
    await expectAccessible(page, 'the company list (English)');
    await page.getByRole('link', { name: 'Zimmer Maschinenbau GmbH' }).click();
    await page.getByRole('heading', { level: 1, name: 'Zimmer Maschinenbau GmbH' }).waitFor();
    await page.getByRole('table', { name: 'Contacts' }).getByRole('link', { name: 'Zoe Zimmer' }).waitFor();
    await expectAccessible(page, 'a company (English)');
  });

  it('proposes a duplicate, merges it with a preview and undoes the merge', async () => {
    const dup = await api.request<{ contact: { id: string } }>(
      'POST',
      '/api/v1/contacts',
      {
        email: 'z.zimmer@example.com',
        firstName: 'Zoe',
        lastName: 'Zimmer',
        companyName: 'Zimmer Maschinenbau',
        jobTitle: 'Buyer',
      },
      server.workspaceId,
    );
    expect(dup.status, JSON.stringify(dup.body)).toBe(201);
    await openPage(page, `${server.url}/app/contacts/${zoeId}?tab=duplicates`, 'Zoe Zimmer');
    const duplicates = page.getByRole('table', { name: 'Possible duplicates' });
    await duplicates.getByText('z.zimmer@example.com').waitFor();
    await duplicates.getByText('Same name and company').waitFor();
    await expectAccessible(page, 'the duplicates of a contact (English)');
    await page.getByRole('button', { name: 'Compare and merge' }).click();
    const dialog = page.getByRole('dialog', { name: 'Merge z.zimmer@example.com into this contact' });
    await dialog.getByRole('table', { name: 'Fields that differ' }).getByText('Buyer').waitFor();
    await expectAccessible(page, 'the merge preview (English)');
    await dialog.getByRole('button', { name: 'Merge', exact: true }).click();
    await page.getByText('z.zimmer@example.com was merged into this contact').waitFor();
    await page.getByRole('button', { name: /^Undo \(until/ }).click();
    await page.getByText(/^Undone on/).waitFor();
    const back = await api.request<{ contact: { mergedIntoContactId: string | null } }>(
      'GET',
      `/api/v1/contacts/${dup.body.contact.id}`,
      undefined,
      server.workspaceId,
    );
    expect(back.body.contact.mergedIntoContactId).toBeNull();

    // The workspace-wide list proposes the pair again (the merge was undone); "not a duplicate"
    // removes it for good.
    await openPage(page, `${server.url}/app/contacts/duplicates`, 'Possible duplicates');
    const pair = page.getByTestId('duplicate-pair').filter({ hasText: 'z.zimmer@example.com' });
    await pair.getByText('Same name and company').waitFor();
    await expectAccessible(page, 'the possible duplicates (English)');
    await pair.getByRole('button', { name: /^Not a duplicate: / }).click();
    await page.getByText('No possible duplicates.').waitFor();
    const left = await api.request<{ items: unknown[] }>(
      'GET',
      '/api/v1/contacts/duplicates',
      undefined,
      server.workspaceId,
    );
    expect(left.body.items).toEqual([]);
  });

  it('sets the freshness period of the workspace (bounds checked, saved)', async () => {
    await openPage(page, `${server.url}/app/settings/workspace`, 'Workspace');
    const field = page.getByRole('textbox', { name: 'Freshness period (days)' });
    expect(await field.inputValue()).toBe('365');
    await field.fill('20');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Enter a whole number of days from 30 to 3650.').waitFor();
    await expectAccessible(page, 'the workspace settings with an error (English)');
    await field.fill('90');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Changes saved.').waitFor();
    const saved = await api.request<{ workspace: { staleAfterDays: number } }>(
      'GET',
      '/api/v1/workspace',
      undefined,
      server.workspaceId,
    );
    expect(saved.body.workspace.staleAfterDays).toBe(90);
  });

  it('is accessible in German on every page', async () => {
    await openPage(page, `${server.url}/app/contacts/fields`, 'Custom fields');
    await expectAccessible(page, 'the custom fields (English)');
    await page.getByRole('button', { name: /^(Language|Sprache):/ }).click();
    await page.getByRole('menuitem', { name: 'Deutsch' }).click();
    await page.getByRole('heading', { level: 1, name: 'Eigene Felder' }).waitFor();
    // The language menu fades out; axe would see its half-transparent items.
    await page.getByRole('menu').waitFor({ state: 'detached' });
    await expectAccessible(page, 'the custom fields (German)');

    const pages: [string, string][] = [
      ['/app/contacts', 'Kontakte'],
      [`/app/contacts/${zoeId}`, 'Zoe Zimmer'],
      [`/app/contacts/${zoeId}?tab=timeline`, 'Zoe Zimmer'],
      [`/app/contacts/${zoeId}?tab=quality`, 'Zoe Zimmer'],
      [`/app/contacts/${zoeId}?tab=consents`, 'Zoe Zimmer'],
      [`/app/contacts/${zoeId}?tab=duplicates`, 'Zoe Zimmer'],
      ['/app/contacts/duplicates', 'Mögliche Dubletten'],
      ['/app/contacts/segments', 'Segmente'],
      ['/app/contacts/segments/new', 'Neues Segment'],
      ['/app/contacts/imports', 'Kontakte importieren'],
      ['/app/companies', 'Firmen'],
      [`/app/companies/${companyId}`, 'Zimmer Maschinenbau GmbH'],
      ['/app/settings/workspace', 'Arbeitsbereich'],
    ];
    for (const [path, heading] of pages) {
      await openPage(page, `${server.url}${path}`, heading);
      // Some pages load two parts at once (two spinners): wait until none is left, whichever goes
      // first (`first()` is detached only when no spinner matches any more).
      await page
        .getByRole('status')
        .filter({ hasText: 'Wird geladen' })
        .first()
        .waitFor({ state: 'detached' });
      await expectAccessible(page, `${path} (German)`);
    }
    await openPage(page, `${server.url}/app/contacts/segments/new`, 'Neues Segment');
    await page.getByRole('button', { name: 'Bedingung hinzufügen' }).click();
    await poll(() => page.getByTestId('segment-count').textContent()).toBe('1 Kontakt passt');
    await expectAccessible(page, 'the segment builder with a condition (German)');
  });
});
