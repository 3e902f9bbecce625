import { describe, expect, it } from 'vitest';
import {
  DAY_MS,
  decayFactor,
  decideMql,
  type EngagementRule,
  engagementAt,
  evaluateEngagement,
  evaluateFit,
  evaluateTemperature,
  type FitRule,
  isBantQualified,
  isTrackingType,
  isTransitionAllowed,
  type MqlRule,
  matchEngagementRules,
  type ScoreEvent,
  sizeAsNumber,
  timeInStages,
} from './rules.js';

const now = new Date('2026-06-01T12:00:00Z');
const daysAgo = (d: number) => new Date(now.getTime() - d * DAY_MS);

describe('fit', () => {
  const rules: FitRule[] = [
    { id: 'r1', name: 'Head of', points: 20, field: 'job_title', op: 'contains', value: 'head of' },
    { id: 'r2', name: 'DACH', points: 10, field: 'country', op: 'in', value: ['DE', 'AT', 'CH'] },
    { id: 'r3', name: 'Mid-size', points: 15, field: 'company_size', op: 'gte', value: 50 },
    { id: 'r4', name: 'Tiny', points: -10, field: 'company_size', op: 'lte', value: 9 },
    { id: 'r5', name: 'Machinery', points: 5, field: 'industry', op: 'equals', value: 'Maschinenbau' },
    { id: 'r6', name: 'Has CRM', points: 7, field: 'custom:crm', op: 'exists' },
  ];

  it('adds the points of every matching rule and names them', () => {
    const r = evaluateFit(rules, {
      job_title: 'Head of Marketing',
      country: 'de',
      company_size: '50-199',
      industry: 'maschinenbau',
      custom: { crm: 'Salesforce' },
    });
    expect(r.score).toBe(57);
    expect(r.contributions.map((c) => c.rule)).toEqual([
      'Head of',
      'DACH',
      'Mid-size',
      'Machinery',
      'Has CRM',
    ]);
  });

  it('gives nothing for missing data and takes points off with negative rules', () => {
    expect(evaluateFit(rules, {}).score).toBe(0);
    expect(evaluateFit(rules, { company_size: 5 }).score).toBe(-10);
    expect(evaluateFit(rules, { custom: { crm: '' } }).score).toBe(0);
  });

  it('reads company sizes written as ranges or with separators', () => {
    expect(sizeAsNumber('200+')).toBe(200);
    expect(sizeAsNumber('1.000-4.999')).toBe(1000);
    expect(sizeAsNumber(12)).toBe(12);
    expect(sizeAsNumber('unknown')).toBeUndefined();
  });

  it('does not match "contains" with an empty value, nor numbers against text', () => {
    expect(
      evaluateFit([{ id: 'x', name: 'x', points: 1, field: 'job_title', op: 'contains', value: '' }], {
        job_title: 'CEO',
      }).score,
    ).toBe(0);
    expect(
      evaluateFit([{ id: 'x', name: 'x', points: 1, field: 'company_size', op: 'gte', value: 10 }], {
        company_size: 'many',
      }).score,
    ).toBe(0);
  });
});

describe('fit on a multiple-choice field', () => {
  const rule = (op: FitRule['op'], value: FitRule['value']): FitRule => ({
    id: 'r',
    name: 'Interest',
    points: 10,
    field: 'custom:interests',
    op,
    value,
  });
  const profile = { custom: { interests: ['retail', 'Logistics'] } } as Parameters<typeof evaluateFit>[1];

  it('"contains" asks for a whole option, not a piece of one', () => {
    expect(evaluateFit([rule('contains', 'logistics')], profile).score).toBe(10);
    expect(evaluateFit([rule('contains', 'ai')], profile).score).toBe(0);
  });

  it('"is one of" matches when any chosen option is in the list', () => {
    expect(evaluateFit([rule('in', ['crm', 'retail'])], profile).score).toBe(10);
    expect(evaluateFit([rule('in', 'crm, erp')], profile).score).toBe(0);
  });
});

