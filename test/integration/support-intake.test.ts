// Support requests coming in as patients send them: texts to our number signed exactly as Twilio signs
// them, email replies delivered over SMTP to a real `mail-in` listener, and help-page requests whose
// "received" notice goes out over SMTP to a real peer. Threading by signed token (never by subject),
// joining one patient's open ticket across channels, the safety screen, and SLA clocks on the desk's
// calendar across a weekend and a DST change.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { asc, eq } from 'drizzle-orm';
import nodemailer, { type Transporter } from 'nodemailer';
import twilio from 'twilio';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  auditEvents,
  patients,
  suppressions,
  supportAgents,
  ticketMessages,
  tickets,
  type NewPatient,
} from '../../db/schema/index.ts';
import { closeOffThreadPool } from '../../identity/credentials/offthread.ts';
import { createLogger } from '../../infra/logger.ts';
import { parseBusinessHours } from '../../messaging/support/business-hours.ts';
import { startMailIn, type MailIn } from '../../messaging/support/mail-in.ts';
import { raisedPriority } from '../../messaging/support/sla.ts';
import { createSupport } from '../../messaging/support/support.ts';
import { startTestApp, testClock, type TestApp } from '../support/app.ts';
import { startSmtpServer, type ReceivedEmail, type TestSmtpServer } from '../support/smtp.ts';
import { inboundTextFields, startTwilioServer, type TestTwilioServer } from '../support/twilio.ts';

const PUBLIC_URL = 'https://portal.example.org';
const OUR_NUMBER = '+12025550100';
const REPLY_DOMAIN = 'portal.example.org';

let twilioServer: TestTwilioServer;
let smtp: TestSmtpServer;
let app: TestApp;
let mailIn: MailIn;
let sender: Transporter;
let counter = 0;

beforeAll(async () => {
  twilioServer = await startTwilioServer();
  smtp = await startSmtpServer();
  app = await startTestApp({
    PUBLIC_URL,
    TWILIO_ACCOUNT_SID: twilioServer.accountSid,
    TWILIO_AUTH_TOKEN: twilioServer.authToken,
    TWILIO_FROM_NUMBER: OUR_NUMBER,
    TWILIO_API_BASE_URL: twilioServer.baseUrl,
    SMTP_URL: smtp.url,
  });
  const quiet = new Writable({ write: (_chunk, _enc, done) => done() });
  mailIn = await startMailIn({
    port: 0,
    recipientDomains: [REPLY_DOMAIN],
    onMessage: (email) => app.services.support.receiveEmail(email),
    logger: createLogger({ level: 'warn' }, quiet),
  });
  // What the brand's MTA does: relays a patient's message to mail-in over plain SMTP.
  sender = nodemailer.createTransport({
    host: '127.0.0.1',
    port: mailIn.port,
    secure: false,
    ignoreTLS: true,
  });
});
afterAll(async () => {
  sender?.close();
  await mailIn?.close();
  await app?.close();
  await smtp?.close();
  await twilioServer?.close();
  await closeOffThreadPool();
});
beforeEach(async () => {
  await app.database.reset();
  smtp.messages.length = 0;
});

async function newPatient(values: Partial<NewPatient> = {}) {
  counter += 1;
  const email = `ana.ruiz${counter}@example.net`;
  const [row] = await app.database.db
    .insert(patients)
    .values({
      legacyId: `SI-${counter}-${randomBytes(3).toString('hex')}`,
      email,
      emailNormalized: email,
      emailVerified: true,
      phone: `+1202555${String(6000 + counter)}`,
      phoneVerified: true,
      smsOptIn: true,
      emailOptIn: true,
      ...values,
    })
    .returning();
  return row!;
}

const allTickets = () => app.database.db.select().from(tickets).orderBy(asc(tickets.number));
const messagesOf = (ticketId: string) =>
  app.database.db
    .select()
    .from(ticketMessages)
    .where(eq(ticketMessages.ticketId, ticketId))
    .orderBy(asc(ticketMessages.createdAt));
const allAudit = () => app.database.db.select().from(auditEvents).orderBy(asc(auditEvents.seq));
const sid = () => `SM${randomBytes(16).toString('hex')}`;

