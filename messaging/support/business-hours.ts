// The calendars SLA clocks on support tickets run on: the support desk's business hours in its own zone,
// or around the clock for clinical queues. Pure: no database, no clock; every function takes its instants.
//
// - A working minute is a real elapsed minute inside an open window. Each local day's window is turned
//   into instants with the DST rule in ../waves/timing.ts, so an 08:00–18:00 day is 10 hours on both DST
//   changes, while an 00:00–23:59 day is an hour shorter on spring-forward and an hour longer on fall-back.
// - Windows are half-open: the desk is open at its opening minute and closed at its closing minute.
import { isCalendarDate, localDateTime, pad2, wallClockToEpochMs, zoneOffsetMs } from '../waves/timing.ts';

export interface BusinessHours {
  /** IANA zone the hours are in, e.g. 'America/New_York'. */
  timeZone: string;
  /** Open days, 0 = Sunday … 6 = Saturday. */
  days: readonly number[];
  /** Opening and closing wall-clock times 'HH:MM' (close > open, same day). */
  open: string;
  close: string;
  /** Dates 'YYYY-MM-DD' (in timeZone) the desk is closed. */
  holidays?: readonly string[];
}

export type SlaCalendar = { kind: 'always' } | { kind: 'business'; hours: BusinessHours };

/**
 * How far a walk over the calendar may go, in days. Ten years is far beyond any SLA; hitting it means the
 * calendar (or the number of minutes) is wrong, and a clear error beats a loop that never ends.
 */
export const MAX_CALENDAR_DAYS = 3_660;

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;

const EXAMPLE = 'like Mon-Fri 08:00-18:00';

/**
 * Parses SUPPORT_HOURS like 'Mon-Fri 08:00-18:00' or 'Mon-Sat 09:00-17:30' or 'Mon,Wed,Fri 08:00-12:00';
 * a plain-English error otherwise.
 */
export function parseBusinessHours(
  input: string,
  timeZone: string,
  holidays?: readonly string[],
): BusinessHours | { error: string } {
  // Word processors turn "-" into a minus sign or dash; people paste from them.
  const text = input.trim().replace(/[\u2012-\u2015\u2212]/g, '-');
  if (text === '') return { error: `Enter the support hours, ${EXAMPLE}.` };
  const firstDigit = text.search(/\d/);
  if (firstDigit === -1) {
    return { error: `Add the opening and closing times after the days, ${EXAMPLE}.` };
  }
  const dayText = text.slice(0, firstDigit).trim();
  if (dayText === '') return { error: `Start with the days the desk is open, ${EXAMPLE}.` };

  const days = parseDays(dayText);
  if ('error' in days) return days;
  const times = parseTimes(text.slice(firstDigit).trim());
  if ('error' in times) return times;

  try {
    zoneOffsetMs(timeZone, 0);
  } catch {
    return { error: `We don't know the time zone "${timeZone}". Use a name like America/New_York.` };
  }
  for (const holiday of holidays ?? []) {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(holiday);
    if (!match) {
      return {
        error: `We couldn't read the holiday "${holiday}". Write holidays as YYYY-MM-DD, like 2026-12-25.`,
      };
    }
    if (!isCalendarDate(Number(match[1]), Number(match[2]), Number(match[3]))) {
      return { error: `The holiday ${holiday} is not a date on the calendar.` };
    }
  }

  return {
    timeZone,
    days: days.days,
    open: times.open,
    close: times.close,
    ...(holidays === undefined ? {} : { holidays: [...holidays] }),
  };
}

function parseDays(text: string): { days: number[] } | { error: string } {
  const open = new Set<number>();
  for (const item of text.split(',').map((part) => part.trim())) {
    if (item === '') {
      return {
        error: `We couldn't read the days "${text}". List them with commas, like Mon,Wed,Fri, or give a range, like Mon-Fri.`,
      };
    }
    const ends = item.split('-').map((part) => part.trim());
    if (ends.length > 2 || ends.some((end) => end === '')) {
      return {
        error: `Write a range of days as two days with a dash between them, like Mon-Fri (not "${item}").`,
      };
    }
    const numbers: number[] = [];
    for (const end of ends) {
      const day = dayNumber(end);
      if (day === null) {
        return {
          error: `"${end}" is not a day of the week. Write days as Mon, Tue, Wed, Thu, Fri, Sat or Sun.`,
        };
      }
      numbers.push(day);
    }
    const first = numbers[0]!;
    const last = numbers[numbers.length - 1]!;
    // A range may run through the weekend: Sat-Sun and Fri-Mon mean what they say.
    for (let day = first; ; day = (day + 1) % 7) {
      open.add(day);
      if (day === last) break;
    }
  }
  return { days: [...open].sort((a, b) => a - b) };
}

