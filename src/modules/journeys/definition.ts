import { FormatRegistry, type Static, type TSchema, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { IANAZone } from 'luxon';
import { AppError } from '../../shared/errors.js';

/*
 * A journey definition: what the editor saves and what every version freezes. Steps form a graph
 * by their `next` / `yes` / `no` / `timeoutNext` references (`null` = the journey is done).
 * Validated with TypeBox at the HTTP boundary and again by `validateDefinition` for the rules a
 * schema cannot say (unique ids, references that exist, no loop without a wait).
 */

// Value.Check needs the formats the HTTP layer's Ajv knows by itself.
if (!FormatRegistry.Has('uuid'))
  FormatRegistry.Set('uuid', (v) =>
    /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v),
  );
if (!FormatRegistry.Has('date-time'))
  FormatRegistry.Set(
    'date-time',
    (v) =>
      /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/i.test(v) && !Number.isNaN(Date.parse(v)),
  );

const StepId = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,39}$' });
const Next = Type.Union([StepId, Type.Null()]);
const Uuid = Type.String({ format: 'uuid' });
const ActivityType = Type.String({ pattern: '^[a-z][a-z0-9-]*\\.[a-z][a-z0-9-]*$', maxLength: 100 });
const Ref = Type.String({ minLength: 1, maxLength: 200 });
const Time = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$' });
const Position = Type.Optional(Type.Object({ x: Type.Number(), y: Type.Number() }));
const Scalar = Type.Union([Type.String({ maxLength: 500 }), Type.Number(), Type.Boolean(), Type.Null()]);

export const DurationSchema = Type.Object(
  {
    days: Type.Optional(Type.Integer({ minimum: 0, maximum: 3650 })),
    hours: Type.Optional(Type.Integer({ minimum: 0, maximum: 100_000 })),
    minutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
);
export type Duration = Static<typeof DurationSchema>;

/** A field of the contact a condition or update may name: a column or `custom.<key>`. */
export const CONTACT_FIELDS = [
  'email',
  'first_name',
  'last_name',
  'company_name',
  'job_title',
  'phone',
  'country',
  'city',
  'locale',
  'lifecycle_stage',
] as const;
const FieldName = Type.String({ pattern: `^(${CONTACT_FIELDS.join('|')}|custom\\.[a-zA-Z0-9_]{1,64})$` });

export const ConditionSchema = Type.Recursive(
  (Self) =>
    Type.Union([
      Type.Object({
        type: Type.Literal('field'),
        field: FieldName,
        op: Type.Union(
          ['eq', 'neq', 'contains', 'exists', 'not-exists', 'gt', 'lt'].map((o) => Type.Literal(o)),
        ),
        value: Type.Optional(Scalar),
      }),
      Type.Object({ type: Type.Literal('tag'), tag: Type.String({ minLength: 1, maxLength: 100 }) }),
      Type.Object({ type: Type.Literal('stage'), stages: Type.Array(Type.String(), { minItems: 1 }) }),
      Type.Object({ type: Type.Literal('segment'), segmentId: Uuid }),
      /** Something on the timeline since the contact entered the journey (since the step, in waits). */
      Type.Object({ type: Type.Literal('activity'), activityType: ActivityType, ref: Type.Optional(Ref) }),
      Type.Object({ type: Type.Literal('all'), conditions: Type.Array(Self, { maxItems: 20 }) }),
      Type.Object({ type: Type.Literal('any'), conditions: Type.Array(Self, { maxItems: 20 }) }),
      Type.Object({ type: Type.Literal('not'), condition: Self }),
    ]),
  { $id: 'JourneyCondition' },
);
export type Condition = Static<typeof ConditionSchema>;

export const WaitSchema = Type.Union([
  Type.Object({ kind: Type.Literal('duration'), duration: DurationSchema }),
  Type.Object({ kind: Type.Literal('until-date'), at: Type.String({ format: 'date-time' }) }),
  /** A date in a contact field (e.g. `custom.event_date`), moved by offsetDays, at a local time. */
  Type.Object({
    kind: Type.Literal('until-field-date'),
    field: FieldName,
    offsetDays: Type.Integer({ minimum: -3650, maximum: 3650 }),
    time: Time,
  }),
  /** The next of these weekdays (1 = Monday … 7 = Sunday) at a local time in the contact's zone. */
  Type.Object({
    kind: Type.Literal('weekday-time'),
    weekdays: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { minItems: 1, maxItems: 7 }),
    time: Time,
  }),
  /** Until something happens (an activity), at most `timeout`; then the step's timeoutNext. */
  Type.Object({
    kind: Type.Literal('event'),
    activityType: ActivityType,
    ref: Type.Optional(Ref),
    timeout: DurationSchema,
  }),
]);
export type Wait = Static<typeof WaitSchema>;

