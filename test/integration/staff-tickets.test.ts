// The staff ticket pages over HTTP as agents use them: the queue and one ticket (each view audited), a
// reply the patient reads in the portal while their email only says there is one, the clock paused
// while we wait on the patient, clinical text masked for support agents in what the loader sends,
// marketing kept out, safety-flagged tickets closed only by clinical staff, merge, the macros that act
// on the patient's sign-in and messages, and availability feeding round-robin assignment.
import { randomBytes } from 'node:crypto';
import type { AppLoadContext } from '@remix-run/node';
import { and, asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  auditEvents,
  cohorts,
  outbox,
  patients,
  supportAgents,
  supportQueues,
  ticketMessages,
  tickets,
  waveDeliveries,
  waves,
} from '../../db/schema/index.ts';
import { deskFor } from '../../app/utils/tickets-view.server.ts';
import { closeOffThreadPool } from '../../identity/credentials/offthread.ts';
import { startTestApp, type TestApp, type TestBrowser } from '../support/app.ts';
import { signedInStaff } from '../support/staff.ts';

let app: TestApp;
let counter = 0;

beforeAll(async () => {
  app = await startTestApp();
});
beforeEach(async () => {
  await app.database.reset();
});
afterAll(async () => {
  await app?.close();
  await closeOffThreadPool();
});

type Role = 'admin' | 'support' | 'clinical' | 'marketing';
async function staffMember(role: Role) {
  const { member, browser } = await signedInStaff(app, `${role}-${++counter}@clinic.example`, role);
  return { id: member.staff.id, role, browser };
}

/** The desk the pages use, for checks at the level of values (same wiring as the routes). */
const desk = () => deskFor({ services: app.services } as AppLoadContext);

async function newPatient(values: Partial<typeof patients.$inferInsert> = {}) {
  counter += 1;
  const email = `desk${counter}.${randomBytes(3).toString('hex')}@example.org`;
  const [row] = await app.database.db
    .insert(patients)
    .values({
      legacyId: `DESK-${counter}-${randomBytes(3).toString('hex')}`,
      email,
      emailNormalized: email,
      emailVerified: true,
      phone: `+1202555${String(5000 + counter)}`,
      givenName: 'Rosa',
      familyName: 'Díaz',
      state: 'bridged',
      ...values,
    })
    .returning();
  return row!;
}

/** A request from the help page, as a signed-in patient sends it. */
async function helpRequest(
  patientId: string | null,
  category: 'sign_in' | 'refill' | 'billing' | 'appointment' | 'other',
  message: string,
  contact: { email?: string } | null = null,
) {
  const result = await app.services.support.submitHelpRequest({
    patientId,
    contact,
    category,
    subtype: null,
    message,
    locale: 'en',
  });
  if (!result.ok) throw new Error(result.reason);
  // One second apart, so a thread's order is the order they were written in.
  app.clock.advance(1_000);
  return ticketByNumber(result.number);
}

async function ticketByNumber(number: number) {
  const [row] = await app.database.db.select().from(tickets).where(eq(tickets.number, number));
  return row!;
}

async function ticketById(id: string) {
  const [row] = await app.database.db.select().from(tickets).where(eq(tickets.id, id));
  return row!;
}

/** Posts a form of the ticket page with this browser's CSRF token. */
async function post(browser: TestBrowser, path: string, fields: Record<string, string>) {
  return browser.submit(path, fields, { csrf: await browser.csrfToken() });
}

/** Visible text, tags removed and entities decoded, so assertions read like the page. */
const text = (html: string) =>
  html
    .replace(/<!--.*?-->/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/\s+/g, ' ');

async function audited(action: string, subjectId: string) {
  return app.database.db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.action, action), eq(auditEvents.subjectId, subjectId)))
    .orderBy(asc(auditEvents.seq));
}

