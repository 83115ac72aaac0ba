// The preserved patient URL in Chromium: an old deep link opened while signed out asks the patient to
// sign in, then opens the right record on the platform their cohort is on; a rollback sends the same
// link back to the legacy platform on the next click; a loop and an unknown path explain themselves.
// The new platform is answered by the browser's own request routing (no network beyond loopback);
// after the rollback the legacy platform's answer is read as the redirect itself.
import { eq } from 'drizzle-orm';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cohorts, idCrosswalk, patients } from '../../db/schema/index.ts';
import { moveCohort } from '../../identity/cohorts.ts';
import { closeOffThreadPool } from '../../identity/credentials/offthread.ts';
import { addRule } from '../../identity/url-rules/admin.ts';
import { startTestApp, type TestApp } from '../support/app.ts';
import { accessibilityViolations, launchChromium, screenshot } from '../support/browser.ts';
import { legacyPatient } from '../support/oidc.ts';

const NEW = 'https://app.new.example';
const LEGACY = 'https://portal.legacy.example';
const PASSWORD = 'Harbor-Routing-E2E-1';
let app: TestApp;
let browser: Browser;

beforeAll(async () => {
  app = await startTestApp(
    { NEW_PLATFORM_URL: NEW, LEGACY_PLATFORM_URL: LEGACY, SIGN_IN_ATTEMPTS_PER_ADDRESS: '100000' },
    { realClock: true },
  );
  const actor = { type: 'cli' as const };
  for (const rule of [
    { source: '/appointments/:id', target: '{new}/visits/{crosswalk:appointment:id}', when: 'after_cutover' },
    { source: '/appointments/:id', target: '{legacy}/appointments/{id}', when: 'before_cutover' },
    { source: '/billing', target: '{new}/billing' },
  ])
    expect((await addRule(app.database.db, rule, actor)).ok).toBe(true);
  await app.database.db.insert(idCrosswalk).values({ kind: 'appointment', legacyId: 'A-500', newId: 'v-42' });
  await app.services.urlRouter.reload();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await closeOffThreadPool();
});

/** A browser whose requests to the platforms are answered with a page naming where it landed. */
async function patientBrowser(locale: 'en-US' | 'es-US' = 'en-US') {
  const context = await browser.newContext({ locale });
  for (const origin of [NEW, LEGACY])
    await context.route(
      (url) => url.origin === origin,
      (route) =>
        route.fulfill({
          status: 200,
          contentType: 'text/html',
          body: `<!doctype html><html lang="en"><title>${origin}</title><h1>${origin === NEW ? 'New platform' : 'Legacy platform'}</h1></html>`,
        }),
    );
  return context;
}

describe('an old deep link', () => {
  it('asks a signed-out patient to sign in, then opens the record where their cohort is', async () => {
    const [cohort] = await app.database.db
      .insert(cohorts)
      .values({ name: 'Wave E2E', phase: 'cut_over' })
      .returning();
    const patient = await legacyPatient(app, {
      legacyId: 'RT-1',
      email: 'route.e2e@example.org',
      password: PASSWORD,
    });
    await app.database.db
      .update(patients)
      .set({ cohortId: cohort!.id, state: 'bridged', bridgedAt: new Date() })
      .where(eq(patients.id, patient.id));

    const context = await patientBrowser();
    const page = await context.newPage();
    await page.goto(`${app.url}/appointments/A-500?from=reminder`);
    await page.getByRole('heading', { level: 1, name: 'Sign in to see this page' }).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, 'routing-sign-in-first-en');
    await page.getByRole('link', { name: 'Sign in to find your page' }).click();
    await page.getByLabel('Email or phone number').fill(patient.email!);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'New platform' }).waitFor();
    expect(page.url()).toBe(`${NEW}/visits/v-42?from=reminder&cw_hop=1`);

    // Operations roll the cohort back: the same link goes to the legacy platform on the next click.
    expect(
      (await moveCohort(app.database.db, { cohortId: cohort!.id, to: 'rolled_back', actor: { type: 'cli' } }))
        .ok,
    ).toBe(true);
    // (Asked with the browser's own cookies, without following: the answer is the redirect itself.)
    const after = await context.request.get(`${app.url}/appointments/A-500?from=reminder`, {
      maxRedirects: 0,
    });
    expect(after.status()).toBe(302);
    expect(after.headers()['location']).toBe(`${LEGACY}/appointments/A-500?from=reminder&cw_hop=1`);
    expect(after.headers()['cache-control']).toBe('no-store');
    await context.close();
  });
});

describe('pages the routing shows', () => {
  it.each([
    ['en-US', 'Sign in to see this page', 'We could not open this page'],
    ['es-US', null, null],
  ] as const)('read well and pass axe (%s)', async (locale, signInTitle, loopTitle) => {
    const context = await patientBrowser(locale);
    const page = await context.newPage();
    await page.goto(`${app.url}/appointments/A-500`);
    if (signInTitle) await page.getByRole('heading', { level: 1, name: signInTitle }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe(locale.slice(0, 2));
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, `routing-sign-in-first-${locale}`);

    const loop = await page.goto(`${app.url}/billing?cw_hop=2`);
    expect(loop?.status()).toBe(508);
    if (loopTitle) await page.getByRole('heading', { level: 1, name: loopTitle }).waitFor();
    expect(await accessibilityViolations(page)).toEqual([]);
    await screenshot(page, `routing-loop-${locale}`);

    const unknown = await page.goto(`${app.url}/old/portal/page-that-never-was`);
    expect(unknown?.status()).toBe(404);
    expect(await accessibilityViolations(page)).toEqual([]);
    await context.close();
  });
});
