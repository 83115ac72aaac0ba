// The patient's own pages over HTTP: the home page for each cohort phase, contact and language choices
// on the account page (saved, audited, CSRF-protected, only the patient's own), "Stay signed in", and
// the error and not-found pages.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { and, desc, eq } from 'drizzle-orm';
import { auditEvents, cohorts, patients, patientSessions, type CohortPhase } from '../../db/schema/index.ts';
import { addClient } from '../../identity/oidc/clients.ts';
import { PATIENT_COOKIE } from '../../identity/patient-sessions.ts';
import { closeOffThreadPool } from '../../identity/credentials/offthread.ts';
import { csrfFrom, startTestApp, TestBrowser, type TestApp } from '../support/app.ts';
import { legacyPatient } from '../support/oidc.ts';

const LEGACY_URL = 'https://portal-old.example.org';
const PHONE = '+1 (555) 010-0100';
let app: TestApp;
let counter = 0;

beforeAll(async () => {
  // The real clock: the pages measure the time left against the session's end in the database.
  app = await startTestApp({ LEGACY_PLATFORM_URL: LEGACY_URL }, { realClock: true });
  await addClient(app.database.db, app.services.cipher, {
    name: 'Harbor Care',
    redirectUris: ['https://new.example.org/callback'],
    initiateLoginUri: 'https://new.example.org/launch',
    type: 'confidential',
    firstParty: true,
  });
});
afterAll(async () => {
  await app?.close();
  await closeOffThreadPool();
});

async function cohort(phase: CohortPhase, cutoverDate: string | null = null) {
  const [row] = await app.database.db
    .insert(cohorts)
    .values({ name: `c-${phase}-${randomBytes(4).toString('hex')}`, phase, cutoverDate })
    .returning();
  return row!;
}

