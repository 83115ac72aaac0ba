// The demo a fresh clone serves: three cohorts, a few hundred synthetic patients whose legacy
// passwords use a realistic mix of formats, and one admin. Seeds once; a second run changes nothing.
import { eq } from 'drizzle-orm';
import { appendAudit } from '../../db/audit.ts';
import type { Db } from '../../db/client.ts';
import { cohorts, patientCredentials, patients, waves, type NewPatient } from '../../db/schema/index.ts';
import { detectHash } from '../credentials/index.ts';
import type { StaffService } from '../staff/staff-service.ts';
import { generateTotpSecret } from '../staff/totp.ts';
import { buildHashPool, DEMO_PASSWORD, type LegacyFamily } from './legacy-hashes.ts';

export const DEMO_ADMIN_EMAIL = 'admin@causeway.example';

type Choice = LegacyFamily | 'none' | 'unknown';
// Roughly what a ten-year-old patient platform's export holds.
const familyWeights: [Choice, number][] = [
  ['bcrypt', 30],
  ['django_pbkdf2_sha256', 12],
  ['aspnet_identity_v3', 10],
  ['argon2id', 8],
  ['phpass', 8],
  ['ldap_ssha', 6],
  ['sha512_crypt', 6],
  ['django_bcrypt_sha256', 4],
  ['apr1', 3],
  ['md5_crypt', 3],
  ['none', 7],
  ['unknown', 3],
];

const givenNames = [
  'María',
  'James',
  'Ana',
  'Wei',
  'Fatima',
  'Luis',
  'Grace',
  'Diego',
  'Aisha',
  'Tom',
  'Sofía',
  'Kwame',
  'Linh',
  'José',
  'Emily',
  'Carmen',
  'Noah',
  'Priya',
  'Andrés',
  'Hannah',
];
const familyNames = [
  'López',
  'Okafor',
  'Silva',
  'Chen',
  'Haddad',
  'García',
  'Kim',
  'Martínez',
  'Johnson',
  'Nguyen',
  'Rodríguez',
  'Patel',
  'Brown',
  'Hernández',
  'Mensah',
  'Smith',
  'Torres',
  'Cohen',
  'Ramírez',
  'Wilson',
];
const zones = [
  'America/New_York',
  'America/Chicago',
  'America/Denver',
  'America/Los_Angeles',
  'America/Phoenix',
  'America/Puerto_Rico',
  'Pacific/Honolulu',
];
// 555-0100 to 555-0199 are reserved for fiction in every US area code.
const areaCodes = ['212', '305', '415', '512', '617', '713', '787', '808', '303', '602'];

/** A small deterministic generator, so every fresh demo has the same patients. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function ascii(s: string) {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();
}

function addDays(date: Date, days: number): string {
  return new Date(date.getTime() + days * 86_400_000).toISOString().slice(0, 10);
}

export interface DemoResult {
  status: 'seeded';
  patients: number;
  byFamily: Record<string, number>;
  admin: { email: string; temporaryPassword: string; totpSecret: string };
  /** A few patients to try signing in as: their email and legacy hash family. */
  samplePatients: { email: string; family: string }[];
}