describe('queue and ticket pages', () => {
  it('lists the open tickets for a support agent and audits each view of one ticket', async () => {
    const patient = await newPatient();
    const billing = await helpRequest(patient.id, 'billing', 'I was charged twice for my March visit.');
    const agent = await staffMember('support');

    const list = await agent.browser.get('/staff/tickets');
    expect(list.status).toBe(200);
    const listed = text(await list.text());
    expect(listed).toContain(`#${billing.number}`);
    expect(listed).toContain('All (1)');
    expect(listed).toContain('Billing (1)');
    expect(listed).toContain('Unassigned (1)');
    // The list says what a ticket is about, never what anyone wrote.
    expect(listed).not.toContain('charged twice');

    const billingTab = text(await (await agent.browser.get('/staff/tickets?view=billing')).text());
    expect(billingTab).toContain(`#${billing.number}`);
    const clinicalTab = text(await (await agent.browser.get('/staff/tickets?view=clinical')).text());
    expect(clinicalTab).not.toContain(`#${billing.number}`);
    expect(clinicalTab).toContain('No open tickets here.');

    const opened = await agent.browser.get(`/staff/tickets/${billing.id}`);
    expect(opened.status).toBe(200);
    const page = text(await opened.text());
    expect(page).toContain(`Ticket #${billing.number}`);
    expect(page).toContain('I was charged twice for my March visit.');
    expect(page).toContain('Your view of this ticket is written to the audit log.');
    expect(page).toContain('Identity timeline');

    const views = await audited('staff.viewed_ticket', billing.id);
    expect(views).toHaveLength(1);
    expect(views[0]).toMatchObject({
      actorType: 'staff',
      actorId: agent.id,
      subjectType: 'ticket',
      data: { number: billing.number, masked: false },
    });
    await agent.browser.get(`/staff/tickets/${billing.id}`);
    expect(await audited('staff.viewed_ticket', billing.id)).toHaveLength(2);

    // "Go to ticket number" opens it; a number nobody has is said plainly.
    const jump = await agent.browser.get(`/staff/tickets?number=${billing.number}`);
    expect(jump.status).toBe(302);
    expect(jump.headers.get('location')).toBe(`/staff/tickets/${billing.id}`);
    const missing = text(await (await agent.browser.get('/staff/tickets?number=99999')).text());
    expect(missing).toContain('There is no ticket #99999.');
    expect((await agent.browser.get('/staff/tickets/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('keeps marketing out of every ticket page, for reading and for changing', async () => {
    const patient = await newPatient();
    const ticket = await helpRequest(patient.id, 'billing', 'Question about my bill');
    const marketing = await staffMember('marketing');
    expect((await marketing.browser.get('/staff/tickets')).status).toBe(403);
    expect((await marketing.browser.get(`/staff/tickets/${ticket.id}`)).status).toBe(403);
    const posted = await post(marketing.browser, `/staff/tickets/${ticket.id}`, {
      intent: 'note',
      text: 'marketing was here',
    });
    expect(posted.status).toBe(403);
    expect(await audited('staff.viewed_ticket', ticket.id)).toHaveLength(0);
    const notes = await app.database.db
      .select()
      .from(ticketMessages)
      .where(and(eq(ticketMessages.ticketId, ticket.id), eq(ticketMessages.kind, 'note')));
    expect(notes).toHaveLength(0);
  });

  it('refuses a form without the CSRF token', async () => {
    const patient = await newPatient();
    const ticket = await helpRequest(patient.id, 'billing', 'Question about my bill');
    const agent = await staffMember('support');
    const forged = await agent.browser.submit(
      `/staff/tickets/${ticket.id}`,
      { intent: 'note', text: 'from another site' },
      { csrf: null },
    );
    expect(forged.status).toBe(403);
  });
});

describe('replies', () => {
  it('reaches the patient in the portal, tells them only that there is a reply, and pauses the clock until they answer', async () => {
    const patient = await newPatient();
    const ticket = await helpRequest(patient.id, 'billing', 'Why is my bill $40 higher this month?');
    const agent = await staffMember('support');
    const replyText = 'The $40 is last month’s copay for the lab work; nothing else changed.';

    const replied = await post(agent.browser, `/staff/tickets/${ticket.id}`, {
      intent: 'reply',
      text: replyText,
      wait: 'yes',
    });
    expect(replied.status).toBe(200);
    expect(text(await replied.text())).toContain(
      'Reply sent. The patient reads it on the help page. An email tells them there is a reply. The clock is paused until they answer.',
    );

    const notices = await app.database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.recipient, patient.email!), eq(outbox.kind, 'ticket_reply')));
    expect(notices).toHaveLength(1);
    const notice = notices[0]!;
    for (const part of [notice.subject ?? '', notice.bodyText, notice.bodyHtml ?? '']) {
      expect(part).not.toContain('copay');
      expect(part).not.toContain('lab work');
    }
    expect(notice.bodyText).toContain(String(ticket.number));

    const [request] = await app.services.support.patientRequests(patient.id);
    expect(request!.status).toBe('answered');
    // (Order aside: the page stamps the reply with the server's clock, the request has the test clock.)
    expect(request!.messages.map((m) => [m.from, m.text]).sort()).toEqual([
      ['us', replyText],
      ['you', 'Why is my bill $40 higher this month?'],
    ]);

    const waiting = await ticketById(ticket.id);
    expect(waiting.status).toBe('waiting_on_patient');
    expect(waiting.slaPausedAt).toBeInstanceOf(Date);
    expect(waiting.firstRespondedAt).toBeInstanceOf(Date);
    expect(waiting.lastStaffReplyAt).toBeInstanceOf(Date);
    const replies = await audited('ticket.replied', ticket.id);
    expect(replies).toHaveLength(1);
    expect(replies[0]!.data).toEqual({ number: ticket.number, waitOnPatient: true, notice: 'email' });

    // The pages stamp staff actions with the server's clock; the test app's clock (which the
    // patient's answer uses) is moved past it so the answer comes after the reply.
    app.clock.advance(3_600_000);
    const answered = await app.services.support.patientReply({
      patientId: patient.id,
      number: ticket.number,
      message: 'Thanks, that makes sense.',
    });
    expect(answered).toEqual({ ok: true, safetyGuidance: null });
    const resumed = await ticketById(ticket.id);
    expect(resumed.status).toBe('open');
    expect(resumed.slaPausedAt).toBeNull();
  });

  it('keeps internal notes from the patient', async () => {
    const patient = await newPatient();
    const ticket = await helpRequest(patient.id, 'appointment', 'Can I move my Tuesday visit?');
    const agent = await staffMember('support');
    const noted = await post(agent.browser, `/staff/tickets/${ticket.id}`, {
      intent: 'note',
      text: 'Called the clinic, waiting on their schedule.',
    });
    expect(noted.status).toBe(200);
    const page = text(await (await agent.browser.get(`/staff/tickets/${ticket.id}`)).text());
    expect(page).toContain('Called the clinic, waiting on their schedule.');
    expect(page).toContain('Internal note: the patient never sees it.');
    const [request] = await app.services.support.patientRequests(patient.id);
    expect(request!.messages.map((m) => m.text)).toEqual(['Can I move my Tuesday visit?']);
  });
});

