// The whole path in a real browser: the stand-in new platform sends a fixture patient to Causeway, the
// patient signs in with the legacy password, and lands back on the new platform with the right claims.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patients } from '../../db/schema/index.ts';
import { ensureStandinClient, startStandin } from '../../standin/relying-party.ts';
import { freePort, startTestApp, type TestApp } from '../support/app.ts';
import { accessibilityViolations, launchChromium, screenshot } from '../support/browser.ts';
import { importSampleExport } from '../support/fixtures.ts';

let app: TestApp;
let browser: Browser;
let standin: Awaited<ReturnType<typeof startStandin>>;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'causeway-standin-'));

beforeAll(async () => {
  app = await startTestApp({}, { realClock: true });
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
  rmSync(dataDir, { recursive: true, force: true });
});

describe('sign-in through the stand-in new platform', () => {
  it('signs a fixture patient in with the legacy password and shows the claims received', async () => {
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(standin.url);
    await page.getByRole('link', { name: 'Sign in with Causeway' }).click();

    await page.getByRole('heading', { name: /Sign in/ }).waitFor();
    expect(page.url()).toContain('/interaction/');
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'patient-sign-in');
    await page.getByLabel('Email or phone number').fill('james.okafor@example.org');
    await page.getByLabel('Password', { exact: true }).fill('Sunrise-Clinic-2019');
    await page.getByRole('button', { name: 'Sign in' }).click();

    await page.getByRole('heading', { name: 'Welcome! A few quick checks' }).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'patient-welcome');
    await page.getByRole('button', { name: 'Skip for now' }).click();

    await page.getByRole('heading', { name: /Signed in/ }).waitFor();
    expect(page.url().startsWith(standin.url)).toBe(true);
    const [patient] = await app.database.db.select().from(patients).where(eq(patients.legacyId, 'L00002'));
    const text = (await page.locator('body').textContent()) ?? '';
    expect(text).toContain(patient!.id);
    expect(text).toContain('james.okafor@example.org');
    expect(text).toContain('legacy_pwd');
    expect(text).toContain('L00002');
    await screenshot(page, 'standin-claims');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('shows the sign-in page in Spanish, accessible, with a plain error for a wrong password', async () => {
    const context = await browser.newContext({ locale: 'es-US' });
    const page = await context.newPage();
    await page.goto(`${standin.url}/login`);
    await page.getByRole('heading', { name: /Iniciar sesión/ }).waitFor();
    await page.getByLabel('Correo o número de teléfono').fill('wei.chen@example.org');
    await page.getByLabel('Contraseña', { exact: true }).fill('not-the-password');
    await page.getByRole('button', { name: 'Iniciar sesión' }).click();
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('no coinciden con nuestros registros');
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'patient-sign-in-es-error');
    await context.close();
  });
});
