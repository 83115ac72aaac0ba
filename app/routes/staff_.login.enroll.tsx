import { redirect, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useActionData, useLoaderData } from '@remix-run/react';
import { CsrfInput } from '../components/csrf-input.tsx';
import { StaffCard } from '../components/staff-card.tsx';
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
      <Form method="post" reloadDocument>
        <CsrfInput />
        <label htmlFor="code">Then enter the 6-digit code the app shows</label>
        <input
          id="code"
          name="code"
          type="text"
          inputMode="numeric"
          autoComplete="one-time-code"
          pattern="[0-9 ]{6,7}"
          required
        />
        {result?.error ? (
          <p className="error" role="alert">
            {result.error}
          </p>
        ) : null}
        <button type="submit">Confirm and continue</button>
      </Form>
    </StaffCard>
  );
}
