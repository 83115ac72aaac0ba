// The preserved patient URL through the real server: legacy paths sent where each patient's cohort is
// today, a deep link resumed after sign-in, loops stopped, unknown paths answered kindly and counted.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { cohorts, idCrosswalk, patients, unmappedPaths } from '../../db/schema/index.ts';
import { closeOffThreadPool } from '../../identity/credentials/offthread.ts';
import { addRule } from '../../identity/url-rules/admin.ts';
import { startTestApp, TestBrowser, csrfFrom, type TestApp } from '../support/app.ts';
import { legacyPatient } from '../support/oidc.ts';

const NEW = 'https://app.new.example';
const LEGACY = 'https://old.example.org';
const PASSWORD = 'Harbor-Routing-1';
let app: TestApp;
let counter = 0;

beforeAll(async () => {
  app = await startTestApp({ NEW_PLATFORM_URL: NEW, LEGACY_PLATFORM_URL: LEGACY }, { realClock: true });
  const actor = { type: 'cli' as const };
  for (const rule of [
    { source: '/billing', target: '{new}/billing' },
    { source: '/appointments/:id', target: '{new}/visits/{crosswalk:appointment:id}', when: 'after_cutover' },
    { source: '/appointments/:id', target: '{legacy}/appointments/{id}', when: 'before_cutover' },
    { source: '/messages/*', target: '{legacy}/inbox{rest}' },
  ])
    expect((await addRule(app.database.db, rule, actor)).ok).toBe(true);
  await app.database.db
    .insert(idCrosswalk)
    .values({ kind: 'appointment', legacyId: 'A-77', newId: 'v-9001' });
  await app.services.urlRouter.reload();
});
afterAll(async () => {
  await app?.close();
  await closeOffThreadPool();
});

async function patientIn(phase: (typeof cohorts.$inferSelect)['phase'], final = false) {
  counter += 1;
  const [cohort] = await app.database.db
    .insert(cohorts)
    .values({ name: `Routing ${counter}`, phase, finalAt: final ? new Date() : null })
    .returning();
  const patient = await legacyPatient(app, {
    legacyId: `R-${counter}`,
    email: `routing${counter}@example.org`,
    password: PASSWORD,
  });
  await app.database.db
    .update(patients)
    .set({ cohortId: cohort!.id, state: 'bridged', bridgedAt: new Date() })
    .where(eq(patients.id, patient.id));
  return patient;
}

/** A GET with the path sent exactly as written (fetch would resolve `//host` against the base). */
function rawGet(path: string): Promise<{ status: number; location: string | undefined }> {
  const { hostname, port } = new URL(app.url);
  return new Promise((resolve, reject) => {
    const request = http.get({ hostname, port, path }, (response) => {
      response.resume();
      resolve({ status: response.statusCode ?? 0, location: response.headers.location });
    });
    request.on('error', reject);
  });
}

async function signIn(browser: TestBrowser, email: string) {
  const page = await browser.get('/login');
  return browser.submit(
    '/login',
    { intent: 'password', identifier: email, password: PASSWORD },
    { csrf: csrfFrom(await page.text()) },
  );
}

describe('legacy paths', () => {
  it('sends anyone to the new platform by an "always" rule, keeping the query, never cached', async () => {
    const response = await new TestBrowser(app.url).get('/billing?invoice=12&lang=es');
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe(`${NEW}/billing?invoice=12&lang=es&cw_hop=1`);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('asks an anonymous visitor to sign in for a deep link, then resumes it for their cohort', async () => {
    const patient = await patientIn('cut_over');
    const browser = new TestBrowser(app.url);
    const first = await browser.get('/appointments/A-77?from=email');
    expect(first.status).toBe(200);
    const html = await first.text();
    expect(html).toContain('Sign in to see this page');
    expect(first.headers.get('cache-control')).toBe('no-store');
    const signedIn = await signIn(browser, patient.email!);
    expect(signedIn.headers.get('location')).toBe('/appointments/A-77?from=email');
    const resumed = await browser.get('/appointments/A-77?from=email');
    expect(resumed.status).toBe(302);
    expect(resumed.headers.get('location')).toBe(`${NEW}/visits/v-9001?from=email&cw_hop=1`);
    expect(resumed.headers.get('vary')).toBe('Cookie');
    // The resume is used once.
    expect(browser.hasCookie('cw_resume')).toBe(false);
  });

  it('keeps a cohort that is not cut over (or rolled back) on the legacy platform', async () => {
    for (const phase of ['pilot', 'rolled_back'] as const) {
      const patient = await patientIn(phase);
      const browser = new TestBrowser(app.url);
      await signIn(browser, patient.email!);
      const response = await browser.get('/appointments/A-77');
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe(`${LEGACY}/appointments/A-77?cw_hop=1`);
      expect(response.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('answers with a permanent redirect only after a final cutover', async () => {
    const patient = await patientIn('cut_over', true);
    const browser = new TestBrowser(app.url);
    await signIn(browser, patient.email!);
    const response = await browser.get('/appointments/A-77');
    expect(response.status).toBe(308);
    expect(response.headers.get('location')).toBe(`${NEW}/visits/v-9001?cw_hop=1`);
  });

  it('stops a loop between the two platforms with a page that explains', async () => {
    const response = await new TestBrowser(app.url).get('/billing?cw_hop=2');
    expect(response.status).toBe(508);
    expect(await response.text()).toContain('We could not open this page');
  });

  it('refuses to be an open redirect', async () => {
    const paths = [
      '//evil.example/x',
      '/\\evil.example/x',
      '/messages/%2F%2Fevil.example',
      '/messages/..%5Cevil.example',
      '/messages/x?next=https://evil.example',
    ];
    for (const path of paths) {
      const { status, location } = await rawGet(path);
      if (location) expect([NEW, LEGACY, app.url]).toContain(new URL(location, app.url).origin);
      expect([302, 404]).toContain(status);
    }
  });

  it('answers an unknown path kindly and counts it without personal data', async () => {
    const response = await new TestBrowser(app.url).get('/old/patient/maria@example.org/chart?ssn=1');
    expect(response.status).toBe(404);
    const html = await response.text();
    expect(html).toContain('Sign in to find your page');
    expect(html).toContain('+1 (555) 010-0100');
    await app.services.urlRouter.close(); // writes the counts still in memory
    const rows = await app.database.db.select().from(unmappedPaths);
    expect(rows.map((r) => [r.path, r.hits])).toContainEqual(['/old/patient/:email/chart', 1]);
    expect(JSON.stringify(rows)).not.toContain('maria');
  });
});

describe('a security contact', () => {
  it('is published at /.well-known/security.txt (RFC 9116), not taken for a legacy path', async () => {
    const response = await new TestBrowser(app.url).get('/.well-known/security.txt');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const body = await response.text();
    expect(body).toContain('Contact: tel:+15550100100\n');
    expect(body).toMatch(/Expires: \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z\n/);
  });
});
