import { describe, expect, it } from 'vitest';
import { projectFinish, segmentsPerSecondToMessages, type ProjectionItem } from './projection.ts';

const seconds = (from: Date, s: number) => new Date(from.getTime() + s * 1000);
const email = (dueAt: Date): ProjectionItem => ({ dueAt });
const text = (dueAt: Date, timeZone: string, phone: string): ProjectionItem => ({
  dueAt,
  recipient: { timeZone, phone },
});

describe('projectFinish', () => {
  const start = new Date('2026-06-10T14:00:00Z');

  it('hands over 10 messages at 2 per second in 4.5 seconds', () => {
    const items = Array.from({ length: 10 }, () => email(start));
    expect(projectFinish({ items, ratePerSecond: 2, quietHours: false, start })).toEqual({
      finishAt: seconds(start, 4.5),
      deferredByQuietHours: 0,
    });
  });

  it('finishes at the start when there is nothing to send', () => {
    expect(projectFinish({ items: [], ratePerSecond: 1, quietHours: true, start })).toEqual({
      finishAt: start,
      deferredByQuietHours: 0,
    });
  });

  it('waits for items that are not due yet, and never sends before the start', () => {
    const items = [email(seconds(start, 10.1)), email(seconds(start, -60)), email(seconds(start, 10))];
    // -60 s goes at the start (0 s); then the sender idles until 10 s; the last waits its turn until 11 s.
    expect(projectFinish({ items, ratePerSecond: 1, quietHours: false, start }).finishAt).toEqual(
      seconds(start, 11),
    );
  });

  it('spaces messages by a fractional interval', () => {
    const items = Array.from({ length: 3 }, () => email(start));
    // 0, 1/3 s, 2/3 s → rounded to the millisecond.
    expect(projectFinish({ items, ratePerSecond: 3, quietHours: false, start }).finishAt).toEqual(
      new Date(start.getTime() + 667),
    );
  });

  describe('with quiet hours', () => {
    // 2026-06-11T00:59:58Z is 20:59:58 in New York (EDT): two seconds of the window are left.
    const lateEvening = new Date('2026-06-11T00:59:58Z');
    const items = [
      text(lateEvening, 'America/New_York', '+12125550100'),
      text(lateEvening, 'America/New_York', '+12125550101'),
      text(lateEvening, 'America/New_York', '+12125550102'),
      text(lateEvening, 'America/New_York', '+12125550103'),
      email(lateEvening),
    ];

    it('moves texts that reach 21:00 to 08:00 and lets the rest go meanwhile', () => {
      // 20:59:58 and 20:59:59 go; the next two texts would be 21:00:00 and are moved to 08:00 EDT
      // (12:00Z); the email goes at 21:00:00; the moved texts go at 08:00:00 and 08:00:01.
      expect(projectFinish({ items, ratePerSecond: 1, quietHours: true, start: lateEvening })).toEqual({
        finishAt: new Date('2026-06-11T12:00:01Z'),
        deferredByQuietHours: 2,
      });
    });

    it('ignores recipients when quiet hours are off', () => {
      expect(projectFinish({ items, ratePerSecond: 1, quietHours: false, start: lateEvening })).toEqual({
        finishAt: new Date('2026-06-11T01:00:02Z'),
        deferredByQuietHours: 0,
      });
    });

    it('does not let a waiting text hold up texts that may go now', () => {
      // 20:30 EDT: too late for a Florida number, fine for a New York one.
      const evening = new Date('2026-06-11T00:30:00Z');
      const mixed = [
        text(evening, 'America/New_York', '+13055550100'),
        text(evening, 'America/New_York', '+12125550100'),
        text(evening, 'America/New_York', '+12125550101'),
      ];
      // Held behind the Florida text the New York ones would end at 08:00:02; they go at once instead,
      // and the Florida text is the last, at 08:00:00 EDT.
      expect(projectFinish({ items: mixed, ratePerSecond: 1, quietHours: true, start: evening })).toEqual({
        finishAt: new Date('2026-06-11T12:00:00Z'),
        deferredByQuietHours: 1,
      });
    });
  });

  it('carries a backlog over two nights and counts each moved text once', () => {
    // 100,000 texts at 1/s from 08:00 EDT: 46,800 fit in each 13-hour day, so 53,200 are moved at
    // 21:00 on the first night; 6,400 of them move again on the second night (still counted once)
    // and the last goes 6,399 s after 08:00 on the third day: 09:46:39 EDT.
    const morning = new Date('2026-06-10T12:00:00Z');
    const items = Array.from({ length: 100_000 }, (_, i) =>
      text(morning, 'America/New_York', `+1212555${String(i % 10_000).padStart(4, '0')}`),
    );
    expect(projectFinish({ items, ratePerSecond: 1, quietHours: true, start: morning })).toEqual({
      finishAt: new Date('2026-06-12T13:46:39Z'),
      deferredByQuietHours: 53_200,
    });
  });

  it('projects 100,000 emails at 50 per second', () => {
    const items = Array.from({ length: 100_000 }, () => email(start));
    expect(projectFinish({ items, ratePerSecond: 50, quietHours: false, start }).finishAt).toEqual(
      new Date(start.getTime() + 99_999 * 20),
    );
  });

  it('refuses a rate that is not a positive number', () => {
    for (const ratePerSecond of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => projectFinish({ items: [], ratePerSecond, quietHours: false, start })).toThrow(RangeError);
    }
  });
});

describe('segmentsPerSecondToMessages', () => {
  it('divides the sender’s segment rate by the segments each message takes', () => {
    expect(segmentsPerSecondToMessages(3, 1)).toBe(3);
    expect(segmentsPerSecondToMessages(3, 2)).toBe(1.5);
    expect(segmentsPerSecondToMessages(1, 3)).toBeCloseTo(1 / 3, 12);
  });

  it('refuses rates and segment counts that make no sense', () => {
    expect(() => segmentsPerSecondToMessages(0, 1)).toThrow(RangeError);
    expect(() => segmentsPerSecondToMessages(Number.NaN, 1)).toThrow(RangeError);
    expect(() => segmentsPerSecondToMessages(1, 0.5)).toThrow(RangeError);
    expect(() => segmentsPerSecondToMessages(1, Number.POSITIVE_INFINITY)).toThrow(RangeError);
  });
});
