import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { type ApiSession, loginViaApi } from './api.js';
import { axeViolations, chromiumAvailable, DESKTOP, launchChromium } from './browser.js';
import { ensureUiBuilt } from './build-ui.js';

/*
 * Journeys and events in the admin UI: the list, a journey's flow diagram (@xyflow/react) with live
 * per-step numbers, activating it, a test run on a simulated clock, and the events list — axe-clean.
 * (The visual editor for building journeys is not there yet: journeys are built through the API.)
 */

async function expectAccessible(page: Page, where: string): Promise<void> {
  const violations = await axeViolations(page);
  expect(violations, `axe found WCAG 2.1 AA violations on ${where}:\n\n${violations.join('\n\n')}`).toEqual(
    [],
  );
}

const poll = <T>(fn: () => Promise<T> | T, timeout = 30_000) => expect.poll(fn, { timeout });

describe.skipIf(!chromiumAvailable())('Journey pages', () => {
  let server: TestServer;
  let api: ApiSession;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let journeyId = '';
  let contactId = '';

  beforeAll(async () => {
    ensureUiBuilt();
    server = await startTestServer({ worker: true });
    api = await loginViaApi(server.url, server.adminEmail, server.adminPassword);
    const ws = server.workspaceId;
    const contact = await api.request<{ contact: { id: string } }>(
      'POST',
      '/api/v1/contacts',
      { email: 'jana@example.org', firstName: 'Jana' },
      ws,
    );
    expect(contact.status, JSON.stringify(contact.body)).toBe(201);
    contactId = contact.body.contact.id;
    const created = await api.request<{ journey: { id: string } }>(
      'POST',
      '/api/v1/journeys',
      {
        name: 'Willkommen',
        definition: {
          trigger: { type: 'manual' },
          timeZone: 'Europe/Berlin',
          startStepId: 'tag',
          steps: [
            { id: 'tag', label: 'Tag new', type: 'update-contact', addTags: ['new'], next: 'wait' },
            {
              id: 'wait',
              label: 'Wait 3 days',
              type: 'wait',
              wait: { kind: 'duration', duration: { days: 3 } },
              next: 'vip',
            },
            {
              id: 'vip',
              label: 'VIP?',
              type: 'branch',
              condition: { type: 'tag', tag: 'vip' },
              yes: null,
              no: null,
            },
          ],
          goals: [],
          exitRules: [],
          reentry: { policy: 'never' },
        },
      },
      ws,
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    journeyId = created.body.journey.id;
    await api.request(
      'POST',
      '/api/v1/events',
      {
        title: 'Webinar Instandhaltung',
        startsAt: '2030-05-12T14:00:00Z',
        endsAt: '2030-05-12T15:00:00Z',
        timeZone: 'Europe/Berlin',
        onlineUrl: 'https://webinar.example.org/r/1',
        capacity: 50,
      },
      ws,
    );
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

  it('shows the journey as a diagram, activates it, shows live numbers and runs a test', async () => {
    await page
      .getByRole('navigation', { name: 'Main navigation' })
      .getByRole('link', { name: 'Journeys', exact: true })
      .click();
    await page.getByRole('heading', { level: 1, name: 'Journeys' }).waitFor();
    await expectAccessible(page, 'the journeys list');
    await page.getByRole('link', { name: 'Willkommen' }).click();
    await page.getByRole('heading', { level: 1, name: 'Willkommen' }).waitFor();
    await page.getByText('Wait 3 days').first().waitFor();
    await page.getByRole('button', { name: 'Activate' }).click();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    const added = await api.request(
      'POST',
      `/api/v1/journeys/${journeyId}/contacts`,
      { contactIds: [contactId] },
      server.workspaceId,
    );
    expect(added.status).toBe(200);
    // Live: the diagram's numbers update by themselves.
    await poll(() => page.getByTestId('counters-wait').textContent(), 60_000).toBe(
      '1 entered · 1 waiting · 0 done',
    );
    await expectAccessible(page, 'the journey page');

    await page.getByLabel('Test contact (ID)').fill(contactId);
    await page.getByRole('button', { name: 'Run test' }).click();
    await page.getByRole('cell', { name: 'Journey completed' }).waitFor();
    await expectAccessible(page, 'the journey page with a test run');
  });

  it('builds a new journey in the editor: adds steps, sees them in the diagram, activates it', async () => {
    await page
      .getByRole('navigation', { name: 'Main navigation' })
      .getByRole('link', { name: 'Journeys', exact: true })
      .click();
    await page.getByLabel('Name of the new journey').fill('Built in the editor');
    await page.getByRole('button', { name: 'Create journey' }).click();
    await page.getByRole('link', { name: 'Built in the editor' }).click();
    await page.getByRole('heading', { level: 1, name: 'Built in the editor' }).waitFor();
    await page.getByLabel('Days').fill('2');
    await page.getByRole('button', { name: 'Add step' }).click();
    await page.getByText('Wait 2 days').first().waitFor();
    await page.getByLabel('Step', { exact: true }).first().click();
    await page.getByRole('option', { name: 'Add tag' }).click();
    await page.getByRole('textbox', { name: 'Add tag' }).fill('nurtured');
    await page.getByRole('button', { name: 'Add step' }).click();
    await page.getByText('Tag nurtured').first().waitFor();
    await expectAccessible(page, 'the editor with added steps');
    await page.getByRole('button', { name: 'Activate' }).click();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
  });

  it('lists events with their registrations', async () => {
    await page
      .getByRole('navigation', { name: 'Main navigation' })
      .getByRole('link', { name: 'Events', exact: true })
      .click();
    await page.getByRole('heading', { level: 1, name: 'Events' }).waitFor();
    await page.getByRole('cell', { name: 'Webinar Instandhaltung' }).waitFor();
    await expectAccessible(page, 'the events page');
  });
});
