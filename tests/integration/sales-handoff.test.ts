import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { upsertContactByEmail } from '../../src/modules/contacts/index.js';
import { addMember } from '../../src/modules/identity/index.js';
import { ROUTE_LEAD_JOB, signWebhook } from '../../src/modules/sales/index.js';
import { createWorkspaceIn } from '../../src/modules/workspaces/index.js';
import { MODULES } from '../../src/modules.js';
import { collectJobs } from '../../src/server.js';
import { systemActor } from '../../src/shared/actor.js';
import { ManualClock } from '../../src/shared/clock.js';
import { JobWorker } from '../../src/shared/jobs/index.js';
import { type Caller, createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';
import { until } from '../support/mail.js';

const kinds = await availableDbKinds();
const MIN = 60_000;
const PASSWORD = 'a long enough password 123';

// The real wiring of src/modules.ts: scoring's changeStage records every stage move in stage_history.
const modules = MODULES;

describe.each(kinds)('sales hand-off on %s', (kind) => {
  let t: TestApp;
  const clock = new ManualClock('2026-01-05T09:00:00Z'); // Monday 10:00 in Berlin
  const workers: JobWorker[] = [];
  let admin: Caller;
  const reps: Record<string, { id: string; caller: Caller }> = {};
  let hook: Server;
  const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];

  function startWorker() {
    const worker = new JobWorker({
      handle: t.deps.handle,
      definitions: collectJobs(t.deps, modules),
      clock,
      log: t.deps.log,
      concurrency: { critical: 4, default: 2, bulk: 1 },
      leaseMs: 600_000,
      pollMs: 30,
    });
    workers.push(worker);
    return worker.start();
  }

  async function stopWorkers() {
    await Promise.all(workers.splice(0).map((w) => w.stop(2000)));
  }

  async function drained() {
    await until('jobs drained', async () => {
      const rows = await t.deps.db
        .selectFrom('jobs')
        .select(['name', 'state', 'run_at', 'last_error'])
        .where('name', 'like', 'sales.%')
        .execute();
      const dead = rows.filter((r) => r.state === 'dead');
      if (dead.length > 0) throw new Error(`dead jobs: ${JSON.stringify(dead)}`);
      return rows.every((r) => r.run_at.getTime() > clock.now().getTime() && r.state === 'queued');
    });
  }

  async function newContact(email: string, extra: { company?: string } = {}) {
    return t.deps.db.transaction().execute(async (trx) => {
      const { contact } = await upsertContactByEmail(
        trx,
        t.workspaceId,
        email,
        {
          firstName: 'Eva',
          lastName: `<b>${email}</b>`,
          phone: '+49 30 1234567',
          sourceChannel: 'whitepaper',
        },
        clock.now(),
      );
      await trx
        .updateTable('contacts')
        .set({ lifecycle_stage: 'mql', company_id: extra.company ?? null })
        .where('id', '=', contact.id)
        .execute();
      return contact.id;
    });
  }

  const api = (caller: Caller, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) =>
    t.app.inject({
      method,
      url,
      headers: caller.headers(),
      ...(payload !== undefined ? { payload } : {}),
    } as InjectOptions);

  async function setRep(name: string, body: Record<string, unknown> = {}) {
    const res = await api(admin, 'PUT', `/api/v1/sales/reps/${reps[name]!.id}`, {
      active: true,
      isManager: false,
      weight: 1,
      capacity: null,
      timezone: 'Europe/Berlin',
      workingHours: {},
      ...body,
    });
    expect(res.statusCode, res.body).toBe(204);
  }

  async function resetSales() {
    await stopWorkers();
    const ws = t.workspaceId;
    await t.deps.db.deleteFrom('sales_leads').where('workspace_id', '=', ws).execute();
    await t.deps.db.deleteFrom('sales_events').execute();
    await t.deps.db.deleteFrom('notifications').execute();
    await t.deps.db.deleteFrom('sales_territories').execute();
    await t.deps.db.deleteFrom('jobs').execute();
    await t.deps.db.updateTable('contacts').set({ owner_user_id: null }).execute();
    await t.deps.db.updateTable('sales_reps').set({ rr_current: 0 }).execute();
    for (const name of Object.keys(reps)) await setRep(name);
    await api(admin, 'PUT', '/api/v1/sales/settings', {
      slaMinutes: 60,
      reminderMinutes: 30,
      escalation: 'reassign',
      timezone: 'Europe/Berlin',
      workingHours: {},
      webhookUrl: null,
    });
    await t.deps.db.deleteFrom('stage_history').execute();
    received.length = 0;
  }

  beforeAll(async () => {
    // The test webhook listens on 127.0.0.1: private addresses are allowed here, except in the SSRF test.
    t = await createTestApp(kind, { clock, modules, config: { webhookAllowPrivate: true } });
    admin = await t.login();
    for (const name of ['anna', 'ben', 'cora']) {
      const member = await addMember(t.deps.db, systemActor(), t.workspaceId, {
        email: `${name}@acme.example`,
        name: name[0]!.toUpperCase() + name.slice(1),
        role: 'sales',
        password: PASSWORD,
      });
      reps[name] = { id: member.user_id, caller: await t.login(`${name}@acme.example`, PASSWORD) };
    }
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.statusCode = received.length === 1 ? 503 : 200; // the first delivery fails once
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await stopWorkers();
    await new Promise((resolve) => hook?.close(resolve));
    await t?.close();
  });
  beforeEach(async () => {
    clock.set('2026-01-05T09:00:00Z');
    await resetSales();
  });

  /** Stage moves recorded by scoring's changeStage, oldest first. */
  const stageMoves = async () =>
    (
      await t.deps.db
        .selectFrom('stage_history')
        .select(['contact_id', 'to_stage', 'cause', 'note'])
        .where('workspace_id', '=', t.workspaceId)
        .orderBy('id')
        .execute()
    ).map((m) => ({ contactId: m.contact_id, to: m.to_stage, cause: m.cause, note: m.note ?? undefined }));

  const leadsOf = () =>
    t.deps.db.selectFrom('sales_leads').selectAll().where('workspace_id', '=', t.workspaceId).execute();

  it('routes every MQL exactly once with two workers, within capacity and in round-robin turns', async () => {
    for (const name of Object.keys(reps)) await setRep(name, { capacity: 2 });
    const contacts: string[] = [];
    for (let i = 0; i < 8; i++) contacts.push(await newContact(`lead${i}@kunde.example`));
    // Every contact twice, under different keys: as if two MQL entries raced.
    for (const contactId of contacts) {
      for (const entry of ['a', 'b']) {
        await t.deps.queue.enqueue(
          t.deps.db,
          ROUTE_LEAD_JOB,
          { workspaceId: t.workspaceId, contactId },
          { workspaceId: t.workspaceId, idempotencyKey: `sales.route-lead:${contactId}:${entry}` },
        );
      }
    }
    await Promise.all([startWorker(), startWorker()]);
    await until('all route jobs done', async () => {
      const left = await t.deps.db
        .selectFrom('jobs')
        .select('id')
        .where('name', '=', ROUTE_LEAD_JOB.name)
        .execute();
      return left.length === 0;
    });
    const leads = await leadsOf();
    expect(leads).toHaveLength(8);
    expect(new Set(leads.map((l) => l.contact_id)).size).toBe(8);
    const perRep = new Map<string, number>();
    for (const l of leads)
      if (l.assigned_user_id) perRep.set(l.assigned_user_id, (perRep.get(l.assigned_user_id) ?? 0) + 1);
    expect([...perRep.values()].sort()).toEqual([2, 2, 2]);
    expect(leads.filter((l) => l.status === 'unassigned')).toHaveLength(2);
    // The unassigned queue is visible to the managers (the admin), not to a rep.
    const queue = await api(admin, 'GET', '/api/v1/sales/leads?view=unassigned');
    expect(queue.json().items).toHaveLength(2);
    expect(
      (await api(reps.anna!.caller, 'GET', '/api/v1/sales/leads?view=unassigned')).json().error.code,
    ).toBe('SALES_MANAGER_ONLY');
    const adminNotes = await api(admin, 'GET', '/api/v1/notifications');
    expect(
      adminNotes.json().items.filter((n: { kind: string }) => n.kind === 'lead.unassigned'),
    ).toHaveLength(2);
    // The route job ran with cause rule:mql and did not move stages (the contacts were MQL already).
    expect(await stageMoves()).toHaveLength(0);
  });

  it('hands off now by API: moves an engaged contact to MQL, routes once, and a second call changes nothing', async () => {
    const contactId = await newContact('now@kunde.example');
    await t.deps.db
      .updateTable('contacts')
      .set({ lifecycle_stage: 'engaged' })
      .where('id', '=', contactId)
      .execute();
    const first = await api(admin, 'POST', '/api/v1/sales/hand-off', { contactId });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ created: true, status: 'assigned' });
    expect(await stageMoves()).toEqual([
      { contactId, to: 'mql', cause: expect.stringMatching(/^user:/), note: undefined },
    ]);
    const second = await api(admin, 'POST', '/api/v1/sales/hand-off', { contactId });
    expect(second.json()).toMatchObject({ created: false, leadId: first.json().leadId });
    expect(await leadsOf()).toHaveLength(1);
  });

  it('notifies the rep in-app and by mail with the summary; the phone number only with phone consent', async () => {
    const contactId = await newContact('summary@kunde.example');
    const bant = await api(admin, 'PUT', `/api/v1/scoring/contacts/${contactId}/bant`, {
      answers: {
        need: { exists: true, project: 'Predictive maintenance' },
        authority: { role: 'influencer' },
      },
      source: 'form',
    });
    expect(bant.statusCode, bant.body).toBe(200);
    const res = await api(admin, 'POST', '/api/v1/sales/hand-off', { contactId });
    const { leadId, assignedUserId } = res.json();
    const rep = Object.values(reps).find((r) => r.id === assignedUserId)!;
    const inbox = await api(rep.caller, 'GET', '/api/v1/sales/leads');
    const lead = inbox.json().items.find((l: { id: string }) => l.id === leadId);
    expect(lead.summary.who).toMatchObject({ email: 'summary@kunde.example', phone: null });
    expect(lead.summary.sourceChannel).toBe('whitepaper');
    expect(lead.summary.consents).toContainEqual({ purpose: 'phone', given: false });
    const notes = await api(rep.caller, 'GET', '/api/v1/notifications');
    expect(notes.json()).toMatchObject({ unread: 1, items: [{ kind: 'lead.assigned', data: { leadId } }] });
    const repEmail = (
      await t.deps.db.selectFrom('users').select('email').where('id', '=', rep.id).executeTakeFirstOrThrow()
    ).email;
    const mails = await t.deps.db
      .selectFrom('messages')
      .selectAll()
      .where('workspace_id', '=', t.workspaceId)
      .where('to_email', '=', repEmail)
      .where('idempotency_key', 'like', `sales:${leadId}:%`)
      .execute();
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ kind: 'transactional', contact_id: null });
    const content = mails[0]!.content!;
    expect(content.text).toContain('summary@kunde.example');
    expect(content.text).toContain('whitepaper');
    // BANT so far, readable, each answer with its source and date (the rep's locale decides the words).
    expect(lead.summary.bant).toMatchObject({ answers: { need: { exists: true } }, qualified: false });
    expect(content.text).toMatch(
      /(Need: yes – Predictive maintenance \(form, \d{4}-\d\d-\d\d\)|Bedarf: ja – Predictive maintenance \(Formular, \d{4}-\d\d-\d\d\))/,
    );
    expect(content.text).toMatch(/(Authority: influencer|Entscheidungsbefugnis: Beeinflusser) \(/);
    expect(content.text).not.toContain('{"');
    // The contact's data is escaped in the HTML, and the phone number is left out without consent.
    expect(content.html).not.toContain('<b>summary@kunde.example</b>');
    expect(content.html).toContain('&lt;b&gt;');
    expect(JSON.stringify(content)).not.toContain('1234567');
    const read = await api(rep.caller, 'POST', '/api/v1/notifications/read', {});
    expect(read.statusCode).toBe(204);
    expect((await api(rep.caller, 'GET', '/api/v1/notifications')).json().unread).toBe(0);
  });

  it('accept moves the contact to SAL; a second accept and someone else’s accept are refused', async () => {
    const contactId = await newContact('accept@kunde.example');
    const { leadId, assignedUserId } = (
      await api(admin, 'POST', '/api/v1/sales/hand-off', { contactId })
    ).json();
    const owner = Object.values(reps).find((r) => r.id === assignedUserId)!;
    const other = Object.values(reps).find((r) => r.id !== assignedUserId)!;
    const denied = await api(other.caller, 'POST', `/api/v1/sales/leads/${leadId}/accept`);
    expect(denied.json().error.code).toBe('SALES_NOT_YOUR_LEAD');
    const ok = await api(owner.caller, 'POST', `/api/v1/sales/leads/${leadId}/accept`);
    expect(ok.statusCode, ok.body).toBe(204);
    expect((await stageMoves()).at(-1)).toMatchObject({ contactId, to: 'sal', cause: `user:${owner.id}` });
    const again = await api(owner.caller, 'POST', `/api/v1/sales/leads/${leadId}/accept`);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('SALES_LEAD_NOT_OPEN');
    const types = await t.deps.db.selectFrom('sales_events').select('type').orderBy('id').execute();
    expect(types.map((e) => e.type)).toEqual(['lead.assigned', 'lead.accepted']);
  });

  it('reject needs a reason (and a note for "other"), recycles or disqualifies, and keeps the reason for reports', async () => {
    const a = await newContact('rej1@kunde.example');
    const b = await newContact('rej2@kunde.example');
    const leadA = (await api(admin, 'POST', '/api/v1/sales/hand-off', { contactId: a })).json();
    const leadB = (await api(admin, 'POST', '/api/v1/sales/hand-off', { contactId: b })).json();
    const noNote = await api(admin, 'POST', `/api/v1/sales/leads/${leadA.leadId}/reject`, {
      reason: 'other',
      outcome: 'recycled',
    });
    expect(noNote.json().error.code).toBe('SALES_NOTE_REQUIRED');
    const bad = await api(admin, 'POST', `/api/v1/sales/leads/${leadA.leadId}/reject`, {
      reason: 'meh',
      outcome: 'recycled',
    });
    expect(bad.statusCode).toBe(400);
    const owner = Object.values(reps).find((r) => r.id === leadA.assignedUserId)!;
    expect(
      (
        await api(owner.caller, 'POST', `/api/v1/sales/leads/${leadA.leadId}/reject`, {
          reason: 'no_budget',
          outcome: 'recycled',
        })
      ).statusCode,
    ).toBe(204);
    expect(
      (
        await api(admin, 'POST', `/api/v1/sales/leads/${leadB.leadId}/reject`, {
          reason: 'other',
          note: 'student project',
          outcome: 'disqualified',
        })
      ).statusCode,
    ).toBe(204);
    expect((await stageMoves()).slice(-2)).toMatchObject([
      { contactId: a, to: 'recycled' },
      { contactId: b, to: 'disqualified', note: 'student project' },
    ]);
    const report = await api(admin, 'GET', '/api/v1/sales/reports/reject-reasons');
    expect(report.json().items).toEqual(
      expect.arrayContaining([
        { reason: 'no_budget', outcome: 'recycled', count: 1 },
        { reason: 'other', outcome: 'disqualified', count: 1 },
      ]),
    );
    // A recycled contact can be handed off again later (a new lead; the old one keeps its reason).
    await t.deps.db.updateTable('contacts').set({ lifecycle_stage: 'mql' }).where('id', '=', a).execute();
    const again = await api(admin, 'POST', '/api/v1/sales/hand-off', { contactId: a });
    expect(again.json()).toMatchObject({ created: true });
    expect((await leadsOf()).filter((l) => l.contact_id === a)).toHaveLength(2);
  });

  it('converts an accepted lead: a note qualifies by hand (SQL), then opportunity and the lead.converted event', async () => {
    const contactId = await newContact('deal@kunde.example');
    const { leadId } = (await api(admin, 'POST', '/api/v1/sales/hand-off', { contactId })).json();
    expect((await api(admin, 'POST', `/api/v1/sales/leads/${leadId}/convert`, {})).statusCode).toBe(409);
    await api(admin, 'POST', `/api/v1/sales/leads/${leadId}/accept`);
    const noNote = await api(admin, 'POST', `/api/v1/sales/leads/${leadId}/convert`, {});
    expect(noNote.json().error.code).toBe('SALES_NOTE_REQUIRED');
    const ok = await api(admin, 'POST', `/api/v1/sales/leads/${leadId}/convert`, {
      note: 'Budget confirmed on call',
    });
    expect(ok.statusCode, ok.body).toBe(204);
    expect((await stageMoves()).slice(-2).map((m) => m.to)).toEqual(['sql', 'opportunity']);
    const event = await t.deps.db
      .selectFrom('sales_events')
      .selectAll()
      .where('type', '=', 'lead.converted')
      .executeTakeFirstOrThrow();
    expect(event.payload).toMatchObject({ leadId, contactId, qualificationNote: 'Budget confirmed on call' });
  });

  it('the account owner gets the next lead of the same company; a manager reassigns by hand with audit', async () => {
    const company = await t.deps.db
      .insertInto('companies')
      .values({ id: '01900000-0000-7000-8000-00000000c0de', workspace_id: t.workspaceId, name: 'Kunde AG' })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .execute();
    const companyId = company[0]?.id ?? '01900000-0000-7000-8000-00000000c0de';
    const first = await newContact('first@kunde-ag.example', { company: companyId });
    const second = await newContact('second@kunde-ag.example', { company: companyId });
    const l1 = (await api(admin, 'POST', '/api/v1/sales/hand-off', { contactId: first })).json();
    const l2 = (await api(admin, 'POST', '/api/v1/sales/hand-off', { contactId: second })).json();
    expect(l2.assignedUserId).toBe(l1.assignedUserId);
    const lead2 = await t.deps.db
      .selectFrom('sales_leads')
      .selectAll()
      .where('id', '=', l2.leadId)
      .executeTakeFirstOrThrow();
    expect(lead2.routed_by).toBe('account_owner');

    const target = Object.values(reps).find((r) => r.id !== l2.assignedUserId)!;
    const byRep = await api(target.caller, 'POST', `/api/v1/sales/leads/${l2.leadId}/assign`, {
      userId: target.id,
    });
    expect(byRep.json().error.code).toBe('SALES_MANAGER_ONLY');
    const notARep = await api(admin, 'POST', `/api/v1/sales/leads/${l2.leadId}/assign`, {
      userId: t.adminUserId,
    });
    expect(notARep.json().error.code).toBe('SALES_NOT_A_REP');
    const ok = await api(admin, 'POST', `/api/v1/sales/leads/${l2.leadId}/assign`, {
      userId: target.id,
      note: 'speaks French',
    });
    expect(ok.statusCode, ok.body).toBe(204);
    const audit = await t.deps.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'sales.lead-reassigned')
      .where('target_id', '=', l2.leadId)
      .executeTakeFirstOrThrow();
    expect(audit.details).toMatchObject({ from: l2.assignedUserId, to: target.id, note: 'speaks French' });
    const detail = await api(target.caller, 'GET', `/api/v1/sales/leads/${l2.leadId}`);
    expect(detail.json().events.map((e: { kind: string }) => e.kind)).toEqual([
      'created',
      'routed',
      'reassigned',
    ]);
  });

  it('SLA: reminds at 30 working minutes, reassigns at 60, and a late step of an old assignment does nothing', async () => {
    // Working hours Mon–Fri 09:00–17:00 Berlin: a lead at Monday 16:30 is due Tuesday 09:30.
    const office = [['09:00', '17:00']];
    await api(admin, 'PUT', '/api/v1/sales/settings', {
      workingHours: { '1': office, '2': office, '3': office, '4': office, '5': office },
    });
    await startWorker();
    clock.set('2026-01-05T15:30:00Z');
    const contactId = await newContact('sla@kunde.example');
    const { leadId, assignedUserId } = (
      await api(admin, 'POST', '/api/v1/sales/hand-off', { contactId })
    ).json();
    const lead = await t.deps.db
      .selectFrom('sales_leads')
      .selectAll()
      .where('id', '=', leadId)
      .executeTakeFirstOrThrow();
    expect(lead.sla_due_at?.toISOString()).toBe('2026-01-06T08:30:00.000Z');
    await drained();

    clock.set('2026-01-05T16:00:00Z'); // 17:00 Berlin: 30 working minutes passed
    await until('reminder', async () => {
      const l = await t.deps.db
        .selectFrom('sales_leads')
        .select('reminded_at')
        .where('id', '=', leadId)
        .executeTakeFirst();
      return l?.reminded_at;
    });
    const firstRep = Object.values(reps).find((r) => r.id === assignedUserId)!;
    const notes = (await api(firstRep.caller, 'GET', '/api/v1/notifications'))
      .json()
      .items.map((n: { kind: string }) => n.kind);
    expect(notes).toContain('lead.reminder');

    clock.set('2026-01-06T08:29:00Z'); // not yet due
    await drained();
    expect(
      (
        await t.deps.db
          .selectFrom('sales_leads')
          .select('assigned_user_id')
          .where('id', '=', leadId)
          .executeTakeFirst()
      )?.assigned_user_id,
    ).toBe(assignedUserId);

    clock.set('2026-01-06T08:31:00Z');
    const moved = await until('reassigned', async () => {
      const l = await t.deps.db
        .selectFrom('sales_leads')
        .selectAll()
        .where('id', '=', leadId)
        .executeTakeFirst();
      return l && l.assigned_user_id !== assignedUserId ? l : undefined;
    });
    expect(moved.assignment_seq).toBe(2);
    expect(moved.routed_by).toMatch(/^escalation:/);
    expect(moved.sla_due_at?.toISOString()).toBe('2026-01-06T09:31:00.000Z');
    const adminNotes = (await api(admin, 'GET', '/api/v1/notifications'))
      .json()
      .items.map((n: { kind: string }) => n.kind);
    expect(adminNotes).toContain('lead.escalated');
    await drained();

    // The new rep accepts before the new deadline; the deadline passing later changes nothing.
    const newRep = Object.values(reps).find((r) => r.id === moved.assigned_user_id)!;
    expect((await api(newRep.caller, 'POST', `/api/v1/sales/leads/${leadId}/accept`)).statusCode).toBe(204);
    clock.advance(120 * MIN);
    await drained();
    const final = await t.deps.db
      .selectFrom('sales_leads')
      .selectAll()
      .where('id', '=', leadId)
      .executeTakeFirstOrThrow();
    expect(final).toMatchObject({ status: 'accepted', assigned_user_id: newRep.id, assignment_seq: 2 });
    const escalations = await t.deps.db
      .selectFrom('sales_events')
      .select('type')
      .where('type', '=', 'lead.escalated')
      .execute();
    expect(escalations).toHaveLength(1);
  });

  it('SLA with "notify manager": the lead stays with the rep and the managers are told', async () => {
    await api(admin, 'PUT', '/api/v1/sales/settings', { escalation: 'notify_manager', reminderMinutes: 0 });
    await startWorker();
    const contactId = await newContact('notify@kunde.example');
    const { leadId, assignedUserId } = (
      await api(admin, 'POST', '/api/v1/sales/hand-off', { contactId })
    ).json();
    clock.advance(61 * MIN);
    await until('escalated', async () => {
      const l = await t.deps.db
        .selectFrom('sales_leads')
        .select('escalated_at')
        .where('id', '=', leadId)
        .executeTakeFirst();
      return l?.escalated_at;
    });
    const l = await t.deps.db
      .selectFrom('sales_leads')
      .selectAll()
      .where('id', '=', leadId)
      .executeTakeFirstOrThrow();
    expect(l).toMatchObject({ assigned_user_id: assignedUserId, status: 'assigned', reminded_at: null });
  });

  it('delivers outbox events to the webhook, signed, retrying after a failure', async () => {
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    const settings = await api(admin, 'PUT', '/api/v1/sales/settings', { webhookUrl: url });
    expect(settings.json()).toMatchObject({ webhookUrl: url, webhookSecretSet: true });
    const { secret } = (await api(admin, 'POST', '/api/v1/sales/settings/webhook-secret')).json();
    await startWorker();
    const contactId = await newContact('hook@kunde.example');
    const { leadId } = (await api(admin, 'POST', '/api/v1/sales/hand-off', { contactId })).json();
    // The first attempt is answered 503; the retry is due after the backoff.
    await until('first attempt', () => received.length >= 1);
    await until('retry scheduled', async () => {
      const e = await t.deps.db.selectFrom('sales_events').select('attempts').executeTakeFirst();
      return e && e.attempts >= 1;
    });
    clock.advance(10 * MIN);
    await until('delivered', async () => {
      const e = await t.deps.db.selectFrom('sales_events').select('delivered_at').executeTakeFirst();
      return e?.delivered_at;
    });
    const last = received.at(-1)!;
    expect(last.headers['x-leadwerk-event']).toBe('lead.assigned');
    const sig = String(last.headers['x-leadwerk-signature']);
    const ts = Number(/t=(\d+)/.exec(sig)?.[1]);
    expect(sig).toBe(signWebhook(secret, ts, last.body));
    expect(signWebhook('wrong-secret', ts, last.body)).not.toBe(sig);
    expect(JSON.parse(last.body)).toMatchObject({ type: 'lead.assigned', leadId, contactId });
  });

  it('refuses webhook URLs to private, loopback and link-local addresses at save and at send time', async () => {
    const port = (hook.address() as AddressInfo).port;
    t.deps.config.webhookAllowPrivate = false;
    try {
      for (const url of [
        `http://127.0.0.1:${port}/hook`,
        'http://169.254.169.254/latest/meta-data/',
        'http://10.1.2.3/',
        'http://[::1]/',
        'http://[::ffff:192.168.1.1]/',
        `http://localhost:${port}/hook`, // a name that resolves to loopback
      ]) {
        const res = await api(admin, 'PUT', '/api/v1/sales/settings', { webhookUrl: url });
        expect(res.statusCode, url).toBe(400);
        expect(res.json().error.code, url).toBe('SALES_WEBHOOK_URL_NOT_ALLOWED');
      }
      const ftp = await api(admin, 'PUT', '/api/v1/sales/settings', { webhookUrl: 'ftp://example.com/x' });
      expect(ftp.json().error.code).toBe('SALES_WEBHOOK_URL_NOT_ALLOWED');
      // Saved while allowed (a local test setup), then the guard is on again: the send refuses it
      // after resolving the name, and does not retry.
      t.deps.config.webhookAllowPrivate = true;
      const saved = await api(admin, 'PUT', '/api/v1/sales/settings', {
        webhookUrl: `http://localhost:${port}/hook`,
      });
      expect(saved.statusCode).toBe(200);
      t.deps.config.webhookAllowPrivate = false;
      await startWorker();
      const contactId = await newContact('ssrf@kunde.example');
      const handOff = await api(admin, 'POST', '/api/v1/sales/hand-off', { contactId });
      expect(handOff.statusCode, handOff.body).toBe(200);
      const event = await until('refused', async () => {
        const e = await t.deps.db.selectFrom('sales_events').selectAll().executeTakeFirst();
        return e?.last_error ? e : undefined;
      });
      expect(event.last_error).toMatch(/^SALES_WEBHOOK_URL_NOT_ALLOWED/);
      expect(event.delivered_at).toBeNull();
      expect(received).toHaveLength(0);
      await until('not retried', async () => {
        const job = await t.deps.db
          .selectFrom('jobs')
          .select('state')
          .where('name', '=', 'sales.deliver-event')
          .executeTakeFirst();
        return job?.state === 'dead' || job === undefined;
      });
    } finally {
      t.deps.config.webhookAllowPrivate = true;
    }
  });

  it('keeps workspaces apart: no cross-workspace leads, reps or actions', async () => {
    const other = await t.deps.db
      .transaction()
      .execute((trx) =>
        createWorkspaceIn(trx, systemActor(), { name: `Other ${kind}`, slug: `other-${kind}` }),
      );
    await t.deps.db
      .insertInto('memberships')
      .values({ workspace_id: other.id, user_id: t.adminUserId, role: 'admin' })
      .execute();
    const otherContact = await t.deps.db.transaction().execute(async (trx) => {
      const { contact } = await upsertContactByEmail(trx, other.id, 'x@other.example', {}, clock.now());
      await trx
        .updateTable('contacts')
        .set({ lifecycle_stage: 'mql' })
        .where('id', '=', contact.id)
        .execute();
      return contact.id;
    });
    const otherHeaders = { ...admin.headers(), 'x-workspace-id': other.id };
    // Nobody is a rep in the other workspace: the lead waits unassigned, never goes to our reps.
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sales/hand-off',
      headers: otherHeaders,
      payload: { contactId: otherContact },
    });
    expect(res.json()).toMatchObject({ status: 'unassigned', assignedUserId: null });
    // Our workspace cannot see, hand off or act on it.
    const ours = await api(admin, 'POST', '/api/v1/sales/hand-off', { contactId: otherContact });
    expect(ours.statusCode).toBe(404);
    expect((await api(admin, 'GET', `/api/v1/sales/leads/${res.json().leadId}`)).statusCode).toBe(404);
    expect((await api(admin, 'POST', `/api/v1/sales/leads/${res.json().leadId}/accept`)).statusCode).toBe(
      404,
    );
    const assign = await t.app.inject({
      method: 'POST',
      url: `/api/v1/sales/leads/${res.json().leadId}/assign`,
      headers: otherHeaders,
      payload: { userId: reps.anna!.id },
    });
    expect(assign.json().error.code).toBe('SALES_NOT_A_REP');
    expect((await api(admin, 'GET', '/api/v1/sales/leads?view=all')).json().items).toHaveLength(0);
  });

  it('validates rep settings and keeps vacations', async () => {
    const bad = await api(admin, 'PUT', `/api/v1/sales/reps/${reps.anna!.id}`, {
      active: true,
      weight: 1,
      capacity: 3,
      timezone: 'Mars/Olympus',
      workingHours: {},
    });
    expect(bad.statusCode).toBe(400);
    const badHours = await api(admin, 'PUT', `/api/v1/sales/reps/${reps.anna!.id}`, {
      active: true,
      weight: 1,
      capacity: 3,
      timezone: 'Europe/Berlin',
      workingHours: { '1': [['17:00', '09:00']] },
    });
    expect(badHours.statusCode).toBe(400);
    const absence = await api(reps.anna!.caller, 'POST', `/api/v1/sales/reps/${reps.anna!.id}/absences`, {
      startsAt: '2026-01-01T00:00:00Z',
      endsAt: '2026-01-10T00:00:00Z',
      note: 'Skiurlaub',
    });
    expect(absence.statusCode, absence.body).toBe(201);
    const forOther = await api(reps.anna!.caller, 'POST', `/api/v1/sales/reps/${reps.ben!.id}/absences`, {
      startsAt: '2026-01-01T00:00:00Z',
      endsAt: '2026-01-10T00:00:00Z',
    });
    expect(forOther.json().error.code).toBe('SALES_MANAGER_ONLY');
    // Anna is away: three leads go to Ben and Cora only.
    for (let i = 0; i < 3; i++) {
      const c = await newContact(`away${i}@kunde.example`);
      const r = await api(admin, 'POST', '/api/v1/sales/hand-off', { contactId: c });
      expect(r.json().assignedUserId).not.toBe(reps.anna!.id);
    }
    const list = (await api(admin, 'GET', '/api/v1/sales/reps')).json();
    const anna = list.items.find((m: { userId: string }) => m.userId === reps.anna!.id);
    expect(anna.rep.absences).toHaveLength(1);
    await api(
      reps.anna!.caller,
      'DELETE',
      `/api/v1/sales/reps/${reps.anna!.id}/absences/${absence.json().id}`,
    );
  });
});
