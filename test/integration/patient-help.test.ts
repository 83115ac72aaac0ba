// The help page as patients use it over HTTP: someone not signed in asks for help and reads our answer
// through the private link we sent (which carries none of what they wrote), a forged link gets a kind
// page with a 404, a signed-in patient sees their requests and writes back, the safety screen's answer
// comes first in the patient's language, and a form with something missing says what, beside the field.
import { randomBytes } from 'node:crypto';
import { and, desc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { outbox, patients, ticketMessages, tickets } from '../../db/schema/index.ts';
import { closeOffThreadPool } from '../../identity/credentials/offthread.ts';
import { PATIENT_COOKIE } from '../../identity/patient-sessions.ts';
import { safetyGuidance } from '../../messaging/support/safety-screen.ts';
import { csrfFrom, startTestApp, TestBrowser, type TestApp } from '../support/app.ts';

const PHONE = '+1 (555) 010-0100';
// The site's policy, then the read page's own: browsers apply the last one they know.
const NO_REFERRER = 'same-origin';
let app: TestApp;
let counter = 0;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
  await closeOffThreadPool();
});
beforeEach(async () => {
  await app.database.reset();
});

async function newPatient(values: Partial<typeof patients.$inferInsert> = {}) {
  counter += 1;
  const email = `help${counter}.${randomBytes(3).toString('hex')}@example.org`;
  const [row] = await app.database.db
    .insert(patients)
    .values({
      legacyId: `HELP-${counter}-${randomBytes(3).toString('hex')}`,
      email,
      emailNormalized: email,
      emailVerified: true,
      phone: `+1202555${String(4000 + counter)}`,
      givenName: 'Rosa',
      familyName: 'Díaz',
      timeZone: 'America/Chicago',
      state: 'bridged',
      ...values,
    })
    .returning();
  return row!;
}

/** A browser holding a portal session for this patient (the sign-in itself is tested elsewhere). */
async function signedIn(patientId: string) {
  const { token } = await app.services.patientSessions.start(patientId, 'pwd');
  const browser = new TestBrowser(app.url);
  browser.setCookie(PATIENT_COOKIE, token);
  return browser;
}

/** The page as a person reads it: text without tags, entities decoded, spaces collapsed. */
function textOf(html: string) {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, ' ')
    .replace(/<style[\s\S]*?<\/style>/g, ' ')
    .replace(/<title>[\s\S]*?<\/title>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&#x27;|&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

async function page(browser: TestBrowser, path: string, headers: Record<string, string> = {}) {
  const response = await browser.get(path, headers);
  const html = await response.text();
  return { response, html, text: textOf(html) };
}

/** Fills the help form the page served (with its CSRF token) and sends it. */
async function send(
  browser: TestBrowser,
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
) {
  const form = await page(browser, path, headers);
  const body = new URLSearchParams({ ...fields, csrf: csrfFrom(form.html) });
  const response = await browser.request(path, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: app.url, ...headers },
  });
  const html = await response.text();
  return { response, html, text: textOf(html) };
}

async function ticketCount() {
  const [row] = await app.database.db.select({ n: sql<number>`count(*)::int` }).from(tickets);
  return row!.n;
}

async function noticesTo(recipient: string) {
  return app.database.db
    .select()
    .from(outbox)
    .where(eq(outbox.recipient, recipient))
    .orderBy(desc(outbox.createdAt));
}