/** A text to our number, posted to the webhook with Twilio's own signature for the URL it called. */
async function text(from: string, body: string) {
  const messageSid = sid();
  const params = inboundTextFields({
    accountSid: twilioServer.accountSid,
    from,
    to: OUR_NUMBER,
    body,
    messageSid,
  });
  const path = '/webhooks/twilio/inbound';
  const response = await fetch(`${app.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilio.getExpectedTwilioSignature(
        twilioServer.authToken,
        `${PUBLIC_URL}${path}`,
        params,
      ),
    },
    body: new URLSearchParams(params),
  });
  expect(response.status).toBe(200);
  const xml = await response.text();
  if (xml === '<?xml version="1.0" encoding="UTF-8"?><Response/>') return null;
  const match =
    /^<\?xml version="1.0" encoding="UTF-8"\?><Response><Message>([^<]*)<\/Message><\/Response>$/.exec(xml);
  if (!match) throw new Error(`not the TwiML we expect: ${xml}`);
  return match[1]!
    .replace(/&apos;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
}

/** An email as a patient's mail client sends it, through mail-in. */
async function email(message: {
  from: string;
  to: string;
  subject: string;
  text: string;
  inReplyTo?: string;
  messageId?: string;
}) {
  const info = await sender.sendMail(message);
  expect(info.rejected).toEqual([]);
  return info;
}

const header = (message: ReceivedEmail, name: string) => {
  const value = message.parsed.headers.get(name);
  return typeof value === 'string' ? value : ((value as { text?: string } | undefined)?.text ?? '');
};

describe('one patient, one open ticket', () => {
  it('joins texts and an email from verified contact points into one ticket; an unverified number gets its own', async () => {
    const patient = await newPatient();
    const first = await text(patient.phone!, 'Hi, the portal says my account is locked');
    const [ticket] = await allTickets();
    expect(ticket).toMatchObject({ patientId: patient.id, channel: 'sms', status: 'open' });
    expect(first).toBe(
      `Harbor Health: we got your message (request #${ticket!.number}). A person will answer you in the portal: ${PUBLIC_URL}/help. If this is an emergency, call 911. For a mental-health crisis call or text 988.`,
    );

    app.clock.advance(2 * 86_400_000);
    expect(await text(patient.phone!, 'Still locked today')).toBeNull();
    app.clock.advance(3 * 86_400_000);
    await email({
      from: patient.email!,
      to: `support@${REPLY_DOMAIN}`,
      subject: 'Locked account',
      text: 'Writing by email as well, the account is still locked.',
    });
    expect((await allTickets()).map((t) => t.id)).toEqual([ticket!.id]);
    expect((await messagesOf(ticket!.id)).map((m) => [m.authorType, m.kind, m.channel])).toEqual([
      ['patient', 'message', 'sms'],
      ['patient', 'message', 'sms'],
      ['patient', 'message', 'email'],
    ]);
    // Joining is not a new request: no "received" email for the email that joined.
    expect(smtp.messages).toEqual([]);

    const stranger = '+12025559911';
    const answer = await text(stranger, 'Is the office open on Saturday?');
    const all = await allTickets();
    expect(all).toHaveLength(2);
    expect(all[1]).toMatchObject({ patientId: null, channel: 'sms' });
    // Someone we do not know reads our answer through a private link, not by signing in.
    expect(answer).toMatch(
      new RegExp(
        `^Harbor Health: we got your message \\(request #${all[1]!.number}\\)\\. A person will answer you in the portal: ${PUBLIC_URL}/help/r/[0-9a-f]{32}\\.[0-9a-z]{22}\\. If this is an emergency, call 911\\. For a mental-health crisis call or text 988\\.$`,
      ),
    );
  });

  it('opens a new ticket once a week has passed without a word', async () => {
    const patient = await newPatient();
    await text(patient.phone!, 'Question about my bill');
    app.clock.advance(7 * 86_400_000 + 60_000);
    const again = await text(patient.phone!, 'Another question');
    const all = await allTickets();
    expect(all).toHaveLength(2);
    expect(again).toContain(`#${all[1]!.number}`);
  });
});

