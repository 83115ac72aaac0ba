import { sql } from 'drizzle-orm';
import { boolean, index, integer, pgEnum, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const staffRole = pgEnum('staff_role', ['admin', 'support', 'clinical', 'marketing']);

export const staff = pgTable('staff', {
  id: uuid().primaryKey().defaultRandom(),
  // Stored lower-cased; the unique index is the identity.
  email: text().notNull().unique(),
  role: staffRole().notNull(),
  passwordHash: text().notNull(),
  // Set for a password handed out by `staff add` or the demo: it must be replaced at first sign-in.
  passwordIsTemporary: boolean().notNull().default(true),
  // TOTP secret, encrypted with the data key (AES-256-GCM); null until enrolment.
  totpSecretEnc: text(),
  totpEnrolledAt: timestamp({ withTimezone: true }),
  // The last TOTP time step accepted, so a code cannot be replayed within its window.
  totpLastStep: integer(),
  failedAttempts: integer().notNull().default(0),
  lockedUntil: timestamp({ withTimezone: true }),
  disabledAt: timestamp({ withTimezone: true }),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

export const staffSessions = pgTable(
  'staff_sessions',
  {
    id: uuid().primaryKey().defaultRandom(),
    // SHA-256 of the cookie token: a database read does not yield a usable session.
    tokenHash: text().notNull().unique(),
    staffId: uuid()
      .notNull()
      .references(() => staff.id, { onDelete: 'cascade' }),
    // 'password': the password was right, the second factor is next. 'new_password': both factors
    // passed but a temporary password must be replaced first. 'full': signed in.
    stage: text({ enum: ['password', 'new_password', 'full'] }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    revokedAt: timestamp({ withTimezone: true }),
    revokedReason: text(),
    userAgent: text(),
  },
  (t) => [
    index('staff_sessions_staff_idx')
      .on(t.staffId)
      .where(sql`${t.revokedAt} is null`),
  ],
);

export type Staff = typeof staff.$inferSelect;
export type StaffRole = (typeof staffRole.enumValues)[number];
export type StaffSession = typeof staffSessions.$inferSelect;
