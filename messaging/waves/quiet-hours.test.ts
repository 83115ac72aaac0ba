import { describe, expect, it } from 'vitest';
import {
  isWithinSmsWindow,
  nextSmsOpening,
  smsWindow,
  stateSmsRuleFor,
  STRICTER_STATE_SMS_HOURS,
  type SmsRecipient,
} from './quiet-hours.ts';

// Instants below are worked out by hand. 2026-06-10 is a Wednesday, 2026-06-13 a Saturday and
// 2026-06-14 a Sunday; in June New York is UTC-4, Chicago UTC-5, Denver UTC-6, Los Angeles UTC-7.
// US DST starts 2026-03-08 and ends 2026-11-01; Madrid changes on 2026-03-29 and 2026-10-25.
const newYork: SmsRecipient = { timeZone: 'America/New_York', phone: '+12125550100' }; // 212: New York
const miamiNumber: SmsRecipient = { timeZone: 'America/New_York', phone: '+13055550100' };
const austinNumber: SmsRecipient = { timeZone: 'America/Chicago', phone: '+15125550100' };

const at = (iso: string) => new Date(iso);

describe('federal hours', () => {
  it.each([
    ['07:59', '2026-06-10T11:59:00Z', false],
    ['08:00', '2026-06-10T12:00:00Z', true],
    ['20:59', '2026-06-11T00:59:00Z', true],
    ['20:59:59', '2026-06-11T00:59:59Z', true],
    ['21:00', '2026-06-11T01:00:00Z', false],
  ])('in New York at %s local: %s → %s', (_local, iso, allowed) => {
    expect(isWithinSmsWindow(at(iso), newYork)).toBe(allowed);
  });

  it('applies to a patient with no phone number or one from outside North America', () => {
    for (const phone of [null, '+442071838750']) {
      const recipient = { timeZone: 'America/Los_Angeles', phone };
      expect(smsWindow(recipient, at('2026-06-10T19:00:00Z'))).toEqual({
        start: '08:00',
        end: '21:00',
        rule: 'Federal 08:00–21:00 (Telephone Consumer Protection Act, 47 CFR 64.1200(c)(1)) in America/Los_Angeles',
      });
      expect(isWithinSmsWindow(at('2026-06-11T03:59:00Z'), recipient)).toBe(true); // 20:59 PDT
      expect(isWithinSmsWindow(at('2026-06-11T04:00:00Z'), recipient)).toBe(false); // 21:00 PDT
    }
  });

  it('keeps 08:00–21:00 local on the days the clocks change', () => {
    // 2026-03-08: 08:00 EDT is 12:00Z (not 13:00Z as the day before).
    expect(smsWindow(newYork, at('2026-03-08T15:00:00Z'))).toMatchObject({ start: '08:00', end: '21:00' });
    expect(isWithinSmsWindow(at('2026-03-08T11:59:00Z'), newYork)).toBe(false);
    expect(isWithinSmsWindow(at('2026-03-08T12:00:00Z'), newYork)).toBe(true);
    // 2026-11-01: 08:00 EST is 13:00Z; 21:00 EST is 02:00Z the next day.
    expect(isWithinSmsWindow(at('2026-11-01T12:59:00Z'), newYork)).toBe(false);
    expect(isWithinSmsWindow(at('2026-11-01T13:00:00Z'), newYork)).toBe(true);
    expect(isWithinSmsWindow(at('2026-11-02T01:59:00Z'), newYork)).toBe(true);
    expect(isWithinSmsWindow(at('2026-11-02T02:00:00Z'), newYork)).toBe(false);
  });
});

