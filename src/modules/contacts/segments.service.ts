import { sql } from 'kysely';
import type { Actor } from '../../shared/actor.js';
import type { Clock } from '../../shared/clock.js';
import type { Db, Executor } from '../../shared/db/index.js';
import type { Segment } from '../../shared/db/schema.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { recordAudit } from '../audit/index.js';
import {
  buildCompileContext,
  type ContactSelection,
  countMatching,
  selectionWhere,
} from './contacts-query.js';
import { compileNode, parseDefinition, referencedSegments } from './segment-compiler.js';
import type { Group } from './segment-definition.js';

export async function listSegments(db: Executor, workspaceId: string): Promise<Segment[]> {
  return db
    .selectFrom('segments')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .orderBy('name')
    .execute();
}

export async function findSegment(
  db: Executor,
  workspaceId: string,
  id: string,
): Promise<Segment | undefined> {
  return db
    .selectFrom('segments')
    .selectAll()
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Refuses a definition that does not compile (unknown fields, wrong operators, circular references). */
async function checkDefinition(
  db: Executor,
  workspaceId: string,
  now: Date,
  definition: Group,
  selfId?: string,
): Promise<void> {
  if (selfId && referencedSegments(definition).has(selfId))
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'definition', message: 'a segment cannot contain itself' }],
    });
  const ctx = await buildCompileContext(db, workspaceId, now, [definition]);
  if (selfId && ctx.segments.has(selfId))
    throw new AppError('VALIDATION_FAILED', {
      fields: [{ field: 'definition', message: 'segments refer to each other in a circle' }],
    });
  for (const id of referencedSegments(definition))
    if (!ctx.segments.has(id))
      throw new AppError('VALIDATION_FAILED', {
        fields: [{ field: 'definition', message: `segment ${id} does not exist` }],
      });
  compileNode(definition, ctx);
}

export async function createSegment(
  db: Db,
  clock: Clock,
  actor: Actor,
  workspaceId: string,
  input: { name: string; description?: string | null | undefined; definition: unknown },
): Promise<Segment> {
  const definition = parseDefinition(input.definition);
  const now = clock.now();
  return db.transaction().execute(async (trx) => {
    await checkDefinition(trx, workspaceId, now, definition);
    const segment = await trx
      .insertInto('segments')
      .values({
        id: newId(),
        workspace_id: workspaceId,
        name: input.name.trim(),
        description: input.description ?? null,
        definition: JSON.stringify(definition),
        created_by: actor.userId,
        created_at: now,
        updated_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'segments.created',
      targetType: 'segment',
      targetId: segment.id,
      details: { name: segment.name },
    });
    return segment;
  });
}

export async function updateSegment(
  db: Db,
  clock: Clock,
  actor: Actor,
  workspaceId: string,
  id: string,
  input: { name?: string | undefined; description?: string | null | undefined; definition?: unknown },
): Promise<Segment> {
  const now = clock.now();
  return db.transaction().execute(async (trx) => {
    const set: Record<string, unknown> = { updated_at: now };
    if (input.name !== undefined) set.name = input.name.trim();
    if (input.description !== undefined) set.description = input.description;
    if (input.definition !== undefined) {
      const definition = parseDefinition(input.definition);
      await checkDefinition(trx, workspaceId, now, definition, id);
      set.definition = JSON.stringify(definition);
    }
    const segment = await trx
      .updateTable('segments')
      .set(set)
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!segment) throw new AppError('NOT_FOUND');
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'segments.updated',
      targetType: 'segment',
      targetId: id,
    });
    return segment;
  });
}

export async function deleteSegment(db: Db, actor: Actor, workspaceId: string, id: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const users = await trx
      .selectFrom('segments')
      .select(['id', 'name'])
      .where('workspace_id', '=', workspaceId)
      .where('id', '<>', id)
      .where(sql<boolean>`definition::text LIKE ${`%${id}%`}`)
      .execute();
    if (users.length > 0) throw new AppError('SEGMENT_IN_USE', { segments: users.map((u) => u.name) });
    const r = await trx
      .deleteFrom('segments')
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw new AppError('NOT_FOUND');
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'segments.deleted',
      targetType: 'segment',
      targetId: id,
    });
  });
}

/** How many contacts a definition (saved or being built) matches right now. */
export async function countSelection(
  db: Executor,
  clock: Clock,
  workspaceId: string,
  selection: ContactSelection,
): Promise<number> {
  return countMatching(db, workspaceId, clock.now(), selection);
}

/** Adds contacts to a segment by hand ("add to segment"); they are members whatever the filter says. */
export async function addSegmentMembers(
  db: Db,
  clock: Clock,
  actor: Actor,
  workspaceId: string,
  segmentId: string,
  selection: ContactSelection,
): Promise<number> {
  const now = clock.now();
  return db.transaction().execute(async (trx) => {
    if (!(await findSegment(trx, workspaceId, segmentId))) throw new AppError('NOT_FOUND');
    const where = await selectionWhere(trx, workspaceId, now, selection);
    const r = await sql<{ contact_id: string }>`
      INSERT INTO segment_members (workspace_id, segment_id, contact_id, added_at)
      SELECT c.workspace_id, ${segmentId}, c.id, ${now} FROM contacts c WHERE ${where}
      ON CONFLICT DO NOTHING RETURNING contact_id`.execute(trx);
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'segments.members-added',
      targetType: 'segment',
      targetId: segmentId,
      details: { count: r.rows.length },
    });
    return r.rows.length;
  });
}

