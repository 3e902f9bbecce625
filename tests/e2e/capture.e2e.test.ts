import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { type ApiSession, loginViaApi } from './api.js';
import { axeViolations, chromiumAvailable, DESKTOP, launchChromium } from './browser.js';
import { ensureUiBuilt } from './build-ui.js';

async function expectNoAxeViolations(page: Page, where: string): Promise<void> {
  const violations = await axeViolations(page);
  expect(violations, `axe found WCAG 2.1 AA violations on ${where}:\n\n${violations.join('\n\n')}`).toEqual(
    [],
  );
}

const CONTROLLER = {
  name: 'Acme GmbH',
  address: 'Hauptstraße 1, 10115 Berlin',
  email: 'privacy@acme.example',
};

async function publishForm(
  api: ApiSession,
  workspaceId: string,
  input: { slug: string; kind: string; allowedOrigins?: string[]; patch?: Record<string, unknown> },
): Promise<string> {
  const def = await api.request<{ definition: Record<string, unknown> }>(
    'GET',
    `/api/v1/form-kinds/${input.kind}/default`,
    undefined,
    workspaceId,
  );
  const created = await api.request<{ form: { id: string } }>(
    'POST',
    '/api/v1/forms',
    {
      name: input.slug,
      slug: input.slug,
      kind: input.kind,
      allowedOrigins: input.allowedOrigins ?? [],
      definition: {
        ...def.body.definition,
        controller: CONTROLLER,
        privacyNoticeUrl: 'https://acme.example/privacy',
        ...input.patch,
      },
    },
    workspaceId,
  );
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const published = await api.request(
    'POST',
    `/api/v1/forms/${created.body.form.id}/publish`,
    {},
    workspaceId,
  );
  expect(published.status, JSON.stringify(published.body)).toBe(200);
  return created.body.form.id;
}

