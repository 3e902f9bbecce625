import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contactsModule } from '../../src/modules/contacts/index.js';
import { JobWorker } from '../../src/shared/jobs/index.js';
import { type Caller, createTestApp, type TestApp } from '../support/app.js';
import { availableDbKinds } from '../support/deps.js';

const kinds = await availableDbKinds();

async function xlsx(rows: unknown[][]): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  const sheet = wb.addWorksheet('Kontakte');
  for (const r of rows) sheet.addRow(r);
  wb.addWorksheet('Notizen').addRow(['not imported']);
  return Buffer.from(await wb.xlsx.writeBuffer());
}

describe.each(kinds)('XLSX import on %s', (kind) => {
  let t: TestApp;
  let admin: Caller;
  let worker: JobWorker;

  beforeAll(async () => {
    t = await createTestApp(kind);
    admin = await t.login();
    worker = new JobWorker({
      handle: t.deps.handle,
      definitions: contactsModule.jobs!(t.deps),
      clock: t.deps.clock,
      log: t.deps.log,
      pollMs: 50,
    });
    await worker.start();
  });
  afterAll(async () => {
    await worker?.stop(5000);
    await t?.close();
  });

  it('reads the first worksheet of an Excel file through the same mapping and import path as CSV', async () => {
    const file = await xlsx([
      ['E-Mail', 'Vorname', 'Firma', 'Seit'],
      [
        'excel@tabelle.de',
        'Jürgen',
        { richText: [{ text: 'Tabelle, ' }, { text: 'GmbH' }] },
        new Date('2025-03-01'),
      ],
      ['=cmd@tabelle.de', 'Formel', '', ''],
    ]);
    const up = await t.app.inject({
      method: 'POST',
      url: '/api/v1/imports?fileName=kontakte.xlsx',
      headers: admin.headers({
        'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      }),
      payload: file,
    });
    expect(up.statusCode, up.body).toBe(201);
    const body = up.json();
    expect(body.import.header).toEqual(['E-Mail', 'Vorname', 'Firma', 'Seit']);
    expect(body.import.preview[0]).toEqual(['excel@tabelle.de', 'Jürgen', 'Tabelle, GmbH', '2025-03-01']);
    expect(body.suggestedMapping).toMatchObject({
      'E-Mail': 'email',
      Vorname: 'first_name',
      Firma: 'company_name',
    });
    const start = await t.app.inject({
      method: 'POST',
      url: `/api/v1/imports/${body.import.id}/start`,
      headers: admin.headers(),
      payload: { mapping: body.suggestedMapping, existing: 'skip', mode: 'valid_rows' },
    });
    expect(start.statusCode, start.body).toBe(200);
    worker.wake();
    let imp: { status: string; created: number; errorRows: number } | undefined;
    for (let i = 0; i < 300; i++) {
      imp = (
        await t.app.inject({
          method: 'GET',
          url: `/api/v1/imports/${body.import.id}`,
          headers: admin.headers(),
        })
      ).json().import;
      if (['done', 'failed'].includes(imp!.status)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    // Values are read as they are: no formula escaping on the way in.
    expect(imp).toMatchObject({ status: 'done', created: 2, errorRows: 0 });
    const c = await t.deps.db
      .selectFrom('contacts')
      .selectAll()
      .where('workspace_id', '=', t.workspaceId)
      .where('email_normalized', '=', 'excel@tabelle.de')
      .executeTakeFirstOrThrow();
    expect(c).toMatchObject({ first_name: 'Jürgen', company_name: 'Tabelle, GmbH' });
  });

  it('reports a broken Excel file clearly', async () => {
    const up = await t.app.inject({
      method: 'POST',
      url: '/api/v1/imports?fileName=kaputt.xlsx',
      headers: admin.headers({ 'content-type': 'application/octet-stream' }),
      payload: Buffer.from('this is not a zip file at all'),
    });
    expect(up.statusCode).toBe(400);
    expect(up.json().error.code).toBe('IMPORT_FILE_INVALID');
  });
});
