import { sql } from 'drizzle-orm';
import {
  bigint,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

// The preserved patient URL (DESIGN §4.4): where each legacy path goes, per cohort phase.
export const urlRules = pgTable(
  'url_rules',
  {
    id: uuid().primaryKey().defaultRandom(),
    // exact: a hash lookup; prefix (`/messages/*`): a trie; pattern (`/appointments/:id`): an ordered list.
    kind: text({ enum: ['exact', 'prefix', 'pattern'] }).notNull(),
    // The path as written in the rule, normalised (no query string, no trailing slash).
    source: text().notNull(),
    // A template over {new}, {legacy}, {self}, the captured parts and {crosswalk:kind:part}.
    target: text().notNull(),
    // Against the requesting patient's cohort; anonymous visitors sign in first when it matters.
    when: text({ enum: ['always', 'before_cutover', 'after_cutover'] })
      .notNull()
      .default('always'),
    // A fixed status for this rule (e.g. 301 for a page retired for good); null: by the cohort's phase.
    status: integer(),
    // Order among patterns (lower first); exact and prefix rules do not need one.
    position: integer().notNull().default(0),
    note: text().notNull().default(''),
    createdBy: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('url_rules_source_when_key').on(t.source, t.when)],
);

// Legacy record ids and their new-platform ids (appointments, messages, prescriptions, …).
export const idCrosswalk = pgTable(
  'id_crosswalk',
  {
    kind: text().notNull(),
    legacyId: text().notNull(),
    newId: text().notNull(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.legacyId] })],
);

// Paths no rule matched, normalised with PHI stripped (ids, emails, tokens): counted for staff.
export const unmappedPaths = pgTable(
  'unmapped_paths',
  {
    path: text().primaryKey(),
    hits: bigint({ mode: 'number' }).notNull().default(0),
    firstSeenAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    // Set when staff add a rule from it (it stays, for the record, out of the to-do list).
    resolvedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    index('unmapped_paths_hits_idx')
      .on(t.hits.desc())
      .where(sql`${t.resolvedAt} is null`),
  ],
);

export type UrlRule = typeof urlRules.$inferSelect;
export type NewUrlRule = typeof urlRules.$inferInsert;
