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
  isTransitionAllowed,
  matchEngagementRules,
  type ScoreEvent,
} from './rules.js';
import { listRules, toEvaluationRules } from './rules.repository.js';
import { loadSettings, type ScoringSettings } from './settings.js';
import { moveStagesByRule } from './stages.service.js';

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

/**
 * Rebuilds the engagement contributions of contacts from their whole timeline (after a rule
 * change), in two statements. `range` selects the contacts (from <= id < to, to null: to the end);
 * `ruleIds` limits the rebuild to those rules ('all': every enabled rule, dropping every other
 * contribution). A rule whose points, cap or decay changed needs no rebuild: contributions are
 * evaluated with the rule's current points.
 */
export async function rebuildScoreEvents(
  trx: Executor,
  ctx: ScoringContext,
  workspaceId: string,
  range: { from: string; to: string | null },
  ruleIds: readonly string[] | 'all',
) {
  if (ruleIds !== 'all' && ruleIds.length === 0) return;
  const inRange = sql`contact_id >= ${range.from}::uuid ${range.to ? sql`AND contact_id < ${range.to}::uuid` : sql``}`;
  await sql`DELETE FROM score_events WHERE workspace_id = ${workspaceId} AND ${inRange}
    ${ruleIds === 'all' ? sql`` : sql`AND rule_id = ANY(${ruleIds}::uuid[])`}`.execute(trx);
  const rules = ctx.engagement.filter((r) => ruleIds === 'all' || ruleIds.includes(r.id));
  if (rules.length === 0) return;
  const values = sql.join(
    rules.map(
      (r) =>
        sql`(${r.id}::uuid, ${r.activityType}::text, ${r.refPrefix ?? null}::text, ${r.points}::int, ${isTrackingType(r.activityType)}::boolean)`,
    ),
  );
  await sql`
    INSERT INTO score_events (workspace_id, contact_id, rule_id, activity_id, occurred_at, points)
    SELECT a.workspace_id, a.contact_id, r.id, a.id, a.occurred_at, r.points
      FROM activities a
      JOIN (VALUES ${values}) AS r (id, type, prefix, points, tracking)
        ON a.type = r.type AND (r.prefix IS NULL OR left(a.ref, length(r.prefix)) = r.prefix)
     WHERE a.workspace_id = ${workspaceId} AND a.${inRange}
       AND a.type = ANY(${[...new Set(rules.map((r) => r.activityType))]}::text[])
       AND (NOT r.tracking OR EXISTS (
             SELECT 1 FROM consents c WHERE c.workspace_id = a.workspace_id AND c.contact_id = a.contact_id
                AND c.purpose = 'tracking' AND c.status = 'confirmed'))
    ON CONFLICT DO NOTHING`.execute(trx);
}

export interface RescoreOutcome {
  contactId: string;
  fit: number;
  engagement: number;
  temperature: string;
  movedTo?: string;
  /** Fit or engagement changed (a history row was written). */
  changed?: true;
}

/** One contact as the rescore reads it: profile, company, contributions, BANT, current scores. */
interface LoadedContact {
  id: string;
  job_title: string | null;
  country: string | null;
  custom_fields: Record<string, unknown>;
  lifecycle_stage: string;
  company_size: string | null;
  industry: string | null;
  company_country: string | null;
  /** [rule id, activity id, occurred at (ISO), points] */
  events: [string, string | number, string, number][] | null;
  bant: [string, Record<string, unknown>][] | null;
  fit: number | null;
  engagement_static: number | null;
  engagement_decaying: number | null;
  tracking: boolean;
  rules_version: number | null;
  /** The contact_scores row version read (xmin), to detect a rescore that committed meanwhile. */
  scores_xmin: string | null;
}

/**
 * Locks the contacts (id order) and reads everything their scores depend on in ONE statement; the
 * rules version read under the lock tells whether the caller's scoring context is still current.
 */
