/*
 * Pure scoring rules: no database, no clock of their own (`now` is passed in), so every score is
 * reproducible in tests and explainable to the people who read it ("Why 72?").
 */

export const STAGES = [
  'subscriber',
  'engaged',
  'mql',
  'sal',
  'sql',
  'opportunity',
  'customer',
  'recycled',
  'disqualified',
] as const;
export type Stage = (typeof STAGES)[number];

export const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------
// Fit: who the contact is.

export const FIT_FIELDS = ['job_title', 'company_size', 'industry', 'country', 'company_country'] as const;
export type FitOperator = 'equals' | 'contains' | 'in' | 'gte' | 'lte' | 'exists';

export interface FitRule {
  id: string;
  name: string;
  points: number;
  /** A profile field (FIT_FIELDS) or `custom:<key>` (contact custom field). */
  field: string;
  op: FitOperator;
  /** A string, a number, or a list of strings (`in`). Text matching ignores case. */
  value?: string | number | string[] | undefined;
}

/** What fit rules look at; company fields come from the contact's company. */
export interface FitProfile {
  job_title?: string | null;
  country?: string | null;
  company_size?: string | number | null;
  industry?: string | null;
  company_country?: string | null;
  custom?: Record<string, unknown>;
}

export interface Contribution {
  ruleId: string;
  rule: string;
  /** The activity that earned the points (engagement only). */
  activityId?: string;
  /** Points the rule gave (after caps). */
  points: number;
  /** When the contributing activity happened (engagement only). */
  at?: string;
  /** Points left after decay at the time of computing (engagement only). */
  decayed?: number;
  /** Points the cap cut off. */
  capped?: number;
}

function fieldValue(profile: FitProfile, field: string): unknown {
  if (field.startsWith('custom:')) return profile.custom?.[field.slice(7)];
  return (profile as Record<string, unknown>)[field];
}

/** A company size such as "50-199", "200+" or 120 as a number (its lower bound), or undefined. */
export function sizeAsNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value !== 'string') return undefined;
  const m = /^\s*(\d[\d.,]*)/.exec(value);
  if (!m) return undefined;
  const n = Number(m[1]!.replace(/[.,]/g, ''));
  return Number.isFinite(n) ? n : undefined;
}

/** True when one fit rule matches the profile. */
export function matchesFitRule(rule: FitRule, profile: FitProfile): boolean {
  const actual = fieldValue(profile, rule.field);
  const present = actual !== undefined && actual !== null && actual !== '';
  if (rule.op === 'exists') return present;
  if (!present) return false;
  const text = String(Array.isArray(actual) ? actual.join(',') : actual).toLowerCase();
  // A multiple-choice field holds options, not text: "contains" and "is one of" ask about whole
  // options (as substrings, option "ai" would have matched a contact who chose "retail").
  const options = Array.isArray(actual) ? actual.map((v) => String(v).toLowerCase()) : null;
  switch (rule.op) {
    case 'equals':
      return text === String(rule.value ?? '').toLowerCase();
    case 'contains':
      if (String(rule.value ?? '') === '') return false;
      return options
        ? options.includes(String(rule.value).toLowerCase())
        : text.includes(String(rule.value).toLowerCase());
    case 'in': {
      const list = (Array.isArray(rule.value) ? rule.value : String(rule.value ?? '').split(',')).map((v) =>
        v.trim().toLowerCase(),
      );
      return options ? options.some((o) => list.includes(o)) : list.includes(text);
    }
    case 'gte':
    case 'lte': {
      const n = sizeAsNumber(actual);
      const limit = typeof rule.value === 'number' ? rule.value : Number(rule.value);
      if (n === undefined || !Number.isFinite(limit)) return false;
      return rule.op === 'gte' ? n >= limit : n <= limit;
    }
  }
}

