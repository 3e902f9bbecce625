import { describe, expect, it } from 'vitest';
import {
  chooseRep,
  drawRoundRobin,
  type LeadFacts,
  type RepState,
  type Territory,
  territoryMatches,
} from './routing.js';

const OFFICE: [string, string][] = [['09:00', '17:00']];
const WEEK = { '1': OFFICE, '2': OFFICE, '3': OFFICE, '4': OFFICE, '5': OFFICE };
// Monday 5 January 2026, 10:00 in Berlin.
const NOW = new Date('2026-01-05T09:00:00Z');

function rep(userId: string, extra: Partial<RepState> = {}): RepState {
  return {
    userId,
    active: true,
    weight: 1,
    capacity: null,
    openLeads: 0,
    timeZone: 'Europe/Berlin',
    workingHours: WEEK,
    absences: [],
    rrCurrent: 0,
    ...extra,
  };
}

const lead = (extra: Partial<LeadFacts> = {}): LeadFacts => ({
  country: 'DE',
  postcode: '80331',
  industry: 'Manufacturing',
  companySize: '51-200',
  accountOwnerId: null,
  ...extra,
});

function territory(id: string, userIds: string[], extra: Partial<Territory> = {}): Territory {
  return {
    id,
    name: id,
    priority: 100,
    countries: [],
    postcodeRanges: [],
    industries: [],
    companySizes: [],
    userIds,
    ...extra,
  };
}

/** Routes `n` leads in a row, feeding credits and open leads back like the service does. */
function routeMany(reps: RepState[], n: number, territories: Territory[] = []): string[] {
  const state = reps.map((r) => ({ ...r }));
  const picks: string[] = [];
  for (let i = 0; i < n; i++) {
    const result = chooseRep({ now: NOW, lead: lead(), reps: state, territories });
    if (!result.decision.userId) {
      picks.push('-');
      continue;
    }
    picks.push(result.decision.userId);
    for (const r of state) {
      const c = result.credits.get(r.userId);
      if (c !== undefined) r.rrCurrent = c;
      if (r.userId === result.decision.userId) r.openLeads++;
    }
  }
  return picks;
}

describe('account owner first', () => {
  it('gives the lead to the rep who owns the company', () => {
    const r = chooseRep({
      now: NOW,
      lead: lead({ accountOwnerId: 'b' }),
      reps: [rep('a'), rep('b')],
      territories: [],
    });
    expect(r.decision).toEqual({ kind: 'account_owner', userId: 'b', territoryId: null });
    expect(r.credits.size).toBe(0);
  });

  it('even outside working hours (the owner knows the account)', () => {
    const night = new Date('2026-01-05T22:00:00Z');
    const r = chooseRep({
      now: night,
      lead: lead({ accountOwnerId: 'b' }),
      reps: [rep('a'), rep('b')],
      territories: [],
    });
    expect(r.decision.userId).toBe('b');
  });

  it('falls through when the owner is on vacation, at capacity, inactive or not a rep', () => {
    const vacation = { startsAt: new Date('2026-01-01T00:00:00Z'), endsAt: new Date('2026-01-10T00:00:00Z') };
    for (const b of [
      rep('b', { absences: [vacation] }),
      rep('b', { capacity: 2, openLeads: 2 }),
      rep('b', { active: false }),
    ]) {
      const r = chooseRep({
        now: NOW,
        lead: lead({ accountOwnerId: 'b' }),
        reps: [rep('a'), b],
        territories: [],
      });
      expect(r.decision).toMatchObject({ kind: 'round_robin', userId: 'a' });
    }
    const r = chooseRep({
      now: NOW,
      lead: lead({ accountOwnerId: 'zz' }),
      reps: [rep('a')],
      territories: [],
    });
    expect(r.decision.userId).toBe('a');
    expect(r.trace.join(' ')).toContain('not an active rep');
  });
});

