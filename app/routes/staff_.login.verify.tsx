import { redirect, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData } from '@remix-run/react';
import { CsrfInput } from '../components/csrf-input.tsx';
import { StaffCard } from '../components/staff-card.tsx';
import { requireStaffSignInStage } from '../utils/staff-auth.server.ts';
import { verifyCodeAction } from '../utils/staff-code-action.server.ts';

export const meta: MetaFunction = () => [{ title: 'Staff sign-in: verification code' }];

export async function loader(args: LoaderFunctionArgs) {
  const active = await requireStaffSignInStage(args, 'password');
  if (!active.staff.totpEnrolledAt) throw redirect(`/staff/login/enroll${new URL(args.request.url).search}`);
  return null;
}

export const action = verifyCodeAction;

export default function StaffVerify() {
  const result = useActionData<typeof action>();
  return (
    <StaffCard title="Enter your code">
      <p>Open your authenticator app and enter the 6-digit code for this account.</p>
      <Form method="post" reloadDocument>
        <CsrfInput />
        <label htmlFor="code">Verification code</label>
        <input
          id="code"
          name="code"
          type="text"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9 ]{6,7}"
          required
          autoFocus
        />
        {result?.error ? (
          <p className="error" role="alert">
            {result.error}
          </p>
        ) : null}
        <button type="submit">Sign in</button>
      </Form>
    </StaffCard>
  );
}