describe('engagement', () => {
  const click: EngagementRule = {
    id: 'click',
    name: 'Mail click',
    points: 5,
    activityType: 'mail.clicked',
    decays: true,
  };
  const capped: EngagementRule = { ...click, id: 'capped', cap: { points: 10, periodDays: 7 } };
  const webinar: EngagementRule = {
    id: 'web',
    name: 'Webinar',
    points: 30,
    activityType: 'events.attended',
    decays: false,
    signal: 'warm',
  };
  const ev = (ruleId: string, d: number, points: number, id = `${ruleId}-${d}`): ScoreEvent => ({
    ruleId,
    activityId: id,
    occurredAt: daysAgo(d),
    points,
  });

  it('decays by the half-life', () => {
    expect(decayFactor(0, 30)).toBe(1);
    expect(decayFactor(30 * DAY_MS, 30)).toBeCloseTo(0.5);
    expect(decayFactor(60 * DAY_MS, 30)).toBeCloseTo(0.25);
    expect(decayFactor(-DAY_MS, 30)).toBe(1);
    expect(decayFactor(1000 * DAY_MS, 0)).toBe(1);
    const r = evaluateEngagement([click], [ev('click', 30, 5), ev('click', 0, 5)], now, 30);
    expect(r.decayingPart).toBeCloseTo(7.5);
    expect(r.score).toBe(8);
    expect(r.contributions[0]).toMatchObject({ rule: 'Mail click', points: 5, decayed: 2.5 });
  });

  it('does not decay rules that say so', () => {
    const r = evaluateEngagement([webinar], [ev('web', 300, 30)], now, 30);
    expect(r.score).toBe(30);
    expect(r.staticPart).toBe(30);
  });

  it('caps a rule per rolling period and says how much was cut', () => {
    const events = [ev('capped', 6, 5), ev('capped', 5, 5), ev('capped', 4, 5), ev('capped', 3, 5)];
    const r = evaluateEngagement([{ ...capped, decays: false }], events, now, 30);
    expect(r.score).toBe(10);
    expect(r.contributions.filter((c) => c.capped === 5)).toHaveLength(2);
  });

  it('caps entries of the same instant in the order they were recorded (id 9 before id 10)', () => {
    // Two clicks in the same second: the cap of 5 lets the first recorded one count, as the
    // recompute does (ordered by occurred_at, id); ids compared as strings put "10" before "9".
    const one = { ...capped, cap: { points: 5, periodDays: 7 }, decays: false };
    const r = evaluateEngagement([one], [ev('capped', 1, 5, '10'), ev('capped', 1, 5, '9')], now, 30);
    expect(r.score).toBe(5);
    expect(r.contributions.find((c) => c.activityId === '9')).not.toHaveProperty('capped');
    expect(r.contributions.find((c) => c.activityId === '10')).toMatchObject({ capped: 5 });
  });

  it('gives the cap back once the period has passed', () => {
    const events = [
      ev('capped', 20, 5),
      ev('capped', 19, 5),
      ev('capped', 18, 5),
      ev('capped', 2, 5),
      ev('capped', 1, 5),
    ];
    const r = evaluateEngagement([{ ...capped, decays: false }], events, now, 30);
    expect(r.score).toBe(20);
  });

  it('cuts a single event that is larger than the cap', () => {
    const big = { ...capped, decays: false, cap: { points: 3, periodDays: 1 } };
    expect(evaluateEngagement([big], [ev('capped', 1, 5)], now, 30).contributions[0]).toMatchObject({
      points: 3,
      capped: 2,
    });
  });

  it('ignores events of deleted rules and future events', () => {
    const r = evaluateEngagement([click], [ev('gone', 1, 50), ev('click', -1, 5)], now, 30);
    expect(r.score).toBe(0);
    expect(r.contributions).toEqual([]);
  });

  it('lets negative rules (e.g. unsubscribed) take points off', () => {
    const neg: EngagementRule = {
      id: 'neg',
      name: 'Bounce',
      points: -20,
      activityType: 'mail.bounced',
      decays: false,
    };
    expect(evaluateEngagement([neg, click], [ev('neg', 1, -20), ev('click', 0, 5)], now, 30).score).toBe(-15);
  });

  it('stored parts decay to the same value as a full evaluation later', () => {
    const events = [ev('click', 10, 5), ev('web', 5, 30)];
    const at = evaluateEngagement([click, webinar], events, now, 30);
    const later = new Date(now.getTime() + 15 * DAY_MS);
    const full = evaluateEngagement([click, webinar], events, later, 30);
    expect(
      engagementAt({ staticPart: at.staticPart, decayingPart: at.decayingPart, computedAt: now }, later, 30),
    ).toBe(full.score);
  });

  it('matches rules by type and ref prefix', () => {
    const asset: EngagementRule = {
      ...click,
      id: 'a',
      activityType: 'capture.asset-downloaded',
      refPrefix: 'asset:42',
    };
    const fact = { id: '1', type: 'capture.asset-downloaded', ref: 'asset:42', occurredAt: now };
    expect(matchEngagementRules([click, asset], fact).map((r) => r.id)).toEqual(['a']);
    expect(matchEngagementRules([asset], { ...fact, ref: null })).toEqual([]);
    expect(matchEngagementRules([asset], { ...fact, ref: 'asset:7' })).toEqual([]);
  });

  it('knows tracking types', () => {
    expect(isTrackingType('tracking.page-viewed')).toBe(true);
    expect(isTrackingType('web.page-visited')).toBe(true);
    expect(isTrackingType('mail.clicked')).toBe(false);
  });
});

