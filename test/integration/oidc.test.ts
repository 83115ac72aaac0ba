// The OIDC provider end to end: openid-client as the relying party, the real sign-in pages as the patient.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { eq, sql } from 'drizzle-orm';
import * as oidc from 'openid-client';
import { auditEvents, cohorts, oidcPayloads, patients, patientSessions } from '../../db/schema/index.ts';
import { closeOffThreadPool } from '../../identity/credentials/offthread.ts';
import { startTestApp, TestBrowser, type TestApp } from '../support/app.ts';
import {
  authorizationRequest,
  follow,
  legacyPatient,
  redeem,
  relyingParty,
  REDIRECT_URI,
  RP,
  signInThrough,
  submitOn,
} from '../support/oidc.ts';

const PASSWORD = 'Legacy-Password-1';
const providerNotices: string[] = [];
let app: TestApp;
let rp: Awaited<ReturnType<typeof relyingParty>>;

beforeAll(async () => {
  for (const method of ['warn', 'info', 'log', 'error'] as const) {
    const original = console[method].bind(console);
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      if (args.some((a) => String(a).includes('oidc-provider')))
        providerNotices.push(args.map(String).join(' '));
      original(...args);
    });
  }
  app = await startTestApp(
    { NEW_PLATFORM_FHIR_BASE_URL: 'https://fhir.example.org/r4' },
    { realClock: true },
  );
  rp = await relyingParty(app);
});
afterAll(async () => {
  await app?.close();
  await closeOffThreadPool();
  vi.restoreAllMocks();
});

let counter = 0;
async function newPatient() {
  counter += 1;
  return legacyPatient(app, {
    legacyId: `L-${counter}`,
    email: `patient${counter}@example.org`,
    password: PASSWORD,
  });
}

describe('discovery', () => {
  it('publishes a code-only, PKCE-S256 provider with iss in authorization responses', () => {
    const meta = rp.config.serverMetadata();
    expect(meta.issuer).toBe(`${app.url}/oidc`);
    expect(meta.response_types_supported).toEqual(['code']);
    expect(meta.code_challenge_methods_supported).toEqual(['S256']);
    expect(meta.grant_types_supported).toEqual(
      expect.arrayContaining(['authorization_code', 'refresh_token']),
    );
    expect(meta.grant_types_supported).not.toContain('implicit');
    expect(meta.grant_types_supported).not.toContain('password');
    expect(meta.authorization_response_iss_parameter_supported).toBe(true);
    expect(meta.scopes_supported).toEqual(expect.arrayContaining(['openid', 'patient', 'offline_access']));
    expect(meta.revocation_endpoint).toBeDefined();
    expect(meta.introspection_endpoint).toBeDefined();
    expect(meta.end_session_endpoint).toBeDefined();
  });
});

describe('sign-in with the legacy password', () => {
  it('shows the welcome step once, then hands the patient over with the claims of DESIGN §4.6', async () => {
    const patient = await newPatient();
    const browser = new TestBrowser(app.url);
    const started = await authorizationRequest(rp.config);
    const login = await follow(browser, started.url.href.replace(app.url, ''));
    if (login.page?.status !== 200) console.error(login.html);
    expect(login.page?.status).toBe(200);
    expect(login.html).toContain('name="password"');
    expect(login.html).toContain('New platform');

    const welcome = await submitOn(browser, login.path!, login.html!, {
      intent: 'password',
      identifier: patient.email!.toUpperCase(),
      password: PASSWORD,
    });
    expect(welcome.html).toContain('skip-welcome');
    expect(welcome.html).toContain(patient.email);

    const done = await submitOn(browser, welcome.path!, welcome.html!, { intent: 'skip-welcome' });
    expect(done.callback?.href.startsWith(REDIRECT_URI)).toBe(true);
    expect(done.callback!.searchParams.get('iss')).toBe(`${app.url}/oidc`);

    const tokens = await redeem(rp.config, { ...started, callback: done.callback! });
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(patient.id);
    expect(claims.amr).toEqual(['legacy_pwd']);
    expect(tokens.refresh_token).toBeTruthy();
    const info = await oidc.fetchUserInfo(rp.config, tokens.access_token, patient.id);
    expect(info).toMatchObject({
      sub: patient.id,
      email: patient.email,
      email_verified: true,
      given_name: 'Maria',
      family_name: 'Lopez',
      birthdate: '1980-02-03',
      locale: 'en',
      legacy_id: patient.legacyId,
      new_platform_id: patient.newPlatformId,
      fhirUser: `https://fhir.example.org/r4/Patient/${patient.newPlatformId}`,
    });

    const [after] = await app.database.db.select().from(patients).where(eq(patients.id, patient.id));
    expect(after!.state).toBe('bridged');

    // The next sign-in needs no password: the provider's session carries it, no welcome again.
    const again = await authorizationRequest(rp.config);
    const second = await follow(browser, again.url.href.replace(app.url, ''));
    expect(second.callback).toBeDefined();
    const claims2 = (await redeem(rp.config, { ...again, callback: second.callback! })).claims()!;
    expect(claims2.sub).toBe(patient.id);
  });
});

