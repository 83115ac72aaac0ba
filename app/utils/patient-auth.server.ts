// Patient sign-in for routes: reads the form, calls the sign-in service, sets the portal session.
import * as cookie from 'cookie';
import { data, type AppLoadContext } from '@remix-run/node';
import { z } from 'zod';
import { PATIENT_COOKIE, type ActivePatientSession } from '../../identity/patient-sessions.ts';
import type { WelcomeAnswers } from '../../identity/patient-welcome.ts';

export function readPatientToken(request: Request): string | undefined {
  return cookie.parse(request.headers.get('cookie') ?? '')[PATIENT_COOKIE];
}

export function patientCookie(context: AppLoadContext, token: string | null): string {
  return cookie.serialize(PATIENT_COOKIE, token ?? '', {
    httpOnly: true,
    sameSite: 'lax',
    secure: context.services.config.secure,
    path: '/',
    maxAge: token ? Math.floor(context.services.patientSessions.ttlMs / 1000) : 0,
  });
}

export async function currentPatient(
  request: Request,
  context: AppLoadContext,
): Promise<ActivePatientSession | null> {
  return context.services.patientSessions.find(readPatientToken(request));
}

/** Who signed in on the portal, how, and when: what the provider's login result needs. */
export interface PortalLogin {
  patientId: string;
  amr: string;
  startedAt: Date;
}

export function portalLogin(active: ActivePatientSession): PortalLogin {
  return { patientId: active.patient.id, amr: active.session.amr, startedAt: active.session.createdAt };
}

export type SignInError =
  | { code: 'missingIdentifier' | 'missingPassword' | 'invalid' | 'locked' | 'busy' }
  | { code: 'tooMany'; minutes: number };

const signInForm = z.object({
  identifier: z.string().trim().max(254).default(''),
  password: z.string().max(4096).default(''),
});

/** The password step; on success a portal session is started and its cookie returned. */
export async function signInWithPasswordForm(
  form: FormData,
  context: AppLoadContext,
): Promise<
  | { ok: true; setCookie: string; firstSignIn: boolean; login: PortalLogin }
  | { ok: false; error: SignInError; status: number; headers?: Record<string, string>; identifier: string }
> {
  const parsed = signInForm.parse({
    identifier: form.get('identifier') ?? undefined,
    password: form.get('password') ?? undefined,
  });
  const fail = (error: SignInError, status: number, headers?: Record<string, string>) => ({
    ok: false as const,
    error,
    status,
    headers,
    identifier: parsed.identifier,
  });
  if (!parsed.identifier) return fail({ code: 'missingIdentifier' }, 400);
  if (!parsed.password) return fail({ code: 'missingPassword' }, 400);
  const result = await context.services.patientSignIn.signInWithPassword({
    identifier: parsed.identifier,
    password: parsed.password,
    address: context.clientAddress,
  });
  if (!result.ok) {
    switch (result.reason) {
      case 'too_many_attempts':
        return fail(
          { code: 'tooMany', minutes: Math.max(1, Math.ceil(result.retryAfterSeconds / 60)) },
          429,
          {
            'Retry-After': String(result.retryAfterSeconds),
          },
        );
      case 'busy':
        return fail({ code: 'busy' }, 429, { 'Retry-After': '5' });
      case 'locked':
        return fail({ code: 'locked' }, 403);
      default:
        // A shared identifier gets the same answer as a wrong password; the help line is on both.
        return fail({ code: 'invalid' }, 401);
    }
  }
  const { token, session } = await context.services.patientSessions.start(result.patientId, result.amr, {
    welcomePending: result.firstSignIn,
  });
  return {
    ok: true,
    setCookie: patientCookie(context, token),
    firstSignIn: result.firstSignIn,
    login: { patientId: result.patientId, amr: result.amr, startedAt: session.createdAt },
  };
}

/** Renders a failed sign-in with its status and any Retry-After. */
export function signInFailure(failure: {
  error: SignInError;
  status: number;
  headers?: Record<string, string>;
  identifier: string;
}) {
  return data(
    { error: failure.error, identifier: failure.identifier },
    { status: failure.status, headers: failure.headers },
  );
}

const welcomeForm = z.object({
  contactCorrect: z.enum(['yes', 'no']).optional(),
  newPassword: z.string().max(4096).optional(),
  confirmPassword: z.string().max(4096).optional(),
  locale: z.enum(['en', 'es']).optional(),
});

const welcomeProblems = {
  too_short: 'tooShort',
  too_long: 'tooLong',
  common: 'common',
  mismatch: 'mismatch',
} as const;

/**
 * The welcome step's answer (intent `welcome`) or its skip (any other intent). On success the step is
 * done for this session; a refused new password comes back as the message key to show.
 */
export async function answerWelcome(
  form: FormData,
  context: AppLoadContext,
  active: ActivePatientSession,
): Promise<{ ok: true } | { ok: false; problem: (typeof welcomeProblems)[keyof typeof welcomeProblems] }> {
  if (form.get('intent') === 'welcome') {
    const outcome = await context.services.patientWelcome.complete(active.patient.id, readWelcomeForm(form));
    if (!outcome.ok) return { ok: false, problem: welcomeProblems[outcome.problem] };
  } else {
    await context.services.patientWelcome.skip(active.patient.id);
  }
  await context.services.patientSessions.welcomeDone(active.session.id);
  return { ok: true };
}

function readWelcomeForm(form: FormData): WelcomeAnswers {
  const value = (name: string) => {
    const v = form.get(name);
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const parsed = welcomeForm.safeParse({
    contactCorrect: value('contactCorrect'),
    newPassword: value('newPassword'),
    confirmPassword: value('confirmPassword'),
    locale: value('locale'),
  });
  return parsed.success ? parsed.data : {};
}

/** Contact details the welcome step shows the patient (their own). */
export function welcomeView(active: ActivePatientSession) {
  return {
    email: active.patient.email,
    phone: active.patient.phone,
    locale: active.patient.locale,
    givenName: active.patient.givenName,
  };
}