describe('clinical text', () => {
  it('is masked in what the loader sends a support agent, and shown to clinical staff', async () => {
    const patient = await newPatient();
    const refill = await helpRequest(patient.id, 'refill', 'My lisinopril refill never arrived.');
    expect(refill.queueId).toBe('clinical');
    const agent = await staffMember('support');
    const clinician = await staffMember('clinical');

    const masked = await agent.browser.get(`/staff/tickets/${refill.id}`);
    expect(masked.status).toBe(200);
    const maskedHtml = await masked.text();
    expect(maskedHtml).not.toContain('lisinopril');
    expect(maskedHtml).not.toContain(patient.email!);
    expect(text(maskedHtml)).toContain('Clinical text — shown to clinical staff only');
    expect((await audited('staff.viewed_ticket', refill.id))[0]!.data).toEqual({
      number: refill.number,
      masked: true,
    });

    const shown = await clinician.browser.get(`/staff/tickets/${refill.id}`);
    const shownHtml = await shown.text();
    expect(shownHtml).toContain('My lisinopril refill never arrived.');
    expect(shownHtml).toContain(patient.email!);
    expect(text(shownHtml)).not.toContain('Clinical text — shown to clinical staff only');

    // A support agent cannot answer what they cannot read, by the page or otherwise.
    const reply = await post(agent.browser, `/staff/tickets/${refill.id}`, {
      intent: 'reply',
      text: 'It ships tomorrow.',
    });
    expect(reply.status).toBe(403);
    expect(
      await desk().reply({
        viewer: { id: agent.id, role: 'support' },
        ticketId: refill.id,
        text: 'It ships tomorrow.',
        waitOnPatient: false,
      }),
    ).toEqual({ ok: false, reason: 'clinical_only' });
    const replies = await app.database.db
      .select()
      .from(ticketMessages)
      .where(and(eq(ticketMessages.ticketId, refill.id), eq(ticketMessages.kind, 'reply')));
    expect(replies).toHaveLength(0);
  });
});

