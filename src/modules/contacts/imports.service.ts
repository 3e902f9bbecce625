import { Type } from '@sinclair/typebox';
import { sql } from 'kysely';
import type { Actor } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import type { Db, Executor } from '../../shared/db/index.js';
import type { CustomFieldDefinition, Import } from '../../shared/db/schema.js';
import { AppError, type Locale } from '../../shared/errors.js';
import { newId, uuidV7Sql } from '../../shared/ids.js';
import { defineJob, type JobDefinition, type JobQueue, PermanentJobError } from '../../shared/jobs/index.js';
import { recordAudit } from '../audit/index.js';
import { appendConsentEvent } from '../consent/index.js';
import { enqueueActivityDeliveries } from './activity-dispatch.js';
import { csvLine, guessDelimiter, guessEncoding } from './csv.js';
import { CsvReader } from './csv-reader.js';
import { listCustomFields } from './custom-fields.js';
import { IMPORT_MESSAGES, localizeImportText, REPORT_WORDS } from './import-messages.js';
import {
  type ImportSettingsT,
  looksLikeRow,
  PROFILE_TARGETS,
  prepareStage,
  STAGED_COLUMNS,
  type StagedBatch,
  type StageItem,
} from './import-rows.js';
import { isXlsxFileName, xlsxToCsv } from './import-xlsx.js';

/*
 * CSV import in three steps, each crash-safe:
 * 1. upload: the file goes into the database in 1 MB parts (any worker process can read it);
 *    its encoding, delimiter, header and first rows are guessed for the mapping screen.
 * 2. stage (one job): the file is streamed through CsvReader; each row is mapped, validated and
 *    written to import_rows with its error, if any. A retry starts the step again from scratch.
 *    Duplicates within the file are errors of the later rows. With "all or nothing", any error
 *    ends the import here and nothing is written to contacts.
 * 3. apply (one job per chunk of 5,000–50,000 rows, in APPLY_CHAINS chains that run at once:
 *    chain k applies the chunks k, k + APPLY_CHAINS, …): one set-based statement upserts the
 *    chunk's valid rows into contacts per the existing-contact mode, links companies, writes the
 *    timeline, and marks the chunk applied — all in the job's completeWith transaction, so a
 *    chunk is applied exactly once. Chunks never share an address (duplicates are errors), so the
 *    chains only meet on the import's counters and on new company domains. Cancel stops between
 *    chunks (it waits for the chunks in flight); resume continues each chain with its next chunk.
 * Suppressed addresses are never imported: they stay out, counted and reported.
 */

export const PART_BYTES = 1_048_576;
export const CHUNK_ROWS = 5_000;
const [DUPLICATE_BEFORE, DUPLICATE_AFTER] = IMPORT_MESSAGES.duplicate.en.split('{row}') as [string, string];
/**
 * Chunks applied at once. The apply is set-based SQL that keeps one database backend busy; a
 * second chain uses a second core of the database server (on the embedded database, which has one
 * connection, the chains take turns).
 */
export const APPLY_CHAINS = 2;
const CHUNK_ROWS_MAX = 50_000;
const STAGE_BATCH = 5_000;

export { type ImportSettingsT, PROFILE_TARGETS } from './import-rows.js';

/** Column presets for exports of other systems; anything else is matched by name (German too). */
export const PRESETS: Record<'hubspot' | 'mautic', Record<string, string>> = {
  hubspot: {
    Email: 'email',
    'First Name': 'first_name',
    'Last Name': 'last_name',
    'Company Name': 'company_name',
    'Job Title': 'job_title',
    'Phone Number': 'phone',
    'Mobile Phone Number': 'phone',
    City: 'city',
    'Country/Region': 'country',
    'Lifecycle Stage': 'lifecycle_stage',
    'Original Source': 'source_channel',
    'Preferred language': 'locale',
  },
  mautic: {
    email: 'email',
    firstname: 'first_name',
    lastname: 'last_name',
    company: 'company_name',
    position: 'job_title',
    phone: 'phone',
    mobile: 'phone',
    city: 'city',
    country: 'country',
    stage: 'lifecycle_stage',
    tags: 'tags',
    preferred_locale: 'locale',
  },
};

const SYNONYMS: Record<string, string> = {
  email: 'email',
  'e-mail': 'email',
  emailaddress: 'email',
  'e-mail-adresse': 'email',
  mail: 'email',
  firstname: 'first_name',
  vorname: 'first_name',
  'first name': 'first_name',
  first_name: 'first_name',
  lastname: 'last_name',
  nachname: 'last_name',
  'last name': 'last_name',
  last_name: 'last_name',
  name: 'last_name',
  company: 'company_name',
  firma: 'company_name',
  unternehmen: 'company_name',
  'company name': 'company_name',
  company_name: 'company_name',
  jobtitle: 'job_title',
  position: 'job_title',
  'job title': 'job_title',
  job_title: 'job_title',
  titel: 'job_title',
  phone: 'phone',
  telefon: 'phone',
  'phone number': 'phone',
  mobile: 'phone',
  handy: 'phone',
  city: 'city',
  stadt: 'city',
  ort: 'city',
  country: 'country',
  land: 'country',
  'country/region': 'country',
  locale: 'locale',
  sprache: 'locale',
  language: 'locale',
  tags: 'tags',
  stage: 'lifecycle_stage',
  'lifecycle stage': 'lifecycle_stage',
  lifecyclestage: 'lifecycle_stage',
  lebenszyklusphase: 'lifecycle_stage',
};

/** A proposed mapping for a header row: preset first, then names and synonyms, then custom field keys. */
export function suggestMapping(
  header: string[],
  defs: CustomFieldDefinition[],
  preset?: 'hubspot' | 'mautic',
): Record<string, string> {
  const out: Record<string, string> = {};
  const custom = new Map(
    defs.flatMap((d) => [
      [d.key.toLowerCase(), d.key],
      [d.label.toLowerCase(), d.key],
    ]),
  );
  for (const column of header) {
    const p = preset ? PRESETS[preset][column] : undefined;
    const key = column.trim().toLowerCase();
    const target =
      p ??
      SYNONYMS[key] ??
      SYNONYMS[key.replace(/[\s_-]/g, '')] ??
      (custom.has(key) ? `custom:${custom.get(key)}` : undefined);
    if (target && !Object.values(out).includes(target)) out[column] = target;
  }
  return out;
}

