// Sign-in for patients who come straight to the portal (not sent by the new platform): password, a
// link or code by email or text, or the legacy platform's session still open in this browser.
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node';
import { useActionData, useLoaderData } from '@remix-run/react';
import { PatientErrorPage, PatientShell } from '../components/patient-shell.tsx';
import { SignInStep, type SignInActionData } from '../components/patient-sign-in.tsx';
import { requireCsrf } from '../utils/csrf.server.ts';
import { currentPatient, signInFailure, signInWithPasswordForm } from '../utils/patient-auth.server.ts';
import {
  continueWithLegacySession,
  isPasswordlessIntent,
  legacySessionOffer,
  redeemCodeFromForm,
  requestFromForm,
  skipLegacySessionCookie,
} from '../utils/passwordless.server.ts';
import { signInHeaders } from '../utils/headers.ts';
import { afterSignIn } from '../utils/url-routing.server.ts';

export const meta: MetaFunction = () => [{ title: 'Sign in' }];

export const headers = signInHeaders;

// A failed action (an expired form) still shows the brand, the help line and the patient's language.
export function ErrorBoundary() {
  return <PatientErrorPage />;
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const active = await currentPatient(request, context);
  if (active) throw redirect(active.session.welcomePending ? '/welcome' : '/');
  const offer = await legacySessionOffer(request, context);
  return data({
    legacy: offer ? { name: offer.givenName } : null,
    minutes: context.services.signInLinks.expiresMinutes,
  });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  requireCsrf(request, form, context);
  const intent = form.get('intent');
  if (isPasswordlessIntent(intent)) return requestFromForm(form, context, intent);
  if (intent === 'code') {
    const result = await redeemCodeFromForm(form, context);
    if (!result.ok) return result.response;
    return afterSignIn(request, context, result.firstSignIn ? '/welcome' : '/account', [result.setCookie]);
  }
  if (intent === 'legacy-session') {
    const started = await continueWithLegacySession(request, context);
    if (!started) return redirect('/login');
    return afterSignIn(request, context, started.firstSignIn ? '/welcome' : '/account', [started.setCookie]);
  }
  if (intent === 'not-you')
    return redirect('/login', { headers: { 'Set-Cookie': skipLegacySessionCookie(context) } });
  const result = await signInWithPasswordForm(form, context);
  if (!result.ok) return signInFailure(result);
  return afterSignIn(request, context, result.firstSignIn ? '/welcome' : '/', [result.setCookie]);
}

export default function Login() {
  const { legacy, minutes } = useLoaderData<typeof loader>();
  const acted = useActionData<typeof action>() as SignInActionData;
  return (
    <PatientShell>
      <div className="card narrow">
        <SignInStep acted={acted} legacy={legacy} minutes={minutes} />
      </div>
    </PatientShell>
  );
}
