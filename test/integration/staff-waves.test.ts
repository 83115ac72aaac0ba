// The waves pages over HTTP as marketing uses them: draft a wave (and get each mistake named beside
// its field), have a second person approve it, watch it, pause, resume and cancel it, settle deliveries
// whose fate is unknown, read the report; and the preview frame that only our own staff pages may embed.
import { randomUUID } from 'node:crypto';
import { and, asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  auditEvents,
  cohorts,
  patients,
  waveDeliveries,
  waves as wavesTable,
} from '../../db/schema/index.ts';
import { transitionSmsPreview } from '../../emails/transition-sms.ts';
import { startTestApp, type TestApp, type TestBrowser } from '../support/app.ts';
import { signedInStaff } from '../support/staff.ts';

let app: TestApp;
let staffCount = 0;
let patientCount = 0;

beforeAll(async () => {
  app = await startTestApp();
});
beforeEach(async () => {
  await app.database.reset();
});
afterAll(async () => {
  await app?.close();
});

const signedIn = (role: 'admin' | 'support' | 'marketing' | 'clinical') =>
  signedInStaff(app, `${role}-${++staffCount}@clinic.example`, role);

/** Visible text, tags and entities reduced, so assertions read like the page does. */
const text = (html: string) =>
  html
    .replace(/<[^>]+>/g, '')
    .replace(/&#x27;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"');

/** A cutover date this many days from today, as the cohort stores it. */
const daysFromNow = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

async function cohortWithPatients(cutoverDate: string | null = daysFromNow(60)) {
  const [cohort] = await app.database.db
    .insert(cohorts)
    .values({ name: `Cohort ${randomUUID().slice(0, 8)}`, cutoverDate })
    .returning();
  const patient = async (overrides: Partial<typeof patients.$inferInsert>) => {
    const n = ++patientCount;
    const [row] = await app.database.db
      .insert(patients)
      .values({
        legacyId: `L${n}`,
        email: `patient${n}@example.org`,
        emailNormalized: `patient${n}@example.org`,
        phone: `+1212555${String(1000 + n).slice(-4)}`,
        givenName: 'Maria',
        cohortId: cohort!.id,
        emailOptIn: true,
        smsOptIn: true,
        ...overrides,
      })
      .returning();
    return row!;
  };
  const english = await patient({ locale: 'en' });
  const spanish = await patient({ locale: 'es', timeZone: 'America/Chicago' });
  const noEmailConsent = await patient({ emailOptIn: false });
  const closed = await patient({ state: 'closed' });
  return { cohort: cohort!, english, spanish, noEmailConsent, closed };
}

/** Posts form fields (repeated names allowed, as checkboxes send them) with this browser's CSRF token. */
async function post(
  browser: TestBrowser,
  path: string,
  fields: [string, string][],
  options: { csrf?: string | null } = {},
) {
  const csrf = options.csrf === undefined ? await browser.csrfToken() : options.csrf;
  const body = new URLSearchParams(fields);
  if (csrf !== null) body.set('csrf', csrf);
  return browser.request(path, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: browser.base },
  });
}

async function waveRow(id: string) {
  const [row] = await app.database.db.select().from(wavesTable).where(eq(wavesTable.id, id));
  return row!;
}

async function ledger(id: string) {
  return app.database.db
    .select()
    .from(waveDeliveries)
    .where(eq(waveDeliveries.waveId, id))
    .orderBy(asc(waveDeliveries.id));
}

async function audited(action: string) {
  return app.database.db.select().from(auditEvents).where(eq(auditEvents.action, action));
}

/** A draft written through the new-wave page by `browser`. */
async function draftThroughPage(
  browser: TestBrowser,
  cohortId: string,
  channels: ('email' | 'sms')[] = ['email', 'sms'],
  timing = 'T-14d 09:00',
) {
  const created = await post(browser, '/staff/waves/new', [
    ['intent', 'create'],
    ['cohortId', cohortId],
    ['name', 'Spring announcement'],
    ['stage', 'announcement'],
    ...channels.map((c): [string, string] => ['channels', c]),
    ['timing', timing],
  ]);
  expect(created.status).toBe(302);
  const location = created.headers.get('location')!;
  expect(location).toMatch(/^\/staff\/waves\/[0-9a-f-]{36}\?saved=1$/);
  return location.slice('/staff/waves/'.length, location.indexOf('?'));
}