describe('stricter state hours', () => {
  it('stops a Florida number at 20:00', () => {
    expect(smsWindow(miamiNumber, at('2026-06-10T16:00:00Z'))).toEqual({
      start: '08:00',
      end: '20:00',
      rule: 'Florida 08:00–20:00 (Florida Telephone Solicitation Act) for area code 305, in America/New_York',
    });
    expect(isWithinSmsWindow(at('2026-06-10T23:59:00Z'), miamiNumber)).toBe(true); // 19:59 EDT
    expect(isWithinSmsWindow(at('2026-06-11T00:00:00Z'), miamiNumber)).toBe(false); // 20:00 EDT
    expect(isWithinSmsWindow(at('2026-06-11T00:30:00Z'), miamiNumber)).toBe(false); // 20:30 EDT
    // The same moment is fine for a New York number.
    expect(isWithinSmsWindow(at('2026-06-11T00:30:00Z'), newYork)).toBe(true);
  });

  it('waits until noon on Sunday for a Texas number', () => {
    expect(isWithinSmsWindow(at('2026-06-14T16:00:00Z'), austinNumber)).toBe(false); // Sunday 11:00 CDT
    expect(isWithinSmsWindow(at('2026-06-14T16:59:00Z'), austinNumber)).toBe(false); // Sunday 11:59 CDT
    expect(isWithinSmsWindow(at('2026-06-14T17:00:00Z'), austinNumber)).toBe(true); // Sunday 12:00 CDT
    expect(smsWindow(austinNumber, at('2026-06-14T17:00:00Z'))).toEqual({
      start: '12:00',
      end: '21:00',
      rule: 'Texas 12:00–21:00 (Texas Business & Commerce Code § 301.051) for area code 512, in America/Chicago',
    });
    expect(nextSmsOpening(at('2026-06-14T16:00:00Z'), austinNumber).toISOString()).toBe(
      '2026-06-14T17:00:00.000Z',
    );
  });

  it('starts a Texas number at 09:00 on Saturday', () => {
    expect(isWithinSmsWindow(at('2026-06-13T13:59:00Z'), austinNumber)).toBe(false); // 08:59 CDT
    expect(isWithinSmsWindow(at('2026-06-13T14:00:00Z'), austinNumber)).toBe(true); // 09:00 CDT
    expect(smsWindow(austinNumber, at('2026-06-13T14:00:00Z'))).toMatchObject({
      start: '09:00',
      end: '21:00',
    });
  });

  it('applies a state’s hours on the number’s clock too when the patient is elsewhere', () => {
    // Florida number, patient in Los Angeles: 20:00 in Miami is 17:00 in Los Angeles.
    const movedWest = { timeZone: 'America/Los_Angeles', phone: '+13055550100' };
    expect(smsWindow(movedWest, at('2026-06-10T19:00:00Z'))).toEqual({
      start: '08:00',
      end: '17:00',
      rule:
        'Florida 08:00–20:00 (Florida Telephone Solicitation Act) for area code 305, ' +
        'in America/Los_Angeles and America/New_York',
    });
    expect(isWithinSmsWindow(at('2026-06-10T23:59:00Z'), movedWest)).toBe(true); // 16:59 PDT
    expect(isWithinSmsWindow(at('2026-06-11T00:00:00Z'), movedWest)).toBe(false); // 17:00 PDT
    // Texas number, patient in New York on a Sunday: noon in Austin is 13:00 in New York.
    const movedEast = { timeZone: 'America/New_York', phone: '+15125550100' };
    expect(smsWindow(movedEast, at('2026-06-14T16:00:00Z'))).toMatchObject({ start: '13:00', end: '21:00' });
  });

  it('checks every zone an area code spans', () => {
    // 850 (Florida Panhandle) is partly Eastern: 20:00 in Tallahassee is 19:00 in Pensacola.
    const panhandle = { timeZone: 'America/Chicago', phone: '+18505550100' };
    expect(smsWindow(panhandle, at('2026-06-10T19:00:00Z'))).toMatchObject({ start: '08:00', end: '19:00' });
    // 915 (El Paso) is Mountain: 09:00 there is 10:00 for a patient in Chicago.
    const elPaso = { timeZone: 'America/Chicago', phone: '+19155550100' };
    expect(smsWindow(elPaso, at('2026-06-10T19:00:00Z'))).toMatchObject({ start: '10:00', end: '21:00' });
  });

  it('follows both zones’ DST dates for a patient abroad', () => {
    // Patient in Madrid with a Florida number. Before 2026-03-08 New York is 6 hours behind Madrid;
    // from then until 2026-03-29 only 5.
    const abroad = { timeZone: 'Europe/Madrid', phone: '+13055550100' };
    expect(smsWindow(abroad, at('2026-03-05T12:00:00Z'))).toMatchObject({ start: '14:00', end: '20:00' });
    expect(smsWindow(abroad, at('2026-03-20T12:00:00Z'))).toMatchObject({ start: '13:00', end: '20:00' });
    expect(smsWindow(abroad, at('2026-04-20T12:00:00Z'))).toMatchObject({ start: '14:00', end: '20:00' });
  });

  it('closes days when no hour fits both clocks, and finds the first that does', () => {
    // Bangkok (UTC+7) and a Florida number: in winter 08:00–20:00 in Miami is 20:00–08:00 in Bangkok.
    const farAway = { timeZone: 'Asia/Bangkok', phone: '+13055550100' };
    const winter = smsWindow(farAway, at('2026-01-15T06:00:00Z'));
    expect(winter.start).toBe(winter.end);
    expect(winter.rule).toMatch(/^No hours left today: Florida/);
    expect(isWithinSmsWindow(at('2026-01-15T06:00:00Z'), farAway)).toBe(false);
    // From 2026-03-08 Miami is on EDT: 08:00 EDT is 19:00 in Bangkok, one hour before Florida's 20:00.
    expect(nextSmsOpening(at('2026-01-15T06:00:00Z'), farAway).toISOString()).toBe(
      '2026-03-08T12:00:00.000Z',
    );
    expect(smsWindow(farAway, at('2026-03-08T12:00:00Z'))).toMatchObject({ start: '19:00', end: '20:00' });
  });
});