describe('territories', () => {
  const dach = territory('dach', ['t1', 't2'], { countries: ['DE', 'AT', 'CH'], priority: 10 });
  const bavaria = territory('bavaria', ['t3'], {
    postcodeRanges: [{ from: '80000', to: '87999' }],
    priority: 5,
  });

  it('matches on country, postcode range, industry and company size (empty means any)', () => {
    expect(territoryMatches(dach, lead({ country: 'de' }))).toBe(true);
    expect(territoryMatches(dach, lead({ country: 'FR' }))).toBe(false);
    expect(territoryMatches(dach, lead({ country: null }))).toBe(false);
    expect(territoryMatches(bavaria, lead({ postcode: '80331' }))).toBe(true);
    expect(territoryMatches(bavaria, lead({ postcode: '88000' }))).toBe(false);
    expect(territoryMatches(bavaria, lead({ postcode: '8033' }))).toBe(false);
    expect(territoryMatches(bavaria, lead({ postcode: null }))).toBe(false);
    const industry = territory('x', [], {
      industries: ['Manufacturing'],
      companySizes: ['51-200', '201-500'],
    });
    expect(territoryMatches(industry, lead())).toBe(true);
    expect(territoryMatches(industry, lead({ companySize: '1-10' }))).toBe(false);
    expect(territoryMatches(industry, lead({ industry: 'Retail' }))).toBe(false);
    expect(territoryMatches(territory('any', []), lead({ country: null, postcode: null }))).toBe(true);
  });

  it('takes the first matching territory by priority', () => {
    const r = chooseRep({
      now: NOW,
      lead: lead(),
      reps: [rep('t1'), rep('t2'), rep('t3'), rep('other')],
      territories: [dach, bavaria],
    });
    expect(r.decision).toEqual({ kind: 'territory', userId: 't3', territoryId: 'bavaria' });
  });

  it('moves on to the next territory, then to round robin, when a territory has nobody available', () => {
    const full = rep('t3', { capacity: 1, openLeads: 1 });
    let r = chooseRep({
      now: NOW,
      lead: lead(),
      reps: [rep('t1'), full, rep('other')],
      territories: [dach, bavaria],
    });
    expect(r.decision).toMatchObject({ kind: 'territory', territoryId: 'dach', userId: 't1' });
    r = chooseRep({
      now: NOW,
      lead: lead({ country: 'FR' }),
      reps: [rep('t1'), full, rep('other')],
      territories: [dach, bavaria],
    });
    expect(r.decision).toMatchObject({ kind: 'round_robin' });
    expect(['t1', 'other']).toContain(r.decision.userId);
  });

  it('a lead outside every territory goes to round robin over all reps', () => {
    const r = chooseRep({
      now: NOW,
      lead: lead({ country: 'US', postcode: '10001' }),
      reps: [rep('t1')],
      territories: [dach, bavaria],
    });
    expect(r.decision).toMatchObject({ kind: 'round_robin', userId: 't1' });
  });
});

