import { sql } from 'kysely';
import type { Actor } from '../../shared/actor.js';
import type { Db, Executor } from '../../shared/db/index.js';
import { AppError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import type { AppDeps } from '../../shared/module.js';
import { recordAudit } from '../audit/index.js';
import { getBant } from './bant.service.js';
import { type RecomputeJob, startRecompute } from './recompute.service.js';
import {
  evaluateEngagement,
  evaluateFit,
  evaluateTemperature,
  FIT_FIELDS,
  isBantQualified,
  type MqlRule,
  type ScoreEvent,
} from './rules.js';
import { listRules, type StoredRule } from './rules.repository.js';
import { forgetScoringContext, loadScoringContext } from './scores.service.js';
import { loadSettings, type ScoringSettings, saveSettings, validateSettings } from './settings.js';
import { getStageHistory } from './stages.service.js';

export interface RuleInput {
  kind: 'fit' | 'engagement';
  name: string;
  points: number;
  enabled?: boolean | undefined;
  definition: Record<string, unknown>;
}

function validateRule(input: RuleInput): Record<string, unknown> {
  const d = input.definition;
  const bad = (field: string, message: string) => new AppError('SCORING_RULE_INVALID', { field, message });
  if (input.kind === 'fit') {
    const field = String(d.field ?? '');
    if (!(FIT_FIELDS as readonly string[]).includes(field) && !/^custom:[a-z0-9_]{1,64}$/.test(field))
      throw bad('definition.field', `one of ${FIT_FIELDS.join(', ')} or custom:<key>`);
    if (!['equals', 'contains', 'in', 'gte', 'lte', 'exists'].includes(String(d.op)))
      throw bad('definition.op', 'unknown operator');
    if ((d.op === 'gte' || d.op === 'lte') && !Number.isFinite(Number(d.value)))
      throw bad('definition.value', 'a number');
    if (d.op !== 'exists' && (d.value === undefined || d.value === null || d.value === ''))
      throw bad('definition.value', 'required');
    return { field, op: d.op, value: d.value ?? null };
  }
  const type = String(d.activityType ?? '');
  if (!/^[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*$/.test(type))
    throw bad('definition.activityType', 'module.past-tense');
  const cap = d.cap as { points?: unknown; periodDays?: unknown } | null | undefined;
  if (cap && !(Number(cap.points) > 0 && Number(cap.periodDays) > 0))
    throw bad('definition.cap', 'points and periodDays > 0');
  if (d.signal !== undefined && d.signal !== null && d.signal !== 'warm' && d.signal !== 'incentive')
    throw bad('definition.signal', 'warm or incentive');
  return {
    activityType: type,
    refPrefix: typeof d.refPrefix === 'string' && d.refPrefix !== '' ? d.refPrefix : null,
    cap: cap ? { points: Number(cap.points), periodDays: Number(cap.periodDays) } : null,
    decays: d.decays !== false,
    signal: d.signal ?? null,
    handRaiser: d.handRaiser === true,
  };
}

async function afterRuleChange(
  trx: Executor,
  deps: AppDeps,
  job: RecomputeJob,
  workspaceId: string,
  settings: ScoringSettings | null,
  rematch: readonly string[] = [],
) {
  const version = await saveSettings(trx, workspaceId, settings, deps.clock.now(), true);
  forgetScoringContext(deps.db, workspaceId);
  return startRecompute(trx, deps, job, workspaceId, version, rematch);
}

/** Whether an engagement rule's contributions must be rebuilt: it matches other activities now. */
function matchingChanged(
  before: { enabled: boolean; definition: Record<string, unknown> } | undefined,
  after: { enabled: boolean; definition: Record<string, unknown> },
): boolean {
  if (!before || (!before.enabled && after.enabled)) return true;
  return (
    before.definition.activityType !== after.definition.activityType ||
    (before.definition.refPrefix ?? null) !== (after.definition.refPrefix ?? null)
  );
}

/** Creates (no id) or replaces a rule and starts the background recompute. */
export async function saveRule(
  db: Db,
  deps: AppDeps,
  job: RecomputeJob,
  actor: Actor,
  workspaceId: string,
  id: string | null,
  input: RuleInput,
): Promise<{ rule: StoredRule; recomputeId: string }> {
  const definition = validateRule(input);
  const now = deps.clock.now();
  return db.transaction().execute(async (trx) => {
    let ruleId = id;
    const before = ruleId
      ? await trx
          .selectFrom('scoring_rules')
          .select(['enabled', 'definition'])
          .where('workspace_id', '=', workspaceId)
          .where('id', '=', ruleId)
          .executeTakeFirst()
      : undefined;
    if (ruleId) {
      const updated = await trx
        .updateTable('scoring_rules')
        .set({
          name: input.name,
          points: input.points,
          enabled: input.enabled ?? true,
          definition: JSON.stringify(definition),
          updated_at: now,
        })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', ruleId)
        .where('kind', '=', input.kind)
        .executeTakeFirst();
      if (Number(updated.numUpdatedRows) === 0) throw new AppError('NOT_FOUND');
    } else {
      ruleId = newId();
      await trx
        .insertInto('scoring_rules')
        .values({
          id: ruleId,
          workspace_id: workspaceId,
          kind: input.kind,
          name: input.name,
          points: input.points,
          enabled: input.enabled ?? true,
          definition: JSON.stringify(definition),
          created_at: now,
          updated_at: now,
        })
        .execute();
    }
    await recordAudit(trx, actor, {
      workspaceId,
      action: id ? 'scoring.rule-updated' : 'scoring.rule-created',
      targetType: 'scoring_rule',
      targetId: ruleId,
      details: { name: input.name, points: input.points, kind: input.kind },
    });
    const rematch =
      input.kind === 'engagement' && matchingChanged(before, { enabled: input.enabled ?? true, definition })
        ? [ruleId]
        : [];
    const recomputeId = await afterRuleChange(trx, deps, job, workspaceId, null, rematch);
    const rule = (await listRules(trx, workspaceId)).find((r) => r.id === ruleId)!;
    return { rule, recomputeId };
  });
}

/** Deletes a rule and starts the background recompute. */
export async function deleteRule(
  db: Db,
  deps: AppDeps,
  job: RecomputeJob,
  actor: Actor,
  workspaceId: string,
  id: string,
) {
  return db.transaction().execute(async (trx) => {
    const deleted = await trx
      .deleteFrom('scoring_rules')
      .where('workspace_id', '=', workspaceId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(deleted.numDeletedRows) === 0) throw new AppError('NOT_FOUND');
    await trx
      .deleteFrom('score_events')
      .where('workspace_id', '=', workspaceId)
      .where('rule_id', '=', id)
      .execute();
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'scoring.rule-deleted',
      targetType: 'scoring_rule',
      targetId: id,
    });
    return { recomputeId: await afterRuleChange(trx, deps, job, workspaceId, null) };
  });
}