export const ImportSettings = Type.Object({
  mapping: Type.Record(Type.String({ maxLength: 300 }), Type.String({ maxLength: 80 })),
  existing: Type.Union([Type.Literal('skip'), Type.Literal('update'), Type.Literal('fill_empty')]),
  mode: Type.Union([Type.Literal('all_or_nothing'), Type.Literal('valid_rows')]),
  /** Stop after validation with a dry run (status `staged`, `review`) until the user confirms. */
  review: Type.Optional(Type.Boolean()),
  encoding: Type.Optional(
    Type.Union([Type.Literal('utf-8'), Type.Literal('windows-1252'), Type.Literal('iso-8859-1')]),
  ),
  /** One character; not a quote or a line break, which CSV reserves. */
  delimiter: Type.Optional(Type.String({ minLength: 1, maxLength: 1, pattern: '^[^"\\r\\n]$' })),
  tags: Type.Optional(Type.Array(Type.String({ maxLength: 60 }), { maxItems: 20 })),
  /**
   * Consent only with a legal basis and proof; rows whose consent column says yes get a confirmed
   * consent with an `imported` ledger entry. Without proof nobody gets consent.
   */
  consent: Type.Optional(
    Type.Object({
      purpose: Type.String({ pattern: '^[a-z0-9][a-z0-9_.:-]{0,62}$' }),
      legalBasis: Type.Union([Type.Literal('consent'), Type.Literal('existing_customer')]),
      proof: Type.String({ minLength: 10, maxLength: 2000 }),
    }),
  ),
});
export async function findImport(db: Executor, workspaceId: string, id: string): Promise<Import | undefined> {
  return db
    .selectFrom('imports')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Stores an uploaded file and guesses how it is written. Refuses files larger than maxBytes. */
export async function uploadImport(
  db: Db,
  clock: Clock,
  actor: Actor,
  workspaceId: string,
  fileName: string,
  body: AsyncIterable<Buffer | Uint8Array | string>,
  maxBytes: number,
): Promise<Import> {
  const id = newId();
  const now = clock.now();
  await db
    .insertInto('imports')
    .values({
      id,
      workspace_id: workspaceId,
      created_by: actor.userId,
      file_name: fileName.slice(0, 300),
      status: 'uploaded',
      created_at: now,
      updated_at: now,
    })
    .execute();
  let size = 0;
  let seq = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let sample: Buffer | undefined;
  // An Excel file becomes CSV text while it streams in; from here on it is a CSV upload.
  const source = isXlsxFileName(fileName) ? xlsxToCsv(body, maxBytes) : body;
  const flush = async () => {
    if (pendingBytes === 0) return;
    const data = Buffer.concat(pending);
    sample ??= data.subarray(0, 65536);
    await db.insertInto('import_file_parts').values({ import_id: id, seq: seq++, data }).execute();
    pending = [];
    pendingBytes = 0;
  };
  try {
    for await (const piece of source) {
      const buf = typeof piece === 'string' ? Buffer.from(piece) : Buffer.from(piece);
      size += buf.length;
      if (size > maxBytes) throw new AppError('PAYLOAD_TOO_LARGE', { maxBytes });
      pending.push(buf);
      pendingBytes += buf.length;
      if (pendingBytes >= PART_BYTES) await flush();
    }
    await flush();
  } catch (err) {
    await db.deleteFrom('imports').where('id', '=', id).execute();
    throw err;
  }
  if (size === 0) {
    await db.deleteFrom('imports').where('id', '=', id).execute();
    throw new AppError('IMPORT_FILE_INVALID', { reason: 'the file is empty' });
  }
  const encoding = guessEncoding(sample!);
  const text = new TextDecoder(encoding).decode(sample!).replace(/^\uFEFF/, '');
  const delimiter = guessDelimiter(text);
  const rows = parseSample(text, delimiter);
  const header = (rows[0] ?? []).map((h) => h.trim());
  if (header.length === 0 || header.every((h) => h === ''))
    throw new AppError('IMPORT_FILE_INVALID', { reason: 'no header row' });
  const defs = await listCustomFields(db, workspaceId, 'contact');
  const suggested = suggestMapping(header, defs);
  await db
    .updateTable('imports')
    .set({
      file_size: size,
      encoding,
      delimiter,
      header: JSON.stringify(header),
      preview: JSON.stringify(rows.slice(1, 6)),
      settings: JSON.stringify({ suggestedMapping: suggested }),
      updated_at: clock.now(),
    })
    .where('id', '=', id)
    .execute();
  await recordAudit(db, actor, {
    workspaceId,
    action: 'imports.uploaded',
    targetType: 'import',
    targetId: id,
    details: { fileName, size },
  });
  return (await findImport(db, workspaceId, id))!;
}

/** The header and first rows of the file's first part, for the mapping screen. */
function parseSample(text: string, delimiter: string): string[][] {
  // The sample may end inside a row: read whole lines only; lines that cannot be read are left out.
  const cut = text.lastIndexOf('\n') > 0 ? text.slice(0, text.lastIndexOf('\n')) : text;
  const reader = new CsvReader({ delimiter, maxRecordChars: cut.length + 1 });
  const rows: string[][] = [];
  for (const item of [...reader.push(cut), ...reader.end()]) {
    if ('cells' in item) rows.push(item.cells);
    if (rows.length === 7) break;
  }
  return rows;
}

/** Starts (or re-starts after a failed validation) an uploaded import with the user's mapping. */
export async function startImport(
  db: Db,
  clock: Clock,
  queue: JobQueue,
  jobs: ImportJobs,
  actor: Actor,
  workspaceId: string,
  id: string,
  settings: ImportSettingsT,
): Promise<Import> {
  const targets = Object.values(settings.mapping).filter((t) => t !== 'ignore');
  if (!targets.includes('email'))
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'mapping', message: 'a column must be mapped to email' }],
    });
  const defs = await listCustomFields(db, workspaceId, 'contact');
  const bad = targets.filter(
    (t) =>
      !(PROFILE_TARGETS as readonly string[]).includes(t) &&
      !(t.startsWith('custom:') && defs.some((d) => d.key === t.slice(7))),
  );
  if (bad.length)
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'mapping', message: `unknown targets: ${bad.join(', ')}` }],
    });
  const dup = targets.filter((t, i) => targets.indexOf(t) !== i && t !== 'phone');
  if (dup.length)
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'mapping', message: `mapped twice: ${dup.join(', ')}` }],
    });
  return db.transaction().execute(async (trx) => {
    const imp = await trx
      .selectFrom('imports')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!imp) throw new AppError('NOT_FOUND');
    if (imp.status !== 'uploaded' && imp.status !== 'failed')
      throw new AppError('IMPORT_STATE_INVALID', { status: imp.status });
    await trx
      .updateTable('imports')
      .set({
        status: 'staging',
        settings: JSON.stringify(settings),
        encoding: settings.encoding ?? imp.encoding,
        delimiter: settings.delimiter ?? imp.delimiter,
        failure: null,
        updated_at: clock.now(),
      })
      .where('id', '=', id)
      .execute();
    await queue.enqueue(trx, jobs.stage, { importId: id }, { workspaceId, idempotencyKey: `stage:${id}` });
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'imports.started',
      targetType: 'import',
      targetId: id,
      details: { existing: settings.existing, mode: settings.mode, consent: settings.consent ?? null },
    });
    return (await findImport(trx, workspaceId, id))!;
  });
}