async function lockAndLoad(
  trx: Executor,
  workspaceId: string,
  select: { ids: readonly string[] } | { from: string; to: string | null; limit: number },
): Promise<LoadedContact[]> {
  const where =
    'ids' in select
      ? sql`c.id = ANY(${[...select.ids]}::uuid[])`
      : sql`c.id >= ${select.from}::uuid ${select.to ? sql`AND c.id < ${select.to}::uuid` : sql``}`;
  const rows = await sql<LoadedContact>`
    SELECT c.id, c.job_title, c.country, c.custom_fields, c.lifecycle_stage,
           co.size AS company_size, co.industry, co.country AS company_country,
           (SELECT json_agg(json_build_array(e.rule_id, e.activity_id, e.occurred_at, e.points))
              FROM score_events e WHERE e.workspace_id = c.workspace_id AND e.contact_id = c.id) AS events,
           (SELECT json_agg(json_build_array(b.field, b.value))
              FROM bant_answers b WHERE b.workspace_id = c.workspace_id AND b.contact_id = c.id) AS bant,
           s.fit, s.engagement_static, s.engagement_decaying, s.xmin::text AS scores_xmin,
           EXISTS (SELECT 1 FROM consents k WHERE k.workspace_id = c.workspace_id AND k.contact_id = c.id
                      AND k.purpose = 'tracking' AND k.status = 'confirmed') AS tracking,
           (SELECT rules_version FROM scoring_settings WHERE workspace_id = c.workspace_id) AS rules_version
      FROM contacts c
      LEFT JOIN companies co ON co.workspace_id = c.workspace_id AND co.id = c.company_id
      LEFT JOIN contact_scores s ON s.workspace_id = c.workspace_id AND s.contact_id = c.id
     WHERE c.workspace_id = ${workspaceId} AND ${where} AND c.merged_into_contact_id IS NULL
     ORDER BY c.id
     ${'limit' in select ? sql`LIMIT ${select.limit}` : sql``}
     FOR UPDATE OF c`.execute(trx);
  return rows.rows;
}

function bantOf(rows: [string, Record<string, unknown>][] | null): Bant {
  const bant: Record<string, unknown> = {};
  for (const [field, value] of rows ?? []) bant[field] = value;
  return bant as Bant;
}

interface NewEvent {
  c: string;
  r: string;
  a: string;
  t: string;
  p: number;
}

/** Contributions of new activities (tracking data only with tracking consent), not yet stored. */
function newContributions(
  ctx: ScoringContext,
  activities: readonly ActivityRow[],
  tracking: ReadonlySet<string>,
): NewEvent[] {
  const out: NewEvent[] = [];
  for (const a of activities) {
    if (isTrackingType(a.type) && !tracking.has(a.contact_id)) continue;
    for (const rule of matchEngagementRules(ctx.engagement, {
      id: String(a.id),
      type: a.type,
      ref: a.ref,
      occurredAt: a.occurred_at,
    }))
      out.push({
        c: a.contact_id,
        r: rule.id,
        a: String(a.id),
        t: new Date(a.occurred_at).toISOString(),
        p: rule.points,
      });
  }
  return out;
}

/** A score_history row to write: fit, engagement (rounded) and its static and decaying parts. */
interface HistoryRow {
  c: string;
  f: number;
  e: number;
  s: number;
  d: number;
}

interface Move {
  contactId: string;
  from: string;
  to: 'engaged' | 'mql';
  cause: string;
}

/**
 * Scores loaded contacts (pure but for the clock): every contribution counts with its rule's
 * current points. Returns the rows to write and the lifecycle moves the rules ask for.
 */
