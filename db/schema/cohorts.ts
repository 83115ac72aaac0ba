import { date, pgEnum, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

// A cohort moves through these phases; routing, messages and support rules read them.
export const cohortPhase = pgEnum('cohort_phase', [
  'pending',
  'pilot',
  'migrating',
  'cut_over',
  'rolled_back',
]);

export const cohorts = pgTable('cohorts', {
  id: uuid().primaryKey().defaultRandom(),
  name: text().notNull().unique(),
  description: text().notNull().default(''),
  phase: cohortPhase().notNull().default('pending'),
  cutoverDate: date({ mode: 'string' }),
  defaultTimeZone: text().notNull().default('America/New_York'),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

export type Cohort = typeof cohorts.$inferSelect;
export type CohortPhase = (typeof cohortPhase.enumValues)[number];
