// A sign-in link from our email. GET only shows a confirm button (mail scanners open every link, and
// must not sign in or spend it); the POST signs in.
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node';
import { useActionData, useLoaderData } from '@remix-run/react';
import { PatientErrorPage, PatientShell } from '../components/patient-shell.tsx';
import { LinkPage, type LinkPageView } from '../components/patient-sign-in.tsx';
import { requireCsrf } from '../utils/csrf.server.ts';
import { afterLinkSignIn, linkStatus, resendFor, startSession } from '../utils/passwordless.server.ts';
import { signInHeaders } from '../utils/headers.ts';
import { afterSignIn } from '../utils/url-routing.server.ts';

export const meta: MetaFunction = () => [{ title: 'Sign in' }, { name: 'robots', content: 'noindex' }];

export const headers = signInHeaders;

// A failed action (an expired form) still shows the brand, the help line and the patient's language.
export function ErrorBoundary() {
  return <PatientErrorPage />;
}

export async function loader({ params, context }: LoaderFunctionArgs) {
  const check = await context.services.signInLinks.check(params.token ?? '');
  const view: LinkPageView = check.ok
    ? { view: 'confirm' }
    : check.reason === 'invalid'
      ? { view: 'invalid' }
      : { view: check.reason, canResend: Boolean(check.patientId) };
  // Always 200: a loader's error status would also override what a POST answered on this page.
  return data(view);
}

export async function action({ request, params, context }: ActionFunctionArgs) {
  const form = await request.formData();
  requireCsrf(request, form, context);
  const { signInLinks } = context.services;
  const token = params.token ?? '';
  if (form.get('intent') === 'resend') {
    const check = await signInLinks.check(token);
    return resendFor(context, check.ok ? undefined : check.patientId);
  }
  const result = await signInLinks.redeemLink(token);
  if (!result.ok) {
    const view: LinkPageView =
      result.reason === 'invalid' || result.reason === 'unavailable' || result.reason === 'too_many_attempts'
        ? { view: result.reason === 'unavailable' ? 'unavailable' : 'invalid' }
        : { view: result.reason, canResend: Boolean(result.patientId) };
    return data(view, { status: linkStatus(view) });
  }
  const started = await startSession(context, result.patientId, result.amr, result.firstSignIn);
  if (result.interactionUid)
    return redirect(afterLinkSignIn({ interactionUid: result.interactionUid, clientId: result.clientId }), {
      headers: { 'Set-Cookie': started.setCookie },
    });
  return afterSignIn(request, context, started.firstSignIn ? '/welcome' : '/account', [started.setCookie]);
}

export default function SignInLink() {
  const loaded = useLoaderData<typeof loader>();
  const acted = useActionData<typeof action>();
  return (
    <PatientShell>
      <div className="card narrow">
        <LinkPage view={acted ?? loaded} />
      </div>
    </PatientShell>
  );
}