describe('email threading by signed token', () => {
  async function webRequest() {
    const result = await app.services.support.submitHelpRequest({
      patientId: null,
      contact: { email: 'lena.park@example.net' },
      category: 'billing',
      subtype: 'charge',
      message: 'I was charged twice for the same visit.',
      locale: 'en',
    });
    if (!result.ok) throw new Error(result.reason);
    const notice = await smtp.waitForMessage((m) => m.envelope.to.includes('lena.park@example.net'));
    const [ticket] = await app.database.db.select().from(tickets).where(eq(tickets.number, result.number));
    return { ticket: ticket!, notice };
  }

  it('the received notice carries a signed Message-ID and Reply-To; a reply to it lands on the ticket', async () => {
    const { ticket, notice } = await webRequest();
    const compact = ticket.id.replace(/-/g, '');
    const messageId = notice.parsed.messageId!;
    expect(messageId).toMatch(
      new RegExp(`^<ticket\\.${compact}\\.[0-9a-z]{22}\\.[0-9a-z]+@${REPLY_DOMAIN}>$`),
    );
    const replyTo = notice.parsed.replyTo!.value[0]!.address!;
    expect(replyTo).toMatch(new RegExp(`^support\\+${compact}\\.[0-9a-z]{22}@${REPLY_DOMAIN}$`));
    expect(notice.parsed.subject).toBe(`We received your request #${ticket.number}`);

    await email({
      from: 'lena.park@example.net',
      to: replyTo,
      subject: `Re: ${notice.parsed.subject}`,
      inReplyTo: messageId,
      text: `It was on March 3rd.\n\nOn Mon, Mar 9, 2026 at 9:00 AM Harbor Health <no-reply@harbor.example> wrote:\n> We received your request #${ticket.number}`,
    });
    expect(await allTickets()).toHaveLength(1);
    const messages = await messagesOf(ticket.id);
    expect(messages.map((m) => m.channel)).toEqual(['web', 'email']);
    // Kept without the quoted history.
    expect(app.services.cipher.decrypt(messages[1]!.bodyEncrypted)).toBe('It was on March 3rd.');
  });

  it('a tampered token, or another ticket id under the old MAC, starts a new ticket; so does a subject alone', async () => {
    const { ticket, notice } = await webRequest();
    const other = await webRequest();
    const messageId = notice.parsed.messageId!.replace(/^<|>$/g, '');
    const replyTo = notice.parsed.replyTo!.value[0]!.address!;
    const token = /\+([0-9a-f]{32})\.([0-9a-z]{22})@/.exec(replyTo)!;
    const [, compact, mac] = token;
    const flipped = `${mac!.slice(0, -1)}${mac!.endsWith('a') ? 'b' : 'a'}`;
    const otherCompact = other.ticket.id.replace(/-/g, '');

    const forgeries = [
      { to: replyTo.replace(mac!, flipped), inReplyTo: `<${messageId.replace(mac!, flipped)}>` },
      {
        to: replyTo.replace(compact!, otherCompact),
        inReplyTo: `<${messageId.replace(compact!, otherCompact)}>`,
      },
      // The subject of our notice, and nothing signed.
      { to: `support@${REPLY_DOMAIN}`, inReplyTo: undefined },
    ];
    for (const forged of forgeries) {
      await email({
        from: 'lena.park@example.net',
        to: forged.to,
        subject: `Re: ${notice.parsed.subject}`,
        ...(forged.inReplyTo ? { inReplyTo: forged.inReplyTo } : {}),
        text: 'Any news on the refund?',
      });
    }
    const all = await allTickets();
    expect(all).toHaveLength(5);
    expect((await messagesOf(ticket.id)).map((m) => m.channel)).toEqual(['web']);
    expect((await messagesOf(other.ticket.id)).map((m) => m.channel)).toEqual(['web']);
    for (const created of all.slice(2)) {
      expect(created).toMatchObject({ patientId: null, channel: 'email' });
      expect((await messagesOf(created.id)).map((m) => m.channel)).toEqual(['email']);
    }
  });

  it('keeps a redelivered message (same Message-ID) once', async () => {
    const { ticket, notice } = await webRequest();
    const reply = {
      from: 'lena.park@example.net',
      to: notice.parsed.replyTo!.value[0]!.address!,
      subject: `Re: ${notice.parsed.subject}`,
      inReplyTo: notice.parsed.messageId!,
      messageId: `<${randomBytes(8).toString('hex')}@mail.example.net>`,
      text: 'Here is the receipt number: 5521.',
    };
    await email(reply);
    await email(reply);
    expect((await messagesOf(ticket.id)).map((m) => m.channel)).toEqual(['web', 'email']);
    expect(await allTickets()).toHaveLength(1);
  });
});

