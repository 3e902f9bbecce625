import type { Selectable } from 'kysely';
import type { Executor } from '../../shared/db/index.js';
import type { AssetKind, CaptureAssetsTable } from '../../shared/db/schema.js';

export type AssetRow = Selectable<CaptureAssetsTable>;

/** What a piece of gated content can be; `other` for anything else. */
export const ASSET_KINDS = [
  'white-paper',
  'checklist',
  'guide',
  'case-study',
  'e-book',
  'webinar-recording',
  'other',
] as const satisfies readonly AssetKind[];

export async function insertAsset(
  db: Executor,
  row: {
    id: string;
    workspace_id: string;
    title: string;
    kind: AssetKind;
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

/** Changes what people see of an asset (its title, its kind); the file or address stays. */
export async function updateAssetRow(
  db: Executor,
  workspaceId: string,
  id: string,
  changes: { title?: string | undefined; kind?: AssetKind | undefined },
): Promise<AssetRow | undefined> {
  return db
    .updateTable('capture_assets')
    .set({
      ...(changes.title !== undefined ? { title: changes.title } : {}),
      ...(changes.kind !== undefined ? { kind: changes.kind } : {}),
    })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirst();
}
