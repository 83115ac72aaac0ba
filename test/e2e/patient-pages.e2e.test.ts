// The patient's own pages in Chromium: axe (WCAG 2.1 AA) on the home page signed out and in, the
// account page, the error page and the not-found page, in English and Spanish; choices saved with the
// keyboard; and the warning before the session ends, reached and answered with the keyboard alone.
import { randomBytes } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, cohorts, patients, patientSessions, type CohortPhase } from '../../db/schema/index.ts';
import { closeOffThreadPool } from '../../identity/credentials/offthread.ts';
import { addClient } from '../../identity/oidc/clients.ts';
import { PATIENT_COOKIE } from '../../identity/patient-sessions.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { accessibilityViolations, launchChromium, screenshot } from '../support/browser.ts';
import { legacyPatient } from '../support/oidc.ts';

let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  // The real clock: the page's warning counts down against the session's end in the database.
  app = await startTestApp(
    { LEGACY_PLATFORM_URL: 'https://portal-old.example.org', SIGN_IN_ATTEMPTS_PER_ADDRESS: '100000' },
    { realClock: true },
  );
  await addClient(app.database.db, app.services.cipher, {
    name: 'Harbor Care',
    redirectUris: ['https://new.example.org/callback'],
    initiateLoginUri: 'https://new.example.org/launch',
    type: 'confidential',
    firstParty: true,
  });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await closeOffThreadPool();
});

const locales = [
  ['en', 'en-US'],
  ['es', 'es-US'],
] as const;

/** Errors the page logs (a script blocked by the CSP, a failed hydration …). */
function consoleErrors(page: Page) {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return errors;
}

async function cohort(phase: CohortPhase) {
  const [row] = await app.database.db
    .insert(cohorts)
    .values({ name: `e2e-${phase}-${randomBytes(4).toString('hex')}`, phase })
    .returning();
  return row!;
}

/** A patient who has signed in before (no welcome step), in a cohort at this phase. */
async function bridgedPatient(phase: CohortPhase) {
  const id = randomBytes(4).toString('hex');
  const [row] = await app.database.db
    .insert(patients)
    .values({
      legacyId: `E2E-PP-${id}`,
      email: `rosa.${id}@example.org`,
      emailNormalized: `rosa.${id}@example.org`,
      phone: '+12025550188',
      givenName: 'Rosa',
      familyName: 'Díaz',
      timeZone: 'America/Chicago',
      cohortId: (await cohort(phase)).id,
      state: 'bridged',
      bridgedAt: new Date(Date.now() - 86_400_000),
    })
    .returning();
  return row!;
}

/** A browser already holding this patient's portal session (sign-in itself: see the keyboard test). */
async function signedInContext(patientId: string, options: Parameters<Browser['newContext']>[0] = {}) {
  const context = await browser.newContext(options);
  const { token, session } = await app.services.patientSessions.start(patientId, 'pwd');
  await context.addCookies([{ name: PATIENT_COOKIE, value: token, url: app.url, httpOnly: true }]);
  return { context, session };
}

/** Moves the session's end near, as if the patient had been signed in for most of it. */
async function endSessionIn(sessionId: string, ms: number) {
  await app.database.db
    .update(patientSessions)
    .set({ expiresAt: new Date(Date.now() + ms) })
    .where(eq(patientSessions.id, sessionId));
}

async function sessionEnd(sessionId: string) {
  const [row] = await app.database.db
    .select({ expiresAt: patientSessions.expiresAt })
    .from(patientSessions)
    .where(eq(patientSessions.id, sessionId));
  return row!.expiresAt;
}

async function extensions(patientId: string) {
  const rows = await app.database.db
    .select({ seq: auditEvents.seq })
    .from(auditEvents)
    .where(and(eq(auditEvents.action, 'patient.session_extended'), eq(auditEvents.subjectId, patientId)));
  return rows.length;
}