describe('the safety screen', () => {
  it('answers a text at once with 911 and 988, and puts the ticket in the clinical queue, urgent', async () => {
    const answer = await text('+12025558101', 'I want to kill myself');
    expect(answer).toContain('988');
    expect(answer).toContain('911');
    expect(answer).toMatch(/^Harbor Health: You are not alone\./);
    const [ticket] = await allTickets();
    expect(ticket).toMatchObject({
      queueId: 'clinical',
      priority: 'urgent',
      safetyFlag: true,
      safetyKinds: ['self_harm'],
    });
    expect((await messagesOf(ticket!.id)).map((m) => [m.authorType, m.kind])).toEqual([
      ['patient', 'message'],
      ['system', 'safety_answer'],
    ]);
  });

  it('answers Spanish words in Spanish, for a Spanish-speaking patient and for a number we do not know', async () => {
    const patient = await newPatient({ locale: 'es' });
    const known = await text(patient.phone!, 'no puedo respirar bien');
    expect(known).toMatch(/^Harbor Health: Si es una emergencia, llame al 911 ahora\./);
    expect(known).toContain('988');
    const unknown = await text('+12025558102', 'mi papá no puede respirar');
    expect(unknown).toMatch(/^Harbor Health: Si es una emergencia, llame al 911 ahora\./);
    const all = await allTickets();
    expect(all.map((t) => [t.queueId, t.priority, t.safetyFlag, t.safetyKinds])).toEqual([
      ['clinical', 'urgent', true, ['emergency']],
      ['clinical', 'urgent', true, ['emergency']],
    ]);
  });

  it('answers an email with the safety email, flags the ticket, and keeps the words out of the audit log', async () => {
    await email({
      from: 'sam.lee@example.net',
      to: `support@${REPLY_DOMAIN}`,
      subject: 'Bad night',
      text: 'I keep thinking I want to end my life.',
    });
    const answer = await smtp.waitForMessage((m) => m.envelope.to.includes('sam.lee@example.net'));
    expect(answer.parsed.subject).toBe('If you need help right now');
    expect(answer.parsed.text).toContain('988');
    expect(answer.parsed.text).toContain('911');
    expect(answer.parsed.text).not.toContain('end my life');
    const [ticket] = await allTickets();
    expect(ticket).toMatchObject({ queueId: 'clinical', priority: 'urgent', safetyFlag: true });
    expect(header(answer, 'message-id')).toMatch(new RegExp(`^<ticket\\.${ticket!.id.replace(/-/g, '')}\\.`));
  });

  it('"please stop texting me about refills" is a request, not a keyword; plain STOP is a keyword, not a ticket', async () => {
    const patient = await newPatient();
    const answer = await text(patient.phone!, 'please stop texting me about refills');
    const [ticket] = await allTickets();
    expect(answer).toContain(`#${ticket!.number}`);
    expect(ticket).toMatchObject({ patientId: patient.id, safetyFlag: false });
    expect(await app.database.db.select().from(suppressions)).toEqual([]);

    expect(await text('+12025558103', 'STOP')).toBeNull();
    expect(await allTickets()).toHaveLength(1);
    expect(await app.database.db.select().from(suppressions)).toEqual([
      expect.objectContaining({ channel: 'sms', address: '+12025558103', reason: 'stop' }),
    ]);
  });

  it('audits every decision, hit or not, without the words', async () => {
    await text('+12025558104', 'I want to kill myself');
    await text('+12025558105', 'please stop texting me about refills');
    const audit = await allAudit();
    const screened = audit.filter((e) => e.action === 'ticket.safety_screened');
    expect(screened.map((e) => e.data)).toEqual([
      { hit: true, kinds: ['self_harm'], terms: 1, channel: 'sms' },
      { hit: false, kinds: [], terms: 0, channel: 'sms' },
    ]);
    const dump = JSON.stringify(audit).toLowerCase();
    for (const word of ['kill', 'myself', 'refills', 'texting']) expect(dump).not.toContain(word);
  });
});