async function signedInTokens(config = rp.config) {
  const patient = await newPatient();
  const browser = new TestBrowser(app.url);
  const flow = await signInThrough(browser, config, { identifier: patient.email!, password: PASSWORD });
  return { patient, browser, flow, tokens: await redeem(config, flow) };
}

describe('tokens', () => {
  it('rotates refresh tokens, and a reused one revokes the whole grant', async () => {
    const { tokens } = await signedInTokens();
    const first = tokens.refresh_token!;
    const rotated = await oidc.refreshTokenGrant(rp.config, first);
    expect(rotated.refresh_token).toBeTruthy();
    expect(rotated.refresh_token).not.toBe(first);
    expect(rotated.claims()?.amr).toEqual(['legacy_pwd']);

    await expect(oidc.refreshTokenGrant(rp.config, first)).rejects.toMatchObject({ error: 'invalid_grant' });
    // The reuse looked like theft: the token the legitimate holder got is revoked too.
    await expect(oidc.refreshTokenGrant(rp.config, rotated.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    expect((await oidc.tokenIntrospection(rp.config, rotated.access_token)).active).toBe(false);
  });

  it('introspects and revokes access tokens for the client they were issued to', async () => {
    const { tokens, patient } = await signedInTokens();
    const active = await oidc.tokenIntrospection(rp.config, tokens.access_token);
    expect(active).toMatchObject({ active: true, sub: patient.id, client_id: rp.clientId });

    const other = await relyingParty(app, { name: 'Another app' });
    expect((await oidc.tokenIntrospection(other.config, tokens.access_token)).active).toBe(false);

    await oidc.tokenRevocation(rp.config, tokens.access_token);
    expect((await oidc.tokenIntrospection(rp.config, tokens.access_token)).active).toBe(false);
    await expect(oidc.fetchUserInfo(rp.config, tokens.access_token, patient.id)).rejects.toThrow();
  });

  it('redeems one code exactly once when 10 requests race for it', async () => {
    const patient = await newPatient();
    const flow = await signInThrough(new TestBrowser(app.url), rp.config, {
      identifier: patient.email!,
      password: PASSWORD,
    });
    const code = flow.callback.searchParams.get('code')!;
    const meta = rp.config.serverMetadata();
    const basic = `Basic ${Buffer.from(`${encodeURIComponent(rp.clientId)}:${encodeURIComponent(rp.clientSecret!)}`).toString('base64')}`;
    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        fetch(meta.token_endpoint!, {
          method: 'POST',
          headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            code,
            redirect_uri: REDIRECT_URI,
            code_verifier: flow.verifier,
          }),
        }),
      ),
    );
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(9);
  });
});

