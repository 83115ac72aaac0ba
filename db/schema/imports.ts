import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

export const importOutcome = pgEnum('import_outcome', [
  'imported',
  'updated',
  'unchanged',
  'skipped',
  'flagged',
]);

// One run of `causeway import patients` (dry runs are never stored).
export const importRuns = pgTable('import_runs', {
  id: uuid().primaryKey().defaultRandom(),
  source: text().notNull(),
  format: text({ enum: ['csv', 'jsonl', 'auth0'] }).notNull(),
  status: text({ enum: ['running', 'done', 'failed'] })
    .notNull()
    .default('running'),
  startedBy: text().notNull(),
  startedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  finishedAt: timestamp({ withTimezone: true }),
  rows: integer().notNull().default(0),
  // { imported: n, … } and { "flagged/duplicate_email": n, … }
  byOutcome: jsonb().$type<Record<string, number>>().notNull().default({}),
  byReason: jsonb().$type<Record<string, number>>().notNull().default({}),
  failure: text(),
});

// The migration log: one entry per input row, whatever became of it.
export const importRows = pgTable(
  'import_rows',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    runId: uuid()
      .notNull()
      .references(() => importRuns.id, { onDelete: 'cascade' }),
    line: integer().notNull(),
    legacyId: text(),
    outcome: importOutcome().notNull(),
    // The first reason is the main one (the outcome's cause); others follow.
    reasons: text()
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    patientId: uuid(),
    // The row as read, encrypted with the data key: it holds PHI.
    rawEnc: text().notNull(),
    hasPassword: boolean().notNull().default(false),
  },
  (t) => [
    index('import_rows_run_outcome_idx').on(t.runId, t.outcome),
    index('import_rows_patient_idx').on(t.patientId),
  ],
);

export type ImportRun = typeof importRuns.$inferSelect;
export type ImportRowEntry = typeof importRows.$inferSelect;
export type ImportOutcome = (typeof importOutcome.enumValues)[number];
