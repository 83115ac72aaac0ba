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
  // Set when the cutover is declared final (no rollback): redirects become permanent (308).
  finalAt: timestamp({ withTimezone: true }),
  // When the phase last changed (routing reads the phase at once; messages and support as they run).
  phaseChangedAt: timestamp({ withTimezone: true }),
  defaultTimeZone: text().notNull().default('America/New_York'),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

export type Cohort = typeof cohorts.$inferSelect;
export type CohortPhase = (typeof cohortPhase.enumValues)[number];