export async function seedDemo(deps: {
  db: Db;
  staff: StaffService;
  patientCount?: number;
  now?: Date;
}): Promise<DemoResult | { status: 'already_seeded' }> {
  const { db } = deps;
  const count = deps.patientCount ?? 300;
  const now = deps.now ?? new Date();
  const [existing] = await db.select({ id: cohorts.id }).from(cohorts).where(eq(cohorts.name, 'pilot'));
  if (existing) return { status: 'already_seeded' };

  const pool = await buildHashPool();
  const random = prng(20_260_101);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const totalWeight = familyWeights.reduce((sum, [, w]) => sum + w, 0);
  const pickFamily = (): Choice => {
    let r = random() * totalWeight;
    for (const [family, weight] of familyWeights) {
      r -= weight;
      if (r < 0) return family;
    }
    return 'bcrypt';
  };

  const byFamily: Record<string, number> = {};
  const samplePatients: DemoResult['samplePatients'] = [];
  await db.transaction(async (tx) => {
    const created = await tx
      .insert(cohorts)
      .values([
        {
          name: 'pilot',
          description: 'Staff families and volunteers who move first',
          phase: 'pilot',
          cutoverDate: addDays(now, 7),
        },
        {
          name: 'wave-1',
          description: 'East and Central time zones',
          phase: 'pending',
          cutoverDate: addDays(now, 30),
        },
        {
          name: 'wave-2',
          description: 'Mountain, Pacific and the islands',
          phase: 'pending',
          cutoverDate: addDays(now, 60),
        },
      ])
      .returning({ id: cohorts.id, name: cohorts.name });
    const cohortId = Object.fromEntries(created.map((c) => [c.name, c.id])) as Record<string, string>;
    // Draft waves for the first cohort, timed from its cutover date: the admin can preview and approve
    // them (a draft the demo wrote counts as someone else's).
    await tx.insert(waves).values([
      {
        cohortId: cohortId['wave-1']!,
        name: 'Two weeks ahead: we are moving',
        stage: 'announcement',
        channels: ['email', 'sms'],
        timing: 'relative',
        offsetDays: -14,
        localTime: '09:00',
      },
      {
        cohortId: cohortId['wave-1']!,
        name: 'The day before',
        stage: 'day_before',
        channels: ['email', 'sms'],
        timing: 'relative',
        offsetDays: -1,
        localTime: '10:00',
      },
      {
        cohortId: cohortId['wave-1']!,
        name: 'Three days after: sign in if you have not',
        stage: 'nudge',
        channels: ['email'],
        timing: 'relative',
        offsetDays: 3,
        localTime: '10:00',
      },
    ]);

    const rows: NewPatient[] = [];
    const families: Choice[] = [];
    for (let i = 1; i <= count; i++) {
      const given = pick(givenNames);
      const family = pick(familyNames);
      const r = random();
      const cohort = r < 0.15 ? 'pilot' : r < 0.6 ? 'wave-1' : 'wave-2';
      const contact = random();
      const hasEmail = contact >= 0.1;
      const hasPhone = contact < 0.85;
      const email = hasEmail ? `${ascii(given)}.${ascii(family)}${i}@example.org` : null;
      const locale = random() < 0.3 ? 'es' : 'en';
      const state =
        cohort === 'pilot'
          ? pick(['imported', 'notified', 'notified', 'bridged', 'bridged', 'active'] as const)
          : 'imported';
      rows.push({
        legacyId: `D${String(i).padStart(5, '0')}`,
        newPlatformId: random() < 0.9 ? `NP-D${String(i).padStart(5, '0')}` : null,
        email,
        emailNormalized: email,
        phone: hasPhone ? `+1${pick(areaCodes)}55501${String(i % 100).padStart(2, '0')}` : null,
        givenName: given,
        familyName: family,
        birthDate: `${1940 + Math.floor(random() * 65)}-${String(1 + Math.floor(random() * 12)).padStart(2, '0')}-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}`,
        locale,
        timeZone: pick(zones),
        cohortId: cohortId[cohort],
        state,
        emailOptIn: hasEmail && random() < 0.92,
        smsOptIn: hasPhone && random() < 0.7,
        bridgedAt: state === 'bridged' || state === 'active' ? now : null,
        legacyCreatedAt: new Date(
          Date.UTC(2016 + Math.floor(random() * 9), Math.floor(random() * 12), 1 + Math.floor(random() * 28)),
        ),
      });
      families.push(pickFamily());
      const chosen = families.at(-1)!;
      // Rows 4 and 5 share an address below (flagged as duplicates): never a sample.
      if (
        email &&
        i !== 4 &&
        i !== 5 &&
        state === 'imported' &&
        chosen !== 'none' &&
        chosen !== 'unknown' &&
        samplePatients.length < 3 &&
        !samplePatients.some((p) => p.family === chosen)
      )
        samplePatients.push({ email, family: chosen });
    }
    // Two accounts that share one address in another case: flagged, never merged.
    const [first, second] = [rows[3], rows[4]];
    if (first?.email && second) {
      second.email = first.email.toUpperCase();
      second.emailNormalized = first.email;
      first.flags = ['duplicate_email'];
      second.flags = ['duplicate_email'];
    }

    for (let start = 0; start < rows.length; start += 100) {
      const batch = rows.slice(start, start + 100);
      const inserted = await tx.insert(patients).values(batch).returning({ id: patients.id });
      const credentials = inserted.flatMap(({ id }, j): (typeof patientCredentials.$inferInsert)[] => {
        const family = families[start + j]!;
        byFamily[family] = (byFamily[family] ?? 0) + 1;
        if (family === 'none') return [];
        if (family === 'unknown')
          return [{ patientId: id, family: 'unknown', encoded: 'xyz$9$totally-unknown', usable: false }];
        const choices = pool[family];
        const encoded = choices[(start + j) % choices.length]!;
        // The stored family is what the detector reads from the encoding, as an import would store it.
        const detected = detectHash(encoded);
        if (!detected.ok)
          throw new Error(`the demo's ${family} sample is not recognised: ${detected.detail}`);
        return [{ patientId: id, family: detected.family, encoded }];
      });
      if (credentials.length > 0) await tx.insert(patientCredentials).values(credentials);
    }
  });

  const added = await deps.staff.addStaff({ email: DEMO_ADMIN_EMAIL, role: 'admin' }, { type: 'cli' });
  if (!added.ok) throw new Error(`The demo admin could not be created (${added.reason}).`);
  const totpSecret = generateTotpSecret();
  await deps.staff.enrollTotpSecret(added.staff.id, totpSecret);
  await appendAudit(db, { action: 'demo.seeded', actorType: 'cli', data: { patients: count, byFamily } });
  return {
    status: 'seeded',
    patients: count,
    byFamily,
    admin: { email: DEMO_ADMIN_EMAIL, temporaryPassword: added.temporaryPassword, totpSecret },
    samplePatients,
  };
}

export { DEMO_PASSWORD };
