import { data, redirect, type ActionFunctionArgs } from '@remix-run/node';
import { z } from 'zod';
import { requireCsrf } from './csrf.server.ts';
import {
  clearStaffCookie,
  requireStaffSignInStage,
  safeStaffNext,
  staffCookie,
} from './staff-auth.server.ts';

export const codeSchema = z.object({ code: z.string().trim().min(1).max(12) });

/** Shared by the verify and enrol steps: both check a TOTP code and move the sign-in on. */
export async function verifyCodeAction(args: ActionFunctionArgs) {
  const { request, context } = args;
  const form = await request.formData();
  requireCsrf(request, form, context);
  const active = await requireStaffSignInStage(args, 'password');
  const parsed = codeSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success)
    return data({ error: 'Enter the 6-digit code from your authenticator app.' }, { status: 400 });
  const result = await context.services.staff.verifySecondFactor(active, parsed.data.code);
  if (!result.ok) {
    switch (result.reason) {
      case 'wrong_code':
        return data(
          { error: 'That code did not work. Codes change every 30 seconds: enter the newest one.' },
          { status: 401 },
        );
      case 'locked':
      case 'not_enrolling':
        throw redirect('/staff/login?reason=restart', {
          headers: { 'Set-Cookie': clearStaffCookie(context) },
        });
    }
  }
  const next = safeStaffNext(new URL(request.url).searchParams.get('next'));
  const target =
    result.next === 'new_password' ? `/staff/login/new-password?next=${encodeURIComponent(next)}` : next;
  return redirect(target, { headers: { 'Set-Cookie': staffCookie(context, result.token) } });
}
