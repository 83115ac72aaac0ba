// When a wave's message is due for one patient: the timing marketing types ("T-14d 09:00" relative to
// the cohort's cutover date, or an absolute instant), and the arithmetic that turns a local wall-clock
// time in a patient's IANA zone into an instant. Pure: no database, no clock.
//
// DST rule (applies everywhere a local time becomes an instant, quiet hours included):
// - a local time that does not exist (the spring-forward gap) is moved forward by the length of the gap,
//   so it keeps its wall-clock minute on the far side: 02:30 on 2026-03-08 in New York is sent at 03:30;
// - a local time that happens twice (fall-back) is sent at its first occurrence: 01:30 on 2026-11-01 in
//   New York is sent at 01:30 EDT, not an hour later at 01:30 EST.
// This is what Temporal calls the 'compatible' disambiguation, and what RFC 5545 asks of calendars.

export type WaveTiming =
  | { kind: 'relative'; offsetDays: number; localTime: string /* HH:MM */ }
  | { kind: 'absolute'; sendAt: Date };

export const MAX_OFFSET_DAYS = 365;

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const EXAMPLES = 'like T-14d 09:00 (14 days before cutover) or 2026-12-01T15:00:00Z';

/** Parses a wave's timing as staff type it; a reason in plain English when it cannot. */
export function parseWaveTiming(input: string): WaveTiming | { error: string } {
  // Word processors turn "-" into a minus sign or dash; people paste from them.
  const text = input.trim().replace(/[\u2012-\u2015\u2212]/g, '-');
  if (text === '') return { error: `Enter when to send, ${EXAMPLES}.` };
  if (/^t(?![a-z])/i.test(text)) return parseRelative(text);
  if (/^\d/.test(text)) return parseAbsolute(text);
  return { error: `We couldn't read "${input.trim()}". Write it ${EXAMPLES}.` };
}

function parseRelative(text: string): WaveTiming | { error: string } {
  const match = /^t\s*(?:([+-])\s*(\d*)\s*([a-z]*))?\s*(.*)$/i.exec(text);
  if (!match) return { error: `We couldn't read "${text}". Write it ${EXAMPLES}.` };
  const [, sign, digits, unit, timeText = ''] = match;
  let offsetDays = 0;
  if (sign !== undefined) {
    if (!digits) {
      return { error: `After "${sign}", write a number of days, like T${sign}3d 09:00.` };
    }
    if (unit?.toLowerCase() !== 'd') {
      return {
        error: unit
          ? `Only days can be counted: write ${digits}d, like T${sign}${digits}d 09:00.`
          : `Add "d" after the number of days, like T${sign}${digits}d 09:00.`,
      };
    }
    const days = Number(digits);
    if (days > MAX_OFFSET_DAYS) {
      return { error: `A wave can be at most ${MAX_OFFSET_DAYS} days before or after cutover.` };
    }
    // `|| 0` keeps "T-0d" from becoming -0.
    offsetDays = (sign === '-' ? -days : days) || 0;
  }
  if (timeText === '') {
    return { error: 'Add the time of day to send, like T-14d 09:00.' };
  }
  const localTime = parseClock(timeText);
  if ('error' in localTime) return localTime;
  return { kind: 'relative', offsetDays, localTime: localTime.time };
}

function parseClock(text: string): { time: string } | { error: string } {
  const match = /^(\d{1,2}):(\d{2})$/.exec(text);
  if (!match) {
    return { error: `Write the time of day as hours and minutes on a 24-hour clock, like 09:00 or 18:30.` };
  }
  const hour = Number(match[1]);
  const minute = Number(match[2]);
  if (hour > 23 || minute > 59) return { error: 'The time of day must be between 00:00 and 23:59.' };
  return { time: `${pad2(hour)}:${pad2(minute)}` };
}

