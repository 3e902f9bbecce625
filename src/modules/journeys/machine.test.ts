import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.js';
import { type JourneyDefinition, type Step, segmentsIn, validateDefinition } from './definition.js';
import {
  addDuration,
  decide,
  type Facts,
  mayEnter,
  movePosition,
  nextWeekdayTime,
  type Position,
  stepsNeedingMapping,
  waitUntil,
} from './machine.js';
import { simulateJourney } from './simulate.js';

const T0 = new Date('2026-03-02T08:00:00Z'); // a Monday, 09:00 in Berlin (CET)
const TPL = '0190c000-0000-7000-8000-000000000001';
const SEG = '0190c000-0000-7000-8000-000000000002';
const ASSET = '0190c000-0000-7000-8000-000000000003';

function facts(over: Partial<Facts> = {}): Facts {
  return {
    fields: { first_name: 'Ada', country: 'DE', custom_fields: {} },
    tags: [],
    stage: 'subscriber',
    timeZone: null,
    segments: {},
    activities: [],
    trackingAllowed: false,
    ...over,
  };
}

function def(steps: Step[], over: Partial<JourneyDefinition> = {}): JourneyDefinition {
  return validateDefinition({
    trigger: { type: 'manual' },
    timeZone: 'Europe/Berlin',
    startStepId: steps[0]!.id,
    steps,
    goals: [],
    exitRules: [],
    reentry: { policy: 'never' },
    ...over,
  });
}

function at(stepId: string, enteredAt = T0, stepEnteredAt = enteredAt): Position {
  return { stepId, enteredAt, stepEnteredAt, goalsReached: [] };
}

const mail = (id: string, next: string | null): Step => ({
  id,
  type: 'send-mail',
  templateId: TPL,
  kind: 'marketing',
  purpose: 'newsletter',
  next,
});

function problems(fn: () => unknown): { field: string; message: string }[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    return ((e as AppError).details as { fields: { field: string; message: string }[] }).fields;
  }
  throw new Error('expected a validation error');
}

describe('journey definitions', () => {
  it('accepts a complete nurture path', () => {
    const d = def(
      [
        mail('welcome', 'wait'),
        { id: 'wait', type: 'wait', wait: { kind: 'duration', duration: { days: 2 } }, next: 'offer' },
        {
          id: 'offer',
          type: 'offer-content',
          assetId: ASSET,
          templateId: TPL,
          purpose: 'newsletter',
          next: 'dl',
        },
        {
          id: 'dl',
          type: 'wait',
          wait: {
            kind: 'event',
            activityType: 'capture.asset-downloaded',
            ref: `asset:${ASSET}`,
            timeout: { days: 7 },
          },
          next: 'seg',
          timeoutNext: null,
        },
        { id: 'seg', type: 'branch', condition: { type: 'segment', segmentId: SEG }, yes: 'done', no: null },
        { id: 'done', type: 'exit' },
      ],
      { goals: [{ id: 'sql', name: 'Became SQL', condition: { type: 'stage', stages: ['sql'] } }] },
    );
    expect(segmentsIn(d)).toEqual([SEG]);
  });

  it('names every broken reference, duplicate id and unknown time zone', () => {
    const p = problems(() =>
      def([mail('a', 'nowhere'), mail('a', null)], { timeZone: 'Mars/Olympus', startStepId: 'zzz' }),
    );
    expect(p.map((x) => x.field).sort()).toEqual(
      [
        'definition.startStepId',
        'definition.steps.0.next',
        'definition.steps.1.id',
        'definition.timeZone',
      ].sort(),
    );
  });

  it('refuses a loop that never waits, and allows one that does', () => {
    const loop = problems(() =>
      def([
        { id: 'a', type: 'branch', condition: { type: 'tag', tag: 'x' }, yes: 'b', no: null },
        { id: 'b', type: 'update-contact', addTags: ['y'], next: 'a' },
      ]),
    );
    expect(loop[0]?.message).toMatch(/loop without a wait/);
    expect(() =>
      def([
        { id: 'a', type: 'branch', condition: { type: 'tag', tag: 'x' }, yes: 'w', no: null },
        { id: 'w', type: 'wait', wait: { kind: 'duration', duration: { days: 1 } }, next: 'a' },
      ]),
    ).not.toThrow();
  });

  it('refuses steps that would set the address or the stage directly', () => {
    const p = problems(() =>
      def([
        {
          id: 'u',
          type: 'update-contact',
          set: { email: 'x@y.example', lifecycle_stage: 'mql' },
          next: null,
        },
      ]),
    );
    expect(p.map((x) => x.field)).toEqual([
      'definition.steps.0.set.email',
      'definition.steps.0.set.lifecycle_stage',
    ]);
  });

  it('requires a purpose for marketing mail and rejects bad shapes', () => {
    const p = problems(() =>
      def([{ id: 'm', type: 'send-mail', templateId: TPL, kind: 'marketing', next: null }]),
    );
    expect(p[0]).toEqual({ field: 'definition.steps.0.purpose', message: 'required for marketing mail' });
    const shape = problems(() => validateDefinition({ trigger: { type: 'manual' }, steps: 'no' }));
    expect(shape.length).toBeGreaterThan(0);
    const tz = problems(() =>
      def([
        {
          id: 'w',
          type: 'wait',
          wait: { kind: 'duration', duration: { days: 1 } },
          next: null,
          timeoutNext: null,
        },
      ]),
    );
    expect(tz[0]?.field).toBe('definition.steps.0.timeoutNext');
  });
});

