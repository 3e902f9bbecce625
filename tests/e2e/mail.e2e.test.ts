import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { loginViaApi } from './api.js';
import { axeViolations, chromiumAvailable, DESKTOP, launchChromium } from './browser.js';
import { ensureUiBuilt } from './build-ui.js';

/*
 * The mail pages of the admin UI (web/src/mail/): the template editor with its live preview at
 * desktop and mobile width, a test send, and the outbox shown like a mail client — axe-clean in
 * English and German.
 */

async function expectAccessible(page: Page, where: string): Promise<void> {
  const violations = await axeViolations(page);
  expect(violations, `axe found WCAG 2.1 AA violations on ${where}:\n\n${violations.join('\n\n')}`).toEqual(
    [],
  );
}

async function frameText(page: Page, title: RegExp): Promise<string> {
  const handle = await page.getByTitle(title).elementHandle();
  const frame = (await handle?.contentFrame()) as Frame;
  return (await frame.textContent('body')) ?? '';
}

const BODY = `<mj-section background-color="#ffffff"><mj-column>
  <mj-text><h1>Hallo {{ contact.first_name | default: "zusammen" }}</h1><p>Unser Herbstangebot für {{ contact.company_name }}.</p></mj-text>
  <mj-button href="https://acme.example/angebot">Angebot ansehen</mj-button>
</mj-column></mj-section>`;

