// Abuse limits on patient sign-in, through the real pages: a pause per identifier (the same for
// unknown identifiers), staff lifting it, a limit per address, and 429 when the hashing queue is full.
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, patients } from '../../db/schema/index.ts';
import { closeOffThreadPool } from '../../identity/credentials/offthread.ts';
import { csrfFrom, startTestApp, TestBrowser, type TestApp } from '../support/app.ts';
import { legacyPatient } from '../support/oidc.ts';
import { signedInStaff } from '../support/staff.ts';

const PASSWORD = 'Legacy-Password-1';
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({
    SIGN_IN_FAILURES_PER_IDENTIFIER: '3',
    SIGN_IN_ATTEMPTS_PER_ADDRESS: '12',
    SIGN_IN_LOCK_MINUTES: '15',
    SIGN_IN_MAX_CONCURRENT: '1',
    TRUST_PROXY: 'loopback',
  });
});
afterAll(async () => {
  await app?.close();
  await closeOffThreadPool();
});

/** A sign-in attempt from a given client address (the server trusts the loopback proxy's header). */
async function attempt(
  browser: TestBrowser,
  identifier: string,
  password: string,
  address: string,
  csrf?: string,
) {
  csrf ??= csrfFrom(await (await browser.get('/login')).text());
  return browser.request('/login', {
    method: 'POST',
    body: new URLSearchParams({ identifier, password, csrf }),
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      origin: app.url,
      'x-forwarded-for': address,
    },
  });
}

describe('password sign-in limits', () => {
  it('pauses an identifier after repeated failures, says so plainly, and staff can lift it', async () => {
    const patient = await legacyPatient(app, {
      legacyId: 'A-1',
      email: 'ana@example.org',
      password: PASSWORD,
    });
    const browser = new TestBrowser(app.url);
    for (let i = 0; i < 3; i++)
      expect((await attempt(browser, 'ana@example.org', 'wrong', '203.0.113.1')).status).toBe(401);
    const paused = await attempt(browser, 'ana@example.org', PASSWORD, '203.0.113.1');
    expect(paused.status).toBe(429);
    expect(Number(paused.headers.get('retry-after'))).toBeGreaterThan(800);
    expect(await paused.text()).toContain('Too many tries');

    // An identifier nobody has gets exactly the same treatment: the pause reveals no account.
    for (let i = 0; i < 3; i++)
      expect((await attempt(browser, 'ghost@example.org', 'wrong', '203.0.113.1')).status).toBe(401);
    expect((await attempt(browser, 'ghost@example.org', 'wrong', '203.0.113.1')).status).toBe(429);

    const [locked] = await app.database.db.select().from(patients).where(eq(patients.id, patient.id));
    expect(locked!.signInLockedUntil!.getTime()).toBeGreaterThan(Date.now());

    // Marketing may not lift it; support may, and the page shows the pause first.
    const marketing = await signedInStaff(app, 'mark@example.org', 'marketing');
    const refused = await marketing.browser.submit(`/staff/patients/${patient.id}`, { intent: 'lift-lock' });
    expect(refused.status).toBe(403);
    const support = await signedInStaff(app, 'sue@example.org', 'support');
    const page = await (await support.browser.get(`/staff/patients/${patient.id}`)).text();
    expect(page).toContain('Password sign-in is paused');
    const lifted = await support.browser.submit(
      `/staff/patients/${patient.id}`,
      { intent: 'lift-lock' },
      { csrf: csrfFrom(page) },
    );
    expect(lifted.status).toBe(302);
    const events = await app.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'patient.sign_in_unlocked'));
    expect(events.map((e) => e.subjectId)).toContain(patient.id);

    const fresh = new TestBrowser(app.url);
    const signedIn = await attempt(fresh, 'ana@example.org', PASSWORD, '203.0.113.2');
    expect(signedIn.status).toBe(302);
    expect(signedIn.headers.get('location')).toBe('/welcome');
  });

  it('limits attempts per network address across identifiers', async () => {
    const browser = new TestBrowser(app.url);
    const statuses: number[] = [];
    for (let i = 0; i < 13; i++)
      statuses.push((await attempt(browser, `someone${i}@example.org`, 'wrong', '198.51.100.7')).status);
    expect(statuses.slice(0, 12).every((s) => s === 401)).toBe(true);
    expect(statuses[12]).toBe(429);
    // Another address is not affected.
    expect((await attempt(browser, 'someone@example.org', 'wrong', '198.51.100.8')).status).toBe(401);
  });

  it('answers 429 with Retry-After when the hashing queue is full, instead of queuing', async () => {
    // bcrypt cost 12 takes a good part of a second here: the four attempts overlap.
    await legacyPatient(app, { legacyId: 'B-1', email: 'bea@example.org', password: PASSWORD, cost: 12 });
    const browsers = Array.from({ length: 4 }, () => new TestBrowser(app.url));
    const tokens = await Promise.all(
      browsers.map(async (b) => csrfFrom(await (await b.get('/login')).text())),
    );
    const responses = await Promise.all(
      browsers.map((b, i) => attempt(b, 'bea@example.org', 'wrong', `192.0.2.${i + 1}`, tokens[i])),
    );
    const busy = responses.filter((r) => r.status === 429);
    expect(busy.length).toBeGreaterThan(0);
    for (const r of busy) expect(r.headers.get('retry-after')).toBe('5');
    expect(await busy[0]!.text()).toContain('very busy');
  });
});
