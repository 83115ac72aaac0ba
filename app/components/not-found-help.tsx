import { useRouteLoaderData } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import type { loader as rootLoader } from '../root.tsx';

/**
 * What a patient sees for an address we do not know (an old bookmark, a cut-off link): plain words,
 * a way to sign in, the help line, and the home page; never a bare 404.
 * Renders its own card: place it directly inside PatientShell.
 */
export function NotFoundHelp({ signInHref = '/login' }: { signInHref?: string }) {
  const { t } = useTranslation();
  const root = useRouteLoaderData<typeof rootLoader>('root');
  const phone = root?.brand.supportPhone ?? '';
  return (
    <div className="card narrow">
      <h1>{t('notFound.title')}</h1>
      <p>{t('notFound.body')}</p>
      <p>
        <a className="button" href={signInHref}>
          {t('notFound.signIn')}
        </a>
      </p>
      {phone ? <p>{t('notFound.help', { phone })}</p> : null}
      <p>
        <a href="/">{t('notFound.home')}</a>
      </p>
    </div>
  );
}