describe('waits under an injected clock', () => {
  const wait3 = def([
    { id: 'w', type: 'wait', wait: { kind: 'duration', duration: { days: 3 } }, next: 'm' },
    mail('m', null),
  ]);

  it('waits a duration, then moves on exactly when it has passed', () => {
    const until = new Date('2026-03-05T08:00:00Z');
    expect(decide(wait3, at('w'), facts(), T0)).toEqual({ type: 'wait', until });
    expect(decide(wait3, at('w'), facts(), new Date(until.getTime() - 1))).toEqual({ type: 'wait', until });
    expect(decide(wait3, at('w'), facts(), until)).toEqual({ type: 'move', next: 'm', path: 'elapsed' });
  });

  it('keeps the wall-clock time over the spring DST change (a day of 23 hours)', () => {
    // Sat 28 March 2026 09:00 CET + 1 day = Sun 29 March 09:00 CEST (07:00Z, 23 h later).
    const from = new Date('2026-03-28T08:00:00Z');
    expect(addDuration(from, { days: 1 }, 'Europe/Berlin').toISOString()).toBe('2026-03-29T07:00:00.000Z');
    // Hours are exact hours, whatever the clock on the wall says.
    expect(addDuration(from, { hours: 24 }, 'Europe/Berlin').toISOString()).toBe('2026-03-29T08:00:00.000Z');
  });

  it('keeps the wall-clock time over the autumn DST change (a day of 25 hours)', () => {
    const from = new Date('2026-10-24T07:00:00Z'); // Sat 09:00 CEST
    expect(addDuration(from, { days: 1 }, 'Europe/Berlin').toISOString()).toBe('2026-10-25T08:00:00.000Z');
  });

  it("waits until a weekday and time in the contact's own time zone", () => {
    const w = def([
      { id: 'w', type: 'wait', wait: { kind: 'weekday-time', weekdays: [2, 4], time: '09:30' }, next: null },
    ]);
    // Monday 09:00 Berlin → Tuesday 09:30 Berlin.
    expect(decide(w, at('w'), facts(), T0)).toEqual({
      type: 'wait',
      until: new Date('2026-03-03T08:30:00Z'),
    });
    // The same for a contact in New York: Tuesday 09:30 there (EST, UTC-5).
    expect(decide(w, at('w'), facts({ timeZone: 'America/New_York' }), T0)).toEqual({
      type: 'wait',
      until: new Date('2026-03-03T14:30:00Z'),
    });
    // An invalid zone on the contact falls back to the journey's.
    expect(decide(w, at('w'), facts({ timeZone: 'Nowhere/Land' }), T0)).toEqual({
      type: 'wait',
      until: new Date('2026-03-03T08:30:00Z'),
    });
  });

  it('counts "today" if the time has not passed yet, and goes to next week otherwise', () => {
    const monday0800 = new Date('2026-03-02T07:00:00Z');
    expect(nextWeekdayTime(monday0800, [1], '09:00', 'Europe/Berlin').toISOString()).toBe(
      '2026-03-02T08:00:00.000Z',
    );
    const monday1000 = new Date('2026-03-02T09:00:00Z');
    expect(nextWeekdayTime(monday1000, [1], '09:00', 'Europe/Berlin').toISOString()).toBe(
      '2026-03-09T08:00:00.000Z',
    );
  });

  it('moves a wall time that does not exist (02:30 on spring-forward Sunday) forward by the gap', () => {
    const sat = new Date('2026-03-28T12:00:00Z');
    // 02:30 does not exist on 29 March in Berlin; it becomes 03:30 CEST = 01:30Z.
    expect(nextWeekdayTime(sat, [7], '02:30', 'Europe/Berlin').toISOString()).toBe(
      '2026-03-29T01:30:00.000Z',
    );
  });

  it('runs a wall time that exists twice (02:30 on fall-back Sunday) once, at the first one', () => {
    const sat = new Date('2026-10-24T12:00:00Z');
    expect(nextWeekdayTime(sat, [7], '02:30', 'Europe/Berlin').toISOString()).toBe(
      '2026-10-25T00:30:00.000Z',
    );
  });

  it('waits until a fixed date, and until a date in a contact field with an offset', () => {
    const fixed = def([
      { id: 'w', type: 'wait', wait: { kind: 'until-date', at: '2026-04-01T10:00:00Z' }, next: null },
    ]);
    expect(decide(fixed, at('w'), facts(), T0)).toEqual({
      type: 'wait',
      until: new Date('2026-04-01T10:00:00Z'),
    });
    const field = def([
      {
        id: 'w',
        type: 'wait',
        wait: { kind: 'until-field-date', field: 'custom.event_date', offsetDays: -7, time: '10:00' },
        next: null,
      },
    ]);
    const f = facts({ fields: { custom_fields: { event_date: '2026-04-20' } } });
    // 13 April 10:00 CEST = 08:00Z.
    expect(
      waitUntil(
        (field.steps[0] as Extract<Step, { type: 'wait' }>).wait,
        T0,
        'Europe/Berlin',
        f,
      )?.toISOString(),
    ).toBe('2026-04-13T08:00:00.000Z');
    // Without the date the wait is skipped rather than holding the contact forever.
    expect(decide(field, at('w'), facts(), T0)).toEqual({ type: 'move', next: null, path: 'elapsed' });
  });

  it('waits for an event with a timeout, taking another path on timeout', () => {
    const w = def([
      {
        id: 'w',
        type: 'wait',
        wait: { kind: 'event', activityType: 'events.registered', ref: 'event:e1', timeout: { days: 5 } },
        next: 'yes',
        timeoutNext: 'no',
      },
      mail('yes', null),
      mail('no', null),
    ]);
    const until = new Date('2026-03-07T08:00:00Z');
    expect(decide(w, at('w'), facts(), T0)).toEqual({ type: 'wait', until });
    const other = {
      type: 'events.registered',
      ref: 'event:e2',
      occurredAt: new Date('2026-03-03T08:00:00Z'),
    };
    expect(decide(w, at('w'), facts({ activities: [other] }), T0)).toEqual({ type: 'wait', until });
    const reg = { type: 'events.registered', ref: 'event:e1', occurredAt: new Date('2026-03-03T08:00:00Z') };
    expect(decide(w, at('w'), facts({ activities: [reg] }), new Date('2026-03-03T08:00:01Z'))).toEqual({
      type: 'move',
      next: 'yes',
      path: 'event',
    });
    expect(decide(w, at('w'), facts(), until)).toEqual({ type: 'move', next: 'no', path: 'timeout' });
    // An event before the contact reached the wait does not count.
    const early = { ...reg, occurredAt: new Date('2026-03-01T00:00:00Z') };
    expect(decide(w, at('w'), facts({ activities: [early] }), T0)).toEqual({ type: 'wait', until });
  });
});

