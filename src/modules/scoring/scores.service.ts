import { sql } from 'kysely';
import type { Executor, Trx } from '../../shared/db/index.js';
import type { ActivityRow, AppDeps } from '../../shared/module.js';
import {
  type Bant,
  decideMql,
  type EngagementRule,
  evaluateEngagement,
  evaluateFit,
  evaluateTemperature,
  type FitProfile,
  type FitRule,
  isBantQualified,
  isTrackingType,
  matchEngagementRules,
  type ScoreEvent,
} from './rules.js';
import { listRules, toEvaluationRules } from './rules.repository.js';
import { loadSettings, type ScoringSettings } from './settings.js';
import { changeStage } from './stages.service.js';

/** What one scoring pass needs besides the contacts: loaded once per job. */
export interface ScoringContext {
  settings: ScoringSettings;
  rulesVersion: number;
  fit: FitRule[];
  engagement: EngagementRule[];
}

/** The workspace's settings and enabled rules. */
export async function loadScoringContext(db: Executor, workspaceId: string): Promise<ScoringContext> {
  const [{ settings, rulesVersion }, rules] = await Promise.all([
    loadSettings(db, workspaceId),
    listRules(db, workspaceId),
  ]);
  return { settings, rulesVersion, ...toEvaluationRules(rules) };
}

