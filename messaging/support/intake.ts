// Tickets in: from the help page, texts to the sender number and email replies. Every message passes the
// safety screen first; then it joins the ticket it belongs to (a signed threading token, or the same
// patient's or number's open ticket within 7 days) or opens a new one, routed by the rules.
import { and, desc, eq, gt, inArray, isNull, or } from 'drizzle-orm';
import { appendAudit } from '../../db/audit.ts';
import type { Db, DbOrTx } from '../../db/client.ts';
import {
  cohorts,
  patients,
  routingRules,
  slaPolicies,
  supportQueues,
  ticketMessages,
  tickets,
  type SlaPolicy,
  type SupportQueue,
  type Ticket,
  type TicketCategory,
  type TicketChannel,
} from '../../db/schema/index.ts';
import type { FieldCipher } from '../../identity/encryption.ts';
import type { Logger } from '../../infra/logger.ts';
import type { BusinessHours } from './business-hours.ts';
import { resumeDue } from './business-hours.ts';
import {
  routeWithTrace,
  routingActions,
  routingConditions,
  type RoutingFacts,
  type RoutingRule,
} from './routing.ts';
import { screenForSafety, type SafetyVerdict } from './safety-screen.ts';
import { calendarFor, choosePolicy, startClocks } from './sla.ts';

export const JOIN_WINDOW_MS = 7 * 86_400_000;
export const CLINICAL_QUEUE = 'clinical';
export const MAX_MESSAGE_LENGTH = 5_000;

export type Locale = 'en' | 'es';
export interface Contact {
  email?: string | undefined;
  phone?: string | undefined;
}

export interface IncomingMessage {
  channel: TicketChannel;
  /** Only through a verified contact point (session, signed token, verified number). */
  patientId: string | null;
  /** How to reach an unknown sender (the form's email or phone, the texting number, the From address). */
  contact: Contact | null;
  category: TicketCategory;
  subtype: string | null;
  text: string;
  locale: Locale;
  /** A ticket a signed token named: the message joins it (or what it was merged into). */
  threadTicketId?: string | null;
  /** Whether a message from a known patient or number may join their open ticket (texts and email). */
  joinRecent: boolean;
  inboundMessageId?: string | null;
  emailMessageId?: string | null;
}

export interface IntakeResult {
  ticketId: string;
  number: number;
  /** False when the message joined a ticket that was already open. */
  created: boolean;
  safety: SafetyVerdict;
  locale: Locale;
  patientId: string | null;
  /** The queue it sits in now. */
  queueId: string;
  /** A redelivered email (same Message-ID) was already kept: nothing was added. */
  duplicate: boolean;
}

export interface SupportSettings {
  businessHours: BusinessHours;
}

interface Reference {
  rules: RoutingRule[];
  policies: SlaPolicy[];
  queues: Map<string, SupportQueue>;
  loadedAt: number;
}

export interface IntakeDeps {
  db: Db;
  cipher: FieldCipher;
  settings: SupportSettings;
  logger: Logger;
  /** HMAC of a contact address (texts from one number join its ticket without storing it in clear). */
  contactKey(address: string): string;
  now: () => Date;
}

const REFERENCE_TTL_MS = 5_000;