function step<T extends string, P extends Record<string, TSchema>>(type: T, props: P) {
  return Type.Object({
    id: StepId,
    type: Type.Literal(type),
    label: Type.Optional(Type.String({ maxLength: 200 })),
    position: Position,
    ...props,
  });
}

/** A choice of a question that fills a field: the stored value and its label in both languages. */
const QuestionOption = Type.Object({
  value: Type.String({ minLength: 1, maxLength: 200 }),
  label: Type.Object({
    de: Type.String({ minLength: 1, maxLength: 200 }),
    en: Type.String({ minLength: 1, maxLength: 200 }),
  }),
});

const MailKind = Type.Union([Type.Literal('marketing'), Type.Literal('transactional')]);
const Purpose = Type.String({ pattern: '^[a-z0-9][a-z0-9_.:-]{0,62}$' });

export const StepSchema = Type.Union([
  step('send-mail', { templateId: Uuid, kind: MailKind, purpose: Type.Optional(Purpose), next: Next }),
  step('wait', { wait: WaitSchema, next: Next, timeoutNext: Type.Optional(Next) }),
  step('branch', { condition: ConditionSchema, yes: Next, no: Next }),
  /** A marketing mail whose template gets `asset.title` and `asset.url` (a tracked, expiring link). */
  step('offer-content', { assetId: Uuid, templateId: Uuid, purpose: Purpose, next: Next }),
  /** A marketing mail whose template gets `event.title`, `event.startsAt`, `event.location` and `event.registrationUrl`. */
  step('invite-to-event', { eventId: Uuid, templateId: Uuid, purpose: Purpose, next: Next }),
  step('update-contact', {
    set: Type.Optional(Type.Record(FieldName, Scalar)),
    addTags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 20 })),
    removeTags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 20 })),
    next: Next,
  }),
  step('journey', {
    action: Type.Union([Type.Literal('add'), Type.Literal('remove')]),
    journeyId: Uuid,
    next: Next,
  }),
  step('notify-owner', { message: Type.String({ minLength: 1, maxLength: 2000 }), next: Next }),
  step('webhook', { url: Type.String({ pattern: '^https?://[^\\s]+$', maxLength: 2000 }), next: Next }),
  /**
   * A progressive-profiling question: a marketing mail whose template gets `question.text` and
   * `question.url` (a signed, per-contact, expiring link to a one-question answer page). The
   * answer fills a BANT field (through scoring, source `journey`) or a contact field, and the
   * timeline gets `journeys.question-answered` (ref `question:<journey>:<step>`).
   */
  step('ask-question', {
    templateId: Uuid,
    purpose: Purpose,
    question: Type.Object({
      de: Type.String({ minLength: 1, maxLength: 300 }),
      en: Type.String({ minLength: 1, maxLength: 300 }),
    }),
    answer: Type.Union([
      Type.Object({
        kind: Type.Literal('bant'),
        field: Type.Union(['need', 'budget', 'authority', 'timeline'].map((f) => Type.Literal(f))),
      }),
      Type.Object({
        kind: Type.Literal('field'),
        field: FieldName,
        options: Type.Optional(Type.Array(QuestionOption, { minItems: 2, maxItems: 10 })),
      }),
    ]),
    /** How long the answer link works (days, default 30). */
    validDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 365 })),
    next: Next,
  }),
  /** Hand the contact to sales now (sales module's handOffToSales: MQL, routing, SLA). */
  step('hand-off', { next: Next }),
  step('exit', {}),
]);
export type Step = Static<typeof StepSchema>;
export type StepType = Step['type'];

