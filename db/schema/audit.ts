import { bigint, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

// Append-only and hash-chained: each row's hash covers the previous row's hash and this row's
// canonical encoding. A trigger (migration 0001) refuses UPDATE, DELETE and TRUNCATE.
export const auditEvents = pgTable('audit_events', {
  // One more than the row before; the primary key lets exactly one writer take each number, so the
  // chain has no gaps (db/audit.ts).
  seq: bigint({ mode: 'number' }).primaryKey(),
  at: timestamp({ withTimezone: true, precision: 3 }).notNull(),
  // e.g. staff.sign_in, staff.sign_in_failed, staff.role_changed, staff.session_revoked
  action: text().notNull(),
  actorType: text({ enum: ['staff', 'patient', 'system', 'cli'] }).notNull(),
  actorId: text(),
  subjectType: text(),
  subjectId: text(),
  data: jsonb().$type<Record<string, unknown>>().notNull(),
  prevHash: text().notNull(),
  hash: text().notNull(),
});

export type AuditEventRow = typeof auditEvents.$inferSelect;
