import { Type } from '@sinclair/typebox';
import type { Actor } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import type { Db, Executor } from '../../shared/db/index.js';
import type { Workspace } from '../../shared/db/schema.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { defineJob, type JobQueue, PermanentJobError } from '../../shared/jobs/index.js';
import { recordAudit } from '../audit/index.js';
import {
  findWorkspaceById,
  findWorkspaceBySlug,
  insertWorkspace,
  updateWorkspaceRow,
} from './workspaces.repository.js';

export interface NewWorkspaceInput {
  name: string;
  slug?: string | undefined;
  defaultLocale?: 'de' | 'en' | undefined;
}

/** Turns a name into a URL-safe short name ("Müller & Söhne GmbH" → "mueller-soehne-gmbh"). */
export function slugify(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/ä/g, 'ae')
    .replace(/ö/g, 'oe')
    .replace(/ü/g, 'ue')
    .replace(/ß/g, 'ss')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/g, '');
  return slug || 'workspace';
}

/** Creates a workspace inside the given transaction (with its audit entry). */
export async function createWorkspaceIn(
  trx: Executor,
  actor: Actor,
  input: NewWorkspaceInput,
): Promise<Workspace> {
  const slug = input.slug ?? slugify(input.name);
  if (await findWorkspaceBySlug(trx, slug)) throw new AppError('SLUG_TAKEN', { field: 'slug' });
  const workspace = await insertWorkspace(trx, {
    id: newId(),
    name: input.name.trim(),
    slug,
    default_locale: input.defaultLocale ?? 'de',
  });
  await recordAudit(trx, actor, {
    workspaceId: workspace.id,
    action: 'workspaces.created',
    targetType: 'workspace',
    targetId: workspace.id,
    details: { name: workspace.name, slug },
  });
  return workspace;
}

/** Bounds of the freshness period (days after which data or a consent confirmation is stale). */
export const STALE_DAYS_MIN = 30;
export const STALE_DAYS_MAX = 3650;

/**
 * Re-scores the stored data quality of a workspace's contacts after its freshness period changed.
 * The contacts module runs it (it owns the scores, and it depends on this module, not the other
 * way round); it is declared here so that the change enqueues it in its own transaction. Pages of
 * contacts by id; `afterId` continues a run. One pending run per workspace (idempotency key).
 */
export const RESCORE_WORKSPACE_JOB = defineJob({
  name: 'contacts.rescore-workspace',
  lane: 'bulk',
  maxAttempts: 5,
  schema: Type.Object({
    workspaceId: Type.String(),
    /** Continue after this contact id (none: from the start). */
    afterId: Type.Optional(Type.String()),
  }),
  async handler() {
    throw new PermanentJobError('contacts.rescore-workspace runs in the contacts module');
  },
});

/** Renames a workspace, changes its default language or its freshness period. */
export async function updateWorkspace(
  db: Db,
  clock: Clock,
  queue: JobQueue,
  actor: Actor,
  id: string,
  patch: {
    name?: string | undefined;
    defaultLocale?: 'de' | 'en' | undefined;
    staleAfterDays?: number | undefined;
  },
): Promise<Workspace> {
  const days = patch.staleAfterDays;
  if (days !== undefined && (!Number.isInteger(days) || days < STALE_DAYS_MIN || days > STALE_DAYS_MAX))
    throw new AppError('STALE_DAYS_OUT_OF_RANGE', {
      min: STALE_DAYS_MIN,
      max: STALE_DAYS_MAX,
      fields: [
        { field: 'staleAfterDays', message: `a whole number from ${STALE_DAYS_MIN} to ${STALE_DAYS_MAX}` },
      ],
    });
  return db.transaction().execute(async (trx) => {
    const before = await findWorkspaceById(trx, id);
    if (!before) throw new AppError('NOT_FOUND');
    const updated = await updateWorkspaceRow(trx, id, {
      ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
      ...(patch.defaultLocale !== undefined ? { default_locale: patch.defaultLocale } : {}),
      ...(days !== undefined ? { stale_after_days: days } : {}),
      updated_at: clock.now(),
    });
    await recordAudit(trx, actor, {
      workspaceId: id,
      action: 'workspaces.updated',
      targetType: 'workspace',
      targetId: id,
      details: {
        before: {
          name: before.name,
          defaultLocale: before.default_locale,
          staleAfterDays: before.stale_after_days,
        },
        patch,
      },
    });
    // Stored scores (segments, lists) follow in the background, not in this request.
    if (days !== undefined && days !== before.stale_after_days)
      await queue.enqueue(
        trx,
        RESCORE_WORKSPACE_JOB,
        { workspaceId: id },
        { workspaceId: id, idempotencyKey: id },
      );
    return updated!;
  });
}

export function toWorkspaceBody(w: Workspace) {
  return {
    id: w.id,
    name: w.name,
    slug: w.slug,
    defaultLocale: w.default_locale,
    staleAfterDays: w.stale_after_days,
    createdAt: w.created_at.toISOString(),
  };
}