/** Written by one marketing person, approved by another through the page. */
async function approvedWave(channels: ('email' | 'sms')[] = ['email', 'sms']) {
  const people = await cohortWithPatients();
  const author = await signedIn('marketing');
  const approver = await signedIn('marketing');
  const id = await draftThroughPage(author.browser, people.cohort.id, channels);
  const approved = await post(approver.browser, `/staff/waves/${id}`, [['intent', 'approve']]);
  expect(approved.status).toBe(200);
  return { ...people, id, author, approver };
}

describe('drafting a wave', () => {
  it('names each mistake beside its field, then saves a draft that shows in the list', async () => {
    const { cohort } = await cohortWithPatients();
    const { browser, member } = await signedIn('marketing');

    const form = await browser.get(`/staff/waves/new?cohort=${cohort.id}`);
    expect(form.status).toBe(200);
    const formHtml = await form.text();
    expect(formHtml).toContain('<label for="wave-timing"');
    expect(text(formHtml)).toContain(
      'T-14d 09:00 is 14 days before cutover at 9 in the morning where the patient lives',
    );
    expect(formHtml).toContain(`<option value="${cohort.id}" selected="">`);

    const wrong = await post(browser, '/staff/waves/new', [
      ['intent', 'create'],
      ['cohortId', cohort.id],
      ['name', '  '],
      ['stage', 'announcement'],
      ['timing', 'next tuesday'],
    ]);
    expect(wrong.status).toBe(400);
    const wrongHtml = await wrong.text();
    const wrongText = text(wrongHtml);
    expect(wrongText).toContain('The wave was not saved.');
    expect(wrongText).toContain('Give the wave a name.');
    expect(wrongText).toContain('Choose email, text message or both.');
    expect(wrongText).toContain(`We couldn't read "next tuesday".`);
    // Each message is tied to its field, and what was typed is kept.
    expect(wrongHtml).toMatch(
      /id="wave-name"[^>]*aria-invalid="true"[^>]*aria-describedby="wave-name-hint wave-name-error"/,
    );
    expect(wrongHtml).toContain('id="wave-name-error"');
    expect(wrongHtml).toMatch(/id="wave-timing"[^>]*aria-invalid="true"[^>]*value="next tuesday"/);
    expect(wrongHtml).toContain('href="#wave-timing"');
    expect(await app.database.db.select().from(wavesTable)).toHaveLength(0);

    const id = await draftThroughPage(browser, cohort.id);
    const wave = await waveRow(id);
    expect(wave).toMatchObject({
      state: 'draft',
      createdBy: member.staff.id,
      stage: 'announcement',
      channels: ['email', 'sms'],
      timing: 'relative',
      offsetDays: -14,
      localTime: '09:00',
    });
    const page = text(await (await browser.get(`/staff/waves/${id}?saved=1`)).text());
    expect(page).toContain('Draft saved. Another person must approve it before anything is sent.');
    // Two of the four can get email (one did not agree to email, one account is closed).
    expect(page).toContain('Did not agree to this channel: 1');
    expect(page).toContain('Account closed: 1');

    const list = await browser.get('/staff/waves');
    expect(list.status).toBe(200);
    const listText = text(await list.text());
    expect(listText).toContain('Spring announcement');
    expect(listText).toContain("T-14d 09:00 in each patient's time zone");
    expect(listText).toContain('State: Draft');
    expect(listText).toContain('New wave');

    const other = await cohortWithPatients();
    const filtered = text(await (await browser.get(`/staff/waves?cohort=${other.cohort.id}`)).text());
    expect(filtered).toContain(`No waves for ${other.cohort.name} yet.`);
  });

  it('lets the author change a draft, with the same field errors', async () => {
    const { cohort } = await cohortWithPatients();
    const { browser } = await signedIn('marketing');
    const id = await draftThroughPage(browser, cohort.id, ['email']);
    const wrong = await post(browser, `/staff/waves/${id}`, [
      ['intent', 'update'],
      ['cohortId', cohort.id],
      ['name', 'Renamed'],
      ['stage', 'reminder'],
      ['channels', 'sms'],
      ['timing', 'T-3 09:00'],
    ]);
    expect(wrong.status).toBe(400);
    expect(text(await wrong.text())).toContain('Add "d" after the number of days, like T-3d 09:00.');
    expect((await waveRow(id)).name).toBe('Spring announcement');
    const saved = await post(browser, `/staff/waves/${id}`, [
      ['intent', 'update'],
      ['cohortId', cohort.id],
      ['name', 'Renamed'],
      ['stage', 'reminder'],
      ['channels', 'sms'],
      ['timing', 'T-3d 09:00'],
    ]);
    expect(saved.status).toBe(200);
    expect(await waveRow(id)).toMatchObject({
      name: 'Renamed',
      stage: 'reminder',
      channels: ['sms'],
      offsetDays: -3,
    });
  });
});

