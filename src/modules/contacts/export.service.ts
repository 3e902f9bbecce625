import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import { type RawBuilder, sql } from 'kysely';
import type { Actor } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import type { Executor } from '../../shared/db/index.js';
import { AppError } from '../../shared/errors.js';
import { defineJob } from '../../shared/jobs/index.js';
import { ROLE_PERMISSIONS } from '../../shared/permissions.js';
import { recordAudit } from '../audit/index.js';
import { type ContactSelection, selectionWhere } from './contacts-query.js';
import { csvLine } from './csv.js';
import { listCustomFields } from './custom-fields.js';

/*
 * Contact export as CSV: the chosen columns of a selection (ids, filter, search or segment),
 * spreadsheet formulas escaped (csvLine), streamed in keyset pages of 2,000 so that neither the
 * server nor the client holds the file.
 *
 * The admin UI cannot send its workspace header on a plain navigation, and fetching the file
 * into a blob would hold a million rows in the tab. So it first asks for an export token (POST
 * with the selection and columns, checked right away), then navigates to
 * GET /api/v1/contacts/export?token=… and the browser's download manager streams the file to
 * disk. The token is random (256 bits), stored only as its SHA-256, single-use, valid for
 * EXPORT_TOKEN_TTL_MS, bound to the workspace and the user who asked for it; at redemption the
 * user must still hold contacts:read in that workspace.
 *
 * The same tokens (column `kind`) serve the import error report: POST /imports/:id/report-tokens,
 * then GET /imports/report?token=… (imports.routes.ts). A token is redeemed only by its kind.
 */

/** An export token is good for this long after it was issued (the browser navigates at once). */
export const EXPORT_TOKEN_TTL_MS = 120_000;
/** Used and expired tokens are deleted after this long (kept a while to tell "used" from "unknown"). */
export const EXPORT_TOKEN_KEEP_MS = 86_400_000;
const PAGE = 2000;

/** Columns an export may contain, with their SQL. */
const EXPORT_COLUMNS: Record<string, RawBuilder<unknown>> = {
  email: sql`c.email`,
  first_name: sql`c.first_name`,
  last_name: sql`c.last_name`,
  company_name: sql`c.company_name`,
  job_title: sql`c.job_title`,
  phone: sql`c.phone`,
  city: sql`c.city`,
  country: sql`c.country`,
  locale: sql`c.locale`,
  lifecycle_stage: sql`c.lifecycle_stage`,
  source_channel: sql`c.source_channel`,
  tags: sql`array_to_string(c.tags, ';')`,
  quality_score: sql`c.quality_score`,
  created_at: sql`c.created_at`,
  updated_at: sql`c.updated_at`,
};
const DEFAULT_COLUMNS = 'email,first_name,last_name,company_name,job_title,lifecycle_stage';

export interface PreparedExport {
  columns: string[];
  exprs: RawBuilder<unknown>[];
  where: RawBuilder<boolean>;
}

/** Checks the columns and the selection of an export (unknown column, bad filter → errors now). */
export async function prepareExport(
  db: Executor,
  now: Date,
  workspaceId: string,
  columns: string | undefined | null,
  selection: ContactSelection,
): Promise<PreparedExport> {
  const defs = await listCustomFields(db, workspaceId, 'contact');
  const wanted = (columns ?? DEFAULT_COLUMNS)
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  const exprs = wanted.map((c) => {
    if (EXPORT_COLUMNS[c]) return EXPORT_COLUMNS[c]!;
    const def = c.startsWith('custom:') ? defs.find((d) => d.key === c.slice(7)) : undefined;
    if (!def)
      throw new AppError('VALIDATION_FAILED', {
        fields: [{ field: 'columns', message: `unknown column ${c}` }],
      });
    return def.type === 'multi_choice'
      ? sql`(SELECT string_agg(v, ';') FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(c.custom_fields -> ${def.key}) = 'array' THEN c.custom_fields -> ${def.key} END) v)`
      : sql`c.custom_fields ->> ${def.key}`;
  });
  const where = (await selectionWhere(db, workspaceId, now, selection)) as RawBuilder<boolean>;
  return { columns: wanted, exprs, where };
}

