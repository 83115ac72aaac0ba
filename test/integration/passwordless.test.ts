// Sign-in without a password through the real server: links and codes delivered over SMTP and the
// Twilio SDK, legacy JWT links on their old paths, the legacy session cookie, and the new platform
// (openid-client) receiving the patient with the right `amr`.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { patients, signInTokens } from '../../db/schema/index.ts';
import { closeOffThreadPool } from '../../identity/credentials/offthread.ts';
import { viewPatientIdentity } from '../../identity/patient-timeline.ts';
import { startTestApp, TestBrowser, csrfFrom, type TestApp } from '../support/app.ts';
import { authorizationRequest, follow, redeem, relyingParty, RP, submitOn } from '../support/oidc.ts';
import { startSmtpServer, type TestSmtpServer } from '../support/smtp.ts';
import { startTwilioServer, type TestTwilioServer } from '../support/twilio.ts';

const LINK_SECRET = randomBytes(32).toString('base64url');
const SESSION_SECRET = randomBytes(32).toString('base64url');
const LEGACY_ISSUER = 'https://legacy.example.org';

let app: TestApp;
let smtp: TestSmtpServer;
let twilioServer: TestTwilioServer;
let rp: Awaited<ReturnType<typeof relyingParty>>;
let counter = 0;

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
      SIGN_IN_LINK_REQUESTS_PER_IDENTIFIER: '1000',
      SIGN_IN_LINK_REQUESTS_PER_ADDRESS: '100000',
      SIGN_IN_ATTEMPTS_PER_ADDRESS: '100000',
      LEGACY_LINK_PATHS: '/auth/magic,/m/:token',
      LEGACY_LINK_JWT_SECRET: LINK_SECRET,
      LEGACY_LINK_JWT_ISSUER: LEGACY_ISSUER,
      LEGACY_LINK_JWT_AUDIENCE: 'portal',
      LEGACY_LINK_ID_CLAIM: 'uid',
      LEGACY_SESSION_COOKIE: 'legacy_sid',
      LEGACY_SESSION_JWT_SECRET: SESSION_SECRET,
      LEGACY_SESSION_JWT_ISSUER: LEGACY_ISSUER,
    },
    { realClock: true },
  );
  rp = await relyingParty(app);
});
afterAll(async () => {
  await app?.close();
  await smtp?.close();
  await twilioServer?.close();
  await closeOffThreadPool();
});

async function newPatient(values: Partial<typeof patients.$inferInsert> = {}) {
  counter += 1;
  const email = `pl${counter}.${randomBytes(3).toString('hex')}@example.org`;
  const [row] = await app.database.db
    .insert(patients)
    .values({
      legacyId: `PL-${counter}-${randomBytes(3).toString('hex')}`,
      newPlatformId: `np-pl-${counter}`,
      email,
      emailNormalized: email,
      phone: `+1202555${String(2000 + counter)}`,
      givenName: 'Rosa',
      familyName: 'Díaz',
      // Bridged before: no welcome step in the way of these flows.
      state: 'bridged',
      bridgedAt: new Date(Date.now() - 86_400_000),
      ...values,
    })
    .returning();
  return row!;
}

/** The link and code of the next email to this address, as a mail client shows them. */
async function emailTo(address: string) {
  const mail = await smtp.waitForMessage((m) => m.envelope.to.includes(address), 10_000);
  const text = mail.parsed.text ?? '';
  const link = /(https?:\/\/\S+\/login\/link\/[\w-]{43})/.exec(text)?.[1];
  const code = /\b([A-HJ-NP-Z2-9]{3}-[A-HJ-NP-Z2-9]{3})\b/.exec(text)?.[1];
  if (!link || !code) throw new Error(`no link or code in the email: ${text}`);
  smtp.messages.splice(smtp.messages.indexOf(mail), 1);
  return { path: new URL(link).pathname, code, mail };
}

async function loginPage(browser: TestBrowser) {
  const page = await browser.get('/login');
  return page.text();
}

