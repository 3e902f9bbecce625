/*
 * The journey editor's model: the definition as the server knows it (src/modules/journeys/definition.ts),
 * loosely typed for editing, plus pure helpers for the canvas — which outputs a step has, connecting,
 * deleting, adding a step, and which server validation errors belong to which step.
 */

export type Json = Record<string, unknown>;

export interface EditorStep extends Json {
  id: string;
  type: string;
  label?: string;
  position?: { x: number; y: number };
}

export interface EditorDefinition {
  trigger: Json & { type: string };
  timeZone: string;
  startStepId: string;
  steps: EditorStep[];
  goals: Json[];
  exitRules: Json[];
  reentry: Json & { policy: string };
}

/** Every step type of the definition, in palette order. */
export const STEP_TYPES = [
  'send-mail',
  'wait',
  'branch',
  'offer-content',
  'invite-to-event',
  'ask-question',
  'update-contact',
  'journey',
  'notify-owner',
  'hand-off',
  'webhook',
  'exit',
] as const;

export const TRIGGER_TYPES = [
  'manual',
  'form-submitted',
  'consent-confirmed',
  'segment-entered',
  'activity',
  'stage-changed',
  'score-crossed',
  'date-field',
] as const;

export const LIFECYCLE_STAGES = [
  'subscriber',
  'engaged',
  'mql',
  'sal',
  'sql',
  'opportunity',
  'customer',
  'recycled',
  'disqualified',
];

/** The outputs (handles) a step has: the keys of its references to the next step. */
export function outputsOf(step: EditorStep): string[] {
  switch (step.type) {
    case 'branch':
      return ['yes', 'no'];
    case 'wait':
      return (step.wait as Json | undefined)?.kind === 'event' ? ['next', 'timeoutNext'] : ['next'];
    case 'exit':
      return [];
    default:
      return ['next'];
  }
}

/** A fresh step of a type with sensible defaults (ids not yet chosen are filled in the side panel). */
export function newStep(type: string, id: string, position?: { x: number; y: number }): EditorStep {
  const base = { id, type, ...(position ? { position } : {}) };
  switch (type) {
    case 'send-mail':
      return { ...base, templateId: '', kind: 'marketing', purpose: 'newsletter', next: null };
    case 'wait':
      return { ...base, wait: { kind: 'duration', duration: { days: 1 } }, next: null };
    case 'branch':
      return { ...base, condition: { type: 'tag', tag: '' }, yes: null, no: null };
    case 'offer-content':
      return { ...base, assetId: '', templateId: '', purpose: 'newsletter', next: null };
    case 'invite-to-event':
      return { ...base, eventId: '', templateId: '', purpose: 'newsletter', next: null };
    case 'ask-question':
      return {
        ...base,
        templateId: '',
        purpose: 'newsletter',
        question: { de: '', en: '' },
        answer: { kind: 'bant', field: 'timeline' },
        next: null,
      };
    case 'update-contact':
      return { ...base, addTags: [], next: null };
    case 'journey':
      return { ...base, action: 'add', journeyId: '', next: null };
    case 'notify-owner':
      return { ...base, message: '', next: null };
    case 'webhook':
      return { ...base, url: 'https://', next: null };
    case 'hand-off':
      return { ...base, next: null };
    default:
      return { ...base };
  }
}

export function newStepId(def: EditorDefinition, type: string): string {
  const taken = new Set(def.steps.map((s) => s.id));
  for (let n = def.steps.length + 1; ; n++) {
    const id = `${type}-${n}`;
    if (!taken.has(id)) return id;
  }
}

/** Points `source`'s output `handle` at `target` (the trigger's output sets the start step). */
export function connect(
  def: EditorDefinition,
  source: string,
  handle: string | null | undefined,
  target: string | null,
): EditorDefinition {
  if (source === TRIGGER_NODE) return target ? { ...def, startStepId: target } : def;
  return {
    ...def,
    steps: def.steps.map((s) => (s.id === source ? { ...s, [handle ?? 'next']: target } : s)),
  };
}

export const TRIGGER_NODE = '__trigger';

/** Removes a step; references to it end the journey there; the start moves to the first step left. */
export function deleteStep(def: EditorDefinition, id: string): EditorDefinition {
  const steps = def.steps
    .filter((s) => s.id !== id)
    .map((s) => {
      const copy: EditorStep = { ...s };
      for (const key of outputsOf(s)) if (copy[key] === id) copy[key] = null;
      return copy;
    });
  const startStepId = def.startStepId === id ? (steps[0]?.id ?? '') : def.startStepId;
  return { ...def, steps, startStepId };
}

/**
 * Adds a step. Without a position (keyboard), it goes below `after` and takes over its free `next`
 * output, so a journey can be built as a chain without a pointer.
 */
