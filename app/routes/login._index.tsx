// Sign-in for patients who come straight to the portal (not sent by the new platform).
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node';
import { useActionData } from '@remix-run/react';
import { PatientShell } from '../components/patient-shell.tsx';
import { SignInForm, type SignInErrorView } from '../components/patient-sign-in.tsx';
import { requireCsrf } from '../utils/csrf.server.ts';
import { currentPatient, signInFailure, signInWithPasswordForm } from '../utils/patient-auth.server.ts';
import { signInHeaders } from '../utils/headers.ts';

export const meta: MetaFunction = () => [{ title: 'Sign in' }];

export const headers = signInHeaders;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const active = await currentPatient(request, context);
  if (active) throw redirect(active.session.welcomePending ? '/welcome' : '/');
  return data({});
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  requireCsrf(request, form, context);
  const result = await signInWithPasswordForm(form, context);
  if (!result.ok) return signInFailure(result);
  return redirect(result.firstSignIn ? '/welcome' : '/', { headers: { 'Set-Cookie': result.setCookie } });
}

export default function Login() {
  const acted = useActionData<typeof action>() as
    { error?: SignInErrorView; identifier?: string } | undefined;
  return (
    <PatientShell>
      <div className="card narrow">
        <SignInForm error={acted?.error} identifier={acted?.identifier} />
      </div>
    </PatientShell>
  );
}
