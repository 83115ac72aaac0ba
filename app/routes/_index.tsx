import type { HeadersFunction, LoaderFunctionArgs, MetaFunction } from '@remix-run/node';
import { Form, useLoaderData, useRouteLoaderData } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { CsrfInput } from '../components/csrf-input.tsx';
import { currentPatient } from '../utils/patient-auth.server.ts';
import { PatientShell } from '../components/patient-shell.tsx';
import type { loader as rootLoader } from '../root.tsx';

export const meta: MetaFunction = ({ matches }) => {
  const root = matches.find((m) => m.id === 'root')?.data as { brand?: { name: string } } | undefined;
  return [{ title: root?.brand?.name ?? 'Patient portal' }];
};

// The page names the signed-in patient: no shared cache may keep it.
export const headers: HeadersFunction = () => ({ 'Cache-Control': 'private, no-store' });

export async function loader({ request, context }: LoaderFunctionArgs) {
  const active = await currentPatient(request, context);
  const signedOut = new URL(request.url).searchParams.has('signed_out');
  if (!active) return { patient: null, launch: null, signedOut };
  return {
    patient: { name: active.patient.givenName ?? active.patient.email ?? active.patient.phone ?? '' },
    launch: await context.services.oidc.launch(),
    signedOut: false,
  };
}

export default function Home() {
  const { t } = useTranslation();
  const root = useRouteLoaderData<typeof rootLoader>('root');
  const { patient, launch, signedOut } = useLoaderData<typeof loader>();
  const brand = root?.brand.name ?? '';
  return (
    <PatientShell>
      <h1>{t('home.title', { brand })}</h1>
      <p className="lead">{t('home.lead')}</p>
      {signedOut ? (
        <p className="success" role="status">
          {t('signIn.signedOut')}
        </p>
      ) : null}
      {patient ? (
        <section className="signed-in" aria-label={t('signIn.signedInAs', { name: patient.name })}>
          <p>{t('signIn.signedInAs', { name: patient.name })}</p>
          {launch ? (
            <p>
              <a className="button" href={launch.url}>
                {t('signIn.continueTo', { client: launch.name })}
              </a>
            </p>
          ) : null}
          <Form method="post" action="/logout" reloadDocument>
            <CsrfInput />
            <button type="submit" className="secondary">
              {t('signIn.signOut')}
            </button>
          </Form>
        </section>
      ) : (
        <p>
          <a className="button" href="/login">
            {t('signIn.submit')}
          </a>
        </p>
      )}
      <section aria-labelledby="todo">
        <h2 id="todo">{t('home.whatToDoHeading')}</h2>
        <ol className="steps">
          <li>{t('home.step1')}</li>
          <li>{t('home.step2', { brand })}</li>
          <li>{t('home.step3')}</li>
        </ol>
      </section>
      <section aria-labelledby="genuine" className="notice">
        <h2 id="genuine">{t('home.genuineHeading')}</h2>
        <p>{t('home.genuine', { brand })}</p>
      </section>
    </PatientShell>
  );
}