function scoreLoaded(ctx: ScoringContext, now: Date, contacts: readonly LoadedContact[], added: NewEvent[]) {
  const points = new Map(ctx.engagement.map((r) => [r.id, r.points]));
  const handRaiserRules = new Set(ctx.engagement.filter((r) => r.handRaiser).map((r) => r.id));
  const addedBy = new Map<string, NewEvent[]>();
  for (const e of added) {
    const list = addedBy.get(e.c);
    if (list) list.push(e);
    else addedBy.set(e.c, [e]);
  }
  const scoreRows: Record<string, unknown>[] = [];
  const historyRows: HistoryRow[] = [];
  const outcomes: RescoreOutcome[] = [];
  const moves: Move[] = [];
  for (const c of contacts) {
    const events: ScoreEvent[] = [];
    const seen = new Set<string>();
    for (const [ruleId, activityId, at, stored] of c.events ?? []) {
      seen.add(`${ruleId}/${activityId}`);
      events.push({
        ruleId,
        activityId: String(activityId),
        occurredAt: new Date(at),
        points: points.get(ruleId) ?? stored,
      });
    }
    for (const e of addedBy.get(c.id) ?? [])
      if (!seen.has(`${e.r}/${e.a}`))
        events.push({ ruleId: e.r, activityId: e.a, occurredAt: new Date(e.t), points: e.p });
    const fit = evaluateFit(ctx.fit, {
      job_title: c.job_title,
      country: c.country,
      company_size: c.company_size,
      industry: c.industry,
      company_country: c.company_country,
      custom: c.custom_fields ?? {},
    } satisfies FitProfile);
    const engagement = evaluateEngagement(ctx.engagement, events, now, ctx.settings.halfLifeDays);
    const temperature = evaluateTemperature({
      rules: ctx.engagement,
      events,
      now,
      fit: fit.score,
      bantQualified: isBantQualified(bantOf(c.bant)),
      settings: ctx.settings.temperature,
    });
    // The stored explanation keeps the newest contributions for summaries; "Why 72?" recomputes live.
    scoreRows.push({
      c: c.id,
      v: c.scores_xmin,
      f: fit.score,
      s: engagement.staticPart,
      d: engagement.decayingPart,
      t: temperature.temperature,
      tr: { reasons: temperature.reasons },
      // Kept small (it is rewritten on every rescore): the lead summary shows the newest reasons.
      x: {
        fit: fit.contributions.map((f) => ({ rule: f.rule, points: f.points })),
        engagement: engagement.contributions
          .slice(-5)
          .map((e) => ({ rule: e.rule, points: e.points, at: e.at, decayed: e.decayed })),
        engagementCount: engagement.contributions.length,
      },
    });
    const beforeEngagement =
      c.fit === null ? null : Math.round((c.engagement_static ?? 0) + (c.engagement_decaying ?? 0));
    const changed = c.fit === null || c.fit !== fit.score || beforeEngagement !== engagement.score;
    if (changed)
      historyRows.push({
        c: c.id,
        f: fit.score,
        e: engagement.score,
        s: engagement.staticPart,
        d: engagement.decayingPart,
      });
    outcomes.push({
      contactId: c.id,
      fit: fit.score,
      engagement: engagement.score,
      temperature: temperature.temperature,
      ...(changed ? { changed: true as const } : {}),
    });
    const mql = decideMql(ctx.settings.mql, {
      stage: c.lifecycle_stage,
      fit: fit.score,
      engagement: engagement.score,
      raisedHand: events.some((e) => handRaiserRules.has(e.ruleId)),
    });
    if (mql.mql)
      moves.push({
        contactId: c.id,
        from: c.lifecycle_stage,
        to: 'mql',
        cause: mql.because === 'hand-raiser' ? 'rule:hand-raiser' : 'rule:mql',
      });
    else if (
      c.lifecycle_stage === 'subscriber' &&
      ctx.settings.engagedMin !== null &&
      engagement.score >= ctx.settings.engagedMin
    )
      moves.push({ contactId: c.id, from: c.lifecycle_stage, to: 'engaged', cause: 'rule:engaged' });
  }
  return { scoreRows, historyRows, outcomes, moves };
}

/**
 * New contributions, scores and history rows in ONE statement. A score row is only written when it
 * is still the version the caller read (xmin): the locking read waits for another worker's lock but
 * reads with the snapshot taken before the wait (READ COMMITTED), so it may have missed what that
 * worker committed. Returns false then; the caller, holding the locks now, reads again.
 */
