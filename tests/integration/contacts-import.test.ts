import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importJobs, stageImport } from '../../src/modules/contacts/imports.service.js';
import { contactsModule } from '../../src/modules/contacts/index.js';
import { addSuppression } from '../../src/modules/suppression/index.js';
import { JobWorker } from '../../src/shared/jobs/index.js';
import { type Caller, createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';

const kinds = await availableDbKinds();

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(kinds)('CSV import and export on %s', (kind) => {
  let t: TestApp;
  let admin: Caller;
  let worker: JobWorker;

  const call = async (method: string, url: string, payload?: unknown) =>
    t.app.inject({
      method: method as 'GET',
      url,
      headers: admin.headers(),
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  async function upload(csv: string | Buffer, fileName = 'test.csv') {
    const res = await t.app.inject({
      method: 'POST',
      url: `/api/v1/imports?fileName=${fileName}`,
      headers: admin.headers({ 'content-type': 'text/csv' }),
      payload: csv,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as {
      import: { id: string; header: string[]; encoding: string; delimiter: string };
      suggestedMapping: Record<string, string>;
    };
  }

  async function runImport(csv: string | Buffer, settings: Record<string, unknown>) {
    const up = await upload(csv);
    const start = await call('POST', `/api/v1/imports/${up.import.id}/start`, {
      mapping: up.suggestedMapping,
      existing: 'skip',
      mode: 'all_or_nothing',
      ...settings,
    });
    expect(start.statusCode, start.body).toBe(200);
    worker.wake();
    return until(
      async () => (await call('GET', `/api/v1/imports/${up.import.id}`)).json().import,
      (i) => ['done', 'failed', 'cancelled'].includes(i.status),
    );
  }

  const contact = async (email: string) =>
    t.deps.db
      .selectFrom('contacts')
      .selectAll()
      .where('workspace_id', '=', t.workspaceId)
      .where('email_normalized', '=', email)
      .executeTakeFirst();

  /** A worker for the contacts module's jobs (staging and applying imports), started. */
  async function startWorker(): Promise<JobWorker> {
    const w = new JobWorker({
      handle: t.deps.handle,
      definitions: contactsModule.jobs!(t.deps),
      clock: t.deps.clock,
      log: t.deps.log,
      pollMs: 100,
    });
    await w.start();
    return w;
  }

  beforeAll(async () => {
    t = await createTestApp(kind);
    admin = await t.login();
    worker = await startWorker();
    await call('POST', '/api/v1/custom-fields/contact', { key: 'budget', label: 'Budget', type: 'number' });
    const res = await call('POST', '/api/v1/contacts', {
      email: 'existing@firma.de',
      firstName: 'Alt',
      jobTitle: 'Einkauf',
    });
    expect(res.statusCode, res.body).toBe(201);
  });
  afterAll(async () => {
    await worker?.stop(5000);
    await t?.close();
  });

  it('guesses delimiter and mapping (German headers), and imports new contacts with companies', async () => {
    const csv =
      'E-Mail;Vorname;Nachname;Firma;Land;budget\r\nneu1@kunde-gmbh.de;Jana;Kühn;Kunde GmbH;Deutschland;1.500\r\nneu2@gmail.com;Tom;Lee;;UK;\r\n';
    const up = await upload(csv);
    expect(up.import.delimiter).toBe(';');
    expect(up.suggestedMapping).toEqual({
      'E-Mail': 'email',
      Vorname: 'first_name',
      Nachname: 'last_name',
      Firma: 'company_name',
      Land: 'country',
      budget: 'custom:budget',
    });
    const done = await runImport(csv, {});
    expect(done).toMatchObject({ status: 'done', totalRows: 2, created: 2, errorRows: 0 });
    const jana = await contact('neu1@kunde-gmbh.de');
    expect(jana).toMatchObject({
      first_name: 'Jana',
      last_name: 'Kühn',
      country: 'DE',
      custom_fields: { budget: 1500 },
    });
    expect(jana!.company_id).not.toBeNull();
    expect((await contact('neu2@gmail.com'))!.company_id).toBeNull();
    const timeline = (await call('GET', `/api/v1/contacts/${jana!.id}/timeline`)).json().items;
    expect(timeline[0].type).toBe('contacts.imported');
  });

  it('gives new contacts and companies time-ordered ids (UUIDv7) that ascend with the row', async () => {
    const csv = `email,first_name\n${Array.from({ length: 30 }, (_, i) => `v7-${i}@ordnung-${i % 3}.de,N${i}`).join('\n')}\n`;
    expect(await runImport(csv, {})).toMatchObject({ status: 'done', created: 30 });
    const rows = await t.deps.db
      .selectFrom('contacts')
      .select(['id', 'email_normalized', 'company_id'])
      .where('workspace_id', '=', t.workspaceId)
      .where('email_normalized', 'like', 'v7-%')
      .execute();
    expect(rows).toHaveLength(30);
    const byRow = rows.sort(
      (a, b) =>
        Number(a.email_normalized.slice(3).split('@')[0]) - Number(b.email_normalized.slice(3).split('@')[0]),
    );
    for (const r of byRow)
      expect(r.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const ids = byRow.map((r) => r.id);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(30);
    const companies = await t.deps.db
      .selectFrom('companies')
      .select('id')
      .where('id', 'in', [...new Set(rows.map((r) => r.company_id!))])
      .execute();
    expect(companies).toHaveLength(3);
    for (const c of companies) expect(c.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
  });

  it('handles existing contacts per mode: skip, update, fill empty', async () => {
    const csv = 'email,first_name,job_title,city\nexisting@firma.de,Neu,Geschäftsführer,Berlin\n';
    expect(await runImport(csv, { existing: 'skip' })).toMatchObject({
      status: 'done',
      skipped: 1,
      created: 0,
    });
    expect(await contact('existing@firma.de')).toMatchObject({
      first_name: 'Alt',
      job_title: 'Einkauf',
      city: null,
    });
    expect(await runImport(csv, { existing: 'fill_empty' })).toMatchObject({ status: 'done', updated: 1 });
    expect(await contact('existing@firma.de')).toMatchObject({
      first_name: 'Alt',
      job_title: 'Einkauf',
      city: 'Berlin',
    });
    expect(await runImport(csv.replace('Berlin', 'Hamburg'), { existing: 'update' })).toMatchObject({
      status: 'done',
      updated: 1,
    });
    expect(await contact('existing@firma.de')).toMatchObject({
      first_name: 'Neu',
      job_title: 'Geschäftsführer',
      city: 'Hamburg',
    });
  });

  it('imports nothing from a broken file unless "valid rows" is chosen, and reports every row', async () => {
    const big = 'x'.repeat(10 * 1024 * 1024);
    const csv = [
      'email,first_name,budget',
      'ok1@valid.de,Ok,100',
      'not-an-address,Bad,1',
      'ragged@valid.de,Too,1,many,columns',
      '"quoted@valid.de","Anna ""die Große"", Chefin",2',
      `huge@valid.de,${big},3`,
      'ok1@valid.de,Duplicate,4',
      'budget@valid.de,Num,viel',
    ].join('\n');
    const failed = await runImport(csv, { mode: 'all_or_nothing' });
    expect(failed.status).toBe('failed');
    expect(failed.failure).toMatch(/rows have errors; nothing was imported/);
    expect(await contact('ok1@valid.de')).toBeUndefined();
    const report = await call('GET', `/api/v1/imports/${failed.id}/report.csv`);
    const lines = report.body.trim().split('\r\n');
    expect(lines[0]).toBe('\uFEFFrow,email,outcome,error'.replace('\uFEFF', ''));
    expect(report.body).toMatch(/not-an-address/);
    expect(report.body).toMatch(/has 5 columns, the header has 3/);
    expect(report.body).toMatch(/appears earlier in the file/);
    expect(report.body).toMatch(/budget: not a number/);
    expect(report.body).toMatch(/first_name: longer than 100000 characters/);
    // In German for a German user (the admin UI sends its language), in English for everyone else.
    const german = { headers: admin.headers({ 'accept-language': 'de-DE,de;q=0.9,en;q=0.8' }) };
    const reportDe = await t.app.inject({
      method: 'GET',
      url: `/api/v1/imports/${failed.id}/report.csv`,
      ...german,
    });
    expect(reportDe.body.split('\r\n')[0]).toBe('Zeile,E-Mail,Ergebnis,Fehler');
    expect(reportDe.body).toMatch(/,Fehler,"?hat 5 Spalten, die Kopfzeile hat 3/);
    expect(reportDe.body).toMatch(/budget: keine Zahl/);
    expect(reportDe.body).toMatch(/dieselbe E-Mail-Adresse steht weiter oben in der Datei \(Zeile 1\)/);
    expect(reportDe.body).toMatch(/first_name: länger als 100000 Zeichen/);
    const failedDe = await t.app.inject({ method: 'GET', url: `/api/v1/imports/${failed.id}`, ...german });
    expect(failedDe.json().import.failure).toMatch(/^\d+ Zeilen haben Fehler; nichts wurde importiert$/);
    const reportEn = await t.app.inject({
      method: 'GET',
      url: `/api/v1/imports/${failed.id}/report.csv?lang=en`,
      ...german,
    });
    expect(reportEn.body).toMatch(/has 5 columns, the header has 3/);

    const partial = await runImport(csv, { mode: 'valid_rows' });
    expect(partial).toMatchObject({ status: 'done', created: 2 });
    expect((await contact('quoted@valid.de'))!.first_name).toBe('Anna "die Große", Chefin');
  });

  it('stages every row of a file larger than one staging batch, with row numbers and duplicates across batches', async () => {
    const rows = Array.from({ length: 11_000 }, (_, i) => `batch${i + 1}@stapel.de,P${i + 1}`);
    rows[5_000] = 'kein-at-zeichen,Broken'; // row 5,001: the first row of the second batch
    rows[10_499] = 'batch3@stapel.de,Again'; // row 10,500 repeats row 3
    const done = await runImport(`email,first_name\n${rows.join('\n')}\n`, { mode: 'valid_rows' });
    expect(done).toMatchObject({ status: 'done', totalRows: 11_000, errorRows: 2, created: 10_998 });
    const report = (await call('GET', `/api/v1/imports/${done.id}/report.csv`)).body.trim().split('\r\n');
    expect(report.slice(1)).toEqual([
      expect.stringMatching(/^5001,kein-at-zeichen,error,/),
      expect.stringMatching(/^10500,batch3@stapel.de,error,.*row 3\)/),
    ]);
    expect((await contact('batch11000@stapel.de'))!.first_name).toBe('P11000');
  });

  it('reads a Windows-1252 file (Excel) correctly', async () => {
    const csv = Buffer.from('email;first_name;last_name\r\nwin@firma.de;Jürgen;Größe\r\n', 'latin1');
    const up = await upload(csv);
    expect(up.import.encoding).toBe('windows-1252');
    const done = await runImport(csv, {});
    expect(done.status).toBe('done');
    expect(await contact('win@firma.de')).toMatchObject({ first_name: 'Jürgen', last_name: 'Größe' });
  });

  it('never revives a suppressed address, and never creates consent without proof', async () => {
    await addSuppression(t.deps.db, t.workspaceId, 'gone@firma.de', { reason: 'unsubscribed' });
    const csv = 'email,newsletter\ngone@firma.de,yes\nnoproof@firma.de,yes\n';
    const done = await runImport(csv, { mapping: { email: 'email', newsletter: 'consent' } });
    expect(done).toMatchObject({ status: 'done', suppressed: 1, created: 1, consents: 0 });
    expect(await contact('gone@firma.de')).toBeUndefined();
    const noproof = await contact('noproof@firma.de');
    expect(noproof!.tags).toContain('re-permission');
    expect(
      await t.deps.db.selectFrom('consents').selectAll().where('contact_id', '=', noproof!.id).execute(),
    ).toEqual([]);

    const withProof = await runImport(
      'email,newsletter,optin_at\nproof@firma.de,ja,01.02.2025\nwithout@firma.de,nein,\n',
      {
        mapping: { email: 'email', newsletter: 'consent', optin_at: 'consent_date' },
        consent: {
          purpose: 'newsletter',
          legalBasis: 'consent',
          proof: 'DOI-Protokoll aus Mautic, Export vom 2026-02-01',
        },
      },
    );
    expect(withProof).toMatchObject({ status: 'done', created: 2, consents: 1 });
    const proof = await contact('proof@firma.de');
    const consent = await t.deps.db
      .selectFrom('consents')
      .selectAll()
      .where('contact_id', '=', proof!.id)
      .executeTakeFirstOrThrow();
    expect(consent).toMatchObject({ purpose: 'newsletter', status: 'confirmed' });
    const ledger = await t.deps.db
      .selectFrom('consent_events')
      .selectAll()
      .where('contact_id', '=', proof!.id)
      .execute();
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({ event: 'imported' });
    expect(ledger[0]!.details).toMatchObject({ proof: 'DOI-Protokoll aus Mautic, Export vom 2026-02-01' });
  });

  it('can be cancelled between chunks and resumed to the end', async () => {
    const rows = Array.from({ length: 12_000 }, (_, i) => `bulk${i}@massen-import.de,Person ${i}`);
    const csv = `email,first_name\n${rows.join('\n')}\n`;
    await worker.stop(5000);
    const up = await upload(csv);
    await call('POST', `/api/v1/imports/${up.import.id}/start`, {
      mapping: up.suggestedMapping,
      existing: 'skip',
      mode: 'valid_rows',
    });
    // Only staging runs: a worker that stops after the first applied chunk.
    worker = await startWorker();
    await until(
      async () => (await call('GET', `/api/v1/imports/${up.import.id}`)).json().import,
      (i) => i.appliedRows > 0 || i.status === 'done',
    );
    const cancelled = await call('POST', `/api/v1/imports/${up.import.id}/cancel`);
    expect([200, 409]).toContain(cancelled.statusCode);
    if (cancelled.statusCode === 200) {
      await new Promise((r) => setTimeout(r, 300));
      const mid = (await call('GET', `/api/v1/imports/${up.import.id}`)).json().import;
      expect(mid.status).toBe('cancelled');
      expect(mid.appliedRows).toBeLessThan(12_000);
      const resumed = await call('POST', `/api/v1/imports/${up.import.id}/resume`);
      expect(resumed.statusCode, resumed.body).toBe(200);
      worker.wake();
    }
    const done = await until(
      async () => (await call('GET', `/api/v1/imports/${up.import.id}`)).json().import,
      (i) => i.status === 'done',
    );
    expect(done).toMatchObject({ created: 12_000, appliedRows: 12_000 });
    const n = await t.deps.db
      .selectFrom('contacts')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('email_normalized', 'like', 'bulk%@massen-import.de')
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(12_000);
  });

  it('applies the chunks in two chains at once: every row once, every new company with its domain, done once', async () => {
    // 12,000 rows are three chunks; the 40 new business domains appear in every chunk, so both
    // chains' first chunks create the same companies at the same time.
    const rows = Array.from({ length: 12_000 }, (_, i) => `p${i}@werk${i % 40}-ketten.de,Person ${i}`);
    const csv = `email,first_name\n${rows.join('\n')}\n`;
    await worker.stop(5000);
    const up = await upload(csv);
    const start = await call('POST', `/api/v1/imports/${up.import.id}/start`, {
      mapping: up.suggestedMapping,
      existing: 'skip',
      mode: 'all_or_nothing',
    });
    expect(start.statusCode, start.body).toBe(200);
    // Staged here, with no worker running: the apply jobs it plans stay queued to be looked at
    // (the queued staging job then finds the import staged and does nothing).
    await stageImport(
      t.deps.db,
      t.deps.clock,
      t.deps.queue,
      importJobs(() => t.deps.queue, t.deps.clock),
      up.import.id,
    );
    const planned = await t.deps.db
      .selectFrom('jobs')
      .select('payload')
      .where('name', '=', 'contacts.apply-import-chunk')
      .where('state', '=', 'queued')
      .execute();
    const seqs = planned
      .map((j) => j.payload as { importId: string; seq: number })
      .filter((p) => p.importId === up.import.id)
      .map((p) => p.seq)
      .sort();
    expect(seqs).toEqual([0, 1]);

    worker = await startWorker();
    const done = await until(
      async () => (await call('GET', `/api/v1/imports/${up.import.id}`)).json().import,
      (i) => i.status === 'done',
    );
    expect(done).toMatchObject({ created: 12_000, appliedRows: 12_000 });
    const db = t.deps.db;
    const count = async (q: { executeTakeFirstOrThrow(): Promise<{ n: string | number | bigint }> }) =>
      Number((await q.executeTakeFirstOrThrow()).n);
    expect(
      await count(
        db
          .selectFrom('contacts')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('workspace_id', '=', t.workspaceId)
          .where('email_normalized', 'like', 'p%@werk%-ketten.de'),
      ),
    ).toBe(12_000);
    // Each new domain got exactly one company, every company its domain, every contact its company.
    const companies = await db
      .selectFrom('companies as co')
      .leftJoin('company_domains as cd', 'cd.company_id', 'co.id')
      .select(['co.id', 'cd.domain'])
      .where('co.workspace_id', '=', t.workspaceId)
      .where('co.website', 'like', 'https://werk%-ketten.de')
      .execute();
    expect(companies).toHaveLength(40);
    expect(companies.every((c) => c.domain !== null)).toBe(true);
    expect(
      await count(
        db
          .selectFrom('contacts')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('workspace_id', '=', t.workspaceId)
          .where('email_normalized', 'like', 'p%@werk%-ketten.de')
          .where('company_id', 'is', null),
      ),
    ).toBe(0);
    expect(
      await count(
        db
          .selectFrom('audit_log')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('action', '=', 'imports.finished')
          .where('target_id', '=', up.import.id),
      ),
    ).toBe(1);
  });

  it('stages every row in file order with its values intact, unreadable records in their place', async () => {
    // Three batches and then some, with what array literals and validation can trip over: quotes,
    // backslashes, braces, commas and "NULL" in names and tags, umlauts, an unreadable record, a
    // ragged row, a bad address, a duplicate, a bad stage.
    const lines = ['email,first_name,last_name,tags,lifecycle_stage,consent'];
    for (let i = 0; i < 15_500; i++) {
      const k = i % 7;
      if (k === 0) lines.push(`t${i}@thread-faden.de,"Anna ""Q"" \\ {x}",NULL,"a,b;NULL;{c}",lead,ja`);
      else if (k === 1) lines.push(`t${i}@thread-faden.de,Jürgen,Müller-Lüdenscheidt,,kunde,nein`);
      else if (k === 2) lines.push(`kaputt${i}@,Ben,,,,`);
      else if (k === 3) lines.push(`t${i}@thread-faden.de,Carla`);
      else if (k === 4) lines.push(`t${i - 4}@thread-faden.de,Doppelt,,,,`);
      else if (k === 5) lines.push(`t${i}@thread-faden.de,Eva,,,unbekannt,`);
      else
        lines.push(`t${i}@gmail.com,"Zeile mit ""Zitat"" und
Umbruch",Fritz,x,,`);
    }
    lines.splice(7_001, 0, 'u@thread-faden.de,"offen"x,,,,');
    const csv = `${lines.join('\n')}\n`;
    const up = await upload(csv);
    const start = await call('POST', `/api/v1/imports/${up.import.id}/start`, {
      mapping: { ...up.suggestedMapping, consent: 'consent' },
      existing: 'skip',
      mode: 'valid_rows',
      review: true,
    });
    expect(start.statusCode, start.body).toBe(200);
    worker.wake();
    const imp = await until(
      async () => (await call('GET', `/api/v1/imports/${up.import.id}`)).json().import,
      (i) => i.status !== 'staging',
    );
    expect(imp).toMatchObject({ status: 'staged', totalRows: 15_501 });
    const rows = await t.deps.db
      .selectFrom('import_rows')
      .selectAll()
      .where('import_id', '=', up.import.id)
      .orderBy('row_no')
      .execute();
    const staged = rows.map(({ import_id: _, ...r }) => r);
    expect(staged).toHaveLength(15_501);
    expect(staged.map((r) => r.row_no)).toEqual(Array.from({ length: 15_501 }, (_, i) => i + 1));
    expect(staged[0]).toMatchObject({
      email_normalized: 't0@thread-faden.de',
      first_name: 'Anna "Q" \\ {x}',
      last_name: 'NULL',
      tags: ['a', 'b', 'null', '{c}', 're-permission'],
      lifecycle_stage: 'engaged',
      consent: true,
      error: null,
    });
    expect(staged[1]).toMatchObject({
      first_name: 'Jürgen',
      last_name: 'Müller-Lüdenscheidt',
      lifecycle_stage: 'customer',
    });
    expect(staged[2]!.error).toMatch(/e-mail address/);
    expect(staged[3]!.error).toMatch(/has 2 columns, the header has 6/);
    expect(staged[4]!.error).toMatch(/appears earlier in the file \(row 1\)/);
    expect(staged[5]!.error).toMatch(/unknown lifecycle stage "unbekannt"/);
    expect(staged[6]).toMatchObject({
      first_name: 'Zeile mit "Zitat" und\nUmbruch',
      company_domain: null,
      error: null,
    });
    // An unreadable record keeps its place: row 7,001 of the file (line 8,002: a quoted cell spans
    // two lines in every seventh row). Its broken quote costs that line only: the next row is read.
    const unreadable = staged.filter((r) => String(r.error).startsWith('unreadable row'));
    expect(unreadable.map((r) => r.row_no)).toEqual([7_001]);
    expect(unreadable[0]!.error).toMatch(
      /at line 8002: a quoted cell ends, and the delimiter does not follow but "x"/,
    );
    expect(staged[7_001]).toMatchObject({
      email_normalized: 't7000@thread-faden.de',
      first_name: 'Anna "Q" \\ {x}',
    });
    expect(staged[7_002]).toMatchObject({ email_normalized: 't7001@thread-faden.de', first_name: 'Jürgen' });
    await call('POST', `/api/v1/imports/${up.import.id}/cancel`);
  });

  it('loses no line to a stray quote: the line with it is reported, every other row is imported', async () => {
    const csv = [
      'email,first_name,city',
      'sq1@quote.de,"Anna,Berlin', // opened here, closed two lines down: the lines between are rows
      'sq2@quote.de,Bert,Köln',
      'sq3@quote.de,Carl",Hamburg',
      'sq4@quote.de,"Dora "Die" Dicke",München', // a quoted cell that goes on after its quote
      'sq5@quote.de,"Gerd',
      'Zweite Zeile",Essen', // a cell that really spans two lines
      'sq6@quote.de,Fritz,Ulm',
      'sq7@quote.de,Eva,"Bonn', // never closed
      'sq8@quote.de,Hans,Trier',
      '',
    ].join('\n');
    const imp = await runImport(csv, { mode: 'valid_rows' });
    expect(imp).toMatchObject({ status: 'done', totalRows: 8, errorRows: 3, created: 5 });
    for (const email of ['sq2@quote.de', 'sq3@quote.de', 'sq6@quote.de', 'sq8@quote.de'])
      expect(await contact(email), email).toBeDefined();
    expect((await contact('sq5@quote.de'))!.first_name).toBe('Gerd\nZweite Zeile');
    expect((await contact('sq8@quote.de'))!.city).toBe('Trier');
    for (const email of ['sq1@quote.de', 'sq4@quote.de', 'sq7@quote.de'])
      expect(await contact(email)).toBeUndefined();
    const report = (await call('GET', `/api/v1/imports/${imp.id}/report.csv`)).body;
    expect(report).toMatch(
      /^1,,\w+,"?unreadable row at line 2: a quote opened in this line is closed only in a later line/m,
    );
    expect(report).toMatch(
      /^4,,\w+,"?unreadable row at line 5: a quoted cell ends, and the delimiter does not follow but/m,
    );
    expect(report).toMatch(/^7,,\w+,"?unreadable row at line 9: a quote opened in this line is not closed/m);
  });

  it('refuses a delimiter that CSV reserves (a quote, a line break) with a validation error', async () => {
    const up = await upload('email;name\na@delim.de;A\n');
    for (const delimiter of ['"', '\n', '\r', ';;']) {
      const res = await call('POST', `/api/v1/imports/${up.import.id}/start`, {
        mapping: up.suggestedMapping,
        existing: 'skip',
        mode: 'valid_rows',
        delimiter,
      });
      expect(res.statusCode, delimiter).toBe(400);
      expect(res.json().error.code).toBe('VALIDATION_FAILED');
    }
    const ok = await call('POST', `/api/v1/imports/${up.import.id}/start`, {
      mapping: up.suggestedMapping,
      existing: 'skip',
      mode: 'valid_rows',
      delimiter: ';',
    });
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it('exports chosen columns with spreadsheet formulas escaped', async () => {
    await call('POST', '/api/v1/contacts', {
      email: 'formula@firma.de',
      firstName: '=HYPERLINK("http://evil")',
      lastName: '+49 30 123',
      jobTitle: '@SUM(A1)',
      city: '-2+3',
      customFields: { budget: 5 },
    });
    const filter = JSON.stringify({
      kind: 'group',
      op: 'and',
      children: [{ kind: 'field', field: 'email', operator: 'eq', value: 'formula@firma.de' }],
    });
    const res = await call(
      'GET',
      `/api/v1/contacts/export.csv?columns=email,first_name,last_name,job_title,city,custom:budget&filter=${encodeURIComponent(filter)}`,
    );
    expect(res.statusCode, res.body).toBe(200);
    const lines = res.body.replace('\uFEFF', '').trim().split('\r\n');
    expect(lines[0]).toBe('email,first_name,last_name,job_title,city,custom:budget');
    expect(lines[1]).toBe(`formula@firma.de,"'=HYPERLINK(""http://evil"")",'+49 30 123,'@SUM(A1),'-2+3,5`);
    const audit = await t.deps.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', 'contacts.exported')
      .execute();
    expect(audit.length).toBeGreaterThan(0);
  });

  it('exports a hand-picked selection (bulk action) with the chosen columns', async () => {
    const list = (await call('GET', '/api/v1/contacts?q=formula@firma.de')).json().items;
    expect(list).toHaveLength(1);
    const res = await call('POST', '/api/v1/contacts/bulk/export', {
      selection: { ids: [list[0].id] },
      columns: 'email,job_title',
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.body.replace('\uFEFF', '').trim().split('\r\n')).toEqual([
      'email,job_title',
      "formula@firma.de,'@SUM(A1)",
    ]);
    expect((await call('POST', '/api/v1/contacts/bulk/export', { selection: {} })).statusCode).toBe(400);
    expect(
      (
        await call('POST', '/api/v1/contacts/bulk/export', {
          selection: { ids: [list[0].id] },
          columns: 'password',
        })
      ).statusCode,
    ).toBe(400);
  });

  it('keeps workspaces apart on every import and export route', async () => {
    const mine = (await call('GET', '/api/v1/imports')).json().items;
    expect(mine.length).toBeGreaterThan(0);
    const imp = mine[0];
    const created = await call('POST', '/api/v1/workspaces', {
      name: 'Other Import Co',
      slug: 'other-import',
    });
    expect(created.statusCode, created.body).toBe(201);
    const otherWs = created.json().workspace.id;
    const asB = (method: string, url: string, payload?: unknown, extra: Record<string, string> = {}) =>
      t.app.inject({
        method: method as 'GET',
        url,
        headers: admin.headers({ 'x-workspace-id': otherWs, ...extra }),
        ...(payload === undefined ? {} : { payload: payload as object }),
      });
    for (const [method, url, body] of [
      ['GET', `/api/v1/imports/${imp.id}`],
      [
        'POST',
        `/api/v1/imports/${imp.id}/start`,
        { mapping: { email: 'email' }, existing: 'skip', mode: 'all_or_nothing' },
      ],
      ['POST', `/api/v1/imports/${imp.id}/cancel`],
      ['POST', `/api/v1/imports/${imp.id}/resume`],
      ['GET', `/api/v1/imports/${imp.id}/report.csv`],
    ] as const) {
      const res = await asB(method, url, body);
      expect([400, 404], `${method} ${url}: ${res.body}`).toContain(res.statusCode);
    }
    expect((await asB('GET', '/api/v1/imports')).json().items).toEqual([]);
    const contactIds = (await call('GET', '/api/v1/contacts?limit=5'))
      .json()
      .items.map((c: { id: string }) => c.id);
    const exported = await asB('GET', '/api/v1/contacts/export.csv?columns=email');
    expect(exported.statusCode).toBe(200);
    expect(exported.body.replace('\uFEFF', '').trim().split('\r\n')).toEqual(['email']);
    const picked = await asB('POST', '/api/v1/contacts/bulk/export', {
      selection: { ids: contactIds },
      columns: 'email',
    });
    expect(picked.statusCode).toBe(200);
    expect(picked.body.replace('\uFEFF', '').trim().split('\r\n')).toEqual(['email']);
    // An upload into B lands in B only.
    const up = await asB('POST', '/api/v1/imports?fileName=b.csv', 'email\nb-only@firma-b.de\n', {
      'content-type': 'text/csv',
    });
    expect(up.statusCode, up.body).toBe(201);
    expect((await call('GET', `/api/v1/imports/${up.json().import.id}`)).statusCode).toBe(404);
    expect(
      (await call('GET', '/api/v1/imports')).json().items.map((i: { id: string }) => i.id),
    ).not.toContain(up.json().import.id);
  });
});
