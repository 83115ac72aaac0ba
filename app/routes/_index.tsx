import type { MetaFunction } from '@remix-run/node';
import { useRouteLoaderData } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import { PatientShell } from '../components/patient-shell.tsx';
import type { loader as rootLoader } from '../root.tsx';

export const meta: MetaFunction = ({ matches }) => {
  const root = matches.find((m) => m.id === 'root')?.data as { brand?: { name: string } } | undefined;
  return [{ title: root?.brand?.name ?? 'Patient portal' }];
};

export default function Home() {
  const { t } = useTranslation();
  const root = useRouteLoaderData<typeof rootLoader>('root');
  const brand = root?.brand.name ?? '';
  return (
    <PatientShell>
      <h1>{t('home.title', { brand })}</h1>
      <p className="lead">{t('home.lead')}</p>
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