describe('refusals', () => {
  it('refuses an unregistered redirect URI without redirecting anywhere', async () => {
    const browser = new TestBrowser(app.url);
    const { url } = await authorizationRequest(rp.config, { redirect_uri: 'https://evil.example/callback' });
    const response = await browser.get(url.href.replace(app.url, ''));
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('redirect_uri');
  });

  it('refuses an authorization request without a PKCE challenge', async () => {
    const browser = new TestBrowser(app.url);
    const { url } = await authorizationRequest(rp.config);
    url.searchParams.delete('code_challenge');
    url.searchParams.delete('code_challenge_method');
    const response = await browser.get(url.href.replace(app.url, ''));
    const location = new URL(response.headers.get('location')!);
    expect(location.href.startsWith(REDIRECT_URI)).toBe(true);
    expect(location.searchParams.get('error')).toBe('invalid_request');
  });

  it('refuses a plain PKCE challenge and an unsigned (alg: none) request object', async () => {
    const browser = new TestBrowser(app.url);
    const plain = await authorizationRequest(rp.config, { code_challenge_method: 'plain' });
    const refused = new URL(
      (await browser.get(plain.url.href.replace(app.url, ''))).headers.get('location')!,
    );
    expect(refused.searchParams.get('error')).toBe('invalid_request');

    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'oauth-authz-req+jwt' })).toString(
      'base64url',
    );
    const claims = Buffer.from(
      JSON.stringify({
        client_id: rp.clientId,
        redirect_uri: REDIRECT_URI,
        scope: 'openid',
        response_type: 'code',
      }),
    ).toString('base64url');
    const withRequest = await authorizationRequest(rp.config, { request: `${header}.${claims}.` });
    const answer = await browser.get(withRequest.url.href.replace(app.url, ''));
    const error = new URL(answer.headers.get('location')!).searchParams.get('error');
    expect(error).toBe('request_not_supported');
  });

  it('refuses a wrong PKCE verifier, a wrong client secret, and a reused code (revoking its tokens)', async () => {
    const patient = await newPatient();
    const browser = new TestBrowser(app.url);
    const flow = await signInThrough(browser, rp.config, { identifier: patient.email!, password: PASSWORD });
    await expect(
      redeem(rp.config, { ...flow, verifier: oidc.randomPKCECodeVerifier() }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });

    const flow2 = await signInThrough(browser, rp.config, { identifier: patient.email!, password: PASSWORD });
    const wrongSecret = await oidc.discovery(
      new URL(app.services.oidc.issuer),
      rp.clientId,
      undefined,
      oidc.ClientSecretBasic('not-the-secret'),
      { execute: [oidc.allowInsecureRequests] },
    );
    await expect(redeem(wrongSecret, flow2)).rejects.toMatchObject({
      status: 401,
      cause: [{ scheme: 'basic', parameters: { error: 'invalid_client' } }],
    });

    const flow3 = await signInThrough(browser, rp.config, { identifier: patient.email!, password: PASSWORD });
    const tokens = await redeem(rp.config, flow3);
    await expect(redeem(rp.config, flow3)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await oidc.tokenIntrospection(rp.config, tokens.access_token)).active).toBe(false);
    await expect(oidc.refreshTokenGrant(rp.config, tokens.refresh_token!)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });

  it('explains an expired sign-in page and offers to start again', async () => {
    const browser = new TestBrowser(app.url);
    const { url } = await authorizationRequest(rp.config);
    const page = await follow(browser, url.href.replace(app.url, ''));
    const uid = page.path!.split('/').pop()!;
    await app.database.db
      .update(oidcPayloads)
      .set({ payload: sql`jsonb_set(${oidcPayloads.payload}, '{exp}', to_jsonb(1))` })
      .where(eq(oidcPayloads.id, uid));
    const expired = await browser.get(page.path!);
    expect(expired.status).toBe(410);
    const html = await expired.text();
    expect(html).toContain('This sign-in page has expired');
    expect(html).toContain('href="/login"');
  });
});

describe('consent and sign-out', () => {
  it('asks a third-party client for consent in plain words; "Do not allow" returns access_denied', async () => {
    const thirdParty = await relyingParty(app, { name: 'Pharmacy app', firstParty: false });
    const patient = await newPatient();
    const browser = new TestBrowser(app.url);
    const flow = await authorizationRequest(thirdParty.config, { scope: 'openid email' });
    let step = await follow(browser, flow.url.href.replace(app.url, ''));
    step = await submitOn(browser, step.path!, step.html!, {
      intent: 'password',
      identifier: patient.email!,
      password: PASSWORD,
    });
    step = await submitOn(browser, step.path!, step.html!, { intent: 'skip-welcome' });
    expect(step.html).toContain('Share your information with Pharmacy app?');
    expect(step.html).toContain('Your email address');
    const denied = await submitOn(browser, step.path!, step.html!, { intent: 'deny' });
    expect(denied.callback?.searchParams.get('error')).toBe('access_denied');

    const again = await authorizationRequest(thirdParty.config, { scope: 'openid email' });
    const consent = await follow(browser, again.url.href.replace(app.url, ''));
    expect(consent.html).toContain('Pharmacy app');
    const allowed = await submitOn(browser, consent.path!, consent.html!, { intent: 'allow' });
    const tokens = await redeem(thirdParty.config, { ...again, callback: allowed.callback! });
    expect(tokens.claims()?.sub).toBe(patient.id);
    const audit = await app.database.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, 'oidc.consent_given'));
    expect(audit.some((e) => e.subjectId === patient.id)).toBe(true);
  });

  it('RP-initiated logout ends the provider session and the portal session', async () => {
    const { browser, tokens } = await signedInTokens();
    const homePage = await browser.get('/');
    expect(homePage.headers.get('cache-control')).toBe('private, no-store');
    const home = await homePage.text();
    expect(home).toContain('You are signed in as Maria');
    const end = oidc.buildEndSessionUrl(rp.config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: `${RP}/`,
    });
    const confirm = await browser.get(end.href.replace(app.url, ''));
    const html = await confirm.text();
    expect(html).toContain('Sign out?');
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)![1]!;
    const action = /action="([^"]+)"/.exec(html)![1]!;
    const done = await browser.request(new URL(action, app.url).pathname, {
      method: 'POST',
      body: new URLSearchParams({ xsrf, logout: 'yes' }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: app.url },
    });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(`${RP}/`);
    expect(await (await browser.get('/')).text()).not.toContain('You are signed in');
    // The next authorization asks for the password again.
    const next = await authorizationRequest(rp.config);
    const page = await follow(browser, next.url.href.replace(app.url, ''));
    expect(page.html).toContain('name="password"');
  });
});