async function* fileText(db: Db, importId: string, encoding: string): AsyncGenerator<string> {
  const decoder = new TextDecoder(encoding, { fatal: encoding === 'utf-8' });
  for (let seq = 0; ; seq++) {
    const part = await db
      .selectFrom('import_file_parts')
      .select('data')
      .where('import_id', '=', importId)
      .where('seq', '=', seq)
      .executeTakeFirst();
    if (!part) break;
    let text: string;
    try {
      text = decoder.decode(part.data, { stream: true });
    } catch {
      throw new AppError('IMPORT_FILE_INVALID', {
        reason: IMPORT_MESSAGES.notUtf8.en,
      });
    }
    yield seq === 0 ? text.replace(/^\uFEFF/, '') : text;
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}

/**
 * One multi-row INSERT of plain arrays (unnest) from a staged batch's array literals: the same
 * statement on PostgreSQL and PGlite. Each literal is passed as text and cast, so neither driver
 * converts anything.
 */
async function insertStaged(db: Executor, importId: string, batch: StagedBatch): Promise<void> {
  if (batch.rows === 0) return;
  const names = sql.join(STAGED_COLUMNS.map((c) => sql.ref(c.name)));
  const values = sql.join(
    STAGED_COLUMNS.map((c) =>
      c.cast ? sql`u.${sql.ref(c.name)}::${sql.raw(c.cast)}` : sql`u.${sql.ref(c.name)}`,
    ),
  );
  const arrays = sql.join(
    batch.columns.map((literal, i) => sql`${literal}::text::${sql.raw(STAGED_COLUMNS[i]!.array)}[]`),
  );
  await sql`INSERT INTO import_rows (import_id, ${names})
    SELECT ${importId}, ${values} FROM unnest(${arrays}) AS u(${names})`.execute(db);
}

/** Step 2: parses, maps and validates the whole file into import_rows; then plans the chunks. */
export async function stageImport(
  db: Db,
  clock: Clock,
  queue: JobQueue,
  jobs: ImportJobs,
  importId: string,
): Promise<void> {
  const imp = await db.selectFrom('imports').selectAll().where('id', '=', importId).executeTakeFirst();
  if (!imp) throw new PermanentJobError('import no longer exists');
  if (imp.status !== 'staging') return; // done by an earlier run, or cancelled
  const settings = imp.settings as unknown as ImportSettingsT;
  const now = clock.now();
  await db.deleteFrom('import_rows').where('import_id', '=', importId).execute();
  await db.deleteFrom('import_chunks').where('import_id', '=', importId).execute();
  const header = imp.header;
  const headerIndex = new Map(header.map((h, i) => [h, i]));
  const columns = Object.entries(settings.mapping)
    .filter(([column, target]) => target !== 'ignore' && headerIndex.has(column))
    .map(([column, target]) => ({ index: headerIndex.get(column)!, target }));
  const defs = await listCustomFields(db, imp.workspace_id, 'contact');
  const email = columns.find((c) => c.target === 'email');
  const reader = new CsvReader({
    delimiter: imp.delimiter,
    // Large enough to read a 10 MB cell and report it as a row error (MAX_FIELD_CHARS) with the right row number.
    maxRecordChars: 32 * 1_048_576,
    skipRecords: 1,
    columns: header.length,
    ...(email ? { looksLikeRecord: looksLikeRow(email.index) } : {}),
  });
  const stage = prepareStage({
    header,
    columns,
    defs,
    workspaceId: imp.workspace_id,
    importId,
    settings,
    now,
  });
  let rowNo = 0;
  let items: StageItem[] = [];
  // One batch is written while the next is parsed: the parser and validation run in JavaScript,
  // the INSERT in PostgreSQL, so on two cores both proceed at once. At most one write is in flight
  // (memory stays bounded); its failure is raised at the next await of it.
  let inflight: Promise<void> = Promise.resolve();
  const dispatch = async () => {
    const batch = stage(rowNo - items.length + 1, items);
    items = [];
    const total = rowNo;
    await inflight;
    inflight = (async () => {
      await insertStaged(db, importId, batch);
      await db
        .updateTable('imports')
        .set({ total_rows: total, updated_at: clock.now() })
        .where('id', '=', importId)
        .execute();
    })();
    inflight.catch(() => {}); // awaited below; this only keeps it from counting as unhandled meanwhile
  };
  try {
    const take = async (records: StageItem[]) => {
      for (const item of records) {
        items.push(item);
        rowNo++;
        if (items.length >= STAGE_BATCH) await dispatch();
      }
    };
    for await (const text of fileText(db, importId, imp.encoding)) await take(reader.push(text));
    await take(reader.end());
    await dispatch();
    await inflight;
  } catch (err) {
    await inflight.catch(() => {});
    const reason = err instanceof AppError ? String(err.details?.reason ?? err.code) : (err as Error).message;
    await db
      .updateTable('imports')
      .set({
        status: 'failed',
        failure: reason.slice(0, 2000),
        updated_at: clock.now(),
        finished_at: clock.now(),
      })
      .where('id', '=', importId)
      .execute();
    return;
  }
  // Fresh rows have no statistics yet: without them the planner takes a chunk for one row.
  await sql`ANALYZE import_rows`.execute(db);
  await db.transaction().execute(async (trx) => {
    // The same address twice in one file: the first row counts, later ones are reported.
    await sql`
      UPDATE import_rows r SET error = ${DUPLICATE_BEFORE} || f.first || ${DUPLICATE_AFTER}, email_normalized = NULL
      FROM (SELECT email_normalized, min(row_no) AS first FROM import_rows WHERE import_id = ${importId} AND email_normalized IS NOT NULL GROUP BY 1 HAVING count(*) > 1) f
      WHERE r.import_id = ${importId} AND r.email_normalized = f.email_normalized AND r.row_no > f.first`.execute(
      trx,
    );
    const errors = Number(
      (
        await sql<{
          n: string;
        }>`SELECT count(*) AS n FROM import_rows WHERE import_id = ${importId} AND error IS NOT NULL`.execute(
          trx,
        )
      ).rows[0]?.n ?? 0,
    );
    const base = { total_rows: rowNo, error_rows: errors, updated_at: clock.now() };
    if (rowNo > 0 && settings.review) {
      // Dry run: the user sees what would happen and confirms (confirmImport).
      const review = await reviewOf(trx, imp, settings);
      await trx
        .updateTable('imports')
        .set({ ...base, status: 'staged', review: JSON.stringify(review) })
        .where('id', '=', importId)
        .execute();
      return;
    }
    if (rowNo === 0 || (settings.mode === 'all_or_nothing' && errors > 0)) {
      await trx
        .updateTable('imports')
        .set({
          ...base,
          status: 'failed',
          finished_at: clock.now(),
          failure:
            rowNo === 0
              ? IMPORT_MESSAGES.noRows.en
              : IMPORT_MESSAGES.rowsHaveErrors.format({ count: errors }),
        })
        .where('id', '=', importId)
        .execute();
      return;
    }
    await trx.updateTable('imports').set(base).where('id', '=', importId).execute();
    await planApply(trx, queue, jobs, imp.workspace_id, importId, rowNo);
  });
}

/** Splits the staged rows into chunks and enqueues the first apply job. */
async function planApply(
  trx: Executor,
  queue: JobQueue,
  jobs: ImportJobs,
  workspaceId: string,
  importId: string,
  totalRows: number,
): Promise<void> {
  const size = chunkRowsFor(totalRows);
  const chunks = Math.ceil(totalRows / size);
  await trx.deleteFrom('import_chunks').where('import_id', '=', importId).execute();
  await trx
    .insertInto('import_chunks')
    .values(
      Array.from({ length: chunks }, (_, i) => ({
        import_id: importId,
        seq: i,
        first_row: i * size + 1,
        last_row: Math.min(totalRows, (i + 1) * size),
        applied_at: null,
      })),
    )
    .execute();
  await trx
    .updateTable('imports')
    .set({ status: 'applying', chunk_count: chunks })
    .where('id', '=', importId)
    .execute();
  for (let seq = 0; seq < Math.min(APPLY_CHAINS, chunks); seq++)
    await enqueueApply(trx, queue, jobs, workspaceId, importId, seq);
}

function enqueueApply(
  trx: Executor,
  queue: JobQueue,
  jobs: ImportJobs,
  workspaceId: string,
  importId: string,
  seq: number,
) {
  return queue.enqueue(
    trx,
    jobs.apply,
    { importId, seq },
    { workspaceId, idempotencyKey: `apply:${importId}:${seq}` },
  );
}

/** The next unapplied chunk of each chain, from `after` on (resume: each chain's first). */
async function nextChunks(trx: Executor, importId: string, chains: number[], after = -1): Promise<number[]> {
  const rows = await trx
    .selectFrom('import_chunks')
    .select('seq')
    .where('import_id', '=', importId)
    .where('applied_at', 'is', null)
    .where('seq', '>', after)
    .orderBy('seq')
    .execute();
  return chains.flatMap((chain) => {
    const next = rows.find((r) => r.seq % APPLY_CHAINS === chain);
    return next ? [next.seq] : [];
  });
}

export interface ImportReview {
  rows: number;
  /** New contacts. */
  create: number;
  /** Existing contacts that would be updated (mode update or fill_empty). */
  update: number;
  /** Existing contacts left alone (mode skip). */
  skip: number;
  /** Addresses on the suppression list: never imported. */
  suppressed: number;
  /** Rows with an error. */
  rejected: number;
  /** The first rows with an error. */
  errors: { row: number; email: string | null; error: string }[];
}

/** What applying the staged rows would do now, per the existing-contact mode (nothing is written). */
async function reviewOf(trx: Executor, imp: Import, settings: ImportSettingsT): Promise<ImportReview> {
  const ws = imp.workspace_id;
  const counts = await sql<{
    rows: string;
    rejected: string;
    suppressed: string;
    existing: string;
    fresh: string;
  }>`
    SELECT count(*) AS rows, count(*) FILTER (WHERE x.error IS NOT NULL) AS rejected,
      count(*) FILTER (WHERE x.error IS NULL AND x.sup) AS suppressed,
      count(*) FILTER (WHERE x.error IS NULL AND NOT x.sup AND x.ex) AS existing,
      count(*) FILTER (WHERE x.error IS NULL AND NOT x.sup AND NOT x.ex) AS fresh
    FROM (SELECT r.error,
        EXISTS (SELECT 1 FROM suppressions s WHERE s.workspace_id = ${ws} AND s.email_hash = r.email_hash) AS sup,
        EXISTS (SELECT 1 FROM contacts c WHERE c.workspace_id = ${ws} AND c.email_normalized = r.email_normalized) AS ex
      FROM import_rows r WHERE r.import_id = ${imp.id}) x`.execute(trx);
  const c = counts.rows[0]!;
  const errors = await trx
    .selectFrom('import_rows')
    .select(['row_no', 'email', 'error'])
    .where('import_id', '=', imp.id)
    .where('error', 'is not', null)
    .orderBy('row_no')
    .limit(20)
    .execute();
  const existing = Number(c.existing);
  return {
    rows: Number(c.rows),
    create: Number(c.fresh),
    update: settings.existing === 'skip' ? 0 : existing,
    skip: settings.existing === 'skip' ? existing : 0,
    suppressed: Number(c.suppressed),
    rejected: Number(c.rejected),
    errors: errors.map((e) => ({ row: e.row_no, email: e.email, error: e.error ?? '' })),
  };
}

/**
 * Applies a reviewed import (status `staged`). The user may still change the existing-contact
 * mode and "all or nothing" vs "valid rows"; all or nothing with rejected rows is refused.
 */
export async function confirmImport(
  db: Db,
  clock: Clock,
  queue: JobQueue,
  jobs: ImportJobs,
  actor: Actor,
  workspaceId: string,
  id: string,
  change: { existing?: ImportSettingsT['existing'] | undefined; mode?: ImportSettingsT['mode'] | undefined },
): Promise<Import> {
  return db.transaction().execute(async (trx) => {
    const imp = await trx
      .selectFrom('imports')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!imp) throw new AppError('NOT_FOUND');
    if (imp.status !== 'staged') throw new AppError('IMPORT_STATE_INVALID', { status: imp.status });
    const settings = {
      ...(imp.settings as unknown as ImportSettingsT),
      ...(change.existing ? { existing: change.existing } : {}),
      ...(change.mode ? { mode: change.mode } : {}),
    };
    if (settings.mode === 'all_or_nothing' && imp.error_rows > 0)
      throw new AppError('IMPORT_HAS_ERRORS', { errorRows: imp.error_rows });
    await trx
      .updateTable('imports')
      .set({ settings: JSON.stringify(settings), updated_at: clock.now() })
      .where('id', '=', id)
      .execute();
    await planApply(trx, queue, jobs, workspaceId, id, imp.total_rows);
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'imports.confirmed',
      targetType: 'import',
      targetId: id,
      details: { existing: settings.existing, mode: settings.mode, review: imp.review },
    });
    return (await findImport(trx, workspaceId, id))!;
  });
}

