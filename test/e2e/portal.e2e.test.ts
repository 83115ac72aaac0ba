// The portal in a real browser: what a patient and a staff member see and can do.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { currentTotp } from '../../identity/staff/totp.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { accessibilityViolations, launchChromium, screenshot } from '../support/browser.ts';
import { importSampleExport } from '../support/fixtures.ts';

let app: TestApp;
let browser: Browser;
beforeAll(async () => {
  // A short idle timeout makes the warning visible within a test; the real clock drives it.
  app = await startTestApp(
    { STAFF_IDLE_TIMEOUT_MINUTES: '1', STAFF_IDLE_WARNING_SECONDS: '50' },
    { realClock: true },
  );
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
});

describe('patient home page', () => {
  it.each([
    ['en', 'Your Harbor Health patient portal is moving', 'Español'],
    ['es', 'Su portal de pacientes de Harbor Health se está mudando', 'English'],
  ])('reads well and passes axe in %s', async (locale, heading, switchLabel) => {
    const context = await browser.newContext({ locale: locale === 'es' ? 'es-US' : 'en-US' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(app.url);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(heading);
    expect(await page.locator('html').getAttribute('lang')).toBe(locale);
    await expect(page.getByRole('link', { name: switchLabel }).isVisible()).resolves.toBe(true);
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, `home-${locale}`);
    // Hydration ran under the CSP without a single blocked script.
    expect(errors).toEqual([]);
    await context.close();
  });
});

describe('staff console', () => {
  it('takes a new admin through password, authenticator enrolment and a new password, then warns before an idle timeout', async () => {
    const added = await app.services.staff.addStaff(
      { email: 'dana@clinic.example', role: 'admin' },
      { type: 'cli' },
    );
    if (!added.ok) throw new Error(added.reason);
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(`${app.url}/staff/login`);
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.getByLabel('Work email').fill('dana@clinic.example');
    await page.getByLabel('Password').fill(added.temporaryPassword);
    await page.getByRole('button', { name: 'Continue' }).click();

    await page.getByRole('heading', { name: 'Set up your authenticator' }).waitFor();
    await expect(
      page.getByRole('img', { name: /QR code for your authenticator app/ }).isVisible(),
    ).resolves.toBe(true);
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'staff-enroll');
    const key = (await page.locator('code.secret').textContent())!.replace(/\s/g, '');
    await page.getByLabel('Then enter the 6-digit code the app shows').fill(currentTotp(key));
    await page.getByRole('button', { name: 'Confirm and continue' }).click();

    await page.getByRole('heading', { name: 'Choose your password' }).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await page.getByLabel('New password').fill('a long and private passphrase');
    await page.getByLabel('Type it again').fill('a long and private passphrase');
    await page.getByRole('button', { name: 'Save and continue' }).click();

    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/staff');
    expect(await accessibilityViolations(page)).toEqual([]);
    await page
      .getByRole('navigation', { name: 'Staff console' })
      .getByRole('link', { name: 'Audit log' })
      .click();
    await page.getByRole('button', { name: 'Verify the whole chain' }).click();
    await page.getByText(/The chain holds: all \d+ events verified\./).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'staff-audit');

    // The import pages read well too: a run of the sample export, row by row.
    await importSampleExport({ db: app.database.db, cipher: app.services.cipher });
    await page
      .getByRole('navigation', { name: 'Staff console' })
      .getByRole('link', { name: 'Imports' })
      .click();
    await page.getByRole('link', { name: /\d{4}-\d{2}-\d{2} \d{2}:\d{2}/ }).click();
    await page.getByRole('heading', { name: /Import of legacy-export-sample\.csv/ }).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'staff-import-run');

    // Idle timeout 1 minute, warning 50 seconds before: the dialog shows after about 10 seconds.
    const dialog = page.getByRole('alertdialog', { name: 'Are you still there?' });
    await dialog.waitFor({ timeout: 20_000 });
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'staff-idle-warning');
    await page.getByRole('button', { name: "I'm still here" }).click();
    await dialog.waitFor({ state: 'hidden', timeout: 10_000 });
    // The server agrees: the session is alive.
    await page.reload();
    await page.getByRole('heading', { name: /Import of legacy-export-sample\.csv/ }).waitFor();
    // No script or style was blocked by the CSP, and nothing else failed in the page.
    expect(errors).toEqual([]);
    await context.close();
  }, 90_000);

  it('works without JavaScript: sign in with a code, then sign out', async () => {
    const added = await app.services.staff.addStaff(
      { email: 'eli@clinic.example', role: 'support' },
      { type: 'cli' },
    );
    if (!added.ok) throw new Error(added.reason);
    const secret = 'KRSXG5CTMVRXEZLUKRSXG5CTMVRXEZLU';
    await app.services.staff.enrollTotpSecret(added.staff.id, secret);
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${app.url}/staff/login`);
    await page.getByLabel('Work email').fill('eli@clinic.example');
    await page.getByLabel('Password').fill(added.temporaryPassword);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByLabel('Verification code').fill(currentTotp(secret));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('New password').fill('another long passphrase');
    await page.getByLabel('Type it again').fill('another long passphrase');
    await page.getByRole('button', { name: 'Save and continue' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    // A support agent's navigation shows only what a support agent may open.
    expect(
      await page.getByRole('navigation', { name: 'Staff console' }).getByRole('link').allTextContents(),
    ).toEqual(['Skip to main content', 'Overview', 'Tickets', 'Cohorts', 'Imports', 'URL rules']);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByText('You are signed out.').waitFor();
    await page.goto(`${app.url}/staff`);
    expect(new URL(page.url()).pathname).toBe('/staff/login');
    await context.close();
  });
});