describe('approval by a second person', () => {
  it('refuses the author in plain words and writes nothing; a colleague approves and the ledger is written', async () => {
    const { cohort } = await cohortWithPatients();
    const author = await signedIn('marketing');
    const id = await draftThroughPage(author.browser, cohort.id);

    const ownPage = text(await (await author.browser.get(`/staff/waves/${id}`)).text());
    expect(ownPage).toContain('Another person must approve what you wrote.');

    const refused = await post(author.browser, `/staff/waves/${id}`, [['intent', 'approve']]);
    expect(refused.status).toBe(409);
    expect(text(await refused.text())).toContain('Another person must approve what you wrote.');
    expect(await ledger(id)).toHaveLength(0);
    expect((await waveRow(id)).state).toBe('draft');

    // The colleague sees the audience and the projected finish beside the button before pressing it.
    const approver = await signedIn('admin');
    const before = text(await (await approver.browser.get(`/staff/waves/${id}`)).text());
    expect(before).toContain(`Approving schedules 5 messages to ${cohort.name}, from `);
    expect(before).toContain('Last message, about');
    expect(before).toContain('Approve and schedule');

    const approved = await post(approver.browser, `/staff/waves/${id}`, [['intent', 'approve']]);
    expect(approved.status).toBe(200);
    const approvedText = text(await approved.text());
    expect(approvedText).toContain('Approved and scheduled: 5 messages');
    expect(approvedText).toContain('State: Approved and scheduled');
    expect(approvedText).toContain('The first messages go out');

    const rows = await ledger(id);
    // Two emails (one patient did not agree to email) and three texts; the closed account gets nothing.
    expect(rows.map((r) => r.channel).sort()).toEqual(['email', 'email', 'sms', 'sms', 'sms']);
    expect(rows.every((r) => r.state === 'pending')).toBe(true);
    const wave = await waveRow(id);
    expect(wave).toMatchObject({
      state: 'scheduled',
      approvedBy: approver.member.staff.id,
      audienceCount: 5,
    });
    expect(await audited('wave.approved')).toHaveLength(1);

    const again = await post(approver.browser, `/staff/waves/${id}`, [['intent', 'approve']]);
    expect(again.status).toBe(409);
    expect(text(await again.text())).toContain('Someone else changed this wave while you were looking');
    expect(await ledger(id)).toHaveLength(5);
  });

  it('warns when a relative wave has no cutover date to count from', async () => {
    const { cohort } = await cohortWithPatients(null);
    const { browser } = await signedIn('marketing');
    const id = await draftThroughPage(browser, cohort.id);
    const other = await signedIn('marketing');
    const page = text(await (await other.browser.get(`/staff/waves/${id}`)).text());
    expect(page).toContain(`${cohort.name} has no cutover date yet, and this wave is timed from it`);
    expect(page).toContain('It can be approved once the cohort has a cutover date.');
    const refused = await post(other.browser, `/staff/waves/${id}`, [['intent', 'approve']]);
    expect(refused.status).toBe(409);
    expect(text(await refused.text())).toContain('the cohort has no cutover date yet');
    expect(await ledger(id)).toHaveLength(0);
  });
});