describe('branches', () => {
  const branch = (condition: Extract<Step, { type: 'branch' }>['condition']) =>
    def([{ id: 'b', type: 'branch', condition, yes: 'y', no: 'n' }, mail('y', null), mail('n', null)]);
  const path = (d: JourneyDefinition, f: Facts) => (decide(d, at('b'), f, T0) as { path: string }).path;

  it('branches on fields, custom fields, tags and stage', () => {
    expect(path(branch({ type: 'field', field: 'country', op: 'eq', value: 'de' }), facts())).toBe('yes');
    expect(path(branch({ type: 'field', field: 'job_title', op: 'exists' }), facts())).toBe('no');
    expect(
      path(
        branch({ type: 'field', field: 'custom.employees', op: 'gt', value: 50 }),
        facts({ fields: { custom_fields: { employees: 120 } } }),
      ),
    ).toBe('yes');
    expect(
      path(
        branch({ type: 'field', field: 'custom.employees', op: 'lt', value: 50 }),
        facts({ fields: { custom_fields: { employees: 'many' } } }),
      ),
    ).toBe('no');
    expect(path(branch({ type: 'tag', tag: 'VIP' }), facts({ tags: ['vip'] }))).toBe('yes');
    expect(path(branch({ type: 'stage', stages: ['mql', 'sql'] }), facts({ stage: 'mql' }))).toBe('yes');
    expect(
      path(
        branch({
          type: 'all',
          conditions: [
            { type: 'tag', tag: 'vip' },
            { type: 'not', condition: { type: 'stage', stages: ['customer'] } },
          ],
        }),
        facts({ tags: ['vip'] }),
      ),
    ).toBe('yes');
    expect(path(branch({ type: 'any', conditions: [] }), facts())).toBe('no');
  });

  it('branches on segment membership as looked up by the executor', () => {
    const d = branch({ type: 'segment', segmentId: SEG });
    expect(path(d, facts({ segments: { [SEG]: true } }))).toBe('yes');
    expect(path(d, facts())).toBe('no');
  });

  it('uses opens and clicks only with tracking consent; downloads always', () => {
    const clicked = branch({ type: 'activity', activityType: 'mail.clicked' });
    const click = { type: 'mail.clicked', ref: 'message:m1', occurredAt: new Date('2026-03-02T09:00:00Z') };
    expect(path(clicked, facts({ activities: [click], trackingAllowed: false }))).toBe('no');
    expect(path(clicked, facts({ activities: [click], trackingAllowed: true }))).toBe('yes');
    const dl = branch({ type: 'activity', activityType: 'capture.asset-downloaded', ref: `asset:${ASSET}` });
    const download = {
      type: 'capture.asset-downloaded',
      ref: `asset:${ASSET}`,
      occurredAt: new Date('2026-03-02T09:00:00Z'),
    };
    expect(path(dl, facts({ activities: [download] }))).toBe('yes');
  });

  it('counts behaviour only since the contact entered the journey', () => {
    const d = branch({ type: 'activity', activityType: 'events.attended' });
    const before = { type: 'events.attended', ref: 'event:x', occurredAt: new Date('2026-03-01T00:00:00Z') };
    expect(path(d, facts({ activities: [before] }))).toBe('no');
  });
});

