import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { decodeMail } from '../support/smtp-sink.js';
import { type ApiSession, loginViaApi } from './api.js';
import { axeViolations, chromiumAvailable, DESKTOP, launchChromium } from './browser.js';
import { ensureUiBuilt } from './build-ui.js';

/*
 * Events in the admin UI: create an event with its time read in its own time zone, see
 * registrations and the waiting list, record attendance by hand and from a webinar tool's CSV
 * (choosing the e-mail column), add a place so the waiting list moves up; a registrant cancels by
 * the link in their mail (public page, de and en), and the event is called off — axe-clean throughout.
 */

async function expectAccessible(page: Page, where: string): Promise<void> {
  const violations = await axeViolations(page);
  expect(violations, `axe found WCAG 2.1 AA violations on ${where}:\n\n${violations.join('\n\n')}`).toEqual(
    [],
  );
}

describe.skipIf(!chromiumAvailable())('Event pages', () => {
  let server: TestServer;
  let api: ApiSession;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const contacts: string[] = [];

  beforeAll(async () => {
    ensureUiBuilt();
    server = await startTestServer({ worker: true });
    api = await loginViaApi(server.url, server.adminEmail, server.adminPassword);
    for (const [email, firstName] of [
      ['lena@example.org', 'Lena'],
      ['omar@example.org', 'Omar'],
    ] as const) {
      const c = await api.request<{ contact: { id: string } }>(
        'POST',
        '/api/v1/contacts',
        { email, firstName },
        server.workspaceId,
      );
      expect(c.status, JSON.stringify(c.body)).toBe(201);
      contacts.push(c.body.contact.id);
    }
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

  it('creates an event, shows registrations and the waiting list, records attendance by hand and by CSV', async () => {
    await page
      .getByRole('navigation', { name: 'Main navigation' })
      .getByRole('link', { name: 'Events', exact: true })
      .click();
    await page.getByRole('heading', { level: 1, name: 'Events' }).waitFor();
    await page.getByRole('link', { name: 'New event' }).click();
    await page.getByRole('heading', { level: 1, name: 'New event' }).waitFor();
    await expectAccessible(page, 'the new event form');

    await page.getByLabel(/^Title/).fill('Praxistag Wartung');
    const zone = page.getByRole('combobox', { name: 'Time zone' });
    await zone.fill('Europe/Berl');
    await page.getByRole('option', { name: 'Europe/Berlin' }).click();
    await page.getByLabel(/^Starts/).fill('2030-05-12T16:00');
    await page.getByLabel(/^Ends/).fill('2030-05-12T18:00');
    await page.getByLabel(/^Online link/).fill('https://webinar.example.org/r/7');
    await page.getByLabel(/^Capacity/).fill('1');
    await page.getByRole('button', { name: 'Create event' }).click();
    await page.getByRole('heading', { level: 1, name: 'Praxistag Wartung' }).waitFor();

    // 16:00 in Berlin summer time is 14:00 UTC.
    const list = await api.request<{
      items: { id: string; title: string; startsAt: string; reminderMinutes: number[] }[];
    }>('GET', '/api/v1/events', undefined, server.workspaceId);
    const ev = list.body.items.find((e) => e.title === 'Praxistag Wartung')!;
    expect(ev).toMatchObject({ startsAt: '2030-05-12T14:00:00.000Z', reminderMinutes: [1440] });

    for (const contactId of contacts) {
      const r = await api.request(
        'POST',
        `/api/v1/events/${ev.id}/registrations`,
        { contactId },
        server.workspaceId,
      );
      expect(r.status).toBe(200);
    }
    await page.reload();
    const registrations = page.getByRole('region', { name: 'Registrations' });
    const waiting = page.getByRole('region', { name: 'Waiting list' });
    await registrations.getByRole('link', { name: 'Lena' }).waitFor();
    await waiting.getByRole('link', { name: 'Omar' }).waitFor();
    await expectAccessible(page, 'the event page');

    // By hand.
    await registrations.getByRole('button', { name: 'Attended: Lena' }).click();
    await registrations.getByText('(by hand)').waitFor();

    // From the webinar tool's CSV: the e-mail column is found by its name.
    await page.locator('input[type=file]').setInputFiles({
      name: 'teilnehmer.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        'Name;Teilnehmer-E-Mail;Minuten\nOmar;omar@example.org;50\nX;x@elsewhere.example;2\n',
      ),
    });
    await expect
      .poll(() => page.getByRole('combobox', { name: 'E-mail column' }).inputValue())
      .toBe('Teilnehmer-E-Mail');
    await page.getByRole('button', { name: 'Import attendance' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: '2 rows read, 1 marked as attended, 1 addresses unknown.' })
      .waitFor();
    await waiting.getByText('(CSV import)').waitFor();
    await expectAccessible(page, 'the event page after the import');

    // A second place: Omar moves up from the waiting list.
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel(/^Capacity/).fill('2');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await registrations.getByRole('link', { name: 'Omar' }).waitFor();
    await waiting.getByText('Nobody yet.').waitFor();
  });

  it('lets a registrant cancel by the link in the mail, and calls the event off', async () => {
    // The confirmation mail (kept in the built-in outbox) carries the cancel link.
    const cancelLink = async () => {
      const rows = await server.db
        .selectFrom('outbox_messages')
        .select('raw')
        .where('envelope_to', '=', 'lena@example.org')
        .execute();
      return rows.map((r) => /\/e\/cancel\?t=[A-Za-z0-9._~-]+/.exec(decodeMail(r.raw))?.[0]).find(Boolean);
    };
    await expect.poll(cancelLink, { timeout: 20_000 }).toBeTruthy();
    const cancelPath = (await cancelLink())!;
    const publicPage = await context.newPage();
    await publicPage.goto(`${server.url}${cancelPath}&lang=de`);
    await publicPage.getByRole('button', { name: 'Anmeldung stornieren' }).waitFor();
    await expectAccessible(publicPage, 'the cancel page (de)');
    await publicPage.goto(`${server.url}${cancelPath}&lang=en`);
    await publicPage.getByRole('button', { name: 'Cancel my registration' }).click();
    await publicPage.getByText('Your registration is cancelled.').waitFor();
    await expectAccessible(publicPage, 'the cancelled page (en)');
    await publicPage.close();

    await page.reload();
    await page.getByRole('region', { name: 'Cancelled' }).getByRole('link', { name: 'Lena' }).waitFor();

    await page.getByRole('button', { name: 'Cancel event' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel "Praxistag Wartung"?' });
    await dialog.getByText(/1 registered and 0 on the waiting list/).waitFor();
    await expect(dialog.getByRole('checkbox', { name: /Send everyone a notice/ }).isChecked()).resolves.toBe(
      true,
    );
    await expectAccessible(page, 'the cancel-event dialog');
    await dialog.getByRole('button', { name: 'Cancel event' }).click();
    await page.getByText('Event cancelled; 1 person notified.').waitFor();
    await page.getByText('This event has been cancelled').waitFor();
    await expect(page.getByRole('button', { name: 'Edit' }).count()).resolves.toBe(0);
    await expectAccessible(page, 'the cancelled event page');
  });
});
