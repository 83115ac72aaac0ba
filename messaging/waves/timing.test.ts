import { describe, expect, it } from 'vitest';
import {
  formatWaveTiming,
  localSendTime,
  parseWaveTiming,
  waveSendTimeFor,
  type WaveTiming,
} from './timing.ts';

describe('parseWaveTiming', () => {
  it.each([
    ['T-14d 09:00', -14, '09:00'],
    ['T+3d 10:30', 3, '10:30'],
    ['T 09:00', 0, '09:00'],
    ['T-1d 9:00', -1, '09:00'],
    ['  t+365d 23:59 ', 365, '23:59'],
    ['T-365d 00:00', -365, '00:00'],
    ['T-0d 08:00', 0, '08:00'],
    // What a word processor makes of "T-2d 09:00".
    ['T\u22122d 09:00', -2, '09:00'],
    ['T \u2013 2 d 09:00', -2, '09:00'],
    ['T+3d10:30', 3, '10:30'],
  ])('reads %j as %i days at %s', (input, offsetDays, localTime) => {
    const parsed = parseWaveTiming(input);
    expect(parsed).toEqual({ kind: 'relative', offsetDays, localTime });
    // -0 would print as "T-0d"; it must be a plain 0.
    if ('kind' in parsed && parsed.kind === 'relative') expect(Object.is(parsed.offsetDays, -0)).toBe(false);
  });

  it.each([
    ['2026-12-01T15:00:00Z', '2026-12-01T15:00:00.000Z'],
    ['2026-12-01T10:00:00-05:00', '2026-12-01T15:00:00.000Z'],
    ['2026-12-01 10:00-0500', '2026-12-01T15:00:00.000Z'],
    ['2026-12-01T15:00Z', '2026-12-01T15:00:00.000Z'],
    ['2026-12-02T00:30:00+09:30', '2026-12-01T15:00:00.000Z'],
    ['2026-12-01t15:00:00.250z', '2026-12-01T15:00:00.250Z'],
    ['2028-02-29T12:00:00Z', '2028-02-29T12:00:00.000Z'],
  ])('reads %j as the instant %s', (input, iso) => {
    const parsed = parseWaveTiming(input);
    expect(parsed).toEqual({ kind: 'absolute', sendAt: new Date(iso) });
  });

  it.each([
    ['', 'Enter when to send, like T-14d 09:00 (14 days before cutover) or 2026-12-01T15:00:00Z.'],
    ['   ', 'Enter when to send, like T-14d 09:00 (14 days before cutover) or 2026-12-01T15:00:00Z.'],
    [
      'next tuesday',
      'We couldn\'t read "next tuesday". Write it like T-14d 09:00 (14 days before cutover) or 2026-12-01T15:00:00Z.',
    ],
    ['T-14 09:00', 'Add "d" after the number of days, like T-14d 09:00.'],
    ['T+2w 09:00', 'Only days can be counted: write 2d, like T+2d 09:00.'],
    ['T-d 09:00', 'After "-", write a number of days, like T-3d 09:00.'],
    ['T+366d 09:00', 'A wave can be at most 365 days before or after cutover.'],
    ['T-400d 09:00', 'A wave can be at most 365 days before or after cutover.'],
    ['T-14d', 'Add the time of day to send, like T-14d 09:00.'],
    ['T 24:00', 'The time of day must be between 00:00 and 23:59.'],
    ['T 09:60', 'The time of day must be between 00:00 and 23:59.'],
    ['T 9am', 'Write the time of day as hours and minutes on a 24-hour clock, like 09:00 or 18:30.'],
    ['T 9:5', 'Write the time of day as hours and minutes on a 24-hour clock, like 09:00 or 18:30.'],
    [
      '2026-12-01T15:00:00',
      'Add the time zone: Z for UTC (2026-12-01T15:00:00Z) or an offset (2026-12-01T10:00:00-05:00). ' +
        'For "9 a.m. wherever each patient is", use a time relative to cutover, like T-14d 09:00.',
    ],
    ['2026-12-01', 'Add the time to send after the date, like 2026-12-01T15:00:00Z.'],
    ['2026-02-29T10:00:00Z', '2026-02-29 is not a date on the calendar.'],
    ['2026-13-01T10:00:00Z', '2026-13-01 is not a date on the calendar.'],
    ['2026-12-01T24:00:00Z', 'The time of day must be between 00:00 and 23:59.'],
    [
      '2026-12-01T10:00:00+15:00',
      'The offset +15:00 is not a real time zone offset (they run from -12:00 to +14:00).',
    ],
    [
      '12/01/2026 3pm',
      'We couldn\'t read "12/01/2026 3pm" as a date and time. Write it like T-14d 09:00 (14 days before cutover) or 2026-12-01T15:00:00Z.',
    ],
  ])('refuses %j: %s', (input, error) => {
    expect(parseWaveTiming(input)).toEqual({ error });
  });
});

