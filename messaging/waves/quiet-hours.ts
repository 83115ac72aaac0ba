// When a text message may reach a patient: federal calling hours everywhere, and the stricter hours of
// the state a phone number's area code belongs to. Pure and cached: a wave asks for every patient.
//
// Which rules apply, and in which zones (conservative on purpose; see TRAPS.md "Messages"):
// - Federal hours (08:00–21:00) in the patient's own zone (`timeZone`, where we believe they are).
// - When the number's area code is in STRICTER_STATE_SMS_HOURS, that state's hours both in the patient's
//   zone and in every zone the area code covers: the patient may have moved, and the number may be the
//   only thing a court looks at. A message goes only when every one of those clocks allows it.
// - Windows are half-open: 08:00 is allowed, 21:00 is not.
// - If the intersection on a local day fell into two pieces, only the longer would be used. With this
//   table it cannot: each state's hours also apply in the patient's zone, and no state's night is
//   shorter than its day. If nothing is left (a zone half a world from the number's), the day is
//   closed: `smsWindow` returns start === end and nothing is sent that day.
// Not covered: state holidays (Alabama, Louisiana, Rhode Island and others ban some); a number ported
// from another state keeps its area code, which is all we can see.
import { localDateTime, pad2, wallClockToEpochMs } from './timing.ts';

export interface SmsRecipient {
  /** IANA zone where the patient is believed to be. */
  timeZone: string;
  /** E.164 (+13055550123); other forms get the federal hours only. */
  phone: string | null;
}

export interface SmsWindow {
  /** Local time in the patient's zone, HH:MM; equal to `end` on a day with no allowed hours. */
  start: string;
  /** Local time in the patient's zone, HH:MM, exclusive. */
  end: string;
  /** Which rule set the window, for staff: the law's name and the zones it was applied in. */
  rule: string;
}

/** Hours for one day of the week, local 'HH:MM' start inclusive to end exclusive; null: none that day. */
type DayHours = { start: string; end: string } | null;
/** Index 0 = Sunday … 6 = Saturday. */
type WeekHours = readonly [DayHours, DayHours, DayHours, DayHours, DayHours, DayHours, DayHours];

const sundayAndRest = (sunday: DayHours, rest: DayHours): WeekHours => [
  sunday,
  rest,
  rest,
  rest,
  rest,
  rest,
  rest,
];
const everyDay = (start: string, end: string): WeekHours => sundayAndRest({ start, end }, { start, end });

/** TCPA: no telephone solicitation before 8 a.m. or after 9 p.m. at the called party's location. */
export const FEDERAL_SMS_HOURS = {
  law: 'Telephone Consumer Protection Act, 47 CFR 64.1200(c)(1)',
  hours: everyDay('08:00', '21:00'),
} as const;

const EASTERN = 'America/New_York';
const CENTRAL = 'America/Chicago';
const MOUNTAIN = 'America/Denver';
const PACIFIC = 'America/Los_Angeles';

export interface StateSmsHours {
  state: string;
  law: string;
  /** 'brief': asked for by the product brief; 'added': added by the engineer from the statute's text. */
  source: 'brief' | 'added';
  hours: WeekHours;
  /** NANP area codes of the state, with every IANA zone the area each one covers lies in. */
  areaCodes: ReadonlyArray<{ codes: readonly string[]; zones: readonly string[] }>;
}

