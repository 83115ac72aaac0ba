// The support desk as the rest of Causeway sees it: requests from the help page, texts and email
// replies in (through intake), content-free notices out, what patients read of their requests, and the
// minute upkeep (assignment sweep, SLA warnings and breaches). Staff work lives in desk.ts.
import { createHmac } from 'node:crypto';
import { and, asc, desc, eq, inArray, isNotNull, isNull, lte, ne, or, sql } from 'drizzle-orm';
import { appendAudit } from '../../db/audit.ts';
import type { Db } from '../../db/client.ts';
import {
  patients,
  slaPolicies,
  staff,
  supportQueues,
  ticketMessages,
  tickets,
  type Ticket,
  type TicketCategory,
} from '../../db/schema/index.ts';
import type { Brand } from '../../emails/brand.ts';
import {
  renderSafetyAnswerEmail,
  renderTicketReceivedEmail,
  renderTicketReplyEmail,
  ticketReceivedSms,
  ticketReplySms,
  ticketTextedSms,
} from '../../emails/ticket-notices.tsx';
import type { FieldCipher } from '../../identity/encryption.ts';
import type { Logger } from '../../infra/logger.ts';
import type { EmailChannel } from '../channels/email.ts';
import type { SmsChannel } from '../channels/sms.ts';
import { suppressedAddresses } from '../consent.ts';
import { assignWaiting } from './assignment.ts';
import type { BusinessHours } from './business-hours.ts';
import { createIntake, MAX_MESSAGE_LENGTH, type Contact, type IntakeResult, type Locale } from './intake.ts';
import type { InboundEmail, MailInVerdict } from './mail-in.ts';
import { ticketSubtypes } from './routing.ts';
import { safetyGuidance, screenForSafety } from './safety-screen.ts';
import { raisedPriority } from './sla.ts';
import { createTicketTokens } from './threading.ts';

export interface SupportDeps {
  db: Db;
  cipher: FieldCipher;
  email: Pick<EmailChannel, 'send'>;
  sms: Pick<SmsChannel, 'send'>;
  brand: Brand;
  publicUrl: string;
  /** Signs threading tokens and read links, and keys contact addresses. */
  secret: string;
  replyAddress: string;
  businessHours: BusinessHours;
  logger: Logger;
  now?: (() => Date) | undefined;
}

export type HelpRequestResult =
  | {
      ok: true;
      number: number;
      /** What to do right now, when the safety screen hit (the page shows it first). */
      safetyGuidance: string | null;
      /** The private link to read the answer, for someone who is not signed in. */
      readLink: string | null;
    }
  | { ok: false; reason: 'empty_message' | 'no_contact' | 'bad_subtype' };

export interface PatientRequestView {
  id: string;
  number: number;
  category: TicketCategory;
  subtype: string | null;
  /** As the patient reads it: open (we are on it), answered (waiting on you), solved, closed. */
  status: 'open' | 'answered' | 'solved' | 'closed';
  createdAt: Date;
  updatedAt: Date;
  canReply: boolean;
  messages: { from: 'you' | 'us'; at: Date; text: string; safety: boolean }[];
}

const SPANISH = new Set([
  'el',
  'la',
  'los',
  'las',
  'que',
  'de',
  'mi',
  'por',
  'para',
  'es',
  'y',
  'hola',
  'gracias',
  'ayuda',
  'necesito',
  'no',
  'puedo',
  'con',
  'una',
  'un',
  'estoy',
  'quiero',
]);
const ENGLISH = new Set([
  'the',
  'and',
  'i',
  'my',
  'to',
  'is',
  'please',
  'help',
  'need',
  'can',
  'cant',
  'not',
  'with',
  'a',
  'an',
  'am',
  'want',
  'hi',
  'thanks',
]);

/**
 * The language to answer someone we cannot tie to a patient: the safety screen's words when they hit,
 * else whichever of Spanish and English common words the message has more of, else the fallback.
 */