describe('safety-flagged tickets', () => {
  it('are solved or closed only by clinical staff', async () => {
    const patient = await newPatient();
    const flagged = await helpRequest(patient.id, 'other', 'I want to end my life, nothing helps.');
    expect(flagged.safetyFlag).toBe(true);
    const agent = await staffMember('support');
    const admin = await staffMember('admin');
    const clinician = await staffMember('clinical');

    for (const viewer of [agent, admin])
      for (const status of ['solved', 'closed'] as const)
        expect(
          await desk().setStatus({
            viewer: { id: viewer.id, role: viewer.role },
            ticketId: flagged.id,
            status,
          }),
        ).toEqual({ ok: false, reason: 'clinical_only' });

    const page = text(await (await admin.browser.get(`/staff/tickets/${flagged.id}`)).text());
    expect(page).toContain('Safety: the patient may be in danger');
    expect(page).toContain('Only clinical staff can solve or close a ticket the safety screen flagged.');
    const byAdmin = await post(admin.browser, `/staff/tickets/${flagged.id}`, {
      intent: 'status',
      status: 'closed',
    });
    expect(byAdmin.status).toBe(403);
    expect(text(await byAdmin.text())).toContain(
      'Only clinical staff can do this on a clinical ticket. Nothing was changed.',
    );
    const bySupport = await post(agent.browser, `/staff/tickets/${flagged.id}`, {
      intent: 'status',
      status: 'solved',
    });
    expect(bySupport.status).toBe(403);
    expect((await ticketById(flagged.id)).status).toBe('open');

    const byClinician = await post(clinician.browser, `/staff/tickets/${flagged.id}`, {
      intent: 'status',
      status: 'closed',
    });
    expect(byClinician.status).toBe(200);
    expect((await ticketById(flagged.id)).status).toBe('closed');
    const changes = await audited('ticket.status_changed', flagged.id);
    expect(changes.map((c) => [c.actorId, c.data])).toEqual([
      [clinician.id, { number: flagged.number, from: 'open', to: 'closed' }],
    ]);
  });
});

describe('merge', () => {
  it("moves one patient's messages to the ticket that stays, and refuses mixing two patients", async () => {
    const patient = await newPatient();
    const first = await helpRequest(patient.id, 'billing', 'My card was charged twice.');
    const second = await helpRequest(patient.id, 'other', 'Also, the receipt email never came.');
    const stranger = await newPatient();
    const theirs = await helpRequest(stranger.id, 'billing', 'Someone else entirely.');
    const agent = await staffMember('support');

    const mixed = await post(agent.browser, `/staff/tickets/${second.id}`, {
      intent: 'merge',
      into: String(theirs.number),
    });
    expect(mixed.status).toBe(409);
    expect(
      await desk().merge({
        viewer: { id: agent.id, role: 'support' },
        ticketId: second.id,
        intoNumber: theirs.number,
      }),
    ).toEqual({ ok: false, reason: 'different_patients' });
    expect(
      await desk().merge({
        viewer: { id: agent.id, role: 'support' },
        ticketId: second.id,
        intoNumber: second.number,
      }),
    ).toEqual({ ok: false, reason: 'same_ticket' });

    const merged = await post(agent.browser, `/staff/tickets/${second.id}`, {
      intent: 'merge',
      into: `#${first.number}`,
    });
    expect(merged.status).toBe(200);
    expect(text(await merged.text())).toContain(
      `Merged into ticket #${first.number}: 1 message moved there.`,
    );

    const gone = await ticketById(second.id);
    expect(gone.status).toBe('merged');
    expect(gone.mergedIntoId).toBe(first.id);
    const survivorMessages = await app.database.db
      .select()
      .from(ticketMessages)
      .where(eq(ticketMessages.ticketId, first.id))
      .orderBy(asc(ticketMessages.createdAt));
    expect(
      survivorMessages
        .filter((m) => m.authorType === 'patient')
        .map((m) => app.services.cipher.decrypt(m.bodyEncrypted)),
    ).toEqual(['My card was charged twice.', 'Also, the receipt email never came.']);
    expect(
      survivorMessages
        .filter((m) => m.kind === 'event')
        .map((m) => app.services.cipher.decrypt(m.bodyEncrypted)),
    ).toEqual([`Ticket #${second.number} was merged into this one.`]);
    const [request] = await app.services.support.patientRequests(patient.id);
    expect(request!.number).toBe(first.number);
    expect(request!.messages.map((m) => m.text)).toEqual([
      'My card was charged twice.',
      'Also, the receipt email never came.',
    ]);
    expect(await audited('ticket.merged', second.id)).toHaveLength(1);

    // Nothing merges into a ticket that is itself merged.
    expect(
      await desk().merge({
        viewer: { id: agent.id, role: 'support' },
        ticketId: first.id,
        intoNumber: second.number,
      }),
    ).toEqual({ ok: false, reason: 'target_closed' });
  });

  it('carries a safety flag to the ticket that stays, which moves to the clinical queue', async () => {
    const patient = await newPatient();
    const plain = await helpRequest(patient.id, 'billing', 'Question about my invoice.');
    const flagged = await helpRequest(patient.id, 'other', 'I keep thinking about suicide.');
    const clinician = await staffMember('clinical');
    const result = await desk().merge({
      viewer: { id: clinician.id, role: 'clinical' },
      ticketId: flagged.id,
      intoNumber: plain.number,
    });
    expect(result).toEqual({ ok: true, intoId: plain.id, intoNumber: plain.number, moved: 2 });
    const survivor = await ticketById(plain.id);
    expect(survivor).toMatchObject({ safetyFlag: true, queueId: 'clinical', priority: 'urgent' });
    expect(survivor.safetyKinds).toEqual(['self_harm']);
  });
});