export function addStep(
  def: EditorDefinition,
  type: string,
  position: { x: number; y: number } | undefined,
  after: string | null,
): { def: EditorDefinition; id: string } {
  const id = newStepId(def, type);
  const prev = def.steps.find((s) => s.id === after);
  const pos =
    position ??
    (prev?.position
      ? { x: prev.position.x, y: prev.position.y + 140 }
      : { x: 0, y: def.steps.reduce((m, s) => Math.max(m, (s.position?.y ?? 0) + 140), 0) });
  let next: EditorDefinition = { ...def, steps: [...def.steps, newStep(type, id, pos)] };
  if (def.steps.length === 0) next = { ...next, startStepId: id };
  if (!position && prev) {
    const free = outputsOf(prev).find((k) => prev[k] === null || prev[k] === undefined);
    if (free) next = connect(next, prev.id, free, id);
  }
  return { def: next, id };
}

/** Gives every step a position (a walk from the start, top to bottom) so the canvas can place it. */
export function withPositions(def: EditorDefinition): EditorDefinition {
  if (def.steps.every((s) => s.position)) return def;
  const byId = new Map(def.steps.map((s) => [s.id, s]));
  const depth = new Map<string, number>();
  const queue: [string, number][] = [[def.startStepId, 0]];
  while (queue.length > 0) {
    const [id, d] = queue.shift()!;
    if (depth.has(id) || !byId.has(id)) continue;
    depth.set(id, d);
    const s = byId.get(id)!;
    for (const k of outputsOf(s)) if (typeof s[k] === 'string') queue.push([s[k] as string, d + 1]);
  }
  const perRow = new Map<number, number>();
  const steps = def.steps.map((s) => {
    if (s.position) return s;
    const d = depth.get(s.id) ?? depth.size + perRow.size;
    const col = perRow.get(d) ?? 0;
    perRow.set(d, col + 1);
    return { ...s, position: { x: col * 280, y: (d + 1) * 140 } };
  });
  return { ...def, steps };
}

/** Server field errors (`definition.steps.3.templateId`) grouped by step id; the rest under ''. */
export function errorsByStep(
  def: EditorDefinition,
  fields: { field: string; message: string }[],
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const f of fields) {
    const m = /^definition\.steps\.(\d+)(?:\.(.+))?$/.exec(f.field);
    const step = m ? def.steps[Number(m[1])] : undefined;
    const key = step ? step.id : '';
    const text = step ? `${m?.[2] ?? ''} ${f.message}`.trim() : `${f.field}: ${f.message}`;
    out.set(key, [...(out.get(key) ?? []), text]);
  }
  return out;
}

/** The definition as it is saved: positions rounded. */
export function forSave(def: EditorDefinition): EditorDefinition {
  return {
    ...def,
    steps: def.steps.map((s) =>
      s.position ? { ...s, position: { x: Math.round(s.position.x), y: Math.round(s.position.y) } } : s,
    ),
  };
}

/**
 * The editor's undo/redo history: earlier and undone states of the definition around the present
 * one. Bounded (`limit` earlier states); edits with the same `key` within `mergeMs` of each other
 * (typing a label, dragging a node) are one step to undo.
 */
export interface History<T> {
  past: T[];
  present: T;
  future: T[];
  /** What the last recorded edit was, and when, to merge a burst of the same edit. */
  last?: { key: string; at: number };
}

export const HISTORY_LIMIT = 100;
const MERGE_MS = 1000;

export function startHistory<T>(present: T): History<T> {
  return { past: [], present, future: [] };
}

/** The history after an edit: the present becomes undoable, nothing is left to redo. */
export function record<T>(
  h: History<T>,
  next: T,
  edit: { key?: string; at?: number; limit?: number } = {},
): History<T> {
  if (next === h.present) return h;
  const at = edit.at ?? 0;
  const last = edit.key ? { key: edit.key, at } : undefined;
  if (last && h.last?.key === last.key && at - h.last.at <= MERGE_MS && h.future.length === 0)
    return { ...h, present: next, last };
  const limit = edit.limit ?? HISTORY_LIMIT;
  const past = [...h.past, h.present];
  return {
    past: past.length > limit ? past.slice(past.length - limit) : past,
    present: next,
    future: [],
    ...(last ? { last } : {}),
  };
}

export function undo<T>(h: History<T>): History<T> {
  const previous = h.past[h.past.length - 1];
  if (previous === undefined) return h;
  return { past: h.past.slice(0, -1), present: previous, future: [h.present, ...h.future] };
}

export function redo<T>(h: History<T>): History<T> {
  const [next, ...rest] = h.future;
  if (next === undefined) return h;
  return { past: [...h.past, h.present], present: next, future: rest };
}
