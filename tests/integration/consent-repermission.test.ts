import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { verifyConsentLedger } from '../../src/modules/consent/index.js';
import { upsertContactByEmail } from '../../src/modules/contacts/index.js';
import { suppressAddress } from '../../src/modules/suppression/index.js';
import { createWorkspaceIn } from '../../src/modules/workspaces/index.js';
import { collectJobs } from '../../src/server.js';
import { systemActor } from '../../src/shared/actor.js';
import { ManualClock } from '../../src/shared/clock.js';
import { JobWorker } from '../../src/shared/jobs/index.js';
import { type Caller, createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';
import { until } from '../support/mail.js';
import { decodeMail, SmtpSink } from '../support/smtp-sink.js';

const kinds = await availableDbKinds();
const DAY = 86_400_000;
const UA = 'Mozilla/5.0 (X11; Linux x86_64) repermission-test';

function confirmLink(raw: string): string {
  const match = /https?:\/\/[^\s"<>]+\/c\/([A-Za-z0-9_.-]+)/.exec(decodeMail(raw));
  if (!match) throw new Error(`no /c/ link in the mail:\n${raw}`);
  return match[1]!;
}

describe.each(kinds)('re-permission on %s', (kind) => {
  let t: TestApp;
  let worker: JobWorker;
  let admin: Caller;
  const sink = new SmtpSink();
  const clock = new ManualClock('2026-05-04T08:00:00Z');

  beforeAll(async () => {
    await sink.start();
    t = await createTestApp(kind, {
      clock,
      config: { smtpUrl: sink.url, publicUrl: 'https://leads.acme.example' },
    });
    worker = new JobWorker({
      handle: t.deps.handle,
      definitions: collectJobs(t.deps),
      clock,
      log: t.deps.log,
      concurrency: { critical: 1, default: 1, bulk: 1 },
      leaseMs: 30_000,
      pollMs: 50,
    });
    await worker.start();
  });
  afterAll(async () => {
    await worker?.stop(1000);
    await t?.close();
    await sink.stop();
  });
  // The tests move the clock by days: a fresh session for each (sessions expire).
  beforeEach(async () => {
    sink.received.length = 0;
    admin = await t.login();
  });

  const ws = () => t.workspaceId;
  const api = (method: 'GET' | 'POST', url: string, payload?: unknown) =>
    t.app.inject({
      method,
      url,
      headers: admin.headers(),
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
  const repermission = (body: Record<string, unknown>) => api('POST', '/api/v1/consent/repermission', body);

  async function contact(
    email: string,
    lastName: string,
    locale: 'de' | 'en' | null = null,
    workspaceId = ws(),
  ) {
    const id = await t.deps.db.transaction().execute(async (trx) => {
      const { contact } = await upsertContactByEmail(trx, workspaceId, email, { lastName }, clock.now());
      return contact.id;
    });
    if (locale)
      await t.deps.db
        .updateTable('contacts')
        .set({ locale })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .execute();
    return id;
  }
  const adminChange = (contactId: string, status: 'confirmed' | 'withdrawn') =>
    api('POST', `/api/v1/consent/contacts/${contactId}/changes`, {
      purpose: 'newsletter',
      status,
      note: `set to ${status} for the test (written proof on file)`,
    });
  const consentOf = (contactId: string) =>
    t.deps.db
      .selectFrom('consents')
      .select(['status', 'confirmed_at'])
      .where('workspace_id', '=', ws())
      .where('contact_id', '=', contactId)
      .where('purpose', '=', 'newsletter')
      .executeTakeFirst();
  const ledgerOf = (contactId: string) =>
    t.deps.db
      .selectFrom('consent_events')
      .selectAll()
      .where('workspace_id', '=', ws())
      .where('contact_id', '=', contactId)
      .orderBy('id')
      .execute();
  const mailTo = (email: string) =>
    until(`a mail to ${email}`, () => sink.received.find((m) => m.to.includes(email)));
  /** Waits until no job of the workspaces is left to run (mail jobs included), so "no mail" means no mail. */
  const jobsDone = () =>
    until('jobs done', async () => {
      const open = await t.deps.db
        .selectFrom('jobs')
        .select('id')
        .where('workspace_id', 'is not', null)
        .where('state', 'in', ['queued', 'running'])
        .where('run_at', '<=', clock.now())
        .execute();
      return open.length === 0 ? true : undefined;
    });
  const confirm = (token: string) =>
    t.app.inject({
      method: 'POST',
      url: `/c/${token}`,
      remoteAddress: '203.0.113.77',
      headers: { 'user-agent': UA, 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });

  it('asks only contacts without consent; the imported contact confirms by POST and gets consent with proof', async () => {
    const imported = await contact('imported@example.com', 'Import', 'de');
    const english = await contact('english@example.com', 'Import', 'en');
    const withdrawn = await contact('withdrawn@example.com', 'Import');
    const suppressed = await contact('suppressed@example.com', 'Import');
    const confirmed = await contact('confirmed@example.com', 'Import');
    expect((await adminChange(withdrawn, 'confirmed')).statusCode).toBe(200);
    expect((await adminChange(withdrawn, 'withdrawn')).statusCode).toBe(200);
    expect((await adminChange(confirmed, 'confirmed')).statusCode).toBe(200);
    await suppressAddress(t.deps.db, systemActor(), ws(), { email: 'suppressed@example.com' });
    const ids = [imported, english, withdrawn, suppressed, confirmed, randomUUID()];

    // The confirmation the UI shows: counts only, nothing written.
    const preview = await repermission({ contactIds: ids, dryRun: true });
    expect(preview.statusCode, preview.body).toBe(200);
    const expectedSkips = { 'not-found': 1, suppressed: 1, withdrawn: 1, confirmed: 1 };
    expect(preview.json()).toMatchObject({ selected: 6, eligible: 2, queued: 0, wouldQueue: 2 });
    expect(preview.json().skipped).toMatchObject({
      ...expectedSkips,
      'recently-asked': 0,
      'rate-limited': 0,
    });
    expect(await consentOf(imported)).toBeUndefined();

    const sent = await repermission({ contactIds: ids });
    expect(sent.statusCode, sent.body).toBe(200);
    expect(sent.json()).toMatchObject({ selected: 6, eligible: 2, queued: 2, wouldQueue: 2 });
    expect(sent.json().skipped).toMatchObject(expectedSkips);

    const de = await mailTo('imported@example.com');
    const en = await mailTo('english@example.com');
    await jobsDone();
    expect(sink.received.flatMap((m) => m.to).sort()).toEqual([
      'english@example.com',
      'imported@example.com',
    ]);
    const deText = decodeMail(de.raw);
    expect(deText).toContain('Möchten Sie weiterhin von uns hören?');
    expect(decodeMail(en.raw)).toContain('Do you want to keep hearing from us?');
    expect(deText).not.toContain('List-Unsubscribe');
    expect((await consentOf(imported))?.status).toBe('pending');

    const token = confirmLink(de.raw);
    const page = await t.app.inject({ method: 'GET', url: `/c/${token}` });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('method="post"');
    expect(page.body).toContain('weiterhin E-Mails erhalten');
    expect((await consentOf(imported))?.status).toBe('pending');

    clock.advance(3_600_000);
    const post = await confirm(token);
    expect(post.statusCode).toBe(200);
    expect((await consentOf(imported))?.status).toBe('confirmed');
    const ledger = await ledgerOf(imported);
    expect(ledger.map((e) => e.event)).toEqual(['requested', 'confirmation_sent', 'confirmed']);
    const [requested, mailed, done] = ledger;
    expect(requested).toMatchObject({
      consent_text_version: 'consent.repermission@1',
      actor_user_id: t.adminUserId,
      details: expect.objectContaining({ repermission: true, locale: 'de', previousStatus: null }),
    });
    expect(requested!.consent_text).toContain('Ja, ich möchte');
    expect(mailed).toMatchObject({ template_id: 'consent.repermission@1', token_ref: requested!.token_ref });
    expect(mailed!.message_id).toBeTruthy();
    expect(done).toMatchObject({
      user_agent: UA,
      ip: expect.any(String),
      token_ref: requested!.token_ref,
      message_id: mailed!.message_id,
    });
    expect((await verifyConsentLedger(t.deps.db, ws(), imported)).breaks).toEqual([]);

    // Withdrawn, suppressed and confirmed contacts were left alone.
    expect((await consentOf(withdrawn))?.status).toBe('withdrawn');
    expect((await consentOf(confirmed))?.status).toBe('confirmed');
    expect((await ledgerOf(suppressed)).length).toBe(0);

    // Asked again the next week: the unconfirmed one is skipped (asked within 30 days), the
    // confirmed one is not eligible any more.
    clock.advance(7 * DAY);
    const again = await repermission({ contactIds: [imported, english] });
    expect(again.json()).toMatchObject({ eligible: 1, queued: 0 });
    expect(again.json().skipped).toMatchObject({ 'recently-asked': 1, confirmed: 1 });
  });

  it('with a freshness period re-asks an old confirmation without downgrading it; confirming records `reconfirmed`', async () => {
    const old = await contact('old-confirmed@example.com', 'Fresh');
    expect((await adminChange(old, 'confirmed')).statusCode).toBe(200);
    const before = (await consentOf(old))!.confirmed_at!;
    clock.advance(400 * DAY);
    admin = await t.login();

    const fresh = await repermission({ contactIds: [old], freshnessDays: 365 });
    expect(fresh.json()).toMatchObject({ eligible: 1, queued: 1 });
    const mail = await mailTo('old-confirmed@example.com');
    expect((await consentOf(old))?.status).toBe('confirmed');

    clock.advance(60_000);
    expect((await confirm(confirmLink(mail.raw))).statusCode).toBe(200);
    const after = (await consentOf(old))!;
    expect(after.status).toBe('confirmed');
    expect(after.confirmed_at!.getTime()).toBeGreaterThan(before.getTime());
    const last = (await ledgerOf(old)).at(-1)!;
    expect(last.event).toBe('reconfirmed');
    expect(last.details).toMatchObject({
      previousStatus: 'confirmed',
      previousConfirmedAt: before.toISOString(),
    });

    // Without a period the workspace's (365 days) decides: the fresh confirmation is not asked.
    const plain = await repermission({ contactIds: [old] });
    expect(plain.json()).toMatchObject({ eligible: 0, queued: 0 });
  });

  it('works on a segment and answers bad input with stable codes', async () => {
    const a = await contact('seg-a@example.com', 'Segmentone');
    const b = await contact('seg-b@example.com', 'Segmentone');
    await contact('not-in-seg@example.com', 'Other');
    const segment = await api('POST', '/api/v1/segments', {
      name: 'Re-permission test',
      definition: {
        kind: 'group',
        op: 'and',
        children: [{ kind: 'field', field: 'last_name', operator: 'eq', value: 'Segmentone' }],
      },
    });
    expect(segment.statusCode, segment.body).toBe(201);
    const res = await repermission({ segmentId: segment.json().segment.id });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ selected: 2, eligible: 2, queued: 2 });
    await mailTo('seg-a@example.com');
    await mailTo('seg-b@example.com');
    await jobsDone();
    expect(sink.received.some((m) => m.to.includes('not-in-seg@example.com'))).toBe(false);
    expect((await consentOf(a))?.status).toBe('pending');
    expect((await consentOf(b))?.status).toBe('pending');

    const code = async (body: Record<string, unknown>) => {
      const r = await repermission(body);
      return [r.statusCode, r.json().error?.code];
    };
    expect(await code({ segmentId: randomUUID() })).toEqual([404, 'REPERMISSION_SEGMENT_UNKNOWN']);
    expect(await code({ contactIds: [] })).toEqual([400, 'REPERMISSION_EMPTY']);
    expect(await code({})).toEqual([400, 'REPERMISSION_EMPTY']);
    expect(await code({ contactIds: Array.from({ length: 5001 }, () => randomUUID()) })).toEqual([
      400,
      'REPERMISSION_TOO_MANY',
    ]);
    expect(await code({ contactIds: [a], purposes: ['phone'] })).toEqual([400, 'VALIDATION_FAILED']);
    expect(await code({ contactIds: ['not-a-uuid'] })).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('keeps workspaces apart', async () => {
    const otherWs = (await createWorkspaceIn(t.deps.db, systemActor(), { name: 'Elsewhere' })).id;
    const foreign = await contact('foreign@example.com', 'Foreign', null, otherWs);
    const res = await repermission({ contactIds: [foreign] });
    expect(res.json()).toMatchObject({ selected: 1, eligible: 0, queued: 0 });
    expect(res.json().skipped['not-found']).toBe(1);
    const foreignSegment = await t.deps.db
      .insertInto('segments')
      .values({
        id: randomUUID(),
        workspace_id: otherWs,
        name: 'theirs',
        description: null,
        definition: JSON.stringify({ kind: 'group', op: 'and', children: [] }),
        created_by: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    expect((await repermission({ segmentId: foreignSegment.id })).json().error?.code).toBe(
      'REPERMISSION_SEGMENT_UNKNOWN',
    );
    await jobsDone();
    expect(sink.received.some((m) => m.to.includes('foreign@example.com'))).toBe(false);
  });
});
