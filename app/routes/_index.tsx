// Where the portal stands for me: signed out, what is happening and how to sign in; signed in, my
// cohort's phase in plain words, the way on to the new platform when it is ready, and my next step.
import type { HeadersFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, useLoaderData, useRouteLoaderData } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { CsrfInput } from '../components/csrf-input.tsx';
import { PatientErrorPage, PatientShell, TransitionStanding } from '../components/patient-shell.tsx';
import { detectLocale } from '../i18n/locale.server.ts';
import { patientStanding, sessionView } from '../utils/patient-account.server.ts';
import { currentPatient } from '../utils/patient-auth.server.ts';
import type { loader as rootLoader } from '../root.tsx';

export const meta: MetaFunction = ({ matches }) => {
  const root = matches.find((m) => m.id === 'root')?.data as { brand?: { name: string } } | undefined;
  return [{ title: root?.brand?.name ?? 'Patient portal' }];
};

// The page names the signed-in patient: no shared cache may keep it.
export const headers: HeadersFunction = () => ({ 'Cache-Control': 'private, no-store' });

// Here, not at the root: the root loader (brand, language, help line) still runs when this page fails.
export function ErrorBoundary() {
  return <PatientErrorPage />;
}

type Notice = 'signedOut' | 'timedOut' | 'extended' | null;

export async function loader({ request, context }: LoaderFunctionArgs) {
  const active = await currentPatient(request, context);
  const params = new URL(request.url).searchParams;
  if (!active) {
    const notice: Notice = params.has('signed_out')
      ? 'signedOut'
      : params.has('timed_out')
        ? 'timedOut'
        : null;
    return { patient: null, standing: null, launch: null, session: null, notice };
  }
  const locale = detectLocale(request);
  const standing = await patientStanding(context, active, locale);
  const session = sessionView(active.session.expiresAt, active, locale);
  return {
    patient: { name: active.patient.givenName ?? active.patient.email ?? active.patient.phone ?? '' },
    standing,
    // The way on to the new platform, only once the patient's cohort is on it.
    launch: standing.stage === 'ready' ? await context.services.oidc.launch() : null,
    session,
    notice: (params.has('extended') ? 'extended' : null) as Notice,
  };
}

export default function Home() {
  const { t } = useTranslation();
  const root = useRouteLoaderData<typeof rootLoader>('root');
  const { patient, standing, launch, session, notice } = useLoaderData<typeof loader>();
  const brand = root?.brand.name ?? '';
  const noticeText =
    notice === 'signedOut'
      ? t('signIn.signedOut')
      : notice === 'timedOut'
        ? t('home.timedOut')
        : notice === 'extended' && session
          ? t('account.sessionExtended', { time: session.endsAt })
          : '';
  return (
    <PatientShell session={session}>
      <h1>{t('home.title', { brand })}</h1>
      <p className="lead">{t('home.lead')}</p>
      <p className="success" role="status">
        {noticeText}
      </p>
      {patient && standing ? (
        <section className="signed-in" aria-labelledby="standing-heading">
          <p id="standing-heading">{t('signIn.signedInAs', { name: patient.name })}</p>
          <TransitionStanding standing={standing} launch={launch} headingLevel={2} />
          <p>
            <a href="/account">{t('home.accountLink')}</a>
          </p>
          <Form method="post" action="/logout" reloadDocument>
            <CsrfInput />
            <button type="submit" className="secondary">
              {t('signIn.signOut')}
            </button>
          </Form>
        </section>
      ) : (
        <>
          <p>
            <a className="button" href="/login">
              {t('signIn.submit')}
            </a>
          </p>
          <section aria-labelledby="todo">
            <h2 id="todo">{t('home.whatToDoHeading')}</h2>
            <ol className="steps">
              <li>{t('home.step1')}</li>
              <li>{t('home.step2', { brand })}</li>
              <li>{t('home.step3')}</li>
            </ol>
          </section>
        </>
      )}
      <section aria-labelledby="genuine" className="notice">
        <h2 id="genuine">{t('home.genuineHeading')}</h2>
        <p>{t('home.genuine', { brand })}</p>
      </section>
    </PatientShell>
  );
}