export async function removeSegmentMembers(
  db: Db,
  actor: Actor,
  workspaceId: string,
  segmentId: string,
  contactIds: string[],
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const r = await trx
      .deleteFrom('segment_members')
      .where('workspace_id', '=', workspaceId)
      .where('segment_id', '=', segmentId)
      .where('contact_id', 'in', contactIds.length ? contactIds : ['00000000-0000-0000-0000-000000000000'])
      .executeTakeFirst();
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'segments.members-removed',
      targetType: 'segment',
      targetId: segmentId,
      details: { count: Number(r.numDeletedRows) },
    });
    return Number(r.numDeletedRows);
  });
}

/** Whether a contact is a member of a segment now (for journeys and reports). */
export async function isContactInSegment(
  db: Executor,
  clock: Clock,
  workspaceId: string,
  segmentId: string,
  contactId: string,
): Promise<boolean> {
  return (await segmentMembersAmong(db, clock, workspaceId, segmentId, [contactId])).has(contactId);
}

/** Which of `contactIds` are members of the segment now: one query for a whole batch of contacts. */
export async function segmentMembersAmong(
  db: Executor,
  clock: Clock,
  workspaceId: string,
  segmentId: string,
  contactIds: readonly string[],
): Promise<Set<string>> {
  if (contactIds.length === 0) return new Set();
  const where = await selectionWhere(db, workspaceId, clock.now(), { segmentId, ids: [...contactIds] });
  const r = await sql<{ id: string }>`SELECT c.id FROM contacts c WHERE ${where}`.execute(db);
  return new Set(r.rows.map((x) => x.id));
}

/**
 * Whether a segment's conditions (or those of a segment it names) look at scores (fit, engagement,
 * temperature): then a change of scores alone can change who is a member.
 */
export async function segmentUsesScores(
  db: Executor,
  workspaceId: string,
  segmentId: string,
): Promise<boolean> {
  const seen = new Set<string>();
  const walk = async (id: string): Promise<boolean> => {
    if (seen.has(id)) return false;
    seen.add(id);
    const segment = await findSegment(db, workspaceId, id);
    if (!segment) return false;
    const refs: string[] = [];
    const visit = (node: unknown): boolean => {
      if (Array.isArray(node)) return node.some(visit);
      if (typeof node !== 'object' || node === null) return false;
      const n = node as Record<string, unknown>;
      if (n.kind === 'score') return true;
      if (n.kind === 'segment' && typeof n.segmentId === 'string') refs.push(n.segmentId);
      return Object.values(n).some(visit);
    };
    if (visit(segment.definition)) return true;
    for (const ref of refs) if (await walk(ref)) return true;
    return false;
  };
  return walk(segmentId);
}

/**
 * Which of `contactIds` meet a selection (a segment and/or a filter) now: one query for a whole
 * batch of contacts (journeys' entry checks).
 */
export async function selectionMembersAmong(
  db: Executor,
  clock: Clock,
  workspaceId: string,
  selection: Omit<ContactSelection, 'ids'>,
  contactIds: readonly string[],
): Promise<Set<string>> {
  if (contactIds.length === 0) return new Set();
  const where = await selectionWhere(db, workspaceId, clock.now(), { ...selection, ids: [...contactIds] });
  const r = await sql<{ id: string }>`SELECT c.id FROM contacts c WHERE ${where}`.execute(db);
  return new Set(r.rows.map((x) => x.id));
}

/** A page of a segment's member ids in id order (for journeys and reports walking a segment). */
export async function listSegmentMemberIds(
  db: Executor,
  clock: Clock,
  workspaceId: string,
  segmentId: string,
  options: { afterId?: string | undefined; limit: number },
): Promise<string[]> {
  const where = await selectionWhere(db, workspaceId, clock.now(), { segmentId });
  const after = options.afterId ? sql` AND c.id > ${options.afterId}` : sql``;
  const r = await sql<{
    id: string;
  }>`SELECT c.id FROM contacts c WHERE ${where}${after} ORDER BY c.id LIMIT ${options.limit}`.execute(db);
  return r.rows.map((x) => x.id);
}

/** Data quality of a segment or any selection: average score, low scores, the most common findings. */
export async function selectionQuality(
  db: Executor,
  clock: Clock,
  workspaceId: string,
  selection: ContactSelection,
) {
  const where = await selectionWhere(db, workspaceId, clock.now(), selection);
  const totals = await sql<{ n: string; avg: string | null; low: string; reconfirm: string }>`
    SELECT count(*) AS n, round(avg(c.quality_score)) AS avg,
      count(*) FILTER (WHERE c.quality_score < 50) AS low,
      count(*) FILTER (WHERE c.reconfirm_requested_at IS NOT NULL) AS reconfirm
    FROM contacts c WHERE ${where}`.execute(db);
  const reasons = await sql<{ code: string; n: string }>`
    SELECT r ->> 'code' AS code, count(*) AS n FROM contacts c, jsonb_array_elements(c.quality_reasons) r
    WHERE ${where} GROUP BY 1 ORDER BY 2 DESC LIMIT 20`.execute(db);
  const t = totals.rows[0];
  return {
    contacts: Number(t?.n ?? 0),
    averageScore: t?.avg === null || t?.avg === undefined ? null : Number(t.avg),
    lowScore: Number(t?.low ?? 0),
    reconfirmationRequested: Number(t?.reconfirm ?? 0),
    reasons: reasons.rows.map((r) => ({ code: r.code, contacts: Number(r.n) })),
  };
}