describe('weighted round robin', () => {
  it('alternates evenly between equal reps, ties broken by id', () => {
    expect(routeMany([rep('a'), rep('b'), rep('c')], 6)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
  });

  it('gives leads in proportion to the weights, interleaved', () => {
    const picks = routeMany([rep('a', { weight: 3 }), rep('b', { weight: 1 })], 8);
    expect(picks.filter((p) => p === 'a')).toHaveLength(6);
    expect(picks.filter((p) => p === 'b')).toHaveLength(2);
    // smooth: b does not wait for all of a's leads
    expect(picks.slice(0, 4)).toContain('b');
  });

  it('breaks an equal credit by fewer open leads', () => {
    const { userId } = drawRoundRobin([rep('a', { openLeads: 5 }), rep('b', { openLeads: 1 })]);
    expect(userId).toBe('b');
  });

  it('keeps credits summing to zero', () => {
    const { credits } = drawRoundRobin([rep('a', { weight: 2 }), rep('b', { weight: 5 }), rep('c')]);
    expect([...credits.values()].reduce((s, v) => s + v, 0)).toBe(0);
  });

  it('skips a rep at capacity and hands out only up to capacity', () => {
    const picks = routeMany([rep('a', { capacity: 1 }), rep('b', { capacity: 2 })], 5);
    expect(picks).toEqual(['a', 'b', 'b', '-', '-']);
  });

  it('a capacity of 0 takes no leads at all', () => {
    expect(routeMany([rep('a', { capacity: 0 }), rep('b')], 2)).toEqual(['b', 'b']);
  });
});

describe('availability', () => {
  it('skips a rep on vacation, and the vacation end is exclusive', () => {
    const vacation = { startsAt: new Date('2026-01-05T00:00:00Z'), endsAt: NOW };
    expect(
      chooseRep({ now: NOW, lead: lead(), reps: [rep('a', { absences: [vacation] })], territories: [] })
        .decision.userId,
    ).toBe('a');
    const ongoing = { startsAt: new Date('2026-01-05T00:00:00Z'), endsAt: new Date('2026-01-06T00:00:00Z') };
    const r = chooseRep({
      now: NOW,
      lead: lead(),
      reps: [rep('a', { absences: [ongoing] }), rep('b')],
      territories: [],
    });
    expect(r.decision.userId).toBe('b');
    expect(r.trace).toContain('a: absent');
  });

  it('prefers reps inside their working hours now', () => {
    // 10:00 in Berlin is 04:00 in New York.
    const r = chooseRep({
      now: NOW,
      lead: lead(),
      reps: [rep('ny', { timeZone: 'America/New_York' }), rep('zz')],
      territories: [],
    });
    expect(r.decision.userId).toBe('zz');
  });

  it('at night gives the lead to whoever starts working soonest', () => {
    // Monday 23:00 UTC: Tokyo (Tuesday 08:00, starts 09:00) opens before Berlin (Tuesday 09:00 = 08:00Z).
    const night = new Date('2026-01-05T23:00:00Z');
    const r = chooseRep({
      now: night,
      lead: lead(),
      reps: [rep('berlin'), rep('tokyo', { timeZone: 'Asia/Tokyo' })],
      territories: [],
    });
    expect(r.decision.userId).toBe('tokyo');
  });

  it('across the US daylight-saving change, New York opens at 13:00Z instead of 14:00Z', () => {
    const reps = [
      rep('ny', { timeZone: 'America/New_York' }),
      rep('la', { timeZone: 'America/Los_Angeles' }),
    ];
    // Monday 9 March 2026 13:30Z = 09:30 EDT in New York (the day after the change); LA is 06:30.
    expect(
      chooseRep({ now: new Date('2026-03-09T13:30:00Z'), lead: lead(), reps, territories: [] }).decision
        .userId,
    ).toBe('ny');
    // The Monday before (EST): 13:30Z = 08:30 in New York; nobody works, New York starts first.
    const before = chooseRep({ now: new Date('2026-03-02T13:30:00Z'), lead: lead(), reps, territories: [] });
    expect(before.decision.userId).toBe('ny');
    expect(before.trace.at(-1)).toBe('round robin: ny');
  });

  it('nobody available → unassigned queue with the reason', () => {
    const r = chooseRep({
      now: NOW,
      lead: lead(),
      reps: [rep('a', { capacity: 0 }), rep('b', { active: false })],
      territories: [],
    });
    expect(r.decision).toEqual({
      kind: 'unassigned',
      reason: 'nobody_available',
      userId: null,
      territoryId: null,
    });
    expect(chooseRep({ now: NOW, lead: lead(), reps: [], territories: [] }).decision).toMatchObject({
      kind: 'unassigned',
      reason: 'no_reps',
    });
  });

  it('a rep whose calendar never opens is never picked when others exist', () => {
    const r = chooseRep({
      now: new Date('2026-01-10T12:00:00Z'),
      lead: lead(),
      reps: [rep('never', { workingHours: { '1': [] } }), rep('week')],
      territories: [],
    });
    // "never" has no hours at all, which means always open.
    expect(r.decision.userId).toBe('never');
  });

  it('excludes the rep an escalation takes the lead from', () => {
    const r = chooseRep({
      now: NOW,
      lead: lead({ accountOwnerId: 'a' }),
      reps: [rep('a'), rep('b')],
      territories: [],
      exclude: ['a'],
    });
    expect(r.decision.userId).toBe('b');
  });
});