describe('running a wave', () => {
  it('pauses, resumes and cancels (after a confirm step), each only with the CSRF token', async () => {
    const { id, approver } = await approvedWave();
    const { browser } = approver;
    const page = await (await browser.get(`/staff/waves/${id}`)).text();
    expect(page).toContain('value="pause"');
    expect(text(page)).toContain('Refresh');
    expect(text(page)).toContain('0 of 5 messages sent, delivered, failed or skipped.');

    for (const csrf of [null, 'forged']) {
      const forged = await post(browser, `/staff/waves/${id}`, [['intent', 'pause']], { csrf });
      expect(forged.status).toBe(403);
    }
    expect((await waveRow(id)).state).toBe('scheduled');

    const paused = await post(browser, `/staff/waves/${id}`, [['intent', 'pause']]);
    expect(paused.status).toBe(200);
    const pausedHtml = await paused.text();
    expect(text(pausedHtml)).toContain('Paused. Nothing more is sent until someone resumes it.');
    expect(pausedHtml).toContain('value="resume"');
    expect(await waveRow(id)).toMatchObject({ state: 'paused', pausedReason: 'staff' });

    expect((await post(browser, `/staff/waves/${id}`, [['intent', 'resume']], { csrf: null })).status).toBe(
      403,
    );
    const resumed = await post(browser, `/staff/waves/${id}`, [['intent', 'resume']]);
    expect(resumed.status).toBe(200);
    expect(text(await resumed.text())).toContain('Resumed.');
    expect((await waveRow(id)).state).toBe('scheduled');

    const asked = await post(browser, `/staff/waves/${id}`, [['intent', 'cancel']]);
    expect(asked.status).toBe(200);
    const askedHtml = await asked.text();
    expect(text(askedHtml)).toContain('5 messages not yet sent will never be sent.');
    expect(askedHtml).toContain('name="confirm" value="yes"');
    expect((await waveRow(id)).state).toBe('scheduled');

    const cancelFields: [string, string][] = [
      ['intent', 'cancel'],
      ['confirm', 'yes'],
    ];
    expect((await post(browser, `/staff/waves/${id}`, cancelFields, { csrf: null })).status).toBe(403);
    const cancelled = await post(browser, `/staff/waves/${id}`, cancelFields);
    expect(cancelled.status).toBe(200);
    const cancelledText = text(await cancelled.text());
    expect(cancelledText).toContain('Cancelled. Messages not yet sent will never be sent.');
    expect(cancelledText).toContain('State: Cancelled');
    expect((await waveRow(id)).state).toBe('cancelled');
    expect((await ledger(id)).map((r) => [r.state, r.reason])).toEqual(
      Array.from({ length: 5 }, () => ['skipped', 'cancelled']),
    );
    expect((await audited('wave.paused')).length).toBe(1);
    expect((await audited('wave.cancelled')).length).toBe(1);

    const late = await post(browser, `/staff/waves/${id}`, [['intent', 'pause']]);
    expect(late.status).toBe(409);
  });

  it('explains a pause by the safety switch with its figures, and leaves resuming to a person', async () => {
    const { id, approver } = await approvedWave(['email']);
    const paused = await app.services.waves.pause({ type: 'system' }, id, 'circuit_breaker');
    expect(paused.ok).toBe(true);
    const page = text(await (await approver.browser.get(`/staff/waves/${id}`)).text());
    expect(page).toContain('Why this wave was paused');
    expect(page).toContain('0 of 0 sign-ins failed (0%; the switch trips above 50%).');
    expect(page).toContain('people sent a sign-in message opted out (0%; the switch trips above 2%).');
    expect(page).toContain('It does not resume by itself.');
    const list = text(await (await approver.browser.get('/staff/waves')).text());
    expect(list).toContain('State: Paused by the safety switch');
  });

  it('reports sent, opened and signed in by channel and language once deliveries have gone out', async () => {
    const { id, approver, english } = await approvedWave();
    const { db } = app.database;
    await db.execute(sql`update wave_deliveries set state = 'sent', sent_at = now() - interval '1 minute'
                         where wave_id = ${id}`);
    await db
      .update(waveDeliveries)
      .set({ openedAt: new Date() })
      .where(
        and(
          eq(waveDeliveries.waveId, id),
          eq(waveDeliveries.patientId, english.id),
          eq(waveDeliveries.channel, 'email'),
        ),
      );
    await db.update(patients).set({ lastSignInAt: new Date() }).where(eq(patients.id, english.id));

    const html = await (await approver.browser.get(`/staff/waves/${id}`)).text();
    expect(text(html)).toContain('5 of 5 messages sent, delivered, failed or skipped.');
    // Channel, language, sent, delivered, failed, skipped, opened, signed in, still to send, not known.
    expect(html).toContain(
      '<th scope="row">Email</th><td>English</td><td>1</td><td>0</td><td>0</td><td>0</td><td>1</td><td>1</td><td>0</td><td>0</td>',
    );
    expect(html).toContain(
      '<th scope="row">Text message</th><td>English</td><td>2</td><td>0</td><td>0</td><td>0</td><td>0</td><td>1</td><td>0</td><td>0</td>',
    );
    expect(html).toContain(
      '<th scope="row">Text message</th><td>Spanish</td><td>1</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td><td>0</td>',
    );
    expect(html).toMatch(
      /<svg[^>]*role="img"[^>]*aria-label="From sent to signed in\. Email: 2 sent, 0 delivered, 1 opened the link, 1 signed in\. Text message: 3 sent, 0 delivered, 0 opened the link, 1 signed in\."/,
    );
  });

  it('shows deliveries of unknown fate and settles them as sent after a confirm step', async () => {
    const { id, approver } = await approvedWave();
    const { browser } = approver;
    await app.database.db.execute(
      sql`update wave_deliveries set state = 'unknown', claimed_at = now() where wave_id = ${id} and channel = 'sms'`,
    );
    const html = await (await browser.get(`/staff/waves/${id}`)).text();
    const page = text(html);
    expect(page).toContain('3 messages: not known whether they were sent');
    expect(page).toContain('A worker stopped while it was sending these');
    expect(page).toContain("They were sent (checked the provider's log)");
    expect(page).toContain('Send them again');

    const fields: [string, string][] = [
      ['intent', 'settle'],
      ['decision', 'sent'],
    ];
    const asked = await post(browser, `/staff/waves/${id}`, fields);
    expect(asked.status).toBe(200);
    expect(text(await asked.text())).toContain('Mark 3 messages as sent?');
    expect((await ledger(id)).filter((r) => r.state === 'unknown')).toHaveLength(3);

    expect(
      (await post(browser, `/staff/waves/${id}`, [...fields, ['confirm', 'yes']], { csrf: null })).status,
    ).toBe(403);
    const settled = await post(browser, `/staff/waves/${id}`, [...fields, ['confirm', 'yes']]);
    expect(settled.status).toBe(200);
    const settledText = text(await settled.text());
    expect(settledText).toContain('3 messages are now counted as sent.');
    expect(settledText).not.toContain('not known whether they were sent');
    const sms = (await ledger(id)).filter((r) => r.channel === 'sms');
    expect(sms.map((r) => [r.state, r.reason])).toEqual(
      Array.from({ length: 3 }, () => ['sent', 'settled_by_staff']),
    );
    expect(await audited('wave.unknown_settled')).toEqual([
      expect.objectContaining({
        subjectId: id,
        data: expect.objectContaining({ decision: 'sent', deliveries: 3 }) as unknown,
      }),
    ]);
  });
  it('sends deliveries of unknown fate again when staff choose to, after a confirm step', async () => {
    const { id, approver } = await approvedWave(['email']);
    await app.database.db.execute(
      sql`update wave_deliveries set state = 'unknown', claimed_at = now() where wave_id = ${id}`,
    );
    const fields: [string, string][] = [
      ['intent', 'settle'],
      ['decision', 'resend'],
    ];
    const asked = await post(approver.browser, `/staff/waves/${id}`, fields);
    expect(text(await asked.text())).toContain(
      'Patients whose message did leave the first time will get it twice.',
    );
    expect((await ledger(id)).every((r) => r.state === 'unknown')).toBe(true);
    const resent = await post(approver.browser, `/staff/waves/${id}`, [...fields, ['confirm', 'yes']]);
    expect(resent.status).toBe(200);
    expect(text(await resent.text())).toContain('2 messages will be sent again now.');
    expect((await ledger(id)).map((r) => [r.state, r.reason])).toEqual([
      ['pending', 'resent_by_staff'],
      ['pending', 'resent_by_staff'],
    ]);
  });
});