/** The fit score and the rules that made it. */
export function evaluateFit(
  rules: readonly FitRule[],
  profile: FitProfile,
): { score: number; contributions: Contribution[] } {
  const contributions: Contribution[] = [];
  for (const rule of rules)
    if (matchesFitRule(rule, profile))
      contributions.push({ ruleId: rule.id, rule: rule.name, points: rule.points });
  return { score: contributions.reduce((s, c) => s + c.points, 0), contributions };
}

// ---------------------------------------------------------------------------------------------
// Engagement: what the contact does.

/** Activity types that are tracking data: they count only with the contact's `tracking` consent. */
export function isTrackingType(type: string): boolean {
  return type.startsWith('tracking.') || type.endsWith('.page-viewed') || type.endsWith('.page-visited');
}

export type Signal = 'warm' | 'incentive';

export interface EngagementRule {
  id: string;
  name: string;
  points: number;
  /** The activity type, e.g. `mail.clicked`. */
  activityType: string;
  /** Only activities whose ref starts with this (e.g. `form:<id>`, `asset:`). */
  refPrefix?: string | undefined;
  /** At most this many points from this rule per period. */
  cap?: { points: number; periodDays: number } | undefined;
  /** Off: the points never fade (e.g. "attended a webinar" for a long sales cycle). */
  decays: boolean;
  /** What the activity says about temperature: own interest (warm) or an incentive only. */
  signal?: Signal | undefined;
  /** A hand-raiser (consultation request): makes the contact MQL by itself if the MQL rule says so. */
  handRaiser?: boolean | undefined;
}

export interface ActivityFact {
  id: string;
  type: string;
  ref: string | null;
  occurredAt: Date;
}

/** The engagement rules an activity matches (before caps). */
export function matchEngagementRules(
  rules: readonly EngagementRule[],
  activity: ActivityFact,
): EngagementRule[] {
  return rules.filter(
    (r) => r.activityType === activity.type && (!r.refPrefix || activity.ref?.startsWith(r.refPrefix)),
  );
}

/**
 * Orders activity ids (bigint serials as decimal strings) by their number: as strings "9" sorted
 * after "10", so of two entries in the same instant a cap could count the later one first.
 */
export function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** A stored contribution: rule `ruleId` matched activity `activityId` for `points`. */
export interface ScoreEvent {
  ruleId: string;
  activityId: string;
  occurredAt: Date;
  points: number;
}

/** Half-life decay factor of something `ageMs` old; 1 when fresh, ½ after one half-life. */
export function decayFactor(ageMs: number, halfLifeDays: number): number {
  if (halfLifeDays <= 0) return 1;
  return 0.5 ** (Math.max(0, ageMs) / (halfLifeDays * DAY_MS));
}

export interface EngagementResult {
  /** Total at `now`: static + decaying. */
  score: number;
  /** Points of rules that do not decay. */
  staticPart: number;
  /** Decaying points as of `now` (multiply by decayFactor(later - now) for a later time). */
  decayingPart: number;
  contributions: Contribution[];
}

/**
 * The engagement score at `now`. Per rule, events count in time order; a cap allows at most
 * `cap.points` from the rule within any `cap.periodDays` window (rolling, so a burst on a period
 * boundary cannot double the cap); then each counted contribution decays by the half-life.
 * Events in the future of `now` are ignored.
 */
