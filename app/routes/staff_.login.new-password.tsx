import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node';
import { Form, useActionData, useLoaderData } from '@remix-run/react';
import { z } from 'zod';
import { MIN_STAFF_PASSWORD } from '../../identity/staff/staff-service.ts';
import { CsrfInput } from '../components/csrf-input.tsx';
import { FormError } from '../components/form-error.tsx';
import { StaffCard } from '../components/staff-card.tsx';
import { requireCsrf } from '../utils/csrf.server.ts';
import { requireStaffSignInStage, safeStaffNext, staffCookie } from '../utils/staff-auth.server.ts';

export const meta: MetaFunction = () => [{ title: 'Staff sign-in: choose a password' }];

export const newPasswordSchema = z.object({ password: z.string().max(1024), confirm: z.string().max(1024) });

export async function loader(args: LoaderFunctionArgs) {
  await requireStaffSignInStage(args, 'new_password');
  return { min: MIN_STAFF_PASSWORD };
}

export async function action(args: ActionFunctionArgs) {
  const { request, context } = args;
  const form = await request.formData();
  requireCsrf(request, form, context);
  const active = await requireStaffSignInStage(args, 'new_password');
  const parsed = newPasswordSchema.safeParse(Object.fromEntries(form));
  if (!parsed.success) return data({ error: 'Enter your new password twice.' }, { status: 400 });
  const result = await context.services.staff.setNewPassword(
    active,
    parsed.data.password,
    parsed.data.confirm,
  );
  if (!result.ok) {
    const messages = {
      too_short: `Use at least ${MIN_STAFF_PASSWORD} characters. A few unrelated words make a strong password.`,
      mismatch: 'The two passwords are not the same. Type them again.',
      same_as_before: 'Choose a password different from the one-time password.',
    } as const;
    return data({ error: messages[result.reason] }, { status: 400 });
  }
  const next = safeStaffNext(new URL(request.url).searchParams.get('next'));
  return redirect(next, { headers: { 'Set-Cookie': staffCookie(context, result.token) } });
}

export default function StaffNewPassword() {
  const { min } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <StaffCard title="Choose your password">
      <p>You signed in with a one-time password. Choose your own password to finish.</p>
      <Form method="post" reloadDocument>
        <CsrfInput />
        <label htmlFor="password">New password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="new-password"
          minLength={min}
          required
          aria-describedby="pw-hint"
        />
        <p id="pw-hint" className="hint">
          At least {min} characters.
        </p>
        <label htmlFor="confirm">Type it again</label>
        <input id="confirm" name="confirm" type="password" autoComplete="new-password" required />
        <FormError message={result?.error} />
        <button type="submit">Save and continue</button>
      </Form>
    </StaffCard>
  );
}