export function guessLocale(text: string, fallback: Locale): Locale {
  const screened = screenForSafety(text).language;
  if (screened === 'es') return 'es';
  const words = text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .split(/[^\p{L}]+/u);
  let es = 0;
  let en = 0;
  for (const w of words) {
    if (SPANISH.has(w)) es++;
    if (ENGLISH.has(w)) en++;
  }
  if (es > en) return 'es';
  if (en > es) return 'en';
  return screened ?? fallback;
}

const NOTICE_KINDS = { received: 'ticket_received', reply: 'ticket_reply', safety: 'ticket_safety' } as const;

export function createSupport(deps: SupportDeps) {
  const { db, cipher, logger, brand, publicUrl } = deps;
  const now = deps.now ?? (() => new Date());
  const log = logger.child({ area: 'support' });
  const tokens = createTicketTokens(deps.secret, deps.replyAddress);
  const contactKey = (address: string) =>
    createHmac('sha256', deps.secret).update(`contact:${address}`).digest('base64url');
  const intake = createIntake({
    db,
    cipher,
    settings: { businessHours: deps.businessHours },
    logger,
    contactKey,
    now,
  });

  const readLink = (ticketId: string) =>
    new URL(`/help/r/${tokens.sign('read', ticketId)}`, publicUrl).toString();

  /** Where notices about a ticket go: the patient's own address, or the contact the sender gave. */
  async function recipientOf(ticket: Ticket): Promise<{ email: string | null; phone: string | null }> {
    if (ticket.patientId) {
      const [p] = await db
        .select({ email: patients.email, phone: patients.phone })
        .from(patients)
        .where(eq(patients.id, ticket.patientId));
      if (p) return { email: p.email, phone: p.phone };
    }
    const contact = ticket.contactEncrypted
      ? (JSON.parse(cipher.decrypt(ticket.contactEncrypted)) as Contact)
      : {};
    return { email: contact.email ?? null, phone: contact.phone ?? null };
  }

  /**
   * Tells the patient, on the channel they wrote on, that we received their request or replied. No
   * content: the reference and a link. SMS only to a number that has not texted STOP.
   */
  async function notify(ticket: Ticket, kind: 'received' | 'reply'): Promise<'email' | 'sms' | null> {
    const to = await recipientOf(ticket);
    const link = ticket.patientId ? undefined : readLink(ticket.id);
    const input = {
      brand,
      locale: ticket.locale,
      portalUrl: publicUrl,
      reference: String(ticket.number),
      link,
    };
    const preferSms = ticket.channel === 'sms' || !to.email;
    if (preferSms && to.phone) {
      const stopped = await suppressedAddresses(db, 'sms', [to.phone], { scope: 'all' });
      if (!stopped.has(to.phone)) {
        const body = kind === 'received' ? ticketReceivedSms(input) : ticketReplySms(input);
        const sent = await deps.sms.send({
          to: to.phone,
          body,
          kind: NOTICE_KINDS[kind],
          patientId: ticket.patientId,
        });
        if (sent.ok) return 'sms';
      }
    }
    if (to.email) {
      const rendered =
        kind === 'received'
          ? await renderTicketReceivedEmail({ ...input, assetBaseUrl: publicUrl })
          : await renderTicketReplyEmail({ ...input, assetBaseUrl: publicUrl });
      const sent = await deps.email.send({
        to: to.email,
        ...rendered,
        headers: threadingHeaders(ticket.id),
        kind: NOTICE_KINDS[kind],
        patientId: ticket.patientId,
      });
      if (sent.ok) return 'email';
    }
    log.warn({ ticket: ticket.number, kind }, 'support notice not sent: no address that takes it');
    return null;
  }

  function threadingHeaders(ticketId: string): Record<string, string> {
    return { 'Message-ID': tokens.messageId(ticketId), 'Reply-To': tokens.replyAddress(ticketId) };
  }

  async function ticketById(id: string): Promise<Ticket | null> {
    const [t] = await db.select().from(tickets).where(eq(tickets.id, id));
    return t ?? null;
  }

  async function afterIntake(result: IntakeResult) {
    if (result.duplicate) return;
    // Assignment runs now for the ticket's queue (the minute upkeep sweeps whatever is left).
    await assignWaiting(db, { queues: [result.queueId], now: now() });
  }

  /** The answer the safety screen gives, kept on the ticket so staff see what the patient was told. */
  async function recordSafetyAnswer(result: IntakeResult, text: string, channel: 'web' | 'sms' | 'email') {
    await db.insert(ticketMessages).values({
      ticketId: result.ticketId,
      authorType: 'system',
      kind: 'safety_answer',
      channel: channel === 'web' ? 'portal' : channel,
      bodyEncrypted: cipher.encrypt(text),
      createdAt: now(),
    });
  }

  function toPatientView(
    ticket: Ticket,
    rows: { authorType: string; kind: string; bodyEncrypted: string; createdAt: Date }[],
  ): PatientRequestView {
    const status: PatientRequestView['status'] =
      ticket.status === 'waiting_on_patient'
        ? 'answered'
        : ticket.status === 'solved'
          ? 'solved'
          : ticket.status === 'closed' || ticket.status === 'merged'
            ? 'closed'
            : 'open';
    return {
      id: ticket.id,
      number: ticket.number,
      category: ticket.category,
      subtype: ticket.subtype,
      status,
      createdAt: ticket.createdAt,
      updatedAt: ticket.updatedAt,
      canReply: status !== 'closed',
      // Internal notes and events never reach the patient.
      messages: rows
        .filter((m) => m.kind === 'message' || m.kind === 'reply' || m.kind === 'safety_answer')
        .map((m) => ({
          from: m.authorType === 'patient' ? ('you' as const) : ('us' as const),
          at: m.createdAt,
          text: cipher.decrypt(m.bodyEncrypted),
          safety: m.kind === 'safety_answer',
        })),
    };
  }

  async function messagesOf(ticketIds: string[]) {
    if (ticketIds.length === 0) return [];
    return db
      .select({
        ticketId: ticketMessages.ticketId,
        authorType: ticketMessages.authorType,
        kind: ticketMessages.kind,
        bodyEncrypted: ticketMessages.bodyEncrypted,
        createdAt: ticketMessages.createdAt,
      })
      .from(ticketMessages)
      .where(inArray(ticketMessages.ticketId, ticketIds))
      .orderBy(asc(ticketMessages.createdAt));
  }

  async function supervisors() {
    return db
      .select({ email: staff.email })
      .from(staff)
      .where(and(eq(staff.role, 'admin'), isNull(staff.disabledAt)));
  }

  /** A supervisor hears that a ticket needs attention: its number and a link, nothing the patient wrote. */
  async function notifySupervisors(ticket: Ticket, what: string) {
    const link = new URL(`/staff/tickets/${ticket.id}`, publicUrl).toString();
    for (const s of await supervisors())
      await deps.email.send({
        to: s.email,
        subject: `Ticket #${ticket.number}: ${what}`,
        text: `Ticket #${ticket.number} in the ${ticket.queueId} queue: ${what}.\n\nOpen it: ${link}\n`,
        html: `<p>Ticket #${ticket.number} in the ${ticket.queueId} queue: ${what}.</p><p><a href="${link}">Open it</a></p>`,
        kind: 'ticket_escalation',
      });
  }

  return {
    tokens,
    intake,
    notify,
    readLink,
    threadingHeaders,

    /** A request from the help page (signed in: the patient; otherwise a contact to answer). */
    async submitHelpRequest(input: {
      patientId: string | null;
      contact: Contact | null;
      category: TicketCategory;
      subtype: string | null;
      message: string;
      locale: Locale;
    }): Promise<HelpRequestResult> {
      const text = input.message.trim();
      if (!text) return { ok: false, reason: 'empty_message' };
      if (!input.patientId && !input.contact?.email && !input.contact?.phone)
        return { ok: false, reason: 'no_contact' };
      if (input.subtype && !ticketSubtypes[input.category].includes(input.subtype))
        return { ok: false, reason: 'bad_subtype' };
      const result = await intake.receive({
        channel: 'web',
        patientId: input.patientId,
        contact: input.patientId ? null : input.contact,
        category: input.category,
        subtype: input.subtype,
        text,
        locale: input.locale,
        joinRecent: false,
      });
      const guidance = result.safety.hit ? safetyGuidance(input.locale, result.safety.kinds, 'text') : null;
      if (guidance) await recordSafetyAnswer(result, guidance, 'web');
      const ticket = await ticketById(result.ticketId);
      await notify(ticket!, 'received');
      await afterIntake(result);
      return {
        ok: true,
        number: result.number,
        safetyGuidance: guidance,
        readLink: input.patientId ? null : readLink(result.ticketId),
      };
    },

    /**
     * A text that is not a carrier keyword. `patientId` only when the number is verified on exactly one
     * account. Returns the answer to text back at once (TwiML).
     */
    async receiveText(input: {
      inboundMessageId: string;
      from: string;
      body: string;
      patientId: string | null;
      locale: Locale;
    }): Promise<string> {
      const result = await intake.receive({
        channel: 'sms',
        patientId: input.patientId,
        contact: { phone: input.from },
        category: 'other',
        subtype: null,
        text: input.body,
        locale: input.patientId ? input.locale : guessLocale(input.body, input.locale),
        joinRecent: true,
        inboundMessageId: input.inboundMessageId,
      });
      await afterIntake(result);
      const input2 = {
        brand,
        locale: result.locale,
        portalUrl: publicUrl,
        reference: String(result.number),
        link: result.patientId ? undefined : readLink(result.ticketId),
      };
      if (result.safety.hit) {
        const answer = `${brand.name}: ${safetyGuidance(result.locale, result.safety.kinds, 'sms')}`;
        await recordSafetyAnswer(result, answer, 'sms');
        return answer;
      }
      return result.created ? ticketTextedSms(input2) : '';
    },

    /** An email from `causeway mail-in`: threaded by a signed token, else a new ticket. */
    async receiveEmail(email: InboundEmail): Promise<MailInVerdict> {
      const text = email.text.trim();
      if (!text) return { accept: true };
      const threadTicketId = tokens.ticketOf(email);
      let patientId: string | null = null;
      let locale: Locale = guessLocale(`${email.subject}\n${text}`, 'en');
      if (threadTicketId) {
        const t = await ticketById(threadTicketId);
        patientId = t?.patientId ?? null;
        locale = t?.locale ?? 'en';
      } else if (email.from) {
        // Without a token, a patient is known only by an address verified on exactly one account.
        const holders = await db
          .select({ id: patients.id, locale: patients.locale })
          .from(patients)
          .where(
            and(
              eq(patients.emailNormalized, email.from),
              eq(patients.emailVerified, true),
              ne(patients.state, 'closed'),
            ),
          )
          .limit(2);
        if (holders.length === 1) {
          patientId = holders[0]!.id;
          locale = holders[0]!.locale;
        }
      }
      const result = await intake.receive({
        channel: 'email',
        patientId,
        contact: patientId ? null : email.from ? { email: email.from } : null,
        category: 'other',
        subtype: null,
        text: email.subject && !threadTicketId ? `${email.subject}\n\n${text}` : text,
        locale,
        threadTicketId,
        joinRecent: Boolean(patientId),
        emailMessageId: email.messageId,
      });
      if (result.duplicate) return { accept: true };
      await afterIntake(result);
      // Auto-replies get no answer from us: two robots would write to each other forever.
      if (email.automatic || !email.from) return { accept: true };
      const ticket = (await ticketById(result.ticketId))!;
      if (result.safety.hit) {
        const guidance = safetyGuidance(result.locale, result.safety.kinds, 'text');
        await recordSafetyAnswer(result, guidance, 'email');
        const to = ticket.patientId ? ((await recipientOf(ticket)).email ?? email.from) : email.from;
        const rendered = await renderSafetyAnswerEmail({
          brand,
          locale: result.locale,
          portalUrl: publicUrl,
          reference: String(result.number),
          guidance,
          assetBaseUrl: publicUrl,
          link: ticket.patientId ? undefined : readLink(ticket.id),
        });
        await deps.email.send({
          to,
          ...rendered,
          headers: threadingHeaders(ticket.id),
          kind: NOTICE_KINDS.safety,
          patientId: ticket.patientId,
        });
      } else if (result.created) await notify(ticket, 'received');
      return { accept: true };
    },

    /** The requests a signed-in patient made (and those their verified address or number made). */
    async patientRequests(patientId: string): Promise<PatientRequestView[]> {
      const rows = await db
        .select()
        .from(tickets)
        .where(and(eq(tickets.patientId, patientId), ne(tickets.status, 'merged')))
        .orderBy(desc(tickets.updatedAt))
        .limit(50);
      const messages = await messagesOf(rows.map((t) => t.id));
      return rows.map((t) =>
        toPatientView(
          t,
          messages.filter((m) => m.ticketId === t.id),
        ),
      );
    },

    /** One request through its private read link; null for a link that is not ours. */
    async requestByReadToken(token: string): Promise<PatientRequestView | null> {
      const id = tokens.verify('read', token);
      const ticket = id ? await ticketById(id) : null;
      // A ticket tied to an account is read after signing in, not through a link.
      if (!ticket || ticket.patientId) return null;
      return toPatientView(ticket, await messagesOf([ticket.id]));
    },

    /** The patient writes again on one of their requests (signed in, or through the read link). */
    async patientReply(input: {
      patientId: string | null;
      readToken?: string | null;
      number: number;
      message: string;
    }): Promise<
      | { ok: true; safetyGuidance: string | null }
      | { ok: false; reason: 'not_found' | 'empty_message' | 'closed' }
    > {
      const text = input.message.trim().slice(0, MAX_MESSAGE_LENGTH);
      if (!text) return { ok: false, reason: 'empty_message' };
      const [ticket] = await db.select().from(tickets).where(eq(tickets.number, input.number));
      const tokenId = input.readToken ? tokens.verify('read', input.readToken) : null;
      const allowed =
        ticket &&
        ((input.patientId && ticket.patientId === input.patientId) ||
          (!ticket.patientId && tokenId === ticket.id));
      if (!allowed) return { ok: false, reason: 'not_found' };
      if (ticket.status === 'closed' || ticket.status === 'merged') return { ok: false, reason: 'closed' };
      const result = await intake.receive({
        channel: 'web',
        patientId: ticket.patientId,
        contact: null,
        category: ticket.category,
        subtype: ticket.subtype,
        text,
        locale: ticket.locale,
        threadTicketId: ticket.id,
        joinRecent: false,
      });
      const guidance = result.safety.hit ? safetyGuidance(ticket.locale, result.safety.kinds, 'text') : null;
      if (guidance) await recordSafetyAnswer(result, guidance, 'web');
      await afterIntake(result);
      return { ok: true, safetyGuidance: guidance };
    },

    /** Gives waiting tickets to available agents (after intake, availability changes, the minute upkeep). */
    assignWaiting: (queues?: readonly string[]) => assignWaiting(db, { queues, now: now() }),

    /**
     * The minute upkeep: half-time warnings and breaches act once each (raise priority, tell a
     * supervisor, hand the ticket to someone else), then waiting tickets are assigned.
     */
    async upkeep(): Promise<{ escalated: number; breached: number; assigned: number }> {
      const at = now();
      const policies = new Map((await db.select().from(slaPolicies)).map((p) => [p.id, p]));
      const clinicalQueues = new Set(
        (
          await db
            .select({ id: supportQueues.id })
            .from(supportQueues)
            .where(eq(supportQueues.clinical, true))
        ).map((q) => q.id),
      );
      const running = inArray(tickets.status, ['open', 'waiting_on_patient']);
      let escalated = 0;
      let breached = 0;
      const warn = await db
        .update(tickets)
        .set({ escalatedAt: at, updatedAt: at })
        .where(
          and(
            running,
            isNull(tickets.firstRespondedAt),
            isNull(tickets.escalatedAt),
            isNotNull(tickets.escalateAt),
            lte(tickets.escalateAt, at),
          ),
        )
        .returning();
      for (const t of warn) {
        escalated++;
        const [raised] = await db
          .update(tickets)
          .set({ priority: raisedPriority(t.priority) })
          .where(eq(tickets.id, t.id))
          .returning();
        await notifySupervisors(raised ?? t, 'half of its first-response time has passed');
        await appendAudit(db, {
          action: 'ticket.escalated',
          actorType: 'system',
          subjectType: 'ticket',
          subjectId: t.id,
          data: { number: t.number, queue: t.queueId },
        });
      }
      const late = await db
        .update(tickets)
        .set({ firstResponseBreachedAt: at, updatedAt: at })
        .where(
          and(
            eq(tickets.status, 'open'),
            isNull(tickets.firstRespondedAt),
            isNull(tickets.firstResponseBreachedAt),
            lte(tickets.firstResponseDueAt, at),
          ),
        )
        .returning();
      const lateResolution = await db
        .update(tickets)
        .set({ resolutionBreachedAt: at, updatedAt: at })
        .where(
          and(
            eq(tickets.status, 'open'),
            isNull(tickets.slaPausedAt),
            isNull(tickets.resolutionBreachedAt),
            lte(tickets.resolutionDueAt, at),
          ),
        )
        .returning();
      for (const [t, which] of [
        ...late.map((t) => [t, 'first response'] as const),
        ...lateResolution.map((t) => [t, 'resolution'] as const),
      ]) {
        breached++;
        const policy = t.slaPolicyId ? policies.get(t.slaPolicyId) : undefined;
        const actions = policy?.breachActions ?? ['notify_supervisor'];
        const changes: Partial<typeof tickets.$inferInsert> = {};
        if (actions.includes('raise_priority')) changes.priority = raisedPriority(t.priority);
        // Reassign: back to the queue for someone else (the sweep below gives it to the next agent).
        if (actions.includes('reassign') && t.assigneeId)
          Object.assign(changes, { assigneeId: null, assignedAt: null });
        if (Object.keys(changes).length) await db.update(tickets).set(changes).where(eq(tickets.id, t.id));
        if (actions.includes('notify_supervisor')) await notifySupervisors(t, `its ${which} time has passed`);
        await appendAudit(db, {
          action: 'ticket.sla_breached',
          actorType: 'system',
          subjectType: 'ticket',
          subjectId: t.id,
          data: { number: t.number, which, actions, clinical: clinicalQueues.has(t.queueId) },
        });
      }
      const { assigned } = await assignWaiting(db, { now: at });
      return { escalated, breached, assigned };
    },

    /** Open tickets whose clocks run, for the metrics gauge. */
    async openCount(): Promise<number> {
      const [row] = await db
        .select({ n: sql<number>`count(*)::int` })
        .from(tickets)
        .where(or(eq(tickets.status, 'open'), eq(tickets.status, 'waiting_on_patient')));
      return row?.n ?? 0;
    },
  };
}

export type Support = ReturnType<typeof createSupport>;
