import { describe, expect, it } from 'vitest';
import {
  addWorkingMinutes,
  type Calendar,
  isWorkingAt,
  localParts,
  nextWorkingStart,
  validateWorkingHours,
  zonedTimeToUtc,
} from './working-hours.js';

const OFFICE: [string, string][] = [['09:00', '17:00']];
const berlin: Calendar = {
  timeZone: 'Europe/Berlin',
  hours: { '1': OFFICE, '2': OFFICE, '3': OFFICE, '4': OFFICE, '5': OFFICE },
};
const newYork: Calendar = { ...berlin, timeZone: 'America/New_York' };
const at = (iso: string) => new Date(iso);

describe('local time in a zone', () => {
  it('reads weekday and wall time on both sides of the spring change in Berlin', () => {
    expect(localParts(at('2026-03-28T08:00:00Z'), 'Europe/Berlin')).toMatchObject({ weekday: 6, hour: 9 });
    expect(localParts(at('2026-03-30T08:00:00Z'), 'Europe/Berlin')).toMatchObject({ weekday: 1, hour: 10 });
  });

  it('turns a local wall time into the instant with the offset of that day', () => {
    expect(zonedTimeToUtc({ year: 2026, month: 3, day: 27 }, 9 * 60, 'Europe/Berlin').toISOString()).toBe(
      '2026-03-27T08:00:00.000Z',
    );
    expect(zonedTimeToUtc({ year: 2026, month: 3, day: 30 }, 9 * 60, 'Europe/Berlin').toISOString()).toBe(
      '2026-03-30T07:00:00.000Z',
    );
    expect(zonedTimeToUtc({ year: 2026, month: 10, day: 26 }, 9 * 60, 'Europe/Berlin').toISOString()).toBe(
      '2026-10-26T08:00:00.000Z',
    );
  });

  it('gives a defined instant for a wall time inside the spring-forward gap', () => {
    const t = zonedTimeToUtc({ year: 2026, month: 3, day: 29 }, 2 * 60 + 30, 'Europe/Berlin');
    expect(['2026-03-29T00:30:00.000Z', '2026-03-29T01:30:00.000Z']).toContain(t.toISOString());
  });
});

describe('working hours', () => {
  it('is open Monday 09:00 local and closed at 17:00 local, in winter and summer', () => {
    expect(isWorkingAt(at('2026-01-05T08:00:00Z'), berlin)).toBe(true); // 09:00 CET
    expect(isWorkingAt(at('2026-01-05T07:59:00Z'), berlin)).toBe(false);
    expect(isWorkingAt(at('2026-01-05T16:00:00Z'), berlin)).toBe(false); // 17:00 CET
    expect(isWorkingAt(at('2026-07-06T07:00:00Z'), berlin)).toBe(true); // 09:00 CEST
    expect(isWorkingAt(at('2026-07-06T15:30:00Z'), berlin)).toBe(false); // 17:30 CEST
  });

  it('is closed at the weekend', () => {
    expect(isWorkingAt(at('2026-01-10T10:00:00Z'), berlin)).toBe(false);
  });

  it('follows the New York shift while Europe has not changed its clocks yet (March 2026)', () => {
    // 2026-03-09: New York is on EDT (UTC-4), Berlin still on CET (UTC+1).
    expect(isWorkingAt(at('2026-03-09T13:00:00Z'), newYork)).toBe(true); // 09:00 EDT
    expect(isWorkingAt(at('2026-03-09T13:00:00Z'), berlin)).toBe(true); // 14:00 CET
    expect(isWorkingAt(at('2026-03-06T13:00:00Z'), newYork)).toBe(false); // 08:00 EST, the Friday before
  });

  it('finds the next opening across a weekend and a clock change', () => {
    // Friday 27 March 18:00 CET → Monday 30 March 09:00 CEST = 07:00Z
    expect(nextWorkingStart(at('2026-03-27T17:00:00Z'), berlin)?.toISOString()).toBe(
      '2026-03-30T07:00:00.000Z',
    );
    expect(nextWorkingStart(at('2026-03-30T09:00:00Z'), berlin)?.toISOString()).toBe(
      '2026-03-30T09:00:00.000Z',
    );
  });

  it('treats a calendar without any hours as always open', () => {
    const always: Calendar = { timeZone: 'Europe/Berlin', hours: {} };
    expect(isWorkingAt(at('2026-01-10T03:00:00Z'), always)).toBe(true);
    expect(addWorkingMinutes(at('2026-01-10T03:00:00Z'), 90, always).toISOString()).toBe(
      '2026-01-10T04:30:00.000Z',
    );
  });

  it('returns null for the next opening of a calendar that only has a day and it is not set', () => {
    expect(nextWorkingStart(at('2026-01-05T10:00:00Z'), { timeZone: 'UTC', hours: { '1': [] } })).toEqual(
      at('2026-01-05T10:00:00Z'),
    );
  });
});

