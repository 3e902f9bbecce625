import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { type ApiSession, loginViaApi } from './api.js';
import { axeViolations, chromiumAvailable, DESKTOP, launchChromium } from './browser.js';
import { ensureUiBuilt } from './build-ui.js';

/*
 * The sales inbox (web/src/sales/): leads handed to sales show up with their summary and SLA
 * countdown; the rep accepts one and rejects another with a reason; the header's notification bell
 * lists the new leads and marks them read — axe-clean in English and German.
 */

async function expectAccessible(page: Page, where: string): Promise<void> {
  const violations = await axeViolations(page);
  expect(violations, `axe found WCAG 2.1 AA violations on ${where}:\n\n${violations.join('\n\n')}`).toEqual(
    [],
  );
}

describe.skipIf(!chromiumAvailable())('Sales inbox', () => {
  let server: TestServer;
  let api: ApiSession;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const leadIds: Record<string, string> = {};

  beforeAll(async () => {
    ensureUiBuilt();
    server = await startTestServer({ worker: false });
    api = await loginViaApi(server.url, server.adminEmail, server.adminPassword);
    const admin = await server.db
      .selectFrom('users')
      .select('id')
      .where('email', '=', server.adminEmail)
      .executeTakeFirstOrThrow();
    const rep = await api.request(
      'PUT',
      `/api/v1/sales/reps/${admin.id}`,
      { active: true, isManager: true, weight: 1, capacity: 10, timezone: 'Europe/Berlin', workingHours: {} },
      server.workspaceId,
    );
    expect(rep.status, JSON.stringify(rep.body)).toBe(204);
    for (const [email, firstName] of [
      ['marta@kunde.example', 'Marta'],
      ['jonas@kunde.example', 'Jonas'],
    ] as const) {
      const created = await api.request<{ contact: { id: string } }>(
        'POST',
        '/api/v1/contacts',
        { email, firstName, lastName: 'Beispiel' },
        server.workspaceId,
      );
      expect(created.status, JSON.stringify(created.body)).toBe(201);
      if (firstName === 'Marta') {
        const bant = await api.request(
          'PUT',
          `/api/v1/scoring/contacts/${created.body.contact.id}/bant`,
          { answers: { need: { exists: true, project: 'CRM-Einführung' }, budget: { exists: true } } },
          server.workspaceId,
        );
        expect(bant.status, JSON.stringify(bant.body)).toBe(200);
      }
      const handed = await api.request<{ leadId: string; status: string }>(
        'POST',
        '/api/v1/sales/hand-off',
        { contactId: created.body.contact.id },
        server.workspaceId,
      );
      expect(handed.body.status).toBe('assigned');
      leadIds[firstName] = handed.body.leadId;
    }
    browser = await launchChromium();
    context = await browser.newContext(DESKTOP);
    page = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function leadStatus(id: string) {
    return server.db
      .selectFrom('sales_leads')
      .select(['status', 'reject_reason', 'reject_outcome'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  }

  it('accepts one lead and rejects another with a reason, accessibly (English)', async () => {
    await page.goto(`${server.url}/app/login`);
    await page.getByLabel(/^E-mail address/).fill(server.adminEmail);
    await page.getByLabel(/^Password/).fill(server.adminPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor();

    // The bell in the header: two new-lead notifications, unread; opening it lists them.
    const bell = page.getByRole('button', { name: 'Notifications (2 unread)' });
    await bell.click();
    await page.getByText('New lead: Marta Beispiel').waitFor();
    await expectAccessible(page, 'the notification bell (English)');
    await page.getByRole('button', { name: /New lead: Jonas Beispiel/ }).click();
    // Opening one marks it read and leads to the inbox.
    await page.getByRole('button', { name: 'Notifications (1 unread)' }).waitFor();
    expect(
      (
        await server.db
          .selectFrom('notifications')
          .select('read_at')
          .where('workspace_id', '=', server.workspaceId)
          .execute()
      ).filter((n) => n.read_at !== null),
    ).toHaveLength(1);
    await page.getByRole('heading', { level: 1, name: 'Leads' }).waitFor();
    await page.getByRole('heading', { level: 3, name: 'Marta Beispiel' }).waitFor();
    await page.getByText('no consent to phone contact').first().waitFor();
    await page
      .getByText(/^Due in /)
      .first()
      .waitFor();
    // The summary carries BANT so far, each answer with its source.
    const martaCard = page.getByRole('article', { name: 'Marta Beispiel' });
    await martaCard.getByText(/^Concrete project \(need\): yes – CRM-Einführung \(Sales call, /).waitFor();
    await martaCard.getByText('Authority: Not answered yet').waitFor();
    await martaCard.getByText('Not qualified yet').waitFor();
    await expectAccessible(page, 'the sales inbox (English)');

    const marta = page.getByRole('article', { name: 'Marta Beispiel' });
    await marta.getByRole('button', { name: 'Accept' }).click();
    await page.getByText('Marta Beispiel accepted.').waitFor();
    expect((await leadStatus(leadIds.Marta!)).status).toBe('accepted');

    const jonas = page.getByRole('article', { name: 'Jonas Beispiel' });
    await jonas.getByRole('button', { name: 'Reject…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Reject Jonas Beispiel' });
    await dialog.waitFor();
    await dialog.getByLabel('Reason').selectOption('other');
    // "Other" needs a note: the button stays disabled until there is one.
    expect(await dialog.getByRole('button', { name: 'Reject lead' }).isDisabled()).toBe(true);
    await dialog.getByLabel('Reason').selectOption('no_budget');
    await dialog.getByLabel('Note').fill('Budget frozen until Q3');
    await dialog.getByLabel('Back to nurturing (recycled)').check();
    await expectAccessible(page, 'the reject dialog (English)');
    await dialog.getByRole('button', { name: 'Reject lead' }).click();
    await page.getByText('Jonas Beispiel rejected.').waitFor();
    expect(await leadStatus(leadIds.Jonas!)).toEqual({
      status: 'rejected',
      reject_reason: 'no_budget',
      reject_outcome: 'recycled',
    });
    await page.getByText(/Rejected because:/).waitFor();

    // The reason is kept for reports: the reports tab counts rejections by reason and outcome.
    await page.getByRole('tab', { name: 'Reports' }).click();
    await page.getByRole('heading', { level: 1, name: 'Sales reports' }).waitFor();
    const row = page.getByRole('row', { name: /No budget/ });
    // The heading shows before the report has loaded: wait for the row, as for the stage table below.
    await row.waitFor();
    expect((await row.getByRole('cell').allTextContents()).map((c) => c.trim())).toEqual([
      'No budget',
      '1',
      '0',
      '1',
    ]);
    // Time in stage: the accepted lead's move to SAL is a stay there now.
    const stages = page.getByRole('table', { name: /Time in each lifecycle stage/ });
    const sal = stages.getByRole('row', { name: /^SAL\b/ });
    await sal.waitFor();
    expect((await sal.getByRole('cell').allTextContents())[2]?.trim()).toBe('1');
    await expectAccessible(page, 'the sales reports (English)');
    await page.getByRole('tab', { name: 'Inbox' }).click();
    await page.getByRole('heading', { level: 1, name: 'Leads' }).waitFor();
  });

  it('speaks German on every sales page, accessibly', async () => {
    await page.getByRole('button', { name: /^Language:/ }).click();
    await page.getByRole('menuitem', { name: 'Deutsch' }).click();
    await page.getByRole('heading', { level: 1, name: 'Leads' }).waitFor();
    await page.getByText('Abgelehnt wegen:').waitFor();
    await expectAccessible(page, 'the sales inbox (German)');
    await page.getByRole('button', { name: 'Benachrichtigungen (1 ungelesen)' }).click();
    // The inbox has its own notifications panel with the same button: use the bell's.
    await page.getByRole('dialog').getByRole('button', { name: 'Alle als gelesen markieren' }).click();
    await page.getByRole('button', { name: 'Benachrichtigungen (0 ungelesen)' }).waitFor();
    await expectAccessible(page, 'the notification bell (German)');
    await page.keyboard.press('Escape');
    for (const [tab, heading] of [
      ['Team', 'Vertriebsteam'],
      ['Gebiete', 'Gebiete'],
      ['SLA & Webhook', 'SLA & Webhook'],
      ['Berichte', 'Vertriebsberichte'],
      ['Eingang', 'Leads'],
    ] as const) {
      await page.getByRole('tab', { name: tab }).click();
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await expectAccessible(page, `the ${heading} page (German)`);
    }
    await page.getByRole('tab', { name: 'Team' }).click();
    await page.getByRole('button', { name: 'Bearbeiten' }).first().click();
    await page.getByRole('dialog').waitFor();
    await expectAccessible(page, 'the rep settings dialog (German)');
  });
});