describe.skipIf(!chromiumAvailable())('Mail pages', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let templateId: string;
  let api: Awaited<ReturnType<typeof loginViaApi>>;

  beforeAll(async () => {
    ensureUiBuilt();
    server = await startTestServer({ worker: true });
    api = await loginViaApi(server.url, server.adminEmail, server.adminPassword);
    const settings = await api.request(
      'PUT',
      '/api/v1/mail/settings',
      {
        fromName: 'Acme News',
        fromEmail: 'news@acme.example',
        imprint: 'Acme GmbH\nMusterstraße 1, 10115 Berlin\nHRB 12345 B, Amtsgericht Charlottenburg',
      },
      server.workspaceId,
    );
    expect(settings.status, JSON.stringify(settings.body)).toBe(200);
    const created = await api.request<{ template: { id: string } }>(
      'POST',
      '/api/v1/mail/templates',
      {
        name: 'Herbst-Newsletter',
        kind: 'marketing',
        purpose: 'newsletter',
        variants: {
          de: {
            subject: 'Herbstangebot für {{ contact.first_name }}',
            preheader: 'Nur bis Ende Oktober',
            bodyMjml: BODY,
          },
        },
      },
      server.workspaceId,
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    templateId = created.body.template.id;
    browser = await launchChromium();
    context = await browser.newContext(DESKTOP);
    page = await context.newPage();
    await page.goto(`${server.url}/app/login`);
    await page.getByLabel(/^E-mail address/).fill(server.adminEmail);
    await page.getByLabel(/^Password/).fill(server.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('lists the templates', async () => {
    await page
      .getByRole('navigation', { name: 'Main navigation' })
      .getByRole('link', { name: 'E-mails', exact: true })
      .click();
    await page.getByRole('heading', { level: 1, name: 'E-mails' }).waitFor();
    await page.getByRole('link', { name: 'Herbst-Newsletter' }).waitFor();
    await expectAccessible(page, 'the template list');
  });

  it('edits a template with a live preview at desktop and mobile width', async () => {
    await page.getByRole('link', { name: 'Herbst-Newsletter' }).click();
    await page.getByRole('heading', { level: 1, name: 'Herbst-Newsletter' }).waitFor();
    const desktop = /Preview of the mail at desktop width/;
    await page.getByTitle(desktop).waitFor();
    await expect.poll(() => frameText(page, desktop)).toContain('Hallo Anna');
    expect(await frameText(page, desktop)).toContain('Musterstraße 1');
    await page.getByText('Subject: Herbstangebot für Anna').waitFor();
    expect((await page.getByTitle(desktop).boundingBox())?.width).toBe(640);

    // Typing updates the preview.
    const body = page.getByLabel(/^Body \(MJML\)/);
    await body.fill(BODY.replace('Herbstangebot', 'Winterangebot'));
    await expect.poll(() => frameText(page, desktop)).toContain('Winterangebot');

    await page.getByText('Mobile', { exact: true }).click();
    const mobile = /Preview of the mail at mobile width/;
    await page.getByTitle(mobile).waitFor();
    expect((await page.getByTitle(mobile).boundingBox())?.width).toBe(375);
    await expectAccessible(page, 'the template editor');

    const answer = page.waitForResponse(
      (r) => r.url().includes('/api/v1/mail/templates/') && r.request().method() === 'PATCH',
    );
    await page.getByRole('button', { name: 'Save' }).click();
    expect((await answer).status()).toBe(200);
    await page.getByText('Changes saved.').last().waitFor();
  });

  it('sends a test mail to the user and shows it in the outbox like a mail client', async () => {
    await page.getByRole('button', { name: 'Send test to me' }).click();
    await page.getByText(`Test mail sent to ${server.adminEmail}.`).waitFor();
    await page.getByRole('tab', { name: 'Outbox' }).click();
    await page.getByRole('heading', { level: 1, name: 'Outbox' }).waitFor();
    const item = page
      .getByRole('navigation', { name: 'Mails in the outbox' })
      .getByRole('link', { name: /Herbstangebot für Anna/ });
    await item.waitFor({ timeout: 20_000 }).catch(async () => {
      await page.reload();
      await item.waitFor({ timeout: 20_000 });
    });
    await item.click();
    const viewer = page.getByRole('region', { name: 'Opened mail' });
    await viewer.getByRole('heading', { name: 'Herbstangebot für Anna' }).waitFor();
    await expect.poll(() => frameText(page, /HTML part of/)).toContain('Winterangebot');
    await viewer.getByRole('tab', { name: 'Text' }).click();
    await viewer
      .getByText(/Vom Empfang abmelden/)
      .first()
      .waitFor();
    await viewer.getByRole('tab', { name: 'Headers' }).click();
    await viewer.getByRole('cell', { name: 'Message-ID' }).waitFor();
    await viewer.getByRole('cell', { name: 'X-Leadwerk-Test' }).waitFor();
    await expectAccessible(page, 'the outbox');
  });

  it('shows the message log, suppression list, sending domains and settings, accessibly', async () => {
    for (const [tab, heading] of [
      ['Message log', 'Message log'],
      ['Suppression list', 'Suppression list'],
      ['Sending domains', 'Sending domains'],
      ['Settings', 'Mail settings'],
    ] as const) {
      await page.getByRole('tab', { name: tab }).click();
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await expectAccessible(page, `the ${heading} page`);
    }
  });

  it('limits the rate for single receiving domains in the settings', async () => {
    await page.getByRole('button', { name: 'Add a domain limit' }).click();
    await page.getByRole('textbox', { name: 'Receiving domain', exact: true }).fill('gmx.de');
    await page.getByRole('textbox', { name: 'Mails per minute for gmx.de', exact: true }).fill('60');
    await expectAccessible(page, 'the mail settings with a domain limit');
    // Wait for this save's answer: an earlier test's "Changes saved." may still be on screen.
    const answer = page.waitForResponse(
      (r) => r.url().endsWith('/api/v1/mail/settings') && r.request().method() === 'PUT',
    );
    await page.getByRole('button', { name: 'Save' }).click();
    expect((await answer).status()).toBe(200);
    await page.getByText('Changes saved.').last().waitFor();
    const saved = await api.request<{ settings: { domainRates: Record<string, number> } }>(
      'GET',
      '/api/v1/mail/settings',
      undefined,
      server.workspaceId,
    );
    expect(saved.body.settings.domainRates).toEqual({ 'gmx.de': 60 });
  });

  it('suppresses an address, shows the skipped mail with its reason in the log, and removes the entry', async () => {
    await page.getByRole('tab', { name: 'Suppression list' }).click();
    await page.getByRole('heading', { level: 1, name: 'Suppression list' }).waitFor();
    const add = page.getByRole('region', { name: 'Add an address' });
    await add.getByLabel(/^E-mail address/).fill(server.adminEmail);
    await add.getByLabel(/^Note/).fill('asked by phone, 23 Nov');
    await add.getByRole('button', { name: 'Add to the list' }).click();
    await page.getByText('Added to the suppression list.').waitFor();
    const row = page.getByRole('row', { name: /asked by phone, 23 Nov/ });
    await row.waitFor();
    await expectAccessible(page, 'the suppression list with an entry');

    // A mail to a suppressed address is not sent, and the log says why.
    const test = await api.request<{ messageId: string }>(
      'POST',
      `/api/v1/mail/templates/${templateId}/test`,
      { locale: 'de' },
      server.workspaceId,
    );
    expect(test.status).toBe(202);
    await page.getByRole('tab', { name: 'Message log' }).click();
    await page.getByRole('heading', { level: 1, name: 'Message log' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Message log' }).waitFor();
    const skipped = page.getByRole('row', { name: /Address is on the suppression list/ });
    await skipped.waitFor();
    await skipped.getByRole('button', { name: server.adminEmail }).click();
    const drawer = page.getByRole('dialog', { name: 'Message' });
    await drawer.getByText('Address is on the suppression list').first().waitFor();
    await expectAccessible(page, 'the message log with a skipped mail');
    await page.keyboard.press('Escape');

    await page.getByRole('tab', { name: 'Suppression list' }).click();
    await row.getByRole('button', { name: 'Remove' }).click();
    await page
      .getByRole('dialog', { name: 'Remove this entry?' })
      .getByRole('button', { name: 'Remove' })
      .click();
    await row.waitFor({ state: 'detached' });
    const audit = await api.request<{ items: { action: string }[] }>(
      'GET',
      '/api/v1/audit-log',
      undefined,
      server.workspaceId,
    );
    const actions = audit.body.items.map((i) => i.action);
    expect(actions).toContain('suppression.added');
    expect(actions).toContain('suppression.removed');
  });

  it('speaks German on every mail page, accessibly', async () => {
    await page.getByRole('button', { name: /^Language:/ }).click();
    await page.getByRole('menuitem', { name: 'Deutsch' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sperrliste' }).waitFor();
    for (const [tab, heading] of [
      ['Vorlagen', 'E-Mails'],
      ['Postausgang', 'Postausgang'],
      ['Versandprotokoll', 'Versandprotokoll'],
      ['Sperrliste', 'Sperrliste'],
      ['Absender-Domains', 'Absender-Domains'],
      ['Einstellungen', 'Mail-Einstellungen'],
    ] as const) {
      await page.getByRole('tab', { name: tab }).click();
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await expectAccessible(page, `the ${heading} page (German)`);
    }
    await page.goto(`${server.url}/app/emails/templates/${templateId}`);
    await page.getByTitle(/Vorschau der Mail in Desktop-Breite/).waitFor();
    await expectAccessible(page, 'the template editor (German)');
  });
});
