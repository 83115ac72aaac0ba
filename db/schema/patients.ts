import { sql } from 'drizzle-orm';
import {
  boolean,
  date,
  index,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { cohorts } from './cohorts.ts';

// A patient's own migration state (DESIGN §1): imported → notified → bridged → active, plus locked, closed.
export const patientState = pgEnum('patient_state', [
  'imported',
  'notified',
  'bridged',
  'active',
  'locked',
  'closed',
]);

export const patientLocale = pgEnum('patient_locale', ['en', 'es']);

export const patients = pgTable(
  'patients',
  {
    // The OIDC `sub` given to the new platform: generated once, never changes.
    id: uuid().primaryKey().defaultRandom(),
    legacyId: text().notNull(),
    newPlatformId: text(),
    email: text(),
    // Lower-cased for lookup; not unique, because a legacy export can share one address between
    // two accounts, and those are flagged, never merged.
    emailNormalized: text(),
    emailVerified: boolean().notNull().default(false),
    phone: text(), // E.164
    phoneVerified: boolean().notNull().default(false),
    givenName: text(),
    familyName: text(),
    birthDate: date({ mode: 'string' }),
    locale: patientLocale().notNull().default('en'),
    timeZone: text().notNull().default('America/New_York'),
    cohortId: uuid().references(() => cohorts.id, { onDelete: 'restrict' }),
    state: patientState().notNull().default('imported'),
    emailOptIn: boolean().notNull().default(false),
    smsOptIn: boolean().notNull().default(false),
    // Import findings that later rules read (for example `duplicate_email`).
    flags: text()
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    legacyCreatedAt: timestamp({ withTimezone: true }),
    // SHA-256 of the normalised imported record: a re-import of the same row changes nothing.
    importFingerprint: text(),
    // The import run that last wrote this patient (finds a legacy_id repeated within one file).
    importRunId: uuid(),
    bridgedAt: timestamp({ withTimezone: true }),
    lastSignInAt: timestamp({ withTimezone: true }),
    // Password sign-in paused after repeated failures (rate limit per identifier); staff can lift it.
    signInLockedUntil: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('patients_legacy_id_key').on(t.legacyId),
    uniqueIndex('patients_new_platform_id_key').on(t.newPlatformId),
    index('patients_email_normalized_idx').on(t.emailNormalized),
    index('patients_phone_idx').on(t.phone),
    index('patients_cohort_state_idx').on(t.cohortId, t.state),
  ],
);

// The legacy platform's password encoding, kept verbatim until the patient's next sign-in upgrades it.
export const patientCredentials = pgTable('patient_credentials', {
  patientId: uuid()
    .primaryKey()
    .references(() => patients.id, { onDelete: 'cascade' }),
  // The hash family detected from the encoding (bcrypt, django_pbkdf2_sha256, argon2id, …).
  family: text().notNull(),
  encoded: text().notNull(),
  // Per-user parameters the encoding does not carry (for example a separate salt).
  params: jsonb().$type<Record<string, unknown>>(),
  // False when the hash could not be used (unknown format, parameters out of bounds).
  usable: boolean().notNull().default(true),
  // 'legacy' until the first successful sign-in re-hashes it with argon2id.
  origin: text({ enum: ['legacy', 'causeway'] })
    .notNull()
    .default('legacy'),
  upgradedAt: timestamp({ withTimezone: true }),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

export type Patient = typeof patients.$inferSelect;
export type NewPatient = typeof patients.$inferInsert;
export type PatientState = (typeof patientState.enumValues)[number];