export function evaluateEngagement(
  rules: readonly EngagementRule[],
  events: readonly ScoreEvent[],
  now: Date,
  halfLifeDays: number,
): EngagementResult {
  const byRule = new Map(rules.map((r) => [r.id, r]));
  const sorted = [...events]
    .filter((e) => byRule.has(e.ruleId) && e.occurredAt.getTime() <= now.getTime())
    .sort(
      (a, b) => a.occurredAt.getTime() - b.occurredAt.getTime() || compareIds(a.activityId, b.activityId),
    );
  const counted = new Map<string, { at: number; points: number }[]>();
  let staticPart = 0;
  let decayingPart = 0;
  const contributions: Contribution[] = [];
  for (const e of sorted) {
    const rule = byRule.get(e.ruleId)!;
    let points = e.points;
    let capped = 0;
    if (rule.cap && points > 0) {
      const t = e.occurredAt.getTime();
      const windowStart = t - rule.cap.periodDays * DAY_MS;
      const history = (counted.get(rule.id) ?? []).filter((h) => h.at > windowStart);
      const used = history.reduce((s, h) => s + h.points, 0);
      const allowed = Math.max(0, rule.cap.points - used);
      capped = Math.max(0, points - allowed);
      points = Math.min(points, allowed);
      counted.set(rule.id, [...history, { at: t, points }]);
    }
    const factor = rule.decays ? decayFactor(now.getTime() - e.occurredAt.getTime(), halfLifeDays) : 1;
    const decayed = points * factor;
    if (rule.decays) decayingPart += decayed;
    else staticPart += decayed;
    contributions.push({
      ruleId: rule.id,
      rule: rule.name,
      activityId: e.activityId,
      points,
      at: e.occurredAt.toISOString(),
      decayed: Math.round(decayed * 100) / 100,
      ...(capped > 0 ? { capped } : {}),
    });
  }
  return { score: Math.round(staticPart + decayingPart), staticPart, decayingPart, contributions };
}

/** A stored engagement (static + decaying as of `computedAt`) seen at `now`. */
export function engagementAt(
  stored: { staticPart: number; decayingPart: number; computedAt: Date },
  now: Date,
  halfLifeDays: number,
): number {
  return Math.round(
    stored.staticPart +
      stored.decayingPart * decayFactor(now.getTime() - stored.computedAt.getTime(), halfLifeDays),
  );
}

// ---------------------------------------------------------------------------------------------
// Temperature: cold, warm, hot, and why.

export interface TemperatureSettings {
  /** Active on at least this many different days within `returnWindowDays`: returning, so warm. */
  returnDays: number;
  returnWindowDays: number;
  /** Hot = warm and (BANT qualified, or fit at least this, when set). */
  hotFitMin: number | null;
}

export type TemperatureReason =
  | { code: 'warm-signal'; rule: string; at: string }
  | { code: 'returning'; days: number; windowDays: number }
  | { code: 'incentive-only'; rule: string; at: string }
  | { code: 'no-interest' }
  | { code: 'hot-bant' }
  | { code: 'hot-fit'; fit: number; min: number };

export interface TemperatureResult {
  temperature: 'cold' | 'warm' | 'hot';
  reasons: TemperatureReason[];
}

/** Cold, warm or hot, with the reasons a person can read. */
export function evaluateTemperature(input: {
  rules: readonly EngagementRule[];
  events: readonly ScoreEvent[];
  now: Date;
  fit: number;
  bantQualified: boolean;
  settings: TemperatureSettings;
}): TemperatureResult {
  const { rules, events, now, settings } = input;
  const byRule = new Map(rules.map((r) => [r.id, r]));
  const past = events
    .filter((e) => e.occurredAt.getTime() <= now.getTime() && byRule.has(e.ruleId))
    .sort((a, b) => b.occurredAt.getTime() - a.occurredAt.getTime());
  const warm = past.find((e) => byRule.get(e.ruleId)!.signal === 'warm');
  const reasons: TemperatureReason[] = [];
  if (warm)
    reasons.push({
      code: 'warm-signal',
      rule: byRule.get(warm.ruleId)!.name,
      at: warm.occurredAt.toISOString(),
    });
  const windowStart = now.getTime() - settings.returnWindowDays * DAY_MS;
  const days = new Set(
    past
      .filter((e) => e.occurredAt.getTime() > windowStart)
      .map((e) => e.occurredAt.toISOString().slice(0, 10)),
  ).size;
  if (settings.returnDays > 0 && days >= settings.returnDays)
    reasons.push({ code: 'returning', days, windowDays: settings.returnWindowDays });
  if (reasons.length === 0) {
    const incentive = past.find((e) => byRule.get(e.ruleId)!.signal === 'incentive');
    return {
      temperature: 'cold',
      reasons: [
        incentive
          ? {
              code: 'incentive-only',
              rule: byRule.get(incentive.ruleId)!.name,
              at: incentive.occurredAt.toISOString(),
            }
          : { code: 'no-interest' },
      ],
    };
  }
  if (input.bantQualified) return { temperature: 'hot', reasons: [{ code: 'hot-bant' }, ...reasons] };
  if (settings.hotFitMin !== null && input.fit >= settings.hotFitMin)
    return {
      temperature: 'hot',
      reasons: [{ code: 'hot-fit', fit: input.fit, min: settings.hotFitMin }, ...reasons],
    };
  return { temperature: 'warm', reasons };
}