describe('a sign-in link by email', () => {
  it('shows a confirm page on GET (a mail scanner changes nothing), and signs in on the POST', async () => {
    const patient = await newPatient();
    const browser = new TestBrowser(app.url);
    const asked = await browser.submit(
      '/login',
      { intent: 'email-link', identifier: patient.email!, password: '' },
      { csrf: csrfFrom(await loginPage(browser)) },
    );
    expect(asked.status).toBe(200);
    const askedPage = await asked.text();
    expect(askedPage).toContain('Check your email');
    expect(askedPage).toContain('name="code"');
    const { path, mail } = await emailTo(patient.email!);
    expect(mail.parsed.subject).toMatch(/sign-in link/i);

    // A scanner fetches the link twice, with no cookies: it sees a button, and the link still works.
    for (let i = 0; i < 2; i++) {
      const scanned = await fetch(`${app.url}${path}`, { redirect: 'manual' });
      expect(scanned.status).toBe(200);
      expect(await scanned.text()).toContain('Sign me in');
    }
    const [token] = await app.database.db
      .select()
      .from(signInTokens)
      .where(eq(signInTokens.patientId, patient.id));
    expect(token!.consumedAt).toBeNull();

    const csrf = csrfFrom(await (await browser.get(path)).text());
    const confirmed = await browser.submit(path, { intent: 'confirm' }, { csrf });
    expect(confirmed.status).toBe(302);
    expect(confirmed.headers.get('location')).toBe('/account');
    expect(browser.hasCookie('cw_patient')).toBe(true);
    const account = await browser.get('/account');
    expect(await account.text()).toContain(patient.email!);

    // The same link again: used, with a one-click new link.
    const again = await browser.submit(path, { intent: 'confirm' }, { csrf });
    expect(again.status).toBe(410);
    const againPage = await again.text();
    expect(againPage).toContain('already used');
    const resent = await browser.submit(path, { intent: 'resend' }, { csrf: csrfFrom(againPage) });
    expect(resent.status).toBe(200);
    expect(await resent.text()).toContain('We sent you a new message');
    await emailTo(patient.email!);
  });

  it('hands the patient to the new platform with amr magic_link, from the interaction that asked', async () => {
    const patient = await newPatient();
    const browser = new TestBrowser(app.url);
    const started = await authorizationRequest(rp.config, { scope: 'openid email patient' });
    const step = await follow(browser, started.url.href.replace(app.url, ''));
    expect(step.path).toMatch(/^\/interaction\//);
    const asked = await submitOn(browser, step.path!, step.html!, {
      intent: 'email-link',
      identifier: patient.email!,
    });
    expect(asked.html).toContain('Check your email');
    const { path } = await emailTo(patient.email!);
    const confirm = await browser.get(path);
    const done = await submitOn(browser, path, await confirm.text(), { intent: 'confirm' });
    expect(done.callback?.origin).toBe(RP);
    const tokens = await redeem(rp.config, { ...started, callback: done.callback! });
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(patient.id);
    expect(claims.amr).toEqual(['magic_link']);
    const info = await oidc.fetchUserInfo(rp.config, tokens.access_token, patient.id);
    expect(info).toMatchObject({ email: patient.email, email_verified: true, legacy_id: patient.legacyId });
  });

  it('on another device, signs in there and continues through the client’s initiate_login_uri', async () => {
    const patient = await newPatient();
    const laptop = new TestBrowser(app.url);
    const started = await authorizationRequest(rp.config);
    const step = await follow(laptop, started.url.href.replace(app.url, ''));
    await submitOn(laptop, step.path!, step.html!, { intent: 'email-link', identifier: patient.email! });
    const { path } = await emailTo(patient.email!);

    const phone = new TestBrowser(app.url);
    const confirm = await phone.get(path);
    const posted = await phone.submit(path, { intent: 'confirm' }, { csrf: csrfFrom(await confirm.text()) });
    expect(posted.status).toBe(302);
    const resumed = await phone.get(posted.headers.get('location')!);
    expect(resumed.status).toBe(302);
    const launch = new URL(resumed.headers.get('location')!);
    expect(launch.origin + launch.pathname).toBe(`${RP}/launch`);
    expect(launch.searchParams.get('iss')).toBe(app.services.oidc.issuer);
  });

  it('lets exactly one of ten simultaneous confirm POSTs sign in, a hundred times over', async () => {
    const patient = await newPatient();
    const browser = new TestBrowser(app.url);
    const csrf = csrfFrom(await loginPage(browser));
    for (let round = 0; round < 100; round++) {
      await app.services.signInLinks.request({ identifier: patient.email!, channel: 'email' });
      const { path } = await emailTo(patient.email!);
      const responses = await Promise.all(
        Array.from({ length: 10 }, () => browser.submit(path, { intent: 'confirm' }, { csrf })),
      );
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses).toEqual([302, 410, 410, 410, 410, 410, 410, 410, 410, 410]);
    }
  });
});

