import { isRouteErrorResponse, Link, useLocation, useRouteError, useRouteLoaderData } from '@remix-run/react';
import { Trans, useTranslation } from 'react-i18next';
import type { loader } from '../root.tsx';
import { NotFoundHelp } from './not-found-help.tsx';
import { PatientIdleWarning, type PatientSessionClock } from './patient-idle-warning.tsx';

/** A phone number as a link a phone can dial: digits and a leading +, nothing else. */
export function telHref(phone: string): string {
  return `tel:${phone.replace(/(?!^\+)[^\d]/g, '')}`;
}

/**
 * The frame of every patient page: brand header, language switch, help line, emergency note, footer.
 * A signed-in page passes its session so the patient is warned before it ends.
 */
export function PatientShell({
  children,
  session,
}: {
  children: React.ReactNode;
  session?: PatientSessionClock | null;
}) {
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
        {session ? <PatientIdleWarning session={session} /> : null}
      </main>
      <footer className="patient-footer">
        <div className="wrap">
          <p>
            <Link to="/help">{t('help.footerLink')}</Link>
          </p>
          {phone ? (
            <p>
              <Trans
                i18nKey="common.callUsLink"
                values={{ phone }}
                components={{ tel: <a href={telHref(phone)} /> }}
              />
            </p>
          ) : null}
          <p className="emergency">{t('common.emergency')}</p>
          {phone ? (
            <p>
              {t('common.tagline', { phone })} <span lang={other}>{t('common.taglineOther', { phone })}</span>
            </p>
          ) : (
            <p>
              {t('common.taglineNoPhone')} <span lang={other}>{t('common.taglineOtherNoPhone')}</span>
            </p>
          )}
          <p className="legal">{brand?.legalFooter}</p>
        </div>
      </footer>
    </>
  );
}

/** Where a patient's move stands, in the three forms a patient needs to tell apart. */
export type TransitionStage = 'soon' | 'ready' | 'paused';

export interface TransitionStandingView {
  stage: TransitionStage;
  /** The planned move day, already worded, while it is still ahead. */
  moveDate: string | null;
  /** The old portal, for a patient whose move is paused (when configured). */
  legacyUrl: string | null;
}

/**
 * The signed-in patient's standing and next step (home page and account page): the move is coming,
 * the new portal is ready (with the button to it), or the move is paused.
 */
export function TransitionStanding({
  standing,
  launch,
  headingLevel,
}: {
  standing: TransitionStandingView;
  launch: { name: string; url: string } | null;
  headingLevel: 2 | 3;
}) {
  const { t } = useTranslation();
  const data = useRouteLoaderData<typeof loader>('root');
  const brand = data?.brand.name ?? '';
  const phone = data?.brand.supportPhone ?? '';
  const Heading = headingLevel === 2 ? 'h2' : 'h3';
  const Next = headingLevel === 2 ? 'h3' : 'h4';
  const { stage } = standing;
  return (
    <div className={`standing standing-${stage}`}>
      <Heading>{t(`transition.${stage}.title`)}</Heading>
      <p>{t(`transition.${stage}.body`)}</p>
      {standing.moveDate ? <p>{t('transition.soon.date', { date: standing.moveDate })}</p> : null}
      {stage === 'ready' && launch ? (
        <p>
          <a className="button" href={launch.url}>
            {t('signIn.continueTo', { client: launch.name })}
          </a>
        </p>
      ) : null}
      {stage === 'paused' && standing.legacyUrl ? (
        <p>
          <a href={standing.legacyUrl}>{t('transition.paused.legacyLink')}</a>
        </p>
      ) : null}
      <Next>{t('transition.nextHeading')}</Next>
      <p>
        {stage === 'ready'
          ? launch
            ? t('transition.ready.next', { client: launch.name })
            : t('transition.ready.noClient', { phone })
          : t(`transition.${stage}.next`, { brand })}
      </p>
    </div>
  );
}

/**
 * The page for anything that went wrong, in plain words in the patient's language, with the help line
 * and a way home; an unknown address gets NotFoundHelp. Never the error itself (it may name a patient
 * or a query): the server logs that. Patient routes export it as their ErrorBoundary, so that the root
 * loader (brand, language, help line) has run even when their action failed; the root's own boundary
 * uses it too and copes without that data.
 */
export function PatientErrorPage({ titleInBody = false }: { titleInBody?: boolean }) {
  const error = useRouteError();
  const { t } = useTranslation();
  const data = useRouteLoaderData<typeof loader>('root');
  const location = useLocation();
  const status = isRouteErrorResponse(error) ? error.status : 500;
  const phone = data?.brand.supportPhone;
  // At the root no route's meta runs, so the page would have no title; a <title> in the body still
  // names the document (and screen readers announce it) with or without JavaScript.
  const documentTitle = (title: string) => (titleInBody ? <title>{title}</title> : null);
  if (status === 404)
    return (
      <PatientShell>
        {documentTitle(t('notFound.title'))}
        <NotFoundHelp />
      </PatientShell>
    );
  // A form without its CSRF token: most often a page left open too long.
  const expired = status === 403;
  const title = expired ? t('error.expiredTitle') : t('error.title');
  return (
    <PatientShell>
      {documentTitle(title)}
      <div className="card narrow">
        <h1>{title}</h1>
        <p>{expired ? t('error.expiredBody') : t('error.body')}</p>
        <p>{phone ? t('error.callUs', { phone }) : t('error.callUsNoPhone')}</p>
        {expired ? null : (
          <p>
            {/* A full page load, and a GET: never the form post that may have failed. */}
            <a className="button" href={`${location.pathname}${location.search}`}>
              {t('error.tryAgain')}
            </a>
          </p>
        )}
        <p>
          <a href="/">{t('notFound.home')}</a>
        </p>
      </div>
    </PatientShell>
  );
}