describe.skipIf(!chromiumAvailable())('capture in the browser', () => {
  let server: TestServer;
  let foreign: Server;
  let foreignOrigin: string;
  let browser: Browser;
  let context: BrowserContext;
  let api: ApiSession;

  beforeAll(async () => {
    ensureUiBuilt();
    server = await startTestServer({ worker: false });
    api = await loginViaApi(server.url, server.adminEmail, server.adminPassword);
    // A second origin: someone else's website that embeds the form.
    foreign = createServer((req, res) => {
      const slug = new URL(req.url ?? '/', 'http://x').searchParams.get('form') ?? 'embedded';
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html lang="de"><head><meta charset="utf-8"><title>Partner-Website</title>
<style>body{font-family:serif;color:#222} input,button,label{all:unset} h2{color:red}</style></head>
<body><main><h1>Partner-Website</h1><p>Melden Sie sich an:</p>
<script src="${server.url}/embed.js" data-form="${slug}" data-lang="de" async></script></main></body></html>`);
    });
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    foreignOrigin = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}`;
    browser = await launchChromium();
    context = await browser.newContext({ ...DESKTOP, bypassCSP: false });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => foreign?.close(r));
    await server?.close();
  });

  it('hosted form: accessible in German and English, solves the proof-of-work, submits, shows the neutral answer', async () => {
    await publishForm(api, server.workspaceId, { slug: 'hosted-nl', kind: 'newsletter' });
    const page = await context.newPage();
    const cspErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });
    for (const lang of ['de', 'en'] as const) {
      await page.goto(`${server.url}/f/hosted-nl?lang=${lang}`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      expect(await page.evaluate(() => document.documentElement.lang)).toBe(lang);
      expect(await page.getByRole('checkbox', { name: /Newsletter|newsletter/ }).isChecked()).toBe(false);
    }
    // axe needs its script injected: check both languages in a context that allows it.
    const checker = await browser.newContext({ ...DESKTOP });
    const axePage = await checker.newPage();
    for (const lang of ['de', 'en'] as const) {
      await axePage.goto(`${server.url}/f/hosted-nl?lang=${lang}`);
      await axePage.getByRole('heading', { level: 1 }).waitFor();
      await expectNoAxeViolations(axePage, `the hosted form (${lang})`);
    }
    await checker.close();

    await page.goto(`${server.url}/f/hosted-nl?lang=en&utm_source=e2e&utm_campaign=browser`);
    await page.getByLabel(/^E-mail address/).fill('hosted@example.com');
    await page.getByRole('checkbox', { name: /newsletter/ }).check();
    await page.waitForTimeout(2200); // the time trap wants a human pace
    // The ALTCHA widget verifies on submit (or when ticked) before the form goes out.
    await page.getByRole('checkbox', { name: /robot/i }).click({ force: true });
    await expect
      .poll(
        async () =>
          page
            .locator('input[name="altcha"]')
            .inputValue()
            .catch(() => ''),
        { timeout: 30_000 },
      )
      .not.toBe('');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.getByRole('heading', { level: 1, name: 'Please check your inbox' }).waitFor();
    expect(cspErrors).toEqual([]);
    expect(await context.cookies()).toEqual([]);
    const forms = await api.request<{ items: { slug: string; stats: { submissions: number } }[] }>(
      'GET',
      '/api/v1/forms',
      undefined,
      server.workspaceId,
    );
    expect(forms.body.items.find((f) => f.slug === 'hosted-nl')?.stats.submissions).toBe(1);
  });

  it('embed snippet on a foreign origin: Shadow DOM, no cookies, CORS to the allowed origin, accessible', async () => {
    await publishForm(api, server.workspaceId, {
      slug: 'embedded',
      kind: 'newsletter',
      allowedOrigins: [foreignOrigin],
    });
    const page = await context.newPage();
    await page.goto(`${foreignOrigin}/?form=embedded&utm_source=partner&utm_medium=banner`);
    const host = page.locator('.leadwerk-form');
    await host.getByRole('heading', { name: 'Newsletter abonnieren' }).waitFor();
    // The host page's CSS (red h2, reset inputs) does not reach into the form.
    const color = await host
      .getByRole('heading', { name: 'Newsletter abonnieren' })
      .evaluate((el) => getComputedStyle(el).color);
    expect(color).not.toBe('rgb(255, 0, 0)');
    expect(await page.evaluate(() => !!document.querySelector('.leadwerk-form')?.shadowRoot)).toBe(true);

    const checker = await browser.newContext({ ...DESKTOP });
    const axePage = await checker.newPage();
    await axePage.goto(`${foreignOrigin}/?form=embedded`);
    await axePage.locator('.leadwerk-form').getByRole('heading').waitFor();
    await expectNoAxeViolations(axePage, 'the embedded form (de)');
    await checker.close();

    await host.getByLabel(/^E-Mail-Adresse/).fill('embedded@example.com');
    await host.getByRole('checkbox', { name: /Newsletter/ }).check();
    await page.waitForTimeout(2200);
    await host.getByRole('checkbox', { name: /Roboter/i }).click({ force: true });
    await expect
      .poll(
        async () =>
          host
            .locator('input[name="altcha"]')
            .inputValue()
            .catch(() => ''),
        { timeout: 30_000 },
      )
      .not.toBe('');
    await host.getByRole('button', { name: 'Anmelden' }).click();
    await host.getByRole('heading', { name: 'Bitte prüfen Sie Ihr Postfach' }).waitFor({ timeout: 30_000 });
    expect(await context.cookies()).toEqual([]);

    const detail = await api.request<{ items: { id: string; slug: string }[] }>(
      'GET',
      '/api/v1/forms',
      undefined,
      server.workspaceId,
    );
    const id = detail.body.items.find((f) => f.slug === 'embedded')!.id;
    const subs = await api.request<{ items: { via: string; channel: string; utm: { source: string } }[] }>(
      'GET',
      `/api/v1/forms/${id}/submissions`,
      undefined,
      server.workspaceId,
    );
    expect(subs.body.items[0]).toMatchObject({ via: 'embed', channel: 'banner', utm: { source: 'partner' } });
  });

  it('form builder: create, refuse a newsletter form with a required extra field, preview, publish; accessible in both languages', async () => {
    const page = await (await browser.newContext({ ...DESKTOP })).newPage();
    await page.goto(`${server.url}/app/login`);
    await page.getByLabel(/^E-mail address/).fill(server.adminEmail);
    await page.getByLabel(/^Password/).fill(server.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor();
    await page.getByRole('navigation').getByRole('link', { name: 'Forms', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Forms' }).waitFor();
    await expectNoAxeViolations(page, 'the forms list (English)');

    await page.getByRole('button', { name: 'New form' }).click();
    await page.getByLabel(/^Name/).fill('Builder Newsletter');
    await page.getByLabel(/^Address/).fill('builder-nl');
    await page.getByRole('button', { name: 'Create form' }).click();
    await page.getByRole('heading', { level: 1, name: 'Builder Newsletter' }).waitFor();
    await page
      .getByRole('region', { name: 'Preview' })
      .getByText('Subscribe to the newsletter')
      .first()
      .waitFor()
      .catch(() => {});
    await expectNoAxeViolations(page, 'the form builder (English)');

    // A required company field on a newsletter form is refused with the stable code.
    await page.getByRole('combobox', { name: 'Field type' }).click();
    await page.getByRole('option', { name: 'Company' }).click();
    await page.getByRole('button', { name: 'Add field' }).click();
    await page.getByRole('switch', { name: 'Required' }).last().check({ force: true });
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByRole('alert').filter({ hasText: 'FORM_NEWSLETTER_REQUIRES_ONLY_EMAIL' }).waitFor();

    await page.getByRole('switch', { name: 'Required' }).last().uncheck({ force: true });
    await page.getByRole('tab', { name: 'Texts & privacy' }).click();
    await page.getByLabel('Controller', { exact: true }).fill('Acme GmbH');
    await page.getByLabel('Privacy notice (URL)').fill('https://acme.example/privacy');
    await page.getByRole('button', { name: 'Save and publish' }).click();
    await page.getByText('Live: version 1').waitFor();

    await page.getByRole('button', { name: /^(Language|Sprache):/ }).click();
    await page.getByRole('menuitem', { name: 'Deutsch' }).click();
    await page.getByRole('tab', { name: 'Felder' }).waitFor();
    await expectNoAxeViolations(page, 'the form builder (German)');
  }, 180_000);

  it('shows the paused-mails banner on every admin page (not only Forms), accessible in both languages; resuming clears it', async () => {
    const now = new Date();
    await server.db
      .insertInto('capture_circuit_breakers')
      .values({
        scope: `workspace:${server.workspaceId}`,
        workspace_id: server.workspaceId,
        opened_at: now,
        closes_at: new Date(now.getTime() + 3_600_000),
        reason: 'form-limit:e2e-wave',
        trips: 1,
      })
      .execute();
    const page = await (await browser.newContext({ ...DESKTOP })).newPage();
    await page.goto(`${server.url}/app/login`);
    await page.getByLabel(/^E-mail address/).fill(server.adminEmail);
    await page.getByLabel(/^Password/).fill(server.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor();
    const banner = page.getByTestId('capture-breaker');
    await banner.getByText('Confirmation mails are paused', { exact: true }).waitFor();
    expect(await banner.textContent()).toContain('form-limit:e2e-wave');
    await expectNoAxeViolations(page, 'the dashboard with the paused-mails banner (English)');
    await page.getByRole('navigation').getByRole('link', { name: 'Contacts', exact: true }).click();
    await page.waitForURL(/\/app\/contacts/);
    await banner.waitFor();

    await page.getByRole('button', { name: /^(Language|Sprache):/ }).click();
    await page.getByRole('menuitem', { name: 'Deutsch' }).click();
    await banner.getByText('Bestätigungsmails sind pausiert', { exact: true }).waitFor();
    await expectNoAxeViolations(page, 'the contacts page with the paused-mails banner (German)');
    await banner.getByRole('button', { name: 'Fortsetzen und zurückgehaltene Bestätigungen senden' }).click();
    await banner.waitFor({ state: 'detached' });
  }, 180_000);
});
