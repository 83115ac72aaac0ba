// The catch-all's side of the preserved patient URL: who is asking (their cohort's phase), where the
// URL rules send them, and the deep link an anonymous visitor resumes after signing in.
import * as cookie from 'cookie';
import { eq } from 'drizzle-orm';
import { redirect, type AppLoadContext } from '@remix-run/node';
import { cohorts } from '../../db/schema/index.ts';
import type { RouteDecision } from '../../identity/url-rules/router.ts';
import { readHops } from '../../identity/url-rules/targets.ts';
import { currentPatient } from './patient-auth.server.ts';

/** The page an anonymous visitor asked for, resumed after they sign in (this browser only). */
export const RESUME_COOKIE = 'cw_resume';
const RESUME_MINUTES = 30;

/** Only a path on this portal: never another host (`//evil`, `/\evil`), never a scheme. */
export function safeResumePath(value: string | undefined): string | null {
  if (!value || value.length > 2048) return null;
  if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return null;
  if ([...value].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) return null;
  try {
    const url = new URL(value, 'http://portal.invalid');
    return url.origin === 'http://portal.invalid' ? url.pathname + url.search : null;
  } catch {
    return null;
  }
}

export function resumeCookie(context: AppLoadContext, to: string | null): string {
  return cookie.serialize(RESUME_COOKIE, to ?? '', {
    httpOnly: true,
    sameSite: 'lax',
    secure: context.services.config.secure,
    path: '/',
    maxAge: to ? RESUME_MINUTES * 60 : 0,
  });
}

/**
 * Where a patient goes once signed in: the deep link they were asked to sign in for, if any (and the
 * cookie that held it is cleared), else `fallback`. A first sign-in passes through the welcome step,
 * which comes back here when it is done.
 */
export function afterSignIn(
  request: Request,
  context: AppLoadContext,
  fallback: string,
  setCookies: string[] = [],
): Response {
  const resume = safeResumePath(cookie.parse(request.headers.get('cookie') ?? '')[RESUME_COOKIE]);
  const headers = new Headers();
  for (const value of setCookies) headers.append('Set-Cookie', value);
  const to = fallback === '/welcome' || !resume ? fallback : resume;
  if (resume && to === resume) headers.append('Set-Cookie', resumeCookie(context, null));
  return redirect(to, { headers });
}

/** The URL rules' answer for this request and this patient (or an anonymous visitor). */
export async function routeLegacyPath(request: Request, context: AppLoadContext): Promise<RouteDecision> {
  const url = new URL(request.url);
  const active = await currentPatient(request, context);
  let patient = null;
  if (active) {
    const [cohort] = active.patient.cohortId
      ? await context.services.database.db
          .select({ phase: cohorts.phase, finalAt: cohorts.finalAt })
          .from(cohorts)
          .where(eq(cohorts.id, active.patient.cohortId))
      : [];
    patient = { cohortPhase: cohort?.phase ?? null, cohortFinal: Boolean(cohort?.finalAt) };
  }
  return context.services.urlRouter.route({
    path: url.pathname,
    search: url.search,
    method: request.method,
    patient,
    hops: readHops(url.search),
  });
}
