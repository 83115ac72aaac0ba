import { index, jsonb, pgEnum, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const outboxChannel = pgEnum('outbox_channel', ['email', 'sms']);

// Until SMTP_URL / TWILIO_* are set, every email and SMS lands here exactly as it would have been
// sent, so the demo and the staff console can show it.
export const outbox = pgTable(
  'outbox',
  {
    id: uuid().primaryKey().defaultRandom(),
    channel: outboxChannel().notNull(),
    recipient: text().notNull(),
    // What kind of message (sign_in_link, wave, ticket_reply, …), for filtering in the console.
    kind: text().notNull(),
    subject: text(),
    bodyText: text().notNull(),
    bodyHtml: text(),
    headers: jsonb().$type<Record<string, string>>().notNull().default({}),
    patientId: uuid(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('outbox_created_idx').on(t.createdAt)],
);

export type OutboxMessage = typeof outbox.$inferSelect;