// States whose hours are stricter than the federal ones. Laws restrict "telephone solicitation";
// we apply them to every transition text, as the brief asks: the strictest that could apply.
// Area codes as assigned by NANPA up to 2025, overlays included (an unassigned code costs nothing).
// Not encoded because not verified here (compliance vendors report them; review with counsel): Sunday
// or holiday bans in Alabama, Louisiana, Mississippi, Rhode Island and Utah; later starts or earlier
// ends in Kentucky, Minnesota, Michigan, Nevada, New Jersey and New Mexico; Pennsylvania's Sunday ban
// from 2026. `hours` takes null for a day with no texts, so a ban fits the table as it is.
export const STRICTER_STATE_SMS_HOURS: readonly StateSmsHours[] = [
  {
    state: 'Florida',
    // Fla. Stat. § 501.059(8)(a), as amended by SB 1120 (2021): 8 a.m.–8 p.m. at the called party's location.
    law: 'Florida Telephone Solicitation Act',
    source: 'brief',
    hours: everyDay('08:00', '20:00'),
    areaCodes: [
      {
        // prettier-ignore
        codes: [
          '239', '305', '321', '324', '352', '386', '407', '561', '645', '656', '689', '727', '728', '754',
          '772', '786', '813', '863', '904', '941', '954',
        ],
        zones: [EASTERN],
      },
      // The Panhandle straddles the Eastern/Central line.
      { codes: ['448', '850'], zones: [EASTERN, CENTRAL] },
    ],
  },
  {
    state: 'Oklahoma',
    // Okla. Stat. tit. 15, § 775C.4: 8 a.m.–8 p.m.
    law: 'Oklahoma Telephone Solicitation Act of 2022',
    source: 'brief',
    hours: everyDay('08:00', '20:00'),
    areaCodes: [{ codes: ['405', '539', '572', '580', '918'], zones: [CENTRAL] }],
  },
  {
    state: 'Maryland',
    // Md. Code, Com. Law § 14-4503: 8 a.m.–8 p.m.
    law: 'Maryland Stop the Spam Calls Act of 2023',
    source: 'brief',
    hours: everyDay('08:00', '20:00'),
    areaCodes: [{ codes: ['227', '240', '301', '410', '443', '667'], zones: [EASTERN] }],
  },
  {
    state: 'Washington',
    // RCW 80.36.390: no telephone solicitation before 8 a.m. or after 8 p.m.
    law: 'Washington telephone solicitation law, RCW 80.36.390',
    source: 'brief',
    hours: everyDay('08:00', '20:00'),
    areaCodes: [{ codes: ['206', '253', '360', '425', '509', '564'], zones: [PACIFIC] }],
  },
  {
    state: 'Texas',
    // Tex. Bus. & Com. Code § 301.051: 9 a.m.–9 p.m. Monday to Saturday, noon–9 p.m. Sunday
    // (texts included since SB 140, 2025).
    law: 'Texas Business & Commerce Code § 301.051',
    source: 'brief',
    hours: sundayAndRest({ start: '12:00', end: '21:00' }, { start: '09:00', end: '21:00' }),
    areaCodes: [
      {
        // prettier-ignore
        codes: [
          '210', '214', '254', '281', '325', '346', '361', '409', '430', '469', '512', '682', '713', '726',
          '737', '806', '817', '830', '832', '903', '936', '940', '945', '956', '972', '979',
        ],
        zones: [CENTRAL],
      },
      // El Paso and Hudspeth County keep Mountain time; Culberson County (432) does too.
      { codes: ['915'], zones: [MOUNTAIN] },
      { codes: ['432'], zones: [CENTRAL, MOUNTAIN] },
    ],
  },
  {
    state: 'Connecticut',
    // Added: Conn. Gen. Stat. § 42-288a as amended by Public Act 23-98 (in force 2023-10-01): 9 a.m.–8 p.m.
    law: 'Connecticut telephone solicitation law, Conn. Gen. Stat. § 42-288a (Public Act 23-98)',
    source: 'added',
    hours: everyDay('09:00', '20:00'),
    areaCodes: [{ codes: ['203', '475', '860', '959'], zones: [EASTERN] }],
  },
];

export interface AreaCodeRule {
  areaCode: string;
  state: StateSmsHours;
  zones: readonly string[];
}

const byAreaCode = new Map<string, AreaCodeRule>();
for (const state of STRICTER_STATE_SMS_HOURS) {
  for (const { codes, zones } of state.areaCodes) {
    for (const areaCode of codes) byAreaCode.set(areaCode, { areaCode, state, zones });
  }
}

