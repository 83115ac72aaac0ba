import { describe, expect, it } from 'vitest';
import { localDateTime } from '../waves/timing.ts';
import {
  addWorkingMinutes,
  isWorkingTime,
  parseBusinessHours,
  resumeDue,
  workingMinutesBetween,
  type BusinessHours,
  type SlaCalendar,
} from './business-hours.ts';

const ALWAYS: SlaCalendar = { kind: 'always' };

function business(text: string, timeZone: string, holidays?: readonly string[]): SlaCalendar {
  const hours = parseBusinessHours(text, timeZone, holidays);
  if ('error' in hours) throw new Error(hours.error);
  return { kind: 'business', hours };
}

const NEW_YORK = business('Mon-Fri 08:00-18:00', 'America/New_York');
const NEW_YORK_WITH_CHRISTMAS = business('Mon-Fri 08:00-18:00', 'America/New_York', ['2026-12-25']);
const MADRID = business('Mon-Fri 09:00-17:00', 'Europe/Madrid');
const LOS_ANGELES = business('Mon-Sat 09:00-17:30', 'America/Los_Angeles');
const NEW_YORK_ALL_DAY = business('Sun-Sat 00:00-23:59', 'America/New_York');
const NEW_YORK_EVERY_DAY = business('Sun-Sat 08:00-18:00', 'America/New_York');

const add = (calendar: SlaCalendar, startIso: string, minutes: number) =>
  addWorkingMinutes(calendar, new Date(startIso), minutes).toISOString();
const between = (calendar: SlaCalendar, fromIso: string, toIso: string) =>
  workingMinutesBetween(calendar, new Date(fromIso), new Date(toIso));

