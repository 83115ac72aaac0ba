// Sign-in without a password in a real browser: the stand-in new platform sends a patient to Causeway,
// the patient asks for a link by email (over SMTP) or a code by text (through the Twilio SDK), and lands
// back on the new platform with the right claims. Also: a mail scanner opening the link first, the link
// opened on another device, and axe on every page of the flow in English and Spanish.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patients, signInTokens } from '../../db/schema/index.ts';
import { closeOffThreadPool } from '../../identity/credentials/offthread.ts';
import { ensureStandinClient, startStandin } from '../../standin/relying-party.ts';
import { freePort, startTestApp, type TestApp } from '../support/app.ts';
import { accessibilityViolations, hydrated, launchChromium, screenshot } from '../support/browser.ts';
import { importSampleExport } from '../support/fixtures.ts';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.ts';
import { startTwilioServer, type TestTwilioServer } from '../support/twilio.ts';

let app: TestApp;
let browser: Browser;
let smtp: TestSmtpServer;
let twilioServer: TestTwilioServer;
let standin: Awaited<ReturnType<typeof startStandin>>;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'causeway-standin-'));

beforeAll(async () => {
  smtp = await startSmtpServer();
  twilioServer = await startTwilioServer();
  app = await startTestApp(
    {
      SMTP_URL: smtp.url,
      TWILIO_ACCOUNT_SID: twilioServer.accountSid,
      TWILIO_AUTH_TOKEN: twilioServer.authToken,
      TWILIO_FROM_NUMBER: '+12025550100',
      TWILIO_API_BASE_URL: twilioServer.baseUrl,
      // Every request here comes from 127.0.0.1: the per-address limits would stop the suite, not a patient.
      SIGN_IN_LINK_REQUESTS_PER_ADDRESS: '100000',
      SIGN_IN_ATTEMPTS_PER_ADDRESS: '100000',
    },
    { realClock: true },
  );
  await importSampleExport({ db: app.database.db, cipher: app.services.cipher });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const client = await ensureStandinClient({
    db: app.database.db,
    cipher: app.services.cipher,
    dataDir,
    url,
  });
  await app.services.oidc.refresh();
  standin = await startStandin({
    issuer: app.services.oidc.issuer,
    client,
    port,
    host: '127.0.0.1',
    publicUrl: url,
  });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await standin?.close();
  await app?.close();
  await smtp?.close();
  await twilioServer?.close();
  await closeOffThreadPool();
  rmSync(dataDir, { recursive: true, force: true });
});

const CODE = /\b([A-HJ-NP-Z2-9]{3}-[A-HJ-NP-Z2-9]{3})\b/;

/** A fixture patient from the sample export (never signed in: the welcome step comes first). */
async function fixturePatient(legacyId: string) {
  const [row] = await app.database.db.select().from(patients).where(eq(patients.legacyId, legacyId));
  if (!row) throw new Error(`no fixture patient ${legacyId}`);
  return row;
}

/** The link in the next email to this address, as a mail client shows it. */
async function emailedLink(address: string) {
  const mail = await smtp.waitForMessage((m) => m.envelope.to.includes(address), 10_000);
  smtp.messages.splice(smtp.messages.indexOf(mail), 1);
  const text = mail.parsed.text ?? '';
  const link = /(https?:\/\/\S+\/login\/link\/[\w-]{43})/.exec(text)?.[1];
  if (!link) throw new Error(`no sign-in link in the email: ${text}`);
  return { link, mail };
}

/** Errors the page logs (a script blocked by the CSP, a failed hydration …). */
function consoleErrors(page: Page) {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return errors;
}

/** Every URL the page's main frame was sent to, redirects included. */
function navigations(page: Page) {
  const urls: string[] = [];
  page.on('request', (request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) urls.push(request.url());
  });
  return urls;
}

/** The claims the stand-in shows in one of its tables, as text. */
async function claimsShown(page: Page, title: 'ID token claims' | 'UserInfo claims') {
  const table = page.locator(`h2:text-is("${title}") + table`);
  const keys = await table.locator('th').allTextContents();
  const values = await table.locator('td').allTextContents();
  return Object.fromEntries(keys.map((key, i) => [key, values[i]]));
}

/** From the stand-in's home page to Causeway's sign-in step, as a patient clicks it. */
async function startAtStandin(context: BrowserContext) {
  const page = await context.newPage();
  const errors = consoleErrors(page);
  await page.goto(standin.url);
  await page.getByRole('link', { name: 'Sign in with Causeway' }).click();
  await page.getByRole('heading', { level: 1, name: /^Sign in/ }).waitFor();
  await hydrated(page);
  expect(new URL(page.url()).pathname).toMatch(/^\/interaction\/[\w-]+$/);
  return { page, errors };
}

