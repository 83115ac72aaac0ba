// The staff side of tickets: queue pages, one ticket with its thread and the patient's identity story,
// replies, internal notes, status, merge, assignment, availability, and macros that act on the patient's
// sign-in and messages with the same checks as self-service. Clinical text is masked for roles that may
// not read it; every view and every change is audited (never with what anyone wrote).
import { and, asc, desc, eq, inArray, isNull, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { appendAudit } from '../../db/audit.ts';
import type { Db } from '../../db/client.ts';
import {
  patients,
  slaPolicies,
  staff,
  supportAgents,
  supportQueues,
  ticketMessages,
  tickets,
  waveDeliveries,
  waves,
  type StaffRole,
  type Ticket,
  type TicketCategory,
  type TicketChannel,
  type TicketPriority,
  type TicketStatus,
} from '../../db/schema/index.ts';
import type { FieldCipher } from '../../identity/encryption.ts';
import {
  maskEmail,
  maskPhone,
  viewPatientIdentity,
  type TimelineEntry,
} from '../../identity/patient-timeline.ts';
import type { SignInGuard } from '../../identity/sign-in-guard.ts';
import type { SignInLinks } from '../../identity/sign-in-links.ts';
import { setAvailability } from './assignment.ts';
import { resumeDue, type BusinessHours } from './business-hours.ts';
import { CLINICAL_QUEUE, MAX_MESSAGE_LENGTH, type Contact } from './intake.ts';
import { calendarFor } from './sla.ts';
import type { Support } from './support.ts';

export interface DeskViewer {
  id: string;
  role: StaffRole;
}

/** Who may do what: the staff console's role lists, handed in so this module does not import the app. */
export interface DeskPolicy {
  workTickets: readonly StaffRole[];
  /** Read the words of clinical tickets (clinical queue, refills, safety hits). */
  readClinical: readonly StaffRole[];
  /** Solve or close a ticket the safety screen flagged. */
  closeSafety: readonly StaffRole[];
  /** Lift a patient's sign-in pause. */
  liftSignInLock: readonly StaffRole[];
  /** See the patient's email and phone in full on a ticket; the others see them masked. */
  fullContact: readonly StaffRole[];
}

export interface DeskDeps {
  db: Db;
  cipher: FieldCipher;
  support: Pick<Support, 'notify' | 'assignWaiting'>;
  signInLinks: Pick<SignInLinks, 'resend'>;
  signInGuard: Pick<SignInGuard, 'lift'>;
  /** Wakes the wave workers after a delivery is put back to pending (they also poll). */
  wakeWaves?: (() => void) | undefined;
  businessHours: BusinessHours;
  policy: DeskPolicy;
  /** Open tickets an agent takes at most, when they first say they are available. */
  defaultCapacity: number;
  now?: (() => Date) | undefined;
}

export type QueueView = 'mine' | 'unassigned' | 'all' | (string & {});

export interface QueueRow {
  id: string;
  number: number;
  category: TicketCategory;
  subtype: string | null;
  channel: TicketChannel;
  status: TicketStatus;
  priority: TicketPriority;
  queueId: string;
  assigneeEmail: string | null;
  createdAt: Date;
  firstResponseDueAt: Date | null;
  firstRespondedAt: Date | null;
  resolutionDueAt: Date | null;
  firstResponseBreached: boolean;
  resolutionBreached: boolean;
  slaPaused: boolean;
  safetyFlag: boolean;
}

export interface QueueCounts {
  mine: number;
  unassigned: number;
  all: number;
  byQueue: { id: string; name: string; clinical: boolean; open: number }[];
}

export interface ThreadEntry {
  id: string;
  authorType: 'patient' | 'staff' | 'system';
  kind: 'message' | 'reply' | 'note' | 'safety_answer' | 'event';
  channel: string;
  staffEmail: string | null;
  createdAt: Date;
  masked: boolean;
  /** Null when masked. */
  text: string | null;
}

export type MacroName = 'resend_sign_in_link' | 'unlock_sign_in' | 'resend_last_wave';
export const macroNames: readonly MacroName[] = ['resend_sign_in_link', 'unlock_sign_in', 'resend_last_wave'];

export type DeskFailure =
  | 'not_found'
  | 'not_allowed'
  | 'clinical_only'
  | 'empty_message'
  | 'closed'
  | 'merged'
  | 'same_ticket'
  | 'target_not_found'
  | 'target_closed'
  | 'different_patients'
  | 'no_such_staff'
  | 'no_patient'
  | 'account_unavailable'
  | 'no_contact'
  | 'nothing_to_resend'
  | 'too_many_requests';

type Refusal<R extends DeskFailure> = { ok: false; reason: R };

export type MacroResult =
  | { ok: true; detail: string }
  | Refusal<
      'not_found' | 'no_patient' | 'not_allowed' | 'account_unavailable' | 'no_contact' | 'nothing_to_resend'
    >
  | { ok: false; reason: 'too_many_requests'; retryAfterSeconds: number };

const OPEN_STATUSES: TicketStatus[] = ['open', 'waiting_on_patient'];
const RESENDABLE = ['sent', 'delivered', 'failed', 'unknown'] as const;
const priorityRank: Record<TicketPriority, number> = { low: 0, normal: 1, high: 2, urgent: 3 };

const uuid = z.string().uuid();

export function createDesk(deps: DeskDeps) {
  const { db, cipher, policy } = deps;
  const now = deps.now ?? (() => new Date());
  const allowed = (viewer: DeskViewer, roles: readonly StaffRole[]) => roles.includes(viewer.role);

  async function queues() {
    return db.select().from(supportQueues).orderBy(asc(supportQueues.position), asc(supportQueues.id));
  }

  /** A ticket with what decides masking: its queue's clinical flag. */
  async function load(ticketId: string) {
    if (!uuid.safeParse(ticketId).success) return null;
    const [row] = await db
      .select({ ticket: tickets, clinicalQueue: supportQueues.clinical })
      .from(tickets)
      .innerJoin(supportQueues, eq(supportQueues.id, tickets.queueId))
      .where(eq(tickets.id, ticketId));
    if (!row) return null;
    const { ticket } = row;
    const clinical = row.clinicalQueue || ticket.category === 'refill' || ticket.safetyFlag;
    return { ticket, clinical };
  }

  const maskedFor = (viewer: DeskViewer, clinical: boolean) =>
    clinical && !allowed(viewer, policy.readClinical);

  async function addMessage(
    ticketId: string,
    message: {
      authorType: 'staff' | 'system';
      kind: 'reply' | 'note' | 'event';
      staffId: string;
      text: string;
    },
    at: Date,
  ) {
    await db.insert(ticketMessages).values({
      ticketId,
      authorType: message.authorType,
      staffId: message.staffId,
      kind: message.kind,
      channel: 'staff',
      bodyEncrypted: cipher.encrypt(message.text),
      createdAt: at,
    });
  }

  async function audit(
    viewer: DeskViewer,
    action: string,
    ticket: Ticket,
    data: Record<string, unknown> = {},
  ) {
    await appendAudit(db, {
      action,
      actorType: 'staff',
      actorId: viewer.id,
      subjectType: 'ticket',
      subjectId: ticket.id,
      data: { number: ticket.number, ...data },
    });
  }

  /** The resolution clock runs again from `at` for the working time it had left when it stopped. */
  async function resumedClock(ticket: Ticket, at: Date): Promise<Partial<typeof tickets.$inferInsert>> {
    const changes: Partial<typeof tickets.$inferInsert> = { slaPausedAt: null };
    if (!ticket.slaPausedAt || !ticket.resolutionDueAt || !ticket.slaPolicyId) return changes;
    const [found] = await db
      .select({ calendar: slaPolicies.calendar, clinical: supportQueues.clinical })
      .from(slaPolicies)
      .innerJoin(supportQueues, eq(supportQueues.id, ticket.queueId))
      .where(eq(slaPolicies.id, ticket.slaPolicyId));
    if (!found) return changes;
    const calendar = calendarFor(found, found.clinical, deps.businessHours);
    // A clock cannot resume before it stopped (two processes' clocks may differ by a little).
    const resumedAt = at < ticket.slaPausedAt ? ticket.slaPausedAt : at;
    changes.resolutionDueAt = resumeDue(calendar, ticket.resolutionDueAt, ticket.slaPausedAt, resumedAt);
    return changes;
  }

  async function findByNumber(number: number): Promise<string | null> {
    if (!Number.isSafeInteger(number) || number < 1 || number > 2_147_483_647) return null;
    const [row] = await db.select({ id: tickets.id }).from(tickets).where(eq(tickets.number, number));
    return row?.id ?? null;
  }

  async function defaultQueuesFor(role: StaffRole): Promise<string[]> {
    const list = await queues();
    if (role === 'clinical') return list.filter((q) => q.clinical).map((q) => q.id);
    if (role === 'support') return list.filter((q) => !q.clinical).map((q) => q.id);
    return list.map((q) => q.id);
  }

  return {
    /**
     * One page of a queue view, most urgent and longest waiting first, and the open counts of every
     * view. No message bodies: the list shows what a ticket is about, not what anyone wrote.
     */
    async queue(input: { viewer: DeskViewer; view: QueueView; page?: number; perPage?: number }) {
      const perPage = Math.min(Math.max(input.perPage ?? 50, 1), 200);
      const page = Math.max(1, Math.floor(input.page ?? 1));
      const queueList = await queues();
      const view: QueueView =
        input.view === 'mine' ||
        input.view === 'unassigned' ||
        input.view === 'all' ||
        queueList.some((q) => q.id === input.view)
          ? input.view
          : 'all';

      const open = inArray(tickets.status, OPEN_STATUSES);
      const where: SQL | undefined =
        view === 'mine'
          ? and(open, eq(tickets.assigneeId, input.viewer.id))
          : view === 'unassigned'
            ? and(isNull(tickets.assigneeId), eq(tickets.status, 'open'))
            : view === 'all'
              ? open
              : and(eq(tickets.queueId, view), open);

      const [rows, countRows, agent] = await Promise.all([
        db
          .select({
            id: tickets.id,
            number: tickets.number,
            category: tickets.category,
            subtype: tickets.subtype,
            channel: tickets.channel,
            status: tickets.status,
            priority: tickets.priority,
            queueId: tickets.queueId,
            assigneeEmail: staff.email,
            createdAt: tickets.createdAt,
            firstResponseDueAt: tickets.firstResponseDueAt,
            firstRespondedAt: tickets.firstRespondedAt,
            resolutionDueAt: tickets.resolutionDueAt,
            firstResponseBreachedAt: tickets.firstResponseBreachedAt,
            resolutionBreachedAt: tickets.resolutionBreachedAt,
            slaPausedAt: tickets.slaPausedAt,
            safetyFlag: tickets.safetyFlag,
          })
          .from(tickets)
          .leftJoin(staff, eq(staff.id, tickets.assigneeId))
          .where(where)
          // The order of tickets_queue_open_idx (and of the assigner): most urgent, then oldest.
          .orderBy(sql`${tickets.priority} DESC NULLS LAST`, asc(tickets.createdAt))
          .limit(perPage)
          .offset((page - 1) * perPage),
        db
          .select({
            queueId: tickets.queueId,
            open: sql<number>`count(*)::int`,
            mine: sql<number>`(count(*) filter (where ${tickets.assigneeId} = ${input.viewer.id}))::int`,
            unassigned: sql<number>`(count(*) filter (where ${tickets.assigneeId} is null and ${tickets.status} = 'open'))::int`,
          })
          .from(tickets)
          .where(open)
          .groupBy(tickets.queueId),
        db.select().from(supportAgents).where(eq(supportAgents.staffId, input.viewer.id)),
      ]);

      const perQueue = new Map(countRows.map((c) => [c.queueId, c]));
      const counts: QueueCounts = {
        mine: countRows.reduce((n, c) => n + c.mine, 0),
        unassigned: countRows.reduce((n, c) => n + c.unassigned, 0),
        all: countRows.reduce((n, c) => n + c.open, 0),
        byQueue: queueList.map((q) => ({
          id: q.id,
          name: q.name,
          clinical: q.clinical,
          open: perQueue.get(q.id)?.open ?? 0,
        })),
      };
      const total =
        view === 'mine'
          ? counts.mine
          : view === 'unassigned'
            ? counts.unassigned
            : view === 'all'
              ? counts.all
              : (perQueue.get(view)?.open ?? 0);
      const me = agent[0];
      return {
        view,
        page,
        perPage,
        total,
        pages: Math.max(1, Math.ceil(total / perPage)),
        counts,
        agent: me
          ? { available: me.available, capacity: me.capacity, openCount: me.openCount, queues: me.queues }
          : null,
        rows: rows.map((r): QueueRow => ({
          id: r.id,
          number: r.number,
          category: r.category,
          subtype: r.subtype,
          channel: r.channel,
          status: r.status,
          priority: r.priority,
          queueId: r.queueId,
          assigneeEmail: r.assigneeEmail,
          createdAt: r.createdAt,
          firstResponseDueAt: r.firstResponseDueAt,
          firstRespondedAt: r.firstRespondedAt,
          resolutionDueAt: r.resolutionDueAt,
          firstResponseBreached: r.firstResponseBreachedAt !== null,
          resolutionBreached: r.resolutionBreachedAt !== null,
          slaPaused: r.slaPausedAt !== null,
          safetyFlag: r.safetyFlag,
        })),
      };
    },

    /** The ticket a patient-facing reference names, for "go to #1042". */
    findByNumber,

    /**
     * One ticket for a staff member: its thread (masked for a role that may not read clinical text),
     * the patient's identity timeline and recent wave messages. Every view is audited.
     */
    async view(input: { viewer: DeskViewer; ticketId: string }) {
      const found = await load(input.ticketId);
      if (!found) return null;
      const { ticket, clinical } = found;
      const masked = maskedFor(input.viewer, clinical);
      const fullContact = allowed(input.viewer, policy.fullContact);
      await audit(input.viewer, 'staff.viewed_ticket', ticket, { masked });

      const [messages, queueRow, assignee, mergedInto, mergedFrom] = await Promise.all([
        db
          .select({ message: ticketMessages, staffEmail: staff.email })
          .from(ticketMessages)
          .leftJoin(staff, eq(staff.id, ticketMessages.staffId))
          .where(eq(ticketMessages.ticketId, ticket.id))
          .orderBy(asc(ticketMessages.createdAt), asc(ticketMessages.id)),
        db.select().from(supportQueues).where(eq(supportQueues.id, ticket.queueId)),
        ticket.assigneeId
          ? db.select({ id: staff.id, email: staff.email }).from(staff).where(eq(staff.id, ticket.assigneeId))
          : Promise.resolve([]),
        ticket.mergedIntoId
          ? db
              .select({ id: tickets.id, number: tickets.number })
              .from(tickets)
              .where(eq(tickets.id, ticket.mergedIntoId))
          : Promise.resolve([]),
        db
          .select({ id: tickets.id, number: tickets.number })
          .from(tickets)
          .where(eq(tickets.mergedIntoId, ticket.id))
          .orderBy(asc(tickets.number)),
      ]);

      const thread: ThreadEntry[] = messages.map(({ message: m, staffEmail }) => ({
        id: m.id,
        authorType: m.authorType,
        kind: m.kind,
        channel: m.channel,
        staffEmail,
        createdAt: m.createdAt,
        masked,
        text: masked ? null : cipher.decrypt(m.bodyEncrypted),
      }));

      let patient: {
        id: string;
        name: string;
        state: string;
        cohort: string | null;
        email: string | null;
        phone: string | null;
        signInLockedUntil: Date | null;
        timeline: TimelineEntry[];
        waveMessages: { wave: string; channel: string; state: string; at: Date }[];
      } | null = null;
      if (ticket.patientId) {
        const identity = await viewPatientIdentity(db, ticket.patientId, {
          staffId: input.viewer.id,
          role: input.viewer.role,
        });
        if (identity) {
          const p = identity.patient;
          const waveMessages = await db
            .select({
              wave: waves.name,
              channel: waveDeliveries.channel,
              state: waveDeliveries.state,
              at: waveDeliveries.sendAt,
            })
            .from(waveDeliveries)
            .innerJoin(waves, eq(waves.id, waveDeliveries.waveId))
            .where(eq(waveDeliveries.patientId, p.id))
            .orderBy(desc(waveDeliveries.sendAt), desc(waveDeliveries.id))
            .limit(5);
          patient = {
            id: p.id,
            name: [p.givenName, p.familyName].filter(Boolean).join(' ') || '(no name on file)',
            state: p.state,
            cohort: identity.cohort,
            email: fullContact ? p.email : maskEmail(p.email),
            phone: fullContact ? p.phone : maskPhone(p.phone),
            signInLockedUntil: p.signInLockedUntil,
            timeline: identity.timeline,
            waveMessages,
          };
        }
      }
      let contact: { email: string | null; phone: string | null } | null = null;
      if (!ticket.patientId && ticket.contactEncrypted) {
        const c = JSON.parse(cipher.decrypt(ticket.contactEncrypted)) as Contact;
        contact = fullContact
          ? { email: c.email ?? null, phone: c.phone ?? null }
          : { email: maskEmail(c.email ?? null), phone: maskPhone(c.phone ?? null) };
      }

      return {
        ticket: {
          id: ticket.id,
          number: ticket.number,
          status: ticket.status,
          priority: ticket.priority,
          category: ticket.category,
          subtype: ticket.subtype,
          channel: ticket.channel,
          locale: ticket.locale,
          tags: ticket.tags,
          queueId: ticket.queueId,
          queueName: queueRow[0]?.name ?? ticket.queueId,
          safetyFlag: ticket.safetyFlag,
          safetyKinds: ticket.safetyKinds,
          assignee: assignee[0] ?? null,
          createdAt: ticket.createdAt,
          firstResponseDueAt: ticket.firstResponseDueAt,
          firstRespondedAt: ticket.firstRespondedAt,
          resolutionDueAt: ticket.resolutionDueAt,
          firstResponseBreachedAt: ticket.firstResponseBreachedAt,
          resolutionBreachedAt: ticket.resolutionBreachedAt,
          slaPausedAt: ticket.slaPausedAt,
          solvedAt: ticket.solvedAt,
          mergedInto: mergedInto[0] ?? null,
          mergedFrom,
          hasPatient: ticket.patientId !== null,
        },
        clinical,
        masked,
        thread,
        patient,
        contact,
      };
    },

    /**
     * A reply the patient reads in the portal; their email or text only says there is one. Waiting on
     * the patient pauses the resolution clock until they answer.
     */
    async reply(input: {
      viewer: DeskViewer;
      ticketId: string;
      text: string;
      waitOnPatient: boolean;
    }): Promise<
      | { ok: true; notice: 'email' | 'sms' | null }
      | Refusal<'not_found' | 'clinical_only' | 'closed' | 'empty_message'>
    > {
      const found = await load(input.ticketId);
      if (!found) return { ok: false, reason: 'not_found' };
      const { ticket, clinical } = found;
      if (maskedFor(input.viewer, clinical)) return { ok: false, reason: 'clinical_only' };
      if (ticket.status === 'closed' || ticket.status === 'merged') return { ok: false, reason: 'closed' };
      const text = input.text.trim().slice(0, MAX_MESSAGE_LENGTH);
      if (!text) return { ok: false, reason: 'empty_message' };
      const at = now();
      let changes: Partial<typeof tickets.$inferInsert> = {
        firstRespondedAt: ticket.firstRespondedAt ?? at,
        lastStaffReplyAt: at,
        updatedAt: at,
      };
      if (input.waitOnPatient)
        Object.assign(changes, { status: 'waiting_on_patient', slaPausedAt: ticket.slaPausedAt ?? at });
      else if (ticket.status === 'waiting_on_patient')
        changes = { ...changes, status: 'open', ...(await resumedClock(ticket, at)) };
      await addMessage(ticket.id, { authorType: 'staff', kind: 'reply', staffId: input.viewer.id, text }, at);
      const [updated] = await db.update(tickets).set(changes).where(eq(tickets.id, ticket.id)).returning();
      const notice = await deps.support.notify(updated ?? ticket, 'reply');
      await audit(input.viewer, 'ticket.replied', ticket, { waitOnPatient: input.waitOnPatient, notice });
      return { ok: true, notice };
    },

    /** An internal note: staff only, never shown to the patient. */
    async note(input: {
      viewer: DeskViewer;
      ticketId: string;
      text: string;
    }): Promise<{ ok: true } | Refusal<'not_found' | 'empty_message'>> {
      const found = await load(input.ticketId);
      if (!found) return { ok: false, reason: 'not_found' };
      const text = input.text.trim().slice(0, MAX_MESSAGE_LENGTH);
      if (!text) return { ok: false, reason: 'empty_message' };
      const at = now();
      await addMessage(
        found.ticket.id,
        { authorType: 'staff', kind: 'note', staffId: input.viewer.id, text },
        at,
      );
      await db.update(tickets).set({ updatedAt: at }).where(eq(tickets.id, found.ticket.id));
      await audit(input.viewer, 'ticket.noted', found.ticket);
      return { ok: true };
    },

    /** Reopen, solve or close. Only clinical staff solve or close what the safety screen flagged. */
    async setStatus(input: {
      viewer: DeskViewer;
      ticketId: string;
      status: 'open' | 'solved' | 'closed';
    }): Promise<{ ok: true; changed: boolean } | Refusal<'not_found' | 'merged' | 'clinical_only'>> {
      const found = await load(input.ticketId);
      if (!found) return { ok: false, reason: 'not_found' };
      const { ticket } = found;
      if (ticket.status === 'merged') return { ok: false, reason: 'merged' };
      if (ticket.safetyFlag && input.status !== 'open' && !allowed(input.viewer, policy.closeSafety))
        return { ok: false, reason: 'clinical_only' };
      if (ticket.status === input.status) return { ok: true, changed: false };
      const at = now();
      let changes: Partial<typeof tickets.$inferInsert> = { status: input.status, updatedAt: at };
      if (input.status === 'solved') changes.solvedAt = at;
      if (input.status === 'open') {
        changes.solvedAt = null;
        if (ticket.status === 'waiting_on_patient')
          changes = { ...changes, ...(await resumedClock(ticket, at)) };
      }
      const [updated] = await db
        .update(tickets)
        .set(changes)
        // Only from the status this decision was made on: two people pressing at once change it once.
        .where(and(eq(tickets.id, ticket.id), eq(tickets.status, ticket.status)))
        .returning({ id: tickets.id });
      if (!updated) return { ok: true, changed: false };
      const words = { open: 'Reopened', solved: 'Marked solved', closed: 'Closed' } as const;
      await addMessage(
        ticket.id,
        { authorType: 'system', kind: 'event', staffId: input.viewer.id, text: words[input.status] },
        at,
      );
      await audit(input.viewer, 'ticket.status_changed', ticket, { from: ticket.status, to: input.status });
      return { ok: true, changed: true };
    },

    /**
     * Merges this ticket into another of the same patient (or the same unknown sender): its messages
     * move, it points at the survivor, and a safety flag on either flags the survivor.
     */
    async merge(input: {
      viewer: DeskViewer;
      ticketId: string;
      intoNumber: number;
    }): Promise<
      | { ok: true; intoId: string; intoNumber: number; moved: number }
      | Refusal<
          'not_found' | 'merged' | 'same_ticket' | 'target_not_found' | 'target_closed' | 'different_patients'
        >
    > {
      const found = await load(input.ticketId);
      if (!found) return { ok: false, reason: 'not_found' };
      const source = found.ticket;
      if (source.status === 'merged') return { ok: false, reason: 'merged' };
      if (source.number === input.intoNumber) return { ok: false, reason: 'same_ticket' };
      const targetId = await findByNumber(input.intoNumber);
      const target = targetId ? (await load(targetId))?.ticket : null;
      if (!target) return { ok: false, reason: 'target_not_found' };
      if (target.status === 'merged' || target.status === 'closed')
        return { ok: false, reason: 'target_closed' };
      // Tickets of one person only: a merge must never show one sender's words to another (a patient
      // reads the survivor in the portal, an unknown sender through its read link).
      const samePerson = source.patientId
        ? source.patientId === target.patientId
        : !target.patientId && source.contactKey !== null && source.contactKey === target.contactKey;
      if (!samePerson) return { ok: false, reason: 'different_patients' };

      const at = now();
      const flagged = source.safetyFlag || target.safetyFlag;
      const survivor: Partial<typeof tickets.$inferInsert> = {
        priority:
          priorityRank[source.priority] > priorityRank[target.priority] ? source.priority : target.priority,
        lastPatientMessageAt:
          source.lastPatientMessageAt > target.lastPatientMessageAt
            ? source.lastPatientMessageAt
            : target.lastPatientMessageAt,
        tags: [...new Set([...target.tags, ...source.tags])],
        updatedAt: at,
      };
      if (flagged) {
        Object.assign(survivor, {
          safetyFlag: true,
          safetyKinds: [...new Set([...target.safetyKinds, ...source.safetyKinds])],
          queueId: CLINICAL_QUEUE,
        });
        if (!target.safetyFlag) {
          survivor.priority = 'urgent';
          // Whoever holds it must be able to read it now that it is clinical.
          if (target.assigneeId) {
            const [holder] = await db
              .select({ role: staff.role })
              .from(staff)
              .where(eq(staff.id, target.assigneeId));
            if (!holder || !policy.readClinical.includes(holder.role))
              Object.assign(survivor, { assigneeId: null, assignedAt: null });
          }
        }
      }
      const moved = await db.transaction(async (tx) => {
        const [claimed] = await tx
          .update(tickets)
          .set({ status: 'merged', mergedIntoId: target.id, updatedAt: at })
          .where(and(eq(tickets.id, source.id), eq(tickets.status, source.status)))
          .returning({ id: tickets.id });
        if (!claimed) return null;
        const rows = await tx
          .update(ticketMessages)
          .set({ ticketId: target.id })
          .where(eq(ticketMessages.ticketId, source.id))
          .returning({ id: ticketMessages.id });
        await tx.update(tickets).set(survivor).where(eq(tickets.id, target.id));
        await tx.insert(ticketMessages).values([
          {
            ticketId: target.id,
            authorType: 'system',
            staffId: input.viewer.id,
            kind: 'event',
            channel: 'staff',
            bodyEncrypted: cipher.encrypt(`Ticket #${source.number} was merged into this one.`),
            createdAt: at,
          },
          {
            ticketId: source.id,
            authorType: 'system',
            staffId: input.viewer.id,
            kind: 'event',
            channel: 'staff',
            bodyEncrypted: cipher.encrypt(`Merged into ticket #${target.number}.`),
            createdAt: at,
          },
        ]);
        return rows.length;
      });
      if (moved === null) return { ok: false, reason: 'merged' };
      await audit(input.viewer, 'ticket.merged', source, {
        into: target.number,
        moved,
        safetyFlagCarried: source.safetyFlag && !target.safetyFlag,
      });
      return { ok: true, intoId: target.id, intoNumber: target.number, moved };
    },

    /** Gives the ticket to a staff member (who must be able to read it), or back to the queue. */
    async assign(input: {
      viewer: DeskViewer;
      ticketId: string;
      to: string | null;
    }): Promise<{ ok: true } | Refusal<'not_found' | 'closed' | 'no_such_staff' | 'clinical_only'>> {
      const found = await load(input.ticketId);
      if (!found) return { ok: false, reason: 'not_found' };
      const { ticket, clinical } = found;
      if (!OPEN_STATUSES.includes(ticket.status)) return { ok: false, reason: 'closed' };
      let toEmail: string | null = null;
      if (input.to) {
        if (!uuid.safeParse(input.to).success) return { ok: false, reason: 'no_such_staff' };
        const [member] = await db
          .select({ email: staff.email, role: staff.role, disabledAt: staff.disabledAt })
          .from(staff)
          .where(eq(staff.id, input.to));
        if (!member || member.disabledAt || !policy.workTickets.includes(member.role))
          return { ok: false, reason: 'no_such_staff' };
        if (clinical && !policy.readClinical.includes(member.role))
          return { ok: false, reason: 'clinical_only' };
        toEmail = member.email;
      }
      if (ticket.assigneeId === input.to) return { ok: true };
      const at = now();
      await db
        .update(tickets)
        .set({ assigneeId: input.to, assignedAt: input.to ? at : null, updatedAt: at })
        .where(eq(tickets.id, ticket.id));
      await addMessage(
        ticket.id,
        {
          authorType: 'system',
          kind: 'event',
          staffId: input.viewer.id,
          text: toEmail ? `Assigned to ${toEmail}` : 'Put back in the queue (unassigned)',
        },
        at,
      );
      await audit(input.viewer, 'ticket.assigned', ticket, { to: input.to });
      return { ok: true };
    },

    /**
     * An agent starts or stops taking tickets. The first time, their queues follow their role (clinical
     * staff the clinical queues, support the others, admins all) and their capacity the default.
     */
    async setAvailability(input: {
      viewer: DeskViewer;
      available: boolean;
    }): Promise<{ ok: true; assigned: number } | Refusal<'not_allowed'>> {
      if (!allowed(input.viewer, policy.workTickets)) return { ok: false, reason: 'not_allowed' };
      await setAvailability(db, {
        staffId: input.viewer.id,
        available: input.available,
        defaultQueues: await defaultQueuesFor(input.viewer.role),
        defaultCapacity: deps.defaultCapacity,
      });
      await appendAudit(db, {
        action: 'support.agent_availability',
        actorType: 'staff',
        actorId: input.viewer.id,
        subjectType: 'staff',
        subjectId: input.viewer.id,
        data: { available: input.available },
      });
      const { assigned } = input.available ? await deps.support.assignWaiting() : { assigned: 0 };
      return { ok: true, assigned };
    },

    /**
     * Macros act for the ticket's patient with the checks self-service has (rate limits, consent and
     * quiet hours at send time). Each is audited and leaves an event on the ticket.
     */
    async runMacro(input: { viewer: DeskViewer; ticketId: string; macro: MacroName }): Promise<MacroResult> {
      const found = await load(input.ticketId);
      if (!found) return { ok: false, reason: 'not_found' };
      const { ticket } = found;
      const outcome = async (result: MacroResult): Promise<MacroResult> => {
        await audit(input.viewer, 'ticket.macro', ticket, {
          macro: input.macro,
          outcome: result.ok ? 'done' : result.reason,
        });
        if (result.ok)
          await addMessage(
            ticket.id,
            { authorType: 'system', kind: 'event', staffId: input.viewer.id, text: result.detail },
            now(),
          );
        return result;
      };
      if (!ticket.patientId) return outcome({ ok: false, reason: 'no_patient' });
      const patientId = ticket.patientId;
      const [patient] = await db
        .select({ state: patients.state, email: patients.email, phone: patients.phone })
        .from(patients)
        .where(eq(patients.id, patientId));
      if (!patient) return outcome({ ok: false, reason: 'no_patient' });

      switch (input.macro) {
        case 'resend_sign_in_link': {
          // The service answers "sent" either way for these (it reveals nothing to an anonymous
          // caller); staff are told the truth.
          if (patient.state === 'closed' || patient.state === 'locked')
            return outcome({ ok: false, reason: 'account_unavailable' });
          if (!patient.email && !patient.phone) return outcome({ ok: false, reason: 'no_contact' });
          const sent = await deps.signInLinks.resend(patientId);
          if (!sent.ok)
            return outcome(sent.reason === 'too_many_requests' ? sent : { ok: false, reason: 'no_contact' });
          return outcome({
            ok: true,
            detail: `Sent a new sign-in ${patient.email ? 'link by email' : 'code by text'} to the contact on file.`,
          });
        }
        case 'unlock_sign_in': {
          if (!allowed(input.viewer, policy.liftSignInLock))
            return outcome({ ok: false, reason: 'not_allowed' });
          const lifted = await deps.signInGuard.lift(patientId, input.viewer.id);
          if (!lifted) return outcome({ ok: false, reason: 'no_patient' });
          return outcome({ ok: true, detail: 'Lifted the sign-in pause.' });
        }
        case 'resend_last_wave': {
          const at = now();
          const resent = await db.transaction(async (tx) => {
            const [last] = await tx
              .select({
                id: waveDeliveries.id,
                waveId: waveDeliveries.waveId,
                channel: waveDeliveries.channel,
                wave: waves.name,
                waveState: waves.state,
              })
              .from(waveDeliveries)
              .innerJoin(waves, eq(waves.id, waveDeliveries.waveId))
              .where(
                and(
                  eq(waveDeliveries.patientId, patientId),
                  inArray(waveDeliveries.state, [...RESENDABLE]),
                  // A cancelled wave sends nothing more, not even to one patient.
                  inArray(waves.state, ['scheduled', 'sending', 'paused', 'done']),
                ),
              )
              .orderBy(desc(waveDeliveries.sendAt), desc(waveDeliveries.id))
              .limit(1)
              .for('update');
            if (!last) return null;
            const changed = await tx
              .update(waveDeliveries)
              .set({
                state: 'pending',
                claimToken: null,
                sendAt: at,
                reason: 'resent_by_staff',
                updatedAt: at,
              })
              .where(and(eq(waveDeliveries.id, last.id), inArray(waveDeliveries.state, [...RESENDABLE])))
              .returning({ id: waveDeliveries.id });
            if (!changed.length) return null;
            // A finished wave goes back to sending so the workers pick the delivery up.
            if (last.waveState === 'done')
              await tx
                .update(waves)
                .set({ state: 'sending', finishedAt: null, updatedAt: at })
                .where(and(eq(waves.id, last.waveId), eq(waves.state, 'done')));
            return last;
          });
          if (!resent) return outcome({ ok: false, reason: 'nothing_to_resend' });
          deps.wakeWaves?.();
          const how = resent.channel === 'sms' ? 'text' : 'email';
          return outcome({
            ok: true,
            detail:
              resent.waveState === 'paused'
                ? `Queued "${resent.wave}" again by ${how}: it goes when the wave is resumed.`
                : `Sent "${resent.wave}" again by ${how} (consent and quiet hours are checked when it goes out).`,
          });
        }
      }
    },
  };
}

export type Desk = ReturnType<typeof createDesk>;