const focusedText = (page: Page) => page.evaluate(() => document.activeElement?.textContent ?? null);

async function close(context: BrowserContext) {
  await context.close();
}

describe('patient pages pass axe in English and Spanish', () => {
  it.each(locales)('home page signed out and signed in (%s)', async (lng, browserLocale) => {
    const context = await browser.newContext({ locale: browserLocale });
    const page = await context.newPage();
    const errors = consoleErrors(page);
    await page.goto(app.url);
    await page
      .getByRole('link', { name: lng === 'en' ? 'Sign in' : 'Iniciar sesión' })
      .first()
      .waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await close(context);

    for (const phase of ['migrating', 'pending', 'rolled_back'] as const) {
      const patient = await bridgedPatient(phase);
      const signedIn = await signedInContext(patient.id, { locale: browserLocale });
      const home = await signedIn.context.newPage();
      const homeErrors = consoleErrors(home);
      await home.goto(app.url);
      expect(await home.locator('html').getAttribute('lang')).toBe(lng);
      const title = {
        migrating: { en: 'Your new portal is ready', es: 'Su portal nuevo está listo' },
        pending: { en: 'You will move soon', es: 'Pronto pasará al portal nuevo' },
        rolled_back: { en: 'We paused the move', es: 'Pausamos el cambio' },
      }[phase][lng];
      await home.getByRole('heading', { level: 2, name: title }).waitFor();
      if (phase === 'migrating')
        await expect(
          home
            .getByRole('link', { name: lng === 'en' ? 'Continue to Harbor Care' : 'Continuar a Harbor Care' })
            .isVisible(),
        ).resolves.toBe(true);
      expect(await accessibilityViolations(home)).toEqual([]);
      await screenshot(home, `patient-home-${phase}-${lng}`);
      expect(homeErrors).toEqual([]);
      await close(signedIn.context);
    }
    expect(errors).toEqual([]);
  });

  it.each(locales)('account page, with choices saved by keyboard (%s)', async (lng, browserLocale) => {
    const patient = await bridgedPatient('cut_over');
    const { context } = await signedInContext(patient.id, { locale: browserLocale });
    const page = await context.newPage();
    const errors = consoleErrors(page);
    await page.goto(`${app.url}/account`);
    await page
      .getByRole('heading', { level: 1, name: lng === 'en' ? 'Your account' : 'Su cuenta' })
      .waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, `patient-account-${lng}`);

    // Only the keyboard: tick texts (with its terms read out beside it), keep the page's language.
    const sms = page.getByRole('checkbox', {
      name:
        lng === 'en'
          ? 'Text me updates about the move.'
          : 'Envíenme noticias sobre el cambio por mensaje de texto.',
    });
    await sms.focus();
    await page.keyboard.press('Space');
    await expect(sms.isChecked()).resolves.toBe(true);
    const describedBy = await sms.getAttribute('aria-describedby');
    expect(describedBy).toBe('sms-terms sms-to');
    await page.getByRole('radio', { name: lng === 'en' ? 'English' : 'Español' }).focus();
    await page.keyboard.press('Space');
    await page
      .getByRole('button', { name: lng === 'en' ? 'Save my choices' : 'Guardar mis opciones' })
      .focus();
    await page.keyboard.press('Enter');
    await page
      .getByRole('status')
      .filter({ hasText: lng === 'en' ? 'Your choices are saved.' : 'Sus opciones están guardadas.' })
      .waitFor();
    const [saved] = await app.database.db
      .select({ smsOptIn: patients.smsOptIn, locale: patients.locale })
      .from(patients)
      .where(eq(patients.id, patient.id));
    expect(saved).toEqual({ smsOptIn: true, locale: lng });
    expect(await accessibilityViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
    await close(context);
  });

  it.each(locales)('error page (%s)', async (lng, browserLocale) => {
    const patient = await bridgedPatient('pilot');
    const { context } = await signedInContext(patient.id, { locale: browserLocale });
    const page = await context.newPage();
    // Something breaks on our side: the table the home page reads is gone for a moment.
    await app.database.db.execute(sql.raw('alter table cohorts rename to cohorts_away'));
    try {
      const response = await page.goto(app.url);
      expect(response?.status()).toBe(500);
    } finally {
      await app.database.db.execute(sql.raw('alter table cohorts_away rename to cohorts'));
    }
    await page
      .getByRole('heading', {
        level: 1,
        name: lng === 'en' ? 'Something went wrong on our side' : 'Algo salió mal de nuestro lado',
      })
      .waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe(lng);
    await expect(page.getByText('+1 (555) 010-0100').first().isVisible()).resolves.toBe(true);
    await expect(
      page.getByRole('link', { name: lng === 'en' ? 'Try again' : 'Intentar de nuevo' }).getAttribute('href'),
    ).resolves.toBe('/');
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, `patient-error-${lng}`);
    await close(context);
  });

  it.each(locales)('not-found page (%s)', async (lng, browserLocale) => {
    const context = await browser.newContext({ locale: browserLocale });
    const page = await context.newPage();
    const response = await page.goto(`${app.url}/appointments/old-bookmark`);
    expect(response?.status()).toBe(404);
    await page
      .getByRole('heading', {
        level: 1,
        name: lng === 'en' ? 'We could not find that page' : 'No encontramos esa página',
      })
      .waitFor();
    await expect(
      page
        .getByRole('link', {
          name: lng === 'en' ? 'Sign in to find your page' : 'Entre para encontrar su página',
        })
        .getAttribute('href'),
    ).resolves.toBe('/login');
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, `patient-not-found-${lng}`);
    await close(context);
  });
});

