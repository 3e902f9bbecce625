import type { WorkingHours } from '../../shared/db/schema.js';

/*
 * Working-hours arithmetic in a named time zone. Hand-written on top of Intl (which carries the
 * IANA time-zone database in Node's full ICU) instead of adding luxon or date-fns-tz: we need only
 * "local weekday and time of an instant" and "the instant of a local wall time", and both are a
 * few lines with Intl. Every local wall time is converted with its own UTC offset, so intervals
 * on either side of a daylight-saving change come out right.
 */

const MINUTE = 60_000;
const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when the name is an IANA time zone this runtime knows. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 1 = Monday … 7 = Sunday */
  weekday: number;
}

/** The wall-clock date and time of an instant in a time zone. */
export function localParts(instant: Date, timeZone: string): LocalParts {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(instant)) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    second: Number(parts.second),
    weekday: DAY_NAMES.indexOf(parts.weekday ?? '') + 1,
  };
}

/** Offset of the zone from UTC at an instant, in milliseconds (Berlin in summer: +2 h). */
function offsetAt(instant: number, timeZone: string): number {
  const p = localParts(new Date(instant), timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant of a local wall time. A time that does not exist (inside the spring-forward gap)
 * comes out shifted by the gap; a time that exists twice (autumn) gives one of its two instants.
 * Working hours never fall into those hours in practice; the result is defined either way.
 */
export function zonedTimeToUtc(
  date: { year: number; month: number; day: number },
  minuteOfDay: number,
  timeZone: string,
): Date {
  const guess = Date.UTC(date.year, date.month - 1, date.day, 0, minuteOfDay);
  const first = offsetAt(guess, timeZone);
  let t = guess - first;
  const second = offsetAt(t, timeZone);
  if (second !== first) t = guess - second;
  return new Date(t);
}

/** "09:30" → 570; "24:00" → 1440. */
export function parseClock(value: string): number {
  const m = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(value);
  if (!m) throw new Error(`not a time of day: ${value}`);
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  if (minutes > 1440) throw new Error(`not a time of day: ${value}`);
  return minutes;
}

/** A calendar: working hours in a time zone. No intervals at all means "always". */
export interface Calendar {
  timeZone: string;
  hours: WorkingHours;
}

export function isAlwaysOpen(calendar: Calendar): boolean {
  return Object.values(calendar.hours).every((list) => !list || list.length === 0);
}

/** Checks a working-hours object: weekday keys 1–7, intervals "HH:MM" with from < to. */
export function validateWorkingHours(hours: unknown): hours is WorkingHours {
  if (typeof hours !== 'object' || hours === null || Array.isArray(hours)) return false;
  for (const [day, list] of Object.entries(hours)) {
    if (!/^[1-7]$/.test(day) || !Array.isArray(list)) return false;
    for (const interval of list) {
      if (!Array.isArray(interval) || interval.length !== 2) return false;
      try {
        if (parseClock(String(interval[0])) >= parseClock(String(interval[1]))) return false;
      } catch {
        return false;
      }
    }
  }
  return true;
}

function addDays(date: { year: number; month: number; day: number }, n: number) {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + n));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    weekday: ((d.getUTCDay() + 6) % 7) + 1,
  };
}

/** The working intervals (as instants) of each local day from the day of `from`, in order. */
function* intervalsFrom(from: Date, calendar: Calendar, maxDays = 400): Generator<[number, number]> {
  const start = localParts(from, calendar.timeZone);
  for (let i = -1; i < maxDays; i++) {
    const day = addDays(start, i);
    const list = calendar.hours[String(day.weekday) as keyof WorkingHours] ?? [];
    const sorted = [...list].sort((a, b) => parseClock(a[0]) - parseClock(b[0]));
    for (const [a, b] of sorted) {
      const s = zonedTimeToUtc(day, parseClock(a), calendar.timeZone).getTime();
      const e = zonedTimeToUtc(day, parseClock(b), calendar.timeZone).getTime();
      if (e > from.getTime() && e > s) yield [Math.max(s, from.getTime()), e];
    }
  }
}

/** True when the instant falls inside the calendar's working hours. */
export function isWorkingAt(instant: Date, calendar: Calendar): boolean {
  if (isAlwaysOpen(calendar)) return true;
  for (const [s] of intervalsFrom(instant, calendar, 2)) return s <= instant.getTime();
  return false;
}

/** The first instant at or after `instant` that is working time (null if the calendar never opens). */
export function nextWorkingStart(instant: Date, calendar: Calendar): Date | null {
  if (isAlwaysOpen(calendar)) return instant;
  for (const [s] of intervalsFrom(instant, calendar, 14)) return new Date(s);
  return null;
}

/**
 * The instant when `minutes` of working time have passed after `start` (SLA deadlines). Time
 * outside the calendar's hours does not count; an always-open calendar counts wall time.
 */
export function addWorkingMinutes(start: Date, minutes: number, calendar: Calendar): Date {
  if (isAlwaysOpen(calendar)) return new Date(start.getTime() + minutes * MINUTE);
  let left = minutes * MINUTE;
  if (left <= 0) return nextWorkingStart(start, calendar) ?? start;
  for (const [s, e] of intervalsFrom(start, calendar)) {
    if (e - s >= left) return new Date(s + left);
    left -= e - s;
  }
  return new Date(start.getTime() + minutes * MINUTE);
}