describe('addWorkingMinutes on business hours', () => {
  it('carries what is left on Friday evening over to Monday morning', () => {
    // Friday 2026-06-05 17:00 EDT: one hour on Friday, one on Monday.
    expect(add(NEW_YORK, '2026-06-05T21:00:00Z', 120)).toBe('2026-06-08T13:00:00.000Z');
  });

  it('is due at closing when the time runs out exactly then, not at the next opening', () => {
    expect(add(NEW_YORK, '2026-06-05T20:00:00Z', 120)).toBe('2026-06-05T22:00:00.000Z');
  });

  it('starts the clock at Monday 08:00 for a ticket opened on Saturday', () => {
    expect(add(NEW_YORK, '2026-06-06T16:00:00Z', 30)).toBe('2026-06-08T12:30:00.000Z');
    expect(add(NEW_YORK, '2026-06-06T16:00:00Z', 0)).toBe('2026-06-08T12:00:00.000Z');
  });

  it('starts the clock at the opening for a ticket opened before it', () => {
    // Tuesday 06:15 EDT.
    expect(add(NEW_YORK, '2026-06-09T10:15:00Z', 45)).toBe('2026-06-09T12:45:00.000Z');
  });

  it('skips a holiday', () => {
    // Thursday 2026-12-24 17:00 EST; Friday is Christmas.
    expect(add(NEW_YORK_WITH_CHRISTMAS, '2026-12-24T22:00:00Z', 120)).toBe('2026-12-28T14:00:00.000Z');
    expect(add(NEW_YORK, '2026-12-24T22:00:00Z', 120)).toBe('2026-12-25T14:00:00.000Z');
  });

  it('keeps Monday 09:00 local across the spring-forward weekend', () => {
    // Friday 2026-03-06 17:00 EST + 120 → Monday 2026-03-09 09:00 EDT.
    expect(add(NEW_YORK, '2026-03-06T22:00:00Z', 120)).toBe('2026-03-09T13:00:00.000Z');
  });

  it('keeps Monday 09:00 local across the fall-back weekend', () => {
    // Friday 2026-10-30 17:00 EDT + 120 → Monday 2026-11-02 09:00 EST.
    expect(add(NEW_YORK, '2026-10-30T21:00:00Z', 120)).toBe('2026-11-02T14:00:00.000Z');
  });

  it('counts a day open 00:00–23:59 as the real time it lasts on DST days', () => {
    // Sunday 2026-03-08 00:00 EST: 23:59 EDT is only 1,379 real minutes later.
    expect(add(NEW_YORK_ALL_DAY, '2026-03-08T05:00:00Z', 1379)).toBe('2026-03-09T03:59:00.000Z');
    // The minute after that waits out the closed minute 23:59–00:00: Monday 00:01 EDT.
    expect(add(NEW_YORK_ALL_DAY, '2026-03-08T05:00:00Z', 1380)).toBe('2026-03-09T04:01:00.000Z');
    // Sunday 2026-11-01 00:00 EDT: 23:59 EST is 1,499 real minutes later.
    expect(add(NEW_YORK_ALL_DAY, '2026-11-01T04:00:00Z', 1499)).toBe('2026-11-02T04:59:00.000Z');
  });

  it('works east of UTC (Madrid), across its own DST change', () => {
    // Friday 2026-03-27 16:00 CET; Europe springs forward on Sunday the 29th; Monday 10:00 CEST.
    expect(add(MADRID, '2026-03-27T15:00:00Z', 120)).toBe('2026-03-30T08:00:00.000Z');
    // Monday 00:30 in Madrid is still Sunday in UTC: the desk's own date decides.
    expect(add(MADRID, '2026-06-07T22:30:00Z', 60)).toBe('2026-06-08T08:00:00.000Z');
  });

  it('works west of UTC (Los Angeles), where Saturday evening is already Sunday in UTC', () => {
    // Saturday 2026-06-13 17:00 PDT: half an hour on Saturday, then Monday 09:00–09:30.
    expect(add(LOS_ANGELES, '2026-06-14T00:00:00Z', 60)).toBe('2026-06-15T16:30:00.000Z');
    // Saturday 2026-10-31 17:00 PDT; Monday 2026-11-02 09:30 PST.
    expect(add(LOS_ANGELES, '2026-11-01T00:00:00Z', 60)).toBe('2026-11-02T17:30:00.000Z');
  });

  it('handles fractional minutes', () => {
    expect(add(NEW_YORK, '2026-06-05T21:59:30Z', 1.5)).toBe('2026-06-08T12:01:00.000Z');
  });

  it('refuses negative or non-finite minutes', () => {
    expect(() => add(NEW_YORK, '2026-06-05T21:00:00Z', -1)).toThrow(
      new RangeError('Working minutes must be a finite number, 0 or more: -1'),
    );
    expect(() => add(NEW_YORK, '2026-06-05T21:00:00Z', Number.NaN)).toThrow(RangeError);
  });

  it('refuses a calendar with no open days instead of looping', () => {
    const closed: SlaCalendar = {
      kind: 'business',
      hours: { timeZone: 'America/New_York', days: [], open: '08:00', close: '18:00' },
    };
    expect(() => add(closed, '2026-06-05T21:00:00Z', 10)).toThrow(
      'Business hours in America/New_York have no open days, so an SLA on them would never come due.',
    );
    expect(() => between(closed, '2026-06-05T21:00:00Z', '2026-06-08T21:00:00Z')).toThrow(/no open days/);
    expect(() => isWorkingTime(closed, new Date('2026-06-05T21:00:00Z'))).toThrow(/no open days/);
  });

  it('stops after ten years of calendar with a clear error', () => {
    expect(() => add(NEW_YORK, '2026-06-05T21:00:00Z', 2_000_000)).toThrow(
      '2000000 working minutes from 2026-06-05T21:00:00.000Z do not fit in 3660 days of ' +
        'Mon,Tue,Wed,Thu,Fri 08:00-18:00 in America/New_York.',
    );
  });
});

describe('addWorkingMinutes on a 24/7 calendar', () => {
  it('counts real elapsed time over the spring-forward night', () => {
    // 2026-03-08 01:00 EST + 2 hours = 04:00 EDT.
    const due = addWorkingMinutes(ALWAYS, new Date('2026-03-08T06:00:00Z'), 120);
    expect(due.toISOString()).toBe('2026-03-08T08:00:00.000Z');
    expect(localDateTime('America/New_York', due.getTime()).minuteOfDay).toBe(4 * 60);
  });

  it('counts real elapsed time over the fall-back night', () => {
    // 2026-11-01 00:30 EDT + 2 hours = 01:30 EST (the second 01:30 of that night).
    expect(add(ALWAYS, '2026-11-01T04:30:00Z', 120)).toBe('2026-11-01T06:30:00.000Z');
  });
});