describe('temperature', () => {
  const rules: EngagementRule[] = [
    {
      id: 'contest',
      name: 'Contest entry',
      points: 1,
      activityType: 'capture.form-submitted',
      decays: true,
      signal: 'incentive',
    },
    {
      id: 'info',
      name: 'Product info request',
      points: 20,
      activityType: 'capture.form-submitted',
      decays: true,
      signal: 'warm',
    },
    { id: 'click', name: 'Click', points: 2, activityType: 'mail.clicked', decays: true },
  ];
  const settings = { returnDays: 3, returnWindowDays: 30, hotFitMin: 40 };
  const e = (ruleId: string, d: number): ScoreEvent => ({
    ruleId,
    activityId: `${ruleId}${d}`,
    occurredAt: daysAgo(d),
    points: 1,
  });

  it('is cold with an incentive only, and says so', () => {
    const r = evaluateTemperature({
      rules,
      events: [e('contest', 10)],
      now,
      fit: 0,
      bantQualified: false,
      settings,
    });
    expect(r).toEqual({
      temperature: 'cold',
      reasons: [{ code: 'incentive-only', rule: 'Contest entry', at: daysAgo(10).toISOString() }],
    });
  });

  it('is cold without anything', () => {
    expect(
      evaluateTemperature({ rules, events: [], now, fit: 90, bantQualified: true, settings }).temperature,
    ).toBe('cold');
  });

  it('is warm on an own-interest signal', () => {
    const r = evaluateTemperature({
      rules,
      events: [e('contest', 10), e('info', 2)],
      now,
      fit: 0,
      bantQualified: false,
      settings,
    });
    expect(r.temperature).toBe('warm');
    expect(r.reasons[0]).toMatchObject({ code: 'warm-signal', rule: 'Product info request' });
  });

  it('is warm when the contact returns on enough different days', () => {
    const r = evaluateTemperature({
      rules,
      events: [e('click', 1), e('click', 5), e('click', 9)],
      now,
      fit: 0,
      bantQualified: false,
      settings,
    });
    expect(r).toMatchObject({ temperature: 'warm', reasons: [{ code: 'returning', days: 3 }] });
    const old = evaluateTemperature({
      rules,
      events: [e('click', 1), e('click', 5), e('click', 40)],
      now,
      fit: 0,
      bantQualified: false,
      settings,
    });
    expect(old.temperature).toBe('cold');
  });

  it('is hot when warm and qualified, or warm with a high fit', () => {
    expect(
      evaluateTemperature({ rules, events: [e('info', 1)], now, fit: 0, bantQualified: true, settings })
        .reasons[0],
    ).toEqual({ code: 'hot-bant' });
    expect(
      evaluateTemperature({ rules, events: [e('info', 1)], now, fit: 40, bantQualified: false, settings })
        .temperature,
    ).toBe('hot');
    expect(
      evaluateTemperature({ rules, events: [e('info', 1)], now, fit: 39, bantQualified: false, settings })
        .temperature,
    ).toBe('warm');
    expect(
      evaluateTemperature({
        rules,
        events: [e('info', 1)],
        now,
        fit: 99,
        bantQualified: false,
        settings: { ...settings, hotFitMin: null },
      }).temperature,
    ).toBe('warm');
  });
});

