import { Link, useLocation, useRouteLoaderData } from '@remix-run/react';
import { useTranslation } from 'react-i18next';
import type { loader } from '../root.tsx';

/** The frame of every patient page: brand header, language switch, help line, emergency note, footer. */
export function PatientShell({ children }: { children: React.ReactNode }) {
  const data = useRouteLoaderData<typeof loader>('root');
  const { t } = useTranslation();
  const location = useLocation();
  const brand = data?.brand;
  const locale = data?.locale ?? 'en';
  const other = locale === 'en' ? 'es' : 'en';
  const phone = brand?.supportPhone ?? '';
  return (
    <>
      <a className="skip-link" href="#main">
        {t('common.skipToContent')}
      </a>
      <header className="patient-header">
        <div className="wrap header-row">
          <Link to="/" className="brand">
            {brand?.logoUrl ? <img src={brand.logoUrl} alt="" width={40} height={40} /> : null}
            <span>{brand?.name}</span>
          </Link>
          <nav aria-label={t('common.language')}>
            <Link
              to={`${location.pathname}?lng=${other}`}
              // A full page load: a sign-in page's cookie is scoped to its own path, and a client-side
              // navigation would fetch the page's data from another one.
              reloadDocument
              lang={other}
              hrefLang={other}
              className="lang-switch"
            >
              {t('common.otherLanguage')}
            </Link>
          </nav>
        </div>
      </header>
      <main id="main" className="wrap patient-main" tabIndex={-1}>
        {children}
      </main>
      <footer className="patient-footer">
        <div className="wrap">
          <p>{t('common.callUs', { phone })}</p>
          <p className="emergency">{t('common.emergency')}</p>
          <p>
            {t('common.tagline', { phone })} <span lang={other}>{t('common.taglineOther', { phone })}</span>
          </p>
          <p className="legal">{brand?.legalFooter}</p>
        </div>
      </footer>
    </>
  );
}