describe('goals, exits and the end', () => {
  const base = def(
    [{ id: 'w', type: 'wait', wait: { kind: 'duration', duration: { days: 30 } }, next: null }],
    {
      goals: [
        { id: 'sql', name: 'SQL', condition: { type: 'stage', stages: ['sql'] } },
        {
          id: 'dl',
          name: 'Downloaded',
          condition: { type: 'activity', activityType: 'capture.asset-downloaded' },
          exits: false,
        },
      ],
      exitRules: [
        {
          id: 'withdrawn',
          name: 'Consent withdrawn',
          condition: { type: 'activity', activityType: 'consent.withdrawn' },
        },
        { id: 'customer', name: 'Customer', condition: { type: 'stage', stages: ['customer'] } },
      ],
    },
  );

  it('reaches a goal that ends the journey, and one that only counts', () => {
    expect(decide(base, at('w'), facts({ stage: 'sql' }), T0)).toEqual({
      type: 'goal',
      goalId: 'sql',
      exits: true,
    });
    const dl = { type: 'capture.asset-downloaded', ref: null, occurredAt: T0 };
    expect(decide(base, at('w'), facts({ activities: [dl] }), T0)).toEqual({
      type: 'goal',
      goalId: 'dl',
      exits: false,
    });
    // Once counted, it is not reached again and the wait continues.
    const pos = { ...at('w'), goalsReached: ['dl'] };
    expect(decide(base, pos, facts({ activities: [dl] }), T0).type).toBe('wait');
  });

  it('applies exit rules before goals', () => {
    const withdrawn = { type: 'consent.withdrawn', ref: null, occurredAt: T0 };
    expect(decide(base, at('w'), facts({ stage: 'sql', activities: [withdrawn] }), T0)).toEqual({
      type: 'exit',
      ruleId: 'withdrawn',
    });
    expect(decide(base, at('w'), facts({ stage: 'customer' }), T0)).toEqual({
      type: 'exit',
      ruleId: 'customer',
    });
  });

  it('ends at an exit step and acts on action steps', () => {
    const d = def([mail('m', 'x'), { id: 'x', type: 'exit' }]);
    expect(decide(d, at('m'), facts(), T0)).toMatchObject({ type: 'act', next: 'x' });
    expect(decide(d, at('x'), facts(), T0)).toEqual({ type: 'end' });
  });
});

