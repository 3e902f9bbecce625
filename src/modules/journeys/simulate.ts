import type { JourneyDefinition, Step } from './definition.js';
import { type ActivityFact, decide, type Facts, type Position } from './machine.js';

/*
 * "What happens over the next 30 days": the state machine run on a simulated clock for one test
 * contact. Nothing is sent or written; mails and webhooks are listed as what would happen. Activities
 * the user plans ("clicks on day 3") are fed in at their time.
 */

export interface SimulatedActivity {
  at: Date;
  type: string;
  ref?: string | undefined;
}

export interface SimulationEntry {
  at: string;
  stepId: string | null;
  /** entered | action | waiting | branch | goal | exit | completed | activity | horizon */
  kind: string;
  detail: Record<string, unknown>;
}

export interface SimulationResult {
  entries: SimulationEntry[];
  /** Where the contact is at the end of the horizon (null when the journey ended). */
  finalStepId: string | null;
  outcome: 'completed' | 'exited' | 'goal' | 'waiting';
}

function actionDetail(step: Step): Record<string, unknown> {
  switch (step.type) {
    case 'send-mail':
      return {
        action: 'send-mail',
        templateId: step.templateId,
        kind: step.kind,
        purpose: step.purpose ?? null,
      };
    case 'offer-content':
      return { action: 'offer-content', assetId: step.assetId, templateId: step.templateId };
    case 'invite-to-event':
      return { action: 'invite-to-event', eventId: step.eventId, templateId: step.templateId };
    case 'update-contact':
      return {
        action: 'update-contact',
        set: step.set ?? {},
        addTags: step.addTags ?? [],
        removeTags: step.removeTags ?? [],
      };
    case 'journey':
      return { action: `journey-${step.action}`, journeyId: step.journeyId };
    case 'notify-owner':
      return { action: 'notify-owner' };
    case 'webhook':
      return { action: 'webhook', url: step.url };
    case 'hand-off':
      return { action: 'hand-off' };
    case 'ask-question':
      return { action: 'ask-question', templateId: step.templateId, answer: step.answer };
    default:
      return { action: step.type };
  }
}

function applyToFacts(step: Step, facts: Facts): Facts {
  if (step.type !== 'update-contact') return facts;
  const fields: Record<string, unknown> = {
    ...facts.fields,
    custom_fields: { ...((facts.fields.custom_fields as object) ?? {}) },
  };
  let stage = facts.stage;
  for (const [k, v] of Object.entries(step.set ?? {})) {
    if (k.startsWith('custom.')) (fields.custom_fields as Record<string, unknown>)[k.slice(7)] = v;
    else fields[k] = v;
    if (k === 'lifecycle_stage' && typeof v === 'string') stage = v;
  }
  const remove = new Set((step.removeTags ?? []).map((t) => t.toLowerCase()));
  const tags = [...facts.tags.filter((t) => !remove.has(t.toLowerCase())), ...(step.addTags ?? [])];
  return { ...facts, fields, tags: [...new Set(tags)], stage };
}

/** Runs a definition for one contact from `start` to `start + days`. */
export function simulateJourney(
  def: JourneyDefinition,
  initial: Facts,
  start: Date,
  days: number,
  planned: SimulatedActivity[] = [],
): SimulationResult {
  const end = new Date(start.getTime() + days * 86_400_000);
  const events = [...planned].filter((e) => e.at >= start && e.at <= end).sort((a, b) => +a.at - +b.at);
  let facts: Facts = { ...initial, activities: [...initial.activities] };
  let now = start;
  let pos: Position = { stepId: def.startStepId, enteredAt: start, stepEnteredAt: start, goalsReached: [] };
  const entries: SimulationEntry[] = [
    { at: start.toISOString(), stepId: pos.stepId, kind: 'entered', detail: {} },
  ];
  const log = (kind: string, stepId: string | null, detail: Record<string, unknown> = {}) =>
    entries.push({ at: now.toISOString(), stepId, kind, detail });
  const moveTo = (next: string | null): boolean => {
    if (next === null) {
      log('completed', null);
      return false;
    }
    pos = { ...pos, stepId: next, stepEnteredAt: now };
    log('entered', next);
    return true;
  };
  for (let guard = 0; guard < 10_000; guard++) {
    const d = decide(def, pos, facts, now);
    switch (d.type) {
      case 'exit':
        log('exit', pos.stepId, { rule: d.ruleId });
        return { entries, finalStepId: null, outcome: 'exited' };
      case 'goal':
        log('goal', pos.stepId, { goal: d.goalId });
        if (d.exits) return { entries, finalStepId: null, outcome: 'goal' };
        pos = { ...pos, goalsReached: [...pos.goalsReached, d.goalId] };
        continue;
      case 'end':
        log('completed', pos.stepId);
        return { entries, finalStepId: null, outcome: 'completed' };
      case 'act':
        log('action', pos.stepId, actionDetail(d.step));
        facts = applyToFacts(d.step, facts);
        if (!moveTo(d.next)) return { entries, finalStepId: null, outcome: 'completed' };
        continue;
      case 'move':
        log('branch', pos.stepId, { path: d.path });
        if (!moveTo(d.next)) return { entries, finalStepId: null, outcome: 'completed' };
        continue;
      case 'wait': {
        const nextEvent = events[0];
        const wake = d.until;
        if (nextEvent && (wake === null || nextEvent.at <= wake)) {
          events.shift();
          now = nextEvent.at;
          const a: ActivityFact = { type: nextEvent.type, ref: nextEvent.ref ?? null, occurredAt: now };
          facts = { ...facts, activities: [...facts.activities, a] };
          log('activity', pos.stepId, { type: a.type, ref: a.ref });
          continue;
        }
        if (wake === null || wake > end) {
          log('waiting', pos.stepId, { until: wake?.toISOString() ?? null });
          return { entries, finalStepId: pos.stepId, outcome: 'waiting' };
        }
        log('waiting', pos.stepId, { until: wake.toISOString() });
        now = wake;
        continue;
      }
    }
  }
  return { entries, finalStepId: pos.stepId, outcome: 'waiting' };
}
