import type { Selectable } from 'kysely';
import type { Executor } from '../../shared/db/index.js';
import type { CaptureAssetsTable } from '../../shared/db/schema.js';

export type AssetRow = Selectable<CaptureAssetsTable>;

export async function insertAsset(
  db: Executor,
  row: {
    id: string;
    workspace_id: string;
    title: string;
    source: 'file' | 'url';
    url: string | null;
    file_name: string | null;
    content_type: string | null;
    size_bytes: number | null;
    sha256: string | null;
    created_by: string | null;
  },
): Promise<AssetRow> {
  return db.insertInto('capture_assets').values(row).returningAll().executeTakeFirstOrThrow();
}

export async function findAssetById(
  db: Executor,
  workspaceId: string,
  id: string,
): Promise<AssetRow | undefined> {
  return db
    .selectFrom('capture_assets')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function listAssets(db: Executor, workspaceId: string): Promise<AssetRow[]> {
  return db
    .selectFrom('capture_assets')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('created_at', 'desc')
    .execute();
}
