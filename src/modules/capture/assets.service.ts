import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Actor } from '../../shared/actor.js';
import type { Db } from '../../shared/db/index.js';
import type { AssetKind } from '../../shared/db/schema.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import type { AppDeps } from '../../shared/module.js';
import { recordAudit } from '../audit/index.js';
import { findContactById, recordActivity } from '../contacts/index.js';
import { type AssetRow, findAssetById, insertAsset, updateAssetRow } from './assets.repository.js';
import { hasControlCharacters } from './email-address.js';
import { createAssetToken, openAssetToken } from './signed-tokens.js';

export const ASSET_MAX_BYTES = 25 * 1024 * 1024;
/** How long a download link from a confirmation mail or page works. */
export const ASSET_LINK_TTL_DAYS = 30;

/** Where uploaded files live: DATA_DIR/capture-assets/<workspace>/<asset id>. */
export function assetPath(dataDir: string, workspaceId: string, assetId: string): string {
  return join(dataDir, 'capture-assets', workspaceId, assetId);
}

const SAFE_NAME_RE = /^[^/\\"]{1,200}$/;

/** Adds gated content: an uploaded file (kept in DATA_DIR) or an external address. */
export async function createAsset(
  deps: Pick<AppDeps, 'db' | 'config'>,
  actor: Actor,
  workspaceId: string,
  input: {
    title: string;
    kind?: AssetKind | undefined;
    url?: string | undefined;
    fileName?: string | undefined;
    contentType?: string | undefined;
    contentBase64?: string | undefined;
  },
): Promise<AssetRow> {
  const id = newId();
  let file: { name: string; type: string; size: number; sha: string } | undefined;
  if (input.contentBase64 !== undefined) {
    const bytes = Buffer.from(input.contentBase64, 'base64');
    if (bytes.length === 0 || bytes.length > ASSET_MAX_BYTES)
      throw new AppError('PAYLOAD_TOO_LARGE', { max: ASSET_MAX_BYTES });
    const name = input.fileName?.trim() ?? '';
    if (!SAFE_NAME_RE.test(name) || hasControlCharacters(name))
      throw new AppError('VALIDATION_FAILED', {
        fields: [{ field: 'fileName', message: 'a plain file name' }],
      });
    const path = assetPath(deps.config.dataDir, workspaceId, id);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, bytes, { mode: 0o600 });
    file = {
      name,
      type: /^[a-z]+\/[a-z0-9.+-]+$/i.test(input.contentType ?? '')
        ? input.contentType!
        : 'application/octet-stream',
      size: bytes.length,
      sha: createHash('sha256').update(bytes).digest('hex'),
    };
  } else if (!input.url || !/^https:\/\/[^\s]+$/.test(input.url)) {
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'url', message: 'an https:// address, or upload a file' }],
    });
  }
  return deps.db.transaction().execute(async (trx) => {
    const asset = await insertAsset(trx, {
      id,
      workspace_id: workspaceId,
      title: input.title.trim(),
      kind: input.kind ?? 'other',
      source: file ? 'file' : 'url',
      url: file ? null : input.url!,
      file_name: file?.name ?? null,
      content_type: file?.type ?? null,
      size_bytes: file?.size ?? null,
      sha256: file?.sha ?? null,
      created_by: actor.userId,
    });
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'assets.created',
      targetType: 'asset',
      targetId: id,
      details: { title: asset.title, kind: asset.kind, source: asset.source },
    });
    return asset;
  });
}

/**
 * The download address for one contact and one asset (what the confirmation page and mail link
 * to): `<PUBLIC_URL>/d?t=<token>`, signed, no personal data in it, valid `validDays` (default
 * ASSET_LINK_TTL_DAYS).
 */
export function assetDownloadUrl(
  deps: Pick<AppDeps, 'config' | 'clock'>,
  input: {
    workspaceId: string;
    contactId: string;
    assetId: string;
    /** How long the link works (1–365 days; default ASSET_LINK_TTL_DAYS), e.g. a journey's offer step. */
    validDays?: number | undefined;
  },
): string {
  const days = Math.min(365, Math.max(1, Math.round(input.validDays ?? ASSET_LINK_TTL_DAYS)));
  const expiresAt = new Date(deps.clock.now().getTime() + days * 86_400_000);
  const token = createAssetToken(deps.config.secretKey, {
    workspaceId: input.workspaceId,
    contactId: input.contactId,
    assetId: input.assetId,
    expiresAt,
  });
  return `${deps.config.publicUrl}/d?t=${token}`;
}

/** Resolves a download link and records the download on the contact's timeline. */
export async function downloadAsset(
  deps: Pick<AppDeps, 'db' | 'config' | 'clock'>,
  token: string,
): Promise<AssetRow> {
  const link = openAssetToken(deps.config.secretKey, token, deps.clock.now());
  if (!link) throw new AppError('DOWNLOAD_LINK_INVALID');
  return deps.db.transaction().execute(async (trx) => {
    const asset = await findAssetById(trx, link.workspaceId, link.assetId);
    const contact = await findContactById(trx, link.workspaceId, link.contactId);
    // An erased contact's old link stops working with the contact.
    if (!asset || !contact) throw new AppError('DOWNLOAD_LINK_INVALID');
    await recordActivity(trx, {
      workspaceId: link.workspaceId,
      contactId: link.contactId,
      type: 'capture.asset-downloaded',
      occurredAt: deps.clock.now(),
      data: { assetId: asset.id, title: asset.title },
      source: `asset:${asset.id}`,
      ref: `asset:${asset.id}`,
    });
    return asset;
  });
}

/** Renames an asset or changes its kind (audited); links already sent keep working. */
export async function updateAsset(
  deps: Pick<AppDeps, 'db'>,
  actor: Actor,
  workspaceId: string,
  id: string,
  changes: { title?: string | undefined; kind?: AssetKind | undefined },
): Promise<AssetRow> {
  const title = changes.title?.trim();
  if (changes.title !== undefined && (!title || hasControlCharacters(title)))
    throw new AppError('VALIDATION_FAILED', { fields: [{ field: 'title', message: 'required' }] });
  return deps.db.transaction().execute(async (trx) => {
    const asset = await updateAssetRow(trx, workspaceId, id, { title, kind: changes.kind });
    if (!asset) throw new AppError('NOT_FOUND');
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'assets.updated',
      targetType: 'asset',
      targetId: id,
      details: { title: asset.title, kind: asset.kind },
    });
    return asset;
  });
}

export function toAssetBody(a: AssetRow) {
  return {
    id: a.id,
    title: a.title,
    kind: a.kind,
    source: a.source,
    url: a.url,
    fileName: a.file_name,
    contentType: a.content_type,
    sizeBytes: a.size_bytes === null ? null : Number(a.size_bytes),
    createdAt: a.created_at.toISOString(),
  };
}

export type { Db };
