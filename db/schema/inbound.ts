import { index, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { outboxChannel } from './outbox.ts';
import { patients } from './patients.ts';

// Every message a patient sends us (a text to the sender number, for now): keywords change consent at
// once; anything else is a support message, kept (encrypted) until the support desk takes it.
export const inboundMessages = pgTable(
  'inbound_messages',
  {
    id: uuid().primaryKey().defaultRandom(),
    channel: outboxChannel().notNull(),
    // The provider's id for the message (Twilio's MessageSid): a retried webhook is kept once.
    providerMessageId: text().notNull(),
    // E.164 number or lower-cased email the message came from.
    fromAddress: text().notNull(),
    // The patient the address belongs to, when exactly one does.
    patientId: uuid().references(() => patients.id, { onDelete: 'set null' }),
    // What it was taken as: a keyword (stop, start, help) or a support message.
    handledAs: text({ enum: ['stop', 'start', 'help', 'support'] }).notNull(),
    // The text, encrypted with DATA_ENCRYPTION_KEY (it may say anything about the patient's health).
    bodyEncrypted: text().notNull(),
    receivedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    // Set when the support desk turns it into a ticket (issue: support requests).
    takenAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    uniqueIndex('inbound_messages_provider_key').on(t.channel, t.providerMessageId),
    index('inbound_messages_patient_idx').on(t.patientId),
  ],
);

export type InboundMessage = typeof inboundMessages.$inferSelect;