async function writeScores(
  trx: Executor,
  workspaceId: string,
  now: Date,
  rulesVersion: number,
  added: NewEvent[],
  scoreRows: Record<string, unknown>[],
  historyRows: HistoryRow[],
  guard: boolean,
): Promise<boolean> {
  if (scoreRows.length === 0) return true;
  const result = await sql<{ n: string }>`
    WITH added AS (
      INSERT INTO score_events (workspace_id, contact_id, rule_id, activity_id, occurred_at, points)
      SELECT ${workspaceId}, x.c, x.r, x.a, x.t, x.p
        FROM jsonb_to_recordset(${JSON.stringify(added)}::jsonb) AS x(c uuid, r uuid, a bigint, t timestamptz, p int)
      ON CONFLICT DO NOTHING RETURNING 1
    ), scores AS (
      INSERT INTO contact_scores AS cs (workspace_id, contact_id, fit, engagement_static, engagement_decaying,
                                  computed_at, temperature, temperature_reason, explanation, rules_version)
      SELECT ${workspaceId}, x.c, x.f, x.s, x.d, ${now}, x.t, x.tr, x.x, ${rulesVersion}
        FROM jsonb_to_recordset(${JSON.stringify(scoreRows)}::jsonb)
             AS x(c uuid, f int, s float8, d float8, t text, tr jsonb, x jsonb, v text)
      ON CONFLICT (workspace_id, contact_id) DO UPDATE SET
        fit = excluded.fit, engagement_static = excluded.engagement_static,
        engagement_decaying = excluded.engagement_decaying, computed_at = excluded.computed_at,
        temperature = excluded.temperature, temperature_reason = excluded.temperature_reason,
        explanation = excluded.explanation, rules_version = excluded.rules_version
      WHERE NOT ${guard} OR cs.xmin::text = (SELECT y.v FROM jsonb_to_recordset(${JSON.stringify(scoreRows)}::jsonb) AS y(c uuid, v text)
                              WHERE y.c = cs.contact_id)
      RETURNING cs.contact_id
    ), history AS (
      INSERT INTO score_history (workspace_id, contact_id, at, fit, engagement, engagement_static, engagement_decaying)
      SELECT ${workspaceId}, x.c, ${now}, x.f, x.e, x.s, x.d
        FROM jsonb_to_recordset(${JSON.stringify(historyRows)}::jsonb) AS x(c uuid, f int, e float8, s float8, d float8)
       WHERE x.c IN (SELECT contact_id FROM scores)
      RETURNING 1
    )
    SELECT count(*)::text AS n FROM scores`.execute(trx);
  return Number(result.rows[0]?.n ?? 0) === scoreRows.length;
}

/** Applies the lifecycle moves the rules asked for; returns the contacts that moved. */
async function applyMoves(
  trx: Trx,
  deps: Pick<AppDeps, 'clock' | 'queue'>,
  ctx: ScoringContext,
  workspaceId: string,
  moves: Move[],
  outcomes: RescoreOutcome[],
) {
  if (moves.length === 0) return;
  // A workspace's allowed moves may forbid the rule's move; the scores stand regardless.
  const moved = await moveStagesByRule(
    trx,
    deps,
    workspaceId,
    moves.filter((m) => isTransitionAllowed(ctx.settings.transitions, m.from, m.to)),
  );
  const byId = new Map(outcomes.map((o) => [o.contactId, o]));
  for (const m of moved) {
    const o = byId.get(m.contactId);
    if (o) o.movedTo = m.to;
  }
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
  const ids = [...new Set(contactIds)].sort();
  // Lock first, read after: the read's snapshot then sees whatever the previous lock holder wrote.
  await sql`SELECT id FROM contacts WHERE workspace_id = ${workspaceId} AND id = ANY(${ids}::uuid[])
    ORDER BY id FOR UPDATE`.execute(trx);
  const contacts = await lockAndLoad(trx, workspaceId, { ids });
  return rescoreLoaded(trx, deps, ctx, workspaceId, contacts, [], false);
}

/**
 * Rescores the next `limit` contacts of a key range (the recompute's batch): one locking read, one
 * write, the moves. Returns the last contact id (null: the range is done) and how many were scored.
 */
export async function rescoreRange(
  trx: Trx,
  deps: Pick<AppDeps, 'clock' | 'queue'>,
  ctx: ScoringContext,
  workspaceId: string,
  range: { from: string; to: string | null; limit: number },
): Promise<{ last: string | null; count: number; changed: string[]; at: Date }> {
  // Lock first, read after (see rescoreContacts).
  await sql`SELECT id FROM contacts WHERE workspace_id = ${workspaceId} AND id >= ${range.from}::uuid
      ${range.to ? sql`AND id < ${range.to}::uuid` : sql``} AND merged_into_contact_id IS NULL
    ORDER BY id LIMIT ${range.limit} FOR UPDATE`.execute(trx);
  const contacts = await lockAndLoad(trx, workspaceId, range);
  const at = deps.clock.now();
  const outcomes = await rescoreLoaded(trx, deps, ctx, workspaceId, contacts, [], false, at);
  return {
    last: contacts.length === range.limit ? contacts[contacts.length - 1]!.id : null,
    count: contacts.length,
    changed: outcomes.filter((o) => o.changed).map((o) => o.contactId),
    at,
  };
}

