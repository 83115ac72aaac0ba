// A wave message's two links in Chromium, as a patient follows them: the sign-in link lands on the
// sign-in page in the patient's language and the page itself reports the visit; the unsubscribe page
// passes axe (WCAG 2.1 AA) in English and Spanish and stops transition emails with one button.
import { and, eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { suppressions, waveDeliveries } from '../../db/schema/index.ts';
import { closeOffThreadPool } from '../../identity/credentials/offthread.ts';
import { createDeliveryTokens } from '../../messaging/delivery-tokens.ts';
import { startTestApp, testSecrets, type TestApp } from '../support/app.ts';
import { insertDelivery } from '../support/waves.ts';
import { accessibilityViolations, hydrated, launchChromium, screenshot } from '../support/browser.ts';

let app: TestApp;
let browser: Browser;
const tokens = createDeliveryTokens(testSecrets.SESSION_SECRET);

beforeAll(async () => {
  app = await startTestApp({}, { realClock: true });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await app?.close();
  await closeOffThreadPool();
});

function delivery(locale: 'en' | 'es') {
  return insertDelivery(app.database.db, { locale });
}

function consoleErrors(page: Page) {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  return errors;
}

async function openedAt(id: number) {
  const [row] = await app.database.db
    .select({ openedAt: waveDeliveries.openedAt })
    .from(waveDeliveries)
    .where(eq(waveDeliveries.id, id));
  return row!.openedAt;
}

describe('wave message links in a browser', () => {
  it('the sign-in link opens the Spanish sign-in page, which reports the visit once', async () => {
    const { delivery: row } = await delivery('es');
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const errors = consoleErrors(page);
    await page.goto(`${app.url}/cw/${tokens.issue('open', row.id)}`);
    await hydrated(page);
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(await page.getAttribute('html', 'lang')).toBe('es');
    for (let i = 0; i < 100 && !(await openedAt(row.id)); i++) await page.waitForTimeout(50);
    expect(await openedAt(row.id)).toBeInstanceOf(Date);
    // The report cleared its cookie: another page load reports nothing more.
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'cw_opened')).toBeUndefined();
    expect(errors).toEqual([]);
    await context.close();
  });

  for (const locale of ['en', 'es'] as const) {
    it(`the unsubscribe page (${locale}) passes axe and stops transition emails with one button`, async () => {
      const { delivery: row, patient } = await delivery(locale);
      const context = await browser.newContext({ locale: locale === 'es' ? 'es-US' : 'en-US' });
      const page = await context.newPage();
      const errors = consoleErrors(page);
      await page.goto(`${app.url}/unsubscribe/${tokens.issue('unsubscribe', row.id)}`);
      await hydrated(page);
      expect(await page.getAttribute('html', 'lang')).toBe(locale);
      expect(await accessibilityViolations(page)).toEqual([]);
      await screenshot(page, `unsubscribe-${locale}`);
      // Nothing has changed by looking.
      const before = await app.database.db
        .select()
        .from(suppressions)
        .where(and(eq(suppressions.channel, 'email'), eq(suppressions.address, patient.emailNormalized!)));
      expect(before).toHaveLength(0);

      await page.locator('main button[type="submit"]').click();
      await page.waitForLoadState('load');
      expect(await accessibilityViolations(page)).toEqual([]);
      const after = await app.database.db
        .select()
        .from(suppressions)
        .where(and(eq(suppressions.channel, 'email'), eq(suppressions.address, patient.emailNormalized!)));
      expect(after).toMatchObject([{ reason: 'unsubscribe', scope: 'transition', deliveryId: row.id }]);
      expect(errors).toEqual([]);
      await context.close();
    });
  }
});
