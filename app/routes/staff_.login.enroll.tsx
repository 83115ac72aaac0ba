import { redirect, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { useActionData, useLoaderData } from '@remix-run/react';
import { StaffCard } from '../components/staff-card.tsx';
import { TotpCodeForm } from '../components/totp-code-form.tsx';
import { requireStaffSignInStage } from '../utils/staff-auth.server.ts';
import { verifyCodeAction } from '../utils/staff-code-action.server.ts';

export const meta: MetaFunction = () => [{ title: 'Staff sign-in: set up your authenticator' }];

export async function loader(args: LoaderFunctionArgs) {
  const active = await requireStaffSignInStage(args, 'password');
  if (active.staff.totpEnrolledAt) throw redirect(`/staff/login/verify${new URL(args.request.url).search}`);
  const { secret, qr } = await args.context.services.staff.beginEnrollment(active);
  // The secret is shown so it can be typed in when the camera cannot read the code.
  return { secret: secret.replace(/(.{4})/g, '$1 ').trim(), qr };
}

export const action = verifyCodeAction;

export default function StaffEnroll() {
  const { secret, qr } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <StaffCard title="Set up your authenticator">
      <p>
        Staff accounts need a second step. Scan this code with an authenticator app (such as Google
        Authenticator, Microsoft Authenticator or 1Password).
      </p>
      <img
        className="qr"
        src={qr}
        alt="QR code for your authenticator app. The setup key below holds the same information."
      />
      <p>
        Can&apos;t scan it? Enter this setup key: <code className="secret">{secret}</code>
      </p>
      <TotpCodeForm
        label="Then enter the 6-digit code the app shows"
        submit="Confirm and continue"
        error={result?.error}
      />
    </StaffCard>
  );
}