/** Profile columns an import writes; field_meta gets an entry for each one the row fills. */
const META_KEYS = PROFILE_TARGETS.filter((k) => k !== 'email');

const UPSERT_SET = {
  skip: sql`DO NOTHING`,
  // company_name: a name from the file wins; without one, the linked company's name fills a gap.
  update: sql`DO UPDATE SET
    first_name = coalesce(EXCLUDED.first_name, c.first_name), last_name = coalesce(EXCLUDED.last_name, c.last_name),
    company_name = CASE WHEN EXCLUDED.field_meta ? 'company_name' THEN EXCLUDED.company_name ELSE coalesce(c.company_name, EXCLUDED.company_name) END,
    company_id = coalesce(c.company_id, EXCLUDED.company_id), job_title = coalesce(EXCLUDED.job_title, c.job_title),
    phone = coalesce(EXCLUDED.phone, c.phone), city = coalesce(EXCLUDED.city, c.city), country = coalesce(EXCLUDED.country, c.country),
    locale = coalesce(EXCLUDED.locale, c.locale), source_channel = coalesce(EXCLUDED.source_channel, c.source_channel),
    lifecycle_stage = CASE WHEN EXCLUDED.lifecycle_stage <> 'subscriber' THEN EXCLUDED.lifecycle_stage ELSE c.lifecycle_stage END,
    custom_fields = c.custom_fields || EXCLUDED.custom_fields,
    tags = ARRAY(SELECT DISTINCT unnest(c.tags || EXCLUDED.tags)),
    field_meta = c.field_meta || EXCLUDED.field_meta, updated_at = EXCLUDED.updated_at`,
  fill_empty: sql`DO UPDATE SET
    first_name = coalesce(c.first_name, EXCLUDED.first_name), last_name = coalesce(c.last_name, EXCLUDED.last_name),
    company_name = coalesce(c.company_name, EXCLUDED.company_name), company_id = coalesce(c.company_id, EXCLUDED.company_id),
    job_title = coalesce(c.job_title, EXCLUDED.job_title),
    phone = coalesce(c.phone, EXCLUDED.phone), city = coalesce(c.city, EXCLUDED.city), country = coalesce(c.country, EXCLUDED.country),
    locale = coalesce(c.locale, EXCLUDED.locale), source_channel = coalesce(c.source_channel, EXCLUDED.source_channel),
    custom_fields = EXCLUDED.custom_fields || c.custom_fields,
    tags = ARRAY(SELECT DISTINCT unnest(c.tags || EXCLUDED.tags)),
    field_meta = EXCLUDED.field_meta || c.field_meta, updated_at = EXCLUDED.updated_at`,
} as const;