/**
 * Audits the export and returns the CSV as a stream (BOM, header, then keyset pages by id). The
 * query of each page runs when the consumer asks for it, so memory stays flat at any size.
 */
export async function streamExport(
  db: Executor,
  actor: Actor,
  workspaceId: string,
  prepared: PreparedExport,
  selection: ContactSelection,
  via: 'request' | 'token',
): Promise<Readable> {
  await recordAudit(db, actor, {
    workspaceId,
    action: 'contacts.exported',
    details: {
      columns: prepared.columns,
      q: selection.q ?? null,
      segmentId: selection.segmentId ?? null,
      filter: selection.filter ?? null,
      ids: selection.ids ? selection.ids.length : null,
      via,
    },
  });
  const { columns, exprs, where } = prepared;
  async function* lines() {
    yield '\uFEFF';
    yield csvLine(columns);
    let after: string | null = null;
    for (;;) {
      const page = await sql<
        Record<string, unknown>
      >`SELECT c.id AS "__id", ${sql.join(exprs.map((e, i) => sql`${e} AS ${sql.ref(`col${i}`)}`))}
        FROM contacts c WHERE ${where} ${after ? sql`AND c.id > ${after}` : sql``} ORDER BY c.id LIMIT ${PAGE}`.execute(
        db,
      );
      if (page.rows.length === 0) return;
      let chunk = '';
      for (const row of page.rows) chunk += csvLine(columns.map((_, i) => row[`col${i}`]));
      yield chunk;
      if (page.rows.length < PAGE) return;
      after = String(page.rows[page.rows.length - 1]!.__id);
    }
  }
  return Readable.from(lines());
}

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** What a one-time download link downloads (contact_export_tokens.kind). */
export type DownloadKind = 'contacts' | 'import_report';

/**
 * Issues a single-use download token of a kind for a user (the same mechanism for every download
 * of the admin UI that must stream to disk). The caller has checked what it downloads.
 */
export async function createDownloadToken(
  db: Executor,
  now: Date,
  input: {
    workspaceId: string;
    userId: string | null;
    kind: DownloadKind;
    targetId?: string | undefined;
    columns?: string | undefined;
    selection?: ContactSelection | undefined;
  },
): Promise<{ token: string; expiresAt: Date }> {
  // A token stands in for the session's workspace header; API keys call the direct routes.
  if (!input.userId) throw new AppError('FORBIDDEN', { reason: 'download tokens are for user sessions' });
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + EXPORT_TOKEN_TTL_MS);
  await db
    .insertInto('contact_export_tokens')
    .values({
      token_hash: hashToken(token),
      workspace_id: input.workspaceId,
      user_id: input.userId,
      kind: input.kind,
      target_id: input.targetId ?? null,
      selection: JSON.stringify(input.selection ?? {}),
      columns: input.columns ?? null,
      created_at: now,
      expires_at: expiresAt,
    })
    .execute();
  return { token, expiresAt };
}

/**
 * Issues a single-use export token for a user's selection and columns, after checking both (so
 * a bad column or an unknown segment is answered now, not in the download).
 */
export async function createExportToken(
  db: Executor,
  clock: Clock,
  input: {
    workspaceId: string;
    userId: string | null;
    columns?: string | undefined;
    selection: ContactSelection;
  },
): Promise<{ token: string; expiresAt: Date }> {
  if (!input.userId) throw new AppError('FORBIDDEN', { reason: 'export tokens are for user sessions' });
  const now = clock.now();
  await prepareExport(db, now, input.workspaceId, input.columns, input.selection);
  return createDownloadToken(db, now, { ...input, kind: 'contacts' });
}