describe('a sign-in code by text message', () => {
  it('texts a code through Twilio, and the code finishes the sign-in with amr otp', async () => {
    const patient = await newPatient({ phoneVerified: false });
    const browser = new TestBrowser(app.url);
    const started = await authorizationRequest(rp.config, { scope: 'openid phone' });
    const step = await follow(browser, started.url.href.replace(app.url, ''));
    const asked = await submitOn(browser, step.path!, step.html!, {
      intent: 'sms-code',
      identifier: patient.phone!.replace('+1', ''),
    });
    expect(asked.html).toContain('Check your text messages');
    const sms = await twilioServer.waitForMessage((m) => m.to === patient.phone, 10_000);
    expect(sms.from).toBe('+12025550100');
    const code = /\b([A-HJ-NP-Z2-9]{3}-[A-HJ-NP-Z2-9]{3})\b/.exec(sms.body)![1]!;

    const wrong = await submitOn(browser, step.path!, asked.html!, {
      intent: 'code',
      identifier: patient.phone!.replace('+1', ''),
      channel: 'sms',
      code: code.startsWith('A') ? 'BBB-BBB' : 'AAA-AAA',
    });
    expect(wrong.response.status).toBe(401);
    expect(wrong.html).toContain('That code did not work');

    const done = await submitOn(browser, step.path!, wrong.html!, {
      intent: 'code',
      identifier: patient.phone!.replace('+1', ''),
      channel: 'sms',
      code: code.toLowerCase(),
    });
    expect(done.callback?.origin).toBe(RP);
    const tokens = await redeem(rp.config, { ...started, callback: done.callback! });
    expect(tokens.claims()!.amr).toEqual(['otp']);
    const info = await oidc.fetchUserInfo(rp.config, tokens.access_token, patient.id);
    expect(info).toMatchObject({ phone_number: patient.phone, phone_number_verified: true });
  });

  it('answers an unknown phone exactly like a known one and texts nobody', async () => {
    const before = twilioServer.requests.length;
    const browser = new TestBrowser(app.url);
    const asked = await browser.submit(
      '/login',
      { intent: 'sms-code', identifier: '(202) 555-0199' },
      { csrf: csrfFrom(await loginPage(browser)) },
    );
    expect(asked.status).toBe(200);
    expect(await asked.text()).toContain('Check your text messages');
    await app.services.signInLinks.settle();
    expect(twilioServer.requests.length).toBe(before);
  });
});

function legacyLink(
  claims: Record<string, unknown>,
  options: { secret?: string; exp?: string | number } = {},
) {
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(LEGACY_ISSUER)
    .setAudience('portal')
    .setIssuedAt()
    .setJti(randomBytes(8).toString('hex'));
  if (options.exp !== undefined) jwt.setExpirationTime(options.exp);
  return jwt.sign(new TextEncoder().encode(options.secret ?? LINK_SECRET));
}