describe('someone who is not signed in', () => {
  it('asks for help with an email, gets the private link (and nothing they wrote), reads and answers there', async () => {
    const browser = new TestBrowser(app.url);
    const form = await page(browser, '/help');
    expect(form.response.status).toBe(200);
    expect(form.html).toMatch(
      /<div class="notice warning" role="note"><p><strong>If this is an emergency, call 911\. If you are thinking about hurting yourself, call or text 988\.<\/strong><\/p>/,
    );
    expect(form.text).toContain('Email or mobile phone');
    expect(form.text).toContain('You are not signed in, so we need a way to reach you.');
    // The emergency note comes before the form.
    expect(form.html.indexOf('role="note"')).toBeLessThan(form.html.indexOf('<form'));

    const words = 'My refill of lisinopril 10 mg never reached the pharmacy on Elm Street.';
    const sent = await send(browser, '/help', {
      intent: 'request',
      category: 'refill',
      subtype: 'status',
      message: words,
      contact: '  Ana.Perez@Example.org ',
    });
    expect(sent.response.status).toBe(200);
    const [ticket] = await app.database.db.select().from(tickets);
    expect(ticket).toMatchObject({ patientId: null, category: 'refill', subtype: 'status', channel: 'web' });
    expect(sent.text).toContain('We received your request');
    expect(sent.text).toContain(`Your request number is #${ticket!.number}.`);
    expect(sent.text).toContain('We sent a private link to your email. Open it to read our answer.');
    expect(sent.html).not.toContain('role="alert"');

    const notices = await noticesTo('ana.perez@example.org');
    expect(notices.map((n) => [n.channel, n.kind])).toEqual([['email', 'ticket_received']]);
    const notice = notices[0]!;
    const link = /(http:\/\/127\.0\.0\.1:\d+\/help\/r\/[0-9a-f]{32}\.[0-9a-z]{22})/.exec(
      notice.bodyText,
    )?.[1];
    expect(link).toBe(app.services.support.readLink(ticket!.id));
    expect(notice.subject).toBe(`We received your request #${ticket!.number}`);
    for (const part of [notice.subject ?? '', notice.bodyText, notice.bodyHtml ?? '']) {
      expect(part).not.toContain('lisinopril');
      expect(part).not.toContain('Elm Street');
    }

    // Following the link (on another device: no cookies) shows the request and its thread.
    const reader = new TestBrowser(app.url);
    const path = new URL(link!).pathname;
    const thread = await page(reader, path);
    expect(thread.response.status).toBe(200);
    expect(thread.response.headers.get('cache-control')).toBe('no-store');
    expect(thread.response.headers.get('referrer-policy')).toBe(NO_REFERRER);
    expect(thread.html).toContain(`<h1 id="request-${ticket!.number}-title">Request #${ticket!.number}</h1>`);
    expect(thread.text).toContain('About A refill — Where is my refill?');
    expect(thread.text).toContain('Status We are looking at it');
    expect(thread.text).toMatch(
      new RegExp(`You [A-Z][a-z]{2} \\d{1,2}, \\d{4}, \\d{1,2}:\\d\\d [AP]M ${words}`),
    );
    expect(thread.text).toContain('This page is private. Please do not share its link.');

    // Writing back through the link joins the same request.
    const replied = await send(reader, path, { message: 'It is the CVS on Elm Street, not Walgreens.' });
    expect(replied.response.status).toBe(200);
    expect(replied.response.headers.get('referrer-policy')).toBe(NO_REFERRER);
    expect(replied.html).toContain('<p class="success" role="status">We received your reply.</p>');
    expect(replied.text).toContain('It is the CVS on Elm Street, not Walgreens.');
    const stored = await app.database.db
      .select({ authorType: ticketMessages.authorType, kind: ticketMessages.kind })
      .from(ticketMessages)
      .where(eq(ticketMessages.ticketId, ticket!.id))
      .orderBy(ticketMessages.createdAt);
    expect(stored).toEqual([
      { authorType: 'patient', kind: 'message' },
      { authorType: 'patient', kind: 'message' },
    ]);
    expect(await ticketCount()).toBe(1);
  });

  it('with a mobile phone instead: the link goes by text message', async () => {
    const browser = new TestBrowser(app.url);
    const sent = await send(browser, '/help', {
      intent: 'request',
      category: 'sign_in',
      subtype: 'no_link_or_code',
      message: 'The code never arrives on my phone.',
      contact: '(202) 555-0143',
    });
    expect(sent.response.status).toBe(200);
    expect(sent.text).toContain('We sent a private link to your phone in a text message.');
    const notices = await noticesTo('+12025550143');
    expect(notices.map((n) => [n.channel, n.kind])).toEqual([['sms', 'ticket_received']]);
    expect(notices[0]!.bodyText).not.toContain('code never arrives');
    expect(notices[0]!.bodyText).toContain('/help/r/');
  });

  it('a forged or altered link gets a kind page with a 404 and the ways to get help', async () => {
    const browser = new TestBrowser(app.url);
    const forged = `/help/r/${randomBytes(16).toString('hex')}.${'a'.repeat(22)}`;
    const { response, html, text } = await page(browser, forged);
    expect(response.status).toBe(404);
    expect(response.headers.get('referrer-policy')).toBe(NO_REFERRER);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(text).toContain('We could not open this request');
    expect(text).toContain('The link may be cut off or old. You can still get help.');
    expect(text).toContain(`You can still get help. Call us at ${PHONE} .`);
    expect(html).toContain('<a href="tel:+15550100100">+1 (555) 010-0100</a>');
    expect(html).toContain('<a class="button" href="/help">Send us a new request</a>');

    // A reply posted to it adds nothing anywhere.
    const csrf = csrfFrom((await page(browser, '/help')).html);
    const reply = await browser.submit(forged, { message: 'hello?' }, { csrf });
    expect(reply.status).toBe(404);
    expect(await ticketCount()).toBe(0);

    // A genuine link to a request made while signed in is read after signing in, not by link.
    const patient = await newPatient();
    const sent = await send(await signedIn(patient.id), '/help', {
      intent: 'request',
      category: 'billing',
      message: 'Why was I charged twice?',
    });
    expect(sent.response.status).toBe(200);
    const [ticket] = await app.database.db.select({ id: tickets.id }).from(tickets);
    const theirs = await page(browser, `/help/r/${app.services.support.tokens.sign('read', ticket!.id)}`);
    expect(theirs.response.status).toBe(404);
    expect(theirs.text).not.toContain('charged twice');

    // In Spanish too.
    const es = await page(browser, forged, { 'accept-language': 'es-US,es;q=0.9' });
    expect(es.response.status).toBe(404);
    expect(es.text).toContain('No pudimos abrir esta solicitud');
    expect(es.text).toContain(`Llámenos al ${PHONE} .`);
  });
});