describe('workingMinutesBetween', () => {
  it('counts only open hours', () => {
    expect(between(NEW_YORK, '2026-06-05T21:00:00Z', '2026-06-08T13:00:00Z')).toBe(120);
    // A whole weekend.
    expect(between(NEW_YORK, '2026-06-05T22:00:00Z', '2026-06-08T12:00:00Z')).toBe(0);
    // Monday to Monday: five days of ten hours.
    expect(between(NEW_YORK, '2026-06-08T04:00:00Z', '2026-06-15T04:00:00Z')).toBe(5 * 600);
  });

  it('is 0 when `to` is not after `from`', () => {
    expect(between(NEW_YORK, '2026-06-08T15:00:00Z', '2026-06-08T14:00:00Z')).toBe(0);
    expect(between(NEW_YORK, '2026-06-08T15:00:00Z', '2026-06-08T15:00:00Z')).toBe(0);
    expect(between(ALWAYS, '2026-06-08T15:00:00Z', '2026-06-08T14:00:00Z')).toBe(0);
  });

  it('keeps an 08:00–18:00 day at ten hours on both DST days', () => {
    expect(between(NEW_YORK_EVERY_DAY, '2026-03-08T05:00:00Z', '2026-03-09T04:00:00Z')).toBe(600);
    expect(between(NEW_YORK_EVERY_DAY, '2026-11-01T04:00:00Z', '2026-11-02T05:00:00Z')).toBe(600);
  });

  it('counts a 00:00–23:59 day as 23 or 25 hours (less a minute) on DST days', () => {
    expect(between(NEW_YORK_ALL_DAY, '2026-03-07T05:00:00Z', '2026-03-08T05:00:00Z')).toBe(1439);
    expect(between(NEW_YORK_ALL_DAY, '2026-03-08T05:00:00Z', '2026-03-09T04:00:00Z')).toBe(1379);
    expect(between(NEW_YORK_ALL_DAY, '2026-11-01T04:00:00Z', '2026-11-02T05:00:00Z')).toBe(1499);
  });

  it('counts real elapsed minutes on a 24/7 calendar, fractions included', () => {
    expect(between(ALWAYS, '2026-03-08T05:00:00Z', '2026-03-09T04:00:00Z')).toBe(23 * 60);
    expect(between(ALWAYS, '2026-06-08T15:00:00Z', '2026-06-08T15:00:45Z')).toBe(0.75);
  });

  it('skips holidays', () => {
    expect(between(NEW_YORK_WITH_CHRISTMAS, '2026-12-24T05:00:00Z', '2026-12-26T05:00:00Z')).toBe(600);
  });

  it('refuses instants more than ten years apart', () => {
    expect(() => between(NEW_YORK, '2026-01-01T00:00:00Z', '2037-01-01T00:00:00Z')).toThrow(
      new RangeError('2026-01-01T00:00:00.000Z and 2037-01-01T00:00:00.000Z are more than 3660 days apart.'),
    );
  });

  it.each([
    ['New York, Friday evening', NEW_YORK, '2026-06-05T21:00:00Z', 120],
    ['New York, Saturday', NEW_YORK, '2026-06-06T16:00:00Z', 30],
    ['New York, before opening', NEW_YORK, '2026-06-09T10:15:00Z', 45],
    ['New York, across spring-forward', NEW_YORK, '2026-03-06T22:00:00Z', 120],
    ['New York, across fall-back', NEW_YORK, '2026-10-30T21:00:00Z', 120],
    ['New York, three weeks over spring-forward', NEW_YORK_ALL_DAY, '2026-02-27T12:00:00Z', 30_000],
    ['New York, a fraction of a minute', NEW_YORK, '2026-06-05T21:59:30Z', 1.5],
    ['New York, over Christmas', NEW_YORK_WITH_CHRISTMAS, '2026-12-24T22:00:00Z', 700],
    ['Madrid, across its spring-forward', MADRID, '2026-03-27T15:00:00Z', 120],
    ['Madrid, a month', MADRID, '2026-10-01T07:00:00Z', 9_000],
    ['Los Angeles, Saturday evening', LOS_ANGELES, '2026-06-14T00:00:00Z', 60],
    ['Los Angeles, across fall-back', LOS_ANGELES, '2026-10-30T20:00:00Z', 1_000],
    ['24/7, across spring-forward', ALWAYS, '2026-03-08T06:00:00Z', 120],
  ] as const)('undoes addWorkingMinutes: %s', (_, calendar, startIso, minutes) => {
    const start = new Date(startIso);
    const due = addWorkingMinutes(calendar, start, minutes);
    expect(workingMinutesBetween(calendar, start, due)).toBe(minutes);
  });
});