async function openLegacyLink(browser: TestBrowser, path: string) {
  const page = await browser.get(path);
  return { status: page.status, html: await page.text() };
}

describe('legacy magic links', () => {
  it('signs in with a genuine link on its old path, once, with amr legacy_link', async () => {
    const patient = await newPatient();
    const token = await legacyLink({ uid: patient.legacyId }, { exp: '2h' });
    const browser = new TestBrowser(app.url);
    const path = `/auth/magic?token=${token}`;
    const opened = await openLegacyLink(browser, path);
    expect(opened.status).toBe(200);
    expect(opened.html).toContain('Sign me in');
    const posted = await browser.submit(path, { intent: 'confirm', token }, { csrf: csrfFrom(opened.html) });
    expect(posted.status).toBe(302);
    expect(posted.headers.get('location')).toBe('/account');

    const replay = new TestBrowser(app.url);
    const replayed = await replay.submit(
      path,
      { intent: 'confirm', token },
      { csrf: csrfFrom(await loginPage(replay)) },
    );
    expect(replayed.status).toBe(410);
    expect(await replayed.text()).toContain('already used');

    const started = await authorizationRequest(rp.config);
    const flow = await follow(browser, started.url.href.replace(app.url, ''));
    const tokens = await redeem(rp.config, { ...started, callback: flow.callback! });
    expect(tokens.claims()!.amr).toEqual(['legacy_link']);
  });

  it('also takes the token from a path segment', async () => {
    const patient = await newPatient();
    const token = await legacyLink({ uid: patient.legacyId }, { exp: '2h' });
    const opened = await openLegacyLink(new TestBrowser(app.url), `/m/${token}`);
    expect(opened.status).toBe(200);
    expect(opened.html).toContain('Sign me in');
  });

  it.each([
    ['signed with the wrong key', { secret: randomBytes(32).toString('base64url') }, 404, 'does not work'],
    ['with alg none', 'none', 404, 'does not work'],
    ['expired', { exp: Math.floor(Date.now() / 1000) - 3600 }, 410, 'has expired'],
    ['from another issuer', 'issuer', 404, 'does not work'],
    ['for another audience', 'audience', 404, 'does not work'],
  ] as const)('refuses a link %s, saying so plainly', async (_name, variant, status, words) => {
    const patient = await newPatient();
    let token: string;
    if (variant === 'none') {
      const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const now = Math.floor(Date.now() / 1000);
      token = `${part({ alg: 'none', typ: 'JWT' })}.${part({ uid: patient.legacyId, iss: LEGACY_ISSUER, aud: 'portal', iat: now, exp: now + 600 })}.`;
    } else if (variant === 'issuer' || variant === 'audience') {
      token = await new SignJWT({ uid: patient.legacyId })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(variant === 'issuer' ? 'https://evil.example' : LEGACY_ISSUER)
        .setAudience(variant === 'audience' ? 'someone-else' : 'portal')
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(new TextEncoder().encode(LINK_SECRET));
    } else {
      token = await legacyLink({ uid: patient.legacyId }, variant);
    }
    const browser = new TestBrowser(app.url);
    const opened = await openLegacyLink(browser, `/auth/magic?token=${token}`);
    expect(opened.status).toBe(200);
    expect(opened.html).toContain(words);
    const csrf = csrfFrom(await loginPage(browser));
    const posted = await browser.submit(`/auth/magic?token=${token}`, { intent: 'confirm', token }, { csrf });
    expect(posted.status).toBe(status);
    expect(browser.hasCookie('cw_patient')).toBe(false);
    if (typeof variant === 'object' && 'exp' in variant) {
      // An authentic but expired link: one click sends a new link to the patient on file.
      const resent = await browser.submit(
        `/auth/magic?token=${token}`,
        { intent: 'resend', token },
        { csrf },
      );
      expect(await resent.text()).toContain('We sent you a new message');
      await emailTo(patient.email!);
    }
  });
});

async function legacySessionCookie(claims: Record<string, unknown>, secret = SESSION_SECRET) {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(LEGACY_ISSUER)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(secret));
}