async function newPatient(values: Partial<typeof patients.$inferInsert> = {}) {
  counter += 1;
  const email = `pp${counter}.${randomBytes(3).toString('hex')}@example.org`;
  const [row] = await app.database.db
    .insert(patients)
    .values({
      legacyId: `PP-${counter}-${randomBytes(3).toString('hex')}`,
      email,
      emailNormalized: email,
      phone: `+1202555${String(3000 + counter)}`,
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
  const { token, session } = await app.services.patientSessions.start(patientId, 'pwd');
  const browser = new TestBrowser(app.url);
  browser.setCookie(PATIENT_COOKIE, token);
  return { browser, session, token };
}

/** The page as a person reads it: text without tags, entities decoded, spaces collapsed. */
function textOf(html: string) {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, ' ')
    .replace(/<style[\s\S]*?<\/style>/g, ' ')
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

async function storedChoices(id: string) {
  const [row] = await app.database.db
    .select({ emailOptIn: patients.emailOptIn, smsOptIn: patients.smsOptIn, locale: patients.locale })
    .from(patients)
    .where(eq(patients.id, id));
  return row!;
}

async function auditsOf(patientId: string, action: string) {
  return app.database.db
    .select({ actorType: auditEvents.actorType, actorId: auditEvents.actorId, data: auditEvents.data })
    .from(auditEvents)
    .where(and(eq(auditEvents.action, action), eq(auditEvents.subjectId, patientId)))
    .orderBy(desc(auditEvents.seq));
}

async function sessionEnd(sessionId: string) {
  const [row] = await app.database.db
    .select({ expiresAt: patientSessions.expiresAt })
    .from(patientSessions)
    .where(eq(patientSessions.id, sessionId));
  return row!.expiresAt;
}

describe('home page', () => {
  it('signed out: what is happening, what to do, and sign in', async () => {
    const { response, html, text } = await page(new TestBrowser(app.url), '/');
    expect(response.status).toBe(200);
    expect(text).toContain('Your Harbor Health patient portal is moving');
    expect(text).toContain('What you need to do');
    expect(html).toContain('href="/login"');
    expect(text).not.toContain('Your next step');
    // Help one tap away on every page, and the language-assistance tagline.
    expect(html).toContain('href="tel:+15550100100"');
    expect(text).toContain(`Language help is free. Call ${PHONE}.`);
    expect(html).toContain('<span lang="es">Ayuda en español gratis');
  });

  it.each([
    ['pending', 'You will move soon', 'Keep using this web address.'],
    ['pilot', 'Your new portal is ready', 'Continue to Harbor Care'],
    ['migrating', 'Your new portal is ready', 'Continue to Harbor Care'],
    ['cut_over', 'Your new portal is ready', 'Continue to Harbor Care'],
    ['rolled_back', 'We paused the move', 'Keep using the old portal for now.'],
  ] as const)('signed in, cohort %s: %s', async (phase, title, words) => {
    const patient = await newPatient({ cohortId: (await cohort(phase)).id });
    const { browser } = await signedIn(patient.id);
    const { response, html, text } = await page(browser, '/');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('private, no-store');
    expect(text).toContain('You are signed in as Rosa.');
    expect(text).toContain(title);
    expect(text).toContain(words);
    expect(text).toContain('Your next step');
    // The way on to the new platform only once the cohort is on it (pilot patients try it first).
    const ready = phase === 'pilot' || phase === 'migrating' || phase === 'cut_over';
    expect(html.includes('href="https://new.example.org/launch?iss=')).toBe(ready);
    expect(html.includes(`href="${LEGACY_URL}"`)).toBe(phase === 'rolled_back');
    // The signed-out steps ("Nothing yet") would contradict a ready cohort.
    expect(text).not.toContain('What you need to do');
  });

  it('a patient in no cohort yet will move soon; a planned day ahead is named', async () => {
    const unassigned = await newPatient();
    expect((await page((await signedIn(unassigned.id)).browser, '/')).text).toContain('You will move soon');
    const planned = await newPatient({ cohortId: (await cohort('pending', '2099-03-15')).id });
    expect((await page((await signedIn(planned.id)).browser, '/')).text).toContain(
      'Your move is planned for March 15, 2099.',
    );
  });

  it('speaks Spanish', async () => {
    const patient = await newPatient({ cohortId: (await cohort('cut_over')).id });
    const { browser } = await signedIn(patient.id);
    const { html, text } = await page(browser, '/', { 'accept-language': 'es-US,es;q=0.9' });
    expect(html).toContain('<html lang="es">');
    expect(text).toContain('Su portal nuevo está listo');
    expect(text).toContain('Continuar a Harbor Care');
    expect(text).toContain('Su próximo paso');
    const paused = await newPatient({ cohortId: (await cohort('rolled_back')).id });
    expect((await page((await signedIn(paused.id)).browser, '/?lng=es')).text).toContain(
      'Por ahora, siga usando el portal anterior.',
    );
  });
});

describe('account choices', () => {
  it('saves email, text and language choices, audits them, and shows the page in the chosen language', async () => {
    const patient = await newPatient();
    const { browser } = await signedIn(patient.id);
    const before = await page(browser, '/account');
    expect(before.text).toContain('Text me updates about the move.');
    expect(before.text).toContain('Message and data rates may apply. Reply STOP to stop.');
    expect(before.html).toMatch(
      /<input type="checkbox" id="smsOptIn" name="smsOptIn" aria-describedby="sms-terms sms-to"\/>/,
    );

    const saved = await browser.submit(
      '/account',
      { emailOptIn: 'on', smsOptIn: 'on', locale: 'es' },
      { csrf: csrfFrom(before.html) },
    );
    expect(saved.status).toBe(302);
    expect(saved.headers.get('location')).toBe('/account?saved=1');
    expect(saved.headers.getSetCookie().some((c) => c.startsWith('cw_lng=es;'))).toBe(true);
    expect(await storedChoices(patient.id)).toEqual({ emailOptIn: true, smsOptIn: true, locale: 'es' });
    const [audit] = await auditsOf(patient.id, 'patient.preferences_changed');
    expect(audit).toEqual({
      actorType: 'patient',
      actorId: patient.id,
      data: {
        before: { emailOptIn: false, smsOptIn: false, locale: 'en' },
        after: { emailOptIn: true, smsOptIn: true, locale: 'es' },
        smsConsent: {
          wording:
            '[en] Text me updates about the move. We send a few texts during the move. Message and data rates may apply. Reply STOP to stop. Reply HELP for help.',
          at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown as string,
        },
      },
    });
    // Never where the messages go.
    expect(JSON.stringify(audit)).not.toContain(patient.email!);
    expect(JSON.stringify(audit)).not.toContain(patient.phone!.slice(2));

    const after = await page(browser, '/account?saved=1');
    expect(after.html).toContain('<html lang="es">');
    expect(after.html).toMatch(/<p class="success" role="status">Sus opciones están guardadas\.<\/p>/);
    expect(after.html).toMatch(/id="emailOptIn" name="emailOptIn" aria-describedby="email-to" checked=""/);
    expect(after.html).toMatch(
      /id="smsOptIn" name="smsOptIn" aria-describedby="sms-terms sms-to" checked=""/,
    );
    expect(after.html).toMatch(/name="locale" checked="" value="es"/);

    // Turning texts off is saved and audited too.
    const off = await browser.submit(
      '/account',
      { emailOptIn: 'on', locale: 'es' },
      { csrf: csrfFrom(after.html) },
    );
    expect(off.status).toBe(302);
    expect(await storedChoices(patient.id)).toEqual({ emailOptIn: true, smsOptIn: false, locale: 'es' });
    expect((await auditsOf(patient.id, 'patient.preferences_changed'))[0]!.data).toEqual({
      before: { emailOptIn: true, smsOptIn: true, locale: 'es' },
      after: { emailOptIn: true, smsOptIn: false, locale: 'es' },
    });
  });

  it('refuses a post without the CSRF token, or with another browser’s, and changes nothing', async () => {
    const patient = await newPatient();
    const { browser } = await signedIn(patient.id);
    await browser.get('/account');
    const missing = await browser.submit('/account', { smsOptIn: 'on', locale: 'es' }, { csrf: null });
    expect(missing.status).toBe(403);
    const other = new TestBrowser(app.url);
    const foreign = await browser.submit(
      '/account',
      { smsOptIn: 'on', locale: 'es' },
      { csrf: await other.csrfToken() },
    );
    expect(foreign.status).toBe(403);
    expect(await storedChoices(patient.id)).toEqual({ emailOptIn: false, smsOptIn: false, locale: 'en' });
    expect(await auditsOf(patient.id, 'patient.preferences_changed')).toEqual([]);
  });

  it('changes only the signed-in patient’s own choices, and nobody’s when signed out', async () => {
    const mine = await newPatient();
    const theirs = await newPatient();
    const { browser } = await signedIn(mine.id);
    const html = (await page(browser, '/account')).html;
    // A field naming another patient is not how the page says whose choices these are.
    const response = await browser.submit(
      '/account',
      { smsOptIn: 'on', locale: 'es', patientId: theirs.id, id: theirs.id },
      { csrf: csrfFrom(html) },
    );
    expect(response.status).toBe(302);
    expect(await storedChoices(mine.id)).toEqual({ emailOptIn: false, smsOptIn: true, locale: 'es' });
    expect(await storedChoices(theirs.id)).toEqual({ emailOptIn: false, smsOptIn: false, locale: 'en' });

    const stranger = new TestBrowser(app.url);
    const signedOut = await stranger.submit('/account', { smsOptIn: 'on', locale: 'es' });
    expect(signedOut.status).toBe(302);
    expect(signedOut.headers.get('location')).toBe('/login');
    expect(await storedChoices(theirs.id)).toEqual({ emailOptIn: false, smsOptIn: false, locale: 'en' });
  });

  it('offers no text messages without a mobile number, and says how to add one', async () => {
    const patient = await newPatient({ phone: null });
    const { browser } = await signedIn(patient.id);
    const { html, text } = await page(browser, '/account');
    expect(html).not.toContain('name="smsOptIn"');
    expect(text).toContain(`We do not have a mobile number for you. To add one, call us at ${PHONE}.`);
    const forced = await browser.submit(
      '/account',
      { smsOptIn: 'on', locale: 'en' },
      { csrf: csrfFrom(html) },
    );
    expect(forced.status).toBe(400);
    expect(textOf(await forced.text())).toContain(
      `We do not have a mobile number for you yet. Call us at ${PHONE} to add one.`,
    );
    expect(await storedChoices(patient.id)).toEqual({ emailOptIn: false, smsOptIn: false, locale: 'en' });
  });

  it('shows where the move stands and when the session ends, in the patient’s time zone', async () => {
    const patient = await newPatient({ cohortId: (await cohort('migrating')).id });
    const { browser, session } = await signedIn(patient.id);
    const end = new Date('2099-07-06T01:30:00Z');
    await app.database.db
      .update(patientSessions)
      .set({ expiresAt: end })
      .where(eq(patientSessions.id, session.id));
    const { text } = await page(browser, '/account');
    expect(text).toContain('Where your move stands');
    expect(text).toContain('Your new portal is ready');
    // 01:30 UTC is 8:30 PM the day before in Chicago (daylight time).
    expect(text).toContain('For your safety, we will sign you out at Sunday, 8:30 PM CDT.');
  });
});

describe('stay signed in', () => {
  it('extends the session by a full session length, renews the cookie, and audits it', async () => {
    const patient = await newPatient();
    const { browser, session } = await signedIn(patient.id);
    const soon = new Date(Date.now() + 60_000);
    await app.database.db
      .update(patientSessions)
      .set({ expiresAt: soon })
      .where(eq(patientSessions.id, session.id));
    const html = (await page(browser, '/account')).html;
    const response = await browser.submit('/session/extend', {}, { csrf: csrfFrom(html) });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as { expiresInMs: number; endsAt: string };
    const extended = await sessionEnd(session.id);
    const ttl = app.services.patientSessions.ttlMs;
    expect(extended.getTime()).toBeGreaterThan(soon.getTime() + ttl - 120_000);
    expect(body.expiresInMs).toBeGreaterThan(ttl - 120_000);
    expect(body.endsAt).toMatch(/^\w+day, \d{1,2}:\d\d [AP]M C[SD]T$/);
    const cookie = response.headers.getSetCookie().find((c) => c.startsWith(`${PATIENT_COOKIE}=`));
    expect(cookie).toContain(`Max-Age=${ttl / 1000}`);
    expect(await auditsOf(patient.id, 'patient.session_extended')).toEqual([
      { actorType: 'patient', actorId: patient.id, data: {} },
    ]);
  });

  it('without JavaScript, comes back to the account page and says until when', async () => {
    const patient = await newPatient();
    const { browser } = await signedIn(patient.id);
    const html = (await page(browser, '/account?lng=es')).html;
    expect(html).toContain('action="/session/extend?lng=es"');
    const response = await browser.submit(
      '/session/extend?lng=es',
      { returnTo: '/account' },
      { csrf: csrfFrom(html) },
    );
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/account?extended=1&lng=es');
    const { text } = await page(browser, '/account?extended=1&lng=es');
    expect(text).toMatch(/Listo\. Su sesión seguirá abierta hasta el \w+/);
  });

  it('never sends the patient anywhere but our own pages', async () => {
    const patient = await newPatient();
    const { browser } = await signedIn(patient.id);
    const html = (await page(browser, '/account')).html;
    for (const returnTo of [
      'https://evil.example/',
      '//evil.example',
      '/\\evil.example',
      'javascript:alert(1)',
    ]) {
      const response = await browser.submit('/session/extend', { returnTo }, { csrf: csrfFrom(html) });
      expect(response.status).toBe(200);
      expect(response.headers.get('location')).toBeNull();
    }
  });

  it('refuses without the CSRF token, and a GET changes nothing', async () => {
    const patient = await newPatient();
    const { browser, session } = await signedIn(patient.id);
    const before = await sessionEnd(session.id);
    await browser.get('/account');
    expect((await browser.submit('/session/extend', {}, { csrf: null })).status).toBe(403);
    const get = await browser.get('/session/extend');
    expect(get.status).toBe(302);
    expect(await sessionEnd(session.id)).toEqual(before);
    expect(await auditsOf(patient.id, 'patient.session_extended')).toEqual([]);
  });

  it('does not bring back a session that has ended or was signed out', async () => {
    const patient = await newPatient();
    const { browser, session } = await signedIn(patient.id);
    const html = (await page(browser, '/account')).html;
    const past = new Date(Date.now() - 1_000);
    await app.database.db
      .update(patientSessions)
      .set({ expiresAt: past })
      .where(eq(patientSessions.id, session.id));
    const json = await browser.submit('/session/extend', {}, { csrf: csrfFrom(html) });
    expect(json.status).toBe(401);
    expect(await json.json()).toEqual({ ended: true });
    const document = await browser.submit(
      '/session/extend',
      { returnTo: '/account' },
      { csrf: csrfFrom(html) },
    );
    expect(document.headers.get('location')).toBe('/?timed_out=1');
    expect(await sessionEnd(session.id)).toEqual(past);
    const home = await page(browser, '/?timed_out=1');
    expect(home.html).toMatch(
      /<p class="success" role="status">For your safety, we signed you out\. Please sign in again to keep going\.<\/p>/,
    );

    // Signed out on purpose: the token no longer works for "Stay signed in" either.
    const again = await signedIn(patient.id);
    const page2 = (await page(again.browser, '/account')).html;
    expect((await again.browser.submit('/logout', {}, { csrf: csrfFrom(page2) })).status).toBe(302);
    again.browser.setCookie(PATIENT_COOKIE, again.token);
    expect((await again.browser.submit('/session/extend', {}, { csrf: csrfFrom(page2) })).status).toBe(401);
    expect(await auditsOf(patient.id, 'patient.session_extended')).toEqual([]);
  });

  it('a patient signed in with a password keeps the session they signed in with', async () => {
    const patient = await legacyPatient(app, {
      legacyId: `PP-PWD-${randomBytes(3).toString('hex')}`,
      email: `pwd.${randomBytes(3).toString('hex')}@example.org`,
      password: 'Harbor-Clinic-2020',
    });
    await app.database.db
      .update(patients)
      .set({ state: 'bridged', bridgedAt: new Date(Date.now() - 86_400_000) })
      .where(eq(patients.id, patient.id));
    const browser = new TestBrowser(app.url);
    const login = await page(browser, '/login');
    const signIn = await browser.submit(
      '/login',
      { identifier: patient.email!, password: 'Harbor-Clinic-2020' },
      { csrf: csrfFrom(login.html) },
    );
    expect(signIn.status).toBe(302);
    const account = await page(browser, '/account');
    expect(account.response.status).toBe(200);
    const extend = await browser.submit('/session/extend', {}, { csrf: csrfFrom(account.html) });
    expect(extend.status).toBe(200);
    expect(await auditsOf(patient.id, 'patient.session_extended')).toHaveLength(1);
  });
});

describe('error and not-found pages', () => {
  it('a form posted without its token gets a plain-words page with the help line and a way home', async () => {
    const patient = await newPatient();
    const { browser } = await signedIn(patient.id);
    await browser.get('/account');
    const response = await browser.submit('/account', { locale: 'es' }, { csrf: null });
    expect(response.status).toBe(403);
    const html = await response.text();
    const text = textOf(html);
    expect(text).toContain('This page has expired');
    expect(text).toContain(`If it keeps happening, call us at ${PHONE}.`);
    expect(html).toContain('<a href="/">Go to the home page</a>');
  });

  it.each([
    ['en', 'We could not find that page', 'Sign in to find your page', `Call us at ${PHONE}.`],
    ['es', 'No encontramos esa página', 'Entre para encontrar su página', `Llámenos al ${PHONE}.`],
  ])('an unknown address gets help, never a bare 404 (%s)', async (lng, title, signIn, help) => {
    const response = await new TestBrowser(app.url).get(`/no/such/page?lng=${lng}`);
    expect(response.status).toBe(404);
    const html = await response.text();
    const text = textOf(html);
    expect(text).toContain(title);
    expect(text).toContain(signIn);
    expect(html).toContain('href="/login"');
    expect(text).toContain(help);
  });
});