describe('macros', () => {
  it('send a new sign-in link to the contact on file, with the self-service limits', async () => {
    const patient = await newPatient();
    const ticket = await helpRequest(patient.id, 'sign_in', "I can't get in.");
    const agent = await staffMember('support');
    const page = text(await (await agent.browser.get(`/staff/tickets/${ticket.id}`)).text());
    expect(page).toContain('Send a new sign-in link');

    const sent = await post(agent.browser, `/staff/tickets/${ticket.id}`, {
      intent: 'macro',
      macro: 'resend_sign_in_link',
    });
    expect(sent.status).toBe(200);
    expect(text(await sent.text())).toContain(
      'Sent a new sign-in link by email to the contact on file. This is recorded in the audit log.',
    );
    await app.services.signInLinks.settle();
    const links = await app.database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.recipient, patient.email!), eq(outbox.kind, 'sign_in_link')));
    expect(links).toHaveLength(1);
    expect((await audited('ticket.macro', ticket.id)).map((a) => a.data)).toEqual([
      { number: ticket.number, macro: 'resend_sign_in_link', outcome: 'done' },
    ]);

    // The same limit per identifier as a patient asking for links themselves.
    const limit = app.services.config.signInLinks.requestsPerIdentifier;
    for (let i = 1; i < limit; i++)
      expect(
        await desk().runMacro({
          viewer: { id: agent.id, role: 'support' },
          ticketId: ticket.id,
          macro: 'resend_sign_in_link',
        }),
      ).toMatchObject({ ok: true });
    const refused = await post(agent.browser, `/staff/tickets/${ticket.id}`, {
      intent: 'macro',
      macro: 'resend_sign_in_link',
    });
    expect(refused.status).toBe(429);
    expect(text(await refused.text())).toContain('Too many sign-in links were asked for this patient.');
    await app.services.signInLinks.settle();
    const after = await app.database.db
      .select()
      .from(outbox)
      .where(and(eq(outbox.recipient, patient.email!), eq(outbox.kind, 'sign_in_link')));
    expect(after).toHaveLength(limit);
    expect((await audited('ticket.macro', ticket.id)).at(-1)!.data).toEqual({
      number: ticket.number,
      macro: 'resend_sign_in_link',
      outcome: 'too_many_requests',
    });
  });

  it('lift the sign-in pause', async () => {
    const patient = await newPatient({ signInLockedUntil: new Date(Date.now() + 3_600_000) });
    const ticket = await helpRequest(patient.id, 'sign_in', 'It says my account is paused.');
    const agent = await staffMember('support');
    const lifted = await post(agent.browser, `/staff/tickets/${ticket.id}`, {
      intent: 'macro',
      macro: 'unlock_sign_in',
    });
    expect(lifted.status).toBe(200);
    const [row] = await app.database.db.select().from(patients).where(eq(patients.id, patient.id));
    expect(row!.signInLockedUntil).toBeNull();
    const unlocked = await audited('patient.sign_in_unlocked', patient.id);
    expect(unlocked.map((a) => a.actorId)).toEqual([agent.id]);
  });

  it('send the last transition message again through the dispatcher', async () => {
    const patient = await newPatient();
    const [cohort] = await app.database.db.insert(cohorts).values({ name: 'Spring' }).returning();
    const [wave] = await app.database.db
      .insert(waves)
      .values({
        cohortId: cohort!.id,
        name: 'Announcement',
        stage: 'announcement',
        channels: ['email'],
        timing: 'absolute',
        sendAt: new Date(Date.now() - 86_400_000),
        state: 'done',
      })
      .returning();
    const [delivery] = await app.database.db
      .insert(waveDeliveries)
      .values({
        waveId: wave!.id,
        patientId: patient.id,
        channel: 'email',
        state: 'delivered',
        sendAt: new Date(Date.now() - 86_400_000),
        attempts: 1,
      })
      .returning();
    const ticket = await helpRequest(patient.id, 'sign_in', 'I never got the email about the move.');
    const agent = await staffMember('support');
    const resent = await post(agent.browser, `/staff/tickets/${ticket.id}`, {
      intent: 'macro',
      macro: 'resend_last_wave',
    });
    expect(resent.status).toBe(200);
    const [row] = await app.database.db
      .select()
      .from(waveDeliveries)
      .where(eq(waveDeliveries.id, delivery!.id));
    expect(row).toMatchObject({ state: 'pending', claimToken: null, reason: 'resent_by_staff' });
    const [again] = await app.database.db.select().from(waves).where(eq(waves.id, wave!.id));
    expect(again!.state).toBe('sending');
    expect(again!.finishedAt).toBeNull();
  });

  it('need a patient on the ticket', async () => {
    const ticket = await helpRequest(null, 'sign_in', 'I cannot sign in', { email: 'someone@example.org' });
    const agent = await staffMember('support');
    const page = text(await (await agent.browser.get(`/staff/tickets/${ticket.id}`)).text());
    expect(page).not.toContain('Send a new sign-in link');
    expect(page).toContain('s••••••@example.org');
    const refused = await post(agent.browser, `/staff/tickets/${ticket.id}`, {
      intent: 'macro',
      macro: 'resend_sign_in_link',
    });
    expect(refused.status).toBe(409);
    expect(
      await desk().runMacro({
        viewer: { id: agent.id, role: 'support' },
        ticketId: ticket.id,
        macro: 'unlock_sign_in',
      }),
    ).toEqual({ ok: false, reason: 'no_patient' });
  });
});

