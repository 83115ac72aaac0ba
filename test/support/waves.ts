// What wave tests and benchmarks share: time zones where it is day or night right now (texts go only
// in daytime), and one delivery of a one-patient wave, written straight into the ledger.
// No vitest imports (benchmarks use it).
import { randomBytes } from 'node:crypto';
import type { Db } from '../../db/client.ts';
import { cohorts, patients, waveDeliveries, waves, type NewPatient } from '../../db/schema/index.ts';

const candidates = [
  'America/New_York',
  'America/Los_Angeles',
  'Pacific/Honolulu',
  'Europe/London',
  'Asia/Tokyo',
  'Australia/Sydney',
  'Asia/Kolkata',
  'America/Sao_Paulo',
];

function localHour(zone: string, at: Date): number {
  return Number(
    new Intl.DateTimeFormat('en-US', { timeZone: zone, hour: 'numeric', hourCycle: 'h23' }).format(at),
  );
}

/**
 * A zone where it is between 10:00 and 19:00 now (inside every SMS window, for the next hour at least),
 * and one where it is between midnight and 06:00 (outside all of them).
 */
export function zonesNow(at = new Date()): { day: string; night: string } {
  const day = candidates.find((zone) => localHour(zone, at) >= 10 && localHour(zone, at) < 19)!;
  const night = candidates.find((zone) => localHour(zone, at) < 6)!;
  return { day, night };
}

/** A patient, their cohort and a one-channel wave, and the patient's delivery in the ledger. */
export async function insertDelivery(
  db: Db,
  options: {
    locale?: 'en' | 'es';
    channel?: 'email' | 'sms';
    patient?: Partial<NewPatient>;
    delivery?: Partial<typeof waveDeliveries.$inferInsert>;
  } = {},
) {
  const id = randomBytes(4).toString('hex');
  const locale = options.locale ?? 'en';
  const channel = options.channel ?? 'email';
  const [cohort] = await db
    .insert(cohorts)
    .values({ name: `waves-${id}` })
    .returning();
  const email = `lucia.${id}@example.org`;
  const [patient] = await db
    .insert(patients)
    .values({
      legacyId: `W-${id}`,
      email,
      emailNormalized: email,
      givenName: 'Lucía',
      locale,
      cohortId: cohort!.id,
      emailOptIn: true,
      ...options.patient,
    })
    .returning();
  const [wave] = await db
    .insert(waves)
    .values({
      cohortId: cohort!.id,
      name: 'Announcement',
      stage: 'announcement',
      channels: [channel],
      timing: 'absolute',
    })
    .returning();
  const [delivery] = await db
    .insert(waveDeliveries)
    .values({
      waveId: wave!.id,
      patientId: patient!.id,
      channel,
      sendAt: new Date(),
      state: 'sent',
      sentAt: new Date(),
      locale,
      ...options.delivery,
    })
    .returning();
  return { cohort: cohort!, patient: patient!, wave: wave!, delivery: delivery! };
}
