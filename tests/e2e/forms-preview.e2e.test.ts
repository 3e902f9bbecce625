import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { type ApiSession, loginViaApi } from './api.js';
import { axeViolations, chromiumAvailable, DESKTOP, launchChromium } from './browser.js';
import { ensureUiBuilt } from './build-ui.js';

/*
 * The form builder's preview shows a BANT question's fixed choices (the server's list) as soon as
 * the field is added — before the draft is saved — in both preview languages, axe-clean.
 */

async function optionsOf(page: Page, name: RegExp): Promise<string[]> {
  const select = page.getByRole('region', { name: /^(Preview|Vorschau)$/ }).getByRole('combobox', { name });
  return select.locator('option').evaluateAll((els) => els.map((e) => (e.textContent ?? '').trim()));
}

describe.skipIf(!chromiumAvailable())('form builder preview', () => {
  let server: TestServer;
  let api: ApiSession;
  let browser: Browser;
  let formId = '';

  beforeAll(async () => {
    ensureUiBuilt();
    server = await startTestServer({ worker: false });
    api = await loginViaApi(server.url, server.adminEmail, server.adminPassword);
    const def = await api.request<{ definition: Record<string, unknown> }>(
      'GET',
      '/api/v1/form-kinds/contact_request/default',
      undefined,
      server.workspaceId,
    );
    const created = await api.request<{ form: { id: string } }>(
      'POST',
      '/api/v1/forms',
      { name: 'Rückruf', slug: 'rueckruf', kind: 'contact_request', definition: def.body.definition },
      server.workspaceId,
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    formId = created.body.form.id;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("previews a BANT question's fixed choices before the draft is saved", async () => {
    const page = await (await browser.newContext({ ...DESKTOP })).newPage();
    await page.goto(`${server.url}/app/login`);
    await page.getByLabel(/^E-mail address/).fill(server.adminEmail);
    await page.getByLabel(/^Password/).fill(server.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor();
    await page.goto(`${server.url}/app/forms/${formId}`);
    await page.getByRole('heading', { level: 1, name: 'Rückruf' }).waitFor();

    await page.getByRole('combobox', { name: 'Field type' }).click();
    await page.getByRole('option', { name: 'Qualification: role in the decision' }).click();
    await page.getByRole('button', { name: 'Add field' }).click();

    const language = page.getByRole('radiogroup', { name: 'Preview language' });
    await language.getByText('Deutsch', { exact: true }).click();
    await expect
      .poll(() => optionsOf(page, /^Qualifizierung: Rolle bei der Entscheidung/))
      .toEqual([
        '',
        'Ich entscheide',
        'Ich berate die Entscheidung',
        'Ich nutze die Lösung',
        'Weiß ich nicht',
      ]);
    await language.getByText('English', { exact: true }).click();
    await expect
      .poll(() => optionsOf(page, /^Qualification: role in the decision/))
      .toEqual(['', 'I decide', 'I advise on the decision', 'I use the solution', "I don't know"]);
    const violations = await axeViolations(page);
    expect(violations, violations.join('\n\n')).toEqual([]);

    // Nothing was saved: the choices came from the server's list, not from the draft.
    const stored = await api.request<{ draft: { fields: { type: string }[] } }>(
      'GET',
      `/api/v1/forms/${formId}`,
      undefined,
      server.workspaceId,
    );
    expect(stored.body.draft.fields.some((f) => f.type === 'bant_authority')).toBe(false);
  }, 120_000);
});