describe('the warning before the session ends', () => {
  it('is reached and answered with the keyboard, keeps the session, and passes axe', async () => {
    const password = 'Harbor-Clinic-2020';
    const patient = await legacyPatient(app, {
      legacyId: `E2E-KB-${randomBytes(3).toString('hex')}`,
      email: `kb.${randomBytes(3).toString('hex')}@example.org`,
      password,
      givenName: 'Rosa',
    });
    await app.database.db
      .update(patients)
      .set({ state: 'bridged', bridgedAt: new Date(Date.now() - 86_400_000) })
      .where(eq(patients.id, patient.id));
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const errors = consoleErrors(page);
    await page.goto(`${app.url}/login`);
    await page.getByLabel('Email or phone number').fill(patient.email!);
    await page.getByLabel('Password').fill(password);
    await page.keyboard.press('Enter');
    await page.getByText('You are signed in as Rosa.').waitFor();

    // Most of the session has gone by: about a minute and a half is left.
    const [session] = await app.database.db
      .select({ id: patientSessions.id })
      .from(patientSessions)
      .where(and(eq(patientSessions.patientId, patient.id), isNull(patientSessions.revokedAt)));
    await endSessionIn(session!.id, 90_000);
    await page.goto(`${app.url}/account`);

    const dialog = page.getByRole('alertdialog', { name: 'Do you want to stay signed in?' });
    await dialog.waitFor();
    await expect(
      dialog.getByText(/we will sign you out in 1 minute( \d+ seconds?)?\./).isVisible(),
    ).resolves.toBe(true);
    // Focus moved into the dialog, on the answer that loses nothing.
    expect(await focusedText(page)).toBe('Stay signed in');
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'patient-session-warning');
    // The keyboard stays in the dialog: Tab reaches the other answer, Shift+Tab comes back.
    await page.keyboard.press('Tab');
    expect(await focusedText(page)).toBe('Sign me out');
    await page.keyboard.press('Shift+Tab');
    expect(await focusedText(page)).toBe('Stay signed in');
    const endsAt = page.getByText(/For your safety, we will sign you out at /);
    const before = await endsAt.textContent();
    await page.keyboard.press('Enter');

    await dialog.waitFor({ state: 'hidden' });
    await page
      .getByRole('status')
      .filter({ hasText: /You are still signed in\. We will sign you out at / })
      .waitFor();
    const ttl = app.services.patientSessions.ttlMs;
    expect((await sessionEnd(session!.id)).getTime()).toBeGreaterThan(Date.now() + ttl - 60_000);
    expect(await extensions(patient.id)).toBe(1);
    // The page's own words about the end caught up with the new one.
    await expect.poll(() => endsAt.textContent()).not.toBe(before);

    // Escape is "Stay signed in" too: it never signs the patient out by surprise.
    await endSessionIn(session!.id, 90_000);
    await page.reload();
    await dialog.waitFor();
    expect(await focusedText(page)).toBe('Stay signed in');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => extensions(patient.id)).toBe(2);
    expect((await sessionEnd(session!.id)).getTime()).toBeGreaterThan(Date.now() + ttl - 60_000);
    expect(errors).toEqual([]);
    await close(context);
  });

  it('in Spanish, passes axe; left unanswered, the patient is signed out and told why', async () => {
    const patient = await bridgedPatient('migrating');
    const { context, session } = await signedInContext(patient.id, { locale: 'es-US' });
    await endSessionIn(session.id, 10_000);
    const page = await context.newPage();
    await page.goto(app.url);
    const dialog = page.getByRole('alertdialog', { name: '¿Quiere seguir con la sesión abierta?' });
    await dialog.waitFor();
    expect(await focusedText(page)).toBe('Seguir con la sesión abierta');
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'patient-session-warning-es');
    // Nobody answers: the session ends on the server, and the page says so in plain words.
    await page.waitForURL(`${app.url}/?timed_out=1`, { timeout: 30_000 });
    await page
      .getByRole('status')
      .filter({ hasText: 'Por su seguridad, cerramos su sesión. Vuelva a entrar para seguir.' })
      .waitFor();
    await expect(page.getByRole('link', { name: 'Iniciar sesión' }).first().isVisible()).resolves.toBe(true);
    expect(await accessibilityViolations(page)).toEqual([]);
    await close(context);
  });

  it('without JavaScript, the account page says when the session ends and keeps it on request', async () => {
    const patient = await bridgedPatient('pending');
    const { context, session } = await signedInContext(patient.id, {
      locale: 'en-US',
      javaScriptEnabled: false,
    });
    await endSessionIn(session.id, 90_000);
    const page = await context.newPage();
    await page.goto(`${app.url}/account`);
    await page
      .getByText(/For your safety, we will sign you out at \w+day, \d{1,2}:\d\d [AP]M C[SD]T\./)
      .waitFor();
    await page.getByRole('button', { name: 'Stay signed in' }).click();
    await page.getByText(/Done\. You will stay signed in until \w+day, /).waitFor();
    expect(new URL(page.url()).pathname).toBe('/account');
    const ttl = app.services.patientSessions.ttlMs;
    expect((await sessionEnd(session.id)).getTime()).toBeGreaterThan(Date.now() + ttl - 60_000);

    // The choices form works without JavaScript too, and the next page speaks the chosen language.
    await page.getByRole('checkbox', { name: 'Email me updates about the move.' }).check();
    await page.getByRole('radio', { name: 'Español' }).check();
    await page.getByRole('button', { name: 'Save my choices' }).click();
    await page.getByRole('status').filter({ hasText: 'Sus opciones están guardadas.' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('es');
    const [saved] = await app.database.db
      .select({ emailOptIn: patients.emailOptIn, smsOptIn: patients.smsOptIn, locale: patients.locale })
      .from(patients)
      .where(eq(patients.id, patient.id));
    expect(saved).toEqual({ emailOptIn: true, smsOptIn: false, locale: 'es' });
    await close(context);
  });
});