/** Replaces the workspace's scoring settings and recomputes (half-life, temperature and MQL rule apply to everyone). */
export async function updateSettings(
  db: Db,
  deps: AppDeps,
  job: RecomputeJob,
  actor: Actor,
  workspaceId: string,
  settings: ScoringSettings,
) {
  validateSettings(settings);
  return db.transaction().execute(async (trx) => {
    await recordAudit(trx, actor, {
      workspaceId,
      action: 'scoring.settings-updated',
      details: { mql: settings.mql },
    });
    return { recomputeId: await afterRuleChange(trx, deps, job, workspaceId, settings) };
  });
}

function engagementNowSql(now: Date, halfLifeDays: number) {
  return sql<number>`coalesce(s.engagement_static, 0) + coalesce(s.engagement_decaying, 0) *
    power(0.5, greatest(0, extract(epoch from (${now}::timestamptz - s.computed_at))) / ${Math.max(halfLifeDays, 0.0001) * 86400}::float8)`;
}

/** How many contacts a (candidate) MQL rule would make MQL today, with a sample. */
export async function previewMql(
  db: Executor,
  deps: Pick<AppDeps, 'clock'>,
  workspaceId: string,
  rule: MqlRule,
) {
  const { settings } = await loadSettings(db, workspaceId);
  const ctx = await loadScoringContext(db, workspaceId);
  const now = deps.clock.now();
  const handRaisers = ctx.engagement.filter((r) => r.handRaiser).map((r) => r.id);
  const stages = rule.fromStages.length > 0 ? rule.fromStages : ['__none__'];
  const engagement = engagementNowSql(now, settings.halfLifeDays);
  const byScores =
    rule.fitMin === null && rule.engagementMin === null
      ? sql<boolean>`false`
      : sql<boolean>`(${rule.fitMin === null ? sql`true` : sql`coalesce(s.fit, 0) >= ${rule.fitMin}`}
          AND ${rule.engagementMin === null ? sql`true` : sql`${engagement} >= ${rule.engagementMin}`})`;
  const byHand =
    rule.handRaiser && handRaisers.length > 0
      ? sql<boolean>`EXISTS (SELECT 1 FROM score_events e WHERE e.workspace_id = c.workspace_id AND e.contact_id = c.id
           AND e.rule_id = ANY(${handRaisers}::uuid[]))`
      : sql<boolean>`false`;
  const rows = await sql<{ id: string; email: string; fit: number; engagement: number; n: string }>`
    SELECT c.id, c.email, coalesce(s.fit, 0) AS fit, round(${engagement})::int AS engagement, count(*) OVER () AS n
      FROM contacts c LEFT JOIN contact_scores s ON s.workspace_id = c.workspace_id AND s.contact_id = c.id
     WHERE c.workspace_id = ${workspaceId} AND c.merged_into_contact_id IS NULL
       AND c.lifecycle_stage = ANY(${stages}::text[])
       AND (${byScores} OR ${byHand})
     ORDER BY coalesce(s.fit, 0) DESC, c.id
     LIMIT 10`.execute(db);
  return {
    count: Number(rows.rows[0]?.n ?? 0),
    sample: rows.rows.map((r) => ({
      id: r.id,
      email: r.email,
      fit: Number(r.fit),
      engagement: Number(r.engagement),
    })),
  };
}