async function expectSignedInAtStandin(page: Page) {
  await page.getByRole('heading', { level: 1, name: /^Signed in/ }).waitFor();
  expect(page.url()).toBe(`${standin.url}/`);
}

describe('a sign-in link by email, in Chromium', () => {
  it('survives a mail scanner, then signs the patient in and hands them to the new platform with amr magic_link', async () => {
    const patient = await fixturePatient('L00003');
    expect(patient.email).toBe('ana.silva@example.org');
    const context = await browser.newContext({ locale: 'en-US' });
    const { page, errors } = await startAtStandin(context);

    await page.getByLabel('Email or phone number').fill('ana.silva@example.org');
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
    await hydrated(page);
    expect(await page.locator('p.lead').textContent()).toContain('ana.silva@example.org');

    const { link, mail } = await emailedLink('ana.silva@example.org');
    expect(mail.parsed.subject).toMatch(/sign-in link/i);
    expect(new URL(link).origin).toBe(app.url);

    // A mail scanner opens the link first, with no cookies: it gets the confirm page, nothing more.
    const scanned = await fetch(link, { redirect: 'manual' });
    expect(scanned.status).toBe(200);
    expect(scanned.headers.get('set-cookie') ?? '').not.toContain('cw_patient');
    const scannedPage = await scanned.text();
    expect(scannedPage).toContain('Finish signing in');
    expect(scannedPage).toContain('Sign me in');
    const [token] = await app.database.db
      .select()
      .from(signInTokens)
      .where(eq(signInTokens.patientId, patient.id));
    expect(token!.consumedAt).toBeNull();

    // The patient opens the email's link in the same browser: the link still works.
    await page.goto(link);
    await page.getByRole('heading', { level: 1, name: 'Finish signing in' }).waitFor();
    await hydrated(page);
    await page.getByRole('button', { name: 'Sign me in' }).click();

    // Ana's first sign-in: the welcome step, then back to the new platform.
    await page.getByRole('heading', { level: 1, name: 'Welcome! A few quick checks' }).waitFor();
    await hydrated(page);
    await page.getByRole('button', { name: 'Skip for now' }).click();

    await expectSignedInAtStandin(page);
    const idToken = await claimsShown(page, 'ID token claims');
    expect(idToken.sub).toBe(patient.id);
    expect(idToken.amr).toBe('["magic_link"]');
    const userinfo = await claimsShown(page, 'UserInfo claims');
    expect(userinfo.sub).toBe(patient.id);
    expect(userinfo.email).toBe('ana.silva@example.org');
    expect(userinfo.email_verified).toBe('true');
    expect(userinfo.legacy_id).toBe('L00003');
    await screenshot(page, 'standin-claims-magic-link');

    const [used] = await app.database.db
      .select()
      .from(signInTokens)
      .where(eq(signInTokens.patientId, patient.id));
    expect(used!.consumedAt).toBeInstanceOf(Date);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('opened on another device, signs the patient in there and continues through the stand-in’s initiate_login_uri', async () => {
    // A patient who finished the welcome step before, so nothing stands between the link and the launch.
    const email = `rosa.${randomBytes(3).toString('hex')}@example.org`;
    const [patient] = await app.database.db
      .insert(patients)
      .values({
        legacyId: `E2E-${randomBytes(3).toString('hex')}`,
        newPlatformId: 'np-e2e-rosa',
        email,
        emailNormalized: email,
        givenName: 'Rosa',
        familyName: 'Díaz',
        state: 'bridged',
        bridgedAt: new Date(Date.now() - 86_400_000),
      })
      .returning();

    // On the laptop: the stand-in sends Rosa to Causeway, and she asks for a link.
    const laptop = await browser.newContext({ locale: 'en-US' });
    const started = await startAtStandin(laptop);
    await started.page.getByLabel('Email or phone number').fill(email);
    await started.page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await started.page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
    const { link } = await emailedLink(email);

    // On the phone (no interaction cookie, no stand-in state): she opens the link and confirms.
    const phone = await browser.newContext({ locale: 'en-US' });
    const page = await phone.newPage();
    const errors = consoleErrors(page);
    const visited = navigations(page);
    await page.goto(link);
    await page.getByRole('heading', { level: 1, name: 'Finish signing in' }).waitFor();
    await hydrated(page);
    await page.getByRole('button', { name: 'Sign me in' }).click();

    await expectSignedInAtStandin(page);
    // The way there: our interaction URL (not held by this browser) → the stand-in's /launch?iss=… →
    // a new authorization request, answered at once from the portal session → the stand-in's callback.
    const launches = visited.filter((url) => url.startsWith(`${standin.url}/launch`));
    expect(launches).toHaveLength(1);
    expect(new URL(launches[0]!).searchParams.get('iss')).toBe(app.services.oidc.issuer);
    const afterLaunch = visited.slice(visited.indexOf(launches[0]!) + 1);
    expect(afterLaunch.some((url) => url.startsWith(`${app.services.oidc.issuer}/auth?`))).toBe(true);
    expect(afterLaunch.some((url) => url.startsWith(`${standin.url}/callback?`))).toBe(true);
    expect(visited.some((url) => url.startsWith(`${app.url}/interaction/`))).toBe(true);

    const idToken = await claimsShown(page, 'ID token claims');
    expect(idToken.sub).toBe(patient!.id);
    expect(idToken.amr).toBe('["magic_link"]');
    expect((await claimsShown(page, 'UserInfo claims')).email).toBe(email);
    await screenshot(page, 'standin-claims-other-device');
    expect(errors).toEqual([]);

    // The laptop is not signed in at the stand-in: only the device that opened the link is.
    const laptopHome = await laptop.newPage();
    await laptopHome.goto(standin.url);
    await laptopHome.getByRole('heading', { level: 1, name: 'Welcome to the new platform' }).waitFor();
    expect(started.errors).toEqual([]);
    await phone.close();
    await laptop.close();
  });
});

describe('a sign-in code by text message, in Chromium', () => {
  it('texts a code through Twilio; typing it signs the patient in with amr otp', async () => {
    const patient = await fixturePatient('L00001');
    expect(patient.phone).toBe('+14155550101');
    const context = await browser.newContext({ locale: 'en-US' });
    const { page, errors } = await startAtStandin(context);

    await page.getByLabel('Email or phone number').fill('(415) 555-0101');
    await page.getByRole('button', { name: 'Text me a code' }).click();
    await page.getByRole('heading', { level: 1, name: 'Check your text messages' }).waitFor();
    await hydrated(page);

    const sms = await twilioServer.waitForMessage((m) => m.to === '+14155550101', 10_000);
    expect(sms.from).toBe('+12025550100');
    const code = CODE.exec(sms.body)?.[1];
    if (!code) throw new Error(`no code in the text message: ${sms.body}`);

    await page.getByLabel('Code from the message').fill(code);
    await page.getByRole('button', { name: 'Sign in with this code' }).click();

    // María's first sign-in: the welcome step, then back to the new platform.
    await page.getByRole('heading', { level: 1, name: 'Welcome! A few quick checks' }).waitFor();
    await hydrated(page);
    await page.getByRole('button', { name: 'Skip for now' }).click();

    await expectSignedInAtStandin(page);
    const idToken = await claimsShown(page, 'ID token claims');
    expect(idToken.sub).toBe(patient.id);
    expect(idToken.amr).toBe('["otp"]');
    const userinfo = await claimsShown(page, 'UserInfo claims');
    expect(userinfo.phone_number).toBe('+14155550101');
    expect(userinfo.phone_number_verified).toBe('true');
    expect(userinfo.legacy_id).toBe('L00001');
    await screenshot(page, 'standin-claims-otp');
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe('links inside a sign-in started by the new platform', () => {
  it('keep the sign-in going: the language switch and "Sign in with a password instead"', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    const { page, errors } = await startAtStandin(context);
    const interaction = new URL(page.url()).pathname;

    await page.getByRole('link', { name: 'Español' }).click();
    await page.getByRole('heading', { level: 1, name: /^Iniciar sesión/ }).waitFor();
    expect(new URL(page.url()).pathname).toBe(interaction);
    await page.getByRole('link', { name: 'English' }).click();
    await page.getByRole('heading', { level: 1, name: /^Sign in/ }).waitFor();

    await page.getByLabel('Email or phone number').fill('nobody-on-file@example.org');
    await page.getByRole('button', { name: 'Email me a sign-in link' }).click();
    await page.getByRole('heading', { level: 1, name: 'Check your email' }).waitFor();
    await hydrated(page);
    await page.getByRole('link', { name: 'Sign in with a password instead' }).click();
    await page.getByRole('heading', { level: 1, name: /^Sign in/ }).waitFor();
    expect(new URL(page.url()).pathname).toBe(interaction);
    await page.getByLabel('Password', { exact: true }).waitFor();
    expect(errors).toEqual([]);
    await context.close();
  });
});

const words = {
  en: {
    signIn: /^Sign in/,
    identifier: 'Email or phone number',
    emailLink: 'Email me a sign-in link',
    smsCode: 'Text me a code',
    checkEmail: 'Check your email',
    checkTexts: 'Check your text messages',
    codeLabel: 'Code from the message',
    codeSubmit: 'Sign in with this code',
    codeInvalid: 'That code did not work. Check it and try again, or ask for a new one.',
    confirmTitle: 'Finish signing in',
    confirm: 'Sign me in',
    welcome: 'Welcome! A few quick checks',
    usedTitle: 'This sign-in link was already used',
    sendNew: 'Send me a new link',
  },
  es: {
    signIn: /^Iniciar sesión/,
    identifier: 'Correo o número de teléfono',
    emailLink: 'Envíenme un enlace por correo',
    smsCode: 'Envíenme un código por texto',
    checkEmail: 'Revise su correo',
    checkTexts: 'Revise sus mensajes de texto',
    codeLabel: 'Código del mensaje',
    codeSubmit: 'Entrar con este código',
    codeInvalid: 'Ese código no funcionó. Revíselo e inténtelo de nuevo, o pida uno nuevo.',
    confirmTitle: 'Termine de iniciar sesión',
    confirm: 'Entrar',
    welcome: '¡Bienvenido! Unas preguntas rápidas',
    usedTitle: 'Este enlace para entrar ya se usó',
    sendNew: 'Envíenme un enlace nuevo',
  },
} as const;

describe('the passwordless pages read well and pass axe', () => {
  it.each([
    ['en', 'L00005', 'fatima.haddad@example.org'],
    ['es', 'L00007', 'tom.becker@example.org'],
  ] as const)('in %s', async (locale, legacyId, email) => {
    const w = words[locale];
    expect((await fixturePatient(legacyId)).email).toBe(email);
    const context = await browser.newContext({ locale: locale === 'es' ? 'es-US' : 'en-US' });
    const page = await context.newPage();
    const errors = consoleErrors(page);
    const check = async (name: string) => {
      expect(await page.locator('html').getAttribute('lang')).toBe(locale);
      expect(await accessibilityViolations(page)).toEqual([]);
      await screenshot(page, `passwordless-${name}-${locale}`);
    };

    // The sign-in step, with its two new buttons.
    await page.goto(`${standin.url}/login`);
    await page.getByRole('heading', { level: 1, name: w.signIn }).waitFor();
    await expect(page.getByRole('button', { name: w.emailLink }).isVisible()).resolves.toBe(true);
    await expect(page.getByRole('button', { name: w.smsCode }).isVisible()).resolves.toBe(true);
    await check('sign-in');

    // The code form after "Text me a code" (a number not on file gets the same page), and a wrong code.
    await page.getByLabel(w.identifier).fill('(202) 555-0147');
    await page.getByRole('button', { name: w.smsCode }).click();
    await page.getByRole('heading', { level: 1, name: w.checkTexts }).waitFor();
    await check('code-form');
    await page.getByLabel(w.codeLabel).fill('AAA-AAA');
    await page.getByRole('button', { name: w.codeSubmit }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toBe(w.codeInvalid);
    await expect(page.getByLabel(w.codeLabel).getAttribute('aria-invalid')).resolves.toBe('true');
    await check('code-form-error');

    // A new sign-in from the stand-in, and "Email me a sign-in link". (Not through the code form's "Sign
    // in with a password instead": that client-side navigation fetches `/interaction/<uid>.data`, which
    // the path-scoped interaction cookie does not reach, so it shows "This sign-in page has expired".)
    await page.goto(`${standin.url}/login`);
    await page.getByRole('heading', { level: 1, name: w.signIn }).waitFor();
    await page.getByLabel(w.identifier).fill(email);
    await page.getByRole('button', { name: w.emailLink }).click();
    await page.getByRole('heading', { level: 1, name: w.checkEmail }).waitFor();
    await check('check-email');

    // The link's confirm page.
    const { link } = await emailedLink(email);
    await page.goto(link);
    await page.getByRole('heading', { level: 1, name: w.confirmTitle }).waitFor();
    await check('link-confirm');
    await page.getByRole('button', { name: w.confirm, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: w.welcome }).waitFor();

    // The same link again, after use.
    await page.goto(link);
    await page.getByRole('heading', { level: 1, name: w.usedTitle }).waitFor();
    await expect(page.getByRole('button', { name: w.sendNew }).isVisible()).resolves.toBe(true);
    await check('link-used');

    // The one error the browser logs is the wrong code's answer (401), which it reports for any 4xx page.
    expect(errors).toEqual([
      'Failed to load resource: the server responded with a status of 401 (Unauthorized)',
    ]);
    await context.close();
  });
});
