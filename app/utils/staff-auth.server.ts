// Staff session cookie and the guards that every staff loader and action starts with.
import * as cookie from 'cookie';
import { redirect, type AppLoadContext } from '@remix-run/node';
import type { StaffRole } from '../../db/schema/staff.ts';
import type { ActiveStaffSession } from '../../identity/staff/staff-service.ts';

export const STAFF_COOKIE = 'cw_staff';

interface Args {
  request: Request;
  context: AppLoadContext;
}

export function staffCookie(context: AppLoadContext, token: string): string {
  return cookie.serialize(STAFF_COOKIE, token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: context.services.config.secure,
    path: '/staff',
  });
}

export function clearStaffCookie(context: AppLoadContext): string {
  return cookie.serialize(STAFF_COOKIE, '', {
    httpOnly: true,
    sameSite: 'lax',
    secure: context.services.config.secure,
    path: '/staff',
    maxAge: 0,
  });
}

export function readStaffToken(request: Request): string | undefined {
  return cookie.parse(request.headers.get('cookie') ?? '')[STAFF_COOKIE];
}

/**
 * The signed-in staff member, or a thrown redirect to sign-in (no session) or 403 (wrong role).
 * Admins are not implied: each page names every role it serves.
 */
export async function requireStaff(
  { request, context }: Args,
  roles: readonly StaffRole[] | 'any',
): Promise<ActiveStaffSession> {
  // The layout and the page loaders of one request share one lookup.
  context.staffSession ??= context.services.staff.getSession(readStaffToken(request), { touch: true });
  const active = await context.staffSession;
  if (!active || active.session.stage !== 'full') {
    const url = new URL(request.url);
    const params = new URLSearchParams({ next: url.pathname });
    if (!active && readStaffToken(request)) params.set('reason', 'ended');
    // A sign-in in progress keeps its cookie, so the person can finish it.
    const headers: HeadersInit = active ? {} : { 'Set-Cookie': clearStaffCookie(context) };
    throw redirect(`/staff/login?${params.toString()}`, { headers });
  }
  if (roles !== 'any' && !roles.includes(active.staff.role)) {
    await context.services.staff.recordAccessDenied(active, new URL(request.url).pathname);
    throw new Response('Your role does not give you access to this page.', { status: 403 });
  }
  return active;
}

/** A sign-in in progress at the given stage, or a redirect back to the first step. */
export async function requireStaffSignInStage(
  { request, context }: Args,
  stage: 'password' | 'new_password',
): Promise<ActiveStaffSession> {
  const active = await context.services.staff.getSession(readStaffToken(request));
  if (!active || active.session.stage !== stage) {
    throw redirect('/staff/login?reason=restart', { headers: { 'Set-Cookie': clearStaffCookie(context) } });
  }
  return active;
}

/** Only same-site paths under /staff are followed after sign-in: never an open redirect. */
export function safeStaffNext(value: FormDataEntryValue | string | null | undefined): string {
  if (typeof value !== 'string') return '/staff';
  return /^\/staff(\/[\w\-/]*)?$/.test(value) && !value.startsWith('/staff/login') ? value : '/staff';
}