/** 'Mon', 'mon', 'Monday', 'Tues', 'Thurs': any start of the English name, at least three letters. */
function dayNumber(word: string): number | null {
  const lower = word.toLowerCase();
  if (lower.length < 3 || !/^[a-z]+$/.test(lower)) return null;
  const index = DAY_NAMES.findIndex((name) => name.startsWith(lower));
  return index === -1 ? null : index;
}

function parseTimes(text: string): { open: string; close: string } | { error: string } {
  const match = /^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$/.exec(text);
  if (!match) {
    return {
      error: `Write the hours as opening and closing times on a 24-hour clock, ${EXAMPLE} (we read "${text}").`,
    };
  }
  const [openHour, openMinute, closeHour, closeMinute] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
  ];
  for (const [hour, minute] of [
    [openHour, openMinute],
    [closeHour, closeMinute],
  ] as const) {
    if (hour > 23 || minute > 59) {
      return { error: `${pad2(hour)}:${pad2(minute)} is not a time of day: times run from 00:00 to 23:59.` };
    }
  }
  const open = `${pad2(openHour)}:${pad2(openMinute)}`;
  const close = `${pad2(closeHour)}:${pad2(closeMinute)}`;
  if (closeHour * 60 + closeMinute <= openHour * 60 + openMinute) {
    return {
      error: `The closing time (${close}) must be later in the same day than the opening time (${open}).`,
    };
  }
  return { open, close };
}

/** The instant `minutes` working minutes after `start` (start itself may be outside hours: the clock starts at the next opening). */
export function addWorkingMinutes(calendar: SlaCalendar, start: Date, minutes: number): Date {
  const from = epochOf(start, 'start');
  if (!Number.isFinite(minutes) || minutes < 0) {
    throw new RangeError(`Working minutes must be a finite number, 0 or more: ${minutes}`);
  }
  if (calendar.kind === 'always') return new Date(from + minutes * MINUTE_MS);

  const rules = rulesOf(calendar.hours);
  let remaining = minutes * MINUTE_MS;
  const first = localDateOf(rules.timeZone, from);
  // From the day before: a window only ends past local midnight if a DST gap pushed its close there.
  for (let offset = -1; offset <= MAX_CALENDAR_DAYS; offset++) {
    const window = windowOn(rules, first, offset);
    if (window === null) continue;
    const begin = Math.max(window.start, from);
    if (begin >= window.end) continue;
    // `<=`: time that runs out exactly at closing is due at closing, not at the next opening.
    if (remaining <= window.end - begin) return new Date(begin + remaining);
    remaining -= window.end - begin;
  }
  throw new Error(
    `${minutes} working minutes from ${start.toISOString()} do not fit in ${MAX_CALENDAR_DAYS} days of ` +
      `${describe(calendar.hours)}.`,
  );
}

/** Working minutes between two instants (0 when to <= from), fractional minutes allowed. */
export function workingMinutesBetween(calendar: SlaCalendar, from: Date, to: Date): number {
  const fromMs = epochOf(from, 'from');
  const toMs = epochOf(to, 'to');
  if (toMs <= fromMs) return 0;
  if (calendar.kind === 'always') return (toMs - fromMs) / MINUTE_MS;

  const rules = rulesOf(calendar.hours);
  const first = localDateOf(rules.timeZone, fromMs);
  const last = localDateOf(rules.timeZone, toMs);
  const dayCount = Math.round((last.utcMidnight - first.utcMidnight) / DAY_MS);
  if (dayCount > MAX_CALENDAR_DAYS) {
    throw new RangeError(
      `${from.toISOString()} and ${to.toISOString()} are more than ${MAX_CALENDAR_DAYS} days apart.`,
    );
  }
  let total = 0;
  for (let offset = -1; offset <= dayCount; offset++) {
    const window = windowOn(rules, first, offset);
    if (window === null) continue;
    total += Math.max(0, Math.min(window.end, toMs) - Math.max(window.start, fromMs));
  }
  return total / MINUTE_MS;
}