describe('SLA deadlines in working minutes', () => {
  it('counts within one day', () => {
    expect(addWorkingMinutes(at('2026-01-05T09:00:00Z'), 120, berlin).toISOString()).toBe(
      '2026-01-05T11:00:00.000Z',
    );
  });

  it('carries over the evening and the weekend', () => {
    // Friday 16:00 CET + 4 h → 1 h on Friday, 3 h on Monday → Monday 12:00 CET
    expect(addWorkingMinutes(at('2026-01-09T15:00:00Z'), 240, berlin).toISOString()).toBe(
      '2026-01-12T11:00:00.000Z',
    );
  });

  it('starts counting at the next opening when the lead arrives at night', () => {
    expect(addWorkingMinutes(at('2026-01-06T02:00:00Z'), 60, berlin).toISOString()).toBe(
      '2026-01-06T09:00:00.000Z',
    );
  });

  it('lands on the right UTC instant across the spring change (Friday CET → Monday CEST)', () => {
    // Friday 27 March 16:00 CET (15:00Z) + 2 h: 1 h Friday, 1 h Monday → Monday 10:00 CEST = 08:00Z
    expect(addWorkingMinutes(at('2026-03-27T15:00:00Z'), 120, berlin).toISOString()).toBe(
      '2026-03-30T08:00:00.000Z',
    );
  });

  it('lands on the right UTC instant across the autumn change (Friday CEST → Monday CET)', () => {
    // Friday 23 October 16:00 CEST (14:00Z) + 2 h → Monday 26 October 10:00 CET = 09:00Z
    expect(addWorkingMinutes(at('2026-10-23T14:00:00Z'), 120, berlin).toISOString()).toBe(
      '2026-10-26T09:00:00.000Z',
    );
  });

  it('handles split days (lunch break)', () => {
    const split: Calendar = {
      timeZone: 'UTC',
      hours: {
        '1': [
          ['13:00', '17:00'],
          ['08:00', '12:00'],
        ],
      },
    };
    expect(addWorkingMinutes(at('2026-01-05T11:00:00Z'), 120, split).toISOString()).toBe(
      '2026-01-05T14:00:00.000Z',
    );
  });
});

describe('validating working hours', () => {
  it('accepts weekday keys with ordered intervals and rejects the rest', () => {
    expect(validateWorkingHours({ '1': [['09:00', '17:00']] })).toBe(true);
    expect(validateWorkingHours({})).toBe(true);
    expect(validateWorkingHours({ '8': [['09:00', '17:00']] })).toBe(false);
    expect(validateWorkingHours({ '1': [['17:00', '09:00']] })).toBe(false);
    expect(validateWorkingHours({ '1': [['9:00', '17:00']] })).toBe(false);
    expect(validateWorkingHours({ '1': [['09:00', '25:00']] })).toBe(false);
    expect(validateWorkingHours([])).toBe(false);
  });
});
