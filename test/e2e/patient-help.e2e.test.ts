// The help page in Chromium: a signed-in patient asks for help by the form's labels, an agent replies
// through the staff desk, and the patient reads the reply after a reload; the pages pass axe (WCAG 2.1
// AA) in English and Spanish. Someone not signed in writes back through the private link we sent.
import { randomBytes } from 'node:crypto';
import { desc, eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { outbox, patients, tickets } from '../../db/schema/index.ts';
import { closeOffThreadPool } from '../../identity/credentials/offthread.ts';
import { PATIENT_COOKIE } from '../../identity/patient-sessions.ts';
import { parseBusinessHours } from '../../messaging/support/business-hours.ts';
import { createDesk } from '../../messaging/support/desk.ts';
import { roles } from '../../app/utils/staff-roles.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { accessibilityViolations, hydrated, launchChromium, screenshot } from '../support/browser.ts';

let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  app = await startTestApp({}, { realClock: true });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await closeOffThreadPool();
});

/** The desk the staff console works through, wired as the server wires it. */
function staffDesk() {
  const { config } = app.services;
  const businessHours = parseBusinessHours(
    config.support.hours,
    config.support.timeZone,
    config.support.holidays,
  );
  if ('error' in businessHours) throw new Error(businessHours.error);
  return createDesk({
    db: app.database.db,
    cipher: app.services.cipher,
    support: app.services.support,
    signInLinks: app.services.signInLinks,
    signInGuard: app.services.signInGuard,
    businessHours,
    policy: {
      workTickets: roles.workTickets,
      readClinical: roles.readClinicalTickets,
      closeSafety: roles.closeSafetyTickets,
      liftSignInLock: ['admin', 'support'],
      fullContact: ['admin', 'support', 'clinical'],
    },
    defaultCapacity: 5,
  });
}

/** Errors the page logs (a script blocked by the CSP, a failed hydration …). */
function consoleErrors(page: Page) {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return errors;
}

async function bridgedPatient(locale: 'en' | 'es') {
  const id = randomBytes(4).toString('hex');
  const [row] = await app.database.db
    .insert(patients)
    .values({
      legacyId: `E2E-HELP-${id}`,
      email: `rosa.${id}@example.org`,
      emailNormalized: `rosa.${id}@example.org`,
      emailVerified: true,
      phone: '+12025550177',
      givenName: 'Rosa',
      familyName: 'Díaz',
      timeZone: 'America/Chicago',
      locale,
      state: 'bridged',
      bridgedAt: new Date(Date.now() - 86_400_000),
    })
    .returning();
  return row!;
}

const words = {
  en: {
    locale: 'en-US',
    note: 'If this is an emergency, call 911. If you are thinking about hurting yourself, call or text 988.',
    title: 'Get help',
    category: 'A refill',
    subtypeLabel: 'Tell us a little more (you can skip this)',
    subtype: 'Where is my refill?',
    message: 'How can we help?',
    send: 'Send my request',
    number: (n: number) => `Your request number is #${n}.`,
    yourRequests: 'Your requests',
    request: (n: number) => `Request #${n}`,
    answered: 'We answered — please read',
    us: 'Our team',
    text: 'My refill of metformin has not reached the pharmacy.',
    reply: 'Your pharmacy has the refill now. It will be ready after 3 PM today.',
  },
  es: {
    locale: 'es-US',
    note: 'Si es una emergencia, llame al 911. Si está pensando en hacerse daño, llame o envíe un mensaje de texto al 988.',
    title: 'Pedir ayuda',
    category: 'Un resurtido de medicina',
    subtypeLabel: 'Cuéntenos un poco más (puede saltar esto)',
    subtype: '¿Dónde está mi resurtido?',
    message: '¿Cómo le podemos ayudar?',
    send: 'Enviar mi solicitud',
    number: (n: number) => `El número de su solicitud es #${n}.`,
    yourRequests: 'Sus solicitudes',
    request: (n: number) => `Solicitud #${n}`,
    answered: 'Le respondimos — léalo, por favor',
    us: 'Nuestro equipo',
    text: 'Mi resurtido de metformina no ha llegado a la farmacia.',
    reply: 'Su farmacia ya tiene el resurtido. Estará listo después de las 3 PM.',
  },
} as const;