describe('previews', () => {
  it('shows the English and Spanish texts with their segments, and frames each email', async () => {
    const { cohort } = await cohortWithPatients();
    const { browser } = await signedIn('marketing');
    const id = await draftThroughPage(browser, cohort.id);
    const html = await (await browser.get(`/staff/waves/${id}`)).text();
    const page = text(html);
    const link = /http:\/\/127\.0\.0\.1:\d+\/cw\/([\w.]+)/.exec(page);
    expect(link?.[1]).toHaveLength(36);
    for (const locale of ['en', 'es'] as const) {
      for (const afterCutover of [false, true]) {
        const expected = transitionSmsPreview({
          stage: 'announcement',
          locale,
          brand: app.services.config.brand,
          link: link![0],
          cutoverDate: cohort.cutoverDate,
          afterCutover,
        });
        expect(page).toContain(expected.text);
        const segments = `${expected.segments} ${expected.segments === 1 ? 'segment' : 'segments'}`;
        expect(page).toContain(`${expected.text}${segments} (${expected.encoding})`);
      }
    }
    expect(page).toContain('(GSM-7)');
    expect(page).toContain('Spanish, before cutover');
    expect(page).toContain('English, after cutover');
    expect(html).toContain(`src="/staff/waves/${id}/preview?locale=es&amp;after=1"`);
    expect(html).toContain('title="Email preview: Spanish, after cutover"');
    expect(page).toContain('This wave sends this one');
  });

  it('serves the email for the frame, framable only by our own pages, and only to marketing and admins', async () => {
    const { cohort } = await cohortWithPatients();
    const { browser } = await signedIn('marketing');
    const id = await draftThroughPage(browser, cohort.id, ['email']);
    const preview = await browser.get(`/staff/waves/${id}/preview?locale=es&after=0`);
    expect(preview.status).toBe(200);
    expect(preview.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(preview.headers.get('content-security-policy')).toBe(
      "default-src 'none'; img-src 'self' https: data:; style-src 'unsafe-inline'; frame-ancestors 'self'",
    );
    expect(preview.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(preview.headers.get('cache-control')).toBe('no-store');
    const html = await preview.text();
    expect(html).toContain('lang="es"');
    expect(html).toContain('Maria');
    expect(html).toContain(`${app.url}/cw/preview`);
    expect(html).toContain(`${app.url}/unsubscribe/preview`);

    // The staff page that frames it may frame our own origin (default-src 'self' covers frames).
    const parent = await browser.get(`/staff/waves/${id}`);
    expect(parent.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(parent.headers.get('content-security-policy')).not.toContain('frame-src');

    const { browser: support } = await signedIn('support');
    expect((await support.get(`/staff/waves/${id}/preview?locale=en&after=0`)).status).toBe(403);
    expect((await browser.get(`/staff/waves/${randomUUID()}/preview`)).status).toBe(404);
  });
});

describe('who may use the waves pages', () => {
  it('refuses support and clinical staff (403, audited) and leaves Waves out of their navigation', async () => {
    const { cohort } = await cohortWithPatients();
    const { browser: marketing } = await signedIn('marketing');
    const id = await draftThroughPage(marketing, cohort.id);
    expect(await (await marketing.get('/staff')).text()).toContain('href="/staff/waves"');

    for (const role of ['support', 'clinical'] as const) {
      const { browser, member } = await signedIn(role);
      expect(await (await browser.get('/staff')).text()).not.toContain('href="/staff/waves"');
      for (const path of ['/staff/waves', '/staff/waves/new', `/staff/waves/${id}`])
        expect((await browser.get(path)).status).toBe(403);
      const approve = await post(browser, `/staff/waves/${id}`, [['intent', 'approve']]);
      expect(approve.status).toBe(403);
      const denied = await app.database.db
        .select()
        .from(auditEvents)
        .where(and(eq(auditEvents.action, 'staff.access_denied'), eq(auditEvents.actorId, member.staff.id)));
      expect(denied.map((d) => (d.data as { path: string }).path)).toContain('/staff/waves');
    }
    expect((await waveRow(id)).state).toBe('draft');
    expect(await ledger(id)).toHaveLength(0);
  });
});