export function createIntake(deps: IntakeDeps) {
  const { db, cipher, logger, now } = deps;
  const log = logger.child({ area: 'support_intake' });
  let reference: Reference | null = null;

  /** Rules, policies and queues change rarely; read them at most every few seconds (and after edits). */
  async function loadReference(): Promise<Reference> {
    if (reference && Date.now() - reference.loadedAt < REFERENCE_TTL_MS) return reference;
    const [ruleRows, policies, queueRows] = await Promise.all([
      db.select().from(routingRules),
      db.select().from(slaPolicies),
      db.select().from(supportQueues),
    ]);
    const rules: RoutingRule[] = [];
    for (const row of ruleRows) {
      const conditions = routingConditions.safeParse(row.conditions);
      const actions = routingActions.safeParse(row.actions);
      if (!conditions.success || !actions.success) {
        log.error({ ruleId: row.id }, 'routing rule skipped: stored conditions or actions do not parse');
        continue;
      }
      rules.push({ ...row, conditions: conditions.data, actions: actions.data });
    }
    reference = { rules, policies, queues: new Map(queueRows.map((q) => [q.id, q])), loadedAt: Date.now() };
    return reference;
  }

  async function factsOf(message: IncomingMessage): Promise<RoutingFacts & { cohortId: string | null }> {
    const base = {
      category: message.category,
      subtype: message.subtype,
      channel: message.channel,
      language: message.locale,
      text: message.text,
    };
    if (!message.patientId)
      return { ...base, patientState: 'unknown', cohort: null, cohortPhase: null, cohortId: null };
    const [row] = await db
      .select({ state: patients.state, cohortId: cohorts.id, cohort: cohorts.name, phase: cohorts.phase })
      .from(patients)
      .leftJoin(cohorts, eq(cohorts.id, patients.cohortId))
      .where(eq(patients.id, message.patientId));
    return {
      ...base,
      patientState: row?.state ?? 'unknown',
      cohort: row?.cohort ?? null,
      cohortPhase: row?.phase ?? null,
      cohortId: row?.cohortId ?? null,
    };
  }

  /** The ticket a message joins, locked for the update; null opens a new one. */
  async function ticketToJoin(
    tx: DbOrTx,
    message: IncomingMessage,
    key: string | null,
  ): Promise<Ticket | null> {
    if (message.threadTicketId) {
      // Follow merges to the surviving ticket (a chain is short; stop at a few hops).
      let id: string | null = message.threadTicketId;
      for (let hop = 0; id && hop < 5; hop++) {
        const [row]: Ticket[] = await tx.select().from(tickets).where(eq(tickets.id, id)).for('update');
        if (!row) return null;
        if (row.status !== 'merged') {
          // A closed ticket is not reopened by a reply; the reply opens a new one.
          if (row.status === 'closed') return null;
          return row;
        }
        id = row.mergedIntoId;
      }
      return null;
    }
    if (!message.joinRecent) return null;
    const since = new Date(now().getTime() - JOIN_WINDOW_MS);
    const who = message.patientId
      ? eq(tickets.patientId, message.patientId)
      : key
        ? and(eq(tickets.contactKey, key), isNull(tickets.patientId))
        : null;
    if (!who) return null;
    const [row] = await tx
      .select()
      .from(tickets)
      .where(
        and(
          who,
          inArray(tickets.status, ['open', 'waiting_on_patient']),
          or(gt(tickets.lastPatientMessageAt, since), gt(tickets.updatedAt, since)),
        ),
      )
      .orderBy(desc(tickets.lastPatientMessageAt))
      .limit(1)
      .for('update');
    return row ?? null;
  }

  function contactKeyOf(contact: Contact | null): string | null {
    const address = contact?.phone ?? contact?.email?.toLowerCase();
    return address ? deps.contactKey(address) : null;
  }

  async function receive(message: IncomingMessage): Promise<IntakeResult> {
    const text = message.text.slice(0, MAX_MESSAGE_LENGTH);
    // The safety screen runs before anything else and is not configurable.
    const safety = screenForSafety(text);
    const ref = await loadReference();
    const facts = await factsOf(message);
    const at = now();
    const key = contactKeyOf(message.contact);

    const outcome = await db.transaction(async (tx) => {
      if (message.emailMessageId) {
        const [seen] = await tx
          .select({ ticketId: ticketMessages.ticketId })
          .from(ticketMessages)
          .where(eq(ticketMessages.emailMessageId, message.emailMessageId));
        if (seen) {
          const [t] = await tx.select().from(tickets).where(eq(tickets.id, seen.ticketId));
          return { ticket: t!, created: false, duplicate: true };
        }
      }
      const existing = await ticketToJoin(tx, message, key);
      let ticket: Ticket;
      let created = false;
      if (existing) {
        ticket = await appendToTicket(tx, existing, safety, ref, at);
      } else {
        ticket = await openTicket(tx, message, facts, safety, ref, key, at);
        created = true;
      }
      await tx.insert(ticketMessages).values({
        ticketId: ticket.id,
        authorType: 'patient',
        kind: 'message',
        channel: message.channel,
        bodyEncrypted: cipher.encrypt(text),
        inboundMessageId: message.inboundMessageId ?? null,
        emailMessageId: message.emailMessageId ?? null,
        createdAt: at,
      });
      return { ticket, created, duplicate: false };
    });

    const { ticket } = outcome;
    if (!outcome.duplicate) {
      // Audited after the commit, without the words: whether the screen hit, which kinds, how many terms.
      await appendAudit(db, {
        action: 'ticket.safety_screened',
        actorType: 'system',
        subjectType: 'ticket',
        subjectId: ticket.id,
        data: { hit: safety.hit, kinds: safety.kinds, terms: safety.terms.length, channel: message.channel },
      });
      await appendAudit(db, {
        action: outcome.created ? 'ticket.created' : 'ticket.message_added',
        actorType: message.patientId ? 'patient' : 'system',
        actorId: message.patientId,
        subjectType: 'ticket',
        subjectId: ticket.id,
        data: {
          number: ticket.number,
          channel: message.channel,
          queue: ticket.queueId,
          ...(outcome.created ? { category: ticket.category, ruleId: ticket.ruleId } : {}),
        },
      });
    }
    log.info(
      {
        ticket: ticket.number,
        created: outcome.created,
        duplicate: outcome.duplicate,
        channel: message.channel,
        queue: ticket.queueId,
        safety: safety.hit,
      },
      'support message received',
    );
    return {
      ticketId: ticket.id,
      number: ticket.number,
      created: outcome.created,
      safety,
      locale: ticket.locale,
      patientId: ticket.patientId,
      queueId: ticket.queueId,
      duplicate: outcome.duplicate,
    };
  }

  async function openTicket(
    tx: DbOrTx,
    message: IncomingMessage,
    facts: RoutingFacts & { cohortId: string | null },
    safety: SafetyVerdict,
    ref: Reference,
    key: string | null,
    at: Date,
  ): Promise<Ticket> {
    const routed = safety.hit
      ? { queue: CLINICAL_QUEUE, priority: 'urgent' as const, tags: ['safety'], ruleId: null }
      : routeWithTrace(ref.rules, facts).decision;
    // A rule naming a queue that was since removed still lands somewhere people look.
    const queueId = ref.queues.has(routed.queue) ? routed.queue : 'general';
    const clocks = clocksFor(ref, { category: message.category, priority: routed.priority }, queueId, at);
    const [ticket] = await tx
      .insert(tickets)
      .values({
        patientId: message.patientId,
        channel: message.channel,
        contactEncrypted: message.contact ? cipher.encrypt(JSON.stringify(message.contact)) : null,
        contactKey: key,
        locale: message.locale,
        category: message.category,
        subtype: message.subtype,
        priority: routed.priority,
        queueId,
        tags: routed.tags,
        safetyFlag: safety.hit,
        safetyKinds: safety.kinds,
        ruleId: routed.ruleId,
        patientStateAtIntake: facts.patientState,
        cohortId: facts.cohortId,
        ...clocks,
        lastPatientMessageAt: at,
        createdAt: at,
        updatedAt: at,
      })
      .returning();
    return ticket!;
  }

  function clocksFor(
    ref: Reference,
    ticket: { category: TicketCategory; priority: Ticket['priority'] },
    queueId: string,
    at: Date,
  ) {
    const policy = choosePolicy(ref.policies, ticket);
    if (!policy) return {};
    const calendar = calendarFor(
      policy,
      ref.queues.get(queueId)?.clinical ?? false,
      deps.settings.businessHours,
    );
    return startClocks(policy, calendar, at);
  }

  async function appendToTicket(
    tx: DbOrTx,
    ticket: Ticket,
    safety: SafetyVerdict,
    ref: Reference,
    at: Date,
  ): Promise<Ticket> {
    const changes: Partial<typeof tickets.$inferInsert> = { lastPatientMessageAt: at, updatedAt: at };
    if (ticket.status === 'waiting_on_patient' || ticket.status === 'solved') {
      changes.status = 'open';
      changes.solvedAt = null;
      // The resolution clock stopped while we waited on the patient; it runs again from now.
      if (
        ticket.slaPausedAt &&
        ticket.resolutionDueAt &&
        ticket.slaPolicyId &&
        at.getTime() >= ticket.slaPausedAt.getTime()
      ) {
        const policy = ref.policies.find((p) => p.id === ticket.slaPolicyId);
        if (policy) {
          const calendar = calendarFor(
            policy,
            ref.queues.get(ticket.queueId)?.clinical ?? false,
            deps.settings.businessHours,
          );
          changes.resolutionDueAt = resumeDue(calendar, ticket.resolutionDueAt, ticket.slaPausedAt, at);
        }
      }
      changes.slaPausedAt = null;
    }
    if (safety.hit && !ticket.safetyFlag) {
      // A later message can raise the alarm: move it to clinical at once, urgent, on the urgent clock.
      Object.assign(changes, {
        safetyFlag: true,
        safetyKinds: safety.kinds,
        queueId: CLINICAL_QUEUE,
        priority: 'urgent',
        tags: [...new Set([...ticket.tags, 'safety'])],
        assigneeId: null,
        assignedAt: null,
        firstRespondedAt: null,
        escalatedAt: null,
        firstResponseBreachedAt: null,
        ...clocksFor(ref, { category: ticket.category, priority: 'urgent' }, CLINICAL_QUEUE, at),
      });
    }
    const [updated] = await tx.update(tickets).set(changes).where(eq(tickets.id, ticket.id)).returning();
    return updated!;
  }

  return {
    receive,
    /** Forgets cached rules, policies and queues (after an edit in this process). */
    invalidate() {
      reference = null;
    },
    loadReference,
  };
}

export type Intake = ReturnType<typeof createIntake>;