describe('the portal sign-in page', () => {
  it('signs in at /login, runs the welcome step (refusing a common password), and links to the new platform', async () => {
    const patient = await newPatient();
    // The home page offers the new platform once the patient's cohort is on it (pilot onwards).
    const [cohort] = await app.database.db
      .insert(cohorts)
      .values({ name: `Pilot ${patient.id}`, phase: 'pilot' })
      .returning();
    await app.database.db.update(patients).set({ cohortId: cohort!.id }).where(eq(patients.id, patient.id));
    const browser = new TestBrowser(app.url);
    const login = await browser.get('/login');
    const html = await login.text();
    expect(html).toContain('Email or phone number');
    const signedIn = await browser.submit(
      '/login',
      { intent: 'password', identifier: patient.email!, password: PASSWORD },
      { csrf: /name="csrf" value="([^"]+)"/.exec(html)![1]! },
    );
    expect(signedIn.headers.get('location')).toBe('/welcome');
    const welcome = await (await browser.get('/welcome')).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(welcome)![1]!;
    const common = await browser.submit(
      '/welcome',
      { intent: 'welcome', newPassword: 'password1', confirmPassword: 'password1', contactCorrect: 'yes' },
      { csrf },
    );
    expect(common.status).toBe(400);
    expect(await common.text()).toContain('too common');
    const saved = await browser.submit(
      '/welcome',
      {
        intent: 'welcome',
        newPassword: 'Quiet-Harbor-Lamp-7',
        confirmPassword: 'Quiet-Harbor-Lamp-7',
        locale: 'es',
        contactCorrect: 'no',
      },
      { csrf },
    );
    expect(saved.headers.get('location')).toBe('/');
    const home = await (await browser.get('/')).text();
    expect(home).toContain(
      `${RP}/launch?iss=${encodeURIComponent(app.services.oidc.issuer)}`.replace(/&/g, '&amp;'),
    );
    const [row] = await app.database.db.select().from(patients).where(eq(patients.id, patient.id));
    expect(row!.locale).toBe('es');
    // "Something is wrong" with the contact details puts the record in front of support.
    expect(row!.flags).toContain('contact_review');

    // The new password works from now on, and the portal session carries the patient through the provider,
    // unless the client asks for a sign-in fresher than the portal's (max_age) or a new one (prompt=login).
    const flow = await authorizationRequest(rp.config);
    const through = await follow(browser, flow.url.href.replace(app.url, ''));
    expect(through.callback).toBeDefined();
    // A portal sign-in from an hour ago does not satisfy max_age=60 (completing it would loop).
    await app.database.db
      .update(patientSessions)
      .set({ createdAt: sql`now() - interval '1 hour'` })
      .where(eq(patientSessions.patientId, patient.id));
    const elsewhere = new TestBrowser(app.url);
    elsewhere.setCookie('cw_patient', browser.cookie('cw_patient')!);
    const fresher = await authorizationRequest(rp.config, { max_age: '60' });
    expect((await follow(elsewhere, fresher.url.href.replace(app.url, ''))).html).toContain(
      'name="password"',
    );
    const recent = await authorizationRequest(rp.config, { max_age: '7200' });
    expect((await follow(elsewhere, recent.url.href.replace(app.url, ''))).callback).toBeDefined();
    const forced = await authorizationRequest(rp.config, { prompt: 'login consent' });
    expect((await follow(browser, forced.url.href.replace(app.url, ''))).html).toContain('name="password"');
    const fresh = await signInThrough(new TestBrowser(app.url), rp.config, {
      identifier: patient.email!,
      password: 'Quiet-Harbor-Lamp-7',
    });
    expect((await redeem(rp.config, fresh)).claims()?.amr).toEqual(['pwd']);
  });

  it('answers a wrong password and an unknown identifier alike, in English and Spanish', async () => {
    const patient = await newPatient();
    const browser = new TestBrowser(app.url);
    const html = await (await browser.get('/login')).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
    const wrong = await browser.submit('/login', { identifier: patient.email!, password: 'nope' }, { csrf });
    const unknown = await browser.submit(
      '/login',
      { identifier: 'nobody@example.org', password: 'nope' },
      { csrf },
    );
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    // Apart from the per-response nonce and the echoed identifier, the two pages are the same.
    const strip = (s: string) =>
      s
        .replace(/(value|nonce)="[^"]*"/g, '')
        .replaceAll(patient.email!, 'X')
        .replaceAll('nobody@example.org', 'X');
    expect(strip(await wrong.text())).toBe(strip(await unknown.text()));
    const spanish = await browser.submit(
      '/login?lng=es',
      { identifier: patient.email!, password: 'nope' },
      { csrf },
    );
    expect(await spanish.text()).toContain('no coinciden con nuestros registros');
  });
});