describe('BANT and MQL', () => {
  it('qualifies only with need, budget and authority known and positive', () => {
    const full = {
      need: { exists: true },
      budget: { exists: true },
      authority: { role: 'decision_maker' as const },
    };
    expect(isBantQualified(full)).toBe(true);
    expect(isBantQualified({ ...full, authority: { role: 'influencer' } })).toBe(true);
    expect(isBantQualified({ ...full, authority: { role: 'user' } })).toBe(false);
    expect(isBantQualified({ ...full, authority: { role: 'unknown' } })).toBe(false);
    expect(isBantQualified({ ...full, budget: { exists: false } })).toBe(false);
    expect(isBantQualified({ need: { exists: true }, authority: { role: 'decision_maker' } })).toBe(false);
    expect(isBantQualified({})).toBe(false);
  });

  const rule: MqlRule = {
    fitMin: 30,
    engagementMin: 20,
    handRaiser: true,
    fromStages: ['subscriber', 'engaged'],
  };
  it('needs both thresholds', () => {
    expect(decideMql(rule, { stage: 'engaged', fit: 30, engagement: 20, raisedHand: false })).toEqual({
      mql: true,
      because: 'scores',
    });
    expect(decideMql(rule, { stage: 'engaged', fit: 29, engagement: 99, raisedHand: false })).toEqual({
      mql: false,
    });
    expect(decideMql(rule, { stage: 'engaged', fit: 99, engagement: 19, raisedHand: false })).toEqual({
      mql: false,
    });
  });
  it('takes a hand-raiser alone, and only when the rule allows it', () => {
    expect(decideMql(rule, { stage: 'subscriber', fit: 0, engagement: 0, raisedHand: true })).toEqual({
      mql: true,
      because: 'hand-raiser',
    });
    expect(
      decideMql(
        { ...rule, handRaiser: false },
        { stage: 'subscriber', fit: 0, engagement: 0, raisedHand: true },
      ),
    ).toEqual({ mql: false });
  });
  it('leaves contacts in other stages alone and needs at least one threshold', () => {
    expect(decideMql(rule, { stage: 'sal', fit: 99, engagement: 99, raisedHand: true })).toEqual({
      mql: false,
    });
    expect(decideMql(rule, { stage: 'recycled', fit: 99, engagement: 99, raisedHand: false })).toEqual({
      mql: false,
    });
    expect(
      decideMql(
        { ...rule, fitMin: null, engagementMin: null },
        { stage: 'engaged', fit: 99, engagement: 99, raisedHand: false },
      ),
    ).toEqual({ mql: false });
    expect(
      decideMql({ ...rule, fitMin: null }, { stage: 'engaged', fit: -5, engagement: 20, raisedHand: false }),
    ).toEqual({ mql: true, because: 'scores' });
  });
});

describe('lifecycle', () => {
  it('allows every move without transitions, and only listed ones with', () => {
    expect(isTransitionAllowed(null, 'subscriber', 'customer')).toBe(true);
    expect(isTransitionAllowed(null, 'mql', 'mql')).toBe(false);
    expect(isTransitionAllowed(null, 'mql', 'nonsense')).toBe(false);
    const t = { mql: ['sal' as const, 'recycled' as const] };
    expect(isTransitionAllowed(t, 'mql', 'sal')).toBe(true);
    expect(isTransitionAllowed(t, 'mql', 'customer')).toBe(false);
    expect(isTransitionAllowed(t, 'sal', 'customer')).toBe(true);
  });
  it('sums time per stage, counting a stage entered twice', () => {
    const t = timeInStages(
      [
        { to: 'subscriber', at: daysAgo(10) },
        { to: 'mql', at: daysAgo(6) },
        { to: 'recycled', at: daysAgo(5) },
        { to: 'mql', at: daysAgo(2) },
      ],
      now,
    );
    expect(t).toEqual({ subscriber: 4 * DAY_MS, mql: 3 * DAY_MS, recycled: 3 * DAY_MS });
  });
});