const ABSOLUTE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[t ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?\s*(z|[+-]\d{2}(?::?\d{2})?)?$/i;

function parseAbsolute(text: string): WaveTiming | { error: string } {
  const match = ABSOLUTE.exec(text);
  if (!match) return { error: `We couldn't read "${text}" as a date and time. Write it ${EXAMPLES}.` };
  const [, y, mo, d, h, mi, s = '0', fraction = '', zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (!isCalendarDate(year, month, day)) return { error: `${y}-${mo}-${d} is not a date on the calendar.` };
  if (h === undefined || mi === undefined) {
    return { error: 'Add the time to send after the date, like 2026-12-01T15:00:00Z.' };
  }
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (hour > 23 || minute > 59 || second > 59) {
    return { error: 'The time of day must be between 00:00 and 23:59.' };
  }
  if (zone === undefined) {
    return {
      error:
        'Add the time zone: Z for UTC (2026-12-01T15:00:00Z) or an offset (2026-12-01T10:00:00-05:00). ' +
        'For "9 a.m. wherever each patient is", use a time relative to cutover, like T-14d 09:00.',
    };
  }
  let offsetMinutes = 0;
  if (zone.toLowerCase() !== 'z') {
    const zoneMatch = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
    const zoneHours = Number(zoneMatch[2]);
    const zoneMinutes = Number(zoneMatch[3] ?? '0');
    if (zoneHours > 14 || zoneMinutes > 59 || (zoneHours === 14 && zoneMinutes > 0)) {
      return { error: `The offset ${zone} is not a real time zone offset (they run from -12:00 to +14:00).` };
    }
    offsetMinutes = (zoneMatch[1] === '-' ? -1 : 1) * (zoneHours * 60 + zoneMinutes);
  }
  const ms = Number(fraction.padEnd(3, '0'));
  const wallClock = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  return { kind: 'absolute', sendAt: new Date(wallClock - offsetMinutes * MINUTE_MS) };
}

/** The canonical text of a timing; parseWaveTiming reads it back to the same timing. */
export function formatWaveTiming(timing: WaveTiming): string {
  if (timing.kind === 'absolute') {
    // Whole seconds are the rule; keep milliseconds only when there are some, so nothing is lost.
    return timing.sendAt.toISOString().replace('.000Z', 'Z');
  }
  const { offsetDays, localTime } = timing;
  if (offsetDays === 0) return `T ${localTime}`;
  return `T${offsetDays > 0 ? '+' : '-'}${Math.abs(offsetDays)}d ${localTime}`;
}

/**
 * The instant at which it is `localTime` on `cutoverDate + offsetDays` in `timeZone`, by the DST rule
 * at the top of this file. Throws RangeError for a malformed date or time or an unknown zone (callers
 * pass values that were validated when stored). Results are cached per (zone, date, offset, time):
 * a wave calls this once per patient, and patients share a handful of zones.
 */
export function localSendTime(
  cutoverDate: string,
  offsetDays: number,
  localTime: string,
  timeZone: string,
): Date {
  const key = `${timeZone}\n${cutoverDate}\n${offsetDays}\n${localTime}`;
  let ms = sendTimeCache.get(key);
  if (ms === undefined) {
    const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(cutoverDate);
    const time = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(localTime);
    if (!date || !isCalendarDate(Number(date[1]), Number(date[2]), Number(date[3]))) {
      throw new RangeError(`Not a YYYY-MM-DD date: ${JSON.stringify(cutoverDate)}`);
    }
    if (!time) throw new RangeError(`Not an HH:MM time: ${JSON.stringify(localTime)}`);
    if (!Number.isInteger(offsetDays) || Math.abs(offsetDays) > MAX_OFFSET_DAYS) {
      throw new RangeError(`Offset out of range: ${offsetDays}`);
    }
    ms = wallClockToEpochMs(
      timeZone,
      Number(date[1]),
      Number(date[2]),
      Number(date[3]) + offsetDays,
      Number(time[1]) * 60 + Number(time[2]),
    );
    if (sendTimeCache.size >= SEND_TIME_CACHE_LIMIT) sendTimeCache.clear();
    sendTimeCache.set(key, ms);
  }
  return new Date(ms);
}

const SEND_TIME_CACHE_LIMIT = 50_000;
const sendTimeCache = new Map<string, number>();

/** When one patient's message of this wave is due; null for a relative wave whose cohort has no date yet. */
export function waveSendTimeFor(
  timing: WaveTiming,
  cutoverDate: string | null,
  timeZone: string,
): Date | null {
  if (timing.kind === 'absolute') return new Date(timing.sendAt.getTime());
  if (cutoverDate === null) return null;
  return localSendTime(cutoverDate, timing.offsetDays, timing.localTime, timeZone);
}

// ---- Zone arithmetic shared with quiet-hours.ts ----

/**
 * The instant (epoch ms) at which the wall clock in `timeZone` reads `minuteOfDay` on the given
 * calendar day, by the DST rule above. `day` may overflow the month (Date.UTC normalises it).
 */
export function wallClockToEpochMs(
  timeZone: string,
  year: number,
  month: number,
  day: number,
  minuteOfDay: number,
): number {
  // The wall-clock reading written as if it were UTC; the answer is this minus the zone's offset.
  const wall = Date.UTC(year, month - 1, day, 0, minuteOfDay);
  // Offsets a day either side bracket any transition near this time (zones change at most twice a year).
  const before = zoneOffsetMs(timeZone, wall - DAY_MS);
  const after = zoneOffsetMs(timeZone, wall + DAY_MS);
  const early = wall - before;
  if (before === after) return early;
  const late = wall - after;
  const earlyFits = early + zoneOffsetMs(timeZone, early) === wall;
  const lateFits = late + zoneOffsetMs(timeZone, late) === wall;
  if (earlyFits && lateFits) return Math.min(early, late); // repeated: first occurrence
  if (earlyFits) return early;
  if (lateFits) return late;
  // In the gap: read with the offset from before the change, which lands the same distance past the
  // gap as the time was into it (02:30 → 03:30 for a one-hour gap).
  return early;
}

export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  /** Minutes since local midnight, 0–1439. */
  minuteOfDay: number;
  /** 0 = Sunday … 6 = Saturday, of the local date. */
  weekday: number;
}

/** The wall-clock date and time in `timeZone` at the instant `epochMs`. */
export function localDateTime(timeZone: string, epochMs: number): LocalDateTime {
  const wall = epochMs + zoneOffsetMs(timeZone, epochMs);
  const date = new Date(wall);
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    minuteOfDay: date.getUTCHours() * 60 + date.getUTCMinutes(),
    weekday: date.getUTCDay(),
  };
}

/** The zone's UTC offset (wall clock minus UTC, in ms) at the instant `epochMs`. */
export function zoneOffsetMs(timeZone: string, epochMs: number): number {
  const seconds = Math.floor(epochMs / 1000) * 1000;
  let year = 0;
  let month = 0;
  let day = 0;
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const part of formatterFor(timeZone).formatToParts(seconds)) {
    switch (part.type) {
      case 'year':
        year = Number(part.value);
        break;
      case 'month':
        month = Number(part.value);
        break;
      case 'day':
        day = Number(part.value);
        break;
      case 'hour':
        hour = Number(part.value);
        break;
      case 'minute':
        minute = Number(part.value);
        break;
      case 'second':
        second = Number(part.value);
        break;
    }
  }
  return Date.UTC(year, month - 1, day, hour, minute, second) - seconds;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    // Throws RangeError for a zone ICU does not know.
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

export function isCalendarDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

export function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