describe('the portal sign-out', () => {
  it('ends the portal session and the provider session in this browser', async () => {
    const { browser } = await signedInTokens();
    const home = await (await browser.get('/')).text();
    expect(home).toContain('You are signed in as Maria');
    const out = await browser.submit('/logout', {}, { csrf: /name="csrf" value="([^"]+)"/.exec(home)![1]! });
    expect(out.headers.get('location')).toBe('/?signed_out=1');
    const after = await (await browser.get('/?signed_out=1')).text();
    expect(after).toContain('You are signed out.');
    expect(after).not.toContain('You are signed in');
    const next = await authorizationRequest(rp.config);
    const page = await follow(browser, next.url.href.replace(app.url, ''));
    expect(page.html).toContain('name="password"');
  });
});

describe('keys', () => {
  it('publishes a rotated signing key before it signs, then signs with it', async () => {
    const { rotateSigningKey } = await import('../../identity/oidc/keys.ts');
    const jwks = async () =>
      (
        (await (await fetch(rp.config.serverMetadata().jwks_uri!)).json()) as { keys: { kid: string }[] }
      ).keys.map((k) => k.kid);
    const before = await jwks();
    const soon = await rotateSigningKey(app.database.db, app.services.cipher, { publishLeadMs: 60 * 60_000 });
    await app.services.oidc.refresh();
    expect(await jwks()).toEqual([...before, soon.kid]);
    const { tokens } = await signedInTokens();
    const kidOf = (jwt: string) =>
      (JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
    expect(kidOf(tokens.id_token!)).toBe(before[0]);

    const now = await rotateSigningKey(app.database.db, app.services.cipher, { publishLeadMs: 0 });
    await app.services.oidc.refresh();
    const after = await signedInTokens();
    expect(kidOf(after.tokens.id_token!)).toBe(now.kid);
    // The previous signer is still published, so tokens it signed still verify.
    expect(await jwks()).toEqual(expect.arrayContaining([before[0], now.kid]));
  });
});

describe('cookie keys', () => {
  it('rotates cookie keys without breaking a sign-in already under way', async () => {
    const { rotateCookieKey } = await import('../../identity/oidc/keys.ts');
    const patient = await newPatient();
    const browser = new TestBrowser(app.url);
    const started = await authorizationRequest(rp.config);
    const page = await follow(browser, started.url.href.replace(app.url, ''));
    await rotateCookieKey(app.database.db, app.services.cipher);
    await app.services.oidc.refresh();
    let step = await submitOn(browser, page.path!, page.html!, {
      intent: 'password',
      identifier: patient.email!,
      password: PASSWORD,
    });
    step = await submitOn(browser, step.path!, step.html!, { intent: 'skip-welcome' });
    expect(step.callback).toBeDefined();
    expect((await redeem(rp.config, { ...started, callback: step.callback! })).claims()?.sub).toBe(
      patient.id,
    );
  });
});

describe('the provider', () => {
  it('counts authorizations, tokens by grant type and refusals on /metrics', async () => {
    const text = await (await fetch(`${app.url}/metrics`)).text();
    const count = (event: string) =>
      Number(new RegExp(`causeway_oidc_events_total\\{event="${event}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
    expect(count('authorization')).toBeGreaterThan(5);
    expect(count('token_authorization_code')).toBeGreaterThan(5);
    expect(count('token_refresh_token')).toBeGreaterThan(0);
    expect(count('token_refused')).toBeGreaterThan(0);
    expect(count('signed_out')).toBeGreaterThan(0);
  });

  it('printed no oidc-provider WARNING or NOTICE in this whole file', () => {
    expect(providerNotices).toEqual([]);
  });
});
