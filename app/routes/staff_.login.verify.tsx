import { redirect, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { useActionData } from '@remix-run/react';
import { StaffCard } from '../components/staff-card.tsx';
import { TotpCodeForm } from '../components/totp-code-form.tsx';
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
      <TotpCodeForm label="Verification code" submit="Sign in" error={result?.error} autoFocus />
    </StaffCard>
  );
}