/** Rows per apply chunk: about 20 chunks (progress, cancel points), between 5,000 and 50,000 rows. */
export function chunkRowsFor(totalRows: number): number {
  return Math.min(CHUNK_ROWS_MAX, Math.max(CHUNK_ROWS, Math.ceil(totalRows / 20)));
}

/**
 * Step 3, one chunk: everything in the caller's transaction (the job's completeWith), in a fixed
 * number of set-based statements whatever the chunk size — suppressed rows out (anti-join),
 * companies for new business domains, one upsert of the contacts with their company link, the
 * timeline entries and stage changes, skipped rows marked; consent with proof, if any, per row
 * (its ledger is a hash chain per contact).
 */
export async function applyChunk(
  trx: Executor,
  clock: Clock,
  imp: Import,
  seq: number,
): Promise<'applied' | 'already' | 'cancelled'> {
  const chunk = await trx
    .selectFrom('import_chunks')
    .selectAll()
    .where('import_id', '=', imp.id)
    .where('seq', '=', seq)
    .forUpdate()
    .executeTakeFirst();
  if (!chunk || chunk.applied_at) return 'already';
  const settings = imp.settings as unknown as ImportSettingsT;
  const now = clock.now();
  const ws = imp.workspace_id;
  const source = `import:${imp.id}`;
  const range = sql`r.import_id = ${imp.id} AND r.row_no BETWEEN ${chunk.first_row} AND ${chunk.last_row}`;
  const pending = sql`${range} AND r.error IS NULL AND r.outcome IS NULL`;
  // A chunk's rows look up their existing contact and suppression one by one in its unique index.
  // As joins, the planner may hash every contact of the workspace for each chunk, which made a
  // large import quadratic (the 20th chunk of a 1M-row file hashed 950,000 contacts to find
  // 50,000). The lookups are scalar subqueries and OFFSET 0 laterals: not pulled up into joins,
  // and planned for every row rather than for a first match — with LIMIT 1 or EXISTS the planner
  // may walk the workspace's contacts by another index hoping for an early match, and the keys
  // are unique anyway.
  const existingContact = sql`(SELECT true FROM contacts c WHERE c.workspace_id = ${ws} AND c.email_normalized = r.email_normalized) IS NOT NULL`;
  const suppressed = await sql`UPDATE import_rows r SET outcome = 'suppressed' WHERE ${pending}
    AND (SELECT true FROM suppressions s WHERE s.workspace_id = ${ws} AND s.email_hash = r.email_hash) IS NOT NULL`.execute(
    trx,
  );
  // Companies for business domains that have none yet (in skip mode only for contacts to be created).
  const onlyNew = settings.existing === 'skip' ? sql`AND NOT ${existingContact}` : sql``;
  await sql`
    WITH d AS (
      SELECT DISTINCT ON (r.company_domain) r.company_domain AS domain, coalesce(r.company_hint, r.data->>'company_hint') AS name, r.row_no
      FROM import_rows r
      WHERE ${pending} AND r.company_domain IS NOT NULL ${onlyNew}
        AND NOT EXISTS (SELECT 1 FROM company_domains cd WHERE cd.workspace_id = ${ws} AND cd.domain = r.company_domain)
      ORDER BY r.company_domain, r.row_no),
    -- The domain is claimed first and its company written only for a successful claim: another
    -- chain or a sign-up creating the same domain at the same time leaves no company without its
    -- domain (the foreign key is checked at the end of the statement). Claims go in domain order,
    -- so two chains never wait for each other's domains crosswise.
    cd AS (INSERT INTO company_domains (workspace_id, domain, company_id, created_at)
      SELECT ${ws}, d.domain, ${uuidV7Sql(now, sql`d.row_no`)}, ${now} FROM d ORDER BY d.domain
      ON CONFLICT DO NOTHING RETURNING domain, company_id)
    INSERT INTO companies (id, workspace_id, name, website, created_at, updated_at)
    SELECT cd.company_id, ${ws}, left(coalesce(nullif(d.name, ''), d.domain), 300), 'https://' || d.domain, ${now}, ${now}
    FROM cd JOIN d ON d.domain = cd.domain`.execute(trx);
  const meta = JSON.stringify({ at: now.toISOString(), source });
  const fieldMeta = sql.join(
    META_KEYS.map((k) => sql`${sql.lit(k)}, CASE WHEN r.${sql.ref(k)} IS NOT NULL THEN m.v END`),
  );
  // Existing contacts in skip mode: marked first (an index lookup per row), so that every row left
  // is written by the upsert below and the statement needs no join of its own results.
  const skipped =
    settings.existing === 'skip'
      ? await sql`UPDATE import_rows r SET outcome = 'skipped' WHERE ${pending}
          AND ${existingContact}`.execute(trx)
      : { numAffectedRows: 0n };
  const newStage =
    settings.existing === 'update'
      ? sql`CASE WHEN src.old_id IS NULL OR src.lifecycle_stage <> 'subscriber' THEN src.lifecycle_stage ELSE src.old_stage END`
      : sql`CASE WHEN src.old_id IS NULL THEN src.lifecycle_stage ELSE src.old_stage END`;
  const result = await sql<{ created: string; updated: string; stage_changes: unknown }>`
    WITH m AS (SELECT ${meta}::jsonb AS v),
    src AS MATERIALIZED (
      SELECT coalesce(old.id, ${uuidV7Sql(now, sql`r.row_no`)}) AS id, old.id AS old_id, old.lifecycle_stage AS old_stage,
        r.row_no, r.email, r.email_normalized, r.match_key, r.first_name, r.last_name,
        coalesce(r.company_name, co.name) AS company_name, cd.company_id, r.job_title, r.phone, r.city, r.country, r.locale,
        coalesce(r.lifecycle_stage, 'subscriber') AS lifecycle_stage, r.source_channel, coalesce(r.custom_fields, '{}') AS custom_fields,
        coalesce(r.tags, '{}') AS tags, coalesce(r.quality_reasons, '[]') AS quality_reasons, r.quality_score,
        jsonb_strip_nulls(jsonb_build_object(${fieldMeta}))
          || coalesce((SELECT jsonb_object_agg('custom_fields.' || k, m.v) FROM jsonb_object_keys(r.custom_fields) k), '{}') AS field_meta
      FROM import_rows r CROSS JOIN m
        LEFT JOIN LATERAL (SELECT o.id, o.lifecycle_stage FROM contacts o
          WHERE o.workspace_id = ${ws} AND o.email_normalized = r.email_normalized OFFSET 0) old ON true
        LEFT JOIN company_domains cd ON cd.workspace_id = ${ws} AND cd.domain = r.company_domain
        LEFT JOIN companies co ON co.id = cd.company_id
      WHERE ${pending}),
    up AS (
      INSERT INTO contacts AS c (id, workspace_id, email, email_normalized, email_match_key, first_name, last_name, company_name,
        company_id, job_title, phone, city, country, locale, lifecycle_stage, source_channel, custom_fields, tags, field_meta,
        quality_score, quality_reasons, quality_checked_at, created_at, updated_at)
      SELECT id, ${ws}, email, email_normalized, match_key, first_name, last_name, company_name,
        company_id, job_title, phone, city, country, locale, lifecycle_stage, source_channel, custom_fields, tags, field_meta,
        quality_score, quality_reasons, ${now}, ${now}, ${now}
      FROM src
      ON CONFLICT (workspace_id, email_normalized) ${UPSERT_SET[settings.existing]}
      RETURNING 1),
    timeline AS (
      INSERT INTO activities (workspace_id, contact_id, origin_contact_id, type, occurred_at, data, source, ref)
      SELECT ${ws}, src.id, src.id, 'contacts.imported', ${now},
        jsonb_build_object('importId', ${imp.id}::text, 'file', ${imp.file_name}::text, 'row', src.row_no,
          'outcome', CASE WHEN src.old_id IS NULL THEN 'created' ELSE 'updated' END), ${source}, ${source}
      FROM src
      RETURNING 1),
    stages AS (
      INSERT INTO activities (workspace_id, contact_id, origin_contact_id, type, occurred_at, data, source, ref)
      SELECT ${ws}, src.id, src.id, 'contacts.stage-changed', ${now},
        jsonb_build_object('from', src.old_stage, 'to', ${newStage}, 'reason', NULL, 'by', 'import', 'importId', ${imp.id}::text),
        'import', ${source}
      FROM src
      WHERE CASE WHEN src.old_id IS NULL THEN src.lifecycle_stage <> 'subscriber' ELSE src.old_stage IS DISTINCT FROM ${newStage} END
      RETURNING id, workspace_id, type, occurred_at)
    SELECT (SELECT count(*) FROM src WHERE old_id IS NULL) AS created, (SELECT count(*) FROM src WHERE old_id IS NOT NULL) AS updated,
      (SELECT count(*) FROM up) AS written, (SELECT count(*) FROM timeline) AS entries,
      (SELECT coalesce(json_agg(json_build_object('id', id::text, 'workspace_id', workspace_id, 'type', type, 'occurred_at', occurred_at)), '[]') FROM stages) AS stage_changes`.execute(
    trx,
  );
  const r = result.rows[0]!;
  const stageChanges = (
    typeof r.stage_changes === 'string' ? JSON.parse(r.stage_changes) : r.stage_changes
  ) as { id: string; workspace_id: string; type: string; occurred_at: string }[];
  // The scoring module records these in the stage history (cause "import") through its handler.
  await enqueueActivityDeliveries(
    trx,
    stageChanges.map((c) => ({ ...c, occurred_at: new Date(c.occurred_at) })),
  );
  let consents = 0;
  if (settings.consent) {
    const rows = await sql<{
      contact_id: string;
      email: string;
      row_no: number;
      consent_date: Date | string | null;
    }>`
      SELECT c.id AS contact_id, r.email, r.row_no, coalesce(r.consent_date, (r.data->>'consent_date')::timestamptz) AS consent_date
      FROM import_rows r JOIN LATERAL (SELECT c.id FROM contacts c
          WHERE c.workspace_id = ${ws} AND c.email_normalized = r.email_normalized OFFSET 0) c ON true
      WHERE ${pending} AND coalesce(r.consent, (r.data->>'consent')::boolean) IS TRUE
      ORDER BY r.row_no`.execute(trx);
    const existing = new Map(
      (rows.rows.length
        ? await trx
            .selectFrom('consents')
            .select(['contact_id', 'status'])
            .where('workspace_id', '=', ws)
            .where('purpose', '=', settings.consent.purpose)
            .where(
              'contact_id',
              'in',
              rows.rows.map((x) => x.contact_id),
            )
            .execute()
        : []
      ).map((x) => [x.contact_id, x.status]),
    );
    for (const row of rows.rows) {
      const status = existing.get(row.contact_id);
      // A withdrawal stands, and a confirmed consent needs nothing: an import never changes either.
      if (status === 'withdrawn' || status === 'confirmed') continue;
      const at = row.consent_date ? new Date(row.consent_date) : now;
      await trx
        .insertInto('consents')
        .values({
          workspace_id: ws,
          contact_id: row.contact_id,
          purpose: settings.consent.purpose,
          status: 'confirmed',
          legal_basis: settings.consent.legalBasis,
          confirmed_at: at,
          updated_at: now,
        })
        .onConflict((oc) =>
          oc.columns(['workspace_id', 'contact_id', 'purpose']).doUpdateSet({
            status: 'confirmed',
            legal_basis: settings.consent!.legalBasis,
            confirmed_at: at,
            updated_at: now,
          }),
        )
        .execute();
      await appendConsentEvent(trx, {
        workspaceId: ws,
        contactId: row.contact_id,
        purpose: settings.consent.purpose,
        event: 'imported',
        occurredAt: now,
        email: row.email,
        actorUserId: imp.created_by,
        details: {
          importId: imp.id,
          file: imp.file_name,
          row: row.row_no,
          legalBasis: settings.consent.legalBasis,
          proof: settings.consent.proof,
          consentGivenAt: at.toISOString(),
        },
      });
      consents++;
    }
  }
  await trx
    .updateTable('import_chunks')
    .set({ applied_at: now })
    .where('import_id', '=', imp.id)
    .where('seq', '=', seq)
    .execute();
  await sql`UPDATE imports SET applied_rows = applied_rows + ${chunk.last_row - chunk.first_row + 1}, created_count = created_count + ${Number(r.created)},
    updated_count = updated_count + ${Number(r.updated)}, skipped_count = skipped_count + ${Number(skipped.numAffectedRows ?? 0)},
    suppressed_count = suppressed_count + ${Number(suppressed.numAffectedRows ?? 0)},
    consent_count = consent_count + ${consents}, updated_at = ${now} WHERE id = ${imp.id}`.execute(trx);
  return 'applied';
}