describe('a patient asks for help, an agent replies, the patient reads it', () => {
  it.each(['en', 'es'] as const)('signed in (%s)', async (lng) => {
    const w = words[lng];
    const patient = await bridgedPatient(lng);
    const context = await browser.newContext({ locale: w.locale });
    const { token } = await app.services.patientSessions.start(patient.id, 'pwd');
    await context.addCookies([{ name: PATIENT_COOKIE, value: token, url: app.url, httpOnly: true }]);
    const page = await context.newPage();
    const errors = consoleErrors(page);
    await page.goto(`${app.url}/help`);
    await page.getByRole('heading', { level: 1, name: w.title }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe(lng);
    await expect(page.getByRole('note').textContent()).resolves.toContain(w.note);
    await hydrated(page);
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, `patient-help-form-${lng}`);

    await page.getByRole('radio', { name: w.category }).check();
    await page.getByLabel(w.subtypeLabel).selectOption({ label: w.subtype });
    await page.getByLabel(w.message).fill(w.text);
    await page.getByRole('button', { name: w.send }).click();
    await page.getByRole('status').filter({ hasText: /#\d+/ }).waitFor();
    const [ticket] = await app.database.db
      .select()
      .from(tickets)
      .where(eq(tickets.patientId, patient.id))
      .orderBy(desc(tickets.createdAt));
    expect(ticket).toMatchObject({ category: 'refill', subtype: 'status', locale: lng, queueId: 'clinical' });
    await expect(page.getByRole('status').filter({ hasText: /#\d+/ }).textContent()).resolves.toBe(
      w.number(ticket!.number),
    );
    expect(await accessibilityViolations(page)).toEqual([]);

    // A clinical agent answers on the staff desk (refills are clinical).
    const added = await app.services.staff.addStaff(
      { email: `nurse.${randomBytes(3).toString('hex')}@harbor.example`, role: 'clinical' },
      { type: 'cli' },
    );
    if (!added.ok) throw new Error(added.reason);
    const replied = await staffDesk().reply({
      viewer: { id: added.staff.id, role: 'clinical' },
      ticketId: ticket!.id,
      text: w.reply,
      waitOnPatient: true,
    });
    expect(replied).toEqual({ ok: true, notice: 'email' });

    await page.reload();
    const request = page.getByRole('region', { name: w.request(ticket!.number) });
    await request.waitFor();
    await expect(page.getByRole('heading', { level: 2, name: w.yourRequests }).isVisible()).resolves.toBe(
      true,
    );
    await expect(request.getByText(w.answered).isVisible()).resolves.toBe(true);
    const messages = request.getByRole('listitem');
    await expect(messages.allTextContents()).resolves.toEqual([
      expect.stringContaining(w.text) as unknown as string,
      expect.stringContaining(w.reply) as unknown as string,
    ]);
    await expect(messages.nth(1).locator('strong').textContent()).resolves.toBe(w.us);
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, `patient-help-reply-${lng}`);
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe('someone who is not signed in', () => {
  it('writes back through the private link, and the pages pass axe', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const errors = consoleErrors(page);
    await page.goto(`${app.url}/help`);
    await hydrated(page);
    await page.getByRole('radio', { name: 'I can’t sign in' }).check();
    await page.getByLabel('How can we help?').fill('My sign-in code never comes.');
    await page.getByLabel('Email or mobile phone').fill('ana.e2e@example.org');
    await page.getByRole('button', { name: 'Send my request' }).click();
    await page.getByText('We sent a private link to your email. Open it to read our answer.').waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    const [notice] = await app.database.db
      .select({ bodyText: outbox.bodyText })
      .from(outbox)
      .where(eq(outbox.recipient, 'ana.e2e@example.org'));
    const link = /(http:\/\/\S+\/help\/r\/\S+)/.exec(notice!.bodyText)![1]!;

    const reader = await browser.newContext({ locale: 'en-US' });
    const readPage = await reader.newPage();
    const readErrors = consoleErrors(readPage);
    await readPage.goto(link);
    await readPage.getByRole('heading', { level: 1, name: /^Request #\d+$/ }).waitFor();
    await hydrated(readPage);
    expect(await accessibilityViolations(readPage)).toEqual([]);
    await readPage.getByLabel('Write back to us').fill('I checked my spam folder too.');
    await readPage.getByRole('button', { name: 'Send my reply' }).click();
    await readPage.getByRole('status').filter({ hasText: 'We received your reply.' }).waitFor();
    await expect(readPage.getByText('I checked my spam folder too.').isVisible()).resolves.toBe(true);
    expect(await accessibilityViolations(readPage)).toEqual([]);
    await screenshot(readPage, 'patient-help-read-link');
    expect(errors).toEqual([]);
    expect(readErrors).toEqual([]);
    await context.close();
    await reader.close();
  });
});
