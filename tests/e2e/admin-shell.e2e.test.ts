import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { loginViaApi } from './api.js';
import { axeViolations, chromiumAvailable, DESKTOP, launchChromium } from './browser.js';
import { ensureUiBuilt } from './build-ui.js';

const SECOND_WORKSPACE = { name: 'Zweite Agentur GmbH', slug: 'zweite-agentur', defaultLocale: 'de' };

async function expectNoAxeViolations(page: Page, where: string): Promise<void> {
  const violations = await axeViolations(page);
  expect(violations, `axe found WCAG 2.1 AA violations on ${where}:\n\n${violations.join('\n\n')}`).toEqual(
    [],
  );
}

async function htmlLang(page: Page): Promise<string> {
  return page.evaluate(() => document.documentElement.lang);
}

async function chooseLanguage(page: Page, language: 'Deutsch' | 'English'): Promise<void> {
  await page.getByRole('button', { name: /^(Language|Sprache):/ }).click();
  await page.getByRole('menuitem', { name: language }).click();
  await page.getByRole('menu').waitFor({ state: 'detached' });
}

describe.skipIf(!chromiumAvailable())('admin UI shell', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let secondWorkspaceId: string;

  beforeAll(async () => {
    ensureUiBuilt();
    server = await startTestServer({ worker: false });
    const api = await loginViaApi(server.url, server.adminEmail, server.adminPassword);
    const created = await api.request<{ workspace: { id: string } }>(
      'POST',
      '/api/v1/workspaces',
      SECOND_WORKSPACE,
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    secondWorkspaceId = created.body.workspace.id;
    browser = await launchChromium();
    context = await browser.newContext(DESKTOP);
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('redirects to an accessible login page, in English for an English browser', async () => {
    await page.goto(`${server.url}/`);
    await expect.poll(() => new URL(page.url()).pathname).toBe('/app/login');
    await expect
      .poll(() => page.getByRole('heading', { level: 1 }).textContent())
      .toBe('Sign in to Leadwerk');
    expect(await htmlLang(page)).toBe('en');
    expect(await page.title()).toContain('Leadwerk');
    await expectNoAxeViolations(page, 'the login page (English)');
  });

  it('switches the login page to German and back', async () => {
    await chooseLanguage(page, 'Deutsch');
    await page.getByRole('heading', { level: 1, name: 'Bei Leadwerk anmelden' }).waitFor();
    expect(await htmlLang(page)).toBe('de');
    expect(await page.getByLabel(/^E-Mail-Adresse/).count()).toBe(1);
    await expectNoAxeViolations(page, 'the login page (German)');

    await chooseLanguage(page, 'English');
    await page.getByRole('heading', { level: 1, name: 'Sign in to Leadwerk' }).waitFor();
    expect(await htmlLang(page)).toBe('en');
  });

  it('shows inline field errors and the server message for wrong credentials', async () => {
    await page.getByRole('button', { name: 'Sign in' }).click();
    const email = page.getByLabel(/^E-mail address/);
    await expect.poll(() => email.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByText('This field is required.').count()).toBe(2);

    await email.fill(server.adminEmail);
    await page.getByLabel(/^Password/).fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Sign-in failed' });
    await alert.waitFor();
    expect(await alert.textContent()).toContain('E-mail address or password is wrong.');
  });

  it('logs in and shows the shell with landmarks, navigation and one h1', async () => {
    await page.getByLabel(/^E-mail address/).fill(server.adminEmail);
    await page.getByLabel(/^Password/).fill(server.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor();
    expect(new URL(page.url()).pathname).toMatch(/^\/app\/?$/);
    expect(await page.getByRole('banner').getByText('Leadwerk', { exact: true }).count()).toBe(1);
    const nav = page.getByRole('navigation', { name: 'Main navigation' });
    for (const label of [
      'Dashboard',
      'Contacts',
      'Companies',
      'Forms',
      'E-mails',
      'Journeys',
      'Events',
      'Reports',
    ]) {
      expect(await nav.getByRole('link', { name: label, exact: true }).count(), label).toBe(1);
    }
    for (const label of ['Privacy', 'Members', 'API keys', 'Audit log', 'Jobs', 'Workspace']) {
      expect(await nav.getByRole('link', { name: label, exact: true }).count(), label).toBe(1);
    }
    expect(await nav.getByRole('link', { name: /^Leads/ }).count()).toBe(1);
    expect(await page.getByRole('main').count()).toBe(1);
    expect(await page.getByRole('heading', { level: 1 }).count()).toBe(1);
    await page.getByText('Queued', { exact: true }).waitFor();
    await expectNoAxeViolations(page, 'the dashboard (English)');
  });

  it('offers a skip link as the first stop for keyboard users', async () => {
    await page.reload();
    await page.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor();
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => ({
      text: document.activeElement?.textContent,
      href: document.activeElement?.getAttribute('href'),
    }));
    expect(focused).toEqual({ text: 'Skip to main content', href: '#main-content' });
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main-content');
  });

  it('shows a friendly "coming soon" page for modules that are not built yet', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Reports', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Reports' }).waitFor();
    expect(await page.getByRole('heading', { level: 2, name: 'Coming soon' }).count()).toBe(1);
    expect(await page.title()).toBe('Reports · Leadwerk');
    // Screen readers hear about the page change.
    await expect.poll(() => page.getByTestId('route-announcer').textContent()).toBe('Reports · Leadwerk');
    await page.getByRole('link', { name: 'Back to the dashboard' }).click();
    await page.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor();
  });

  it('switches the workspace and sends its id with every API call', async () => {
    const switcher = page.getByRole('button', { name: /^Workspace:/ });
    await switcher.click();
    const summaryRequest = page.waitForRequest(
      (r) => r.url().includes('/api/v1/jobs/summary') && r.headers()['x-workspace-id'] === secondWorkspaceId,
    );
    await page.getByRole('menuitem', { name: SECOND_WORKSPACE.name }).click();

    await summaryRequest;
    await expect.poll(() => switcher.textContent()).toContain(SECOND_WORKSPACE.name);
    expect(await page.getByTestId('dashboard-workspace').textContent()).toContain(SECOND_WORKSPACE.name);
    expect(await page.evaluate(() => localStorage.getItem('leadwerk.workspaceId'))).toBe(secondWorkspaceId);

    // The choice survives a reload.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor();
    await expect.poll(() => switcher.textContent()).toContain(SECOND_WORKSPACE.name);
  });

  it('switches the language to German, saves it in the profile, and back to English', async () => {
    const saved = page.waitForRequest((r) => r.url().endsWith('/api/v1/me') && r.method() === 'PATCH');
    await chooseLanguage(page, 'Deutsch');
    expect((await saved).postDataJSON()).toEqual({ locale: 'de' });
    expect((await saved).headers()['x-csrf-token']).toBeTruthy();

    await page.getByRole('heading', { level: 1, name: /^Willkommen/ }).waitFor();
    expect(await htmlLang(page)).toBe('de');
    const nav = page.getByRole('navigation', { name: 'Hauptnavigation' });
    expect(await nav.getByRole('link', { name: 'Kontakte', exact: true }).count()).toBe(1);
    expect(await nav.getByRole('link', { name: 'Contacts', exact: true }).count()).toBe(0);
    await page.getByText('Wartend', { exact: true }).waitFor();
    await expectNoAxeViolations(page, 'the dashboard (German)');

    await nav.getByRole('link', { name: 'Berichte', exact: true }).click();
    await page.getByRole('heading', { level: 2, name: 'Kommt bald' }).waitFor();
    await expectNoAxeViolations(page, 'a coming-soon page (German)');

    // The choice is kept in the browser.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Berichte' }).waitFor();
    expect(await htmlLang(page)).toBe('de');

    await chooseLanguage(page, 'English');
    await page.getByRole('heading', { level: 1, name: 'Reports' }).waitFor();
    expect(await htmlLang(page)).toBe('en');
    await expectNoAxeViolations(page, 'a coming-soon page (English)');
  });

  it('logs out, and the session is gone after a reload', async () => {
    await page.getByTestId('user-menu').click();
    await page.getByRole('menuitem', { name: 'Log out' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sign in to Leadwerk' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/app/login');

    await page.goto(`${server.url}/app/settings/members`);
    await page.getByRole('heading', { level: 1, name: 'Sign in to Leadwerk' }).waitFor();
  });

  it('starts in German for a German browser', async () => {
    const german = await browser.newContext({ ...DESKTOP, locale: 'de-DE' });
    try {
      const p = await german.newPage();
      await p.goto(`${server.url}/app/`);
      await p.getByRole('heading', { level: 1, name: 'Bei Leadwerk anmelden' }).waitFor();
      expect(await htmlLang(p)).toBe('de');
    } finally {
      await german.close();
    }
  });

  it('runs under the server’s Content Security Policy', async () => {
    const strict = await browser.newContext({ ...DESKTOP, bypassCSP: false });
    try {
      const p = await strict.newPage();
      const cspErrors: string[] = [];
      p.on('console', (m) => {
        if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
      });
      await p.goto(`${server.url}/app/login`);
      await p.getByRole('heading', { level: 1, name: 'Sign in to Leadwerk' }).waitFor();
      expect(cspErrors).toEqual([]);
    } finally {
      await strict.close();
    }
  });
});