async function rescoreLoaded(
  trx: Trx,
  deps: Pick<AppDeps, 'clock' | 'queue'>,
  ctx: ScoringContext,
  workspaceId: string,
  contacts: LoadedContact[],
  added: NewEvent[],
  /** The contacts were locked by this read (it may have waited): write only unchanged score rows. */
  guard: boolean,
  now: Date = deps.clock.now(),
): Promise<RescoreOutcome[]> {
  if (contacts.length === 0) return [];
  let scored = scoreLoaded(ctx, now, contacts, added);
  let written = await writeScores(
    trx,
    workspaceId,
    now,
    ctx.rulesVersion,
    added,
    scored.scoreRows,
    scored.historyRows,
    guard,
  );
  if (!written) {
    // Another worker rescored some of these contacts while we waited for their locks: read again
    // (we hold the locks, so this read sees everything) and write without racing.
    const again = await lockAndLoad(trx, workspaceId, { ids: contacts.map((c) => c.id) });
    scored = scoreLoaded(ctx, now, again, []);
    written = await writeScores(
      trx,
      workspaceId,
      now,
      ctx.rulesVersion,
      [],
      scored.scoreRows,
      scored.historyRows,
      false,
    );
    if (!written) throw new Error('scoring: contact scores changed under a held lock');
  }
  await applyMoves(trx, deps, ctx, workspaceId, scored.moves, scored.outcomes);
  return scored.outcomes;
}

/** Activity types that can change a score (fit on profile edits, consent for tracking data). */
const PROFILE_TYPES = new Set([
  'contacts.created',
  'contacts.updated',
  'contacts.merged',
  'consent.confirmed',
  'consent.withdrawn',
]);

/*
 * The scoring context (settings and rules) is cached per database handle and workspace: the hot path
 * must not reload it per job. Scoring itself never trusts the cache: the locking read returns the
 * workspace's rules version, and a stale context is reloaded inside the transaction. The cache only
 * decides, without a transaction, that a batch of activities matches no rule — for that it must be
 * younger than CONTEXT_TRUST_MS (rule changes in this process drop it at once).
 */
const CONTEXT_TRUST_MS = 2000;
const contextCache = new WeakMap<object, Map<string, { ctx: ScoringContext; at: number }>>();

function cacheOf(db: object) {
  let m = contextCache.get(db);
  if (!m) {
    m = new Map();
    contextCache.set(db, m);
  }
  return m;
}

/** Drops the cached scoring context of a workspace (after a rule or settings change). */
export function forgetScoringContext(db: object, workspaceId: string): void {
  contextCache.get(db)?.delete(workspaceId);
}

async function freshContext(db: Executor, cacheKey: object, workspaceId: string): Promise<ScoringContext> {
  const ctx = await loadScoringContext(db, workspaceId);
  cacheOf(cacheKey).set(workspaceId, { ctx, at: performance.now() });
  return ctx;
}

/**
 * The scoring activity handler: applies new activities and rescores their contacts in one
 * transaction of three statements (lock and read, write, commit) plus the moves when a rule fires.
 */
export async function updateScoresForActivities(
  deps: AppDeps,
  workspaceId: string,
  activities: ActivityRow[],
): Promise<void> {
  const cached = cacheOf(deps.db).get(workspaceId);
  let ctx =
    cached && performance.now() - cached.at < CONTEXT_TRUST_MS
      ? cached.ctx
      : await freshContext(deps.db, deps.db, workspaceId);
  const relevant = (c: ScoringContext) =>
    activities.filter(
      (a) =>
        PROFILE_TYPES.has(a.type) ||
        matchEngagementRules(c.engagement, {
          id: String(a.id),
          type: a.type,
          ref: a.ref,
          occurredAt: a.occurred_at,
        }).length > 0,
    );
  if (relevant(ctx).length === 0) return;
  await deps.db.transaction().execute(async (trx) => {
    const ids = [...new Set(activities.map((a) => a.contact_id))].sort();
    const contacts = await lockAndLoad(trx, workspaceId, { ids });
    if (contacts.length === 0) return;
    if ((contacts[0]!.rules_version ?? 1) !== ctx.rulesVersion)
      ctx = await freshContext(trx, deps.db, workspaceId);
    const matched = relevant(ctx);
    if (matched.length === 0) return;
    const touched = new Set(matched.map((a) => a.contact_id));
    const tracking = new Set(contacts.filter((c) => c.tracking).map((c) => c.id));
    const added = newContributions(ctx, matched, tracking);
    await rescoreLoaded(
      trx,
      deps,
      ctx,
      workspaceId,
      contacts.filter((c) => touched.has(c.id)),
      added.filter((e) => touched.has(e.c)),
      true,
    );
  });
}
