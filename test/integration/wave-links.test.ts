// The link inside a wave message, through the real server: following it changes nothing (mail scanners
// follow links too) and lands on sign-in in the patient's language; the page's own POST records the visit
// once; a forged token is only a way to the sign-in page.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { waveDeliveries } from '../../db/schema/index.ts';
import { closeOffThreadPool } from '../../identity/credentials/offthread.ts';
import { createDeliveryTokens } from '../../messaging/delivery-tokens.ts';
import { startTestApp, TestBrowser, testSecrets, type TestApp } from '../support/app.ts';
import { insertDelivery } from '../support/waves.ts';

let app: TestApp;
const tokens = createDeliveryTokens(testSecrets.SESSION_SECRET);

beforeAll(async () => {
  app = await startTestApp({}, { realClock: true });
});
afterAll(async () => {
  await app?.close();
  await closeOffThreadPool();
});
beforeEach(async () => {
  await app.database.reset();
});

async function delivery(locale: 'en' | 'es') {
  return (await insertDelivery(app.database.db, { locale })).delivery;
}

async function openedAt(id: number) {
  const [row] = await app.database.db
    .select({ openedAt: waveDeliveries.openedAt })
    .from(waveDeliveries)
    .where(eq(waveDeliveries.id, id));
  return row!.openedAt;
}

describe('a wave message link', () => {
  it('lands on sign-in in the patient’s language and records nothing until the page reports the visit', async () => {
    const row = await delivery('es');
    const browser = new TestBrowser(app.url);
    const followed = await browser.get(`/cw/${tokens.issue('open', row.id)}`);
    expect(followed.status).toBe(303);
    expect(followed.headers.get('location')).toBe('/login?lng=es');
    expect(followed.headers.get('cache-control')).toBe('no-store');
    expect(browser.hasCookie('cw_opened')).toBe(true);
    expect(await openedAt(row.id)).toBeNull();

    const page = await browser.get('/login?lng=es');
    expect(page.status).toBe(200);
    // The page is told to report the visit (its loader data, as the streamed page carries it).
    expect(await page.text()).toMatch(/reportOpen\W{1,8}true/);

    const reported = await browser.submit('/cw/opened', {});
    expect(reported.status).toBe(204);
    const first = await openedAt(row.id);
    expect(first).toBeInstanceOf(Date);
    expect(browser.hasCookie('cw_opened')).toBe(false);

    // Following the link again later keeps the first visit's time.
    await browser.get(`/cw/${tokens.issue('open', row.id)}`);
    await browser.submit('/cw/opened', {});
    expect(await openedAt(row.id)).toEqual(first);
  });

  it('refuses a report without the page’s form token', async () => {
    const row = await delivery('en');
    const browser = new TestBrowser(app.url);
    await browser.get(`/cw/${tokens.issue('open', row.id)}`);
    const forged = await browser.submit('/cw/opened', {}, { csrf: null });
    expect(forged.status).toBe(403);
    expect(await openedAt(row.id)).toBeNull();
  });

  it('treats a forged or foreign token as a plain way to sign in', async () => {
    const row = await delivery('en');
    const browser = new TestBrowser(app.url);
    for (const token of [
      `${row.id.toString(36)}.AAAAAAAAAAAAAAAAAAAAAA`,
      tokens.issue('unsubscribe', row.id),
      'nonsense',
    ]) {
      const response = await browser.get(`/cw/${token}`);
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe('/login');
      expect(browser.hasCookie('cw_opened')).toBe(false);
    }
    expect(await openedAt(row.id)).toBeNull();
  });
});