describe('a signed-in patient', () => {
  it('sends a request without giving a contact, and sees it under "Your requests"; writes back there', async () => {
    const patient = await newPatient();
    const browser = await signedIn(patient.id);
    const form = await page(browser, '/help');
    expect(form.response.status).toBe(200);
    expect(form.response.headers.get('cache-control')).toBe('private, no-store');
    expect(form.html).not.toContain('name="contact"');
    expect(form.text).toContain('Your requests You have not sent us a request yet.');

    const sent = await send(browser, '/help', {
      intent: 'request',
      category: 'appointment',
      subtype: 'join_visit',
      message: 'The video visit link says the room is closed.',
    });
    expect(sent.response.status).toBe(200);
    const [ticket] = await app.database.db.select().from(tickets);
    expect(ticket).toMatchObject({ patientId: patient.id, category: 'appointment', subtype: 'join_visit' });
    expect(sent.text).toContain(`Your request number is #${ticket!.number}.`);
    expect(sent.text).toContain('We will answer on this page, and we will send you a message when we do.');
    // The notice goes to the address on file and points to /help (no private link for an account).
    const [notice] = await noticesTo(patient.email!);
    expect(notice!.kind).toBe('ticket_received');
    expect(notice!.bodyText).toContain(`${app.url}/help`);
    expect(notice!.bodyText).not.toContain('/help/r/');

    const mine = await page(browser, '/help');
    expect(mine.text).toContain(`Your requests Request #${ticket!.number}`);
    expect(mine.text).toContain('About An appointment — I can’t join my video visit');
    expect(mine.text).toContain('Status We are looking at it');
    expect(mine.text).toContain('The video visit link says the room is closed.');
    // Times in the patient's own zone.
    expect(mine.text).toMatch(/You [A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d\d [AP]M The video visit link/);

    const replied = await send(browser, '/help', {
      intent: 'reply',
      number: String(ticket!.number),
      message: 'I tried again in Chrome and it still says closed.',
    });
    expect(replied.response.status).toBe(200);
    expect(replied.html).toContain('<p class="success" role="status">We received your reply.</p>');
    expect(replied.text).toContain('I tried again in Chrome and it still says closed.');

    // Someone else's request number is not theirs to write on.
    const other = await newPatient();
    const refused = await send(await signedIn(other.id), '/help', {
      intent: 'reply',
      number: String(ticket!.number),
      message: 'hello',
    });
    expect(refused.response.status).toBe(404);
    const count = await app.database.db
      .select({ n: sql<number>`count(*)::int` })
      .from(ticketMessages)
      .where(and(eq(ticketMessages.ticketId, ticket!.id), eq(ticketMessages.authorType, 'patient')));
    expect(count[0]!.n).toBe(2);
  });

  it('writing "no puedo respirar" in Spanish gets the 911 guidance first, in Spanish', async () => {
    const patient = await newPatient({ locale: 'es' });
    const browser = await signedIn(patient.id);
    const es = { 'accept-language': 'es-US,es;q=0.9' };
    const sent = await send(
      browser,
      '/help',
      { intent: 'request', category: 'other', message: 'Desde anoche no puedo respirar bien.' },
      es,
    );
    expect(sent.response.status).toBe(200);
    const guidance = safetyGuidance('es', ['emergency'], 'text');
    expect(guidance).toMatch(/^Si es una emergencia, llame al 911 ahora/);
    expect(sent.html).toContain(
      `<div class="notice warning" role="alert"><h2>Por favor, lea esto primero</h2><p><strong>${guidance}</strong></p></div>`,
    );
    const confirmation = sent.text.indexOf('Recibimos su solicitud');
    expect(confirmation).toBeGreaterThan(0);
    expect(sent.text.indexOf(guidance)).toBeLessThan(confirmation);
    const [ticket] = await app.database.db.select().from(tickets);
    expect(ticket).toMatchObject({ safetyFlag: true, queueId: 'clinical', locale: 'es' });
    expect(sent.text).toContain(`El número de su solicitud es #${ticket!.number}.`);

    // The thread shows our safety answer as such.
    const mine = await page(browser, '/help', es);
    expect(mine.text).toContain('Sus solicitudes');
    expect(mine.text).toContain('Nuestro equipo — mensaje de seguridad');
    expect(mine.text).toContain(guidance);
    expect(mine.text).toContain('Estado La estamos revisando');
  });
});

describe('the form', () => {
  it('says what is missing beside each field, kindly, and keeps what was written', async () => {
    const browser = new TestBrowser(app.url);
    const empty = await send(browser, '/help', { intent: 'request', message: '   ', contact: '' });
    expect(empty.response.status).toBe(400);
    expect(empty.text).toContain('Some answers need a second look. Please check the form below.');
    expect(empty.html).toContain(
      '<p class="error field-error" id="category-error">Please choose what your request is about.</p>',
    );
    expect(empty.html).toContain(
      '<p class="error field-error" id="message-error">Please tell us how we can help.</p>',
    );
    expect(empty.html).toContain(
      '<p class="error field-error" id="contact-error">Please give us an email or mobile phone number, so we can answer you.</p>',
    );
    expect(empty.html).toMatch(
      /<textarea id="message" name="message" rows="8" maxLength="5000" aria-invalid="true" aria-describedby="message-error message-hint">/,
    );
    expect(empty.html).toMatch(
      /<input type="text" id="contact" name="contact" aria-invalid="true" aria-describedby="contact-error contact-hint" value=""\/>/,
    );

    const unreadable = await send(browser, '/help', {
      intent: 'request',
      category: 'billing',
      message: 'Where is my receipt?',
      contact: 'ana at example',
    });
    expect(unreadable.response.status).toBe(400);
    expect(unreadable.text).toContain(
      'We could not read that email or phone number. Please check it, for example maria@example.com or (555) 123-4567.',
    );
    expect(unreadable.text).not.toContain('Please tell us how we can help.');
    // What was written stays in the form.
    expect(unreadable.html).toContain('>Where is my receipt?</textarea>');
    expect(unreadable.html).toMatch(/name="category" value="billing" checked=""|checked="" value="billing"/);

    const es = await send(
      browser,
      '/help',
      { intent: 'request', category: 'refill', message: '', contact: 'ana@example.org' },
      { 'accept-language': 'es' },
    );
    expect(es.response.status).toBe(400);
    expect(es.text).toContain('Por favor, cuéntenos cómo le podemos ayudar.');
    expect(await ticketCount()).toBe(0);
  });

  it('refuses a post without its CSRF token, and keeps nothing', async () => {
    const browser = new TestBrowser(app.url);
    await browser.get('/help');
    const response = await browser.submit(
      '/help',
      { intent: 'request', category: 'other', message: 'Hello', contact: 'ana@example.org' },
      { csrf: null },
    );
    expect(response.status).toBe(403);
    expect(textOf(await response.text())).toContain('This page has expired');
    expect(await ticketCount()).toBe(0);
    expect(await noticesTo('ana@example.org')).toEqual([]);
  });
});