// ---------------------------------------------------------------------------------------------
// BANT and the MQL rule.

export type Authority = 'decision_maker' | 'influencer' | 'user' | 'unknown';
export interface Bant {
  need?: { exists: boolean; project?: string | undefined; when?: string | undefined } | undefined;
  budget?: { exists: boolean; range?: string | undefined } | undefined;
  authority?: { role: Authority } | undefined;
  timeline?: { when: string } | undefined;
}

/** SQL by rule: need, budget and authority known and positive (a user or unknown role is not authority). */
export function isBantQualified(bant: Bant): boolean {
  return (
    bant.need?.exists === true &&
    bant.budget?.exists === true &&
    (bant.authority?.role === 'decision_maker' || bant.authority?.role === 'influencer')
  );
}

export interface MqlRule {
  /** Both thresholds must be met (a null threshold is not required, but at least one must be set). */
  fitMin: number | null;
  engagementMin: number | null;
  /** A hand-raiser rule's activity (consultation request) makes the contact MQL on its own. */
  handRaiser: boolean;
  /** Stages from which the rule moves a contact to MQL. */
  fromStages: Stage[];
}

export type MqlDecision = { mql: true; because: 'scores' | 'hand-raiser' } | { mql: false };

/** Whether a contact in `stage` with these scores becomes MQL now. */
export function decideMql(
  rule: MqlRule,
  input: { stage: string; fit: number; engagement: number; raisedHand: boolean },
): MqlDecision {
  if (!(rule.fromStages as string[]).includes(input.stage)) return { mql: false };
  if (rule.handRaiser && input.raisedHand) return { mql: true, because: 'hand-raiser' };
  if (rule.fitMin === null && rule.engagementMin === null) return { mql: false };
  const fitOk = rule.fitMin === null || input.fit >= rule.fitMin;
  const engagementOk = rule.engagementMin === null || input.engagement >= rule.engagementMin;
  return fitOk && engagementOk ? { mql: true, because: 'scores' } : { mql: false };
}

// ---------------------------------------------------------------------------------------------
// Lifecycle moves.

/** Stage → stages it may move to; a stage missing from the map may move anywhere. */
export type Transitions = Partial<Record<Stage, Stage[]>>;

/** Whether a move is allowed by the workspace's transitions (no transitions set: every move). */
export function isTransitionAllowed(
  transitions: Transitions | null | undefined,
  from: string,
  to: string,
): boolean {
  if (from === to) return false;
  if (!(STAGES as readonly string[]).includes(to)) return false;
  const allowed = transitions?.[from as Stage];
  return allowed === undefined || allowed.includes(to as Stage);
}

/** Time spent in each stage from a contact's ordered moves, up to `now` for the current one. */
export function timeInStages(moves: readonly { to: string; at: Date }[], now: Date): Record<string, number> {
  const out: Record<string, number> = {};
  const sorted = [...moves].sort((a, b) => a.at.getTime() - b.at.getTime());
  sorted.forEach((m, i) => {
    const end = sorted[i + 1]?.at ?? now;
    out[m.to] = (out[m.to] ?? 0) + Math.max(0, end.getTime() - m.at.getTime());
  });
  return out;
}