describe('isWorkingTime', () => {
  it.each([
    ['2026-06-08T11:59:00Z', false], // Monday 07:59 EDT
    ['2026-06-08T12:00:00Z', true], // Monday 08:00: the opening minute is open
    ['2026-06-08T21:59:00Z', true], // Monday 17:59
    ['2026-06-08T22:00:00Z', false], // Monday 18:00: the closing minute is closed
    ['2026-06-06T16:00:00Z', false], // Saturday noon
    ['2026-12-25T15:00:00Z', false], // Christmas, a Friday
    ['2026-12-24T15:00:00Z', true], // Christmas Eve, a Thursday
  ])('New York at %s: %s', (iso, open) => {
    expect(isWorkingTime(NEW_YORK_WITH_CHRISTMAS, new Date(iso))).toBe(open);
  });

  it('uses the desk’s own date east and west of UTC', () => {
    // Monday 09:00 CEST is 07:00Z; Saturday 17:15 PDT is Sunday 00:15Z.
    expect(isWorkingTime(MADRID, new Date('2026-06-08T07:00:00Z'))).toBe(true);
    expect(isWorkingTime(MADRID, new Date('2026-06-08T06:59:00Z'))).toBe(false);
    expect(isWorkingTime(LOS_ANGELES, new Date('2026-06-14T00:15:00Z'))).toBe(true);
    expect(isWorkingTime(LOS_ANGELES, new Date('2026-06-14T00:30:00Z'))).toBe(false);
  });

  it('is always open on a 24/7 calendar', () => {
    expect(isWorkingTime(ALWAYS, new Date('2026-03-08T07:30:00Z'))).toBe(true);
  });
});

describe('resumeDue', () => {
  // Due Tuesday 2026-06-09 18:00 EDT, paused at 16:30: 90 working minutes left.
  const due = new Date('2026-06-09T22:00:00Z');
  const pausedAt = new Date('2026-06-09T20:30:00Z');

  it('counts the minutes left at the pause again from the resume', () => {
    // Resumed Wednesday 10:00 EDT → due 11:30 EDT.
    expect(resumeDue(NEW_YORK, due, pausedAt, new Date('2026-06-10T14:00:00Z')).toISOString()).toBe(
      '2026-06-10T15:30:00.000Z',
    );
  });

  it('carries the minutes left past closing to the next working day', () => {
    // Resumed Wednesday 17:00 EDT: 60 minutes that day, 30 on Thursday.
    expect(resumeDue(NEW_YORK, due, pausedAt, new Date('2026-06-10T21:00:00Z')).toISOString()).toBe(
      '2026-06-11T12:30:00.000Z',
    );
  });

  it('counts only working minutes left when paused outside hours', () => {
    // Due Monday 09:00 EDT, paused Saturday: 60 working minutes left; resumed Monday 08:00.
    expect(
      resumeDue(
        NEW_YORK,
        new Date('2026-06-08T13:00:00Z'),
        new Date('2026-06-06T16:00:00Z'),
        new Date('2026-06-08T12:00:00Z'),
      ).toISOString(),
    ).toBe('2026-06-08T13:00:00.000Z');
  });

  it('counts real minutes on a 24/7 calendar', () => {
    expect(resumeDue(ALWAYS, due, pausedAt, new Date('2026-06-10T03:00:00Z')).toISOString()).toBe(
      '2026-06-10T04:30:00.000Z',
    );
  });

  it('keeps the due time of a ticket already past due when paused', () => {
    expect(
      resumeDue(
        NEW_YORK,
        due,
        new Date('2026-06-09T22:30:00Z'),
        new Date('2026-06-10T14:00:00Z'),
      ).toISOString(),
    ).toBe('2026-06-09T22:00:00.000Z');
  });

  it('refuses a resume before the pause', () => {
    expect(() => resumeDue(NEW_YORK, due, pausedAt, new Date('2026-06-09T20:00:00Z'))).toThrow(
      new RangeError(
        'Resumed at 2026-06-09T20:00:00.000Z, before it was paused at 2026-06-09T20:30:00.000Z.',
      ),
    );
  });
});