describe('the legacy session', () => {
  it('offers "Continue as …" with a way out, and signs in with amr legacy_session', async () => {
    const patient = await newPatient({ givenName: 'Lucía' });
    const browser = new TestBrowser(app.url);
    browser.setCookie('legacy_sid', await legacySessionCookie({ sub: patient.legacyId }));
    const started = await authorizationRequest(rp.config);
    const step = await follow(browser, started.url.href.replace(app.url, ''));
    expect(step.html).toContain('Continue as Lucía');
    expect(step.html).toContain('Not you?');
    const done = await submitOn(browser, step.path!, step.html!, { intent: 'legacy-session' });
    const tokens = await redeem(rp.config, { ...started, callback: done.callback! });
    expect(tokens.claims()).toMatchObject({ sub: patient.id, amr: ['legacy_session'] });
  });

  it('ignores a tampered cookie and asks for a password', async () => {
    const patient = await newPatient();
    const genuine = await legacySessionCookie({ sub: patient.legacyId });
    const [header, , signature] = genuine.split('.');
    const forged = Buffer.from(JSON.stringify({ sub: 'someone-else', iss: LEGACY_ISSUER })).toString(
      'base64url',
    );
    const browser = new TestBrowser(app.url);
    browser.setCookie('legacy_sid', `${header}.${forged}.${signature}`);
    const html = await loginPage(browser);
    expect(html).not.toContain('Continue as');
    expect(html).toContain('name="password"');
    const refused = await browser.submit('/login', { intent: 'legacy-session' }, { csrf: csrfFrom(html) });
    expect(refused.headers.get('location')).toBe('/login');
    expect(browser.hasCookie('cw_patient')).toBe(false);
  });

  it('stops offering the legacy session in this browser after "Not you?"', async () => {
    const patient = await newPatient();
    const browser = new TestBrowser(app.url);
    browser.setCookie('legacy_sid', await legacySessionCookie({ sub: patient.legacyId }));
    const html = await loginPage(browser);
    expect(html).toContain('Continue as Rosa');
    const out = await browser.submit('/login', { intent: 'not-you' }, { csrf: csrfFrom(html) });
    expect(out.headers.get('location')).toBe('/login');
    const after = await loginPage(browser);
    expect(after).not.toContain('Continue as');
    expect(after).toContain('name="password"');
  });
});

describe('the staff timeline', () => {
  it('shows links and codes sent and used, and never a token or code', async () => {
    const patient = await newPatient();
    await app.services.signInLinks.request({ identifier: patient.email!, channel: 'email' });
    const { path, code } = await emailTo(patient.email!);
    const browser = new TestBrowser(app.url);
    await browser.submit(path, { intent: 'confirm' }, { csrf: csrfFrom(await loginPage(browser)) });
    const view = await viewPatientIdentity(app.database.db, patient.id, {
      staffId: 'staff-1',
      role: 'support',
    });
    const lines = view!.timeline.map((e) => e.what);
    expect(lines).toContain('Asked for a sign-in link by email');
    expect(lines).toContain('Sign-in link and code sent by email');
    expect(lines).toContain('Signed in (magic_link)');
    const all = JSON.stringify(view!.timeline);
    expect(all).not.toContain(path.split('/').pop()!);
    expect(all).not.toContain(code);
  });
});

describe('a sign-in form that has expired', () => {
  it.each(['/login', '/login/link/' + 'x'.repeat(43)])(
    'answers %s with the branded page, the help line and what to do',
    async (path) => {
      const browser = new TestBrowser(app.url);
      await loginPage(browser);
      const refused = await browser.submit(path, { intent: 'confirm' }, { csrf: 'forged' });
      expect(refused.status).toBe(403);
      const html = await refused.text();
      expect(html).toContain('This page has expired');
      expect(html).toContain('+1 (555) 010-0100');
      expect(html).toContain('Harbor Health');
    },
  );
});
