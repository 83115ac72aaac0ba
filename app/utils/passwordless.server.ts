// Sign-in without a password, for routes: requesting a link or code, redeeming a code, the link
// pages (ours and the legacy platform's), and the legacy platform's session.
import * as cookie from 'cookie';
import { data, type AppLoadContext } from '@remix-run/node';
import { z } from 'zod';
import type { Amr } from '../../identity/patient-sessions.ts';
import type { LinkPageView, PasswordlessView } from '../components/patient-sign-in.tsx';
import { patientCookie, type PortalLogin } from './patient-auth.server.ts';

/** Set by "Not you?": this browser stops offering the legacy platform's session. */
export const SKIP_LEGACY_SESSION_COOKIE = 'cw_skip_legacy';

export type PasswordlessIntent = 'email-link' | 'sms-code';

export function isPasswordlessIntent(intent: unknown): intent is PasswordlessIntent {
  return intent === 'email-link' || intent === 'sms-code';
}

const identifierField = z.string().trim().max(254).catch('');

/** "Email me a sign-in link" / "Text me a code": the same answer whether or not an account exists. */
export async function requestFromForm(
  form: FormData,
  context: AppLoadContext,
  intent: PasswordlessIntent,
  origin: { interactionUid?: string; clientId?: string } = {},
) {
  const identifier = identifierField.parse(form.get('identifier') ?? '');
  const channel = intent === 'email-link' ? 'email' : 'sms';
  const result = await context.services.signInLinks.request({
    identifier,
    channel,
    address: context.clientAddress,
    ...origin,
  });
  if (result.ok) return data<PasswordlessView>({ view: 'code', channel, identifier });
  if (result.reason === 'invalid_identifier')
    return data<PasswordlessView>(
      { view: 'request-error', identifier, error: 'invalidIdentifier' },
      { status: 400 },
    );
  return data<PasswordlessView>(
    {
      view: 'request-error',
      identifier,
      error: 'tooManyRequests',
      minutes: Math.max(1, Math.ceil(result.retryAfterSeconds / 60)),
    },
    { status: 429, headers: { 'Retry-After': String(result.retryAfterSeconds) } },
  );
}

export type { LinkPageView };

/** Starts the portal session after a passwordless proof. */
export async function startSession(
  context: AppLoadContext,
  patientId: string,
  amr: Amr,
  firstSignIn: boolean,
): Promise<{ setCookie: string; login: PortalLogin; firstSignIn: boolean }> {
  const { token, session } = await context.services.patientSessions.start(patientId, amr, {
    welcomePending: firstSignIn,
  });
  return {
    setCookie: patientCookie(context, token),
    login: { patientId, amr, startedAt: session.createdAt },
    firstSignIn,
  };
}

/** The code the patient typed. A wrong one keeps the code form up with the error. */
export async function redeemCodeFromForm(form: FormData, context: AppLoadContext) {
  const identifier = identifierField.parse(form.get('identifier') ?? '');
  const code = z
    .string()
    .max(32)
    .catch('')
    .parse(form.get('code') ?? '');
  const channel = form.get('channel') === 'sms' ? 'sms' : 'email';
  if (!code.trim())
    return {
      ok: false as const,
      response: data<PasswordlessView>(
        { view: 'code', channel, identifier, codeError: 'missing' },
        { status: 400 },
      ),
    };
  const result = await context.services.signInLinks.redeemCode({
    identifier,
    code,
    address: context.clientAddress,
  });
  if (result.ok)
    return {
      ok: true as const,
      ...(await startSession(context, result.patientId, result.amr, result.firstSignIn)),
    };
  if (result.reason === 'too_many_attempts')
    return {
      ok: false as const,
      response: data(
        {
          view: 'request-error' as const,
          identifier,
          error: 'tooManyRequests' as const,
          minutes: Math.max(1, Math.ceil(result.retryAfterSeconds / 60)),
        },
        { status: 429, headers: { 'Retry-After': String(result.retryAfterSeconds) } },
      ),
    };
  return {
    ok: false as const,
    response: data<PasswordlessView>(
      { view: 'code', channel, identifier, codeError: 'invalid' },
      { status: 401 },
    ),
  };
}

export function linkStatus(view: LinkPageView): number {
  switch (view.view) {
    case 'confirm':
    case 'sent':
      return 200;
    case 'expired':
    case 'used':
    case 'ended':
      return 410;
    case 'invalid':
      return 404;
    case 'unavailable':
      return 403;
    case 'tooMany':
      return 429;
  }
}

/** Sends a new link to the patient behind a genuine but spent link. */
export async function resendFor(context: AppLoadContext, patientId: string | undefined) {
  const { signInLinks } = context.services;
  if (!patientId) return data<LinkPageView>({ view: 'invalid' }, { status: 404 });
  const result = await signInLinks.resend(patientId, context.clientAddress);
  if (!result.ok && result.reason === 'too_many_requests') {
    const view: LinkPageView = {
      view: 'tooMany',
      minutes: Math.max(1, Math.ceil(result.retryAfterSeconds / 60)),
    };
    return data(view, { status: 429, headers: { 'Retry-After': String(result.retryAfterSeconds) } });
  }
  return data<LinkPageView>({ view: 'sent', minutes: signInLinks.expiresMinutes });
}

/**
 * Where a browser goes after a link asked for inside a sign-in from the new platform: the browser that
 * holds that sign-in resumes it; another device continues through the client's initiate_login_uri
 * (see the interaction route), or lands on the account page.
 */
export function afterLinkSignIn(origin: { interactionUid: string; clientId: string | null }): string {
  const next = new URL(`/interaction/${encodeURIComponent(origin.interactionUid)}`, 'http://x');
  if (origin.clientId) next.searchParams.set('client', origin.clientId);
  return next.pathname + next.search;
}

/** The legacy platform's session in this browser, when it verifies and "Not you?" was not chosen. */
export async function legacySessionOffer(request: Request, context: AppLoadContext) {
  const bridge = context.services.legacySession;
  if (!bridge) return null;
  const cookies = cookie.parse(request.headers.get('cookie') ?? '');
  if (cookies[SKIP_LEGACY_SESSION_COOKIE]) return null;
  const value = cookies[bridge.cookieName];
  if (!value) return null;
  const verdict = await bridge.check(value);
  return verdict.ok ? verdict : null;
}

/** "Continue as …": signs in with the legacy session (checked again: the page may be old). */
export async function continueWithLegacySession(request: Request, context: AppLoadContext) {
  const offer = await legacySessionOffer(request, context);
  if (!offer) return null;
  const { firstSignIn } = await context.services.recordSignIn({
    patientId: offer.patientId,
    amr: 'legacy_session',
    detail: { authTime: offer.authTime.toISOString() },
  });
  context.services.metrics.passwordlessEvents.inc({ event: 'legacy_session_used' });
  return startSession(context, offer.patientId, 'legacy_session', firstSignIn);
}

/** "Not you?": this browser stops being offered the legacy session (it cannot clear the legacy cookie). */
export function skipLegacySessionCookie(context: AppLoadContext): string {
  return cookie.serialize(SKIP_LEGACY_SESSION_COOKIE, '1', {
    httpOnly: true,
    sameSite: 'lax',
    secure: context.services.config.secure,
    path: '/',
    maxAge: Math.floor(context.services.patientSessions.ttlMs / 1000),
  });
}