/** The stricter state rule a phone number's area code brings, if any. */
export function stateSmsRuleFor(phone: string | null): AreaCodeRule | null {
  if (phone === null) return null;
  const match = /^\+1([2-9]\d\d)[2-9]\d{6}$/.exec(phone);
  return match ? (byAreaCode.get(match[1]!) ?? null) : null;
}

/** The allowed hours for the patient's local day containing `day` (default: now). */
export function smsWindow(recipient: SmsRecipient, day: Date = new Date()): SmsWindow {
  const window = dayWindowAt(recipient, day.getTime());
  return { start: window.start, end: window.end, rule: window.rule };
}

export function isWithinSmsWindow(at: Date, recipient: SmsRecipient): boolean {
  const t = at.getTime();
  const window = dayWindowAt(recipient, t);
  return window.startMs <= t && t < window.endMs;
}

/** `at` itself when a text may go then; otherwise the start of the next allowed window. */
export function nextSmsOpening(at: Date, recipient: SmsRecipient): Date {
  return new Date(nextSmsOpeningMs(at.getTime(), recipient));
}

/** nextSmsOpening in epoch milliseconds, for loops that would otherwise allocate two Dates a call. */
export function nextSmsOpeningMs(t: number, recipient: SmsRecipient): number {
  let window = dayWindowAt(recipient, t);
  if (window.startMs < window.endMs) {
    if (t < window.startMs) return window.startMs;
    if (t < window.endMs) return t;
  }
  // Days close only when the patient's zone is half a world from the number's (Bangkok and a Florida
  // number in winter); the gap between the zones moves with DST, so look up to a year ahead.
  const profile = stateSmsRuleFor(recipient.phone);
  for (let i = 1; i <= 366; i++) {
    window = dayWindow(recipient.timeZone, profile, window.year, window.month, window.day + 1);
    if (window.startMs < window.endMs) return window.startMs;
  }
  throw new Error(
    `No hour in the next year is allowed for a text in ${recipient.timeZone} to area code ` +
      `${profile?.areaCode ?? '(none)'}`,
  );
}

// ---- Computing a local day's window ----

interface DayWindow {
  year: number;
  month: number;
  day: number;
  /** The patient's local day, [dayStartMs, dayEndMs). */
  dayStartMs: number;
  dayEndMs: number;
  startMs: number;
  endMs: number;
  start: string;
  end: string;
  rule: string;
}

/** One clock that must allow the message: a weekly schedule read in one zone. */
interface Constraint {
  zone: string;
  hours: WeekHours;
}

const NO_RULE = '';

// The window of the day a recipient was last asked about, per (zone, area-code rule): a wave walks
// forward in time, so most questions land in the day answered just before, without touching Intl.
const lastWindow = new Map<string, DayWindow>();
const windowCache = new Map<string, DayWindow>();
const WINDOW_CACHE_LIMIT = 20_000;

function dayWindowAt(recipient: SmsRecipient, t: number): DayWindow {
  const profile = stateSmsRuleFor(recipient.phone);
  const profileKey = `${recipient.timeZone}\n${profile?.areaCode ?? NO_RULE}`;
  const last = lastWindow.get(profileKey);
  if (last && last.dayStartMs <= t && t < last.dayEndMs) return last;
  const local = localDateTime(recipient.timeZone, t);
  const window = dayWindow(recipient.timeZone, profile, local.year, local.month, local.day);
  lastWindow.set(profileKey, window);
  return window;
}

function dayWindow(
  timeZone: string,
  profile: AreaCodeRule | null,
  year: number,
  month: number,
  dayOfMonth: number,
): DayWindow {
  // Normalise an overflowing day (the 32nd → the 1st of next month) before it becomes a key.
  const date = new Date(Date.UTC(year, month - 1, dayOfMonth));
  const y = date.getUTCFullYear();
  const m = date.getUTCMonth() + 1;
  const d = date.getUTCDate();
  const key = `${timeZone}\n${profile?.areaCode ?? NO_RULE}\n${y}-${m}-${d}`;
  let window = windowCache.get(key);
  if (!window) {
    window = computeDayWindow(timeZone, profile, y, m, d);
    if (windowCache.size >= WINDOW_CACHE_LIMIT) windowCache.clear();
    windowCache.set(key, window);
  }
  return window;
}