describe('SLA clocks', () => {
  // The desk's own calendar (Mon-Fri 08:00-18:00, America/New_York) with a clock the test sets.
  function deskAt(iso: string) {
    const clock = testClock(Date.parse(iso));
    const { config } = app.services;
    const hours = parseBusinessHours(config.support.hours, config.support.timeZone, config.support.holidays);
    if ('error' in hours) throw new Error(hours.error);
    const support = createSupport({
      db: app.database.db,
      cipher: app.services.cipher,
      email: app.services.messaging.email,
      sms: app.services.messaging.sms,
      brand: config.brand,
      publicUrl: config.publicUrl,
      secret: config.secrets.SESSION_SECRET,
      replyAddress: config.support.replyAddress,
      businessHours: hours,
      logger: app.services.logger,
      now: clock.now,
    });
    return { support, clock };
  }

  async function request(support: ReturnType<typeof deskAt>['support'], category: 'billing' | 'refill') {
    const result = await support.submitHelpRequest({
      patientId: null,
      contact: { email: 'lena.park@example.net' },
      category,
      subtype: null,
      message: category === 'billing' ? 'A question about my statement.' : 'My lisinopril ran out.',
      locale: 'en',
    });
    if (!result.ok) throw new Error(result.reason);
    const [ticket] = await app.database.db.select().from(tickets).where(eq(tickets.number, result.number));
    return ticket!;
  }

  it('a billing request on Friday at 17:00 is due Monday, counting only business hours', async () => {
    // 8 working hours: one on Friday (17:00-18:00 EST), seven on Monday (08:00-15:00 EST).
    const { support } = deskAt('2026-02-27T22:00:00Z');
    const ticket = await request(support, 'billing');
    expect(ticket.queueId).toBe('billing');
    expect(ticket.firstResponseDueAt).toEqual(new Date('2026-03-02T20:00:00Z'));
  });

  it('across the change to daylight time (Friday 2026-03-06), Monday 15:00 is EDT', async () => {
    const { support } = deskAt('2026-03-06T22:00:00Z');
    const ticket = await request(support, 'billing');
    expect(ticket.firstResponseDueAt).toEqual(new Date('2026-03-09T19:00:00Z'));
  });

  it('a refill runs around the clock, escalates at half time, and breaches with a reassignment', async () => {
    const admin = await app.services.staff.addStaff(
      { email: 'lead@harbor.example', role: 'admin' },
      { type: 'cli' },
    );
    const nurses = [];
    for (const e of ['nurse.a@harbor.example', 'nurse.b@harbor.example']) {
      const added = await app.services.staff.addStaff({ email: e, role: 'clinical' }, { type: 'cli' });
      if (!added.ok) throw new Error(added.reason);
      nurses.push(added.staff.id);
    }
    if (!admin.ok) throw new Error(admin.reason);
    await app.database.db
      .insert(supportAgents)
      .values(nurses.map((staffId) => ({ staffId, available: true, capacity: 5, queues: ['clinical'] })));

    // Saturday 23:00 EST: a refill does not wait for Monday, and the night loses an hour to DST.
    const created = Date.parse('2026-03-08T04:00:00Z');
    const { support, clock } = deskAt(new Date(created).toISOString());
    const ticket = await request(support, 'refill');
    expect(ticket.queueId).toBe('clinical');
    // The refill policy (4 hours around the clock, a warning at half), not the business-hours one.
    expect([ticket.firstResponseDueAt, ticket.escalateAt]).toEqual([
      new Date(created + 240 * 60_000),
      new Date(created + 120 * 60_000),
    ]);
    const first = 240;
    const firstAssignee = ticket.assigneeId;
    expect(nurses).toContain(firstAssignee);

    smtp.messages.length = 0;
    clock.advance(first * 30_000 + 1_000);
    expect(await support.upkeep()).toEqual({ escalated: 1, breached: 0, assigned: 0 });
    const [warned] = await app.database.db.select().from(tickets).where(eq(tickets.id, ticket.id));
    expect(warned).toMatchObject({ priority: raisedPriority(ticket.priority), escalatedAt: clock.now() });
    const escalation = await smtp.waitForMessage((m) => m.envelope.to.includes('lead@harbor.example'));
    expect(escalation.parsed.subject).toBe(
      `Ticket #${ticket.number}: half of its first-response time has passed`,
    );
    expect(`${escalation.parsed.text} ${escalation.raw}`).not.toMatch(/lisinopril|ran out/i);

    clock.advance(first * 30_000);
    const late = await support.upkeep();
    expect(late).toEqual({ escalated: 0, breached: 1, assigned: 1 });
    const [breached] = await app.database.db.select().from(tickets).where(eq(tickets.id, ticket.id));
    expect(breached!.firstResponseBreachedAt).toEqual(clock.now());
    // Handed back to the queue and given to the other nurse.
    expect(breached!.assigneeId).toBe(nurses.find((n) => n !== firstAssignee));
    const agents = await app.database.db.select().from(supportAgents);
    expect(agents.map((a) => [a.staffId, a.openCount]).sort()).toEqual(
      nurses.map((n) => [n, n === firstAssignee ? 0 : 1]).sort(),
    );
  });
});