export const TriggerSchema = Type.Union([
  Type.Object({ type: Type.Literal('manual') }),
  Type.Object({ type: Type.Literal('form-submitted'), formId: Type.Optional(Uuid) }),
  Type.Object({ type: Type.Literal('consent-confirmed'), purpose: Type.Optional(Purpose) }),
  Type.Object({ type: Type.Literal('segment-entered'), segmentId: Uuid }),
  Type.Object({ type: Type.Literal('activity'), activityType: ActivityType, ref: Type.Optional(Ref) }),
  /** The lifecycle stage changed (to one of `stages`, or to any stage). */
  Type.Object({
    type: Type.Literal('stage-changed'),
    stages: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 40 }), { minItems: 1, maxItems: 20 }),
    ),
  }),
  /** The fit or engagement score reached `threshold` (checked when something scored happens to the contact). */
  Type.Object({
    type: Type.Literal('score-crossed'),
    score: Type.Union([Type.Literal('fit'), Type.Literal('engagement')]),
    threshold: Type.Number({ minimum: 0, maximum: 100_000 }),
  }),
  /** A date in a custom field, moved by offsetDays (-7: a week before), at a local time of the journey's zone. */
  Type.Object({
    type: Type.Literal('date-field'),
    field: Type.String({ pattern: '^custom\\.[a-zA-Z0-9_]{1,64}$' }),
    offsetDays: Type.Integer({ minimum: -3650, maximum: 3650 }),
    time: Time,
  }),
]);
export type Trigger = Static<typeof TriggerSchema>;

export const GoalSchema = Type.Object({
  id: StepId,
  name: Type.String({ minLength: 1, maxLength: 200 }),
  condition: ConditionSchema,
  /** Reaching the goal ends the journey for the contact (default) or only counts. */
  exits: Type.Optional(Type.Boolean()),
});
export type Goal = Static<typeof GoalSchema>;

export const ExitRuleSchema = Type.Object({
  id: StepId,
  name: Type.String({ minLength: 1, maxLength: 200 }),
  condition: ConditionSchema,
});
export type ExitRule = Static<typeof ExitRuleSchema>;

export const ReentrySchema = Type.Union([
  Type.Object({ policy: Type.Literal('never') }),
  Type.Object({ policy: Type.Literal('after-exit') }),
  Type.Object({ policy: Type.Literal('after-days'), days: Type.Integer({ minimum: 1, maximum: 3650 }) }),
]);
export type Reentry = Static<typeof ReentrySchema>;

export const DefinitionSchema = Type.Object(
  {
    trigger: TriggerSchema,
    /** The zone for local-time waits when the contact has none (custom field `timeZone`). */
    timeZone: Type.String({ minLength: 1, maxLength: 64 }),
    startStepId: StepId,
    steps: Type.Array(StepSchema, { minItems: 1, maxItems: 200 }),
    goals: Type.Array(GoalSchema, { maxItems: 20 }),
    exitRules: Type.Array(ExitRuleSchema, { maxItems: 20 }),
    reentry: ReentrySchema,
  },
  { additionalProperties: false },
);
export type JourneyDefinition = Static<typeof DefinitionSchema>;

type Problem = { field: string; message: string };

export function nextRefs(s: Step): { key: string; to: string | null }[] {
  switch (s.type) {
    case 'branch':
      return [
        { key: 'yes', to: s.yes },
        { key: 'no', to: s.no },
      ];
    case 'wait':
      return s.timeoutNext !== undefined
        ? [
            { key: 'next', to: s.next },
            { key: 'timeoutNext', to: s.timeoutNext },
          ]
        : [{ key: 'next', to: s.next }];
    case 'exit':
      return [];
    default:
      return [{ key: 'next', to: s.next }];
  }
}

/**
 * Checks a definition completely: schema, unique ids, references, a known time zone, and that no
 * loop of steps can run without a wait in it (that would spin forever). Throws VALIDATION_FAILED
 * naming every problem.
 */