function computeDayWindow(
  timeZone: string,
  profile: AreaCodeRule | null,
  year: number,
  month: number,
  day: number,
): DayWindow {
  const dayStartMs = wallClockToEpochMs(timeZone, year, month, day, 0);
  const dayEndMs = wallClockToEpochMs(timeZone, year, month, day + 1, 0);
  const constraints: Constraint[] = [{ zone: timeZone, hours: FEDERAL_SMS_HOURS.hours }];
  let rule = `Federal 08:00–21:00 (${FEDERAL_SMS_HOURS.law}) in ${timeZone}`;
  if (profile) {
    const zones = [timeZone, ...profile.zones.filter((zone) => zone !== timeZone)];
    for (const zone of zones) constraints.push({ zone, hours: profile.state.hours });
    const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
    const today = profile.state.hours[weekday];
    rule =
      `${profile.state.state} ${today ? `${today.start}–${today.end}` : 'closed'} ` +
      `(${profile.state.law}) for area code ${profile.areaCode}, in ${zones.join(' and ')}`;
  }

  let allowed: Array<[number, number]> = [[dayStartMs, dayEndMs]];
  for (const constraint of constraints) {
    allowed = intersect(allowed, openIntervals(constraint, dayStartMs, dayEndMs));
  }
  let best: [number, number] | undefined;
  for (const piece of allowed) {
    if (!best || piece[1] - piece[0] > best[1] - best[0]) best = piece;
  }
  // A closed day is an empty window at the day's federal opening, so "next opening" skips past it.
  const [startMs, endMs] = best ?? [dayStartMs, dayStartMs];
  return {
    year,
    month,
    day,
    dayStartMs,
    dayEndMs,
    startMs,
    endMs,
    start: best ? hhmm(timeZone, startMs) : '00:00',
    end: best ? hhmm(timeZone, endMs) : '00:00',
    rule: best ? rule : `No hours left today: ${rule}`,
  };
}

/** The instants in [from, to) that the constraint's clock allows, as sorted disjoint intervals. */
function openIntervals(constraint: Constraint, from: number, to: number): Array<[number, number]> {
  // The constraint's zone may be up to 26 hours from the patient's: look at its local days around `from`.
  const local = localDateTime(constraint.zone, from);
  const intervals: Array<[number, number]> = [];
  for (let offset = -2; offset <= 2; offset++) {
    const date = new Date(Date.UTC(local.year, local.month - 1, local.day + offset));
    const hours = constraint.hours[date.getUTCDay()];
    if (!hours) continue;
    const y = date.getUTCFullYear();
    const m = date.getUTCMonth() + 1;
    const d = date.getUTCDate();
    const start = wallClockToEpochMs(constraint.zone, y, m, d, minutesOf(hours.start));
    const end = wallClockToEpochMs(constraint.zone, y, m, d, minutesOf(hours.end));
    if (end > from && start < to) intervals.push([Math.max(start, from), Math.min(end, to)]);
  }
  return intervals;
}

function intersect(a: Array<[number, number]>, b: Array<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (const [aStart, aEnd] of a) {
    for (const [bStart, bEnd] of b) {
      const start = Math.max(aStart, bStart);
      const end = Math.min(aEnd, bEnd);
      if (start < end) out.push([start, end]);
    }
  }
  return out.sort((x, y) => x[0] - y[0]);
}

function minutesOf(time: string): number {
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
}

function hhmm(timeZone: string, epochMs: number): string {
  const { minuteOfDay } = localDateTime(timeZone, epochMs);
  return `${pad2(Math.floor(minuteOfDay / 60))}:${pad2(minuteOfDay % 60)}`;
}
