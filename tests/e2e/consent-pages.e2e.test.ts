import { rmSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestConsents } from '../../src/modules/consent/index.js';
import { upsertContactByEmail } from '../../src/modules/contacts/index.js';
import { createUnsubscribeToken } from '../../src/modules/mail/index.js';
import { type RunningLeadwerk, startLeadwerk } from '../../src/server.js';
import { testConfig } from '../support/deps.js';
import { until } from '../support/mail.js';
import { decodeMail, SmtpSink } from '../support/smtp-sink.js';
import { axeViolations, chromiumAvailable, DESKTOP, launchChromium } from './browser.js';

/*
 * The public consent pages in a real browser: confirm (GET shows a button, the click confirms),
 * thank-you, preference center, unsubscribe, expired and invalid links — each axe-clean (WCAG 2.1
 * AA) in German and English, and working under the pages' own strict CSP.
 */

async function expectAccessible(page: Page, where: string): Promise<void> {
  const violations = await axeViolations(page);
  expect(violations, `axe found WCAG 2.1 AA violations on ${where}:\n\n${violations.join('\n\n')}`).toEqual(
    [],
  );
}

describe.skipIf(!chromiumAvailable())('public consent pages in Chromium', () => {
  const sink = new SmtpSink();
  let running: RunningLeadwerk;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let dataDir: string;

  beforeAll(async () => {
    await sink.start();
    const config = testConfig({ host: '127.0.0.1', port: 0, smtpUrl: sink.url });
    dataDir = config.dataDir;
    running = await startLeadwerk({ config, api: true, worker: true, inMemory: true });
    base = running.url!;
    // Links in mails use PUBLIC_URL; the test reaches the server on its random port.
    running.deps.config.publicUrl = base;
    browser = await launchChromium();
    context = await browser.newContext(DESKTOP);
    page = await context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await running?.stop();
    await sink.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function signUp(email: string, locale: 'de' | 'en'): Promise<{ contactId: string; token: string }> {
    const { deps } = running;
    const workspaceId = running.initialAdmin.workspace!.id;
    const contactId = await deps.db.transaction().execute(async (trx) => {
      const { contact } = await upsertContactByEmail(trx, workspaceId, email, {}, deps.clock.now());
      await requestConsents(trx, deps, {
        workspaceId,
        contactId: contact.id,
        email,
        locale,
        purposes: [
          {
            purpose: 'newsletter',
            consentText: 'Newsletter <b>per E-Mail</b>, Widerruf jederzeit.',
            consentTextVersion: '1',
          },
          { purpose: 'events', consentText: 'Invitations to webinars by e-mail.', consentTextVersion: '1' },
        ],
        form: { id: null, version: null, pageUrl: 'https://example.com/', privacyNoticeVersion: '1' },
        ip: '127.0.0.1',
        userAgent: 'e2e',
      });
      return contact.id;
    });
    const mail = await until(`the mail to ${email}`, () => sink.received.find((m) => m.to.includes(email)));
    const token = /\/c\/([A-Za-z0-9_.-]+)/.exec(decodeMail(mail.raw))![1]!;
    return { contactId, token };
  }

  for (const locale of ['de', 'en'] as const) {
    it(`confirm page, thank-you page and preference center are accessible (${locale})`, async () => {
      const { token } = await signUp(`person-${locale}@example.com`, locale);
      await page.goto(`${base}/c/${token}?lang=${locale}`);
      expect(await page.evaluate(() => document.documentElement.lang)).toBe(locale);
      const button = page.getByRole('button', { name: locale === 'de' ? 'Jetzt bestätigen' : 'Confirm now' });
      await button.waitFor();
      // The requester cannot inject markup: the consent text is shown as text.
      expect(await page.locator('main b').count()).toBe(0);
      await expectAccessible(page, `the confirm page (${locale})`);

      await button.click();
      await page
        .getByRole('heading', { level: 1, name: locale === 'de' ? /Vielen Dank/ : /Thank you/ })
        .waitFor();
      await expectAccessible(page, `the thank-you page (${locale})`);

      await page
        .getByRole('link', { name: locale === 'de' ? /Einstellungen ändern/ : /Change your preferences/ })
        .click();
      await page.getByRole('heading', { level: 1 }).waitFor();
      expect(await page.getByRole('checkbox').count()).toBe(2);
      await expectAccessible(page, `the preference center (${locale})`);

      // Untick one topic and save: the page comes back with a status message.
      await page.getByRole('checkbox').first().uncheck();
      await page
        .getByRole('button', { name: locale === 'de' ? 'Auswahl speichern' : 'Save my choice' })
        .click();
      await page.getByRole('status').waitFor();
      await expectAccessible(page, `the preference center after saving (${locale})`);

      // The language switch keeps the page.
      await page.getByRole('link', { name: locale === 'de' ? 'English' : 'Deutsch' }).click();
      await expect
        .poll(() => page.evaluate(() => document.documentElement.lang))
        .toBe(locale === 'de' ? 'en' : 'de');
    });

    it(`unsubscribe page, result and invalid link are accessible (${locale})`, async () => {
      const { contactId, token } = await signUp(`unsub-${locale}@example.com`, locale);
      await page.goto(`${base}/c/${token}`);
      await page.getByRole('button').click();
      await page.getByRole('heading', { level: 1 }).waitFor();
      const workspaceId = running.initialAdmin.workspace!.id;
      const unsub = await running.deps.db.transaction().execute((trx) =>
        createUnsubscribeToken(trx, {
          workspaceId,
          contactId,
          purpose: 'newsletter',
          messageId: null,
          now: new Date(),
        }),
      );
      await page.goto(`${base}/u/${unsub}?lang=${locale}`);
      await expectAccessible(page, `the unsubscribe page (${locale})`);
      await page.getByRole('button', { name: locale === 'de' ? 'Abmelden' : 'Unsubscribe' }).click();
      await page
        .getByRole('heading', {
          level: 1,
          name: locale === 'de' ? 'Sie sind abgemeldet' : 'You are unsubscribed',
        })
        .waitFor();
      await expectAccessible(page, `the unsubscribed page (${locale})`);
      const status = await running.deps.db
        .selectFrom('consents')
        .select(['purpose', 'status'])
        .where('contact_id', '=', contactId)
        .orderBy('purpose')
        .execute();
      expect(status).toEqual([
        { purpose: 'events', status: 'confirmed' },
        { purpose: 'newsletter', status: 'withdrawn' },
      ]);

      await page.goto(`${base}/c/not-a-token?lang=${locale}`);
      await expectAccessible(page, `the invalid-link page (${locale})`);
    });
  }

  it('expired-link page offers a new mail and is accessible (de, en)', async () => {
    const { token } = await signUp('late@example.com', 'de');
    await running.deps.db
      .updateTable('consent_tokens')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('kind', '=', 'opt_in')
      .where('used_at', 'is', null)
      .execute();
    for (const locale of ['de', 'en'] as const) {
      await page.goto(`${base}/c/${token}?lang=${locale}`);
      await page
        .getByRole('button', { name: locale === 'de' ? 'Neue E-Mail anfordern' : 'Request a new e-mail' })
        .waitFor();
      await expectAccessible(page, `the expired-link page (${locale})`);
    }
  });

  it('works under its own strict CSP: styles apply, no script runs, no cookie is set', async () => {
    const strict = await browser.newContext({ ...DESKTOP, bypassCSP: false });
    const p = await strict.newPage();
    const violations: string[] = [];
    p.on('console', (m) => {
      if (/Content Security Policy|Refused/.test(m.text())) violations.push(m.text());
    });
    const { token } = await signUp('csp@example.com', 'en');
    const res = await p.goto(`${base}/c/${token}`);
    expect(res!.headers()['content-security-policy']).toContain("default-src 'none'");
    const background = await p
      .getByRole('button', { name: 'Confirm now' })
      .evaluate((b) => getComputedStyle(b).backgroundColor);
    expect(background).toBe('rgb(11, 92, 173)');
    await p.getByRole('button', { name: 'Confirm now' }).click();
    await p.getByRole('heading', { level: 1, name: /Thank you/ }).waitFor();
    expect(violations).toEqual([]);
    expect(await strict.cookies()).toEqual([]);
    await strict.close();
  });
});