describe('formatWaveTiming', () => {
  it.each<[WaveTiming, string]>([
    [{ kind: 'relative', offsetDays: -14, localTime: '09:00' }, 'T-14d 09:00'],
    [{ kind: 'relative', offsetDays: 3, localTime: '10:30' }, 'T+3d 10:30'],
    [{ kind: 'relative', offsetDays: 0, localTime: '07:05' }, 'T 07:05'],
    [{ kind: 'absolute', sendAt: new Date('2026-12-01T15:00:00Z') }, '2026-12-01T15:00:00Z'],
    [{ kind: 'absolute', sendAt: new Date('2026-12-01T15:00:00.250Z') }, '2026-12-01T15:00:00.250Z'],
  ])('writes %j as %s, which reads back the same', (timing, text) => {
    expect(formatWaveTiming(timing)).toBe(text);
    expect(parseWaveTiming(text)).toEqual(timing);
  });

  it('writes what marketing typed in the canonical form', () => {
    const parsed = parseWaveTiming('t - 1 d 9:00');
    expect('error' in parsed ? parsed.error : formatWaveTiming(parsed)).toBe('T-1d 09:00');
  });
});

// Expected instants worked out by hand from the zones' rules for 2026:
// US DST from Sunday 2026-03-08 02:00 to Sunday 2026-11-01 02:00 local; EU (Madrid) from Sunday
// 2026-03-29 01:00 UTC to Sunday 2026-10-25 01:00 UTC. New York EST -5 / EDT -4; Los Angeles
// PST -8 / PDT -7; Phoenix MST -7 all year; Honolulu HST -10 all year; Madrid CET +1 / CEST +2.
describe('localSendTime', () => {
  it.each([
    // New York: the day before, the gap (02:30 does not exist → 03:30 EDT), either side of it, after.
    ['America/New_York', '2026-03-07', '09:00', '2026-03-07T14:00:00.000Z'],
    ['America/New_York', '2026-03-08', '01:59', '2026-03-08T06:59:00.000Z'],
    ['America/New_York', '2026-03-08', '02:00', '2026-03-08T07:00:00.000Z'],
    ['America/New_York', '2026-03-08', '02:30', '2026-03-08T07:30:00.000Z'],
    ['America/New_York', '2026-03-08', '03:00', '2026-03-08T07:00:00.000Z'],
    ['America/New_York', '2026-03-08', '09:00', '2026-03-08T13:00:00.000Z'],
    // New York fall-back: 01:30 happens twice; the first (EDT) is used.
    ['America/New_York', '2026-10-31', '09:00', '2026-10-31T13:00:00.000Z'],
    ['America/New_York', '2026-11-01', '00:30', '2026-11-01T04:30:00.000Z'],
    ['America/New_York', '2026-11-01', '01:30', '2026-11-01T05:30:00.000Z'],
    ['America/New_York', '2026-11-01', '02:00', '2026-11-01T07:00:00.000Z'],
    ['America/New_York', '2026-11-01', '09:00', '2026-11-01T14:00:00.000Z'],
    // Los Angeles.
    ['America/Los_Angeles', '2026-03-07', '09:00', '2026-03-07T17:00:00.000Z'],
    ['America/Los_Angeles', '2026-03-08', '02:30', '2026-03-08T10:30:00.000Z'],
    ['America/Los_Angeles', '2026-03-08', '09:00', '2026-03-08T16:00:00.000Z'],
    ['America/Los_Angeles', '2026-11-01', '01:30', '2026-11-01T08:30:00.000Z'],
    ['America/Los_Angeles', '2026-11-01', '09:00', '2026-11-01T17:00:00.000Z'],
    // Phoenix keeps MST: nothing moves on the US dates.
    ['America/Phoenix', '2026-03-08', '02:30', '2026-03-08T09:30:00.000Z'],
    ['America/Phoenix', '2026-03-08', '09:00', '2026-03-08T16:00:00.000Z'],
    ['America/Phoenix', '2026-11-01', '01:30', '2026-11-01T08:30:00.000Z'],
    ['America/Phoenix', '2026-07-01', '09:00', '2026-07-01T16:00:00.000Z'],
    // Honolulu keeps HST.
    ['Pacific/Honolulu', '2026-03-08', '02:30', '2026-03-08T12:30:00.000Z'],
    ['Pacific/Honolulu', '2026-11-01', '01:30', '2026-11-01T11:30:00.000Z'],
    ['Pacific/Honolulu', '2026-07-01', '09:00', '2026-07-01T19:00:00.000Z'],
    // Madrid: the US dates are ordinary days; its own changes come on other Sundays.
    ['Europe/Madrid', '2026-03-08', '09:00', '2026-03-08T08:00:00.000Z'],
    ['Europe/Madrid', '2026-03-28', '09:00', '2026-03-28T08:00:00.000Z'],
    ['Europe/Madrid', '2026-03-29', '02:30', '2026-03-29T01:30:00.000Z'],
    ['Europe/Madrid', '2026-03-29', '09:00', '2026-03-29T07:00:00.000Z'],
    ['Europe/Madrid', '2026-10-25', '02:30', '2026-10-25T00:30:00.000Z'],
    ['Europe/Madrid', '2026-10-25', '09:00', '2026-10-25T08:00:00.000Z'],
    ['Europe/Madrid', '2026-11-01', '09:00', '2026-11-01T08:00:00.000Z'],
  ])('%s %s %s is %s', (zone, date, time, iso) => {
    expect(localSendTime(date, 0, time, zone).toISOString()).toBe(iso);
  });

  it('counts offset days on the calendar, not in 24-hour steps', () => {
    // Fourteen days before 2026-03-22 is 2026-03-08, already EDT at 09:00.
    expect(localSendTime('2026-03-22', -14, '09:00', 'America/New_York').toISOString()).toBe(
      '2026-03-08T13:00:00.000Z',
    );
    // Across the fall-back: 2026-10-30 + 3 days = 2026-11-02, EST.
    expect(localSendTime('2026-10-30', 3, '09:00', 'America/New_York').toISOString()).toBe(
      '2026-11-02T14:00:00.000Z',
    );
    // Across a month and a year end.
    expect(localSendTime('2026-12-30', 3, '10:30', 'America/Los_Angeles').toISOString()).toBe(
      '2027-01-02T18:30:00.000Z',
    );
    // One day before 2026-03-08 in the gap's zone is an ordinary EST morning.
    expect(localSendTime('2026-03-08', -1, '02:30', 'America/New_York').toISOString()).toBe(
      '2026-03-07T07:30:00.000Z',
    );
  });

  it('gives the same answer from the cache as the first time, as a fresh Date each call', () => {
    const first = localSendTime('2026-11-01', 0, '01:30', 'America/Chicago');
    const second = localSendTime('2026-11-01', 0, '01:30', 'America/Chicago');
    expect(first.toISOString()).toBe('2026-11-01T06:30:00.000Z');
    expect(second.toISOString()).toBe('2026-11-01T06:30:00.000Z');
    first.setTime(0);
    expect(localSendTime('2026-11-01', 0, '01:30', 'America/Chicago').toISOString()).toBe(
      '2026-11-01T06:30:00.000Z',
    );
  });

  it('refuses malformed input instead of guessing', () => {
    expect(() => localSendTime('2026-02-30', 0, '09:00', 'America/New_York')).toThrow(RangeError);
    expect(() => localSendTime('2026-3-8', 0, '09:00', 'America/New_York')).toThrow(RangeError);
    expect(() => localSendTime('2026-03-08', 0, '9:00', 'America/New_York')).toThrow(RangeError);
    expect(() => localSendTime('2026-03-08', 0, '24:00', 'America/New_York')).toThrow(RangeError);
    expect(() => localSendTime('2026-03-08', 400, '09:00', 'America/New_York')).toThrow(RangeError);
    expect(() => localSendTime('2026-03-08', 0, '09:00', 'America/Nowhere')).toThrow(RangeError);
  });
});

describe('waveSendTimeFor', () => {
  const relative: WaveTiming = { kind: 'relative', offsetDays: -1, localTime: '09:00' };
  const absolute: WaveTiming = { kind: 'absolute', sendAt: new Date('2026-12-01T15:00:00Z') };

  it('times a relative wave in each patient’s own zone', () => {
    expect(waveSendTimeFor(relative, '2026-11-02', 'America/New_York')?.toISOString()).toBe(
      '2026-11-01T14:00:00.000Z',
    );
    expect(waveSendTimeFor(relative, '2026-11-02', 'Pacific/Honolulu')?.toISOString()).toBe(
      '2026-11-01T19:00:00.000Z',
    );
  });

  it('has no time for a relative wave until the cohort has a cutover date', () => {
    expect(waveSendTimeFor(relative, null, 'America/New_York')).toBeNull();
  });

  it('sends an absolute wave at the same instant everywhere', () => {
    expect(waveSendTimeFor(absolute, null, 'America/New_York')?.toISOString()).toBe(
      '2026-12-01T15:00:00.000Z',
    );
    expect(waveSendTimeFor(absolute, '2026-11-02', 'Europe/Madrid')?.toISOString()).toBe(
      '2026-12-01T15:00:00.000Z',
    );
  });
});