describe('nextSmsOpening', () => {
  it('is the moment itself inside the window', () => {
    expect(nextSmsOpening(at('2026-06-10T16:00:00.123Z'), newYork).toISOString()).toBe(
      '2026-06-10T16:00:00.123Z',
    );
  });

  it('is 08:00 the same day before the window opens', () => {
    expect(nextSmsOpening(at('2026-06-10T11:00:00Z'), newYork).toISOString()).toBe(
      '2026-06-10T12:00:00.000Z',
    );
  });

  it.each([
    ['at 21:00', '2026-06-11T01:00:00Z'],
    ['at 22:00', '2026-06-11T02:00:00Z'],
    ['after midnight', '2026-06-11T07:00:00Z'],
  ])('is 08:00 the next morning %s', (_when, iso) => {
    expect(nextSmsOpening(at(iso), newYork).toISOString()).toBe('2026-06-11T12:00:00.000Z');
  });

  it('moves a Florida text at 20:30 to 08:00 the next day', () => {
    expect(nextSmsOpening(at('2026-06-11T00:30:00Z'), miamiNumber).toISOString()).toBe(
      '2026-06-11T12:00:00.000Z',
    );
  });

  it('opens at 08:00 local across the spring-forward night', () => {
    // Saturday 2026-03-07 22:00 EST → Sunday 08:00 EDT (12:00Z, not 13:00Z).
    expect(nextSmsOpening(at('2026-03-08T03:00:00Z'), newYork).toISOString()).toBe(
      '2026-03-08T12:00:00.000Z',
    );
  });

  it('opens at 08:00 local across the fall-back night', () => {
    // Saturday 2026-10-31 21:30 EDT → Sunday 08:00 EST (13:00Z, not 12:00Z).
    expect(nextSmsOpening(at('2026-11-01T01:30:00Z'), newYork).toISOString()).toBe(
      '2026-11-01T13:00:00.000Z',
    );
    // From inside the repeated hour in Los Angeles (01:30 PDT) → 08:00 PST.
    const la = { timeZone: 'America/Los_Angeles', phone: null };
    expect(nextSmsOpening(at('2026-11-01T08:30:00Z'), la).toISOString()).toBe('2026-11-01T16:00:00.000Z');
  });

  it('waits from Saturday night to Sunday noon for a Texas number', () => {
    // Saturday 2026-06-13 21:15 CDT → Sunday 12:00 CDT.
    expect(nextSmsOpening(at('2026-06-14T02:15:00Z'), austinNumber).toISOString()).toBe(
      '2026-06-14T17:00:00.000Z',
    );
  });
});

describe('the state table', () => {
  const allCodes = STRICTER_STATE_SMS_HOURS.flatMap((state) =>
    state.areaCodes.flatMap((group) => group.codes),
  );

  it('lists each area code once, as a NANP area code', () => {
    expect(new Set(allCodes).size).toBe(allCodes.length);
    for (const code of allCodes) expect(code).toMatch(/^[2-9]\d\d$/);
  });

  it('names zones ICU knows, and hours inside the federal ones', () => {
    for (const state of STRICTER_STATE_SMS_HOURS) {
      for (const { zones } of state.areaCodes) {
        for (const zone of zones)
          expect(() => new Intl.DateTimeFormat('en-US', { timeZone: zone })).not.toThrow();
      }
      expect(state.hours).toHaveLength(7);
      for (const day of state.hours) {
        if (day === null) continue;
        expect(day.start >= '08:00' && day.start < day.end && day.end <= '21:00', state.state).toBe(true);
      }
    }
  });

  it('finds the state from an E.164 number only', () => {
    expect(stateSmsRuleFor('+13055550100')?.state.state).toBe('Florida');
    expect(stateSmsRuleFor('+19185550100')?.state.state).toBe('Oklahoma');
    expect(stateSmsRuleFor('+14105550100')?.state.state).toBe('Maryland');
    expect(stateSmsRuleFor('+12065550100')?.state.state).toBe('Washington');
    expect(stateSmsRuleFor('+17135550100')?.state.state).toBe('Texas');
    expect(stateSmsRuleFor('+12035550100')?.state.state).toBe('Connecticut');
    expect(stateSmsRuleFor('+12125550100')).toBeNull();
    expect(stateSmsRuleFor('3055550100')).toBeNull();
    expect(stateSmsRuleFor('+443055550100')).toBeNull();
    expect(stateSmsRuleFor(null)).toBeNull();
  });
});
