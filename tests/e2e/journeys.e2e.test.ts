import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/server.js';
import { type ApiSession, loginViaApi } from './api.js';
import { axeViolations, chromiumAvailable, DESKTOP, launchChromium } from './browser.js';
import { ensureUiBuilt } from './build-ui.js';

/*
 * Journeys and events in the admin UI: the list, a journey's flow diagram (@xyflow/react) with live
 * per-step numbers, activating it, a test run on a simulated clock, and the events list — axe-clean.
 * The visual editor: steps dragged from the palette (and added with the keyboard), configured in the
 * side panel, connected by dragging an edge, saved (a server validation error shown at its step),
 * simulated, activated; axe-clean in English and German. A deleted step comes back by undo (toolbar)
 * and goes again by redo (keyboard); the minimap is part of the axe checks.
 */

async function expectAccessible(page: Page, where: string): Promise<void> {
  const violations = await axeViolations(page);
  expect(violations, `axe found WCAG 2.1 AA violations on ${where}:\n\n${violations.join('\n\n')}`).toEqual(
    [],
  );
}

/** The test run's contact is picked by searching its e-mail address. */
async function pickTestContact(page: Page): Promise<void> {
  const box = page.getByRole('combobox', { name: 'Test contact' });
  await box.click();
  await box.fill('jana');
  await page.getByRole('option', { name: /^jana@example\.org/ }).click();
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
  let templateId = '';

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
    const template = await api.request<{ template: { id: string } }>(
      'POST',
      '/api/v1/mail/templates',
      {
        name: 'Willkommensmail',
        kind: 'marketing',
        purpose: 'newsletter',
        variants: {
          de: {
            subject: 'Willkommen, {{ contact.first_name }}',
            bodyMjml:
              '<mjml><mj-body><mj-section><mj-column><mj-text>Hallo</mj-text></mj-column></mj-section></mj-body></mjml>',
          },
        },
      },
      ws,
    );
    expect(template.status, JSON.stringify(template.body)).toBe(201);
    templateId = template.body.template.id;
    const asset = await api.request(
      'POST',
      '/api/v1/assets',
      { title: 'Wartungs-Checkliste', kind: 'checklist', url: 'https://example.org/checkliste.pdf' },
      ws,
    );
    expect(asset.status, JSON.stringify(asset.body)).toBe(201);
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
      '1 entered · 1 waiting · 0 done · 0 exited · 0 goal',
    );
    await expectAccessible(page, 'the journey page');

    // Who is where: the contact waits at "Wait 3 days", and no one is at the first step.
    const whoIsWhere = page.getByRole('combobox', { name: 'Step', exact: true });
    await whoIsWhere.click();
    await page.getByRole('option', { name: 'Tag new', exact: true }).click();
    await page.getByText('No one is at this step right now.').waitFor();
    await whoIsWhere.click();
    await page.getByRole('option', { name: 'Wait 3 days', exact: true }).click();
    const atStep = page.getByRole('table', { name: 'Who is at which step' });
    await atStep.getByRole('link', { name: 'jana@example.org' }).waitFor();
    await atStep.getByRole('cell', { name: 'Waiting', exact: true }).waitFor();
    await expectAccessible(page, 'the journey page with who is at a step');

    await pickTestContact(page);
    await page.getByRole('button', { name: 'Run test' }).click();
    await page.getByRole('cell', { name: 'Journey completed' }).waitFor();
    await expectAccessible(page, 'the journey page with a test run');

    // Removing the step the contact waits in: publishing asks where the contact continues.
    await page.getByRole('combobox', { name: 'Edit' }).click();
    await page.getByRole('option', { name: 'Wait 3 days (Wait)' }).click();
    await page.getByRole('button', { name: 'Delete step Wait 3 days' }).click();
    // Undo brings the step back with its paths; redo (the keyboard) deletes it again.
    const canvas = page.getByTestId('journey-canvas');
    const waitNode = canvas.locator('.react-flow__node[data-id="wait"]');
    await waitNode.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Undo', exact: true }).click();
    await waitNode.waitFor();
    await canvas.getByTestId('rf__edge-tag:next').waitFor();
    await canvas.getByTestId('rf__edge-wait:next').waitFor();
    await poll(() => page.getByRole('button', { name: 'Redo', exact: true }).isEnabled()).toBe(true);
    await canvas.getByRole('img', { name: 'Overview of the whole journey' }).waitFor();
    await expectAccessible(page, 'the journey editor after an undo (with its minimap)');
    await page.keyboard.press('Control+Shift+Z');
    await waitNode.waitFor({ state: 'detached' });
    await poll(() => page.getByRole('button', { name: 'Redo', exact: true }).isEnabled()).toBe(false);
    await page.getByRole('button', { name: 'Save and publish' }).click();
    await page.getByText('Contacts are waiting in removed steps').waitFor();
    await page.getByRole('combobox', { name: 'Contacts in wait move to' }).click();
    await page.getByRole('option', { name: 'VIP? (Branch)' }).click();
    await expectAccessible(page, 'the journey editor asking where contacts move');
    await page.getByRole('button', { name: 'Publish and move the contacts' }).click();
    await page.getByText('Published: the draft is now the live version.').waitFor();
    const after = await api.request<{ journey: { liveVersion: number }; live: { steps: { id: string }[] } }>(
      'GET',
      `/api/v1/journeys/${journeyId}`,
      undefined,
      server.workspaceId,
    );
    expect(after.body.journey.liveVersion).toBe(2);
    expect(after.body.live.steps.map((x) => x.id)).toEqual(['tag', 'vip']);
    // The contact moved on to the branch (no path after it: done), not lost.
    await poll(() => page.getByTestId('counters-vip').textContent(), 60_000).toBe(
      '1 entered · 0 waiting · 1 done · 0 exited · 0 goal',
    );
  });

  it('builds a journey in the visual editor: palette drag-and-drop and keyboard, settings, connect, save, test, activate', async () => {
    await page
      .getByRole('navigation', { name: 'Main navigation' })
      .getByRole('link', { name: 'Journeys', exact: true })
      .click();
    await page.getByLabel('Name of the new journey').fill('Built in the editor');
    await page.getByRole('button', { name: 'Create journey' }).click();
    await page.getByRole('link', { name: 'Built in the editor' }).click();
    await page.getByRole('heading', { level: 1, name: 'Built in the editor' }).waitFor();
    const created = (
      await api.request<{ items: { id: string; name: string }[] }>(
        'GET',
        '/api/v1/journeys',
        undefined,
        server.workspaceId,
      )
    ).body.items.find((j) => j.name === 'Built in the editor')!;
    const canvas = page.getByTestId('journey-canvas');
    // The new draft starts with one wait step (wait-1) after the trigger.
    await canvas.locator('.react-flow__node[data-id="wait-1"]').waitFor();

    // 1. Drag "Send mail" from the palette onto the canvas.
    await page.getByTestId('palette-send-mail').dragTo(canvas, { targetPosition: { x: 40, y: 400 } });
    const mailNode = canvas.locator('.react-flow__node[data-id="send-mail-2"]');
    await mailNode.waitFor();
    await page.getByRole('heading', { level: 3, name: 'send-mail-2 (Send mail)' }).waitFor();

    // Saved without a template, the server's error is shown at the step it concerns.
    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByText('The journey could not be saved').waitFor();
    await page.getByTestId('errors-send-mail-2').waitFor();
    await page.getByRole('button', { name: 'Show send-mail-2' }).waitFor();

    // Configure the send-mail step in the side panel.
    await page.getByLabel('Name in the diagram').fill('Welcome mail');
    await page.getByRole('combobox', { name: 'Mail template' }).click();
    await page.getByRole('option', { name: 'Willkommensmail' }).click();

    // 2. Connect wait-1's output to the mail by dragging an edge.
    await canvas
      .locator('.react-flow__handle.source[data-nodeid="wait-1"]')
      .dragTo(mailNode.locator('.react-flow__handle.target'));
    await mailNode.click();
    await expect
      .poll(() => page.getByRole('combobox', { name: 'Edit' }).inputValue())
      .toBe('Welcome mail (Send mail)');
    await expect
      .poll(() => page.getByRole('combobox', { name: 'Then (next)' }).inputValue())
      .toBe('End of the journey');

    // 3. Keyboard: the palette button adds a wait below the selected mail step and connects it.
    await page.getByRole('button', { name: 'Add step: Wait' }).focus();
    await page.keyboard.press('Enter');
    await canvas.locator('.react-flow__node[data-id="wait-3"]').waitFor();
    await page.getByLabel('Name in the diagram').fill('Wait 2 days');
    await page.getByRole('textbox', { name: 'Days' }).fill('2');
    await expectAccessible(page, 'the journey editor with a step selected');

    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByText('Draft saved.').waitFor();
    const saved = await api.request<{ draft: { startStepId: string; steps: Record<string, unknown>[] } }>(
      'GET',
      `/api/v1/journeys/${created.id}`,
      undefined,
      server.workspaceId,
    );
    const steps = new Map(saved.body.draft.steps.map((x) => [x.id as string, x]));
    expect(saved.body.draft.startStepId).toBe('wait-1');
    expect(steps.get('wait-1')?.next).toBe('send-mail-2');
    expect(steps.get('send-mail-2')).toMatchObject({
      type: 'send-mail',
      label: 'Welcome mail',
      templateId,
      kind: 'marketing',
      purpose: 'newsletter',
      next: 'wait-3',
    });
    expect(steps.get('wait-3')).toMatchObject({
      type: 'wait',
      label: 'Wait 2 days',
      wait: { kind: 'duration', duration: { days: 2 } },
      next: null,
    });

    // Test run on the simulated clock: the mail on day 1, then the wait, then done.
    await pickTestContact(page);
    await page.getByLabel('After hours').fill('30');
    await page.getByRole('textbox', { name: 'Planned activity' }).fill('mail.clicked');
    await page.getByRole('button', { name: 'Plan activity' }).click();
    await page.getByText('After 30 h: mail.clicked').waitFor();
    await page.getByRole('button', { name: 'Run test' }).click();
    await page.getByRole('cell', { name: 'Journey completed' }).waitFor();
    await page.getByRole('cell', { name: 'Planned activity' }).first().waitFor();
    await page.getByRole('cell', { name: 'Welcome mail' }).first().waitFor();
    await page.getByRole('cell', { name: 'Wait 2 days' }).first().waitFor();

    // Activate, add the contact, and see the numbers on the steps.
    await page.getByRole('button', { name: 'Activate' }).click();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    const added = await api.request(
      'POST',
      `/api/v1/journeys/${created.id}/contacts`,
      { contactIds: [contactId] },
      server.workspaceId,
    );
    expect(added.status).toBe(200);
    await poll(() => page.getByTestId('counters-wait-1').textContent(), 60_000).toBe(
      '1 entered · 1 waiting · 0 done · 0 exited · 0 goal',
    );
    await expectAccessible(page, 'the journey editor (English)');

    // German.
    await page.getByRole('button', { name: /^(Language|Sprache):/ }).click();
    await page.getByRole('menuitem', { name: 'Deutsch' }).click();
    await page.getByRole('navigation', { name: 'Schritte' }).waitFor();
    await page.getByRole('button', { name: 'Schritt hinzufügen: E-Mail senden' }).waitFor();
    await poll(() => page.getByTestId('counters-wait-1').textContent()).toBe(
      '1 eingetreten · 1 wartend · 0 fertig · 0 ausgestiegen · 0 Ziel',
    );
    await page.getByRole('button', { name: 'Ziele, Ausstiegsregeln, Wiedereintritt' }).click();
    await page.getByRole('button', { name: 'Ziel hinzufügen' }).click();
    await expectAccessible(page, 'the journey editor (German, goals)');
    await page.getByRole('button', { name: /^(Language|Sprache):/ }).click();
    await page.getByRole('menuitem', { name: 'English' }).click();
    await page.getByRole('navigation', { name: 'Steps' }).waitFor();
  });

  it('has an accessible settings form for every step type and every trigger type', async () => {
    const created = await api.request<{ journey: { id: string } }>(
      'POST',
      '/api/v1/journeys',
      { name: 'All step types' },
      server.workspaceId,
    );
    await page.goto(`${server.url}/app/journeys/${created.body.journey.id}`);
    await page.getByRole('heading', { level: 1, name: 'All step types' }).waitFor();
    const palette = page.getByRole('navigation', { name: 'Steps' });
    const types = await palette.getByRole('button').evaluateAll((els) => els.map((e) => e.textContent ?? ''));
    expect(types).toHaveLength(12);
    for (const type of types) {
      await palette.getByRole('button', { name: `Add step: ${type}` }).press('Enter');
      await page.getByRole('heading', { level: 3, name: new RegExp(`\\(${type}\\)$`) }).waitFor();
      if (type === 'Offer content') {
        // The content picker names each asset with its kind.
        await page.getByRole('combobox', { name: 'Content (asset)' }).click();
        await page.getByRole('option', { name: 'Wartungs-Checkliste · Checklist' }).waitFor();
        await page.keyboard.press('Escape');
      }
      if (type === 'Wait') {
        for (const kind of ['Until a weekday and time', 'Until something happens (with timeout)']) {
          await page.getByRole('combobox', { name: 'Wait', exact: true }).click();
          await page.getByRole('option', { name: kind }).click();
          await expectAccessible(page, `the wait step (${kind})`);
        }
      } else await expectAccessible(page, `the ${type} step's settings`);
    }
    await page.getByRole('combobox', { name: 'Edit' }).click();
    await page.getByRole('option', { name: 'Trigger', exact: true }).click();
    for (const trigger of [
      'Form submitted',
      'Segment entered',
      'Lifecycle stage changed',
      'Score reached a threshold',
      'Date in a field',
    ]) {
      await page.getByRole('combobox', { name: 'Starts when' }).click();
      await page.getByRole('option', { name: trigger }).click();
      await expectAccessible(page, `the trigger settings (${trigger})`);
    }
    await page.getByRole('button', { name: 'Save draft' }).click();
    // Empty references (template, segment, …) are refused by the server and shown at their steps.
    await page.getByText('The journey could not be saved').waitFor();
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