describe('re-entry', () => {
  const now = new Date('2026-06-01T00:00:00Z');
  const old = { enteredAt: new Date('2026-05-01T00:00:00Z'), active: false };
  it('never lets a contact in twice at the same time', () => {
    expect(mayEnter({ policy: 'after-exit' }, [{ ...old, active: true }], now)).toBe(false);
  });
  it('follows the policy for contacts who were in before', () => {
    expect(mayEnter({ policy: 'never' }, [], now)).toBe(true);
    expect(mayEnter({ policy: 'never' }, [old], now)).toBe(false);
    expect(mayEnter({ policy: 'after-exit' }, [old], now)).toBe(true);
    // 1 May → 1 June is 31 days.
    expect(mayEnter({ policy: 'after-days', days: 31 }, [old], now)).toBe(true);
    expect(mayEnter({ policy: 'after-days', days: 32 }, [old], now)).toBe(false);
    expect(mayEnter({ policy: 'after-days', days: 32 }, [old], new Date('2026-06-02T00:00:00Z'))).toBe(true);
  });
});

describe('edits to a running journey', () => {
  const v1 = def([
    mail('welcome', 'w'),
    { id: 'w', type: 'wait', wait: { kind: 'duration', duration: { days: 3 } }, next: 'old' },
    mail('old', null),
  ]);
  const v2 = def([
    mail('welcome', 'w'),
    { id: 'w', type: 'wait', wait: { kind: 'duration', duration: { days: 1 } }, next: 'new' },
    mail('new', null),
  ]);

  it('asks for a target for every occupied step the new version drops', () => {
    expect(stepsNeedingMapping(v2, ['w', 'old'], {})).toEqual(['old']);
    expect(stepsNeedingMapping(v2, ['w', 'old'], { old: 'new' })).toEqual([]);
    expect(stepsNeedingMapping(v2, ['old'], { old: 'gone' })).toEqual(['old']);
    expect(stepsNeedingMapping(v1, ['w'], {})).toEqual([]);
  });

  it('keeps a contact on a step that still exists, with its wait counted under the new rule', () => {
    const pos = at('w', T0);
    const moved = movePosition(v2, pos, {}, new Date('2026-03-03T00:00:00Z'));
    expect(moved).toEqual(pos);
    // The new wait is 1 day from when the contact reached it: already over.
    expect(decide(v2, moved, facts(), new Date('2026-03-03T09:00:00Z'))).toEqual({
      type: 'move',
      next: 'new',
      path: 'elapsed',
    });
    expect(decide(v1, pos, facts(), new Date('2026-03-03T09:00:00Z')).type).toBe('wait');
  });

  it('moves a contact on a removed step to the mapped step, entered now', () => {
    const now = new Date('2026-03-10T00:00:00Z');
    expect(movePosition(v2, at('old'), { old: 'new' }, now)).toEqual({
      ...at('old'),
      stepId: 'new',
      stepEnteredAt: now,
    });
    expect(() => movePosition(v2, at('old'), {}, now)).toThrow(/no mapping/);
  });
});