/**
 * The names behind stage causes that carry an id (`user:<id>`, `api:<key id>`, `journey:<id>`), so
 * that the contact page says "changed by Jonas Weber", not a UUID. Unknown ids are left out.
 */
async function namesOfCauses(
  db: Executor,
  workspaceId: string,
  causes: readonly string[],
): Promise<Map<string, string>> {
  const idsOf = (kind: string) => [
    ...new Set(
      causes
        .filter((c) => c.startsWith(`${kind}:`))
        .map((c) => c.slice(kind.length + 1))
        .filter((id) => UUID.test(id)),
    ),
  ];
  const names = new Map<string, string>();
  const users = idsOf('user');
  if (users.length > 0)
    // Users are not workspace data; the ids come from this workspace's own stage history.
    for (const u of await db
      .selectFrom('users')
      .select(['id', 'name', 'email'])
      .where('id', 'in', users)
      .execute())
      names.set(`user:${u.id}`, u.name || u.email);
  const keys = idsOf('api');
  if (keys.length > 0)
    for (const k of await db
      .selectFrom('api_keys')
      .select(['id', 'name'])
      .where('workspace_id', '=', workspaceId)
      .where('id', 'in', keys)
      .execute())
      names.set(`api:${k.id}`, k.name);
  const journeys = idsOf('journey');
  if (journeys.length > 0)
    for (const j of await db
      .selectFrom('journeys')
      .select(['id', 'name'])
      .where('workspace_id', '=', workspaceId)
      .where('id', 'in', journeys)
      .execute())
      names.set(`journey:${j.id}`, j.name);
  return names;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** "Why 72?": a contact's scores computed live, every contribution, temperature and its reasons, history, BANT, stages. */
export async function explainContact(
  db: Executor,
  deps: Pick<AppDeps, 'clock'>,
  workspaceId: string,
  contactId: string,
) {
  const contact = await db
    .selectFrom('contacts')
    .select(['id', 'email', 'job_title', 'country', 'custom_fields', 'company_id', 'lifecycle_stage'])
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', contactId)
    .executeTakeFirst();
  if (!contact) throw new AppError('NOT_FOUND');
  const now = deps.clock.now();
  const ctx = await loadScoringContext(db, workspaceId);
  const company = contact.company_id
    ? await db
        .selectFrom('companies')
        .select(['size', 'industry', 'country'])
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', contact.company_id)
        .executeTakeFirst()
    : undefined;
  const events: ScoreEvent[] = (
    await db
      .selectFrom('score_events')
      .select(['rule_id', 'activity_id', 'occurred_at', 'points'])
      .where('workspace_id', '=', workspaceId)
      .where('contact_id', '=', contactId)
      .execute()
  ).map((e) => ({
    ruleId: e.rule_id,
    activityId: String(e.activity_id),
    occurredAt: new Date(e.occurred_at),
    points: e.points,
  }));
  const fit = evaluateFit(ctx.fit, {
    job_title: contact.job_title,
    country: contact.country,
    company_size: company?.size ?? null,
    industry: company?.industry ?? null,
    company_country: company?.country ?? null,
    custom: contact.custom_fields,
  });
  const engagement = evaluateEngagement(ctx.engagement, events, now, ctx.settings.halfLifeDays);
  const bant = await getBant(db, workspaceId, contactId);
  const temperature = evaluateTemperature({
    rules: ctx.engagement,
    events,
    now,
    fit: fit.score,
    bantQualified: isBantQualified(bant.answers),
    settings: ctx.settings.temperature,
  });
  const history = await db
    .selectFrom('score_history')
    .select(['at', 'fit', 'engagement'])
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', '=', contactId)
    .orderBy('at', 'desc')
    .orderBy('id', 'desc')
    .limit(200)
    .execute();
  const stages = await getStageHistory(db, deps, workspaceId, contactId);
  const causeNames = await namesOfCauses(
    db,
    workspaceId,
    stages.moves.map((m) => m.cause),
  );
  return {
    contactId,
    stage: contact.lifecycle_stage,
    halfLifeDays: ctx.settings.halfLifeDays,
    fit: { score: fit.score, contributions: fit.contributions },
    engagement: {
      score: engagement.score,
      // Newest first: what a person reads.
      contributions: [...engagement.contributions].reverse().slice(0, 500),
    },
    temperature,
    history: history
      .reverse()
      .map((h) => ({ at: new Date(h.at).toISOString(), fit: h.fit, engagement: Math.round(h.engagement) })),
    bant,
    stages: {
      moves: stages.moves.map((m) => ({
        from: m.from_stage,
        to: m.to_stage,
        at: new Date(m.changed_at).toISOString(),
        cause: m.cause,
        // Who the cause names, for people: a user's name, an API key's or a journey's.
        by: causeNames.get(m.cause) ?? null,
        note: m.note,
      })),
      timeInStageMs: stages.timeInStageMs,
    },
  };
}

/** A company's roll-up: its contacts' best fit, summed and best engagement today, and the hottest ones. */
export async function companyScore(
  db: Executor,
  deps: Pick<AppDeps, 'clock'>,
  workspaceId: string,
  companyId: string,
) {
  const { settings } = await loadSettings(db, workspaceId);
  const engagement = engagementNowSql(deps.clock.now(), settings.halfLifeDays);
  const rows = await sql<{
    id: string;
    email: string;
    fit: number;
    engagement: number;
    temperature: string | null;
  }>`
    SELECT c.id, c.email, coalesce(s.fit, 0) AS fit, round(${engagement})::int AS engagement, s.temperature
      FROM contacts c LEFT JOIN contact_scores s ON s.workspace_id = c.workspace_id AND s.contact_id = c.id
     WHERE c.workspace_id = ${workspaceId} AND c.company_id = ${companyId} AND c.merged_into_contact_id IS NULL
     ORDER BY 4 DESC, c.id LIMIT 1000`.execute(db);
  const list = rows.rows.map((r) => ({ ...r, fit: Number(r.fit), engagement: Number(r.engagement) }));
  const order = { hot: 3, warm: 2, cold: 1 } as Record<string, number>;
  return {
    companyId,
    contacts: list.length,
    fitMax: list.reduce((m, r) => Math.max(m, r.fit), 0),
    engagementSum: list.reduce((s, r) => s + r.engagement, 0),
    engagementMax: list.reduce((m, r) => Math.max(m, r.engagement), 0),
    temperature: list.reduce<string>(
      (t, r) => ((order[r.temperature ?? 'cold'] ?? 1) > (order[t] ?? 1) ? (r.temperature ?? 'cold') : t),
      'cold',
    ),
    top: list.slice(0, 5),
  };
}

/** Scores with reasons and BANT so far, for the sales lead summary (docs/contracts.md, "sales"). */
export async function describeQualification(db: Executor, input: { workspaceId: string; contactId: string }) {
  const row = await db
    .selectFrom('contact_scores')
    .select([
      'fit',
      'engagement_static',
      'engagement_decaying',
      'computed_at',
      'temperature',
      'temperature_reason',
      'explanation',
    ])
    .where('workspace_id', '=', input.workspaceId)
    .where('contact_id', '=', input.contactId)
    .executeTakeFirst();
  const bant = await getBant(db, input.workspaceId, input.contactId);
  if (!row && Object.keys(bant.answers).length === 0) return null;
  const explanation = (row?.explanation ?? {}) as { fit?: unknown[]; engagement?: unknown[] };
  return {
    scores: row
      ? {
          fit: row.fit,
          engagement: Math.round(row.engagement_static + row.engagement_decaying),
          computedAt: new Date(row.computed_at).toISOString(),
          temperature: row.temperature,
          temperatureReasons: (row.temperature_reason as { reasons?: unknown[] }).reasons ?? [],
          fitReasons: explanation.fit ?? [],
          engagementReasons: (explanation.engagement ?? []).slice(-10).reverse(),
        }
      : null,
    bant: { answers: bant.answers, sources: bant.meta, qualified: bant.qualified },
  };
}