describe('availability and assignment', () => {
  it('gives a new ticket to the agent who said they are available, in their queues only', async () => {
    const agent = await staffMember('support');
    const became = await post(agent.browser, '/staff/tickets', { intent: 'availability', available: 'yes' });
    expect(became.status).toBe(200);
    expect(text(await became.text())).toContain('You are available for tickets');
    const [row] = await app.database.db
      .select()
      .from(supportAgents)
      .where(eq(supportAgents.staffId, agent.id));
    const nonClinical = (
      await app.database.db.select().from(supportQueues).where(eq(supportQueues.clinical, false))
    ).map((q) => q.id);
    expect(row).toMatchObject({ available: true, capacity: app.services.config.support.agentCapacity });
    expect([...row!.queues].sort()).toEqual([...nonClinical].sort());

    const patient = await newPatient();
    const billing = await helpRequest(patient.id, 'billing', 'Billing question');
    const refill = await helpRequest(patient.id, 'refill', 'Refill question');
    expect((await ticketById(billing.id)).assigneeId).toBe(agent.id);
    expect((await ticketById(refill.id)).assigneeId).toBeNull();

    const mine = text(await (await agent.browser.get('/staff/tickets?view=mine')).text());
    expect(mine).toContain(`#${billing.number}`);
    expect(mine).not.toContain(`#${refill.number}`);
    expect(mine).toContain('Mine (1)');

    // Back to the queue, then taken again by hand.
    const unassigned = await post(agent.browser, `/staff/tickets/${billing.id}`, {
      intent: 'assign',
      to: 'nobody',
    });
    expect(unassigned.status).toBe(200);
    expect((await ticketById(billing.id)).assigneeId).toBeNull();
    const taken = await post(agent.browser, `/staff/tickets/${billing.id}`, { intent: 'assign', to: 'me' });
    expect(taken.status).toBe(200);
    expect((await ticketById(billing.id)).assigneeId).toBe(agent.id);
    // A support agent cannot take a clinical ticket.
    const clinical = await post(agent.browser, `/staff/tickets/${refill.id}`, { intent: 'assign', to: 'me' });
    expect(clinical.status).toBe(403);

    const stopped = await post(agent.browser, '/staff/tickets', { intent: 'availability', available: 'no' });
    expect(stopped.status).toBe(200);
    const later = await helpRequest(patient.id, 'billing', 'Another billing question');
    expect((await ticketById(later.id)).assigneeId).toBeNull();
  });
});