describe('simulation over a simulated clock', () => {
  const d = def(
    [
      mail('welcome', 'wait'),
      { id: 'wait', type: 'wait', wait: { kind: 'duration', duration: { days: 2 } }, next: 'offer' },
      {
        id: 'offer',
        type: 'offer-content',
        assetId: ASSET,
        templateId: TPL,
        purpose: 'newsletter',
        next: 'dl',
      },
      {
        id: 'dl',
        type: 'wait',
        wait: {
          kind: 'event',
          activityType: 'capture.asset-downloaded',
          ref: `asset:${ASSET}`,
          timeout: { days: 7 },
        },
        next: 'tag',
        timeoutNext: 'reminder',
      },
      {
        id: 'tag',
        type: 'update-contact',
        addTags: ['whitepaper'],
        set: { 'custom.interest': 'yes' },
        next: 'engaged',
      },
      {
        id: 'engaged',
        type: 'branch',
        condition: { type: 'tag', tag: 'whitepaper' },
        yes: null,
        no: 'reminder',
      },
      mail('reminder', null),
    ],
    { goals: [{ id: 'mql', name: 'MQL', condition: { type: 'stage', stages: ['mql'] } }] },
  );

  it('shows what happens over 30 days when nothing is done', () => {
    const r = simulateJourney(d, facts(), T0, 30);
    expect(r.outcome).toBe('completed');
    const actions = r.entries.filter((e) => e.kind === 'action').map((e) => [e.at, e.stepId]);
    expect(actions).toEqual([
      ['2026-03-02T08:00:00.000Z', 'welcome'],
      ['2026-03-04T08:00:00.000Z', 'offer'],
      ['2026-03-11T08:00:00.000Z', 'reminder'],
    ]);
  });

  it('follows planned behaviour: a download on day 3 takes the other path', () => {
    const r = simulateJourney(d, facts(), T0, 30, [
      { at: new Date('2026-03-05T10:00:00Z'), type: 'capture.asset-downloaded', ref: `asset:${ASSET}` },
    ]);
    expect(r.outcome).toBe('completed');
    expect(r.entries.filter((e) => e.kind === 'action').map((e) => e.stepId)).toEqual([
      'welcome',
      'offer',
      'tag',
    ]);
    expect(r.entries.find((e) => e.kind === 'branch' && e.stepId === 'dl')?.detail).toEqual({
      path: 'event',
    });
  });

  it('stops at the horizon while still waiting', () => {
    const r = simulateJourney(d, facts(), T0, 1);
    expect(r.outcome).toBe('waiting');
    expect(r.finalStepId).toBe('wait');
  });
});
