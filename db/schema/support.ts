// Support requests: tickets from the help page, texts and email replies; their messages; the queues,
// routing rules, SLA policies and agents that decide who answers and by when.
import { sql } from 'drizzle-orm';
import {
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  real,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { cohorts } from './cohorts.ts';
import { inboundMessages } from './inbound.ts';
import { patients } from './patients.ts';
import { staff } from './staff.ts';

export const ticketCategory = pgEnum('ticket_category', [
  'sign_in',
  'refill',
  'billing',
  'appointment',
  'other',
]);
export const ticketChannel = pgEnum('ticket_channel', ['web', 'sms', 'email']);
// open → waiting_on_patient (SLA paused) → open … → solved → closed; merged ones point at the survivor.
export const ticketStatus = pgEnum('ticket_status', [
  'open',
  'waiting_on_patient',
  'solved',
  'closed',
  'merged',
]);
export const ticketPriority = pgEnum('ticket_priority', ['low', 'normal', 'high', 'urgent']);

export const supportQueues = pgTable('support_queues', {
  // A short stable key ('clinical', 'sign_in'): rules and agents name queues by it.
  id: text().primaryKey(),
  name: text().notNull(),
  // Clinical queues: only clinical staff (and admins) read their text; SLA clocks run 24/7.
  clinical: boolean().notNull().default(false),
  position: integer().notNull().default(0),
});

export const tickets = pgTable(
  'tickets',
  {
    id: uuid().primaryKey().defaultRandom(),
    // The reference patients see ("#1042").
    number: integer().notNull().generatedAlwaysAsIdentity({ startWith: 1001 }),
    // Set only through a verified contact point: a signed-in session, a signed threading token, a
    // text from a number verified on the account.
    patientId: uuid().references(() => patients.id, { onDelete: 'set null' }),
    channel: ticketChannel().notNull(),
    // How to reach whoever wrote when no patient is known: {email?, phone?}, encrypted.
    contactEncrypted: text(),
    // HMAC of the contact address: later texts from the same number join the ticket.
    contactKey: text(),
    locale: text({ enum: ['en', 'es'] })
      .notNull()
      .default('en'),
    category: ticketCategory().notNull(),
    subtype: text(),
    status: ticketStatus().notNull().default('open'),
    priority: ticketPriority().notNull().default('normal'),
    queueId: text()
      .notNull()
      .references(() => supportQueues.id),
    tags: text()
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    // The safety screen found emergency or self-harm words: clinical queue, urgent, clinical staff close.
    safetyFlag: boolean().notNull().default(false),
    safetyKinds: text()
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    // The rule that routed it (null: the fallback, or the safety screen).
    ruleId: uuid(),
    // Facts routing read, frozen at intake (the patient's state then, the cohort and its phase).
    patientStateAtIntake: text(),
    cohortId: uuid().references(() => cohorts.id, { onDelete: 'set null' }),
    assigneeId: uuid().references(() => staff.id, { onDelete: 'set null' }),
    assignedAt: timestamp({ withTimezone: true }),
    slaPolicyId: uuid(),
    firstResponseDueAt: timestamp({ withTimezone: true }),
    firstRespondedAt: timestamp({ withTimezone: true }),
    resolutionDueAt: timestamp({ withTimezone: true }),
    // Half-time warning (escalation) and breaches: each happens once.
    escalateAt: timestamp({ withTimezone: true }),
    escalatedAt: timestamp({ withTimezone: true }),
    firstResponseBreachedAt: timestamp({ withTimezone: true }),
    resolutionBreachedAt: timestamp({ withTimezone: true }),
    // Set while waiting on the patient: the resolution clock stops.
    slaPausedAt: timestamp({ withTimezone: true }),
    mergedIntoId: uuid(),
    lastPatientMessageAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    lastStaffReplyAt: timestamp({ withTimezone: true }),
    solvedAt: timestamp({ withTimezone: true }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('tickets_number_key').on(t.number),
    // The queue page and the assigner: open tickets of a queue, most urgent and longest waiting first.
    index('tickets_queue_open_idx')
      .on(t.queueId, t.priority.desc(), t.createdAt)
      .where(sql`${t.status} in ('open', 'waiting_on_patient')`),
    index('tickets_unassigned_idx')
      .on(t.queueId, t.priority.desc(), t.createdAt)
      .where(sql`${t.assigneeId} is null and ${t.status} = 'open'`),
    index('tickets_assignee_idx')
      .on(t.assigneeId, t.status)
      .where(sql`${t.assigneeId} is not null`),
    index('tickets_patient_idx').on(t.patientId, t.status),
    index('tickets_contact_idx').on(t.contactKey, t.status),
    index('tickets_created_idx').on(t.createdAt),
    // The minute upkeep: clocks still running.
    index('tickets_sla_idx')
      .on(t.firstResponseDueAt)
      .where(sql`${t.status} in ('open', 'waiting_on_patient')`),
  ],
);

export const ticketMessages = pgTable(
  'ticket_messages',
  {
    id: uuid().primaryKey().defaultRandom(),
    ticketId: uuid()
      .notNull()
      .references(() => tickets.id, { onDelete: 'cascade' }),
    // patient: what they wrote; staff: a reply the patient reads, or an internal note; system: our
    // own answers (the safety guidance) and events (merged, reassigned).
    authorType: text({ enum: ['patient', 'staff', 'system'] }).notNull(),
    staffId: uuid().references(() => staff.id, { onDelete: 'set null' }),
    kind: text({ enum: ['message', 'reply', 'note', 'safety_answer', 'event'] }).notNull(),
    channel: text({ enum: ['web', 'sms', 'email', 'portal', 'staff'] }).notNull(),
    // Encrypted with DATA_ENCRYPTION_KEY: it may say anything about the patient's health.
    bodyEncrypted: text().notNull(),
    inboundMessageId: uuid().references(() => inboundMessages.id, { onDelete: 'set null' }),
    // An email's Message-ID: a redelivered message is kept once.
    emailMessageId: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('ticket_messages_ticket_idx').on(t.ticketId, t.createdAt),
    uniqueIndex('ticket_messages_email_key')
      .on(t.emailMessageId)
      .where(sql`${t.emailMessageId} is not null`),
  ],
);

export const routingRules = pgTable(
  'routing_rules',
  {
    id: uuid().primaryKey().defaultRandom(),
    // Explicit order: the first rule that matches decides.
    position: integer().notNull(),
    name: text().notNull(),
    enabled: boolean().notNull().default(true),
    // RoutingConditions (messaging/support/routing.ts): every condition given must hold.
    conditions: jsonb().notNull(),
    // RoutingActions: queue, priority, tags.
    actions: jsonb().notNull(),
    updatedBy: uuid().references(() => staff.id, { onDelete: 'set null' }),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex('routing_rules_position_key').on(t.position)],
);

export const slaPolicies = pgTable('sla_policies', {
  id: uuid().primaryKey().defaultRandom(),
  name: text().notNull(),
  // Null matches any; of the policies that match a ticket the most specific applies (category and
  // priority, then category, then priority), the strictest among equals (sla.ts choosePolicy).
  category: ticketCategory(),
  priority: ticketPriority(),
  // Clinical policies run 24/7; the others on the support desk's business hours.
  calendar: text({ enum: ['business', 'always'] }).notNull(),
  firstResponseMinutes: integer().notNull(),
  resolutionMinutes: integer().notNull(),
  // Warn (raise priority, tell a supervisor) when this share of the first-response time has passed.
  escalateAtFraction: real(),
  // What a breach does, in order: raise_priority, notify_supervisor, reassign.
  breachActions: text()
    .array()
    .notNull()
    .default(sql`'{}'::text[]`),
});

export const supportAgents = pgTable('support_agents', {
  staffId: uuid()
    .primaryKey()
    .references(() => staff.id, { onDelete: 'cascade' }),
  available: boolean().notNull().default(false),
  capacity: integer().notNull().default(8),
  queues: text()
    .array()
    .notNull()
    .default(sql`'{}'::text[]`),
  // Open tickets assigned to the agent, kept by a trigger on tickets: capacity is checked against it
  // in the same conditional update that assigns.
  openCount: integer().notNull().default(0),
  lastAssignedAt: timestamp({ withTimezone: true }),
  updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

export type Ticket = typeof tickets.$inferSelect;
export type TicketMessage = typeof ticketMessages.$inferSelect;
export type TicketCategory = (typeof ticketCategory.enumValues)[number];
export type TicketChannel = (typeof ticketChannel.enumValues)[number];
export type TicketStatus = (typeof ticketStatus.enumValues)[number];
export type TicketPriority = (typeof ticketPriority.enumValues)[number];
export type RoutingRuleRow = typeof routingRules.$inferSelect;
export type SlaPolicy = typeof slaPolicies.$inferSelect;
export type SupportAgent = typeof supportAgents.$inferSelect;
export type SupportQueue = typeof supportQueues.$inferSelect;
