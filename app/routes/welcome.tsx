// The first-sign-in welcome step for patients who signed in on the portal itself.
import {
  data,
  redirect,
  type ActionFunctionArgs,
  type LoaderFunctionArgs,
  type MetaFunction,
} from '@remix-run/node';
import { useActionData, useLoaderData } from '@remix-run/react';
import { PatientErrorPage, PatientShell } from '../components/patient-shell.tsx';
import { WelcomeForm, type WelcomeProblem } from '../components/patient-sign-in.tsx';
import { requireCsrf } from '../utils/csrf.server.ts';
import { answerWelcome, currentPatient, welcomeView } from '../utils/patient-auth.server.ts';
import { afterSignIn } from '../utils/url-routing.server.ts';

export const meta: MetaFunction = () => [{ title: 'Welcome' }];

// A failed action (an expired form) still shows the brand, the help line and the patient's language.
export function ErrorBoundary() {
  return <PatientErrorPage />;
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  const active = await currentPatient(request, context);
  if (!active) throw redirect('/login');
  if (!active.session.welcomePending) throw redirect('/');
  return data(welcomeView(active), { headers: { 'Cache-Control': 'no-store' } });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await request.formData();
  requireCsrf(request, form, context);
  const active = await currentPatient(request, context);
  if (!active) return redirect('/login');
  const answered = await answerWelcome(form, context, active);
  if (!answered.ok) return data({ problem: answered.problem }, { status: 400 });
  return afterSignIn(request, context, '/');
}

export default function Welcome() {
  const view = useLoaderData<typeof loader>();
  const acted = useActionData<typeof action>() as { problem?: WelcomeProblem } | undefined;
  return (
    <PatientShell>
      <div className="card narrow">
        <WelcomeForm email={view.email} phone={view.phone} locale={view.locale} problem={acted?.problem} />
      </div>
    </PatientShell>
  );
}
