// The patient's own account: what we have on file and where they stand in the move.
import { redirect, type HeadersFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Form, useLoaderData, useRouteLoaderData } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { CsrfInput } from '../components/csrf-input.tsx';
import { PatientShell } from '../components/patient-shell.tsx';
import { currentPatient } from '../utils/patient-auth.server.ts';
import type { loader as rootLoader } from '../root.tsx';

export const meta: MetaFunction = () => [{ title: 'Your account' }];

// The page shows the patient's details: no cache may keep it.
export const headers: HeadersFunction = () => ({ 'Cache-Control': 'private, no-store' });

export async function loader({ request, context }: LoaderFunctionArgs) {
  const active = await currentPatient(request, context);
  if (!active) throw redirect('/login');
  if (active.session.welcomePending) throw redirect('/welcome');
  const p = active.patient;
  return {
    name: [p.givenName, p.familyName].filter(Boolean).join(' ') || null,
    email: p.email,
    phone: p.phone,
    locale: p.locale,
    state: p.state,
    launch: await context.services.oidc.launch(),
  };
}

export default function Account() {
  const { t } = useTranslation();
  const root = useRouteLoaderData<typeof rootLoader>('root');
  const account = useLoaderData<typeof loader>();
  return (
    <PatientShell>
      <h1>{t('account.title')}</h1>
      <p className="lead">{t('account.lead')}</p>
      <dl className="facts">
        <dt>{t('account.name')}</dt>
        <dd>{account.name ?? t('account.none')}</dd>
        <dt>{t('account.email')}</dt>
        <dd>{account.email ?? t('account.none')}</dd>
        <dt>{t('account.phone')}</dt>
        <dd>{account.phone ?? t('account.none')}</dd>
        <dt>{t('account.language')}</dt>
        <dd>{account.locale === 'es' ? 'Español' : 'English'}</dd>
        <dt>{t('account.status')}</dt>
        <dd>{t(`account.statuses.${account.state}`)}</dd>
      </dl>
      <p>{t('account.wrongDetails', { phone: root?.brand.supportPhone ?? '' })}</p>
      {account.launch ? (
        <p>
          <a className="button" href={account.launch.url}>
            {t('signIn.continueTo', { client: account.launch.name })}
          </a>
        </p>
      ) : null}
      <Form method="post" action="/logout" reloadDocument>
        <CsrfInput />
        <button type="submit" className="secondary">
          {t('signIn.signOut')}
        </button>
      </Form>
    </PatientShell>
  );
}