export interface ImportJobs {
  stage: JobDefinition;
  apply: JobDefinition;
}

/** The two job kinds of an import; `apply` chains itself chunk by chunk. */
export function importJobs(getQueue: () => JobQueue, clock: Clock): ImportJobs {
  const jobs: ImportJobs = {} as ImportJobs;
  jobs.stage = defineJob({
    name: 'contacts.stage-import',
    lane: 'bulk',
    maxAttempts: 3,
    schema: Type.Object({ importId: Type.String() }),
    async handler({ importId }, ctx) {
      await stageImport(ctx.db, clock, getQueue(), jobs, importId);
    },
  });
  jobs.apply = defineJob({
    name: 'contacts.apply-import-chunk',
    lane: 'bulk',
    maxAttempts: 5,
    schema: Type.Object({ importId: Type.String(), seq: Type.Integer({ minimum: 0 }) }),
    async handler({ importId, seq }, ctx) {
      await ctx.completeWith(async (trx) => {
        // KEY SHARE: the other chain's counter updates pass, a cancel (FOR UPDATE) waits for us.
        const imp = await trx
          .selectFrom('imports')
          .selectAll()
          .where('id', '=', importId)
          .forKeyShare()
          .executeTakeFirst();
        if (!imp) return;
        if (imp.cancel_requested || imp.status !== 'applying') return;
        await applyChunk(trx, clock, imp, seq);
        const [next] = await nextChunks(trx, importId, [seq % APPLY_CHAINS], seq);
        if (next !== undefined) {
          await enqueueApply(trx, getQueue(), jobs, imp.workspace_id, importId, next);
          return;
        }
        // This chain is through. The chain whose check comes last marks the import done: applyChunk
        // ends with the counters' update, which waits for the other chain's chunk if that one
        // updated them first — so of two chunks in flight, the later check sees both applied.
        const left = await trx
          .selectFrom('import_chunks')
          .select('seq')
          .where('import_id', '=', importId)
          .where('applied_at', 'is', null)
          .limit(1)
          .executeTakeFirst();
        if (left) return;
        // NO KEY UPDATE, not UPDATE: it does not wait for another chain's KEY SHARE (which would
        // deadlock with that chain's counter update); two chains that both get here take turns,
        // and the second finds the import done.
        const done = await trx
          .selectFrom('imports')
          .selectAll()
          .where('id', '=', importId)
          .forNoKeyUpdate()
          .executeTakeFirstOrThrow();
        if (done.status !== 'applying') return;
        await trx
          .updateTable('imports')
          .set({ status: 'done', finished_at: clock.now(), updated_at: clock.now() })
          .where('id', '=', importId)
          .execute();
        await trx.deleteFrom('import_file_parts').where('import_id', '=', importId).execute();
        await recordAudit(
          trx,
          {
            userId: imp.created_by,
            apiKeyId: null,
            label: 'import',
            ip: null,
            userAgent: null,
            requestId: null,
          },
          {
            workspaceId: imp.workspace_id,
            action: 'imports.finished',
            targetType: 'import',
            targetId: importId,
            details: {
              rows: done.total_rows,
              created: done.created_count,
              updated: done.updated_count,
              skipped: done.skipped_count,
              suppressed: done.suppressed_count,
              errors: done.error_rows,
              consents: done.consent_count,
            },
          },
        );
      });
    },
  });
  return jobs;
}

