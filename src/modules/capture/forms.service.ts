import { Value } from '@sinclair/typebox/value';
import type { Actor } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import type { Db, Executor } from '../../shared/db/index.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { recordAudit } from '../audit/index.js';
import { findAssetById } from './assets.repository.js';
import {
  checkDefinition,
  checkPublishable,
  defaultDefinition,
  FormDefinition,
  type FormKindName,
  withFixedChoices,
} from './form-definition.js';
import {
  type FormRow,
  findFormById,
  findFormForUpdate,
  findFormVersion,
  insertForm,
  insertFormVersion,
  slugTaken,
  updateFormRow,
} from './forms.repository.js';

const ORIGIN_RE = /^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/;

function checkOrigins(origins: string[]): string[] {
  const normalized = origins.map((o) => o.trim().toLowerCase().replace(/\/$/, ''));
  const bad = normalized.filter((o) => !ORIGIN_RE.test(o));
  if (bad.length > 0)
    throw new AppError('VALIDATION_FAILED', {
      fields: [
        { field: 'allowedOrigins', message: `not an origin (https://host[:port]): ${bad.join(', ')}` },
      ],
    });
  return [...new Set(normalized)];
}

function parseDefinition(value: unknown): FormDefinition {
  if (!Value.Check(FormDefinition, value)) {
    const fields = [...Value.Errors(FormDefinition, value)]
      .slice(0, 20)
      .map((e) => ({ field: e.path.replace(/^\//, '').replaceAll('/', '.'), message: e.message }));
    throw new AppError('FORM_DEFINITION_INVALID', { fields });
  }
  return value;
}

async function checkAsset(db: Executor, workspaceId: string, def: FormDefinition): Promise<void> {
  if (def.assetId && !(await findAssetById(db, workspaceId, def.assetId)))
    throw new AppError('FORM_DEFINITION_INVALID', {
      fields: [{ field: 'assetId', message: 'no such asset' }],
    });
}

/** Creates a draft form of a kind, starting from that kind's default fields and texts. */
export async function createForm(
  db: Db,
  clock: Clock,
  actor: Actor,
  workspaceId: string,
  input: { name: string; slug: string; kind: FormKindName; definition?: unknown; allowedOrigins?: string[] },
): Promise<FormRow> {
  const definition = withFixedChoices(
    input.definition === undefined ? defaultDefinition(input.kind) : parseDefinition(input.definition),
  );
  checkDefinition(input.kind, definition);
  await checkAsset(db, workspaceId, definition);
  const origins = checkOrigins(input.allowedOrigins ?? []);
  return db.transaction().execute(async (trx) => {
    if (await slugTaken(trx, input.slug)) throw new AppError('SLUG_TAKEN', { field: 'slug' });
    const form = await insertForm(trx, {
      id: newId(),
      workspace_id: workspaceId,
      slug: input.slug,
      name: input.name.trim(),
      kind: input.kind,
      draft: definition,
      allowed_origins: origins,
      created_by: actor.userId,
      now: clock.now(),
    });
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'forms.created',
      targetType: 'form',
      targetId: form.id,
      details: { name: form.name, slug: form.slug, kind: form.kind },
    });
    return form;
  });
}

/** Changes a form's draft, name, address or allowed origins; published versions stay as they are. */
export async function updateForm(
  db: Db,
  clock: Clock,
  actor: Actor,
  workspaceId: string,
  id: string,
  input: { name?: string; slug?: string; definition?: unknown; allowedOrigins?: string[] },
): Promise<FormRow> {
  return db.transaction().execute(async (trx) => {
    const form = await findFormForUpdate(trx, workspaceId, id);
    if (!form) throw new AppError('NOT_FOUND');
    let draft: FormDefinition | undefined;
    if (input.definition !== undefined) {
      draft = withFixedChoices(parseDefinition(input.definition));
      checkDefinition(form.kind, draft);
      await checkAsset(trx, workspaceId, draft);
    }
    if (input.slug && input.slug !== form.slug && (await slugTaken(trx, input.slug, id)))
      throw new AppError('SLUG_TAKEN', { field: 'slug' });
    const updated = await updateFormRow(trx, workspaceId, id, {
      ...(input.name !== undefined ? { name: input.name.trim() } : {}),
      ...(input.slug !== undefined ? { slug: input.slug } : {}),
      ...(draft ? { draft } : {}),
      ...(input.allowedOrigins ? { allowed_origins: checkOrigins(input.allowedOrigins) } : {}),
      updated_at: clock.now(),
    });
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'forms.updated',
      targetType: 'form',
      targetId: id,
      details: { changed: Object.keys(input) },
    });
    return updated!;
  });
}

/**
 * Publishes the current draft as the next version. A version is never changed afterwards (a
 * trigger refuses updates): submissions and consents point at the exact text people saw.
 */
export async function publishForm(
  db: Db,
  clock: Clock,
  actor: Actor,
  workspaceId: string,
  id: string,
): Promise<{ form: FormRow; version: number }> {
  return db.transaction().execute(async (trx) => {
    const form = await findFormForUpdate(trx, workspaceId, id);
    if (!form) throw new AppError('NOT_FOUND');
    const definition = parseDefinition(form.draft);
    checkPublishable(form.kind, definition);
    await checkAsset(trx, workspaceId, definition);
    const version = (form.published_version ?? 0) + 1;
    const now = clock.now();
    await insertFormVersion(trx, {
      workspace_id: workspaceId,
      form_id: id,
      version,
      definition,
      published_at: now,
      published_by: actor.userId,
    });
    const updated = await updateFormRow(trx, workspaceId, id, {
      published_version: version,
      archived_at: null,
      updated_at: now,
    });
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'forms.published',
      targetType: 'form',
      targetId: id,
      details: { version, slug: form.slug },
    });
    return { form: updated!, version };
  });
}

/** Takes a form offline (its address answers "not found"); publishing again brings it back. */
export async function archiveForm(
  db: Db,
  clock: Clock,
  actor: Actor,
  workspaceId: string,
  id: string,
): Promise<FormRow> {
  return db.transaction().execute(async (trx) => {
    const form = await updateFormRow(trx, workspaceId, id, {
      archived_at: clock.now(),
      updated_at: clock.now(),
    });
    if (!form) throw new AppError('NOT_FOUND');
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'forms.archived',
      targetType: 'form',
      targetId: id,
    });
    return form;
  });
}

/** The form and its published definition, for the public side; undefined when not live. */
export async function findLiveForm(
  db: Db,
  form: FormRow | undefined,
): Promise<{ form: FormRow; version: number; definition: FormDefinition } | undefined> {
  if (!form || form.archived_at || !form.published_version) return undefined;
  const v = await findFormVersion(db, form.workspace_id, form.id, form.published_version);
  if (!v) return undefined;
  return { form, version: v.version, definition: v.definition as FormDefinition };
}

export async function getForm(db: Db, workspaceId: string, id: string): Promise<FormRow> {
  const form = await findFormById(db, workspaceId, id);
  if (!form) throw new AppError('NOT_FOUND');
  return form;
}
