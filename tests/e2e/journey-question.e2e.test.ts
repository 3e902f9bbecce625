import { rmSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQuestionToken } from '../../src/modules/journeys/question.js';
import { type RunningLeadwerk, startLeadwerk } from '../../src/server.js';
import { newId } from '../../src/shared/ids.js';
import { testConfig } from '../support/deps.js';
import { type ApiSession, loginViaApi } from './api.js';
import { axeViolations, chromiumAvailable, DESKTOP, launchChromium } from './browser.js';

/*
 * The public answer page of a journey question (`/q?t=`) in a real browser, under its strict CSP
 * and with no script of its own (only axe is injected): the question in German and English, answered by keyboard-reachable radio
 * buttons and a plain form post, the thank-you page and an invalid link — each axe-clean.
 */

async function expectAccessible(page: Page, where: string): Promise<void> {
  const violations = await axeViolations(page);
  expect(violations, `axe found WCAG 2.1 AA violations on ${where}:\n\n${violations.join('\n\n')}`).toEqual(
    [],
  );
}

describe.skipIf(!chromiumAvailable())('journey question page in Chromium', () => {
  let running: RunningLeadwerk;
  let base: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let dataDir: string;
  let api: ApiSession;

  beforeAll(async () => {
    const adminEmail = 'admin@example.com';
    const adminPassword = 'correct horse battery staple';
    const config = testConfig({ adminEmail, adminPassword, host: '127.0.0.1', port: 0 });
    dataDir = config.dataDir;
    running = await startLeadwerk({ config, api: true, worker: false, inMemory: true });
    base = running.url!.replace('[::1]', 'localhost');
    api = await loginViaApi(base, adminEmail, adminPassword);
    browser = await launchChromium();
    context = await browser.newContext(DESKTOP);
    page = await context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await running?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows the question, takes the answer by a plain form post, thanks; axe-clean in German and English', async () => {
    const ws = running.initialAdmin.workspace!.id;
    // The mail itself is not sent here (no worker): the page needs only the published step.
    const templateId = newId();
    const journey = await api.request<{ journey: { id: string } }>(
      'POST',
      '/api/v1/journeys',
      {
        name: 'Profiling',
        definition: {
          trigger: { type: 'manual' },
          timeZone: 'Europe/Berlin',
          startStepId: 'ask',
          steps: [
            {
              id: 'ask',
              type: 'ask-question',
              templateId,
              purpose: 'newsletter',
              question: { de: 'Wer entscheidet über die Anschaffung?', en: 'Who decides on the purchase?' },
              answer: { kind: 'bant', field: 'authority' },
              next: null,
            },
          ],
          goals: [],
          exitRules: [],
          reentry: { policy: 'never' },
        },
      },
      ws,
    );
    expect(journey.status, JSON.stringify(journey.body)).toBe(201);
    const journeyId = journey.body.journey.id;
    const activated = await api.request('POST', `/api/v1/journeys/${journeyId}/activate`, undefined, ws);
    expect(activated.status, JSON.stringify(activated.body)).toBe(200);

    async function linkFor(email: string, locale: 'de' | 'en') {
      const contact = await api.request<{ contact: { id: string } }>(
        'POST',
        '/api/v1/contacts',
        { email, locale },
        ws,
      );
      expect(contact.status, JSON.stringify(contact.body)).toBe(201);
      const token = createQuestionToken(running.deps.config.secretKey, {
        workspaceId: ws,
        contactId: contact.body.contact.id,
        journeyId,
        version: 1,
        stepId: 'ask',
        enrollmentId: newId(),
        expiresAt: new Date(Date.now() + 86_400_000),
      });
      return { url: `${base}/q?t=${token}`, contactId: contact.body.contact.id };
    }

    for (const [locale, email, thanks] of [
      ['de', 'greta@example.org', 'Danke für Ihre Antwort'],
      ['en', 'ed@example.org', 'Thank you for your answer'],
    ] as const) {
      const { url, contactId } = await linkFor(email, locale);
      await page.goto(url);
      expect(await page.locator('html').getAttribute('lang')).toBe(locale);
      expect(await page.locator('script').count()).toBe(0);
      await expectAccessible(page, `the question page (${locale})`);
      // Keyboard: the first choice takes focus, space selects it, the button submits.
      await page.getByRole('radio').first().focus();
      await page.keyboard.press('Space');
      await page.getByRole('button').click();
      await page.waitForLoadState();
      expect(await page.locator('h1').textContent()).toBe(thanks);
      await expectAccessible(page, `the thank-you page (${locale})`);
      const bant = await running.deps.db
        .selectFrom('bant_answers')
        .select(['value', 'source'])
        .where('contact_id', '=', contactId)
        .executeTakeFirstOrThrow();
      expect(bant).toMatchObject({ value: { role: 'decision_maker' }, source: 'journey' });
    }

    await page.goto(`${base}/q?t=forged.link&lang=en`);
    expect(await page.locator('h1').textContent()).toBe('Invalid link');
    await expectAccessible(page, 'the invalid-link page');
  });
});