/** Whether the desk is open at an instant. */
export function isWorkingTime(calendar: SlaCalendar, at: Date): boolean {
  const ms = epochOf(at, 'at');
  if (calendar.kind === 'always') return true;
  const rules = rulesOf(calendar.hours);
  const day = localDateOf(rules.timeZone, ms);
  for (const offset of [-1, 0]) {
    const window = windowOn(rules, day, offset);
    if (window !== null && window.start <= ms && ms < window.end) return true;
  }
  return false;
}

/**
 * The SLA due time after a pause: the working minutes that were left at pause time are counted again from
 * `resumedAt`. A ticket already past due when it was paused keeps its due time: a pause does not undo a
 * breach, and there are no minutes left to count again.
 */
export function resumeDue(calendar: SlaCalendar, due: Date, pausedAt: Date, resumedAt: Date): Date {
  const dueMs = epochOf(due, 'due');
  const pausedMs = epochOf(pausedAt, 'pausedAt');
  const resumedMs = epochOf(resumedAt, 'resumedAt');
  if (resumedMs < pausedMs) {
    throw new RangeError(
      `Resumed at ${resumedAt.toISOString()}, before it was paused at ${pausedAt.toISOString()}.`,
    );
  }
  if (dueMs <= pausedMs) return new Date(dueMs);
  return addWorkingMinutes(calendar, resumedAt, workingMinutesBetween(calendar, pausedAt, due));
}

interface Rules {
  timeZone: string;
  days: ReadonlySet<number>;
  openMinute: number;
  closeMinute: number;
  holidays: ReadonlySet<string>;
}

/**
 * Checks hours that may not have come through parseBusinessHours (a row, a test, a hand-built object):
 * an unchecked calendar with no open days would make every walk run to its limit.
 */
function rulesOf(hours: BusinessHours): Rules {
  const days = new Set(hours.days);
  if (days.size === 0) {
    throw new Error(
      `Business hours in ${hours.timeZone} have no open days, so an SLA on them would never come due.`,
    );
  }
  for (const day of days) {
    if (!Number.isInteger(day) || day < 0 || day > 6) {
      throw new Error(`Business hours have a day ${day}; days are 0 (Sunday) to 6 (Saturday).`);
    }
  }
  const openMinute = minuteOfDay(hours.open);
  const closeMinute = minuteOfDay(hours.close);
  if (closeMinute <= openMinute) {
    throw new Error(`Business hours close (${hours.close}) no later than they open (${hours.open}).`);
  }
  // Throws RangeError for a zone ICU does not know, before any walk starts.
  zoneOffsetMs(hours.timeZone, 0);
  return { timeZone: hours.timeZone, days, openMinute, closeMinute, holidays: new Set(hours.holidays ?? []) };
}

function minuteOfDay(time: string): number {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time);
  if (!match)
    throw new Error(`Business hours have a time ${JSON.stringify(time)}; times are HH:MM, 00:00 to 23:59.`);
  return Number(match[1]) * 60 + Number(match[2]);
}

interface LocalDate {
  year: number;
  month: number;
  day: number;
  /** The local date's midnight read as UTC: day arithmetic without zone effects. */
  utcMidnight: number;
}

function localDateOf(timeZone: string, epochMs: number): LocalDate {
  const { year, month, day } = localDateTime(timeZone, epochMs);
  return { year, month, day, utcMidnight: Date.UTC(year, month - 1, day) };
}

/** The open window, in instants, of the local date `offset` days after `base`; null when closed all day. */
function windowOn(rules: Rules, base: LocalDate, offset: number): { start: number; end: number } | null {
  const date = new Date(base.utcMidnight + offset * DAY_MS);
  if (!rules.days.has(date.getUTCDay())) return null;
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + 1;
  const day = date.getUTCDate();
  if (rules.holidays.has(`${year}-${pad2(month)}-${pad2(day)}`)) return null;
  const start = wallClockToEpochMs(rules.timeZone, year, month, day, rules.openMinute);
  const end = wallClockToEpochMs(rules.timeZone, year, month, day, rules.closeMinute);
  // An opening inside a DST gap moves forward by the gap and can pass a closing just after it; such a
  // window is empty rather than negative.
  return { start, end: Math.max(start, end) };
}

function epochOf(date: Date, name: string): number {
  const ms = date.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`${name} is not a valid date.`);
  return ms;
}

function describe(hours: BusinessHours): string {
  const days = hours.days
    .map((day) => {
      const name = DAY_NAMES[day];
      return name ? name[0]!.toUpperCase() + name.slice(1, 3) : String(day);
    })
    .join(',');
  return `${days} ${hours.open}-${hours.close} in ${hours.timeZone}`;
}
