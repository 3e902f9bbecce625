import { DateTime, IANAZone } from 'luxon';
import type { Condition, Duration, JourneyDefinition, Reentry, Step, Wait } from './definition.js';

/*
 * The journey state machine as pure functions: given a definition, where a contact stands, what we
 * know about the contact and the time, `decide` says what happens next. No database, no clock: the
 * executor (journey-runner.ts) gathers the facts and applies the decision; the simulator runs the
 * same function over a simulated clock. Time zones and DST come from luxon (IANA data of the
 * platform's ICU), so "Monday 09:00" is 09:00 on the wall clock of the contact, summer or winter.
 */

/** Where one contact stands in a journey. */
export interface Position {
  stepId: string;
  /** When the contact entered the journey: behaviour conditions count from here. */
  enteredAt: Date;
  /** When the contact reached the current step: waits count from here. */
  stepEnteredAt: Date;
  goalsReached: string[];
}

export interface ActivityFact {
  type: string;
  ref: string | null;
  occurredAt: Date;
}

/** What the executor knows about the contact when it decides. */
export interface Facts {
  fields: Record<string, unknown>;
  tags: string[];
  stage: string;
  /** IANA zone of the contact, if known and valid. */
  timeZone: string | null;
  /** Membership of the segments the definition names (see segmentsIn). */
  segments: Record<string, boolean>;
  /** Timeline entries since the contact entered the journey. */
  activities: ActivityFact[];
  /** Whether the contact consented to tracking: without it, opens and clicks are not used. */
  trackingAllowed: boolean;
}

export type Decision =
  | { type: 'exit'; ruleId: string }
  | { type: 'goal'; goalId: string; exits: boolean }
  /** Stay at the current (wait) step; run again at `until` (null: only when something happens). */
  | { type: 'wait'; until: Date | null }
  /** Do the step's action, then go on to `next` (null: journey completed). */
  | { type: 'act'; step: Step; next: string | null }
  | { type: 'move'; next: string | null; path: 'yes' | 'no' | 'elapsed' | 'event' | 'timeout' }
  | { type: 'end' };

/** Activity types that exist only through tracking; used only with tracking consent. */
export const TRACKING_ACTIVITIES = new Set(['mail.opened', 'mail.clicked']);

export function zoneOf(def: JourneyDefinition, facts: Pick<Facts, 'timeZone'>): string {
  return facts.timeZone && IANAZone.isValidZone(facts.timeZone) ? facts.timeZone : def.timeZone;
}

/**
 * Adds a duration: days are calendar days on the contact's wall clock (a day across the DST change
 * is 23 or 25 hours, and "1 day at 09:00" stays 09:00); hours and minutes are exact.
 */
export function addDuration(from: Date, d: Duration, zone: string): Date {
  let t = DateTime.fromJSDate(from, { zone });
  if (d.days) t = t.plus({ days: d.days });
  const ms = ((d.hours ?? 0) * 60 + (d.minutes ?? 0)) * 60_000;
  return new Date(t.toMillis() + ms);
}

function atLocalTime(day: DateTime, time: string): DateTime {
  const [h, m] = time.split(':').map(Number) as [number, number];
  // A wall time that does not exist (spring forward) moves forward by the gap (luxon does that).
  const at = DateTime.fromObject(
    { year: day.year, month: day.month, day: day.day, hour: h, minute: m },
    { zone: day.zoneName ?? 'UTC' },
  );
  // Luxon resolves an ambiguous wall time to the later instant; we want the first one.
  const earlier = at.minus({ hours: 1 });
  return earlier.hour === h && earlier.minute === m && earlier.day === day.day ? earlier : at;
}

