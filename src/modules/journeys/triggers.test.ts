import { describe, expect, it } from 'vitest';
import { dueFieldDate } from './triggers.js';

describe('date-field trigger: which field date is due now', () => {
  const trigger = { type: 'date-field' as const, field: 'custom.event_date', offsetDays: -7, time: '09:00' };

  it('is the date a week ahead once 09:00 has come in the journey zone', () => {
    // 07:59Z is 08:59 in Berlin (winter): not yet.
    expect(dueFieldDate(trigger, 'Europe/Berlin', new Date('2026-03-02T07:59:00Z'))).toBeUndefined();
    expect(dueFieldDate(trigger, 'Europe/Berlin', new Date('2026-03-02T08:00:00Z'))).toBe('2026-03-09');
    expect(dueFieldDate(trigger, 'Europe/Berlin', new Date('2026-03-02T22:59:00Z'))).toBe('2026-03-09');
  });

  it('follows the local day across midnight and the DST change', () => {
    // 23:30Z on 28 March is 00:30 on 29 March in Berlin (the night clocks go forward): before 09:00.
    expect(dueFieldDate(trigger, 'Europe/Berlin', new Date('2026-03-28T23:30:00Z'))).toBeUndefined();
    // 09:00 summer time is 07:00Z.
    expect(dueFieldDate(trigger, 'Europe/Berlin', new Date('2026-03-29T07:00:00Z'))).toBe('2026-04-05');
    expect(dueFieldDate(trigger, 'Europe/Berlin', new Date('2026-03-29T06:59:00Z'))).toBeUndefined();
  });

  it('moves forward for a date in the past (offset after the date)', () => {
    const after = { ...trigger, offsetDays: 2, time: '00:00' };
    expect(dueFieldDate(after, 'UTC', new Date('2026-03-02T00:00:00Z'))).toBe('2026-02-28');
  });
});