describe('parseBusinessHours', () => {
  it.each([
    ['Mon-Fri 08:00-18:00', [1, 2, 3, 4, 5], '08:00', '18:00'],
    ['Mon-Sat 09:00-17:30', [1, 2, 3, 4, 5, 6], '09:00', '17:30'],
    ['Mon,Wed,Fri 08:00-12:00', [1, 3, 5], '08:00', '12:00'],
    ['  mon - fri  8:00 - 18:00 ', [1, 2, 3, 4, 5], '08:00', '18:00'],
    // What a word processor makes of "Mon-Fri 08:00-18:00".
    ['Mon\u2013Fri 08:00\u201318:00', [1, 2, 3, 4, 5], '08:00', '18:00'],
    ['Monday-Thurs 07:30-19:00', [1, 2, 3, 4], '07:30', '19:00'],
    ['Sun-Thu 08:00-16:00', [0, 1, 2, 3, 4], '08:00', '16:00'],
    // Ranges may run through the weekend.
    ['Sat-Sun 10:00-14:00', [0, 6], '10:00', '14:00'],
    ['Fri-Mon 10:00-14:00', [0, 1, 5, 6], '10:00', '14:00'],
    ['Mon-Wed, Fri 09:00-17:00', [1, 2, 3, 5], '09:00', '17:00'],
    ['Sun-Sat 00:00-23:59', [0, 1, 2, 3, 4, 5, 6], '00:00', '23:59'],
  ])('reads %j', (text, days, open, close) => {
    expect(parseBusinessHours(text, 'America/New_York')).toEqual({
      timeZone: 'America/New_York',
      days,
      open,
      close,
    });
  });

  it('keeps the zone and holidays it is given', () => {
    const hours: BusinessHours | { error: string } = parseBusinessHours(
      'Mon-Fri 09:00-17:00',
      'Europe/Madrid',
      ['2026-12-25', '2027-01-06'],
    );
    expect(hours).toEqual({
      timeZone: 'Europe/Madrid',
      days: [1, 2, 3, 4, 5],
      open: '09:00',
      close: '17:00',
      holidays: ['2026-12-25', '2027-01-06'],
    });
  });

  it.each([
    ['', 'Enter the support hours, like Mon-Fri 08:00-18:00.'],
    ['   ', 'Enter the support hours, like Mon-Fri 08:00-18:00.'],
    ['Mon-Fri', 'Add the opening and closing times after the days, like Mon-Fri 08:00-18:00.'],
    ['08:00-18:00', 'Start with the days the desk is open, like Mon-Fri 08:00-18:00.'],
    [
      'Mon-Fry 08:00-18:00',
      '"Fry" is not a day of the week. Write days as Mon, Tue, Wed, Thu, Fri, Sat or Sun.',
    ],
    [
      'Mo-Fr 08:00-18:00',
      '"Mo" is not a day of the week. Write days as Mon, Tue, Wed, Thu, Fri, Sat or Sun.',
    ],
    [
      'Mon- 08:00-18:00',
      'Write a range of days as two days with a dash between them, like Mon-Fri (not "Mon-").',
    ],
    [
      'Mon-Wed-Fri 08:00-18:00',
      'Write a range of days as two days with a dash between them, like Mon-Fri (not "Mon-Wed-Fri").',
    ],
    [
      'Mon,,Fri 08:00-18:00',
      'We couldn\'t read the days "Mon,,Fri". List them with commas, like Mon,Wed,Fri, or give a range, like Mon-Fri.',
    ],
    [
      'Mon-Fri 8am-6pm',
      'Write the hours as opening and closing times on a 24-hour clock, like Mon-Fri 08:00-18:00 (we read "8am-6pm").',
    ],
    [
      'Mon-Fri 08:00',
      'Write the hours as opening and closing times on a 24-hour clock, like Mon-Fri 08:00-18:00 (we read "08:00").',
    ],
    ['Mon-Fri 08:00-24:00', '24:00 is not a time of day: times run from 00:00 to 23:59.'],
    ['Mon-Fri 08:60-18:00', '08:60 is not a time of day: times run from 00:00 to 23:59.'],
    [
      'Mon-Fri 18:00-08:00',
      'The closing time (08:00) must be later in the same day than the opening time (18:00).',
    ],
    [
      'Mon-Fri 09:00-09:00',
      'The closing time (09:00) must be later in the same day than the opening time (09:00).',
    ],
  ])('rejects %j', (text, error) => {
    expect(parseBusinessHours(text, 'America/New_York')).toEqual({ error });
  });

  it('rejects a zone it does not know', () => {
    expect(parseBusinessHours('Mon-Fri 08:00-18:00', 'America/Springfield')).toEqual({
      error: 'We don\'t know the time zone "America/Springfield". Use a name like America/New_York.',
    });
  });

  it('rejects holidays that are not dates', () => {
    expect(parseBusinessHours('Mon-Fri 08:00-18:00', 'America/New_York', ['12/25/2026'])).toEqual({
      error: 'We couldn\'t read the holiday "12/25/2026". Write holidays as YYYY-MM-DD, like 2026-12-25.',
    });
    expect(parseBusinessHours('Mon-Fri 08:00-18:00', 'America/New_York', ['2026-02-30'])).toEqual({
      error: 'The holiday 2026-02-30 is not a date on the calendar.',
    });
  });
});
