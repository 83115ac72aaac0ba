// Drives OIDC flows the way a relying party and a patient's browser would: openid-client on one side,
// the real sign-in pages on the other.
import bcrypt from 'bcrypt';
import * as oidc from 'openid-client';
import { expect } from 'vitest';
import { patientCredentials, patients } from '../../db/schema/index.ts';
import { addClient, type NewClient } from '../../identity/oidc/clients.ts';
import { csrfFrom, type TestBrowser, type TestApp } from './app.ts';
import { authorizationRequest, REDIRECT_URI, RP, type Started } from './authorization.ts';

export { authorizationRequest, REDIRECT_URI, RP, type Started } from './authorization.ts';

/** A patient as a legacy export brings them: a bcrypt hash from the old platform. */
export async function legacyPatient(
  app: TestApp,
  input: {
    legacyId: string;
    email?: string;
    phone?: string;
    password: string;
    givenName?: string;
    /** bcrypt cost; 4 keeps tests quick, a higher one makes each verification take a while. */
    cost?: number;
  },
) {
  const [row] = await app.database.db
    .insert(patients)
    .values({
      legacyId: input.legacyId,
      newPlatformId: `np-${input.legacyId}`,
      email: input.email ?? null,
      emailNormalized: input.email?.toLowerCase() ?? null,
      emailVerified: Boolean(input.email),
      phone: input.phone ?? null,
      givenName: input.givenName ?? 'Maria',
      familyName: 'Lopez',
      birthDate: '1980-02-03',
    })
    .returning();
  await app.database.db.insert(patientCredentials).values({
    patientId: row!.id,
    family: 'bcrypt',
    encoded: await bcrypt.hash(input.password, input.cost ?? 4),
    origin: 'legacy',
  });
  return row!;
}

export async function relyingParty(app: TestApp, client: Partial<NewClient> = {}) {
  const created = await addClient(app.database.db, app.services.cipher, {
    name: 'New platform',
    redirectUris: [REDIRECT_URI],
    postLogoutRedirectUris: [`${RP}/`],
    initiateLoginUri: `${RP}/launch`,
    type: 'confidential',
    firstParty: true,
    ...client,
  });
  await app.services.oidc.refresh();
  const config = await oidc.discovery(
    new URL(app.services.oidc.issuer),
    created.clientId,
    undefined,
    created.clientSecret ? oidc.ClientSecretBasic(created.clientSecret) : oidc.None(),
    { execute: [oidc.allowInsecureRequests] },
  );
  return { ...created, config };
}

/**
 * Follows the browser through redirects on the portal until it is sent back to the relying party
 * (returned) or lands on a page (returned, with its HTML).
 */
export async function follow(browser: TestBrowser, start: string) {
  let location = start;
  for (let hops = 0; hops < 10; hops++) {
    if (location.startsWith(RP)) return { callback: new URL(location) };
    const response = await browser.get(new URL(location, browser.base).href.replace(browser.base, ''));
    const next = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && next) {
      location = next;
      continue;
    }
    return { page: response, html: await response.text(), path: new URL(location, browser.base).pathname };
  }
  throw new Error('too many redirects');
}

/** Posts a form on the current interaction page, then follows where it leads. */
export async function submitOn(
  browser: TestBrowser,
  path: string,
  html: string,
  fields: Record<string, string>,
) {
  const response = await browser.submit(path, fields, { csrf: csrfFrom(html) });
  const next = response.headers.get('location');
  if (response.status >= 300 && response.status < 400 && next)
    return { response, ...(await follow(browser, next)) };
  return { response, page: response, html: await response.text(), path };
}

/** Authorize → password → (welcome skipped) → back at the relying party with a code. */
export async function signInThrough(
  browser: TestBrowser,
  config: oidc.Configuration,
  credentials: { identifier: string; password: string },
  extra: Record<string, string> = {},
) {
  const started = await authorizationRequest(config, extra);
  let step = await follow(browser, started.url.href.replace(browser.base, ''));
  if (step.page) {
    expect(step.path).toMatch(/^\/interaction\//);
    if (step.html.includes('name="password"'))
      step = await submitOn(browser, step.path, step.html, { intent: 'password', ...credentials });
    if (step.page && step.html.includes('skip-welcome'))
      step = await submitOn(browser, step.path!, step.html!, { intent: 'skip-welcome' });
  }
  if (!step.callback) throw new Error(`no redirect back to the client; page: ${step.html?.slice(0, 400)}`);
  return { ...started, callback: step.callback };
}

export async function redeem(config: oidc.Configuration, flow: Started & { callback: URL }) {
  return oidc.authorizationCodeGrant(config, flow.callback, {
    pkceCodeVerifier: flow.verifier,
    expectedState: flow.state,
    expectedNonce: flow.nonce,
  });
}