/** A redeemed token: the workspace and what it downloads. */
export interface RedeemedDownload {
  workspaceId: string;
  targetId: string | null;
  selection: ContactSelection;
  columns: string | null;
}

/**
 * Redeems a download token of a kind for the calling user: marks it used (atomically, so a second
 * request with it fails) and checks that the user still may read the workspace's contacts.
 * Unknown tokens, tokens of another kind, user or workspace are EXPORT_TOKEN_INVALID.
 */
export async function redeemDownloadToken(
  db: Executor,
  now: Date,
  input: {
    token: string;
    kind: DownloadKind;
    userId: string;
    isSuperadmin: boolean;
    workspaceId?: string | undefined;
  },
): Promise<RedeemedDownload> {
  const hash = hashToken(input.token);
  const row = await db
    .updateTable('contact_export_tokens')
    .set({ used_at: now })
    .where('token_hash', '=', hash)
    .where('user_id', '=', input.userId)
    .where('kind', '=', input.kind)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .returningAll()
    .executeTakeFirst();
  if (!row) {
    const known = await db
      .selectFrom('contact_export_tokens')
      .select(['used_at', 'expires_at'])
      .where('token_hash', '=', hash)
      .where('user_id', '=', input.userId)
      .where('kind', '=', input.kind)
      .executeTakeFirst();
    if (!known) throw new AppError('EXPORT_TOKEN_INVALID');
    throw new AppError(known.used_at ? 'EXPORT_TOKEN_USED' : 'EXPORT_TOKEN_EXPIRED');
  }
  // A request that names a workspace must name the token's.
  if (input.workspaceId && input.workspaceId !== row.workspace_id) throw new AppError('EXPORT_TOKEN_INVALID');
  // The role may have changed (or the membership ended) since the token was issued. Membership
  // is the identity module's table; read here, like the auth hook does, without its service.
  const membership = await db
    .selectFrom('memberships')
    .select('role')
    .where('workspace_id', '=', row.workspace_id)
    .where('user_id', '=', input.userId)
    .executeTakeFirst();
  const allowed = membership ? ROLE_PERMISSIONS[membership.role].has('contacts:read') : input.isSuperadmin;
  if (!allowed) throw new AppError('FORBIDDEN', { permission: 'contacts:read' });
  return {
    workspaceId: row.workspace_id,
    targetId: row.target_id,
    selection: row.selection as ContactSelection,
    columns: row.columns,
  };
}

/** Redeems a contact export token (see redeemDownloadToken) and returns the CSV stream. */
export async function redeemExportToken(
  db: Executor,
  clock: Clock,
  actor: Actor,
  input: { token: string; userId: string; isSuperadmin: boolean; workspaceId?: string | undefined },
): Promise<Readable> {
  const now = clock.now();
  const got = await redeemDownloadToken(db, now, { ...input, kind: 'contacts' });
  const prepared = await prepareExport(db, now, got.workspaceId, got.columns, got.selection);
  return streamExport(db, actor, got.workspaceId, prepared, got.selection, 'token');
}

/** Deletes export tokens that expired more than a day ago (used or not). */
export async function purgeExportTokens(db: Executor, now: Date): Promise<number> {
  const r = await db
    .deleteFrom('contact_export_tokens')
    .where('expires_at', '<', new Date(now.getTime() - EXPORT_TOKEN_KEEP_MS))
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** Hourly: used and expired export tokens leave the table. */
export function purgeExportTokensJob() {
  return defineJob({
    name: 'contacts.purge-export-tokens',
    lane: 'bulk',
    schema: Type.Object({}),
    maxAttempts: 3,
    async handler(_payload, ctx) {
      const removed = await purgeExportTokens(ctx.db, ctx.clock.now());
      if (removed > 0)
        ctx.log.info({ event: 'contacts.export-tokens-purged', removed }, 'export tokens purged');
    },
  });
}