/** Stops an import between chunks; what was applied stays (and is reported). */
export async function cancelImport(
  db: Db,
  clock: Clock,
  actor: Actor,
  workspaceId: string,
  id: string,
): Promise<Import> {
  return db.transaction().execute(async (trx) => {
    const imp = await trx
      .selectFrom('imports')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!imp) throw new AppError('NOT_FOUND');
    if (!['uploaded', 'staging', 'staged', 'applying'].includes(imp.status))
      throw new AppError('IMPORT_STATE_INVALID', { status: imp.status });
    await trx
      .updateTable('imports')
      .set({ status: 'cancelled', cancel_requested: true, updated_at: clock.now() })
      .where('id', '=', id)
      .execute();
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'imports.cancelled',
      targetType: 'import',
      targetId: id,
      details: { appliedRows: imp.applied_rows },
    });
    return (await findImport(trx, workspaceId, id))!;
  });
}

/** Continues a cancelled import with each chain's next unapplied chunk (or re-stages it if it never got that far). */
export async function resumeImport(
  db: Db,
  clock: Clock,
  queue: JobQueue,
  jobs: ImportJobs,
  actor: Actor,
  workspaceId: string,
  id: string,
): Promise<Import> {
  return db.transaction().execute(async (trx) => {
    const imp = await trx
      .selectFrom('imports')
      .selectAll()
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
    if (!imp) throw new AppError('NOT_FOUND');
    if (imp.status !== 'cancelled') throw new AppError('IMPORT_STATE_INVALID', { status: imp.status });
    const next = await nextChunks(
      trx,
      id,
      Array.from({ length: APPLY_CHAINS }, (_, chain) => chain),
    );
    const chunks = await trx
      .selectFrom('import_chunks')
      .select('seq')
      .where('import_id', '=', id)
      .limit(1)
      .executeTakeFirst();
    if (!chunks) {
      await trx
        .updateTable('imports')
        .set({ status: 'staging', cancel_requested: false, updated_at: clock.now() })
        .where('id', '=', id)
        .execute();
      await queue.enqueue(trx, jobs.stage, { importId: id }, { workspaceId, idempotencyKey: `stage:${id}` });
    } else if (next.length > 0) {
      await trx
        .updateTable('imports')
        .set({ status: 'applying', cancel_requested: false, updated_at: clock.now() })
        .where('id', '=', id)
        .execute();
      for (const seq of next) await enqueueApply(trx, queue, jobs, workspaceId, id, seq);
    } else {
      await trx
        .updateTable('imports')
        .set({ status: 'done', cancel_requested: false, finished_at: clock.now() })
        .where('id', '=', id)
        .execute();
    }
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'imports.resumed',
      targetType: 'import',
      targetId: id,
    });
    return (await findImport(trx, workspaceId, id))!;
  });
}