/** Contacts (of the given ones) with a confirmed `tracking` consent: only their tracking data scores. */
async function trackingConsented(
  db: Executor,
  workspaceId: string,
  contactIds: string[],
): Promise<Set<string>> {
  if (contactIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('consents')
    .select('contact_id')
    .where('workspace_id', '=', workspaceId)
    .where('purpose', '=', 'tracking')
    .where('status', '=', 'confirmed')
    .where('contact_id', 'in', contactIds)
    .execute();
  return new Set(rows.map((r) => r.contact_id));
}

/** Stores the engagement contributions of new activities (a second time changes nothing). */
export async function applyActivities(
  trx: Executor,
  ctx: ScoringContext,
  workspaceId: string,
  activities: ActivityRow[],
) {
  const rows: {
    workspace_id: string;
    contact_id: string;
    rule_id: string;
    activity_id: string;
    occurred_at: Date;
    points: number;
  }[] = [];
  const needsConsent = activities.filter((a) => isTrackingType(a.type)).map((a) => a.contact_id);
  const consented = await trackingConsented(trx, workspaceId, [...new Set(needsConsent)]);
  for (const a of activities) {
    if (isTrackingType(a.type) && !consented.has(a.contact_id)) continue;
    for (const rule of matchEngagementRules(ctx.engagement, {
      id: String(a.id),
      type: a.type,
      ref: a.ref,
      occurredAt: a.occurred_at,
    }))
      rows.push({
        workspace_id: workspaceId,
        contact_id: a.contact_id,
        rule_id: rule.id,
        activity_id: String(a.id),
        occurred_at: a.occurred_at,
        points: rule.points,
      });
  }
  if (rows.length > 0)
    await trx
      .insertInto('score_events')
      .values(rows)
      .onConflict((oc) => oc.doNothing())
      .execute();
  return rows.length;
}

/**
 * Rebuilds the engagement contributions of some contacts from their whole timeline (after a rule
 * change), in two statements.
 */
export async function rebuildScoreEvents(
  trx: Executor,
  ctx: ScoringContext,
  workspaceId: string,
  contactIds: string[],
) {
  await trx
    .deleteFrom('score_events')
    .where('workspace_id', '=', workspaceId)
    .where('contact_id', 'in', contactIds)
    .execute();
  if (ctx.engagement.length === 0 || contactIds.length === 0) return;
  const rules = sql.join(
    ctx.engagement.map(
      (r) =>
        sql`(${r.id}::uuid, ${r.activityType}::text, ${r.refPrefix ?? null}::text, ${r.points}::int, ${isTrackingType(r.activityType)}::boolean)`,
    ),
  );
  await sql`
    INSERT INTO score_events (workspace_id, contact_id, rule_id, activity_id, occurred_at, points)
    SELECT a.workspace_id, a.contact_id, r.id, a.id, a.occurred_at, r.points
      FROM activities a
      JOIN (VALUES ${rules}) AS r (id, type, prefix, points, tracking)
        ON a.type = r.type AND (r.prefix IS NULL OR left(a.ref, length(r.prefix)) = r.prefix)
     WHERE a.workspace_id = ${workspaceId} AND a.contact_id = ANY(${contactIds}::uuid[])
       AND (NOT r.tracking OR EXISTS (
             SELECT 1 FROM consents c WHERE c.workspace_id = a.workspace_id AND c.contact_id = a.contact_id
                AND c.purpose = 'tracking' AND c.status = 'confirmed'))
    ON CONFLICT DO NOTHING`.execute(trx);
}

function bantOf(rows: { field: string; value: Record<string, unknown> }[]): Bant {
  const bant: Record<string, unknown> = {};
  for (const r of rows) bant[r.field] = r.value;
  return bant as Bant;
}

export interface RescoreOutcome {
  contactId: string;
  fit: number;
  engagement: number;
  temperature: string;
  movedTo?: string;
}

/**
 * Recomputes the scores of some contacts of one workspace in the caller's transaction and applies
 * the lifecycle rules (engaged, MQL). The contacts are locked in id order first, so two workers
 * scoring the same contact take turns and only one of them moves it to MQL.
 */
export async function rescoreContacts(
  trx: Trx,
  deps: Pick<AppDeps, 'clock' | 'queue'>,
  ctx: ScoringContext,
  workspaceId: string,
  contactIds: string[],
): Promise<RescoreOutcome[]> {
  if (contactIds.length === 0) return [];
  const now = deps.clock.now();
  const ids = [...new Set(contactIds)].sort();
  const contacts = await trx
    .selectFrom('contacts')
    .select(['id', 'job_title', 'country', 'custom_fields', 'company_id', 'lifecycle_stage'])
    .where('workspace_id', '=', workspaceId)
    .where('id', 'in', ids)
    .where('merged_into_contact_id', 'is', null)
    .orderBy('id')
    .forUpdate()
    .execute();
  if (contacts.length === 0) return [];
  const live = contacts.map((c) => c.id);
  const companyIds = [...new Set(contacts.map((c) => c.company_id).filter((x): x is string => !!x))];
  const [companies, events, bants, current] = await Promise.all([
    companyIds.length
      ? trx
          .selectFrom('companies')
          .select(['id', 'size', 'industry', 'country', 'custom_fields'])
          .where('workspace_id', '=', workspaceId)
          .where('id', 'in', companyIds)
          .execute()
      : Promise.resolve([]),
    trx
      .selectFrom('score_events')
      .select(['contact_id', 'rule_id', 'activity_id', 'occurred_at', 'points'])
      .where('workspace_id', '=', workspaceId)
      .where('contact_id', 'in', live)
      .execute(),
    trx
      .selectFrom('bant_answers')
      .select(['contact_id', 'field', 'value'])
      .where('workspace_id', '=', workspaceId)
      .where('contact_id', 'in', live)
      .execute(),
    trx
      .selectFrom('contact_scores')
      .select(['contact_id', 'fit', 'engagement_static', 'engagement_decaying'])
      .where('workspace_id', '=', workspaceId)
      .where('contact_id', 'in', live)
      .execute(),
  ]);
  const companyById = new Map(companies.map((c) => [c.id, c]));
  const eventsBy = new Map<string, ScoreEvent[]>();
  for (const e of events) {
    const list = eventsBy.get(e.contact_id) ?? [];
    list.push({
      ruleId: e.rule_id,
      activityId: String(e.activity_id),
      occurredAt: new Date(e.occurred_at),
      points: e.points,
    });
    eventsBy.set(e.contact_id, list);
  }
  const bantBy = new Map<string, { field: string; value: Record<string, unknown> }[]>();
  for (const b of bants) bantBy.set(b.contact_id, [...(bantBy.get(b.contact_id) ?? []), b]);
  const currentBy = new Map(current.map((c) => [c.contact_id, c]));
  const handRaiserRules = new Set(ctx.engagement.filter((r) => r.handRaiser).map((r) => r.id));

  const scoreRows = [];
  const historyRows = [];
  const outcomes: RescoreOutcome[] = [];
  const moves: { contactId: string; to: 'engaged' | 'mql'; cause: string }[] = [];
  for (const c of contacts) {
    const company = c.company_id ? companyById.get(c.company_id) : undefined;
    const profile: FitProfile = {
      job_title: c.job_title,
      country: c.country,
      company_size: company?.size ?? null,
      industry: company?.industry ?? null,
      company_country: company?.country ?? null,
      custom: c.custom_fields,
    };
    const fit = evaluateFit(ctx.fit, profile);
    const contactEvents = eventsBy.get(c.id) ?? [];
    const engagement = evaluateEngagement(ctx.engagement, contactEvents, now, ctx.settings.halfLifeDays);
    const bant = bantOf(bantBy.get(c.id) ?? []);
    const temperature = evaluateTemperature({
      rules: ctx.engagement,
      events: contactEvents,
      now,
      fit: fit.score,
      bantQualified: isBantQualified(bant),
      settings: ctx.settings.temperature,
    });
    // The explanation keeps the newest contributions; "Why 72?" recomputes them live anyway.
    const explanation = {
      fit: fit.contributions,
      engagement: engagement.contributions.slice(-200),
      engagementCount: engagement.contributions.length,
    };
    scoreRows.push({
      workspace_id: workspaceId,
      contact_id: c.id,
      fit: fit.score,
      engagement_static: engagement.staticPart,
      engagement_decaying: engagement.decayingPart,
      computed_at: now,
      temperature: temperature.temperature,
      temperature_reason: JSON.stringify({ reasons: temperature.reasons }),
      explanation: JSON.stringify(explanation),
      rules_version: ctx.rulesVersion,
    });
    const before = currentBy.get(c.id);
    const beforeEngagement = before
      ? Math.round(before.engagement_static + before.engagement_decaying)
      : null;
    if (!before || before.fit !== fit.score || beforeEngagement !== engagement.score)
      historyRows.push({
        workspace_id: workspaceId,
        contact_id: c.id,
        at: now,
        fit: fit.score,
        engagement: engagement.score,
      });
    const outcome: RescoreOutcome = {
      contactId: c.id,
      fit: fit.score,
      engagement: engagement.score,
      temperature: temperature.temperature,
    };
    const mql = decideMql(ctx.settings.mql, {
      stage: c.lifecycle_stage,
      fit: fit.score,
      engagement: engagement.score,
      raisedHand: contactEvents.some((e) => handRaiserRules.has(e.ruleId)),
    });
    if (mql.mql)
      moves.push({
        contactId: c.id,
        to: 'mql',
        cause: mql.because === 'hand-raiser' ? 'rule:hand-raiser' : 'rule:mql',
      });
    else if (
      c.lifecycle_stage === 'subscriber' &&
      ctx.settings.engagedMin !== null &&
      engagement.score >= ctx.settings.engagedMin
    )
      moves.push({ contactId: c.id, to: 'engaged', cause: 'rule:engaged' });
    outcomes.push(outcome);
  }
  await trx
    .insertInto('contact_scores')
    .values(scoreRows)
    .onConflict((oc) =>
      oc.columns(['workspace_id', 'contact_id']).doUpdateSet((eb) => ({
        fit: eb.ref('excluded.fit'),
        engagement_static: eb.ref('excluded.engagement_static'),
        engagement_decaying: eb.ref('excluded.engagement_decaying'),
        computed_at: eb.ref('excluded.computed_at'),
        temperature: eb.ref('excluded.temperature'),
        temperature_reason: eb.ref('excluded.temperature_reason'),
        explanation: eb.ref('excluded.explanation'),
        rules_version: eb.ref('excluded.rules_version'),
      })),
    )
    .execute();
  if (historyRows.length > 0) await trx.insertInto('score_history').values(historyRows).execute();
  for (const move of moves) {
    // A workspace's allowed moves may forbid the rule's move; the scores stand regardless.
    const result = await changeStage(trx, deps, {
      workspaceId,
      contactId: move.contactId,
      to: move.to,
      cause: move.cause,
    }).catch((err: unknown) => {
      if ((err as { code?: string }).code === 'STAGE_TRANSITION_NOT_ALLOWED') return null;
      throw err;
    });
    if (result?.changed) {
      const o = outcomes.find((x) => x.contactId === move.contactId);
      if (o) o.movedTo = move.to;
    }
  }
  return outcomes;
}

/** Activity types that can change a score (fit on profile edits, consent for tracking data). */
const PROFILE_TYPES = new Set([
  'contacts.created',
  'contacts.updated',
  'contacts.merged',
  'consent.confirmed',
  'consent.withdrawn',
]);

/** The scoring activity handler: applies new activities and rescores their contacts, in one transaction. */
export async function updateScoresForActivities(
  deps: AppDeps,
  workspaceId: string,
  activities: ActivityRow[],
): Promise<void> {
  const ctx = await loadScoringContext(deps.db, workspaceId);
  const matched = activities.filter(
    (a) =>
      PROFILE_TYPES.has(a.type) ||
      matchEngagementRules(ctx.engagement, {
        id: String(a.id),
        type: a.type,
        ref: a.ref,
        occurredAt: a.occurred_at,
      }).length > 0,
  );
  if (matched.length === 0) return;
  const contactIds = [...new Set(matched.map((a) => a.contact_id))].sort();
  await deps.db.transaction().execute(async (trx) => {
    // Lock first (rescoreContacts locks again, a no-op then), so the contributions and the scores
    // of a contact are written by one worker at a time.
    await trx
      .selectFrom('contacts')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('id', 'in', contactIds)
      .orderBy('id')
      .forUpdate()
      .execute();
    await applyActivities(trx, ctx, workspaceId, matched);
    await rescoreContacts(trx, deps, ctx, workspaceId, contactIds);
  });
}
