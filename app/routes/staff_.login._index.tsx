import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node';
import { Form, useActionData, useLoaderData, useNavigation } from '@remix-run/react';
import { z } from 'zod';
import { CsrfInput } from '../components/csrf-input.tsx';
import { FormError } from '../components/form-error.tsx';
import { StaffCard } from '../components/staff-card.tsx';
import { requireCsrf } from '../utils/csrf.server.ts';
import { readStaffToken, safeStaffNext, staffCookie } from '../utils/staff-auth.server.ts';
import { signInHeaders } from '../utils/headers.ts';

export const meta: MetaFunction = () => [{ title: 'Staff sign-in' }];

export const headers = signInHeaders;

export const signInSchema = z.object({
  email: z.string().trim().min(1).max(254),
  password: z.string().min(1).max(1024),
});

const notices = {
  ended: 'Your session ended. Please sign in again.',
  idle: 'You were signed out after a period of no activity. Please sign in again.',
  restart: 'Please start signing in again.',
  signed_out: 'You are signed out.',
} as const;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const active = await context.services.staff.getSession(readStaffToken(request));
  const url = new URL(request.url);
  if (active?.session.stage === 'full') throw redirect(safeStaffNext(url.searchParams.get('next')));
  const reason = url.searchParams.get('reason');
  return { notice: reason && reason in notices ? notices[reason as keyof typeof notices] : null };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  requireCsrf(request, form, context);
  const parsed = signInSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) return data({ error: 'Enter your work email and your password.' }, { status: 400 });
  const result = await context.services.staff.startSignIn({
    ...parsed.data,
    userAgent: request.headers.get('user-agent'),
  });
  if (!result.ok) {
    switch (result.reason) {
      case 'invalid_credentials':
        return data(
          { error: 'That email and password do not match an active staff account.' },
          { status: 401 },
        );
      case 'locked': {
        const minutes = Math.max(1, Math.ceil((result.retryAfterMs ?? 0) / 60_000));
        return data(
          {
            error: `This account is locked after too many attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}, or ask an admin.`,
          },
          { status: 429, headers: { 'Retry-After': String(minutes * 60) } },
        );
      }
    }
  }
  const next = safeStaffNext(new URL(request.url).searchParams.get('next'));
  const step = result.next === 'enroll' ? 'enroll' : 'verify';
  return redirect(`/staff/login/${step}?next=${encodeURIComponent(next)}`, {
    headers: { 'Set-Cookie': staffCookie(context, result.token) },
  });
}

export default function StaffLogin() {
  const { notice } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === 'submitting';
  return (
    <StaffCard title="Sign in">
      {notice ? <p role="status">{notice}</p> : null}
      <Form method="post" reloadDocument>
        <CsrfInput />
        <label htmlFor="email">Work email</label>
        <input id="email" name="email" type="email" autoComplete="username" required autoFocus />
        <label htmlFor="password">Password</label>
        <input id="password" name="password" type="password" autoComplete="current-password" required />
        <FormError message={result?.error} />
        <button type="submit" disabled={busy}>
          Continue
        </button>
      </Form>
    </StaffCard>
  );
}