/** The per-row report: every row with an error or not imported, as CSV lines (spreadsheet-safe). */
export async function* importReport(
  db: Db,
  importId: string,
  limit?: number,
  locale: Locale = 'en',
): AsyncGenerator<string> {
  const words = REPORT_WORDS[locale];
  yield csvLine(words.header);
  let after = 0;
  let left = limit ?? Number.POSITIVE_INFINITY;
  while (left > 0) {
    const rows = await db
      .selectFrom('import_rows')
      .select(['row_no', 'email', 'outcome', 'error'])
      .where('import_id', '=', importId)
      .where((eb) => eb.or([eb('error', 'is not', null), eb('outcome', 'in', ['skipped', 'suppressed'])]))
      .where('row_no', '>', after)
      .orderBy('row_no')
      .limit(Math.min(2000, left))
      .execute();
    if (rows.length === 0) return;
    for (const r of rows)
      yield csvLine([
        r.row_no,
        r.email,
        r.error ? words.error : r.outcome === 'suppressed' ? words.suppressed : words.skipped,
        localizeImportText(
          r.error ?? (r.outcome === 'suppressed' ? IMPORT_MESSAGES.suppressed.en : IMPORT_MESSAGES.exists.en),
          locale,
        ),
      ]);
    after = rows[rows.length - 1]!.row_no;
    left -= rows.length;
  }
}
