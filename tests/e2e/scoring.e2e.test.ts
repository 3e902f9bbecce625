import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMember } from '../../src/modules/identity/index.js';
import { systemActor } from '../../src/shared/actor.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { type ApiSession, loginViaApi } from './api.js';
import { axeViolations, chromiumAvailable, DESKTOP, launchChromium } from './browser.js';
import { ensureUiBuilt } from './build-ui.js';

/*
 * Scoring in the admin UI: the rule editor with the MQL preview, and the contact page's "Score" tab
 * ("Why 72?", temperature with reasons, the history chart, BANT editing, stage causes in words);
 * a role without scoring:write sees the page read-only — axe-clean (WCAG 2.1 AA).
 */

async function expectAccessible(page: Page, where: string): Promise<void> {
  const violations = await axeViolations(page);
  expect(violations, `axe found WCAG 2.1 AA violations on ${where}:\n\n${violations.join('\n\n')}`).toEqual(
    [],
  );
}

const poll = <T>(fn: () => Promise<T> | T, timeout = 30_000) => expect.poll(fn, { timeout });

/** Waits in a hook (expect.poll works only inside tests). */
async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!chromiumAvailable())('Scoring pages', () => {
  let server: TestServer;
  let api: ApiSession;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let contactId = '';
  let assetId = '';

  beforeAll(async () => {
    ensureUiBuilt();
    server = await startTestServer();
    api = await loginViaApi(server.url, server.adminEmail, server.adminPassword);
    const ws = server.workspaceId;
    const rule = await api.request(
      'POST',
      '/api/v1/scoring/rules',
      {
        kind: 'fit',
        name: 'Head of',
        points: 40,
        definition: { field: 'job_title', op: 'contains', value: 'head' },
      },
      ws,
    );
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    // A contact custom field: the rule form offers it beside the profile fields.
    const field = await api.request(
      'POST',
      '/api/v1/custom-fields/contact',
      {
        key: 'segment',
        label: 'Segment',
        type: 'choice',
        options: [
          { value: 'energy', label: 'Energy' },
          { value: 'automotive', label: 'Automotive' },
        ],
      },
      ws,
    );
    expect(field.status, JSON.stringify(field.body)).toBe(201);
    // An asset: a download rule can be narrowed to it in the rule form.
    const asset = await api.request<{ id: string }>(
      'POST',
      '/api/v1/assets',
      { title: 'Sensor white paper', url: 'https://example.org/sensor-white-paper.pdf' },
      ws,
    );
    expect(asset.status, JSON.stringify(asset.body)).toBe(201);
    assetId = asset.body.id;
    const created = await api.request<{ contact: { id: string } }>(
      'POST',
      '/api/v1/contacts',
      {
        email: 'hanna.head@example.org',
        firstName: 'Hanna',
        lastName: 'Head',
        jobTitle: 'Developer',
        customFields: { segment: 'energy' },
      },
      ws,
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    contactId = created.body.contact.id;
    const history = async () =>
      (
        await api.request<{ history: unknown[] }>(
          'GET',
          `/api/v1/scoring/contacts/${contactId}`,
          undefined,
          ws,
        )
      ).body.history.length;
    // Wait for the first score, then change the profile: the fit rises (a second history point).
    await waitFor('score history 1', async () => (await history()) === 1);
    await api.request('PATCH', `/api/v1/contacts/${contactId}`, { jobTitle: 'Head of IT' }, ws);
    await waitFor('score history 2', async () => (await history()) === 2);

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

  it('edits rules and previews the MQL rule on current data', async () => {
    await page
      .getByRole('navigation', { name: 'Main navigation' })
      .getByRole('link', { name: 'Scoring', exact: true })
      .click();
    await page.getByRole('heading', { level: 1, name: 'Scoring' }).waitFor();
    await page.getByRole('cell', { name: 'Head of', exact: true }).waitFor();
    await expectAccessible(page, 'the scoring page');

    await page.getByLabel('Name').fill('White paper download');
    await page.getByRole('button', { name: 'Add rule' }).click();
    await page.getByRole('cell', { name: 'White paper download', exact: true }).waitFor();

    // Edit the rule: the same form, pre-filled, saved with PUT; a recompute starts.
    const recomputes = async () =>
      (
        await server.db
          .selectFrom('scoring_recomputes')
          .select('id')
          .where('workspace_id', '=', server.workspaceId)
          .execute()
      ).length;
    const recomputesBefore = await recomputes();
    await page.getByRole('button', { name: 'Edit rule White paper download' }).click();
    const dialog = page.getByRole('dialog', { name: 'Edit rule “White paper download”' });
    await dialog.waitFor();
    expect(await dialog.getByLabel(/^Name/).inputValue()).toBe('White paper download');
    expect(await dialog.getByRole('combobox', { name: 'Activity' }).inputValue()).toBe(
      'capture.asset-downloaded',
    );
    // Downloads name one asset: a picker, empty meaning every asset.
    await dialog.getByRole('combobox', { name: 'Only this asset' }).click({ force: true });
    await page.getByRole('option', { name: 'Sensor white paper' }).click();
    await expectAccessible(page, 'the rule edit dialog');
    await dialog.getByLabel(/^Name/).fill('Sensor white paper download');
    await dialog.getByLabel('Points', { exact: true }).fill('15');
    await dialog.getByRole('button', { name: 'Save rule' }).click();
    await page.getByText('Rule saved; scores are being recomputed.').waitFor();
    await dialog.waitFor({ state: 'hidden' });
    const edited = page.getByRole('row').filter({ hasText: 'Sensor white paper download' });
    await poll(() => edited.getByRole('cell').nth(3).textContent()).toBe('15');
    expect(await edited.getByRole('cell').nth(2).textContent()).toBe(
      'capture.asset-downloaded · only Sensor white paper',
    );
    expect(await page.getByRole('cell', { name: 'White paper download', exact: true }).count()).toBe(0);
    await poll(recomputes).toBe(recomputesBefore + 1);
    await page
      .getByText(/^(Recomputing scores: \d+ of \d+ contacts|Scores are up to date \(1 contacts\)\.)$/)
      .waitFor();
    const stored = await server.db
      .selectFrom('scoring_rules')
      .select(['name', 'points', 'kind', 'definition'])
      .where('workspace_id', '=', server.workspaceId)
      .where('name', '=', 'Sensor white paper download')
      .executeTakeFirstOrThrow();
    expect(stored).toMatchObject({
      name: 'Sensor white paper download',
      points: 15,
      kind: 'engagement',
      definition: { activityType: 'capture.asset-downloaded', refPrefix: `asset:${assetId}` },
    });

    // Deleting asks first.
    await page.getByRole('button', { name: 'Delete rule Sensor white paper download' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete rule “Sensor white paper download”?' });
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Rule deleted; scores are being recomputed.').waitFor();
    await edited.waitFor({ state: 'detached' });
    await poll(recomputes).toBe(recomputesBefore + 2);

    await page.getByLabel('Engagement at least').fill('');
    await page.getByLabel('Fit at least').fill('30');
    await page.getByRole('button', { name: 'Preview' }).click();
    await poll(() => page.getByTestId('mql-preview').textContent()).toBe(
      'This rule would make 1 contacts MQL today.',
    );
    await page.getByLabel('Fit at least').fill('50');
    await page.getByRole('button', { name: 'Preview' }).click();
    await poll(() => page.getByTestId('mql-preview').textContent()).toBe(
      'This rule would make 0 contacts MQL today.',
    );
    await expectAccessible(page, 'the scoring page with a preview');
  });

  it('explains the score on the contact page, charts its history and edits BANT', async () => {
    // A stage moved by hand: the stage history names the cause and the person in words.
    const moved = await api.request(
      'POST',
      `/api/v1/scoring/contacts/${contactId}/stage`,
      { to: 'engaged' },
      server.workspaceId,
    );
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    const admin = await server.db
      .selectFrom('users')
      .select(['name', 'email'])
      .where('email', '=', server.adminEmail)
      .executeTakeFirstOrThrow();
    await page.goto(`${server.url}/app/contacts/${contactId}?tab=score`);
    await poll(() => page.getByTestId('fit-score').textContent()).toBe('40');
    await page.getByRole('heading', { name: 'Why fit 40 and engagement 0?' }).waitFor();
    await page.getByRole('cell', { name: 'Head of', exact: true }).waitFor();
    await page.getByText('No own interest shown yet').waitFor();
    expect(await page.locator('.recharts-wrapper').count()).toBe(1);
    const move = page.getByRole('row').filter({ hasText: 'Subscriber → Engaged' });
    expect(await move.getByRole('cell').nth(2).textContent()).toBe(
      `Changed by hand by ${admin.name || admin.email}`,
    );
    await expectAccessible(page, 'the contact score tab');

    await page.getByRole('switch', { name: 'Concrete project (need)' }).click({ force: true });
    expect(await page.getByRole('switch', { name: 'Concrete project (need)' }).isChecked()).toBe(true);
    await page.getByRole('switch', { name: 'Budget exists' }).click({ force: true });
    await page.getByRole('combobox', { name: 'Authority' }).click({ force: true });
    await page.getByRole('option', { name: 'Decision maker' }).click();
    await page.getByRole('button', { name: 'Save qualification' }).click();
    await page
      .getByText(/Qualification saved\.|\w+.*/)
      .first()
      .waitFor();
    await page.getByText('Qualification saved.').waitFor();
    const bant = await api.request<{ answers: Record<string, unknown> }>(
      'GET',
      `/api/v1/scoring/contacts/${contactId}/bant`,
      undefined,
      server.workspaceId,
    );
    expect(bant.body.answers).toMatchObject({
      need: { exists: true },
      budget: { exists: true },
      authority: { role: 'decision_maker' },
    });
    await page.getByText('Qualified', { exact: true }).waitFor();
    await page
      .getByText(/^Sales call, /)
      .first()
      .waitFor();
    await expectAccessible(page, 'the contact score tab after BANT');
  });
  it('renames stages and sets the allowed moves, accessibly in English and German', async () => {
    await page.goto(`${server.url}/app/scoring`);
    await page.getByRole('heading', { level: 2, name: 'Lifecycle stages' }).waitFor();
    await page.getByLabel('English label for MQL').fill('Marketing lead');
    await page.getByLabel('German label for MQL').fill('Marketing-Lead');
    await page.getByLabel('Subscriber may move to').first().click();
    await page.getByRole('option', { name: 'Engaged' }).click();
    await page.keyboard.press('Escape');
    await expectAccessible(page, 'the lifecycle editor (English)');
    await page.getByRole('button', { name: 'Save stages' }).click();
    await page.getByText('Stages saved.').waitFor();
    const row = await server.db
      .selectFrom('scoring_settings')
      .select('settings')
      .where('workspace_id', '=', server.workspaceId)
      .executeTakeFirstOrThrow();
    const saved = row.settings as { stageLabels: unknown; transitions: unknown };
    expect(saved.stageLabels).toMatchObject({ mql: { en: 'Marketing lead', de: 'Marketing-Lead' } });
    expect(saved.transitions).toEqual({ subscriber: ['engaged'] });

    await page.getByRole('button', { name: /^Language:/ }).click();
    await page.getByRole('menuitem', { name: 'Deutsch' }).click();
    await page.getByRole('heading', { level: 2, name: 'Lebenszyklus-Phasen' }).waitFor();
    // The editors name the stages as the workspace does, ours beside it.
    await page.getByLabel('Englische Bezeichnung für Marketing-Lead').waitFor();
    await page.getByText('Standardname: MQL').waitFor();
    await page
      .getByText('Kontakte, die diese Regel erfüllen, wechseln in die Phase „Marketing-Lead“.')
      .waitFor();
    await page.getByLabel('Interessiert darf wechseln zu').first().click();
    await page.getByRole('option', { name: 'Marketing-Lead' }).waitFor();
    await page.keyboard.press('Escape');
    await expectAccessible(page, 'the lifecycle editor (German)');

    // The workspace's own name is what the contact pages offer from now on.
    await page.goto(`${server.url}/app/contacts/${contactId}?tab=profile`);
    await page.getByRole('combobox', { name: 'Lebenszyklus-Phase' }).click({ force: true });
    await page.getByRole('option', { name: 'Marketing-Lead' }).waitFor();
    await page.keyboard.press('Escape');
  });

  it('sets the half-life and the temperature rules, accessibly (German)', async () => {
    await page.goto(`${server.url}/app/scoring`);
    await page.getByRole('heading', { level: 2, name: 'Verfall und Temperatur' }).waitFor();
    // The MQL rule's stages carry their names, not the codes.
    await page.getByRole('checkbox', { name: 'Abonnent' }).waitFor();
    await page.getByLabel('Halbwertszeit der Engagement-Punkte (Tage)').fill('14');
    await page.getByLabel('Heiß ab Fit (wenn warm)').fill('35');
    await page.getByLabel('Warm bei Aktivität an mindestens (Tagen)').fill('4');
    await expectAccessible(page, 'the decay and temperature editor (German)');
    await page.getByRole('button', { name: 'Verfall und Temperatur speichern' }).click();
    await page.getByText('Einstellungen gespeichert; die Scores werden neu berechnet.').waitFor();
    const row = await server.db
      .selectFrom('scoring_settings')
      .select('settings')
      .where('workspace_id', '=', server.workspaceId)
      .executeTakeFirstOrThrow();
    const saved = row.settings as { halfLifeDays: number; temperature: unknown; stageLabels: unknown };
    expect(saved.halfLifeDays).toBe(14);
    expect(saved.temperature).toEqual({ returnDays: 4, returnWindowDays: 30, hotFitMin: 35 });
    // Saving one part keeps the others (the stage names saved before).
    expect(saved.stageLabels).toMatchObject({ mql: { de: 'Marketing-Lead' } });

    // The company roll-up: the company page shows the best fit of its contacts.
    const company = await api.request<{ company: { id: string } }>(
      'POST',
      '/api/v1/companies',
      { name: 'Head AG' },
      server.workspaceId,
    );
    expect(company.status, JSON.stringify(company.body)).toBe(201);
    const linked = await api.request(
      'PATCH',
      `/api/v1/contacts/${contactId}`,
      { companyId: company.body.company.id },
      server.workspaceId,
    );
    expect(linked.status, JSON.stringify(linked.body)).toBe(200);
    await page.goto(`${server.url}/app/companies/${company.body.company.id}`);
    await page.getByRole('heading', { level: 2, name: 'Score des Unternehmens' }).waitFor();
    await poll(() => page.getByTestId('company-fit').textContent()).toBe('40');
    await page.getByRole('link', { name: 'hanna.head@example.org' }).waitFor();
    await expectAccessible(page, 'the company score (German)');
  });
  it('adds a fit rule on a custom field, and the contact page explains its points', async () => {
    await page.goto(`${server.url}/app/scoring`);
    await page.getByRole('button', { name: /^(Language|Sprache):/ }).click();
    await page.getByRole('menuitem', { name: 'English' }).click();
    await page.getByRole('heading', { level: 2, name: 'Lifecycle stages' }).waitFor();
    // The renamed stage in the MQL editor and its preview.
    await page.getByText('Contacts that meet this rule move to the stage “Marketing lead”.').waitFor();
    await page.getByRole('button', { name: 'Preview' }).click();
    await poll(() => page.getByTestId('mql-preview').textContent()).toMatch(
      /^This rule would make \d+ contacts Marketing lead today\.$/,
    );

    const add = page.getByRole('region', { name: 'Add rule' });
    await add.getByRole('combobox', { name: 'Kind' }).click({ force: true });
    await page.getByRole('option', { name: 'Fit' }).click();
    await add.getByLabel(/^Name/).fill('Energy segment');
    await add.getByLabel('Points', { exact: true }).fill('12');
    await add.getByRole('combobox', { name: 'Field' }).click({ force: true });
    await page.getByRole('option', { name: 'Segment' }).click();
    // A choice field: "is" with its options (no free text).
    expect(await add.getByRole('combobox', { name: 'Operator' }).inputValue()).toBe('is');
    await add.getByRole('combobox', { name: 'Value' }).click({ force: true });
    await page.getByRole('option', { name: 'Energy' }).click();
    await expectAccessible(page, 'the rule form with a custom field');
    await add.getByRole('button', { name: 'Add rule' }).click();
    await page.getByText('Rule added; scores are being recomputed.').waitFor();
    const row = page.getByRole('row').filter({ hasText: 'Energy segment' });
    await poll(() => row.getByRole('cell').nth(2).textContent()).toBe('Segment is “Energy”');
    const rule = await server.db
      .selectFrom('scoring_rules')
      .select('definition')
      .where('workspace_id', '=', server.workspaceId)
      .where('name', '=', 'Energy segment')
      .executeTakeFirstOrThrow();
    expect(rule.definition).toEqual({ field: 'custom:segment', op: 'equals', value: 'energy' });

    await page.goto(`${server.url}/app/contacts/${contactId}?tab=score`);
    await poll(async () => {
      await page.reload();
      await page.getByTestId('fit-score').waitFor();
      return page.getByTestId('fit-score').textContent();
    }).toBe('52');
    const explained = page.getByRole('row').filter({ hasText: 'Energy segment' });
    await poll(() => explained.getByRole('cell').nth(2).textContent()).toBe('12');
    await expectAccessible(page, 'the contact score tab with a custom field rule');
  });

  it('shows the rules and settings read-only to a role without scoring:write', async () => {
    const email = 'sam.sales@example.org';
    const password = 'a long enough password 123';
    await addMember(server.db, systemActor(), server.workspaceId, {
      email,
      name: 'Sam Sales',
      role: 'sales',
      password,
    });
    const salesContext = await browser.newContext(DESKTOP);
    try {
      const sales = await salesContext.newPage();
      await sales.goto(`${server.url}/app/login`);
      await sales.getByLabel(/^E-mail address/).fill(email);
      await sales.getByLabel(/^Password/).fill(password);
      await sales.getByRole('button', { name: 'Sign in' }).click();
      await sales.getByRole('heading', { level: 1, name: /^Welcome/ }).waitFor();
      await sales.goto(`${server.url}/app/scoring`);
      await sales.getByRole('heading', { level: 1, name: 'Scoring' }).waitFor();
      await sales.getByTestId('scoring-read-only').waitFor();
      expect(await sales.getByTestId('scoring-read-only').textContent()).toBe(
        'You can view the scoring rules and settings. Changing them needs the admin or marketing role.',
      );
      // The data is there …
      await sales.getByRole('cell', { name: 'Head of', exact: true }).waitFor();
      await sales.getByRole('cell', { name: 'Energy segment', exact: true }).waitFor();
      expect(await sales.getByLabel('English label for Marketing lead').inputValue()).toBe('Marketing lead');
      expect(await sales.getByLabel('Half-life of engagement points (days)').inputValue()).toBe('14');
      // … but nothing that the server would refuse: no add/edit/delete, no save buttons, inputs read-only.
      expect(await sales.getByRole('region', { name: 'Add rule' }).count()).toBe(0);
      expect(await sales.getByRole('button', { name: /^(Edit|Delete) rule / }).count()).toBe(0);
      expect(await sales.getByRole('columnheader', { name: 'Actions' }).count()).toBe(0);
      for (const name of ['Save', 'Save stages', 'Save decay and temperature'])
        expect(await sales.getByRole('button', { name, exact: true }).count(), name).toBe(0);
      expect(await sales.getByLabel('Fit at least').getAttribute('readonly')).not.toBeNull();
      expect(
        await sales.getByLabel('German label for Marketing lead').getAttribute('readonly'),
      ).not.toBeNull();
      expect(await sales.getByRole('switch', { name: /hand-raiser/ }).isDisabled()).toBe(true);
      expect(await sales.getByRole('checkbox', { name: 'Subscriber' }).isDisabled()).toBe(true);
      // Previewing changes nothing, so it stays (scoring:read).
      await sales.getByRole('button', { name: 'Preview' }).click();
      await poll(() => sales.getByTestId('mql-preview').textContent()).toMatch(
        /^This rule would make \d+ contacts Marketing lead today\.$/,
      );
      await expectAccessible(sales, 'the scoring page, read-only');
    } finally {
      await salesContext.close();
    }
  });
});