/** The first of the weekdays at `time` (local) at or after `from`. */
export function nextWeekdayTime(from: Date, weekdays: number[], time: string, zone: string): Date {
  const start = DateTime.fromJSDate(from, { zone });
  for (let i = 0; i <= 7; i++) {
    const day = start.plus({ days: i });
    if (!weekdays.includes(day.weekday)) continue;
    const at = atLocalTime(day, time);
    if (at.toMillis() >= from.getTime()) return at.toJSDate();
  }
  // Unreachable with at least one weekday: within 8 days every weekday comes once after `from`.
  throw new Error('no weekday');
}

function parseFieldDate(value: unknown, zone: string): DateTime | undefined {
  if (typeof value !== 'string' || value.length < 10) return undefined;
  const t = /^\d{4}-\d{2}-\d{2}$/.test(value)
    ? DateTime.fromISO(value, { zone })
    : DateTime.fromISO(value, { setZone: true }).setZone(zone);
  return t.isValid ? t : undefined;
}

export function fieldValue(facts: Pick<Facts, 'fields'>, field: string): unknown {
  if (field.startsWith('custom.')) {
    const custom = facts.fields.custom_fields as Record<string, unknown> | undefined;
    return custom?.[field.slice(7)];
  }
  return facts.fields[field];
}

/**
 * When a wait ends, or undefined when it cannot be computed (a missing date field: the wait is
 * skipped). An event wait returns its timeout.
 */
export function waitUntil(
  wait: Wait,
  stepEnteredAt: Date,
  zone: string,
  facts: Pick<Facts, 'fields'>,
): Date | undefined {
  switch (wait.kind) {
    case 'duration':
      return addDuration(stepEnteredAt, wait.duration, zone);
    case 'until-date':
      return new Date(wait.at);
    case 'until-field-date': {
      const day = parseFieldDate(fieldValue(facts, wait.field), zone);
      if (!day) return undefined;
      return atLocalTime(day.plus({ days: wait.offsetDays }), wait.time).toJSDate();
    }
    case 'weekday-time':
      return nextWeekdayTime(stepEnteredAt, wait.weekdays, wait.time, zone);
    case 'event':
      return addDuration(stepEnteredAt, wait.timeout, zone);
  }
}

function compare(a: unknown, op: string, b: unknown): boolean {
  const present = a !== undefined && a !== null && a !== '';
  switch (op) {
    case 'exists':
      return present;
    case 'not-exists':
      return !present;
    case 'eq':
      return present && String(a).toLowerCase() === String(b ?? '').toLowerCase();
    case 'neq':
      return !present || String(a).toLowerCase() !== String(b ?? '').toLowerCase();
    case 'contains':
      return (
        present &&
        String(a)
          .toLowerCase()
          .includes(String(b ?? '').toLowerCase())
      );
    case 'gt':
    case 'lt': {
      const x = Number(a);
      const y = Number(b);
      if (!present || Number.isNaN(x) || Number.isNaN(y)) return false;
      return op === 'gt' ? x > y : x < y;
    }
    default:
      return false;
  }
}

function matchesActivity(a: ActivityFact, type: string, ref: string | undefined, since: Date): boolean {
  return a.type === type && (ref === undefined || a.ref === ref) && a.occurredAt.getTime() >= since.getTime();
}

/** Whether the contact had a matching activity since `since` (opens/clicks only with tracking consent). */
export function hadActivity(facts: Facts, type: string, ref: string | undefined, since: Date): boolean {
  if (TRACKING_ACTIVITIES.has(type) && !facts.trackingAllowed) return false;
  return facts.activities.some((a) => matchesActivity(a, type, ref, since));
}

/** Evaluates a condition; behaviour counts since `since` (the contact's entry into the journey). */
export function evaluate(c: Condition, facts: Facts, since: Date): boolean {
  switch (c.type) {
    case 'field':
      return compare(fieldValue(facts, c.field), c.op, c.value);
    case 'tag':
      return facts.tags.some((t) => t.toLowerCase() === c.tag.toLowerCase());
    case 'stage':
      return c.stages.includes(facts.stage);
    case 'segment':
      return facts.segments[c.segmentId] === true;
    case 'activity':
      return hadActivity(facts, c.activityType, c.ref, since);
    case 'all':
      return c.conditions.every((x) => evaluate(x, facts, since));
    case 'any':
      return c.conditions.some((x) => evaluate(x, facts, since));
    case 'not':
      return !evaluate(c.condition, facts, since);
  }
}

