import { sql } from 'drizzle-orm';
import {
  bigint,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { cohorts } from './cohorts.ts';
import { outboxChannel } from './outbox.ts';
import { patients } from './patients.ts';
import { staff } from './staff.ts';

// The stage of the transition a wave speaks for; each has its own template (emails/transition.tsx).
export const waveStage = pgEnum('wave_stage', [
  'announcement',
  'reminder',
  'day_before',
  'cutover_day',
  'nudge',
  'last_call',
]);

// draft → scheduled (approved by a second staff member) → sending → done; paused and cancelled on the way.
export const waveState = pgEnum('wave_state', [
  'draft',
  'scheduled',
  'sending',
  'paused',
  'done',
  'cancelled',
]);

export const waves = pgTable(
  'waves',
  {
    id: uuid().primaryKey().defaultRandom(),
    cohortId: uuid()
      .notNull()
      .references(() => cohorts.id, { onDelete: 'restrict' }),
    name: text().notNull(),
    stage: waveStage().notNull(),
    // 'email', 'sms' or both.
    channels: text().array().notNull().$type<('email' | 'sms')[]>(),
    // Relative: `offsetDays` from the cohort's cutover date at `localTime` in each patient's own zone
    // (re-timed when the cutover date moves). Absolute: `sendAt` for everyone.
    timing: text({ enum: ['relative', 'absolute'] }).notNull(),
    offsetDays: integer(),
    localTime: text(), // HH:MM
    sendAt: timestamp({ withTimezone: true }),
    state: waveState().notNull().default('draft'),
    // Why a wave is paused: a person ('staff') or the circuit breaker ('circuit_breaker').
    pausedReason: text(),
    pausedAt: timestamp({ withTimezone: true }),
    createdBy: uuid().references(() => staff.id, { onDelete: 'set null' }),
    approvedBy: uuid().references(() => staff.id, { onDelete: 'set null' }),
    approvedAt: timestamp({ withTimezone: true }),
    // How many deliveries the ledger held when approved, and when the last is expected to go.
    audienceCount: integer(),
    projectedFinishAt: timestamp({ withTimezone: true }),
    startedAt: timestamp({ withTimezone: true }),
    finishedAt: timestamp({ withTimezone: true }),
    cancelledAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('waves_cohort_idx').on(t.cohortId), index('waves_state_idx').on(t.state)],
);

// One message to one patient on one channel for one wave: the ledger that makes "exactly once" true.
// pending → claimed (a worker holds it; safe to hand back) → sending (the provider may have it) →
// sent → delivered, or failed / skipped; `unknown` when a worker died while sending and nothing
// could tell whether the message left (staff decide; it is never resent on its own).
export const deliveryState = pgEnum('delivery_state', [
  'pending',
  'claimed',
  'sending',
  'sent',
  'delivered',
  'failed',
  'skipped',
  'unknown',
]);

export const waveDeliveries = pgTable(
  'wave_deliveries',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    waveId: uuid()
      .notNull()
      .references(() => waves.id, { onDelete: 'cascade' }),
    patientId: uuid()
      .notNull()
      .references(() => patients.id, { onDelete: 'cascade' }),
    channel: outboxChannel().notNull(),
    state: deliveryState().notNull().default('pending'),
    // When this patient's message is due (their own zone; SMS moved out of quiet hours when claimed).
    sendAt: timestamp({ withTimezone: true }).notNull(),
    attempts: integer().notNull().default(0),
    // The claim a worker holds: its id, and when it took it (a stale claim is reconciled).
    claimToken: uuid(),
    claimedAt: timestamp({ withTimezone: true }),
    providerMessageId: text(),
    // The provider's last reported status (queued, sent, delivered, undelivered, failed, bounced …).
    providerStatus: text(),
    // Why it failed or was skipped (a reason code, never an address).
    reason: text(),
    // The patient's language and the sender's answer, for the report by channel and language.
    locale: text(),
    sentAt: timestamp({ withTimezone: true }),
    deliveredAt: timestamp({ withTimezone: true }),
    openedAt: timestamp({ withTimezone: true }),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('wave_deliveries_wave_patient_channel_key').on(t.waveId, t.patientId, t.channel),
    // Workers look for due work: only the open rows are indexed.
    index('wave_deliveries_due_idx')
      .on(t.sendAt)
      .where(sql`state in ('pending', 'claimed', 'sending')`),
    // Every change of state rewrites a row into each index, and a wave changes each row three times:
    // few indexes. Per-wave reads use the unique key's leading wave_id; status callbacks find a
    // delivery by its id first (the callback URL carries it), its provider id second.
    index('wave_deliveries_provider_idx')
      .on(t.providerMessageId)
      .where(sql`provider_message_id is not null`),
  ],
);

// Addresses that must not receive transition messages (or anything, for `all`): unsubscribes, STOP,
// hard bounces and complaints. Keyed by the address, so every account sharing it is covered.
export const suppressions = pgTable(
  'suppressions',
  {
    channel: outboxChannel().notNull(),
    // Lower-cased email or E.164 number.
    address: text().notNull(),
    reason: text({ enum: ['unsubscribe', 'stop', 'hard_bounce', 'complaint', 'staff'] }).notNull(),
    // `transition`: wave messages only (sign-in links and ticket notices still go); `all`: nothing.
    scope: text({ enum: ['transition', 'all'] }).notNull(),
    // The delivery that led to it, when there was one (for the opt-out rate of a wave).
    deliveryId: bigint({ mode: 'number' }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.channel, t.address] }), index('suppressions_created_idx').on(t.createdAt)],
);

// Sign-in outcomes per minute, added to by every server process (a few writes a minute each):
// the circuit breaker reads failure spikes from here.
export const signInTallies = pgTable(
  'sign_in_tallies',
  {
    minute: timestamp({ withTimezone: true }).notNull(),
    outcome: text({ enum: ['success', 'failure'] }).notNull(),
    count: integer().notNull(),
  },
  (t) => [primaryKey({ columns: [t.minute, t.outcome] })],
);

// Pacing shared by every worker: the next moment a channel may send (a leaky bucket in one row).
export const channelPacing = pgTable('channel_pacing', {
  channel: outboxChannel().primaryKey(),
  nextAt: timestamp({ withTimezone: true }).notNull(),
  // Free-form figures for the staff page (observed rate, last batch).
  stats: jsonb().$type<Record<string, number>>(),
});

export type Wave = typeof waves.$inferSelect;
export type WaveStage = (typeof waveStage.enumValues)[number];
export type WaveState = (typeof waveState.enumValues)[number];
export type WaveDelivery = typeof waveDeliveries.$inferSelect;
export type DeliveryState = (typeof deliveryState.enumValues)[number];
export type Suppression = typeof suppressions.$inferSelect;