export function validateDefinition(input: unknown): JourneyDefinition {
  if (!Value.Check(DefinitionSchema, input)) {
    const fields = [...Value.Errors(DefinitionSchema, input)]
      .slice(0, 10)
      .map((e) => ({ field: `definition${e.path.replaceAll('/', '.')}`, message: e.message }));
    throw new AppError('VALIDATION_FAILED', { fields });
  }
  const def = input as JourneyDefinition;
  const problems: Problem[] = [];
  const ids = new Map<string, Step>();
  def.steps.forEach((s, i) => {
    if (ids.has(s.id)) problems.push({ field: `definition.steps.${i}.id`, message: 'used twice' });
    ids.set(s.id, s);
  });
  if (!ids.has(def.startStepId)) problems.push({ field: 'definition.startStepId', message: 'no such step' });
  def.steps.forEach((s, i) => {
    for (const ref of nextRefs(s)) {
      if (ref.to !== null && !ids.has(ref.to))
        problems.push({ field: `definition.steps.${i}.${ref.key}`, message: 'no such step' });
    }
    if (s.type === 'wait' && s.timeoutNext !== undefined && s.wait.kind !== 'event')
      problems.push({ field: `definition.steps.${i}.timeoutNext`, message: 'only for waits on an event' });
    if (s.type === 'update-contact') {
      for (const key of Object.keys(s.set ?? {})) {
        // The address is the contact's identity; stages move only through qualification (with a cause).
        if (key === 'email' || key === 'lifecycle_stage')
          problems.push({
            field: `definition.steps.${i}.set.${key}`,
            message: 'cannot be set by a journey step',
          });
      }
    }
    if (
      s.type === 'ask-question' &&
      s.answer.kind === 'field' &&
      (s.answer.field === 'email' || s.answer.field === 'lifecycle_stage')
    )
      problems.push({
        field: `definition.steps.${i}.answer.field`,
        message: 'cannot be set by a journey step',
      });
    if (s.type === 'send-mail' && s.kind === 'marketing' && !s.purpose)
      problems.push({ field: `definition.steps.${i}.purpose`, message: 'required for marketing mail' });
  });
  if (!IANAZone.isValidZone(def.timeZone))
    problems.push({ field: 'definition.timeZone', message: 'not a known time zone' });
  const goalIds = new Set<string>();
  for (const [i, g] of [...def.goals, ...def.exitRules].entries()) {
    if (goalIds.has(g.id)) problems.push({ field: `definition.goals.${i}.id`, message: 'used twice' });
    goalIds.add(g.id);
  }
  if (problems.length === 0) {
    const loop = findInstantLoop(def);
    if (loop)
      problems.push({ field: 'definition.steps', message: `loop without a wait: ${loop.join(' → ')}` });
  }
  if (problems.length > 0) throw new AppError('VALIDATION_FAILED', { fields: problems });
  return def;
}

/** A cycle through steps none of which is a wait, or undefined. */
function findInstantLoop(def: JourneyDefinition): string[] | undefined {
  const byId = new Map(def.steps.map((s) => [s.id, s]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] | undefined => {
    const s = byId.get(id);
    if (!s || s.type === 'wait') return undefined;
    if (state.get(id) === 'done') return undefined;
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const ref of nextRefs(s)) {
      if (ref.to === null) continue;
      const found = visit(ref.to);
      if (found) return found;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const s of def.steps) {
    const found = visit(s.id);
    if (found) return found;
  }
  return undefined;
}

/** Segments a definition's conditions ask about (to look them up before deciding). */
export function segmentsIn(def: JourneyDefinition): string[] {
  const out = new Set<string>();
  const walk = (c: Condition): void => {
    if (c.type === 'segment') out.add(c.segmentId);
    else if (c.type === 'all' || c.type === 'any') c.conditions.forEach(walk);
    else if (c.type === 'not') walk(c.condition);
  };
  for (const s of def.steps) if (s.type === 'branch') walk(s.condition);
  for (const g of [...def.goals, ...def.exitRules]) walk(g.condition);
  return [...out];
}

/** A small starting journey for a new draft: manual entry, one wait, done. */
export function defaultDefinition(): JourneyDefinition {
  return {
    trigger: { type: 'manual' },
    timeZone: 'Europe/Berlin',
    startStepId: 'wait-1',
    steps: [{ id: 'wait-1', type: 'wait', wait: { kind: 'duration', duration: { days: 1 } }, next: null }],
    goals: [],
    exitRules: [],
    reentry: { policy: 'never' },
  };
}