export function findStep(def: JourneyDefinition, id: string): Step | undefined {
  return def.steps.find((s) => s.id === id);
}

/**
 * What happens next for a contact at `pos`: exit rules first (a withdrawn consent ends everything),
 * then goals not reached yet, then the current step.
 */
export function decide(def: JourneyDefinition, pos: Position, facts: Facts, now: Date): Decision {
  for (const rule of def.exitRules) {
    if (evaluate(rule.condition, facts, pos.enteredAt)) return { type: 'exit', ruleId: rule.id };
  }
  for (const goal of def.goals) {
    if (pos.goalsReached.includes(goal.id)) continue;
    if (evaluate(goal.condition, facts, pos.enteredAt))
      return { type: 'goal', goalId: goal.id, exits: goal.exits !== false };
  }
  const step = findStep(def, pos.stepId);
  // A step that vanished without a mapping cannot happen (edits map every occupied step); if the
  // data says otherwise, ending the journey is safer than guessing.
  if (!step) return { type: 'end' };
  switch (step.type) {
    case 'exit':
      return { type: 'end' };
    case 'branch': {
      const yes = evaluate(step.condition, facts, pos.enteredAt);
      return { type: 'move', next: yes ? step.yes : step.no, path: yes ? 'yes' : 'no' };
    }
    case 'wait': {
      const zone = zoneOf(def, facts);
      if (
        step.wait.kind === 'event' &&
        hadActivity(facts, step.wait.activityType, step.wait.ref, pos.stepEnteredAt)
      )
        return { type: 'move', next: step.next, path: 'event' };
      const until = waitUntil(step.wait, pos.stepEnteredAt, zone, facts);
      if (until === undefined || until.getTime() <= now.getTime()) {
        if (step.wait.kind === 'event')
          return {
            type: 'move',
            next: step.timeoutNext === undefined ? step.next : step.timeoutNext,
            path: 'timeout',
          };
        return { type: 'move', next: step.next, path: 'elapsed' };
      }
      return { type: 'wait', until };
    }
    default:
      return { type: 'act', step, next: step.next };
  }
}

/** Whether a contact may enter (again), given its earlier enrollments in the journey. */
export function mayEnter(
  reentry: Reentry,
  earlier: { enteredAt: Date; active: boolean }[],
  now: Date,
): boolean {
  if (earlier.some((e) => e.active)) return false;
  if (earlier.length === 0) return true;
  switch (reentry.policy) {
    case 'never':
      return false;
    case 'after-exit':
      return true;
    case 'after-days': {
      const last = Math.max(...earlier.map((e) => e.enteredAt.getTime()));
      return now.getTime() - last >= reentry.days * 86_400_000;
    }
  }
}

/** Steps of the running version with contacts in them that the new version no longer has. */
export function stepsNeedingMapping(
  next: JourneyDefinition,
  occupied: string[],
  mapping: Record<string, string>,
): string[] {
  const ids = new Set(next.steps.map((s) => s.id));
  return occupied.filter((id) => !ids.has(id) && !(mapping[id] && ids.has(mapping[id])));
}

/**
 * Where a contact stands after an edit: on the same step if the new version still has it (its wait
 * keeps counting from when it got there), else on the mapped step, entered now.
 */
export function movePosition(
  next: JourneyDefinition,
  pos: Position,
  mapping: Record<string, string>,
  now: Date,
): Position {
  if (findStep(next, pos.stepId)) return pos;
  const to = mapping[pos.stepId];
  if (!to || !findStep(next, to)) throw new Error(`no mapping for step ${pos.stepId}`);
  return { ...pos, stepId: to, stepEnteredAt: now };
}
